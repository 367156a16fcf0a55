/* Shared by the nnc fuzz targets: the loaders take paths, so each input is
 * written to a temporary file created once per process (mkstemp) and
 * rewritten in place on every run (ftruncate + pwrite). The files are removed
 * at exit. */
#ifndef NNC_FUZZ_COMMON_H
#define NNC_FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nnc.h>

typedef struct fuzz_file {
    char path[64];
    int fd;
} fuzz_file;

#define FUZZ_MAX_FILES 4
static fuzz_file *fuzz_files[FUZZ_MAX_FILES];
static int fuzz_n_files;

static void fuzz_remove_files(void)
{
    for (int i = 0; i < fuzz_n_files; i++) {
        close(fuzz_files[i]->fd);
        unlink(fuzz_files[i]->path);
    }
}

/* Creates f once (abort on failure: the harness cannot run without it). */
static void fuzz_file_open(fuzz_file *f, const char *tag)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0' || strlen(dir) > 40)
        dir = "/tmp";
    snprintf(f->path, sizeof f->path, "%s/nnc-fuzz-%s-XXXXXX", dir, tag);
    f->fd = mkstemp(f->path);
    if (f->fd < 0 || fuzz_n_files == FUZZ_MAX_FILES) {
        perror("nnc fuzz: mkstemp");
        abort();
    }
    if (fuzz_n_files == 0)
        atexit(fuzz_remove_files);
    fuzz_files[fuzz_n_files++] = f;
}

/* Replaces the file's contents with data[0..size). */
static void fuzz_file_write(fuzz_file *f, const uint8_t *data, size_t size)
{
    if (ftruncate(f->fd, 0) != 0)
        abort();
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(f->fd, data + done, size - done, (off_t)done);
        if (n <= 0)
            abort();
        done += (size_t)n;
    }
}

/* ------------------------------------------------------------ memory */

/* The heap a load uses, counted through the sanitizer's allocation hooks
 * (the fuzz targets always run under ASan): each target checks that its
 * loader's peak is a small multiple of the numbers in its input, so a
 * blow-up (a float per row and class, a copy per stage, a buffer sized by
 * a header instead of the data) is a crash with the input that caused it,
 * long before -rss_limit_mb could notice. Signed, because blocks allocated
 * before the hooks were installed may be freed while they count. */
#include <sanitizer/allocator_interface.h>

static long long fuzz_live, fuzz_peak;

static inline void fuzz_malloc_hook(const volatile void *p, size_t size)
{
    (void)p;
    fuzz_live += (long long)size;
    if (fuzz_live > fuzz_peak)
        fuzz_peak = fuzz_live;
}

static inline void fuzz_free_hook(const volatile void *p)
{
    if (p != NULL)   /* the block is still allocated while the hook runs */
        fuzz_live -= (long long)__sanitizer_get_allocated_size((const void *)p);
}

static inline void fuzz_count_memory(void)
{
    __sanitizer_install_malloc_and_free_hooks(fuzz_malloc_hook, fuzz_free_hook);
}

/* Starts counting a load's peak; returns the heap in use now. */
static inline long long fuzz_peak_start(void)
{
    fuzz_peak = fuzz_live;
    return fuzz_live;
}

/* Aborts (so libFuzzer keeps the input) when the heap rose by more than
 * bound bytes since fuzz_peak_start. */
static inline void fuzz_peak_check(const char *what, long long base, double bound)
{
    long long used = fuzz_peak - base;
    if ((double)used > bound) {
        fprintf(stderr, "nnc fuzz: %s used %lld heap bytes, more than its bound %.0f\n", what,
                used, bound);
        abort();
    }
}

/* Reads back everything a loader built (the last row gathered, every name
 * and label), so that out-of-bounds state shows up under the sanitizers. */
static inline void fuzz_touch_dataset(const nnc_dataset *ds)
{
    int rows = nnc_dataset_rows(ds), in = nnc_dataset_inputs(ds);
    int targets = nnc_dataset_targets(ds);
    if (rows > 0 && in > 0 && targets > 0) {
        float *x = malloc(sizeof *x * (size_t)in);
        float *y = malloc(sizeof *y * (size_t)targets);
        size_t idx = (size_t)rows - 1;
        if (x && y)
            (void)nnc_dataset_gather(ds, &idx, 1, x, y);
        free(x);
        free(y);
    }
    for (int j = 0; j < in; j++)
        (void)nnc_dataset_input_name(ds, j);
    for (int k = 0; k < nnc_dataset_classes(ds); k++)
        (void)nnc_dataset_class_label(ds, k);
    (void)nnc_dataset_target_name(ds);
    (void)nnc_dataset_class_of(ds, 0);
}

#endif

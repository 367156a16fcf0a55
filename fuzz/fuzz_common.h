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

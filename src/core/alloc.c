/*
 * alloc.c - allocation that checks its size arithmetic first.
 *
 * Every buffer size in nnc is a product of counts that came from a caller or,
 * later, from a file; multiplying them unchecked is how a crafted input turns
 * into a tiny allocation and a large write.
 */
#define _DEFAULT_SOURCE   /* madvise */
#include "core/core.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* Blocks of this size or more are mapped in before they are first written. */
#define POPULATE_BYTES ((size_t)1 << 20)

/* Asks the kernel to map in the pages of a large block p[0 .. bytes) at
 * once. A fresh page is otherwise mapped in by a fault at its first write,
 * one per 4 KiB: on this project's virtual machines zeroing a 25.6 MB
 * block (Adam's two moments at a 50,000-word vocabulary) took 75-85 ms
 * that way and 40-42 ms after MADV_POPULATE_WRITE, and the first epoch
 * paid for it. Only advice: a kernel without it (before Linux 5.14) or
 * another system maps the pages in as they are written, as before. */
static void populate(void *p, size_t bytes)
{
#if defined(MADV_POPULATE_WRITE)
    if (p == NULL || bytes < POPULATE_BYTES)
        return;
    uintptr_t from = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
    uintptr_t to = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;
    if (to > from)
        (void)madvise((void *)from, to - from, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

int nnc_mul_overflows(size_t count, size_t size, size_t *product)
{
    if (size != 0 && count > SIZE_MAX / size) {
        nnc_fail(NNC_ENOMEM, "size overflow: %zu x %zu bytes", count, size);
        return 1;
    }
    *product = count * size;
    return 0;
}

void *nnc_alloc(size_t count, size_t size, int zero)
{
    size_t bytes;
    if (nnc_mul_overflows(count, size, &bytes))
        return NULL;
    if (bytes == 0)
        bytes = 1;   /* a valid, freeable pointer even for empty buffers */
    void *p = zero ? calloc(1, bytes) : malloc(bytes);
    populate(p, bytes);
    if (p == NULL)
        nnc_fail(NNC_ENOMEM, "out of memory allocating %zu bytes", bytes);
    return p;
}

void *nnc_alloc_aligned(size_t count, size_t size, int zero)
{
    size_t bytes;
    if (nnc_mul_overflows(count, size, &bytes))
        return NULL;
    /* aligned_alloc wants a multiple of the alignment. */
    size_t rounded = bytes == 0 ? NNC_ALIGN : (bytes + NNC_ALIGN - 1) / NNC_ALIGN * NNC_ALIGN;
    void *p = rounded < bytes ? NULL : aligned_alloc(NNC_ALIGN, rounded);
    if (p == NULL) {
        nnc_fail(NNC_ENOMEM, "out of memory allocating %zu bytes", bytes);
        return NULL;
    }
    populate(p, rounded);
    if (zero)
        memset(p, 0, rounded);
    return p;
}

char *nnc_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = nnc_alloc(n, 1, 0);
    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

int nnc_find_string(char *const *sorted, int n, const char *key)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(sorted[mid], key);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

void nnc_free_strings(char **strings, int n)
{
    if (strings == NULL)
        return;
    for (int i = 0; i < n; i++)
        free(strings[i]);
    free(strings);
}

char **nnc_copy_strings(const char *const *strings, int n)
{
    char **copy = nnc_alloc((size_t)(n > 0 ? n : 0), sizeof *copy, 1);
    for (int i = 0; copy != NULL && i < n; i++) {
        copy[i] = nnc_strdup(strings[i]);
        if (copy[i] == NULL) {
            nnc_free_strings(copy, i);
            copy = NULL;
        }
    }
    return copy;
}

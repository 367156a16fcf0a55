/*
 * alloc.c - allocation that checks its size arithmetic first.
 *
 * Every buffer size in nnc is a product of counts that came from a caller or,
 * later, from a file; multiplying them unchecked is how a crafted input turns
 * into a tiny allocation and a large write.
 */
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>

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
    if (p == NULL)
        nnc_fail(NNC_ENOMEM, "out of memory allocating %zu bytes", bytes);
    return p;
}

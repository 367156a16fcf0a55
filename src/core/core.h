/*
 * core/core.h - what every part of the library shares: failing with a message,
 * allocation, the byte codec, whole-file reading, strings.
 */
#ifndef NNC_CORE_H
#define NNC_CORE_H

#include "nnc.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Run-time dispatch for the hot loops (docs/performance.md, "The portable
 * build"). On a function definition, GCC compiles the function three times,
 * for baseline x86-64 (SSE2), AVX2 and AVX-512F, and an ifunc resolver picks
 * one when the library is loaded, by what the CPU (and the OS) supports. Put
 * it on a function that runs a whole loop: a clone is called through the
 * resolved pointer and never inlines into its caller, though what it calls
 * inlines into it. Only on static functions: GCC 12 exports the resolver of
 * an extern one from libnnc.so whatever its visibility. Every clone gives
 * the same bits: the build has -ffp-contract=off, so no clone fuses a
 * multiply and an add, and none of these loops reorders a sum. Nothing
 * elsewhere: another compiler or architecture, or a build tuned for its own
 * machine (NNC_NATIVE, which defines NNC_NO_CLONES), gets plain functions. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__) && \
    !defined(NNC_NO_CLONES)
#define NNC_KERNEL_CLONES __attribute__((target_clones("default", "avx2", "avx512f")))
#else
#define NNC_KERNEL_CLONES
#endif

/* Records a failure for nnc_last_error() and returns its status, so a check
 * reads: if (bad) return nnc_fail(NNC_EINVAL, "rows must be >= 1, got %d", rows); */
nnc_status nnc_fail(nnc_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* malloc of count * size bytes that refuses, with NNC_ENOMEM recorded, when the
 * product overflows or the allocation fails. calloc semantics when zero is set. */
void *nnc_alloc(size_t count, size_t size, int zero);

/* nnc_alloc for the blocks the kernels stream through (weights, gradients,
 * scratch, moments): aligned to NNC_ALIGN bytes, a cache line, so that
 * vector loads along a weight row do not straddle two lines, which costs a
 * single prediction about a tenth of its time. Freed with free(). */
#define NNC_ALIGN 64
void *nnc_alloc_aligned(size_t count, size_t size, int zero);

/* count * size, or 0 with NNC_ENOMEM recorded if the product overflows. */
int nnc_mul_overflows(size_t count, size_t size, size_t *product);

/* ------------------------------------------------------- bytes (bytes.c) */

/* v's low `bytes` bytes at p, least significant first; and back. */
void nnc_le_put(unsigned char *p, uint64_t v, int bytes);
uint64_t nnc_le_get(const unsigned char *p, int bytes);

/* n floats as their IEEE-754 bits, 4 little-endian bytes each; and back. */
void nnc_le_put_f32s(unsigned char *p, const float *v, size_t n);
void nnc_le_get_f32s(const unsigned char *p, float *v, size_t n);

/* The whole of path in a new buffer with a NUL after its *size bytes (the
 * caller frees it). A file of more than `most` bytes is refused, a regular
 * one before anything is read, with "path: the file has more than N bytes,
 * the most <what> may have" (NNC_EFORMAT); NNC_EIO if it cannot be read. */
nnc_status nnc_read_whole_file(const char *path, size_t most, const char *what,
                               unsigned char **data, size_t *size);


/* A name by which another library (PLplot) can open the new contents of
 * file for writing: "/proc/self/fd/N" for an unnamed temporary, the
 * temporary's name, or the path itself when it is written in place. */
const char *nnc_atomic_name(const nnc_atomic_file *file);

/* A copy of a string (NULL with NNC_ENOMEM on failure). */
char *nnc_strdup(const char *s);

/* Frees n strings and the array holding them. */
void nnc_free_strings(char **strings, int n);

/* Copies n strings into a new array (NULL on failure). */
char **nnc_copy_strings(const char *const *strings, int n);

/* ------------------------------------------------------- shapes (shape.c) */

/* The number of values in s, or 0 when a dimension is below 1 or the
 * product is above NNC_MAX_SHAPE_VALUES: the one test of a valid shape. */
int nnc_shape_size(nnc_shape s);

/* Checks that a batch call has sane arguments; records and returns a status. */
nnc_status nnc_check_rows(const char *what, int rows);

#endif /* NNC_CORE_H */

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

/* For a kernel whose loop over a row's non-zeros runs a vector loop over
 * units: GCC's -O3 unroll-and-jam takes two non-zeros per turn and then
 * fails to vectorise the fused loop, leaving it scalar (no pragma stops it). */
#if defined(__GNUC__) && !defined(__clang__)
#define NNC_NO_UNROLL_AND_JAM __attribute__((optimize("no-loop-unroll-and-jam")))
#else
#define NNC_NO_UNROLL_AND_JAM
#endif

/* A batch of rows kept as their non-zeros (compressed sparse rows), as a
 * bag of words is: row r's values are value[start[r] .. start[r + 1]) at
 * the inputs index[...] (increasing within a row); every other input of
 * the row is 0. columns[0 .. n_columns) lists, increasing and once each,
 * the inputs that some row of the batch has: the columns of the first
 * layer's weights a step on this batch reads and changes. */
typedef struct nnc_sparse_rows {
    const size_t *start;   /* rows + 1 */
    const int *index;
    const float *value;
    const int *columns;
    int n_columns;
} nnc_sparse_rows;

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

/* The sum of n floats in eight running sums, added up at the end
 * (lane_sum.c): one running sum is a chain of dependent additions the
 * compiler may not reorder, eight are one vector's lanes. The order is
 * fixed, so the result is the same from run to run and clone to clone. */
float nnc_lane_sum(const float *v, size_t n);

/* count * size, or 0 with NNC_ENOMEM recorded if the product overflows. */
int nnc_mul_overflows(size_t count, size_t size, size_t *product);

/* ------------------------------------------------------- bytes (bytes.c) */

/* v's low `bytes` bytes at p, least significant first; and back. */
void nnc_le_put(unsigned char *p, uint64_t v, int bytes);
uint64_t nnc_le_get(const unsigned char *p, int bytes);

/* n floats as their IEEE-754 bits, 4 little-endian bytes each; and back. */
void nnc_le_put_f32s(unsigned char *p, const float *v, size_t n);
void nnc_le_get_f32s(const unsigned char *p, float *v, size_t n);

/* ------------------------------------------ fields in a buffer (bytes.c) */

/* The one writer of the model file and the checkpoint: fields appended to a
 * growing buffer, little-endian, floats as their bits. A failed allocation
 * is recorded once (NNC_ENOMEM) and turns later puts into no-ops, so a
 * writer checks `failed` once at the end rather than after every field.
 * With `counting` set nothing is stored and only size grows: the same code
 * that writes a file first measures it. Zero-initialise; free(data). */
typedef struct nnc_byte_writer {
    unsigned char *data;
    size_t size;
    size_t cap;
    int counting;
    int failed;
} nnc_byte_writer;

void nnc_put_bytes(nnc_byte_writer *w, const void *p, size_t n);
void nnc_put_u32(nnc_byte_writer *w, uint32_t v);
void nnc_put_u64(nnc_byte_writer *w, uint64_t v);
void nnc_put_f32s(nnc_byte_writer *w, const float *v, size_t n);

/* Room for n bytes in all, allocated at once (a writer that has measured
 * itself grows no further); sets failed and returns NNC_ENOMEM if it cannot. */
nnc_status nnc_writer_reserve(nnc_byte_writer *w, size_t n);

/* The one reader: a cursor over bytes in memory that never reads past end.
 * Messages start with path; offsets in them are from data. */
typedef struct nnc_byte_reader {
    const char *path;
    const unsigned char *data;
    size_t pos;   /* offset of the next unread byte */
    size_t end;   /* where the readable part ends */
} nnc_byte_reader;

size_t nnc_reader_left(const nnc_byte_reader *r);

/* The next n bytes, stepping past them; NULL, without moving, if fewer are left. */
const unsigned char *nnc_reader_take(nnc_byte_reader *r, size_t n);

/* "PATH: truncated: the file ends inside WHAT (offset N)", N the cursor's
 * position: where the field that did not fit starts. NNC_EFORMAT. */
nnc_status nnc_reader_truncated(const nnc_byte_reader *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* "PATH: PROBLEM (offset AT)" for a field read from offset at. NNC_EFORMAT. */
nnc_status nnc_reader_invalid(const nnc_byte_reader *r, size_t at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A field named `what` (for the truncation message), or the refusal. */
nnc_status nnc_get_u32(nnc_byte_reader *r, const char *what, uint32_t *v);
nnc_status nnc_get_u64(nnc_byte_reader *r, const char *what, uint64_t *v);
nnc_status nnc_get_f32s(nnc_byte_reader *r, const char *what, float *v, size_t n);

/* A u32 that must lie in lo..hi: "WHAT is V, outside LO..HI (offset N)". */
nnc_status nnc_get_ranged(nnc_byte_reader *r, const char *what, uint32_t lo, uint32_t hi,
                          uint32_t *v);

/* The whole of path in a new buffer with a NUL after its *size bytes (the
 * caller frees it). A file of more than `most` bytes is refused, a regular
 * one before anything is read, with "path: the file has more than N bytes,
 * the most <what> may have" (NNC_EFORMAT); NNC_EIO if it cannot be read. */
nnc_status nnc_read_whole_file(const char *path, size_t most, const char *what,
                               unsigned char **data, size_t *size);


/* size bytes from data as the whole new contents of path, atomically
 * (nnc_atomic_open): on failure the old file is as it was. NNC_EIO with
 * "path: cannot write: <reason>" when the write fails. */
nnc_status nnc_write_whole_file(const char *path, const unsigned char *data, size_t size);

/* A name by which another library (PLplot) can open the new contents of
 * file for writing: "/proc/self/fd/N" for an unnamed temporary, the
 * temporary's name, or the path itself when it is written in place. */
const char *nnc_atomic_name(const nnc_atomic_file *file);

/* A copy of a string (NULL with NNC_ENOMEM on failure). */
char *nnc_strdup(const char *s);

/* Frees n strings and the array holding them. */
void nnc_free_strings(char **strings, int n);

/* The index of key among n strings in strcmp order, or -1: a binary search. */
int nnc_find_string(char *const *sorted, int n, const char *key);

/* Copies n strings into a new array (NULL on failure). */
char **nnc_copy_strings(const char *const *strings, int n);

/* ------------------------------------------------------- shapes (shape.c) */

/* The number of values in s, or 0 when a dimension is below 1 or the
 * product is above NNC_MAX_SHAPE_VALUES: the one test of a valid shape. */
int nnc_shape_size(nnc_shape s);

/* Checks that a batch call has sane arguments; records and returns a status. */
nnc_status nnc_check_rows(const char *what, int rows);

#endif /* NNC_CORE_H */

/*
 * bytes.c - bytes in and out: little-endian fields and whole files.
 *
 * The model file and the checkpoint store numbers little-endian, floats as
 * their IEEE-754 bits, written through one growing writer and read through
 * one bounds-checked cursor; the model file, the checkpoint and the CSV
 * loader read a whole file into memory. Each is done here once, so the
 * bounds and the messages are the same everywhere.
 */
#define _POSIX_C_SOURCE 200809L   /* fileno */
#include "core/core.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void nnc_le_put(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

uint64_t nnc_le_get(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

void nnc_le_put_f32s(unsigned char *p, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        nnc_le_put(p + 4 * i, bits, 4);
    }
}

void nnc_le_get_f32s(const unsigned char *p, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = (uint32_t)nnc_le_get(p + 4 * i, 4);
        memcpy(&v[i], &bits, sizeof bits);
    }
}

/* ------------------------------------------------------------ the writer */

nnc_status nnc_writer_reserve(nnc_byte_writer *w, size_t n)
{
    if (w->failed)
        return NNC_ENOMEM;
    if (w->counting || n <= w->cap)
        return NNC_OK;
    unsigned char *grown = realloc(w->data, n);
    if (grown == NULL) {
        w->failed = 1;
        return nnc_fail(NNC_ENOMEM, "out of memory for %zu bytes", n);
    }
    w->data = grown;
    w->cap = n;
    return NNC_OK;
}

void nnc_put_bytes(nnc_byte_writer *w, const void *p, size_t n)
{
    if (w->failed || n == 0)
        return;
    if (w->counting) {
        w->size += n;
        return;
    }
    if (n > w->cap - w->size) {
        /* Doubling keeps appending linear. */
        if (n > SIZE_MAX - w->size) {
            w->failed = 1;
            nnc_fail(NNC_ENOMEM, "out of memory: %zu more bytes", n);
            return;
        }
        size_t want = w->size + n, cap = w->cap < 256 ? 256 : w->cap;
        while (cap < want)
            cap = cap <= SIZE_MAX / 2 ? cap * 2 : want;
        if (nnc_writer_reserve(w, cap) != NNC_OK)
            return;
    }
    memcpy(w->data + w->size, p, n);
    w->size += n;
}

void nnc_put_u32(nnc_byte_writer *w, uint32_t v)
{
    unsigned char b[4];
    nnc_le_put(b, v, 4);
    nnc_put_bytes(w, b, sizeof b);
}

void nnc_put_u64(nnc_byte_writer *w, uint64_t v)
{
    unsigned char b[8];
    nnc_le_put(b, v, 8);
    nnc_put_bytes(w, b, sizeof b);
}

/* A chunk at a time through a small buffer: no second copy of a large block. */
void nnc_put_f32s(nnc_byte_writer *w, const float *v, size_t n)
{
    unsigned char b[1024];
    while (n > 0) {
        size_t k = n < sizeof b / 4 ? n : sizeof b / 4;
        nnc_le_put_f32s(b, v, k);
        nnc_put_bytes(w, b, 4 * k);
        v += k;
        n -= k;
    }
}

/* ------------------------------------------------------------ the reader */

size_t nnc_reader_left(const nnc_byte_reader *r) { return r->end - r->pos; }

const unsigned char *nnc_reader_take(nnc_byte_reader *r, size_t n)
{
    if (n > nnc_reader_left(r))
        return NULL;
    r->pos += n;
    return r->data + r->pos - n;
}

nnc_status nnc_reader_truncated(const nnc_byte_reader *r, const char *fmt, ...)
{
    char what[256];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    return nnc_fail(NNC_EFORMAT, "%s: truncated: the file ends inside %s (offset %zu)",
                    r->path, what, r->pos);
}

/* The problem is formatted into a buffer of its own first: callers may pass
 * nnc_last_error(), which nnc_fail is about to overwrite. */
nnc_status nnc_reader_invalid(const nnc_byte_reader *r, size_t at, const char *fmt, ...)
{
    char problem[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(problem, sizeof problem, fmt, args);
    va_end(args);
    return nnc_fail(NNC_EFORMAT, "%s: %s (offset %zu)", r->path, problem, at);
}

nnc_status nnc_get_u32(nnc_byte_reader *r, const char *what, uint32_t *v)
{
    const unsigned char *b = nnc_reader_take(r, 4);
    if (b == NULL)
        return nnc_reader_truncated(r, "%s", what);
    *v = (uint32_t)nnc_le_get(b, 4);
    return NNC_OK;
}

nnc_status nnc_get_u64(nnc_byte_reader *r, const char *what, uint64_t *v)
{
    const unsigned char *b = nnc_reader_take(r, 8);
    if (b == NULL)
        return nnc_reader_truncated(r, "%s", what);
    *v = nnc_le_get(b, 8);
    return NNC_OK;
}

nnc_status nnc_get_f32s(nnc_byte_reader *r, const char *what, float *v, size_t n)
{
    if (n > nnc_reader_left(r) / 4)
        return nnc_reader_truncated(r, "%s", what);
    nnc_le_get_f32s(nnc_reader_take(r, 4 * n), v, n);
    return NNC_OK;
}

nnc_status nnc_get_ranged(nnc_byte_reader *r, const char *what, uint32_t lo, uint32_t hi,
                          uint32_t *v)
{
    size_t at = r->pos;
    nnc_status st = nnc_get_u32(r, what, v);
    if (st == NNC_OK && (*v < lo || *v > hi))
        return nnc_reader_invalid(r, at, "%s is %" PRIu32 ", outside %" PRIu32 "..%" PRIu32,
                                  what, *v, lo, hi);
    return st;
}

/* ------------------------------------------------------------ whole files */

static nnc_status too_large(const char *path, size_t most, const char *what)
{
    return nnc_fail(NNC_EFORMAT, "%s: the file has more than %zu bytes, the most %s may have",
                    path, most, what);
}

nnc_status nnc_read_whole_file(const char *path, size_t most, const char *what,
                               unsigned char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return nnc_fail(NNC_EIO, "%s: cannot open: %s", path, strerror(errno));
    /* A regular file is sized first: a huge one is refused before anything
     * is read, and its buffer never grows (+ 2: the NUL, and a byte to see
     * the end). Pipes and /dev/stdin are read in doubling chunks. */
    size_t cap = (size_t)1 << 16, n = 0;
    struct stat info;
    if (fstat(fileno(f), &info) == 0 && S_ISREG(info.st_mode)) {
        if ((uintmax_t)info.st_size > most) {
            fclose(f);
            return too_large(path, most, what);
        }
        cap = (size_t)info.st_size + 2;
    }
    unsigned char *buf = nnc_alloc(cap, 1, 0);
    nnc_status st = buf != NULL ? NNC_OK : NNC_ENOMEM;
    while (st == NNC_OK) {
        if (n > most) {
            st = too_large(path, most, what);
            break;
        }
        if (n + 1 == cap) {   /* full: grow, keeping a byte for the final NUL */
            size_t bigger = cap <= most / 2 ? cap * 2 : most + 2;
            unsigned char *grown = realloc(buf, bigger);
            if (grown == NULL) {
                st = nnc_fail(NNC_ENOMEM, "%s: out of memory reading the file", path);
                break;
            }
            buf = grown;
            cap = bigger;
        }
        size_t want = cap - 1 - n, got = fread(buf + n, 1, want, f);
        n += got;
        if (got < want && ferror(f))
            st = nnc_fail(NNC_EIO, "%s: cannot read: %s", path, strerror(errno));
        else if (got < want)
            break;   /* end of file */
    }
    fclose(f);
    if (st != NNC_OK) {
        free(buf);
        return st;
    }
    buf[n] = '\0';
    *data = buf;
    *size = n;
    return NNC_OK;
}

nnc_status nnc_write_whole_file(const char *path, const unsigned char *data, size_t size)
{
    nnc_atomic_file *file;
    nnc_status st = nnc_atomic_open(path, &file);
    if (st != NNC_OK)
        return st;
    errno = 0;
    if (fwrite(data, 1, size, nnc_atomic_stream(file)) != size) {
        int err = errno ? errno : EIO;
        nnc_atomic_abort(file);
        return nnc_fail(NNC_EIO, "%s: cannot write: %s", path, strerror(err));
    }
    return nnc_atomic_commit(file);
}

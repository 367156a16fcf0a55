/*
 * bytes.c - bytes in and out: little-endian fields and whole files.
 *
 * The model file and the checkpoint store numbers little-endian, floats as
 * their IEEE-754 bits; the model file, the checkpoint and the CSV loader
 * read a whole file into memory. Each is done here once, so the bounds and
 * the messages are the same everywhere.
 */
#define _POSIX_C_SOURCE 200809L   /* fileno */
#include "core/core.h"

#include <errno.h>
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

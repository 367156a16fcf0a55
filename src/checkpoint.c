/*
 * checkpoint.c - the whole state of a training run, saved and restored.
 *
 * A training that takes hours must survive a crash or a kill: after an epoch,
 * nnc_fit can write everything that decides what happens next - the
 * parameters, the optimizer's moments and step count, the random generator,
 * the epoch and the best-so-far - and a later run resumes from it to the same
 * final bits. The file is written atomically, so a kill during the write
 * leaves the previous checkpoint.
 *
 * Layout (little-endian): "NNCCKPT1", u32 version, u64 parameter count,
 * u32 optimizer rule, u64 optimizer steps, u32 has_m, u32 has_v,
 * 4 x u64 generator state, u64 spare normal (bits), u32 has_spare,
 * u32 epoch, u32 best epoch, u32 epochs since best, u64 best loss (bits),
 * f32 parameters, f32 best parameters, f32 m, f32 v (when present),
 * u32 CRC-32 of everything before it.
 */
#include "internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const unsigned char MAGIC[8] = { 'N', 'N', 'C', 'C', 'K', 'P', 'T', '1' };
#define VERSION 1
#define HEADER_BYTES (8 + 4 + 8 + 4 + 8 + 4 + 4 + 32 + 8 + 4 + 4 + 4 + 4 + 8)

static unsigned char *put(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return p + bytes;
}

static uint64_t get(const unsigned char **p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)(*p)[i] << (8 * i);
    *p += bytes;
    return v;
}

static uint64_t double_bits(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

static double bits_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static unsigned char *put_floats(unsigned char *p, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        p = put(p, bits, 4);
    }
    return p;
}

static void get_floats(const unsigned char **p, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = (uint32_t)get(p, 4);
        memcpy(&v[i], &bits, sizeof bits);
    }
}

/* Bytes of a checkpoint for n parameters and the given moment buffers. */
static size_t size_for(size_t n, int has_m, int has_v)
{
    return HEADER_BYTES + 4 * n * (size_t)(2 + has_m + has_v) + 4;
}

nnc_status nnc_checkpoint_save(const char *path, nnc_net *net, const nnc_optimizer *opt,
                               const nnc_rng *rng, const nnc_fit_progress *progress)
{
    if (path == NULL || net == NULL || opt == NULL || rng == NULL || progress == NULL)
        return nnc_fail(NNC_EINVAL, "checkpoint: NULL argument");
    size_t n = nnc_net_param_count(net);
    nnc_optimizer_state o;
    nnc_optimizer_get_state(opt, &o);
    int has_m = o.m != NULL && o.n == n, has_v = o.v != NULL && o.n == n;
    size_t bytes = size_for(n, has_m, has_v);
    unsigned char *buf = nnc_alloc(bytes, 1, 0);
    if (buf == NULL)
        return NNC_ENOMEM;
    unsigned char *p = buf;
    memcpy(p, MAGIC, sizeof MAGIC);
    p += sizeof MAGIC;
    p = put(p, VERSION, 4);
    p = put(p, n, 8);
    p = put(p, (uint64_t)o.kind, 4);
    p = put(p, (uint64_t)o.steps, 8);
    p = put(p, (uint64_t)has_m, 4);
    p = put(p, (uint64_t)has_v, 4);
    for (int i = 0; i < 4; i++)
        p = put(p, rng->s[i], 8);
    p = put(p, double_bits(rng->spare_normal), 8);
    p = put(p, (uint64_t)rng->has_spare, 4);
    p = put(p, (uint64_t)progress->epoch, 4);
    p = put(p, (uint64_t)progress->best_epoch, 4);
    p = put(p, (uint64_t)progress->since_best, 4);
    p = put(p, double_bits(progress->best_loss), 8);
    p = put_floats(p, nnc_net_params(net), n);
    p = put_floats(p, progress->best, n);
    if (has_m)
        p = put_floats(p, o.m, n);
    if (has_v)
        p = put_floats(p, o.v, n);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(p - buf));
    p = put(p, crc, 4);

    nnc_atomic_file *file;
    nnc_status st = nnc_atomic_open(path, &file);
    if (st == NNC_OK) {
        if (fwrite(buf, 1, bytes, nnc_atomic_stream(file)) != bytes) {
            nnc_atomic_abort(file);
            st = nnc_fail(NNC_EIO, "%s: cannot write the checkpoint: %s", path, strerror(errno));
        } else {
            st = nnc_atomic_commit(file);
        }
    }
    free(buf);
    return st;
}

/* The whole file, refusing one larger than a checkpoint of n parameters can be. */
static nnc_status read_all(const char *path, size_t most, unsigned char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return nnc_fail(NNC_EIO, "%s: cannot open: %s", path, strerror(errno));
    *data = nnc_alloc(most + 1, 1, 0);
    if (*data == NULL) {
        fclose(f);
        return NNC_ENOMEM;
    }
    *size = fread(*data, 1, most + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || *size > most) {
        free(*data);
        return nnc_fail(failed ? NNC_EIO : NNC_EFORMAT,
                        failed ? "%s: cannot read the checkpoint"
                               : "%s: too large for a checkpoint of this network",
                        path);
    }
    return NNC_OK;
}

/* Checks the envelope: magic, version, checksum, and the sizes this network
 * and optimizer imply; leaves p after the parameter count. */
static nnc_status check_file(const char *path, const unsigned char *data, size_t size,
                             size_t n, const unsigned char **p)
{
    if (size < HEADER_BYTES + 4 || memcmp(data, MAGIC, sizeof MAGIC) != 0)
        return nnc_fail(NNC_EFORMAT, "%s: not an nnc checkpoint", path);
    uint32_t stored = (uint32_t)(data[size - 4] | data[size - 3] << 8 |
                                 (uint32_t)data[size - 2] << 16 | (uint32_t)data[size - 1] << 24);
    if (crc32(crc32(0L, Z_NULL, 0), data, (uInt)(size - 4)) != stored)
        return nnc_fail(NNC_EFORMAT, "%s: checksum mismatch: the checkpoint is damaged", path);
    *p = data + sizeof MAGIC;
    uint64_t version = get(p, 4), count = get(p, 8);
    if (version != VERSION)
        return nnc_fail(NNC_EFORMAT, "%s: checkpoint version %llu; this nnc reads %d", path,
                        (unsigned long long)version, VERSION);
    if (count != n)
        return nnc_fail(NNC_EFORMAT, "%s: the checkpoint holds %llu parameters, this network "
                                     "has %zu (a different architecture?)",
                        path, (unsigned long long)count, n);
    return NNC_OK;
}

nnc_status nnc_checkpoint_load(const char *path, nnc_net *net, nnc_optimizer *opt, nnc_rng *rng,
                               nnc_fit_progress *progress)
{
    if (path == NULL || net == NULL || opt == NULL || rng == NULL || progress == NULL)
        return nnc_fail(NNC_EINVAL, "checkpoint: NULL argument");
    size_t n = nnc_net_param_count(net), size = 0;
    unsigned char *data = NULL;
    nnc_status st = read_all(path, size_for(n, 1, 1), &data, &size);
    if (st != NNC_OK)
        return st;
    const unsigned char *p = NULL;
    st = check_file(path, data, size, n, &p);
    nnc_optimizer_state o = { 0, 0, n, NULL, NULL };
    int has_m = 0, has_v = 0;
    if (st == NNC_OK) {
        o.kind = (int)get(&p, 4);
        o.steps = (long)get(&p, 8);
        has_m = get(&p, 4) != 0;
        has_v = get(&p, 4) != 0;
        if (size != size_for(n, has_m, has_v))
            st = nnc_fail(NNC_EFORMAT, "%s: the checkpoint's size does not match its contents",
                          path);
    }
    float *moments = NULL;
    if (st == NNC_OK && (has_m || has_v) &&
        (moments = nnc_alloc(2 * n, sizeof *moments, 1)) == NULL)
        st = NNC_ENOMEM;
    if (st == NNC_OK) {
        nnc_rng saved;
        for (int i = 0; i < 4; i++)
            saved.s[i] = get(&p, 8);
        saved.spare_normal = bits_double(get(&p, 8));
        saved.has_spare = (int)get(&p, 4);
        nnc_fit_progress at = { (int)get(&p, 4), (int)get(&p, 4), (int)get(&p, 4),
                                bits_double(get(&p, 8)), progress->best };
        const unsigned char *params = p;
        p += 4 * n;
        get_floats(&p, at.best, n);
        if (has_m)
            get_floats(&p, o.m = moments, n);
        if (has_v)
            get_floats(&p, o.v = moments + n, n);
        st = nnc_optimizer_restore(opt, &o);
        if (st == NNC_OK) {
            get_floats(&params, nnc_net_params(net), n);
            *rng = saved;
            *progress = at;
        }
    }
    free(moments);
    free(data);
    return st;
}

/*
 * idx.c - image data sets from IDX files, the format of MNIST and Fashion-MNIST.
 *
 * An IDX file is a magic of two zero bytes, a type code and the number of
 * dimensions, then one big-endian 32-bit size per dimension, then the values
 * in row-major order. An images file is (count, rows, cols) or any (count,
 * ...) whose later sizes multiply to the bytes of one image; a labels file is
 * (count). Only unsigned bytes (type 0x08) are read: that is what the MNIST
 * family uses, and bytes stay bytes in the data set (a quarter of the memory
 * of floats).
 *
 * Files are read through zlib's inflate, which undoes gzip as the bytes
 * arrive, so the .gz files as distributed load without unpacking; a file
 * that does not start with the gzip magic is read as it is. A header is
 * input from outside: every size in it is checked and capped (at
 * NNC_MAX_IDX_BYTES), buffers grow only as data actually arrives and never
 * beyond what the header claims, and the data must be exactly as long as
 * the header says. So however well a file compresses, memory is the pixels
 * it really holds. After the last gzip member the file must end: zlib's
 * gzread would skip anything else in silence, which hides a damaged or
 * doubled file, so the stream is inflated here.
 */
#include "data/data.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_UBYTE 0x08
/* The most bytes a file may hold: Fashion-MNIST's training images are 47 MB;
 * a header asking for more than NNC_MAX_IDX_BYTES is corrupt, not large. */
#define MAX_DATA_BYTES ((uint64_t)NNC_MAX_IDX_BYTES)
/* The most bytes in one image (an input per byte); as in dataset.c. */
#define MAX_IMAGE_BYTES ((uint64_t)1 << 24)
/* The file is read this much at a time. */
#define IN_BYTES (1u << 17)
/* inflate takes an unsigned count: larger reads go in pieces. */
#define CHUNK_BYTES (1u << 30)
/* A data buffer starts this large and doubles while bytes keep coming. */
#define FIRST_BYTES ((uint64_t)1 << 20)

/* The shape a header announces: count items of item_bytes bytes each, an
 * item being item (channels x height x width) for an images file. */
typedef struct idx_shape {
    uint64_t count;
    uint64_t item_bytes;
    nnc_shape item;
} idx_shape;

/* An open IDX file: its bytes come through in[], and through inflate when
 * the file is gzip. z.next_in and z.avail_in say what in[] still holds. */
typedef struct idx_file {
    const char *path;
    FILE *f;
    int at_eof;          /* f has nothing more */
    int gzip;            /* the file starts with the gzip magic */
    int inflating;       /* inflateInit2 succeeded: inflateEnd is due */
    int member_ended;    /* a gzip member is complete: only another may follow */
    z_stream z;
    unsigned char in[IN_BYTES];
} idx_file;

/* What an IDX type code stands for, for messages. */
static const char *type_name(int type)
{
    switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit integer";
    case 0x0C: return "32-bit integer";
    case 0x0D: return "float";
    case 0x0E: return "double";
    }
    return "unknown";
}

/* Tops in[] up from the file, keeping what it still holds. */
static nnc_status fill(idx_file *file)
{
    size_t have = file->z.avail_in;
    if (have > 0 && file->z.next_in != file->in)
        memmove(file->in, file->z.next_in, have);
    file->z.next_in = file->in;
    if (file->at_eof)
        return NNC_OK;
    errno = 0;
    size_t got = fread(file->in + have, 1, sizeof file->in - have, file->f);
    file->z.avail_in = (uInt)(have + got);
    if (got < sizeof file->in - have) {
        if (ferror(file->f))
            return nnc_fail(NNC_EIO, "%s: cannot read: %s", file->path,
                            errno != 0 ? strerror(errno) : "read error");
        file->at_eof = 1;
    }
    return NNC_OK;
}

static void close_idx(idx_file *file)
{
    if (file == NULL)
        return;
    if (file->inflating)
        inflateEnd(&file->z);
    if (file->f != NULL)
        fclose(file->f);
    free(file);
}

/* Opens path and looks at its first bytes: gzip, or raw IDX. */
static nnc_status open_idx(const char *path, idx_file **out)
{
    *out = NULL;
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return nnc_fail(NNC_EIO, "%s: cannot open: %s", path,
                        errno != 0 ? strerror(errno) : "out of memory");
    idx_file *file = nnc_alloc(1, sizeof *file, 1);
    if (file == NULL) {
        fclose(f);
        return NNC_ENOMEM;
    }
    file->path = path;
    file->f = f;
    nnc_status st = fill(file);
    if (st == NNC_OK && file->z.avail_in >= 2 && file->in[0] == 0x1f && file->in[1] == 0x8b) {
        file->gzip = 1;
        if (inflateInit2(&file->z, 16 + MAX_WBITS) != Z_OK)   /* 16: gzip only */
            st = nnc_fail(NNC_ENOMEM, "%s: out of memory decompressing", path);
        else
            file->inflating = 1;
    }
    if (st != NNC_OK) {
        close_idx(file);
        return st;
    }
    *out = file;
    return NNC_OK;
}

static nnc_status damaged(const idx_file *file, const char *what)
{
    return nnc_fail(NNC_EFORMAT, "%s: damaged gzip data: %s", file->path, what);
}

/* A raw file: up to n bytes into buf, from in[] and then straight from the file. */
static nnc_status read_raw(idx_file *file, unsigned char *buf, uint64_t n, uint64_t *got)
{
    while (*got < n) {
        if (file->z.avail_in == 0) {
            if (file->at_eof)
                break;
            if (n - *got >= sizeof file->in) {   /* large reads skip the copy */
                errno = 0;
                size_t r = fread(buf + *got, 1, (size_t)(n - *got), file->f);
                *got += r;
                if (*got < n && ferror(file->f))
                    return nnc_fail(NNC_EIO, "%s: cannot read: %s", file->path,
                                    errno != 0 ? strerror(errno) : "read error");
                file->at_eof = *got < n;
                continue;
            }
            nnc_status st = fill(file);
            if (st != NNC_OK)
                return st;
            if (file->z.avail_in == 0)
                break;
        }
        uint64_t take = n - *got < file->z.avail_in ? n - *got : file->z.avail_in;
        memcpy(buf + *got, file->z.next_in, (size_t)take);
        file->z.next_in += take;
        file->z.avail_in -= (uInt)take;
        *got += take;
    }
    return NNC_OK;
}

/* A gzip file: up to n inflated bytes into buf. A member may be followed by
 * another (gzip files may be concatenated) and by nothing else. */
static nnc_status read_gzip(idx_file *file, unsigned char *buf, uint64_t n, uint64_t *got)
{
    z_stream *z = &file->z;
    while (*got < n) {
        if ((z->avail_in == 0 || (file->member_ended && z->avail_in < 2)) && !file->at_eof) {
            nnc_status st = fill(file);
            if (st != NNC_OK)
                return st;
        }
        if (file->member_ended) {
            if (z->avail_in == 0)
                break;   /* the end of the file, after a complete member */
            if (z->avail_in < 2 || z->next_in[0] != 0x1f || z->next_in[1] != 0x8b)
                return damaged(file, "trailing garbage after the end of the compressed data");
            inflateReset(z);
            file->member_ended = 0;
        }
        if (z->avail_in == 0)
            return damaged(file, "unexpected end of file");
        uint64_t left = n - *got;
        uInt want = left < CHUNK_BYTES ? (uInt)left : CHUNK_BYTES;
        z->next_out = buf + *got;
        z->avail_out = want;
        int rc = inflate(z, Z_NO_FLUSH);
        *got += want - z->avail_out;
        if (rc == Z_STREAM_END)
            file->member_ended = 1;
        else if (rc == Z_MEM_ERROR)
            return nnc_fail(NNC_ENOMEM, "%s: out of memory decompressing", file->path);
        else if (rc != Z_OK && rc != Z_BUF_ERROR)   /* Z_BUF_ERROR: it needs more input */
            return damaged(file, z->msg != NULL ? z->msg : "invalid data");
    }
    return NNC_OK;
}

/* Reads up to n bytes into buf; *got says how many there were. */
static nnc_status read_bytes(idx_file *file, unsigned char *buf, uint64_t n, uint64_t *got)
{
    *got = 0;
    return file->gzip ? read_gzip(file, buf, n, got) : read_raw(file, buf, n, got);
}

static nnc_status truncated(const char *path, uint64_t expected, const char *what,
                            uint64_t found)
{
    return nnc_fail(NNC_EFORMAT, "%s: truncated: expected %llu bytes of %s, found %llu", path,
                    (unsigned long long)expected, what, (unsigned long long)found);
}

/* Reads exactly n bytes of what (for the message); fewer is a truncated file. */
static nnc_status read_exactly(idx_file *f, unsigned char *buf, uint64_t n, const char *what)
{
    uint64_t got;
    nnc_status st = read_bytes(f, buf, n, &got);
    return st == NNC_OK && got < n ? truncated(f->path, n, what, got) : st;
}

/* Reads the n bytes of what (for messages) that a header promises into a
 * new buffer *out. The buffer grows as the bytes arrive instead of being
 * sized by the header, so a corrupt header that claims 2 GB in a file of a
 * hundred bytes costs nothing before it is found out, and it never grows
 * past n. Large blocks are moved by the kernel as they grow (glibc's
 * realloc of mmap'ed blocks), so the peak is the bytes read, not twice. */
static nnc_status read_all(idx_file *f, uint64_t n, const char *what, unsigned char **out)
{
    const char *path = f->path;
    unsigned char *buf = NULL;
    uint64_t cap = 0, have = 0, got = 0;
    nnc_status st = NNC_OK;
    while (st == NNC_OK && have == cap && have < n) {
        uint64_t bigger = cap == 0 ? FIRST_BYTES : cap * 2;
        cap = bigger < n ? bigger : n;
        unsigned char *grown = realloc(buf, (size_t)cap);
        if (grown == NULL) {
            st = nnc_fail(NNC_ENOMEM, "%s: out of memory reading %s", path, what);
            break;
        }
        buf = grown;
        st = read_bytes(f, buf + have, cap - have, &got);
        have += got;
    }
    if (st == NNC_OK && have < n)
        st = truncated(path, n, what, have);
    if (st != NNC_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    return NNC_OK;
}

/* After the data the file must end; anything more means the header is wrong
 * about the file. Reading on also makes zlib check a gzip file's trailer,
 * and finds what follows the last gzip member. */
static nnc_status expect_end(idx_file *f)
{
    unsigned char extra[64];
    uint64_t got;
    nnc_status st = read_bytes(f, extra, sizeof extra, &got);
    if (st == NNC_OK && got > 0)
        st = nnc_fail(NNC_EFORMAT, "%s: more data than the header describes", f->path);
    return st;
}

static uint32_t big_endian_u32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* An item's sizes dims[1..ndim) as channels x height x width. The bytes
 * run row-major through the sizes, so the last two are height and width
 * and any before them, in order, make the channels: the data set's
 * channel-major rows are then the file's bytes as they are, and an image
 * keeps its rows and columns instead of becoming one long vector. One size
 * is a vector. item_bytes (at most MAX_IMAGE_BYTES) bounds every product. */
static nnc_shape item_shape(const uint32_t *dims, int ndim)
{
    if (ndim == 2)
        return (nnc_shape){ (int)dims[1], 1, 1 };
    int channels = 1;
    for (int d = 1; d < ndim - 2; d++)
        channels *= (int)dims[d];
    return (nnc_shape){ channels, (int)dims[ndim - 2], (int)dims[ndim - 1] };
}

/* Checks the sizes of a header and works out its shape: the first size is
 * the count, the others multiply to the bytes of one item. Products are
 * capped as they are formed, so no header can overflow them. */
static nnc_status check_sizes(const char *path, const char *kind, const uint32_t *dims,
                              int ndim, idx_shape *shape)
{
    char text[64] = "";   /* the sizes for a message, as many as fit */
    int cut = 0;
    uint64_t total = 1;
    for (int d = 0; d < ndim; d++) {
        size_t len = strlen(text);
        if (len + 16 < sizeof text)
            snprintf(text + len, sizeof text - len, "%s%lu", d ? " x " : "",
                     (unsigned long)dims[d]);
        else
            cut = 1;
        if (dims[d] == 0)
            return nnc_fail(NNC_EFORMAT, "%s: dimension %d has size 0", path, d + 1);
        if (total <= MAX_DATA_BYTES)
            total *= dims[d];   /* below 2^31 * 2^32: no overflow */
    }
    shape->count = dims[0];
    shape->item_bytes = total <= MAX_DATA_BYTES ? total / dims[0] : 0;
    if (total > MAX_DATA_BYTES || shape->item_bytes > MAX_IMAGE_BYTES)
        return nnc_fail(NNC_EFORMAT,
                        "%s: %s sizes %s%s are too large (at most %llu bytes, %llu per item)",
                        path, kind, text, cut ? " ..." : "", (unsigned long long)MAX_DATA_BYTES,
                        (unsigned long long)MAX_IMAGE_BYTES);
    if (ndim >= 2)   /* a labels file has no items to shape */
        shape->item = item_shape(dims, ndim);
    return NNC_OK;
}

/* Reads the magic and the sizes; min_ndim and max_ndim bound the number of
 * dimensions; kind ("images", "labels") names the file in messages. */
static nnc_status read_shape(idx_file *f, int min_ndim, int max_ndim, const char *kind,
                             idx_shape *shape)
{
    const char *path = f->path;
    unsigned char head[4], raw[255 * 4];
    uint32_t dims[255];
    nnc_status st = read_exactly(f, head, 4, "header");
    if (st != NNC_OK)
        return st;
    if (head[0] != 0 || head[1] != 0)
        return nnc_fail(NNC_EFORMAT, "%s: not an IDX file (magic 0x%02x%02x%02x%02x)", path,
                        head[0], head[1], head[2], head[3]);
    if (head[2] != IDX_UBYTE)
        return nnc_fail(NNC_EFORMAT, "%s: IDX type 0x%02x (%s) is not supported; only "
                        "unsigned bytes (0x08) are", path, head[2], type_name(head[2]));
    int ndim = head[3];
    if (ndim < min_ndim || ndim > max_ndim)
        return nnc_fail(NNC_EFORMAT, "%s: %d dimension(s); an IDX %s file has %s %d", path,
                        ndim, kind, min_ndim == max_ndim ? "exactly" : "at least", min_ndim);
    st = read_exactly(f, raw, (uint64_t)ndim * 4, "header");
    for (int d = 0; st == NNC_OK && d < ndim; d++)
        dims[d] = big_endian_u32(raw + 4 * d);
    return st == NNC_OK ? check_sizes(path, kind, dims, ndim, shape) : st;
}

/* The class of each label byte: the label itself, so *n_classes is the
 * largest + 1. Every class up to it must have an example: a file of one
 * class cannot train a classification (as a CSV target of one class is
 * refused), and a label beyond a run of classes nobody has (a 255 among
 * digits 0-9) would make outputs that can never be right, most likely from
 * a damaged file. Messages count items from 1. */
static nnc_status classes_of(const char *path, const unsigned char *labels, int count,
                             int **classes, int *n_classes)
{
    int first[256];   /* the first item of each label, -1 for none */
    for (int k = 0; k < 256; k++)
        first[k] = -1;
    int largest = 0, distinct = 0;
    for (int i = 0; i < count; i++) {
        if (first[labels[i]] < 0) {
            first[labels[i]] = i;
            distinct++;
        }
        largest = labels[i] > largest ? labels[i] : largest;
    }
    if (distinct < 2)
        return nnc_fail(NNC_EFORMAT, "%s: only one class '%d' in the %d labels", path,
                        labels[0], count);
    for (int k = 0; k < largest; k++) {
        if (first[k] >= 0)
            continue;
        int next = k + 1;   /* the label after the gap; it exists, as largest does */
        while (first[next] < 0)
            next++;
        char gap[48];
        if (next == k + 1)
            snprintf(gap, sizeof gap, "label %d never occurs", k);
        else
            snprintf(gap, sizeof gap, "labels %d to %d never occur", k, next - 1);
        return nnc_fail(NNC_EFORMAT,
                        "%s: item %d of %d has label %d, but %s: each class up to the largest "
                        "label needs an example (is the file damaged?)",
                        path, first[next] + 1, count, next, gap);
    }
    *classes = nnc_alloc((size_t)count, sizeof **classes, 0);
    if (*classes == NULL)
        return NNC_ENOMEM;
    for (int i = 0; i < count; i++)
        (*classes)[i] = labels[i];
    *n_classes = largest + 1;
    return NNC_OK;
}

/* Both headers, checked against each other before any data is read. */
static nnc_status read_shapes(idx_file *images, idx_file *labels, idx_shape *image_shape)
{
    idx_shape label_shape;
    nnc_status st = read_shape(images, 2, 255, "images", image_shape);
    if (st == NNC_OK)
        st = read_shape(labels, 1, 1, "labels", &label_shape);
    if (st == NNC_OK && image_shape->count != label_shape.count)
        st = nnc_fail(NNC_EFORMAT, "%s holds %llu images but %s holds %llu labels",
                      images->path, (unsigned long long)image_shape->count, labels->path,
                      (unsigned long long)label_shape.count);
    return st;
}

/* IDX files have no column names; the targets are called what they are. */
static nnc_status name_target(nnc_dataset *data, const char *name)
{
    char *copy = nnc_strdup(name);
    if (copy == NULL)
        return NNC_ENOMEM;
    free(data->target_name);
    data->target_name = copy;
    return NNC_OK;
}

/* Reads the labels, checks their classes, then reads the pixels, each file
 * checked to end where its header says, and hands the pixels to the data
 * set as they are: the peak is the pixels plus an int and a byte per image. */
static nnc_status read_data(idx_file *images, idx_file *labels, const idx_shape *shape,
                            nnc_dataset **out)
{
    int rows = (int)shape->count, n_classes = 0, *classes = NULL;
    uint64_t n_pixels = shape->count * shape->item_bytes;
    unsigned char *label_bytes = NULL, *pixels = NULL;
    nnc_dataset *data = NULL;
    nnc_status st = read_all(labels, shape->count, "labels", &label_bytes);
    if (st == NNC_OK)
        st = expect_end(labels);
    if (st == NNC_OK)
        st = classes_of(labels->path, label_bytes, rows, &classes, &n_classes);
    free(label_bytes);
    if (st == NNC_OK)
        st = read_all(images, n_pixels, "pixels", &pixels);
    if (st == NNC_OK)
        st = expect_end(images);
    if (st == NNC_OK) {
        data = nnc_dataset_adopt(rows, (int)shape->item_bytes,
                                 nnc_targets_for_classes(n_classes), NULL, pixels, NULL, NULL);
        pixels = NULL;   /* taken */
        st = data != NULL ? nnc_dataset_set_shape(data, shape->item) : NNC_ENOMEM;
    }
    if (st == NNC_OK) {
        st = nnc_dataset_take_classes(data, classes, n_classes, NULL);
        classes = NULL;   /* taken */
    }
    if (st == NNC_OK)
        st = name_target(data, "label");
    free(pixels);
    free(classes);
    if (st != NNC_OK) {
        nnc_dataset_free(data);
        return st;
    }
    *out = data;
    return NNC_OK;
}

nnc_status nnc_dataset_load_idx(const char *images_path, const char *labels_path,
                                nnc_dataset **out)
{
    if (out != NULL)
        *out = NULL;
    if (images_path == NULL || labels_path == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "load idx: NULL argument");
    idx_file *images = NULL, *labels = NULL;
    idx_shape shape;
    nnc_status st = open_idx(images_path, &images);
    if (st == NNC_OK)
        st = open_idx(labels_path, &labels);
    if (st == NNC_OK)
        st = read_shapes(images, labels, &shape);
    if (st == NNC_OK)
        st = read_data(images, labels, &shape, out);
    close_idx(images);
    close_idx(labels);
    return st;
}

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
 * Files are read through zlib's gzread, which reads gzip and uncompressed
 * files alike, so the .gz files as distributed load without unpacking. A
 * header is input from outside: every size in it is checked and capped,
 * buffers grow only as data actually arrives, and the data must be exactly
 * as long as the header says (a short or damaged gzip stream is caught by
 * zlib's own checks).
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_UBYTE 0x08
/* The most bytes a file may hold (2 GiB less one byte, so a count always
 * fits an int): Fashion-MNIST's training images are 47 MB; a header asking
 * for more is corrupt, not large. */
#define MAX_DATA_BYTES ((uint64_t)INT_MAX)
/* The most bytes in one image (an input per byte); as in dataset.c. */
#define MAX_IMAGE_BYTES ((uint64_t)1 << 24)
/* gzread takes an unsigned count and returns an int: read in pieces. */
#define CHUNK_BYTES (1u << 20)
/* A data buffer starts this large and doubles while bytes keep coming. */
#define FIRST_BYTES ((uint64_t)1 << 20)

/* The shape a header announces: count items of item_bytes bytes each. */
typedef struct idx_shape {
    uint64_t count;
    uint64_t item_bytes;
} idx_shape;

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

static nnc_status open_idx(const char *path, gzFile *f)
{
    errno = 0;
    *f = gzopen(path, "rb");
    if (*f == NULL)
        return nnc_fail(NNC_EIO, "%s: cannot open: %s", path,
                        errno != 0 ? strerror(errno) : "out of memory");
    gzbuffer(*f, 1u << 17);   /* fewer, larger reads than the default 8 KiB */
    return NNC_OK;
}

/* A read error zlib recorded, if any: an OS error is NNC_EIO, a damaged
 * gzip stream (bad data, a bad check, a cut-off end) NNC_EFORMAT. zlib puts
 * the path before its message; ours is put there once. */
static nnc_status stream_error(gzFile f, const char *path)
{
    int code;
    const char *msg = gzerror(f, &code);
    size_t n = strlen(path);
    if (strncmp(msg, path, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
        msg += n + 2;
    switch (code) {
    case Z_OK:
    case Z_STREAM_END:
        return NNC_OK;
    case Z_ERRNO:
        return nnc_fail(NNC_EIO, "%s: cannot read: %s", path, msg);
    case Z_MEM_ERROR:
        return nnc_fail(NNC_ENOMEM, "%s: out of memory decompressing", path);
    default:
        return nnc_fail(NNC_EFORMAT, "%s: damaged gzip data: %s", path, msg);
    }
}

/* Reads up to n bytes into buf; *got says how many there were. */
static nnc_status read_bytes(gzFile f, const char *path, unsigned char *buf, uint64_t n,
                             uint64_t *got)
{
    *got = 0;
    while (*got < n) {
        uint64_t left = n - *got;
        unsigned want = left < CHUNK_BYTES ? (unsigned)left : CHUNK_BYTES;
        int r = gzread(f, buf + *got, want);
        if (r < 0)
            return stream_error(f, path);
        *got += (uint64_t)r;
        if ((unsigned)r < want)
            break;   /* the end, or an error zlib keeps for gzerror */
    }
    return stream_error(f, path);
}

static nnc_status truncated(const char *path, uint64_t expected, const char *what,
                            uint64_t found)
{
    return nnc_fail(NNC_EFORMAT, "%s: truncated: expected %llu bytes of %s, found %llu", path,
                    (unsigned long long)expected, what, (unsigned long long)found);
}

/* Reads exactly n bytes of what (for the message); fewer is a truncated file. */
static nnc_status read_exactly(gzFile f, const char *path, unsigned char *buf, uint64_t n,
                               const char *what)
{
    uint64_t got;
    nnc_status st = read_bytes(f, path, buf, n, &got);
    return st == NNC_OK && got < n ? truncated(path, n, what, got) : st;
}

/* Reads the n bytes of what (for messages) that a header promises into a
 * new buffer *out. The buffer grows as the bytes arrive instead of being
 * sized by the header, so a corrupt header that claims 2 GB in a file of a
 * hundred bytes costs nothing before it is found out. */
static nnc_status read_all(gzFile f, const char *path, uint64_t n, const char *what,
                           unsigned char **out)
{
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
        st = read_bytes(f, path, buf + have, cap - have, &got);
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
 * about the file. Reading on also makes zlib check a gzip file's trailer. */
static nnc_status expect_end(gzFile f, const char *path)
{
    unsigned char extra[64];
    uint64_t got;
    nnc_status st = read_bytes(f, path, extra, sizeof extra, &got);
    if (st == NNC_OK && got > 0)
        st = nnc_fail(NNC_EFORMAT, "%s: more data than the header describes", path);
    return st;
}

static uint32_t big_endian_u32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
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
    return NNC_OK;
}

/* Reads the magic and the sizes; min_ndim and max_ndim bound the number of
 * dimensions; kind ("images", "labels") names the file in messages. */
static nnc_status read_shape(gzFile f, const char *path, int min_ndim, int max_ndim,
                             const char *kind, idx_shape *shape)
{
    unsigned char head[4], raw[255 * 4];
    uint32_t dims[255];
    nnc_status st = read_exactly(f, path, head, 4, "header");
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
    st = read_exactly(f, path, raw, (uint64_t)ndim * 4, "header");
    for (int d = 0; st == NNC_OK && d < ndim; d++)
        dims[d] = big_endian_u32(raw + 4 * d);
    return st == NNC_OK ? check_sizes(path, kind, dims, ndim, shape) : st;
}

/* The class of each label byte; *n_classes is the largest + 1, and at
 * least 2 so that a file of one label still makes a classification. */
static nnc_status classes_of(const unsigned char *labels, int count, int **classes,
                             int *n_classes)
{
    *classes = nnc_alloc((size_t)count, sizeof **classes, 0);
    if (*classes == NULL)
        return NNC_ENOMEM;
    *n_classes = 2;
    for (int i = 0; i < count; i++) {
        (*classes)[i] = labels[i];
        if (labels[i] >= *n_classes)
            *n_classes = labels[i] + 1;
    }
    return NNC_OK;
}

/* Both headers, checked against each other before any data is read. */
static nnc_status read_shapes(gzFile images, const char *images_path, gzFile labels,
                              const char *labels_path, idx_shape *image_shape)
{
    idx_shape label_shape;
    nnc_status st = read_shape(images, images_path, 2, 255, "images", image_shape);
    if (st == NNC_OK)
        st = read_shape(labels, labels_path, 1, 1, "labels", &label_shape);
    if (st == NNC_OK && image_shape->count != label_shape.count)
        st = nnc_fail(NNC_EFORMAT, "%s holds %llu images but %s holds %llu labels",
                      images_path, (unsigned long long)image_shape->count, labels_path,
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

/* Reads the labels and the pixels, each checked to end where its header
 * says, and only then builds the data set. */
static nnc_status read_data(gzFile images, const char *images_path, gzFile labels,
                            const char *labels_path, const idx_shape *shape,
                            nnc_dataset **out)
{
    int rows = (int)shape->count, n_classes = 0, *classes = NULL;
    uint64_t n_pixels = shape->count * shape->item_bytes;
    unsigned char *label_bytes = NULL, *pixels = NULL;
    nnc_dataset *data = NULL;
    nnc_status st = read_all(labels, labels_path, shape->count, "labels", &label_bytes);
    if (st == NNC_OK)
        st = expect_end(labels, labels_path);
    if (st == NNC_OK)
        st = read_all(images, images_path, n_pixels, "pixels", &pixels);
    if (st == NNC_OK)
        st = expect_end(images, images_path);
    if (st == NNC_OK)
        st = classes_of(label_bytes, rows, &classes, &n_classes);
    if (st == NNC_OK) {
        data = nnc_dataset_alloc(rows, (int)shape->item_bytes,
                                 nnc_targets_for_classes(n_classes), 1);
        st = data != NULL ? NNC_OK : NNC_ENOMEM;
    }
    if (st == NNC_OK) {
        memcpy(data->bytes, pixels, (size_t)n_pixels);
        st = nnc_dataset_set_classes(data, classes, n_classes, NULL);
    }
    if (st == NNC_OK)
        st = name_target(data, "label");
    free(label_bytes);
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
    gzFile images = NULL, labels = NULL;
    idx_shape shape;
    nnc_status st = open_idx(images_path, &images);
    if (st == NNC_OK)
        st = open_idx(labels_path, &labels);
    if (st == NNC_OK)
        st = read_shapes(images, images_path, labels, labels_path, &shape);
    if (st == NNC_OK)
        st = read_data(images, images_path, labels, labels_path, &shape, out);
    if (images != NULL)
        gzclose(images);
    if (labels != NULL)
        gzclose(labels);
    return st;
}

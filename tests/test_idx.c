/*
 * test_idx.c - the IDX loader: tiny files with known pixels, raw and gzip,
 * every way such a file can be broken, and the real Fashion-MNIST test set.
 *
 * The small files are written by the test itself into a fresh temporary
 * directory (through zlib, like the loader reads them), so the damaged ones
 * are described here in code rather than committed as opaque binaries.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nnc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define FASHION_DIR "/usr/share/datasets/fashion-mnist/"

static char tmp_dir[] = "/tmp/nnc-test-idx-XXXXXX";
static char created[64][256];   /* files to remove at the end */
static int n_created;

/* The tiny images: three 2 x 3 images, and their labels. */
static const unsigned char PIXELS[18] = {0,  255, 128, 1,  2,  3,  10, 20, 30,
                                         40, 50,  60,  255, 254, 0, 0, 7, 9};
static const unsigned char LABELS[3] = {0, 2, 1};

/* ------------------------------------------------------------- file helpers */

/* The path of name inside the temporary directory (a rotating buffer, so a
 * few can be alive at once). */
static const char *path_of(const char *name)
{
    static char paths[4][256];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 256, "%s/%s", tmp_dir, name);
    return p;
}

static void remember(const char *path)
{
    for (int i = 0; i < n_created; i++)
        if (strcmp(created[i], path) == 0)
            return;
    assert_true(n_created < 64);
    snprintf(created[n_created++], 256, "%s", path);
}

/* Writes bytes as name: gzip-compressed when gz, else as they are. */
static const char *write_file(const char *name, const void *bytes, size_t n, int gz)
{
    const char *path = path_of(name);
    gzFile f = gzopen(path, gz ? "wb9" : "wbT");   /* T: no compression */
    assert_non_null(f);
    assert_int_equal(gzwrite(f, bytes, (unsigned)n), (int)n);
    assert_int_equal(gzclose(f), Z_OK);
    remember(path);
    return path;
}

/* Writes an IDX file: the magic, the sizes, then n data bytes. */
static const char *write_idx(const char *name, int gz, int type, int ndim,
                             const uint32_t *dims, const unsigned char *data, size_t n)
{
    unsigned char buf[4096];
    size_t len = 0;
    buf[len++] = 0;
    buf[len++] = 0;
    buf[len++] = (unsigned char)type;
    buf[len++] = (unsigned char)ndim;
    for (int d = 0; d < ndim; d++)
        for (int shift = 24; shift >= 0; shift -= 8)
            buf[len++] = (unsigned char)(dims[d] >> shift);
    assert_true(len + n <= sizeof buf);
    if (n > 0)
        memcpy(buf + len, data, n);
    return write_file(name, buf, len + n, gz);
}

/* The tiny images and labels, raw or gzipped. */
static const char *tiny_images(const char *name, int gz)
{
    uint32_t dims[3] = {3, 2, 3};
    return write_idx(name, gz, 0x08, 3, dims, PIXELS, sizeof PIXELS);
}

static const char *tiny_labels(const char *name, int gz, const unsigned char *labels)
{
    uint32_t dims[1] = {3};
    return write_idx(name, gz, 0x08, 1, dims, labels, 3);
}

/* Keeps only the first keep bytes of a file (or drops the last -keep). */
static void cut_file(const char *path, long keep)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    size_t kept = keep >= 0 ? (size_t)keep : n - (size_t)-keep;
    assert_true(kept < n);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, kept, f), kept);
    fclose(f);
}

/* Flips the bits of one byte of a file. */
static void flip_byte(const char *path, long at)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, at, SEEK_SET), 0);
    int c = fgetc(f);
    assert_int_not_equal(c, EOF);
    assert_int_equal(fseek(f, at, SEEK_SET), 0);
    fputc(c ^ 0xFF, f);
    fclose(f);
}

/* Loading fails with status and exactly the message expected. */
static void expect_failure(const char *images, const char *labels, nnc_status status,
                           const char *expected)
{
    nnc_dataset *data = (nnc_dataset *)1;
    nnc_status st = nnc_dataset_load_idx(images, labels, &data);
    if (st != status || strcmp(nnc_last_error(), expected) != 0)
        print_error("status %d, message:\n  %s\nexpected %d:\n  %s\n", (int)st,
                    nnc_last_error(), (int)status, expected);
    assert_int_equal(st, status);
    assert_null(data);
    assert_string_equal(nnc_last_error(), expected);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmp_dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < n_created; i++)
        remove(created[i]);
    return rmdir(tmp_dir);
}

/* ----------------------------------------------------------- good files */

/* The tiny set holds its pixels as bytes and gathers them as byte / 255. */
static void check_tiny(const nnc_dataset *data)
{
    assert_int_equal(nnc_dataset_rows(data), 3);
    assert_int_equal(nnc_dataset_inputs(data), 6);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_CLASSIFICATION);
    assert_int_equal(nnc_dataset_classes(data), 3);
    assert_int_equal(nnc_dataset_targets(data), 3);
    assert_string_equal(nnc_dataset_class_label(data, 0), "0");
    assert_string_equal(nnc_dataset_class_label(data, 2), "2");
    assert_string_equal(nnc_dataset_input_name(data, 5), "x5");
    assert_string_equal(nnc_dataset_target_name(data), "label");
    size_t index[3] = {0, 1, 2};
    float x[18], y[9];
    assert_int_equal(nnc_dataset_gather(data, index, 3, x, y), NNC_OK);
    for (int i = 0; i < 18; i++)
        assert_float_equal(x[i], PIXELS[i] / 255.0f, 1e-7);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(nnc_dataset_class_of(data, i), LABELS[i]);
        for (int k = 0; k < 3; k++)
            assert_float_equal(y[i * 3 + k], k == LABELS[i] ? 1.0f : 0.0f, 0);
    }
}

static void test_raw_round_trip(void **state)
{
    (void)state;
    nnc_dataset *data = NULL;
    assert_int_equal(nnc_dataset_load_idx(tiny_images("raw-images", 0),
                                          tiny_labels("raw-labels", 0, LABELS), &data),
                     NNC_OK);
    check_tiny(data);
    nnc_dataset_free(data);
}

static void test_gzip_round_trip(void **state)
{
    (void)state;
    nnc_dataset *data = NULL;
    assert_int_equal(nnc_dataset_load_idx(tiny_images("images.gz", 1),
                                          tiny_labels("labels.gz", 1, LABELS), &data),
                     NNC_OK);
    check_tiny(data);
    nnc_dataset_free(data);
}

/* A raw images file goes with a gzipped labels file: each is read as it is. */
static void test_mixed_compression(void **state)
{
    (void)state;
    nnc_dataset *data = NULL;
    assert_int_equal(nnc_dataset_load_idx(tiny_images("mixed-images", 0),
                                          tiny_labels("mixed-labels.gz", 1, LABELS), &data),
                     NNC_OK);
    check_tiny(data);
    nnc_dataset_free(data);
}

/* Any number of image dimensions: (count, 1, 2, 3) is six inputs, and
 * (count, 6) too. */
static void test_other_dimensions(void **state)
{
    (void)state;
    const char *labels = tiny_labels("dims-labels", 0, LABELS);
    uint32_t four[4] = {3, 1, 2, 3}, two[2] = {3, 6};
    const char *paths[2] = {write_idx("dims4", 0, 0x08, 4, four, PIXELS, 18),
                            write_idx("dims2", 0, 0x08, 2, two, PIXELS, 18)};
    for (int i = 0; i < 2; i++) {
        nnc_dataset *data = NULL;
        assert_int_equal(nnc_dataset_load_idx(paths[i], labels, &data), NNC_OK);
        check_tiny(data);
        nnc_dataset_free(data);
    }
}

/* Two labels make one 0/1 target column. */
static void test_label_counts(void **state)
{
    (void)state;
    const unsigned char binary[3] = {1, 0, 1};
    const char *images = tiny_images("count-images", 0);
    nnc_dataset *data = NULL;
    assert_int_equal(nnc_dataset_load_idx(images, tiny_labels("binary", 0, binary), &data),
                     NNC_OK);
    assert_int_equal(nnc_dataset_classes(data), 2);
    assert_int_equal(nnc_dataset_targets(data), 1);
    size_t index[3] = {0, 1, 2};
    float y[3];
    assert_int_equal(nnc_dataset_gather(data, index, 3, NULL, y), NNC_OK);
    assert_float_equal(y[0], 1.0f, 0);
    assert_float_equal(y[1], 0.0f, 0);
    assert_float_equal(y[2], 1.0f, 0);
    assert_string_equal(nnc_dataset_class_label(data, 1), "1");
    nnc_dataset_free(data);
}

/* Labels of one class are refused, as a CSV target of one class is: they
 * used to load as two classes, one of them without an example. */
static void test_one_class(void **state)
{
    (void)state;
    const unsigned char same[3] = {0, 0, 0}, threes[3] = {3, 3, 3};
    const char *images = tiny_images("one-class-images", 0);
    const char *labels = tiny_labels("one-class", 0, same);
    char expected[400];
    snprintf(expected, sizeof expected, "%s: only one class '0' in the 3 labels", labels);
    expect_failure(images, labels, NNC_EFORMAT, expected);
    labels = tiny_labels("one-class-3.gz", 1, threes);
    snprintf(expected, sizeof expected, "%s: only one class '3' in the 3 labels", labels);
    expect_failure(images, labels, NNC_EFORMAT, expected);
}

/* A label beyond classes that never occur: 255 among the digits made 256
 * classes, 246 of them without an example. The message names the first
 * item with the label after the gap (items count from 1). */
static void test_label_gaps(void **state)
{
    (void)state;
    unsigned char pixels[11 * 6] = {0}, digits[11] = {0, 1, 2, 3, 4, 5, 6, 255, 7, 8, 9};
    uint32_t image_dims[3] = {11, 2, 3}, label_dims[1] = {11};
    const char *images = write_idx("gap-images", 0, 0x08, 3, image_dims, pixels, sizeof pixels);
    const char *labels = write_idx("gap-labels", 0, 0x08, 1, label_dims, digits, 11);
    char expected[400];
    snprintf(expected, sizeof expected,
             "%s: item 8 of 11 has label 255, but labels 10 to 254 never occur: each class up "
             "to the largest label needs an example (is the file damaged?)", labels);
    expect_failure(images, labels, NNC_EFORMAT, expected);
    /* the same digits without the 255: eleven items of ten classes */
    digits[7] = 3;
    labels = write_idx("gap-none", 0, 0x08, 1, label_dims, digits, 11);
    nnc_dataset *data = NULL;
    assert_int_equal(nnc_dataset_load_idx(images, labels, &data), NNC_OK);
    assert_int_equal(nnc_dataset_classes(data), 10);
    assert_int_equal(nnc_dataset_targets(data), 10);
    assert_int_equal(nnc_dataset_class_of(data, 7), 3);
    assert_int_equal(nnc_dataset_class_of(data, 10), 9);
    nnc_dataset_free(data);
    /* one class missing in the middle, and class 0 missing */
    const unsigned char skip_one[3] = {0, 2, 0}, no_zero[3] = {1, 2, 2};
    images = tiny_images("gap-tiny-images", 0);
    labels = tiny_labels("gap-one", 0, skip_one);
    snprintf(expected, sizeof expected,
             "%s: item 2 of 3 has label 2, but label 1 never occurs: each class up to the "
             "largest label needs an example (is the file damaged?)", labels);
    expect_failure(images, labels, NNC_EFORMAT, expected);
    labels = tiny_labels("gap-zero", 0, no_zero);
    snprintf(expected, sizeof expected,
             "%s: item 1 of 3 has label 1, but label 0 never occurs: each class up to the "
             "largest label needs an example (is the file damaged?)", labels);
    expect_failure(images, labels, NNC_EFORMAT, expected);
}

/* ------------------------------------------------------------ bad files */

static void test_missing_files(void **state)
{
    (void)state;
    const char *labels = tiny_labels("present-labels", 0, LABELS);
    const char *images = tiny_images("present-images", 0);
    char missing[300], expected[400];
    snprintf(missing, sizeof missing, "%s", path_of("no-such-file"));
    snprintf(expected, sizeof expected, "%s: cannot open: No such file or directory", missing);
    expect_failure(missing, labels, NNC_EIO, expected);
    expect_failure(images, missing, NNC_EIO, expected);
    snprintf(expected, sizeof expected, "%s: cannot read: Is a directory", tmp_dir);
    expect_failure(tmp_dir, labels, NNC_EIO, expected);
}

static void test_null_arguments(void **state)
{
    (void)state;
    nnc_dataset *data = NULL;
    assert_int_equal(nnc_dataset_load_idx(NULL, "x", &data), NNC_EINVAL);
    assert_int_equal(nnc_dataset_load_idx("x", NULL, &data), NNC_EINVAL);
    assert_int_equal(nnc_dataset_load_idx("x", "y", NULL), NNC_EINVAL);
}

static void test_wrong_magic(void **state)
{
    (void)state;
    const char *labels = tiny_labels("magic-labels", 0, LABELS);
    const char *text = write_file("not-idx.csv", "a,b\n1,2\n", 8, 0);
    char expected[400];
    snprintf(expected, sizeof expected, "%s: not an IDX file (magic 0x612c620a)", text);
    expect_failure(text, labels, NNC_EFORMAT, expected);
    /* a gzip file inside a gzip file: the outer layer is all zlib undoes */
    unsigned char gz_magic[8] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0};
    const char *nested = write_file("nested.gz", gz_magic, 8, 1);
    snprintf(expected, sizeof expected, "%s: not an IDX file (magic 0x1f8b0800)", nested);
    expect_failure(nested, labels, NNC_EFORMAT, expected);
}

static void test_unsupported_type(void **state)
{
    (void)state;
    uint32_t dims[3] = {3, 2, 3};
    const char *floats = write_idx("floats", 0, 0x0D, 3, dims, PIXELS, 18);
    const char *labels = tiny_labels("type-labels", 0, LABELS);
    char expected[400];
    snprintf(expected, sizeof expected,
             "%s: IDX type 0x0d (float) is not supported; only unsigned bytes (0x08) are",
             floats);
    expect_failure(floats, labels, NNC_EFORMAT, expected);
    const char *odd = write_idx("odd-type", 0, 0x42, 3, dims, PIXELS, 18);
    snprintf(expected, sizeof expected,
             "%s: IDX type 0x42 (unknown) is not supported; only unsigned bytes (0x08) are",
             odd);
    expect_failure(odd, labels, NNC_EFORMAT, expected);
}

/* The files swapped: labels have one dimension, images at least two. */
static void test_swapped_files(void **state)
{
    (void)state;
    const char *images = tiny_images("swap-images", 0);
    const char *labels = tiny_labels("swap-labels", 0, LABELS);
    char expected[400];
    snprintf(expected, sizeof expected,
             "%s: 1 dimension(s); an IDX images file has at least 2", labels);
    expect_failure(labels, images, NNC_EFORMAT, expected);
    snprintf(expected, sizeof expected,
             "%s: 3 dimension(s); an IDX labels file has exactly 1", images);
    expect_failure(images, images, NNC_EFORMAT, expected);
}

static void test_counts_disagree(void **state)
{
    (void)state;
    uint32_t dims[1] = {2};
    const char *images = tiny_images("count-images-3", 0);
    const char *labels = write_idx("labels-2", 0, 0x08, 1, dims, LABELS, 2);
    char expected[600];
    snprintf(expected, sizeof expected, "%s holds 3 images but %s holds 2 labels", images,
             labels);
    expect_failure(images, labels, NNC_EFORMAT, expected);
}

static void test_truncated_raw(void **state)
{
    (void)state;
    const char *labels = tiny_labels("trunc-labels", 0, LABELS);
    const char *images = tiny_images("trunc-images", 0);
    char expected[400];
    cut_file(images, 16 + 10);   /* the header and 10 of 18 pixels */
    snprintf(expected, sizeof expected,
             "%s: truncated: expected 18 bytes of pixels, found 10", images);
    expect_failure(images, labels, NNC_EFORMAT, expected);
    cut_file(images, 9);   /* inside the sizes */
    snprintf(expected, sizeof expected,
             "%s: truncated: expected 12 bytes of header, found 5", images);
    expect_failure(images, labels, NNC_EFORMAT, expected);
    cut_file(images, 0);   /* empty */
    snprintf(expected, sizeof expected,
             "%s: truncated: expected 4 bytes of header, found 0", images);
    expect_failure(images, labels, NNC_EFORMAT, expected);
    images = tiny_images("trunc-images-2", 0);
    cut_file(labels, 8 + 2);
    snprintf(expected, sizeof expected, "%s: truncated: expected 3 bytes of labels, found 2",
             labels);
    expect_failure(images, labels, NNC_EFORMAT, expected);
}

/* A gzip file cut short: just its trailer (the data all decompresses, but
 * the stream has no end), or deep into the data. */
static void test_truncated_gzip(void **state)
{
    (void)state;
    const char *labels = tiny_labels("gz-trunc-labels.gz", 1, LABELS);
    char expected[400];
    const char *images = tiny_images("gz-trunc-trailer.gz", 1);
    cut_file(images, -4);
    snprintf(expected, sizeof expected, "%s: damaged gzip data: unexpected end of file",
             images);
    expect_failure(images, labels, NNC_EFORMAT, expected);
    images = tiny_images("gz-trunc-data.gz", 1);
    cut_file(images, 20);   /* the 10-byte gzip header and a little deflate data */
    snprintf(expected, sizeof expected, "%s: damaged gzip data: unexpected end of file",
             images);
    expect_failure(images, labels, NNC_EFORMAT, expected);
}

/* A flipped byte in the CRC-32 of the gzip trailer. */
static void test_corrupt_gzip(void **state)
{
    (void)state;
    const char *labels = tiny_labels("gz-crc-labels.gz", 1, LABELS);
    const char *images = tiny_images("gz-crc-images.gz", 1);
    FILE *f = fopen(images, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    fclose(f);
    flip_byte(images, size - 8);
    char expected[400];
    snprintf(expected, sizeof expected, "%s: damaged gzip data: incorrect data check", images);
    expect_failure(images, labels, NNC_EFORMAT, expected);
}

/* Appends n bytes to the file at path. */
static void append_bytes(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Loading fails because bad (images or labels) has bytes after its gzip data. */
static void expect_garbage(const char *images, const char *labels, const char *bad)
{
    char expected[400];
    snprintf(expected, sizeof expected,
             "%s: damaged gzip data: trailing garbage after the end of the compressed data", bad);
    expect_failure(images, labels, NNC_EFORMAT, expected);
}

/* Bytes after the end of a gzip stream: zlib's gzread skipped them in
 * silence, so a damaged or doubled file loaded as if whole. */
static void test_gzip_trailing_garbage(void **state)
{
    (void)state;
    const char *labels = tiny_labels("garbage-after-labels.gz", 1, LABELS);
    const char *images = tiny_images("garbage-after.gz", 1);
    append_bytes(images, "junk", 4);
    expect_garbage(images, labels, images);
    /* one stray byte, even the first of a gzip magic, is garbage too */
    images = tiny_images("garbage-byte.gz", 1);
    append_bytes(images, "\x1f", 1);
    expect_garbage(images, labels, images);
    /* and after the labels */
    images = tiny_images("garbage-ok.gz", 1);
    append_bytes(labels, "\0\0\0\0", 4);
    expect_garbage(images, labels, labels);
}

/* gzip files may be concatenated (cat a.gz b.gz): the members are one
 * stream, here an images file cut in two after its header. */
static void test_gzip_members(void **state)
{
    (void)state;
    unsigned char whole[16 + 18];
    const unsigned char head[16] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 3};
    memcpy(whole, head, 16);
    memcpy(whole + 16, PIXELS, 18);
    const char *images = write_file("members.gz", whole, 16, 1);
    const char *second = write_file("members-2.gz", whole + 16, 18, 1);
    FILE *f = fopen(second, "rb");
    assert_non_null(f);
    unsigned char buf[256];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    append_bytes(images, buf, n);
    nnc_dataset *data = NULL;
    assert_int_equal(nnc_dataset_load_idx(images, tiny_labels("members-labels", 0, LABELS),
                                          &data),
                     NNC_OK);
    check_tiny(data);
    nnc_dataset_free(data);
}

static void test_trailing_data(void **state)
{
    (void)state;
    uint32_t dims[3] = {3, 2, 3};
    unsigned char more[19];
    memcpy(more, PIXELS, 18);
    more[18] = 99;
    const char *images = write_idx("trailing", 0, 0x08, 3, dims, more, 19);
    const char *labels = tiny_labels("trailing-labels", 0, LABELS);
    char expected[400];
    snprintf(expected, sizeof expected, "%s: more data than the header describes", images);
    expect_failure(images, labels, NNC_EFORMAT, expected);
    images = tiny_images("trailing-ok", 0);
    unsigned char four[4] = {0, 1, 2, 3};
    uint32_t four_dims[1] = {3};
    labels = write_idx("trailing-labels-4", 0, 0x08, 1, four_dims, four, 4);
    snprintf(expected, sizeof expected, "%s: more data than the header describes", labels);
    expect_failure(images, labels, NNC_EFORMAT, expected);
}

/* Sizes no real file has are refused from the header alone, before any
 * allocation (the files hold nothing after their headers). */
static void test_absurd_sizes(void **state)
{
    (void)state;
    const char *labels = tiny_labels("absurd-labels", 0, LABELS);
    char expected[400];
    uint32_t huge[3] = {3, 65536, 65536};
    const char *images = write_idx("absurd", 0, 0x08, 3, huge, NULL, 0);
    snprintf(expected, sizeof expected,
             "%s: images sizes 3 x 65536 x 65536 are too large (at most 2147483647 bytes, "
             "16777216 per item)", images);
    expect_failure(images, labels, NNC_EFORMAT, expected);
    uint32_t wide[2] = {3, 20000000};
    images = write_idx("absurd-wide", 0, 0x08, 2, wide, NULL, 0);
    snprintf(expected, sizeof expected,
             "%s: images sizes 3 x 20000000 are too large (at most 2147483647 bytes, "
             "16777216 per item)", images);
    expect_failure(images, labels, NNC_EFORMAT, expected);
    uint32_t max[5] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
    images = write_idx("absurd-max", 0, 0x08, 5, max, NULL, 0);
    snprintf(expected, sizeof expected,
             "%s: images sizes 4294967295 x 4294967295 x 4294967295 x 4294967295 ... are "
             "too large (at most 2147483647 bytes, 16777216 per item)", images);
    expect_failure(images, labels, NNC_EFORMAT, expected);
    uint32_t zero[3] = {3, 0, 3};
    images = write_idx("zero", 0, 0x08, 3, zero, NULL, 0);
    snprintf(expected, sizeof expected, "%s: dimension 2 has size 0", images);
    expect_failure(images, labels, NNC_EFORMAT, expected);
    uint32_t many[1] = {0x7FFFFFFFu + 1u};
    const char *many_labels = write_idx("absurd-labels-count", 0, 0x08, 1, many, NULL, 0);
    snprintf(expected, sizeof expected,
             "%s: labels sizes 2147483648 are too large (at most 2147483647 bytes, "
             "16777216 per item)", many_labels);
    expect_failure(tiny_images("absurd-ok-images", 0), many_labels, NNC_EFORMAT, expected);
}

/* Bytes that are not an IDX file at all, of every short length, never crash. */
static void test_short_garbage(void **state)
{
    (void)state;
    const char *labels = tiny_labels("garbage-labels", 0, LABELS);
    unsigned char bytes[40];
    uint32_t seed = 12345;
    for (int trial = 0; trial < 400; trial++) {
        size_t n = (size_t)(trial % 40);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            bytes[i] = (unsigned char)(seed >> 16);
        }
        if (n >= 4 && trial % 3 == 0) {   /* a plausible header with random sizes */
            bytes[0] = bytes[1] = 0;
            bytes[2] = 0x08;
            bytes[3] = (unsigned char)(1 + trial % 4);
        }
        const char *path = write_file("garbage", bytes, n, trial % 2);
        nnc_dataset *data = NULL;
        nnc_status st = nnc_dataset_load_idx(path, labels, &data);
        assert_true(st == NNC_OK || st == NNC_EFORMAT);
        assert_true(st != NNC_OK || data != NULL);
        if (st != NNC_OK)
            assert_true(strncmp(nnc_last_error(), path, strlen(path)) == 0);
        nnc_dataset_free(data);
    }
}

/* ---------------------------------------------------------- Fashion-MNIST */

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) * 1e-9;
}

/* The Fashion-MNIST test set from the dataset-fashion-mnist package, gzipped
 * as installed: 10,000 28 x 28 images, 1,000 of each of 10 classes. The sums
 * and labels come from reading the same files with Python's gzip module. */
static void test_fashion_mnist_t10k(void **state)
{
    (void)state;
    const char *images = FASHION_DIR "t10k-images-idx3-ubyte.gz";
    const char *labels = FASHION_DIR "t10k-labels-idx1-ubyte.gz";
    if (access(images, R_OK) != 0 || access(labels, R_OK) != 0)
        fail_msg("%s is missing: install the Debian package dataset-fashion-mnist", images);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    nnc_dataset *data = NULL;
    assert_int_equal(nnc_dataset_load_idx(images, labels, &data), NNC_OK);
    double seconds = seconds_since(&start);
    print_message("Fashion-MNIST t10k loaded in %.3f s\n", seconds);
    assert_true(seconds < 2.0);   /* about 0.05 s; generous for sanitizer builds */
    assert_int_equal(nnc_dataset_rows(data), 10000);
    assert_int_equal(nnc_dataset_inputs(data), 784);
    assert_int_equal(nnc_dataset_classes(data), 10);
    assert_int_equal(nnc_dataset_targets(data), 10);
    int per_class[10] = {0};
    for (int i = 0; i < 10000; i++)
        per_class[nnc_dataset_class_of(data, i)]++;
    for (int k = 0; k < 10; k++)
        assert_int_equal(per_class[k], 1000);
    const int first[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
    for (int i = 0; i < 10; i++)
        assert_int_equal(nnc_dataset_class_of(data, i), first[i]);
    size_t index[2] = {0, 9999};
    float *x = malloc(2 * 784 * sizeof *x);
    assert_non_null(x);
    assert_int_equal(nnc_dataset_gather(data, index, 2, x, NULL), NNC_OK);
    double sums[2] = {0, 0};
    for (int i = 0; i < 2 * 784; i++) {
        assert_true(x[i] >= 0.0f && x[i] <= 1.0f);
        sums[i / 784] += x[i] * 255.0;
    }
    assert_float_equal(sums[0], 33456, 0.01);
    assert_float_equal(sums[1], 24390, 0.01);
    assert_float_equal(x[14 * 28 + 12], 98 / 255.0f, 1e-7);
    free(x);
    nnc_dataset_free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_round_trip),
        cmocka_unit_test(test_gzip_round_trip),
        cmocka_unit_test(test_mixed_compression),
        cmocka_unit_test(test_other_dimensions),
        cmocka_unit_test(test_label_counts),
        cmocka_unit_test(test_one_class),
        cmocka_unit_test(test_label_gaps),
        cmocka_unit_test(test_missing_files),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_wrong_magic),
        cmocka_unit_test(test_unsupported_type),
        cmocka_unit_test(test_swapped_files),
        cmocka_unit_test(test_counts_disagree),
        cmocka_unit_test(test_truncated_raw),
        cmocka_unit_test(test_truncated_gzip),
        cmocka_unit_test(test_corrupt_gzip),
        cmocka_unit_test(test_trailing_data),
        cmocka_unit_test(test_gzip_trailing_garbage),
        cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_absurd_sizes),
        cmocka_unit_test(test_short_garbage),
        cmocka_unit_test(test_fashion_mnist_t10k),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_shape.c - the shape of an instance: reading and writing "1x8x8",
 * data sets that keep their shape (IDX images, subsets, splits,
 * normalisation) and refuse one that does not hold their inputs, and
 * `nnc train --input-shape` and `nnc info` in the real program.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli_support.h"
#include "nnc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void assert_shape(nnc_shape s, int c, int h, int w)
{
    if (s.channels != c || s.height != h || s.width != w)
        fail_msg("shape %dx%dx%d, wanted %dx%dx%d", s.channels, s.height, s.width, c, h, w);
}

/* ------------------------------------------------------------ the text */

typedef struct good_text {
    const char *text;
    int c, h, w;
} good_text;

static const good_text good_texts[] = {
    { "1x8x8", 1, 8, 8 },
    { "3x32x32", 3, 32, 32 },
    { "8x8", 1, 8, 8 },          /* one channel */
    { "64", 64, 1, 1 },          /* a plain vector */
    { "16777216", 16777216, 1, 1 },
    { "1x4096x4096", 1, 4096, 4096 },   /* exactly the most values */
    { "007x1x1", 7, 1, 1 },      /* leading zeros are still digits */
};

static void test_good_texts_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good_texts / sizeof good_texts[0]; i++) {
        const good_text *g = &good_texts[i];
        nnc_shape s = { 0, 0, 0 };
        if (nnc_shape_parse(g->text, &s) != NNC_OK)
            fail_msg("'%s' refused: %s", g->text, nnc_last_error());
        assert_shape(s, g->c, g->h, g->w);
    }
}

static const bad_text bad_texts[] = {
    { "", 1, "empty; expected CxHxW, HxW or N" },
    { "1xx8", 3, "a dimension is missing" },
    { "8x", 3, "a dimension is missing" },
    { "x8", 1, "a dimension is missing" },
    { "1xax8", 3, "a dimension must be a whole number from 1 to 16777216, got 'a'" },
    { "1x0x8", 3, "got '0'" },
    { "1x8x8x2", 6, "at most three dimensions" },
    { "1x8x8x", 6, "at most three dimensions" },
    { "-1x8", 1, "got '-1'" },
    { " 1x8", 1, "got ' 1'" },
    { "1x8 ", 3, "got '8 '" },
    { "1X8X8", 1, "got '1X8X8'" },
    { "2.5x4", 1, "got '2.5'" },
    { "16777217", 1, "got '16777217'" },
    { "1x99999999999", 3, "got '99999999999'" },
    { "4096x4096x2", 1, "the dimensions multiply to more than 16777216 values" },
    { "16777216x16777216x16777216", 1, "multiply to more than" },
};

static void test_bad_texts_name_their_column(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_texts / sizeof bad_texts[0]; i++) {
        const bad_text *b = &bad_texts[i];
        nnc_shape s = { 5, 6, 7 };
        expect_bad_text(b, nnc_shape_parse(b->text, &s), "shape");
        char quoted[128];   /* the whole text, as the user typed it */
        snprintf(quoted, sizeof quoted, "'%s': ", b->text);
        if (strstr(nnc_last_error(), quoted) == NULL)
            fail_msg("'%s': the message '%s' does not quote it", b->text, nnc_last_error());
        assert_shape(s, 5, 6, 7);   /* untouched */
    }
    nnc_shape s;
    assert_int_equal(nnc_shape_parse(NULL, &s), NNC_EINVAL);
    assert_int_equal(nnc_shape_parse("1x8x8", NULL), NNC_EINVAL);
}

/* A long text is quoted cut short, so the message keeps its point. */
static void test_a_long_text_is_quoted_short(void **state)
{
    (void)state;
    char text[300];
    memset(text, '1', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    nnc_shape s;
    assert_int_equal(nnc_shape_parse(text, &s), NNC_EINVAL);
    const char *msg = nnc_last_error();
    assert_non_null(strstr(msg, "shape: column 1, '"));
    assert_non_null(strstr(msg, "...': a dimension must be a whole number"));
    assert_true(strlen(msg) < 300);
}

static void test_format_writes_all_three_and_reads_back(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(nnc_shape_format((nnc_shape){ 1, 28, 28 }, buf, sizeof buf), 7);
    assert_string_equal(buf, "1x28x28");
    assert_int_equal(nnc_shape_format((nnc_shape){ 64, 1, 1 }, buf, sizeof buf), 6);
    assert_string_equal(buf, "64x1x1");
    nnc_shape back;
    assert_int_equal(nnc_shape_parse(buf, &back), NNC_OK);
    assert_shape(back, 64, 1, 1);
    /* Cut short like snprintf, still terminated, the full length returned. */
    char small[4];
    assert_int_equal(nnc_shape_format((nnc_shape){ 3, 32, 32 }, small, sizeof small), 7);
    assert_string_equal(small, "3x3");
}

/* ----------------------------------------------------------- data sets */

static nnc_dataset *digits_like(int rows)
{
    float *x = calloc((size_t)rows * 64, sizeof *x);
    int *classes = malloc((size_t)rows * sizeof *classes);
    assert_non_null(x);
    assert_non_null(classes);
    for (int i = 0; i < rows; i++) {
        classes[i] = i % 3;
        for (int j = 0; j < 64; j++)
            x[i * 64 + j] = (float)((i * 7 + j) % 17);
    }
    nnc_dataset *data = nnc_dataset_from_classes(x, classes, rows, 64, 3, NULL);
    assert_non_null(data);
    free(x);
    free(classes);
    return data;
}

static void test_set_shape_holds_exactly_the_inputs(void **state)
{
    (void)state;
    nnc_dataset *data = digits_like(30);
    assert_shape(nnc_dataset_shape(data), 64, 1, 1);   /* a vector until told */
    assert_int_equal(nnc_dataset_set_shape(data, (nnc_shape){ 1, 8, 8 }), NNC_OK);
    assert_shape(nnc_dataset_shape(data), 1, 8, 8);
    assert_int_equal(nnc_dataset_inputs(data), 64);

    /* The wrong product is refused and changes nothing. */
    assert_int_equal(nnc_dataset_set_shape(data, (nnc_shape){ 1, 8, 9 }), NNC_EINVAL);
    assert_string_equal(nnc_last_error(),
                        "dataset shape: 1x8x9 holds 72 values, but the data has 64 inputs");
    assert_shape(nnc_dataset_shape(data), 1, 8, 8);
    assert_int_equal(nnc_dataset_set_shape(data, (nnc_shape){ 0, 8, 8 }), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "0x8x8 is not a shape"));
    assert_int_equal(nnc_dataset_set_shape(data, (nnc_shape){ 4096, 4096, -4 }), NNC_EINVAL);
    assert_shape(nnc_dataset_shape(data), 1, 8, 8);
    assert_int_equal(nnc_dataset_set_shape(NULL, (nnc_shape){ 1, 8, 8 }), NNC_EINVAL);
    assert_shape(nnc_dataset_shape(NULL), 0, 0, 0);

    /* Back to a vector, and to another picture of the same values. */
    assert_int_equal(nnc_dataset_set_shape(data, (nnc_shape){ 4, 4, 4 }), NNC_OK);
    assert_shape(nnc_dataset_shape(data), 4, 4, 4);
    nnc_dataset_free(data);
}

/* Whatever makes a data set out of another keeps the shape: subsets,
 * stratified and plain splits, and normalisation in place. */
static void test_copies_and_splits_keep_the_shape(void **state)
{
    (void)state;
    nnc_dataset *data = digits_like(30);
    assert_int_equal(nnc_dataset_set_shape(data, (nnc_shape){ 1, 8, 8 }), NNC_OK);
    size_t index[3] = { 4, 0, 9 };
    nnc_dataset *sub = nnc_dataset_subset(data, index, 3);
    assert_non_null(sub);
    assert_shape(nnc_dataset_shape(sub), 1, 8, 8);
    nnc_dataset_free(sub);

    nnc_rng rng;
    nnc_rng_seed(&rng, 3);
    nnc_dataset *rest = NULL, *part = NULL;
    assert_int_equal(nnc_dataset_split(data, 0.3, &rng, &rest, &part), NNC_OK);
    assert_shape(nnc_dataset_shape(rest), 1, 8, 8);
    assert_shape(nnc_dataset_shape(part), 1, 8, 8);

    nnc_normalizer *norm = nnc_normalizer_fit(rest, NNC_SCALE_STANDARD);
    assert_non_null(norm);
    assert_int_equal(nnc_normalizer_apply(norm, rest), NNC_OK);
    assert_shape(nnc_dataset_shape(rest), 1, 8, 8);
    nnc_normalizer_free(norm);

    /* A network made from the data's shape reads it as such. */
    nnc_net *net = nnc_net_new_shaped(nnc_dataset_shape(rest));
    assert_non_null(net);
    assert_shape(nnc_net_input_shape(net), 1, 8, 8);
    assert_int_equal(nnc_net_inputs(net), nnc_dataset_inputs(rest));
    nnc_net_free(net);
    nnc_dataset_free(rest);
    nnc_dataset_free(part);
    nnc_dataset_free(data);

    /* A regression set from arrays, split without strata. */
    float x[4 * 6] = { 0 }, y[4] = { 1, 2, 3, 4 };
    nnc_dataset *reg = nnc_dataset_from_arrays(x, y, 4, 6, 1);
    assert_non_null(reg);
    assert_int_equal(nnc_dataset_set_shape(reg, (nnc_shape){ 3, 1, 2 }), NNC_OK);
    assert_int_equal(nnc_dataset_split(reg, 0.5, &rng, &rest, &part), NNC_OK);
    assert_shape(nnc_dataset_shape(rest), 3, 1, 2);
    assert_shape(nnc_dataset_shape(part), 3, 1, 2);
    nnc_dataset_free(rest);
    nnc_dataset_free(part);
    nnc_dataset_free(reg);
}

static void test_csv_rows_are_vectors(void **state)
{
    (void)state;
    nnc_csv_options o = nnc_csv_defaults();
    o.target = "target";
    nnc_dataset *data = NULL;
    assert_int_equal(nnc_dataset_load_csv(NNC_TEST_DATA "/iris.csv", &o, &data), NNC_OK);
    assert_shape(nnc_dataset_shape(data), 4, 1, 1);
    nnc_dataset_free(data);
}

/* ----------------------------------------------------------------- IDX */

/* An IDX file of unsigned bytes: the magic, the sizes, then the data. */
static void write_idx(const char *path, int ndim, const uint32_t *dims,
                      const unsigned char *data, size_t n)
{
    size_t head = 4 + 4 * (size_t)ndim;
    unsigned char *buf = malloc(head + n);
    assert_non_null(buf);
    buf[0] = 0;
    buf[1] = 0;
    buf[2] = 0x08;
    buf[3] = (unsigned char)ndim;
    for (int d = 0; d < ndim; d++)
        for (int b = 0; b < 4; b++)
            buf[4 + 4 * d + b] = (unsigned char)(dims[d] >> (24 - 8 * b));
    memcpy(buf + head, data, n);
    write_file(path, buf, head + n);
    free(buf);
}

#define IDX_IMAGES 20

/* IDX_IMAGES images of the given sizes (after the count) and their labels,
 * two classes, into FOLDER/name.images and FOLDER/name.labels. */
static void write_images(const char *name, int ndim, const uint32_t *sizes)
{
    uint32_t dims[8] = { IDX_IMAGES };
    size_t per = 1;
    for (int d = 1; d < ndim; d++)
        per *= (dims[d] = sizes[d - 1]);
    unsigned char *pixels = malloc(IDX_IMAGES * per), labels[IDX_IMAGES];
    assert_non_null(pixels);
    for (size_t i = 0; i < IDX_IMAGES * per; i++)
        pixels[i] = (unsigned char)(i * 37 % 251);
    for (int i = 0; i < IDX_IMAGES; i++)
        labels[i] = (unsigned char)(i % 2);
    char path[300];
    snprintf(path, sizeof path, "%s.images", name);
    write_idx(in_dir(path), ndim, dims, pixels, IDX_IMAGES * per);
    uint32_t count = IDX_IMAGES;
    snprintf(path, sizeof path, "%s.labels", name);
    write_idx(in_dir(path), 1, &count, labels, IDX_IMAGES);
    free(pixels);
}

static nnc_shape load_shape(const char *name)
{
    char images[300], labels[300];
    snprintf(images, sizeof images, "%s", in_dir(name));
    strcat(images, ".images");
    snprintf(labels, sizeof labels, "%s", in_dir(name));
    strcat(labels, ".labels");
    nnc_dataset *data = NULL;
    if (nnc_dataset_load_idx(images, labels, &data) != NNC_OK)
        fail_msg("%s: %s", name, nnc_last_error());
    nnc_shape s = nnc_dataset_shape(data);
    int product = s.channels * s.height * s.width;
    assert_int_equal(product, nnc_dataset_inputs(data));
    /* A split keeps what the file said. */
    nnc_rng rng;
    nnc_rng_seed(&rng, 1);
    nnc_dataset *rest = NULL, *part = NULL;
    assert_int_equal(nnc_dataset_split(data, 0.25, &rng, &rest, &part), NNC_OK);
    assert_shape(nnc_dataset_shape(rest), s.channels, s.height, s.width);
    assert_shape(nnc_dataset_shape(part), s.channels, s.height, s.width);
    nnc_dataset_free(rest);
    nnc_dataset_free(part);
    nnc_dataset_free(data);
    return s;
}

/* (count, 28, 28) is 1x28x28, not 784 in a row; the last two sizes are
 * always height and width, and any before them make the channels. */
static void test_idx_images_keep_their_dimensions(void **state)
{
    (void)state;
    const uint32_t mnist[] = { 28, 28 }, vector[] = { 6 }, rgb[] = { 3, 4, 5 },
                   five[] = { 2, 3, 4, 5 };
    write_images("mnist", 3, mnist);
    write_images("vector", 2, vector);
    write_images("rgb", 4, rgb);
    write_images("five", 5, five);
    nnc_shape s = load_shape("mnist");
    assert_shape(s, 1, 28, 28);
    assert_shape(load_shape("vector"), 6, 1, 1);
    assert_shape(load_shape("rgb"), 3, 4, 5);
    assert_shape(load_shape("five"), 6, 4, 5);
}

/* -------------------------------------------------------- the real program */

static const char *digits(void)
{
    return NNC_TEST_DATA "/digits.csv";
}

#define QUICK "--epochs 2 --patience 0 --layers 16 --quiet"

static void test_cli_input_shape_trains_and_says_so(void **state)
{
    (void)state;
    assert_int_equal(run_nnc("train --data '%s' " QUICK " --input-shape 1x8x8 --out '%s'",
                             digits(), in_dir("d.nnc")),
                     0);
    char *out = slurp(in_dir("stdout"), NULL);
    if (strstr(out, " rows, inputs 64 (1x8x8): ") == NULL)
        fail_msg("no shape in the summary:\n%s", out);
    free(out);

    /* "8x8" is one channel too; "64" is a vector, which the line leaves out. */
    assert_int_equal(run_nnc("train --data '%s' " QUICK " --input-shape 8x8 --out '%s'",
                             digits(), in_dir("e.nnc")),
                     0);
    out = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(out, "inputs 64 (1x8x8)"));
    free(out);
    assert_int_equal(run_nnc("train --data '%s' " QUICK " --input-shape 64 --out '%s'",
                             digits(), in_dir("f.nnc")),
                     0);
    out = slurp(in_dir("stdout"), NULL);
    assert_null(strstr(out, "inputs 64"));
    assert_non_null(strstr(out, " rows: "));
    free(out);

    /* nnc info: the input and every layer's output through the one
     * formatter. A model file of version 1 keeps no input shape, so the
     * loaded network is a vector of 64; a file that keeps it gives 1x8x8. */
    assert_int_equal(run_nnc("info '%s'", in_dir("d.nnc")), 0);
    out = slurp(in_dir("stdout"), NULL);
    if (strstr(out, "  input                       64x1x1\n") == NULL &&
        strstr(out, "  input                       1x8x8\n") == NULL)
        fail_msg("no input shape in:\n%s", out);
    assert_non_null(strstr(out, "  1   dense:16:relu           16x1x1        1040 parameters\n"));
    assert_non_null(strstr(out, "  2   dense:10:softmax        10x1x1        170 parameters\n"));
    free(out);
}

static void test_cli_a_shape_that_does_not_fit_is_refused(void **state)
{
    (void)state;
    /* The product differs from the 64 columns: exit 2, one line, no model,
     * before any training (no progress, no summary). */
    assert_int_equal(run_nnc("train --data '%s' " QUICK " --input-shape 1x8x9 --out '%s'",
                             digits(), in_dir("bad.nnc")),
                     2);
    char *err = slurp(in_dir("stderr"), NULL);
    char want[512];
    snprintf(want, sizeof want,
             "nnc train: --input-shape: %s: dataset shape: 1x8x9 holds 72 values, but the "
             "data has 64 inputs\n", digits());
    assert_string_equal(err, want);
    free(err);
    char *out = slurp(in_dir("stdout"), NULL);
    assert_string_equal(out, "");
    free(out);
    assert_false(exists(in_dir("bad.nnc")));

    /* A text that is no shape: exit 2 as the options are read, naming the column. */
    assert_int_equal(run_nnc("train --data '%s' " QUICK " --input-shape 8x --out '%s'",
                             digits(), in_dir("bad.nnc")),
                     2);
    err = slurp(in_dir("stderr"), NULL);
    assert_string_equal(err, "nnc: --input-shape: column 3, '8x': a dimension is missing\n");
    free(err);
    assert_false(exists(in_dir("bad.nnc")));
}

/* IDX images train as their shape without being told, and a resume with
 * another --input-shape is another run. */
static void test_cli_idx_shape_and_resume(void **state)
{
    (void)state;
    const uint32_t sizes[] = { 4, 3 };
    write_images("tiny", 3, sizes);
    char images[300], labels[300];
    snprintf(images, sizeof images, "%s", in_dir("tiny.images"));
    snprintf(labels, sizeof labels, "%s", in_dir("tiny.labels"));
    assert_int_equal(run_nnc("train --images '%s' --labels '%s' --validation 0 --test 0 "
                             QUICK " --out '%s'", images, labels, in_dir("tiny.nnc")),
                     0);
    char *out = slurp(in_dir("stdout"), NULL);
    if (strstr(out, "on 20 rows, inputs 12 (1x4x3): ") == NULL)
        fail_msg("no shape in the summary:\n%s", out);
    free(out);

    assert_int_equal(run_nnc("train --data '%s' " QUICK " --input-shape 1x8x8 --checkpoint '%s' "
                             "--out '%s'", digits(), in_dir("ck"), in_dir("g.nnc")),
                     0);
    assert_int_equal(run_nnc("train --data '%s' --epochs 3 --patience 0 --layers 16 --quiet "
                             "--input-shape 2x4x8 --resume '%s' --out '%s'",
                             digits(), in_dir("ck"), in_dir("h.nnc")),
                     1);
    char *err = slurp(in_dir("stderr"), NULL);
    /* The checkpoint's network line holds the input shape. */
    if (strstr(err, "it was made with network 1x8x8 -> ") == NULL ||
        strstr(err, "this run has network 2x4x8 -> ") == NULL)
        fail_msg("resume with another shape: %s", err);
    free(err);
    assert_false(exists(in_dir("h.nnc")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_texts_parse),
        cmocka_unit_test(test_bad_texts_name_their_column),
        cmocka_unit_test(test_a_long_text_is_quoted_short),
        cmocka_unit_test(test_format_writes_all_three_and_reads_back),
        cmocka_unit_test(test_set_shape_holds_exactly_the_inputs),
        cmocka_unit_test(test_copies_and_splits_keep_the_shape),
        cmocka_unit_test(test_csv_rows_are_vectors),
        cmocka_unit_test_setup_teardown(test_idx_images_keep_their_dimensions, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_cli_input_shape_trains_and_says_so, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_cli_a_shape_that_does_not_fit_is_refused, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_cli_idx_shape_and_resume, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

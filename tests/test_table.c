/*
 * test_table.c - tables as they really come: missing cells, text columns
 * that are categories, the encoder fitted on a training part and applied to
 * later data, the model that carries it through a file, and the shortest
 * float text the levels and reports are written with.
 *
 * Every expected number here is worked out by hand in the comment beside
 * it; penguins.csv (tests/data) checks the same on a real file.
 */
#define _GNU_SOURCE   /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nnc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char tmp_dir[] = "/tmp/nnc-test-table-XXXXXX";

static const char *path_of(const char *name)
{
    static char paths[4][256];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 256, "%s/%s", tmp_dir, name);
    return p;
}

static const char *write_text(const char *name, const char *text)
{
    const char *path = path_of(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void write_bytes(const char *name, const unsigned char *bytes, size_t n)
{
    FILE *f = fopen(path_of(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static unsigned char *read_all(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    *size = ftell(f);
    rewind(f);
    unsigned char *b = malloc((size_t)*size);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)*size, f), (size_t)*size);
    fclose(f);
    return b;
}

/* Options as nnc train reads a table: missing cells kept, text categorical. */
static nnc_csv_options table_options(const char *target)
{
    nnc_csv_options o = nnc_csv_defaults();
    o.target = target;
    o.keep_missing = 1;
    o.categorical = 1;
    return o;
}

static nnc_dataset *load(const char *path, const nnc_csv_options *o)
{
    nnc_dataset *data = NULL;
    nnc_status st = nnc_dataset_load_csv(path, o, &data);
    if (st != NNC_OK)
        print_error("%s\n", nnc_last_error());
    assert_int_equal(st, NNC_OK);
    return data;
}

/* Loading fails with a message holding every fragment. */
static void expect_refused(const char *path, const nnc_csv_options *o, const char *a,
                           const char *b)
{
    nnc_dataset *data = NULL;
    assert_int_equal(nnc_dataset_load_csv(path, o, &data), NNC_EFORMAT);
    assert_null(data);
    if (strstr(nnc_last_error(), a) == NULL || (b && strstr(nnc_last_error(), b) == NULL))
        fail_msg("'%s' lacks '%s' or '%s'", nnc_last_error(), a, b ? b : "");
}

static float x_at(const nnc_dataset *d, int row, int col)
{
    size_t index = (size_t)row;
    float x[64];
    assert_true(nnc_dataset_inputs(d) <= 64);
    assert_int_equal(nnc_dataset_gather(d, &index, 1, x, NULL), NNC_OK);
    return x[col];
}

/* --------------------------------------------------------- missing cells */

static void test_missing_tokens(void **state)
{
    (void)state;
    const char *missing[] = {"", " ", "NA", "na", "N/A", "n/a", "NaN", "nan", "NULL", "null",
                             "?", " ? ", "\tNA "};
    const char *present[] = {"N", "NAN1", "-", "0", "none", "??", "NA/", "n a", "nil"};
    for (size_t i = 0; i < sizeof missing / sizeof *missing; i++)
        if (!nnc_cell_is_missing(missing[i]))
            fail_msg("'%s' should be missing", missing[i]);
    for (size_t i = 0; i < sizeof present / sizeof *present; i++)
        if (nnc_cell_is_missing(present[i]))
            fail_msg("'%s' should not be missing", present[i]);
}

static void test_missing_cells_and_targets(void **state)
{
    (void)state;
    const char *path = write_text("gaps.csv", "a,b,y\n"
                                              "1,NA,0\n"
                                              ",2,1\n"
                                              "3,4,NA\n"    /* left out: no target */
                                              "null,?,\n"   /* left out too */
                                              "5,6,1\n");
    nnc_csv_options o = table_options(NULL);
    nnc_dataset *d = load(path, &o);
    assert_int_equal(nnc_dataset_rows(d), 3);
    assert_int_equal(nnc_dataset_left_out(d), 2);
    assert_true(isnan(x_at(d, 0, 1)) && isnan(x_at(d, 1, 0)));
    assert_true(x_at(d, 0, 0) == 1.0f && x_at(d, 2, 1) == 6.0f);
    assert_int_equal(nnc_dataset_levels(d, 0), 0);   /* numbers, with gaps */
    nnc_dataset_free(d);

    /* Refused, naming the cell, without keep_missing. */
    o.keep_missing = 0;
    expect_refused(path, &o, "gaps.csv:2:2: column 'b': 'NA' stands for a missing value", NULL);
    o.keep_missing = 1;
    const char *none = write_text("none.csv", "a,y\n1,NA\n2,\n");
    expect_refused(none, &o, "all 2 data rows have a missing target ('y')", NULL);
}

/* ----------------------------------------------------- categorical columns */

static void test_categorical_levels(void **state)
{
    (void)state;
    /* Levels in strcmp order; numbers in a text column are levels by their
     * shortest text ("3.0" and "3" are one level, "3"). */
    const char *path = write_text("cats.csv", "city,size,y\n"
                                              "Paris,3,a\n"
                                              "Lyon,NA,b\n"
                                              "3.0,5,a\n"
                                              "Nice,4,b\n"
                                              ",6,a\n"
                                              "3,7,b\n");
    nnc_csv_options o = table_options(NULL);
    nnc_dataset *d = load(path, &o);
    assert_int_equal(nnc_dataset_levels(d, 0), 4);
    const char *want[] = {"3", "Lyon", "Nice", "Paris"};
    for (int k = 0; k < 4; k++)
        assert_string_equal(nnc_dataset_level(d, 0, k), want[k]);
    assert_null(nnc_dataset_level(d, 0, 4));
    assert_int_equal(nnc_dataset_levels(d, 1), 0);
    float codes[] = {3, 1, 0, 2, NAN, 0};
    for (int i = 0; i < 6; i++) {
        float v = x_at(d, i, 0);
        assert_true(isnan(codes[i]) ? isnan(v) : v == codes[i]);
    }
    nnc_dataset_free(d);

    /* Without categorical, text in an input is refused as before. */
    o.categorical = 0;
    expect_refused(path, &o, "cats.csv:2:1: column 'city': 'Paris' is not a number", NULL);
}

static void test_categorical_refusals(void **state)
{
    (void)state;
    nnc_csv_options o = table_options(NULL);
    /* Mostly numbers: the text is a typo. */
    const char *typo = write_text("typo.csv", "a,y\n1,0\n2,1\nx3,0\n4,1\n");
    expect_refused(typo, &o, "typo.csv:4:1: column 'a': 'x3' is not a number",
                   "most of the column's cells are numbers");
    /* A name per row: an identifier, not a category. */
    char text[4096] = "name,v,y\n";
    for (int i = 0; i < 30; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "row%d,%d,%d\n", i, i, i % 2);
    expect_refused(write_text("ids.csv", text), &o, "ids.csv:1:1: column 'name' has 30 distinct "
                                                    "texts in 30 cells", "identifier");
    /* Kinds given for a model's columns: numbers read as categories, and text
     * in a numeric column refused at once. */
    const char *inputs[] = {"zip", "age"};
    nnc_column_kind kinds[] = {NNC_COLUMN_CATEGORICAL, NNC_COLUMN_NUMERIC};
    o.inputs = inputs;
    o.n_inputs = 2;
    o.input_kinds = kinds;
    o.no_target = 1;
    nnc_dataset *d = load(write_text("kinds.csv", "age,zip\n30,75001\n40,69002.0\n"), &o);
    assert_int_equal(nnc_dataset_levels(d, 0), 2);
    assert_string_equal(nnc_dataset_level(d, 0, 0), "69002");
    assert_string_equal(nnc_dataset_level(d, 0, 1), "75001");
    assert_true(x_at(d, 1, 1) == 40.0f);
    nnc_dataset_free(d);
    expect_refused(write_text("kinds2.csv", "age,zip\nold,75001\n"), &o,
                   "kinds2.csv:2:1: column 'age': 'old' is not a number", NULL);
    kinds[1] = (nnc_column_kind)7;
    d = (nnc_dataset *)1;
    assert_int_equal(nnc_dataset_load_csv(path_of("kinds.csv"), &o, &d), NNC_EINVAL);
}

/* --task classification on numbers: a few values (fractions too) are
 * classes; more than 20 with fewer than 5 rows each are a measurement. */
static void test_measurements_are_not_classes(void **state)
{
    (void)state;
    char text[8192] = "x,y\n";
    for (int i = 0; i < 100; i++)   /* 25 values, 4 rows each */
        snprintf(text + strlen(text), sizeof text - strlen(text), "%d,%g\n", i, (i % 25) / 2.0);
    nnc_csv_options o = nnc_csv_defaults();
    o.task = NNC_TASK_CLASSIFICATION;
    expect_refused(write_text("measure.csv", text), &o,
                   "target column 'y' has 25 distinct numbers in 100 rows, fewer than 5 rows "
                   "a class", "regression");
    char more[8192] = "x,y\n";
    for (int i = 0; i < 125; i++)   /* 25 values, 5 rows each */
        snprintf(more + strlen(more), sizeof more - strlen(more), "%d,%g\n", i, (i % 25) / 2.0);
    nnc_dataset *d = load(write_text("classes.csv", more), &o);
    assert_int_equal(nnc_dataset_classes(d), 25);
    assert_string_equal(nnc_dataset_class_label(d, 1), "0.5");
    nnc_dataset_free(d);
}

/* An id column is kept as text beside each row, through subsets and the
 * encoder, and is never an input. */
static void test_ids(void **state)
{
    (void)state;
    nnc_csv_options o = table_options(NULL);
    o.id = "name";
    nnc_dataset *d = load(write_text("ids.csv", "name,a,y\n  ann ,1,0\n\"b, c\",2,1\nd,3,NA\n"
                                                "e,4,1\n"), &o);
    assert_int_equal(nnc_dataset_inputs(d), 1);
    assert_int_equal(nnc_dataset_rows(d), 3);   /* d has no target */
    assert_string_equal(nnc_dataset_id(d, 0), "ann");
    assert_string_equal(nnc_dataset_id(d, 1), "b, c");
    assert_string_equal(nnc_dataset_id(d, 2), "e");
    assert_null(nnc_dataset_id(d, 3));
    size_t pick[] = {2, 0};
    nnc_dataset *sub = nnc_dataset_subset(d, pick, 2);
    assert_string_equal(nnc_dataset_id(sub, 0), "e");
    nnc_encoder *enc = NULL;
    nnc_dataset *x = NULL;
    assert_int_equal(nnc_encoder_fit(sub, NULL, &enc), NNC_OK);
    assert_int_equal(nnc_encoder_apply(enc, sub, NNC_UNKNOWN_ZEROS, &x, NULL), NNC_OK);
    assert_string_equal(nnc_dataset_id(x, 1), "ann");
    nnc_dataset_free(x);
    nnc_encoder_free(enc);
    nnc_dataset_free(sub);
    nnc_dataset_free(d);
    o.id = "y";
    expect_refused(path_of("ids.csv"), &o, "column 'y' cannot be the id column: it is the target",
                   NULL);
    o.id = "zz";
    expect_refused(path_of("ids.csv"), &o, "unknown id column 'zz'", NULL);
    assert_null(nnc_dataset_id(NULL, 0));
}

/* ----------------------------------------------------------- the encoder */

/* The file of test_categorical_levels without its number level:
 *   city  Paris, Lyon, Paris, Nice, (missing)  -> categories Lyon, Nice,
 *         Paris; Paris is the most frequent (2), so it fills the gap
 *   size  3, (missing), 5, 4, 6                -> median (4 + 5) / 2 = 4.5
 *   age   10, 20, (missing), 30, 40            -> median (20 + 30) / 2 = 25 */
static const char ENCODER_FILE[] = "city,size,age,y\n"
                                   "Paris,3,10,a\n"
                                   "Lyon,NA,20,b\n"
                                   "Paris,5,,a\n"
                                   "Nice,4,30,b\n"
                                   ",6,40,a\n";

static void test_encoder_fit_and_apply(void **state)
{
    (void)state;
    nnc_csv_options o = table_options(NULL);
    nnc_dataset *raw = load(write_text("enc.csv", ENCODER_FILE), &o);
    nnc_encoder_options eo = {1};
    nnc_encoder *enc = NULL;
    assert_int_equal(nnc_encoder_fit(raw, &eo, &enc), NNC_OK);
    assert_int_equal(nnc_encoder_columns(enc), 3);
    assert_int_equal(nnc_encoder_column_kind(enc, 0), NNC_COLUMN_CATEGORICAL);
    assert_int_equal(nnc_encoder_categories(enc, 0), 3);
    assert_string_equal(nnc_encoder_category(enc, 0, 2), "Paris");
    assert_int_equal(nnc_encoder_fill_category(enc, 0), 2);
    assert_true(nnc_encoder_median(enc, 1) == 4.5f);
    assert_true(nnc_encoder_median(enc, 2) == 25.0f);
    assert_true(isnan(nnc_encoder_median(enc, 0)));
    assert_int_equal(nnc_encoder_outputs(enc), 8);
    const char *names[] = {"city=Lyon", "city=Nice", "city=Paris", "size", "age",
                           "city:missing", "size:missing", "age:missing"};
    for (int i = 0; i < 8; i++)
        assert_string_equal(nnc_encoder_output_name(enc, i), names[i]);

    nnc_dataset *x = NULL;
    nnc_encode_report report;
    assert_int_equal(nnc_encoder_apply(enc, raw, NNC_UNKNOWN_ZEROS, &x, &report), NNC_OK);
    assert_int_equal(report.imputed, 3);
    assert_int_equal(report.unknown, 0);
    const float want[5][8] = {
        {0, 0, 1, 3, 10, 0, 0, 0},
        {1, 0, 0, 4.5f, 20, 0, 1, 0},
        {0, 0, 1, 5, 25, 0, 0, 1},
        {0, 1, 0, 4, 30, 0, 0, 0},
        {0, 0, 1, 6, 40, 1, 0, 0},
    };
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 8; j++)
            if (x_at(x, i, j) != want[i][j])
                fail_msg("row %d input %d: %g, want %g", i, j, (double)x_at(x, i, j),
                         (double)want[i][j]);
    assert_string_equal(nnc_dataset_input_name(x, 5), "city:missing");
    assert_int_equal(nnc_dataset_classes(x), 2);
    assert_int_equal(nnc_dataset_class_of(x, 1), 1);
    nnc_dataset_free(x);
    nnc_encoder_free(enc);

    /* Without indicators: 5 inputs. */
    assert_int_equal(nnc_encoder_fit(raw, NULL, &enc), NNC_OK);
    assert_int_equal(nnc_encoder_outputs(enc), 5);
    nnc_encoder_free(enc);
    nnc_dataset_free(raw);
}

static void test_encoder_learns_from_the_training_part_only(void **state)
{
    (void)state;
    nnc_csv_options o = table_options(NULL);
    nnc_dataset *raw = load(write_text("part.csv", ENCODER_FILE), &o);
    size_t first[] = {0, 1, 2};   /* Paris, Lyon, Paris: Nice is never seen */
    nnc_dataset *train = nnc_dataset_subset(raw, first, 3);
    nnc_encoder *enc = NULL;
    assert_int_equal(nnc_encoder_fit(train, NULL, &enc), NNC_OK);
    assert_int_equal(nnc_encoder_categories(enc, 0), 2);
    assert_true(nnc_encoder_median(enc, 1) == 4.0f);   /* 3 and 5 */
    assert_true(nnc_encoder_median(enc, 2) == 15.0f);  /* 10 and 20 */
    nnc_dataset *x = NULL;
    nnc_encode_report report;
    assert_int_equal(nnc_encoder_apply(enc, raw, NNC_UNKNOWN_ZEROS, &x, &report), NNC_OK);
    assert_int_equal(report.unknown, 1);
    assert_int_equal(report.imputed, 3);
    assert_true(x_at(x, 3, 0) == 0.0f && x_at(x, 3, 1) == 0.0f);   /* Nice: all zeros */
    assert_true(x_at(x, 4, 1) == 1.0f);   /* missing: Paris, the most frequent */
    nnc_dataset_free(x);
    /* Refused, naming the line and column of the cell. */
    x = (nnc_dataset *)1;
    assert_int_equal(nnc_encoder_apply(enc, raw, NNC_UNKNOWN_ERROR, &x, &report), NNC_EFORMAT);
    assert_null(x);
    char want[512];
    snprintf(want, sizeof want, "%s:5:1: column 'city': category 'Nice' was not seen in "
                                "training (it knows 'Lyon', 'Paris')", path_of("part.csv"));
    assert_string_equal(nnc_last_error(), want);
    nnc_encoder_free(enc);

    /* Ties go to the first category in order; an odd count's median is its middle. */
    nnc_dataset *tie = load(write_text("tie.csv", "c,v,y\nb,1,0\na,7,1\nb,3,0\na,NA,1\n"), &o);
    assert_int_equal(nnc_encoder_fit(tie, NULL, &enc), NNC_OK);
    assert_string_equal(nnc_encoder_category(enc, 0, nnc_encoder_fill_category(enc, 0)), "a");
    assert_true(nnc_encoder_median(enc, 1) == 3.0f);
    nnc_encoder_free(enc);
    nnc_dataset_free(tie);

    /* A column with no value in the part is refused: nothing to learn. */
    size_t second[] = {1};
    nnc_dataset *one = nnc_dataset_subset(raw, second, 1);   /* size is NA there */
    enc = (nnc_encoder *)1;
    assert_int_equal(nnc_encoder_fit(one, NULL, &enc), NNC_EFORMAT);
    assert_null(enc);
    assert_non_null(strstr(nnc_last_error(), "column 'size' has no value"));
    nnc_dataset_free(one);
    nnc_dataset_free(train);
    nnc_dataset_free(raw);
}

/* ------------------------------------------------- the model carries it */

static void test_model_keeps_the_encoder(void **state)
{
    (void)state;
    nnc_csv_options o = table_options(NULL);
    nnc_dataset *raw = load(write_text("m.csv", ENCODER_FILE), &o);
    nnc_encoder_options eo = {1};
    nnc_encoder *enc = NULL;
    nnc_dataset *x = NULL;
    assert_int_equal(nnc_encoder_fit(raw, &eo, &enc), NNC_OK);
    assert_int_equal(nnc_encoder_apply(enc, raw, NNC_UNKNOWN_ZEROS, &x, NULL), NNC_OK);
    nnc_net *net = nnc_net_new(8);
    assert_int_equal(nnc_net_add_dense(net, 4, NNC_TANH), NNC_OK);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_SIGMOID), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_BINARY_CROSS_ENTROPY), NNC_OK);
    nnc_rng rng;
    nnc_rng_seed(&rng, 5);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, &rng), NNC_OK);
    nnc_model *model = nnc_model_new(net, NULL, x);
    assert_non_null(model);
    assert_int_equal(nnc_model_set_encoder(model, enc), NNC_OK);
    const char *dropped[] = {"id", "notes"};
    assert_int_equal(nnc_model_set_dropped(model, dropped, 2), NNC_OK);
    assert_int_equal(nnc_model_save(model, path_of("m.nnc")), NNC_OK);

    nnc_model *back = NULL;
    assert_int_equal(nnc_model_load(path_of("m.nnc"), &back), NNC_OK);
    const nnc_encoder *e2 = nnc_model_encoder(back);
    assert_non_null(e2);
    assert_int_equal(nnc_encoder_outputs(e2), 8);
    assert_string_equal(nnc_encoder_category(e2, 0, 1), "Nice");
    assert_true(nnc_encoder_median(e2, 1) == 4.5f);
    assert_int_equal(nnc_encoder_has_indicator(e2, 2), 1);
    assert_int_equal(nnc_model_dropped(back), 2);
    assert_string_equal(nnc_model_dropped_name(back, 1), "notes");
    /* The same inputs from the same file, so the same predictions. */
    nnc_dataset *x2 = NULL;
    assert_int_equal(nnc_model_encode(back, raw, NNC_UNKNOWN_ZEROS, &x2, NULL), NNC_OK);
    float xa[5 * 8], xb[5 * 8], pa[5], pb[5];
    size_t all[] = {0, 1, 2, 3, 4};
    assert_int_equal(nnc_dataset_gather(x, all, 5, xa, NULL), NNC_OK);
    assert_int_equal(nnc_dataset_gather(x2, all, 5, xb, NULL), NNC_OK);
    assert_memory_equal(xa, xb, sizeof xa);
    assert_int_equal(nnc_model_predict(model, xa, 5, pa), NNC_OK);
    assert_int_equal(nnc_model_predict(back, xb, 5, pb), NNC_OK);
    assert_memory_equal(pa, pb, sizeof pa);
    /* Saved again, the same bytes. */
    assert_int_equal(nnc_model_save(back, path_of("m2.nnc")), NNC_OK);
    char cmd[768];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", path_of("m.nnc"), path_of("m2.nnc"));
    assert_int_equal(system(cmd), 0);
    /* Damaged preprocessing is refused: every truncation, and categories
     * out of order (Lyon and Nice swapped, the CRC made good again). */
    long size = 0;
    unsigned char *bytes = read_all(path_of("m.nnc"), &size);
    for (long n = 0; n < size; n++) {
        write_bytes("cut.nnc", bytes, (size_t)n);
        nnc_model *cut = (nnc_model *)1;
        assert_int_equal(nnc_model_load(path_of("cut.nnc"), &cut), NNC_EFORMAT);
        assert_null(cut);
    }
    /* As categories they are strings of 4 bytes; as input names "city=Lyon". */
    unsigned char *lyon = memmem(bytes, (size_t)size, "\4\0\0\0Lyon", 8);
    unsigned char *nice = memmem(bytes, (size_t)size, "\4\0\0\0Nice", 8);
    assert_true(lyon != NULL && nice != NULL);
    memcpy(lyon + 4, "Nice", 4);
    memcpy(nice + 4, "Lyon", 4);
    uint32_t crc = (uint32_t)crc32(0L, bytes, (uInt)(size - 4));
    for (int b = 0; b < 4; b++)
        bytes[size - 4 + b] = (unsigned char)(crc >> (8 * b));
    write_bytes("swapped.nnc", bytes, (size_t)size);
    nnc_model *bad = (nnc_model *)1;
    assert_int_equal(nnc_model_load(path_of("swapped.nnc"), &bad), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), "the categories of encoded column 1 are not in "
                                              "increasing order at 2"));
    free(bytes);
    /* An encoder that does not make the model's inputs is refused. */
    nnc_encoder *other = NULL;
    assert_int_equal(nnc_encoder_fit(raw, NULL, &other), NNC_OK);   /* 5 inputs */
    assert_int_equal(nnc_model_set_encoder(back, other), NNC_EINVAL);
    nnc_encoder_free(other);
    nnc_model_free(back);
    nnc_model_free(model);
    nnc_dataset_free(x);
    nnc_dataset_free(x2);
    nnc_dataset_free(raw);
}

/* ------------------------------------------------------------- penguins */

static void test_penguins(void **state)
{
    (void)state;
    nnc_csv_options o = table_options("species");
    nnc_dataset *d = load(NNC_TEST_DATA "/penguins.csv", &o);
    assert_int_equal(nnc_dataset_rows(d), 344);
    assert_int_equal(nnc_dataset_left_out(d), 0);
    assert_int_equal(nnc_dataset_classes(d), 3);
    assert_string_equal(nnc_dataset_input_name(d, 0), "island");
    assert_int_equal(nnc_dataset_levels(d, 0), 3);
    assert_string_equal(nnc_dataset_level(d, 0, 2), "Torgersen");
    assert_int_equal(nnc_dataset_levels(d, 5), 2);   /* sex */
    nnc_encoder *enc = NULL;
    nnc_dataset *x = NULL;
    nnc_encode_report report;
    assert_int_equal(nnc_encoder_fit(d, NULL, &enc), NNC_OK);
    assert_int_equal(nnc_encoder_apply(enc, d, NNC_UNKNOWN_ZEROS, &x, &report), NNC_OK);
    /* 2 rows without any measurement (4 cells each) and 11 without a sex. */
    assert_int_equal(report.imputed, 2 * 4 + 11);
    assert_int_equal(nnc_encoder_outputs(enc), 3 + 4 + 2 + 1);
    nnc_encoder_free(enc);
    nnc_dataset_free(x);
    nnc_dataset_free(d);
    /* With sex as the target, its 11 missing rows are left out. */
    o.target = "sex";
    d = load(NNC_TEST_DATA "/penguins.csv", &o);
    assert_int_equal(nnc_dataset_rows(d), 333);
    assert_int_equal(nnc_dataset_left_out(d), 11);
    nnc_dataset_free(d);
}

/* ---------------------------------------------------- judging classes */

/* A network whose outputs are known exactly: one dense layer on one input,
 * weights and biases set by hand. */
static nnc_net *fixed_net(int units, nnc_activation act, const float *w, const float *b)
{
    nnc_net *net = nnc_net_new(1);
    assert_int_equal(nnc_net_add_dense(net, units, act), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, units == 1 ? NNC_LOSS_BINARY_CROSS_ENTROPY
                                                       : NNC_LOSS_SOFTMAX_CROSS_ENTROPY),
                     NNC_OK);
    memcpy(nnc_net_weights(net, 0), w, (size_t)units * sizeof *w);
    memcpy(nnc_net_bias(net, 0), b, (size_t)units * sizeof *b);
    return net;
}

/* Macro F1, ROC-AUC and log loss against values worked out by hand (and
 * as scikit-learn's f1_score(average="macro"), roc_auc_score and log_loss
 * give them). */
static void test_classification_metrics(void **state)
{
    (void)state;
    /* Two classes, P(1) = sigmoid(x); a guess of 1 needs P > 0.5.
     *   x      -2 -1  0  1  2  3      truth  0 0 1 0 1 1
     *   guess   0  0  0  1  1  1
     * Each class: 2 right, 1 false positive, 1 false negative: F1 4/6.
     * AUC: the positives rank 3, 5, 6 of 6: (14 - 3*4/2) / (3*3) = 8/9. */
    const float x2[] = {-2, -1, 0, 1, 2, 3};
    const int truth2[] = {0, 0, 1, 0, 1, 1};
    float w = 1, b = 0;
    nnc_net *net = fixed_net(1, NNC_SIGMOID, &w, &b);
    nnc_dataset *d = nnc_dataset_from_classes(x2, truth2, 6, 1, 2, NULL);
    nnc_metrics m;
    assert_int_equal(nnc_evaluate_metrics(net, d, 1.0, &m, NULL), NNC_OK);
    assert_float_equal(m.accuracy, 4.0 / 6, 1e-12);
    assert_float_equal(m.macro_f1, 4.0 / 6, 1e-12);
    assert_float_equal(m.roc_auc, 8.0 / 9, 1e-12);
    double ll = 0;
    for (int i = 0; i < 6; i++) {
        double p = 1.0 / (1.0 + exp(-x2[i]));
        ll -= log(truth2[i] ? p : 1 - p);
    }
    assert_float_equal(m.log_loss, ll / 6, 1e-6);
    assert_float_equal(m.log_loss, m.loss, 1e-6);   /* the same thing as the BCE loss */
    nnc_dataset_free(d);
    nnc_net_free(net);

    /* Three classes, logits (-x, 0, x), ties to the first:
     *   x      -1 -1  0  1  1  2      truth  0 1 1 2 2 0
     *   guess   0  0  0  2  2  2
     * class 0: 1 right, 2 false positives, 1 missed: 2/5; class 1: 0;
     * class 2: 2 right, 1 false positive: 4/5. Macro (0.4 + 0 + 0.8) / 3. */
    const float x3[] = {-1, -1, 0, 1, 1, 2};
    const int truth3[] = {0, 1, 1, 2, 2, 0};
    const float w3[] = {-1, 0, 1}, b3[] = {0, 0, 0};
    net = fixed_net(3, NNC_SOFTMAX, w3, b3);
    d = nnc_dataset_from_classes(x3, truth3, 6, 1, 3, NULL);
    assert_int_equal(nnc_evaluate_metrics(net, d, 1.0, &m, NULL), NNC_OK);
    assert_float_equal(m.accuracy, 3.0 / 6, 1e-12);
    assert_float_equal(m.macro_f1, 0.4, 1e-12);
    assert_true(isnan(m.roc_auc));
    nnc_dataset_free(d);
    nnc_net_free(net);
}

/* ------------------------------------------------------------- folds */

static void test_folds_are_stratified_and_seeded(void **state)
{
    (void)state;
    nnc_csv_options o = table_options("species");
    nnc_dataset *d = load(NNC_TEST_DATA "/penguins.csv", &o);
    int rows = nnc_dataset_rows(d), fold[344], again[344];
    nnc_rng rng;
    nnc_rng_seed(&rng, 3);
    assert_int_equal(nnc_dataset_folds(d, 5, &rng, fold), NNC_OK);
    int size[5] = {0}, per_class[5][3] = {{0}};
    for (int i = 0; i < rows; i++) {
        assert_true(fold[i] >= 0 && fold[i] < 5);
        size[fold[i]]++;
        per_class[fold[i]][nnc_dataset_class_of(d, i)]++;
    }
    /* 344 rows: folds of 69 and 68; each class spread within one row. */
    for (int f = 0; f < 5; f++) {
        assert_true(size[f] == 68 || size[f] == 69);
        for (int c = 0; c < 3; c++) {
            int lo = per_class[0][c], hi = per_class[0][c];
            for (int g = 1; g < 5; g++) {
                lo = per_class[g][c] < lo ? per_class[g][c] : lo;
                hi = per_class[g][c] > hi ? per_class[g][c] : hi;
            }
            assert_true(hi - lo <= 1);
        }
    }
    nnc_rng_seed(&rng, 3);
    assert_int_equal(nnc_dataset_folds(d, 5, &rng, again), NNC_OK);
    assert_memory_equal(fold, again, sizeof fold);
    nnc_rng_seed(&rng, 4);
    assert_int_equal(nnc_dataset_folds(d, 5, &rng, again), NNC_OK);
    assert_true(memcmp(fold, again, sizeof fold) != 0);
    assert_int_equal(nnc_dataset_folds(d, 1, &rng, again), NNC_EINVAL);
    assert_int_equal(nnc_dataset_folds(d, 345, &rng, again), NNC_EINVAL);
    /* The rows keep the lines they came from. */
    assert_int_equal(nnc_dataset_row_line(d, 0), 2);
    assert_int_equal(nnc_dataset_row_line(d, rows - 1), 345);
    nnc_dataset_free(d);
}

/* ------------------------------------------------------------- pipeline */

/* nnc train as a library call: the model it makes predicts penguins well,
 * reads a file back through nnc_model_read_csv, and is byte for byte the
 * model file the nnc program makes with the same options. */
static void test_pipeline_is_what_train_does(void **state)
{
    (void)state;
    const char *path = NNC_TEST_DATA "/penguins.csv";
    nnc_pipeline_options o = nnc_pipeline_defaults();
    const char *drop[] = {"year"};
    o.csv.target = "species";
    o.csv.drop = drop;
    o.csv.n_drop = 1;
    o.fit.epochs = 40;
    nnc_pipeline_result r;
    assert_int_equal(nnc_train_csv(path, &o, &r), NNC_OK);
    assert_int_equal(r.has_test, 1);
    assert_int_equal(r.train_rows + r.validation_rows + r.test_rows, 344);
    assert_int_equal(r.test_rows, 69);
    assert_true(r.test.accuracy >= 0.95);
    assert_int_equal(r.encoded.imputed, 19);
    assert_non_null(nnc_model_encoder(r.model));
    assert_string_equal(nnc_model_meta(r.model, "target"), "species");
    assert_string_equal(nnc_model_dropped_name(r.model, 0), "year");
    assert_int_equal(nnc_model_save(r.model, path_of("lib.nnc")), NNC_OK);

    nnc_dataset *x = NULL;
    nnc_encode_report report;
    int left_out = -1;
    assert_int_equal(nnc_model_read_csv(r.model, path, NULL, NNC_UNKNOWN_ZEROS, &x, &report,
                                        &left_out), NNC_OK);
    assert_int_equal(nnc_dataset_rows(x), 344);
    assert_int_equal(left_out, 0);
    assert_int_equal(report.imputed, 19);
    nnc_metrics m;
    assert_int_equal(nnc_model_evaluate(r.model, x, &m, NULL), NNC_OK);
    assert_true(m.accuracy >= 0.95);
    nnc_dataset_free(x);
    /* The one-call forms agree with it. */
    nnc_metrics m2;
    assert_int_equal(nnc_model_evaluate_csv(r.model, path, NULL, NNC_UNKNOWN_ZEROS, &m2, NULL),
                     NNC_OK);
    assert_true(m2.accuracy == m.accuracy && m2.loss == m.loss);
    float *p = NULL;
    int rows = 0, right = 0;
    assert_int_equal(nnc_model_predict_csv(r.model, path, NULL, NNC_UNKNOWN_ZEROS, &p, &rows),
                     NNC_OK);
    assert_int_equal(rows, 344);
    nnc_csv_options species = nnc_csv_defaults();
    species.target = "species";
    species.keep_missing = 1;
    species.categorical = 1;
    nnc_dataset *truth = load(path, &species);
    for (int i = 0; i < rows; i++) {
        int best = 0;
        for (int k = 1; k < 3; k++)
            best = p[i * 3 + k] > p[i * 3 + best] ? k : best;
        right += best == nnc_dataset_class_of(truth, i);
    }
    assert_int_equal(right, (int)(m.accuracy * 344 + 0.5));
    free(p);
    nnc_dataset_free(truth);
    nnc_pipeline_result_free(&r);
    assert_null(r.model);

    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' train --data '%s' --target species --drop year --epochs 40 "
             "--quiet --out '%s' > /dev/null && cmp -s '%s' '%s'", NNC_BINARY, path,
             path_of("cli.nnc"), path_of("cli.nnc"), path_of("lib.nnc"));
    assert_int_equal(system(cmd), 0);

    /* A failure leaves no model behind. */
    o.layers = "dense:x";
    assert_int_not_equal(nnc_train_csv(path, &o, &r), NNC_OK);
    assert_null(r.model);
}

/* ------------------------------------------------------ shortest floats */

static void test_shortest_float_text(void **state)
{
    (void)state;
    struct { float v; const char *text; } cases[] = {
        {0.01f, "0.01"}, {0.1f, "0.1"}, {4000.0f, "4000"}, {1e20f, "1e+20"}, {-0.0f, "-0"},
        {16777216.0f, "16777216"}, {1.5e-7f, "1.5e-07"}, {3.4028235e38f, "3.4028235e+38"},
        {0.3f, "0.3"}, {123456.7f, "123456.7"},
    };
    char buf[16];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        nnc_format_float(cases[i].v, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
    }
    /* Every text reads back exactly. */
    nnc_rng rng;
    nnc_rng_seed(&rng, 11);
    for (int i = 0; i < 20000; i++) {
        uint32_t bits = (uint32_t)nnc_rng_u64(&rng);
        float v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        nnc_format_float(v, buf, sizeof buf);
        if (strtof(buf, NULL) != v)
            fail_msg("%.9g written as %s", (double)v, buf);
    }
    nnc_format_float(NAN, buf, sizeof buf);
    assert_string_equal(buf, "nan");
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmp_dir) == NULL;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) != 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_tokens),
        cmocka_unit_test(test_missing_cells_and_targets),
        cmocka_unit_test(test_categorical_levels),
        cmocka_unit_test(test_categorical_refusals),
        cmocka_unit_test(test_measurements_are_not_classes),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_encoder_fit_and_apply),
        cmocka_unit_test(test_encoder_learns_from_the_training_part_only),
        cmocka_unit_test(test_model_keeps_the_encoder),
        cmocka_unit_test(test_penguins),
        cmocka_unit_test(test_folds_are_stratified_and_seeded),
        cmocka_unit_test(test_classification_metrics),
        cmocka_unit_test(test_pipeline_is_what_train_does),
        cmocka_unit_test(test_shortest_float_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

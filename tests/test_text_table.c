/*
 * test_text_table.c - text columns in a table: read from CSV beside numbers
 * and categories, turned into bags of words fitted on the training rows,
 * refused with the file, line and column when a cell is not text, kept in
 * the model file, and the real nnc program on debian_packages.csv.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nnc.h"
#include "cli_support.h"
#include "data/data.h"   /* a sparse set's rows, to check them */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define DEBIAN NNC_TEST_DATA "/debian_packages.csv"

static const char reviews[] =
    "id,review,stars,city,label\n"
    "1,\"Good soup, good bread\",4,Oslo,yes\n"
    "2,Cold soup and bad service,1,Bergen,no\n"
    "3,NA,3,Oslo,yes\n"
    "4,Crème brûlée était PARFAITE,5,Bergen,yes\n";

static nnc_dataset *load_reviews(void)
{
    const char *path = in_dir("reviews.csv");
    write_file(path, reviews, strlen(reviews));
    const char *text[] = {"review"};
    nnc_csv_options o = nnc_csv_defaults();
    o.target = "label";
    o.drop = (const char *const[]){"id"};
    o.n_drop = 1;
    o.categorical = 1;
    o.keep_missing = 1;
    o.text = text;
    o.n_text = 1;
    nnc_dataset *data = NULL;
    if (nnc_dataset_load_csv(path, &o, &data) != NNC_OK)
        fail_msg("%s", nnc_last_error());
    return data;
}

static void test_text_columns_are_read_as_written(void **state)
{
    (void)state;
    nnc_dataset *data = load_reviews();
    assert_int_equal(nnc_dataset_rows(data), 4);
    assert_int_equal(nnc_dataset_inputs(data), 2);   /* stars, city: the text is apart */
    assert_int_equal(nnc_dataset_text_columns(data), 1);
    assert_string_equal(nnc_dataset_text_name(data, 0), "review");
    assert_string_equal(nnc_dataset_text(data, 0, 0), "Good soup, good bread");
    assert_string_equal(nnc_dataset_text(data, 2, 0), "");   /* NA: an empty text */
    assert_string_equal(nnc_dataset_text(data, 3, 0), "Crème brûlée était PARFAITE");
    assert_null(nnc_dataset_text(data, 4, 0));
    assert_null(nnc_dataset_text(data, 0, 1));
    nnc_dataset_free(data);

    /* The text column must be a column, and not the target. */
    nnc_csv_options o = nnc_csv_defaults();
    o.target = "label";
    o.text = (const char *const[]){"label"};
    o.n_text = 1;
    nnc_dataset *bad = NULL;
    assert_int_equal(nnc_dataset_load_csv(in_dir("reviews.csv"), &o, &bad), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), "column 'label' cannot be a text column: it is "
                                             "the target"));
    /* An input of a model's may not be a text column as well. */
    o.text = (const char *const[]){"review"};
    o.inputs = (const char *const[]){"stars", "review"};
    o.n_inputs = 2;
    o.drop = (const char *const[]){"id", "city"};
    o.n_drop = 2;
    assert_int_equal(nnc_dataset_load_csv(in_dir("reviews.csv"), &o, &bad), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), "column 'review' is both a text column and an "
                                             "input"));
    o.inputs = NULL;
    o.n_inputs = 0;
    o.drop = NULL;
    o.n_drop = 0;
    o.text = (const char *const[]){"reveiw"};
    assert_int_equal(nnc_dataset_load_csv(in_dir("reviews.csv"), &o, &bad), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), "unknown text column 'reveiw'"));
    assert_null(bad);
}

/* Row r of a sparse set: its non-zeros' inputs and values. */
static int row_of(const nnc_dataset *data, size_t r, int *index, float *value)
{
    nnc_sparse_batch b;
    assert_int_equal(nnc_sparse_batch_init(&b, data, 1), NNC_OK);
    assert_int_equal(nnc_sparse_batch_gather(&b, data, &r, 1, NULL), NNC_OK);
    int n = (int)(b.start[1] - b.start[0]);
    memcpy(index, b.index, (size_t)n * sizeof *index);
    memcpy(value, b.value, (size_t)n * sizeof *value);
    nnc_sparse_batch_release(&b);
    return n;
}

/* A batch's distinct inputs (rows.columns) are the sorted set of its
 * non-zeros' inputs, read from a bitmap: inputs at each end of a 64-bit
 * word and across words, repeated within and between rows. */
static void test_batch_columns(void **state)
{
    (void)state;
    nnc_dataset *like = load_reviews();
    int rows = nnc_dataset_rows(like);
    assert_true(rows >= 3);
    /* Inputs at both ends of the marks' words (64 inputs each) and of
     * their groups (4,096 inputs, a word of the marks' own marks). */
    enum { INPUTS = 9000 };
    static const int picked[3][6] = { { 63, 0, 64, 4095, 63, 8999 },
                                      { 31, 4096, 1, 128, 0, 0 },
                                      { 8191, 8192, 63, 62, 0, 0 } };
    static const int widths[3] = { 6, 4, 4 };
    size_t *start = malloc(((size_t)rows + 1) * sizeof *start);
    int *index = malloc(14 * sizeof *index);
    float *value = malloc(14 * sizeof *value);
    char(*names)[8] = malloc(INPUTS * sizeof *names);
    const char **name = malloc(INPUTS * sizeof *name);
    assert_true(start && index && value && names && name);
    size_t at = 0;
    for (int r = 0; r < rows; r++) {
        start[r] = at;
        for (int j = 0; r < 3 && j < widths[r]; j++, at++) {
            index[at] = picked[r][j];
            value[at] = 1.0f;
        }
    }
    start[rows] = at;
    for (int k = 0; k < INPUTS; k++) {
        snprintf(names[k], sizeof names[k], "w%d", k);
        name[k] = names[k];
    }
    nnc_dataset *data = nnc_dataset_adopt_sparse(like, INPUTS, name, start, index, value);
    free(name);
    free(names);
    assert_non_null(data);
    nnc_sparse_batch b;
    assert_int_equal(nnc_sparse_batch_init(&b, data, 3), NNC_OK);
    size_t which[3] = { 0, 1, 2 };
    static const int all[] = { 0, 1, 31, 62, 63, 64, 128, 4095, 4096, 8191, 8192, 8999 };
    for (int pass = 0; pass < 2; pass++) {   /* the marks are left clear for the next */
        assert_int_equal(nnc_sparse_batch_gather(&b, data, which, 3, NULL), NNC_OK);
        assert_int_equal(b.rows.n_columns, (int)(sizeof all / sizeof *all));
        for (int c = 0; c < b.rows.n_columns; c++)
            assert_int_equal(b.rows.columns[c], all[c]);
    }
    size_t second = 1;   /* one row alone: its own inputs only */
    assert_int_equal(nnc_sparse_batch_gather(&b, data, &second, 1, NULL), NNC_OK);
    assert_int_equal(b.rows.n_columns, 4);
    static const int its[] = { 1, 31, 128, 4096 };
    for (int c = 0; c < 4; c++)
        assert_int_equal(b.rows.columns[c], its[c]);
    nnc_sparse_batch_release(&b);
    nnc_dataset_free(data);
    nnc_dataset_free(like);
}

static int term_of(const nnc_vectorizer *v, const char *term)
{
    for (int i = 0; i < nnc_vectorizer_terms(v); i++)
        if (strcmp(nnc_vectorizer_term(v, i), term) == 0)
            return i;
    fail_msg("no term '%s'", term);
    return -1;
}

static void test_bag_of_words_rows(void **state)
{
    (void)state;
    nnc_dataset *data = load_reviews();
    nnc_vectorizer_options vo = nnc_vectorizer_defaults();
    vo.normalize = NNC_NORMALIZE_NONE;
    vo.features = NNC_FEATURES_COUNTS;
    nnc_text_columns *tc = NULL;
    assert_int_equal(nnc_text_columns_fit(data, &vo, &tc), NNC_OK);
    const nnc_vectorizer *v = nnc_text_columns_vectorizer(tc, 0);
    /* good soup bread cold and bad service crème brûlée était parfaite */
    assert_int_equal(nnc_vectorizer_terms(v), 11);
    assert_int_equal(nnc_text_columns_width(tc), 11);
    nnc_dataset *bag = NULL;
    long unknown = -1;
    assert_int_equal(nnc_text_columns_apply(tc, data, &bag, &unknown), NNC_OK);
    assert_int_equal(unknown, 0);
    assert_int_equal(nnc_dataset_inputs(bag), 2 + 11);
    assert_int_equal(nnc_dataset_classes(bag), 2);
    assert_int_equal(nnc_dataset_class_of(bag, 1), nnc_dataset_class_of(data, 1));
    int index[64];
    float value[64];
    int n = row_of(bag, 0, index, value);
    /* stars 4 and the city's level code (Oslo: 1) first, then the words. */
    assert_int_equal(n, 2 + 3);
    assert_int_equal(index[0], 0);
    assert_true(value[0] == 4.0f);
    assert_int_equal(index[1], 1);
    assert_true(value[1] == 1.0f);
    int good = 2 + term_of(v, "good");
    for (int i = 2; i < n; i++) {
        assert_true(index[i] >= 2 && (i == 2 || index[i] > index[i - 1]));
        assert_true(value[i] == (index[i] == good ? 2.0f : 1.0f));
    }
    /* The empty text has the numbers alone; unseen words are counted. */
    assert_int_equal(row_of(bag, 2, index, value), 2);
    assert_string_equal(nnc_dataset_input_name(bag, good), "review:good");
    nnc_dataset_free(bag);
    nnc_text_columns_free(tc);
    nnc_dataset_free(data);
}

/* A table whose review cell on line 3 is `cell` (n bytes). */
static const char *table_with(const char *name, const char *cell, size_t n)
{
    const char *path = in_dir(name);
    const char *head = "stars,review,label\n5,fine food,yes\n2,";
    const char *tail = ",no\n4,nice,yes\n";
    size_t a = strlen(head), b = strlen(tail);
    char *bytes = malloc(a + n + b);
    assert_non_null(bytes);
    memcpy(bytes, head, a);
    memcpy(bytes + a, cell, n);
    memcpy(bytes + a + n, tail, b);
    write_file(path, bytes, a + n + b);
    free(bytes);
    return path;
}

static nnc_status fit_table(const char *path, nnc_dataset **data)
{
    nnc_csv_options o = nnc_csv_defaults();
    o.text = (const char *const[]){"review"};
    o.n_text = 1;
    nnc_status st = nnc_dataset_load_csv(path, &o, data);
    if (st != NNC_OK)
        return st;
    nnc_vectorizer_options vo = nnc_vectorizer_defaults();
    nnc_text_columns *tc = NULL;
    st = nnc_text_columns_fit(*data, &vo, &tc);
    nnc_text_columns_free(tc);
    return st;
}

static void test_malformed_text_cells(void **state)
{
    (void)state;
    nnc_dataset *data = NULL;
    /* Not UTF-8: named by the file, line and column, and the byte. */
    const char *path = table_with("latin1.csv", "caf\xe9 au lait", 12);
    assert_int_equal(fit_table(path, &data), NNC_EFORMAT);
    char want[512];
    snprintf(want, sizeof want, "%s:3:2: column 'review': byte 4: not UTF-8 (0xe9)", path);
    assert_non_null(strstr(nnc_last_error(), want));
    nnc_dataset_free(data);
    data = NULL;
    /* A NUL byte: the loader refuses the file. */
    path = table_with("nul.csv", "bad\0text", 8);
    assert_int_equal(fit_table(path, &data), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), ":3:"));
    assert_non_null(strstr(nnc_last_error(), "NUL byte"));
    assert_null(data);
    /* A cell of a megabyte is not a sentence. */
    size_t big = (size_t)1 << 20;
    char *cell = malloc(big);
    assert_non_null(cell);
    for (size_t i = 0; i < big; i++)
        cell[i] = i % 6 == 5 ? ' ' : 'a';
    path = table_with("huge.csv", cell, big);
    free(cell);
    assert_int_equal(fit_table(path, &data), NNC_EFORMAT);
    snprintf(want, sizeof want, "%s:3:2: column 'review': text of 1048576 bytes; a text may "
                                "have 65536", path);
    assert_non_null(strstr(nnc_last_error(), want));
    nnc_dataset_free(data);

    /* The program says the same and writes no model. */
    assert_int_equal(run_nnc("train --data %s --text review --target label --validation 0 "
                             "--test 0 --out %s --quiet",
                             in_dir("latin1.csv"), in_dir("m.nnc")),
                     1);
    char *err = slurp(in_dir("stderr"), NULL);
    assert_non_null(strstr(err, "column 'review': byte 4: not UTF-8 (0xe9)"));
    free(err);
    assert_false(exists(in_dir("m.nnc")));
}

static void test_stop_words(void **state)
{
    (void)state;
    const char *texts[] = {"The cat was here", "the dogs are there", "a cat is a cat"};
    nnc_vectorizer_options o = nnc_vectorizer_defaults();
    o.stop_words = (const char *const[]){"THE", "is", "a"};
    o.n_stop_words = 3;
    nnc_vectorizer *v = NULL;
    assert_int_equal(nnc_vectorizer_fit(&o, texts, 3, &v), NNC_OK);
    /* Lemmas: "is" stops "be", so "was" and "are" go too. */
    const nnc_vectorizer_options *kept = nnc_vectorizer_settings(v);
    assert_int_equal(kept->n_stop_words, 3);
    assert_string_equal(kept->stop_words[0], "a");
    assert_string_equal(kept->stop_words[1], "be");
    assert_string_equal(kept->stop_words[2], "the");
    const char *want[] = {"cat", "dog", "here", "there"};
    assert_int_equal(nnc_vectorizer_terms(v), 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(nnc_vectorizer_term(v, i), want[i]);
    nnc_vectorizer_free(v);
}

/* Every output of a model for a CSV file. */
static float *predict_all(nnc_model *model, const char *path, int *rows)
{
    float *out = NULL;
    if (nnc_model_predict_csv(model, path, NULL, NNC_UNKNOWN_ZEROS, &out, rows) != NNC_OK)
        fail_msg("%s", nnc_last_error());
    return out;
}

static void test_model_keeps_its_vocabulary(void **state)
{
    (void)state;
    nnc_pipeline_options o = nnc_pipeline_defaults();
    o.csv.target = "section";
    o.csv.text = (const char *const[]){"description"};
    o.csv.n_text = 1;
    o.fit.epochs = 5;
    o.validation_fraction = 0;
    nnc_pipeline_result r;
    if (nnc_train_csv(DEBIAN, &o, &r) != NNC_OK)
        fail_msg("%s", nnc_last_error());
    assert_true(r.test.accuracy >= 0.85);
    const nnc_text_columns *tc = nnc_model_text_columns(r.model);
    assert_non_null(tc);
    int terms = nnc_text_columns_width(tc);
    assert_true(terms > 2000);
    assert_int_equal(nnc_model_inputs(r.model), 0);
    assert_int_equal(nnc_net_inputs(nnc_model_net(r.model)), terms);

    /* Raw text, a column order of its own and no target: new data. */
    const char *fresh = in_dir("fresh.csv");
    const char *rows_text = "note,description\n"
                            "x,TrueType font with Cyrillic and Greek glyphs\n"
                            "y,a puzzle game where you guide lemmings home\n"
                            "z,IMAP mail client for the console\n";
    write_file(fresh, rows_text, strlen(rows_text));
    nnc_csv_options csv = nnc_csv_defaults();
    csv.drop = (const char *const[]){"note"};
    csv.n_drop = 1;
    csv.no_target = 1;
    float *before = NULL;
    int rows = 0;
    if (nnc_model_predict_csv(r.model, fresh, &csv, NNC_UNKNOWN_ZEROS, &before, &rows) !=
        NNC_OK)
        fail_msg("%s", nnc_last_error());
    assert_int_equal(rows, 3);
    const char *want[] = {"fonts", "games", "mail"};
    for (int i = 0; i < 3; i++) {
        int best;
        nnc_output_classes(before + i * 8, 1, 8, &best);
        assert_string_equal(nnc_model_class_label(r.model, best), want[i]);
    }

    /* The file keeps the vocabulary, the idf and the options: the loaded
     * model predicts the same bits, and saves the same bytes. */
    const char *saved = in_dir("text.nnc"), *again = in_dir("again.nnc");
    assert_int_equal(nnc_model_save(r.model, saved), NNC_OK);
    nnc_model *loaded = NULL;
    if (nnc_model_load(saved, &loaded) != NNC_OK)
        fail_msg("%s", nnc_last_error());
    float *after = NULL;
    assert_int_equal(nnc_model_predict_csv(loaded, fresh, &csv, NNC_UNKNOWN_ZEROS, &after,
                                           &rows),
                     NNC_OK);
    assert_memory_equal(before, after, 3 * 8 * sizeof *before);
    const nnc_vectorizer *a = nnc_text_columns_vectorizer(tc, 0);
    const nnc_vectorizer *b =
        nnc_text_columns_vectorizer(nnc_model_text_columns(loaded), 0);
    assert_int_equal(nnc_vectorizer_terms(a), nnc_vectorizer_terms(b));
    assert_true(nnc_vectorizer_idf(a, 7) == nnc_vectorizer_idf(b, 7));
    assert_int_equal(nnc_vectorizer_settings(b)->normalize, NNC_NORMALIZE_LEMMA);
    assert_int_equal(nnc_vectorizer_settings(b)->features, NNC_FEATURES_TFIDF);
    assert_int_equal(nnc_model_save(loaded, again), NNC_OK);
    long n1, n2;
    char *x = slurp(saved, &n1), *y = slurp(again, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(x, y, (size_t)n1);
    free(x);
    free(y);

    /* The whole labelled file, evaluated from raw text. */
    nnc_metrics m;
    assert_int_equal(nnc_model_evaluate_csv(loaded, DEBIAN, NULL, NNC_UNKNOWN_ZEROS, &m, NULL),
                     NNC_OK);
    assert_true(m.accuracy > 0.9);   /* 80 % of it was trained on */
    int all = 0;
    float *p = predict_all(loaded, DEBIAN, &all);
    assert_int_equal(all, 3123);
    free(p);

    /* Rows of numbers have no text: the model says so. */
    float x0 = 0, out[8];
    assert_int_equal(nnc_model_predict(loaded, &x0, 1, out), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "text columns"));

    /* The words that matter, through the whole network. */
    float *scores = malloc((size_t)terms * 8 * sizeof *scores);
    assert_non_null(scores);
    assert_int_equal(nnc_model_term_scores(loaded, 0, scores), NNC_OK);
    int font = term_of(b, "font"), fonts = 2;   /* classes in strcmp order */
    assert_string_equal(nnc_model_class_label(loaded, fonts), "fonts");
    for (int k = 0; k < 8; k++)
        if (k != fonts)
            assert_true(scores[font * 8 + fonts] > scores[font * 8 + k]);
    free(scores);

    /* A word whose weights overflow: predict and evaluate both refuse,
     * naming the same row, the first that has the word. */
    nnc_net *net = nnc_model_net(loaded);
    int units = nnc_net_layer_units(net, 0);
    for (int u = 0; u < units; u++)   /* inputs x units: the word's run */
        nnc_net_weights(net, 0)[(size_t)font * (size_t)units + (size_t)u] = INFINITY;
    assert_int_equal(nnc_model_predict_csv(loaded, DEBIAN, NULL, NNC_UNKNOWN_ZEROS, &p, &all),
                     NNC_ENUMERIC);
    const char *said = strstr(nnc_last_error(), "row ");
    assert_non_null(said);
    char predicted[160];
    snprintf(predicted, sizeof predicted, "%s", said);
    assert_non_null(strstr(predicted, "the model's output is not finite"));
    assert_int_equal(nnc_model_evaluate_csv(loaded, DEBIAN, NULL, NNC_UNKNOWN_ZEROS, &m, NULL),
                     NNC_ENUMERIC);
    said = strstr(nnc_last_error(), "row ");
    assert_non_null(said);
    assert_string_equal(said, predicted);

    free(before);
    free(after);
    nnc_model_free(loaded);
    nnc_pipeline_result_free(&r);
}


/* Where needle (n bytes) first stands in hay, or fails the test. */
static size_t find_bytes(const unsigned char *hay, size_t size, const void *needle, size_t n)
{
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return i;
    fail_msg("bytes not found in the model file");
    return 0;
}

/* The file with its checksum made right again, loaded: its refusal. */
static void expect_refused(const unsigned char *bytes, size_t size, const char *says)
{
    unsigned char *b = malloc(size);
    assert_non_null(b);
    memcpy(b, bytes, size);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), b, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        b[size - 4 + i] = (unsigned char)(crc >> (8 * i));
    write_file(in_dir("bad.nnc"), b, size);
    free(b);
    nnc_model *m = NULL;
    assert_int_equal(nnc_model_load(in_dir("bad.nnc"), &m), NNC_EFORMAT);
    assert_null(m);
    if (strstr(nnc_last_error(), says) == NULL)
        fail_msg("expected \"%s\" in: %s", says, nnc_last_error());
}

static void test_model_file_checks_the_text_section(void **state)
{
    (void)state;
    const char *csv = in_dir("small.csv");
    const char *rows = "stars,t,y\n1,the cat sat,yes\n2,a dog barking,no\n"
                       "3,cats and dogs,yes\n4,a cat,no\n5,dog days,yes\n";
    write_file(csv, rows, strlen(rows));
    nnc_pipeline_options o = nnc_pipeline_defaults();
    o.csv.target = "y";
    o.csv.text = (const char *const[]){"t"};
    o.csv.n_text = 1;
    o.text.normalize = NNC_NORMALIZE_NONE;
    o.text.features = NNC_FEATURES_COUNTS;
    o.validation_fraction = 0;
    o.test_fraction = 0;
    o.fit.epochs = 1;
    o.layers = "2";
    nnc_pipeline_result r;
    if (nnc_train_csv(csv, &o, &r) != NNC_OK)
        fail_msg("%s", nnc_last_error());
    assert_int_equal(nnc_model_save(r.model, in_dir("small.nnc")), NNC_OK);
    nnc_pipeline_result_free(&r);
    long size;
    unsigned char *good = (unsigned char *)slurp(in_dir("small.nnc"), &size);
    unsigned char *b = malloc((size_t)size);
    assert_non_null(b);

    /* The terms a, and, barking, ... the: "a" made "z" breaks their order. */
    const unsigned char first[] = {1, 0, 0, 0, 'a', 3, 0, 0, 0, 'a', 'n', 'd'};
    size_t at = find_bytes(good, (size_t)size, first, sizeof first);
    memcpy(b, good, (size_t)size);
    b[at + 4] = 'z';
    expect_refused(b, (size_t)size, "the terms of text column 1 are not in increasing order "
                                    "at 2");
    /* The idf follow the last term; with counts each is exactly 1. */
    const unsigned char last[] = {3, 0, 0, 0, 't', 'h', 'e'};
    at = find_bytes(good, (size_t)size, last, sizeof last) + sizeof last;
    memcpy(b, good, (size_t)size);
    const unsigned char two[4] = {0, 0, 0, 0x40};   /* 2.0f */
    memcpy(b + at, two, 4);
    expect_refused(b, (size_t)size, "the idf of term 1 of text column 1 is 2 (1 without "
                                    "tf-idf)");
    /* The features code: 3 is none. The options come after the column's name. */
    const unsigned char name[] = {1, 0, 0, 0, 't'};
    at = find_bytes(good, (size_t)size, name, sizeof name) + sizeof name;
    memcpy(b, good, (size_t)size);
    b[at + 4] = 3;
    expect_refused(b, (size_t)size, "the features of text column 1");
    /* Cut inside the terms: truncated, not half a vocabulary. */
    const unsigned char cut[] = {3, 0, 0, 0, 'a', 'n', 'd'};
    size_t end = find_bytes(good, (size_t)size, cut, sizeof cut);
    unsigned char *shorter = malloc(end + 4);
    assert_non_null(shorter);
    memcpy(shorter, good, end);
    memset(shorter + end, 0, 4);
    /* the header's length field says how long the file was written */
    uint64_t length = end + 4;
    for (int i = 0; i < 8; i++)
        shorter[12 + i] = (unsigned char)(length >> (8 * i));
    expect_refused(shorter, end + 4, "truncated: the file ends inside");
    free(shorter);
    free(b);
    free(good);
}

static void test_the_program_on_text(void **state)
{
    (void)state;
    const char *stop = in_dir("stop.txt");
    write_file(stop, "# common words\nthe\nfor\n\n", 24);
    assert_int_equal(run_nnc("train --data %s --text description --target section "
                             "--validation 0 --epochs 5 --stop-words %s --out %s --quiet",
                             DEBIAN, stop, in_dir("deb.nnc")),
                     0);
    assert_true(number_after("\ntest: accuracy ") >= 0.85);
    char *said = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(said, "\ntext column 'description': a vocabulary of "));
    free(said);
    assert_int_equal(run_nnc("info %s", in_dir("deb.nnc")), 0);
    char *out = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(out, "text columns (1), each a bag of words"));
    assert_non_null(strstr(out, "description          WordNet lemmas, tf-idf (1 + ln tf), "
                                "words; terms in >= 1 texts, 2 stop words"));
    free(out);
    /* Every term with its idf: as many lines as the vocabulary has terms. */
    assert_int_equal(run_nnc("info %s --vocabulary", in_dir("deb.nnc")), 0);
    out = slurp(in_dir("stdout"), NULL);
    const char *list = strstr(out, "vocabulary (column, term, idf):\n");
    assert_non_null(list);
    nnc_model *m = NULL;
    assert_int_equal(nnc_model_load(in_dir("deb.nnc"), &m), NNC_OK);
    const nnc_vectorizer *v = nnc_text_columns_vectorizer(nnc_model_text_columns(m), 0);
    assert_int_equal(count_lines(list), 1 + nnc_vectorizer_terms(v));
    char first[256];
    snprintf(first, sizeof first, "\n  description\t%s\t", nnc_vectorizer_term(v, 0));
    assert_non_null(strstr(list, first));
    assert_null(strstr(out, "\tthe\t"));   /* a stop word */
    nnc_model_free(m);
    free(out);
    assert_int_equal(run_nnc("explain --model %s --top 3", in_dir("deb.nnc")), 0);
    out = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(out, "  fonts: font ("));
    assert_non_null(strstr(out, "  mail: "));
    free(out);

    const char *fresh = in_dir("fresh.csv");
    const char *text = "description\nchess engine with a graphical board\n"
                       "serif typeface for print\n";
    write_file(fresh, text, strlen(text));
    assert_int_equal(run_nnc("predict --model %s --data %s --out %s", in_dir("deb.nnc"), fresh,
                             in_dir("p.csv")),
                     0);
    out = slurp(in_dir("p.csv"), NULL);
    assert_int_equal(count_lines(out), 3);
    assert_non_null(strstr(out, "\ngames,"));
    assert_non_null(strstr(out, "\nfonts,"));
    free(out);
    assert_int_equal(run_nnc("eval --model %s --data %s", in_dir("deb.nnc"), DEBIAN), 0);
    assert_true(number_after("accuracy ") > 0.9);

    /* Words no vocabulary has are left out, and said so, once (standard
     * output is predicted twice: once to check, once to write). */
    const char *odd = in_dir("odd.csv");
    text = "description\nzqxv blorptastic frobnicatorium\nserif typeface zqxv\n";
    write_file(odd, text, strlen(text));
    assert_int_equal(run_nnc("predict --model %s --data %s", in_dir("deb.nnc"), odd), 0);
    char *told = slurp(in_dir("stderr"), NULL);
    const char *four = "odd.csv: 4 words of the text no vocabulary of the model has, left out";
    char *at = strstr(told, four);
    if (at == NULL)
        fail_msg("expected \"%s\" in: %s", four, told);
    assert_null(strstr(at + 1, four));
    free(told);

    /* A run resumed from its checkpoint ends in the very same model: the
     * vocabulary is fitted again from the same rows, and the data's words
     * are part of what the checkpoint checks. */
    assert_int_equal(run_nnc("train --data %s --text description --target section --epochs 2 "
                             "--patience 0 --normalize stem --checkpoint %s --out %s --quiet",
                             DEBIAN, in_dir("ck"), in_dir("short.nnc")),
                     0);
    assert_int_equal(run_nnc("train --data %s --text description --target section --epochs 4 "
                             "--patience 0 --normalize stem --resume %s --out %s --quiet",
                             DEBIAN, in_dir("ck"), in_dir("resumed.nnc")),
                     0);
    assert_int_equal(run_nnc("train --data %s --text description --target section --epochs 4 "
                             "--patience 0 --normalize stem --out %s --quiet",
                             DEBIAN, in_dir("straight.nnc")),
                     0);
    long n1, n2;
    char *a = slurp(in_dir("resumed.nnc"), &n1), *b = slurp(in_dir("straight.nnc"), &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, (size_t)n1);
    free(a);
    free(b);
    assert_int_equal(run_nnc("train --data %s --text description --target section --epochs 4 "
                             "--patience 0 --normalize none --resume %s --out %s --quiet",
                             DEBIAN, in_dir("ck"), in_dir("other.nnc")),
                     1);
    char *err = slurp(in_dir("stderr"), NULL);
    assert_non_null(strstr(err, "belongs to another run"));
    free(err);

    /* Cross-validation fits each fold's vocabulary on its training folds. */
    assert_int_equal(run_nnc("cv --data %s --text description --target section --folds 3 "
                             "--normalize stem --validation 0 --epochs 5", DEBIAN),
                     0);
    assert_true(number_after("accuracy: mean ") >= 0.85);

    /* Text options want --text, and --text wants a CSV file. */
    assert_int_equal(run_nnc("train --data %s --target section --bigrams --quiet", DEBIAN), 2);
    err = slurp(in_dir("stderr"), NULL);
    assert_non_null(strstr(err, "without --text"));
    free(err);
    assert_int_equal(run_nnc("train --data %s --text description --target section "
                             "--text-features words --quiet", DEBIAN), 2);
    err = slurp(in_dir("stderr"), NULL);
    assert_non_null(strstr(err, "--text-features expects one of counts, binary, tfidf, "
                                "tfidf-linear; got 'words'"));
    free(err);
    assert_int_equal(run_nnc("explain --model %s", in_dir("none.nnc")), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_text_columns_are_read_as_written, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_bag_of_words_rows, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_batch_columns, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_malformed_text_cells, make_dir, remove_dir),
        cmocka_unit_test(test_stop_words),
        cmocka_unit_test_setup_teardown(test_model_keeps_its_vocabulary, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_model_file_checks_the_text_section, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_the_program_on_text, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

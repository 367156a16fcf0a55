/*
 * test_csv.c - the CSV loader: the four real data sets, the CSV dialect
 * (quotes, CRLF, BOM, blank lines), column selection for training and for
 * prediction, how the task and classes are decided, and malformed files,
 * each with the exact "path:line:column: ..." message a user would see.
 *
 * Small files are written by the test into a fresh temporary directory, so
 * every byte (a BOM, a CR, a NUL) is visible in the test itself and no
 * checkout setting can rewrite line ends.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nnc.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmp_dir[] = "/tmp/nnc-test-csv-XXXXXX";
static char created[256][256];   /* files to remove at the end */
static int n_created;

/* ---------------------------------------------------------------- helpers */

/* The path of name inside the temporary directory (rotating buffers, so a
 * few can be alive at once). */
static const char *path_of(const char *name)
{
    static char paths[4][256];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 256, "%s/%s", tmp_dir, name);
    return p;
}

/* Writes n bytes as name in the temporary directory; returns its path. */
static const char *write_bytes(const char *name, const char *bytes, size_t n)
{
    const char *path = path_of(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    int known = 0;
    for (int i = 0; i < n_created; i++)
        known |= strcmp(created[i], path) == 0;
    if (!known) {
        assert_true(n_created < 256);
        snprintf(created[n_created++], 256, "%s", path);
    }
    return path;
}

static const char *write_text(const char *name, const char *text)
{
    return write_bytes(name, text, strlen(text));
}

static nnc_dataset *load_ok(const char *path, const nnc_csv_options *options)
{
    nnc_dataset *data = NULL;
    nnc_status st = nnc_dataset_load_csv(path, options, &data);
    if (st != NNC_OK)
        print_error("%s\n", nnc_last_error());
    assert_int_equal(st, NNC_OK);
    assert_non_null(data);
    return data;
}

static nnc_dataset *load_text(const char *name, const char *text,
                              const nnc_csv_options *options)
{
    return load_ok(write_text(name, text), options);
}

/* Loading path fails with status and the message path + rest, exactly. */
static void expect_failure_at(const char *path, const nnc_csv_options *options,
                              nnc_status status, const char *rest)
{
    char expected[1024];
    snprintf(expected, sizeof expected, "%s%s", path, rest);
    nnc_dataset *data = (nnc_dataset *)1;
    nnc_status st = nnc_dataset_load_csv(path, options, &data);
    if (st != status || strcmp(nnc_last_error(), expected) != 0)
        print_error("status %d, message:\n  %s\nexpected %d:\n  %s\n", (int)st,
                    nnc_last_error(), (int)status, expected);
    assert_int_equal(st, status);
    assert_null(data);
    assert_string_equal(nnc_last_error(), expected);
}

/* The file with contents bytes[0..n) fails to load with NNC_EFORMAT and
 * the message "path" + rest. */
static void expect_bad(const char *name, const char *bytes, size_t n,
                       const nnc_csv_options *options, const char *rest)
{
    expect_failure_at(write_bytes(name, bytes, n), options, NNC_EFORMAT, rest);
}

static void expect_bad_text(const char *name, const char *text,
                            const nnc_csv_options *options, const char *rest)
{
    expect_bad(name, text, strlen(text), options, rest);
}

static float x_at(const nnc_dataset *data, int row, int col)
{
    int n = nnc_dataset_inputs(data);
    float *x = malloc((size_t)n * sizeof *x);
    assert_non_null(x);
    size_t index = (size_t)row;
    assert_int_equal(nnc_dataset_gather(data, &index, 1, x, NULL), NNC_OK);
    float v = x[col];
    free(x);
    return v;
}

static float y_at(const nnc_dataset *data, int row, int col)
{
    float y[64];
    assert_true(nnc_dataset_targets(data) <= 64);
    size_t index = (size_t)row;
    assert_int_equal(nnc_dataset_gather(data, &index, 1, NULL, y), NNC_OK);
    return y[col];
}

static int class_count(const nnc_dataset *data, int k)
{
    int n = 0;
    for (int i = 0; i < nnc_dataset_rows(data); i++)
        n += nnc_dataset_class_of(data, i) == k;
    return n;
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

/* ------------------------------------------------------------ real files */

static void test_iris(void **state)
{
    (void)state;
    nnc_dataset *data = load_ok(NNC_TEST_DATA "/iris.csv", NULL);
    assert_int_equal(nnc_dataset_rows(data), 150);
    assert_int_equal(nnc_dataset_inputs(data), 4);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_CLASSIFICATION);
    assert_int_equal(nnc_dataset_classes(data), 3);
    assert_int_equal(nnc_dataset_targets(data), 3);
    assert_string_equal(nnc_dataset_class_label(data, 0), "setosa");
    assert_string_equal(nnc_dataset_class_label(data, 1), "versicolor");
    assert_string_equal(nnc_dataset_class_label(data, 2), "virginica");
    assert_string_equal(nnc_dataset_input_name(data, 0), "sepal_length_cm");
    assert_string_equal(nnc_dataset_input_name(data, 3), "petal_width_cm");
    assert_string_equal(nnc_dataset_target_name(data), "target");
    const float first[4] = {5.1f, 3.5f, 1.4f, 0.2f};
    for (int j = 0; j < 4; j++)
        assert_float_equal(x_at(data, 0, j), first[j], 0);
    for (int k = 0; k < 3; k++)
        assert_int_equal(class_count(data, k), 50);
    assert_int_equal(nnc_dataset_class_of(data, 0), 0);
    assert_int_equal(nnc_dataset_class_of(data, 149), 2);
    assert_float_equal(y_at(data, 149, 2), 1.0f, 0);
    nnc_dataset_free(data);
}

static void test_breast_cancer(void **state)
{
    (void)state;
    nnc_dataset *data = load_ok(NNC_TEST_DATA "/breast_cancer.csv", NULL);
    assert_int_equal(nnc_dataset_rows(data), 569);
    assert_int_equal(nnc_dataset_inputs(data), 30);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_CLASSIFICATION);
    assert_int_equal(nnc_dataset_classes(data), 2);
    assert_int_equal(nnc_dataset_targets(data), 1);   /* one 0/1 column */
    assert_string_equal(nnc_dataset_class_label(data, 0), "benign");
    assert_string_equal(nnc_dataset_class_label(data, 1), "malignant");
    assert_int_equal(class_count(data, 0), 357);
    assert_int_equal(class_count(data, 1), 212);
    assert_int_equal(nnc_dataset_class_of(data, 0), 1);
    assert_float_equal(y_at(data, 0, 0), 1.0f, 0);
    assert_string_equal(nnc_dataset_input_name(data, 29), "worst_fractal_dimension");
    assert_float_equal(x_at(data, 0, 0), 17.99f, 0);
    nnc_dataset_free(data);
}

static void test_digits(void **state)
{
    (void)state;
    nnc_dataset *data = load_ok(NNC_TEST_DATA "/digits.csv", NULL);
    assert_int_equal(nnc_dataset_rows(data), 1797);
    assert_int_equal(nnc_dataset_inputs(data), 64);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_CLASSIFICATION);
    assert_int_equal(nnc_dataset_classes(data), 10);
    assert_int_equal(nnc_dataset_targets(data), 10);
    char label[4];
    for (int k = 0; k < 10; k++) {
        snprintf(label, sizeof label, "%d", k);
        assert_string_equal(nnc_dataset_class_label(data, k), label);
    }
    assert_int_equal(nnc_dataset_class_of(data, 0), 0);
    assert_int_equal(nnc_dataset_class_of(data, 1), 1);
    assert_float_equal(x_at(data, 0, 2), 5.0f, 0);
    nnc_dataset_free(data);
}

static void test_house_prices(void **state)
{
    (void)state;
    nnc_dataset *data = load_ok(NNC_TEST_DATA "/house_prices.csv", NULL);
    assert_int_equal(nnc_dataset_rows(data), 506);
    assert_int_equal(nnc_dataset_inputs(data), 13);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_REGRESSION);
    assert_int_equal(nnc_dataset_classes(data), 0);
    assert_int_equal(nnc_dataset_targets(data), 1);
    assert_null(nnc_dataset_class_label(data, 0));
    assert_float_equal(y_at(data, 0, 0), 24.0f, 0);
    assert_float_equal(y_at(data, 1, 0), 21.6f, 0);
    assert_string_equal(nnc_dataset_target_name(data), "MEDV");
    assert_float_equal(x_at(data, 0, 0), 0.00632f, 0);
    assert_string_equal(nnc_dataset_input_name(data, 11), "B");
    nnc_dataset_free(data);
}

static void test_house_prices_drop(void **state)
{
    (void)state;
    nnc_csv_options options = nnc_csv_defaults();
    const char *drop[] = {"B"};
    options.drop = drop;
    options.n_drop = 1;
    nnc_dataset *data = load_ok(NNC_TEST_DATA "/house_prices.csv", &options);
    assert_int_equal(nnc_dataset_rows(data), 506);
    assert_int_equal(nnc_dataset_inputs(data), 12);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_REGRESSION);
    for (int j = 0; j < 12; j++)
        assert_string_not_equal(nnc_dataset_input_name(data, j), "B");
    assert_string_equal(nnc_dataset_input_name(data, 10), "PTRATIO");
    assert_string_equal(nnc_dataset_input_name(data, 11), "LSTAT");
    assert_float_equal(x_at(data, 0, 11), 4.98f, 0);
    nnc_dataset_free(data);
}

/* A target named in the middle: CHAS (0/1) becomes two classes and the last
 * column, MEDV, an ordinary input. */
static void test_target_in_the_middle(void **state)
{
    (void)state;
    nnc_csv_options options = nnc_csv_defaults();
    options.target = "CHAS";
    nnc_dataset *data = load_ok(NNC_TEST_DATA "/house_prices.csv", &options);
    assert_int_equal(nnc_dataset_inputs(data), 13);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_CLASSIFICATION);
    assert_int_equal(nnc_dataset_classes(data), 2);
    assert_string_equal(nnc_dataset_class_label(data, 0), "0");
    assert_string_equal(nnc_dataset_class_label(data, 1), "1");
    assert_int_equal(class_count(data, 1), 35);
    assert_string_equal(nnc_dataset_target_name(data), "CHAS");
    assert_string_equal(nnc_dataset_input_name(data, 2), "INDUS");
    assert_string_equal(nnc_dataset_input_name(data, 3), "NOX");
    assert_string_equal(nnc_dataset_input_name(data, 12), "MEDV");
    assert_float_equal(x_at(data, 0, 12), 24.0f, 0);
    nnc_dataset_free(data);

    options.target = "label";
    data = load_text("middle.csv", "a,label,b\n1,dog,2\n3,cat,4\n5,dog,6\n", &options);
    assert_int_equal(nnc_dataset_inputs(data), 2);
    assert_string_equal(nnc_dataset_input_name(data, 1), "b");
    assert_string_equal(nnc_dataset_class_label(data, 0), "cat");
    assert_int_equal(nnc_dataset_class_of(data, 0), 1);
    assert_float_equal(x_at(data, 1, 1), 4.0f, 0);
    nnc_dataset_free(data);
}

/* ------------------------------------------------------------ the dialect */

/* A BOM, CRLF line ends, quoted names and cells with commas, quotes and a
 * line break inside them, blanks around numbers and around quotes. */
static void test_quotes_crlf_bom(void **state)
{
    (void)state;
    const char text[] = "\xEF\xBB\xBF\"a\",\"b, c\",label\r\n"
                        " 1 ,\" 2.5 \",\"he said \"\"hi\"\"\"\r\n"
                        "3,4e1,  \"multi\r\nline\"  \r\n"
                        "\"-5\",6,plain\r\n";
    nnc_dataset *data = load_text("dialect.csv", text, NULL);
    assert_int_equal(nnc_dataset_rows(data), 3);
    assert_int_equal(nnc_dataset_inputs(data), 2);
    assert_string_equal(nnc_dataset_input_name(data, 0), "a");
    assert_string_equal(nnc_dataset_input_name(data, 1), "b, c");
    assert_int_equal(nnc_dataset_classes(data), 3);
    /* strcmp order: 'h' < 'm' < 'p' */
    assert_string_equal(nnc_dataset_class_label(data, 0), "he said \"hi\"");
    assert_string_equal(nnc_dataset_class_label(data, 1), "multi\r\nline");
    assert_string_equal(nnc_dataset_class_label(data, 2), "plain");
    assert_float_equal(x_at(data, 0, 0), 1.0f, 0);
    assert_float_equal(x_at(data, 0, 1), 2.5f, 0);
    assert_float_equal(x_at(data, 1, 1), 40.0f, 0);
    assert_float_equal(x_at(data, 2, 0), -5.0f, 0);
    nnc_dataset_free(data);
}

/* The delimiter is detected among comma, semicolon, tab and pipe: the one
 * the first two rows have as many of (a semicolon file's decimal commas do
 * not count), or given; in a TSV a tab is a delimiter, never a blank. */
static void test_delimiters(void **state)
{
    (void)state;
    const struct {
        const char *name, *text;
        char delimiter;
    } cases[] = {
        { "semicolon.csv", "a;b;label\n1.5;2;x, or z\n3;4.25;y\n", 0 },
        { "tab.tsv", "a\tb\tlabel\n1.5\t 2\tx\n3\t4.25\ty\n", 0 },
        { "pipe.csv", "a|b|label\n1.5|2|x\n3|4.25|y\n", 0 },
        { "quoted.csv", "\"a;1\",b,label\n1.5,2,x\n3,4.25,y\n", 0 },
        { "given.csv", "a,b;label\n1.5;x\n3;y\n", ';' },
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        nnc_csv_options o = nnc_csv_defaults();
        o.delimiter = cases[t].delimiter;
        nnc_dataset *data = load_text(cases[t].name, cases[t].text, &o);
        assert_int_equal(nnc_dataset_rows(data), 2);
        assert_int_equal(nnc_dataset_classes(data), 2);
        if (t == 4) {   /* "a,b" is one column's name */
            assert_int_equal(nnc_dataset_inputs(data), 1);
            assert_string_equal(nnc_dataset_input_name(data, 0), "a,b");
            assert_float_equal(x_at(data, 1, 0), 3.0f, 0);
            nnc_dataset_free(data);
            continue;
        }
        assert_int_equal(nnc_dataset_inputs(data), 2);
        assert_string_equal(nnc_dataset_input_name(data, 1), "b");
        assert_float_equal(x_at(data, 0, 0), 1.5f, 0);
        assert_float_equal(x_at(data, 1, 1), 4.25f, 0);
        nnc_dataset_free(data);
    }
    /* Decimal commas in a semicolon file: the cell is one, and not a number. */
    expect_bad_text("decimal-commas.csv", "a;b;label\n1,5;2;x\n3;4,25;y\n", NULL,
                    ":2:1: column 'a': '1,5' is not a number");
    /* An empty cell in a TSV is empty, not skipped over. */
    expect_bad_text("tab-empty.tsv", "a\tb\tlabel\n\t2\tx\n", NULL,
                    ":2:1: column 'a': empty cell, expected a number");
    nnc_csv_options o = nnc_csv_defaults();
    o.delimiter = '"';
    nnc_dataset *none = NULL;
    assert_int_equal(nnc_dataset_load_csv(write_text("quote.csv", "a,b\n1,2\n"), &o, &none),
                     NNC_EINVAL);
    assert_null(none);
    assert_string_equal(nnc_last_error(), "csv options: the delimiter cannot be a quote");
}

/* A first row with numbers wherever the next row has them is data, not
 * names: refused with a hint, and read as data with no_header, whose
 * columns are c0, c1, ... */
static void test_no_header(void **state)
{
    (void)state;
    const char text[] = "5.1,3.5,0\n4.9,3.0,1\n6.2,2.9,1\n";
    expect_bad_text("headless.csv", text, NULL,
                    ":1:1: the first row looks like data, not column names (it has numbers "
                    "such as '5.1' where the next row has numbers): read the file as having "
                    "no header (nnc's --no-header), which names the columns c0, c1, ...");
    /* Text beside the numbers, as a class column has it. */
    expect_bad_text("headless-text.csv", "a,5.1,setosa\nb,4.9,setosa\n", NULL,
                    ":1:1: the first row looks like data, not column names (it has numbers "
                    "such as '5.1' where the next row has numbers): read the file as having "
                    "no header (nnc's --no-header), which names the columns c0, c1, ...");
    nnc_csv_options o = nnc_csv_defaults();
    o.no_header = 1;
    nnc_dataset *data = load_text("headless.csv", text, &o);
    assert_int_equal(nnc_dataset_rows(data), 3);
    assert_int_equal(nnc_dataset_inputs(data), 2);
    assert_string_equal(nnc_dataset_input_name(data, 0), "c0");
    assert_string_equal(nnc_dataset_input_name(data, 1), "c1");
    assert_string_equal(nnc_dataset_target_name(data), "c2");
    assert_float_equal(x_at(data, 0, 0), 5.1f, 0);
    assert_float_equal(x_at(data, 2, 1), 2.9f, 0);
    assert_int_equal(nnc_dataset_classes(data), 2);
    assert_int_equal(nnc_dataset_class_of(data, 0), 0);
    assert_int_equal(nnc_dataset_class_of(data, 2), 1);
    nnc_dataset_free(data);
    /* With no next row to compare, or a ragged one, the first row stays the
     * header, and the usual messages follow. */
    expect_bad_text("numbers-then-nothing.csv", "1,2\n\n", NULL,
                    ":2: no data rows after the header");
    expect_bad_text("numbers-then-ragged.csv", "1,2\n3\n", NULL,
                    ":2:2: expected 2 fields, found 1");
    /* A name among numbers is a header. */
    data = load_text("named.csv", "5.1,width,0\n4.9,3.0,1\n6.2,2.9,0\n", NULL);
    assert_int_equal(nnc_dataset_rows(data), 2);
    nnc_dataset_free(data);
}

/* No newline after the last row is fine; empty lines at the end are
 * ignored; LF and CRLF may even be mixed. */
static void test_line_ends(void **state)
{
    (void)state;
    const char *files[] = {"x,y\n1,a\n2,b", "x,y\n1,a\n2,b\n\n\r\n\n", "x,y\r\n1,a\n2,b\r\n",
                           "x,y\n1,a\n\"2\",\"b\""};
    for (int i = 0; i < 4; i++) {
        nnc_dataset *data = load_text("ends.csv", files[i], NULL);
        assert_int_equal(nnc_dataset_rows(data), 2);
        assert_int_equal(nnc_dataset_classes(data), 2);
        assert_string_equal(nnc_dataset_class_label(data, 1), "b");
        assert_float_equal(x_at(data, 1, 0), 2.0f, 0);
        nnc_dataset_free(data);
    }
}

/* A file without a single LF but with CRs (as classic Mac OS programs
 * wrote) has CR line ends: it loaded as one long header and "no data
 * rows". Line numbers in messages count CR lines, a quoted CR included. */
static void test_cr_line_ends(void **state)
{
    (void)state;
    nnc_dataset *data = load_text("mac.csv", "x,y\r1,a\r2,b\r\r", NULL);
    assert_int_equal(nnc_dataset_rows(data), 2);
    assert_int_equal(nnc_dataset_classes(data), 2);
    assert_string_equal(nnc_dataset_class_label(data, 1), "b");
    assert_float_equal(x_at(data, 1, 0), 2.0f, 0);
    nnc_dataset_free(data);
    data = load_text("mac-quoted.csv", "x,y\r1,\"two\rlines\"\r2,b", NULL);
    assert_int_equal(nnc_dataset_rows(data), 2);
    assert_string_equal(nnc_dataset_class_label(data, 1), "two\rlines");
    nnc_dataset_free(data);
    expect_bad_text("mac-bad.csv", "x,y\r1,\"a\rb\"\r2,b\r3\r", NULL,
                    ":5:2: expected 2 fields, found 1");
    expect_bad_text("mac-blank.csv", "x,y\r1,a\r\r2,b\r", NULL,
                    ":3:1: empty line, expected 2 fields");
    /* with an LF anywhere, a lone CR is part of a cell, as before */
    expect_bad_text("mixed-cr.csv", "x,y\r1,a\n", NULL,
                    ":2: no data rows after the header");
}

/* A 1 MB label and a 100,000-column row: long lines are only long. */
static void test_long_lines(void **state)
{
    (void)state;
    size_t big = (size_t)1 << 20;
    char *text = malloc(big + 64);
    assert_non_null(text);
    size_t n = (size_t)sprintf(text, "x,y\n1,");
    memset(text + n, 'z', big);
    n += big;
    n += (size_t)sprintf(text + n, "\n2,short\n");
    nnc_dataset *data = load_ok(write_bytes("long-cell.csv", text, n), NULL);
    assert_int_equal(nnc_dataset_classes(data), 2);
    assert_string_equal(nnc_dataset_class_label(data, 0), "short");
    assert_int_equal(strlen(nnc_dataset_class_label(data, 1)), big);
    nnc_dataset_free(data);
    free(text);

    int columns = 100000;
    size_t cap = (size_t)columns * 16 + 64;
    text = malloc(cap);
    assert_non_null(text);
    n = 0;
    for (int c = 0; c < columns; c++)
        n += (size_t)sprintf(text + n, "c%d,", c);
    n += (size_t)sprintf(text + n, "y\n");
    for (int row = 0; row < 2; row++) {
        for (int c = 0; c < columns; c++)
            n += (size_t)sprintf(text + n, "%d.5,", c % 10);
        n += (size_t)sprintf(text + n, "%d\n", row);
    }
    data = load_ok(write_bytes("wide.csv", text, n), NULL);
    assert_int_equal(nnc_dataset_inputs(data), columns);
    assert_int_equal(nnc_dataset_classes(data), 2);
    assert_string_equal(nnc_dataset_input_name(data, columns - 1), "c99999");
    assert_float_equal(x_at(data, 1, 12345), 5.5f, 0);
    nnc_dataset_free(data);
    free(text);
}

/* A program that sets a locale with a decimal comma still reads "1.5" as
 * 1.5. The locale is compiled for the test with localedef from the `locales`
 * package (scripts/install-deps installs it), so the test never depends on
 * which locales a machine happens to have. */
static void test_locale(void **state)
{
    (void)state;
    char dir[] = "/tmp/nnc-locale-XXXXXX", cmd[256];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 > /dev/null 2>&1", dir);
    int built = system(cmd) == 0;
    setenv("LOCPATH", dir, 1);
    int set = built && setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
    int comma = set && strtod("1.5", NULL) == 1.0;   /* the locale really reads "1,5" */
    nnc_dataset *data = set ? load_text("locale.csv", "x,y\n1.5,a\n-2.25e1,b\n", NULL) : NULL;
    setlocale(LC_NUMERIC, "C");
    unsetenv("LOCPATH");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    if (!set)
        fail_msg("cannot build the de_DE locale with localedef (package 'locales')");
    assert_true(comma);
    assert_float_equal(x_at(data, 0, 0), 1.5f, 0);
    assert_float_equal(x_at(data, 1, 0), -22.5f, 0);
    nnc_dataset_free(data);
}

/* ------------------------------------------------------- task and classes */

/* Number labels sort as numbers (1 < 2 < 10), written in one form. */
static void test_numeric_labels(void **state)
{
    (void)state;
    nnc_dataset *data = load_text("numeric.csv", "x,y\n1,10\n2,2\n3,1\n4,2.0\n5, 1e1 \n", NULL);
    assert_int_equal(nnc_dataset_classes(data), 3);
    assert_string_equal(nnc_dataset_class_label(data, 0), "1");
    assert_string_equal(nnc_dataset_class_label(data, 1), "2");
    assert_string_equal(nnc_dataset_class_label(data, 2), "10");
    assert_int_equal(nnc_dataset_class_of(data, 0), 2);
    assert_int_equal(nnc_dataset_class_of(data, 3), 1);
    assert_int_equal(nnc_dataset_class_of(data, 4), 2);
    nnc_dataset_free(data);
    /* one text label makes them all text, sorted by strcmp */
    data = load_text("mixed.csv", "x,y\n1,10\n2,2\n3,n/a\n", NULL);
    assert_int_equal(nnc_dataset_classes(data), 3);
    assert_string_equal(nnc_dataset_class_label(data, 0), "10");
    assert_string_equal(nnc_dataset_class_label(data, 1), "2");
    assert_string_equal(nnc_dataset_class_label(data, 2), "n/a");
    nnc_dataset_free(data);
}

/* Writes "x,y" and rows x = i, y = value(i) for i < rows. */
static const char *write_targets(const char *name, int rows, double (*value)(int))
{
    static char text[8192];
    size_t n = (size_t)sprintf(text, "x,y\n");
    for (int i = 0; i < rows; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%d,%.17g\n", i, value(i));
    return write_bytes(name, text, n);
}

static double twenty_values(int i) { return i % 20; }
static double twenty_one_values(int i) { return i % 21; }
static double halves(int i) { return (i % 3) * 0.5; }
static double zero_one(int i) { return i % 2; }

/* AUTO: whole numbers with up to 20 distinct values are classes, 21 or
 * fractions a regression; the task option overrides either way. */
static void test_task_inference(void **state)
{
    (void)state;
    nnc_dataset *data = load_ok(write_targets("t20.csv", 60, twenty_values), NULL);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_CLASSIFICATION);
    assert_int_equal(nnc_dataset_classes(data), 20);
    assert_string_equal(nnc_dataset_class_label(data, 19), "19");
    nnc_dataset_free(data);
    data = load_ok(write_targets("t21.csv", 63, twenty_one_values), NULL);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_REGRESSION);
    assert_float_equal(y_at(data, 20, 0), 20.0f, 0);
    nnc_dataset_free(data);
    const char *halves_path = write_targets("halves.csv", 9, halves);
    data = load_ok(halves_path, NULL);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_REGRESSION);
    assert_float_equal(y_at(data, 1, 0), 0.5f, 0);
    nnc_dataset_free(data);

    nnc_csv_options options = nnc_csv_defaults();
    options.task = NNC_TASK_CLASSIFICATION;
    data = load_ok(halves_path, &options);
    assert_int_equal(nnc_dataset_classes(data), 3);
    assert_string_equal(nnc_dataset_class_label(data, 0), "0");
    assert_string_equal(nnc_dataset_class_label(data, 1), "0.5");
    assert_string_equal(nnc_dataset_class_label(data, 2), "1");
    nnc_dataset_free(data);
    options.task = NNC_TASK_REGRESSION;
    data = load_ok(write_targets("zero-one.csv", 10, zero_one), &options);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_REGRESSION);
    assert_int_equal(nnc_dataset_classes(data), 0);
    assert_float_equal(y_at(data, 1, 0), 1.0f, 0);
    nnc_dataset_free(data);
}

/* Writes "x,id" and rows x = i, id = "id<i % distinct>" for i < rows. */
static const char *write_ids(const char *name, int rows, int distinct)
{
    size_t cap = 32 + (size_t)rows * 32, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    n += (size_t)snprintf(text, cap, "x,id\n");
    for (int i = 0; i < rows; i++)
        n += (size_t)snprintf(text + n, cap - n, "%d,id%d\n", i, i % distinct);
    const char *path = write_bytes(name, text, n);
    free(text);
    return path;
}

/* A text target whose values are most of the rows is no class: with more
 * than 20 of them and more than half the rows (an identifier, say), AUTO
 * refuses it before anything of the data set is built. Sets of a few rows
 * stay below 20 and load as they are; a forced classification takes up to
 * NNC_MAX_CLASSES classes however few rows each has. */
static void test_too_many_classes(void **state)
{
    (void)state;
    const char *hint = "is it an identifier or free text rather than a class? "
                       "(choose another target column)";
    char rest[400];
    snprintf(rest, sizeof rest,
             ":1:2: target column 'id' has 21 distinct values in 41 rows, more than half of "
             "them: %s", hint);
    const char *path = write_ids("ids-41.csv", 41, 21);
    expect_failure_at(path, NULL, NNC_EFORMAT, rest);
    nnc_csv_options forced = nnc_csv_defaults();
    forced.task = NNC_TASK_CLASSIFICATION;
    nnc_dataset *data = load_ok(path, &forced);
    assert_int_equal(nnc_dataset_classes(data), 21);
    nnc_dataset_free(data);
    data = load_ok(write_ids("ids-42.csv", 42, 21), NULL);   /* exactly half: two rows each */
    assert_int_equal(nnc_dataset_classes(data), 21);
    assert_int_equal(nnc_dataset_targets(data), 21);
    nnc_dataset_free(data);
    data = load_ok(write_ids("ids-3.csv", 3, 3), NULL);   /* tiny: one row per class */
    assert_int_equal(nnc_dataset_classes(data), 3);
    nnc_dataset_free(data);

    /* Beyond NNC_MAX_CLASSES the count stops there, forced or not. */
    path = write_ids("ids-4097.csv", NNC_MAX_CLASSES + 1, NNC_MAX_CLASSES + 1);
    snprintf(rest, sizeof rest,
             ":1:2: target column 'id' has more than 4096 distinct values in 4097 rows, too "
             "many to be classes: %s", hint);
    expect_failure_at(path, NULL, NNC_EFORMAT, rest);
    expect_failure_at(path, &forced, NNC_EFORMAT,
                      ":1:2: column 'id': more than 4096 classes in the target");
    data = load_ok(write_ids("ids-4096.csv", 2 * NNC_MAX_CLASSES, NNC_MAX_CLASSES), NULL);
    assert_int_equal(nnc_dataset_classes(data), NNC_MAX_CLASSES);
    assert_string_equal(nnc_dataset_class_label(data, 0), "id0");
    assert_string_equal(nnc_dataset_class_label(data, 1), "id1");   /* strcmp order */
    assert_string_equal(nnc_dataset_class_label(data, 2), "id10");
    int k = nnc_dataset_class_of(data, 8190);   /* "id4094" */
    assert_string_equal(nnc_dataset_class_label(data, k), "id4094");
    /* the one-hot targets are made as rows are gathered */
    float *y = malloc(NNC_MAX_CLASSES * sizeof *y);
    assert_non_null(y);
    size_t row = 8190;
    assert_int_equal(nnc_dataset_gather(data, &row, 1, NULL, y), NNC_OK);
    for (int j = 0; j < NNC_MAX_CLASSES; j++)
        assert_float_equal(y[j], j == k ? 1.0f : 0.0f, 0);
    free(y);
    nnc_dataset_free(data);
}

/* Class labels must tell the classes apart: "p", " p" and "\"p\"" are one
 * class, and a set made with labels given twice is refused, as renaming
 * with them was; it used to load, and a model trained on it wrote
 * predictions under the header "p_p,p_p". */
static void test_duplicate_labels(void **state)
{
    (void)state;
    nnc_dataset *data = load_text("same-label.csv", "x,y\n1,p\n2, p\n3,\"p\"\n4,q\n", NULL);
    assert_int_equal(nnc_dataset_classes(data), 2);
    assert_int_equal(nnc_dataset_class_of(data, 2), 0);
    nnc_dataset_free(data);
    const float x[4] = {1, 2, 3, 4};
    const int classes[4] = {0, 1, 2, 1};
    const char *twice[] = {"p", "q", "p"}, *empty[] = {"p", "", "q"}, *fine[] = {"p", "q", "r"};
    assert_null(nnc_dataset_from_classes(x, classes, 4, 1, 3, twice));
    assert_string_equal(nnc_last_error(), "class labels: 'p' is given twice");
    assert_null(nnc_dataset_from_classes(x, classes, 4, 1, 3, empty));
    assert_string_equal(nnc_last_error(), "class labels: name 2 is empty");
    data = nnc_dataset_from_classes(x, classes, 4, 1, 3, fine);
    assert_non_null(data);
    assert_int_equal(nnc_dataset_set_class_labels(data, twice, 3), NNC_EINVAL);
    assert_string_equal(nnc_last_error(), "class labels: 'p' is given twice");
    assert_string_equal(nnc_dataset_class_label(data, 2), "r");
    nnc_dataset_free(data);
}

/* The classes of a trained model fix the indices, whatever the file holds;
 * a number matches its label in any spelling. */
static void test_given_classes(void **state)
{
    (void)state;
    nnc_csv_options options = nnc_csv_defaults();
    const char *reversed[] = {"virginica", "versicolor", "setosa", "unseen"};
    options.classes = reversed;
    options.n_classes = 4;
    nnc_dataset *data = load_ok(NNC_TEST_DATA "/iris.csv", &options);
    assert_int_equal(nnc_dataset_classes(data), 4);
    assert_int_equal(nnc_dataset_targets(data), 4);
    assert_string_equal(nnc_dataset_class_label(data, 0), "virginica");
    assert_int_equal(nnc_dataset_class_of(data, 0), 2);
    assert_int_equal(nnc_dataset_class_of(data, 149), 0);
    assert_int_equal(class_count(data, 3), 0);
    nnc_dataset_free(data);

    const char *numbers[] = {"1", "0"};
    options.classes = numbers;
    options.n_classes = 2;
    data = load_text("given.csv", "x,y\n1,0\n2,1.0\n3, 1 \n4,\"0\"\n", &options);
    assert_int_equal(nnc_dataset_targets(data), 1);
    assert_int_equal(nnc_dataset_class_of(data, 0), 1);
    assert_int_equal(nnc_dataset_class_of(data, 1), 0);
    assert_int_equal(nnc_dataset_class_of(data, 2), 0);
    assert_int_equal(nnc_dataset_class_of(data, 3), 1);
    assert_float_equal(y_at(data, 0, 0), 1.0f, 0);   /* class 1 of 2: the 0/1 column */
    nnc_dataset_free(data);
    /* a single class in the data is fine when the classes are given */
    data = load_text("given-one.csv", "x,y\n1,0\n2,0\n", &options);
    assert_int_equal(nnc_dataset_classes(data), 2);
    nnc_dataset_free(data);
}

/* ------------------------------------------------- columns for a model */

/* A model's inputs: those columns in that order, whatever the file's order. */
static void test_given_inputs(void **state)
{
    (void)state;
    nnc_csv_options options = nnc_csv_defaults();
    const char *inputs[] = {"a", "b"};
    options.inputs = inputs;
    options.n_inputs = 2;
    options.target = "y";
    nnc_dataset *data = load_text("reordered.csv", "b,y,a\n1,p,2\n3,q,4\n", &options);
    assert_int_equal(nnc_dataset_inputs(data), 2);
    assert_string_equal(nnc_dataset_input_name(data, 0), "a");
    assert_float_equal(x_at(data, 0, 0), 2.0f, 0);
    assert_float_equal(x_at(data, 0, 1), 1.0f, 0);
    assert_string_equal(nnc_dataset_class_label(data, 1), "q");
    nnc_dataset_free(data);

    /* prediction data: no target column, or one that is ignored */
    options.no_target = 1;
    const char *files[] = {"b,a\n1,2\n3,4\n", "b,y,a\n1,p,2\n3,q,4\n"};
    for (int i = 0; i < 2; i++) {
        data = load_text("predict.csv", files[i], &options);
        assert_int_equal(nnc_dataset_inputs(data), 2);
        assert_int_equal(nnc_dataset_task(data), NNC_TASK_REGRESSION);
        assert_int_equal(nnc_dataset_targets(data), 1);
        assert_float_equal(x_at(data, 1, 0), 4.0f, 0);
        assert_float_equal(y_at(data, 1, 0), 0.0f, 0);
        nnc_dataset_free(data);
    }
}

/* target_optional, as a program predicting with a model sets it: the
 * target is used when the file has it and not missed when it does not. */
static void test_target_optional(void **state)
{
    (void)state;
    nnc_csv_options options = nnc_csv_defaults();
    const char *inputs[] = {"a", "b"}, *classes[] = {"q", "p"};
    options.inputs = inputs;
    options.n_inputs = 2;
    options.classes = classes;
    options.n_classes = 2;
    options.target = "y";
    options.target_optional = 1;
    nnc_dataset *data = load_text("optional.csv", "b,y,a\n1,p,2\n3,q,4\n", &options);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_CLASSIFICATION);
    assert_string_equal(nnc_dataset_target_name(data), "y");
    assert_int_equal(nnc_dataset_class_of(data, 0), 1);
    nnc_dataset_free(data);
    data = load_text("optional-absent.csv", "b,a\n1,2\n3,4\n", &options);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_REGRESSION);
    assert_int_equal(nnc_dataset_classes(data), 0);
    assert_float_equal(x_at(data, 1, 1), 3.0f, 0);
    assert_float_equal(y_at(data, 1, 0), 0.0f, 0);
    nnc_dataset_free(data);
    /* no target named: a file of the inputs only has none */
    options.target = NULL;
    data = load_text("optional-unnamed.csv", "b,a\n1,2\n3,4\n", &options);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_REGRESSION);
    nnc_dataset_free(data);
    data = load_text("optional-last.csv", "b,a,y\n1,2,q\n3,4,q\n", &options);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_CLASSIFICATION);
    assert_int_equal(nnc_dataset_class_of(data, 1), 0);
    nnc_dataset_free(data);
    /* without inputs, a missing named target leaves every column an input */
    options = nnc_csv_defaults();
    options.target = "label";
    options.target_optional = 1;
    data = load_text("optional-plain.csv", "a,b\n1,2\n", &options);
    assert_int_equal(nnc_dataset_inputs(data), 2);
    nnc_dataset_free(data);
}

/* no_target alone: every column not dropped is an input, targets are zero. */
static void test_no_target(void **state)
{
    (void)state;
    nnc_csv_options options = nnc_csv_defaults();
    options.no_target = 1;
    const char *drop[] = {"id"};
    options.drop = drop;
    options.n_drop = 1;
    nnc_dataset *data = load_text("no-target.csv", "id,a,b\nx1,1,2\nx2,3,4\n", &options);
    assert_int_equal(nnc_dataset_inputs(data), 2);
    assert_int_equal(nnc_dataset_rows(data), 2);
    assert_int_equal(nnc_dataset_task(data), NNC_TASK_REGRESSION);
    assert_int_equal(nnc_dataset_classes(data), 0);
    assert_float_equal(x_at(data, 1, 1), 4.0f, 0);
    assert_float_equal(y_at(data, 0, 0), 0.0f, 0);
    nnc_dataset_free(data);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    nnc_dataset *data = (nnc_dataset *)1;
    assert_int_equal(nnc_dataset_load_csv(NULL, NULL, &data), NNC_EINVAL);
    assert_null(data);
    assert_int_equal(nnc_dataset_load_csv("x.csv", NULL, NULL), NNC_EINVAL);
    const char *path = write_text("args.csv", "a,y\n1,2\n3,4\n");
    nnc_csv_options options = nnc_csv_defaults();
    options.n_drop = 1;   /* and no array */
    assert_int_equal(nnc_dataset_load_csv(path, &options, &data), NNC_EINVAL);
    assert_string_equal(nnc_last_error(), "csv options: 1 drop names but no array");
    options = nnc_csv_defaults();
    options.task = (nnc_task)7;
    assert_int_equal(nnc_dataset_load_csv(path, &options, &data), NNC_EINVAL);
    assert_string_equal(nnc_last_error(), "csv options: unknown task 7");
    options = nnc_csv_defaults();
    const char *one[] = {"x"}, *twice[] = {"x", "x"}, *inputs[] = {"a", "a"};
    options.classes = one;
    options.n_classes = 1;
    assert_int_equal(nnc_dataset_load_csv(path, &options, &data), NNC_EINVAL);
    assert_string_equal(nnc_last_error(),
                        "csv options: 1 class labels; a classification needs 2 to 4096");
    options.classes = twice;
    options.n_classes = 2;
    assert_int_equal(nnc_dataset_load_csv(path, &options, &data), NNC_EINVAL);
    assert_string_equal(nnc_last_error(), "csv options: class 'x' is listed twice");
    options.task = NNC_TASK_REGRESSION;
    assert_int_equal(nnc_dataset_load_csv(path, &options, &data), NNC_EINVAL);
    options = nnc_csv_defaults();
    options.inputs = inputs;
    options.n_inputs = 2;
    assert_int_equal(nnc_dataset_load_csv(path, &options, &data), NNC_EINVAL);
    assert_string_equal(nnc_last_error(), "csv options: input 'a' is listed twice");
}

/* ------------------------------------------------------- malformed files */

/* Files that cannot be read, or hold no data. */
static void test_file_errors(void **state)
{
    (void)state;
    expect_failure_at(path_of("missing.csv"), NULL, NNC_EIO,
                      ": cannot open: No such file or directory");
    expect_failure_at(tmp_dir, NULL, NNC_EIO, ": cannot read: Is a directory");
    expect_bad("empty.csv", "", 0, NULL, ": empty file, expected a header row");
    expect_bad_text("blank.csv", "\r\n\n", NULL, ": empty file, expected a header row");
    expect_bad_text("bom-only.csv", "\xEF\xBB\xBF", NULL,
                    ": empty file, expected a header row");
    expect_bad_text("blank-first.csv", "\na,b\n1,2\n", NULL,
                    ":1:1: empty first line, expected a header row");
    expect_bad_text("header-only.csv", "a,b,c\n", NULL, ":2: no data rows after the header");
    expect_bad_text("header-only-no-newline.csv", "a,b,c", NULL,
                    ":1: no data rows after the header");
    expect_bad_text("header-blank-lines.csv", "a,b,c\r\n\r\n\n", NULL,
                    ":2: no data rows after the header");
}

static void test_ragged_rows(void **state)
{
    (void)state;
    expect_bad_text("few.csv", "a,b,y\n1,2,x\n3,4\n", NULL, ":3:3: expected 3 fields, found 2");
    expect_bad_text("many.csv", "a,b,y\n1,2,x,5,6\n", NULL, ":2:4: expected 3 fields, found 5");
    expect_bad_text("blank-middle.csv", "a,b,y\n1,2,x\n\n3,4,z\n", NULL,
                    ":3:1: empty line, expected 3 fields");
    expect_bad_text("blank-middle-crlf.csv", "a,b,y\r\n1,2,x\r\n\r\n3,4,z\r\n", NULL,
                    ":3:1: empty line, expected 3 fields");
    expect_bad_text("spaces-line.csv", "a,b,y\n1,2,x\n   \n", NULL,
                    ":3:2: expected 3 fields, found 1");
}

static void test_bad_numbers(void **state)
{
    (void)state;
    expect_bad_text("text.csv", "a,b,y\n1,2,x\n3,abc,z\n", NULL,
                    ":3:2: column 'b': 'abc' is not a number");
    expect_bad_text("dots.csv", "a,b,y\n1.2.3,2,x\n", NULL,
                    ":2:1: column 'a': '1.2.3' is not a number");
    expect_bad_text("nan.csv", "a,b,y\n1,nan,x\n", NULL,
                    ":2:2: column 'b': 'nan' is not a finite number");
    expect_bad_text("inf.csv", "a,b,y\n1,2,x\n-inf,2,x\n", NULL,
                    ":3:1: column 'a': '-inf' is not a finite number");
    expect_bad_text("float-range.csv", "a,b,y\n1,1e39,x\n", NULL,
                    ":2:2: column 'b': '1e39' is too large for a float");
    expect_bad_text("double-range.csv", "a,b,y\n1,-1e999,x\n", NULL,
                    ":2:2: column 'b': '-1e999' is too large for a float");
    expect_bad_text("empty-cell.csv", "a,b,y\n,2,x\n", NULL,
                    ":2:1: column 'a': empty cell, expected a number");
    expect_bad_text("blank-cell.csv", "a,b,y\n1,  ,x\n", NULL,
                    ":2:2: column 'b': empty cell, expected a number");
    expect_bad_text("number-suffix.csv", "a,b,y\n1,2kg,x\n", NULL,
                    ":2:2: column 'b': '2kg' is not a number");
    /* a control character is shown escaped, so a message stays one line */
    expect_bad_text("control.csv", "a,b,y\n1,2\r3,x\n", NULL,
                    ":2:2: column 'b': '2\\x0d3' is not a number");
}

static void test_bad_targets(void **state)
{
    (void)state;
    expect_bad_text("one-class.csv", "a,b,y\n1,2,x\n3,4,x\n", NULL,
                    ":1:3: only one class 'x' in target column 'y'");
    expect_bad_text("one-number-class.csv", "a,y\n1,1\n3,1.0\n", NULL,
                    ":1:2: only one class '1' in target column 'y'");
    expect_bad_text("empty-target.csv", "a,b,y\n1,2,x\n3,4,\n", NULL,
                    ":3:3: column 'y': empty target cell");
    nnc_csv_options options = nnc_csv_defaults();
    options.task = NNC_TASK_REGRESSION;
    expect_bad_text("text-target.csv", "a,y\n1,2.5\n3,abc\n", &options,
                    ":3:2: column 'y': 'abc' is not a number (the target of a regression)");
    expect_bad_text("nan-target.csv", "a,y\n1,2.5\n3,NaN\n", NULL,
                    ":3:2: column 'y': 'NaN' is not a finite number "
                    "(the target of a regression)");
    options = nnc_csv_defaults();
    const char *classes[] = {"cat", "dog"};
    options.classes = classes;
    options.n_classes = 2;
    expect_bad_text("unknown-class.csv", "a,y\n1,cat\n2,dog\n3,cow\n", &options,
                    ":4:2: column 'y': unknown class 'cow'; the classes are 'cat', 'dog'");
}

static void test_bad_quotes(void **state)
{
    (void)state;
    expect_bad_text("unterminated.csv", "a,b,y\n1,2,x\n3,\"4,z\n5,6,w\n", NULL,
                    ":3:2: unterminated quote: the quoted field starting here runs to the "
                    "end of the file");
    expect_bad_text("stray-quote.csv", "a,b,y\n1,2\"3,x\n", NULL,
                    ":2:2: quote inside an unquoted field (quote the whole field and double "
                    "the quotes in it)");
    expect_bad_text("after-quote.csv", "a,b,y\n1,\"2\"3,x\n", NULL,
                    ":2:2: '3' after the closing quote of a field (a quote inside quotes is "
                    "written \"\")");
    /* a quoted line break counts: the error is on physical line 4 */
    expect_bad_text("multi-line.csv", "a,b,y\n1,2,\"two\nlines\"\n3,x,y\n", NULL,
                    ":4:2: column 'b': 'x' is not a number");
    expect_bad_text("bom-crlf-line.csv", "\xEF\xBB\xBF" "a,b,y\r\n1,2,x\r\n1,2,x\r\n3,?,y\r\n",
                    NULL, ":4:2: column 'b': '?' stands for a missing value, and missing "
                          "values are refused here");
    const char nul[] = "a,b,y\n1,2,x\n3,4\0,z\n";
    expect_bad("nul.csv", nul, sizeof nul - 1, NULL,
               ":3:2: NUL byte in the file (is it a binary file?)");
    const char nul_quoted[] = "a,b,y\n1,\"2\0\",x\n";
    expect_bad("nul-quoted.csv", nul_quoted, sizeof nul_quoted - 1, NULL,
               ":2:2: NUL byte in the file (is it a binary file?)");
}

static void test_bad_columns(void **state)
{
    (void)state;
    const char *abc = "a,b,y\n1,2,x\n3,4,z\n";
    expect_bad_text("duplicate.csv", "a,b,a,y\n1,2,3,x\n", NULL,
                    ":1:3: duplicate column name 'a' (also column 1)");
    nnc_csv_options options = nnc_csv_defaults();
    options.target = "zz";
    expect_bad_text("unknown-target.csv", abc, &options,
                    ":1: unknown target column 'zz'; the columns are 'a', 'b', 'y'");
    options = nnc_csv_defaults();
    const char *drop[] = {"b", "zz"};
    options.drop = drop;
    options.n_drop = 2;
    expect_bad_text("unknown-drop.csv", abc, &options,
                    ":1: unknown column 'zz' to drop; the columns are 'a', 'b', 'y'");
    const char *drop_target[] = {"y"};
    options.drop = drop_target;
    options.n_drop = 1;
    expect_bad_text("drop-target.csv", abc, &options,
                    ":1:3: column 'y' is the target (the last column) and cannot be dropped");
    const char *drop_all[] = {"a", "b"};
    options.drop = drop_all;
    options.n_drop = 2;
    expect_bad_text("no-inputs.csv", abc, &options,
                    ":1: no input columns left: all 3 column(s) are dropped or the target");
    expect_bad_text("one-column.csv", "y\n1\n2\n", NULL,
                    ":1: no input columns left: all 1 column(s) are dropped or the target");
}

/* Columns against a model's inputs: a missing one, an extra one (a file with
 * the wrong columns for the model), the target among them. */
static void test_bad_model_columns(void **state)
{
    (void)state;
    nnc_csv_options options = nnc_csv_defaults();
    const char *inputs[] = {"a", "b"};
    options.inputs = inputs;
    options.n_inputs = 2;
    options.target = "y";
    expect_bad_text("missing-input.csv", "a,y\n1,x\n2,z\n", &options,
                    ":1: missing input column 'b'");
    expect_bad_text("extra-column.csv", "a,b,foo,y\n1,2,3,x\n", &options,
                    ":1:3: unexpected column 'foo': not one of the 2 inputs, the target or "
                    "dropped");
    expect_bad_text("no-target-column.csv", "a,b\n1,2\n", &options,
                    ":1: no target column 'y' (to read inputs only, set no_target)");
    options.no_target = 1;
    expect_bad_text("extra-predict.csv", "a,b,foo\n1,2,3\n", &options,
                    ":1:3: unexpected column 'foo': not one of the 2 inputs, the target or "
                    "dropped");
    options.no_target = 0;
    options.target = NULL;
    expect_bad_text("last-is-input.csv", "y,a,b\n1,2,3\n", &options,
                    ":1:3: column 'b' is both the target (the last column) and an input");
    const char *drop[] = {"b"};
    options.drop = drop;
    options.n_drop = 1;
    expect_bad_text("dropped-input.csv", "a,b,y\n1,2,x\n", &options,
                    ":1:2: input column 'b' is dropped");
}

/* Every byte sequence loads or fails cleanly: random files over an alphabet
 * of the characters that matter to the parser, and single-byte mutations of
 * a good file. The sanitizer build makes this a small fuzzer. */
static void test_random_files(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789,,,\"\"\r\n\n\n .e-+xyab\0\t\xEF\xBB\xBF";
    const char good[] = "a,b,y\n1,2,x\n3,\"4\",z\n-5.5,6e2,\"w\"\"\"\n";
    char bytes[96];
    uint32_t seed = 2024;
    int ok = 0;
    for (int trial = 0; trial < 3000; trial++) {
        size_t n;
        if (trial % 2 == 0) {
            n = (size_t)(trial % 90);
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                bytes[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
            }
        } else {
            n = sizeof good - 1;
            memcpy(bytes, good, n);
            seed = seed * 1103515245u + 12345u;
            bytes[(seed >> 16) % n] = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
        }
        const char *path = write_bytes("random.csv", bytes, n);
        nnc_csv_options options = nnc_csv_defaults();
        options.task = (nnc_task)(trial % 3);
        nnc_dataset *data = NULL;
        nnc_status st = nnc_dataset_load_csv(path, trial % 5 ? &options : NULL, &data);
        assert_true(st == NNC_OK || st == NNC_EFORMAT);
        assert_true((st == NNC_OK) == (data != NULL));
        if (st != NNC_OK) {
            const char *msg = nnc_last_error();
            assert_true(strncmp(msg, path, strlen(path)) == 0);
            for (const char *p = msg; *p; p++)
                assert_true((unsigned char)*p >= 0x20);
        }
        ok += st == NNC_OK;
        nnc_dataset_free(data);
    }
    assert_true(ok > 100);   /* the mutations of the good file often stay good */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iris),
        cmocka_unit_test(test_breast_cancer),
        cmocka_unit_test(test_digits),
        cmocka_unit_test(test_house_prices),
        cmocka_unit_test(test_house_prices_drop),
        cmocka_unit_test(test_target_in_the_middle),
        cmocka_unit_test(test_quotes_crlf_bom),
        cmocka_unit_test(test_delimiters),
        cmocka_unit_test(test_no_header),
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_cr_line_ends),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_locale),
        cmocka_unit_test(test_numeric_labels),
        cmocka_unit_test(test_task_inference),
        cmocka_unit_test(test_too_many_classes),
        cmocka_unit_test(test_duplicate_labels),
        cmocka_unit_test(test_given_classes),
        cmocka_unit_test(test_given_inputs),
        cmocka_unit_test(test_target_optional),
        cmocka_unit_test(test_no_target),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_ragged_rows),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_bad_targets),
        cmocka_unit_test(test_bad_quotes),
        cmocka_unit_test(test_bad_columns),
        cmocka_unit_test(test_bad_model_columns),
        cmocka_unit_test(test_random_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

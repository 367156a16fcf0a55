/*
 * test_cli.c - the real nnc program, run on real files in a temporary folder.
 *
 * What a user sees is checked as a user would: the exit code, that the PNG is
 * a real PNG of a plausible size, that the CSV has its 100 rows, that bad
 * options are refused with a message and leave no files behind.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli_support.h"
#include "nnc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint32_t big_endian32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the CSV's header and rows and returns the number of data rows;
 * the errors go to error[] when it is not NULL (room for 100). A NaN or a
 * negative sum of squares fails here; that the curve falls is checked by
 * the caller. */
static int check_csv(const char *text, int every, double *error)
{
    assert_true(strncmp(text, "iteration,error\n", 16) == 0);
    int rows = 0;
    const char *line = strchr(text, '\n') + 1;
    while (*line) {
        long iteration;
        double e;
        if (sscanf(line, "%ld,%lf", &iteration, &e) != 2)
            fail_msg("bad CSV row: %.40s", line);
        assert_int_equal(iteration, (long)rows * every);
        assert_true(isfinite(e) && e >= 0.0);
        if (error != NULL) {
            assert_true(rows < 100);
            error[rows] = e;
        }
        rows++;
        line = strchr(line, '\n');
        assert_non_null(line);
        line++;
    }
    return rows;
}

/* The least-squares slope of e[0..n) against its index: error per row. */
static double slope(const double *e, int n)
{
    double mean_i = (n - 1) / 2.0, mean_e = 0.0, num = 0.0, den = 0.0;
    for (int i = 0; i < n; i++)
        mean_e += e[i] / n;
    for (int i = 0; i < n; i++) {
        num += (i - mean_i) * (e[i] - mean_e);
        den += (i - mean_i) * (i - mean_i);
    }
    return num / den;
}

static double mean(const double *e, int n)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += e[i];
    return sum / n;
}

static void test_tutorial_writes_png_and_csv(void **state)
{
    (void)state;
    char args[512];
    snprintf(args, sizeof args, "tutorial --out-dir '%s'", in_dir("out"));
    assert_int_equal(run_nnc("%s", args), 0);

    long size;
    unsigned char *png = (unsigned char *)slurp(in_dir("out/cumulative_error.png"), &size);
    static const unsigned char signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    assert_memory_equal(png, signature, 8);
    assert_memory_equal(png + 12, "IHDR", 4);
    assert_int_equal(big_endian32(png + 16), 800);
    assert_int_equal(big_endian32(png + 20), 600);
    assert_in_range(size, 10 * 1024, 2 * 1024 * 1024);   /* a drawn chart, not a blank */
    free(png);

    char *csv = slurp(in_dir("out/cumulative_error.csv"), NULL);
    double error[100];
    assert_int_equal(check_csv(csv, 100, error), 100);
    free(csv);
    /* TUTORIAL.md: the curve falls, then jitters. The cumulative error of
     * eight sigmoid outputs lies in [0, 8] whether or not anything is
     * learnt; with the default seed it starts near 3.9 (row 0, before any
     * step) and settles near 2. So: the last ten rows average well below the
     * start, and the curve is steeper over its first ten rows (falling) than
     * over its last ten (flat but for the jitter). */
    double first = slope(error, 10), last = slope(error + 90, 10);
    if (!(mean(error + 90, 10) < 0.75 * error[0]))
        fail_msg("the error does not fall: %.4f at first, %.4f over the last ten rows", error[0],
                 mean(error + 90, 10));
    if (!(first < 0.0 && fabs(last) < fabs(first)))
        fail_msg("the curve does not fall, then flatten: slope %.4g per row over the first ten "
                 "rows, %.4g over the last ten", first, last);

    /* The walkthrough's numbers appear, computed by the library. */
    char *out = slurp(in_dir("stdout"), NULL);
    const char *expected[] = { "2.1672000", "0.79857308", "0.87101918", "0.75867442",
                               "derror_dbias    = 0.195708", "derror_dweights = [0.391417",
                               "Final predictions", "cumulative_error.png",
                               /* the feature engineering: lemmas, then counts */
                               "  lemmas 1: he watch film\n",
                               "  lemmas 2: she watch the film and be watch it again\n",
                               "  vocabulary (9 lemmas): again and be film he it she the watch\n",
                               "  counts 2: [1, 1, 1, 1, 0, 1, 1, 1, 2]\n",
                               "vocabulary has 12 words" };
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
        if (strstr(out, expected[i]) == NULL)
            fail_msg("stdout lacks '%s'", expected[i]);
    free(out);
}

static void test_options_change_the_run(void **state)
{
    (void)state;
    char args[512];
    snprintf(args, sizeof args,
             "tutorial --iterations 500 --seed 9 --learning-rate 0.05 --out-dir '%s'", in_dir("a"));
    assert_int_equal(run_nnc("%s", args), 0);
    char *a = slurp(in_dir("a/cumulative_error.csv"), NULL);
    assert_int_equal(check_csv(a, 100, NULL), 5);

    /* Same seed, same numbers; another seed, other numbers. */
    snprintf(args, sizeof args,
             "tutorial --iterations 500 --seed 9 --learning-rate 0.05 --out-dir '%s'", in_dir("b"));
    assert_int_equal(run_nnc("%s", args), 0);
    char *b = slurp(in_dir("b/cumulative_error.csv"), NULL);
    assert_string_equal(a, b);
    snprintf(args, sizeof args, "tutorial --iterations 500 --seed 10 --out-dir '%s'", in_dir("c"));
    assert_int_equal(run_nnc("%s", args), 0);
    char *c = slurp(in_dir("c/cumulative_error.csv"), NULL);
    assert_string_not_equal(a, c);
    free(a);
    free(b);
    free(c);
}

static void test_version_and_help(void **state)
{
    (void)state;
    assert_int_equal(run_nnc("--version"), 0);
    char *out = slurp(in_dir("stdout"), NULL);
    assert_string_equal(out, "nnc " NNC_VERSION "\n");
    free(out);
    assert_int_equal(run_nnc("tutorial --help"), 0);
    out = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(out, "--learning-rate"));
    free(out);
}

/* Each bad command line: exit code 2, one message on stderr, no file written. */
static void test_bad_options_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "tutorial --learning-rate -1", "tutorial --learning-rate abc",
        "tutorial --learning-rate nan", "tutorial --iterations 0",
        "tutorial --iterations 12x", "tutorial --seed -4",
        "tutorial --bogus", "tutorial extra-argument",
        "frobnicate", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char args[512];
        snprintf(args, sizeof args, "%s --out-dir '%s'", bad[i], in_dir("bad"));
        if (bad[i][0] == '\0')
            snprintf(args, sizeof args, " ");
        int rc = run_nnc("%s", args);
        if (rc != 2)
            fail_msg("'nnc %s' exited %d, want 2", bad[i], rc);
        char *err = slurp(in_dir("stderr"), NULL);
        if (strlen(err) < 10 || strstr(err, "nnc") == NULL)
            fail_msg("'nnc %s' said '%s' on stderr", bad[i], err);
        free(err);
        assert_false(exists(in_dir("bad")));
    }
}

/* A mistyped option is answered with the option meant, in every command;
 * one too far from any, or a known one without its value, is not. */
static void test_option_typos_suggest_the_option(void **state)
{
    (void)state;
    const struct {
        const char *args, *says;
    } cases[] = {
        { "train --taget y", "unknown option '--taget'; did you mean '--target'?" },
        { "train --data x.csv --epohcs 3", "did you mean '--epochs'?" },
        { "eval --modle=m.nnc", "unknown option '--modle=m.nnc'; did you mean '--model'?" },
        { "predict --no-headr", "did you mean '--no-header'?" },
        { "tutorial --iteratoins 5", "did you mean '--iterations'?" },
        { "train --frobnicate", "unknown option or missing value in '--frobnicate'" },
        { "train --data", "unknown option or missing value in '--data'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = run_nnc("%s", cases[i].args);
        char *err = slurp(in_dir("stderr"), NULL);
        if (rc != 2 || strstr(err, cases[i].says) == NULL)
            fail_msg("'nnc %s' exited %d with '%s', want 2 and '%s'", cases[i].args, rc, err,
                     cases[i].says);
        if (i >= 5 && strstr(err, "did you mean") != NULL)
            fail_msg("'nnc %s' suggested an option: '%s'", cases[i].args, err);
        free(err);
    }
}

static void test_unusable_out_dir(void **state)
{
    (void)state;
    char args[1024], path[512];
    snprintf(path, sizeof path, "%s", in_dir("plain-file"));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(args, sizeof args, "tutorial --out-dir '%s'", path);
    assert_int_equal(run_nnc("%s", args), 1);
    char *err = slurp(in_dir("stderr"), NULL);
    assert_non_null(strstr(err, "not a directory"));
    free(err);


    /* The picture's name is taken by a folder: the run fails, says where, and
     * leaves no temporary file behind. */
    snprintf(path, sizeof path, "%s", in_dir("out"));
    assert_int_equal(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s", in_dir("out/cumulative_error.png"));
    assert_int_equal(mkdir(path, 0777), 0);
    snprintf(args, sizeof args, "tutorial --out-dir '%s'", in_dir("out"));
    assert_int_equal(run_nnc("%s", args), 1);
    err = slurp(in_dir("stderr"), NULL);
    assert_non_null(strstr(err, "cumulative_error.png"));
    free(err);
    assert_false(has_temporary("out"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tutorial_writes_png_and_csv, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_options_change_the_run, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_version_and_help, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_bad_options_are_refused, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_option_typos_suggest_the_option, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_unusable_out_dir, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

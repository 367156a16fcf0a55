/*
 * test_cli_data.c - nnc train, predict, eval and info, run for real.
 *
 * The happy paths on the real data sets (a model file that predicts, evaluates
 * and describes itself), then malformed inputs, each through the real program:
 * every one must exit non-zero with exactly one line on stderr that names the
 * file (and, for CSV, the line and column) and says what is wrong, and must
 * leave no output file behind, not even a temporary one.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli_support.h"
#include "nnc.h"

#include <cjson/cJSON.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static void write_text(const char *name, const char *text)
{
    write_file(in_dir(name), text, strlen(text));
}

static void expect_refusal(const char *out, const char *const *fragments, const char *fmt, ...);

/* ------------------------------------------------------------ happy paths */

static void train_iris(void)
{
    assert_int_equal(run_nnc("train --data %s/iris.csv --target target --epochs 60 --quiet "
                             "--out '%s' --log '%s' --plot-dir '%s'",
                             NNC_TEST_DATA, in_dir("iris.nnc"), in_dir("log.csv"),
                             in_dir("plots")),
                     0);
}

static void test_train_predict_eval_info(void **state)
{
    (void)state;
    train_iris();
    char *out = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(out, "test: accuracy"));
    assert_non_null(strstr(out, "model saved to"));
    free(out);
    char *log = slurp(in_dir("log.csv"), NULL);
    assert_true(strncmp(log, "epoch,learning_rate,train_loss,train_accuracy,val_loss,"
                             "val_accuracy\n", 64) == 0);
    assert_in_range(count_lines(log), 2, 61);
    free(log);
    assert_true(exists(in_dir("plots/loss.png")));
    assert_true(exists(in_dir("plots/accuracy.png")));
    assert_true(exists(in_dir("plots/confusion.png")));

    assert_int_equal(run_nnc("info '%s'", in_dir("iris.nnc")), 0);
    out = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(out, "classes (3): setosa, versicolor, virginica"));
    assert_non_null(strstr(out, "4 inputs -> 32 relu -> 3 softmax"));
    assert_non_null(strstr(out, "parameters: 259"));
    free(out);

    /* Predict twice: every row gets a label and three probabilities, and the
     * loaded model gives the same bytes both times. */
    assert_int_equal(run_nnc("predict --model '%s' --data %s/iris.csv --out '%s'",
                             in_dir("iris.nnc"), NNC_TEST_DATA, in_dir("p1.csv")), 0);
    assert_int_equal(run_nnc("predict --model '%s' --data %s/iris.csv --out '%s'",
                             in_dir("iris.nnc"), NNC_TEST_DATA, in_dir("p2.csv")), 0);
    char *p1 = slurp(in_dir("p1.csv"), NULL), *p2 = slurp(in_dir("p2.csv"), NULL);
    assert_string_equal(p1, p2);
    assert_true(strncmp(p1, "prediction,p_setosa,p_versicolor,p_virginica\n", 45) == 0);
    assert_int_equal(count_lines(p1), 151);
    assert_non_null(strstr(p1, "\nsetosa,"));
    free(p1);
    free(p2);

    assert_int_equal(run_nnc("eval --model '%s' --data %s/iris.csv --plot '%s'",
                             in_dir("iris.nnc"), NNC_TEST_DATA, in_dir("cm.png")), 0);
    out = slurp(in_dir("stdout"), NULL);
    double accuracy = 0;
    const char *at = strstr(out, "accuracy ");
    assert_non_null(at);
    assert_int_equal(sscanf(at, "accuracy %lf", &accuracy), 1);
    assert_true(accuracy > 0.9);
    assert_non_null(strstr(out, "precision"));
    assert_true(exists(in_dir("cm.png")));
    free(out);
}

static void test_same_seed_same_model_file(void **state)
{
    (void)state;
    const char *args = "train --data %s/breast_cancer.csv --target target --epochs 5 "
                       "--quiet --out '%s'";
    assert_int_equal(run_nnc(args, NNC_TEST_DATA, in_dir("a.nnc")), 0);
    assert_int_equal(run_nnc(args, NNC_TEST_DATA, in_dir("b.nnc")), 0);
    long na, nb;
    char *a = slurp(in_dir("a.nnc"), &na), *b = slurp(in_dir("b.nnc"), &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, (size_t)na);
    free(a);
    free(b);
}

/* The summary says whose weights the model holds: with early stopping the
 * best epoch's (restored), with --patience 0 the last epoch's, and then it
 * names the epoch of the lowest validation loss without calling it kept.
 * The two runs are the same until the first stops, so they agree on it. */
static void test_summary_says_which_weights_are_kept(void **state)
{
    (void)state;
    const char *args = "train --data %s/iris.csv --target target --epochs 60 --quiet "
                       "--patience %d --out '%s'";
    assert_int_equal(run_nnc(args, NNC_TEST_DATA, 10, in_dir("early.nnc")), 0);
    int best = (int)number_after("epochs (best ");
    assert_true(best >= 1 && best <= 60);
    assert_int_equal(run_nnc(args, NNC_TEST_DATA, 0, in_dir("last.nnc")), 0);
    char *out = slurp(in_dir("stdout"), NULL);
    char want[96];
    if (best < 60)
        snprintf(want, sizeof want, "trained 60 epochs (lowest validation loss in epoch %d; "
                                    "the last kept)", best);
    else
        snprintf(want, sizeof want, "trained 60 epochs (best 60)");
    if (strstr(out, want) == NULL)
        fail_msg("expected '%s' in:\n%s", want, out);
    print_message("  iris: lowest validation loss in epoch %d of 60\n", best);
    free(out);
}

static void test_regression_and_tutorial_regions(void **state)
{
    (void)state;
    assert_int_equal(run_nnc("train --data %s/house_prices.csv --target MEDV --drop B "
                             "--epochs 30 --json --out '%s'",
                             NNC_TEST_DATA, in_dir("house.nnc")), 0);
    char *err = slurp(in_dir("stderr"), NULL);
    assert_true(strncmp(err, "{\"epoch\":1,", 11) == 0);   /* JSON lines on stderr */
    /* The shortest text that reads back as the float: 0.01, not 0.00999999978. */
    assert_non_null(strstr(err, "\"learning_rate\":0.01,"));
    free(err);
    /* The summary is one JSON object on stdout. */
    char *out = slurp(in_dir("stdout"), NULL);
    cJSON *summary = cJSON_Parse(out);
    assert_non_null(summary);
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(summary, "metrics");
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(metrics, "test");
    const cJSON *r2 = cJSON_GetObjectItemCaseSensitive(test, "r2");
    assert_true(cJSON_IsNumber(r2) && r2->valuedouble > 0.5);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(test, "rows")->valueint, 101);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(summary, "epochs_run")));
    cJSON_Delete(summary);
    free(out);
    /* A regression's pictures, from train --plot-dir and eval --plot. */
    assert_int_equal(run_nnc("train --data %s/house_prices.csv --target MEDV --drop B "
                             "--epochs 5 --quiet --plot-dir '%s' --out '%s'", NNC_TEST_DATA,
                             in_dir("hplots"), in_dir("h2.nnc")), 0);
    assert_true(exists(in_dir("hplots/predictions.png")));
    assert_true(exists(in_dir("hplots/residuals.png")));
    assert_int_equal(run_nnc("eval --model '%s' --data %s/house_prices.csv --plot '%s'",
                             in_dir("h2.nnc"), NNC_TEST_DATA, in_dir("hev.png")), 0);
    assert_true(exists(in_dir("hev.png")));
    assert_true(exists(in_dir("hev-residuals.png")));
    assert_int_equal(run_nnc("eval --model '%s' --data %s/house_prices.csv --confusion '%s'",
                             in_dir("h2.nnc"), NNC_TEST_DATA, in_dir("c.csv")), 1);

    /* The tutorial's eight instances: two inputs, so a decision-region picture. */
    assert_int_equal(run_nnc("train --data %s/../../examples/data/tutorial.csv --target target "
                             "--validation 0 --test 0 --epochs 200 --quiet --out '%s' "
                             "--plot-dir '%s'",
                             NNC_TEST_DATA, in_dir("tut.nnc"), in_dir("tut")), 0);
    assert_true(exists(in_dir("tut/regions.png")));

    /* Classes renamed at training time come back by name from predict. */
    assert_int_equal(run_nnc("train --data %s/../../examples/data/tutorial.csv --target target "
                             "--class-names no,yes --validation 0 --test 0 --epochs 5 --quiet "
                             "--out '%s'", NNC_TEST_DATA, in_dir("named.nnc")), 0);
    assert_int_equal(run_nnc("predict --model '%s' --data %s/../../examples/data/tutorial.csv",
                             in_dir("named.nnc"), NNC_TEST_DATA), 0);
    out = slurp(in_dir("stdout"), NULL);
    assert_true(strncmp(out, "prediction,p_no,p_yes\n", 22) == 0);
    assert_int_equal(count_lines(out), 9);
    free(out);
    const char *const wrong[] = { "3 names", NULL };
    expect_refusal(in_dir("bad.nnc"), wrong, "train --data %s/../../examples/data/tutorial.csv "
                   "--target target --class-names a,b,c --quiet --out '%s'", NNC_TEST_DATA,
                   in_dir("bad.nnc"));
}

/* ------------------------------------------------------------ bad inputs */

/* Runs a command that must fail: exit 1, one line on stderr containing every
 * fragment given, and no file at `out` (nor any temporary). */
static void expect_refusal(const char *out, const char *const *fragments, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int rc = run_nnc("%s", args);
    char *err = slurp(in_dir("stderr"), NULL);
    if (rc != 1)
        fail_msg("'nnc %s' exited %d, want 1; stderr: %s", args, rc, err);
    if (count_lines(err) != 1)
        fail_msg("'nnc %s' wrote %d lines on stderr, want 1: %s", args, count_lines(err), err);
    for (int i = 0; fragments[i] != NULL; i++)
        if (strstr(err, fragments[i]) == NULL)
            fail_msg("'nnc %s': stderr '%s' lacks '%s'", args, err, fragments[i]);
    free(err);
    if (out != NULL && exists(out))
        fail_msg("'nnc %s' left %s behind", args, out);
    assert_false(has_temporary(NULL));
}

#define WANT(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Trains on a CSV written into the folder and expects a refusal. */
static void bad_csv(const char *name, const char *text, const char *const *fragments,
                    const char *extra)
{
    write_text(name, text);
    expect_refusal(in_dir("m.nnc"), fragments, "train --data '%s' --quiet --out '%s' %s",
                   in_dir(name), in_dir("m.nnc"), extra);
}

static void test_malformed_csv(void **state)
{
    (void)state;
    bad_csv("empty.csv", "", WANT("empty.csv", "empty"), "");
    bad_csv("header.csv", "a,b,y\n", WANT("header.csv", "no data"), "");
    bad_csv("ragged.csv", "a,b,y\n1,2,0\n3,4\n5,6,1\n", WANT("ragged.csv:3:"), "");
    /* Text in a column of numbers is a typo, not a category. */
    bad_csv("text.csv", "a,b,y\n1,2,0\n3,abc,1\n5,6,0\n",
            WANT("text.csv:3:2:", "'abc' is not a number", "most of the column"), "");
    /* Missing cells refused as they were before imputation existed. */
    bad_csv("nan.csv", "a,b,y\n1,2,0\nnan,4,1\n", WANT("nan.csv:3:1:"), "--missing error");
    bad_csv("na.csv", "a,b,y\n1,2,0\nNA,4,1\n", WANT("na.csv:3:1:", "'NA'"), "--missing error");
    bad_csv("inf.csv", "a,b,y\n1,inf,0\n3,4,1\n", WANT("inf.csv:2:2:"), "");
    bad_csv("blank.csv", "a,b,y\n1,,0\n3,4,1\n", WANT("blank.csv:2:2:", "empty cell"),
            "--missing error");
    bad_csv("notarget.csv", "a,b,y\n1,2,0\n3,4,\n", WANT("notarget.csv:3:3:", "empty target"),
            "--missing error");
    bad_csv("alltarget.csv", "a,b,y\n1,2,NA\n3,4,\n",
            WANT("alltarget.csv", "all 2 data rows have a missing target ('y')"), "");
    assert_int_equal(run_nnc("train --data '%s' --missing drop", in_dir("inf.csv")), 2);
    char *err = slurp(in_dir("stderr"), NULL);
    assert_non_null(strstr(err, "--missing expects impute or error, got 'drop'"));
    free(err);
    bad_csv("target.csv", "a,b,y\n1,2,0\n3,4,1\n", WANT("target.csv", "'price'"),
            "--target price");
    bad_csv("drop.csv", "a,b,y\n1,2,0\n3,4,1\n", WANT("drop.csv", "'zzz'"), "--drop zzz");
    bad_csv("one.csv", "a,b,y\n1,2,cat\n3,4,cat\n5,6,cat\n", WANT("one.csv", "cat"), "");
    bad_csv("quote.csv", "a,b,y\n1,2,0\n3,4,\"1\n", WANT("quote.csv:3:"), "");
    bad_csv("dup.csv", "a,a,y\n1,2,0\n3,4,1\n", WANT("dup.csv:1:2:"), "");
    bad_csv("forced.csv", "a,b,y\n1,2,0\n3,4,yes\n", WANT("forced.csv:3:3:"),
            "--task regression");
    write_file(in_dir("nul.csv"), "a,b,y\n1,2,0\n3,\0,1\n", 18);
    expect_refusal(in_dir("m.nnc"), WANT("nul.csv:3:"), "train --data '%s' --quiet --out '%s'",
                   in_dir("nul.csv"), in_dir("m.nnc"));

    /* A very long line: two megabytes of digits in one cell overflow a float. */
    size_t big = 2 << 20;
    char *text = malloc(big + 64);
    assert_non_null(text);
    strcpy(text, "a,b,y\n1,2,0\n3,");
    size_t len = strlen(text);
    memset(text + len, '9', big);
    strcpy(text + len + big, ",1\n");
    bad_csv("long.csv", text, WANT("long.csv:3:2:"), "");
    free(text);

    expect_refusal(in_dir("m.nnc"), WANT("missing.csv"), "train --data '%s' --quiet --out '%s'",
                   in_dir("missing.csv"), in_dir("m.nnc"));
}

/* The iris file with its commas turned into `delimiter`, and without its
 * header when headless, written into the folder as name. */
static void write_iris_as(const char *name, char delimiter, int headless)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/iris.csv", NNC_TEST_DATA);
    char *text = slurp(path, NULL);
    char *from = headless ? strchr(text, '\n') + 1 : text;
    for (char *p = from; *p != '\0'; p++)
        if (*p == ',')
            *p = delimiter;
    write_text(name, from);
    free(text);
}

/* Semicolon and tab files train and predict as the comma file does, their
 * delimiter detected or given; a file without a header trains with
 * --no-header, and without it is refused with that hint. */
/* Asserts the last run's stderr holds text. */
static void stderr_has(const char *text)
{
    char *err = slurp(in_dir("stderr"), NULL);
    if (strstr(err, text) == NULL)
        fail_msg("stderr lacks '%s':\n%s", text, err);
    free(err);
}

/* The bar shows "epoch N/M", the time left in the epoch and in all, and the
 * epoch's running mean loss: at its last batch, the very loss the epoch's
 * line then reports. */
static void test_progress_bar(void **state)
{
    (void)state;
    assert_int_equal(run_nnc("train --data %s/iris.csv --target target --epochs 3 --progress bar "
                             "--out '%s'", NNC_TEST_DATA, in_dir("bar.nnc")), 0);
    char *err = slurp(in_dir("stderr"), NULL);
    for (int e = 1; e <= 3; e++) {
        char bar[32], line[32];
        snprintf(bar, sizeof bar, "epoch %d/3 [", e);
        snprintf(line, sizeof line, "epoch %d/3  lr ", e);
        char *end = strstr(err, line);
        assert_non_null(end);
        char *last = NULL;
        for (char *p = strstr(err, bar); p != NULL && p < end; p = strstr(p + 1, bar))
            last = p;
        assert_non_null(last);
        assert_non_null(strstr(last, " left, "));
        assert_true(strstr(last, " in all") < end);
        double shown = 0, reported = -1;
        assert_int_equal(sscanf(strstr(last, "  loss ") + 7, "%lf", &shown), 1);
        assert_int_equal(sscanf(strstr(end, "  loss ") + 7, "%lf", &reported), 1);
        assert_true(shown == reported);
    }
    free(err);
}

/* Penguins as a user has them: text columns, NA cells, a target that is
 * missing in some rows. The model carries what the training fitted, so a
 * later file may have its columns in another order, the dropped column and
 * the target, new categories and gaps. */
static void test_tables_as_they_come(void **state)
{
    (void)state;
    const char *penguins = NNC_TEST_DATA "/penguins.csv";
    assert_int_equal(run_nnc("train --data %s --target species --drop year --epochs 60 "
                             "--quiet --out '%s'", penguins, in_dir("p.nnc")), 0);
    assert_true(number_after("\ntest: accuracy ") >= 0.95);
    assert_int_equal(run_nnc("info '%s'", in_dir("p.nnc")), 0);
    char *out = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(out, "  island               categorical, one-hot over 3: Biscoe, "
                                "Dream, Torgersen; missing cells get Biscoe\n"));
    assert_non_null(strstr(out, "  bill_length_mm       numeric; missing cells get the median"));
    assert_non_null(strstr(out, "dropped columns (1): year\n"));
    free(out);

    write_text("new.csv", "year,species,sex,island,bill_depth_mm,bill_length_mm,"
                          "flipper_length_mm,body_mass_g\n"
                          "2007,Adelie,male,Atlantis,18.7,39.1,181,3750\n"
                          "2009,,,Dream,17,NA,190,?\n");
    assert_int_equal(run_nnc("predict --model '%s' --data '%s' --out '%s'", in_dir("p.nnc"),
                             in_dir("new.csv"), in_dir("new.out")), 0);
    out = slurp(in_dir("new.out"), NULL);
    assert_int_equal(count_lines(out), 3);
    assert_true(strncmp(out, "prediction,p_Adelie,p_Chinstrap,p_Gentoo\n", 41) == 0);
    free(out);
    stderr_has("new.csv: filled 3 missing cells");
    stderr_has("new.csv: 1 cell of a category not seen in training, encoded as all zeros");

    const char *const unknown[] = { "new.csv:2:4: column 'island': category 'Atlantis' was not "
                                    "seen in training (it knows 'Biscoe', 'Dream', 'Torgersen')",
                                    NULL };
    expect_refusal(in_dir("x.out"), unknown, "predict --model '%s' --data '%s' --unknown error "
                   "--out '%s'", in_dir("p.nnc"), in_dir("new.csv"), in_dir("x.out"));
    const char *const missing[] = { "new.csv:3:3: column 'sex': an empty cell stands for a "
                                    "missing value", NULL };
    expect_refusal(in_dir("x.out"), missing, "predict --model '%s' --data '%s' --missing error "
                   "--out '%s'", in_dir("p.nnc"), in_dir("new.csv"), in_dir("x.out"));
    /* --id copies a column (here the one dropped in training) into the predictions. */
    write_text("ids.csv", "tag,year,island,bill_length_mm,bill_depth_mm,flipper_length_mm,"
                          "body_mass_g,sex\n"
                          "\"P-1, tagged\",2007,Dream,40,18,190,3800,male\n"
                          "P-2,2008,Biscoe,47,15,215,5200,female\n");
    assert_int_equal(run_nnc("predict --model '%s' --data '%s' --id tag --drop year",
                             in_dir("p.nnc"), in_dir("ids.csv")), 0);
    out = slurp(in_dir("stdout"), NULL);
    assert_true(strncmp(out, "tag,prediction,p_Adelie,", 24) == 0);
    assert_non_null(strstr(out, "\n\"P-1, tagged\","));
    assert_non_null(strstr(out, "\nP-2,Gentoo,"));   /* a long flipper: Gentoo */
    free(out);
    assert_int_equal(run_nnc("predict --model '%s' --data '%s' --id year", in_dir("p.nnc"),
                             in_dir("ids.csv")), 1);   /* tag is not known: refused */
    assert_int_equal(run_nnc("predict --model '%s' --data %s --id year", in_dir("p.nnc"),
                             penguins), 0);
    out = slurp(in_dir("stdout"), NULL);
    assert_true(strncmp(out, "year,prediction,", 16) == 0 && strstr(out, "\n2007,Adelie,"));
    free(out);
    const char *const id_input[] = { "column 'island' is both the id column and an input",
                                     NULL };
    expect_refusal(NULL, id_input, "predict --model '%s' --data %s --id island", in_dir("p.nnc"),
                   penguins);
    const char *const no_id[] = { "unknown id column 'serial'", NULL };
    expect_refusal(NULL, no_id, "predict --model '%s' --data %s --id serial", in_dir("p.nnc"),
                   penguins);

    /* A column the model does not know is refused, unless dropped. */
    write_text("extra.csv", "island,bill_length_mm,bill_depth_mm,flipper_length_mm,"
                            "body_mass_g,sex,colour\nDream,40,18,190,3800,male,blue\n");
    const char *const extra[] = { "extra.csv:1:7: unexpected column 'colour'", NULL };
    expect_refusal(NULL, extra, "predict --model '%s' --data '%s'", in_dir("p.nnc"),
                   in_dir("extra.csv"));
    assert_int_equal(run_nnc("predict --model '%s' --data '%s' --drop colour --target species",
                             in_dir("p.nnc"), in_dir("extra.csv")), 0);
    assert_int_equal(run_nnc("predict --model '%s' --data '%s' --target sex", in_dir("p.nnc"),
                             in_dir("extra.csv")), 2);
    stderr_has("--target 'sex': the model was trained to predict 'species'");

    /* A measurement is not a class, even when asked to be one. */
    const char *const measured[] = { "house_prices.csv:1:14: target column 'MEDV' has 229 "
                                     "distinct numbers in 506 rows", "regression", NULL };
    expect_refusal(in_dir("h.nnc"), measured, "train --data %s/house_prices.csv --task "
                   "classification --quiet --out '%s'", NNC_TEST_DATA, in_dir("h.nnc"));

    /* eval reads the whole file, the dropped column and all. */
    assert_int_equal(run_nnc("eval --model '%s' --data %s --target species", in_dir("p.nnc"),
                             penguins), 0);
    assert_true(number_after(": accuracy ") >= 0.95);
    stderr_has("penguins.csv: filled 19 missing cells");

    /* A target missing in 11 rows: they are left out, and the report says so. */
    assert_int_equal(run_nnc("train --data %s --target sex --epochs 5 --quiet --out '%s'",
                             penguins, in_dir("sex.nnc")), 0);
    out = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(out, "left out 11 rows of "));
    assert_non_null(strstr(out, "whose target 'sex' is missing\n"));
    free(out);
    assert_int_equal(run_nnc("eval --model '%s' --data %s", in_dir("sex.nnc"), penguins), 0);
    stderr_has("left out 11 rows whose target 'sex' is missing");
}

/* --validation-data and --test-data: separate files read as the training
 * file was (its target, inputs and classes; columns in any order). */
static void test_separate_parts(void **state)
{
    (void)state;
    char *all = slurp(NNC_TEST_DATA "/penguins.csv", NULL);
    size_t size = strlen(all);
    char *train = malloc(size + 1), *test = malloc(size + 200);
    assert_true(train && test);
    char *header_end = strchr(all, '\n');
    size_t header = (size_t)(header_end - all) + 1;
    memcpy(train, all, header);
    train[header] = '\0';
    /* The test file puts year first: columns may come in any order. */
    strcpy(test, "year,species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,"
                 "body_mass_g,sex\n");
    int row = 0;
    for (char *line = header_end + 1; *line; row++) {
        char *end = strchr(line, '\n');
        size_t n = (size_t)(end - line) + 1;
        if (row % 4 != 3) {
            strncat(train, line, n);
        } else {
            char *year = end;
            while (*year != ',')
                year--;
            strncat(test, year + 1, (size_t)(end - year));   /* "2007\n" */
            test[strlen(test) - 1] = ',';
            strncat(test, line, (size_t)(year - line));
            strcat(test, "\n");
        }
        line = end + 1;
    }
    write_text("ptrain.csv", train);
    write_text("ptest.csv", test);
    assert_int_equal(run_nnc("train --data '%s' --target species --test-data '%s' "
                             "--validation-data '%s' --epochs 30 --quiet --out '%s'",
                             in_dir("ptrain.csv"), in_dir("ptest.csv"), in_dir("ptest.csv"),
                             in_dir("pp.nnc")), 0);
    char *out = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(out, "on 258 rows"));
    assert_non_null(strstr(out, "/86 right)"));
    assert_true(number_after("\ntest: accuracy ") >= 0.95);
    free(out);
    /* A part with a column the training file lacks is refused, naming it. */
    write_text("pbad.csv", "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,"
                           "body_mass_g,sex,year,tag\nAdelie,Dream,40,18,190,3800,male,2008,x\n");
    const char *const extra[] = { "pbad.csv:1:9: unexpected column 'tag'", NULL };
    expect_refusal(in_dir("pp2.nnc"), extra, "train --data '%s' --target species --test-data "
                   "'%s' --quiet --out '%s'", in_dir("ptrain.csv"), in_dir("pbad.csv"),
                   in_dir("pp2.nnc"));
    assert_int_equal(run_nnc("cv --data '%s' --target species --test-data '%s'",
                             in_dir("ptrain.csv"), in_dir("ptest.csv")), 2);
    free(train);
    free(test);
    free(all);
}

/* nnc cv: a line per fold, then mean and deviation; the folds written out
 * cover every row once; the same seed gives the same report. */
static void test_cross_validation(void **state)
{
    (void)state;
    const char *penguins = NNC_TEST_DATA "/penguins.csv";
    const char *cv = "cv --data %s --target species --folds 3 --epochs 20 --seed 2 "
                     "--folds-out '%s'";
    assert_int_equal(run_nnc(cv, penguins, in_dir("folds.csv")), 0);
    char *out = slurp(in_dir("stdout"), NULL);
    assert_int_equal(count_lines(out), 4);
    assert_true(strncmp(out, "fold 1/3: accuracy ", 19) == 0);
    assert_non_null(strstr(out, "\nfold 3/3: accuracy "));
    assert_non_null(strstr(out, "\naccuracy: mean "));
    assert_non_null(strstr(out, " over 3 folds\n"));
    assert_true(number_after("\naccuracy: mean ") >= 0.9);
    char *folds = slurp(in_dir("folds.csv"), NULL);
    assert_int_equal(count_lines(folds), 345);
    assert_true(strncmp(folds, "line,fold\n2,", 12) == 0);
    int count[4] = {0}, line, fold, n = 0;
    const char *p = strchr(folds, '\n') + 1;
    while (sscanf(p, "%d,%d", &line, &fold) == 2) {
        assert_int_equal(line, n + 2);
        assert_true(fold >= 1 && fold <= 3);
        count[fold]++;
        n++;
        p = strchr(p, '\n') + 1;
    }
    assert_int_equal(n, 344);
    assert_true(count[1] >= 114 && count[1] <= 115 && count[3] >= 114 && count[3] <= 115);
    assert_int_equal(run_nnc(cv, penguins, in_dir("folds2.csv")), 0);
    char *again = slurp(in_dir("stdout"), NULL);
    assert_string_equal(out, again);
    free(again);
    free(folds);
    free(out);
    /* Regression folds are scored by R2; a missing target is counted. */
    assert_int_equal(run_nnc("cv --data %s --target sex --folds 2 --epochs 5", penguins), 0);
    out = slurp(in_dir("stdout"), NULL);
    assert_true(strncmp(out, "left out 11 rows of ", 20) == 0);
    free(out);
    assert_int_equal(run_nnc("cv --data %s --target body_mass_g --folds 2 --epochs 5",
                             penguins), 0);
    assert_true(number_after("\nR2: mean ") > 0.5);
    /* What cv refuses, and what train refuses of cv's. */
    assert_int_equal(run_nnc("cv --data %s --target species --folds 1", penguins), 2);
    assert_int_equal(run_nnc("cv --data %s --target species --out m.nnc", penguins), 2);
    stderr_has("nnc cv: --out, --log and --plot-dir (no model is saved) cannot be used here");
    assert_int_equal(run_nnc("cv --data %s --target species --test 0.3", penguins), 2);
    assert_int_equal(run_nnc("train --data %s --target species --folds 3", penguins), 2);
    stderr_has("nnc train: --folds (it is nnc cv's) cannot be used here");
    write_text("four.csv", "a,y\n1,0\n2,1\n3,0\n4,1\n");
    assert_int_equal(run_nnc("cv --data '%s' --folds 5", in_dir("four.csv")), 1);
    stderr_has("has 4 rows, fewer than the 5 folds");
}

static void test_csv_dialects(void **state)
{
    (void)state;
    write_iris_as("iris.tsv", '\t', 0);
    write_iris_as("iris-semicolon.csv", ';', 0);
    write_iris_as("headless.csv", ',', 1);
    const char *train = "train --data '%s' %s --epochs 5 --seed 4 --quiet --out '%s'";
    char comma[4096];
    snprintf(comma, sizeof comma, "%s/iris.csv", NNC_TEST_DATA);
    assert_int_equal(run_nnc(train, comma, "--target target", in_dir("comma.nnc")), 0);
    assert_int_equal(run_nnc(train, in_dir("iris.tsv"), "", in_dir("tab.nnc")), 0);
    assert_int_equal(run_nnc(train, in_dir("iris-semicolon.csv"), "--delimiter ';'",
                             in_dir("semicolon.nnc")), 0);
    assert_int_equal(run_nnc(train, in_dir("headless.csv"), "--no-header --target c4",
                             in_dir("headless.nnc")), 0);
    /* The same rows and seed give the same predictions, whatever the dialect. */
    const char *predict = "predict --model '%s' --data '%s' %s --out '%s'";
    assert_int_equal(run_nnc(predict, in_dir("comma.nnc"), comma, "", in_dir("comma.out")), 0);
    assert_int_equal(run_nnc(predict, in_dir("tab.nnc"), in_dir("iris.tsv"), "--delimiter tab",
                             in_dir("tab.out")), 0);
    assert_int_equal(run_nnc(predict, in_dir("semicolon.nnc"), in_dir("iris-semicolon.csv"), "",
                             in_dir("semicolon.out")), 0);
    assert_int_equal(run_nnc(predict, in_dir("headless.nnc"), in_dir("headless.csv"),
                             "--no-header", in_dir("headless.out")), 0);
    char *want = slurp(in_dir("comma.out"), NULL);
    const char *others[] = { "tab.out", "semicolon.out", "headless.out" };
    for (int i = 0; i < 3; i++) {
        char *got = slurp(in_dir(others[i]), NULL);
        assert_string_equal(got, want);
        free(got);
    }
    assert_int_equal(run_nnc("eval --model '%s' --data '%s' --no-header", in_dir("headless.nnc"),
                             in_dir("headless.csv")), 0);
    /* The model remembers that its files have no header. */
    assert_int_equal(run_nnc(predict, in_dir("headless.nnc"), in_dir("headless.csv"), "",
                             in_dir("headless2.out")), 0);
    char *again = slurp(in_dir("headless2.out"), NULL);
    assert_string_equal(again, want);
    free(again);
    assert_int_equal(run_nnc("info '%s'", in_dir("headless.nnc")), 0);
    char *info = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(info, "  csv_no_header    yes\n"));
    free(info);
    free(want);
    expect_refusal(in_dir("m.nnc"), WANT("headless.csv:1:1:", "looks like data", "--no-header"),
                   "train --data '%s' --quiet --out '%s'", in_dir("headless.csv"),
                   in_dir("m.nnc"));
    /* A usage error (exit 2), as for any option's bad value. */
    assert_int_equal(run_nnc("train --data '%s' --delimiter ab --quiet --out '%s'", comma,
                             in_dir("m.nnc")), 2);
    char *err = slurp(in_dir("stderr"), NULL);
    assert_non_null(strstr(err, "--delimiter takes one character"));
    free(err);
    assert_false(exists(in_dir("m.nnc")));
}

static void test_bom_is_not_part_of_the_name(void **state)
{
    (void)state;
    write_text("bom.csv", "\xef\xbb\xbf" "a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n1,3,0\n3,5,1\n");
    assert_int_equal(run_nnc("train --data '%s' --target y --drop a --epochs 2 --validation 0 "
                             "--test 0 --quiet --out '%s'",
                             in_dir("bom.csv"), in_dir("bom.nnc")), 0);
    assert_int_equal(run_nnc("info '%s'", in_dir("bom.nnc")), 0);
    char *out = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(out, "inputs (1): b\n"));
    free(out);
}

/* Big-endian IDX header bytes for magic type 0x08 with the given dims. */
static size_t idx_header(unsigned char *h, int ndim, const uint32_t *dims)
{
    h[0] = h[1] = 0;
    h[2] = 0x08;
    h[3] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++)
        for (int b = 0; b < 4; b++)
            h[4 + 4 * i + b] = (unsigned char)(dims[i] >> (24 - 8 * b));
    return 4 + 4 * (size_t)ndim;
}

static void write_idx(const char *name, int ndim, const uint32_t *dims, size_t payload,
                      int gzip, size_t cut)
{
    unsigned char buf[4096];
    size_t n = idx_header(buf, ndim, dims);
    for (size_t i = 0; i < payload; i++)
        buf[n + i] = (unsigned char)(i % 10);
    n += payload;
    if (!gzip) {
        write_file(in_dir(name), buf, n - cut);
        return;
    }
    gzFile f = gzopen(in_dir(name), "wb");
    assert_non_null(f);
    assert_int_equal(gzwrite(f, buf, (unsigned)n), (int)n);
    gzclose(f);
    if (cut > 0) {   /* chop the tail off the compressed file */
        long size;
        char *bytes = slurp(in_dir(name), &size);
        write_file(in_dir(name), bytes, (size_t)size - cut);
        free(bytes);
    }
}

static void bad_idx(const char *images, const char *labels, const char *const *fragments)
{
    expect_refusal(in_dir("m.nnc"), fragments,
                   "train --images '%s' --labels '%s' --quiet --epochs 1 --out '%s'",
                   in_dir(images), in_dir(labels), in_dir("m.nnc"));
}

static void test_malformed_idx(void **state)
{
    (void)state;
    const uint32_t img[3] = { 20, 2, 2 }, lab[1] = { 20 }, lab_short[1] = { 19 };
    write_idx("img.gz", 3, img, 80, 1, 0);
    write_idx("lab.gz", 1, lab, 20, 1, 0);
    write_idx("lab19", 1, lab_short, 19, 0, 0);
    write_idx("trunc.gz", 3, img, 80, 1, 12);
    write_idx("trunc", 3, img, 80, 0, 30);
    write_text("magic", "this is not an IDX file at all, just text\n");
    bad_idx("magic", "lab.gz", WANT("magic", "IDX"));
    bad_idx("img.gz", "lab19", WANT("lab19", "20", "19"));
    bad_idx("trunc.gz", "lab.gz", WANT("trunc.gz"));
    bad_idx("trunc", "lab.gz", WANT("trunc"));
    bad_idx("img.gz", "missing-labels", WANT("missing-labels"));
    /* A sanity check that the good pair really trains. */
    assert_int_equal(run_nnc("train --images '%s' --labels '%s' --epochs 1 --test 0 --quiet "
                             "--out '%s'", in_dir("img.gz"), in_dir("lab.gz"), in_dir("ok.nnc")),
                     0);
}

static void test_damaged_model_files(void **state)
{
    (void)state;
    train_iris();
    long size;
    char *model = slurp(in_dir("iris.nnc"), &size);
    write_file(in_dir("cut.nnc"), model, (size_t)size / 2);
    model[size / 3] ^= 0x10;
    write_file(in_dir("flip.nnc"), model, (size_t)size);
    free(model);
    expect_refusal(in_dir("p.csv"), WANT("cut.nnc"), "predict --model '%s' --data %s/iris.csv "
                   "--out '%s'", in_dir("cut.nnc"), NNC_TEST_DATA, in_dir("p.csv"));
    expect_refusal(in_dir("p.csv"), WANT("flip.nnc"), "predict --model '%s' --data %s/iris.csv "
                   "--out '%s'", in_dir("flip.nnc"), NNC_TEST_DATA, in_dir("p.csv"));
    expect_refusal(NULL, WANT("iris.csv"), "info %s/iris.csv", NNC_TEST_DATA);
    expect_refusal(NULL, WANT("flip.nnc"), "eval --model '%s' --data %s/iris.csv",
                   in_dir("flip.nnc"), NNC_TEST_DATA);
}

/* Training that diverges stops with the epoch and batch and a hint, and does
 * not write a model; clipping the gradient keeps the same run finite. */
static void test_divergence(void **state)
{
    (void)state;
    const char *args = "train --data %s/house_prices.csv --target MEDV --optimizer sgd "
                       "--learning-rate 50 --epochs 5 --quiet --out '%s' %s";
    expect_refusal(in_dir("m.nnc"), WANT("diverged in epoch 1, batch", "smaller learning rate"),
                   args, NNC_TEST_DATA, in_dir("m.nnc"), "");
    assert_int_equal(run_nnc(args, NNC_TEST_DATA, in_dir("m.nnc"), "--clip-norm 0.01"), 0);
    assert_true(exists(in_dir("m.nnc")));
}

/* -------------------------------------------------- killed and resumed */

/* The training the kill test interrupts: 51,338 parameters, so that with
 * Adam's two moments each checkpoint is 800 kB and takes long enough to
 * write that a kill sometimes lands inside the write; 20 epochs of some
 * 30 ms each on an idle machine, so that the whole test takes seconds. A
 * batch norm (running statistics in the state block) and a dropout (masks
 * from the run's generator) must come back from the checkpoint exactly. */
#define KILL_EPOCHS 20
#define TEXT(x) #x
#define NUMBER_TEXT(x) TEXT(x)
#define KILL_ARGS "--target target --layers 256,batchnorm,dropout:0.2,128 --epochs " NUMBER_TEXT(KILL_EPOCHS) \
                  " --patience 0 --learning-rate 0.001 --batch-size 8 --seed 5"

/* The kill comes after the killed run has reported an epoch between 1 and
 * this (so a checkpoint exists), and at most about one epoch later, so some
 * ten epochs are left to resume however fast or slow the machine is. */
#define KILL_LATEST 8

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void sleep_seconds(double s)
{
    struct timespec t = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&t, NULL);
}

/* The epochs a --json run reported on stderr (complete lines only: the file
 * may be caught half-written), and the first of them in *first. */
static int reported_epochs(const char *text, int *first)
{
    int n = 0;
    for (const char *line = text, *end; (end = strchr(line, '\n')) != NULL; line = end + 1) {
        if (strncmp(line, "{\"epoch\":", 9) != 0)
            continue;
        if (n++ == 0 && first != NULL)
            *first = atoi(line + 9);
    }
    return n;
}

static int reported_so_far(const char *path)
{
    if (!exists(path))
        return 0;
    char *text = slurp(path, NULL);
    int n = reported_epochs(text, NULL);
    free(text);
    return n;
}

/* Resumes from checkpoint `ck` (and keeps checkpointing there, as README's
 * `--checkpoint ck --resume ck`) into `out`; checks that the run trained
 * only the epochs after some checkpoint, at least one, not all of them from
 * scratch, and returns the epoch it resumed after. */
static int resume(const char *data, const char *ck, const char *out)
{
    assert_int_equal(run_nnc("train --data '%s' " KILL_ARGS " --json --checkpoint '%s' "
                             "--resume '%s' --out '%s'", data, in_dir(ck), in_dir(ck),
                             in_dir(out)), 0);
    char *err = slurp(in_dir("stderr"), NULL);
    int first = 0, n = reported_epochs(err, &first);
    free(err);
    if (!(n >= 1 && first >= 2 && first + n - 1 == KILL_EPOCHS))
        fail_msg("resuming from %s trained %d epochs from epoch %d: not a resume of the "
                 "%d-epoch run from a checkpoint in its middle", ck, n, first, KILL_EPOCHS);
    return first - 1;
}

static void assert_same_file(const char *a, const char *b)
{
    long na, nb;
    char *x = slurp(in_dir(a), &na), *y = slurp(in_dir(b), &nb);
    if (na != nb || memcmp(x, y, (size_t)na) != 0)
        fail_msg("%s (%ld bytes) differs from %s (%ld bytes)", b, nb, a, na);
    free(x);
    free(y);
}

/* The folder holds nothing but `expected` and, beside each of `outputs`, at
 * most one "<output>.tmp..." file: what a kill may leave of a write in
 * progress (temporaries may also have no name at all, or be cleared by the
 * next write of the same output: both are fine). Removes those temporaries,
 * so that the refusals that follow can check none is made. */
static void check_leftovers(const char *const *expected, const char *const *outputs)
{
    DIR *d = opendir(in_dir("."));
    assert_non_null(d);
    int temporaries[8] = { 0 };
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        int known = 0;
        for (int i = 0; expected[i] != NULL; i++)
            known |= strcmp(e->d_name, expected[i]) == 0;
        for (int i = 0; !known && outputs[i] != NULL; i++) {
            size_t n = strlen(outputs[i]);
            if (strncmp(e->d_name, outputs[i], n) == 0 && strncmp(e->d_name + n, ".tmp", 4) == 0) {
                if (++temporaries[i] > 1)
                    fail_msg("a second temporary beside %s: %s", outputs[i], e->d_name);
                print_message("left beside %s: %s\n", outputs[i], e->d_name);
                assert_int_equal(remove(in_dir(e->d_name)), 0);
                known = 1;
            }
        }
        if (!known)
            fail_msg("unexpected file left in the folder: %s", e->d_name);
    }
    closedir(d);
}

/* A training killed with SIGKILL and resumed from its last checkpoint ends
 * with the same model file, byte for byte, as one never stopped, whatever
 * the moment of the kill:
 *  (a) a real kill at a random moment after the first checkpoint exists
 *      (during an epoch, or inside the next checkpoint's write);
 *  (b) the state a kill inside a checkpoint's write leaves, made on purpose
 *      so that every run covers it: the last good checkpoint with a
 *      half-written temporary beside it, which neither the loader nor the
 *      next writes of that checkpoint may trip over.
 * Each resume must train only the epochs after the checkpoint: a loader that
 * ignored the file and started again would also end with the same model. */
static void test_checkpoint_survives_sigkill(void **state)
{
    (void)state;
    char data[512];
    snprintf(data, sizeof data, "%s/digits.csv", NNC_TEST_DATA);
    double started = seconds_now();
    assert_int_equal(run_nnc("train --data '%s' " KILL_ARGS " --quiet --out '%s'", data,
                             in_dir("full.nnc")), 0);
    double epoch_seconds = (seconds_now() - started) / KILL_EPOCHS;   /* an overestimate */

    /* (a) The moment: after epoch `after` (1..KILL_LATEST) is reported, plus
     * up to one epoch; drawn from the clock, so a different one each run. */
    nnc_rng rng;
    nnc_rng_seed(&rng, (uint64_t)(started * 1e9) ^ (uint64_t)getpid());
    int after = 1 + (int)nnc_rng_below(&rng, KILL_LATEST);
    double delay = epoch_seconds * nnc_rng_uniform(&rng);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "exec '%s' train --data '%s' " KILL_ARGS " --json --checkpoint '%s' "
             "--out '%s' > /dev/null 2> '%s'", NNC_BINARY, data, in_dir("ck"),
             in_dir("part.nnc"), in_dir("killed.json"));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    /* nnc_fit saves an epoch's checkpoint before reporting the epoch. */
    int status = 0, ended = 0;
    double deadline = seconds_now() + 120;
    while (!ended && reported_so_far(in_dir("killed.json")) < after) {
        ended = waitpid(pid, &status, WNOHANG) == pid;
        if (!ended && seconds_now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("the run to kill reported no epoch %d within 120 s", after);
        }
        sleep_seconds(0.001);
    }
    if (!ended) {
        sleep_seconds(delay);
        kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, &status, 0), pid);
    }
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
        fail_msg("the run to kill ended on its own after %d epochs",
                 reported_so_far(in_dir("killed.json")));
    assert_true(exists(in_dir("ck")));
    print_message("killed %.0f ms after epoch %d (an epoch takes about %.0f ms)\n", delay * 1e3,
                  after, epoch_seconds * 1e3);

    /* (b)'s starting point, copied before (a)'s resume moves ck on: the
     * checkpoint the kill left, and beside it the first half of a checkpoint
     * under a temporary's name, as a kill inside a write leaves it. */
    long size;
    char *ck = slurp(in_dir("ck"), &size);
    write_file(in_dir("mid.ck"), ck, (size_t)size);
    write_file(in_dir("mid.ck.tmp-K1ll3d"), ck, (size_t)size / 2);
    free(ck);

    int resumed_a = resume(data, "ck", "resumed.nnc");
    assert_same_file("full.nnc", "resumed.nnc");
    int resumed_b = resume(data, "mid.ck", "mid.nnc");
    assert_same_file("full.nnc", "mid.nnc");
    assert_int_equal(resumed_b, resumed_a);   /* both from the checkpoint the kill left */
    assert_true(resumed_a >= after && resumed_a <= KILL_EPOCHS - 1);
    print_message("resumed after epoch %d of %d\n", resumed_a, KILL_EPOCHS);

    check_leftovers((const char *const[]){ "stdout", "stderr", "killed.json", "full.nnc", "ck",
                                           "resumed.nnc", "mid.ck", "mid.nnc", NULL },
                    (const char *const[]){ "ck", "part.nnc", "resumed.nnc", "mid.ck", "mid.nnc",
                                           NULL });

    /* A checkpoint of another network is refused, not misread. */
    expect_refusal(in_dir("other.nnc"), WANT("ck", "checkpoint"),
                   "train --data '%s' --target target --layers 8 --quiet --resume '%s' "
                   "--out '%s'", data, in_dir("ck"), in_dir("other.nnc"));
}

static void test_prediction_data_that_does_not_fit(void **state)
{
    (void)state;
    train_iris();
    write_text("extra.csv", "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,colour\n"
                            "5.1,3.5,1.4,0.2,3\n");
    write_text("fewer.csv", "sepal_length_cm,sepal_width_cm,petal_length_cm\n5.1,3.5,1.4\n");
    write_text("label.csv", "sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,target\n"
                            "5.1,3.5,1.4,0.2,daisy\n");
    expect_refusal(in_dir("p.csv"), WANT("extra.csv", "colour"),
                   "predict --model '%s' --data '%s' --out '%s'", in_dir("iris.nnc"),
                   in_dir("extra.csv"), in_dir("p.csv"));
    expect_refusal(in_dir("p.csv"), WANT("fewer.csv", "petal_width_cm"),
                   "predict --model '%s' --data '%s' --out '%s'", in_dir("iris.nnc"),
                   in_dir("fewer.csv"), in_dir("p.csv"));
    expect_refusal(NULL, WANT("label.csv:2:5:", "daisy"), "eval --model '%s' --data '%s'",
                   in_dir("iris.nnc"), in_dir("label.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, make_dir, remove_dir)
        T(test_train_predict_eval_info),
        T(test_same_seed_same_model_file),
        T(test_summary_says_which_weights_are_kept),
        T(test_regression_and_tutorial_regions),
        T(test_malformed_csv),
        T(test_bom_is_not_part_of_the_name),
        T(test_csv_dialects),
        T(test_tables_as_they_come),
        T(test_progress_bar),
        T(test_cross_validation),
        T(test_separate_parts),
        T(test_malformed_idx),
        T(test_damaged_model_files),
        T(test_prediction_data_that_does_not_fit),
        T(test_divergence),
        T(test_checkpoint_survives_sigkill),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

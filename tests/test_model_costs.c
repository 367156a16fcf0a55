/*
 * test_model_costs.c - what a model costs to load and to judge, and what
 * comes out when its numbers overflow.
 *
 * Each case is built here with the library, in a fresh temporary folder: a
 * 1,024-layer model file (loading used to re-allocate the parameters per
 * layer: 73 s for 17 MB), a model of NNC_MAX_CLASSES classes evaluated on 3
 * rows (the CLI used to print and allocate the whole k x k matrix), a model
 * whose finite weights overflow (predict and eval printed -nan and exited 0)
 * and a normaliser of kind "none" with numbers (eval ignored them, predict
 * applied them). Nothing is timed: the work runs in a child process killed
 * by alarm() past a generous limit, under an address-space limit
 * (setrlimit(RLIMIT_AS), as prlimit --as) over what the child has mapped
 * when it starts, or, for the nnc program, with its peak resident set
 * checked (its address space is mostly OpenBLAS's per-thread buffers, which
 * depend on the host's cores, and OpenBLAS spins rather than fails when it
 * cannot map them).
 *
 * ASan and valgrind reserve address space of their own, so RLIMIT_AS is
 * left alone under them, and the deep model is made narrower (valgrind runs
 * code some 50 times slower) rather than the case skipped.
 */
#define _DEFAULT_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli_support.h"
#include "data/data.h"
#include "nn/nn.h"
#include "../cli/report.h"

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_mode.h"

/* Time limits: far above what the work takes (a fraction of a second
 * natively), far below what the old quadratic or k x k paths took. */
static unsigned seconds_for(unsigned native)
{
    run_mode mode = detect_run_mode();
    return mode == RUN_VALGRIND ? 20 * native : mode == RUN_ASAN ? 4 * native : native;
}

/* ------------------------------------------------------ bounded children */

/* The address space this process has mapped, in bytes (0 if unknown). */
static size_t mapped_now(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f != NULL) {
        if (fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* Makes OpenBLAS set up its threads and buffers (it does on the first
 * call), so that they count in the child's starting address space rather
 * than against the work's budget. */
static void warm_up_blas(void)
{
    enum { N = 64 };
    nnc_net *net = nnc_net_new(N);
    float *x = calloc(N * N, sizeof *x), *out = calloc(N * N, sizeof *out);
    if (net != NULL && x != NULL && out != NULL &&
        nnc_net_add_dense(net, N, NNC_RELU) == NNC_OK)
        (void)nnc_predict(net, x, N, out);
    free(x);
    free(out);
    nnc_net_free(net);
}

/* Runs work(arg) in a child process that alarm() kills after `seconds` and
 * that may map at most `budget` bytes more than it has at the start (not
 * limited under ASan or valgrind). Fails the test with what went wrong. */
static void within(const char *what, int (*work)(void *), void *arg, unsigned seconds,
                   size_t budget)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        warm_up_blas();
        if (detect_run_mode() == RUN_PLAIN) {
            rlim_t cap = (rlim_t)(mapped_now() + budget);
            struct rlimit limit = { cap, cap };
            if (setrlimit(RLIMIT_AS, &limit) != 0)
                _exit(3);
        }
        alarm(seconds);
        _exit(work(arg));
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        fail_msg("%s took more than %u s", what, seconds);
    if (WIFSIGNALED(status))
        fail_msg("%s was killed by signal %d", what, WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        fail_msg("%s failed (exit %d) within %u s and %zu MB more address space", what,
                 WEXITSTATUS(status), seconds, budget >> 20);
}

/* Runs `nnc args...` (at most 8), its output in FOLDER/stdout and
 * FOLDER/stderr, killed by alarm() after `seconds`; returns its exit status
 * and its peak resident set in *rss_kb. */
static int run_bounded(unsigned seconds, long *rss_kb, const char *const *args)
{
    char *argv[10] = { (char *)NNC_BINARY };
    int n = 0;
    while (args[n] != NULL && n < 8) {
        argv[n + 1] = (char *)args[n];
        n++;
    }
    argv[n + 1] = NULL;
    char out[512], err[512];
    snprintf(out, sizeof out, "%s", in_dir("stdout"));
    snprintf(err, sizeof err, "%s", in_dir("stderr"));
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(126);
        alarm(seconds);   /* an alarm survives exec */
        execv(NNC_BINARY, argv);
        _exit(127);
    }
    int status;
    struct rusage usage;
    assert_int_equal(wait4(pid, &status, 0, &usage), pid);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        fail_msg("nnc %s took more than %u s", args[0], seconds);
    if (WIFSIGNALED(status))
        fail_msg("nnc %s was killed by signal %d", args[0], WTERMSIG(status));
    *rss_kb = usage.ru_maxrss;
    return WEXITSTATUS(status);
}

static char *output(const char *name)
{
    return slurp(in_dir(name), NULL);
}

static void assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("expected \"%s\" in:\n%s", part, text);
}

/* --------------------------------------------------------- building cases */

/* A regression model around net: inputs x0.., target y. */
static nnc_model *regression_model(nnc_net *net, nnc_normalizer *norm)
{
    int in = nnc_net_inputs(net), outs = nnc_net_outputs(net);
    float *x = calloc((size_t)in, sizeof *x), *y = calloc((size_t)outs, sizeof *y);
    nnc_dataset *data = nnc_dataset_from_arrays(x, y, 1, in, outs);
    assert_non_null(data);
    nnc_model *model = nnc_model_new(net, norm, data);
    assert_non_null(model);
    assert_int_equal(nnc_model_set_meta(model, "target", "y"), NNC_OK);
    nnc_dataset_free(data);
    free(x);
    free(y);
    return model;
}

/* A classification model around net, classes named c0, c1, ... */
static nnc_model *classifier(nnc_net *net, int k, nnc_normalizer *norm)
{
    int in = nnc_net_inputs(net);
    float *x = calloc((size_t)in * (size_t)k, sizeof *x);
    int *classes = malloc((size_t)k * sizeof *classes);
    char **labels = malloc((size_t)k * sizeof *labels);
    assert_true(x != NULL && classes != NULL && labels != NULL);
    for (int c = 0; c < k; c++) {
        classes[c] = c;
        labels[c] = malloc(16);
        assert_non_null(labels[c]);
        snprintf(labels[c], 16, "c%d", c);
    }
    nnc_dataset *data =
        nnc_dataset_from_classes(x, classes, k, in, k, (const char *const *)labels);
    assert_non_null(data);
    nnc_model *model = nnc_model_new(net, norm, data);
    assert_non_null(model);
    assert_int_equal(nnc_model_set_meta(model, "target", "y"), NNC_OK);
    nnc_dataset_free(data);
    nnc_free_strings(labels, k);
    free(classes);
    free(x);
    return model;
}

/* n_inputs -> k softmax, weights drawn from a fixed seed. */
static nnc_net *softmax_net(int n_inputs, int k)
{
    nnc_net *net = nnc_net_new(n_inputs);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, k, NNC_SOFTMAX), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_SOFTMAX_CROSS_ENTROPY), NNC_OK);
    nnc_rng rng;
    nnc_rng_seed(&rng, 9);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, &rng), NNC_OK);
    return net;
}

static void save(nnc_model *model, const char *name)
{
    if (nnc_model_save(model, in_dir(name)) != NNC_OK)
        fail_msg("saving %s: %s", name, nnc_last_error());
    nnc_model_free(model);
}

/* ------------------------------------------------- a 1,024-layer model */

#define DEEP_LAYERS 1024

/* The width of the deep model's layers: 64 makes a 17 MB file, which the
 * old layer-by-layer loader took 73 s over; narrower where code runs
 * slowly. */
static int deep_width(void)
{
    run_mode mode = detect_run_mode();
    return mode == RUN_VALGRIND ? 16 : mode == RUN_ASAN ? 32 : 64;
}

static void make_deep_model(const char *name)
{
    int width = deep_width();
    int units[DEEP_LAYERS];
    nnc_activation acts[DEEP_LAYERS];
    for (int l = 0; l < DEEP_LAYERS; l++) {
        units[l] = l + 1 < DEEP_LAYERS ? width : 1;
        acts[l] = l + 1 < DEEP_LAYERS ? NNC_RELU : NNC_IDENTITY;
    }
    nnc_net *net = nnc_net_new_stack(width, DEEP_LAYERS, units, acts);
    assert_non_null(net);
    nnc_rng rng;
    nnc_rng_seed(&rng, 5);
    assert_int_equal(nnc_net_init(net, NNC_INIT_HE, &rng), NNC_OK);
    save(regression_model(net, NULL), name);
}

static int load_deep(void *path)
{
    nnc_model *model = NULL;
    nnc_status st = nnc_model_load(path, &model);
    int ok = st == NNC_OK && nnc_net_layer_count(nnc_model_net(model)) == DEEP_LAYERS &&
             nnc_net_layer_units(nnc_model_net(model), 0) == deep_width();
    if (st != NNC_OK)
        fprintf(stderr, "load: %s\n", nnc_last_error());
    nnc_model_free(model);
    return ok ? 0 : 1;
}

static size_t file_size(const char *path)
{
    struct stat info;
    assert_int_equal(stat(path, &info), 0);
    return (size_t)info.st_size;
}

/* Built in one call, the stack has the layout and the zeroed, aligned
 * blocks that adding the layers one at a time gives. */
static void test_stack_matches_layer_by_layer(void **state)
{
    (void)state;
    const int units[] = { 5, 7, 3 };
    const nnc_activation acts[] = { NNC_TANH, NNC_RELU, NNC_SOFTMAX };
    nnc_net *stack = nnc_net_new_stack(4, 3, units, acts);
    nnc_net *added = nnc_net_new(4);
    assert_non_null(stack);
    for (int l = 0; l < 3; l++)
        assert_int_equal(nnc_net_add_dense(added, units[l], acts[l]), NNC_OK);
    assert_int_equal(nnc_net_param_count(stack), nnc_net_param_count(added));
    assert_int_equal(nnc_net_layer_count(stack), 3);
    for (int l = 0; l < 3; l++) {
        assert_int_equal(nnc_net_layer_units(stack, l), units[l]);
        assert_int_equal(nnc_net_layer_activation(stack, l), acts[l]);
        assert_int_equal(nnc_net_weights(stack, l) - nnc_net_params(stack),
                         nnc_net_weights(added, l) - nnc_net_params(added));
        assert_int_equal(nnc_net_bias(stack, l) - nnc_net_params(stack),
                         nnc_net_bias(added, l) - nnc_net_params(added));
    }
    assert_int_equal((uintptr_t)nnc_net_params(stack) % NNC_ALIGN, 0);
    assert_int_equal((uintptr_t)nnc_net_grads(stack) % NNC_ALIGN, 0);
    for (size_t i = 0; i < nnc_net_param_count(stack); i++)
        assert_true(nnc_net_params(stack)[i] == 0.0f && nnc_net_grads(stack)[i] == 0.0f);
    /* Adding to it later grows it as for any network, keeping the values. */
    nnc_net_params(stack)[0] = 2.5f;
    assert_int_equal(nnc_net_add_dense(stack, 2, NNC_SIGMOID), NNC_OK);
    assert_true(nnc_net_params(stack)[0] == 2.5f);
    assert_int_equal(nnc_net_layer_count(stack), 4);
    nnc_net_free(stack);
    nnc_net_free(added);

    /* A bad layer anywhere is refused, nothing is left allocated. */
    const int bad[] = { 5, 0 };
    assert_null(nnc_net_new_stack(4, 2, bad, acts));
    assert_non_null(strstr(nnc_last_error(), "units must be between 1 and"));
    assert_null(nnc_net_new_stack(4, 0, units, acts));
}

static void test_deep_model_loads_in_linear_time(void **state)
{
    (void)state;
    make_deep_model("deep.nnc");
    const char *path = in_dir("deep.nnc");
    size_t size = file_size(path);
    /* The file's bytes, the parameters and their gradients, and room. */
    within("loading the 1,024-layer model", load_deep, (void *)path, seconds_for(10),
           4 * size + ((size_t)32 << 20));

    long rss;
    const char *info[] = { "info", path, NULL };
    assert_int_equal(run_bounded(seconds_for(10), &rss, info), 0);
    char *out = output("stdout");
    assert_contains(out, "-> 1 identity");
    free(out);
}

/* ------------------------------------- a model of NNC_MAX_CLASSES classes */

#define WIDE_ROWS "x0,y\n0.5,c1\n1.5,c7\n-2,c4095\n"

static int evaluate_wide(void *dir_path)
{
    (void)dir_path;
    nnc_model *model = NULL;
    nnc_dataset *data = NULL;
    nnc_csv_options csv = nnc_csv_defaults();
    int k = NNC_MAX_CLASSES, rc = 1;
    const char *input = "x0";
    if (nnc_model_load(in_dir("wide.nnc"), &model) != NNC_OK)
        goto done;
    const char **labels = malloc((size_t)k * sizeof *labels);
    for (int c = 0; labels != NULL && c < k; c++)
        labels[c] = nnc_model_class_label(model, c);
    csv.inputs = &input;
    csv.n_inputs = 1;
    csv.classes = labels;
    csv.n_classes = k;
    csv.task = NNC_TASK_CLASSIFICATION;
    csv.target = "y";
    nnc_metrics m;
    if (labels != NULL && nnc_dataset_load_csv(in_dir("wide.csv"), &csv, &data) == NNC_OK &&
        nnc_model_evaluate(model, data, &m, NULL) == NNC_OK && m.rows == 3)
        rc = 0;
    free(labels);
done:
    if (rc != 0)
        fprintf(stderr, "wide: %s\n", nnc_last_error());
    nnc_dataset_free(data);
    nnc_model_free(model);
    return rc;
}

static void test_many_classes_on_three_rows(void **state)
{
    (void)state;
    int k = NNC_MAX_CLASSES;
    save(classifier(softmax_net(1, k), k, NULL), "wide.nnc");
    write_file(in_dir("wide.csv"), WIDE_ROWS, strlen(WIDE_ROWS));
    /* The library judges the rows without a k x k matrix (64 MiB here). */
    within("evaluating 3 rows", evaluate_wide, NULL, seconds_for(10), (size_t)48 << 20);

    /* The program prints a line of metrics and a note, not a 4096 x 4096
     * table (84 MB of text, 72 MB of memory, seconds). */
    long rss;
    const char *eval[] = { "eval", "--model", in_dir("wide.nnc"), "--data", in_dir("wide.csv"),
                           NULL };
    assert_int_equal(run_bounded(seconds_for(10), &rss, eval), 0);
    long size;
    char *out = slurp(in_dir("stdout"), &size);
    assert_true(size < 1024);
    assert_int_equal(count_lines(out), 2);
    assert_contains(out, "accuracy");
    assert_contains(out, "not printed for 4096 classes");
    free(out);
    /* Its own few MB plus OpenBLAS's; the matrix alone would be 64 MiB. */
    long rss_limit = detect_run_mode() == RUN_PLAIN ? 40 * 1024 : 256 * 1024;
    if (rss > rss_limit)
        fail_msg("nnc eval of 3 rows peaked at %ld KB (limit %ld KB)", rss, rss_limit);

    /* The files that carry a large matrix refuse this one up front. */
    const char *csv[] = { "eval", "--model", in_dir("wide.nnc"), "--data", in_dir("wide.csv"),
                          "--confusion", in_dir("c.csv"), NULL };
    assert_int_equal(run_bounded(seconds_for(10), &rss, csv), 1);
    char *err = output("stderr");
    assert_contains(err, "--confusion writes a confusion matrix of at most 1024 classes; the "
                         "model has 4096");
    free(err);
    assert_false(exists(in_dir("c.csv")));
    const char *plot[] = { "eval", "--model", in_dir("wide.nnc"), "--data", in_dir("wide.csv"),
                           "--plot", in_dir("c.png"), NULL };
    assert_int_equal(run_bounded(seconds_for(10), &rss, plot), 1);
    err = output("stderr");
    assert_contains(err, "--plot draws a confusion matrix of at most 64 classes");
    free(err);
}

/* Past REPORT_MAX_CLASSES the matrix is not printed but --confusion writes
 * all of it, labelled, atomically. */
static void test_confusion_file(void **state)
{
    (void)state;
    int k = REPORT_MAX_CLASSES + 1;
    save(classifier(softmax_net(1, k), k, NULL), "m.nnc");
    const char rows[] = "x0,y\n0,c0\n1,c3\n2,c20\n3,c3\n";
    write_file(in_dir("d.csv"), rows, strlen(rows));
    assert_int_equal(run_nnc("eval --model '%s' --data '%s' --confusion '%s'", in_dir("m.nnc"),
                             in_dir("d.csv"), in_dir("c.csv")),
                     0);
    char *out = output("stdout");
    assert_int_equal(count_lines(out), 2);
    assert_contains(out, "not printed for 21 classes (at most 20 are;");
    free(out);
    assert_false(has_temporary(NULL));

    char *csv = output("c.csv");
    assert_int_equal(count_lines(csv), k + 1);
    assert_true(strncmp(csv, "true\\predicted,c0,c1,", 21) == 0);
    /* Every line is a label and k counts; the counts add up to the rows,
     * and each true class's line holds as many as the rows of that class. */
    long total = 0;
    char *line = strchr(csv, '\n') + 1;
    for (int i = 0; i < k; i++) {
        char label[16];
        snprintf(label, sizeof label, "c%d,", i);
        assert_true(strncmp(line, label, strlen(label)) == 0);
        long row_sum = 0, cells = 0;
        for (char *p = strchr(line, ','); p != NULL && p < strchr(line, '\n');
             p = strchr(p + 1, ',')) {
            row_sum += strtol(p + 1, NULL, 10);
            cells++;
        }
        assert_int_equal(cells, k);
        assert_int_equal(row_sum, i == 3 ? 2 : i == 0 || i == 20 ? 1 : 0);
        total += row_sum;
        line = strchr(line, '\n') + 1;
    }
    assert_int_equal(total, 4);
    free(csv);
}

/* ------------------------------------------- finite weights that overflow */

#define HUGE_ROWS "x0,x1,y\n0,0,c0\n1,1,c1\n2,2,c2\n"

/* 2 -> 3 softmax with every weight and bias 3e38: the first row (inputs 0)
 * gives 1/3 each, the second sums to infinity and softmax makes NaN. */
static nnc_model *overflowing_classifier(void)
{
    nnc_net *net = softmax_net(2, 3);
    for (size_t i = 0; i < nnc_net_param_count(net); i++)
        nnc_net_params(net)[i] = 3e38f;
    return classifier(net, 3, NULL);
}

static void test_overflow_is_an_error_naming_the_row(void **state)
{
    (void)state;
    /* The library: predict and evaluate refuse, naming the row. */
    nnc_model *model = overflowing_classifier();
    const float x[] = { 0, 0, 1, 1, 2, 2 };
    const int classes[] = { 0, 1, 2 };
    float out[9];
    assert_int_equal(nnc_model_predict(model, x, 3, out), NNC_ENUMERIC);
    assert_contains(nnc_last_error(), "row 2: the model's output is not finite (NaN)");
    assert_int_equal(nnc_model_predict(model, x, 1, out), NNC_OK);   /* row 1 alone is fine */
    nnc_dataset *data = nnc_dataset_from_classes(x, classes, 3, 2, 3, NULL);
    nnc_metrics m;
    assert_int_equal(nnc_model_evaluate(model, data, &m, NULL), NNC_ENUMERIC);
    assert_contains(nnc_last_error(), "row 2: the model's output is not finite");
    nnc_dataset_free(data);
    /* Its weights are finite, so it may be saved (a NaN one may not). */
    save(model, "huge.nnc");

    nnc_net *net = nnc_net_new(1);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_IDENTITY), NNC_OK);
    nnc_net_params(net)[0] = 3e38f;
    nnc_model *line = regression_model(net, NULL);
    const float big[] = { 1, 2 };
    assert_int_equal(nnc_model_predict(line, big, 2, out), NNC_ENUMERIC);
    assert_contains(nnc_last_error(), "row 2: the model's output is not finite (infinite)");
    nnc_model_free(line);

    /* The program: exit 1, the row named, nothing written. */
    write_file(in_dir("huge.csv"), HUGE_ROWS, strlen(HUGE_ROWS));
    const char *want = "huge.csv: row 2: the model's output is not finite (NaN)";
    assert_int_equal(run_nnc("predict --model '%s' --data '%s'", in_dir("huge.nnc"),
                             in_dir("huge.csv")),
                     1);
    char *text = output("stderr");
    assert_contains(text, want);
    free(text);
    text = output("stdout");
    assert_string_equal(text, "");   /* not even the header */
    free(text);
    assert_int_equal(run_nnc("predict --model '%s' --data '%s' --out '%s'", in_dir("huge.nnc"),
                             in_dir("huge.csv"), in_dir("p.csv")),
                     1);
    assert_false(exists(in_dir("p.csv")));
    assert_false(has_temporary(NULL));
    assert_int_equal(run_nnc("eval --model '%s' --data '%s'", in_dir("huge.nnc"),
                             in_dir("huge.csv")),
                     1);
    text = output("stderr");
    assert_contains(text, want);
    assert_int_equal(count_lines(text), 1);
    free(text);
    text = output("stdout");
    assert_string_equal(text, "");
    free(text);
}

/* ------------------------------------ a "none" normaliser with numbers */

/* A normaliser of kind "none" whose offsets and scales are not the identity,
 * as a file may carry: predict and evaluate must both apply them. */
static nnc_normalizer *none_with_numbers(int inputs)
{
    nnc_normalizer *norm = nnc_normalizer_alloc(NNC_SCALE_NONE, inputs, 0);
    assert_non_null(norm);
    for (int j = 0; j < inputs; j++) {
        norm->offset[j] = 1.5f - j;
        norm->scale[j] = j % 2 ? -2.0f : 0.25f;
    }
    return norm;
}

#define ROWS 12

static void test_none_normaliser_one_path(void **state)
{
    (void)state;
    float x[ROWS * 2], y[ROWS], out[ROWS * 3];
    int classes[ROWS], predicted[ROWS], raw[ROWS];
    for (int i = 0; i < ROWS; i++) {
        x[2 * i] = (float)(i % 5) - 2.0f;
        x[2 * i + 1] = (float)((i * 7) % 4) * 0.5f;
        y[i] = (float)i * 0.3f;
        classes[i] = i % 3;
    }
    /* Regression: evaluate's MSE is that of predict's outputs. */
    nnc_net *net = nnc_net_new(2);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_IDENTITY), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_MSE), NNC_OK);
    nnc_net_params(net)[0] = 0.7f;
    nnc_net_params(net)[1] = -1.3f;
    nnc_net_params(net)[2] = 0.2f;
    nnc_model *model = regression_model(net, none_with_numbers(2));
    assert_int_equal(nnc_model_predict(model, x, ROWS, out), NNC_OK);
    double mse = 0.0;
    for (int i = 0; i < ROWS; i++)
        mse += (out[i] - (double)y[i]) * (out[i] - (double)y[i]) / ROWS;
    nnc_dataset *data = nnc_dataset_from_arrays(x, y, ROWS, 2, 1);
    nnc_metrics m;
    assert_int_equal(nnc_model_evaluate(model, data, &m, NULL), NNC_OK);
    assert_true(fabs(m.mse - mse) <= 1e-6 * mse);
    nnc_dataset_free(data);
    nnc_model_free(model);

    /* Classification, on floats and on byte images: evaluate's accuracy is
     * that of predict's classes, which the numbers change. */
    model = classifier(softmax_net(2, 3), 3, none_with_numbers(2));
    assert_int_equal(nnc_model_predict(model, x, ROWS, out), NNC_OK);
    nnc_output_classes(out, ROWS, 3, predicted);
    assert_int_equal(nnc_predict(nnc_model_net(model), x, ROWS, out), NNC_OK);
    nnc_output_classes(out, ROWS, 3, raw);
    assert_true(memcmp(predicted, raw, sizeof raw) != 0);
    int right = 0;
    for (int i = 0; i < ROWS; i++)
        right += predicted[i] == classes[i];
    data = nnc_dataset_from_classes(x, classes, ROWS, 2, 3, NULL);
    assert_int_equal(nnc_model_evaluate(model, data, &m, NULL), NNC_OK);
    assert_true(m.accuracy == (double)right / ROWS);
    nnc_dataset_free(data);

    nnc_dataset *img = nnc_dataset_alloc(ROWS, 2, 3, 1);
    assert_non_null(img);
    for (int i = 0; i < ROWS * 2; i++)
        img->bytes[i] = (unsigned char)((i * 53) % 256);
    assert_int_equal(nnc_dataset_set_classes(img, classes, 3, NULL), NNC_OK);
    size_t all[ROWS];
    for (int i = 0; i < ROWS; i++)
        all[i] = (size_t)i;
    float pixels[ROWS * 2];
    assert_int_equal(nnc_dataset_gather(img, all, ROWS, pixels, NULL), NNC_OK);
    assert_int_equal(nnc_model_predict(model, pixels, ROWS, out), NNC_OK);
    nnc_output_classes(out, ROWS, 3, predicted);
    right = 0;
    for (int i = 0; i < ROWS; i++)
        right += predicted[i] == classes[i];
    assert_int_equal(nnc_model_evaluate(model, img, &m, NULL), NNC_OK);
    assert_true(m.accuracy == (double)right / ROWS);
    nnc_dataset_free(img);

    /* The program, through a file: eval's count of right rows is the number
     * of predict's labels that match. */
    save(model, "none.nnc");
    char csv[1024] = "x0,x1,y\n";
    for (int i = 0; i < ROWS; i++)
        snprintf(csv + strlen(csv), sizeof csv - strlen(csv), "%g,%g,c%d\n", x[2 * i],
                 x[2 * i + 1], classes[i]);
    write_file(in_dir("none.csv"), csv, strlen(csv));
    assert_int_equal(run_nnc("predict --model '%s' --data '%s'", in_dir("none.nnc"),
                             in_dir("none.csv")),
                     0);
    char *text = output("stdout"), *line = strchr(text, '\n') + 1;
    right = 0;
    for (int i = 0; i < ROWS; i++, line = strchr(line, '\n') + 1) {
        char label[8];
        snprintf(label, sizeof label, "c%d,", classes[i]);
        right += strncmp(line, label, strlen(label)) == 0;
    }
    free(text);
    assert_int_equal(run_nnc("eval --model '%s' --data '%s'", in_dir("none.nnc"),
                             in_dir("none.csv")),
                     0);
    text = output("stdout");
    char want[64];
    snprintf(want, sizeof want, "(%d/%d right)", right, ROWS);
    assert_contains(text, want);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stack_matches_layer_by_layer),
        cmocka_unit_test_setup_teardown(test_deep_model_loads_in_linear_time, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_many_classes_on_three_rows, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_confusion_file, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_overflow_is_an_error_naming_the_row, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_none_normaliser_one_path, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

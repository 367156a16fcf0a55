/*
 * nnc_bench.c - nnc's side of the benchmark (bench/run.py drives it).
 *
 * One case per run, chosen on the command line, one JSON line per measured
 * figure on stdout (the protocol every bench program speaks):
 *   tutorial  the tutorial's training: ns per iteration (the median of
 *             --runs trainings in the process)
 *   train     one epoch of nnc_fit over Fashion-MNIST samples, 784-128-10,
 *             ReLU, softmax cross-entropy, plain SGD: samples/s, the GFLOP/s
 *             achieved, and the batches' gathers alone as a share of it
 *   sgemm     cblas_sgemm alone on the same shapes: GFLOP/s (the ceiling)
 *   infer     single-sample predictions: microseconds each
 *   accuracy  one epoch, then accuracy on the 10,000 test images
 * and the same for issue 11's CNN, conv 1->32 3x3 pad 1, ReLU, maxpool 2,
 * conv 32->64 3x3 pad 1, ReLU, maxpool 2, dense 3136->128 ReLU, dense
 * 128->10 softmax, SGD with momentum 0.9 at learning rate 0.01:
 *   cnn-train, cnn-sgemm, cnn-infer, cnn-accuracy
 * Only the work is timed, never the loading.
 */
#define _POSIX_C_SOURCE 200809L
#include "nnc.h"

#include <cblas.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FASHION "/usr/share/datasets/fashion-mnist/"
#define HIDDEN 128
#define CLASSES 10
#define LEARNING_RATE 0.01f
#define CNN_LAYERS "conv:32:3,maxpool:2,conv:64:3,maxpool:2,dense:128"
#define CNN_MOMENTUM 0.9f

typedef struct config {
    const char *name;
    int threads;
    int batch;
    int samples;
    int runs;   /* tutorial: timed trainings in this process, median reported */
    int cnn;    /* a cnn-* case: the CNN, not the MLP */
} config;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static void emit(const config *c, const char *metric, double value, const char *unit)
{
    printf("{\"impl\":\"nnc\",\"case\":\"%s\",\"batch\":%d,\"threads\":%d,\"metric\":\"%s\","
           "\"value\":%.6g,\"unit\":\"%s\",\"note\":\"OpenBLAS %s, core %s\"}\n",
           c->name, c->batch, c->threads, metric, value, unit, openblas_get_config(),
           openblas_get_corename());
    fflush(stdout);
}

static void die(const char *what)
{
    fprintf(stderr, "nnc_bench: %s: %s\n", what, nnc_last_error());
    exit(1);
}

/* ------------------------------------------------------------ tutorial */

/* The tutorial's eight instances and their targets. */
static const float tutorial_x[8][2] = { { 3, 1.5f }, { 2, 1 }, { 4, 1.5f }, { 3, 4 },
                                        { 3.5f, 0.5f }, { 2, 0.5f }, { 5.5f, 1 }, { 1, 1 } };
static const float tutorial_y[8] = { 0, 1, 0, 1, 0, 1, 1, 0 };

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The tutorial's train(): c->samples iterations from a fresh network of the
 * tutorial's seed, one random instance each, the cumulative error every 100.
 * Returns the seconds it took. */
static double tutorial_train(const config *c, const nnc_dataset *data, double *last_error)
{
    nnc_rng rng;
    nnc_rng_seed(&rng, 3);
    nnc_net *net = nnc_net_new(2);
    nnc_optimizer *sgd = nnc_sgd_new(0.1f);
    if (!net || !sgd || nnc_net_add_dense(net, 1, NNC_SIGMOID) != NNC_OK ||
        nnc_net_init(net, NNC_INIT_STANDARD_NORMAL, &rng) != NNC_OK)
        die("tutorial");
    double error = 0.0;
    double start = now();
    for (int i = 0; i < c->samples; i++) {
        int k = (int)nnc_rng_below(&rng, 8);
        nnc_train_step(net, sgd, tutorial_x[k], &tutorial_y[k], 1, NULL);
        if (i % 100 == 0)
            nnc_evaluate(net, data, &error);
    }
    double seconds = now() - start;
    *last_error = error;
    nnc_optimizer_free(sgd);
    nnc_net_free(net);
    return seconds;
}

/* c->runs trainings, each timed on its own; the median is reported, so that
 * a run the system interrupts (the whole training takes a third of a
 * millisecond) does not decide the figure. */
static void bench_tutorial(const config *c)
{
    nnc_dataset *data = nnc_dataset_from_arrays(&tutorial_x[0][0], tutorial_y, 8, 2, 1);
    double *seconds = malloc((size_t)c->runs * sizeof *seconds), error = 0.0;
    if (data == NULL || seconds == NULL)
        die("tutorial");
    for (int r = 0; r < c->runs; r++)
        seconds[r] = tutorial_train(c, data, &error);
    qsort(seconds, (size_t)c->runs, sizeof *seconds, compare_doubles);
    if (error < 0)   /* keeps the errors "used" */
        printf("impossible\n");
    emit(c, "ns_per_iter", seconds[c->runs / 2] / c->samples * 1e9, "ns");
    free(seconds);
    nnc_dataset_free(data);
}

/* ------------------------------------------------------------ Fashion-MNIST */

static nnc_dataset *load(const char *images, const char *labels, int limit)
{
    nnc_dataset *all;
    if (nnc_dataset_load_idx(images, labels, &all) != NNC_OK)
        die("loading Fashion-MNIST (apt-get install dataset-fashion-mnist)");
    int n = nnc_dataset_rows(all);
    if (limit <= 0 || limit >= n)
        return all;
    size_t *first = malloc((size_t)limit * sizeof *first);
    for (int i = 0; i < limit; i++)
        first[i] = (size_t)i;
    nnc_dataset *part = nnc_dataset_subset(all, first, limit);
    free(first);
    nnc_dataset_free(all);
    if (part == NULL)
        die("subset");
    return part;
}

static nnc_net *fashion_net(const config *c, uint64_t seed)
{
    nnc_rng rng;
    nnc_rng_seed(&rng, seed);
    nnc_net *net = c->cnn ? nnc_net_new_shaped((nnc_shape){ 1, 28, 28 }) : nnc_net_new(784);
    nnc_status st = net == NULL ? NNC_ENOMEM
                    : c->cnn    ? nnc_net_add_layers(net, CNN_LAYERS, NNC_RELU)
                                : nnc_net_add_dense(net, HIDDEN, NNC_RELU);
    if (st != NNC_OK || nnc_net_add_dense(net, CLASSES, NNC_SOFTMAX) != NNC_OK ||
        nnc_net_set_loss(net, NNC_LOSS_SOFTMAX_CROSS_ENTROPY) != NNC_OK ||
        nnc_net_init(net, NNC_INIT_HE, &rng) != NNC_OK)
        die("network");
    return net;
}

/* The CNN's matrix products for one instance, as conv.c and dense.c issue
 * them: M x N x K, and whether the step makes it (forward, weight gradient,
 * input gradient). conv1: F 32, P 784, K 9; conv2: F 64, P 196, K 288. The
 * dense layers' products are per batch (rows = B), given here per row. */
typedef struct product {
    int m, n, k;
} product;

/* FLOPs of one training step per instance: 2 m n k for each product made.
 * conv1 has no input gradient (nothing below it), every other layer three
 * products; about 25.0 million in all (forward 8.48 million). */
static double cnn_flops_per_sample(void)
{
    double conv1 = 2.0 * 32 * 784 * 9, conv2 = 2.0 * 64 * 196 * 288;
    double dense1 = 2.0 * 3136 * 128, dense2 = 2.0 * 128 * 10;
    return 2 * conv1 + 3 * (conv2 + dense1 + dense2);
}

/* One epoch of nnc_fit (shuffled, no validation), the user's training
 * loop: its next batch is gathered on a second thread while the current
 * one trains. Returns the seconds it took and, in *gather (if not NULL),
 * those the same batches' gathers take alone, one after the other: the
 * work the loader thread takes off the loop. */
static double one_epoch(const config *c, nnc_net *net, const nnc_dataset *data, double *gather)
{
    int rows = nnc_dataset_rows(data), batch = c->batch;
    nnc_optimizer *opt = c->cnn ? nnc_momentum_new(LEARNING_RATE, CNN_MOMENTUM)
                                : nnc_sgd_new(LEARNING_RATE);
    nnc_rng rng;
    nnc_rng_seed(&rng, 7);
    if (!opt)
        die("memory");
    nnc_fit_options o = nnc_fit_defaults();
    o.epochs = 1;
    o.batch_size = batch;
    double start = now();
    if (nnc_fit(net, opt, data, &o, &rng, NULL) != NNC_OK)
        die("training");
    double seconds = now() - start;
    nnc_optimizer_free(opt);
    if (gather == NULL)
        return seconds;
    size_t *order = malloc((size_t)rows * sizeof *order);
    float *bx = malloc((size_t)batch * 784 * sizeof *bx);
    float *by = malloc((size_t)batch * CLASSES * sizeof *by);
    if (!order || !bx || !by)
        die("memory");
    nnc_rng_permutation(&rng, order, (size_t)rows);
    start = now();
    for (int s = 0; s < rows; s += batch) {
        int n = rows - s < batch ? rows - s : batch;
        if (nnc_dataset_gather(data, order + s, n, bx, by) != NNC_OK)
            die("gather");
    }
    *gather = now() - start;
    free(order);
    free(bx);
    free(by);
    return seconds;
}

static void bench_train(const config *c)
{
    nnc_dataset *data = load(FASHION "train-images-idx3-ubyte.gz",
                             FASHION "train-labels-idx1-ubyte.gz", c->samples);
    nnc_net *net = fashion_net(c, 1);
    double gather, seconds = one_epoch(c, net, data, &gather);
    double samples = nnc_dataset_rows(data);
    emit(c, "samples_per_s", samples / seconds, "samples/s");
    /* The MLP: the convention, about 4 x parameters FLOPs per
     * sample (no input gradient for the first layer). The CNN: its
     * products, counted shape by shape. */
    double flops = c->cnn ? cnn_flops_per_sample() : 4.0 * (double)nnc_net_param_count(net);
    emit(c, "gflops", flops * samples / seconds * 1e-9, "GFLOP/s");
    emit(c, "gather_share", gather / seconds, "fraction");
    nnc_net_free(net);
    nnc_dataset_free(data);
}

/* The MLP's five products of a training step at batch b (no input
 * gradient for the first layer). */
static void mlp_products(int b, float *m)
{
    const int in = 784, h = HIDDEN, k = CLASSES;
    float *x = m, *w1 = x + (size_t)b * in, *a1 = w1 + (size_t)h * in, *w2 = a1 + (size_t)b * h,
          *a2 = w2 + (size_t)k * h, *g = a2 + (size_t)b * k;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, h, in, 1, x, in, w1, in, 0, a1, h);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, k, h, 1, a1, h, w2, h, 0, a2, k);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, h, b, 1, a2, k, a1, h, 1, g, h);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, h, k, 1, a2, k, w2, h, 0, a1, h);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h, in, b, 1, a1, h, x, in, 1, w1, in);
}

/* The CNN's step at batch b: per instance, conv1's forward and weight
 * gradient (32 x 784 x 9, 32 x 9 x 784) and conv2's forward, weight and
 * column gradients (64 x 196 x 288, 64 x 288 x 196, 288 x 196 x 64), each
 * with its operands in conv.c's layout; then the dense layers' products at
 * batch b, as the MLP's. */
static void cnn_products(int b, float *m)
{
    float *w = m, *col = w + 64 * 288, *z = col + 288 * 784, *d = z + 64 * 784;
    for (int r = 0; r < b; r++) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 32, 784, 9, 1, w, 9, col, 784,
                    1, z, 784);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 32, 9, 784, 1, z, 784, col, 784,
                    1, w, 9);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 64, 196, 288, 1, w, 288, col, 196,
                    1, z, 196);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 64, 288, 196, 1, z, 196, col, 196,
                    1, d, 288);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 288, 196, 64, 1, w, 288, z, 196,
                    0, col, 196);
    }
    const int in = 3136, h = HIDDEN, k = CLASSES;
    float *x = d + 64 * 288, *w1 = x + (size_t)b * in, *a1 = w1 + (size_t)h * in,
          *w2 = a1 + (size_t)b * h, *a2 = w2 + (size_t)k * h, *g = a2 + (size_t)b * k,
          *dx = g + (size_t)k * h;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, h, in, 1, x, in, w1, in, 0, a1, h);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, k, h, 1, a1, h, w2, h, 0, a2, k);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, h, b, 1, a2, k, a1, h, 1, g, h);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, h, k, 1, a2, k, w2, h, 0, a1, h);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h, in, b, 1, a1, h, x, in, 1, w1, in);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, in, h, 1, a1, h, w1, in, 0, dx, in);
}

/* The products of a training step at batch B, timed back to back: the
 * ceiling nnc's training loop is measured against. */
static void bench_sgemm(const config *c)
{
    const size_t b = (size_t)c->batch;
    size_t most = c->cnn ? 64 * 288 * 2 + 288 * 784 + 64 * 784 + b * 3136 * 2 + 128 * 3136 +
                               b * 128 + 10 * 128 * 2 + b * 10
                         : b * 784 + 128 * 784 + b * 128 + 10 * 128 + b * 10 + 128 * 784;
    float *m = calloc(most, sizeof *m);
    if (m == NULL)
        die("memory");
    for (size_t i = 0; i < most; i++)
        m[i] = (float)(i % 7) * 0.01f;
    double flops_per_step = c->cnn ? cnn_flops_per_sample() * (double)b
                                   : 2.0 * (double)b * (784.0 * HIDDEN * 2 +
                                                        HIDDEN * CLASSES * 3.0);
    int steps = 0;
    double start = now(), seconds;
    do {
        if (c->cnn)
            cnn_products(c->batch, m);
        else
            mlp_products(c->batch, m);
        steps++;
        seconds = now() - start;
    } while (seconds < 0.5);
    emit(c, "gflops", flops_per_step * steps / seconds * 1e-9, "GFLOP/s");
    free(m);
}

static void bench_infer(const config *c)
{
    nnc_dataset *test = load(FASHION "t10k-images-idx3-ubyte.gz",
                             FASHION "t10k-labels-idx1-ubyte.gz", 0);
    nnc_net *net = fashion_net(c, 1);
    int n = c->samples < nnc_dataset_rows(test) ? c->samples : nnc_dataset_rows(test);
    float *x = malloc((size_t)n * 784 * sizeof *x), out[CLASSES];
    size_t *all = malloc((size_t)n * sizeof *all);
    if (!x || !all)
        die("memory");
    for (int i = 0; i < n; i++)
        all[i] = (size_t)i;
    nnc_dataset_gather(test, all, n, x, NULL);
    nnc_predict(net, x, 1, out);   /* sizes the scratch space */
    double start = now();
    for (int i = 0; i < n; i++)
        nnc_predict(net, x + (size_t)i * 784, 1, out);
    emit(c, "us_per_pred", (now() - start) / n * 1e6, "us");
    free(x);
    free(all);
    nnc_net_free(net);
    nnc_dataset_free(test);
}

static void bench_accuracy(const config *c)
{
    nnc_dataset *train = load(FASHION "train-images-idx3-ubyte.gz",
                              FASHION "train-labels-idx1-ubyte.gz", c->samples);
    nnc_dataset *test = load(FASHION "t10k-images-idx3-ubyte.gz",
                             FASHION "t10k-labels-idx1-ubyte.gz", 0);
    nnc_net *net = fashion_net(c, 1);
    one_epoch(c, net, train, NULL);
    nnc_metrics m;
    if (nnc_evaluate_metrics(net, test, 1.0, &m, NULL) != NNC_OK)
        die("evaluate");
    emit(c, "test_accuracy", m.accuracy, "fraction");
    nnc_net_free(net);
    nnc_dataset_free(train);
    nnc_dataset_free(test);
}

static void usage(void)
{
    fprintf(stderr, "usage: nnc_bench --case tutorial|train|sgemm|infer|accuracy|cnn-train|"
                    "cnn-sgemm|cnn-infer|cnn-accuracy [--threads N] [--batch B] [--samples N] "
                    "[--runs N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    config c = { NULL, 1, 32, 0, 1, 0 };
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--case") == 0)
            c.name = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            c.threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0)
            c.batch = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--samples") == 0)
            c.samples = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--runs") == 0)
            c.runs = atoi(argv[i + 1]);
        else
            usage();
    }
    if (c.name == NULL || c.threads < 1 || c.batch < 1 || c.samples < 0 || c.runs < 1 ||
        argc % 2 == 0)
        usage();
    openblas_set_num_threads(c.threads);
    /* A cnn-* case is the MLP's case of the same name on the CNN; c.name
     * keeps the whole name for the JSON lines. */
    const char *kind = c.name;
    if (strncmp(kind, "cnn-", 4) == 0) {
        c.cnn = 1;
        kind += 4;
    }
    if (c.cnn && strcmp(kind, "tutorial") == 0)
        usage();
    if (strcmp(kind, "tutorial") == 0) {
        if (c.samples == 0)
            c.samples = 10000;
        c.batch = 1;
        bench_tutorial(&c);
    } else if (strcmp(kind, "train") == 0) {
        bench_train(&c);
    } else if (strcmp(kind, "sgemm") == 0) {
        bench_sgemm(&c);
    } else if (strcmp(kind, "infer") == 0) {
        c.batch = 1;
        if (c.samples == 0)
            c.samples = 10000;
        bench_infer(&c);
    } else if (strcmp(kind, "accuracy") == 0) {
        bench_accuracy(&c);
    } else {
        usage();
    }
    return 0;
}

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
 * and a bag of words over a synthetic corpus (text_corpus() below):
 *   text-corpus  writes the corpus, --samples training documents and a
 *             quarter as many test ones, into --corpus DIR (text-train.csv,
 *             text-test.csv: columns text,label), for every program to read
 *   text      --epochs of nnc_fit (Adam at 0.01, batch --batch, shuffled, no
 *             validation) of words-64 ReLU-8 softmax on those documents as
 *             tf-idf (sublinear, no normalisation) over the --vocab most
 *             frequent terms: seconds per epoch (the fit's time / epochs,
 *             vectorising apart), test accuracy, terms, non-zeros per row,
 *             distinct terms per batch.
 *             Without --corpus it writes the corpus into a temporary folder.
 * Only the work is timed, never the loading.
 */
#define _POSIX_C_SOURCE 200809L
#include "nnc.h"

#include <cblas.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
    int vocab;  /* text: the vocabulary's most terms */
    int epochs; /* text: epochs of nnc_fit */
    const char *corpus;   /* text, text-corpus: the corpus's folder */
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

/* ------------------------------------------------------------ text */

/* The synthetic corpus: TEXT_WORDS made-up words "w0", "w1", ..., word r
 * drawn with Zipf's law, probability proportional to 1 / (r + 1)^TEXT_ZIPF;
 * documents of TEXT_MIN_WORDS to TEXT_MAX_WORDS words, each of class c
 * (0..7, uniform) with probability TEXT_CLASS_SHARE drawn instead from the
 * class's own words w(8 (TEXT_CLASS_SKIP + k) + c), k again by Zipf's law
 * over them (the skip keeps the words every document is full of out of
 * the classes' own). 20,000 documents have about 53,000 distinct words, so
 * a 50,000-term vocabulary is full, and the 5,000 most frequent are about
 * three quarters of a document's distinct words (15.6 of 20.9 non-zeros):
 * a cost that follows the non-zeros alone may grow 1.34x from 5,000 terms
 * to 50,000. scikit-learn's tf-idf + LogisticRegression(C=10) scores about
 * 87 % on the test documents. All from one seeded nnc_rng: the same files
 * on every machine. */
#define TEXT_WORDS 80000
#define TEXT_CLASSES 8
#define TEXT_ZIPF 1.0
#define TEXT_CLASS_SHARE 0.25
#define TEXT_CLASS_SKIP 16
#define TEXT_OWN_WORDS (TEXT_WORDS / TEXT_CLASSES - TEXT_CLASS_SKIP)
#define TEXT_MIN_WORDS 15
#define TEXT_MAX_WORDS 30
#define TEXT_SEED 20261205u
#define TEXT_HIDDEN 64

/* The cumulative weights of Zipf's law over n ranks. */
static double *zipf_table(int n)
{
    double *cum = malloc((size_t)n * sizeof *cum), sum = 0.0;
    if (cum == NULL)
        die("memory");
    for (int r = 0; r < n; r++) {
        sum += 1.0 / pow(r + 1.0, TEXT_ZIPF);
        cum[r] = sum;
    }
    return cum;
}

/* A rank drawn from the table: the first whose cumulative weight passes u. */
static int zipf_draw(const double *cum, int n, nnc_rng *rng)
{
    double u = nnc_rng_uniform(rng) * cum[n - 1];
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void text_path(char *out, size_t size, const char *dir, const char *name)
{
    if ((size_t)snprintf(out, size, "%s/%s", dir, name) >= size) {
        fprintf(stderr, "nnc_bench: %s: path too long\n", dir);
        exit(1);
    }
}

/* n documents into path; the words' count added to *words. */
static void write_documents(const char *path, int n, nnc_rng *rng, const double *all,
                            const double *own, long *words)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    fputs("text,label\n", f);
    for (int d = 0; d < n; d++) {
        int cls = (int)nnc_rng_below(rng, TEXT_CLASSES);
        int len = TEXT_MIN_WORDS + (int)nnc_rng_below(rng, TEXT_MAX_WORDS - TEXT_MIN_WORDS + 1);
        for (int i = 0; i < len; i++) {
            int w = nnc_rng_uniform(rng) < TEXT_CLASS_SHARE
                        ? TEXT_CLASSES * (TEXT_CLASS_SKIP + zipf_draw(own, TEXT_OWN_WORDS, rng)) +
                              cls
                        : zipf_draw(all, TEXT_WORDS, rng);
            fprintf(f, i ? " w%d" : "w%d", w);
        }
        fprintf(f, ",c%d\n", cls);
        *words += len;
    }
    if (fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* The corpus into dir: text-train.csv (documents rows) and text-test.csv
 * (a quarter as many, from the same source). */
static long text_corpus(const char *dir, int documents)
{
    char train[4096], test[4096];
    text_path(train, sizeof train, dir, "text-train.csv");
    text_path(test, sizeof test, dir, "text-test.csv");
    double *all = zipf_table(TEXT_WORDS), *own = zipf_table(TEXT_OWN_WORDS);
    nnc_rng rng;
    nnc_rng_seed(&rng, TEXT_SEED);
    long words = 0, test_words = 0;
    write_documents(train, documents, &rng, all, own, &words);
    write_documents(test, documents / 4 > 0 ? documents / 4 : 1, &rng, all, own, &test_words);
    free(all);
    free(own);
    return words;
}

static int text_documents(const config *c)
{
    return c->samples > 0 ? c->samples : 20000;
}

static void bench_text_corpus(const config *c)
{
    double start = now();
    long words = text_corpus(c->corpus, text_documents(c));
    emit(c, "documents", text_documents(c), "documents");
    emit(c, "words", (double)words, "words");
    emit(c, "corpus_s", now() - start, "s");
}

/* The text case's JSON line: emit's, with the vocabulary's limit. */
static void emit_text(const config *c, const char *metric, double value, const char *unit)
{
    printf("{\"impl\":\"nnc\",\"case\":\"%s\",\"batch\":%d,\"threads\":%d,\"vocab\":%d,"
           "\"epochs\":%d,\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\","
           "\"note\":\"OpenBLAS %s, core %s\"}\n",
           c->name, c->batch, c->threads, c->vocab, c->epochs, metric, value, unit,
           openblas_get_config(), openblas_get_corename());
    fflush(stdout);
}

static nnc_dataset *load_text(const char *path, const nnc_dataset *classes_of)
{
    static const char *const columns[] = { "text" };
    static const char *const no_inputs[] = { "" };
    const char *labels[TEXT_CLASSES];
    nnc_csv_options o = nnc_csv_defaults();
    o.target = "label";
    o.task = NNC_TASK_CLASSIFICATION;
    o.text = columns;
    o.n_text = 1;
    if (classes_of != NULL) {   /* the test file: the training file's classes, in order */
        int k = nnc_dataset_classes(classes_of);
        for (int i = 0; i < k && i < TEXT_CLASSES; i++)
            labels[i] = nnc_dataset_class_label(classes_of, i);
        o.classes = labels;
        o.n_classes = k < TEXT_CLASSES ? k : TEXT_CLASSES;
        o.inputs = no_inputs;
        o.n_inputs = 0;
    }
    nnc_dataset *d;
    if (nnc_dataset_load_csv(path, &o, &d) != NNC_OK)
        die(path);
    return d;
}

typedef struct epoch_clock {
    double *at;
    int n, cap;
} epoch_clock;

static int clock_epoch(const nnc_epoch_report *report, void *user)
{
    epoch_clock *k = user;
    (void)report;
    if (k->n < k->cap)
        k->at[k->n++] = now();
    return 0;
}

static void bench_text(const config *c)
{
    char dir[4096], train_csv[4096], test_csv[4096];
    int made = c->corpus == NULL;
    if (made) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/nnc-bench-text-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(dir) == NULL) {
            perror(dir);
            exit(1);
        }
        text_corpus(dir, text_documents(c));
    } else {
        snprintf(dir, sizeof dir, "%s", c->corpus);
    }
    text_path(train_csv, sizeof train_csv, dir, "text-train.csv");
    text_path(test_csv, sizeof test_csv, dir, "text-test.csv");
    nnc_dataset *train_table = load_text(train_csv, NULL);
    nnc_dataset *test_table = load_text(test_csv, train_table);
    if (made) {
        remove(train_csv);
        remove(test_csv);
        rmdir(dir);
    }

    /* The bag of words: tf-idf, 1 + ln tf, words as they are. */
    nnc_vectorizer_options vo = nnc_vectorizer_defaults();
    vo.normalize = NNC_NORMALIZE_NONE;
    vo.features = NNC_FEATURES_TFIDF;
    vo.sublinear_tf = 1;
    vo.min_documents = 1;
    vo.max_terms = c->vocab;
    nnc_text_columns *tc;
    nnc_dataset *train, *test;
    double start = now();
    if (nnc_text_columns_fit(train_table, &vo, &tc) != NNC_OK ||
        nnc_text_columns_apply(tc, train_table, &train, NULL) != NNC_OK)
        die("vectorising");
    double vectorise = now() - start;
    if (nnc_text_columns_apply(tc, test_table, &test, NULL) != NNC_OK)
        die("vectorising the test documents");

    /* The non-zeros of a training row, and the distinct terms of a batch
     * (the rows in file order, as the shuffled ones come from the same
     * source): the columns a lazy optimizer step updates, on average. */
    const nnc_vectorizer *v = nnc_text_columns_vectorizer(tc, 0);
    int rows = nnc_dataset_rows(train), terms = nnc_vectorizer_terms(v);
    int *seen = malloc((size_t)terms * sizeof *seen);
    if (seen == NULL)
        die("memory");
    for (int k = 0; k < terms; k++)
        seen[k] = -1;
    long nonzeros = 0, columns = 0;
    for (int i = 0; i < rows; i++) {
        const char *t = nnc_dataset_text(train_table, i, 0);
        nnc_sparse_row row;
        if (nnc_vectorizer_transform(v, t, strlen(t), &row, NULL) != NNC_OK)
            die("vectorising");
        nonzeros += row.n;
        for (int j = 0; j < row.n; j++)
            if (seen[row.index[j]] != i / c->batch) {
                seen[row.index[j]] = i / c->batch;
                columns++;
            }
        nnc_sparse_row_free(&row);
    }
    free(seen);

    nnc_rng rng;
    nnc_rng_seed(&rng, 1);
    nnc_net *net = nnc_net_new(nnc_dataset_inputs(train));
    if (net == NULL || nnc_net_add_dense(net, TEXT_HIDDEN, NNC_RELU) != NNC_OK ||
        nnc_net_add_dense(net, nnc_dataset_targets(train), NNC_SOFTMAX) != NNC_OK ||
        nnc_net_set_by_input(net) != NNC_OK ||   /* as nnc train lays out a bag of words */
        nnc_net_set_loss(net, NNC_LOSS_SOFTMAX_CROSS_ENTROPY) != NNC_OK ||
        nnc_net_init(net, NNC_INIT_HE, &rng) != NNC_OK)
        die("network");
    nnc_optimizer *adam = nnc_adam_new(LEARNING_RATE, 0.9f, 0.999f, 1e-8f);
    double *at = malloc((size_t)c->epochs * sizeof *at);
    if (adam == NULL || at == NULL)
        die("memory");
    epoch_clock clock = { at, 0, c->epochs };
    nnc_fit_options o = nnc_fit_defaults();
    o.epochs = c->epochs;
    o.batch_size = c->batch;
    o.on_epoch = clock_epoch;
    o.user = &clock;
    nnc_fit_result result;
    start = now();
    if (nnc_fit(net, adam, train, &o, &rng, &result) != NNC_OK)
        die("training");
    double seconds = now() - start;
    /* Each epoch alone (the first pays for touching the moments first). */
    for (int e = clock.n - 1; e > 0; e--)
        at[e] -= at[e - 1];
    if (clock.n > 0)
        at[0] -= start;
    qsort(at, (size_t)clock.n, sizeof *at, compare_doubles);
    nnc_metrics m;
    if (nnc_evaluate_metrics(net, test, 1.0, &m, NULL) != NNC_OK)
        die("evaluate");

    emit_text(c, "s_per_epoch", seconds / c->epochs, "s/epoch");
    if (clock.n > 0)
        emit_text(c, "s_epoch_median", at[clock.n / 2], "s/epoch");
    emit_text(c, "terms", nnc_vectorizer_terms(v), "terms");
    emit_text(c, "nnz_per_row", (double)nonzeros / rows, "non-zeros");
    emit_text(c, "columns_per_batch", (double)columns / ((rows + c->batch - 1) / c->batch),
              "terms");
    emit_text(c, "documents", rows, "documents");
    emit_text(c, "vectorize_s", vectorise, "s");
    emit_text(c, "train_accuracy", result.train.accuracy, "fraction");
    emit_text(c, "test_accuracy", m.accuracy, "fraction");
    free(at);
    nnc_optimizer_free(adam);
    nnc_net_free(net);
    nnc_dataset_free(train);
    nnc_dataset_free(test);
    nnc_text_columns_free(tc);
    nnc_dataset_free(train_table);
    nnc_dataset_free(test_table);
}

static void usage(void)
{
    fprintf(stderr, "usage: nnc_bench --case tutorial|train|sgemm|infer|accuracy|cnn-train|"
                    "cnn-sgemm|cnn-infer|cnn-accuracy|text|text-corpus [--threads N] "
                    "[--batch B] [--samples N] [--runs N] [--vocab N] [--epochs N] "
                    "[--corpus DIR]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    config c = { NULL, 1, 32, 0, 1, 0, 50000, 3, NULL };
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
        else if (strcmp(argv[i], "--vocab") == 0)
            c.vocab = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--epochs") == 0)
            c.epochs = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--corpus") == 0)
            c.corpus = argv[i + 1];
        else
            usage();
    }
    if (c.name == NULL || c.threads < 1 || c.batch < 1 || c.samples < 0 || c.runs < 1 ||
        c.vocab < 1 || c.epochs < 1 || argc % 2 == 0)
        usage();
    openblas_set_num_threads(c.threads);
    /* A cnn-* case is the MLP's case of the same name on the CNN; c.name
     * keeps the whole name for the JSON lines. */
    const char *kind = c.name;
    if (strncmp(kind, "cnn-", 4) == 0) {
        c.cnn = 1;
        kind += 4;
    }
    if (c.cnn && (strcmp(kind, "tutorial") == 0 || strncmp(kind, "text", 4) == 0))
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
    } else if (strcmp(kind, "text-corpus") == 0) {
        if (c.corpus == NULL)
            usage();
        bench_text_corpus(&c);
    } else if (strcmp(kind, "text") == 0) {
        bench_text(&c);
    } else {
        usage();
    }
    return 0;
}

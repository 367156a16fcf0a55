/*
 * test_learning.c - the machinery around the network: optimizers, schedules,
 * early stopping, metrics, normalisation, data sets and splits, models.
 *
 * Every expected number is computed independently of the library: by hand
 * (worked in the comments) or by a plain reference loop in double precision
 * written here. Networks are hand-set where the answer must be known exactly,
 * and seeded where learning itself is checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nnc.h"
#include "data/data.h"
#include "train/loader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const double pi = 3.14159265358979323846;

/* ------------------------------------------------------------ helpers */

static char primed_error[512];

/* Leaves a known message in nnc_last_error(), so a later check can tell that
 * the call under test wrote a message of its own. */
static void prime_error(void)
{
    assert_null(nnc_net_new(0));
    snprintf(primed_error, sizeof primed_error, "%s", nnc_last_error());
    assert_true(primed_error[0] != '\0');
}

static void assert_fresh_error(void)
{
    const char *msg = nnc_last_error();
    assert_non_null(msg);
    if (msg[0] == '\0' || strcmp(msg, primed_error) == 0)
        fail_msg("the failing call left no message of its own (last error: \"%s\")", msg);
}

static void assert_close(double actual, double expected, double tol, const char *what)
{
    if (!(fabs(actual - expected) <= tol))
        fail_msg("%s: got %.9g, expected %.9g (tolerance %g)", what, actual, expected, tol);
}

/* A network of one dense layer (inputs -> units, act) with every parameter 0. */
static nnc_net *one_layer(int inputs, int units, nnc_activation act, nnc_loss loss)
{
    nnc_net *net = nnc_net_new(inputs);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, units, act), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, loss), NNC_OK);
    return net;
}

/* A 2-3-2 identity network (6 + 3 + 6 + 2 = 17 parameters). */
static nnc_net *two_layers(void)
{
    nnc_net *net = nnc_net_new(2);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, 3, NNC_IDENTITY), NNC_OK);
    assert_int_equal(nnc_net_add_dense(net, 2, NNC_IDENTITY), NNC_OK);
    assert_int_equal(nnc_net_param_count(net), 17);
    return net;
}

static void set_block(float *dst, const double *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)src[i];
}

/* All rows of a data set as floats (x: rows x inputs, y: rows x targets). */
static void gather_all(const nnc_dataset *data, float **x, float **y)
{
    int rows = nnc_dataset_rows(data);
    size_t *all = malloc((size_t)rows * sizeof *all);
    assert_non_null(all);
    for (int i = 0; i < rows; i++)
        all[i] = (size_t)i;
    *x = malloc((size_t)rows * (size_t)nnc_dataset_inputs(data) * sizeof **x);
    *y = malloc((size_t)rows * (size_t)nnc_dataset_targets(data) * sizeof **y);
    assert_non_null(*x);
    assert_non_null(*y);
    assert_int_equal(nnc_dataset_gather(data, all, rows, *x, *y), NNC_OK);
    free(all);
}

static nnc_dataset *copy_of(const nnc_dataset *data)
{
    int rows = nnc_dataset_rows(data);
    size_t *all = malloc((size_t)rows * sizeof *all);
    assert_non_null(all);
    for (int i = 0; i < rows; i++)
        all[i] = (size_t)i;
    nnc_dataset *copy = nnc_dataset_subset(data, all, rows);
    free(all);
    assert_non_null(copy);
    return copy;
}

/* Population mean and standard deviation of column j, in double. */
static void column_stats(const float *v, int rows, int cols, int j, double *mean, double *std)
{
    double sum = 0.0, sq = 0.0;
    for (int i = 0; i < rows; i++)
        sum += v[(size_t)i * cols + j];
    *mean = sum / rows;
    for (int i = 0; i < rows; i++) {
        double d = v[(size_t)i * cols + j] - *mean;
        sq += d * d;
    }
    *std = sqrt(sq / rows);
}

/* Three Gaussian blobs in the plane, per_class points each, classes 0, 1, 2
 * around centres on a circle of radius 2.5 (about 4.3 apart), spread sd. */
static nnc_dataset *blobs(nnc_rng *rng, int per_class, double sd)
{
    static const double centre[3][2] = { { 0.0, 2.5 }, { -2.165, -1.25 }, { 2.165, -1.25 } };
    int rows = 3 * per_class;
    float *x = malloc((size_t)rows * 2 * sizeof *x);
    int *c = malloc((size_t)rows * sizeof *c);
    assert_non_null(x);
    assert_non_null(c);
    for (int i = 0; i < rows; i++) {
        c[i] = i % 3;
        x[2 * i] = (float)(centre[c[i]][0] + sd * nnc_rng_normal(rng));
        x[2 * i + 1] = (float)(centre[c[i]][1] + sd * nnc_rng_normal(rng));
    }
    static const char *const labels[3] = { "north", "west", "east" };
    nnc_dataset *data = nnc_dataset_from_classes(x, c, rows, 2, 3, labels);
    free(x);
    free(c);
    assert_non_null(data);
    return data;
}

/* ---------------------------------------------------------- optimizers */

/* The 2-3-2 network's 17 parameters and a gradient for them. */
static const double p0[17] = { 0.5, -0.25, 1.0, 0.75, -1.5, 0.125, 0.1, -0.2, 0.3,
                               -0.6, 0.4, 0.9, -0.8, 0.2, 0.05, 0.7, -0.3 };
static const double g1[17] = { 1.0, -2.0, 0.5, 0.0, 3.0, -0.25, 0.001, -0.002, 0.5,
                               -1.0, 0.0003, 2.5, -0.75, 0.1, 0.002, -0.001, 4.0 };
static const double g2[17] = { -0.5, 1.0, 0.5, 2.0, -3.0, 0.25, 0.004, 0.002, -0.5,
                               1.5, 0.0, -2.5, 0.25, 0.3, -0.002, 0.001, -1.0 };

static void test_sgd_one_step(void **state)
{
    (void)state;
    nnc_net *net = two_layers();
    nnc_optimizer *opt = nnc_sgd_new(0.1f);
    assert_non_null(opt);
    assert_string_equal(nnc_optimizer_name(opt), "sgd");
    set_block(nnc_net_params(net), p0, 17);
    set_block(nnc_net_grads(net), g1, 17);
    assert_int_equal(nnc_optimizer_step(opt, net), NNC_OK);
    /* p -= 0.1 g: e.g. 0.5 - 0.1 * 1 = 0.4, -1.5 - 0.1 * 3 = -1.8 */
    const float *p = nnc_net_params(net);
    assert_close(p[0], 0.4, 1e-7, "p[0]");
    assert_close(p[4], -1.8, 1e-6, "p[4]");
    for (int i = 0; i < 17; i++)
        assert_close(p[i], p0[i] - (double)0.1f * g1[i], 1e-6, "sgd parameter");
    nnc_optimizer_free(opt);
    nnc_net_free(net);
}

static void test_momentum_two_steps(void **state)
{
    (void)state;
    nnc_net *net = two_layers();
    nnc_optimizer *opt = nnc_momentum_new(0.1f, 0.9f);
    assert_non_null(opt);
    assert_string_equal(nnc_optimizer_name(opt), "momentum");
    set_block(nnc_net_params(net), p0, 17);
    set_block(nnc_net_grads(net), g1, 17);
    assert_int_equal(nnc_optimizer_step(opt, net), NNC_OK);
    set_block(nnc_net_grads(net), g2, 17);
    assert_int_equal(nnc_optimizer_step(opt, net), NNC_OK);
    /* Parameter 0: v1 = 1, p1 = 0.5 - 0.1 = 0.4; v2 = 0.9 * 1 - 0.5 = 0.4,
     * p2 = 0.4 - 0.04 = 0.36. Plain SGD would give 0.45: the velocity shows. */
    const float *p = nnc_net_params(net);
    assert_close(p[0], 0.36, 1e-6, "p[0] after two momentum steps");
    double lr = (double)0.1f, mu = (double)0.9f;
    for (int i = 0; i < 17; i++) {
        double v = g1[i], q = p0[i] - lr * v;
        v = mu * v + g2[i];
        q -= lr * v;
        assert_close(p[i], q, 2e-6, "momentum parameter");
    }
    nnc_optimizer_free(opt);
    nnc_net_free(net);
}

/* Adam as Kingma & Ba write it, in double, with explicit bias correction. */
static void adam_reference(double *p, double *m, double *v, const double *g, size_t n, int t,
                           double lr, double b1, double b2, double eps)
{
    for (size_t i = 0; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        double m_hat = m[i] / (1 - pow(b1, t)), v_hat = v[i] / (1 - pow(b2, t));
        p[i] -= lr * m_hat / (sqrt(v_hat) + eps);
    }
}

static void test_adam_three_steps(void **state)
{
    (void)state;
    /* epsilon is large next to some gradients (1e-3 against 1e-3, 3e-4), so
     * an epsilon left out of the bias correction would show. */
    const float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-3f;
    nnc_net *net = two_layers();
    nnc_optimizer *opt = nnc_adam_new(lr, b1, b2, eps);
    assert_non_null(opt);
    assert_string_equal(nnc_optimizer_name(opt), "adam");
    set_block(nnc_net_params(net), p0, 17);
    double p[17], m[17] = { 0 }, v[17] = { 0 };
    memcpy(p, p0, sizeof p);
    const double *grads[3] = { g1, g2, g1 };
    for (int t = 1; t <= 3; t++) {
        set_block(nnc_net_grads(net), grads[t - 1], 17);
        assert_int_equal(nnc_optimizer_step(opt, net), NNC_OK);
        adam_reference(p, m, v, grads[t - 1], 17, t, lr, b1, b2, eps);
        const float *got = nnc_net_params(net);
        if (t == 1) {
            /* Step 1: m_hat = g, v_hat = g^2, so p -= lr g / (|g| + eps):
             * parameter 0 (g = 1): 0.5 - 0.01 / 1.001 = 0.490009990;
             * parameter 7 (g = -0.002): -0.2 + 0.01 * 0.002 / 0.003 = -0.193333;
             * parameter 3 (g = 0) does not move. */
            assert_close(got[0], 0.5 - 0.01 / 1.001, 1e-6, "adam step 1, p[0]");
            assert_close(got[7], -0.2 + 0.01 * 0.002 / 0.003, 1e-6, "adam step 1, p[7]");
            assert_true(got[3] == (float)p0[3]);
        }
        for (int i = 0; i < 17; i++)
            if (fabs(got[i] - p[i]) > 1e-6)
                fail_msg("adam step %d, parameter %d: got %.9g, reference %.9g", t, i,
                         got[i], p[i]);
    }
    nnc_optimizer_free(opt);
    nnc_net_free(net);
}

static void test_weight_decay_skips_biases(void **state)
{
    (void)state;
    nnc_net *net = two_layers();
    nnc_optimizer *opt = nnc_sgd_new(0.1f);
    assert_non_null(opt);
    assert_int_equal(nnc_optimizer_set_weight_decay(opt, 0.5f), NNC_OK);
    set_block(nnc_net_params(net), p0, 17);
    set_block(nnc_net_grads(net), g1, 17);
    assert_int_equal(nnc_optimizer_step(opt, net), NNC_OK);
    /* Layout: W0 [0, 6), b0 [6, 9), W1 [9, 15), b1 [15, 17).
     * A weight: p -= 0.1 (g + 0.5 p), e.g. p[0] = 0.5 - 0.1 * 1.25 = 0.375;
     * a bias: p -= 0.1 g only, e.g. p[6] = 0.1 - 0.0001 = 0.0999. */
    const float *p = nnc_net_params(net);
    assert_close(p[0], 0.375, 1e-7, "decayed weight");
    assert_close(p[6], 0.0999, 1e-7, "undecayed bias");
    double lr = (double)0.1f;
    for (int i = 0; i < 17; i++) {
        int is_bias = (i >= 6 && i < 9) || i >= 15;
        double expect = p0[i] - lr * (g1[i] + (is_bias ? 0.0 : 0.5 * p0[i]));
        assert_close(p[i], expect, 1e-6, is_bias ? "bias under decay" : "weight under decay");
    }

    /* With momentum and Adam too, a zero gradient moves the weights (towards
     * 0) and leaves the biases exactly where they are. */
    nnc_optimizer *others[2] = { nnc_momentum_new(0.1f, 0.5f),
                                 nnc_adam_new(0.01f, 0.9f, 0.999f, 1e-8f) };
    for (int k = 0; k < 2; k++) {
        assert_non_null(others[k]);
        assert_int_equal(nnc_optimizer_set_weight_decay(others[k], 0.1f), NNC_OK);
        set_block(nnc_net_params(net), p0, 17);
        memset(nnc_net_grads(net), 0, 17 * sizeof(float));
        assert_int_equal(nnc_optimizer_step(others[k], net), NNC_OK);
        for (int i = 0; i < 17; i++) {
            int is_bias = (i >= 6 && i < 9) || i >= 15;
            if (is_bias)
                assert_true(p[i] == (float)p0[i]);
            else if (!(fabs(p[i]) < fabs(p0[i])))
                fail_msg("%s: weight %d did not shrink: %g -> %g",
                         nnc_optimizer_name(others[k]), i, p0[i], p[i]);
        }
        nnc_optimizer_free(others[k]);
    }
    nnc_optimizer_free(opt);
    nnc_net_free(net);
}

static void test_learning_rate_setter(void **state)
{
    (void)state;
    nnc_optimizer *opt = nnc_momentum_new(0.1f, 0.9f);
    assert_non_null(opt);
    assert_true(nnc_optimizer_learning_rate(opt) == 0.1f);
    assert_int_equal(nnc_optimizer_set_learning_rate(opt, 0.025f), NNC_OK);
    assert_true(nnc_optimizer_learning_rate(opt) == 0.025f);
    const float bad[] = { 0.0f, -0.1f, NAN, INFINITY };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        prime_error();
        assert_int_equal(nnc_optimizer_set_learning_rate(opt, bad[i]), NNC_EINVAL);
        assert_fresh_error();
        assert_true(nnc_optimizer_learning_rate(opt) == 0.025f);
    }
    /* The new rate is the one a step uses: p -= 0.025 * (v = g) on step 1. */
    nnc_net *net = one_layer(1, 1, NNC_IDENTITY, NNC_LOSS_MSE);
    nnc_net_params(net)[0] = 1.0f;
    nnc_net_grads(net)[0] = 2.0f;
    assert_int_equal(nnc_optimizer_step(opt, net), NNC_OK);
    assert_close(nnc_net_params(net)[0], 1.0 - 0.025 * 2.0, 1e-7, "step at the new rate");
    assert_int_equal(nnc_optimizer_set_learning_rate(NULL, 0.1f), NNC_EINVAL);
    nnc_net_free(net);
    nnc_optimizer_free(opt);
}

static void test_optimizer_bad_arguments(void **state)
{
    (void)state;
    const float bad_rates[] = { 0.0f, -1.0f, NAN, INFINITY, -INFINITY };
    for (size_t i = 0; i < sizeof bad_rates / sizeof bad_rates[0]; i++) {
        prime_error();
        assert_null(nnc_sgd_new(bad_rates[i]));
        assert_fresh_error();
        prime_error();
        assert_null(nnc_momentum_new(bad_rates[i], 0.9f));
        assert_fresh_error();
        prime_error();
        assert_null(nnc_adam_new(bad_rates[i], 0.9f, 0.999f, 1e-8f));
        assert_fresh_error();
    }
    const float bad_momentum[] = { 1.0f, -0.1f, 1.5f, NAN };
    for (size_t i = 0; i < sizeof bad_momentum / sizeof bad_momentum[0]; i++) {
        prime_error();
        assert_null(nnc_momentum_new(0.1f, bad_momentum[i]));
        assert_fresh_error();
    }
    /* beta1, beta2, epsilon */
    const float bad_adam[][3] = { { 1.0f, 0.999f, 1e-8f }, { -0.1f, 0.999f, 1e-8f },
                                  { 0.9f, 1.0f, 1e-8f },   { 0.9f, -0.5f, 1e-8f },
                                  { NAN, 0.999f, 1e-8f },  { 0.9f, NAN, 1e-8f },
                                  { 0.9f, 0.999f, 0.0f },  { 0.9f, 0.999f, -1e-8f },
                                  { 0.9f, 0.999f, NAN },   { 0.9f, 0.999f, INFINITY } };
    for (size_t i = 0; i < sizeof bad_adam / sizeof bad_adam[0]; i++) {
        prime_error();
        if (nnc_adam_new(0.001f, bad_adam[i][0], bad_adam[i][1], bad_adam[i][2]) != NULL)
            fail_msg("adam accepted beta1 %g, beta2 %g, epsilon %g", bad_adam[i][0],
                     bad_adam[i][1], bad_adam[i][2]);
        assert_fresh_error();
    }
    /* The edges that are allowed: momentum 0, betas 0. */
    nnc_optimizer *ok = nnc_momentum_new(0.1f, 0.0f);
    assert_non_null(ok);
    nnc_optimizer_free(ok);
    ok = nnc_adam_new(0.1f, 0.0f, 0.0f, 1e-8f);
    assert_non_null(ok);

    const float bad_decay[] = { -0.1f, NAN, INFINITY };
    for (size_t i = 0; i < sizeof bad_decay / sizeof bad_decay[0]; i++) {
        prime_error();
        assert_int_equal(nnc_optimizer_set_weight_decay(ok, bad_decay[i]), NNC_EINVAL);
        assert_fresh_error();
    }
    assert_int_equal(nnc_optimizer_set_weight_decay(ok, 0.0f), NNC_OK);
    assert_int_equal(nnc_optimizer_set_weight_decay(NULL, 0.1f), NNC_EINVAL);
    assert_int_equal(nnc_optimizer_step(NULL, NULL), NNC_EINVAL);
    assert_null(nnc_optimizer_name(NULL));
    nnc_optimizer_free(ok);
    nnc_optimizer_free(NULL);
}

static void test_optimizer_refuses_other_network(void **state)
{
    (void)state;
    nnc_optimizer *opts[2] = { nnc_momentum_new(0.1f, 0.9f),
                               nnc_adam_new(0.01f, 0.9f, 0.999f, 1e-8f) };
    for (int k = 0; k < 2; k++) {
        nnc_net *a = two_layers();                                    /* 17 parameters */
        nnc_net *b = one_layer(2, 2, NNC_IDENTITY, NNC_LOSS_MSE);     /* 6 parameters */
        assert_non_null(opts[k]);
        set_block(nnc_net_params(a), p0, 17);
        set_block(nnc_net_grads(a), g1, 17);
        assert_int_equal(nnc_optimizer_step(opts[k], a), NNC_OK);
        for (int i = 0; i < 6; i++) {
            nnc_net_params(b)[i] = 1.0f;
            nnc_net_grads(b)[i] = 1.0f;
        }
        prime_error();
        assert_int_equal(nnc_optimizer_step(opts[k], b), NNC_EINVAL);
        assert_fresh_error();
        for (int i = 0; i < 6; i++)
            assert_true(nnc_net_params(b)[i] == 1.0f);
        /* It still serves the network it was sized for. */
        assert_int_equal(nnc_optimizer_step(opts[k], a), NNC_OK);
        nnc_net_free(a);
        nnc_net_free(b);
        nnc_optimizer_free(opts[k]);
    }
}

/* ----------------------------------------------------------- schedules */

typedef struct recorder {
    nnc_optimizer *opt;
    int n;
    double lr[64];        /* report->learning_rate */
    float opt_lr[64];     /* what the optimizer held during the callback */
    double train_loss[64], val_loss[64];
    int best[64];
    int stop_at;          /* non-zero: return 1 at this epoch */
    /* Parameters at the best epoch so far. */
    float *best_params;
    size_t n_params;
    nnc_net *net;
    int batches, last_batch, batches_per_epoch, bad_batch;
} recorder;

static int record_epoch(const nnc_epoch_report *r, void *user)
{
    recorder *rec = user;
    if (r->epoch != rec->n + 1 || rec->n >= 64)
        fail_msg("epoch report %d after %d reports", r->epoch, rec->n);
    rec->lr[rec->n] = r->learning_rate;
    rec->opt_lr[rec->n] = rec->opt ? nnc_optimizer_learning_rate(rec->opt) : 0.0f;
    rec->train_loss[rec->n] = r->train.loss;
    rec->val_loss[rec->n] = r->has_val ? r->val.loss : NAN;
    rec->best[rec->n] = r->best_epoch;
    rec->n++;
    if (rec->best_params != NULL && r->best_epoch == r->epoch)
        memcpy(rec->best_params, nnc_net_params(rec->net), rec->n_params * sizeof(float));
    return rec->stop_at != 0 && r->epoch == rec->stop_at;
}

static void record_batch(int epoch, int batch, int batches, double loss, void *user)
{
    recorder *rec = user;
    (void)epoch;
    rec->batches++;
    if (batches != rec->batches_per_epoch || batch < 1 || batch > batches ||
        (batch != rec->last_batch % batches + 1) || !isfinite(loss))
        rec->bad_batch = 1;
    rec->last_batch = batch;
}

/* y = x on eight points; a 1-1 identity network with MSE learns it. */
static nnc_dataset *line_data(double slope)
{
    float x[8], y[8];
    for (int i = 0; i < 8; i++) {
        x[i] = (float)(i < 4 ? -0.5 * (i + 1) : 0.5 * (i - 3));   /* +-0.5 .. +-2 */
        y[i] = (float)(slope * x[i]);
    }
    nnc_dataset *data = nnc_dataset_from_arrays(x, y, 8, 1, 1);
    assert_non_null(data);
    return data;
}

static void fit_recorded(nnc_fit_options *o, recorder *rec, nnc_fit_result *result)
{
    nnc_dataset *data = line_data(1.0);
    nnc_net *net = one_layer(1, 1, NNC_IDENTITY, NNC_LOSS_MSE);
    nnc_optimizer *opt = nnc_sgd_new(0.1f);
    assert_non_null(opt);
    nnc_rng rng;
    nnc_rng_seed(&rng, 3);
    rec->opt = opt;
    o->on_epoch = record_epoch;
    o->user = rec;
    assert_int_equal(nnc_fit(net, opt, data, o, &rng, result), NNC_OK);
    /* The schedule is the fit's business: the base rate comes back after. */
    assert_true(nnc_optimizer_learning_rate(opt) == 0.1f);
    nnc_optimizer_free(opt);
    nnc_net_free(net);
    nnc_dataset_free(data);
}

static void test_schedule_constant(void **state)
{
    (void)state;
    recorder rec = { 0 };
    nnc_fit_options o = nnc_fit_defaults();
    o.epochs = 4;
    o.batch_size = 3;   /* 8 rows: batches of 3, 3, 2 */
    o.on_batch = record_batch;
    rec.batches_per_epoch = 3;
    nnc_fit_result result;
    fit_recorded(&o, &rec, &result);
    assert_int_equal(rec.n, 4);
    for (int e = 0; e < 4; e++) {
        assert_true(rec.lr[e] == (double)0.1f);
        assert_true(rec.opt_lr[e] == 0.1f);
        assert_int_equal(rec.best[e], e + 1);   /* no validation: the latest */
    }
    assert_int_equal(rec.batches, 4 * 3);
    assert_false(rec.bad_batch);
    assert_int_equal(result.epochs_run, 4);
    assert_int_equal(result.best_epoch, 4);
    assert_int_equal(result.stopped_early, 0);
    assert_int_equal(result.train.rows, 8);
    /* Training on y = x brings the loss down every epoch. */
    for (int e = 1; e < 4; e++)
        assert_true(rec.train_loss[e] < rec.train_loss[e - 1]);
}

static void test_schedule_step(void **state)
{
    (void)state;
    recorder rec = { 0 };
    nnc_fit_options o = nnc_fit_defaults();
    o.epochs = 5;
    o.schedule = NNC_SCHEDULE_STEP;
    o.step_epochs = 2;
    o.gamma = 0.5;
    nnc_fit_result result;
    fit_recorded(&o, &rec, &result);
    /* lr * 0.5^floor((epoch - 1) / 2): 0.1, 0.1, 0.05, 0.05, 0.025 */
    const double expect[5] = { 0.1, 0.1, 0.05, 0.05, 0.025 };
    assert_int_equal(rec.n, 5);
    for (int e = 0; e < 5; e++) {
        assert_close(rec.lr[e], expect[e], 1e-8, "step schedule rate");
        assert_true(rec.opt_lr[e] == (float)rec.lr[e]);
    }
    assert_int_equal(result.epochs_run, 5);
}

static void test_schedule_cosine(void **state)
{
    (void)state;
    recorder rec = { 0 };
    nnc_fit_options o = nnc_fit_defaults();
    o.epochs = 6;
    o.schedule = NNC_SCHEDULE_COSINE;
    o.min_learning_rate = 0.01;
    nnc_fit_result result;
    fit_recorded(&o, &rec, &result);
    assert_int_equal(rec.n, 6);
    double base = (double)0.1f;
    assert_close(rec.lr[0], base, 1e-12, "cosine, first epoch");
    assert_close(rec.lr[5], 0.01, 1e-12, "cosine, last epoch");
    for (int e = 0; e < 6; e++) {
        /* min + (lr - min) (1 + cos(pi e / 5)) / 2; epoch 3 (e = 2):
         * 0.01 + 0.09 * (1 + cos(0.4 pi)) / 2 = 0.01 + 0.09 * 0.654508 = 0.068906 */
        double expect = 0.01 + 0.5 * (base - 0.01) * (1.0 + cos(pi * e / 5.0));
        assert_close(rec.lr[e], expect, 1e-12, "cosine rate");
        assert_true(rec.opt_lr[e] == (float)rec.lr[e]);
        if (e > 0)
            assert_true(rec.lr[e] < rec.lr[e - 1]);
    }
    assert_close(rec.lr[2], 0.0689057, 1e-6, "cosine, epoch 3 by hand");

    /* One epoch: the whole rate. */
    recorder one = { 0 };
    o.epochs = 1;
    fit_recorded(&o, &one, &result);
    assert_int_equal(one.n, 1);
    assert_true(one.lr[0] == base);
}

/* The default floor of a cosine schedule is 0, which the options accept
 * (min_learning_rate >= 0): the last epoch's rate then reaches 0 and must not
 * make the fit fail. */
static void test_schedule_cosine_to_zero(void **state)
{
    (void)state;
    nnc_dataset *data = line_data(1.0);
    nnc_net *net = one_layer(1, 1, NNC_IDENTITY, NNC_LOSS_MSE);
    nnc_optimizer *opt = nnc_sgd_new(0.1f);
    nnc_rng rng;
    nnc_rng_seed(&rng, 5);
    nnc_fit_options o = nnc_fit_defaults();
    o.epochs = 3;
    o.schedule = NNC_SCHEDULE_COSINE;
    assert_true(o.min_learning_rate == 0.0);
    nnc_fit_result result;
    memset(&result, 0, sizeof result);
    nnc_status st = nnc_fit(net, opt, data, &o, &rng, &result);
    float lr_after = nnc_optimizer_learning_rate(opt);
    nnc_optimizer_free(opt);
    nnc_net_free(net);
    nnc_dataset_free(data);
    if (st != NNC_OK)
        fail_msg("a cosine schedule down to min_learning_rate 0 fails: %s (%s)",
                 nnc_status_name(st), nnc_last_error());
    assert_int_equal(result.epochs_run, 3);
    assert_true(lr_after == 0.1f);
}

static void test_fit_bad_options(void **state)
{
    (void)state;
    nnc_dataset *data = line_data(1.0);
    nnc_net *net = one_layer(1, 1, NNC_IDENTITY, NNC_LOSS_MSE);
    nnc_net *wide = one_layer(2, 1, NNC_IDENTITY, NNC_LOSS_MSE);
    nnc_optimizer *opt = nnc_sgd_new(0.1f);
    nnc_rng rng;
    nnc_rng_seed(&rng, 1);
    for (int k = 0; k < 8; k++) {
        nnc_fit_options o = nnc_fit_defaults();
        switch (k) {
        case 0: o.epochs = 0; break;
        case 1: o.batch_size = 0; break;
        case 2: o.schedule = NNC_SCHEDULE_STEP; o.step_epochs = 0; break;
        case 3: o.schedule = NNC_SCHEDULE_STEP; o.gamma = 0.0; break;
        case 4: o.schedule = NNC_SCHEDULE_STEP; o.gamma = 1.5; break;
        case 5: o.schedule = NNC_SCHEDULE_COSINE; o.min_learning_rate = -0.1; break;
        case 6: o.schedule = (nnc_schedule)7; break;
        case 7: o.patience = -1; break;
        }
        prime_error();
        if (nnc_fit(net, opt, data, &o, &rng, NULL) != NNC_EINVAL)
            fail_msg("fit accepted bad option set %d", k);
        assert_fresh_error();
    }
    nnc_fit_options o = nnc_fit_defaults();
    assert_int_equal(nnc_fit(net, opt, data, &o, NULL, NULL), NNC_EINVAL);   /* shuffle */
    prime_error();
    assert_int_equal(nnc_fit(wide, opt, data, &o, &rng, NULL), NNC_EINVAL);
    assert_fresh_error();
    nnc_dataset *two = nnc_dataset_from_arrays((const float[]){ 1, 2, 3, 4 },
                                               (const float[]){ 1, 2 }, 2, 2, 1);
    o.validation = two;
    prime_error();
    assert_int_equal(nnc_fit(net, opt, data, &o, &rng, NULL), NNC_EINVAL);
    assert_fresh_error();
    /* No shuffling needs no generator. */
    o = nnc_fit_defaults();
    o.shuffle = 0;
    o.epochs = 2;
    assert_int_equal(nnc_fit(net, opt, data, &o, NULL, NULL), NNC_OK);
    assert_true(nnc_optimizer_learning_rate(opt) == 0.1f);
    nnc_dataset_free(two);
    nnc_optimizer_free(opt);
    nnc_net_free(wide);
    nnc_net_free(net);
    nnc_dataset_free(data);
}

/* ------------------------------------------------------- early stopping */

/* Trained on y = x from w = -2, validated on y = -x: the validation loss
 * (w + 1)^2 mean(x^2) falls while w climbs towards -1, then rises as w goes on
 * to 1. Full-batch gradient descent makes the path computable here. */
static void test_early_stopping_restores_best(void **state)
{
    (void)state;
    const int patience = 4;
    const float lr = 0.02f;
    nnc_dataset *train = line_data(1.0), *val = line_data(-1.0);
    nnc_net *net = one_layer(1, 1, NNC_IDENTITY, NNC_LOSS_MSE);
    nnc_net_weights(net, 0)[0] = -2.0f;
    nnc_optimizer *opt = nnc_sgd_new(lr);

    /* The reference path: MSE gradient d/dw = 2 mean((w x + b - x) x),
     * d/db = 2 mean(w x + b - x); val loss = mean((w x + b + x)^2). */
    float *x, *y;
    gather_all(train, &x, &y);
    double w = -2.0, b = 0.0, best = INFINITY;
    int best_epoch = 0;
    for (int e = 1; e <= 100 && e <= best_epoch + patience + 1; e++) {
        double gw = 0.0, gb = 0.0, vl = 0.0;
        for (int i = 0; i < 8; i++) {
            double r = w * x[i] + b - x[i];
            gw += 2.0 * r * x[i] / 8.0;
            gb += 2.0 * r / 8.0;
        }
        w -= (double)lr * gw;
        b -= (double)lr * gb;
        for (int i = 0; i < 8; i++)
            vl += (w * x[i] + b + x[i]) * (w * x[i] + b + x[i]) / 8.0;
        if (vl < best) {
            best = vl;
            best_epoch = e;
        }
    }
    free(x);
    free(y);
    /* w - 1 shrinks by 1 - 2 lr mean(x^2) = 1 - 0.04 * 1.875 = 0.925 an epoch,
     * so w passes -1 between epochs 5 and 6: 0.925^5 = 0.677 > 2/3. */
    assert_int_equal(best_epoch, 5);

    recorder rec = { 0 };
    rec.opt = opt;
    rec.net = net;
    rec.n_params = nnc_net_param_count(net);
    rec.best_params = calloc(rec.n_params, sizeof(float));
    assert_non_null(rec.best_params);
    nnc_fit_options o = nnc_fit_defaults();
    o.epochs = 100;
    o.batch_size = 8;
    o.validation = val;
    o.patience = patience;
    o.on_epoch = record_epoch;
    o.user = &rec;
    nnc_rng rng;
    nnc_rng_seed(&rng, 9);
    nnc_fit_result result;
    assert_int_equal(nnc_fit(net, opt, train, &o, &rng, &result), NNC_OK);

    assert_int_equal(result.best_epoch, best_epoch);
    assert_int_equal(result.epochs_run, best_epoch + patience);
    assert_int_equal(result.stopped_early, 1);
    assert_int_equal(rec.n, result.epochs_run);
    for (int e = 0; e < rec.n; e++) {
        int expect = e + 1 <= best_epoch ? e + 1 : best_epoch;
        assert_int_equal(rec.best[e], expect);
        if (e > 0)
            assert_true(e + 1 <= best_epoch ? rec.val_loss[e] < rec.val_loss[e - 1]
                                            : rec.val_loss[e] > rec.val_loss[e - 1]);
    }
    /* The weights are those of the best epoch, bit for bit, and the result
     * describes them. */
    assert_memory_equal(nnc_net_params(net), rec.best_params, rec.n_params * sizeof(float));
    assert_true(result.val.loss == rec.val_loss[best_epoch - 1]);
    assert_true(result.train.loss == rec.train_loss[best_epoch - 1]);
    assert_close(result.val.loss, best, 1e-5, "best validation loss against the reference");
    assert_int_equal(result.val.rows, 8);
    assert_true(nnc_optimizer_learning_rate(opt) == lr);
    free(rec.best_params);
    nnc_optimizer_free(opt);
    nnc_net_free(net);
    nnc_dataset_free(train);
    nnc_dataset_free(val);
}

static void test_callback_stops_and_patience_needs_validation(void **state)
{
    (void)state;
    nnc_dataset *train = line_data(1.0);
    nnc_net *net = one_layer(1, 1, NNC_IDENTITY, NNC_LOSS_MSE);
    nnc_optimizer *opt = nnc_sgd_new(0.05f);
    nnc_rng rng;
    nnc_rng_seed(&rng, 2);
    recorder rec = { 0 };
    rec.stop_at = 3;
    nnc_fit_options o = nnc_fit_defaults();
    o.epochs = 10;
    o.on_epoch = record_epoch;
    o.user = &rec;
    nnc_fit_result result;
    assert_int_equal(nnc_fit(net, opt, train, &o, &rng, &result), NNC_OK);
    assert_int_equal(rec.n, 3);
    assert_int_equal(result.epochs_run, 3);
    assert_int_equal(result.best_epoch, 3);
    assert_int_equal(result.stopped_early, 0);
    assert_true(result.train.loss == rec.train_loss[2]);
    /* The epochs report the running mean of their batches' losses, each
     * before its step: above the loss after the epoch while it falls. */
    double train_loss;
    assert_int_equal(nnc_evaluate(net, train, &train_loss), NNC_OK);
    assert_true(rec.train_loss[2] > train_loss);

    /* Patience without validation data is ignored: every epoch runs. */
    recorder all = { 0 };
    o.patience = 1;
    o.user = &all;
    assert_int_equal(nnc_fit(net, opt, train, &o, &rng, &result), NNC_OK);
    assert_int_equal(result.epochs_run, 10);
    assert_int_equal(result.stopped_early, 0);
    assert_int_equal(result.best_epoch, 10);
    nnc_optimizer_free(opt);
    nnc_net_free(net);
    nnc_dataset_free(train);
}

/* -------------------------------------------------------------- metrics */

/* A 2-3 softmax layer with W = [[1, 0], [0, 1], [-1, -1]], b = 0: the logits
 * of (x0, x1) are (x0, x1, -x0 - x1). */
static const float three_x[9][2] = { { 2, 0 },  { 3, 1 },  { 0, 2 },  { 1, 3 }, { -2, -1 },
                                     { -1, -2 }, { 1, -3 }, { -3, 1 }, { 2, 1 } };
/* logits -> predicted: (2,0,-2) 0, (3,1,-4) 0, (0,2,-2) 1, (1,3,-4) 1,
 * (-2,-1,3) 2, (-1,-2,3) 2, (1,-3,2) 2, (-3,1,2) 2, (2,1,-3) 0 */
static const int three_pred[9] = { 0, 0, 1, 1, 2, 2, 2, 2, 0 };
static const int three_true[9] = { 0, 0, 1, 1, 2, 2, 0, 1, 1 };

static nnc_net *three_class_net(void)
{
    nnc_net *net = one_layer(2, 3, NNC_SOFTMAX, NNC_LOSS_SOFTMAX_CROSS_ENTROPY);
    static const float w[6] = { 1, 0, 0, 1, -1, -1 };
    memcpy(nnc_net_weights(net, 0), w, sizeof w);
    return net;
}

/* An epoch's training metrics are the running mean of its batches, each
 * measured by its own step: with steps that change nothing (a rate of
 * 1e-30), that is the whole training set's loss and accuracy in one pass,
 * for the fused SGD step and for Adam's path through the gradient block. */
static nnc_epoch_report last_report;
static int keep_report(const nnc_epoch_report *r, void *user)
{
    (void)user;
    last_report = *r;
    return 0;
}

static void test_epoch_metrics_are_running_means(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, 11);
    nnc_dataset *data = blobs(&rng, 40, 1.5);   /* overlapping: accuracy below 1 */
    for (int adam = 0; adam < 2; adam++) {
        nnc_net *net = three_class_net();
        nnc_optimizer *opt = adam ? nnc_adam_new(1e-30f, 0.9f, 0.999f, 1e-8f)
                                  : nnc_sgd_new(1e-30f);
        assert_non_null(opt);
        nnc_fit_options o = nnc_fit_defaults();
        o.epochs = 1;
        o.batch_size = 7;   /* 120 rows: 17 batches of 7 and one of 1 */
        o.on_epoch = keep_report;
        assert_int_equal(nnc_fit(net, opt, data, &o, &rng, NULL), NNC_OK);
        nnc_metrics whole;
        assert_int_equal(nnc_evaluate_metrics(net, data, 1.0, &whole, NULL), NNC_OK);
        assert_int_equal(last_report.train.rows, 120);
        assert_true(last_report.train.accuracy == whole.accuracy);
        print_message("  %s: running accuracy %.4f, loss %.6f; one pass %.4f, %.6f\n",
                      adam ? "adam" : "sgd", last_report.train.accuracy, last_report.train.loss,
                      whole.accuracy, whole.loss);
        assert_true(whole.accuracy > 0.0 && whole.accuracy < 1.0);
        assert_close(last_report.train.loss, whole.loss, 1e-6, "running mean loss");
        nnc_optimizer_free(opt);
        nnc_net_free(net);
    }
    nnc_dataset_free(data);
}


/* A fit resumed from a checkpoint of its last epoch has no epoch left to
 * run: it keeps the checkpoint's weights and reports them measured in one
 * pass over the training data (there are no batches to take a running mean
 * of), as nnc_evaluate_metrics gives them. */
static void test_resume_at_the_end_measures_the_weights(void **state)
{
    (void)state;
    char ck[256];
    snprintf(ck, sizeof ck, "%s/nnc-test-resume-%ld.ck",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    nnc_rng rng;
    nnc_rng_seed(&rng, 12);
    nnc_dataset *data = blobs(&rng, 40, 1.5);
    nnc_fit_options o = nnc_fit_defaults();
    o.epochs = 2;
    o.batch_size = 16;
    o.checkpoint = ck;
    o.checkpoint_every = 1;
    nnc_net *net = three_class_net();
    nnc_optimizer *opt = nnc_sgd_new(0.1f);
    nnc_rng fit_rng;
    nnc_rng_seed(&fit_rng, 5);
    nnc_fit_result first;
    assert_int_equal(nnc_fit(net, opt, data, &o, &fit_rng, &first), NNC_OK);
    assert_int_equal(first.checkpoint_epoch, 2);

    nnc_net *again = three_class_net();
    nnc_optimizer *opt2 = nnc_sgd_new(0.1f);
    nnc_rng_seed(&fit_rng, 5);
    o.resume = ck;
    o.on_batch = NULL;
    nnc_fit_result r;
    assert_int_equal(nnc_fit(again, opt2, data, &o, &fit_rng, &r), NNC_OK);
    assert_memory_equal(nnc_net_params(again), nnc_net_params(net),
                        nnc_net_param_count(net) * sizeof(float));
    assert_int_equal(r.epochs_run, 2);
    nnc_metrics whole;
    assert_int_equal(nnc_evaluate_metrics(again, data, 1.0, &whole, NULL), NNC_OK);
    assert_true(r.train.loss == whole.loss && r.train.accuracy == whole.accuracy);
    assert_int_equal(r.train.rows, 120);
    remove(ck);
    nnc_optimizer_free(opt);
    nnc_optimizer_free(opt2);
    nnc_net_free(net);
    nnc_net_free(again);
    nnc_dataset_free(data);
}

/* nnc_fit's loader (train/loader.c): on a batch big enough for its thread,
 * every batch it hands out is what nnc_dataset_gather makes of the same
 * rows, and a gather that fails on the thread (a row out of range here)
 * fails the batch it belongs to, with the gather's message recorded in
 * the caller's thread. */
static void test_loader_batches_and_failure(void **state)
{
    (void)state;
    enum { ROWS = 600, IN = 128, BATCH = 128 };   /* 5 batches of 16,384 floats */
    float *x = malloc((size_t)ROWS * IN * sizeof *x), y[ROWS];
    size_t order[ROWS];
    assert_non_null(x);
    nnc_rng rng;
    nnc_rng_seed(&rng, 14);
    for (int i = 0; i < ROWS * IN; i++)
        x[i] = (float)nnc_rng_uniform(&rng);
    for (int i = 0; i < ROWS; i++)
        y[i] = (float)i;
    nnc_dataset *data = nnc_dataset_from_arrays(x, y, ROWS, IN, 1);
    assert_non_null(data);
    nnc_rng_permutation(&rng, order, ROWS);
    nnc_loader l;
    assert_int_equal(nnc_loader_init(&l, data, BATCH), NNC_OK);
    float *want_x = malloc((size_t)BATCH * IN * sizeof *want_x), want_y[BATCH];
    assert_non_null(want_x);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            order[3 * BATCH + 5] = ROWS + 7;   /* batch 3, gathered by the thread */
        assert_int_equal(nnc_loader_start(&l, order), NNC_OK);
        assert_true(l.threaded);
        for (int b = 0; b < 5; b++) {
            const float *bx, *by;
            const nnc_sparse_rows *sparse;
            int n;
            nnc_status st = nnc_loader_next(&l, b, &bx, &sparse, &by, &n);
            assert_null(sparse);
            if (pass == 1 && b == 3) {
                assert_int_equal(st, NNC_EINVAL);
                assert_non_null(strstr(nnc_last_error(), "gather: row 607 of 600"));
                break;
            }
            assert_int_equal(st, NNC_OK);
            assert_int_equal(n, b < 4 ? BATCH : ROWS - 4 * BATCH);
            assert_int_equal(nnc_dataset_gather(data, order + b * BATCH, n, want_x, want_y),
                             NNC_OK);
            assert_memory_equal(bx, want_x, (size_t)n * IN * sizeof *bx);
            assert_memory_equal(by, want_y, (size_t)n * sizeof *by);
        }
        nnc_loader_finish(&l);
    }
    nnc_loader_release(&l);
    free(want_x);
    free(x);
    nnc_dataset_free(data);
}

static void test_metrics_three_classes(void **state)
{
    (void)state;
    /* 30 copies of the nine rows: 270 rows, more than one evaluation batch. */
    enum { COPIES = 30, ROWS = 9 * COPIES };
    float x[ROWS][2];
    int c[ROWS];
    for (int i = 0; i < ROWS; i++) {
        x[i][0] = three_x[i % 9][0];
        x[i][1] = three_x[i % 9][1];
        c[i] = three_true[i % 9];
    }
    nnc_dataset *data = nnc_dataset_from_classes(&x[0][0], c, ROWS, 2, 3, NULL);
    assert_non_null(data);
    nnc_net *net = three_class_net();

    float out[9][3];
    int classes[9];
    assert_int_equal(nnc_predict(net, &three_x[0][0], 9, &out[0][0]), NNC_OK);
    nnc_output_classes(&out[0][0], 9, 3, classes);
    assert_memory_equal(classes, three_pred, sizeof classes);

    /* Reference loss: mean of -ln softmax(logits)[true class]. */
    double loss = 0.0;
    for (int i = 0; i < 9; i++) {
        double z[3] = { three_x[i][0], three_x[i][1], -three_x[i][0] - three_x[i][1] };
        double denom = exp(z[0]) + exp(z[1]) + exp(z[2]);
        loss -= log(exp(z[three_true[i]]) / denom) / 9.0;
    }

    nnc_metrics m;
    int confusion[9];
    memset(confusion, 0xff, sizeof confusion);
    assert_int_equal(nnc_evaluate_metrics(net, data, 1.0, &m, confusion), NNC_OK);
    assert_int_equal(m.rows, ROWS);
    assert_close(m.accuracy, 6.0 / 9.0, 1e-12, "accuracy");
    assert_close(m.loss, loss, 1e-5, "softmax cross-entropy");
    /* Rows true class, columns predicted:
     * true 0: rows 0, 1 -> 0, row 6 -> 2            [2 0 1]
     * true 1: rows 2, 3 -> 1, row 7 -> 2, row 8 -> 0 [1 2 1]
     * true 2: rows 4, 5 -> 2                         [0 0 2] */
    const int expect[9] = { 2, 0, 1, 1, 2, 1, 0, 0, 2 };
    for (int k = 0; k < 9; k++)
        if (confusion[k] != COPIES * expect[k])
            fail_msg("confusion[%d][%d] = %d, expected %d", k / 3, k % 3, confusion[k],
                     COPIES * expect[k]);
    assert_true(m.mse == 0.0 && m.mae == 0.0 && m.r2 == 0.0);

    double only_loss;
    assert_int_equal(nnc_evaluate(net, data, &only_loss), NNC_OK);
    assert_true(only_loss == m.loss);
    /* Without a confusion matrix, the same metrics. */
    nnc_metrics again;
    assert_int_equal(nnc_evaluate_metrics(net, data, 1.0, &again, NULL), NNC_OK);
    assert_true(again.accuracy == m.accuracy && again.loss == m.loss);

    /* A data set that does not fit the network is refused. */
    nnc_net *other = one_layer(3, 3, NNC_SOFTMAX, NNC_LOSS_SOFTMAX_CROSS_ENTROPY);
    prime_error();
    assert_int_equal(nnc_evaluate_metrics(other, data, 1.0, &m, NULL), NNC_EINVAL);
    assert_fresh_error();
    nnc_net_free(other);
    nnc_net_free(net);
    nnc_dataset_free(data);
}

static void test_metrics_binary_sigmoid(void **state)
{
    (void)state;
    /* p = sigmoid(x): x = -2, -0.5, 0, 0.1, 3 -> p = 0.119, 0.378, 0.5, 0.525,
     * 0.953 -> classes 0, 0, 0 (0.5 is not > 0.5), 1, 1. */
    const float x[5] = { -2.0f, -0.5f, 0.0f, 0.1f, 3.0f };
    const int truth[5] = { 0, 1, 1, 1, 0 };
    nnc_dataset *data = nnc_dataset_from_classes(x, truth, 5, 1, 2, NULL);
    assert_non_null(data);
    assert_int_equal(nnc_dataset_targets(data), 1);
    nnc_net *net = one_layer(1, 1, NNC_SIGMOID, NNC_LOSS_BINARY_CROSS_ENTROPY);
    nnc_net_weights(net, 0)[0] = 1.0f;

    double loss = 0.0;
    for (int i = 0; i < 5; i++) {
        double p = 1.0 / (1.0 + exp(-x[i]));
        loss -= (truth[i] ? log(p) : log(1.0 - p)) / 5.0;
    }
    nnc_metrics m;
    int confusion[4];
    assert_int_equal(nnc_evaluate_metrics(net, data, 1.0, &m, confusion), NNC_OK);
    /* right: rows 0 and 3; true 0: row 0 -> 0, row 4 -> 1; true 1: rows 1, 2
     * -> 0, row 3 -> 1. */
    assert_close(m.accuracy, 0.4, 1e-12, "binary accuracy");
    assert_close(m.loss, loss, 1e-6, "binary cross-entropy");
    assert_int_equal(confusion[0], 1);
    assert_int_equal(confusion[1], 1);
    assert_int_equal(confusion[2], 2);
    assert_int_equal(confusion[3], 1);
    nnc_net_free(net);
    nnc_dataset_free(data);
}

static void test_output_classes(void **state)
{
    (void)state;
    const float single[4] = { 0.5f, 0.50001f, 0.0f, 1.0f };
    int c[4];
    nnc_output_classes(single, 4, 1, c);
    assert_int_equal(c[0], 0);
    assert_int_equal(c[1], 1);
    assert_int_equal(c[2], 0);
    assert_int_equal(c[3], 1);
    /* Arg-max; a tie goes to the first. */
    const float rows[3][3] = { { 0.2f, 0.5f, 0.3f }, { 0.4f, 0.2f, 0.4f }, { -3, -2, -1 } };
    nnc_output_classes(&rows[0][0], 3, 3, c);
    assert_int_equal(c[0], 1);
    assert_int_equal(c[1], 0);
    assert_int_equal(c[2], 2);
}

/* Reference regression metrics in double: MSE and MAE over all entries, R^2
 * with each column's own mean. */
static void regression_reference(const float *pred, const float *y, int rows, int cols,
                                 double *mse, double *mae, double *r2)
{
    double se = 0.0, ae = 0.0, tot = 0.0;
    for (int j = 0; j < cols; j++) {
        double mean = 0.0;
        for (int i = 0; i < rows; i++)
            mean += y[(size_t)i * cols + j] / rows;
        for (int i = 0; i < rows; i++) {
            double d = (double)pred[(size_t)i * cols + j] - y[(size_t)i * cols + j];
            double t = y[(size_t)i * cols + j] - mean;
            se += d * d;
            ae += fabs(d);
            tot += t * t;
        }
    }
    *mse = se / ((double)rows * cols);
    *mae = ae / ((double)rows * cols);
    *r2 = 1.0 - se / tot;
}

static void test_metrics_regression(void **state)
{
    (void)state;
    enum { ROWS = 300 };   /* more than one evaluation batch */
    float x[ROWS], y[ROWS], pred[ROWS];
    nnc_rng rng;
    nnc_rng_seed(&rng, 21);
    for (int i = 0; i < ROWS; i++) {
        x[i] = (float)(4.0 * nnc_rng_uniform(&rng) - 2.0);
        y[i] = (float)(2.0 * x[i] + 1.0 + 0.5 * nnc_rng_normal(&rng) + 0.1 * x[i] * x[i]);
    }
    nnc_dataset *data = nnc_dataset_from_arrays(x, y, ROWS, 1, 1);
    nnc_net *net = one_layer(1, 1, NNC_IDENTITY, NNC_LOSS_MSE);
    nnc_net_weights(net, 0)[0] = 2.0f;
    nnc_net_bias(net, 0)[0] = 1.0f;
    for (int i = 0; i < ROWS; i++)
        pred[i] = 2.0f * x[i] + 1.0f;
    double mse, mae, r2;
    regression_reference(pred, y, ROWS, 1, &mse, &mae, &r2);

    nnc_metrics m;
    assert_int_equal(nnc_evaluate_metrics(net, data, 1.0, &m, NULL), NNC_OK);
    assert_int_equal(m.rows, ROWS);
    /* nnc's R^2 where the data's model puts it, independently of the
     * reference above: var(y) ~ var(2x) + 0.25 = 5.6, the squared error
     * 0.25 + E[(0.1 x^2)^2] = 0.28, so R^2 ~ 0.95; one computed about 0, or
     * one minus the wrong ratio, lands outside. */
    if (!(m.r2 > 0.9 && m.r2 < 0.99))
        fail_msg("R^2 %.6f, want about 0.95", m.r2);
    assert_close(m.mse, mse, 1e-6 * mse, "MSE");
    assert_close(m.mae, mae, 1e-6 * mae, "MAE");
    assert_close(m.r2, r2, 1e-6, "R^2");
    assert_close(m.loss, mse, 1e-6 * mse, "MSE loss");
    assert_true(m.accuracy == 0.0);

    /* target_scale 2: targets were doubled, so MSE / 4 and MAE / 2; R^2 and
     * the loss stay. 0 and negative scales mean 1. */
    nnc_metrics s;
    assert_int_equal(nnc_evaluate_metrics(net, data, 2.0, &s, NULL), NNC_OK);
    assert_close(s.mse, mse / 4.0, 1e-6 * mse, "MSE at scale 2");
    assert_close(s.mae, mae / 2.0, 1e-6 * mae, "MAE at scale 2");
    assert_true(s.r2 == m.r2 && s.loss == m.loss);
    assert_int_equal(nnc_evaluate_metrics(net, data, 0.0, &s, NULL), NNC_OK);
    assert_true(s.mse == m.mse && s.mae == m.mae);

    /* A summed loss stays a sum across evaluation batches. */
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_SQUARED_ERROR), NNC_OK);
    assert_int_equal(nnc_evaluate_metrics(net, data, 1.0, &s, NULL), NNC_OK);
    assert_close(s.loss, mse * ROWS, 1e-6 * mse * ROWS, "summed squared error");
    assert_true(s.mse == m.mse);

    /* A perfect fit has R^2 = 1 and no error. */
    for (int i = 0; i < ROWS; i++)
        y[i] = 2.0f * x[i] + 1.0f;
    nnc_dataset *exact = nnc_dataset_from_arrays(x, y, ROWS, 1, 1);
    assert_int_equal(nnc_evaluate_metrics(net, exact, 1.0, &s, NULL), NNC_OK);
    assert_true(s.mse < 1e-12 && s.mae < 1e-6);
    assert_close(s.r2, 1.0, 1e-9, "perfect R^2");
    nnc_dataset_free(exact);
    nnc_net_free(net);
    nnc_dataset_free(data);
}

/* With two target columns whose means differ, R^2 must measure each column
 * against its own mean; against the grand mean of all columns the spread
 * between the columns counts as "explained". Both columns here have the same
 * errors and spread, so every per-column definition gives the same R^2. */
static void test_metrics_r2_two_targets(void **state)
{
    (void)state;
    enum { ROWS = 40 };
    float x[ROWS], y[ROWS][2], pred[ROWS][2];
    nnc_rng rng;
    nnc_rng_seed(&rng, 33);
    for (int i = 0; i < ROWS; i++) {
        x[i] = (float)nnc_rng_normal(&rng);
        double noise = 0.8 * nnc_rng_normal(&rng);
        y[i][0] = (float)(x[i] + noise);
        y[i][1] = y[i][0] + 100.0f;
        pred[i][0] = x[i];
        pred[i][1] = x[i] + 100.0f;
    }
    nnc_dataset *data = nnc_dataset_from_arrays(x, &y[0][0], ROWS, 1, 2);
    nnc_net *net = one_layer(1, 2, NNC_IDENTITY, NNC_LOSS_MSE);
    nnc_net_weights(net, 0)[0] = 1.0f;
    nnc_net_weights(net, 0)[1] = 1.0f;
    nnc_net_bias(net, 0)[1] = 100.0f;
    double mse, mae, r2;
    regression_reference(&pred[0][0], &y[0][0], ROWS, 2, &mse, &mae, &r2);
    nnc_metrics m;
    nnc_status st = nnc_evaluate_metrics(net, data, 1.0, &m, NULL);
    nnc_net_free(net);
    nnc_dataset_free(data);
    assert_int_equal(st, NNC_OK);
    /* Each column alone: R^2 = 1 - 0.64 / (1 + 0.64) ~ 0.6 in expectation;
     * against the grand mean the columns' offset of 100 would be explained
     * spread and R^2 nearly 1. This bounds nnc's value, not the reference's. */
    if (!(m.r2 > 0.2 && m.r2 < 0.8))
        fail_msg("two-target R^2 %.6f, want about 0.6", m.r2);
    assert_close(m.mse, mse, 1e-4 * mse, "two-target MSE");
    assert_close(m.mae, mae, 1e-4 * mae, "two-target MAE");
    assert_close(m.r2, r2, 1e-3, "two-target R^2 (each column against its own mean)");
}

/* -------------------------------------------------------- normalisation */

enum { NROWS = 50, NCOLS = 4 };

/* Columns: uniform on [10, 30], normal(-5, 3), a skewed one, a constant 7. */
static nnc_dataset *columns_data(uint64_t seed, nnc_task task)
{
    float x[NROWS][NCOLS], y[NROWS];
    int c[NROWS];
    nnc_rng rng;
    nnc_rng_seed(&rng, seed);
    for (int i = 0; i < NROWS; i++) {
        x[i][0] = (float)(10.0 + 20.0 * nnc_rng_uniform(&rng));
        x[i][1] = (float)(-5.0 + 3.0 * nnc_rng_normal(&rng));
        double u = nnc_rng_uniform(&rng);
        x[i][2] = (float)(u * u * u * 1000.0);
        x[i][3] = 7.0f;
        y[i] = (float)(50.0 + 12.0 * nnc_rng_normal(&rng));
        c[i] = i % 3;
    }
    nnc_dataset *data = task == NNC_TASK_REGRESSION
                            ? nnc_dataset_from_arrays(&x[0][0], y, NROWS, NCOLS, 1)
                            : nnc_dataset_from_classes(&x[0][0], c, NROWS, NCOLS, 3, NULL);
    assert_non_null(data);
    return data;
}

static void test_normalize_standard(void **state)
{
    (void)state;
    nnc_dataset *data = columns_data(4, NNC_TASK_CLASSIFICATION);
    float *raw_x, *raw_y;
    gather_all(data, &raw_x, &raw_y);
    nnc_normalizer *norm = nnc_normalizer_fit(data, NNC_SCALE_STANDARD);
    assert_non_null(norm);
    assert_int_equal(nnc_normalizer_kind(norm), NNC_SCALE_STANDARD);
    assert_true(nnc_normalizer_target_scale(norm) == 1.0);   /* classes: not scaled */
    assert_int_equal(nnc_normalizer_apply(norm, data), NNC_OK);
    float *x, *y;
    gather_all(data, &x, &y);
    for (int j = 0; j < 3; j++) {
        double mean, std;
        column_stats(x, NROWS, NCOLS, j, &mean, &std);
        assert_close(mean, 0.0, 1e-5, "standardised mean");
        assert_close(std, 1.0, 1e-5, "standardised standard deviation");
    }
    /* The constant column is centred and keeps scale 1: a value 2 above the
     * constant stays 2 above it. */
    for (int i = 0; i < NROWS; i++)
        assert_true(x[(size_t)i * NCOLS + 3] == 0.0f);
    float row[NCOLS] = { 20.0f, -5.0f, 0.0f, 9.0f };
    assert_int_equal(nnc_normalizer_apply_rows(norm, row, 1), NNC_OK);
    assert_close(row[3], 2.0, 1e-6, "constant column's scale");
    /* The class targets (one-hot) are left alone. */
    assert_memory_equal(y, raw_y, (size_t)NROWS * 3 * sizeof *y);
    nnc_normalizer_free(norm);
    free(raw_x);
    free(raw_y);
    free(x);
    free(y);
    nnc_dataset_free(data);
}

static void test_normalize_minmax(void **state)
{
    (void)state;
    nnc_dataset *data = columns_data(5, NNC_TASK_CLASSIFICATION);
    nnc_normalizer *norm = nnc_normalizer_fit(data, NNC_SCALE_MINMAX);
    assert_non_null(norm);
    assert_int_equal(nnc_normalizer_kind(norm), NNC_SCALE_MINMAX);
    assert_int_equal(nnc_normalizer_apply(norm, data), NNC_OK);
    float *x, *y;
    gather_all(data, &x, &y);
    for (int j = 0; j < 3; j++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < NROWS; i++) {
            double v = x[(size_t)i * NCOLS + j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        assert_close(lo, 0.0, 1e-6, "min-max minimum");
        assert_close(hi, 1.0, 1e-6, "min-max maximum");
    }
    for (int i = 0; i < NROWS; i++)
        assert_true(x[(size_t)i * NCOLS + 3] == 0.0f);   /* constant: (7 - 7) * 1 */
    nnc_normalizer_free(norm);
    free(x);
    free(y);
    nnc_dataset_free(data);
}

static void test_normalize_fitted_on_other_data(void **state)
{
    (void)state;
    nnc_dataset *a = columns_data(6, NNC_TASK_CLASSIFICATION);
    nnc_dataset *b = columns_data(7, NNC_TASK_CLASSIFICATION);
    float *ax, *ay, *bx, *by;
    gather_all(a, &ax, &ay);
    gather_all(b, &bx, &by);
    nnc_normalizer *norm = nnc_normalizer_fit(a, NNC_SCALE_STANDARD);
    assert_non_null(norm);
    assert_int_equal(nnc_normalizer_apply(norm, b), NNC_OK);
    float *nx, *ny;
    gather_all(b, &nx, &ny);
    for (int j = 0; j < 3; j++) {
        double mean, std;
        column_stats(ax, NROWS, NCOLS, j, &mean, &std);
        for (int i = 0; i < NROWS; i++) {
            size_t k = (size_t)i * NCOLS + j;
            double expect = (bx[k] - mean) / std;
            assert_close(nx[k], expect, 1e-5 * (1.0 + fabs(expect)), "A's statistics on B");
        }
    }
    /* B's own statistics would have given it mean 0 exactly; A's do not. */
    double mean_b, std_b;
    column_stats(nx, NROWS, NCOLS, 0, &mean_b, &std_b);
    assert_true(fabs(mean_b) > 1e-3);
    nnc_normalizer_free(norm);
    free(ax);
    free(ay);
    free(bx);
    free(by);
    free(nx);
    free(ny);
    nnc_dataset_free(a);
    nnc_dataset_free(b);
}

static void test_normalize_regression_targets(void **state)
{
    (void)state;
    nnc_dataset *data = columns_data(8, NNC_TASK_REGRESSION);
    float *raw_x, *raw_y;
    gather_all(data, &raw_x, &raw_y);
    double y_mean, y_std;
    column_stats(raw_y, NROWS, 1, 0, &y_mean, &y_std);
    nnc_normalizer *norm = nnc_normalizer_fit(data, NNC_SCALE_MINMAX);
    assert_non_null(norm);
    /* Targets are standardised whatever the input scaling. */
    assert_close(nnc_normalizer_target_scale(norm), 1.0 / y_std, 1e-6 / y_std, "target scale");
    assert_int_equal(nnc_normalizer_apply(norm, data), NNC_OK);
    float *x, *y;
    gather_all(data, &x, &y);
    double mean, std;
    column_stats(y, NROWS, 1, 0, &mean, &std);
    assert_close(mean, 0.0, 1e-5, "standardised target mean");
    assert_close(std, 1.0, 1e-5, "standardised target standard deviation");
    for (int i = 0; i < NROWS; i++)
        assert_close(y[i], (raw_y[i] - y_mean) / y_std, 1e-5, "standardised target");
    /* restore_targets maps them back. */
    assert_int_equal(nnc_normalizer_restore_targets(norm, y, NROWS), NNC_OK);
    for (int i = 0; i < NROWS; i++)
        assert_close(y[i], raw_y[i], 1e-4 * fabs(raw_y[i]), "restored target");
    assert_int_equal(nnc_normalizer_restore_targets(norm, NULL, 1), NNC_EINVAL);
    nnc_normalizer_free(norm);
    free(raw_x);
    free(raw_y);
    free(x);
    free(y);
    nnc_dataset_free(data);
}

static void test_normalize_none_and_bad_calls(void **state)
{
    (void)state;
    nnc_dataset *data = columns_data(10, NNC_TASK_CLASSIFICATION);
    float *before_x, *before_y, *after_x, *after_y;
    gather_all(data, &before_x, &before_y);
    nnc_normalizer *none = nnc_normalizer_fit(data, NNC_SCALE_NONE);
    assert_non_null(none);
    assert_int_equal(nnc_normalizer_kind(none), NNC_SCALE_NONE);
    assert_int_equal(nnc_normalizer_apply(none, data), NNC_OK);
    gather_all(data, &after_x, &after_y);
    assert_memory_equal(before_x, after_x, (size_t)NROWS * NCOLS * sizeof(float));
    nnc_normalizer_free(none);

    prime_error();
    assert_null(nnc_normalizer_fit(data, (nnc_scaling)9));
    assert_fresh_error();
    prime_error();
    assert_null(nnc_normalizer_fit(NULL, NNC_SCALE_STANDARD));
    assert_fresh_error();
    /* Applying to data of another width is refused. */
    nnc_dataset *narrow = nnc_dataset_from_arrays((const float[]){ 1, 2, 3, 4 },
                                                  (const float[]){ 1, 2 }, 2, 2, 1);
    nnc_normalizer *norm = nnc_normalizer_fit(data, NNC_SCALE_STANDARD);
    prime_error();
    assert_int_equal(nnc_normalizer_apply(norm, narrow), NNC_EINVAL);
    assert_fresh_error();
    assert_int_equal(nnc_normalizer_apply(NULL, data), NNC_EINVAL);
    assert_int_equal(nnc_normalizer_apply_rows(norm, NULL, 1), NNC_EINVAL);
    nnc_normalizer_free(norm);
    nnc_normalizer_free(NULL);
    nnc_dataset_free(narrow);
    free(before_x);
    free(before_y);
    free(after_x);
    free(after_y);
    nnc_dataset_free(data);
}

/* A failed apply must leave the data as it was, not half transformed. */
static void test_normalize_failed_apply_leaves_data(void **state)
{
    (void)state;
    float x[6] = { 1, 10, 2, 20, 3, 30 }, y1[3] = { 1, 2, 3 }, y2[6] = { 1, 2, 3, 4, 5, 6 };
    nnc_dataset *one = nnc_dataset_from_arrays(x, y1, 3, 2, 1);
    nnc_dataset *two = nnc_dataset_from_arrays(x, y2, 3, 2, 2);
    nnc_normalizer *norm = nnc_normalizer_fit(one, NNC_SCALE_STANDARD);
    assert_non_null(norm);
    prime_error();
    assert_int_equal(nnc_normalizer_apply(norm, two), NNC_EINVAL);   /* 2 targets, not 1 */
    assert_fresh_error();
    float *gx, *gy;
    gather_all(two, &gx, &gy);
    int same = memcmp(gx, x, sizeof x) == 0 && memcmp(gy, y2, sizeof y2) == 0;
    free(gx);
    free(gy);
    nnc_normalizer_free(norm);
    nnc_dataset_free(one);
    nnc_dataset_free(two);
    if (!same)
        fail_msg("nnc_normalizer_apply failed (targets do not match) but had already "
                 "transformed the inputs");
}

static void test_normalize_image_data(void **state)
{
    (void)state;
    nnc_dataset *img = nnc_dataset_alloc(4, 3, 1, 1);
    assert_non_null(img);
    const int classes[4] = { 0, 1, 1, 0 };
    assert_int_equal(nnc_dataset_set_classes(img, classes, 2, NULL), NNC_OK);
    for (int i = 0; i < 12; i++)
        img->bytes[i] = (unsigned char)(i * 20);
    prime_error();
    assert_null(nnc_normalizer_fit(img, NNC_SCALE_STANDARD));
    assert_fresh_error();
    prime_error();
    assert_null(nnc_normalizer_fit(img, NNC_SCALE_MINMAX));
    assert_fresh_error();
    nnc_normalizer *none = nnc_normalizer_fit(img, NNC_SCALE_NONE);
    assert_non_null(none);
    assert_int_equal(nnc_normalizer_apply(none, img), NNC_OK);
    /* A standard normaliser from float data cannot be applied to bytes. */
    float fx[12];
    for (int i = 0; i < 12; i++)
        fx[i] = (float)i;
    nnc_dataset *floats = nnc_dataset_from_classes(fx, classes, 4, 3, 2, NULL);
    nnc_normalizer *std = nnc_normalizer_fit(floats, NNC_SCALE_STANDARD);
    assert_non_null(std);
    prime_error();
    assert_int_equal(nnc_normalizer_apply(std, img), NNC_EINVAL);
    assert_fresh_error();
    /* Bytes are gathered as byte / 255. */
    float *x, *y;
    gather_all(img, &x, &y);
    for (int i = 0; i < 12; i++)
        assert_close(x[i], i * 20 / 255.0, 1e-6, "byte pixel as float");
    assert_true(y[1] == 1.0f && y[3] == 0.0f);
    free(x);
    free(y);
    nnc_normalizer_free(std);
    nnc_normalizer_free(none);
    nnc_dataset_free(floats);
    nnc_dataset_free(img);
}

/* ------------------------------------------------------------- datasets */

static void test_dataset_from_classes(void **state)
{
    (void)state;
    const float x[5] = { 0, 1, 2, 3, 4 };
    const int two[5] = { 1, 0, 1, 1, 0 };
    nnc_dataset *d2 = nnc_dataset_from_classes(x, two, 5, 1, 2, NULL);
    assert_non_null(d2);
    assert_int_equal(nnc_dataset_task(d2), NNC_TASK_CLASSIFICATION);
    assert_int_equal(nnc_dataset_classes(d2), 2);
    assert_int_equal(nnc_dataset_targets(d2), 1);
    assert_string_equal(nnc_dataset_class_label(d2, 0), "0");
    assert_string_equal(nnc_dataset_class_label(d2, 1), "1");
    assert_null(nnc_dataset_class_label(d2, 2));
    assert_null(nnc_dataset_class_label(d2, -1));
    assert_string_equal(nnc_dataset_input_name(d2, 0), "x0");
    float *gx, *gy;
    gather_all(d2, &gx, &gy);
    for (int i = 0; i < 5; i++) {
        assert_true(gy[i] == (float)two[i]);
        assert_true(gx[i] == x[i]);
        assert_int_equal(nnc_dataset_class_of(d2, i), two[i]);
    }
    assert_int_equal(nnc_dataset_class_of(d2, 5), -1);
    free(gx);
    free(gy);

    const int three[5] = { 2, 0, 1, 2, 0 };
    char label0[8] = "cat";
    const char *labels[3] = { label0, "dog", "emu" };
    nnc_dataset *d3 = nnc_dataset_from_classes(x, three, 5, 1, 3, labels);
    assert_non_null(d3);
    label0[0] = 'b';   /* the data set keeps its own copy */
    assert_int_equal(nnc_dataset_targets(d3), 3);
    assert_string_equal(nnc_dataset_class_label(d3, 0), "cat");
    assert_string_equal(nnc_dataset_class_label(d3, 2), "emu");
    gather_all(d3, &gx, &gy);
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < 3; k++)
            assert_true(gy[i * 3 + k] == (k == three[i] ? 1.0f : 0.0f));
    free(gx);
    free(gy);

    /* Regression sets have no classes. */
    nnc_dataset *reg = nnc_dataset_from_arrays(x, x, 5, 1, 1);
    assert_int_equal(nnc_dataset_task(reg), NNC_TASK_REGRESSION);
    assert_int_equal(nnc_dataset_classes(reg), 0);
    assert_int_equal(nnc_dataset_class_of(reg, 0), -1);
    assert_null(nnc_dataset_class_label(reg, 0));

    const int out_of_range[5] = { 0, 1, 3, 0, 1 }, negative[5] = { 0, -1, 1, 0, 1 };
    prime_error();
    assert_null(nnc_dataset_from_classes(x, out_of_range, 5, 1, 3, NULL));
    assert_fresh_error();
    prime_error();
    assert_null(nnc_dataset_from_classes(x, negative, 5, 1, 2, NULL));
    assert_fresh_error();
    prime_error();
    assert_null(nnc_dataset_from_classes(x, two, 5, 1, 1, NULL));
    assert_fresh_error();
    prime_error();
    assert_null(nnc_dataset_from_classes(x, two, 0, 1, 2, NULL));
    assert_fresh_error();
    prime_error();
    assert_null(nnc_dataset_from_classes(NULL, two, 5, 1, 2, NULL));
    assert_fresh_error();
    nnc_dataset_free(reg);
    nnc_dataset_free(d2);
    nnc_dataset_free(d3);
}

static void test_dataset_subset(void **state)
{
    (void)state;
    const float x[5][2] = { { 0, 10 }, { 1, 11 }, { 2, 12 }, { 3, 13 }, { 4, 14 } };
    const int c[5] = { 0, 1, 2, 1, 0 };
    const char *labels[3] = { "a", "b", "c" };
    nnc_dataset *data = nnc_dataset_from_classes(&x[0][0], c, 5, 2, 3, labels);
    const size_t index[3] = { 4, 0, 2 };
    nnc_dataset *sub = nnc_dataset_subset(data, index, 3);
    assert_non_null(sub);
    assert_int_equal(nnc_dataset_rows(sub), 3);
    assert_int_equal(nnc_dataset_inputs(sub), 2);
    assert_int_equal(nnc_dataset_targets(sub), 3);
    assert_int_equal(nnc_dataset_classes(sub), 3);
    assert_int_equal(nnc_dataset_task(sub), NNC_TASK_CLASSIFICATION);
    for (int k = 0; k < 3; k++)
        assert_string_equal(nnc_dataset_class_label(sub, k), labels[k]);
    assert_string_equal(nnc_dataset_input_name(sub, 1), "x1");
    float *gx, *gy;
    gather_all(sub, &gx, &gy);
    for (int i = 0; i < 3; i++) {
        assert_true(gx[2 * i] == x[index[i]][0] && gx[2 * i + 1] == x[index[i]][1]);
        assert_int_equal(nnc_dataset_class_of(sub, i), c[index[i]]);
        for (int k = 0; k < 3; k++)
            assert_true(gy[3 * i + k] == (k == c[index[i]] ? 1.0f : 0.0f));
    }
    free(gx);
    free(gy);
    const size_t bad[2] = { 1, 5 };
    prime_error();
    assert_null(nnc_dataset_subset(data, bad, 2));
    assert_fresh_error();
    float one[2];
    prime_error();
    assert_int_equal(nnc_dataset_gather(data, bad, 2, one, NULL), NNC_EINVAL);
    assert_fresh_error();
    nnc_dataset_free(sub);
    nnc_dataset_free(data);
}

/* Rows carry their own index as input 0, so the two sides of a split can be
 * checked for overlap and coverage. */
static void check_partition(const nnc_dataset *rest, const nnc_dataset *part, int rows)
{
    int *seen = calloc((size_t)rows, sizeof *seen);
    assert_non_null(seen);
    const nnc_dataset *sides[2] = { rest, part };
    for (int s = 0; s < 2; s++) {
        float *x, *y;
        gather_all(sides[s], &x, &y);
        int in = nnc_dataset_inputs(sides[s]);
        for (int i = 0; i < nnc_dataset_rows(sides[s]); i++) {
            int id = (int)x[(size_t)i * in];
            assert_in_range(id, 0, rows - 1);
            seen[id]++;
            /* The row travelled whole: its second input and its class agree. */
            assert_true(x[(size_t)i * in + 1] == (float)(id * 3 % 7));
            if (nnc_dataset_task(sides[s]) == NNC_TASK_CLASSIFICATION)
                assert_int_equal(nnc_dataset_class_of(sides[s], i), id < rows * 4 / 5 ? 0 : 1);
        }
        free(x);
        free(y);
    }
    for (int i = 0; i < rows; i++)
        if (seen[i] != 1)
            fail_msg("row %d is in %d sides of the split", i, seen[i]);
    free(seen);
}

/* rows rows, x = (index, index * 3 mod 7); classification: the first 80 %
 * class 0, the rest class 1. */
static nnc_dataset *indexed_data(int rows, int classify)
{
    float *x = malloc((size_t)rows * 2 * sizeof *x), *y = malloc((size_t)rows * sizeof *y);
    int *c = malloc((size_t)rows * sizeof *c);
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(c);
    for (int i = 0; i < rows; i++) {
        x[2 * i] = (float)i;
        x[2 * i + 1] = (float)(i * 3 % 7);
        y[i] = (float)i * 0.5f;
        c[i] = i < rows * 4 / 5 ? 0 : 1;
    }
    nnc_dataset *data = classify ? nnc_dataset_from_classes(x, c, rows, 2, 2, NULL)
                                 : nnc_dataset_from_arrays(x, y, rows, 2, 1);
    free(x);
    free(y);
    free(c);
    assert_non_null(data);
    return data;
}

static void test_split_sizes_and_coverage(void **state)
{
    (void)state;
    nnc_dataset *data = indexed_data(10, 0);
    /* fraction -> round(fraction * 10) rows in part */
    const double fractions[4] = { 0.3, 0.25, 0.5, 0.84 };
    const int expect[4] = { 3, 3, 5, 8 };
    for (int k = 0; k < 4; k++) {
        nnc_rng rng;
        nnc_rng_seed(&rng, 100 + (uint64_t)k);
        nnc_dataset *rest = NULL, *part = NULL;
        assert_int_equal(nnc_dataset_split(data, fractions[k], &rng, &rest, &part), NNC_OK);
        assert_int_equal(nnc_dataset_rows(part), expect[k]);
        assert_int_equal(nnc_dataset_rows(rest), 10 - expect[k]);
        check_partition(rest, part, 10);
        nnc_dataset_free(rest);
        nnc_dataset_free(part);
    }
    nnc_dataset_free(data);
}

static void test_split_stratified(void **state)
{
    (void)state;
    nnc_dataset *data = indexed_data(100, 1);   /* 80 of class 0, 20 of class 1 */
    nnc_rng rng;
    nnc_rng_seed(&rng, 42);
    nnc_dataset *rest = NULL, *part = NULL;
    assert_int_equal(nnc_dataset_split(data, 0.25, &rng, &rest, &part), NNC_OK);
    assert_int_equal(nnc_dataset_rows(part), 25);
    assert_int_equal(nnc_dataset_rows(rest), 75);
    int count[2][2] = { { 0 } };
    for (int i = 0; i < 25; i++)
        count[0][nnc_dataset_class_of(part, i)]++;
    for (int i = 0; i < 75; i++)
        count[1][nnc_dataset_class_of(rest, i)]++;
    assert_int_equal(count[0][0], 20);
    assert_int_equal(count[0][1], 5);
    assert_int_equal(count[1][0], 60);
    assert_int_equal(count[1][1], 15);
    assert_int_equal(nnc_dataset_classes(part), 2);
    assert_string_equal(nnc_dataset_class_label(rest, 1), "1");
    check_partition(rest, part, 100);

    /* The part is a random sample of each class, not its first rows. */
    float *x, *y;
    gather_all(part, &x, &y);
    int first_rows = 0;
    for (int i = 0; i < 25; i++)
        first_rows += x[2 * i] < 20.0f || (x[2 * i] >= 80.0f && x[2 * i] < 85.0f);
    assert_true(first_rows < 25);
    free(x);
    free(y);

    /* The same seed gives the same split; another seed another one. */
    nnc_rng same, other;
    nnc_rng_seed(&same, 42);
    nnc_rng_seed(&other, 43);
    nnc_dataset *rest2, *part2, *rest3, *part3;
    assert_int_equal(nnc_dataset_split(data, 0.25, &same, &rest2, &part2), NNC_OK);
    assert_int_equal(nnc_dataset_split(data, 0.25, &other, &rest3, &part3), NNC_OK);
    float *a, *ay, *b, *by, *c, *cy;
    gather_all(part, &a, &ay);
    gather_all(part2, &b, &by);
    gather_all(part3, &c, &cy);
    assert_memory_equal(a, b, 25 * 2 * sizeof(float));
    assert_true(memcmp(a, c, 25 * 2 * sizeof(float)) != 0);
    free(a);
    free(ay);
    free(b);
    free(by);
    free(c);
    free(cy);
    nnc_dataset_free(rest2);
    nnc_dataset_free(part2);
    nnc_dataset_free(rest3);
    nnc_dataset_free(part3);

    /* Three classes 60/30/10, a fifth: 12/6/2. */
    float x3[100];
    int c3[100];
    for (int i = 0; i < 100; i++) {
        x3[i] = (float)i;
        c3[i] = i < 60 ? 0 : i < 90 ? 1 : 2;
    }
    nnc_dataset *d3 = nnc_dataset_from_classes(x3, c3, 100, 1, 3, NULL);
    nnc_dataset *r3, *p3;
    assert_int_equal(nnc_dataset_split(d3, 0.2, &rng, &r3, &p3), NNC_OK);
    int n3[3] = { 0 };
    for (int i = 0; i < nnc_dataset_rows(p3); i++)
        n3[nnc_dataset_class_of(p3, i)]++;
    assert_int_equal(nnc_dataset_rows(p3), 20);
    assert_int_equal(n3[0], 12);
    assert_int_equal(n3[1], 6);
    assert_int_equal(n3[2], 2);
    nnc_dataset_free(r3);
    nnc_dataset_free(p3);
    nnc_dataset_free(d3);
    nnc_dataset_free(rest);
    nnc_dataset_free(part);
    nnc_dataset_free(data);
}

static void test_split_bad_fractions(void **state)
{
    (void)state;
    nnc_dataset *data = indexed_data(3, 0);
    nnc_rng rng;
    nnc_rng_seed(&rng, 1);
    /* 0.1 of 3 rounds to 0 rows, 0.9 of 3 to all 3: one side would be empty. */
    const double bad[] = { 0.0, 1.0, 1.5, -0.25, NAN, 0.1, 0.9 };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        nnc_dataset *rest = data, *part = data;   /* must come back NULL */
        prime_error();
        if (nnc_dataset_split(data, bad[k], &rng, &rest, &part) != NNC_EINVAL)
            fail_msg("split accepted fraction %g of 3 rows", bad[k]);
        assert_fresh_error();
        assert_null(rest);
        assert_null(part);
    }
    nnc_dataset *rest, *part;
    assert_int_equal(nnc_dataset_split(data, 0.5, NULL, &rest, &part), NNC_EINVAL);
    assert_int_equal(nnc_dataset_split(NULL, 0.5, &rng, &rest, &part), NNC_EINVAL);
    /* 0.5 of 3 rounds to 2. */
    assert_int_equal(nnc_dataset_split(data, 0.5, &rng, &rest, &part), NNC_OK);
    assert_int_equal(nnc_dataset_rows(part), 2);
    assert_int_equal(nnc_dataset_rows(rest), 1);
    nnc_dataset_free(rest);
    nnc_dataset_free(part);
    nnc_dataset_free(data);
}

/* --------------------------------------------------------------- models */

static void test_model_new_checks_shapes(void **state)
{
    (void)state;
    nnc_dataset *data = columns_data(11, NNC_TASK_CLASSIFICATION);   /* 4 inputs, 3 classes */
    nnc_normalizer *norm = nnc_normalizer_fit(data, NNC_SCALE_STANDARD);
    nnc_net *wrong_in = one_layer(3, 3, NNC_SOFTMAX, NNC_LOSS_SOFTMAX_CROSS_ENTROPY);
    nnc_net *wrong_out = one_layer(4, 2, NNC_SOFTMAX, NNC_LOSS_SOFTMAX_CROSS_ENTROPY);
    nnc_net *right = one_layer(4, 3, NNC_SOFTMAX, NNC_LOSS_SOFTMAX_CROSS_ENTROPY);
    nnc_dataset *narrow = nnc_dataset_from_arrays((const float[]){ 1, 2, 3, 4 },
                                                  (const float[]){ 1, 2 }, 2, 2, 1);
    nnc_normalizer *narrow_norm = nnc_normalizer_fit(narrow, NNC_SCALE_STANDARD);
    prime_error();
    assert_null(nnc_model_new(wrong_in, norm, data));
    assert_fresh_error();
    prime_error();
    assert_null(nnc_model_new(wrong_out, NULL, data));
    assert_fresh_error();
    prime_error();
    assert_null(nnc_model_new(right, narrow_norm, data));
    assert_fresh_error();
    assert_null(nnc_model_new(NULL, norm, data));
    assert_null(nnc_model_new(right, norm, NULL));
    /* Nothing was taken: all of them are still ours to use and free. */
    assert_int_equal(nnc_net_inputs(wrong_in), 3);
    assert_int_equal(nnc_normalizer_kind(narrow_norm), NNC_SCALE_STANDARD);

    nnc_model *model = nnc_model_new(right, norm, data);
    assert_non_null(model);
    assert_ptr_equal(nnc_model_net(model), right);
    assert_ptr_equal(nnc_model_normalizer(model), norm);
    assert_int_equal(nnc_model_task(model), NNC_TASK_CLASSIFICATION);
    assert_int_equal(nnc_model_inputs(model), 4);
    assert_int_equal(nnc_model_classes(model), 3);
    assert_string_equal(nnc_model_input_name(model, 3), "x3");
    assert_null(nnc_model_input_name(model, 4));
    assert_string_equal(nnc_model_class_label(model, 2), "2");
    assert_null(nnc_model_class_label(model, 3));
    nnc_model_free(model);   /* frees right and norm */
    nnc_model_free(NULL);
    nnc_net_free(wrong_in);
    nnc_net_free(wrong_out);
    nnc_normalizer_free(narrow_norm);
    nnc_dataset_free(narrow);
    nnc_dataset_free(data);
}

/* A normaliser whose targets do not match the data the model is made for
 * would later make nnc_model_predict restore the wrong number of columns
 * (past the end of out) or rescale class probabilities. */
static void test_model_new_checks_normalizer_targets(void **state)
{
    (void)state;
    const float x[6] = { 1, 10, 2, 20, 3, 35 }, y2[6] = { 1, 5, 2, 7, 4, 9 };
    const float y1[3] = { 1, 2, 4 };
    const int c[3] = { 0, 1, 1 };
    nnc_dataset *two_targets = nnc_dataset_from_arrays(x, y2, 3, 2, 2);
    nnc_dataset *one_target = nnc_dataset_from_arrays(x, y1, 3, 2, 1);
    nnc_dataset *binary = nnc_dataset_from_classes(x, c, 3, 2, 2, NULL);
    const char *problems[2] = { NULL, NULL };

    nnc_normalizer *norm = nnc_normalizer_fit(two_targets, NNC_SCALE_STANDARD);
    nnc_net *net = one_layer(2, 1, NNC_IDENTITY, NNC_LOSS_MSE);
    nnc_model *model = nnc_model_new(net, norm, one_target);
    if (model != NULL) {
        problems[0] = "a normaliser for 2 regression targets accepted for 1";
        nnc_model_free(model);
    } else {
        nnc_net_free(net);
        nnc_normalizer_free(norm);
    }

    norm = nnc_normalizer_fit(one_target, NNC_SCALE_STANDARD);
    net = one_layer(2, 1, NNC_SIGMOID, NNC_LOSS_BINARY_CROSS_ENTROPY);
    model = nnc_model_new(net, norm, binary);
    if (model != NULL) {
        problems[1] = "a normaliser that standardises regression targets accepted for a "
                      "classification model";
        nnc_model_free(model);
    } else {
        nnc_net_free(net);
        nnc_normalizer_free(norm);
    }
    nnc_dataset_free(two_targets);
    nnc_dataset_free(one_target);
    nnc_dataset_free(binary);
    if (problems[0] || problems[1])
        fail_msg("nnc_model_new: %s%s%s", problems[0] ? problems[0] : "",
                 problems[0] && problems[1] ? "; " : "", problems[1] ? problems[1] : "");
}

static void test_model_metadata(void **state)
{
    (void)state;
    nnc_dataset *data = line_data(1.0);
    nnc_model *model = nnc_model_new(one_layer(1, 1, NNC_IDENTITY, NNC_LOSS_MSE), NULL, data);
    assert_non_null(model);
    assert_int_equal(nnc_model_meta_count(model), 0);
    assert_null(nnc_model_meta(model, "optimizer"));
    assert_int_equal(nnc_model_set_meta(model, "optimizer", "adam"), NNC_OK);
    assert_int_equal(nnc_model_set_meta(model, "epochs", "10"), NNC_OK);
    assert_int_equal(nnc_model_set_meta(model, "data", ""), NNC_OK);
    assert_int_equal(nnc_model_meta_count(model), 3);
    assert_string_equal(nnc_model_meta(model, "epochs"), "10");
    assert_string_equal(nnc_model_meta(model, "data"), "");
    /* Replacing keeps the count and the order. */
    char value[8] = "20";
    assert_int_equal(nnc_model_set_meta(model, "epochs", value), NNC_OK);
    value[0] = '9';   /* the model keeps a copy */
    assert_int_equal(nnc_model_meta_count(model), 3);
    assert_string_equal(nnc_model_meta(model, "epochs"), "20");
    assert_string_equal(nnc_model_meta_key(model, 0), "optimizer");
    assert_string_equal(nnc_model_meta_value(model, 0), "adam");
    assert_string_equal(nnc_model_meta_key(model, 1), "epochs");
    assert_string_equal(nnc_model_meta_value(model, 1), "20");
    assert_string_equal(nnc_model_meta_key(model, 2), "data");
    assert_null(nnc_model_meta_key(model, 3));
    assert_null(nnc_model_meta_value(model, -1));
    assert_null(nnc_model_meta(model, "Epochs"));
    assert_null(nnc_model_meta(model, NULL));
    prime_error();
    assert_int_equal(nnc_model_set_meta(model, "", "x"), NNC_EINVAL);
    assert_fresh_error();
    assert_int_equal(nnc_model_set_meta(model, NULL, "x"), NNC_EINVAL);
    assert_int_equal(nnc_model_set_meta(model, "k", NULL), NNC_EINVAL);
    assert_int_equal(nnc_model_meta_count(model), 3);
    nnc_model_free(model);
    nnc_dataset_free(data);
}

/* Regression: y = 3 x0 - x1 + 7 + noise on raw columns of very different
 * ranges, standardised; a hand-set 2-1 identity network. */
static nnc_dataset *raw_regression(uint64_t seed, int rows, int targets)
{
    float *x = malloc((size_t)rows * 2 * sizeof *x);
    float *y = malloc((size_t)rows * (size_t)targets * sizeof *y);
    assert_non_null(x);
    assert_non_null(y);
    nnc_rng rng;
    nnc_rng_seed(&rng, seed);
    for (int i = 0; i < rows; i++) {
        x[2 * i] = (float)(5.0 + 10.0 * nnc_rng_uniform(&rng));
        x[2 * i + 1] = (float)(-2.0 + 3.0 * nnc_rng_normal(&rng));
        for (int t = 0; t < targets; t++)
            y[(size_t)i * targets + t] =
                (float)((3.0 * x[2 * i] - x[2 * i + 1] + 7.0) * (t == 0 ? 1.0 : 25.0) +
                        nnc_rng_normal(&rng));
    }
    nnc_dataset *data = nnc_dataset_from_arrays(x, y, rows, 2, targets);
    free(x);
    free(y);
    assert_non_null(data);
    return data;
}

static void test_model_predict_raw_regression(void **state)
{
    (void)state;
    nnc_dataset *data = raw_regression(12, 30, 1);
    float *x, *y;
    gather_all(data, &x, &y);
    double mean[2], std[2], y_mean, y_std;
    for (int j = 0; j < 2; j++)
        column_stats(x, 30, 2, j, &mean[j], &std[j]);
    column_stats(y, 30, 1, 0, &y_mean, &y_std);

    nnc_net *net = one_layer(2, 1, NNC_IDENTITY, NNC_LOSS_MSE);
    nnc_net_weights(net, 0)[0] = 0.5f;
    nnc_net_weights(net, 0)[1] = -0.25f;
    nnc_net_bias(net, 0)[0] = 0.1f;
    nnc_model *model = nnc_model_new(net, nnc_normalizer_fit(data, NNC_SCALE_STANDARD), data);
    assert_non_null(model);
    assert_int_equal(nnc_model_task(model), NNC_TASK_REGRESSION);
    assert_int_equal(nnc_model_classes(model), 0);

    float raw[5 * 2], keep[5 * 2], out[5];
    memcpy(raw, x, sizeof raw);
    memcpy(keep, raw, sizeof raw);
    assert_int_equal(nnc_model_predict(model, raw, 5, out), NNC_OK);
    assert_memory_equal(raw, keep, sizeof raw);   /* the caller's rows are untouched */
    for (int i = 0; i < 5; i++) {
        double z = 0.5 * (raw[2 * i] - mean[0]) / std[0] -
                   0.25 * (raw[2 * i + 1] - mean[1]) / std[1] + (double)0.1f;
        double expect = z * y_std + y_mean;
        assert_close(out[i], expect, 1e-5 * fabs(expect) + 1e-5, "raw regression prediction");
    }
    prime_error();
    assert_int_equal(nnc_model_predict(model, raw, 0, out), NNC_EINVAL);
    assert_fresh_error();
    assert_int_equal(nnc_model_predict(model, NULL, 1, out), NNC_EINVAL);
    nnc_model_free(model);
    free(x);
    free(y);
    nnc_dataset_free(data);
}

static void test_model_predict_raw_classes(void **state)
{
    (void)state;
    nnc_dataset *data = columns_data(13, NNC_TASK_CLASSIFICATION);   /* 4 inputs, 3 classes */
    float *x, *y;
    gather_all(data, &x, &y);
    double mean[NCOLS], std[NCOLS];
    for (int j = 0; j < NCOLS; j++)
        column_stats(x, NROWS, NCOLS, j, &mean[j], &std[j]);
    std[3] = 1.0;   /* the constant column keeps scale 1 */
    nnc_net *net = one_layer(NCOLS, 3, NNC_SOFTMAX, NNC_LOSS_SOFTMAX_CROSS_ENTROPY);
    float *w = nnc_net_weights(net, 0), *b = nnc_net_bias(net, 0);
    for (int k = 0; k < 3 * NCOLS; k++)
        w[k] = (float)(0.3 * ((k * 7) % 5) - 0.6);
    for (int k = 0; k < 3; k++)
        b[k] = (float)(0.1 * k);
    nnc_model *model = nnc_model_new(net, nnc_normalizer_fit(data, NNC_SCALE_STANDARD), data);
    assert_non_null(model);
    float out[6 * 3];
    assert_int_equal(nnc_model_predict(model, x, 6, out), NNC_OK);
    for (int i = 0; i < 6; i++) {
        double z[3], denom = 0.0;
        for (int k = 0; k < 3; k++) {
            z[k] = b[k];
            for (int j = 0; j < NCOLS; j++)
                z[k] += w[k * NCOLS + j] * (x[i * NCOLS + j] - mean[j]) / std[j];
            denom += exp(z[k]);
        }
        for (int k = 0; k < 3; k++)
            assert_close(out[i * 3 + k], exp(z[k]) / denom, 1e-5, "raw class probability");
    }
    nnc_model_free(model);
    free(x);
    free(y);
    nnc_dataset_free(data);
}

/* nnc_model_evaluate on raw data against nnc_evaluate_metrics on a copy
 * normalised by hand; the caller's data must come out as it went in. */
static void test_model_evaluate_raw(void **state)
{
    (void)state;
    for (int task = 0; task < 2; task++) {
        nnc_dataset *data = task == 0 ? columns_data(14, NNC_TASK_CLASSIFICATION)
                                      : raw_regression(15, 40, 1);
        int in = nnc_dataset_inputs(data), outs = nnc_dataset_targets(data);
        nnc_net *net = nnc_net_new(in);
        assert_int_equal(nnc_net_add_dense(net, 5, NNC_TANH), NNC_OK);
        assert_int_equal(nnc_net_add_dense(net, outs, task == 0 ? NNC_SOFTMAX : NNC_IDENTITY),
                         NNC_OK);
        assert_int_equal(nnc_net_set_loss(net, task == 0 ? NNC_LOSS_SOFTMAX_CROSS_ENTROPY
                                                         : NNC_LOSS_MSE),
                         NNC_OK);
        nnc_rng rng;
        nnc_rng_seed(&rng, 16);
        assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, &rng), NNC_OK);
        nnc_normalizer *norm = nnc_normalizer_fit(data, NNC_SCALE_STANDARD);
        nnc_model *model = nnc_model_new(net, norm, data);
        assert_non_null(model);

        float *bx, *by;
        gather_all(data, &bx, &by);
        nnc_dataset *scaled = copy_of(data);
        assert_int_equal(nnc_normalizer_apply(norm, scaled), NNC_OK);
        nnc_metrics expect, got;
        int ce[9], cg[9];
        assert_int_equal(nnc_evaluate_metrics(net, scaled, nnc_normalizer_target_scale(norm),
                                              &expect, task == 0 ? ce : NULL),
                         NNC_OK);
        assert_int_equal(nnc_model_evaluate(model, data, &got, task == 0 ? cg : NULL), NNC_OK);
        assert_int_equal(got.rows, expect.rows);
        assert_true(got.loss == expect.loss);
        assert_true(got.accuracy == expect.accuracy);
        assert_true(got.mse == expect.mse && got.mae == expect.mae && got.r2 == expect.r2);
        if (task == 0)
            assert_memory_equal(ce, cg, sizeof ce);

        float *ax, *ay;
        gather_all(data, &ax, &ay);
        int rows = nnc_dataset_rows(data);
        assert_memory_equal(ax, bx, (size_t)rows * in * sizeof(float));
        assert_memory_equal(ay, by, (size_t)rows * outs * sizeof(float));

        if (task == 1) {
            /* In target units, against the model's own raw predictions. */
            float *pred = malloc((size_t)rows * sizeof *pred);
            assert_int_equal(nnc_model_predict(model, bx, rows, pred), NNC_OK);
            double mse, mae, r2;
            regression_reference(pred, by, rows, 1, &mse, &mae, &r2);
            assert_close(got.mse, mse, 1e-4 * mse, "model MSE in target units");
            assert_close(got.mae, mae, 1e-4 * mae, "model MAE in target units");
            assert_close(got.r2, r2, 1e-4, "model R^2");
            free(pred);
        }
        prime_error();
        nnc_dataset *narrow = nnc_dataset_from_arrays((const float[]){ 1 },
                                                      (const float[]){ 1 }, 1, 1, 1);
        assert_int_equal(nnc_model_evaluate(model, narrow, &got, NULL), NNC_EINVAL);
        assert_fresh_error();
        nnc_dataset_free(narrow);
        free(ax);
        free(ay);
        free(bx);
        free(by);
        nnc_dataset_free(scaled);
        nnc_model_free(model);
        nnc_dataset_free(data);
    }
}

/* Two regression targets in very different units (the second about 25 times
 * the first): nnc_model_evaluate promises MSE and MAE in target units. */
static void test_model_evaluate_two_targets_in_units(void **state)
{
    (void)state;
    nnc_dataset *data = raw_regression(17, 40, 2);
    nnc_net *net = one_layer(2, 2, NNC_IDENTITY, NNC_LOSS_MSE);
    const float w[4] = { 0.9f, -0.3f, 0.8f, -0.35f };
    memcpy(nnc_net_weights(net, 0), w, sizeof w);
    nnc_model *model = nnc_model_new(net, nnc_normalizer_fit(data, NNC_SCALE_STANDARD), data);
    assert_non_null(model);
    float *x, *y;
    gather_all(data, &x, &y);
    float pred[40 * 2];
    assert_int_equal(nnc_model_predict(model, x, 40, pred), NNC_OK);
    double mse, mae, r2;
    regression_reference(pred, y, 40, 2, &mse, &mae, &r2);
    nnc_metrics m;
    assert_int_equal(nnc_model_evaluate(model, data, &m, NULL), NNC_OK);
    nnc_model_free(model);
    free(x);
    free(y);
    nnc_dataset_free(data);
    assert_close(m.mse, mse, 1e-3 * mse, "two-target MSE in target units");
    assert_close(m.mae, mae, 1e-3 * mae, "two-target MAE in target units");
}

/* A model trained on float pixels with standard scaling, evaluated on byte
 * images of the same width: nnc_model_evaluate must either refuse, or judge
 * the same predictions nnc_model_predict makes for those rows (normalised).
 * Evaluating them unnormalised would score a different model. */
static void test_model_evaluate_bytes_like_predict(void **state)
{
    (void)state;
    enum { ROWS = 12, IN = 3 };
    float fx[ROWS * IN];
    int c[ROWS];
    for (int i = 0; i < ROWS; i++) {
        for (int j = 0; j < IN; j++)
            fx[i * IN + j] = (float)(((i * 5 + j * 3) % 11) / 10.0);
        c[i] = (i * 7) % 3 == 0;
    }
    nnc_dataset *floats = nnc_dataset_from_classes(fx, c, ROWS, IN, 2, NULL);
    nnc_net *net = one_layer(IN, 1, NNC_SIGMOID, NNC_LOSS_BINARY_CROSS_ENTROPY);
    const float w[IN] = { 1.0f, -1.0f, 0.5f };
    memcpy(nnc_net_weights(net, 0), w, sizeof w);
    nnc_net_bias(net, 0)[0] = -0.2f;
    nnc_model *model = nnc_model_new(net, nnc_normalizer_fit(floats, NNC_SCALE_STANDARD), floats);
    assert_non_null(model);

    nnc_dataset *img = nnc_dataset_alloc(ROWS, IN, 1, 1);
    assert_non_null(img);
    for (int i = 0; i < ROWS * IN; i++)
        img->bytes[i] = (unsigned char)((i * 37) % 256);
    assert_int_equal(nnc_dataset_set_classes(img, c, 2, NULL), NNC_OK);
    float *x, *y, out[ROWS];
    int predicted[ROWS], raw_predicted[ROWS];
    gather_all(img, &x, &y);
    assert_int_equal(nnc_model_predict(model, x, ROWS, out), NNC_OK);
    nnc_output_classes(out, ROWS, 1, predicted);
    int right = 0;
    for (int i = 0; i < ROWS; i++)
        right += predicted[i] == c[i];
    /* The same rows without normalisation give other classes. */
    assert_int_equal(nnc_predict(nnc_model_net(model), x, ROWS, out), NNC_OK);
    nnc_output_classes(out, ROWS, 1, raw_predicted);
    int differ = memcmp(predicted, raw_predicted, sizeof predicted) != 0;

    nnc_metrics m;
    memset(&m, 0, sizeof m);
    nnc_status st = nnc_model_evaluate(model, img, &m, NULL);
    free(x);
    free(y);
    nnc_model_free(model);
    nnc_dataset_free(img);
    nnc_dataset_free(floats);
    assert_true(differ);
    if (st == NNC_OK && fabs(m.accuracy - (double)right / ROWS) > 1e-12)
        fail_msg("nnc_model_evaluate on byte data skipped the model's standard scaling: "
                 "accuracy %.4f, nnc_model_predict's %.4f",
                 m.accuracy, (double)right / ROWS);
    assert_true(st == NNC_OK || st == NNC_EINVAL);
}

/* ----------------------------------------------------- learning for real */

typedef enum { WITH_ADAM, WITH_MOMENTUM, WITH_SGD_DECAY } optimizer_choice;

/* Three blobs, 300 training and 150 validation points, standardised; a
 * 2-8-3 network (tanh, softmax). Returns the validation accuracy and the sum
 * of squared weights. */
static double learn_blobs(optimizer_choice which, float decay, double *before, double *weights)
{
    nnc_rng rng;
    nnc_rng_seed(&rng, 2024);
    nnc_dataset *train = blobs(&rng, 100, 0.8), *val = blobs(&rng, 50, 0.8);
    nnc_normalizer *norm = nnc_normalizer_fit(train, NNC_SCALE_STANDARD);
    assert_int_equal(nnc_normalizer_apply(norm, train), NNC_OK);
    assert_int_equal(nnc_normalizer_apply(norm, val), NNC_OK);
    nnc_net *net = nnc_net_new(2);
    assert_int_equal(nnc_net_add_dense(net, 8, NNC_TANH), NNC_OK);
    assert_int_equal(nnc_net_add_dense(net, 3, NNC_SOFTMAX), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_SOFTMAX_CROSS_ENTROPY), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, &rng), NNC_OK);
    nnc_metrics m;
    assert_int_equal(nnc_evaluate_metrics(net, val, 1.0, &m, NULL), NNC_OK);
    *before = m.accuracy;

    nnc_optimizer *opt = which == WITH_ADAM       ? nnc_adam_new(0.01f, 0.9f, 0.999f, 1e-8f)
                         : which == WITH_MOMENTUM ? nnc_momentum_new(0.05f, 0.9f)
                                                  : nnc_sgd_new(0.2f);
    assert_non_null(opt);
    assert_int_equal(nnc_optimizer_set_weight_decay(opt, decay), NNC_OK);
    nnc_fit_options o = nnc_fit_defaults();
    o.epochs = 30;
    o.batch_size = 16;
    o.validation = val;
    nnc_fit_result result;
    assert_int_equal(nnc_fit(net, opt, train, &o, &rng, &result), NNC_OK);
    assert_int_equal(result.epochs_run, 30);
    assert_int_equal(result.stopped_early, 0);
    assert_int_equal(result.val.rows, 150);
    assert_int_equal(result.train.rows, 300);
    assert_true(result.train.loss < 0.3);
    int confusion[9];
    assert_int_equal(nnc_evaluate_metrics(net, val, 1.0, &m, confusion), NNC_OK);
    assert_true(m.accuracy == result.val.accuracy);
    int diagonal = confusion[0] + confusion[4] + confusion[8];
    assert_int_equal(diagonal, (int)lround(m.accuracy * 150));
    *weights = 0.0;
    for (int l = 0; l < 2; l++) {
        const float *wl = nnc_net_weights(net, l);
        int n = nnc_net_layer_units(net, l) * (l ? nnc_net_layer_units(net, 0) : 2);
        for (int i = 0; i < n; i++)
            *weights += (double)wl[i] * wl[i];
    }
    nnc_optimizer_free(opt);
    nnc_net_free(net);
    nnc_normalizer_free(norm);
    nnc_dataset_free(train);
    nnc_dataset_free(val);
    return m.accuracy;
}

static void test_learns_blobs_adam(void **state)
{
    (void)state;
    double before, weights;
    double acc = learn_blobs(WITH_ADAM, 0.0f, &before, &weights);
    if (!(acc > 0.95))
        fail_msg("Adam: validation accuracy %.3f (untrained %.3f)", acc, before);
    assert_true(before < 0.9);
}

static void test_learns_blobs_momentum(void **state)
{
    (void)state;
    double before, weights;
    double acc = learn_blobs(WITH_MOMENTUM, 0.0f, &before, &weights);
    if (!(acc > 0.95))
        fail_msg("momentum: validation accuracy %.3f (untrained %.3f)", acc, before);
}

static void test_learns_blobs_sgd_decay(void **state)
{
    (void)state;
    double before, plain, decayed;
    double acc = learn_blobs(WITH_SGD_DECAY, 0.01f, &before, &decayed);
    if (!(acc > 0.95))
        fail_msg("SGD with weight decay: validation accuracy %.3f", acc);
    (void)learn_blobs(WITH_SGD_DECAY, 0.0f, &before, &plain);
    /* The same run without decay ends with larger weights. */
    if (!(decayed < plain))
        fail_msg("weight decay: sum of squared weights %g, without decay %g", decayed, plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_one_step),
        cmocka_unit_test(test_momentum_two_steps),
        cmocka_unit_test(test_adam_three_steps),
        cmocka_unit_test(test_weight_decay_skips_biases),
        cmocka_unit_test(test_learning_rate_setter),
        cmocka_unit_test(test_optimizer_bad_arguments),
        cmocka_unit_test(test_optimizer_refuses_other_network),
        cmocka_unit_test(test_schedule_constant),
        cmocka_unit_test(test_schedule_step),
        cmocka_unit_test(test_schedule_cosine),
        cmocka_unit_test(test_schedule_cosine_to_zero),
        cmocka_unit_test(test_fit_bad_options),
        cmocka_unit_test(test_early_stopping_restores_best),
        cmocka_unit_test(test_callback_stops_and_patience_needs_validation),
        cmocka_unit_test(test_epoch_metrics_are_running_means),
        cmocka_unit_test(test_resume_at_the_end_measures_the_weights),
        cmocka_unit_test(test_loader_batches_and_failure),
        cmocka_unit_test(test_metrics_three_classes),
        cmocka_unit_test(test_metrics_binary_sigmoid),
        cmocka_unit_test(test_output_classes),
        cmocka_unit_test(test_metrics_regression),
        cmocka_unit_test(test_metrics_r2_two_targets),
        cmocka_unit_test(test_normalize_standard),
        cmocka_unit_test(test_normalize_minmax),
        cmocka_unit_test(test_normalize_fitted_on_other_data),
        cmocka_unit_test(test_normalize_regression_targets),
        cmocka_unit_test(test_normalize_none_and_bad_calls),
        cmocka_unit_test(test_normalize_failed_apply_leaves_data),
        cmocka_unit_test(test_normalize_image_data),
        cmocka_unit_test(test_dataset_from_classes),
        cmocka_unit_test(test_dataset_subset),
        cmocka_unit_test(test_split_sizes_and_coverage),
        cmocka_unit_test(test_split_stratified),
        cmocka_unit_test(test_split_bad_fractions),
        cmocka_unit_test(test_model_new_checks_shapes),
        cmocka_unit_test(test_model_new_checks_normalizer_targets),
        cmocka_unit_test(test_model_metadata),
        cmocka_unit_test(test_model_predict_raw_regression),
        cmocka_unit_test(test_model_predict_raw_classes),
        cmocka_unit_test(test_model_evaluate_raw),
        cmocka_unit_test(test_model_evaluate_two_targets_in_units),
        cmocka_unit_test(test_model_evaluate_bytes_like_predict),
        cmocka_unit_test(test_learns_blobs_adam),
        cmocka_unit_test(test_learns_blobs_momentum),
        cmocka_unit_test(test_learns_blobs_sgd_decay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

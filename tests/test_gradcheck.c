/*
 * test_gradcheck.c - every analytic derivative against finite differences.
 *
 * The library writes each derivative by hand (activations, losses, the fused
 * output gradients, the dense layer's chain rule). A central difference of the
 * corresponding forward computation needs none of that code, so agreement
 * shows the hand-written derivative is the derivative of what the forward pass
 * computes: a sign error, a missing factor 2, a wrong reduction or a dropped
 * term of the softmax Jacobian each show up as an error of order 1, far above
 * the tolerances below.
 *
 * Checked: each activation's backward (a Jacobian-vector product with a random
 * upstream gradient), each loss's backward, and every parameter and input
 * gradient of several multi-layer networks, with one row and with a batch,
 * covering both fused output gradients (softmax + cross-entropy, sigmoid +
 * binary cross-entropy) and the unfused path through softmax's full Jacobian;
 * networks at the sizes that take each of the dense layer's kernels (loops,
 * the single-row loop, BLAS) and each fused plain-SGD step, whose update is
 * read back as a gradient. Each check prints its worst relative error.
 * Where a finite difference cannot look - ReLU exactly at its kink, the
 * losses where the probability clamp holds - exact values are asserted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnc.h"


#define SEED 20240611u

/* How one family of checks differentiates numerically and how close it must
 * agree. A central difference with step h is f' + c h^2 + O(h^4); the
 * Richardson combination of steps h and 2h cancels the h^2 term, so a fairly
 * large step keeps truncation small while dividing rounding noise by a large h.
 * The step is rel_step * max(|value|, min_scale). */
typedef struct fd_scheme {
    double rel_step, min_scale;
    double noise_ulps;   /* rounding error of the objective, in FLT_EPSILON * max(|f|, 1) */
    double tol;          /* largest relative error accepted */
} fd_scheme;

/* Activations and networks run their forward pass in float32: the objective
 * is off by some FLT_EPSILON * max(|f|, 1), and a step h makes that an error
 * of the same over h in the derivative. Measured over 200 seeds at this step,
 * the worst was 2.6 of those units (median 0.2), so 8 bounds it with a margin;
 * entries that small (about 5e-5 absolute for a loss of 1) are checked only
 * to that absolute noise. Above it the worst relative error over 500 seeds
 * was 2.6e-3 (6e-4 with this one, printed below); a tolerance of 1e-2 leaves
 * a margin and still fails a sign error, a factor 2 or a missing 1/rows by a
 * factor of 30 or more. */
static const fd_scheme FLOAT_FD = {2e-2, 1.0, 8.0, 1e-2};

/* A loss is summed in double from float predictions, so its objective has no
 * float32 noise and the extrapolation leaves only ~1e-8 of truncation at a
 * step of 1e-3 of the value (of 1e-3 * 0.01 at least, for probabilities). The
 * analytic dpred, rounded to float (6e-8), is the larger error; 1e-5 is far
 * above both and far below any real mistake. */
static const fd_scheme LOSS_FD = {1e-3, 1e-2, 0.0, 1e-5};

/* Entries this far below the largest of their gradient are judged against
 * that fraction of it instead of their own size: float32 rounding, in the
 * analytic gradient and in the forward passes, is absolute on the gradient's
 * scale, so a near-dead unit or a cancelled sum cannot be held to its own
 * relative precision. */
#define FLOOR_FRACTION 1e-2

/* ReLU's derivative jumps at 0: a difference that steps across the kink sees
 * neither side's slope. Inputs are drawn so that every ReLU pre-activation is
 * at least this far from 0, several times what one perturbation (at most
 * 2 * 2e-2 of a weight or input, through weights of order 0.5) can move it. */
#define KINK_MARGIN 0.25

/* ------------------------------------------------------------- comparing */

/* Compares an analytic gradient with a numeric one whose own absolute error
 * is about `noise`: the relative error of each entry is taken against the
 * larger of the two values, FLOOR_FRACTION of the largest, and noise / tol
 * (so an entry within the numeric noise passes). Prints the worst relative
 * error (and the first failing entry, if any) and returns the number of
 * entries above tol. A gradient that is zero everywhere would agree with
 * anything, so that is a failure too. */
static int compare_gradients(const char *what, const double *analytic, const double *numeric,
                             size_t n, double tol, double noise)
{
    double scale = 0.0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(numeric[i]));
    double floor_at = fmax(FLOOR_FRACTION * scale, noise / tol);
    double worst = 0.0;
    size_t worst_at = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs(analytic[i] - numeric[i]);
        double size = fmax(fmax(fabs(analytic[i]), fabs(numeric[i])), floor_at);
        /* Both exactly 0 (a ReLU that is off, a target of 0) is agreement. */
        double err = diff == 0.0 ? 0.0 : diff / size;
        if (!(err <= worst)) {   /* a NaN becomes the worst, too */
            worst = err;
            worst_at = i;
        }
        if (!(err <= tol) && bad++ == 0)
            print_message("MISMATCH %s[%zu]: analytic %.9g, numeric %.9g (rel err %.3g)\n", what,
                          i, analytic[i], numeric[i], err);
    }
    print_message("  %-52s n=%-4zu scale %-9.3g worst rel err %-9.3g at [%zu]%s\n", what, n,
                  scale, worst, worst_at, bad ? "  <-- FAILED" : "");
    /* Unless the finite difference resolves at least the largest entry to
     * within tol, the check shows nothing (a gradient of zeros, say). */
    if (!(scale > noise / tol && scale > 0.0)) {
        print_message("MISMATCH %s: gradient scale %.3g is within the numeric noise %.3g\n",
                      what, scale, noise);
        bad++;
    }
    return bad;
}

static double *widen(const float *v, size_t n)
{
    double *out = malloc(n * sizeof *out);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++)
        out[i] = v[i];
    return out;
}

/* ------------------------------------------------------- finite differences */

typedef double (*objective)(void *ctx);

/* (f(v + h) - f(v - h)) / 2h, divided by the step float rounding actually
 * took, so that v +- h not being representable costs no accuracy. */
static double central_difference(float *v, double h, objective f, void *ctx)
{
    float orig = *v;
    *v = (float)(orig + h);
    double up = *v, f_up = f(ctx);
    *v = (float)(orig - h);
    double down = *v, f_down = f(ctx);
    *v = orig;
    return (f_up - f_down) / (up - down);
}

/* The derivative of f with respect to each of v[0..n) into grad, v perturbed
 * in place and restored, by (4 D(h) - D(2h)) / 3. Returns the absolute
 * rounding noise to expect in grad, for compare_gradients. */
static double numeric_gradient(const fd_scheme *fd, float *v, size_t n, objective f, void *ctx,
                               double *grad)
{
    for (size_t i = 0; i < n; i++) {
        double h = fd->rel_step * fmax(fabs((double)v[i]), fd->min_scale);
        double d1 = central_difference(&v[i], h, f, ctx);
        double d2 = central_difference(&v[i], 2 * h, f, ctx);
        grad[i] = (4 * d1 - d2) / 3;
    }
    double smallest_step = fd->rel_step * fd->min_scale;
    return fd->noise_ulps * FLT_EPSILON * fmax(fabs(f(ctx)), 1.0) / smallest_step;
}

/* ------------------------------------------------------------- random data */

static double uniform(nnc_rng *rng, double lo, double hi)
{
    return lo + (hi - lo) * nnc_rng_uniform(rng);
}

/* A magnitude in [0.25, 2] with a random sign: inside the range where the
 * activations bend, never near ReLU's kink. */
static float away_from_zero(nnc_rng *rng)
{
    double m = uniform(rng, 0.25, 2.0);
    return (float)(nnc_rng_uniform(rng) < 0.5 ? -m : m);
}

static void fill_normal(nnc_rng *rng, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)nnc_rng_normal(rng);
}

/* Rows of one-hot targets, the class drawn uniformly. */
static void fill_one_hot(nnc_rng *rng, float *t, int rows, int cols)
{
    memset(t, 0, (size_t)rows * (size_t)cols * sizeof *t);
    for (int r = 0; r < rows; r++)
        t[(size_t)r * cols + nnc_rng_below(rng, (uint64_t)cols)] = 1.0f;
}

/* Rows that are valid probability distributions, none of them tiny (a
 * softmax of normal draws), so the logarithm's curvature stays moderate. */
static void fill_probability_rows(nnc_rng *rng, float *p, int rows, int cols)
{
    for (int r = 0; r < rows; r++) {
        double e[16], sum = 0.0;
        assert_true(cols <= 16);
        for (int j = 0; j < cols; j++)
            sum += e[j] = exp(nnc_rng_normal(rng));
        for (int j = 0; j < cols; j++)
            p[(size_t)r * cols + j] = (float)(e[j] / sum);
    }
}

/* ------------------------------------------------------------- activations */

typedef struct activation_ctx {
    nnc_activation act;
    float *z, *out;
    const float *dout;
    int rows, cols;
} activation_ctx;

/* sum(dout * act(z)): its gradient with respect to z is exactly what the
 * backward pass computes from dout. */
static double activation_objective(void *p)
{
    activation_ctx *c = p;
    assert_int_equal(nnc_activation_forward(c->act, c->z, c->out, c->rows, c->cols), NNC_OK);
    double sum = 0.0;
    for (size_t i = 0; i < (size_t)c->rows * (size_t)c->cols; i++)
        sum += (double)c->dout[i] * c->out[i];
    return sum;
}

static int check_activation(nnc_activation act, nnc_rng *rng)
{
    enum { ROWS = 3, COLS = 5, N = ROWS * COLS };
    float z[N], out[N], dout[N], dz[N];
    double numeric[N];
    for (int i = 0; i < N; i++)
        z[i] = away_from_zero(rng);
    fill_normal(rng, dout, N);

    assert_int_equal(nnc_activation_forward(act, z, out, ROWS, COLS), NNC_OK);
    assert_int_equal(nnc_activation_backward(act, z, out, dout, dz, ROWS, COLS), NNC_OK);
    activation_ctx ctx = {act, z, out, dout, ROWS, COLS};
    double noise = numeric_gradient(&FLOAT_FD, z, N, activation_objective, &ctx, numeric);

    char what[64];
    snprintf(what, sizeof what, "activation %s: dz", nnc_activation_name(act));
    double *analytic = widen(dz, N);
    int bad = compare_gradients(what, analytic, numeric, N, FLOAT_FD.tol, noise);
    free(analytic);
    return bad;
}

static void test_activations(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED);
    int bad = 0;
    for (int a = 0; a < NNC_ACTIVATION_COUNT; a++)
        bad += check_activation((nnc_activation)a, &rng);
    assert_int_equal(bad, 0);
}

/* ------------------------------------------------------------------ losses */

typedef struct loss_ctx {
    nnc_loss loss;
    const float *pred, *target;
    int rows, cols;
} loss_ctx;

static double loss_objective(void *p)
{
    loss_ctx *c = p;
    double value = NAN;
    assert_int_equal(nnc_loss_forward(c->loss, c->pred, c->target, c->rows, c->cols, &value),
                     NNC_OK);
    return value;
}

/* Predictions and targets in each loss's own domain: anything for the squared
 * errors; probabilities inside (0.05, 0.95) with hard and soft targets for
 * binary cross-entropy; probability rows with one-hot targets for softmax
 * cross-entropy, whose dpred is with respect to those probabilities (each
 * perturbed alone, off the simplex, as the formula -t / p / rows implies). */
static void make_loss_data(nnc_loss loss, nnc_rng *rng, float *pred, float *target, int rows,
                           int cols)
{
    size_t n = (size_t)rows * (size_t)cols;
    switch (loss) {
    case NNC_LOSS_SQUARED_ERROR:
    case NNC_LOSS_MSE:
        fill_normal(rng, pred, n);
        fill_normal(rng, target, n);
        break;
    case NNC_LOSS_BINARY_CROSS_ENTROPY:
        for (size_t i = 0; i < n; i++) {
            pred[i] = (float)uniform(rng, 0.05, 0.95);
            target[i] = i % 3 == 2 ? (float)nnc_rng_uniform(rng) : (float)(i % 3);
        }
        break;
    case NNC_LOSS_SOFTMAX_CROSS_ENTROPY:
        fill_probability_rows(rng, pred, rows, cols);
        fill_one_hot(rng, target, rows, cols);
        break;
    }
}

static int check_loss(nnc_loss loss, nnc_rng *rng)
{
    enum { ROWS = 3, COLS = 4, N = ROWS * COLS };
    float pred[N], target[N], dpred[N];
    double numeric[N];
    make_loss_data(loss, rng, pred, target, ROWS, COLS);

    assert_int_equal(nnc_loss_backward(loss, pred, target, ROWS, COLS, dpred), NNC_OK);
    loss_ctx ctx = {loss, pred, target, ROWS, COLS};
    double noise = numeric_gradient(&LOSS_FD, pred, N, loss_objective, &ctx, numeric);

    char what[64];
    snprintf(what, sizeof what, "loss %s: dpred", nnc_loss_name(loss));
    double *analytic = widen(dpred, N);
    int bad = compare_gradients(what, analytic, numeric, N, LOSS_FD.tol, noise);
    free(analytic);
    return bad;
}

static void test_losses(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED + 1);
    int bad = 0;
    for (int l = 0; l < NNC_LOSS_COUNT; l++)
        bad += check_loss((nnc_loss)l, &rng);
    assert_int_equal(bad, 0);
}

/* ---------------------------------------------------------------- networks */

typedef struct net_spec {
    const char *name;
    int inputs;
    int n_layers;
    int units[4];
    nnc_activation act[4];
    nnc_loss loss;
    int free_targets;   /* softmax CE: targets in [0, 1) whose rows need not sum to 1 */
    int zero_blocks;    /* inputs 0-15 and 40-47 are 0, as an image's margins */
} net_spec;

typedef struct net_ctx {
    nnc_net *net;
    const float *x, *y;
    int rows;
} net_ctx;

static double net_objective(void *p)
{
    net_ctx *c = p;
    double loss = NAN;
    assert_int_equal(nnc_net_loss_value(c->net, c->x, c->y, c->rows, &loss), NNC_OK);
    return loss;
}

static nnc_net *build_net(const net_spec *spec, nnc_rng *rng)
{
    nnc_net *net = nnc_net_new(spec->inputs);
    assert_non_null(net);
    for (int l = 0; l < spec->n_layers; l++)
        assert_int_equal(nnc_net_add_dense(net, spec->units[l], spec->act[l]), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, spec->loss), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, rng), NNC_OK);
    /* Xavier leaves the biases at 0; non-zero ones make a more general test. */
    for (int l = 0; l < spec->n_layers; l++)
        for (int u = 0; u < spec->units[l]; u++)
            nnc_net_bias(net, l)[u] = (float)uniform(rng, -0.5, 0.5);
    return net;
}

/* The smallest |z| over the ReLU units of one input row, computed in double
 * from the network's own parameters (HUGE_VAL if there is no ReLU), or 0 when
 * a ReLU layer is off entirely: everything below it would have a gradient of
 * exactly 0, which checks nothing. */
enum { MAX_WIDTH = 128 };

static double relu_margin(nnc_net *net, const float *x_row)
{
    double in[MAX_WIDTH], z[MAX_WIDTH], margin = HUGE_VAL;
    int width = nnc_net_inputs(net);
    assert_true(width <= MAX_WIDTH);
    for (int i = 0; i < width; i++)
        in[i] = x_row[i];
    for (int l = 0; l < nnc_net_layer_count(net); l++) {
        int units = nnc_net_layer_units(net, l);
        nnc_activation act = nnc_net_layer_activation(net, l);
        const float *w = nnc_net_weights(net, l), *b = nnc_net_bias(net, l);
        assert_true(units <= MAX_WIDTH);
        for (int u = 0; u < units; u++) {
            z[u] = b[u];
            for (int i = 0; i < width; i++)
                z[u] += (double)w[(size_t)u * width + i] * in[i];
        }
        /* Only ReLU layers matter here, and none of these networks has a
         * softmax below its top, so the other activations can be applied
         * element-wise (softmax as identity: nothing above it is read). */
        int active = 0;
        for (int u = 0; u < units; u++) {
            if (act == NNC_RELU || act == NNC_LEAKY_RELU) {
                /* leaky_relu has the same kink at 0, only a gentler slope. */
                active += z[u] > 0;
                margin = fmin(margin, fabs(z[u]));
                in[u] = z[u] > 0 ? z[u] : (act == NNC_RELU ? 0.0 : 0.01 * z[u]);
            } else if (act == NNC_SIGMOID) {
                in[u] = nnc_sigmoid(z[u]);
            } else if (act == NNC_TANH) {
                in[u] = tanh(z[u]);
            } else {
                in[u] = z[u];
            }
        }
        if (act == NNC_RELU && active == 0)
            return 0.0;
        width = units;
    }
    return margin;
}

/* Inputs in [-1, 1], each row drawn again until all its ReLU pre-activations
 * are KINK_MARGIN away from 0 and every ReLU layer has a unit on; targets in
 * the loss's domain. */
static void make_batch(nnc_net *net, const net_spec *spec, nnc_rng *rng, float *x, float *y,
                       int rows)
{
    int outputs = nnc_net_outputs(net);
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * spec->inputs;
        int tries = 0;
        do {
            assert_true(tries++ < 1000);
            for (int i = 0; i < spec->inputs; i++)
                row[i] = (float)uniform(rng, -1.0, 1.0);
            /* Whole 8-input blocks of zeros, which the single-row kernel skips. */
            for (int i = 0; spec->zero_blocks && i < spec->inputs; i++)
                row[i] = i < 16 || (i >= 40 && i < 48) ? 0.0f : row[i];
        } while (relu_margin(net, row) < KINK_MARGIN);
    }
    size_t n_out = (size_t)rows * (size_t)outputs;
    if (spec->loss == NNC_LOSS_SOFTMAX_CROSS_ENTROPY && spec->free_targets) {
        for (size_t i = 0; i < n_out; i++)
            y[i] = (float)nnc_rng_uniform(rng);
    } else if (spec->loss == NNC_LOSS_SOFTMAX_CROSS_ENTROPY) {
        fill_one_hot(rng, y, rows, outputs);
    } else if (spec->loss == NNC_LOSS_BINARY_CROSS_ENTROPY) {
        for (size_t i = 0; i < n_out; i++)
            y[i] = nnc_rng_uniform(rng) < 0.5 ? 0.0f : 1.0f;
    } else {
        fill_normal(rng, y, n_out);
    }
}

/* Every parameter gradient and the input gradient of one network on a batch
 * of `rows`; returns the number of failing entries. */
static int check_net_batch(const net_spec *spec, int rows, nnc_rng *rng)
{
    nnc_net *net = build_net(spec, rng);
    size_t n_params = nnc_net_param_count(net);
    size_t n_x = (size_t)rows * (size_t)spec->inputs;
    size_t n_y = (size_t)rows * (size_t)nnc_net_outputs(net);
    float *x = malloc(n_x * sizeof *x), *y = malloc(n_y * sizeof *y);
    float *dx = malloc(n_x * sizeof *dx);
    double *numeric = malloc((n_params > n_x ? n_params : n_x) * sizeof *numeric);
    assert_true(x && y && dx && numeric);
    make_batch(net, spec, rng, x, y, rows);

    double loss = NAN;
    assert_int_equal(nnc_net_gradients(net, x, y, rows, &loss, dx), NNC_OK);
    double *grads = widen(nnc_net_grads(net), n_params);
    double *grad_x = widen(dx, n_x);

    net_ctx ctx = {net, x, y, rows};
    char what[96];
    double noise = numeric_gradient(&FLOAT_FD, nnc_net_params(net), n_params, net_objective,
                                    &ctx, numeric);
    snprintf(what, sizeof what, "net %s, %d row%s: params", spec->name, rows, rows > 1 ? "s" : "");
    int bad = compare_gradients(what, grads, numeric, n_params, FLOAT_FD.tol, noise);
    noise = numeric_gradient(&FLOAT_FD, x, n_x, net_objective, &ctx, numeric);
    snprintf(what, sizeof what, "net %s, %d row%s: dx", spec->name, rows, rows > 1 ? "s" : "");
    bad += compare_gradients(what, grad_x, numeric, n_x, FLOAT_FD.tol, noise);

    free(grads);
    free(grad_x);
    free(numeric);
    free(x);
    free(y);
    free(dx);
    nnc_net_free(net);
    return bad;
}

/* Each batch size of rows[0..n): a batch sums each parameter's gradient over
 * rows and divides by the loss's count, which one row cannot show. */
static void check_net_rows(const net_spec *spec, uint64_t seed, const int *rows, int n)
{
    nnc_rng rng;
    nnc_rng_seed(&rng, seed);
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += check_net_batch(spec, rows[i], &rng);
    assert_int_equal(bad, 0);
}

/* One row and a batch of six. */
static void check_net(const net_spec *spec, uint64_t seed)
{
    check_net_rows(spec, seed, (const int[]){ 1, 6 }, 2);
}

/* Softmax output with cross-entropy: the fused (p - t) / rows top gradient. */
static const net_spec SOFTMAX_NET = {
    .name = "5-7tanh-6relu-4sigmoid-3softmax/softmax_ce", .inputs = 5, .n_layers = 4,
    .units = {7, 6, 4, 3}, .act = {NNC_TANH, NNC_RELU, NNC_SIGMOID, NNC_SOFTMAX},
    .loss = NNC_LOSS_SOFTMAX_CROSS_ENTROPY};

static void test_net_softmax_cross_entropy(void **state)
{
    (void)state;
    check_net(&SOFTMAX_NET, SEED + 10);
}

/* Identity output with the mean squared error: loss then identity, unfused. */
static void test_net_mse(void **state)
{
    (void)state;
    static const net_spec spec = {
        .name = "4-6sigmoid-5tanh-2identity/mse", .inputs = 4, .n_layers = 3,
        .units = {6, 5, 2}, .act = {NNC_SIGMOID, NNC_TANH, NNC_IDENTITY}, .loss = NNC_LOSS_MSE};
    check_net(&spec, SEED + 11);
}

/* Sigmoid output with binary cross-entropy: the fused (p - t) / n gradient. */
static void test_net_binary_cross_entropy(void **state)
{
    (void)state;
    static const net_spec spec = {
        .name = "3-5tanh-4relu-2sigmoid/bce", .inputs = 3, .n_layers = 3, .units = {5, 4, 2},
        .act = {NNC_TANH, NNC_RELU, NNC_SIGMOID}, .loss = NNC_LOSS_BINARY_CROSS_ENTROPY};
    check_net(&spec, SEED + 12);
}

/* The summed squared error, not divided by the batch, through ReLU. */
static void test_net_squared_error(void **state)
{
    (void)state;
    static const net_spec spec = {
        .name = "4-6relu-3identity/squared_error", .inputs = 4, .n_layers = 2, .units = {6, 3},
        .act = {NNC_RELU, NNC_IDENTITY}, .loss = NNC_LOSS_SQUARED_ERROR};
    check_net(&spec, SEED + 13);
}

static void test_net_leaky_relu(void **state)
{
    (void)state;
    static const net_spec spec = {
        .name = "4-5tanh-4leaky_relu-3softmax/softmax_ce", .inputs = 4,
        .n_layers = 3, .units = {5, 4, 3},
        .act = {NNC_TANH, NNC_LEAKY_RELU, NNC_SOFTMAX},
        .loss = NNC_LOSS_SOFTMAX_CROSS_ENTROPY};
    check_net(&spec, SEED + 29);
}

/* leaky_relu's values and slopes on both sides of 0, against the definition
 * z > 0 ? z : 0.01 z (PyTorch's default slope), and its name round trip. */
static void test_leaky_relu_values(void **state)
{
    (void)state;
    const float z[5] = { 2.5f, -3.0f, 0.0f, -100.0f, 1e-3f };
    const float dout[5] = { 1.5f, -2.0f, 3.0f, 4.0f, -1.0f };
    float out[5], dz[5];
    assert_int_equal(nnc_activation_forward(NNC_LEAKY_RELU, z, out, 1, 5), NNC_OK);
    assert_int_equal(nnc_activation_backward(NNC_LEAKY_RELU, z, out, dout, dz, 1, 5), NNC_OK);
    for (int i = 0; i < 5; i++) {
        float slope = z[i] > 0.0f ? 1.0f : 0.01f;
        assert_float_equal(out[i], slope * z[i], 1e-6 * fabs(z[i]));
        assert_float_equal(dz[i], slope * dout[i], 1e-6 * fabs(dout[i]));
    }
    nnc_activation parsed = NNC_IDENTITY;
    assert_int_equal(nnc_activation_parse("leaky_relu", &parsed), NNC_OK);
    assert_int_equal(parsed, NNC_LEAKY_RELU);
    assert_string_equal(nnc_activation_name(NNC_LEAKY_RELU), "leaky_relu");
}

/* Softmax output under a loss it does not fuse with: the top gradient goes
 * through the loss's backward and then softmax's full Jacobian-vector
 * product, the path test_net_softmax_cross_entropy never takes. */
static void test_net_softmax_mse(void **state)
{
    (void)state;
    static const net_spec spec = {
        .name = "4-6tanh-5relu-3softmax/mse", .inputs = 4, .n_layers = 3, .units = {6, 5, 3},
        .act = {NNC_TANH, NNC_RELU, NNC_SOFTMAX}, .loss = NNC_LOSS_MSE};
    check_net(&spec, SEED + 14);
}

/* Softmax cross-entropy with target rows that do not sum to 1 (multi-label or
 * partial targets). The loss -sum(t ln p) / rows is defined for them and
 * nnc.h asks nothing more of targets, but its gradient with respect to z is
 * (p * sum(t) - t) / rows, which is the fused (p - t) / rows only when the
 * row sums to 1. This test fails while the fused path assumes it does. */
static void test_net_softmax_cross_entropy_free_targets(void **state)
{
    (void)state;
    static const net_spec spec = {
        .name = "3-4tanh-3softmax/softmax_ce, free targets", .inputs = 3, .n_layers = 2,
        .units = {4, 3}, .act = {NNC_TANH, NNC_SOFTMAX},
        .loss = NNC_LOSS_SOFTMAX_CROSS_ENTROPY, .free_targets = 1};
    check_net(&spec, SEED + 15);
}

/* ------------------------------------------------------------ kernel paths */

/* The dense layer picks its kernel by size (src/nn/layers/dense.c). With B rows, I
 * inputs and U units:
 *   B * I * U <= 4096 (TINY_WORK): plain loops forward and backward, except
 *       that one row with I >= 8 goes forward through gemv_rows, the
 *       single-row vector loop (blocks of 8 inputs, all-zero blocks skipped,
 *       4 units at a time, then the inputs and units left over);
 *   B = 1, more work: gemv_rows forward, cblas_sger (dW) and cblas_sgemv
 *       (dx) backward;
 *   B > 1, more work: cblas_sgemm forward, and twice backward (dW, dx).
 * A plain SGD step (nnc_train_step with nnc_sgd_new, no weight decay) folds
 * the update into the backward pass instead, through the layer type's fast
 * paths (src/nn/net.c, src/nn/layers/dense.c):
 *   B = 1, every layer I * U <= 256 (SMALL_LAYER_WEIGHTS), an output that
 *       fuses with the loss and is not softmax: dense_row_stack_sgd;
 *   B = 1 otherwise: dense_sgd's single-row sweep (dense_row_sgd), layer by layer;
 *   B > 1: dense_sgd, with loops when tiny, else cblas_sgemm for dx and
 *       straight into W.
 * The networks above are all tiny, so only the loops and gemv_rows; the two
 * below are sized for the rest, each layer's path named beside it. */

/* At 8 rows: 24->32 (6144 multiply-adds) and 32->20 (5120) sgemm, 20->6 and
 * 6->3 loops. At 1 row: gemv_rows forward for the first three layers (I >= 8),
 * loops for the last; loops backward. No ReLU: the kernels do not depend on
 * the activation, and a ReLU unit fed by this many saturating ones is often
 * near 0 for every input, which make_batch cannot draw around. */
static const net_spec WIDE_BATCH = {
    .name = "24-32tanh-20sigmoid-6tanh-3softmax/softmax_ce", .inputs = 24, .n_layers = 4,
    .units = {32, 20, 6, 3}, .act = {NNC_TANH, NNC_SIGMOID, NNC_TANH, NNC_SOFTMAX},
    .loss = NNC_LOSS_SOFTMAX_CROSS_ENTROPY};

/* At 1 row: 75->61 (4575 multiply-adds) gemv_rows forward over 9 blocks of
 * 8 inputs, 3 of them zero, and a tail of 3, 15 groups of 4 units and one
 * more; sger and sgemv backward. 61->3 is tiny: gemv_rows forward (only its
 * unit tail), loops backward. At 2 rows: 75->61 sgemm, 61->3 loops. */
static const net_spec WIDE_ROW = {
    .name = "75-61tanh-3identity/mse, zero blocks", .inputs = 75, .n_layers = 2,
    .units = {61, 3}, .act = {NNC_TANH, NNC_IDENTITY}, .loss = NNC_LOSS_MSE,
    .zero_blocks = 1};

static void test_net_blas_batch(void **state)
{
    (void)state;
    check_net_rows(&WIDE_BATCH, SEED + 16, (const int[]){ 1, 8 }, 2);
}

static void test_net_blas_single_row(void **state)
{
    (void)state;
    check_net_rows(&WIDE_ROW, SEED + 17, (const int[]){ 1, 2 }, 2);
}

/* Layers of 60, 72 and 12 weights, a sigmoid output with binary
 * cross-entropy: one row takes dense_row_stack_sgd, six rows dense_sgd's loops. */
static const net_spec SMALL_NET = {
    .name = "5-12tanh-6relu-2sigmoid/bce", .inputs = 5, .n_layers = 3, .units = {12, 6, 2},
    .act = {NNC_TANH, NNC_RELU, NNC_SIGMOID}, .loss = NNC_LOSS_BINARY_CROSS_ENTROPY};

/* The rate of the steps below. The update is rate * gradient, read back as
 * (before - after) / rate; at a rate of 1 the read-back loses only the
 * parameters' own float rounding. */
#define SGD_RATE 1.0f

/* One plain SGD step (fused, no gradient block) on a batch of `rows`: the
 * update it made, divided by the rate, must be the finite-difference
 * gradient at the parameters before it, and the loss it reports theirs.
 * Returns the number of failing entries. */
static int check_sgd_step(const net_spec *spec, int rows, const char *path, nnc_rng *rng)
{
    nnc_net *net = build_net(spec, rng);
    size_t n = nnc_net_param_count(net);
    size_t n_y = (size_t)rows * (size_t)nnc_net_outputs(net);
    float *x = malloc((size_t)rows * (size_t)spec->inputs * sizeof *x);
    float *y = malloc(n_y * sizeof *y);
    double *numeric = malloc(n * sizeof *numeric);
    nnc_optimizer *sgd = nnc_sgd_new(SGD_RATE);
    assert_true(x && y && numeric && sgd);
    make_batch(net, spec, rng, x, y, rows);

    net_ctx ctx = {net, x, y, rows};
    double noise = numeric_gradient(&FLOAT_FD, nnc_net_params(net), n, net_objective, &ctx,
                                    numeric);
    double loss_before = net_objective(&ctx), loss = NAN;
    double *update = widen(nnc_net_params(net), n);
    assert_int_equal(nnc_train_step(net, sgd, x, y, rows, &loss), NNC_OK);
    /* The step's forward pass may sum in another order (dense_row_stack_sgd's own
     * loops): float rounding, far below 1e-6. */
    if (!(fabs(loss - loss_before) <= 1e-6 * fmax(fabs(loss_before), 1.0)))
        fail_msg("%s: the step reported loss %.9g, the parameters before it give %.9g", path,
                 loss, loss_before);
    const float *after = nnc_net_params(net);
    double largest = 0.0;
    for (size_t i = 0; i < n; i++) {
        largest = fmax(largest, fmax(fabs(update[i]), fabs((double)after[i])));
        update[i] = (update[i] - after[i]) / SGD_RATE;
    }
    char what[128];
    snprintf(what, sizeof what, "sgd %s, %d row%s: %s", spec->name, rows, rows > 1 ? "s" : "",
             path);
    int bad = compare_gradients(what, update, numeric, n, FLOAT_FD.tol,
                                fmax(noise, FLT_EPSILON * largest / SGD_RATE));
    free(update);
    free(numeric);
    free(x);
    free(y);
    nnc_optimizer_free(sgd);
    nnc_net_free(net);
    return bad;
}

/* Every fused step, each with the path it takes. */
static void test_sgd_step_paths(void **state)
{
    (void)state;
    static const struct {
        const net_spec *spec;
        int rows;
        const char *path;
    } steps[] = {
        { &SMALL_NET, 1, "dense_row_stack_sgd" },
        { &SOFTMAX_NET, 1, "dense_row_sgd (softmax output)" },
        { &WIDE_ROW, 1, "dense_row_sgd (4575 weights)" },
        { &SMALL_NET, 6, "dense_sgd loops" },
        { &WIDE_BATCH, 8, "dense_sgd sgemm, then loops" },
        { &WIDE_ROW, 2, "dense_sgd sgemm, then loops" },
    };
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED + 20);
    int bad = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        bad += check_sgd_step(steps[i].spec, steps[i].rows, steps[i].path, &rng);
    assert_int_equal(bad, 0);
}

/* -------------------------------------------- where differences cannot look */

/* ReLU's derivative at exactly 0 is taken as 0, as PyTorch does (src/
 * activation.c promises it). A central difference there straddles the kink
 * and sees 1/2, and the checks above keep away from it, so it is asserted
 * directly: 0 at +0 and -0, 1 just above, 0 just below. */
static void test_relu_derivative_at_zero(void **state)
{
    (void)state;
    const float z[4] = { 0.0f, -0.0f, FLT_MIN, -FLT_MIN };
    const float dout[4] = { 1.5f, -2.0f, 3.0f, 4.0f };
    float out[4], dz[4];
    assert_int_equal(nnc_activation_forward(NNC_RELU, z, out, 1, 4), NNC_OK);
    assert_int_equal(nnc_activation_backward(NNC_RELU, z, out, dout, dz, 1, 4), NNC_OK);
    assert_true(out[0] == 0.0f && out[1] == 0.0f && out[2] == FLT_MIN && out[3] == 0.0f);
    assert_true(dz[0] == 0.0f && dz[1] == 0.0f);
    assert_true(dz[2] == dout[2] && dz[3] == 0.0f);
}

/* A 2-2relu-1identity network whose first hidden unit has z exactly 0 for
 * the input (0.75, 0.75): weights (1, -1), bias 0. The second unit is on. */
static nnc_net *net_with_unit_at_zero(void)
{
    nnc_net *net = nnc_net_new(2);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, 2, NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_IDENTITY), NNC_OK);
    const float w0[4] = { 1.0f, -1.0f, 0.5f, 0.25f }, b0[2] = { 0.0f, 0.1f };
    const float w1[2] = { 2.0f, -3.0f }, b1[1] = { 0.5f };
    memcpy(nnc_net_weights(net, 0), w0, sizeof w0);
    memcpy(nnc_net_bias(net, 0), b0, sizeof b0);
    memcpy(nnc_net_weights(net, 1), w1, sizeof w1);
    memcpy(nnc_net_bias(net, 1), b1, sizeof b1);
    return net;
}

/* The same through every path a hidden ReLU's derivative is taken on: the
 * gradients (one row and a batch), the small single-row SGD step and the
 * batch SGD step. A unit at z = 0 passes nothing down: its weights and bias
 * get a gradient of exactly 0, so an SGD step leaves them as they were, and
 * dx comes from the other unit alone. The other unit's gradient is checked
 * too, so a network that passed nothing at all would fail. */
static void test_relu_at_zero_in_a_network(void **state)
{
    (void)state;
    const float x[4] = { 0.75f, 0.75f, 0.75f, 0.75f }, y[2] = { 0.0f, 0.0f };
    /* By hand, in double: z = (0, 0.6625), out = -3 * 0.6625 + 0.5, and
     * d loss / d z of the second unit = -3 * 2 * out per row. */
    double out = -3.0 * (0.5 * 0.75 + 0.25 * 0.75 + 0.1) + 0.5, dz1 = -3.0 * 2.0 * out;
    for (int rows = 1; rows <= 2; rows++) {
        nnc_net *net = net_with_unit_at_zero();
        float dx[4];
        assert_int_equal(nnc_net_gradients(net, x, y, rows, NULL, dx), NNC_OK);
        const float *gw = nnc_net_weight_grads(net, 0), *gb = nnc_net_bias_grads(net, 0);
        assert_true(gw[0] == 0.0f && gw[1] == 0.0f && gb[0] == 0.0f);
        assert_float_equal(gb[1], rows * dz1, 1e-4);
        assert_float_equal(gw[2], rows * dz1 * 0.75, 1e-4);
        for (int r = 0; r < rows; r++) {
            assert_float_equal(dx[2 * r], 0.5 * dz1, 1e-4);
            assert_float_equal(dx[2 * r + 1], 0.25 * dz1, 1e-4);
        }

        /* One row: dense_row_stack_sgd (2 and 4 weights); two: dense_sgd's loops. */
        nnc_optimizer *sgd = nnc_sgd_new(0.1f);
        assert_non_null(sgd);
        float before[4];
        memcpy(before, nnc_net_weights(net, 0), sizeof before);
        float b_before = nnc_net_bias(net, 0)[0];
        assert_int_equal(nnc_train_step(net, sgd, x, y, rows, NULL), NNC_OK);
        const float *w = nnc_net_weights(net, 0);
        assert_true(w[0] == before[0] && w[1] == before[1] && nnc_net_bias(net, 0)[0] == b_before);
        assert_float_equal(w[2], before[2] - 0.1 * rows * dz1 * 0.75, 1e-4);
        nnc_optimizer_free(sgd);
        nnc_net_free(net);
    }
}

/* The cross-entropies clamp probabilities to [1e-7, 1 - 1e-7] inside their
 * logarithms (nnc.h): at p = 0 or 1 exactly, which a saturated sigmoid or
 * softmax reaches in float32, the loss and its derivative are finite and are
 * those of the nearest bound. Finite differences look only inside (0, 1). */
#define PROB_LOW 1e-7
#define PROB_HIGH (1.0 - 1e-7)

static double clamped(float p)
{
    return p < PROB_LOW ? PROB_LOW : p > PROB_HIGH ? PROB_HIGH : p;
}

/* got within float32 rounding of want, and finite. */
static void assert_near(double got, double want, const char *what)
{
    if (!(isfinite(got) && fabs(got - want) <= 1e-6 * fabs(want) + 1e-12))
        fail_msg("%s: got %.9g, want %.9g", what, got, want);
}

static void test_losses_at_certain_probabilities(void **state)
{
    (void)state;
    /* Binary cross-entropy: p in {0, 1} against t in {0, 1}, every pairing. */
    const float p[4] = { 0.0f, 0.0f, 1.0f, 1.0f }, t[4] = { 0.0f, 1.0f, 0.0f, 1.0f };
    float d[4];
    double sum = 0.0, loss = NAN;
    for (int i = 0; i < 4; i++)
        sum -= t[i] * log(clamped(p[i])) + (1.0 - t[i]) * log(1.0 - clamped(p[i]));
    assert_int_equal(nnc_loss_forward(NNC_LOSS_BINARY_CROSS_ENTROPY, p, t, 1, 4, &loss), NNC_OK);
    assert_near(loss, sum / 4, "binary cross-entropy at p = 0 and 1");
    assert_int_equal(nnc_loss_backward(NNC_LOSS_BINARY_CROSS_ENTROPY, p, t, 1, 4, d), NNC_OK);
    for (int i = 0; i < 4; i++) {
        double c = clamped(p[i]);
        assert_near(d[i], (c - t[i]) / (c * (1.0 - c)) / 4, "its derivative");
    }

    /* Softmax cross-entropy: a row certain of the right class, one certain
     * of a wrong one. */
    const float s[6] = { 1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f };
    const float hot[6] = { 1.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f };
    float ds[6];
    assert_int_equal(nnc_loss_forward(NNC_LOSS_SOFTMAX_CROSS_ENTROPY, s, hot, 2, 3, &loss),
                     NNC_OK);
    assert_near(loss, -(log(PROB_HIGH) + log(PROB_LOW)) / 2, "softmax cross-entropy at 0 and 1");
    assert_int_equal(nnc_loss_backward(NNC_LOSS_SOFTMAX_CROSS_ENTROPY, s, hot, 2, 3, ds), NNC_OK);
    for (int i = 0; i < 6; i++)
        assert_near(ds[i], -hot[i] / clamped(s[i]) / 2, "its derivative");

    /* In a network: a sigmoid saturated to exactly 1.0f against a target of
     * 0 is the largest loss the clamp allows, not an infinity the training
     * step would refuse as divergence. */
    nnc_net *net = nnc_net_new(1);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_SIGMOID), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_BINARY_CROSS_ENTROPY), NNC_OK);
    nnc_net_weights(net, 0)[0] = 40.0f;
    const float one[1] = { 1.0f }, zero[1] = { 0.0f };
    float prediction[1];
    assert_int_equal(nnc_predict(net, one, 1, prediction), NNC_OK);
    assert_true(prediction[0] == 1.0f);
    assert_int_equal(nnc_net_gradients(net, one, zero, 1, &loss, NULL), NNC_OK);
    assert_near(loss, -log(1.0 - PROB_HIGH), "a saturated sigmoid's loss");
    nnc_net_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_losses),
        cmocka_unit_test(test_net_softmax_cross_entropy),
        cmocka_unit_test(test_net_mse),
        cmocka_unit_test(test_net_binary_cross_entropy),
        cmocka_unit_test(test_net_squared_error),
        cmocka_unit_test(test_net_leaky_relu),
        cmocka_unit_test(test_leaky_relu_values),
        cmocka_unit_test(test_net_softmax_mse),
        cmocka_unit_test(test_net_softmax_cross_entropy_free_targets),
        cmocka_unit_test(test_net_blas_batch),
        cmocka_unit_test(test_net_blas_single_row),
        cmocka_unit_test(test_sgd_step_paths),
        cmocka_unit_test(test_relu_derivative_at_zero),
        cmocka_unit_test(test_relu_at_zero_in_a_network),
        cmocka_unit_test(test_losses_at_certain_probabilities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

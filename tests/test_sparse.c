/*
 * test_sparse.c - the sparse input path of the first (dense) layer.
 *
 * A batch of bag-of-words rows is given twice: as its non-zeros
 * (nnc_sparse_rows, through nnc_net_set_sparse) and densified, the same
 * numbers with zeros between them. Every pass must agree: the forward
 * outputs, the loss, the gradients (the sparse pass computing the first
 * layer's weight gradients for the batch's columns only, leaving the other
 * columns as they were), the fused plain-SGD step, the unfused one (a layer
 * without the fused step above the first) and the optimizers' first step.
 * Where the two may differ by design (the lazy updates: a column absent
 * from the batch keeps its weights and moments), the test shows both that
 * the sparse run keeps them and that the dense one does not. A finite
 * difference through the sparse path checks its gradients on their own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nnc.h"
#include "nn/nn.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED 20250301u
#define DENSITY 0.03    /* of a bag of words: ~9 of 300 inputs per row */
#define REL_TOL 1e-5    /* sparse against dense: float sums in another order */

/* ------------------------------------------------------------ sparse rows */

/* A batch held both ways: CSR non-zeros and the densified x, plus the
 * targets. `avoid` (or -1) is an input no row has. */
typedef struct batch {
    int rows, inputs, outputs;
    size_t *start;
    int *index;
    float *value;
    int *columns;
    int n_columns;
    float *x, *y;
    nnc_sparse_rows s;
} batch;

static double uniform(nnc_rng *rng, double lo, double hi)
{
    return lo + (hi - lo) * nnc_rng_uniform(rng);
}

/* A non-zero as a bag of words weighs one: a magnitude in [0.2, 2], either sign. */
static float nonzero(nnc_rng *rng)
{
    double m = uniform(rng, 0.2, 2.0);
    return (float)(nnc_rng_uniform(rng) < 0.5 ? -m : m);
}

/* Row r's inputs, drawn at DENSITY (at least one), none at `avoid`. */
static void draw_row(batch *b, int r, nnc_rng *rng, int avoid)
{
    float *xr = b->x + (size_t)r * b->inputs;
    memset(xr, 0, (size_t)b->inputs * sizeof *xr);
    for (int i = 0; i < b->inputs; i++)
        if (i != avoid && nnc_rng_uniform(rng) < DENSITY)
            xr[i] = nonzero(rng);
}

static int row_count(const batch *b, int r)
{
    int n = 0;
    for (int i = 0; i < b->inputs; i++)
        n += b->x[(size_t)r * b->inputs + i] != 0.0f;
    return n;
}

/* The CSR form and the columns of the densified x, which must be final. */
static void compress(batch *b)
{
    size_t nnz = 0;
    for (size_t i = 0; i < (size_t)b->rows * (size_t)b->inputs; i++)
        nnz += b->x[i] != 0.0f;
    free(b->index);
    free(b->value);
    free(b->columns);
    b->index = malloc((nnz ? nnz : 1) * sizeof *b->index);
    b->value = malloc((nnz ? nnz : 1) * sizeof *b->value);
    b->columns = malloc((size_t)b->inputs * sizeof *b->columns);
    assert_true(b->index && b->value && b->columns);
    size_t j = 0;
    for (int r = 0; r < b->rows; r++) {
        b->start[r] = j;
        for (int i = 0; i < b->inputs; i++) {
            float v = b->x[(size_t)r * b->inputs + i];
            if (v != 0.0f) {
                b->index[j] = i;
                b->value[j++] = v;
            }
        }
    }
    b->start[b->rows] = j;
    b->n_columns = 0;
    for (int i = 0; i < b->inputs; i++) {
        int present = 0;
        for (int r = 0; r < b->rows && !present; r++)
            present = b->x[(size_t)r * b->inputs + i] != 0.0f;
        if (present)
            b->columns[b->n_columns++] = i;
    }
    b->s = (nnc_sparse_rows){ b->start, b->index, b->value, b->columns, b->n_columns };
}

/* Targets in the loss's domain: one-hot classes, or 0/1 for binary CE. */
static void draw_targets(batch *b, nnc_loss loss, nnc_rng *rng)
{
    size_t n = (size_t)b->rows * (size_t)b->outputs;
    memset(b->y, 0, n * sizeof *b->y);
    for (int r = 0; r < b->rows; r++) {
        float *yr = b->y + (size_t)r * b->outputs;
        if (loss == NNC_LOSS_SOFTMAX_CROSS_ENTROPY)
            yr[nnc_rng_below(rng, (uint64_t)b->outputs)] = 1.0f;
        else
            for (int o = 0; o < b->outputs; o++)
                yr[o] = nnc_rng_uniform(rng) < 0.5 ? 0.0f : 1.0f;
    }
}

static batch *new_batch(const nnc_net *net, int rows, nnc_rng *rng, int avoid)
{
    batch *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->rows = rows;
    b->inputs = nnc_net_inputs(net);
    b->outputs = nnc_net_outputs(net);
    b->start = malloc(((size_t)rows + 1) * sizeof *b->start);
    b->x = malloc((size_t)rows * (size_t)b->inputs * sizeof *b->x);
    b->y = malloc((size_t)rows * (size_t)b->outputs * sizeof *b->y);
    assert_true(b->start && b->x && b->y);
    for (int r = 0; r < rows; r++)
        do
            draw_row(b, r, rng, avoid);
        while (row_count(b, r) == 0);
    draw_targets(b, nnc_net_loss(net), rng);
    compress(b);
    return b;
}

static void free_batch(batch *b)
{
    if (b == NULL)
        return;
    free(b->start);
    free(b->index);
    free(b->value);
    free(b->columns);
    free(b->x);
    free(b->y);
    free(b);
}

static int has_column(const batch *b, int col)
{
    for (int c = 0; c < b->n_columns; c++)
        if (b->columns[c] == col)
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- networks */

typedef struct net_spec {
    const char *name;
    int inputs;
    const char *layers;   /* the layer grammar */
    nnc_loss loss;
} net_spec;

/* Softmax + cross-entropy over a ReLU layer of 16 (four units at a time in
 * the sparse kernel); sigmoid + binary CE over 18 tanh units (and the two
 * left over); a tiny network, whose dense kernels are the plain loops and
 * whose one-row step is the single-row stack (sparse must take neither). */
static const net_spec SOFTMAX_NET = { "300-16relu-3softmax", 300, "dense:16:relu,dense:3:softmax",
                                      NNC_LOSS_SOFTMAX_CROSS_ENTROPY };
static const net_spec SIGMOID_NET = { "300-18tanh-2sigmoid", 300, "dense:18:tanh,dense:2:sigmoid",
                                      NNC_LOSS_BINARY_CROSS_ENTROPY };
static const net_spec TINY_NET = { "40-5tanh-1sigmoid", 40, "dense:5:tanh,dense:1:sigmoid",
                                   NNC_LOSS_BINARY_CROSS_ENTROPY };
/* Batch norm has no fused SGD step: plain SGD takes gradients, then the rule. */
static const net_spec UNFUSED_NET = { "300-12-bn-3softmax", 300,
                                      "dense:12:identity,batchnorm:relu,dense:3:softmax",
                                      NNC_LOSS_SOFTMAX_CROSS_ENTROPY };

static nnc_net *build_net(const net_spec *spec, nnc_rng *rng)
{
    nnc_net *net = nnc_net_new(spec->inputs);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_layers(net, spec->layers, NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, spec->loss), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, rng), NNC_OK);
    /* Xavier leaves the biases at 0; non-zero ones make a more general test. */
    for (int l = 0; l < nnc_net_layer_count(net); l++) {
        float *bias = nnc_net_bias(net, l);
        for (int u = 0; bias != NULL && u < nnc_net_layer_units(net, l); u++)
            bias[u] = (float)uniform(rng, -0.5, 0.5);
    }
    return net;
}

/* The first layer's weight tensor: units x inputs, row-major. */
static size_t first_weights(nnc_net *net)
{
    return (size_t)nnc_net_layer_units(net, 0) * (size_t)nnc_net_inputs(net);
}

/* After a sparse pass's gradients: the first layer's weight gradients,
 * from their own block (nnc_net_column_grads, column by column), put into
 * g where net's gradient block keeps them (units x inputs, or inputs x
 * units by input): the batch's columns alone, the rest of g as it was. */
static void put_column_grads(const nnc_net *net, const batch *b, int by_input, float *g)
{
    const float *cg = nnc_net_column_grads(net);
    assert_non_null(cg);
    size_t units = (size_t)nnc_net_layer_units(net, 0), in = (size_t)nnc_net_inputs(net);
    for (int c = 0; c < b->n_columns; c++)
        for (size_t u = 0; u < units; u++) {
            size_t k = (size_t)b->columns[c];
            g[by_input ? k * units + u : u * in + k] = cg[(size_t)c * units + u];
        }
}

/* ------------------------------------------------------------- comparing */

/* Whether a and b agree within REL_TOL of the larger, or of `floor` when
 * both are below it (a value near 0 cannot keep its own relative digits
 * through a sum in another order). */
static int close_to(double a, double b, double floor)
{
    return fabs(a - b) <= REL_TOL * fmax(fmax(fabs(a), fabs(b)), floor);
}

/* The number of entries of a and b (n) that are not close_to, printing the
 * first; the floor is FLOOR_FRACTION of the vectors' largest entry, or
 * `floor` when that is larger. */
#define FLOOR_FRACTION 1e-2
static int count_far_floor(const char *what, const float *a, const float *b, size_t n,
                           double floor)
{
    double scale = 0.0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fmax(fabs(a[i]), fabs(b[i])));
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (!close_to(a[i], b[i], fmax(FLOOR_FRACTION * scale, floor)) && bad++ == 0)
            print_message("MISMATCH %s[%zu]: sparse %.9g, dense %.9g\n", what, i, (double)a[i],
                          (double)b[i]);
    return bad;
}

static int count_far(const char *what, const float *a, const float *b, size_t n)
{
    return count_far_floor(what, a, b, n, 0.0);
}

/* Gradients: a sum over rows of terms of either sign is rounded in float
 * on the scale of its terms, not of what is left of them; 64 rows in
 * another order (BLAS against the sparse loops) leave some 1e-6 of the
 * gradient's largest entry, which is therefore the floor: each entry
 * agrees within REL_TOL of itself or within 1e-6 of the largest. */
static double gradient_floor(const float *a, const float *b, size_t n)
{
    double scale = 0.0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fmax(fabs(a[i]), fabs(b[i])));
    return 0.1 * scale;
}

/* Parameters after training: within REL_TOL of 1 or of their size. */
static int count_far_params(const char *what, const float *a, const float *b, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (!close_to(a[i], b[i], 1.0) && bad++ == 0)
            print_message("MISMATCH %s[%zu]: sparse %.9g, dense %.9g\n", what, i, (double)a[i],
                          (double)b[i]);
    return bad;
}

static float *copy_of(const float *v, size_t n)
{
    float *c = malloc(n * sizeof *c);
    assert_non_null(c);
    memcpy(c, v, n * sizeof *c);
    return c;
}

/* -------------------------------------------------------------- forward */

static void check_forward(const net_spec *spec, const int *rows, int n_rows, nnc_rng *rng)
{
    nnc_net *net = build_net(spec, rng);
    int outputs = nnc_net_outputs(net);
    for (int t = 0; t < n_rows; t++) {
        batch *b = new_batch(net, rows[t], rng, -1);
        size_t n = (size_t)rows[t] * (size_t)outputs;
        float *sparse = malloc(n * sizeof *sparse), *trained = malloc(n * sizeof *trained);
        float *dense = malloc(n * sizeof *dense);
        assert_true(sparse && trained && dense);

        assert_int_equal(nnc_net_set_sparse(net, &b->s), NNC_OK);
        assert_ptr_equal(nnc_net_sparse(net), &b->s);
        assert_int_equal(nnc_predict(net, NULL, rows[t], sparse), NNC_OK);
        assert_int_equal(nnc_net_set_sparse(net, NULL), NNC_OK);
        assert_null(nnc_net_sparse(net));
        assert_int_equal(nnc_predict(net, b->x, rows[t], dense), NNC_OK);
        char what[96];
        snprintf(what, sizeof what, "%s, %d rows: predict", spec->name, rows[t]);
        assert_int_equal(count_far(what, sparse, dense, n), 0);

        /* A training pass (which moves batch norm's running statistics) on
         * a copy each way. */
        nnc_net *copy = nnc_net_clone(net);
        assert_non_null(copy);
        assert_int_equal(nnc_net_set_sparse(copy, &b->s), NNC_OK);
        assert_int_equal(nnc_net_forward(copy, NULL, rows[t], 1, trained), NNC_OK);
        nnc_net_free(copy);
        copy = nnc_net_clone(net);
        assert_non_null(copy);
        assert_int_equal(nnc_net_forward(copy, b->x, rows[t], 1, sparse), NNC_OK);
        nnc_net_free(copy);
        snprintf(what, sizeof what, "%s, %d rows: training forward", spec->name, rows[t]);
        assert_int_equal(count_far(what, trained, sparse, n), 0);
        /* The outputs depend on the inputs: a pass that ignored them would
         * give every row the same outputs. */
        if (rows[t] > 1) {
            int differ = 0;
            for (int o = 0; o < outputs; o++)
                differ |= dense[o] != dense[outputs + o];
            assert_true(differ);
        }
        free(sparse);
        free(trained);
        free(dense);
        free_batch(b);
    }
    nnc_net_free(net);
}

static void test_forward_matches_dense(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED);
    const int rows[] = { 1, 5, 64 };
    check_forward(&SOFTMAX_NET, rows, 3, &rng);
    check_forward(&SIGMOID_NET, rows, 3, &rng);
    check_forward(&TINY_NET, rows, 3, &rng);
    check_forward(&UNFUSED_NET, (const int[]){ 5, 64 }, 2, &rng);   /* batch norm needs > 1 */
}

/* ------------------------------------------------------------ gradients */

#define AVOIDED 7     /* a column some batches never have */
#define STALE 123.0f   /* what the gradient block holds before a sparse pass */

static void check_gradients(const net_spec *spec, int rows, nnc_rng *rng)
{
    nnc_net *net = build_net(spec, rng);
    batch *b = new_batch(net, rows, rng, AVOIDED);   /* one column, at least, untouched */
    size_t n = nnc_net_param_count(net), nw = first_weights(net);
    int in = nnc_net_inputs(net), units = nnc_net_layer_units(net, 0);
    assert_ptr_equal(nnc_net_weight_grads(net, 0), nnc_net_grads(net));   /* the layout used */

    float *g = nnc_net_grads(net);
    for (size_t i = 0; i < n; i++)
        g[i] = STALE;
    double loss_sparse = NAN, loss_dense = NAN, value_sparse = NAN, value_dense = NAN;
    /* The loss in inference mode first: a training pass moves batch norm's
     * running statistics, which it reads. */
    assert_int_equal(nnc_net_loss_value(net, b->x, b->y, rows, &value_dense), NNC_OK);
    assert_int_equal(nnc_net_set_sparse(net, &b->s), NNC_OK);
    assert_int_equal(nnc_net_loss_value(net, NULL, b->y, rows, &value_sparse), NNC_OK);
    assert_int_equal(nnc_net_gradients(net, NULL, b->y, rows, &loss_sparse, NULL), NNC_OK);
    float *sparse = copy_of(g, n);
    /* The block's first weights are left alone: the batch's columns have
     * their own block. */
    int left = 0;
    for (size_t i = 0; i < nw; i++)
        left += sparse[i] == STALE;
    assert_int_equal(left, (int)nw);
    put_column_grads(net, b, 0, sparse);
    assert_int_equal(nnc_net_set_sparse(net, NULL), NNC_OK);
    assert_int_equal(nnc_net_gradients(net, b->x, b->y, rows, &loss_dense, NULL), NNC_OK);
    const float *dense = g;

    assert_true(isfinite(loss_dense) && loss_dense > 0.0);
    assert_true(close_to(loss_sparse, loss_dense, 1e-3));
    assert_true(isfinite(value_dense) && close_to(value_sparse, value_dense, 1e-3));

    char what[96];
    int bad = 0, touched = 0;
    const double floor = gradient_floor(sparse + nw, dense + nw, n - nw);
    /* The first layer's weights, column by column. */
    float *sg = malloc((size_t)units * sizeof *sg), *dg = malloc((size_t)units * sizeof *dg);
    assert_true(sg && dg);
    for (int k = 0; k < in; k++) {
        for (int u = 0; u < units; u++) {
            sg[u] = sparse[(size_t)u * in + k];
            dg[u] = dense[(size_t)u * in + k];
        }
        if (has_column(b, k)) {
            touched++;
            snprintf(what, sizeof what, "%s, %d rows: weight column %d", spec->name, rows, k);
            bad += count_far_floor(what, sg, dg, (size_t)units, floor);
        } else {
            /* Untouched: exactly 0 in the dense pass, left alone in the sparse one. */
            for (int u = 0; u < units; u++) {
                bad += dg[u] != 0.0f;
                bad += sg[u] != STALE;
            }
        }
    }
    assert_true(touched == b->n_columns && touched > 0 && touched < in);
    /* Every other tensor, whole: the first layer's bias and all above. */
    snprintf(what, sizeof what, "%s, %d rows: the other tensors", spec->name, rows);
    bad += count_far_floor(what, sparse + nw, dense + nw, n - nw, floor);
    for (size_t i = nw; i < n; i++)
        bad += sparse[i] == STALE;   /* every one was written */
    assert_int_equal(bad, 0);

    /* A sparse pass has no input gradient to give. */
    float *dx = malloc((size_t)rows * (size_t)in * sizeof *dx);
    assert_non_null(dx);
    assert_int_equal(nnc_net_set_sparse(net, &b->s), NNC_OK);
    assert_int_equal(nnc_net_gradients(net, NULL, b->y, rows, NULL, dx), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "dx"));
    free(dx);
    free(sg);
    free(dg);
    free(sparse);
    free_batch(b);
    nnc_net_free(net);
}

static void test_gradients_match_dense(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED + 1);
    const int rows[] = { 1, 7, 64 };
    for (int i = 0; i < 3; i++) {
        check_gradients(&SOFTMAX_NET, rows[i], &rng);
        check_gradients(&SIGMOID_NET, rows[i], &rng);
        check_gradients(&TINY_NET, rows[i], &rng);
    }
    check_gradients(&UNFUSED_NET, 7, &rng);
}

/* ---------------------------------------------------- finite differences */

/* The scheme and helpers of test_gradcheck.c (see there for why): central
 * differences on the float32 loss with Richardson extrapolation, the step
 * rel_step * max(|value|, min_scale), compared against the larger value,
 * FLOOR_FRACTION of the largest and the rounding noise, within tol; here
 * over a list of scattered parameters rather than one array. */
typedef struct fd_scheme {
    double rel_step, min_scale;
    double noise_ulps;
    double tol;
} fd_scheme;

static const fd_scheme FLOAT_FD = { 2e-2, 1.0, 8.0, 1e-2 };

typedef struct loss_ctx {
    nnc_net *net;
    const float *y;
    int rows;
} loss_ctx;

/* The sparse pass's loss, in double from the network's float outputs. */
static double sparse_loss(const loss_ctx *c)
{
    double loss = NAN;
    assert_int_equal(nnc_net_loss_value(c->net, NULL, c->y, c->rows, &loss), NNC_OK);
    return loss;
}

static double central_difference(float *v, double h, const loss_ctx *c)
{
    float orig = *v;
    *v = (float)(orig + h);
    double up = *v, f_up = sparse_loss(c);
    *v = (float)(orig - h);
    double down = *v, f_down = sparse_loss(c);
    *v = orig;
    return (f_up - f_down) / (up - down);
}

/* d loss / d *v[i] for each of the n parameters, into grad; returns the
 * noise to expect. */
static double numeric_gradient(float *const *v, size_t n, const loss_ctx *c, double *grad)
{
    for (size_t i = 0; i < n; i++) {
        double h = FLOAT_FD.rel_step * fmax(fabs((double)*v[i]), FLOAT_FD.min_scale);
        double d1 = central_difference(v[i], h, c);
        double d2 = central_difference(v[i], 2 * h, c);
        grad[i] = (4 * d1 - d2) / 3;
    }
    return FLOAT_FD.noise_ulps * FLT_EPSILON * fmax(fabs(sparse_loss(c)), 1.0) /
           (FLOAT_FD.rel_step * FLOAT_FD.min_scale);
}

static int compare_gradients(const char *what, const double *analytic, const double *numeric,
                             size_t n, double tol, double noise)
{
    double scale = 0.0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(numeric[i]));
    double floor_at = fmax(FLOOR_FRACTION * scale, noise / tol), worst = 0.0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs(analytic[i] - numeric[i]);
        double size = fmax(fmax(fabs(analytic[i]), fabs(numeric[i])), floor_at);
        double err = diff == 0.0 ? 0.0 : diff / size;
        worst = err > worst || isnan(err) ? err : worst;
        if (!(err <= tol) && bad++ == 0)
            print_message("MISMATCH %s[%zu]: analytic %.9g, numeric %.9g (rel err %.3g)\n", what,
                          i, analytic[i], numeric[i], err);
    }
    print_message("  %-48s n=%-5zu scale %-9.3g worst rel err %.3g%s\n", what, n, scale, worst,
                  bad ? "  <-- FAILED" : "");
    if (!(scale > noise / tol))
        bad++;   /* a gradient within the noise shows nothing */
    return bad;
}

/* The smallest |z| of the first layer's units for row r of x, in double: a perturbation (at most 2 * 2e-2 of a weight of magnitude < 1,
 * times a value of at most 2, or of a bias) moves z by less than 0.1, so a
 * ReLU above that margin never steps across its kink. */
#define KINK_MARGIN 0.1
static double first_margin(nnc_net *net, const batch *b, int r)
{
    int in = nnc_net_inputs(net), units = nnc_net_layer_units(net, 0);
    const float *w = nnc_net_weights(net, 0), *bias = nnc_net_bias(net, 0);
    const float *xr = b->x + (size_t)r * in;
    double margin = HUGE_VAL;
    for (int u = 0; u < units; u++) {
        double z = bias[u];
        for (int i = 0; i < in; i++)
            z += (double)xr[i] * w[(size_t)u * in + i];
        margin = fmin(margin, fabs(z));
    }
    return margin;
}

static nnc_net *by_input_twin(const net_spec *spec, nnc_net *a);

/* by_input: checked on the same network with its first layer's weights
 * kept input by input (nnc_net_set_by_input). */
static void check_finite_differences(const net_spec *spec, int rows, nnc_rng *rng, int by_input)
{
    nnc_net *net = build_net(spec, rng);
    int in = nnc_net_inputs(net), units = nnc_net_layer_units(net, 0);
    /* Weights of the size the margin assumes, and units that do something. */
    float *w0 = nnc_net_weights(net, 0);
    for (size_t i = 0; i < first_weights(net); i++)
        w0[i] = (float)fmax(-0.9, fmin(0.9, 3.0 * w0[i]));
    batch *b = new_batch(net, rows, rng, -1);
    for (int r = 0, tries = 0; r < rows; r++) {
        while (first_margin(net, b, r) < KINK_MARGIN) {
            assert_true(tries++ < 100000);
            draw_row(b, r, rng, -1);
        }
    }
    compress(b);
    if (by_input) {
        nnc_net *twin = by_input_twin(spec, net);
        nnc_net_free(net);
        net = twin;
    }
    assert_int_equal(nnc_net_set_sparse(net, &b->s), NNC_OK);
    assert_int_equal(nnc_net_gradients(net, NULL, b->y, rows, NULL, NULL), NNC_OK);

    /* The parameters checked: the first layer's weights at the batch's
     * columns, its bias, and the whole top layer. */
    int top = nnc_net_layer_count(net) - 1;
    size_t top_n = (size_t)nnc_net_layer_units(net, top) * (size_t)(nnc_net_layer_units(net, top - 1) + 1);
    size_t n = (size_t)units * (size_t)b->n_columns + (size_t)units + top_n;
    float **v = malloc(n * sizeof *v);
    double *analytic = malloc(n * sizeof *analytic), *numeric = malloc(n * sizeof *numeric);
    assert_true(v && analytic && numeric);
    float *p = nnc_net_params(net), *g = nnc_net_grads(net);
    size_t m = 0;
    for (int u = 0; u < units; u++)
        for (int c = 0; c < b->n_columns; c++)
            v[m++] = by_input ? p + (size_t)b->columns[c] * units + u
                              : p + (size_t)u * in + b->columns[c];
    for (int u = 0; u < units; u++)
        v[m++] = nnc_net_bias(net, 0) + u;
    float *top_w = nnc_net_weights(net, top);
    assert_ptr_equal(nnc_net_bias(net, top), top_w + top_n - (size_t)nnc_net_layer_units(net, top));
    for (size_t i = 0; i < top_n; i++)
        v[m++] = top_w + i;
    assert_true(m == n);
    /* The first layer's from the columns' own block, the rest from the
     * gradient block. */
    const float *cg = nnc_net_column_grads(net);
    assert_non_null(cg);
    m = 0;
    for (int u = 0; u < units; u++)
        for (int c = 0; c < b->n_columns; c++)
            analytic[m++] = cg[(size_t)c * units + u];
    for (size_t i = m; i < n; i++)
        analytic[i] = g[v[i] - p];

    loss_ctx ctx = { net, b->y, rows };
    double noise = numeric_gradient(v, n, &ctx, numeric);
    char what[96];
    snprintf(what, sizeof what, "sparse %s, %d rows", spec->name, rows);
    assert_int_equal(compare_gradients(what, analytic, numeric, n, FLOAT_FD.tol, noise), 0);

    free(v);
    free(analytic);
    free(numeric);
    free_batch(b);
    nnc_net_free(net);
}

static void test_finite_differences(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED + 2);
    check_finite_differences(&SOFTMAX_NET, 1, &rng, 0);
    check_finite_differences(&SOFTMAX_NET, 6, &rng, 0);
    check_finite_differences(&SIGMOID_NET, 6, &rng, 0);
    check_finite_differences(&TINY_NET, 4, &rng, 0);
    check_finite_differences(&SOFTMAX_NET, 6, &rng, 1);
    check_finite_differences(&SIGMOID_NET, 6, &rng, 1);
}

/* ------------------------------------------------------------ training */

/* Two copies of one network, one trained on the sparse rows and one on the
 * densified ones, each with its own optimizer. */
typedef struct twins {
    nnc_net *sparse, *dense;
    nnc_optimizer *opt_sparse, *opt_dense;
} twins;

static twins make_twins(nnc_net *net, nnc_optimizer *a, nnc_optimizer *b)
{
    twins t = { nnc_net_clone(net), nnc_net_clone(net), a, b };
    assert_true(t.sparse && t.dense && a && b);
    return t;
}

static void free_twins(twins *t)
{
    nnc_net_free(t->sparse);
    nnc_net_free(t->dense);
    nnc_optimizer_free(t->opt_sparse);
    nnc_optimizer_free(t->opt_dense);
}

/* One step of each twin on the batch; while they are the same, the losses
 * before the update agree. The sparse twin's gradient block is spoilt
 * first: a step that read a column the batch lacks would show it. */
static void step_twins(twins *t, batch *b, int same)
{
    float *g = nnc_net_grads(t->sparse);
    for (size_t i = 0; i < nnc_net_param_count(t->sparse); i++)
        g[i] = STALE;
    double ls = NAN, ld = NAN;
    assert_int_equal(nnc_net_set_sparse(t->sparse, &b->s), NNC_OK);
    assert_int_equal(nnc_train_step(t->sparse, t->opt_sparse, NULL, b->y, b->rows, &ls), NNC_OK);
    assert_int_equal(nnc_net_set_sparse(t->sparse, NULL), NNC_OK);
    assert_int_equal(nnc_train_step(t->dense, t->opt_dense, b->x, b->y, b->rows, &ld), NNC_OK);
    assert_true(isfinite(ls) && isfinite(ld));
    if (same)
        assert_true(close_to(ls, ld, 1e-3));
}

/* Plain SGD (the fused step, or gradients then the rule where a layer has
 * no fused step; the single-row stack never): the same parameters after
 * three steps, which moved them. */
static void check_sgd(const net_spec *spec, int rows, nnc_rng *rng)
{
    nnc_net *net = build_net(spec, rng);
    twins t = make_twins(net, nnc_sgd_new(0.1f), nnc_sgd_new(0.1f));
    size_t n = nnc_net_param_count(net);
    for (int step = 0; step < 3; step++) {
        batch *b = new_batch(net, rows, rng, -1);
        step_twins(&t, b, 1);
        free_batch(b);
    }
    char what[96];
    snprintf(what, sizeof what, "%s, sgd, %d rows", spec->name, rows);
    assert_int_equal(count_far_params(what, nnc_net_params(t.sparse), nnc_net_params(t.dense), n),
                     0);
    int moved = 0;
    for (size_t i = 0; i < n; i++)
        moved += nnc_net_params(t.sparse)[i] != nnc_net_params(net)[i];
    assert_true(moved > (int)(n - first_weights(net)));
    free_twins(&t);
    nnc_net_free(net);
}

static void test_sgd_matches_dense(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED + 3);
    check_sgd(&SOFTMAX_NET, 8, &rng);
    check_sgd(&SOFTMAX_NET, 1, &rng);
    check_sgd(&SIGMOID_NET, 8, &rng);
    check_sgd(&TINY_NET, 1, &rng);   /* the dense twin takes the single-row stack */
    check_sgd(&TINY_NET, 5, &rng);
    check_sgd(&UNFUSED_NET, 8, &rng);
}

/* Whether column col of the first layer's weights is the same in a and b. */
static int column_same(nnc_net *a, const float *b, int col)
{
    int in = nnc_net_inputs(a), units = nnc_net_layer_units(a, 0);
    for (int u = 0; u < units; u++)
        if (nnc_net_params(a)[(size_t)u * in + col] != b[(size_t)u * in + col])
            return 0;
    return 1;
}


static void check_adam(const net_spec *spec, float clip, nnc_rng *rng)
{
    nnc_net *net = build_net(spec, rng);
    twins t = make_twins(net, nnc_adam_new(0.01f, 0.9f, 0.999f, 1e-8f),
                         nnc_adam_new(0.01f, 0.9f, 0.999f, 1e-8f));
    assert_int_equal(nnc_optimizer_set_clip_norm(t.opt_sparse, clip), NNC_OK);
    assert_int_equal(nnc_optimizer_set_clip_norm(t.opt_dense, clip), NNC_OK);
    size_t n = nnc_net_param_count(net);

    /* The first step, on a batch that has column AVOIDED: the same
     * parameters (a column the batch lacks has a zero gradient and zero
     * moments in the dense twin, so it does not move there either). */
    batch *b = new_batch(net, 8, rng, -1);
    for (int r = 0; !has_column(b, AVOIDED); r = (r + 1) % b->rows) {
        b->x[(size_t)r * b->inputs + AVOIDED] = nonzero(rng);
        compress(b);
    }
    step_twins(&t, b, 1);
    char what[96];
    snprintf(what, sizeof what, "%s, adam clip %g, first step", spec->name, (double)clip);
    assert_int_equal(count_far_params(what, nnc_net_params(t.sparse), nnc_net_params(t.dense), n),
                     0);
    assert_false(column_same(t.sparse, nnc_net_params(net), AVOIDED));
    for (int k = 0; k < b->inputs; k++)
        if (!has_column(b, k))
            assert_true(column_same(t.sparse, nnc_net_params(net), k));
    free_batch(b);

    /* Then batches without it: the lazy twin keeps that column as it was,
     * moments and all; the dense one's moments go on moving it. */
    float *after_first = copy_of(nnc_net_params(t.sparse), n);
    float *dense_first = copy_of(nnc_net_params(t.dense), n);
    for (int step = 0; step < 4; step++) {
        b = new_batch(net, 8, rng, AVOIDED);
        assert_false(has_column(b, AVOIDED));
        step_twins(&t, b, 0);
        free_batch(b);
    }
    assert_true(column_same(t.sparse, after_first, AVOIDED));
    assert_false(column_same(t.dense, dense_first, AVOIDED));
    /* The other tensors went on learning (all but a dead unit's weights). */
    int moved = 0, others = (int)(n - first_weights(net));
    for (size_t i = first_weights(net); i < n; i++)
        moved += nnc_net_params(t.sparse)[i] != after_first[i];
    assert_true(2 * moved > others);
    free(after_first);
    free(dense_first);
    free_twins(&t);
    nnc_net_free(net);
}

static void test_adam_is_lazy(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED + 4);
    check_adam(&SOFTMAX_NET, 0.0f, &rng);
    check_adam(&SIGMOID_NET, 0.0f, &rng);
    /* A clip that holds: its norm must be over the gradients the step uses
     * (the spoilt, stale columns would make it another factor). */
    check_adam(&SOFTMAX_NET, 0.05f, &rng);
    check_adam(&SIGMOID_NET, 0.05f, &rng);
    /* (Not over batch norm: the bias below it has a true gradient of 0,
     * whose rounding noise Adam scales up to whole steps of either sign.) */
}

/* SGD with a clip that holds and weight decay goes through the optimizer:
 * a first step with clip alone matches the dense twin; with decay, the
 * columns a batch lacks keep their weights in the sparse twin (lazy: no
 * decay) and shrink in the dense one. */
static void test_sgd_clip_matches_dense(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED + 5);
    nnc_net *net = build_net(&SOFTMAX_NET, &rng);
    twins t = make_twins(net, nnc_sgd_new(0.1f), nnc_sgd_new(0.1f));
    assert_int_equal(nnc_optimizer_set_clip_norm(t.opt_sparse, 0.05f), NNC_OK);
    assert_int_equal(nnc_optimizer_set_clip_norm(t.opt_dense, 0.05f), NNC_OK);
    batch *b = new_batch(net, 16, &rng, -1);
    step_twins(&t, b, 1);
    size_t n = nnc_net_param_count(net);
    assert_int_equal(count_far_params("sgd clip, first step", nnc_net_params(t.sparse),
                                      nnc_net_params(t.dense), n),
                     0);
    /* The clip held: the step's norm is 0.1 * 0.05, of every change. */
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)nnc_net_params(t.sparse)[i] - nnc_net_params(net)[i];
        sum += d * d;
    }
    assert_true(fabs(sqrt(sum) - 0.005) < 1e-4);
    free_batch(b);
    free_twins(&t);
    nnc_net_free(net);
}

static void test_momentum_decay_is_lazy(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED + 6);
    nnc_net *net = build_net(&SOFTMAX_NET, &rng);
    twins t = make_twins(net, nnc_momentum_new(0.05f, 0.9f), nnc_momentum_new(0.05f, 0.9f));
    assert_int_equal(nnc_optimizer_set_weight_decay(t.opt_sparse, 0.01f), NNC_OK);
    assert_int_equal(nnc_optimizer_set_weight_decay(t.opt_dense, 0.01f), NNC_OK);
    size_t n = nnc_net_param_count(net);
    int in = nnc_net_inputs(net);
    for (int step = 0; step < 3; step++) {
        float *before = copy_of(nnc_net_params(t.sparse), n);
        float *dense_before = copy_of(nnc_net_params(t.dense), n);
        batch *b = new_batch(net, 8, &rng, step > 0 ? AVOIDED : -1);
        step_twins(&t, b, step == 0);
        int touched = 0, untouched = 0;
        for (int k = 0; k < in; k++) {
            if (has_column(b, k)) {
                touched++;
                assert_false(column_same(t.sparse, before, k));
            } else {
                untouched++;
                assert_true(column_same(t.sparse, before, k));
                assert_false(column_same(t.dense, dense_before, k));   /* decayed */
            }
        }
        assert_true(touched > 0 && untouched > 0);
        /* The first step (no velocity yet anywhere) matches the dense twin
         * in every column the batch has, and in every other tensor. */
        if (step == 0) {
            int units = nnc_net_layer_units(net, 0);
            for (int c = 0; c < b->n_columns; c++)
                for (int u = 0; u < units; u++) {
                    size_t i = (size_t)u * in + b->columns[c];
                    assert_true(close_to(nnc_net_params(t.sparse)[i], nnc_net_params(t.dense)[i],
                                         1.0));
                }
            size_t nw = first_weights(net);
            assert_int_equal(count_far_params("momentum, other tensors",
                                              nnc_net_params(t.sparse) + nw,
                                              nnc_net_params(t.dense) + nw, n - nw),
                             0);
        }
        free_batch(b);
        free(before);
        free(dense_before);
    }
    free_twins(&t);
    nnc_net_free(net);
}

/* ------------------------------------------------------------- refusals */


/* ---------------------------------------------------- weights input by input */

/* The same network as `a` with its first layer's weights kept input by
 * input (nnc_net_set_by_input): W transposed, everything else copied. */
static nnc_net *by_input_twin(const net_spec *spec, nnc_net *a)
{
    nnc_net *b = nnc_net_new(spec->inputs);
    assert_non_null(b);
    assert_int_equal(nnc_net_add_layers(b, spec->layers, NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_set_by_input(b), NNC_OK);
    assert_int_equal(nnc_net_set_loss(b, spec->loss), NNC_OK);
    size_t n = nnc_net_param_count(a);
    assert_int_equal(nnc_net_param_count(b), n);
    memcpy(nnc_net_params(b), nnc_net_params(a), n * sizeof(float));
    int units = nnc_net_layer_units(a, 0), in = nnc_net_inputs(a);
    const float *wa = nnc_net_weights(a, 0);
    float *wb = nnc_net_weights(b, 0);
    for (int u = 0; u < units; u++)
        for (int k = 0; k < in; k++)
            wb[(size_t)k * units + u] = wa[(size_t)u * in + k];
    return b;
}

/* b's first-layer block (inputs x units) as units x inputs, into out. */
static void untranspose(const float *b, int units, int in, float *out)
{
    for (int u = 0; u < units; u++)
        for (int k = 0; k < in; k++)
            out[(size_t)u * in + k] = b[(size_t)k * units + u];
}

/* A block of b's (gradients or parameters) in a's layout. */
static float *in_a_layout(nnc_net *b, const float *block)
{
    size_t n = nnc_net_param_count(b);
    float *out = copy_of(block, n);
    untranspose(block, nnc_net_layer_units(b, 0), nnc_net_inputs(b), out);
    return out;
}

static void test_weights_by_input(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED + 11);
    const net_spec *spec = &SOFTMAX_NET;
    nnc_net *a = build_net(spec, &rng);
    nnc_net *b = by_input_twin(spec, a);
    size_t n = nnc_net_param_count(a);
    int outputs = nnc_net_outputs(a);
    const int rows[] = { 1, 7, 64 };
    for (int t = 0; t < 3; t++) {
        batch *x = new_batch(a, rows[t], &rng, -1);
        size_t m = (size_t)rows[t] * (size_t)outputs;
        float *pa = malloc(m * sizeof *pa), *pb = malloc(m * sizeof *pb);
        float *ps = malloc(m * sizeof *ps);
        assert_true(pa && pb && ps);
        /* The same outputs: dense rows, and sparse rows through either layout. */
        assert_int_equal(nnc_predict(a, x->x, rows[t], pa), NNC_OK);
        assert_int_equal(nnc_predict(b, x->x, rows[t], pb), NNC_OK);
        assert_int_equal(count_far("by input, dense rows: predict", pb, pa, m), 0);
        assert_int_equal(nnc_net_set_sparse(b, &x->s), NNC_OK);
        assert_int_equal(nnc_predict(b, NULL, rows[t], ps), NNC_OK);
        assert_int_equal(count_far("by input, sparse rows: predict", ps, pa, m), 0);

        /* The same gradients, the first layer's transposed, and the same
         * input gradient from dense rows. */
        double la, lb;
        assert_int_equal(nnc_net_gradients(a, x->x, x->y, rows[t], &la, NULL), NNC_OK);
        float *ga = copy_of(nnc_net_grads(a), n);
        assert_int_equal(nnc_net_gradients(b, NULL, x->y, rows[t], &lb, NULL), NNC_OK);
        assert_true(close_to(la, lb, 0.0));
        float *gb_block = copy_of(nnc_net_grads(b), n);
        put_column_grads(b, x, 1, gb_block);
        float *gb = in_a_layout(b, gb_block);
        free(gb_block);
        int units = nnc_net_layer_units(a, 0), in = nnc_net_inputs(a);
        double floor = gradient_floor(ga, gb, n);
        for (int u = 0; u < units; u++)
            for (int k = 0; k < in; k++) {
                size_t i = (size_t)u * in + k;
                if (has_column(x, k))
                    assert_true(close_to(gb[i], ga[i], floor));
                else
                    assert_true(ga[i] == 0.0f);   /* and b's are never read */
            }
        size_t w = first_weights(a);
        assert_int_equal(count_far_floor("by input: other gradients", gb + w, ga + w, n - w,
                                         floor), 0);
        assert_int_equal(nnc_net_set_sparse(b, NULL), NNC_OK);
        float *dxa = malloc((size_t)rows[t] * in * sizeof *dxa);
        float *dxb = malloc((size_t)rows[t] * in * sizeof *dxb);
        assert_true(dxa && dxb);
        assert_int_equal(nnc_net_gradients(a, x->x, x->y, rows[t], NULL, dxa), NNC_OK);
        assert_int_equal(nnc_net_gradients(b, x->x, x->y, rows[t], NULL, dxb), NNC_OK);
        free(gb);
        gb = in_a_layout(b, nnc_net_grads(b));
        assert_int_equal(count_far_floor("by input, dense rows: gradients", gb, ga, n,
                                         gradient_floor(ga, gb, n)), 0);
        assert_int_equal(count_far_floor("by input, dense rows: dx", dxb, dxa,
                                         (size_t)rows[t] * in, 1e-6), 0);
        free(dxa);
        free(dxb);
        free(ga);
        free(gb);
        free(pa);
        free(pb);
        free(ps);
        free_batch(x);
    }

    /* (Finite differences through this layout: test_finite_differences.) */
    batch *x = new_batch(b, 16, &rng, -1);
    int units = nnc_net_layer_units(b, 0);

    /* Training: Adam and the fused SGD step give the same parameters in
     * either layout, and a word no batch has keeps its weights. */
    nnc_net *a2 = nnc_net_clone(a), *b2 = nnc_net_clone(b);
    assert_true(a2 && b2);
    nnc_optimizer *oa = nnc_adam_new(0.01f, 0.9f, 0.999f, 1e-8f);
    nnc_optimizer *ob = nnc_adam_new(0.01f, 0.9f, 0.999f, 1e-8f);
    nnc_optimizer *sa = nnc_sgd_new(0.05f), *sb = nnc_sgd_new(0.05f);
    assert_true(oa && ob && sa && sb);
    memcpy(nnc_net_params(b2), nnc_net_params(b), n * sizeof(float));
    float *untouched = copy_of(nnc_net_weights(b, 0) + (size_t)299 * units, (size_t)units);
    for (int step = 0; step < 4; step++) {
        batch *y = new_batch(a, 12, &rng, 299);
        assert_int_equal(nnc_net_set_sparse(a, &y->s), NNC_OK);
        assert_int_equal(nnc_net_set_sparse(b, &y->s), NNC_OK);
        assert_int_equal(nnc_train_step(a, oa, NULL, y->y, 12, NULL), NNC_OK);
        assert_int_equal(nnc_train_step(b, ob, NULL, y->y, 12, NULL), NNC_OK);
        assert_int_equal(nnc_net_set_sparse(a2, &y->s), NNC_OK);
        assert_int_equal(nnc_net_set_sparse(b2, &y->s), NNC_OK);
        assert_int_equal(nnc_train_step(a2, sa, NULL, y->y, 12, NULL), NNC_OK);
        assert_int_equal(nnc_train_step(b2, sb, NULL, y->y, 12, NULL), NNC_OK);
        nnc_net_set_sparse(a, NULL);
        nnc_net_set_sparse(b, NULL);
        nnc_net_set_sparse(a2, NULL);
        nnc_net_set_sparse(b2, NULL);
        free_batch(y);
    }
    float *pb = in_a_layout(b, nnc_net_params(b)), *pb2 = in_a_layout(b2, nnc_net_params(b2));
    assert_int_equal(count_far_params("by input: Adam", pb, nnc_net_params(a), n), 0);
    assert_int_equal(count_far_params("by input: SGD", pb2, nnc_net_params(a2), n), 0);
    assert_memory_equal(nnc_net_weights(b, 0) + (size_t)299 * units, untouched,
                        (size_t)units * sizeof(float));
    free(untouched);
    free(pb);
    free(pb2);
    nnc_optimizer_free(oa);
    nnc_optimizer_free(ob);
    nnc_optimizer_free(sa);
    nnc_optimizer_free(sb);
    free_batch(x);

    /* Only a dense first layer has a layout to choose. */
    nnc_net *conv = nnc_net_new_shaped((nnc_shape){ 1, 4, 4 });
    assert_non_null(conv);
    assert_int_equal(nnc_net_add_layers(conv, "conv:2:3,dense:2:softmax", NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_set_by_input(conv), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "dense"));
    nnc_net_free(conv);
    nnc_net_free(a2);
    nnc_net_free(b2);
    nnc_net_free(a);
    nnc_net_free(b);
}

static void test_refusals_and_back_to_dense(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED + 7);

    /* A convolution first: refused, naming what would do. */
    nnc_net *conv = nnc_net_new_shaped((nnc_shape){ 1, 4, 4 });
    assert_non_null(conv);
    assert_int_equal(nnc_net_add_layers(conv, "conv:2:3,dense:2:softmax", NNC_RELU), NNC_OK);
    size_t start[2] = { 0, 1 };
    int index[1] = { 3 }, columns[1] = { 3 };
    float value[1] = { 1.0f };
    nnc_sparse_rows one = { start, index, value, columns, 1 };
    assert_int_equal(nnc_net_set_sparse(conv, &one), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "dense"));
    assert_non_null(strstr(nnc_last_error(), "conv"));
    assert_null(nnc_net_sparse(conv));
    nnc_net_free(conv);

    /* No layers at all; no network. */
    nnc_net *empty = nnc_net_new(10);
    assert_int_equal(nnc_net_set_sparse(empty, &one), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "dense"));
    nnc_net_free(empty);
    assert_int_equal(nnc_net_set_sparse(NULL, &one), NNC_EINVAL);

    nnc_net *net = build_net(&SOFTMAX_NET, &rng);
    /* Fields missing. */
    nnc_sparse_rows bad = one;
    bad.start = NULL;
    assert_int_equal(nnc_net_set_sparse(net, &bad), NNC_EINVAL);
    bad = one;
    bad.index = NULL;
    assert_int_equal(nnc_net_set_sparse(net, &bad), NNC_EINVAL);
    bad = one;
    bad.columns = NULL;
    assert_int_equal(nnc_net_set_sparse(net, &bad), NNC_EINVAL);
    bad = one;
    bad.n_columns = -1;
    assert_int_equal(nnc_net_set_sparse(net, &bad), NNC_EINVAL);
    assert_null(nnc_net_sparse(net));

    /* An index outside the inputs, found by the pass, not read. */
    float out[3 * 5];
    int far[1] = { 300 };
    bad = one;
    bad.index = far;
    assert_int_equal(nnc_net_set_sparse(net, &bad), NNC_OK);
    assert_int_equal(nnc_predict(net, NULL, 1, out), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "300"));
    /* Columns out of order. */
    int unordered[2] = { 5, 3 };
    bad = one;
    bad.columns = unordered;
    bad.n_columns = 2;
    assert_int_equal(nnc_net_set_sparse(net, &bad), NNC_OK);
    assert_int_equal(nnc_predict(net, NULL, 1, out), NNC_EINVAL);
    /* A non-zero whose column the batch does not list: a forward pass
     * needs no list, gradients would have no place for it. The second row
     * names input 9; the columns list 3 alone. */
    size_t two_start[3] = { 0, 1, 2 };
    int two_index[2] = { 3, 9 };
    float two_value[2] = { 1.0f, 0.5f }, y[2 * 3] = { 1, 0, 0, 0, 1, 0 };
    nnc_sparse_rows unlisted = { two_start, two_index, two_value, columns, 1 };
    assert_int_equal(nnc_net_set_sparse(net, &unlisted), NNC_OK);
    assert_int_equal(nnc_predict(net, NULL, 2, out), NNC_OK);
    assert_int_equal(nnc_net_gradients(net, NULL, y, 2, NULL, NULL), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "row 1 has input 9"));
    unlisted.n_columns = 0;   /* and with no list at all */
    assert_int_equal(nnc_net_gradients(net, NULL, y, 2, NULL, NULL), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "row 0 has input 3"));
    /* With the list whole, the same rows give gradients. */
    int both[2] = { 3, 9 };
    unlisted.columns = both;
    unlisted.n_columns = 2;
    assert_int_equal(nnc_net_gradients(net, NULL, y, 2, NULL, NULL), NNC_OK);
    assert_int_equal(nnc_net_set_sparse(net, NULL), NNC_OK);

    /* Sparse, then back to dense: x is needed again, and the dense
     * predictions are the sparse ones. */
    batch *b = new_batch(net, 5, &rng, -1);
    float sparse[3 * 5], dense[3 * 5];
    assert_int_equal(nnc_net_set_sparse(net, &b->s), NNC_OK);
    assert_int_equal(nnc_predict(net, NULL, 5, sparse), NNC_OK);
    nnc_net *copy = nnc_net_clone(net);   /* the rows are the batch's: a copy starts dense */
    assert_non_null(copy);
    assert_null(nnc_net_sparse(copy));
    nnc_net_free(copy);
    assert_int_equal(nnc_net_set_sparse(net, NULL), NNC_OK);
    assert_null(nnc_net_sparse(net));
    assert_int_equal(nnc_predict(net, NULL, 5, dense), NNC_EINVAL);
    assert_int_equal(nnc_predict(net, b->x, 5, dense), NNC_OK);
    assert_int_equal(count_far("back to dense", sparse, dense, 15), 0);
    free_batch(b);
    nnc_net_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_matches_dense),
        cmocka_unit_test(test_gradients_match_dense),
        cmocka_unit_test(test_finite_differences),
        cmocka_unit_test(test_sgd_matches_dense),
        cmocka_unit_test(test_adam_is_lazy),
        cmocka_unit_test(test_sgd_clip_matches_dense),
        cmocka_unit_test(test_momentum_decay_is_lazy),
        cmocka_unit_test(test_refusals_and_back_to_dense),
        cmocka_unit_test(test_weights_by_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

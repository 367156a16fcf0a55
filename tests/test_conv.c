/*
 * test_conv.c - the image layers (conv, maxpool, avgpool, batchnorm) and
 * dropout: finite-difference gradients alone and in a stack (the training
 * pass for batch norm and dropout), batch norm's two modes and running
 * statistics, dropout's masks, the grammar's good and bad texts, shapes
 * through the stack, the model file's configuration bytes, max pooling's
 * ties, and small CNNs trained by the real program (one beats the MLP on
 * digits). (Their reference values from PyTorch are in test_reference.c,
 * beside the dense networks', since they share its JSON reading and
 * comparing.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli_support.h"
#include "nn/layer.h"
#include "nn/nn.h"
#include "nnc.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED 20261202u

/* ---------------------------------------------------- finite differences */

/* One network to differentiate: its input shape and layers, the loss, the
 * batch, and the step of the central difference (step * max(|v|, 1)).
 * Max pooling is piecewise linear: its derivative is exact between the
 * points where a window's maximum changes hands, and undefined at them, so
 * a network with a pool names what lies under it and how its windows go,
 * and the batch is drawn again until every window's largest value leads the
 * second by at least POOL_MARGIN, more than any step here can move it. */
typedef struct fd_case {
    const char *name;
    nnc_shape in;
    const char *layers;
    nnc_loss loss;
    int rows;
    double step;
    const char *below_pool;     /* the layers under the first maxpool: NULL for none */
    int pool_window, pool_stride;
    int training;               /* differentiate the training pass (batch norm, dropout) */
} fd_case;

/* Steps of 4e-3 at most (the 2h of the extrapolation, for h = 2e-3) of
 * inputs and parameters of at most about 1 move a pool's input by under
 * 1e-2. */
#define POOL_MARGIN 2e-2

/* Entries below this fraction of their gradient's largest are judged
 * against that instead of their own size: float32 rounding is absolute on
 * the gradient's scale (test_gradcheck.c explains the same choice). */
#define FLOOR_FRACTION 1e-2
#define TOLERANCE 1e-2

typedef struct fd_ctx {
    nnc_net *net;
    const float *x, *y;
    int rows;
    int training;
    const float *state;     /* the state block every evaluation starts from */
    nnc_rng *rng;           /* the network's generator, set to `seed` every time */
    uint64_t seed;
} fd_ctx;

/* Puts the network where every evaluation starts: a training pass moves
 * batch norm's running statistics and dropout's generator, and the loss
 * must be a function of the parameters and inputs alone. */
static void restart(const fd_ctx *c)
{
    memcpy(nnc_net_state(c->net), c->state, nnc_net_state_count(c->net) * sizeof(float));
    nnc_rng_seed(c->rng, c->seed);
}

/* The loss: the inferring pass's, or the training pass's (through
 * nnc_net_gradients, which has the training pass's loss; the gradients it
 * leaves are not used). */
static double loss_of(const fd_ctx *c)
{
    double loss = NAN;
    restart(c);
    if (c->training)
        assert_int_equal(nnc_net_gradients(c->net, c->x, c->y, c->rows, &loss, NULL), NNC_OK);
    else
        assert_int_equal(nnc_net_loss_value(c->net, c->x, c->y, c->rows, &loss), NNC_OK);
    return loss;
}

/* d loss / d v[i] for each i by Richardson's (4 D(h) - D(2h)) / 3 of
 * central differences D, each divided by the step float rounding took. */
static void numeric(const fd_ctx *c, float *v, size_t n, double step, double *grad)
{
    for (size_t i = 0; i < n; i++) {
        float orig = v[i];
        double d[2];
        for (int k = 0; k < 2; k++) {
            double h = (k + 1) * step * fmax(fabs((double)orig), 1.0);
            v[i] = (float)(orig + h);
            double up = v[i], f_up = loss_of(c);
            v[i] = (float)(orig - h);
            double down = v[i], f_down = loss_of(c);
            d[k] = (f_up - f_down) / (up - down);
        }
        v[i] = orig;
        grad[i] = (4 * d[0] - d[1]) / 3;
    }
}

/* The number of entries of the analytic gradient (floats) off the numeric
 * one by more than TOLERANCE; prints the worst either way. The float32
 * objective's rounding, over the step, is noise the numeric side carries. */
static int agree(const char *what, const float *analytic, const double *num, size_t n,
                 double noise)
{
    double scale = 0.0, worst = 0.0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(num[i]));
    double floor_at = fmax(FLOOR_FRACTION * scale, noise / TOLERANCE);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs(analytic[i] - num[i]);
        double err = diff == 0.0 ? 0.0 : diff / fmax(fmax(fabs(analytic[i]), fabs(num[i])), floor_at);
        if (!(err <= worst))
            worst = err;
        if (!(err <= TOLERANCE) && bad++ == 0)
            print_message("MISMATCH %s[%zu]: analytic %.9g, numeric %.9g\n", what, i,
                          (double)analytic[i], num[i]);
    }
    print_message("  %-48s n=%-4zu scale %-9.3g worst rel err %.3g\n", what, n, scale, worst);
    /* A gradient lost in the noise (all zeros, say) shows nothing. */
    if (!(scale > noise / TOLERANCE))
        bad++;
    return bad;
}

static double uniform(nnc_rng *rng, double lo, double hi)
{
    return lo + (hi - lo) * nnc_rng_uniform(rng);
}

/* The smallest lead of a window's largest value over its second largest,
 * over every window of every channel and row of v (rows of shape s). */
static double pool_lead(const float *v, int rows, nnc_shape s, int window, int stride)
{
    double lead = HUGE_VAL;
    int ho = (s.height - window) / stride + 1, wo = (s.width - window) / stride + 1;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < s.channels; c++)
            for (int y = 0; y < ho; y++)
                for (int x = 0; x < wo; x++) {
                    double first = -HUGE_VAL, second = -HUGE_VAL;
                    for (int i = 0; i < window; i++)
                        for (int j = 0; j < window; j++) {
                            size_t at = (((size_t)r * s.channels + c) * s.height + y * stride + i) *
                                            s.width + x * stride + j;
                            double t = v[at];
                            if (t > first) {
                                second = first;
                                first = t;
                            } else if (t > second) {
                                second = t;
                            }
                        }
                    lead = fmin(lead, first - second);
                }
    return lead;
}

/* The lead of the case's first pool on batch x: the layers under it are run
 * alone, with the network's own parameters (theirs come first in its block). */
static double batch_lead(const fd_case *fc, nnc_net *net, const float *x)
{
    if (fc->below_pool == NULL)
        return HUGE_VAL;
    if (fc->below_pool[0] == '\0')
        return pool_lead(x, fc->rows, fc->in, fc->pool_window, fc->pool_stride);
    nnc_net *under = nnc_net_new_shaped(fc->in);
    assert_int_equal(nnc_net_add_layers(under, fc->below_pool, NNC_TANH), NNC_OK);
    memcpy(nnc_net_params(under), nnc_net_params(net),
           nnc_net_param_count(under) * sizeof(float));
    int top = nnc_net_layer_count(under) - 1;
    float *out = malloc((size_t)fc->rows * (size_t)nnc_net_outputs(under) * sizeof *out);
    assert_non_null(out);
    assert_int_equal(nnc_predict(under, x, fc->rows, out), NNC_OK);
    double lead = pool_lead(out, fc->rows, nnc_net_layer_shape(under, top), fc->pool_window,
                            fc->pool_stride);
    free(out);
    nnc_net_free(under);
    return lead;
}

/* Every parameter's gradient and the input's, analytic against numeric. */
static int check_case(const fd_case *fc, nnc_rng *rng)
{
    nnc_net *net = nnc_net_new_shaped(fc->in);
    assert_non_null(net);
    if (nnc_net_add_layers(net, fc->layers, NNC_TANH) != NNC_OK)
        fail_msg("%s: %s", fc->layers, nnc_last_error());
    assert_int_equal(nnc_net_set_loss(net, fc->loss), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, rng), NNC_OK);
    /* Xavier leaves biases at 0; drawn ones test more. */
    for (int t = 0; t < nnc_net_tensor_count(net); t++) {
        nnc_tensor_info info;
        assert_int_equal(nnc_net_tensor(net, t, &info), NNC_OK);
        for (size_t i = 0; !info.decays && i < info.size; i++)
            nnc_net_params(net)[info.offset + i] = (float)uniform(rng, -0.5, 0.5);
    }
    const size_t n_params = nnc_net_param_count(net);
    const size_t n_x = (size_t)fc->rows * (size_t)nnc_net_inputs(net);
    const size_t n_y = (size_t)fc->rows * (size_t)nnc_net_outputs(net);
    float *x = malloc(n_x * sizeof *x), *y = malloc(n_y * sizeof *y);
    float *dx = malloc(n_x * sizeof *dx), *grads = malloc((n_params + 1) * sizeof *grads);
    double *num = malloc((n_params > n_x ? n_params : n_x) * sizeof *num);
    assert_true(x && y && dx && grads && num);

    int tries = 0;
    do {
        assert_true(tries++ < 100000);
        for (size_t i = 0; i < n_x; i++)
            x[i] = (float)uniform(rng, -1.0, 1.0);
    } while (batch_lead(fc, net, x) < POOL_MARGIN);
    for (size_t i = 0; i < n_y; i++)
        y[i] = (float)uniform(rng, -1, 1);

    /* Running statistics away from their start (mean 0, variance 1): a
     * training pass must not depend on them. */
    size_t n_state = nnc_net_state_count(net);
    float *start = malloc((n_state + 1) * sizeof *start);
    assert_non_null(start);
    for (int t = 0; t < nnc_net_tensor_count(net); t++) {
        nnc_tensor_info info;
        assert_int_equal(nnc_net_tensor(net, t, &info), NNC_OK);
        int var = info.is_state && strcmp(info.name, "running_var") == 0;
        for (size_t i = 0; info.is_state && i < info.size; i++)
            nnc_net_state(net)[info.offset + i] =
                (float)(var ? uniform(rng, 0.5, 2.0) : uniform(rng, -0.5, 0.5));
    }
    memcpy(start, nnc_net_state(net), n_state * sizeof *start);
    nnc_rng net_rng;
    nnc_net_set_rng(net, &net_rng);
    fd_ctx ctx = { net, x, y, fc->rows, fc->training, start, &net_rng, SEED + 1 };

    /* The analytic side is always the training pass's (the only one with
     * a backward pass); for layers that behave alike in both modes the
     * numeric side may take the inferring pass's loss. */
    double loss = NAN;
    restart(&ctx);
    assert_int_equal(nnc_net_gradients(net, x, y, fc->rows, &loss, dx), NNC_OK);
    if (n_params > 0)
        memcpy(grads, nnc_net_grads(net), n_params * sizeof *grads);
    /* A few float32 roundings of the loss, over the smallest step (the
     * worst errors printed stay well inside it). */
    double noise = 4.0 * FLT_EPSILON * fmax(fabs(loss), 1.0) / fc->step;
    char what[128];
    int bad = 0;
    if (n_params > 0) {
        numeric(&ctx, nnc_net_params(net), n_params, fc->step, num);
        snprintf(what, sizeof what, "%s, %d row%s: params", fc->name, fc->rows,
                 fc->rows > 1 ? "s" : "");
        bad += agree(what, grads, num, n_params, noise);
    }
    numeric(&ctx, x, n_x, fc->step, num);
    snprintf(what, sizeof what, "%s, %d row%s: dx", fc->name, fc->rows, fc->rows > 1 ? "s" : "");
    bad += agree(what, dx, num, n_x, noise);

    free(start);
    free(x);
    free(y);
    free(dx);
    free(grads);
    free(num);
    nnc_net_free(net);
    return bad;
}

static void check_cases(const fd_case *cases, size_t n)
{
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED);
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += check_case(&cases[i], &rng);
    assert_int_equal(bad, 0);
}

#define SQ NNC_LOSS_SQUARED_ERROR

/* Smooth activations only: ReLU's kink is test_gradcheck.c's business. */
static void test_conv_gradients(void **state)
{
    (void)state;
    const fd_case cases[] = {
        /* Same padding at stride 1, on a non-square input of two channels. */
        { "conv:3:3 on 2x5x7", { 2, 5, 7 }, "conv:3:3:tanh", SQ, 1, 2e-2, NULL, 0, 0, 0 },
        { "conv:3:3 on 2x5x7", { 2, 5, 7 }, "conv:3:3:tanh", SQ, 3, 2e-2, NULL, 0, 0, 0 },
        /* Stride 2 without padding (the default there) and with it. */
        { "conv:2:3:2 on 2x5x7", { 2, 5, 7 }, "conv:2:3:2:sigmoid", SQ, 2, 2e-2, NULL, 0, 0, 0 },
        { "conv:2:3:2:1 on 2x5x7", { 2, 5, 7 }, "conv:2:3:2:1:tanh", SQ, 2, 2e-2, NULL, 0, 0, 0 },
        /* Padding 0 at stride 1, an even kernel, three channels. */
        { "conv:4:2:1:0 on 3x4x6", { 3, 4, 6 }, "conv:4:2:1:0:identity", SQ, 2, 2e-2, NULL, 0,
          0, 0 },
        /* A 5x5 kernel with padding 2 (the reference's), and stride 3 with padding 1. */
        { "conv:2:5 on 3x6x5", { 3, 6, 5 }, "conv:2:5:tanh", SQ, 2, 2e-2, NULL, 0, 0, 0 },
        { "conv:3:3:3:1 on 1x7x8", { 1, 7, 8 }, "conv:3:3:3:1:tanh", SQ, 2, 2e-2, NULL, 0, 0, 0 },
        /* 1x1 kernels mix channels only. */
        { "conv:2:1 on 3x4x4", { 3, 4, 4 }, "conv:2:1:tanh", SQ, 2, 2e-2, NULL, 0, 0, 0 },
        /* Two convolutions: the upper one's dx flows into the lower one. */
        { "conv:3:3,conv:2:3:2", { 2, 5, 7 }, "conv:3:3:tanh,conv:2:3:2:1:tanh", SQ, 2, 2e-2,
          NULL, 0, 0, 0 },
        /* 3x3 at stride 1 with 8 or more channels into the product takes
         * the Winograd path (winograd.c): forward and input gradient, at
         * padding 1, 0 and 2 (the gradient's padding is 2 - p), odd and
         * non-square sizes whose last tiles stick out. */
        { "Winograd conv:8:3 on 8x5x7", { 8, 5, 7 }, "conv:8:3:tanh", SQ, 8, 2e-2, NULL, 0, 0,
          0 },
        { "Winograd conv:9:3:1:0 on 8x6x5", { 8, 6, 5 }, "conv:9:3:1:0:tanh", SQ, 8, 2e-2, NULL,
          0, 0, 0 },
        { "Winograd conv:8:3:1:2 on 9x3x4", { 9, 3, 4 }, "conv:8:3:1:2:tanh", SQ, 8, 2e-2, NULL,
          0, 0, 0 },
        /* Winograd one way only: forward (8 channels in, 3 filters) or the
         * input gradient (2 channels in, 8 filters). */
        { "Winograd forward conv:3:3 on 8x5x5", { 8, 5, 5 }, "conv:3:3:tanh", SQ, 8, 2e-2, NULL,
          0, 0, 0 },
        { "Winograd gradient conv:8:3 on 2x5x7", { 2, 5, 7 }, "conv:8:3:tanh", SQ, 8, 2e-2, NULL,
          0, 0, 0 },
    };
    check_cases(cases, sizeof cases / sizeof cases[0]);
}

/* One output of a convolution by its definition, in double: filter o's
 * k x k kernels over the input window whose top left is (top, left). */
static double direct_sum(const float *w, const float *x, nnc_shape in, int o, int top, int left,
                         int k)
{
    double sum = 0.0;
    for (int c = 0; c < in.channels; c++)
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) {
                int y = top + i, xx = left + j;
                if (y < 0 || y >= in.height || xx < 0 || xx >= in.width)
                    continue;
                sum += (double)w[(((size_t)o * in.channels + c) * k + i) * k + j] *
                       x[((size_t)c * in.height + y) * in.width + xx];
            }
    return sum;
}

/* conv's output, forward pass, against the sum of its definition in
 * double: one layer with drawn weights, biases and inputs, for shapes on
 * both of conv.c's paths (Winograd: 3x3, stride 1, 8 or more channels in;
 * im2col otherwise), on 1 row and on 9, each within 1e-5
 * of the largest output. */
static void test_conv_matches_a_direct_sum(void **state)
{
    (void)state;
    const struct {
        nnc_shape in;
        int filters, kernel, stride, pad;
    } cases[] = {
        { { 32, 14, 14 }, 64, 3, 1, 1 },   /* the bench's second convolution */
        { { 16, 9, 11 }, 8, 3, 1, 1 },     /* odd sizes: the last tiles stick out */
        { { 8, 7, 6 }, 5, 3, 1, 0 },
        { { 8, 4, 5 }, 6, 3, 1, 2 },
        { { 4, 9, 9 }, 6, 3, 1, 1 },       /* too shallow for Winograd: im2col */
        { { 8, 9, 9 }, 6, 3, 2, 1 },       /* strided: im2col */
    };
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED + 7);
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const nnc_shape in = cases[t].in;
        for (int rows = 1; rows <= 9; rows += 8) {
            const int f = cases[t].filters, k = cases[t].kernel, st = cases[t].stride,
                      p = cases[t].pad;
            char text[64];
            snprintf(text, sizeof text, "conv:%d:%d:%d:%d:identity", f, k, st, p);
            nnc_net *net = nnc_net_new_shaped(in);
            assert_non_null(net);
            assert_int_equal(nnc_net_add_layers(net, text, NNC_RELU), NNC_OK);
            float *w = nnc_net_params(net);
            const size_t n_w = (size_t)f * in.channels * k * k;
            for (size_t i = 0; i < n_w + (size_t)f; i++)
                w[i] = (float)uniform(&rng, -1, 1);
            const int ho = (in.height + 2 * p - k) / st + 1, wo = (in.width + 2 * p - k) / st + 1;
            const size_t n_in = (size_t)in.channels * in.height * in.width;
            const size_t n_out = (size_t)f * ho * wo;
            assert_int_equal(nnc_net_outputs(net), (int)n_out);
            float *x = malloc(rows * n_in * sizeof *x), *z = malloc(rows * n_out * sizeof *z);
            double *want = malloc(rows * n_out * sizeof *want);
            assert_true(x && z && want);
            for (size_t i = 0; i < rows * n_in; i++)
                x[i] = (float)uniform(&rng, -1, 1);
            assert_int_equal(nnc_net_forward(net, x, rows, 0, z), NNC_OK);
            double largest = 0.0;
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < f; o++)
                    for (int y = 0; y < ho; y++)
                        for (int xo = 0; xo < wo; xo++) {
                            double sum = w[n_w + (size_t)o] +
                                         direct_sum(w, x + r * n_in, in, o, y * st - p,
                                                    xo * st - p, k);
                            want[r * n_out + ((size_t)o * ho + y) * wo + xo] = sum;
                            largest = fmax(largest, fabs(sum));
                        }
            double worst = 0.0;
            for (size_t i = 0; i < rows * n_out; i++)
                worst = fmax(worst, fabs(z[i] - want[i]));
            if (worst > 1e-5 * largest)
                fail_msg("%s on %dx%dx%d, %d rows: worst difference %g, largest output %g", text,
                         in.channels, in.height, in.width, rows, worst, largest);
            free(x);
            free(z);
            free(want);
            nnc_net_free(net);
        }
    }
}

static void test_maxpool_gradients(void **state)
{
    (void)state;
    const fd_case cases[] = {
        { "maxpool:2 on 2x5x7", { 2, 5, 7 }, "maxpool:2", SQ, 1, 1e-3, "", 2, 2, 0 },
        { "maxpool:2 on 2x5x7", { 2, 5, 7 }, "maxpool:2", SQ, 3, 1e-3, "", 2, 2, 0 },
        /* Overlapping windows: one input can be the maximum of two outputs. */
        { "maxpool:3:2 on 2x5x7", { 2, 5, 7 }, "maxpool:3:2", SQ, 2, 1e-3, "", 3, 2, 0 },
        { "maxpool:2:1 on 1x4x4", { 1, 4, 4 }, "maxpool:2:1", SQ, 2, 1e-3, "", 2, 1, 0 },
    };
    check_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Squared errors summed: gradients of order 1, well above the noise of the
 * small steps a pool needs (softmax with cross-entropy has its reference
 * values in test_reference.c). */
static void test_stack_gradients(void **state)
{
    (void)state;
    const fd_case cases[] = {
        { "conv,maxpool,dense", { 2, 6, 7 }, "conv:3:3:tanh,maxpool:2,dense:4:identity", SQ, 2,
          2e-3, "conv:3:3:tanh", 2, 2, 0 },
        { "conv,maxpool:3:2,conv,dense", { 1, 7, 7 },
          "conv:2:3:sigmoid,maxpool:3:2,conv:2:2:1:0:tanh,dense:3:tanh", SQ, 2, 2e-3,
          "conv:2:3:sigmoid", 3, 2, 0 },
    };
    check_cases(cases, sizeof cases / sizeof cases[0]);
}

/* --------------------------------------------------------- max pooling */

/* Average pooling, windowed and global, is linear: any step does, and no
 * margin is needed. */
static void test_avgpool_gradients(void **state)
{
    (void)state;
    const fd_case cases[] = {
        { "avgpool:2 on 2x5x7", { 2, 5, 7 }, "avgpool:2", SQ, 2, 2e-2, NULL, 0, 0, 0 },
        /* Overlapping windows, and a window that fits only once across. */
        { "avgpool:3:2 on 2x5x7", { 2, 5, 7 }, "avgpool:3:2", SQ, 2, 2e-2, NULL, 0, 0, 0 },
        { "avgpool:5:1 on 1x5x7", { 1, 5, 7 }, "avgpool:5:1", SQ, 1, 2e-2, NULL, 0, 0, 0 },
        { "globalavgpool on 3x5x7", { 3, 5, 7 }, "globalavgpool", SQ, 2, 2e-2, NULL, 0, 0, 0 },
        { "conv,globalavgpool,dense", { 2, 5, 7 }, "conv:4:3:2:1:tanh,globalavgpool,dense:3:tanh",
          SQ, 2, 2e-2, NULL, 0, 0, 0 },
        { "conv:3:3:2:1,avgpool:2:1,dense", { 2, 5, 7 },
          "conv:3:3:2:1:tanh,avgpool:2:1,dense:3:tanh", SQ, 2, 2e-2, NULL, 0, 0, 0 },
    };
    check_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Batch norm in training mode: the batch's statistics depend on every
 * input, so each input's gradient runs through all the rows; after a conv
 * per channel over rows x H x W, after a dense layer per unit over rows. */
static void test_batchnorm_gradients(void **state)
{
    (void)state;
    const fd_case cases[] = {
        { "batchnorm on 2x5x7", { 2, 5, 7 }, "batchnorm:tanh", SQ, 2, 2e-2, NULL, 0, 0, 1 },
        /* One row: the statistics are over the positions alone. */
        { "batchnorm on 3x3x4, 1 row", { 3, 3, 4 }, "batchnorm:sigmoid", SQ, 1, 2e-2, NULL, 0,
          0, 1 },
        { "conv:3:3:2:1,batchnorm,avgpool,dense", { 2, 5, 7 },
          "conv:3:3:2:1:identity,batchnorm:tanh,avgpool:2,dense:3:tanh", SQ, 3, 2e-2, NULL, 0,
          0, 1 },
        { "dense,batchnorm,dense", { 5, 1, 1 }, "dense:4:identity,batchnorm:tanh,dense:2:tanh",
          SQ, 4, 2e-2, NULL, 0, 0, 1 },
    };
    check_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Dropout in training mode with the generator set to the same seed before
 * every evaluation: the mask is fixed, and the layer a linear map. */
static void test_dropout_gradients(void **state)
{
    (void)state;
    const fd_case cases[] = {
        { "dropout:0.5 on 2x5x7", { 2, 5, 7 }, "dropout:0.5", SQ, 2, 2e-2, NULL, 0, 0, 1 },
        { "conv,dropout,batchnorm,dense", { 2, 5, 7 },
          "conv:3:3:tanh,dropout:0.3,batchnorm:identity,dense:3:tanh", SQ, 3, 2e-2, NULL, 0, 0,
          1 },
    };
    check_cases(cases, sizeof cases / sizeof cases[0]);
}

/* Inferring, batch norm is the affine map of its running statistics; a
 * training pass normalises with the batch's and moves the running ones by
 * momentum 0.1 (with the unbiased variance). */
static void test_batchnorm_modes(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new_shaped((nnc_shape){ 2, 1, 2 });
    assert_int_equal(nnc_net_add_layers(net, "batchnorm", NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_layer_activation(net, 0), NNC_IDENTITY);  /* not the default */
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED);
    assert_int_equal(nnc_net_init(net, NNC_INIT_HE, &rng), NNC_OK);
    float *p = nnc_net_params(net), *st = nnc_net_state(net);
    assert_int_equal(nnc_net_param_count(net), 4);
    assert_int_equal(nnc_net_state_count(net), 4);
    /* Starts: gamma 1, beta 0, running mean 0, running variance 1. */
    const float start[4] = { 0, 0, 1, 1 };
    assert_memory_equal(st, start, sizeof start);
    assert_true(p[0] == 1 && p[1] == 1 && p[2] == 0 && p[3] == 0);
    p[0] = 2.0f;    /* gamma of channel 0 */
    p[2] = 0.5f;    /* beta of channel 0 */
    st[0] = 1.0f;   /* running mean of channel 0 */
    st[2] = 4.0f;   /* running variance of channel 0 */
    /* Two rows of 2 channels x 2 positions. */
    const float x[8] = { 1, 3, 10, 20, 5, 7, 30, 40 };
    float out[8];
    assert_int_equal(nnc_predict(net, x, 2, out), NNC_OK);
    double s0 = 2.0 / sqrt(4.0 + 1e-5), s1 = 1.0 / sqrt(1.0 + 1e-5);
    const double want_infer[8] = { (1 - 1) * s0 + 0.5, (3 - 1) * s0 + 0.5, 10 * s1, 20 * s1,
                                   (5 - 1) * s0 + 0.5, (7 - 1) * s0 + 0.5, 30 * s1, 40 * s1 };
    for (int i = 0; i < 8; i++)
        assert_float_equal(out[i], want_infer[i], 1e-5 * fmax(1, fabs(want_infer[i])));
    assert_true(st[2] == 4.0f && st[3] == 1.0f);  /* unmoved */

    nnc_net_set_rng(net, &rng);
    assert_int_equal(nnc_net_forward(net, x, 2, 1, out), NNC_OK);
    /* Channel 0 holds 1, 3, 5, 7: mean 4, biased variance 5, unbiased 20/3. */
    double k = 2.0 / sqrt(5.0 + 1e-5);
    const double want_train[4] = { (1 - 4) * k + 0.5, (3 - 4) * k + 0.5, (5 - 4) * k + 0.5,
                                   (7 - 4) * k + 0.5 };
    const int at[4] = { 0, 1, 4, 5 };
    for (int i = 0; i < 4; i++)
        assert_float_equal(out[at[i]], want_train[i], 1e-5);
    assert_float_equal(st[0], 0.9 * 1.0 + 0.1 * 4.0, 1e-6);
    assert_float_equal(st[2], 0.9 * 4.0 + 0.1 * 20.0 / 3.0, 1e-6);
    /* Channel 1 holds 10, 20, 30, 40: mean 25, unbiased variance 500/3. */
    assert_float_equal(st[1], 0.1 * 25.0, 1e-5);
    assert_float_equal(st[3], 0.9 + 0.1 * 500.0 / 3.0, 1e-4);
    /* A second pass moves them again by the same rule. */
    assert_int_equal(nnc_net_forward(net, x, 2, 1, out), NNC_OK);
    assert_float_equal(st[0], 0.9 * (0.9 + 0.4) + 0.1 * 4.0, 1e-6);
    nnc_net_free(net);
}

/* Dropout draws its masks from the network's generator: the same seed, the
 * same masks; about 1 - p of the values kept, each scaled by 1 / (1 - p);
 * inferring (and p = 0) the identity; a training pass without a generator
 * is refused, not crashed. */
/* A training batch of one row through a per-unit batch norm has one value
 * per channel: its batch variance is 0 and it has no unbiased one. The
 * output is then beta, the running variance is left as it was (PyTorch
 * refuses such a batch; nnc trains on, as a last short batch may be one
 * row), the running mean moves by the momentum, and nothing is NaN. */
static void test_batchnorm_one_value_per_channel(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new(3);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_layers(net, "batchnorm", NNC_RELU), NNC_OK);
    float *p = nnc_net_params(net), *st = nnc_net_state(net);
    const float gamma[3] = { 1.5f, -2.0f, 0.5f }, beta[3] = { 0.25f, -1.0f, 3.0f };
    for (int c = 0; c < 3; c++) {
        p[c] = gamma[c];
        p[3 + c] = beta[c];
        st[c] = 0.5f;           /* running mean */
        st[3 + c] = 2.0f;       /* running variance */
    }
    const float x[3] = { 4.0f, -7.0f, 0.0f }, y[3] = { 1.0f, 2.0f, 4.0f };
    float z[3], dx[3];
    assert_int_equal(nnc_net_forward(net, x, 1, 1, z), NNC_OK);
    for (int c = 0; c < 3; c++) {
        assert_float_equal(z[c], beta[c], 0.0f);
        assert_float_equal(st[c], 0.9f * 0.5f + 0.1f * x[c], 1e-6f);
        assert_float_equal(st[3 + c], 2.0f, 0.0f);
    }
    for (int c = 0; c < 3; c++)
        st[c] = 0.5f;
    assert_int_equal(nnc_net_gradients(net, x, y, 1, NULL, dx), NNC_OK);
    const float *g = nnc_net_grads(net);
    for (int c = 0; c < 3; c++) {
        /* The output does not move with x, nor with gamma. */
        assert_float_equal(dx[c], 0.0f, 0.0f);
        assert_float_equal(g[c], 0.0f, 0.0f);
        assert_true(isfinite(g[3 + c]) && g[3 + c] != 0.0f);
    }
    nnc_net_free(net);
}

static void test_dropout_masks(void **state)
{
    (void)state;
    enum { N = 100000 };
    const double p = 0.3;
    nnc_net *net = nnc_net_new_shaped((nnc_shape){ N, 1, 1 });
    assert_int_equal(nnc_net_add_layers(net, "dropout:0.3", NNC_RELU), NNC_OK);
    float *x = malloc(N * sizeof *x), *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    assert_true(x && a && b);
    for (int i = 0; i < N; i++)
        x[i] = 1.0f + (float)(i % 97);

    assert_int_equal(nnc_net_forward(net, x, 1, 1, a), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "layer 1 (dropout) draws from the network's generator"));

    assert_int_equal(nnc_net_forward(net, x, 1, 0, a), NNC_OK);
    assert_memory_equal(a, x, N * sizeof *x);       /* inferring: the identity */
    assert_int_equal(nnc_predict(net, x, 1, a), NNC_OK);
    assert_memory_equal(a, x, N * sizeof *x);

    nnc_rng rng;
    nnc_rng_seed(&rng, 7);
    nnc_net_set_rng(net, &rng);
    assert_int_equal(nnc_net_forward(net, x, 1, 1, a), NNC_OK);
    nnc_rng_seed(&rng, 7);
    assert_int_equal(nnc_net_forward(net, x, 1, 1, b), NNC_OK);
    assert_memory_equal(a, b, N * sizeof *a);       /* same seed, same mask */
    assert_int_equal(nnc_net_forward(net, x, 1, 1, b), NNC_OK);
    int differ = 0;
    for (int i = 0; i < N; i++)
        differ += (a[i] == 0) != (b[i] == 0);
    assert_true(differ > N / 4);                    /* the generator moved on */

    int kept = 0;
    const float scale = (float)(1.0 / (1.0 - p));
    for (int i = 0; i < N; i++) {
        if (a[i] == 0)
            continue;
        kept++;
        assert_true(a[i] == x[i] * scale);
    }
    /* Binomial: standard deviation sqrt(N p (1-p)) = 145 values; 5 of them. */
    double sd = sqrt(N * p * (1 - p));
    print_message("  dropout:0.3 kept %d of %d (expected %.0f +- %.0f)\n", kept, N,
                  N * (1 - p), sd);
    assert_true(fabs(kept - N * (1 - p)) < 5 * sd);
    nnc_net_free(net);

    net = nnc_net_new_shaped((nnc_shape){ N, 1, 1 });
    assert_int_equal(nnc_net_add_layers(net, "dropout:0", NNC_RELU), NNC_OK);
    nnc_net_set_rng(net, &rng);
    assert_int_equal(nnc_net_forward(net, x, 1, 1, a), NNC_OK);
    assert_memory_equal(a, x, N * sizeof *x);
    nnc_net_free(net);
    free(x);
    free(a);
    free(b);
}

/* Equal values: the first in the window takes the gradient, as PyTorch's
 * does; overlapping windows with one maximum add their gradients onto it. */
/* The 2 x 2, stride 2 pooling has its own loops (vectorised, with an exact
 * fallback for rows holding a NaN): against the rule written out here, on
 * values with many ties, a few NaNs and infinities, and odd sizes whose last
 * row and column no window covers; in both modes, and the gradient each
 * window routes to its arg-max. */
static void test_maxpool_2x2_against_the_rule(void **state)
{
    (void)state;
    enum { C = 3, H = 7, W = 9, HO = 3, WO = 4, IN = C * H * W, OUT = C * HO * WO, ROWS = 2 };
    nnc_net *net = nnc_net_new_shaped((nnc_shape){ C, H, W });
    assert_int_equal(nnc_net_add_layers(net, "maxpool:2", NNC_RELU), NNC_OK);
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED + 11);
    float x[ROWS * IN], y[ROWS * OUT], infer[ROWS * OUT], dx[ROWS * IN];
    for (int i = 0; i < ROWS * IN; i++)
        x[i] = (float)nnc_rng_below(&rng, 4);   /* ties everywhere */
    x[5] = NAN;                                  /* not first in its window */
    x[W + 2] = NAN;
    x[IN + 2 * W] = INFINITY;
    x[IN + 2 * W + 1] = NAN;                     /* after an infinity */
    x[IN + W * H + 3] = -INFINITY;
    for (int i = 0; i < ROWS * OUT; i++)
        y[i] = 0.0f;
    assert_int_equal(nnc_predict(net, x, ROWS, infer), NNC_OK);
    assert_int_equal(nnc_net_gradients(net, x, y, ROWS, NULL, dx), NNC_OK);
    const float *train = nnc_net_top_output(net);
    float want_dx[ROWS * IN] = { 0 };
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < C; c++)
            for (int yo = 0; yo < HO; yo++)
                for (int xo = 0; xo < WO; xo++) {
                    int best = (c * H + 2 * yo) * W + 2 * xo, at[3] = { best + 1, best + W,
                                                                       best + W + 1 };
                    const float *xr = x + r * IN;
                    for (int k = 0; k < 3; k++) {
                        float v = xr[at[k]], m = xr[best];
                        if (v > m || (isnan(v) && !isnan(m)))
                            best = at[k];
                    }
                    int o = r * OUT + (c * HO + yo) * WO + xo;
                    float want = xr[best];
                    if (isnan(want)) {
                        assert_true(isnan(infer[o]) && isnan(train[o]));
                    } else {
                        assert_float_equal(infer[o], want, 0.0f);
                        assert_float_equal(train[o], want, 0.0f);
                    }
                    /* Squared error against 0: the gradient at the arg-max is 2 z. */
                    want_dx[r * IN + best] += 2.0f * want;
                }
    for (int i = 0; i < ROWS * IN; i++) {
        if (isnan(want_dx[i]))
            assert_true(isnan(dx[i]));
        else
            assert_float_equal(dx[i], want_dx[i], 0.0f);
    }
    nnc_net_free(net);
}

static void test_maxpool_ties_and_overlaps(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new_shaped((nnc_shape){ 1, 2, 2 });
    assert_int_equal(nnc_net_add_layers(net, "maxpool:2", NNC_RELU), NNC_OK);
    const float x[4] = { 1, 1, 1, 1 }, y[1] = { 0 };
    float dx[4], out[1];
    /* Squared error: d/dz (z - 0)^2 = 2 z = 2. */
    assert_int_equal(nnc_net_gradients(net, x, y, 1, NULL, dx), NNC_OK);
    assert_float_equal(dx[0], 2.0f, 0.0f);
    for (int i = 1; i < 4; i++)
        assert_float_equal(dx[i], 0.0f, 0.0f);
    /* A NaN is the maximum, not hidden. */
    const float nan_x[4] = { 1, NAN, 3, 1 };
    assert_int_equal(nnc_predict(net, nan_x, 1, out), NNC_OK);
    assert_true(isnan(out[0]));
    nnc_net_free(net);

    net = nnc_net_new_shaped((nnc_shape){ 1, 2, 3 });
    assert_int_equal(nnc_net_add_layers(net, "maxpool:2:1", NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_outputs(net), 2);
    const float x2[6] = { 0, 5, 0, 0, 0, -1 }, y2[2] = { 4, 3 };
    float dx2[6];
    assert_int_equal(nnc_net_gradients(net, x2, y2, 1, NULL, dx2), NNC_OK);
    /* Both windows' maximum is x2[1]: 2 (5 - 4) + 2 (5 - 3). */
    assert_float_equal(dx2[1], 6.0f, 0.0f);
    assert_float_equal(dx2[0] + dx2[2] + dx2[3] + dx2[4] + dx2[5], 0.0f, 0.0f);
    nnc_net_free(net);
}

/* ---------------------------------------------------------------- grammar */

static char *describe(const nnc_net *net)
{
    static char text[1024];
    int n = nnc_net_describe(net, text, sizeof text);
    assert_true(n >= 0 && n < (int)sizeof text);
    return text;
}

static void test_grammar_good_texts(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new_shaped((nnc_shape){ 3, 8, 8 });
    assert_int_equal(nnc_net_add_layers(net,
                                        "conv:4:3, conv:4:3:2 ,conv:4:3:2:1:tanh,conv:2:1:1:0,"
                                        "maxpool:2,dense:3:softmax",
                                        NNC_RELU),
                     NNC_OK);
    /* 3x8x8 -> 4x8x8 (same) -> 4x3x3 (stride 2, no padding) -> 4x2x2 (padding 1)
     * -> 2x2x2 -> 2x1x1 -> 3. Stride and padding are written only where they
     * differ from their defaults, and maxpool takes no activation. */
    assert_string_equal(describe(net), "conv:4:3:relu,conv:4:3:2:relu,conv:4:3:2:1:tanh,"
                                       "conv:2:1:relu,maxpool:2,dense:3:softmax");
    const int want[][3] = { { 4, 8, 8 }, { 4, 3, 3 }, { 4, 2, 2 }, { 2, 2, 2 }, { 2, 1, 1 },
                            { 3, 1, 1 } };
    for (int l = 0; l < 6; l++) {
        nnc_shape s = nnc_net_layer_shape(net, l);
        assert_int_equal(s.channels, want[l][0]);
        assert_int_equal(s.height, want[l][1]);
        assert_int_equal(s.width, want[l][2]);
    }
    assert_int_equal(nnc_net_param_count(net), (4 * 27 + 4) + (4 * 36 + 4) * 2 + (2 * 4 + 2) +
                                                   (3 * 2 + 3));
    assert_string_equal(nnc_net_layer_type(net, 4), "maxpool");
    assert_int_equal(nnc_net_layer_activation(net, 4), NNC_IDENTITY);

    /* The canonical text builds the same network again. */
    char text[1024];
    snprintf(text, sizeof text, "%s", describe(net));
    nnc_net *again = nnc_net_new_shaped((nnc_shape){ 3, 8, 8 });
    assert_int_equal(nnc_net_add_layers(again, text, NNC_IDENTITY), NNC_OK);
    assert_string_equal(describe(again), text);
    assert_int_equal(nnc_net_param_count(again), nnc_net_param_count(net));
    nnc_net_free(again);
    nnc_net_free(net);

    /* Defaults spelled out describe as the defaults; others stay. */
    net = nnc_net_new_shaped((nnc_shape){ 1, 9, 9 });
    assert_int_equal(nnc_net_add_layers(net, "conv:2:3:1:1,conv:2:3:2:0,maxpool:2:2,maxpool:1:1"
                                             ",conv:1:1:1:0:identity",
                                        NNC_TANH),
                     NNC_OK);
    assert_string_equal(describe(net), "conv:2:3:tanh,conv:2:3:2:tanh,maxpool:2,maxpool:1,"
                                       "conv:1:1:identity");
    nnc_net_free(net);
    net = nnc_net_new_shaped((nnc_shape){ 1, 9, 9 });
    assert_int_equal(nnc_net_add_layers(net, "conv:2:3:1:0,conv:2:3:2:1,maxpool:3:2", NNC_TANH),
                     NNC_OK);
    assert_string_equal(describe(net), "conv:2:3:1:0:tanh,conv:2:3:2:1:tanh,maxpool:3:2");
    nnc_net_free(net);
}

static const bad_text bad_texts[] = {
    { "conv:0:3", 6, "the filters must be a whole number from 1 to 16777216, got '0'" },
    { "conv:8", 1, "a conv layer needs its filters and kernel size" },
    { "conv", 1, "a conv layer needs its filters and kernel size" },
    { "conv:8:0", 8, "the kernel size must be a whole number from 1 to 1024, got '0'" },
    { "conv:8:3:0", 10, "the stride must be a whole number from 1 to 1024, got '0'" },
    { "conv:8:3:bogus", 10, "the stride must be a whole number" },
    { "conv:8:3:1:3", 12, "the padding (below the kernel size) must be a whole number from 0 to "
                          "2, got '3'" },
    { "conv:8:3:1:1:2", 14, "'2' is neither an activation" },
    { "conv:8:3:relu:2", 10, "the activation 'relu' must come last" },
    { "conv:8:9:1:0", 1, "'conv:8:9:1:0': conv: the 9x9 kernel is larger than the input 3x8x8 "
                         "with padding 0 (8x8)" },
    { "conv:4:3:2,conv:4:5:1:0", 12, "'conv:4:5:1:0': conv: the 5x5 kernel is larger than the "
                                     "input 4x3x3 with padding 0 (3x3)" },
    { "maxpool:0", 9, "the window must be a whole number from 1 to 1024, got '0'" },
    { "maxpool", 1, "a maxpool layer needs its window" },
    { "maxpool:2:0", 11, "the stride must be a whole number from 1 to 1024, got '0'" },
    { "maxpool:2:relu", 11, "a maxpool layer takes no activation" },
    { "maxpool:2:2:2", 13, "'2' is no field a maxpool layer has" },
    { "conv:4:3:2,maxpool:4", 12, "'maxpool:4': maxpool: the 4x4 window is larger than the "
                                  "input 4x3x3" },
    { "maxpool:9", 1, "the 9x9 window is larger than the input 3x8x8" },
    { "dropout", 1, "a dropout layer needs its rate" },
    { "dropout:1", 9, "the rate must be a number from 0 to 0.99, got '1'" },
    { "dropout:0.3:relu", 13, "a dropout layer takes no activation" },
    { "batchnorm:3", 11, "'3' is no field a batchnorm layer has" },
    { "avgpool", 1, "an avgpool layer needs its window" },
    { "pool:2", 1,
      "unknown layer type 'pool' (known: dense, conv, maxpool, avgpool, batchnorm, dropout, "
      "globalavgpool;" },
    { "globalavgpool:2", 15, "'2' is no field a globalavgpool layer has" },
};

static void test_grammar_bad_texts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_texts / sizeof bad_texts[0]; i++) {
        const bad_text *b = &bad_texts[i];
        nnc_net *net = nnc_net_new_shaped((nnc_shape){ 3, 8, 8 });
        expect_bad_text(b, nnc_net_add_layers(net, b->text, NNC_RELU), "layers");
        /* All or nothing. */
        assert_int_equal(nnc_net_layer_count(net), 0);
        assert_int_equal(nnc_net_param_count(net), 0);
        nnc_net_free(net);
    }
}

/* ----------------------------------------------------------------- shapes */

static void assert_shape(nnc_shape s, int c, int h, int w)
{
    if (s.channels != c || s.height != h || s.width != w)
        fail_msg("shape %dx%dx%d, wanted %dx%dx%d", s.channels, s.height, s.width, c, h, w);
}

static void test_shapes_and_tensors(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new_shaped((nnc_shape){ 1, 28, 28 });
    assert_int_equal(nnc_net_add_layers(net, "conv:32:3,maxpool:2", NNC_RELU), NNC_OK);
    assert_shape(nnc_net_layer_shape(net, 0), 32, 28, 28);
    assert_shape(nnc_net_layer_shape(net, 1), 32, 14, 14);
    assert_int_equal(nnc_net_add_layers(net, "conv:64:3,maxpool:2,dense:128,dense:10:softmax",
                                        NNC_RELU),
                     NNC_OK);
    assert_shape(nnc_net_layer_shape(net, 2), 64, 14, 14);
    assert_shape(nnc_net_layer_shape(net, 3), 64, 7, 7);
    assert_shape(nnc_net_layer_shape(net, 4), 128, 1, 1);
    assert_int_equal(nnc_net_layer_units(net, 3), 64 * 7 * 7);
    const size_t want = (32 * 9 + 32) + (64 * 288 + 64) + (3136 * 128 + 128) + (128 * 10 + 10);
    assert_int_equal(nnc_net_param_count(net), want);

    /* A conv layer's weights decay and its bias does not; a pool has no tensors. */
    assert_int_equal(nnc_net_tensor_count(net), 8);
    nnc_tensor_info info;
    assert_int_equal(nnc_net_tensor(net, 0, &info), NNC_OK);
    assert_string_equal(info.name, "weight");
    assert_int_equal(info.size, 32 * 9);
    assert_true(info.decays);
    assert_int_equal(nnc_net_tensor(net, 1, &info), NNC_OK);
    assert_string_equal(info.name, "bias");
    assert_false(info.decays);
    assert_int_equal(nnc_net_tensor(net, 2, &info), NNC_OK);
    assert_int_equal(info.layer, 2);
    assert_null(nnc_net_weights(net, 1));
    assert_ptr_equal(nnc_net_weights(net, 2), nnc_net_params(net) + 320);

    /* Initialisation as dense's: He for ReLU draws w ~ N(0, 2 / fan-in), with
     * fan-in C k k = 288 for the second conv; biases 0. */
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED);
    assert_int_equal(nnc_net_init(net, NNC_INIT_HE, &rng), NNC_OK);
    const float *w = nnc_net_weights(net, 2);
    double sq = 0.0;
    for (int i = 0; i < 64 * 288; i++)
        sq += (double)w[i] * w[i];
    double sd = sqrt(sq / (64 * 288)), he = sqrt(2.0 / 288);
    assert_true(fabs(sd - he) < 0.03 * he);
    for (int f = 0; f < 64; f++)
        assert_float_equal(nnc_net_bias(net, 2)[f], 0.0f, 0.0f);
    nnc_net_free(net);
}

/* A batch through a conv net gives each row what that row gives alone:
 * rows do not leak into one another through the shared work space. */
static void test_rows_are_independent(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new_shaped((nnc_shape){ 2, 6, 5 });
    assert_int_equal(nnc_net_add_layers(net, "conv:3:3:tanh,maxpool:2,conv:2:2:1:1,dense:4",
                                        NNC_RELU),
                     NNC_OK);
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, &rng), NNC_OK);
    enum { ROWS = 5, IN = 60, OUT = 4 };
    float x[ROWS * IN], batch[ROWS * OUT], one[OUT];
    for (int i = 0; i < ROWS * IN; i++)
        x[i] = (float)uniform(&rng, -1, 1);
    assert_int_equal(nnc_predict(net, x, ROWS, batch), NNC_OK);
    for (int r = 0; r < ROWS; r++) {
        assert_int_equal(nnc_predict(net, x + r * IN, 1, one), NNC_OK);
        for (int o = 0; o < OUT; o++)
            assert_float_equal(one[o], batch[r * OUT + o], 1e-6f);
    }
    nnc_net_free(net);
}

/* Neither layer has the fused SGD step, so a plain SGD step on a CNN takes
 * the gradients and then the rule: it must move every parameter by exactly
 * rate times its gradient. */
static void test_sgd_step_follows_the_gradients(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new_shaped((nnc_shape){ 1, 6, 6 });
    assert_int_equal(nnc_net_add_layers(net, "conv:2:3,maxpool:2,dense:3:softmax", NNC_RELU),
                     NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_SOFTMAX_CROSS_ENTROPY), NNC_OK);
    nnc_rng rng;
    nnc_rng_seed(&rng, SEED);
    assert_int_equal(nnc_net_init(net, NNC_INIT_HE, &rng), NNC_OK);
    enum { ROWS = 4, IN = 36 };
    float x[ROWS * IN], y[ROWS * 3] = { 0 };
    for (int i = 0; i < ROWS * IN; i++)
        x[i] = (float)uniform(&rng, -1, 1);
    for (int r = 0; r < ROWS; r++)
        y[r * 3 + r % 3] = 1.0f;
    size_t n = nnc_net_param_count(net);
    float *before = malloc(n * sizeof *before), *grads = malloc(n * sizeof *grads);
    assert_true(before && grads);
    memcpy(before, nnc_net_params(net), n * sizeof *before);
    assert_int_equal(nnc_net_gradients(net, x, y, ROWS, NULL, NULL), NNC_OK);
    memcpy(grads, nnc_net_grads(net), n * sizeof *grads);
    nnc_optimizer *sgd = nnc_sgd_new(0.5f);
    assert_non_null(sgd);
    assert_int_equal(nnc_train_step(net, sgd, x, y, ROWS, NULL), NNC_OK);
    for (size_t i = 0; i < n; i++)
        assert_float_equal(nnc_net_params(net)[i], before[i] - 0.5f * grads[i], 1e-6f);
    nnc_optimizer_free(sgd);
    free(before);
    free(grads);
    nnc_net_free(net);
}

/* ------------------------------------------------- the model file's bytes */

static void test_configuration_bytes(void **state)
{
    (void)state;
    const nnc_layer_type *conv = nnc_layer_type_named("conv", 4);
    const nnc_layer_type *pool = nnc_layer_type_named("maxpool", 7);
    assert_non_null(conv);
    assert_non_null(pool);
    assert_ptr_equal(nnc_layer_type_coded(conv->code), conv);
    assert_ptr_equal(nnc_layer_type_coded(pool->code), pool);
    assert_true(conv->code != pool->code && conv->code != nnc_dense_type.code);

    unsigned char config[64], again[64], bytes[16];
    char text[64];
    /* filters 8, kernel 3, stride 2, padding 1, little-endian u32s. */
    const unsigned char good[16] = { 8, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0 };
    assert_true(conv->config_size <= sizeof config);
    assert_int_equal(conv->decode(config, good, 16), NNC_OK);
    assert_int_equal(conv->encode(config, NULL), 16);
    assert_int_equal(conv->encode(config, bytes), 16);
    assert_memory_equal(bytes, good, 16);
    conv->describe(config, text, sizeof text);
    assert_string_equal(text, "conv:8:3:2:1");

    const struct {
        int at;
        unsigned char value;
        const char *says;
    } bad[] = {
        { 0, 0, "filters must be 1 to 16777216, got 0" },
        { 4, 0, "kernel size must be 1 to 1024, got 0" },
        { 8, 0, "stride must be 1 to 1024, got 0" },
        { 12, 3, "padding must be below its kernel size 3, got 3" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(bytes, good, 16);
        bytes[bad[i].at] = bad[i].value;
        assert_int_equal(conv->decode(again, bytes, 16), NNC_EFORMAT);
        if (strstr(nnc_last_error(), bad[i].says) == NULL)
            fail_msg("'%s' does not say '%s'", nnc_last_error(), bad[i].says);
    }
    assert_int_equal(conv->decode(again, good, 12), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), "has 16 bytes, this one 12"));

    const unsigned char pool_good[8] = { 3, 0, 0, 0, 2, 0, 0, 0 };
    assert_true(pool->config_size <= sizeof config);
    assert_int_equal(pool->decode(config, pool_good, 8), NNC_OK);
    assert_int_equal(pool->encode(config, bytes), 8);
    assert_memory_equal(bytes, pool_good, 8);
    pool->describe(config, text, sizeof text);
    assert_string_equal(text, "maxpool:3:2");
    memcpy(bytes, pool_good, 8);
    bytes[0] = 0;
    assert_int_equal(pool->decode(again, bytes, 8), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), "window must be 1 to 1024, got 0"));
    memcpy(bytes, pool_good, 8);
    bytes[6] = 1;
    assert_int_equal(pool->decode(again, bytes, 8), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), "stride must be 1 to 1024, got 65538"));
    assert_int_equal(pool->decode(again, pool_good, 4), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), "has 8 bytes, this one 4"));

    /* dropout: the rate as a float, refused at 1 and beyond; batch norm: no
     * bytes at all; avgpool shares maxpool's window and stride. */
    const nnc_layer_type *drop = nnc_layer_type_named("dropout", 7);
    const nnc_layer_type *norm = nnc_layer_type_named("batchnorm", 9);
    const nnc_layer_type *avg = nnc_layer_type_named("avgpool", 7);
    assert_true(drop && norm && avg);
    assert_ptr_equal(nnc_layer_type_coded(4), avg);
    assert_ptr_equal(nnc_layer_type_coded(5), norm);
    assert_ptr_equal(nnc_layer_type_coded(6), drop);
    nnc_net *net = nnc_net_new_shaped((nnc_shape){ 3, 1, 1 });
    assert_int_equal(nnc_net_add_layers(net, "dropout:0.3", NNC_RELU), NNC_OK);
    const nnc_layer *layer = nnc_net_layer(net, 0);
    assert_int_equal(drop->encode(layer->config, bytes), 4);
    assert_int_equal(drop->decode(config, bytes, 4), NNC_OK);
    drop->describe(config, text, sizeof text);
    assert_string_equal(text, "dropout:0.3");
    const float one = 1.0f;
    memcpy(bytes, &one, 4);   /* the tests run on little-endian x86-64 */
    assert_int_equal(drop->decode(config, bytes, 4), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), "rate must be 0 to 0.99, got 1"));
    /* Rates no comparison admits: a NaN, a negative number, an infinity. */
    const float odd[3] = { NAN, -0.25f, INFINITY };
    for (int i = 0; i < 3; i++) {
        memcpy(bytes, &odd[i], 4);
        assert_int_equal(drop->decode(config, bytes, 4), NNC_EFORMAT);
        assert_non_null(strstr(nnc_last_error(), "rate must be 0 to"));
    }
    assert_int_equal(drop->decode(config, bytes, 3), NNC_EFORMAT);
    nnc_net_free(net);
    assert_int_equal(norm->encode(config, NULL), 0);
    assert_int_equal(norm->decode(config, bytes, 0), NNC_OK);
    assert_int_equal(norm->decode(config, bytes, 1), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), "has 0 bytes, this one 1"));
    const unsigned char avg_good[8] = { 3, 0, 0, 0, 2, 0, 0, 0 };
    assert_int_equal(avg->decode(config, avg_good, 8), NNC_OK);
    avg->describe(config, text, sizeof text);
    assert_string_equal(text, "avgpool:3:2");
}

/* -------------------------------------------------------- the real program */

static void test_cli_trains_a_small_cnn(void **state)
{
    (void)state;
    assert_int_equal(run_nnc("train --data %s/digits.csv --target target --input-shape 1x8x8 "
                             "--layers conv:8:3,maxpool:2,dense:32 --epochs 3 --seed 1 --quiet "
                             "--out '%s'",
                             NNC_TEST_DATA, in_dir("cnn.nnc")),
                     0);
    char *out = slurp(in_dir("stdout"), NULL);
    /* conv 8 x 9 + 8, dense 128 x 32 + 32, dense 32 x 10 + 10. */
    if (strstr(out, "inputs 64 (1x8x8): 4538 parameters") == NULL)
        fail_msg("no summary in:\n%s", out);
    free(out);
    double accuracy = number_after("\ntest: accuracy ");
    print_message("  digits, conv:8:3,maxpool:2,dense:32, 3 epochs: test accuracy %.4f\n",
                  accuracy);
    /* Seeds 1 to 3 gave 0.93-0.94 after 2 epochs and 0.955-0.978 after 5. */
    assert_true(accuracy > 0.9);

    /* The model file holds the whole stack: it loads, and saved again it is
     * the same bytes; info shows every layer's shape; eval runs the CNN. */
    nnc_model *model;
    assert_int_equal(nnc_model_load(in_dir("cnn.nnc"), &model), NNC_OK);
    assert_string_equal(nnc_net_layer_type(nnc_model_net(model), 0), "conv");
    assert_int_equal(nnc_model_save(model, in_dir("again.nnc")), NNC_OK);
    nnc_model_free(model);
    long n1, n2;
    char *first = slurp(in_dir("cnn.nnc"), &n1);
    char *second = slurp(in_dir("again.nnc"), &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(first, second, (size_t)n1);
    free(first);
    free(second);

    assert_int_equal(run_nnc("info '%s'", in_dir("cnn.nnc")), 0);
    out = slurp(in_dir("stdout"), NULL);
    const char *rows[] = {"architecture: 64 inputs -> conv 8x8x8 relu -> maxpool 8x4x4 -> 32 relu "
                          "-> 10 softmax\n",
                          "input", "1x8x8", "conv:8:3:relu", "8x8x8", "maxpool:2", "8x4x4",
                          "dense:32:relu", "32x1x1", "dense:10:softmax", "10x1x1"};
    const char *at = out;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *next = strstr(at, rows[i]);
        if (next == NULL)
            fail_msg("no '%s' (in order) in nnc info's output:\n%s", rows[i], out);
        at = next + strlen(rows[i]);
    }
    free(out);

    assert_int_equal(run_nnc("eval --model '%s' --data %s/digits.csv", in_dir("cnn.nnc"),
                             NNC_TEST_DATA),
                     0);
    out = slurp(in_dir("stdout"), NULL);
    const char *eval = strstr(out, "accuracy ");
    if (eval == NULL)
        fail_msg("no accuracy in nnc eval's output:\n%s", out);
    assert_true(atof(eval + strlen("accuracy ")) > 0.9);
    free(out);
}

/* The test accuracy `nnc train` prints for `args` on digits.csv at seed 1. */
static double digits_test_accuracy(const char *args)
{
    assert_int_equal(run_nnc("train --data %s/digits.csv --target target --seed 1 --quiet %s "
                             "--out '%s'",
                             NNC_TEST_DATA, args, in_dir("digits.nnc")),
                     0);
    return number_after("\ntest: accuracy ");
}

/* The bar: on the same split and seed, a small CNN that sees the
 * digits as 8 x 8 images beats the MLP of docs/results.md (97.21 %), with
 * the defaults otherwise (Adam, early stopping on the validation loss). */
static void test_cli_cnn_beats_the_mlp_on_digits(void **state)
{
    (void)state;
    double mlp = digits_test_accuracy("--layers 64");
    double cnn = digits_test_accuracy("--input-shape 1x8x8 --layers conv:16:3,maxpool:2,dense:64");
    print_message("  digits, seed 1: MLP 64 %.4f, CNN conv:16:3,maxpool:2,dense:64 %.4f\n", mlp,
                  cnn);
    assert_true(mlp > 0.97);
    assert_true(cnn > mlp);
}

/* nnc info sums a network up as Keras does: each layer's parameters and
 * state, then the trained parameters, the state and both together. */
static void test_cli_info_counts_state(void **state)
{
    (void)state;
    assert_int_equal(run_nnc("train --data %s/iris.csv --target target --input-shape 1x2x2 "
                             "--layers conv:2:1:identity,batchnorm:relu,avgpool:2:1,dense:4,"
                             "dropout:0.5 --epochs 2 --seed 1 --quiet --out '%s'",
                             NNC_TEST_DATA, in_dir("bn.nnc")),
                     0);
    assert_int_equal(run_nnc("info '%s'", in_dir("bn.nnc")), 0);
    char *out = slurp(in_dir("stdout"), NULL);
    /* conv 2 x 1 + 2; batch norm 2 + 2 and 2 + 2 state; dense 2 x 4 + 4;
     * dense 4 x 3 + 3. */
    const char *rows[] = { "conv:2:1:identity", "4 parameters\n", "batchnorm:relu",
                           "4 parameters, 4 state\n", "avgpool:2:1", "0 parameters\n",
                           "dense:4:relu", "12 parameters\n", "dropout:0.5", "0 parameters\n",
                           "dense:3:softmax", "15 parameters\n", "parameters: 35\n",
                           "state: 4 (kept in the model, not trained)\ntotal: 39\n" };
    const char *at = out;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *next = strstr(at, rows[i]);
        if (next == NULL)
            fail_msg("no '%s' (in order) in nnc info's output:\n%s", rows[i], out);
        at = next + strlen(rows[i]);
    }
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_gradients),
        cmocka_unit_test(test_conv_matches_a_direct_sum),
        cmocka_unit_test(test_maxpool_gradients),
        cmocka_unit_test(test_stack_gradients),
        cmocka_unit_test(test_avgpool_gradients),
        cmocka_unit_test(test_batchnorm_gradients),
        cmocka_unit_test(test_dropout_gradients),
        cmocka_unit_test(test_batchnorm_modes),
        cmocka_unit_test(test_batchnorm_one_value_per_channel),
        cmocka_unit_test(test_dropout_masks),
        cmocka_unit_test(test_maxpool_ties_and_overlaps),
        cmocka_unit_test(test_maxpool_2x2_against_the_rule),
        cmocka_unit_test(test_grammar_good_texts),
        cmocka_unit_test(test_grammar_bad_texts),
        cmocka_unit_test(test_shapes_and_tensors),
        cmocka_unit_test(test_rows_are_independent),
        cmocka_unit_test(test_sgd_step_follows_the_gradients),
        cmocka_unit_test(test_configuration_bytes),
        cmocka_unit_test_setup_teardown(test_cli_trains_a_small_cnn, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_cli_cnn_beats_the_mlp_on_digits, make_dir,
                                        remove_dir),
        cmocka_unit_test_setup_teardown(test_cli_info_counts_state, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

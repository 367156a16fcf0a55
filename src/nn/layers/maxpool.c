/*
 * maxpool.c - 2-D max pooling: each channel's windows to their largest value.
 *
 * For one instance, C x H x W in, a window of n x n moved by stride s (no
 * padding, as the reference files' conventions give it), C x Ho x Wo out with
 * Ho = (H - n) / s + 1:
 *   forward:  z[c, y, x] = max over i, j < n of in[c, y*s + i, x*s + j]
 *   backward: dx[a] = sum of dz over the outputs whose maximum was in[a]
 * Windows may overlap (s < n), so one input can be the maximum of several
 * outputs, and its gradient is their sum.
 *
 * The forward pass keeps, per output, the index within the row of the input
 * it took (as a float, nn/layer.h says why: every index is below 2^24), so
 * the backward pass routes each gradient without searching again. A tie goes
 * to the first maximum in row-major order within the window, as PyTorch
 * picks it; a NaN is taken as the maximum, so it shows in the output rather
 * than being hidden by a comparison that is always false.
 *
 * No parameters, and no activation: for the monotone activations nnc has
 * (all but softmax), one after the pooling equals one before it, where the
 * layer below already applies it.
 */
#include "nn/layer.h"
#include "nn/nn.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Bounds on the fields; the plan then refuses a window larger than its input. */
#define MAX_WINDOW 1024
#define MAX_STRIDE 1024

typedef struct nnc_maxpool_config {
    int window;
    int stride;
} nnc_maxpool_config;

static nnc_status maxpool_parse(void *config, const nnc_layer_args *args)
{
    nnc_maxpool_config *c = config;
    if (args->count == 0)
        return nnc_layer_arg_fail(args, args->item_column,
                                  "a maxpool layer needs its window, as maxpool:2 (then the "
                                  "stride, optional: maxpool:3:2)");
    if (args->count > 2)
        return nnc_layer_arg_fail(args, args->column[2],
                                  "'%.*s' is no field a maxpool layer has: it takes its window "
                                  "and stride, and no activation",
                                  (int)args->len[2], args->text[2]);
    nnc_status st = nnc_layer_arg_int(args, 0, "the window", 1, MAX_WINDOW, &c->window);
    /* The windows tile the input when the text gives no stride. */
    c->stride = c->window;
    if (st == NNC_OK && args->count > 1)
        st = nnc_layer_arg_int(args, 1, "the stride", 1, MAX_STRIDE, &c->stride);
    return st;
}

static int maxpool_describe(const void *config, char *buf, size_t n)
{
    const nnc_maxpool_config *c = config;
    if (c->stride == c->window)
        return snprintf(buf, n, "maxpool:%d", c->window);
    return snprintf(buf, n, "maxpool:%d:%d", c->window, c->stride);
}

/* The model file's form: window, stride, each a u32. */
static size_t maxpool_encode(const void *config, unsigned char *out)
{
    const nnc_maxpool_config *c = config;
    if (out != NULL) {
        nnc_le_put(out, (uint32_t)c->window, 4);
        nnc_le_put(out + 4, (uint32_t)c->stride, 4);
    }
    return 8;
}

static nnc_status maxpool_decode(void *config, const unsigned char *in, size_t n)
{
    nnc_maxpool_config *c = config;
    if (n != 8)
        return nnc_fail(NNC_EFORMAT, "a maxpool layer's configuration has 8 bytes, this one %zu",
                        n);
    uint64_t window = nnc_le_get(in, 4), stride = nnc_le_get(in + 4, 4);
    if (window < 1 || window > MAX_WINDOW)
        return nnc_fail(NNC_EFORMAT, "a maxpool layer's window must be 1 to %d, got %llu",
                        MAX_WINDOW, (unsigned long long)window);
    if (stride < 1 || stride > MAX_STRIDE)
        return nnc_fail(NNC_EFORMAT, "a maxpool layer's stride must be 1 to %d, got %llu",
                        MAX_STRIDE, (unsigned long long)stride);
    *c = (nnc_maxpool_config){ (int)window, (int)stride };
    return NNC_OK;
}

static nnc_status maxpool_plan(const void *config, nnc_shape in, nnc_layer_plan *plan)
{
    const nnc_maxpool_config *c = config;
    if (c->window > in.height || c->window > in.width)
        return nnc_fail(NNC_EINVAL, "maxpool: the %dx%d window is larger than the input %dx%dx%d",
                        c->window, c->window, in.channels, in.height, in.width);
    int ho = (in.height - c->window) / c->stride + 1;
    int wo = (in.width - c->window) / c->stride + 1;
    plan->out = (nnc_shape){ in.channels, ho, wo };
    plan->n_params = 0;
    /* One argmax per output; the output is no larger than the input, so
     * within the network's bound on widths. */
    plan->saved_per_row = (size_t)in.channels * (size_t)ho * (size_t)wo;
    return NNC_OK;
}

static void maxpool_init(const nnc_layer *layer, const nnc_layer_data *data, nnc_init scheme,
                         nnc_rng *rng)
{
    /* Nothing to draw: the generator is left as it was, so adding a pooling
     * layer does not change the other layers' draws. */
    (void)layer;
    (void)data;
    (void)scheme;
    (void)rng;
}

static void maxpool_forward(const nnc_layer *layer, const nnc_layer_data *data,
                            const nnc_pass *pass, const float *x, float *z)
{
    const nnc_maxpool_config *cfg = layer->config;
    const int n = cfg->window, s = cfg->stride;
    const int ch = layer->in_shape.channels, h = layer->in_shape.height,
              w = layer->in_shape.width;
    const int ho = layer->out_shape.height, wo = layer->out_shape.width;
    for (int r = 0; r < pass->rows; r++) {
        const float *xr = x + (size_t)r * layer->inputs;
        float *zr = z + (size_t)r * layer->outputs;
        float *arg = data->saved + (size_t)r * layer->outputs;
        for (int c = 0; c < ch; c++)
            for (int y = 0; y < ho; y++)
                for (int xo = 0; xo < wo; xo++) {
                    int at = (c * h + y * s) * w + xo * s, best_at = at;
                    float best = xr[at];
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < n; j++) {
                            int k = at + i * w + j;
                            /* Strictly greater: the first of equal maxima stays. */
                            if (xr[k] > best || (xr[k] != xr[k] && best == best)) {
                                best = xr[k];
                                best_at = k;
                            }
                        }
                    size_t o = ((size_t)c * ho + (size_t)y) * wo + (size_t)xo;
                    zr[o] = best;
                    arg[o] = (float)best_at;
                }
    }
}

static void maxpool_backward(const nnc_layer *layer, const nnc_layer_data *data,
                             const nnc_pass *pass, const float *x, const float *dz, float *dx)
{
    (void)x;
    if (dx == NULL)
        return;
    memset(dx, 0, (size_t)pass->rows * (size_t)layer->inputs * sizeof *dx);
    for (int r = 0; r < pass->rows; r++) {
        const float *dzr = dz + (size_t)r * layer->outputs;
        const float *arg = data->saved + (size_t)r * layer->outputs;
        float *dxr = dx + (size_t)r * layer->inputs;
        for (int o = 0; o < layer->outputs; o++)
            dxr[(size_t)arg[o]] += dzr[o];
    }
}

const nnc_layer_type nnc_maxpool_type = {
    .name = "maxpool",
    .code = 3,
    .config_size = sizeof(nnc_maxpool_config),
    .takes_activation = 0,
    .parse = maxpool_parse,
    .describe = maxpool_describe,
    .encode = maxpool_encode,
    .decode = maxpool_decode,
    .plan = maxpool_plan,
    .init = maxpool_init,
    .forward = maxpool_forward,
    .backward = maxpool_backward,
};

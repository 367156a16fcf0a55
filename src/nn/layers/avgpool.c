/*
 * avgpool.c - 2-D average pooling: each channel's windows to their mean.
 *
 * For one instance, C x H x W in, a window of n x n moved by stride s (no
 * padding, as the reference files' conventions give it), C x Ho x Wo out with
 * Ho = (H - n) / s + 1:
 *   forward:  z[c, y, x] = (1 / n^2) sum over i, j < n of in[c, y*s + i, x*s + j]
 *   backward: dx[a] = (1 / n^2) sum of dz over the outputs whose window holds a
 * Windows may overlap (s < n), so one input can feed several outputs, and
 * its gradient adds up their shares. The backward pass needs nothing kept
 * from the forward one: the map is linear.
 *
 * No parameters, and no activation: unlike a maximum, a mean does not
 * commute with a nonlinear activation, so one after the pooling would be a
 * different network; the layer below applies its own, as the reference
 * files' average-pooling layers do.
 */
#include "nn/layers/pool_window.h"

#include <string.h>

static nnc_status avgpool_parse(void *config, const nnc_layer_args *args)
{
    return nnc_pool_window_parse(config, args, "avgpool");
}

static int avgpool_describe(const void *config, char *buf, size_t n)
{
    return nnc_pool_window_describe(config, "avgpool", buf, n);
}

static size_t avgpool_encode(const void *config, unsigned char *out)
{
    return nnc_pool_window_encode(config, out);
}

static nnc_status avgpool_decode(void *config, const unsigned char *in, size_t n)
{
    return nnc_pool_window_decode(config, in, n, "avgpool");
}

static nnc_status avgpool_plan(const void *config, nnc_shape in, nnc_layer_plan *plan)
{
    plan->n_params = 0;
    return nnc_pool_window_plan(config, in, "avgpool", &plan->out);
}

static void avgpool_init(const nnc_layer *layer, const nnc_layer_data *data, nnc_init scheme,
                         nnc_rng *rng)
{
    /* Nothing to draw, and the generator is left as it was. */
    (void)layer;
    (void)data;
    (void)scheme;
    (void)rng;
}

static void avgpool_forward(const nnc_layer *layer, const nnc_layer_data *data,
                            const nnc_pass *pass, const float *x, float *z)
{
    (void)data;
    const nnc_pool_window *cfg = layer->config;
    const int n = cfg->window, s = cfg->stride;
    const int ch = layer->in_shape.channels, h = layer->in_shape.height,
              w = layer->in_shape.width;
    const int ho = layer->out_shape.height, wo = layer->out_shape.width;
    const float scale = 1.0f / (float)(n * n);
    for (int r = 0; r < pass->rows; r++) {
        const float *xr = x + (size_t)r * layer->inputs;
        float *zr = z + (size_t)r * layer->outputs;
        for (int c = 0; c < ch; c++)
            for (int y = 0; y < ho; y++)
                for (int xo = 0; xo < wo; xo++) {
                    const float *at = xr + (size_t)(c * h + y * s) * w + (size_t)xo * s;
                    float sum = 0;
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < n; j++)
                            sum += at[(size_t)i * w + j];
                    zr[((size_t)c * ho + (size_t)y) * wo + (size_t)xo] = sum * scale;
                }
    }
}

static void avgpool_backward(const nnc_layer *layer, const nnc_layer_data *data,
                             const nnc_pass *pass, const float *x, const float *dz, float *dx)
{
    (void)data;
    (void)x;
    if (dx == NULL)
        return;
    const nnc_pool_window *cfg = layer->config;
    const int n = cfg->window, s = cfg->stride;
    const int ch = layer->in_shape.channels, h = layer->in_shape.height,
              w = layer->in_shape.width;
    const int ho = layer->out_shape.height, wo = layer->out_shape.width;
    const float scale = 1.0f / (float)(n * n);
    memset(dx, 0, (size_t)pass->rows * (size_t)layer->inputs * sizeof *dx);
    for (int r = 0; r < pass->rows; r++) {
        const float *dzr = dz + (size_t)r * layer->outputs;
        float *dxr = dx + (size_t)r * layer->inputs;
        for (int c = 0; c < ch; c++)
            for (int y = 0; y < ho; y++)
                for (int xo = 0; xo < wo; xo++) {
                    float share = dzr[((size_t)c * ho + (size_t)y) * wo + (size_t)xo] * scale;
                    float *at = dxr + (size_t)(c * h + y * s) * w + (size_t)xo * s;
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < n; j++)
                            at[(size_t)i * w + j] += share;
                }
    }
}

const nnc_layer_type nnc_avgpool_type = {
    .name = "avgpool",
    .code = 4,
    .config_size = sizeof(nnc_pool_window),
    .takes_activation = NNC_TAKES_NO_ACTIVATION,
    .parse = avgpool_parse,
    .describe = avgpool_describe,
    .encode = avgpool_encode,
    .decode = avgpool_decode,
    .plan = avgpool_plan,
    .init = avgpool_init,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
};

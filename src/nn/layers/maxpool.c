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
#include "nn/layers/pool_window.h"

#include <string.h>

static nnc_status maxpool_parse(void *config, const nnc_layer_args *args)
{
    return nnc_pool_window_parse(config, args, "maxpool");
}

static int maxpool_describe(const void *config, char *buf, size_t n)
{
    return nnc_pool_window_describe(config, "maxpool", buf, n);
}

static size_t maxpool_encode(const void *config, unsigned char *out)
{
    return nnc_pool_window_encode(config, out);
}

static nnc_status maxpool_decode(void *config, const unsigned char *in, size_t n)
{
    return nnc_pool_window_decode(config, in, n, "maxpool");
}

static nnc_status maxpool_plan(const void *config, nnc_shape in, nnc_layer_plan *plan)
{
    nnc_status st = nnc_pool_window_plan(config, in, "maxpool", &plan->out);
    if (st != NNC_OK)
        return st;
    plan->n_params = 0;
    /* One argmax per output; the output is no larger than the input, so
     * within the network's bound on widths. */
    plan->saved_per_row = (size_t)nnc_shape_size(plan->out);
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

/* Whether v takes the window's maximum from best: strictly greater (the
 * first of equal maxima stays), or a NaN over a number. */
static inline int takes(float v, float best)
{
    return v > best || (v != v && best == best);
}

/* Whether n floats may hold a NaN: their sum is finite otherwise, unless
 * it overflows, which only sends the row to the exact loop. Comparisons
 * with a NaN are what keep the compiler from vectorising a loop (they may
 * trap), so the 2 x 2 loop below compares with > alone and leaves a row of
 * windows where this says a NaN may be to the exact one. */
static int may_hold_nan(const float *v, int n)
{
    float sum = nnc_lane_sum(v, (size_t)n);
    return !(sum - sum == 0.0f);
}

/* One row of outputs by the rule, for any window and stride: the window's
 * first maximum in row-major order, by takes(), NaNs included. `row` is the
 * index in the instance xr of the row's first window's top left; where (the
 * arg-maxes) may be NULL. */
static void pool_row(const float *xr, int row, int w, int n, int s, int wo, float *out,
                     float *where)
{
    for (int xo = 0; xo < wo; xo++) {
        int at = row + xo * s, best_at = at;
        float best = xr[at];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                int k = at + i * w + j;
                if (takes(xr[k], best)) {
                    best = xr[k];
                    best_at = k;
                }
            }
        out[xo] = best;
        if (where != NULL)
            where[xo] = (float)best_at;
    }
}

/* 2 x 2 windows at stride 2, the common pooling: values, and the arg-maxes
 * when where is not NULL (training), as selects on floats (an index is a
 * float already) that vectorise. With > alone, a tie keeps the earlier
 * value, as takes() does; a channel that may hold a NaN goes to the exact
 * loop. The probe covers a channel's rows at once: per pair of rows it
 * cost as much as the pooling (rows of 28 floats are short loops). Not in
 * NNC_KERNEL_CLONES for the same reason: on rows of 14 and 7 windows the
 * AVX-512 clone spent its time in scalar tails (8.5 % of the bench's CNN
 * step, against 4.4 % for the baseline's 4-lane vectors). */
static void pool_2x2(const nnc_layer *layer, const float *x, int rows, float *z, float *saved)
{
    const int ch = layer->in_shape.channels, h = layer->in_shape.height,
              w = layer->in_shape.width;
    const int ho = layer->out_shape.height, wo = layer->out_shape.width;
    /* Offsets in the instance from a window's top left to its other values. */
    const float right = 1.0f, below = (float)w, diagonal = (float)(w + 1);
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * layer->inputs;
        float *zr = z + (size_t)r * layer->outputs;
        float *arg = saved != NULL ? saved + (size_t)r * layer->outputs : NULL;
        for (int c = 0; c < ch; c++) {
            const int exact = may_hold_nan(xr + (size_t)c * h * w, 2 * ho * w);
            for (int y = 0; y < ho; y++) {
                const int row = (c * h + y * 2) * w;
                const float *restrict top = xr + row, *restrict bottom = top + w;
                const size_t o = ((size_t)c * ho + (size_t)y) * wo;
                float *restrict out = zr + o;
                if (exact) {
                    pool_row(xr, row, w, 2, 2, wo, out, arg != NULL ? arg + o : NULL);
                    continue;
                }
                if (arg == NULL) {
                    for (int xo = 0; xo < wo; xo++) {
                        float m = top[2 * xo], v = top[2 * xo + 1];
                        m = v > m ? v : m;
                        v = bottom[2 * xo];
                        m = v > m ? v : m;
                        v = bottom[2 * xo + 1];
                        out[xo] = v > m ? v : m;
                    }
                    continue;
                }
                /* The selects pick among offsets computed outside them: an
                 * addition inside one is a branch to GCC (it may raise a
                 * floating-point exception, so it is not done speculatively),
                 * and a branch keeps the loop scalar. */
                float *restrict where = arg + o;
                for (int xo = 0; xo < wo; xo++) {
                    float m = top[2 * xo], i = 0.0f, v = top[2 * xo + 1];
                    i = v > m ? right : i;
                    m = v > m ? v : m;
                    v = bottom[2 * xo];
                    i = v > m ? below : i;
                    m = v > m ? v : m;
                    v = bottom[2 * xo + 1];
                    i = v > m ? diagonal : i;
                    m = v > m ? v : m;
                    out[xo] = m;
                    where[xo] = (float)(row + 2 * xo) + i;
                }
            }
        }
    }
}

static void maxpool_forward(const nnc_layer *layer, const nnc_layer_data *data,
                            const nnc_pass *pass, const float *x, float *z)
{
    const nnc_pool_window *cfg = layer->config;
    const int n = cfg->window, s = cfg->stride;
    const int ch = layer->in_shape.channels, h = layer->in_shape.height,
              w = layer->in_shape.width;
    const int ho = layer->out_shape.height, wo = layer->out_shape.width;
    if (n == 2 && s == 2) {
        pool_2x2(layer, x, pass->rows, z, pass->training ? data->saved : NULL);
        return;
    }
    for (int r = 0; r < pass->rows; r++) {
        const float *xr = x + (size_t)r * layer->inputs;
        float *zr = z + (size_t)r * layer->outputs;
        float *arg = data->saved + (size_t)r * layer->outputs;
        for (int c = 0; c < ch; c++)
            for (int y = 0; y < ho; y++) {
                size_t o = ((size_t)c * ho + (size_t)y) * wo;
                pool_row(xr, (c * h + y * s) * w, w, n, s, wo, zr + o, arg + o);
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
    .config_size = sizeof(nnc_pool_window),
    .takes_activation = NNC_TAKES_NO_ACTIVATION,
    .parse = maxpool_parse,
    .describe = maxpool_describe,
    .encode = maxpool_encode,
    .decode = maxpool_decode,
    .plan = maxpool_plan,
    .init = maxpool_init,
    .forward = maxpool_forward,
    .backward = maxpool_backward,
};

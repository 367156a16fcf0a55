/*
 * conv.c - the 2-D convolution: forward and backward as matrix products over
 * an im2col matrix.
 *
 * Shapes below, for one instance: C x H x W in, F filters of k x k, stride s,
 * zero padding p, Ho x Wo out, P = Ho * Wo positions, K = C * k * k values in
 * one receptive field. PyTorch's cross-correlation, as the reference files'
 * conventions give it:
 *   z[f, y, x] = b[f] + sum_{c,i,j} w[f, c, i, j] * in[c, y*s + i - p, x*s + j - p]
 * with the input zero outside its H x W. im2col lays the receptive fields out
 * as the columns of col (K x P, col[(c*k + i)*k + j][y*Wo + x]), which turns
 * the sum into one product per instance:
 *   forward:  z (F x P)   = W (F x K) col (K x P) + b      (the network applies act)
 *   backward: dW (F x K) += dz (F x P) col^T (P x K)
 *             db (F)     += sum over positions of dz
 *             dcol (K x P) = W^T (K x F) dz (F x P), and col2im adds each
 *             column's entries back onto the input values it was copied from
 * W's rows are PyTorch's (F, C, k, k) layout flattened, so the reference
 * files' weights load as they are.
 *
 * Why one product per instance and not one for the batch: a row's z is
 * channel-major (F x P) and a per-instance product writes it in place, where
 * a batch-wide product would give F x (rows * P) and need a transpose.
 * col is recomputed in backward rather than kept: the shared scratch does not
 * survive from one layer's forward to its backward, and keeping K x P floats
 * per row would cost k * k times the input's memory.
 *
 * A 3 x 3 kernel at stride 1 with 8 or more channels into the product
 * goes by Winograd's F(2x2, 3x3) instead
 * (winograd.c): the forward pass, and the input gradient (a 3 x 3 stride-1
 * correlation of dz with the kernels turned, padding 2 - p), each as 16
 * products over the whole batch's tiles, with 16 multiplications per 2 x 2
 * outputs where im2col has 36. The weight gradient stays on im2col. A
 * single image takes it too: the bench's prediction took 119-128 us this
 * way, the kernels' transform (about 10 us) included, against 134-154 us
 * by im2col.
 *
 * Parameters: "weight" W (F x C x k x k, decays), then "bias" b (F).
 */
#include "nn/layer.h"
#include "nn/layers/winograd.h"
#include "nn/nn.h"

#include <cblas.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Bounds on the fields: far above any real network, low enough that every
 * product of them below stays inside int (for CBLAS) and size_t. */
#define MAX_KERNEL 1024
#define MAX_STRIDE 1024

/* The most im2col floats one instance may need (1 GiB): K and P, and their
 * product, stay inside int, and a network's work space inside reason. */
#define MAX_COLUMN_FLOATS ((size_t)1 << 28)

typedef struct nnc_conv_config {
    int filters;
    int kernel;
    int stride;
    int padding;
} nnc_conv_config;

/* The padding a layer gets when its text gives none: "same" at stride 1
 * (the output keeps the input's size for an odd kernel), none otherwise, as
 * a strided layer is meant to shrink its input. */
static int default_padding(int kernel, int stride)
{
    return stride == 1 ? (kernel - 1) / 2 : 0;
}

/* One layer's sizes, from its configuration and input shape. */
typedef struct geometry {
    int c, h, w;        /* input */
    int k, s, p;
    int ho, wo;         /* output positions */
    int fields;         /* K = c * k * k */
    int positions;      /* P = ho * wo */
} geometry;

/* The sizes from a configuration, an input shape and the output's size:
 * what the plan works out, and what every pass reads back from its layer. */
static geometry geometry_for(const nnc_conv_config *cfg, nnc_shape in, int ho, int wo)
{
    geometry g;
    g.c = in.channels;
    g.h = in.height;
    g.w = in.width;
    g.k = cfg->kernel;
    g.s = cfg->stride;
    g.p = cfg->padding;
    g.ho = ho;
    g.wo = wo;
    g.fields = g.c * g.k * g.k;
    g.positions = g.ho * g.wo;
    return g;
}

static geometry geometry_of(const nnc_layer *layer)
{
    return geometry_for(layer->config, layer->in_shape, layer->out_shape.height,
                        layer->out_shape.width);
}

/* The forward correlation (turned = 0) or the input gradient's (turned =
 * 1) as a Winograd shape, for a 3 x 3 kernel at stride 1: the gradient
 * correlates dz (F x Ho x Wo) with the turned kernels and padding 2 - p,
 * which gives C x H x W. */
static nnc_winograd_shape winograd_shape(const geometry *g, int filters, int turned)
{
    if (!turned)
        return (nnc_winograd_shape){ g->c, filters, g->h, g->w, g->p, g->ho, g->wo };
    return (nnc_winograd_shape){ filters, g->c, g->ho, g->wo, 2 - g->p, g->h, g->w };
}

/* Whether a layer can take the Winograd path: a 3 x 3 kernel at stride 1,
 * deep enough an input for its products, and work space within the same
 * bound as im2col's. Decided from the geometry alone, so that the plan
 * sizes the work space the passes use. */
static int uses_winograd(const geometry *g, int filters, int turned)
{
    if (g->k != 3 || g->s != 1)
        return 0;
    nnc_winograd_shape ws = winograd_shape(g, filters, turned);
    return ws.cin >= NNC_WINOGRAD_MIN_DEPTH &&
           nnc_winograd_scratch_per_row(&ws) <= MAX_COLUMN_FLOATS &&
           nnc_winograd_scratch_fixed(&ws) <= MAX_COLUMN_FLOATS;
}

/* The output positions y (0 <= y < n) whose tap at offset i of the kernel
 * lands inside 0 .. size-1 of the input: [*lo, *hi). Outside them the tap
 * reads padding. Computing the range once keeps the inner loops free of
 * bounds tests. */
static void tap_range(int i, int size, const geometry *g, int n, int *lo, int *hi)
{
    /* in = y*s + i - p must satisfy 0 <= in < size. */
    int first = g->p - i, last = size - 1 + g->p - i;   /* bounds on y*s */
    int a = first <= 0 ? 0 : (first + g->s - 1) / g->s;
    int b = last < 0 ? 0 : last / g->s + 1;
    *lo = a < n ? a : n;
    *hi = b < n ? b : n;
    if (*hi < *lo)
        *hi = *lo;
}

/* col (K x P) from one instance x (C x H x W). */
static void im2col(const geometry *g, const float *x, float *col)
{
    for (int c = 0; c < g->c; c++)
        for (int i = 0; i < g->k; i++) {
            int ylo, yhi;
            tap_range(i, g->h, g, g->ho, &ylo, &yhi);
            for (int j = 0; j < g->k; j++) {
                int xlo, xhi;
                tap_range(j, g->w, g, g->wo, &xlo, &xhi);
                float *row = col + ((size_t)(c * g->k + i) * g->k + j) * g->positions;
                for (int y = 0; y < g->ho; y++) {
                    float *out = row + (size_t)y * g->wo;
                    if (y < ylo || y >= yhi) {
                        memset(out, 0, (size_t)g->wo * sizeof *out);
                        continue;
                    }
                    const float *in = x + ((size_t)c * g->h + (size_t)(y * g->s + i - g->p)) * g->w;
                    for (int xo = 0; xo < xlo; xo++)
                        out[xo] = 0.0f;
                    /* At stride 1 a tap's row is one contiguous run of the
                     * input's: a copy, not a strided gather (a tenth of a
                     * CNN's step went here). */
                    if (g->s == 1 && xhi > xlo)
                        memcpy(out + xlo, in + xlo + j - g->p, (size_t)(xhi - xlo) * sizeof *out);
                    else
                        for (int xo = xlo; xo < xhi; xo++)
                            out[xo] = in[xo * g->s + j - g->p];
                    for (int xo = xhi; xo < g->wo; xo++)
                        out[xo] = 0.0f;
                }
            }
        }
}

/* dx (C x H x W) = the sum of dcol's entries (K x P) onto the input values
 * im2col copied them from; padding's entries go nowhere. */
static void col2im(const geometry *g, const float *col, float *dx)
{
    memset(dx, 0, (size_t)g->c * g->h * g->w * sizeof *dx);
    for (int c = 0; c < g->c; c++)
        for (int i = 0; i < g->k; i++) {
            int ylo, yhi;
            tap_range(i, g->h, g, g->ho, &ylo, &yhi);
            for (int j = 0; j < g->k; j++) {
                int xlo, xhi;
                tap_range(j, g->w, g, g->wo, &xlo, &xhi);
                const float *row = col + ((size_t)(c * g->k + i) * g->k + j) * g->positions;
                for (int y = ylo; y < yhi; y++) {
                    const float *in = row + (size_t)y * g->wo;
                    float *out = dx + ((size_t)c * g->h + (size_t)(y * g->s + i - g->p)) * g->w;
                    if (g->s == 1) {
                        /* Contiguous, as in im2col: a loop the compiler vectorises. */
                        float *to = out + (xlo + j - g->p);
                        const float *from = in + xlo;
                        for (int t = 0; t < xhi - xlo; t++)
                            to[t] += from[t];
                    } else {
                        for (int xo = xlo; xo < xhi; xo++)
                            out[xo * g->s + j - g->p] += in[xo];
                    }
                }
            }
        }
}

/* ------------------------------------------------------------ the contract */

static nnc_status conv_parse(void *config, const nnc_layer_args *args)
{
    nnc_conv_config *c = config;
    if (args->count < 2)
        return nnc_layer_arg_fail(args, args->item_column,
                                  "a conv layer needs its filters and kernel size, as "
                                  "conv:32:3 or conv:32:3:relu (then stride and padding, "
                                  "optional: conv:32:3:2:1)");
    if (args->count > 4)
        return nnc_layer_arg_fail(args, args->column[4],
                                  "'%.*s' is neither an activation (identity, sigmoid, tanh, "
                                  "relu, softmax) nor a field a conv layer has: it takes "
                                  "filters, kernel, stride and padding",
                                  (int)args->len[4], args->text[4]);
    nnc_status st = nnc_layer_arg_int(args, 0, "the filters", 1, NNC_MAX_WIDTH, &c->filters);
    if (st == NNC_OK)
        st = nnc_layer_arg_int(args, 1, "the kernel size", 1, MAX_KERNEL, &c->kernel);
    c->stride = 1;
    if (st == NNC_OK && args->count > 2)
        st = nnc_layer_arg_int(args, 2, "the stride", 1, MAX_STRIDE, &c->stride);
    c->padding = default_padding(c->kernel, c->stride);
    /* Padding of a whole kernel or more would add outputs that see only zeros. */
    if (st == NNC_OK && args->count > 3)
        st = nnc_layer_arg_int(args, 3, "the padding (below the kernel size)", 0,
                               c->kernel - 1, &c->padding);
    return st;
}

/* The shortest text that parses back to the configuration: stride and
 * padding only where they differ from their defaults. */
static int conv_describe(const void *config, char *buf, size_t n)
{
    const nnc_conv_config *c = config;
    if (c->padding != default_padding(c->kernel, c->stride))
        return snprintf(buf, n, "conv:%d:%d:%d:%d", c->filters, c->kernel, c->stride,
                        c->padding);
    if (c->stride != 1)
        return snprintf(buf, n, "conv:%d:%d:%d", c->filters, c->kernel, c->stride);
    return snprintf(buf, n, "conv:%d:%d", c->filters, c->kernel);
}

/* The model file's form: filters, kernel, stride, padding, each a u32. */
static size_t conv_encode(const void *config, unsigned char *out)
{
    const nnc_conv_config *c = config;
    if (out != NULL) {
        nnc_le_put(out, (uint32_t)c->filters, 4);
        nnc_le_put(out + 4, (uint32_t)c->kernel, 4);
        nnc_le_put(out + 8, (uint32_t)c->stride, 4);
        nnc_le_put(out + 12, (uint32_t)c->padding, 4);
    }
    return 16;
}

static nnc_status conv_decode(void *config, const unsigned char *in, size_t n)
{
    nnc_conv_config *c = config;
    if (n != 16)
        return nnc_fail(NNC_EFORMAT, "a conv layer's configuration has 16 bytes, this one %zu",
                        n);
    uint64_t filters = nnc_le_get(in, 4), kernel = nnc_le_get(in + 4, 4);
    uint64_t stride = nnc_le_get(in + 8, 4), padding = nnc_le_get(in + 12, 4);
    if (filters < 1 || filters > NNC_MAX_WIDTH)
        return nnc_fail(NNC_EFORMAT, "a conv layer's filters must be 1 to %d, got %llu",
                        NNC_MAX_WIDTH, (unsigned long long)filters);
    if (kernel < 1 || kernel > MAX_KERNEL)
        return nnc_fail(NNC_EFORMAT, "a conv layer's kernel size must be 1 to %d, got %llu",
                        MAX_KERNEL, (unsigned long long)kernel);
    if (stride < 1 || stride > MAX_STRIDE)
        return nnc_fail(NNC_EFORMAT, "a conv layer's stride must be 1 to %d, got %llu",
                        MAX_STRIDE, (unsigned long long)stride);
    if (padding >= kernel)
        return nnc_fail(NNC_EFORMAT,
                        "a conv layer's padding must be below its kernel size %llu, got %llu",
                        (unsigned long long)kernel, (unsigned long long)padding);
    *c = (nnc_conv_config){ (int)filters, (int)kernel, (int)stride, (int)padding };
    return NNC_OK;
}

static nnc_status conv_plan(const void *config, nnc_shape in, nnc_layer_plan *plan)
{
    const nnc_conv_config *c = config;
    /* Sizes in long long: every factor is below 2^24 or 2^10. */
    long long ph = (long long)in.height + 2LL * c->padding;
    long long pw = (long long)in.width + 2LL * c->padding;
    if (c->kernel > ph || c->kernel > pw)
        return nnc_fail(NNC_EINVAL,
                        "conv: the %dx%d kernel is larger than the input %dx%dx%d with padding "
                        "%d (%lldx%lld)",
                        c->kernel, c->kernel, in.channels, in.height, in.width, c->padding, ph,
                        pw);
    int ho = (int)((ph - c->kernel) / c->stride + 1), wo = (int)((pw - c->kernel) / c->stride + 1);
    size_t fields = (size_t)in.channels * (size_t)c->kernel * (size_t)c->kernel, column, weights;
    if (nnc_mul_overflows(fields, (size_t)ho * (size_t)wo, &column) ||
        column > MAX_COLUMN_FLOATS)
        return nnc_fail(NNC_ENOMEM,
                        "conv: an input of %dx%dx%d with a %dx%d kernel needs more than %zu "
                        "floats of work space per instance",
                        in.channels, in.height, in.width, c->kernel, c->kernel,
                        MAX_COLUMN_FLOATS);
    if (nnc_mul_overflows((size_t)c->filters, fields, &weights) ||
        weights > SIZE_MAX / sizeof(float) - (size_t)c->filters)
        return nnc_fail(NNC_ENOMEM, "conv: %d x %zu weights are too many", c->filters, fields);
    plan->out = (nnc_shape){ c->filters, ho, wo };
    plan->n_params = 2;
    plan->params[0] = (nnc_tensor){ "weight", weights, NNC_TENSOR_DECAYS };
    plan->params[1] = (nnc_tensor){ "bias", (size_t)c->filters, 0 };
    plan->scratch_per_row = column;
    plan->scratch_fixed = 0;
    /* The geometry as the passes will see it, to size the Winograd paths. */
    geometry g = geometry_for(c, in, ho, wo);
    for (int turned = 0; turned < 2; turned++) {
        if (!uses_winograd(&g, c->filters, turned))
            continue;
        nnc_winograd_shape ws = winograd_shape(&g, c->filters, turned);
        if (nnc_winograd_scratch_per_row(&ws) > plan->scratch_per_row)
            plan->scratch_per_row = nnc_winograd_scratch_per_row(&ws);
        if (nnc_winograd_scratch_fixed(&ws) > plan->scratch_fixed)
            plan->scratch_fixed = nnc_winograd_scratch_fixed(&ws);
    }
    return NNC_OK;
}

/* As dense.c draws, with a field's K inputs as the fan-in and F * k * k as
 * the fan-out (what each input value reaches), as PyTorch and Keras count
 * them for a convolution. */
static void conv_init(const nnc_layer *layer, const nnc_layer_data *data, nnc_init scheme,
                      nnc_rng *rng)
{
    const nnc_conv_config *c = layer->config;
    geometry g = geometry_of(layer);
    size_t n = (size_t)c->filters * (size_t)g.fields;
    nnc_init_weights_and_bias(data->params, n, data->params + n, (size_t)c->filters, g.fields,
                              (double)c->filters * c->kernel * c->kernel, scheme, rng);
}

static void conv_forward(const nnc_layer *layer, const nnc_layer_data *data,
                         const nnc_pass *pass, const float *x, float *z)
{
    const nnc_conv_config *c = layer->config;
    geometry g = geometry_of(layer);
    const int filters = c->filters;
    const float *w = data->params, *b = data->params + (size_t)filters * g.fields;
    if (uses_winograd(&g, filters, 0)) {
        nnc_winograd_shape ws = winograd_shape(&g, filters, 0);
        float *u = pass->scratch_fixed;
        nnc_winograd_kernels(&ws, w, 0, u);
        nnc_winograd_correlate(&ws, u, b, x, pass->rows, u + nnc_winograd_kernel_floats(&ws),
                               pass->scratch, z);
        return;
    }
    float *col = pass->scratch;
    for (int r = 0; r < pass->rows; r++) {
        const float *xr = x + (size_t)r * layer->inputs;
        float *zr = z + (size_t)r * layer->outputs;
        im2col(&g, xr, col);
        /* Every position of filter f starts from its bias; the product adds onto it. */
        for (int f = 0; f < filters; f++)
            for (int q = 0; q < g.positions; q++)
                zr[(size_t)f * g.positions + q] = b[f];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, filters, g.positions, g.fields,
                    1.0f, w, g.fields, col, g.positions, 1.0f, zr, g.positions);
    }
}

static void conv_backward(const nnc_layer *layer, const nnc_layer_data *data,
                          const nnc_pass *pass, const float *x, const float *dz, float *dx)
{
    const nnc_conv_config *c = layer->config;
    geometry g = geometry_of(layer);
    const int filters = c->filters;
    const size_t n_weights = (size_t)filters * g.fields;
    const float *w = data->params;
    float *dw = data->grads, *db = data->grads + n_weights;
    float *col = pass->scratch;
    const int winograd = dx != NULL && uses_winograd(&g, filters, 1);
    for (int r = 0; r < pass->rows; r++) {
        const float *xr = x + (size_t)r * layer->inputs;
        const float *dzr = dz + (size_t)r * layer->outputs;
        for (int f = 0; f < filters; f++)
            db[f] += nnc_lane_sum(dzr + (size_t)f * g.positions, (size_t)g.positions);
        im2col(&g, xr, col);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, filters, g.fields, g.positions,
                    1.0f, dzr, g.positions, col, g.positions, 1.0f, dw, g.fields);
        if (dx == NULL || winograd)
            continue;
        /* col has served dW; it now takes dcol. */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g.fields, g.positions, filters,
                    1.0f, w, g.fields, dzr, g.positions, 0.0f, col, g.positions);
        col2im(&g, col, dx + (size_t)r * layer->inputs);
    }
    if (winograd) {
        /* The whole batch's input gradient at once, now that col is free. */
        nnc_winograd_shape ws = winograd_shape(&g, filters, 1);
        float *u = pass->scratch_fixed;
        nnc_winograd_kernels(&ws, w, 1, u);
        nnc_winograd_correlate(&ws, u, NULL, dz, pass->rows, u + nnc_winograd_kernel_floats(&ws),
                               pass->scratch, dx);
    }
}

const nnc_layer_type nnc_conv_type = {
    .name = "conv",
    .code = 2,
    .config_size = sizeof(nnc_conv_config),
    .takes_activation = NNC_TAKES_ACTIVATION,
    .parse = conv_parse,
    .describe = conv_describe,
    .encode = conv_encode,
    .decode = conv_decode,
    .plan = conv_plan,
    .init = conv_init,
    .forward = conv_forward,
    .backward = conv_backward,
};

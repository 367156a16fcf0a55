/*
 * globalavgpool.c - global average pooling: each channel to its mean.
 *
 * For one instance, C x H x W in, C x 1 x 1 out:
 *   forward:  z[c] = (1 / (H*W)) * sum over y, x of in[c, y, x]
 *   backward: dx[c, y, x] = dz[c] / (H*W)
 * The mean is linear, so every input of a channel gets an equal share of
 * that channel's gradient. No parameters and no activation: the layer below
 * applies one; this layer only summarises each feature map, which lets a
 * convolutional stack end in a dense layer whatever the image size.
 */
#include "nn/layers/no_fields.h"
#include "nn/nn.h"


static nnc_status globalavgpool_parse(void *config, const nnc_layer_args *args)
{
    return nnc_no_fields_parse(config, args, "globalavgpool", "it takes none");
}

static int globalavgpool_describe(const void *config, char *buf, size_t n)
{
    (void)config;
    return nnc_no_fields_describe("globalavgpool", buf, n);
}

static size_t globalavgpool_encode(const void *config, unsigned char *out)
{
    (void)config;
    (void)out;
    return nnc_no_fields_encode();
}

static nnc_status globalavgpool_decode(void *config, const unsigned char *in, size_t n)
{
    (void)in;
    return nnc_no_fields_decode(config, n, "globalavgpool");
}

static nnc_status globalavgpool_plan(const void *config, nnc_shape in, nnc_layer_plan *plan)
{
    (void)config;
    plan->out = (nnc_shape){ in.channels, 1, 1 };
    plan->n_params = 0;
    plan->saved_per_row = 0;
    return NNC_OK;
}

static void globalavgpool_init(const nnc_layer *layer, const nnc_layer_data *data,
                               nnc_init scheme, nnc_rng *rng)
{
    /* Nothing to draw, so the other layers' draws stay as they were. */
    (void)layer;
    (void)data;
    (void)scheme;
    (void)rng;
}

static void globalavgpool_forward(const nnc_layer *layer, const nnc_layer_data *data,
                                  const nnc_pass *pass, const float *x, float *z)
{
    (void)data;
    const int ch = layer->in_shape.channels;
    const size_t area = (size_t)layer->in_shape.height * (size_t)layer->in_shape.width;
    for (int r = 0; r < pass->rows; r++) {
        const float *xr = x + (size_t)r * layer->inputs;
        float *zr = z + (size_t)r * layer->outputs;
        for (int c = 0; c < ch; c++) {
            /* Summed in double: a large map of floats loses digits otherwise. */
            double sum = 0.0;
            for (size_t k = 0; k < area; k++)
                sum += xr[(size_t)c * area + k];
            zr[c] = (float)(sum / (double)area);
        }
    }
}

static void globalavgpool_backward(const nnc_layer *layer, const nnc_layer_data *data,
                                   const nnc_pass *pass, const float *x, const float *dz,
                                   float *dx)
{
    (void)data;
    (void)x;
    if (dx == NULL)
        return;
    const int ch = layer->in_shape.channels;
    const size_t area = (size_t)layer->in_shape.height * (size_t)layer->in_shape.width;
    for (int r = 0; r < pass->rows; r++) {
        const float *dzr = dz + (size_t)r * layer->outputs;
        float *dxr = dx + (size_t)r * layer->inputs;
        for (int c = 0; c < ch; c++) {
            float share = (float)(dzr[c] / (double)area);
            for (size_t k = 0; k < area; k++)
                dxr[(size_t)c * area + k] = share;
        }
    }
}

const nnc_layer_type nnc_globalavgpool_type = {
    .name = "globalavgpool",
    .code = 7,
    .config_size = sizeof(nnc_no_fields),
    .takes_activation = NNC_TAKES_NO_ACTIVATION,
    .parse = globalavgpool_parse,
    .describe = globalavgpool_describe,
    .encode = globalavgpool_encode,
    .decode = globalavgpool_decode,
    .plan = globalavgpool_plan,
    .init = globalavgpool_init,
    .forward = globalavgpool_forward,
    .backward = globalavgpool_backward,
};

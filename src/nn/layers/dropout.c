/*
 * dropout.c - inverted dropout: while training, each value is zeroed with
 * probability p and the others are scaled by 1 / (1 - p); when inferring,
 * the identity.
 *
 * The scaling while training keeps each value's expectation what it is at
 * inference, so a trained network needs no rescaling afterwards (Keras's
 * and PyTorch's convention):
 *   training:  m = 1 / (1 - p) with probability 1 - p, else 0;  z = m * x
 *   backward:  dx = m * dz, with the same m
 *   inferring: z = x, dx = dz
 * The masks come from the pass's generator, the network's (nnc_fit sets it
 * to the run's own, which the checkpoint saves, so a resumed run draws the
 * same masks as one never stopped). Each value takes 32 bits of a 64-bit
 * draw, compared with a threshold: p is then honoured to 2^-32, and a draw
 * serves two values, which keeps the mask cheap beside the layers around it.
 * The mask (the factor m itself) is kept per row for the backward pass.
 * A training pass with no generator is refused before it starts
 * (nnc_net's check), so the forward pass here always has one.
 */
#include "nn/layer.h"
#include "nn/nn.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct nnc_dropout_config {
    float rate;     /* p, the share dropped: 0 <= p < 1 */
} nnc_dropout_config;

/* The largest rate: at p = 1 nothing would pass and 1 / (1 - p) is infinite. */
#define MAX_RATE 0.99

static nnc_status dropout_parse(void *config, const nnc_layer_args *args)
{
    nnc_dropout_config *c = config;
    if (args->count != 1)
        return nnc_layer_arg_fail(args, args->count ? args->column[1] : args->item_column,
                                  args->count ? "a dropout layer has one field, its rate"
                                              : "a dropout layer needs its rate, the share of "
                                                "values dropped while training, as dropout:0.3");
    double rate;
    nnc_status st = nnc_layer_arg_number(args, 0, "the rate", 0.0, MAX_RATE, &rate);
    c->rate = (float)rate;
    return st;
}

static int dropout_describe(const void *config, char *buf, size_t n)
{
    const nnc_dropout_config *c = config;
    /* The shortest of %g and %.9g that reads back as the same float (0.3,
     * not 0.300000012). */
    char text[32];
    snprintf(text, sizeof text, "%g", (double)c->rate);
    if (strtof(text, NULL) != c->rate)
        snprintf(text, sizeof text, "%.9g", (double)c->rate);
    return snprintf(buf, n, "dropout:%s", text);
}

/* The model file's form: the rate as a little-endian IEEE float. */
static size_t dropout_encode(const void *config, unsigned char *out)
{
    const nnc_dropout_config *c = config;
    if (out != NULL) {
        uint32_t bits;
        memcpy(&bits, &c->rate, 4);
        nnc_le_put(out, bits, 4);
    }
    return 4;
}

static nnc_status dropout_decode(void *config, const unsigned char *in, size_t n)
{
    nnc_dropout_config *c = config;
    if (n != 4)
        return nnc_fail(NNC_EFORMAT, "a dropout layer's configuration has 4 bytes, this one %zu",
                        n);
    uint32_t bits = (uint32_t)nnc_le_get(in, 4);
    float rate;
    memcpy(&rate, &bits, 4);
    if (!(rate >= 0.0f && rate <= (float)MAX_RATE))
        return nnc_fail(NNC_EFORMAT, "a dropout layer's rate must be 0 to %g, got %g", MAX_RATE,
                        (double)rate);
    c->rate = rate;
    return NNC_OK;
}

static nnc_status dropout_plan(const void *config, nnc_shape in, nnc_layer_plan *plan)
{
    (void)config;
    plan->out = in;
    plan->n_params = 0;
    plan->saved_per_row = (size_t)nnc_shape_size(in);   /* the mask */
    return NNC_OK;
}

static void dropout_init(const nnc_layer *layer, const nnc_layer_data *data, nnc_init scheme,
                         nnc_rng *rng)
{
    /* Nothing to draw at the start: the masks are drawn while training. */
    (void)layer;
    (void)data;
    (void)scheme;
    (void)rng;
}

/* Whether this pass drops anything: only training passes with p > 0. */
static int drops(const nnc_layer *layer, const nnc_pass *pass)
{
    const nnc_dropout_config *c = layer->config;
    return pass->training && c->rate > 0.0f;
}

static void dropout_forward(const nnc_layer *layer, const nnc_layer_data *data,
                            const nnc_pass *pass, const float *x, float *z)
{
    const size_t n = (size_t)pass->rows * (size_t)layer->inputs;
    if (!drops(layer, pass)) {
        memcpy(z, x, n * sizeof *z);
        return;
    }
    const nnc_dropout_config *c = layer->config;
    /* Kept when the 32-bit draw is at or above p * 2^32. */
    const uint64_t threshold = (uint64_t)ldexp((double)c->rate, 32);
    const float keep = (float)(1.0 / (1.0 - (double)c->rate));
    float *mask = data->saved;
    uint64_t bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 2 == 0)
            bits = nnc_rng_u64(pass->rng);
        uint64_t draw = i % 2 == 0 ? bits & 0xffffffffu : bits >> 32;
        mask[i] = draw >= threshold ? keep : 0.0f;
        z[i] = x[i] * mask[i];
    }
}

static void dropout_backward(const nnc_layer *layer, const nnc_layer_data *data,
                             const nnc_pass *pass, const float *x, const float *dz, float *dx)
{
    (void)x;
    if (dx == NULL)
        return;
    const size_t n = (size_t)pass->rows * (size_t)layer->inputs;
    if (!drops(layer, pass)) {
        memcpy(dx, dz, n * sizeof *dx);
        return;
    }
    for (size_t i = 0; i < n; i++)
        dx[i] = dz[i] * data->saved[i];
}

const nnc_layer_type nnc_dropout_type = {
    .name = "dropout",
    .code = 6,
    .config_size = sizeof(nnc_dropout_config),
    .takes_activation = NNC_TAKES_NO_ACTIVATION,
    .draws_while_training = 1,
    .parse = dropout_parse,
    .describe = dropout_describe,
    .encode = dropout_encode,
    .decode = dropout_decode,
    .plan = dropout_plan,
    .init = dropout_init,
    .forward = dropout_forward,
    .backward = dropout_backward,
};

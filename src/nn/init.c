/*
 * nn/init.c - drawing a layer's starting weights, shared by the layer types
 * that have weights and a bias.
 */
#include "nn/layer.h"

#include <math.h>

void nnc_init_weights_and_bias(float *weights, size_t n_weights, float *bias, size_t n_bias,
                               double fan_in, double fan_out, nnc_init scheme, nnc_rng *rng)
{
    double std = 1.0;
    if (scheme == NNC_INIT_XAVIER)
        std = sqrt(2.0 / (fan_in + fan_out));
    else if (scheme == NNC_INIT_HE)
        std = sqrt(2.0 / fan_in);
    /* Weights then bias, as the tutorial draws its two weights and then
     * its bias; only the tutorial's own scheme draws the bias too. */
    for (size_t i = 0; i < n_weights; i++)
        weights[i] = (float)(std * nnc_rng_normal(rng));
    for (size_t i = 0; i < n_bias; i++)
        bias[i] = scheme == NNC_INIT_STANDARD_NORMAL ? (float)nnc_rng_normal(rng) : 0.0f;
}

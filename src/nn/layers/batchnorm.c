/*
 * batchnorm.c - batch normalisation: each channel to mean 0 and variance 1
 * over the batch, then a learned scale and shift.
 *
 * For a C x H x W input the statistics are per channel, over the M = rows x
 * H x W values of the batch that channel has (after a conv); a dense layer's
 * output is a shape of units x 1 x 1, so there they are per unit. With
 * gamma, beta the parameters and eps = 1e-5:
 *   training:  mean, var = the batch's mean and biased variance (over M)
 *              xhat = (x - mean) / sqrt(var + eps),  z = gamma * xhat + beta
 *              running = 0.9 * running + 0.1 * statistic (momentum 0.1),
 *              with the unbiased variance var * M / (M - 1), as PyTorch keeps it
 *   inferring: the same with the running mean and variance in place of the
 *              batch's, which makes the layer a fixed affine map per channel
 *   backward (training), the mean and variance depending on every x:
 *              dgamma += sum dz * xhat,  dbeta += sum dz
 *              dx = gamma / sqrt(var + eps) / M
 *                   * (M dz - sum dz - xhat * sum dz * xhat)
 *   backward (inferring): dx = gamma / sqrt(running_var + eps) * dz
 * The sums run in double: M is rows x H x W, often tens of thousands, and a
 * float sum of that many terms loses the digits the reference files check.
 * The backward pass recomputes the batch's statistics from x (one pass over
 * the input) rather than keeping them, since the network's saved memory is
 * per row and these are per batch.
 *
 * Parameters "weight" (gamma, starts at 1) and "bias" (beta, starts at 0),
 * PyTorch's names, neither decaying; state "running_mean" (starts at 0) and
 * "running_var" (starts at 1), which the model file and the checkpoint keep.
 * It takes an activation (batchnorm:relu), identity when none is written:
 * the usual place of a ReLU is after the normalisation, not before it.
 */
#include "nn/layers/no_fields.h"
#include "nn/nn.h"

#include <math.h>

#define EPSILON 1e-5
#define MOMENTUM 0.1

static nnc_status batchnorm_parse(void *config, const nnc_layer_args *args)
{
    return nnc_no_fields_parse(config, args, "batchnorm",
                               "it takes only an activation (batchnorm or batchnorm:relu)");
}

static int batchnorm_describe(const void *config, char *buf, size_t n)
{
    (void)config;
    return nnc_no_fields_describe("batchnorm", buf, n);
}

/* The model file's form: nothing (momentum and eps are fixed). */
static size_t batchnorm_encode(const void *config, unsigned char *out)
{
    (void)config;
    (void)out;
    return nnc_no_fields_encode();
}

static nnc_status batchnorm_decode(void *config, const unsigned char *in, size_t n)
{
    (void)in;
    return nnc_no_fields_decode(config, n, "batchnorm");
}

static nnc_status batchnorm_plan(const void *config, nnc_shape in, nnc_layer_plan *plan)
{
    (void)config;
    size_t c = (size_t)in.channels;
    plan->out = in;
    plan->n_params = 2;
    plan->params[0] = (nnc_tensor){ "weight", c, 0 };
    plan->params[1] = (nnc_tensor){ "bias", c, 0 };
    plan->n_state = 2;
    plan->state[0] = (nnc_tensor){ "running_mean", c, 0 };
    plan->state[1] = (nnc_tensor){ "running_var", c, 0 };
    return NNC_OK;
}

static void batchnorm_init(const nnc_layer *layer, const nnc_layer_data *data, nnc_init scheme,
                           nnc_rng *rng)
{
    /* Fixed starting values whatever the scheme; nothing drawn. */
    (void)scheme;
    (void)rng;
    int c = layer->in_shape.channels;
    for (int i = 0; i < c; i++) {
        data->params[i] = 1.0f;
        data->params[c + i] = 0.0f;
        data->state[i] = 0.0f;
        data->state[c + i] = 1.0f;
    }
}

/* The batch's mean and biased variance of channel c. */
static void batch_statistics(const nnc_layer *layer, int rows, const float *x, int c,
                             double *mean, double *var)
{
    const size_t hw = (size_t)layer->in_shape.height * (size_t)layer->in_shape.width;
    const double m = (double)rows * (double)hw;
    double sum = 0, squares = 0;
    for (int r = 0; r < rows; r++) {
        const float *v = x + (size_t)r * layer->inputs + (size_t)c * hw;
        for (size_t p = 0; p < hw; p++)
            sum += v[p];
    }
    *mean = sum / m;
    for (int r = 0; r < rows; r++) {
        const float *v = x + (size_t)r * layer->inputs + (size_t)c * hw;
        for (size_t p = 0; p < hw; p++) {
            double d = v[p] - *mean;
            squares += d * d;
        }
    }
    *var = squares / m;
}

static void batchnorm_forward(const nnc_layer *layer, const nnc_layer_data *data,
                              const nnc_pass *pass, const float *x, float *z)
{
    const int ch = layer->in_shape.channels, rows = pass->rows;
    const size_t hw = (size_t)layer->in_shape.height * (size_t)layer->in_shape.width;
    const double m = (double)rows * (double)hw;
    const float *gamma = data->params, *beta = data->params + ch;
    float *running_mean = data->state, *running_var = data->state + ch;
    for (int c = 0; c < ch; c++) {
        double mean, var;
        if (pass->training) {
            batch_statistics(layer, rows, x, c, &mean, &var);
            /* A single value per channel has no unbiased variance; the
             * running one is then left to the batches that have. */
            double unbiased = m > 1 ? var * m / (m - 1) : (double)running_var[c];
            running_mean[c] = (float)((1 - MOMENTUM) * running_mean[c] + MOMENTUM * mean);
            running_var[c] = (float)((1 - MOMENTUM) * running_var[c] + MOMENTUM * unbiased);
        } else {
            mean = running_mean[c];
            var = running_var[c];
        }
        const double scale = gamma[c] / sqrt(var + EPSILON);
        const double shift = beta[c] - mean * scale;
        for (int r = 0; r < rows; r++) {
            const float *v = x + (size_t)r * layer->inputs + (size_t)c * hw;
            float *out = z + (size_t)r * layer->outputs + (size_t)c * hw;
            for (size_t p = 0; p < hw; p++)
                out[p] = (float)(v[p] * scale + shift);
        }
    }
}

static void batchnorm_backward(const nnc_layer *layer, const nnc_layer_data *data,
                               const nnc_pass *pass, const float *x, const float *dz, float *dx)
{
    const int ch = layer->in_shape.channels, rows = pass->rows;
    const size_t hw = (size_t)layer->in_shape.height * (size_t)layer->in_shape.width;
    const double m = (double)rows * (double)hw;
    const float *gamma = data->params;
    float *dgamma = data->grads, *dbeta = data->grads + ch;
    for (int c = 0; c < ch; c++) {
        double mean, var;
        if (pass->training)
            batch_statistics(layer, rows, x, c, &mean, &var);
        else {
            mean = data->state[c];
            var = data->state[ch + c];
        }
        const double inv_std = 1 / sqrt(var + EPSILON);
        double sum_dz = 0, sum_dz_xhat = 0;
        for (int r = 0; r < rows; r++) {
            const float *v = x + (size_t)r * layer->inputs + (size_t)c * hw;
            const float *g = dz + (size_t)r * layer->outputs + (size_t)c * hw;
            for (size_t p = 0; p < hw; p++) {
                sum_dz += g[p];
                sum_dz_xhat += g[p] * (v[p] - mean) * inv_std;
            }
        }
        dgamma[c] += (float)sum_dz_xhat;
        dbeta[c] += (float)sum_dz;
        if (dx == NULL)
            continue;
        const double k = gamma[c] * inv_std;
        for (int r = 0; r < rows; r++) {
            const float *v = x + (size_t)r * layer->inputs + (size_t)c * hw;
            const float *g = dz + (size_t)r * layer->outputs + (size_t)c * hw;
            float *d = dx + (size_t)r * layer->inputs + (size_t)c * hw;
            for (size_t p = 0; p < hw; p++) {
                if (!pass->training) {
                    d[p] = (float)(k * g[p]);
                    continue;
                }
                double xhat = (v[p] - mean) * inv_std;
                d[p] = (float)(k / m * (m * g[p] - sum_dz - xhat * sum_dz_xhat));
            }
        }
    }
}

const nnc_layer_type nnc_batchnorm_type = {
    .name = "batchnorm",
    .code = 5,
    .config_size = sizeof(nnc_no_fields),
    .takes_activation = NNC_TAKES_ACTIVATION_IDENTITY_DEFAULT,
    .parse = batchnorm_parse,
    .describe = batchnorm_describe,
    .encode = batchnorm_encode,
    .decode = batchnorm_decode,
    .plan = batchnorm_plan,
    .init = batchnorm_init,
    .forward = batchnorm_forward,
    .backward = batchnorm_backward,
};

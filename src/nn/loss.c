/*
 * loss.c - the losses, their derivatives, and the fused output gradients.
 *
 * Reductions follow the tutorial and the reference files: the squared error is
 * a plain sum (the tutorial's per-instance error, not halved), the others are
 * means. Every gradient is of the reduced value.
 */
#include "nn/nn.h"

#include <math.h>
#include <string.h>

/* Keeps log() finite when a probability reaches 0 or 1 in float32. */
#define PROB_EPS 1e-7

static const char *const names[NNC_LOSS_COUNT] = {
    "squared_error", "mse", "binary_cross_entropy", "softmax_cross_entropy"
};

const char *nnc_loss_name(nnc_loss loss)
{
    if ((int)loss < 0 || (int)loss >= NNC_LOSS_COUNT)
        return NULL;
    return names[loss];
}

nnc_status nnc_loss_parse(const char *name, nnc_loss *out)
{
    if (name == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "loss: NULL argument");
    for (int i = 0; i < NNC_LOSS_COUNT; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (nnc_loss)i;
            return NNC_OK;
        }
    }
    return nnc_fail(NNC_EINVAL,
                    "unknown loss '%s' (expected squared_error, mse, binary_cross_entropy "
                    "or softmax_cross_entropy)",
                    name);
}

double nnc_squared_error(double prediction, double target)
{
    double diff = prediction - target;
    return diff * diff;
}

double nnc_squared_error_derivative(double prediction, double target)
{
    return 2.0 * (prediction - target);
}

static double clamp_prob(double p)
{
    if (p < PROB_EPS)
        return PROB_EPS;
    if (p > 1.0 - PROB_EPS)
        return 1.0 - PROB_EPS;
    return p;
}

static nnc_status check_args(const char *what, nnc_loss loss, const float *pred,
                             const float *target, const void *out, int rows, int cols)
{
    if (pred == NULL || target == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "%s: NULL argument", what);
    if (rows < 1 || cols < 1)
        return nnc_fail(NNC_EINVAL, "%s: shape %d x %d must be at least 1 x 1", what, rows,
                        cols);
    if (nnc_loss_name(loss) == NULL)
        return nnc_fail(NNC_EINVAL, "%s: unknown loss %d", what, (int)loss);
    return NNC_OK;
}

nnc_status nnc_loss_forward(nnc_loss loss, const float *pred, const float *target,
                            int rows, int cols, double *value)
{
    nnc_status st = check_args("loss forward", loss, pred, target, value, rows, cols);
    if (st != NNC_OK)
        return st;
    size_t n = (size_t)rows * (size_t)cols;
    double sum = 0.0;
    switch (loss) {
    case NNC_LOSS_SQUARED_ERROR:
    case NNC_LOSS_MSE:
        for (size_t i = 0; i < n; i++)
            sum += nnc_squared_error(pred[i], target[i]);
        *value = loss == NNC_LOSS_MSE ? sum / (double)n : sum;
        break;
    case NNC_LOSS_BINARY_CROSS_ENTROPY:
        for (size_t i = 0; i < n; i++) {
            double p = clamp_prob(pred[i]);
            sum -= target[i] * log(p) + (1.0 - target[i]) * log(1.0 - p);
        }
        *value = sum / (double)n;
        break;
    case NNC_LOSS_SOFTMAX_CROSS_ENTROPY:
        for (size_t i = 0; i < n; i++)
            if (target[i] != 0.0f)
                sum -= target[i] * log(clamp_prob(pred[i]));
        *value = sum / (double)rows;
        break;
    }
    return NNC_OK;
}

nnc_status nnc_loss_backward(nnc_loss loss, const float *pred, const float *target,
                             int rows, int cols, float *dpred)
{
    nnc_status st = check_args("loss backward", loss, pred, target, dpred, rows, cols);
    /* The shape test repeats check_args' so that the optimiser, inlining across
     * files, can see the loop below never runs with a negative size. */
    if (st == NNC_OK && rows > 0 && cols > 0)
        nnc_loss_gradient(loss, pred, target, rows, cols, dpred);
    return st;
}

void nnc_loss_gradient(nnc_loss loss, const float *pred, const float *target, int rows,
                       int cols, float *dpred)
{
    size_t n = (size_t)rows * (size_t)cols;
    switch (loss) {
    case NNC_LOSS_SQUARED_ERROR:
    case NNC_LOSS_MSE: {
        double scale = loss == NNC_LOSS_MSE ? 1.0 / (double)n : 1.0;
        for (size_t i = 0; i < n; i++)
            dpred[i] = (float)(scale * nnc_squared_error_derivative(pred[i], target[i]));
        break;
    }
    case NNC_LOSS_BINARY_CROSS_ENTROPY:
        for (size_t i = 0; i < n; i++) {
            double p = clamp_prob(pred[i]);
            dpred[i] = (float)((p - target[i]) / (p * (1.0 - p)) / (double)n);
        }
        break;
    case NNC_LOSS_SOFTMAX_CROSS_ENTROPY:
        for (size_t i = 0; i < n; i++)
            dpred[i] = (float)(-target[i] / clamp_prob(pred[i]) / (double)rows);
        break;
    }
}

int nnc_loss_fuses_with(nnc_loss loss, nnc_activation act)
{
    int squared = loss == NNC_LOSS_SQUARED_ERROR || loss == NNC_LOSS_MSE;
    return (loss == NNC_LOSS_SOFTMAX_CROSS_ENTROPY && act == NNC_SOFTMAX) ||
           (loss == NNC_LOSS_BINARY_CROSS_ENTROPY && act == NNC_SIGMOID) ||
           (squared && (act == NNC_SIGMOID || act == NNC_TANH || act == NNC_IDENTITY));
}

float nnc_fused_delta_scale(nnc_loss loss, size_t n)
{
    if (loss == NNC_LOSS_MSE)
        return (float)(2.0 / (double)n);
    if (loss == NNC_LOSS_BINARY_CROSS_ENTROPY)
        return (float)(1.0 / (double)n);
    return 2.0f;
}

void nnc_loss_fused_backward(nnc_loss loss, nnc_activation act, const float *pred,
                             const float *target, int rows, int cols, float *dz)
{
    /* Chained through softmax (or sigmoid), the cross-entropy's derivative with
     * respect to z collapses to a difference of p and t over the count the loss
     * averages over; the unfused product would divide by p and multiply by it
     * again, losing precision where p is near 0 or 1. For softmax the exact form
     * is p * sum(t) - t per row, which is p - t for one-hot or probability rows. */
    size_t n = (size_t)rows * (size_t)cols;
    if (act != NNC_SOFTMAX) {
        float scale = nnc_fused_delta_scale(loss, n);
        for (size_t i = 0; i < n; i++)
            dz[i] = nnc_fused_delta_one(loss, act, pred[i], target[i], scale);
        return;
    }
    float scale = (float)(1.0 / (double)rows);
    for (int r = 0; r < rows; r++) {
        const float *p = pred + (size_t)r * cols, *t = target + (size_t)r * cols;
        float *d = dz + (size_t)r * cols;
        float t_sum = 0.0f;
        for (int j = 0; j < cols; j++)
            t_sum += t[j];
        for (int j = 0; j < cols; j++)
            d[j] = (p[j] * t_sum - t[j]) * scale;
    }
}

nnc_status nnc_loss_checked(nnc_loss loss, const float *out, const float *target, int rows,
                            int cols, double *value)
{
    (void)nnc_loss_forward(loss, out, target, rows, cols, value);
    if (!isfinite(*value))
        return nnc_fail(NNC_ENUMERIC,
                        "the loss is not finite (%g): training diverged; try a smaller "
                        "learning rate",
                        *value);
    return NNC_OK;
}

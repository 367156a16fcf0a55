/*
 * activation.c - the activation functions and their derivatives.
 *
 * Each derivative is written from the activation's output where that is the
 * cheaper form (sigmoid' = s (1 - s), tanh' = 1 - t^2), which is why the
 * backward pass receives both z and out.
 */
#include "nn/nn.h"

#include <math.h>
#include <string.h>

static const char *const names[NNC_ACTIVATION_COUNT] = {
    "identity", "sigmoid", "tanh", "relu", "softmax", "leaky_relu"
};

const char *nnc_activation_name(nnc_activation act)
{
    if ((int)act < 0 || (int)act >= NNC_ACTIVATION_COUNT)
        return NULL;
    return names[act];
}

nnc_status nnc_activation_parse(const char *name, nnc_activation *out)
{
    if (name == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "activation: NULL argument");
    for (int i = 0; i < NNC_ACTIVATION_COUNT; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (nnc_activation)i;
            return NNC_OK;
        }
    }
    return nnc_fail(NNC_EINVAL,
                    "unknown activation '%s' (expected identity, sigmoid, tanh, relu, softmax or leaky_relu)",
                    name);
}

double nnc_sigmoid(double x)
{
    /* Two forms so that exp never overflows: for x < 0 use e^x / (1 + e^x). */
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

double nnc_sigmoid_derivative(double x)
{
    double s = nnc_sigmoid(x);
    return s * (1.0 - s);
}

static void softmax_row(const float *z, float *out, int cols)
{
    /* Subtracting the row's maximum changes nothing mathematically and keeps
     * every exponent <= 0, so exp cannot overflow. */
    float max = z[0];
    for (int j = 1; j < cols; j++)
        if (z[j] > max)
            max = z[j];
    double sum = 0.0;
    for (int j = 0; j < cols; j++) {
        out[j] = expf(z[j] - max);
        sum += out[j];
    }
    float inv = (float)(1.0 / sum);
    for (int j = 0; j < cols; j++)
        out[j] *= inv;
}

static nnc_status check_shape(const char *what, nnc_activation act, const void *a,
                              const void *b, int rows, int cols)
{
    if (a == NULL || b == NULL)
        return nnc_fail(NNC_EINVAL, "%s: NULL buffer", what);
    if (rows < 1 || cols < 1)
        return nnc_fail(NNC_EINVAL, "%s: shape %d x %d must be at least 1 x 1", what, rows,
                        cols);
    if (nnc_activation_name(act) == NULL)
        return nnc_fail(NNC_EINVAL, "%s: unknown activation %d", what, (int)act);
    return NNC_OK;
}

nnc_status nnc_activation_forward(nnc_activation act, const float *z, float *out,
                                  int rows, int cols)
{
    nnc_status st = check_shape("activation forward", act, z, out, rows, cols);
    if (st == NNC_OK)
        nnc_activate(act, z, out, rows, cols);
    return st;
}

/* The loops, cloned per instruction set; nnc_activate below is the entry.
 * (A cloned function is static: GCC 12 exports the resolver of an extern one
 * from the shared library whatever its visibility.) */
NNC_KERNEL_CLONES
static void activate(nnc_activation act, const float *z, float *out, int rows, int cols)
{
    size_t n = (size_t)rows * (size_t)cols;
    switch (act) {
    case NNC_IDENTITY:
        if (out != z)
            memcpy(out, z, n * sizeof *out);
        break;
    /* One loop per activation, each with a constant for the switch inside
     * nnc_activate_one, so the compiler can vectorise each on its own. */
    case NNC_SIGMOID:
        for (size_t i = 0; i < n; i++)
            out[i] = nnc_activate_one(NNC_SIGMOID, z[i]);
        break;
    case NNC_TANH:
        for (size_t i = 0; i < n; i++)
            out[i] = nnc_activate_one(NNC_TANH, z[i]);
        break;
    case NNC_RELU:
        for (size_t i = 0; i < n; i++)
            out[i] = nnc_activate_one(NNC_RELU, z[i]);
        break;
    case NNC_LEAKY_RELU:
        for (size_t i = 0; i < n; i++)
            out[i] = nnc_activate_one(NNC_LEAKY_RELU, z[i]);
        break;
    case NNC_SOFTMAX:
        for (int r = 0; r < rows; r++)
            softmax_row(z + (size_t)r * cols, out + (size_t)r * cols, cols);
        break;
    }
}

void nnc_activate(nnc_activation act, const float *z, float *out, int rows, int cols)
{
    activate(act, z, out, rows, cols);
}

nnc_status nnc_activation_backward(nnc_activation act, const float *z,
                                   const float *out, const float *dout, float *dz,
                                   int rows, int cols)
{
    nnc_status st = check_shape("activation backward", act, out, dout, rows, cols);
    if (st != NNC_OK)
        return st;
    if (dz == NULL || ((act == NNC_RELU || act == NNC_LEAKY_RELU) && z == NULL))
        return nnc_fail(NNC_EINVAL, "activation backward: NULL buffer");
    nnc_activate_backward(act, z, out, dout, dz, rows, cols);
    return NNC_OK;
}

NNC_KERNEL_CLONES
static void activate_backward(nnc_activation act, const float *z, const float *out,
                              const float *dout, float *dz, int rows, int cols)
{
    size_t n = (size_t)rows * (size_t)cols;
    switch (act) {
    case NNC_IDENTITY:
        if (dz != dout)
            memcpy(dz, dout, n * sizeof *dz);
        break;
    case NNC_SIGMOID:
        for (size_t i = 0; i < n; i++)
            dz[i] = dout[i] * out[i] * (1.0f - out[i]);
        break;
    case NNC_TANH:
        for (size_t i = 0; i < n; i++)
            dz[i] = dout[i] * (1.0f - out[i] * out[i]);
        break;
    case NNC_RELU:
        /* The derivative at exactly 0 is taken as 0, as PyTorch does. */
        for (size_t i = 0; i < n; i++)
            dz[i] = z[i] > 0.0f ? dout[i] : 0.0f;
        break;
    case NNC_LEAKY_RELU:
        /* Like relu, the slope at exactly 0 is taken from the negative side. */
        for (size_t i = 0; i < n; i++)
            dz[i] = z[i] > 0.0f ? dout[i] : NNC_LEAKY_SLOPE * dout[i];
        break;
    case NNC_SOFTMAX:
        for (int r = 0; r < rows; r++) {
            const float *s = out + (size_t)r * cols;
            const float *g = dout + (size_t)r * cols;
            float *d = dz + (size_t)r * cols;
            double dot = 0.0;
            for (int j = 0; j < cols; j++)
                dot += (double)g[j] * s[j];
            for (int j = 0; j < cols; j++)
                d[j] = s[j] * (g[j] - (float)dot);
        }
        break;
    }
}

void nnc_activate_backward(nnc_activation act, const float *z, const float *out,
                           const float *dout, float *dz, int rows, int cols)
{
    activate_backward(act, z, out, dout, dz, rows, cols);
}

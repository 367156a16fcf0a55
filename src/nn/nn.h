/*
 * nn/nn.h - the network's insides: layers, activations, losses.
 */
#ifndef NNC_NN_H
#define NNC_NN_H

#include "core/core.h"

/* One dense layer inside a network: where its parameters and its values live.
 * Offsets are into the network's parameter and gradient blocks. */
typedef struct nnc_layer {
    int inputs;
    int units;
    nnc_activation act;
    size_t weight_offset;   /* W: units x inputs */
    size_t bias_offset;     /* b: units */
} nnc_layer;

/* A dense layer's forward pass over a batch: z = x W^T + b, out = act(z).
 * x is rows x inputs; z and out are rows x units (they may be the same
 * buffer for every activation but softmax). */
void nnc_dense_forward(const nnc_layer *layer, const float *w, const float *b,
                       const float *x, int rows, float *z, float *out);

/* A dense layer's backward pass, given dz = d loss / d z (rows x units):
 * dw += dz^T x, db += column sums of dz, and, if dx is not NULL,
 * dx = dz W (rows x inputs). */
void nnc_dense_backward(const nnc_layer *layer, const float *w, const float *x,
                        const float *dz, int rows, float *dw, float *db, float *dx);

/* A network of n_layers dense layers (units[l] wide, activation acts[l])
 * over n_inputs inputs, parameters zeroed: what nnc_net_add_dense layer by
 * layer would build, with the parameter and gradient blocks allocated once
 * instead of once per layer (which copies and zeroes the whole block every
 * time: minutes for the 1,024 layers a model file may have). NULL, with the
 * failure recorded, on a bad size or want of memory. */
nnc_net *nnc_net_new_stack(int n_inputs, int n_layers, const int *units,
                           const nnc_activation *acts);

/* Backward pass and plain SGD update of a dense layer for one instance, in
 * one sweep over W: dx (if not NULL) = W^T dz with the old weights, then
 * W -= lr dz x^T and b -= lr dz. Nothing goes through the gradient block, so
 * W is read and written once per step instead of four times. */
void nnc_dense_sgd_single(const nnc_layer *layer, float *restrict w, float *restrict b,
                          const float *restrict x, const float *restrict dz, float learning_rate,
                          float *restrict dx);

/* One unit's part of that, given its d loss / d z: dx (if not NULL) += d w
 * with the old weights, then w -= lr d x and *b -= lr d, for in inputs. */
void nnc_dense_unit_sgd(float *restrict w, float *restrict b, const float *restrict x, int in,
                        float d, float learning_rate, float *restrict dx);

/* The same for a batch of rows: dx (if not NULL) from the old weights, then
 * W -= lr dz^T x computed by sgemm straight into W, and b -= lr colsum(dz). */
void nnc_dense_sgd(const nnc_layer *layer, float *w, float *b, const float *x, const float *dz,
                   int rows, float learning_rate, float *dx);

/* One plain-SGD step on a batch with the update fused into the backward pass
 * (see nnc_dense_sgd); the gradient block is left untouched. */
nnc_status nnc_net_sgd_step(nnc_net *net, const float *x, const float *y, int rows,
                            float learning_rate, double *loss);

/* The unchecked cores of nnc_activation_forward/backward and
 * nnc_loss_backward, for the network's inner loop, whose shapes are known good. */
void nnc_activate(nnc_activation act, const float *z, float *out, int rows, int cols);
void nnc_activate_backward(nnc_activation act, const float *z, const float *out,
                           const float *dout, float *dz, int rows, int cols);
void nnc_loss_gradient(nnc_loss loss, const float *pred, const float *target, int rows,
                       int cols, float *dpred);

/* The element-wise activations for one value (every one but softmax), the
 * forms nnc_activate's loops use, so the per-value paths give the same bits.
 * Both sigmoid forms (1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below,
 * never overflowing) share e^-|x| in one expression: a branch on the sign
 * of x is mispredicted half the time when the inputs vary. */
static inline float nnc_activate_one(nnc_activation act, float z)
{
    switch (act) {
    case NNC_SIGMOID: {
        float e = expf(-fabsf(z));
        return (z >= 0.0f ? 1.0f : e) / (1.0f + e);
    }
    case NNC_TANH:
        return tanhf(z);
    case NNC_RELU:
        return z > 0.0f ? z : 0.0f;
    default:
        return z;
    }
}

/* d loss / d z for one output whose activation fuses with the loss (see
 * nnc_loss_fuses_with; not softmax): p is the output, t its target, and
 * scale the loss's factor (2 or 2 / n for squared errors, 1 / n for binary
 * cross-entropy). The tutorial's derror_dprediction * dprediction_dlayer1. */
static inline float nnc_fused_delta_one(nnc_loss loss, nnc_activation act, float p, float t,
                                        float scale)
{
    if (loss == NNC_LOSS_BINARY_CROSS_ENTROPY)
        return (p - t) * scale;
    float local = 1.0f;
    if (act == NNC_SIGMOID)
        local = p * (1.0f - p);
    else if (act == NNC_TANH)
        local = 1.0f - p * p;
    return scale * (p - t) * local;
}

/* The scale nnc_fused_delta_one needs for n outputs in all (rows x cols). */
float nnc_fused_delta_scale(nnc_loss loss, size_t n);

/* Internal access used by training: the loss gradient with respect to the
 * output layer's pre-activation z in one pass, for the pairs where that is
 * simpler, more exact or just quicker (softmax + cross-entropy, sigmoid +
 * binary CE, squared error or MSE + sigmoid, tanh or identity). */
int nnc_loss_fuses_with(nnc_loss loss, nnc_activation act);
void nnc_loss_fused_backward(nnc_loss loss, nnc_activation act, const float *pred,
                             const float *target, int rows, int cols, float *dz);

#endif /* NNC_NN_H */

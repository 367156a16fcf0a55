/*
 * nn/nn.h - the network's insides: the layer contract (nn/layer.h), the
 * kernels of activations and losses the network's loops call directly.
 */
#ifndef NNC_NN_H
#define NNC_NN_H

#include "nn/layer.h"

/* A network of n_layers dense layers (units[l] wide, activation acts[l])
 * over n_inputs inputs, parameters zeroed: what nnc_net_add_dense layer by
 * layer would build, with the parameter and gradient blocks allocated once
 * instead of once per layer (which copies and zeroes the whole block every
 * time: minutes for the 1,024 layers a model file may have). NULL, with the
 * failure recorded, on a bad size or want of memory. */
nnc_net *nnc_net_new_stack(int n_inputs, int n_layers, const int *units,
                           const nnc_activation *acts);

/* The generator nnc_net_set_rng gave the network (NULL for none). */
nnc_rng *nnc_net_rng(const nnc_net *net);

/* The top layer's output (rows x outputs) of the last forward pass, as the
 * loss saw it: after a step, the batch's outputs before the update, from
 * which nnc_fit tallies an epoch's running metrics. NULL before any pass. */
const float *nnc_net_top_output(const nnc_net *net);

/* Makes the first layer of the network's next passes read its input from
 * the sparse rows s (NULL: from the dense x again), so a text's features
 * cost what its non-zeros cost, not what the vocabulary does. While it is
 * set, the x argument of nnc_predict, nnc_net_forward, nnc_net_loss_value,
 * nnc_net_gradients, nnc_net_sgd_step and nnc_train_step is not read (it
 * may be NULL), and their rows are s's. In a sparse pass the first layer's
 * weight gradients are computed for s->columns only, into a block of their
 * own (nnc_net_column_grads); that tensor's part of the gradient block is
 * left as it was (its other columns' true value is 0), and the
 * optimizers update those columns alone ("lazy" updates, as PyTorch's
 * SparseAdam does: a column absent from a batch keeps its weights and its
 * moments). NNC_EINVAL unless the first layer's type takes sparse input
 * (nnc_layer_type.takes_sparse: dense). s is not copied: it must stay valid
 * while it is set. */
nnc_status nnc_net_set_sparse(nnc_net *net, const nnc_sparse_rows *s);

/* The sparse rows set, or NULL. */
const nnc_sparse_rows *nnc_net_sparse(const nnc_net *net);

/* Where a sparse pass works by columns: the first layer's weight tensor
 * (the contract of nnc_layer_type.takes_sparse), at `at` in the parameter
 * and gradient blocks, units x in row-major, or in x units where by_input
 * (nnc_net_set_by_input: a column is then one run of `units`). Defined
 * here once for the network's kernels and the optimizers' lazy updates. */
typedef struct nnc_sparse_weights {
    size_t at, units, in;
    int by_input;
} nnc_sparse_weights;

/* net's sparse weights; net has at least one layer. */
nnc_sparse_weights nnc_net_sparse_weights(const nnc_net *net);

/* After nnc_net_gradients in a sparse pass: the first layer's weight
 * gradients at the batch's columns, column by column: s->columns[c]'s
 * gradient for unit u at [c * units + u], whichever layout the weights
 * have. A batch touches a few hundred columns of a vocabulary; kept apart
 * from the gradient block they are one small run, which clearing and the
 * optimizer's step read without a miss to memory per column (at 50,000
 * inputs the block's rows cost a quarter of a step). NULL in a dense pass. */
const float *nnc_net_column_grads(const nnc_net *net);

/* One plain-SGD step on a batch with the update fused into the backward pass
 * where every layer offers it (nnc_layer_type.sgd); the gradient block is
 * then left untouched. */
nnc_status nnc_net_sgd_step(nnc_net *net, const float *x, const float *y, int rows,
                            float learning_rate, double *loss);

/* The loss of rows x cols outputs against their targets into *value,
 * refusing (NNC_ENUMERIC) a value that is not finite: training has
 * diverged, and a step must not go on to its update. */
nnc_status nnc_loss_checked(nnc_loss loss, const float *out, const float *target, int rows,
                            int cols, double *value);

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
/* leaky_relu's slope for z <= 0: PyTorch's default, so a negative unit still
 * passes a small gradient instead of dying as a relu one can. */
#define NNC_LEAKY_SLOPE 0.01f

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
    case NNC_LEAKY_RELU:
        return z > 0.0f ? z : NNC_LEAKY_SLOPE * z;
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

/* ------------------------------- the architecture section (architecture.c) */

/* A network's architecture as the model file (version 2) and the checkpoint
 * store it: the input shape, each layer's type code, activation code and
 * length-prefixed configuration, and the loss (docs/model-format.md).
 * NNC_EINVAL only for a configuration no file could hold (a type's bug);
 * a failed allocation shows in w->failed. */
nnc_status nnc_architecture_put(nnc_byte_writer *w, const nnc_net *net);

/* Reads an architecture section into a new network whose blocks are sized
 * and zeroed, checking every field the moment it is read and refusing
 * (NNC_EFORMAT, naming the field and its offset) an unknown code, a
 * configuration its type refuses or would not have written, a layer that
 * does not fit the shape below it, and parameters and state that the rest
 * of the file cannot hold. *out is NULL on failure. */
nnc_status nnc_architecture_get(nnc_byte_reader *r, nnc_net **out);

/* "4x1x1 -> dense:32:relu,dense:3:softmax loss=softmax_cross_entropy":
 * everything the section records, for messages; snprintf semantics. */
int nnc_architecture_describe(const nnc_net *net, char *buf, size_t n);

/* An activation or loss code field (the format's codes, shared by the
 * architecture section and version-1 model files), refusing unknown ones. */
nnc_status nnc_get_activation(nnc_byte_reader *r, const char *what, nnc_activation *act);
nnc_status nnc_get_loss(nnc_byte_reader *r, const char *what, nnc_loss *loss);

#endif /* NNC_NN_H */

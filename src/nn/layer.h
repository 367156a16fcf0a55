/*
 * nn/layer.h - the layer contract: what a layer type provides, and what the
 * network gives it.
 *
 * A layer type is one file in src/nn/layers/ that fills one nnc_layer_type
 * and is listed once in layers/registry.c. The network owns all memory: a
 * layer states what it needs (nnc_layer_plan) from its input shape, and from
 * then on receives pointers into the network's blocks; it never allocates.
 *
 * Layers compute z, the value before the activation; the network applies
 * the activation after every layer (identity for layers that take none), so
 * the loss and the top activation can still fuse into one gradient.
 *
 * What the coming types need, and where the contract has room for it:
 *   conv       an im2col buffer:             plan.scratch_per_row (shared work)
 *              transformed kernels:          plan.scratch_fixed (once per pass)
 *   maxpool    argmax indices per row:        plan.saved_per_row
 *   batchnorm  running statistics, and different arithmetic when training:
 *              plan.state, nnc_pass.training
 *   dropout    draws a mask when training:    nnc_pass.rng, plan.saved_per_row
 *   embedding  token ids as inputs:           the input shape is the ids' count
 * Indices (argmax positions, token ids) travel as floats: every one is below
 * NNC_MAX_WIDTH = 2^24, and a float holds each whole number up to 2^24
 * exactly, so one kind of buffer serves every layer.
 */
#ifndef NNC_LAYER_H
#define NNC_LAYER_H

#include "core/core.h"

/* Layers and widths are bounded so that every size product fits comfortably
 * in size_t and int arithmetic; real networks are far below these. */
#define NNC_MAX_LAYERS 1024
#define NNC_MAX_WIDTH NNC_MAX_SHAPE_VALUES   /* one bound for widths and shapes */

/* Tensors a layer may have, parameters and state separately. */
#define NNC_LAYER_MAX_TENSORS 4

/* Numbers and words a layer's text may have after its type ("conv:32:3:relu"
 * has three); room for a convolution's filters, kernel, stride and padding. */
#define NNC_LAYER_MAX_ARGS 8

/* Whether a type takes an activation, and which one a text without one
 * gets: the grammar's default for hidden layers (ReLU from the CLI), or the
 * identity (batch norm, whose activation, when wanted, comes after it). */
enum {
    NNC_TAKES_NO_ACTIVATION = 0,
    NNC_TAKES_ACTIVATION = 1,
    NNC_TAKES_ACTIVATION_IDENTITY_DEFAULT = 2
};

/* A parameter tensor's flags. */
enum {
    NNC_TENSOR_DECAYS = 1   /* weight decay applies (weights; not biases or scales) */
};

/* One tensor a layer asks for: its name (for messages, export and the
 * accessors), its size in floats and its flags. */
typedef struct nnc_tensor {
    const char *name;
    size_t size;
    unsigned flags;
} nnc_tensor;

/* What a layer needs, worked out by its type from its input shape. */
typedef struct nnc_layer_plan {
    nnc_shape out;
    int n_params;                           /* trained: in the parameter block */
    nnc_tensor params[NNC_LAYER_MAX_TENSORS];
    int n_state;                            /* saved with the model, never trained */
    nnc_tensor state[NNC_LAYER_MAX_TENSORS];
    size_t saved_per_row;       /* floats kept from forward to backward, per row */
    size_t scratch_per_row;     /* floats of work space shared by all layers, per row */
    size_t scratch_fixed;       /* and once per pass, whatever the rows (transformed kernels) */
    /* A takes_sparse type's first tensor is inputs x units, each input's
     * weights side by side (a word's 64 weights one run of 256 bytes), not
     * units x inputs: how a sparse pass touches the fewest cache lines. */
    int by_input;
} nnc_layer_plan;

typedef struct nnc_layer_type nnc_layer_type;

/* One layer inside a network. Offsets are into the network's parameter
 * (and, identically, gradient) block and its state block. */
typedef struct nnc_layer {
    const nnc_layer_type *type;
    void *config;               /* type->config_size bytes, the type's own struct */
    nnc_activation act;
    nnc_shape in_shape, out_shape;
    int inputs;                 /* values per row in: in_shape's product */
    int outputs;                /* values per row out */
    nnc_layer_plan plan;
    size_t param_offset;        /* the first tensor's; the others follow it */
    size_t param_count;         /* all its tensors' */
    size_t state_offset;
    size_t state_count;
} nnc_layer;

/* What a pass over a batch gives every layer. */
typedef struct nnc_pass {
    int rows;
    int training;       /* training (dropout drops, batch norm uses the batch) or inferring */
    nnc_rng *rng;       /* the generator a training pass draws from; may be NULL when inferring */
    float *scratch;     /* rows x the widest scratch_per_row */
    float *scratch_fixed;   /* the largest scratch_fixed, apart from scratch */
    /* The first layer's input as its non-zeros (nnc_net_set_sparse), and
     * then the x that forward, backward and sgd get is NULL; NULL for every
     * other layer and in every dense pass. Only a type with takes_sparse is
     * ever given one. */
    const nnc_sparse_rows *sparse;
    /* With sparse, in a backward pass: where the weight gradients go,
     * column by column (nnc_net_column_grads: s->columns[c]'s for unit u at
     * [c * units + u]), and each non-zero's c: slot[j] for s->index[j], or
     * ~c (below 0) for the first non-zero of its column, whose gradient the
     * layer sets instead of adding to (the block is not cleared; a column no
     * row has is 0 already). The parameters' gradient block holds none. */
    float *column_grads;
    const int *slot;
} nnc_pass;

/* A layer's memory for one pass: its slices of the network's blocks. */
typedef struct nnc_layer_data {
    float *params;      /* param_count floats */
    float *grads;       /* the same layout */
    float *state;       /* state_count floats */
    float *saved;       /* rows x saved_per_row floats */
} nnc_layer_data;

/* The words and numbers after a layer's type in the layer grammar, with
 * where each starts in the whole text (1-based columns, for messages). */
typedef struct nnc_layer_args {
    int count;
    const char *text[NNC_LAYER_MAX_ARGS];   /* not NUL-terminated: see len */
    size_t len[NNC_LAYER_MAX_ARGS];
    int column[NNC_LAYER_MAX_ARGS];
    const char *item;       /* the whole item ("dense:64"), for messages */
    size_t item_len;
    int item_column;
} nnc_layer_args;

/* Argument i as a whole number from lo to hi into *value, or a message
 * naming the item, the column and what the number is ("the width"). */
nnc_status nnc_layer_arg_int(const nnc_layer_args *args, int i, const char *what, long lo,
                             long hi, int *value);

/* Argument i as a finite number from lo to hi (inclusive). */
nnc_status nnc_layer_arg_number(const nnc_layer_args *args, int i, const char *what, double lo,
                                double hi, double *value);

/* A refusal of the item's text: "layers: column C, 'item': <why>". */
nnc_status nnc_layer_arg_fail(const nnc_layer_args *args, int column, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The starting weights of a layer with weights and a bias, for a scheme:
 * normal with standard deviation 1 (the tutorial's, which draws the bias
 * too), sqrt(2 / (fan_in + fan_out)) (Xavier) or sqrt(2 / fan_in) (He);
 * all weights are drawn before any bias, and the bias is otherwise 0. */
void nnc_init_weights_and_bias(float *weights, size_t n_weights, float *bias, size_t n_bias,
                               double fan_in, double fan_out, nnc_init scheme, nnc_rng *rng);

/*
 * A layer type. The first block is required; the fast paths are optional
 * (NULL), and the network uses one only when every layer offers it.
 */
struct nnc_layer_type {
    const char *name;           /* in the grammar, `nnc info` and messages: "dense" */
    uint32_t code;              /* in the model file; never reused or renumbered */
    size_t config_size;         /* the type's configuration struct */
    int takes_activation;       /* NNC_TAKES_ACTIVATION_*: 0, the layer's is always identity */
    int draws_while_training;   /* a training pass needs the network's generator */

    /* The type can be the first layer of a sparse pass (nnc_pass.sparse):
     * forward, backward and sgd then read the rows' non-zeros instead of
     * x, backward and sgd are never asked for dx, and backward adds weight
     * gradients only at the batch's columns. Its first parameter tensor
     * must be "weight", outputs x inputs row-major: the network and the
     * optimizers zero and update that tensor at the columns alone (column
     * k is entries u * inputs + k). Only dense sets it. */
    int takes_sparse;

    /* The configuration from the grammar's arguments (args->count may be 0
     * when the type has defaults). */
    nnc_status (*parse)(void *config, const nnc_layer_args *args);

    /* The configuration as the grammar writes it, without the activation
     * ("dense:64"); snprintf semantics. */
    int (*describe)(const void *config, char *buf, size_t n);

    /* The model file's form of the configuration: encode writes it to out
     * (when not NULL) and returns its length; decode checks every field
     * and refuses (NNC_EFORMAT, naming the field) what encode could not
     * have written. */
    size_t (*encode)(const void *config, unsigned char *out);
    nnc_status (*decode)(void *config, const unsigned char *in, size_t n);

    /* Sizes the layer from its input shape, or refuses the shape. */
    nnc_status (*plan)(const void *config, nnc_shape in, nnc_layer_plan *plan);

    /* Draws the parameters (and sets the state) for a scheme, in a fixed
     * order: the same generator gives the same network. */
    void (*init)(const nnc_layer *layer, const nnc_layer_data *data, nnc_init scheme,
                 nnc_rng *rng);

    /* z (rows x outputs) from x (rows x inputs). */
    void (*forward)(const nnc_layer *layer, const nnc_layer_data *data, const nnc_pass *pass,
                    const float *x, float *z);

    /* Given dz = d loss / d z (rows x outputs): adds d loss / d parameters
     * to data->grads and, when dx is not NULL, sets dx = d loss / d x. */
    void (*backward)(const nnc_layer *layer, const nnc_layer_data *data,
                     const nnc_pass *pass, const float *x, const float *dz, float *dx);

    /* --- fast paths, all optional --- */

    /* backward, then a plain SGD step params -= rate * gradient, fused so
     * the gradients never go through memory; dx from the old parameters. */
    void (*sgd)(const nnc_layer *layer, const nnc_layer_data *data, const nnc_pass *pass,
                const float *x, const float *dz, float rate, float *dx);

    /* Whether the single-row step below serves this layer well (it works
     * unit by unit, which pays only for a few weights). */
    int (*row_small)(const nnc_layer *layer);

    /* The plain SGD step for one row through a whole stack of n layers of
     * this type, each row_small, whose top activation fuses with the loss
     * (the tutorial's 2 -> 1 network is the model case): the forward pass,
     * the loss into *loss_value when it is not NULL (refused when not
     * finite, before any update), then the chain rule and the updates. z,
     * out and delta are the network's one-row buffers. A stack, not a
     * layer: at a few weights per layer the step is a chain of dependent
     * operations, and a call per layer between them would lengthen it. */
    nnc_status (*row_stack_sgd)(const nnc_layer *layers, int n, float *params, const float *x,
                                const float *y, nnc_loss loss, float rate, float *const *z,
                                float *const *out, float *const *delta, double *loss_value);
};

/* ------------------------------------------------------------ the registry */

/* The type named name[0..len), or NULL. */
const nnc_layer_type *nnc_layer_type_named(const char *name, size_t len);

/* The type with model-file code `code`, or NULL. */
const nnc_layer_type *nnc_layer_type_coded(uint32_t code);

/* The types, as layers/registry.c lists them. */
extern const nnc_layer_type *const nnc_layer_types[];
extern const int nnc_layer_type_count;

/* The types themselves, one per file in layers/. */
extern const nnc_layer_type nnc_dense_type;
extern const nnc_layer_type nnc_conv_type;
extern const nnc_layer_type nnc_maxpool_type;
extern const nnc_layer_type nnc_avgpool_type;
extern const nnc_layer_type nnc_batchnorm_type;
extern const nnc_layer_type nnc_dropout_type;
extern const nnc_layer_type nnc_globalavgpool_type;

/* A dense layer's configuration (layers/dense.c), for nnc_net_add_dense.
 * by_input: the weights are kept inputs x units (nnc_net_set_by_input). */
typedef struct nnc_dense_config {
    int units;
    int by_input;
} nnc_dense_config;

/* ------------------------------------------------ building a network's stack */

/* Appends a layer of `type` with (a copy of) its configuration and its
 * activation on top of the stack, checking that it fits the shape below
 * it. The parameter and state blocks are left as they are: call
 * nnc_net_size_blocks after the last layer (the model loader pushes a
 * whole stack, then sizes once). */
nnc_status nnc_net_push_layer(nnc_net *net, const nnc_layer_type *type, const void *config,
                              nnc_activation act);

/* Gives the network parameter, gradient and state blocks of the stack's
 * sizes, zeroed but for the first `keep` parameters and `keep_state` state
 * values, copied from the old blocks. */
nnc_status nnc_net_size_blocks(nnc_net *net, size_t keep, size_t keep_state);

/* Removes the top layer (undoing a push whose blocks could not be sized). */
void nnc_net_pop_layer(nnc_net *net);

/* Layer `layer` of the stack, or NULL when there is none. */
const nnc_layer *nnc_net_layer(const nnc_net *net, int layer);

#endif /* NNC_LAYER_H */

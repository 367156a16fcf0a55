/*
 * nnc.h - the public interface of libnnc, a small neural-network library in C11.
 *
 * Shape of the library, top to bottom:
 *   nnc_model      a trained network with its normalisation, labels, metadata;
 *                  saved to and loaded from nnc's model files
 *   nnc_fit        epochs of shuffled mini-batches, validation, early stopping;
 *                  nnc_train_step for one batch
 *   nnc_optimizer  an update rule over the parameter block (SGD, momentum, Adam)
 *   nnc_net        a stack of layers (dense, ...), its parameters in one contiguous block
 *   nnc_dataset    inputs and targets in memory (from arrays, CSV or IDX files)
 *   nnc_rng        the one seeded random generator everything random draws from
 *
 * Conventions, everywhere:
 *   - Matrices are row-major float arrays; a batch has one instance per row.
 *   - A dense layer computes out = act(x W^T + b), W being (units x inputs).
 *   - Every fallible call returns an nnc_status (NNC_OK is 0). On failure,
 *     nnc_last_error() says what went wrong. The library never prints or exits.
 *   - Every _new has a _free; _free accepts NULL.
 *   - Pointers the library returns into its own objects stay owned by the object
 *     and stay valid until the object is freed.
 */
#ifndef NNC_H
#define NNC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Only what this header declares is exported from libnnc.so: the library is
 * built with -fvisibility=hidden. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define NNC_VERSION_MAJOR 0
#define NNC_VERSION_MINOR 1
#define NNC_VERSION_PATCH 0
#define NNC_VERSION "0.1.0"

/* ---------------------------------------------------------------- errors */

typedef enum nnc_status {
    NNC_OK = 0,
    NNC_EINVAL,   /* a bad argument: NULL, a size out of range, mismatched shapes */
    NNC_ENOMEM,   /* an allocation failed or a size would overflow */
    NNC_EIO,      /* a file could not be opened, written or renamed */
    NNC_EFORMAT,  /* data in a file is malformed */
    NNC_ENUMERIC, /* a NaN or infinity turned up in a computation */
    NNC_ESTOPPED  /* stopped on the caller's request (nnc_fit_options.stop) */
} nnc_status;

/* The message of the most recent failure in this thread ("" if none yet).
 * The string is owned by the library and overwritten by the next failure. */
const char *nnc_last_error(void);

/* A fixed, human name for a status code, such as "invalid argument". */
const char *nnc_status_name(nnc_status status);

/* The library's version string, equal to NNC_VERSION of the header it was built
 * with; lets a program check it was linked against the library it expects. */
const char *nnc_version(void);

/* The shortest text that reads back (strtof) as exactly v, in %g style and
 * the C locale: 0.01f is "0.01", not "0.00999999978"; "nan", "inf", "-inf"
 * for those. Written as snprintf would (at most size bytes with the NUL; 16
 * always suffice); returns the length snprintf returns. */
int nnc_format_float(float v, char *buf, size_t size);

/* ---------------------------------------------------------- random numbers */

/* A seeded pseudo-random generator (xoshiro256**, seeded through splitmix64).
 * Its state is public so it can live on the stack and be saved and restored;
 * treat the fields as opaque. The same seed always gives the same sequence. */
typedef struct nnc_rng {
    uint64_t s[4];
    double spare_normal;   /* Box-Muller makes normals in pairs; one is kept */
    int has_spare;
} nnc_rng;

/* Sets the generator to the start of the sequence that belongs to seed. */
void nnc_rng_seed(nnc_rng *rng, uint64_t seed);

/* The next 64 random bits. */
uint64_t nnc_rng_u64(nnc_rng *rng);

/* A uniform double in [0, 1), with 53 random bits. */
double nnc_rng_uniform(nnc_rng *rng);

/* A uniform integer in [0, n), without modulo bias; returns 0 when n is 0. */
uint64_t nnc_rng_below(nnc_rng *rng, uint64_t n);

/* A draw from the standard normal distribution (mean 0, variance 1). */
double nnc_rng_normal(nnc_rng *rng);

/* Puts the n indices 0..n-1 in a uniformly random order (Fisher-Yates). */
void nnc_rng_permutation(nnc_rng *rng, size_t *index, size_t n);

/* ------------------------------------------------- the tutorial's pieces */

/* These scalar functions are the tutorial's chain-rule pieces, in double
 * precision. The batch code below uses the same definitions. */

/* The dot product of two float vectors of length n, accumulated in double. */
double nnc_dot(const float *a, const float *b, int n);

/* 1 / (1 + e^-x), computed without overflow for large |x|. */
double nnc_sigmoid(double x);

/* The sigmoid's derivative at x: sigmoid(x) * (1 - sigmoid(x)). */
double nnc_sigmoid_derivative(double x);

/* The tutorial's error of one prediction: (prediction - target)^2, not halved. */
double nnc_squared_error(double prediction, double target);

/* Its derivative with respect to the prediction: 2 * (prediction - target). */
double nnc_squared_error_derivative(double prediction, double target);

/* ------------------------------------------------------------- activations */

typedef enum nnc_activation {
    NNC_IDENTITY = 0,
    NNC_SIGMOID,
    NNC_TANH,
    NNC_RELU,
    NNC_SOFTMAX,  /* over each row; pairs with NNC_LOSS_SOFTMAX_CROSS_ENTROPY */
    NNC_LEAKY_RELU /* z > 0 ? z : 0.01 z, PyTorch's default slope */
} nnc_activation;

#define NNC_ACTIVATION_COUNT 6

/* The activation's lower-case name ("relu"), or NULL for an unknown value. */
const char *nnc_activation_name(nnc_activation act);

/* Looks an activation up by its name; NNC_EINVAL for an unknown one. */
nnc_status nnc_activation_parse(const char *name, nnc_activation *out);

/* out = act(z) for a rows x cols batch. out may equal z, except for softmax,
 * which reads a whole row before writing it (in place works there too). */
nnc_status nnc_activation_forward(nnc_activation act, const float *z, float *out,
                                  int rows, int cols);

/* Chain rule through the activation: given out = act(z) and d loss / d out,
 * writes d loss / d z into dz (rows x cols). For softmax this is the full
 * Jacobian-vector product s * (dout - sum(dout * s)) of each row. */
nnc_status nnc_activation_backward(nnc_activation act, const float *z,
                                   const float *out, const float *dout, float *dz,
                                   int rows, int cols);

/* ------------------------------------------------------------------ losses */

typedef enum nnc_loss {
    NNC_LOSS_SQUARED_ERROR = 0,      /* sum over batch and outputs of (p - t)^2 */
    NNC_LOSS_MSE,                    /* that sum divided by rows * cols */
    NNC_LOSS_BINARY_CROSS_ENTROPY,   /* mean over rows * cols of -[t ln p + (1-t) ln(1-p)] */
    NNC_LOSS_SOFTMAX_CROSS_ENTROPY   /* mean over rows of -sum(t ln p), p a softmax row */
} nnc_loss;

#define NNC_LOSS_COUNT 4

/* The loss's name ("mse"), or NULL for an unknown value. */
const char *nnc_loss_name(nnc_loss loss);

/* Looks a loss up by its name; NNC_EINVAL for an unknown one. */
nnc_status nnc_loss_parse(const char *name, nnc_loss *out);

/* The loss of predictions against targets (both rows x cols) into *value.
 * Probabilities are clamped to [1e-7, 1 - 1e-7] inside the logarithms. */
nnc_status nnc_loss_forward(nnc_loss loss, const float *pred, const float *target,
                            int rows, int cols, double *value);

/* d loss / d pred (rows x cols) into dpred. For the cross-entropies the
 * derivative is the formula's at the clamped probability (about +-1e7 / n
 * at p = 0 or 1), not the zero slope of the clamp itself, so a confident
 * wrong prediction still pulls the weights back. */
nnc_status nnc_loss_backward(nnc_loss loss, const float *pred, const float *target,
                             int rows, int cols, float *dpred);

/* ----------------------------------------------------------------- network */

/* The shape of one instance: channels x height x width, stored channel-major
 * (all of channel 0 row by row, then channel 1, ...). A plain vector of n
 * values is n x 1 x 1; a 28 x 28 grey image is 1 x 28 x 28. */
typedef struct nnc_shape {
    int channels;
    int height;
    int width;
} nnc_shape;

/* The most values one instance (or one layer's output) may have: 2^24, so
 * sizes stay far inside int and every index is a whole number a float holds
 * exactly. Each dimension is therefore at most this too. */
#define NNC_MAX_SHAPE_VALUES 16777216

/* Reads a shape from text, in one of three forms:
 *     "CxHxW"  channels x height x width   "3x32x32"
 *     "HxW"    one channel                 "8x8" is 1x8x8
 *     "N"      a plain vector              "64" is 64x1x1
 * Each dimension is a whole number from 1, written in digits only (no sign,
 * no spaces), separated by a lower-case 'x'; the product must be at most
 * NNC_MAX_SHAPE_VALUES. On failure *out is left as it was, and the message
 * names the column of the text at fault ("shape: column 3, '1x0x8': a
 * dimension must be a whole number from 1 to 16777216, got '0'"). */
nnc_status nnc_shape_parse(const char *text, nnc_shape *out);

/* The shape as "CxHxW" into buf (n bytes), always all three dimensions (a
 * vector of 64 is "64x1x1"), which nnc_shape_parse reads back; cut short
 * and NUL-terminated as snprintf does. Returns the length snprintf would. */
int nnc_shape_format(nnc_shape shape, char *buf, size_t n);


typedef struct nnc_net nnc_net;   /* opaque */

typedef enum nnc_init {
    NNC_INIT_STANDARD_NORMAL = 0,  /* weights and biases ~ N(0, 1): the tutorial's */
    NNC_INIT_XAVIER,               /* weights ~ N(0, 2 / (in + out)), biases 0 */
    NNC_INIT_HE                    /* weights ~ N(0, 2 / in), biases 0: for ReLU */
} nnc_init;

/* A new network taking n_inputs inputs, with no layers yet and squared-error
 * loss. Returns NULL on failure (n_inputs < 1, out of memory). Free it with
 * nnc_net_free. */
nnc_net *nnc_net_new(int n_inputs);

/* The same for instances of the given shape (channels x height x width,
 * each >= 1, at most 2^24 values in all); nnc_net_new(n) is n x 1 x 1. */
nnc_net *nnc_net_new_shaped(nnc_shape shape);

/* Frees the network and everything it owns. NULL is allowed. */
void nnc_net_free(nnc_net *net);

/* A deep copy: same layers, loss, parameters; none of the scratch state. */
nnc_net *nnc_net_clone(const nnc_net *net);

/* Appends a dense layer of the given width on top of the current top.
 * Parameters of all layers are (re)allocated and set to zero; initialise them
 * after the last layer is added. Softmax needs units >= 2. */
nnc_status nnc_net_add_dense(nnc_net *net, int units, nnc_activation act);

/* Keeps the first layer's weights input by input (inputs x units: a
 * word's weights side by side) instead of unit by unit (units x inputs,
 * as nnc_net_weights documents), for a network that trains on sparse rows,
 * a bag of words (nnc_text_columns_apply): each non-zero then reads and
 * writes one run of `units` floats, not `units` cache lines a vocabulary
 * apart. The network computes the same either way. Call it before
 * nnc_net_init (the weights are not moved). NNC_EINVAL unless the first
 * layer is dense. The model file keeps the layout. */
nnc_status nnc_net_set_by_input(nnc_net *net);

/* Appends the layers a text describes, in the layer grammar: items
 * separated by commas, each a type and its fields separated by colons, an
 * activation name last where the type takes one:
 *     dense:64:relu,dense:32,dense:10:softmax
 * A plain number is a dense layer of that width ("64,32" is two), and an
 * item without an activation gets default_act. The types, their fields and
 * the activations are listed in docs/architecture.md. On failure nothing
 * is added, and the message names the column of the text where it is at
 * fault ("layers: column 10, 'dense:x': the width must be a whole number
 * from 1 to 16777216, got 'x'"). */
nnc_status nnc_net_add_layers(nnc_net *net, const char *text, nnc_activation default_act);

/* The layers in the grammar's canonical form (every activation written,
 * "dense:64:relu,dense:3:softmax"), into buf (n bytes); returns the length
 * snprintf would, or -1 for a NULL network. */
int nnc_net_describe(const nnc_net *net, char *buf, size_t n);

/* Chooses the loss the network trains on. Softmax cross-entropy needs a
 * softmax output layer (checked when gradients are computed). */
nnc_status nnc_net_set_loss(nnc_net *net, nnc_loss loss);

/* Draws every weight and bias again with the given scheme from rng. */
nnc_status nnc_net_init(nnc_net *net, nnc_init scheme, nnc_rng *rng);

/* The generator a training pass draws from (layers such as dropout need
 * one); nnc_fit sets its own. Not owned; NULL (the default) for none. */
void nnc_net_set_rng(nnc_net *net, nnc_rng *rng);

/* Shape queries. Layers are numbered from 0 (the first hidden layer). */
int nnc_net_inputs(const nnc_net *net);
nnc_shape nnc_net_input_shape(const nnc_net *net);
int nnc_net_outputs(const nnc_net *net);           /* 0 while there is no layer */
int nnc_net_layer_count(const nnc_net *net);
int nnc_net_layer_units(const nnc_net *net, int layer);          /* -1 if out of range */
nnc_shape nnc_net_layer_shape(const nnc_net *net, int layer);    /* 0x0x0 if out of range */
const char *nnc_net_layer_type(const nnc_net *net, int layer);   /* "dense"; NULL if out of range */
nnc_activation nnc_net_layer_activation(const nnc_net *net, int layer);
nnc_loss nnc_net_loss(const nnc_net *net);

/* All parameters, layer after layer (each W row-major, then its b), as one
 * block of nnc_net_param_count floats; the gradients have the same layout.
 * Writing through these pointers changes the network. */
size_t nnc_net_param_count(const nnc_net *net);
float *nnc_net_params(nnc_net *net);
float *nnc_net_grads(nnc_net *net);

/* The non-trained state (running statistics and the like), saved with the
 * model but never optimised: nnc_net_state_count floats (0 for a network of
 * dense layers). */
size_t nnc_net_state_count(const nnc_net *net);
float *nnc_net_state(nnc_net *net);

/* One named tensor of a layer: where it lies in the parameter block (or,
 * for state, the state block), and whether weight decay applies to it. */
typedef struct nnc_tensor_info {
    const char *name;       /* "weight", "bias", ... */
    int layer;
    int is_state;           /* 1: in the state block, never optimised */
    size_t offset;          /* floats from the start of its block */
    size_t size;            /* floats */
    int decays;             /* weight decay applies (weights; not biases) */
} nnc_tensor_info;

/* Tensors are numbered through the stack from the input side, each layer's
 * parameters then its state. */
int nnc_net_tensor_count(const nnc_net *net);
nnc_status nnc_net_tensor(const nnc_net *net, int index, nnc_tensor_info *info);

/* Views of one layer inside those blocks: W is units x inputs of the layer
 * (inputs x units for a first layer set by nnc_net_set_by_input), b has
 * units entries. NULL if the layer does not exist or has no tensor
 * of that name ("weight", "bias"). */
float *nnc_net_weights(nnc_net *net, int layer);
float *nnc_net_bias(nnc_net *net, int layer);
float *nnc_net_weight_grads(nnc_net *net, int layer);
float *nnc_net_bias_grads(nnc_net *net, int layer);

/* Forward pass: out (rows x outputs) for x (rows x inputs). Keeps every layer's
 * values for a following backward pass. Scratch space grows to the largest
 * batch seen and is then reused, so a fixed batch size allocates only once. */
nnc_status nnc_predict(nnc_net *net, const float *x, int rows, float *out);

/* The forward pass in either mode: inferring (training 0, what nnc_predict
 * does) or training (dropout drops, batch norm normalises with the batch's
 * statistics and moves its running ones). A training pass through a dropout
 * layer needs the generator of nnc_net_set_rng. */
nnc_status nnc_net_forward(nnc_net *net, const float *x, int rows, int training, float *out);

/* Forward and backward over one batch: overwrites the gradient block with
 * d loss / d parameters and, when loss is not NULL, stores the loss value. When
 * dx is not NULL it also receives d loss / d x (rows x inputs). */
nnc_status nnc_net_gradients(nnc_net *net, const float *x, const float *y, int rows,
                             double *loss, float *dx);

/* The network's loss over a batch, without touching the gradients. */
nnc_status nnc_net_loss_value(nnc_net *net, const float *x, const float *y, int rows,
                              double *loss);

/* -------------------------------------------------------------- optimizers */

typedef struct nnc_optimizer nnc_optimizer;   /* opaque */

/* Plain gradient descent: param -= learning_rate * grad. learning_rate must be
 * finite and positive. NULL on failure. */
nnc_optimizer *nnc_sgd_new(float learning_rate);

/* SGD with (heavy-ball) momentum: v = momentum * v + grad; param -= lr * v.
 * momentum in [0, 1). The velocity is sized on the first step. */
nnc_optimizer *nnc_momentum_new(float learning_rate, float momentum);

/* Adam (Kingma & Ba, bias-corrected moments). Typical: lr 1e-3, beta1 0.9,
 * beta2 0.999, epsilon 1e-8. betas in [0, 1), epsilon > 0. */
nnc_optimizer *nnc_adam_new(float learning_rate, float beta1, float beta2, float epsilon);

/* Frees the optimizer. NULL is allowed. */
void nnc_optimizer_free(nnc_optimizer *opt);

/* L2 weight decay: adds decay * w to the gradient of every weight (not the
 * biases) before the update. 0 (the default) turns it off; decay must be >= 0. */
nnc_status nnc_optimizer_set_weight_decay(nnc_optimizer *opt, float decay);

/* Gradient-norm clipping: before each update, when the gradient's Euclidean
 * norm (over all parameters) exceeds max_norm, the gradient is scaled down to
 * max_norm. A guard against the occasional huge step that makes training
 * diverge. 0 (the default) turns it off; max_norm must be >= 0. */
nnc_status nnc_optimizer_set_clip_norm(nnc_optimizer *opt, float max_norm);

/* Applies one update to the network's parameters from its gradient block.
 * The same optimizer must keep updating the same network (its moments are
 * sized for it); NNC_EINVAL if the parameter count changed. */
nnc_status nnc_optimizer_step(nnc_optimizer *opt, nnc_net *net);

/* The learning rate, and a way to change it between steps (for schedules). */
float nnc_optimizer_learning_rate(const nnc_optimizer *opt);
nnc_status nnc_optimizer_set_learning_rate(nnc_optimizer *opt, float learning_rate);

/* The optimizer's name: "sgd", "momentum" or "adam". */
const char *nnc_optimizer_name(const nnc_optimizer *opt);

/* ---------------------------------------------------------------- datasets */

typedef struct nnc_dataset nnc_dataset;   /* opaque */

/* What the targets are. Classification targets are gathered as the network
 * trains on them: one 0/1 column for two classes (a sigmoid output, as in the
 * tutorial), one one-hot column per class for more (a softmax output). */
typedef enum nnc_task {
    NNC_TASK_AUTO = 0,           /* only in options: infer it from the data */
    NNC_TASK_CLASSIFICATION,
    NNC_TASK_REGRESSION
} nnc_task;

/* What a data set costs, and the limits that keep what any file costs in
 * proportion to the numbers in it (docs/reliability.md has measurements).
 *
 * Memory: 4 bytes per input cell (1 per pixel of IDX images), plus 4 per
 * target cell for a regression, or 4 per row for a classification: class
 * targets stay class indices, and the 0/1 or one-hot floats a network
 * trains on are made a batch at a time by nnc_dataset_gather (one-hot rows
 * for every row would be rows x classes floats: 16 GiB for 65,536 rows of
 * as many classes). Subsets and splits copy rows in the same form.
 *
 * nnc_dataset_load_csv peaks, while loading, at the file's size plus the
 * set it builds plus 4 bytes per row: a 100 MB file of "0,0" rows (25
 * million rows, 200 MB of floats) peaks at 3.9 times the file, 2 times the
 * floats. Reading text columns as categories (categorical) costs more while
 * they are read: a pointer per cell of such a column, 16 bytes a row to sort
 * its cells, and a string per level (fuzz_csv allows 48 bytes per byte of
 * file then). nnc_dataset_load_idx peaks at the pixels plus about 5 bytes per
 * image (1.007 times the pixels of 28 x 28 images), however well they
 * compress, and never allocates more than the headers claim. */

/* The most classes a classification may have. Every class costs a network
 * output, and a confusion matrix costs classes x classes counts (4096
 * classes: 64 MiB); ImageNet has 1,000. */
#define NNC_MAX_CLASSES 4096

/* The most bytes of pixels (or labels) an IDX file may claim: 2 GiB less
 * one, so a count always fits an int; 45 times Fashion-MNIST's training
 * images. A larger header is refused before anything is read. */
#define NNC_MAX_IDX_BYTES 2147483647u

/* A regression data set of rows instances holding copies of x (rows x n_inputs)
 * and y (rows x n_targets). NULL on failure. */
nnc_dataset *nnc_dataset_from_arrays(const float *x, const float *y, int rows,
                                     int n_inputs, int n_targets);

/* A classification data set from inputs and class indices (0..n_classes-1);
 * labels names each class (NULL: "0", "1", ...). Targets are encoded as above. */
nnc_dataset *nnc_dataset_from_classes(const float *x, const int *classes, int rows,
                                      int n_inputs, int n_classes,
                                      const char *const *labels);

/* Frees the data set. NULL is allowed. */
void nnc_dataset_free(nnc_dataset *data);

int nnc_dataset_rows(const nnc_dataset *data);
int nnc_dataset_inputs(const nnc_dataset *data);
int nnc_dataset_targets(const nnc_dataset *data);    /* columns of y */
nnc_task nnc_dataset_task(const nnc_dataset *data);
int nnc_dataset_classes(const nnc_dataset *data);    /* 0 for regression */

/* The name of class k, or NULL when out of range or for regression. */
const char *nnc_dataset_class_label(const nnc_dataset *data, int k);

/* Renames the classes of a classification set: labels[0..n) replace the
 * current names in order (n must equal the class count, names must differ).
 * Useful for IDX data, whose classes are only numbered. */
nnc_status nnc_dataset_set_class_labels(nnc_dataset *data, const char *const *labels, int n);

/* The name of input column j (from a CSV header; "x0", "x1", ... otherwise). */
const char *nnc_dataset_input_name(const nnc_dataset *data, int j);

/* The name of the target column a CSV file's targets came from ("label" for
 * IDX data; "y" for arrays and for CSV data read without a target). */
const char *nnc_dataset_target_name(const nnc_dataset *data);

/* The class index of row i (-1 for regression or a row out of range). */
int nnc_dataset_class_of(const nnc_dataset *data, int i);

/* The shape of one instance (see nnc_shape): inputs x 1 x 1 unless the data
 * came with another (IDX images keep their dimensions: N x 28 x 28 images
 * are 1 x 28 x 28) or was given one; 0x0x0 for NULL. Subsets and splits
 * keep it. */
nnc_shape nnc_dataset_shape(const nnc_dataset *data);

/* Gives the instances a shape, such as 1x8x8 for 64 pixel columns of a CSV
 * file; the rows are not changed, only how a network reads them. Refused
 * (NNC_EINVAL, data unchanged) unless the shape's product equals the input
 * count. */
nnc_status nnc_dataset_set_shape(nnc_dataset *data, nnc_shape shape);

/* Copies the rows named by index[0..n) into x (n x inputs) and y (n x
 * targets) as float32; either output may be NULL. Image data stored as bytes
 * is converted here, a batch at a time. */
nnc_status nnc_dataset_gather(const nnc_dataset *data, const size_t *index, int n,
                              float *x, float *y);

/* A new data set of the rows index[0..n), in that order, with the same names,
 * classes and storage. NULL on failure. */
nnc_dataset *nnc_dataset_subset(const nnc_dataset *data, const size_t *index, int n);

/* Shuffles the rows with rng and cuts off round(fraction * rows) of them into
 * *part, the others into *rest; both must keep at least one row. For
 * classification the cut is stratified: each class keeps its share. */
nnc_status nnc_dataset_split(const nnc_dataset *data, double fraction, nnc_rng *rng,
                             nnc_dataset **rest, nnc_dataset **part);

/* What an input column of a table holds. */
typedef enum nnc_column_kind {
    NNC_COLUMN_NUMERIC = 0,
    NNC_COLUMN_CATEGORICAL
} nnc_column_kind;

/* The most distinct values (levels) a categorical column may have; each
 * becomes an input of the network. */
#define NNC_MAX_CATEGORIES 4096

/* Whether a cell (blanks around it ignored) stands for a missing value:
 * empty, or, without regard to case, NA, N/A, NaN, null or ?. */
int nnc_cell_is_missing(const char *cell);

/* Deals the rows into k folds for cross-validation: fold[i] (0..k-1) for
 * row i, the rows shuffled with rng, fold sizes differing by at most one.
 * For classification each class is dealt out in turn, so every fold keeps
 * the class proportions as closely as the counts allow (stratified, as
 * scikit-learn's StratifiedKFold). 2 <= k <= rows. */
nnc_status nnc_dataset_folds(const nnc_dataset *data, int k, nnc_rng *rng, int *fold);

/* How nnc_dataset_load_csv reads a file. Zero-initialise, or start from
 * nnc_csv_defaults(), then set what differs. */
typedef struct nnc_csv_options {
    const char *target;            /* target column; NULL: the last column (with
                                      inputs given: none if the last is an input) */
    const char *const *drop;       /* columns to leave out (n_drop names) */
    int n_drop;
    const char *const *ignore;     /* columns to leave out if the file has them
                                      (n_ignore names): a model's dropped ones */
    int n_ignore;
    nnc_task task;                 /* AUTO: text, or at most 20 distinct whole
                                      numbers, means classification; text with
                                      more than 20 distinct values in more than
                                      half the rows (an identifier, say) is
                                      refused. CLASSIFICATION: up to
                                      NNC_MAX_CLASSES classes */
    int no_target;                 /* non-zero: no target column (prediction data);
                                      targets are then one column of zeros and the
                                      task is regression */
    int target_optional;           /* non-zero: if the target column is absent,
                                      load as with no_target instead of failing */
    /* For data read against a trained model: the input columns it expects, in
     * its order (other columns, except target, text and dropped ones, are an
     * error; inputs not NULL with n_inputs 0: text columns only), and its
     * class labels, so labels map to the same indices. */
    const char *const *inputs;
    int n_inputs;
    const char *const *classes;
    int n_classes;
    /* The byte between fields: 0 detects it from the first two rows among
     * ',', ';', '\t' and '|' (see nnc_dataset_load_csv). No quote, space or
     * line end. */
    char delimiter;
    /* Non-zero: the first row is data, and the columns are named c0, c1, ...
     * Without it a first row of numbers only is refused as a header. */
    int no_header;
    /* Non-zero: a missing input cell (see nnc_cell_is_missing) is read as
     * NaN, for an nnc_encoder to fill, and a row whose target cell is
     * missing is left out and counted (nnc_dataset_left_out). Zero: either
     * is refused with the cell's line and column. */
    int keep_missing;
    /* Non-zero: an input column with text in it becomes a categorical
     * column (nnc_dataset_levels): each cell the code of its level, the
     * column's distinct values in strcmp order. A cell that is a number is
     * the level its shortest text names ("3" and "3.0" are level "3"). A
     * column that is mostly numbers is refused at its first text cell (a
     * typo, not a category), and so is one with more than 20 distinct
     * values in more than half its cells (an identifier or free text), or
     * more than NNC_MAX_CATEGORIES. Zero: text in an input is refused. */
    int categorical;
    /* With inputs: what each of them must be (NULL: found from the data as
     * above). A categorical input reads every cell as a level, a numeric
     * one refuses text: a model's columns are read as it was trained. */
    const nnc_column_kind *input_kinds;
    /* A column (not the target, not an input) whose cells each row keeps as
     * text, such as an identifier to put beside its prediction
     * (nnc_dataset_id). NULL: none. */
    const char *id;
    /* Columns of free text (a description, a review; n_text names), each
     * row keeping its cell as it is for a bag of words (see
     * nnc_text_columns_fit); a missing cell is an empty text. They are
     * neither inputs nor the target: a table may have text columns alone.
     * NULL: none. */
    const char *const *text;
    int n_text;
} nnc_csv_options;

nnc_csv_options nnc_csv_defaults(void);

/* Reads a CSV file with a header row (or none, with no_header): fields
 * separated by the delimiter, optionally in double quotes ("" for a quote),
 * LF or CRLF line ends (or CR line ends in a file without a single LF, as
 * old Mac programs wrote), a UTF-8 BOM ignored, blanks around cells ignored
 * (spaces only in a tab-separated file). Unless given, the delimiter is the
 * one of comma, semicolon, tab and pipe that the first row (outside quotes)
 * has most of among those the second row has as many of; the first row's
 * most frequent when none agrees; a comma when it has none. Inputs must be finite numbers, read in the C
 * locale whatever the program's. A malformed file gives NNC_EFORMAT with a
 * message "path:line:column: what is wrong"; an unreadable one NNC_EIO. */
nnc_status nnc_dataset_load_csv(const char *path, const nnc_csv_options *options,
                                nnc_dataset **out);

/* The levels of input column j: their count (0 for a numeric column, or
 * j out of range) and level k's text (NULL out of range). A categorical
 * column's inputs hold level codes 0..count-1 as floats, NaN when missing. */
int nnc_dataset_levels(const nnc_dataset *data, int j);
const char *nnc_dataset_level(const nnc_dataset *data, int j, int k);

/* A table's text columns (nnc_csv_options.text): how many, column t's
 * name, and row i's text in it ("" for a missing cell); NULL out of range.
 * Subsets and splits keep them. */
int nnc_dataset_text_columns(const nnc_dataset *data);
const char *nnc_dataset_text_name(const nnc_dataset *data, int t);
const char *nnc_dataset_text(const nnc_dataset *data, int i, int t);

/* The line of its file row i starts on (1-based), for a table read with
 * categorical or input kinds set; 0 when unknown. Subsets keep it. */
int nnc_dataset_row_line(const nnc_dataset *data, int i);

/* Row i's id, the text of its cell in the id column (options->id), blanks
 * around it cut; NULL without one. Subsets and the encoder keep them. */
const char *nnc_dataset_id(const nnc_dataset *data, int i);

/* Rows the file had that are not in the data set because their target cell
 * was missing (keep_missing); subsets and splits report 0. */
int nnc_dataset_left_out(const nnc_dataset *data);

/* Reads an IDX image file and its IDX label file (the MNIST family, such as
 * Fashion-MNIST), raw or gzip-compressed (one or more gzip members; anything
 * else after them is refused). Pixels stay bytes in memory and become
 * [0, 1] floats as they are gathered; labels become classes "0", "1", ...,
 * the largest label + 1 of them, each of which must occur: a file of one
 * class, or one that skips labels (0..9 and a 255), is refused. The images
 * keep their shape: (count, n) is n x 1 x 1; (count, h, w) is 1 x h x w;
 * with more dimensions the last two are height and width and the others
 * multiply into channels ((count, c, h, w) is c x h x w), which is the
 * order the file holds the bytes in. */
nnc_status nnc_dataset_load_idx(const char *images_path, const char *labels_path,
                                nnc_dataset **out);

/* ----------------------------------------------------------- normalisation */

/* x' = (x - offset) * scale per input column, fitted on training data and then
 * applied unchanged to any other data (and saved in the model file). */
typedef enum nnc_scaling {
    NNC_SCALE_NONE = 0,
    NNC_SCALE_STANDARD,   /* mean 0, standard deviation 1 */
    NNC_SCALE_MINMAX      /* into [0, 1] */
} nnc_scaling;

typedef struct nnc_normalizer nnc_normalizer;   /* opaque */

/* Fits per-column offsets and scales on data's inputs. For regression the
 * targets are standardised too (predictions are mapped back). A constant
 * column gets scale 1. Image (byte) data accepts only NNC_SCALE_NONE. */
nnc_normalizer *nnc_normalizer_fit(const nnc_dataset *data, nnc_scaling kind);

void nnc_normalizer_free(nnc_normalizer *norm);

nnc_scaling nnc_normalizer_kind(const nnc_normalizer *norm);

/* Transforms data's inputs (and regression targets) in place. */
nnc_status nnc_normalizer_apply(const nnc_normalizer *norm, nnc_dataset *data);

/* Transforms rows x inputs raw input values in place. */
nnc_status nnc_normalizer_apply_rows(const nnc_normalizer *norm, float *x, int rows);

/* Maps rows x targets normalised predictions back to target units in place. */
nnc_status nnc_normalizer_restore_targets(const nnc_normalizer *norm, float *y, int rows);

/* The factor a difference in the first target column was multiplied by (1
 * when not scaled): MSE in target units is MSE / factor^2, MAE is MAE /
 * factor. nnc_model_evaluate undoes every column's own factor. */
double nnc_normalizer_target_scale(const nnc_normalizer *norm);

/* ----------------------------------------------------------- preprocessing */

/* What turns a table's columns, as nnc_dataset_load_csv read them (numbers
 * with NaN for missing cells, categorical columns as level codes), into the
 * numbers a network takes: scikit-learn's SimpleImputer and OneHotEncoder
 * in one ColumnTransformer. Fitted on the training part only, kept in the
 * model, applied unchanged to any later data:
 *   numeric column      missing cells get the training median;
 *   categorical column  one input per category seen in training (in strcmp
 *                       order), 1 for the row's category, 0 for the others;
 *                       a missing cell counts as the most frequent category
 *                       (the first in order among equals); a category never
 *                       seen in training is all zeros (or refused);
 *   indicators          optionally, after all of those, one 0/1 input per
 *                       column that had missing cells in training.
 * Inputs are named after their column: "age", "city=Paris", "age:missing". */
typedef struct nnc_encoder nnc_encoder;   /* opaque */

typedef struct nnc_encoder_options {
    int indicators;         /* non-zero: add the missing-value indicators */
} nnc_encoder_options;

/* What to do with a category the encoder never saw. */
typedef enum nnc_unknown_policy {
    NNC_UNKNOWN_ZEROS = 0,  /* encode it as all zeros, and count it */
    NNC_UNKNOWN_ERROR       /* refuse it, naming its file, line and column */
} nnc_unknown_policy;

/* What an nnc_encoder_apply changed. */
typedef struct nnc_encode_report {
    long imputed;           /* missing cells filled */
    long unknown;           /* cells of a category not seen in training */
} nnc_encode_report;

/* Fits an encoder on data's inputs (options may be NULL). Refused
 * (NNC_EFORMAT) when a column has no value at all in data. */
nnc_status nnc_encoder_fit(const nnc_dataset *data, const nnc_encoder_options *options,
                           nnc_encoder **out);

void nnc_encoder_free(nnc_encoder *enc);

/* A new data set of data's rows with the encoded inputs, the same targets,
 * names and classes. data's inputs must be the encoder's columns, in its
 * order, of the same kinds. report (may be NULL) receives the counts. */
nnc_status nnc_encoder_apply(const nnc_encoder *enc, const nnc_dataset *data,
                             nnc_unknown_policy unknown, nnc_dataset **out,
                             nnc_encode_report *report);

/* The columns the encoder reads, and what it makes of column j: its name,
 * kind, whether it has an indicator, its median (numeric; NaN for a
 * categorical column), its categories (0 for a numeric column) and the one
 * that fills a missing cell (-1 for a numeric column). */
int nnc_encoder_columns(const nnc_encoder *enc);
const char *nnc_encoder_column_name(const nnc_encoder *enc, int j);
nnc_column_kind nnc_encoder_column_kind(const nnc_encoder *enc, int j);
int nnc_encoder_has_indicator(const nnc_encoder *enc, int j);
float nnc_encoder_median(const nnc_encoder *enc, int j);
int nnc_encoder_categories(const nnc_encoder *enc, int j);
const char *nnc_encoder_category(const nnc_encoder *enc, int j, int k);
int nnc_encoder_fill_category(const nnc_encoder *enc, int j);

/* The inputs it makes, and input i's name. */
int nnc_encoder_outputs(const nnc_encoder *enc);
const char *nnc_encoder_output_name(const nnc_encoder *enc, int i);

/* ----------------------------------------------------------------- metrics */

typedef struct nnc_metrics {
    int rows;
    double loss;       /* the network's loss, reduced as the loss defines */
    double accuracy;   /* classification: share of rows whose class is right */
    double macro_f1;   /*   the mean F1 over the classes that occur */
    double log_loss;   /*   mean -log P(true class), P clipped to >= 1e-15 */
    double roc_auc;    /*   two classes, from nnc_evaluate_metrics and
                            nnc_model_evaluate only: the area under the ROC
                            curve of P(second class) (ties count half); NaN
                            otherwise (and in training's running metrics) */
    double mse;        /* regression, in target units: mean squared error */
    double mae;        /*   mean absolute error */
    double r2;         /*   coefficient of determination */
} nnc_metrics;

/* The network's loss over a whole data set, computed batch by batch and
 * combined as the loss defines (a sum stays a sum, a mean stays a mean). */
nnc_status nnc_evaluate(nnc_net *net, const nnc_dataset *data, double *loss);

/* Loss plus the metrics of data's task. target_scale undoes target
 * normalisation for MSE and MAE (pass 1 if targets were not scaled). When
 * confusion is not NULL (classification only) it receives the classes x
 * classes counts, row = true class, column = predicted class. */
nnc_status nnc_evaluate_metrics(nnc_net *net, const nnc_dataset *data, double target_scale,
                                nnc_metrics *metrics, int *confusion);

/* The class each row of a network's output (rows x outputs) stands for: the
 * arg-max, or for a single output p > 0.5. */
void nnc_output_classes(const float *out, int rows, int outputs, int *classes);

/* ---------------------------------------------------------------- training */

/* One step of gradient descent on one batch: gradients, then an update.
 * *loss (if not NULL) gets the batch's loss before the update. Afterwards the
 * gradient block is unspecified: with plain SGD the update is folded into
 * the backward pass and no gradient is stored. */
nnc_status nnc_train_step(nnc_net *net, nnc_optimizer *opt, const float *x,
                          const float *y, int rows, double *loss);

typedef enum nnc_schedule {
    NNC_SCHEDULE_CONSTANT = 0,
    NNC_SCHEDULE_STEP,     /* lr * gamma^floor((epoch-1) / step_epochs) */
    NNC_SCHEDULE_COSINE    /* from lr down to min_learning_rate over all epochs */
} nnc_schedule;

/* What nnc_fit reports after each epoch. */
typedef struct nnc_epoch_report {
    int epoch;              /* 1-based */
    int epochs;             /* as asked for */
    double learning_rate;   /* used during this epoch */
    nnc_metrics train;      /* the running mean over the epoch's batches, each measured
                               by its own step (training mode, before its update), as
                               Keras reports it: no extra pass over the training data */
    nnc_metrics val;        /* over the validation data, when has_val */
    int has_val;
    int best_epoch;         /* the epoch with the lowest validation loss so far */
} nnc_epoch_report;

/* Called after every epoch; a non-zero return stops training. */
typedef int (*nnc_epoch_callback)(const nnc_epoch_report *report, void *user);

/* Called after every batch (for progress bars): batch is 1-based. */
typedef void (*nnc_batch_callback)(int epoch, int batch, int batches, double loss,
                                   void *user);

typedef struct nnc_fit_options {
    int epochs;             /* passes over the data, >= 1 */
    int batch_size;         /* instances per update, >= 1; 1 is stochastic GD */
    int shuffle;            /* non-zero: a new random order every epoch */
    nnc_schedule schedule;
    int step_epochs;        /* NNC_SCHEDULE_STEP: epochs per step (>= 1) */
    double gamma;           /* NNC_SCHEDULE_STEP: factor per step, in (0, 1] */
    double min_learning_rate;   /* NNC_SCHEDULE_COSINE: the floor, >= 0 */
    const nnc_dataset *validation;   /* may be NULL */
    int patience;           /* > 0 with validation: stop after this many epochs
                               without a lower validation loss, restoring the
                               best weights; 0: train all epochs */
    double target_scale;    /* see nnc_evaluate_metrics; 0 means 1 */
    const char *checkpoint; /* if not NULL: after every checkpoint_every epochs,
                               the whole training state is saved here
                               (atomically), for resume */
    int checkpoint_every;   /* >= 1 when checkpoint is set */
    const char *resume;     /* if not NULL: carry on from this checkpoint; the
                               run then ends bit-identical to one never stopped
                               (same data, options, network and optimizer) */
    const char *run_identity;   /* may be NULL: "key value" lines that describe
                               what decides the result beyond what nnc_fit
                               sees (e.g. the data file's size and checksum,
                               the split's seed); kept in each checkpoint,
                               and a resume refuses any line that differs */
    const volatile sig_atomic_t *stop;   /* may be NULL: when *stop turns
                               non-zero (a signal handler sets it), the fit
                               ends after the current batch with NNC_ESTOPPED;
                               the checkpoint, if any, keeps the last epoch
                               it saved (nnc_fit_result.checkpoint_epoch) */
    nnc_epoch_callback on_epoch;   /* may be NULL */
    nnc_batch_callback on_batch;   /* may be NULL */
    void *user;             /* handed to both callbacks */
} nnc_fit_options;

/* Sensible defaults: 10 epochs, batches of 32, shuffled, constant rate, no
 * validation, no callbacks. */
nnc_fit_options nnc_fit_defaults(void);

/* How a fit ended. */
typedef struct nnc_fit_result {
    int epochs_run;
    int best_epoch;         /* lowest validation loss (the last epoch without one) */
    int stopped_early;      /* patience ran out */
    nnc_metrics train;      /* the report of the final (restored) weights' epoch: the
                               running mean of its batches (nnc_epoch_report); a
                               fit resumed at its end, with no epoch left to run,
                               measures the weights in one inference pass instead */
    nnc_metrics val;        /* that epoch's validation metrics, when there is validation data */
    int checkpoint_epoch;   /* the epoch the checkpoint file holds (0: none);
                               also filled in when the fit fails or stops */
} nnc_fit_result;

/* Trains net on data with opt: every epoch visits each instance once, in
 * mini-batches (the last may be smaller), in an order drawn from rng. With
 * validation data and patience, stops early and restores the best weights.
 * result may be NULL. Nothing is allocated inside the loop over batches.
 * If the loss turns NaN or infinite - in a batch, or in the weights or
 * the validation loss after an epoch, so the last update is caught too - returns
 * NNC_ENUMERIC naming the epoch, with the network back at its best (or
 * last) complete epoch. A resume (options->resume) refuses a checkpoint of
 * another run (see run_identity), one whose epoch is past options->epochs,
 * and any checkpoint whose counters disagree or whose numbers are not
 * finite, before anything changes. */
nnc_status nnc_fit(nnc_net *net, nnc_optimizer *opt, const nnc_dataset *data,
                   const nnc_fit_options *options, nnc_rng *rng, nnc_fit_result *result);

/* ------------------------------------------------------------------ models */

/* The longest name a model file holds (input column, target, class label,
 * metadata key or value), in bytes. */
#define NNC_MAX_NAME_BYTES 65536u

/* A trained network with everything needed to use it on raw data: the input
 * column names, the normalisation, the class labels and how it was trained. */
typedef struct nnc_model nnc_model;   /* opaque */

/* A table's text columns as bags of words (see nnc_text_columns_fit). */
typedef struct nnc_text_columns nnc_text_columns;   /* opaque */

/* A model that takes ownership of net and norm (norm may be NULL) and copies
 * the input names, task and class labels of the data it was trained on. On
 * failure returns NULL and frees neither. */
nnc_model *nnc_model_new(nnc_net *net, nnc_normalizer *norm, const nnc_dataset *trained_on);

/* The same for a network that also reads text columns as bags of words
 * (text, taken; NULL: none): its inputs are trained_on's, then text's terms. */
nnc_model *nnc_model_new_text(nnc_net *net, nnc_normalizer *norm, const nnc_dataset *trained_on,
                              nnc_text_columns *text);

/* The model's text columns, or NULL. */
const nnc_text_columns *nnc_model_text_columns(const nnc_model *model);

/* What each term of text column t does on its own: scores[i * K + k] for
 * term i and class k (K classes; for a regression, K outputs) is how much
 * a row of only that word raises class k's log-probability against the
 * classes' mean (ln p_k - mean_j ln p_j: the softmax's input up to a
 * constant, which does not saturate) over a row of nothing; for a
 * regression the change of output k. "Nothing" is every other input 0 (the
 * training mean, under standard scaling) and no word. The words that push
 * a prediction towards a class most are those with its highest scores,
 * read from the trained weights through the whole network. */
nnc_status nnc_model_term_scores(nnc_model *model, int t, float *scores);

/* Frees the model with its network and normaliser. NULL is allowed. */
void nnc_model_free(nnc_model *model);

/* The parts (owned by the model). The normaliser may be NULL. */
nnc_net *nnc_model_net(nnc_model *model);
const nnc_normalizer *nnc_model_normalizer(const nnc_model *model);
nnc_task nnc_model_task(const nnc_model *model);
int nnc_model_inputs(const nnc_model *model);
const char *nnc_model_input_name(const nnc_model *model, int j);
int nnc_model_classes(const nnc_model *model);
const char *nnc_model_class_label(const nnc_model *model, int k);

/* Free-form training metadata (optimizer, epochs, data file, ...) as ordered
 * key/value text pairs; setting an existing key replaces its value. */
nnc_status nnc_model_set_meta(nnc_model *model, const char *key, const char *value);
int nnc_model_meta_count(const nnc_model *model);
const char *nnc_model_meta_key(const nnc_model *model, int i);
const char *nnc_model_meta_value(const nnc_model *model, int i);
const char *nnc_model_meta(const nnc_model *model, const char *key);   /* NULL if absent */

/* The preprocessing of a model trained on a table: the encoder that made
 * its inputs (taken; its inputs must be the model's, by name and order) and
 * the columns left out of training (copied), which later files may still
 * have. A model without an encoder takes its inputs as they are. */
nnc_status nnc_model_set_encoder(nnc_model *model, nnc_encoder *enc);
const nnc_encoder *nnc_model_encoder(const nnc_model *model);   /* NULL if none */
nnc_status nnc_model_set_dropped(nnc_model *model, const char *const *names, int n);
int nnc_model_dropped(const nnc_model *model);
const char *nnc_model_dropped_name(const nnc_model *model, int i);

/* data, as read with the encoder's columns (or the model's inputs, without
 * one), as the model's inputs: through the encoder, or a copy. */
nnc_status nnc_model_encode(const nnc_model *model, const nnc_dataset *data,
                            nnc_unknown_policy unknown, nnc_dataset **out,
                            nnc_encode_report *report);

/* Predictions for raw (unnormalised) inputs x (rows x inputs): out gets the
 * network's outputs with regression targets mapped back to their units, i.e.
 * class probabilities (one column for two classes: P(second class)) or values.
 * Inputs go through the model's normaliser whatever its kind says (a kind of
 * "none" with offsets and scales applies them), exactly as in
 * nnc_model_evaluate. An output that is not finite (finite weights can still
 * overflow) is NNC_ENUMERIC naming its row, 1-based in this call; out then
 * holds every row's outputs, so a caller can find the row itself. */
nnc_status nnc_model_predict(nnc_model *model, const float *x, int rows, float *out);

/* The same for every row of data, a table in the model's columns (as
 * nnc_model_read_csv gives it), text columns included: out gets rows x
 * the network's outputs. The one way to predict with a model that reads
 * text (nnc_model_predict refuses it: rows of numbers have no text). */
nnc_status nnc_model_predict_data(nnc_model *model, const nnc_dataset *data, float *out);

/* How many words of the texts the last nnc_model_predict_data or
 * nnc_model_evaluate turned into bags of words had no term in the
 * model's vocabularies, and so were left out of the bags of words (as
 * unseen categories are encoded as zeros); 0 for a model without text. */
long nnc_model_unknown_words(const nnc_model *model);

/* Metrics over raw data (as loaded, not normalised); confusion as for
 * nnc_evaluate_metrics (may be NULL: it costs classes x classes ints, so
 * pass it only when the matrix is wanted). An output that is not finite is
 * NNC_ENUMERIC naming the first such row of data ("row 3: ..."). */
nnc_status nnc_model_evaluate(nnc_model *model, const nnc_dataset *data,
                              nnc_metrics *metrics, int *confusion);

/* Writes the model in nnc's binary format (docs/model-format.md), atomically:
 * a failure leaves any existing file at path untouched. */
nnc_status nnc_model_save(const nnc_model *model, const char *path);

/* Reads a model file, checking every field before trusting it: a truncated,
 * corrupted (CRC32), wrong-version or absurdly sized file is NNC_EFORMAT with
 * a message naming the file and the field. */
nnc_status nnc_model_load(const char *path, nnc_model **out);

/* -------------------------------------------------------------------- text */

/* How a word is normalised before it is counted. */
typedef enum nnc_normalize {
    NNC_NORMALIZE_NONE = 0,   /* as it is (case-folded) */
    NNC_NORMALIZE_STEM,       /* Snowball's English stemmer: generously -> generous */
    NNC_NORMALIZE_LEMMA       /* WordNet's dictionary form: watched -> watch, went -> go */
} nnc_normalize;

/* The most bytes one text (a CSV cell) may have: a paragraph, not a book. */
#define NNC_MAX_TEXT_BYTES 65536

/* A tokeniser with its normaliser. */
typedef struct nnc_text nnc_text;

/* The words of a text, each a new string. */
typedef struct nnc_words {
    int n;
    char **word;
} nnc_words;

/* A tokeniser that normalises words as how says. LEMMA needs WordNet's
 * dictionary (Debian's wordnet-base): NNC_EIO with a hint when it is
 * missing. */
nnc_status nnc_text_new(nnc_normalize how, nnc_text **out);
void nnc_text_free(nnc_text *t);
nnc_normalize nnc_text_normalization(const nnc_text *t);

/* The words of text (len bytes of UTF-8): case-folded (Unicode NFKC
 * case folding, by utf8proc), split into runs of letters, marks and digits
 * (an apostrophe between letters stays in: "don't"), then normalised.
 * Bytes that are not UTF-8, a NUL, or more than NNC_MAX_TEXT_BYTES are
 * NNC_EFORMAT naming the byte ("byte 7: not UTF-8 (0xff)"). Free the words
 * with nnc_words_free. A tokeniser remembers the lemmas it has looked up,
 * so one is for one thread at a time. */
nnc_status nnc_text_words(nnc_text *t, const char *text, size_t len, nnc_words *out);

/* The refusals of nnc_text_words alone: NNC_EFORMAT for bytes that are not
 * UTF-8, a NUL or more than NNC_MAX_TEXT_BYTES, naming the byte. */
nnc_status nnc_text_check(const char *text, size_t len);
void nnc_words_free(nnc_words *w);

/* A bag of words (scikit-learn's CountVectorizer and TfidfVectorizer): a
 * vocabulary fitted on training texts, then each text as its terms' counts,
 * presence, or tf-idf (tf, or 1 + ln tf when sublinear, times
 * idf = ln((1 + n) / (1 + df)) + 1, the row scaled to unit length). */
typedef enum nnc_text_features {
    NNC_FEATURES_COUNTS = 0,   /* how often each term occurs: the tutorial's */
    NNC_FEATURES_BINARY,       /* 1 if it occurs */
    NNC_FEATURES_TFIDF
} nnc_text_features;

/* The most terms a vocabulary may hold: each is an input of the network. */
#define NNC_MAX_TERMS (1 << 20)

typedef struct nnc_vectorizer_options {
    nnc_normalize normalize;   /* (lemma) */
    nnc_text_features features;   /* (counts) */
    int bigrams;               /* also pairs of neighbouring words, "new york" */
    int min_documents;         /* leave out terms in fewer texts (1) */
    int max_terms;             /* keep the most frequent this many (0: all) */
    int sublinear_tf;          /* tf-idf with 1 + ln tf */
    /* Words never counted ("the", "and"; n_stop_words of them, NULL:
     * none), normalised as the texts' words are, so "was" also stops "be"
     * under lemmas. A fitted vectorizer's settings list its own copies,
     * normalised and sorted. */
    const char *const *stop_words;
    int n_stop_words;
} nnc_vectorizer_options;

nnc_vectorizer_options nnc_vectorizer_defaults(void);

typedef struct nnc_vectorizer nnc_vectorizer;

/* One text's features: its n non-zeros, at index[] (increasing) in the
 * vocabulary, with value[]. */
typedef struct nnc_sparse_row {
    int n;
    int *index;
    float *value;
} nnc_sparse_row;

/* Fits the vocabulary (and the idf) on texts[0..n) (NUL-terminated UTF-8;
 * NULL is empty). The terms are in strcmp order. A text that is not text
 * is refused naming it and its byte ("text 3: byte 7: not UTF-8"). */
nnc_status nnc_vectorizer_fit(const nnc_vectorizer_options *options, const char *const *texts,
                              int n, nnc_vectorizer **out);
void nnc_vectorizer_free(nnc_vectorizer *v);

/* text's features into row (free it with nnc_sparse_row_free); unknown
 * (may be NULL) gets how many of its terms the vocabulary lacks. */
nnc_status nnc_vectorizer_transform(const nnc_vectorizer *v, const char *text, size_t len,
                                    nnc_sparse_row *row, int *unknown);
void nnc_sparse_row_free(nnc_sparse_row *row);

/* The vocabulary: its size, term i, its idf (1 unless tf-idf), the options. */
int nnc_vectorizer_terms(const nnc_vectorizer *v);
const char *nnc_vectorizer_term(const nnc_vectorizer *v, int i);
float nnc_vectorizer_idf(const nnc_vectorizer *v, int i);
const nnc_vectorizer_options *nnc_vectorizer_settings(const nnc_vectorizer *v);

/* The number of texts a vectorizer was fitted on. */
int nnc_vectorizer_documents(const nnc_vectorizer *v);

/* A table's text columns (nnc_csv_options.text) as bags of words: one
 * vectorizer per column, each fitted on the training rows alone. */
/* Fits a vectorizer on each text column of data with the same options. A
 * cell that is not text is refused naming the file, line and column. */
nnc_status nnc_text_columns_fit(const nnc_dataset *data, const nnc_vectorizer_options *options,
                                nnc_text_columns **out);
void nnc_text_columns_free(nnc_text_columns *tc);

/* data (a table of numbers with tc's text columns) as the rows a network
 * reads: its n_inputs inputs as they are, then each text column's terms,
 * kept as non-zeros only: a set nnc_fit and nnc_evaluate train and judge
 * a network on at what its non-zeros cost. unknown (may be NULL) gets the
 * number of words no vocabulary had. */
nnc_status nnc_text_columns_apply(const nnc_text_columns *tc, const nnc_dataset *data,
                                  nnc_dataset **out, long *unknown);

/* The columns: their count, column t's name and vectorizer, and the inputs
 * they add in all (every vocabulary's size). */
int nnc_text_columns_count(const nnc_text_columns *tc);
const char *nnc_text_columns_name(const nnc_text_columns *tc, int t);
const nnc_vectorizer *nnc_text_columns_vectorizer(const nnc_text_columns *tc, int t);
int nnc_text_columns_width(const nnc_text_columns *tc);

/* ---------------------------------------------------------------- pipeline */

/* What `nnc train` does, as calls: a C program (and the Python binding)
 * gets in a few lines what the command line does. */

typedef enum nnc_optimizer_kind {
    NNC_OPTIMIZER_SGD = 0,
    NNC_OPTIMIZER_MOMENTUM,
    NNC_OPTIMIZER_ADAM
} nnc_optimizer_kind;

typedef struct nnc_pipeline_options {
    /* How the CSV file is read (nnc_train_csv): target, dropped columns,
     * task, dialect. The defaults keep missing cells and read text columns
     * as categories, as nnc train does; the dropped columns are kept in the
     * model, so later files may still have them. */
    nnc_csv_options csv;
    nnc_shape input_shape;        /* channels 0: rows stay vectors */
    double validation_fraction;   /* held out for early stopping (0.2) */
    double test_fraction;         /* held out for the final test (0.2) */
    nnc_encoder_options encoding; /* missing indicators or not */
    /* How csv.text's columns become bags of words, fitted on the training
     * part: lemmas, tf-idf with 1 + ln tf, unigrams, every term. */
    nnc_vectorizer_options text;
    nnc_unknown_policy unknown;   /* unseen categories in validation/test */
    int scaling;                  /* an nnc_scaling, or -1: standard for a
                                     table, none for images (-1) */
    const char *layers;           /* the hidden layers, in the layer grammar
                                     (docs/architecture.md): "32" */
    nnc_activation activation;    /* where layers names none (relu) */
    nnc_optimizer_kind optimizer; /* (adam) */
    double learning_rate;         /* (0.01) */
    double momentum;              /* for NNC_OPTIMIZER_MOMENTUM (0.9) */
    double weight_decay, clip_norm;   /* (0, 0) */
    /* epochs (100), batch size (32), patience (10), schedule, checkpoint,
     * callbacks; validation and target_scale are set by the pipeline. */
    nnc_fit_options fit;
    uint64_t seed;                /* the hold-outs, weights, shuffles (1) */
    int confusion;                /* non-zero: the test part's confusion matrix */
    const char *data_name;        /* the model's "data" note (NULL: the path) */
} nnc_pipeline_options;

/* The defaults above, those of nnc train. */
nnc_pipeline_options nnc_pipeline_defaults(void);

typedef struct nnc_pipeline_result {
    nnc_model *model;             /* the trained model, with its preprocessing */
    nnc_fit_result fit;           /* epochs run, best epoch, train/val metrics */
    int train_rows, validation_rows, test_rows;
    int rows_left_out;            /* the file's rows without a target */
    int has_test;
    nnc_metrics test;             /* the model on the test part */
    int *confusion;               /* classes x classes (row: true), if asked for */
    nnc_encode_report encoded;    /* cells filled, unseen categories, all parts */
    long unknown_words;           /* words of validation texts no vocabulary had */
} nnc_pipeline_result;

/* Frees the model and the matrix; the result is zeroed. */
void nnc_pipeline_result_free(nnc_pipeline_result *result);

/* Trains a model on raw parts as nnc train does after its split: the
 * preprocessing (a table's imputation and one-hot, nnc_encoder) and the
 * scaling fitted on train alone and applied to every part; the output
 * layer and loss that suit the task (sigmoid and binary cross-entropy for
 * two classes, softmax and cross-entropy for more, identity and MSE for
 * values); nnc_fit with early stopping on validation (may be NULL); the
 * model judged on test (may be NULL); the training metadata. rng draws the
 * weights and the shuffles. On failure result holds no model. */
nnc_status nnc_pipeline_fit(const nnc_dataset *train, const nnc_dataset *validation,
                            const nnc_dataset *test, const nnc_pipeline_options *options,
                            nnc_rng *rng, nnc_pipeline_result *result);

/* The whole of nnc train on a CSV file: read it with options->csv, cut off
 * the test part, then the validation part (seeded, stratified by class),
 * then nnc_pipeline_fit. Save the model with nnc_model_save. */
nnc_status nnc_train_csv(const char *path, const nnc_pipeline_options *options,
                         nnc_pipeline_result *result);

/* A CSV file read the way model was trained: its columns (any order in the
 * file; the ones dropped in training may be there), each read as the kind it
 * was trained as, its target and classes, its dialect when one was given in
 * training (no_header; a delimiter unless options give one), through its
 * preprocessing. options
 * (NULL: the defaults with keep_missing) gives the dialect, keep_missing,
 * more columns to drop, id, and no_target for rows to predict (then a target
 * column there is skipped unread). *out is ready
 * for nnc_model_predict (gather its rows) or nnc_model_evaluate; report and
 * left_out (may be NULL) say what was filled, unseen, left out. */
nnc_status nnc_model_read_csv(const nnc_model *model, const char *path,
                              const nnc_csv_options *options, nnc_unknown_policy unknown,
                              nnc_dataset **out, nnc_encode_report *report, int *left_out);

/* "Load a model and predict a CSV file" in one call: the file read as
 * nnc_model_read_csv reads rows to predict (options may be NULL), every row
 * predicted as nnc_model_predict does; *out (rows x the network's outputs,
 * the caller frees it) and *rows. */
nnc_status nnc_model_predict_csv(nnc_model *model, const char *path,
                                 const nnc_csv_options *options, nnc_unknown_policy unknown,
                                 float **out, int *rows);

/* And evaluate one: nnc_model_read_csv then nnc_model_evaluate (confusion
 * as there, may be NULL). */
nnc_status nnc_model_evaluate_csv(nnc_model *model, const char *path,
                                  const nnc_csv_options *options, nnc_unknown_policy unknown,
                                  nnc_metrics *metrics, int *confusion);

/* ------------------------------------------------------------ safe output */

/* A file written under a temporary name beside its path and renamed into place
 * when committed, so readers see the old file or the whole new one, never a
 * part. Write through nnc_atomic_stream; end with commit or abort.
 * A symbolic link is followed (its target is replaced, the link stays); a
 * replaced file keeps its permissions; a character device, FIFO or socket
 * (e.g. /dev/stdout on a pipe) is written to directly, not atomically; a
 * directory is refused. A kill -9 during the write leaves no temporary
 * where the kernel has O_TMPFILE, else at most one, which the next write of
 * the same path removes. */
typedef struct nnc_atomic_file nnc_atomic_file;   /* opaque */

/* Starts a new file that will become path. *out is NULL on failure. */
nnc_status nnc_atomic_open(const char *path, nnc_atomic_file **out);

/* The stdio stream to write the contents to (owned by the file). */
FILE *nnc_atomic_stream(nnc_atomic_file *file);

/* Flushes, syncs and renames into place; frees file even when it fails, in
 * which case the temporary is removed and path is left as it was. */
nnc_status nnc_atomic_commit(nnc_atomic_file *file);

/* Drops the new contents and frees file; path is left as it was. */
void nnc_atomic_abort(nnc_atomic_file *file);

/* Checks, before any long work, that path can be written as nnc_atomic_open
 * would: not a directory, its directory there and writable (a temporary is
 * created and dropped), or a device/FIFO/socket it may write to. Nothing is
 * left behind. NNC_EIO (with a message) when it cannot. */
nnc_status nnc_output_check(const char *path);

/* 1 if a and b name the same file: the same device and inode when both
 * exist, or the same name in the same directory when neither does yet
 * (symbolic links followed); else 0. */
int nnc_same_file(const char *a, const char *b);

/* ---------------------------------------------------------------- pictures */

/* All pictures are PNG files drawn by PLplot's cairo driver (800 x 600),
 * written beside path under a temporary name and renamed into place. PLplot is
 * not thread-safe: draw from one thread at a time. */

/* A line chart of y against x, n points, with axis labels and a title. */
nnc_status nnc_plot_line(const char *path, const double *x, const double *y, int n,
                         const char *x_label, const char *y_label, const char *title);

/* Several lines over the same x (n points each), told apart by colour and a
 * legend of names; e.g. training and validation loss per epoch. 1 to 8 lines;
 * names is required; a non-finite value is refused (NNC_EINVAL). */
nnc_status nnc_plot_lines(const char *path, const double *x, const double *const *ys,
                          const char *const *names, int n_lines, int n,
                          const char *x_label, const char *y_label, const char *title);

/* For a classification model with two inputs: the plane coloured by the
 * predicted class over the range of data's points, the points on top in their
 * true class's colour. 2 to 20 classes; a model predicting NaN gives
 * NNC_ENUMERIC. */
nnc_status nnc_plot_decision_regions(const char *path, nnc_model *model,
                                     const nnc_dataset *data, const char *title);

/* A classes x classes confusion matrix (row = true class) as a grid of
 * shaded, numbered cells labelled with the class names. 1 to
 * NNC_PLOT_MAX_CONFUSION classes (past that the cells are too small to
 * read); labels may be NULL (classes are then numbered). */
#define NNC_PLOT_MAX_CONFUSION 64
nnc_status nnc_plot_confusion(const char *path, const int *confusion, int classes,
                              const char *const *labels, const char *title);

/* A regression's n predictions against the true values: each row a dot at
 * (actual, predicted), with the diagonal a perfect model would lie on, both
 * axes over one range. A non-finite value is refused (NNC_EINVAL). */
nnc_status nnc_plot_predictions(const char *path, const double *actual,
                                const double *predicted, int n, const char *title);

/* The residuals actual - predicted against the predictions, around the
 * line y = 0: a good model's are a shapeless band about it. */
nnc_status nnc_plot_residuals(const char *path, const double *actual, const double *predicted,
                              int n, const char *title);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* NNC_H */

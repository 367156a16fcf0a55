/*
 * nnc.h - the public interface of libnnc, a small neural-network library in C11.
 *
 * Shape of the library, top to bottom:
 *   nnc_net        a stack of dense layers, its parameters in one contiguous block
 *   nnc_optimizer  an update rule over that block (plain SGD for now)
 *   nnc_dataset    inputs and targets in memory, one row per instance
 *   nnc_fit        epochs of shuffled mini-batches; nnc_train_step for one batch
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

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
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
    NNC_ENUMERIC  /* a NaN or infinity turned up in a computation */
} nnc_status;

/* The message of the most recent failure in this thread ("" if none yet).
 * The string is owned by the library and overwritten by the next failure. */
const char *nnc_last_error(void);

/* A fixed, human name for a status code, such as "invalid argument". */
const char *nnc_status_name(nnc_status status);

/* The library's version string, equal to NNC_VERSION of the header it was built
 * with; lets a program check it was linked against the library it expects. */
const char *nnc_version(void);

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
    NNC_SOFTMAX   /* over each row; pairs with NNC_LOSS_SOFTMAX_CROSS_ENTROPY */
} nnc_activation;

#define NNC_ACTIVATION_COUNT 5

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

/* d loss / d pred (rows x cols) into dpred. */
nnc_status nnc_loss_backward(nnc_loss loss, const float *pred, const float *target,
                             int rows, int cols, float *dpred);

/* ----------------------------------------------------------------- network */

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

/* Frees the network and everything it owns. NULL is allowed. */
void nnc_net_free(nnc_net *net);

/* A deep copy: same layers, loss, parameters; none of the scratch state. */
nnc_net *nnc_net_clone(const nnc_net *net);

/* Appends a dense layer of the given width on top of the current top.
 * Parameters of all layers are (re)allocated and set to zero; initialise them
 * after the last layer is added. Softmax needs units >= 2. */
nnc_status nnc_net_add_dense(nnc_net *net, int units, nnc_activation act);

/* Chooses the loss the network trains on. Softmax cross-entropy needs a
 * softmax output layer (checked when gradients are computed). */
nnc_status nnc_net_set_loss(nnc_net *net, nnc_loss loss);

/* Draws every weight and bias again with the given scheme from rng. */
nnc_status nnc_net_init(nnc_net *net, nnc_init scheme, nnc_rng *rng);

/* Shape queries. Layers are numbered from 0 (the first hidden layer). */
int nnc_net_inputs(const nnc_net *net);
int nnc_net_outputs(const nnc_net *net);           /* 0 while there is no layer */
int nnc_net_layer_count(const nnc_net *net);
int nnc_net_layer_units(const nnc_net *net, int layer);          /* -1 if out of range */
nnc_activation nnc_net_layer_activation(const nnc_net *net, int layer);
nnc_loss nnc_net_loss(const nnc_net *net);

/* All parameters, layer after layer (each W row-major, then its b), as one
 * block of nnc_net_param_count floats; the gradients have the same layout.
 * Writing through these pointers changes the network. */
size_t nnc_net_param_count(const nnc_net *net);
float *nnc_net_params(nnc_net *net);
float *nnc_net_grads(nnc_net *net);

/* Views of one layer inside those blocks: W is units x inputs of the layer,
 * b has units entries. NULL if the layer does not exist. */
float *nnc_net_weights(nnc_net *net, int layer);
float *nnc_net_bias(nnc_net *net, int layer);
float *nnc_net_weight_grads(nnc_net *net, int layer);
float *nnc_net_bias_grads(nnc_net *net, int layer);

/* Forward pass: out (rows x outputs) for x (rows x inputs). Keeps every layer's
 * values for a following backward pass. Scratch space grows to the largest
 * batch seen and is then reused, so a fixed batch size allocates only once. */
nnc_status nnc_predict(nnc_net *net, const float *x, int rows, float *out);

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

/* Frees the optimizer. NULL is allowed. */
void nnc_optimizer_free(nnc_optimizer *opt);

/* Applies one update to the network's parameters from its gradient block. */
nnc_status nnc_optimizer_step(nnc_optimizer *opt, nnc_net *net);

/* The learning rate, and a way to change it between steps (for schedules). */
float nnc_optimizer_learning_rate(const nnc_optimizer *opt);
nnc_status nnc_optimizer_set_learning_rate(nnc_optimizer *opt, float learning_rate);

/* ---------------------------------------------------------------- datasets */

typedef struct nnc_dataset nnc_dataset;   /* opaque */

/* A data set of rows instances holding copies of x (rows x n_inputs) and
 * y (rows x n_targets). NULL on failure. */
nnc_dataset *nnc_dataset_from_arrays(const float *x, const float *y, int rows,
                                     int n_inputs, int n_targets);

/* Frees the data set. NULL is allowed. */
void nnc_dataset_free(nnc_dataset *data);

int nnc_dataset_rows(const nnc_dataset *data);
int nnc_dataset_inputs(const nnc_dataset *data);
int nnc_dataset_targets(const nnc_dataset *data);

/* Row i of the inputs or targets (NULL if i is out of range). */
const float *nnc_dataset_x(const nnc_dataset *data, int i);
const float *nnc_dataset_y(const nnc_dataset *data, int i);

/* ---------------------------------------------------------------- training */

/* One step of gradient descent on one batch: gradients, then an update.
 * *loss (if not NULL) gets the batch's loss before the update. */
nnc_status nnc_train_step(nnc_net *net, nnc_optimizer *opt, const float *x,
                          const float *y, int rows, double *loss);

/* The network's loss over a whole data set, computed batch by batch and
 * combined as the loss defines (a sum stays a sum, a mean stays a mean). */
nnc_status nnc_evaluate(nnc_net *net, const nnc_dataset *data, double *loss);

/* Called after every epoch of nnc_fit; a non-zero return stops training. */
typedef int (*nnc_epoch_callback)(int epoch, double train_loss, void *user);

typedef struct nnc_fit_options {
    int epochs;             /* passes over the data, >= 1 */
    int batch_size;         /* instances per update, >= 1; 1 is stochastic GD */
    int shuffle;            /* non-zero: a new random order every epoch */
    nnc_epoch_callback on_epoch;   /* may be NULL */
    void *user;             /* handed to on_epoch */
} nnc_fit_options;

/* Sensible defaults: 10 epochs, batches of 32, shuffled, no callback. */
nnc_fit_options nnc_fit_defaults(void);

/* Trains net on data with opt: every epoch visits each instance once, in
 * mini-batches (the last may be smaller), in an order drawn from rng.
 * *final_loss (if not NULL) is the loss over data after the last epoch. */
nnc_status nnc_fit(nnc_net *net, nnc_optimizer *opt, const nnc_dataset *data,
                   const nnc_fit_options *options, nnc_rng *rng, double *final_loss);

/* ------------------------------------------------------------ safe output */

/* A file written under a temporary name beside its path and renamed into place
 * when committed, so readers see the old file or the whole new one, never a
 * part. Write through nnc_atomic_stream; end with commit or abort. */
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

/* ---------------------------------------------------------------- pictures */

/* A line chart (PNG, 800 x 600, through PLplot's cairo driver) of y against x,
 * n points, with axis labels and a title. Written to a temporary file next to
 * path and renamed into place, so path is never left half-written. */
nnc_status nnc_plot_line(const char *path, const double *x, const double *y, int n,
                         const char *x_label, const char *y_label, const char *title);

#ifdef __cplusplus
}
#endif

#endif /* NNC_H */

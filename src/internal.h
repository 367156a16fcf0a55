/*
 * internal.h - what the library's files share and callers never see.
 */
#ifndef NNC_INTERNAL_H
#define NNC_INTERNAL_H

#include "nnc.h"

#include <math.h>
#include <stddef.h>

/* Records a failure for nnc_last_error() and returns its status, so a check
 * reads: if (bad) return nnc_fail(NNC_EINVAL, "rows must be >= 1, got %d", rows); */
nnc_status nnc_fail(nnc_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* malloc of count * size bytes that refuses, with NNC_ENOMEM recorded, when the
 * product overflows or the allocation fails. calloc semantics when zero is set. */
void *nnc_alloc(size_t count, size_t size, int zero);

/* nnc_alloc for the blocks the kernels stream through (weights, gradients,
 * scratch, moments): aligned to NNC_ALIGN bytes, a cache line, so that
 * vector loads along a weight row do not straddle two lines, which costs a
 * single prediction about a tenth of its time. Freed with free(). */
#define NNC_ALIGN 64
void *nnc_alloc_aligned(size_t count, size_t size, int zero);

/* count * size, or 0 with NNC_ENOMEM recorded if the product overflows. */
int nnc_mul_overflows(size_t count, size_t size, size_t *product);

/* ------------------------------------------------------- bytes (bytes.c) */

/* v's low `bytes` bytes at p, least significant first; and back. */
void nnc_le_put(unsigned char *p, uint64_t v, int bytes);
uint64_t nnc_le_get(const unsigned char *p, int bytes);

/* n floats as their IEEE-754 bits, 4 little-endian bytes each; and back. */
void nnc_le_put_f32s(unsigned char *p, const float *v, size_t n);
void nnc_le_get_f32s(const unsigned char *p, float *v, size_t n);

/* The whole of path in a new buffer with a NUL after its *size bytes (the
 * caller frees it). A file of more than `most` bytes is refused, a regular
 * one before anything is read, with "path: the file has more than N bytes,
 * the most <what> may have" (NNC_EFORMAT); NNC_EIO if it cannot be read. */
nnc_status nnc_read_whole_file(const char *path, size_t most, const char *what,
                               unsigned char **data, size_t *size);

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

/* The learning rate when opt is plain SGD without weight decay (the case the
 * fused step serves), else 0. Records the network's size as
 * nnc_optimizer_step would, refusing another network's. */
float nnc_optimizer_plain_rate(nnc_optimizer *opt, const nnc_net *net);

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

/* A name by which another library (PLplot) can open the new contents of
 * file for writing: "/proc/self/fd/N" for an unnamed temporary, the
 * temporary's name, or the path itself when it is written in place. */
const char *nnc_atomic_name(const nnc_atomic_file *file);

/* ------------------------------------------------------------- datasets */

/* Inputs are stored either as floats or, for images, as bytes that become
 * floats (byte * byte_scale) only when a batch is gathered. Targets are
 * floats for a regression (y) and one class index per row for a
 * classification (classes, y NULL): the 0/1 or one-hot floats a network
 * trains on are made a batch at a time (nnc_dataset_batch_targets), so a
 * set costs 4 bytes per input cell (1 for bytes) plus 4 per target cell or
 * per row. */
struct nnc_dataset {
    int rows;
    int n_inputs;
    int n_targets;
    nnc_task task;
    int n_classes;          /* classification only */
    char **class_labels;    /* n_classes strings */
    char **input_names;     /* n_inputs strings */
    char *target_name;      /* the target column's name ("y" unless set) */
    float *x;               /* rows x n_inputs, or NULL when bytes is used */
    unsigned char *bytes;   /* rows x n_inputs, or NULL */
    float byte_scale;
    float *y;               /* rows x n_targets; NULL for classification */
    int *classes;           /* rows class indices (classification only) */
};

/* An empty data set with room for rows x n_inputs inputs (as bytes when
 * use_bytes) and rows x n_targets targets, inputs named "x0", "x1", ...
 * Sizes are checked for overflow. NULL (with a message) on failure. */
nnc_dataset *nnc_dataset_alloc(int rows, int n_inputs, int n_targets, int use_bytes);

/* The same, with y only when with_y (a set that gets classes next needs none). */
nnc_dataset *nnc_dataset_new(int rows, int n_inputs, int n_targets, int use_bytes, int with_y);

/* A data set around blocks the caller made, which it takes (and frees on
 * failure too): x (rows x n_inputs floats) or bytes (as many bytes), and y
 * (rows x n_targets floats, or NULL before nnc_dataset_take_classes); inputs
 * named after copies of names[0..n_inputs) (NULL: "x0", "x1", ...). The
 * loaders hand over what they read instead of copying it. */
nnc_dataset *nnc_dataset_adopt(int rows, int n_inputs, int n_targets, float *x,
                               unsigned char *bytes, float *y, const char *const *names);

/* Rows first..first+n-1's targets as a network trains on them: a pointer into
 * y for a regression, else encoded into buf (n x n_targets floats). */
const float *nnc_dataset_batch_targets(const nnc_dataset *data, size_t first, int n, float *buf);

/* Replaces the input names with copies of names[0..n_inputs). */
nnc_status nnc_dataset_set_input_names(nnc_dataset *data, const char *const *names);

/* Makes data a classification set: keeps copies of classes[0..rows) and of
 * the labels (NULL: "0", "1", ...; they must differ and not be empty) and
 * drops y, whose encoding (one 0/1 column for two classes, one-hot
 * otherwise) is made as rows are gathered. data must have been allocated
 * with the matching n_targets (1 for two classes, n_classes otherwise). */
nnc_status nnc_dataset_set_classes(nnc_dataset *data, const int *classes, int n_classes,
                                   const char *const *labels);

/* The same, taking classes (rows ints) and labels (n_classes strings, or
 * NULL) instead of copying them; both are freed if it fails. */
nnc_status nnc_dataset_take_classes(nnc_dataset *data, int *classes, int n_classes,
                                    char **labels);

/* The number of target columns that encodes n_classes classes. */
int nnc_targets_for_classes(int n_classes);

/* A name and its place in a list, sorted for binary search and for finding
 * a name given twice in n log n. */
typedef struct nnc_named {
    const char *name;
    int index;
} nnc_named;

/* names[0..n) sorted by strcmp, equal names by index (NULL with NNC_ENOMEM). */
nnc_named *nnc_sort_names(const char *const *names, int n);

/* Refuses (NNC_EINVAL, "what: 'x' is given twice" or "what: name N is
 * empty") class labels that do not tell the classes apart: predictions are
 * named after them. n log n, so many classes cost no quadratic check. */
nnc_status nnc_check_labels(const char *what, const char *const *labels, int n);

/* A copy of a string (NULL with NNC_ENOMEM on failure). */
char *nnc_strdup(const char *s);

/* Frees n strings and the array holding them. */
void nnc_free_strings(char **strings, int n);

/* Copies n strings into a new array (NULL on failure). */
char **nnc_copy_strings(const char *const *strings, int n);

/* ---------------------------------------------------------- normalisation */

struct nnc_normalizer {
    nnc_scaling kind;
    int n_inputs;
    float *offset;          /* x' = (x - offset) * scale, per input column */
    float *scale;
    int n_targets;          /* 0 unless regression targets are standardised */
    float *target_offset;
    float *target_scale;
};

/* An identity normaliser shell with arrays for n_inputs and n_targets
 * columns (offsets 0, scales 1); used by the fit and by the model loader. */
nnc_normalizer *nnc_normalizer_alloc(nnc_scaling kind, int n_inputs, int n_targets);

/* ----------------------------------------------------------------- models */

struct nnc_model {
    nnc_net *net;
    nnc_normalizer *norm;   /* may be NULL */
    nnc_task task;
    int n_inputs;
    char **input_names;
    int n_classes;
    char **class_labels;
    int n_meta;
    char **meta_keys;
    char **meta_values;
};

/* A model around net and norm (both taken) with copies of the names and
 * labels given; the form both nnc_model_new and the model loader need. */
nnc_model *nnc_model_assemble(nnc_net *net, nnc_normalizer *norm, nnc_task task,
                              const char *const *input_names, int n_classes,
                              const char *const *class_labels);

/* Sets a learning rate chosen by a schedule, which unlike a user's may be 0. */
nnc_status nnc_optimizer_schedule_rate(nnc_optimizer *opt, double learning_rate);

/* nnc_evaluate_metrics with one target scale per target column (NULL: all 1),
 * as a model's normaliser has them. */
nnc_status nnc_evaluate_scaled(nnc_net *net, const nnc_dataset *data, const float *scales,
                               nnc_metrics *metrics, int *confusion);

/* ------------------------------------------------------------ checkpoints */

/* An optimizer's state as a checkpoint keeps it. m and v point into the
 * optimizer (NULL where its rule has none); n is 0 before the first step. */
typedef struct nnc_optimizer_state {
    int kind;
    long steps;
    size_t n;
    float *m;
    float *v;
} nnc_optimizer_state;

void nnc_optimizer_get_state(const nnc_optimizer *opt, nnc_optimizer_state *state);

/* Writes "rule learning_rate=... weight_decay=... ..." - everything about
 * opt that decides a training's result, with learning_rate as given (the
 * fit's base rate, not the schedule's current one) - into buf (n bytes);
 * returns the length snprintf would. */
int nnc_optimizer_describe(const nnc_optimizer *opt, double learning_rate, char *buf, size_t n);

/* Puts a saved state back: same rule, same size, moments copied. */
nnc_status nnc_optimizer_restore(nnc_optimizer *opt, const nnc_optimizer_state *state);

/* Where a fit stands after an epoch: enough to carry on bit for bit. */
typedef struct nnc_fit_progress {
    int epoch;          /* epochs completed */
    int best_epoch;
    int since_best;
    double best_loss;
    float *best;        /* the best epoch's parameters (the network's size) */
} nnc_fit_progress;

/* The text that identifies a training run to its checkpoints: "key value"
 * lines, the caller's own first (o->run_identity), then the network, the
 * optimizer with its base learning rate, the fit options that decide the
 * result, and checksums of the training and validation rows. NULL
 * (recorded) on failure; the caller frees it. */
char *nnc_checkpoint_identity(const nnc_net *net, const nnc_optimizer *opt, double base_rate,
                              const nnc_dataset *data, const nnc_fit_options *o);

/* Saves the run's identity, the network's parameters, the optimizer's
 * state, the generator and the progress to path, atomically (a crash
 * leaves the previous file). */
nnc_status nnc_checkpoint_save(const char *path, const char *identity, nnc_net *net,
                               const nnc_optimizer *opt, const nnc_rng *rng,
                               const nnc_fit_progress *progress);

/* What a checkpoint must match to be resumed. */
typedef struct nnc_checkpoint_run {
    const char *identity;   /* nnc_checkpoint_identity of this run */
    int epochs;             /* a checkpoint may not be past the run's last epoch */
    long batches;           /* per epoch: Adam counts one step for each */
    int validation;         /* with validation data the best loss is a real loss */
} nnc_checkpoint_run;

/* Restores all of that from path into net, opt, rng and progress (whose
 * best buffer must have the network's size). Checks the checksum, that the
 * checkpoint belongs to this run (naming the first difference), every
 * counter and size, and that every number is finite, before touching
 * anything: on failure net, opt, rng and progress are as they were. */
nnc_status nnc_checkpoint_load(const char *path, const nnc_checkpoint_run *run, nnc_net *net,
                               nnc_optimizer *opt, nnc_rng *rng, nnc_fit_progress *progress);

/* Checks that a batch call has sane arguments; records and returns a status. */
nnc_status nnc_check_rows(const char *what, int rows);

#endif /* NNC_INTERNAL_H */

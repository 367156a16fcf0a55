/*
 * train/train.h - optimizers, the fit loop's state, metrics, checkpoints.
 */
#ifndef NNC_TRAIN_H
#define NNC_TRAIN_H

#include "nn/nn.h"
#include "data/data.h"

/* The learning rate when opt is plain SGD without weight decay (the case the
 * fused step serves), else 0. Records the network's size as
 * nnc_optimizer_step would, refusing another network's. */
float nnc_optimizer_plain_rate(nnc_optimizer *opt, const nnc_net *net);

/* Sets a learning rate chosen by a schedule, which unlike a user's may be 0. */
nnc_status nnc_optimizer_schedule_rate(nnc_optimizer *opt, double learning_rate);

/* nnc_evaluate_metrics with one target scale per target column (NULL: all 1),
 * as a model's normaliser has them. */
nnc_status nnc_evaluate_scaled(nnc_net *net, const nnc_dataset *data, const float *scales,
                               nnc_metrics *metrics, int *confusion);
/* Running sums of the metrics over batches: an evaluation's, and a fit's
 * over the batches of an epoch (the running mean Keras reports). Regression
 * sums are per target column: R^2 compares each column with its own mean,
 * and each column may have its own scale to undo. */
typedef struct nnc_tally {
    int rows;
    double loss;         /* as nnc_loss_forward reduces it, times rows for means */
    long correct;
    double log_loss;     /* classification: the sum of -log P(true class) */
    /* Per target column for a regression. For classes they count what F1
     * needs: with two, the 2 x 2 confusion (true 0 as 0, as 1; true 1 as 0,
     * as 1) one in each; with more, per class, true positives (sq_err),
     * false positives (abs_err) and false negatives (y_sum). */
    double *sq_err, *abs_err, *y_sum, *y_sq_sum;
} nnc_tally;

/* Starts a tally over `sums`, 4 x targets doubles the caller owns. */
void nnc_tally_start(nnc_tally *t, double *sums, int targets);

/* Adds a batch: the loss the network reported for it, its rows' indices in
 * data (for their classes), the network's outputs and the targets; predicted
 * is n ints of work space, confusion (classes x classes) may be NULL. */
void nnc_tally_add(nnc_tally *t, const nnc_dataset *data, nnc_loss loss, double batch_loss,
                   const size_t *rows, int n, const float *out, const float *y, int *predicted,
                   int *confusion);

/* The metrics of the rows added so far (scales: per target column, NULL: 1). */
void nnc_tally_finish(const nnc_tally *t, const nnc_dataset *data, nnc_loss loss,
                      const float *scales, nnc_metrics *m);

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
    float *best_state;  /* and its state block (nnc_net_state_count floats) */
} nnc_fit_progress;

/* The text that identifies a training run to its checkpoints: "key value"
 * lines, the caller's own first (o->run_identity), then the network, the
 * optimizer with its base learning rate, the fit options that decide the
 * result, and checksums of the training and validation rows. NULL
 * (recorded) on failure; the caller frees it. */
char *nnc_checkpoint_identity(const nnc_net *net, const nnc_optimizer *opt, double base_rate,
                              const nnc_dataset *data, const nnc_fit_options *o);

/* Saves the run's identity, the network's architecture (the model file's
 * section, nn/architecture.c), parameters and state, the optimizer's
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
 * best buffers must have the network's sizes). Checks the checksum, that the
 * checkpoint belongs to this run (naming the first difference), that its
 * architecture is the network's exactly (not only its size), every counter
 * and size, and that every number is finite, before touching anything: on
 * failure net, opt, rng and progress are as they were. */
nnc_status nnc_checkpoint_load(const char *path, const nnc_checkpoint_run *run, nnc_net *net,
                               nnc_optimizer *opt, nnc_rng *rng, nnc_fit_progress *progress);

#endif /* NNC_TRAIN_H */

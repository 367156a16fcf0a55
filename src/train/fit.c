/*
 * fit.c - the training loop: one step, and a whole fit.
 *
 * A step is the tutorial's iteration: compute the gradients of the loss on a
 * batch, then let the optimizer update the parameters. nnc_fit repeats that
 * over shuffled mini-batches for a number of epochs, adjusts the learning
 * rate on a schedule, watches the validation loss and stops when it no longer
 * improves ("knowing when to stop training"), going back to the best weights.
 */
#include "nn/nn.h"
#include "train/loader.h"
#include "train/train.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

nnc_status nnc_train_step(nnc_net *net, nnc_optimizer *opt, const float *x,
                          const float *y, int rows, double *loss)
{
    if (opt == NULL || net == NULL)
        return nnc_fail(NNC_EINVAL, "train step: NULL argument");
    /* Plain SGD has a fused path: the update goes straight into the weights
     * during the backward pass, with no gradient block to clear, fill and
     * read back, so each weight matrix is swept once or twice, not four times. */
    float rate = nnc_optimizer_plain_rate(opt, net);
    if (rate > 0.0f)
        return nnc_net_sgd_step(net, x, y, rows, rate, loss);
    nnc_status st = nnc_net_gradients(net, x, y, rows, loss, NULL);
    if (st != NNC_OK)
        return st;
    return nnc_optimizer_step(opt, net);
}

nnc_fit_options nnc_fit_defaults(void)
{
    nnc_fit_options o;
    memset(&o, 0, sizeof o);
    o.epochs = 10;
    o.batch_size = 32;
    o.shuffle = 1;
    o.schedule = NNC_SCHEDULE_CONSTANT;
    o.step_epochs = 10;
    o.gamma = 0.5;
    o.target_scale = 1.0;
    return o;
}

static nnc_status check_data(const char *what, const nnc_net *net, const nnc_dataset *data)
{
    if (nnc_dataset_inputs(data) != nnc_net_inputs(net) ||
        nnc_dataset_targets(data) != nnc_net_outputs(net))
        return nnc_fail(NNC_EINVAL,
                        "fit: the %s data has %d inputs and %d targets, the network takes %d "
                        "inputs and gives %d outputs",
                        what, nnc_dataset_inputs(data), nnc_dataset_targets(data),
                        nnc_net_inputs(net), nnc_net_outputs(net));
    return NNC_OK;
}

static nnc_status check_options(const nnc_fit_options *o)
{
    if (o->epochs < 1 || o->batch_size < 1)
        return nnc_fail(NNC_EINVAL, "fit: epochs and batch size must be >= 1, got %d and %d",
                        o->epochs, o->batch_size);
    if (o->schedule == NNC_SCHEDULE_STEP && (o->step_epochs < 1 || !(o->gamma > 0) ||
                                             o->gamma > 1))
        return nnc_fail(NNC_EINVAL, "fit: a step schedule needs step_epochs >= 1 and gamma "
                                    "in (0, 1]");
    if (o->schedule == NNC_SCHEDULE_COSINE && !(o->min_learning_rate >= 0))
        return nnc_fail(NNC_EINVAL, "fit: min_learning_rate must be >= 0");
    if (o->schedule != NNC_SCHEDULE_CONSTANT && o->schedule != NNC_SCHEDULE_STEP &&
        o->schedule != NNC_SCHEDULE_COSINE)
        return nnc_fail(NNC_EINVAL, "fit: unknown schedule %d", (int)o->schedule);
    if (o->patience < 0)
        return nnc_fail(NNC_EINVAL, "fit: patience must be >= 0, got %d", o->patience);
    if (o->checkpoint != NULL && o->checkpoint_every < 1)
        return nnc_fail(NNC_EINVAL, "fit: checkpoint_every must be >= 1, got %d",
                        o->checkpoint_every);
    return NNC_OK;
}

/* The learning rate for a 1-based epoch under the schedule. */
static double scheduled_rate(const nnc_fit_options *o, double base, int epoch)
{
    switch (o->schedule) {
    case NNC_SCHEDULE_STEP:
        return base * pow(o->gamma, (epoch - 1) / o->step_epochs);
    case NNC_SCHEDULE_COSINE: {
        const double pi = 3.14159265358979323846;
        double progress = o->epochs > 1 ? (double)(epoch - 1) / (o->epochs - 1) : 0.0;
        return o->min_learning_rate +
               0.5 * (base - o->min_learning_rate) * (1.0 + cos(pi * progress));
    }
    case NNC_SCHEDULE_CONSTANT:
        break;
    }
    return base;
}

/* Buffers a fit needs, allocated once before the first epoch. */
typedef struct workspace {
    size_t *order;
    nnc_loader loader;   /* the batches' floats, the next gathered beside the step */
    float *best;      /* the parameters of the best epoch so far */
    float *best_state;   /* and its state (running statistics): the two make its model */
    double *sums;        /* the epoch's running tally: 4 x targets */
    int *predicted;      /* a batch's classes */
    float *scales;       /* the target scale per column, for the tally's MSE and MAE */
    nnc_tally tally;
} workspace;

static void release(workspace *w)
{
    free(w->order);
    nnc_loader_release(&w->loader);
    free(w->best);
    free(w->best_state);
    free(w->sums);
    free(w->predicted);
    free(w->scales);
}

static nnc_status prepare(workspace *w, nnc_net *net, const nnc_dataset *data, int batch,
                          double target_scale)
{
    memset(w, 0, sizeof *w);
    int rows = nnc_dataset_rows(data);
    if (nnc_loader_init(&w->loader, data, batch) != NNC_OK)
        return NNC_ENOMEM;
    int outs = nnc_net_outputs(net);
    w->sums = nnc_alloc(4 * (size_t)outs, sizeof *w->sums, 1);
    w->predicted = nnc_alloc((size_t)batch, sizeof *w->predicted, 0);
    w->scales = nnc_alloc((size_t)outs, sizeof *w->scales, 0);
    for (int j = 0; w->scales != NULL && j < outs; j++)
        w->scales[j] = (float)(target_scale > 0 ? target_scale : 1.0);
    w->order = nnc_alloc((size_t)rows, sizeof *w->order, 0);
    w->best = nnc_alloc(nnc_net_param_count(net), sizeof(float), 0);
    w->best_state = nnc_alloc(nnc_net_state_count(net), sizeof(float), 0);
    if (!w->order || !w->best || !w->best_state || !w->sums ||
        !w->predicted || !w->scales) {
        release(w);
        return NNC_ENOMEM;
    }
    for (size_t i = 0; i < (size_t)rows; i++)
        w->order[i] = i;
    return NNC_OK;
}

/* The best epoch's network is its parameters and its state together: a
 * batch normalisation's statistics belong to the weights they were run with. */
static void keep_best(workspace *w, nnc_net *net)
{
    memcpy(w->best, nnc_net_params(net), nnc_net_param_count(net) * sizeof(float));
    memcpy(w->best_state, nnc_net_state(net), nnc_net_state_count(net) * sizeof(float));
}

static void back_to_best(const workspace *w, nnc_net *net)
{
    memcpy(nnc_net_params(net), w->best, nnc_net_param_count(net) * sizeof(float));
    memcpy(nnc_net_state(net), w->best_state, nnc_net_state_count(net) * sizeof(float));
}

/* One epoch of steps, tallying each batch's loss and outputs (those of the
 * step's own training pass, before its update) into w->tally: the epoch's
 * training metrics are their running mean, as Keras reports them, at no
 * cost beyond the steps themselves. */
static nnc_status run_epoch(nnc_net *net, nnc_optimizer *opt, const nnc_dataset *data,
                            const nnc_fit_options *o, int epoch, int batch, workspace *w)
{
    int rows = nnc_dataset_rows(data);
    int batches = (rows + batch - 1) / batch;
    nnc_tally_start(&w->tally, w->sums, nnc_net_outputs(net));
    nnc_status st = nnc_loader_start(&w->loader, w->order);
    for (int b = 0; st == NNC_OK && b < batches; b++) {
        int start = b * batch, n;
        double loss;
        const float *bx, *by;
        const nnc_sparse_rows *sparse;
        st = nnc_loader_next(&w->loader, b, &bx, &sparse, &by, &n);
        if (st == NNC_OK && sparse != NULL)
            st = nnc_net_set_sparse(net, sparse);
        if (st == NNC_OK)
            st = nnc_train_step(net, opt, bx, by, n, &loss);
        nnc_net_set_sparse(net, NULL);
        if (st == NNC_ENUMERIC)
            st = nnc_fail(NNC_ENUMERIC,
                          "training diverged in epoch %d, batch %d: the loss is not finite; "
                          "try a smaller learning rate",
                          epoch, b + 1);
        if (st != NNC_OK)
            break;
        nnc_tally_add(&w->tally, data, nnc_net_loss(net), loss, w->order + start, n,
                      nnc_net_top_output(net), by, w->predicted, NULL);
        if (o->on_batch)
            o->on_batch(epoch, b + 1, batches, loss, o->user);
        if (o->stop != NULL && *o->stop)
            st = nnc_fail(NNC_ESTOPPED, "stopped in epoch %d after batch %d of %d", epoch, b + 1,
                          batches);
    }
    nnc_loader_finish(&w->loader);
    return st;
}

static int finite_params(nnc_net *net)
{
    /* A float is infinite or NaN when its exponent bits are all set. An OR
     * of whole words is vector instructions at memory speed; a float sum
     * (p[i] * 0 added up) had to run in order, an add's latency per weight:
     * 4 ms an epoch at a 50,000-word vocabulary, a tenth of its time. */
    const float *p = nnc_net_params(net);
    size_t n = nnc_net_param_count(net);
    uint32_t all = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, p + i, sizeof bits);
        all |= (bits & UINT32_C(0x7f800000)) == UINT32_C(0x7f800000);
    }
    return all == 0;
}

/* An update can overflow the weights without the batch's own loss showing
 * it (that loss is measured before the update): the epoch's last update is
 * caught here, so a diverged network is never reported as trained. */
static nnc_status check_finite(nnc_net *net, const nnc_epoch_report *r, int epoch)
{
    if (isfinite(r->train.loss) && (!r->has_val || isfinite(r->val.loss)) && finite_params(net))
        return NNC_OK;
    return nnc_fail(NNC_ENUMERIC,
                    "training diverged in epoch %d: after its last update the %s; try a smaller "
                    "learning rate",
                    epoch, finite_params(net) ? "loss is not finite" : "weights are not finite");
}

/* An epoch's report: the running metrics of its batches for the training
 * data, and a pass in inference mode over the validation data. */
static nnc_status measure_epoch(nnc_net *net, const nnc_dataset *train,
                                const nnc_fit_options *o, const workspace *w,
                                nnc_epoch_report *r)
{
    double scale = o->target_scale > 0 ? o->target_scale : 1.0;
    nnc_tally_finish(&w->tally, train, nnc_net_loss(net), w->scales, &r->train);
    r->has_val = o->validation != NULL;
    if (r->has_val)
        return nnc_evaluate_metrics(net, o->validation, scale, &r->val, NULL);
    return NNC_OK;
}

/* Both data sets measured in inference mode with the weights as they are. */
static nnc_status measure_final(nnc_net *net, const nnc_dataset *train,
                                const nnc_fit_options *o, nnc_epoch_report *r)
{
    double scale = o->target_scale > 0 ? o->target_scale : 1.0;
    nnc_status st = nnc_evaluate_metrics(net, train, scale, &r->train, NULL);
    r->has_val = o->validation != NULL;
    if (st == NNC_OK && r->has_val)
        st = nnc_evaluate_metrics(net, o->validation, scale, &r->val, NULL);
    return st;
}

nnc_status nnc_fit(nnc_net *net, nnc_optimizer *opt, const nnc_dataset *data,
                   const nnc_fit_options *options, nnc_rng *rng, nnc_fit_result *result)
{
    if (net == NULL || opt == NULL || data == NULL || options == NULL ||
        (options->shuffle && rng == NULL))
        return nnc_fail(NNC_EINVAL, "fit: NULL argument");
    const nnc_fit_options *o = options;
    nnc_status st = check_options(o);
    if (st == NNC_OK)
        st = check_data("training", net, data);
    if (st == NNC_OK && o->validation)
        st = check_data("validation", net, o->validation);
    int rows = nnc_dataset_rows(data);
    int batch = o->batch_size < rows ? o->batch_size : rows;
    workspace w;
    if (st == NNC_OK)
        st = prepare(&w, net, data, batch, o->target_scale);
    if (st != NNC_OK)
        return st;

    /* A training pass draws from the fit's generator (dropout, when there
     * is such a layer); the network's own is put back at the end. */
    nnc_rng *net_rng = nnc_net_rng(net);
    nnc_net_set_rng(net, rng);
    double base_rate = nnc_optimizer_learning_rate(opt);
    nnc_fit_progress at = { 0, 0, 0, INFINITY, w.best, w.best_state };
    char *identity = NULL;
    if ((o->checkpoint != NULL || o->resume != NULL) &&
        (identity = nnc_checkpoint_identity(net, opt, base_rate, data, o)) == NULL)
        st = NNC_ENOMEM;
    int saved_epoch = 0;   /* what the checkpoint file holds */
    if (st == NNC_OK && o->resume != NULL) {
        nnc_checkpoint_run run = { identity, o->epochs, (rows + batch - 1) / batch,
                                   o->validation != NULL };
        st = nnc_checkpoint_load(o->resume, &run, net, opt, rng, &at);
        if (st == NNC_OK && o->checkpoint != NULL && nnc_same_file(o->resume, o->checkpoint))
            saved_epoch = at.epoch;
    }
    nnc_epoch_report r;
    memset(&r, 0, sizeof r);
    r.best_epoch = at.best_epoch;
    int stopped_early = o->patience > 0 && o->validation && at.since_best >= o->patience;
    int completed = at.epoch, measured = 0;
    nnc_metrics best_train = r.train, best_val = r.val;   /* the best epoch's report */
    while (st == NNC_OK && !stopped_early && at.epoch < o->epochs) {
        int epoch = ++at.epoch;
        r.epoch = epoch;
        r.epochs = o->epochs;
        r.learning_rate = scheduled_rate(o, base_rate, epoch);
        st = nnc_optimizer_schedule_rate(opt, r.learning_rate);
        if (st == NNC_OK && o->shuffle)
            nnc_rng_permutation(rng, w.order, (size_t)rows);
        if (st == NNC_OK)
            st = run_epoch(net, opt, data, o, epoch, batch, &w);
        if (st == NNC_OK)
            st = measure_epoch(net, data, o, &w, &r);
        if (st == NNC_OK)
            st = check_finite(net, &r, epoch);
        if (st != NNC_OK)
            break;
        completed = epoch;
        measured = 1;
        /* Without validation data the best epoch is simply the latest. */
        double watched = r.has_val ? r.val.loss : -epoch;
        if (watched < at.best_loss) {
            at.best_loss = watched;
            at.best_epoch = r.best_epoch = epoch;
            at.since_best = 0;
            keep_best(&w, net);
            best_train = r.train;
            best_val = r.val;
        } else {
            at.since_best++;
        }
        stopped_early = r.has_val && o->patience > 0 && at.since_best >= o->patience;
        if (o->checkpoint && (epoch % o->checkpoint_every == 0 || stopped_early ||
                              epoch == o->epochs)) {
            st = nnc_checkpoint_save(o->checkpoint, identity, net, opt, rng, &at);
            if (st == NNC_OK)
                saved_epoch = epoch;
        }
        if (st == NNC_OK && o->on_epoch && o->on_epoch(&r, o->user) != 0)
            break;
    }
    /* A diverged run leaves the network as it was after its best (or, without
     * validation, its last) complete epoch: the last good model, never NaNs. */
    if (st == NNC_ENUMERIC && at.best_epoch > 0)
        back_to_best(&w, net);
    nnc_status rate_st = nnc_optimizer_schedule_rate(opt, base_rate);
    /* Early stopping's promise: the weights of the best validation epoch. */
    int restore = o->patience > 0 && at.best_epoch > 0 && at.best_epoch != at.epoch;
    if (st == NNC_OK && restore)
        back_to_best(&w, net);
    /* The result describes the weights the fit ends with by their epoch's
     * report, as Keras's history does: the best epoch's when they are
     * restored. Only a fit that ran no epoch (resumed at its end) measures. */
    if (st == NNC_OK && restore) {
        r.train = best_train;
        r.val = best_val;
    }
    if (st == NNC_OK && !measured)
        st = measure_final(net, data, o, &r);
    if (st == NNC_OK)
        st = rate_st;
    if (result != NULL) {
        /* A failed or stopped fit still says where its checkpoint stands. */
        result->checkpoint_epoch = saved_epoch;
        result->epochs_run = completed;
    }
    if (st == NNC_OK && result != NULL) {
        result->best_epoch = at.best_epoch;
        result->stopped_early = stopped_early;
        result->train = r.train;
        result->val = r.val;
    }
    release(&w);
    free(identity);
    nnc_net_set_rng(net, net_rng);
    return st;
}

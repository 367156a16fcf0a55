/*
 * train.c - the training loop: one step, a whole fit, and evaluation.
 *
 * A step is the tutorial's iteration: compute the gradients of the loss on a
 * batch, then let the optimizer update the parameters. nnc_fit repeats that
 * over shuffled mini-batches for a number of epochs; everything it needs is
 * allocated before the first epoch.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Rows per forward pass when evaluating a whole data set. */
#define EVAL_BATCH 256

nnc_status nnc_train_step(nnc_net *net, nnc_optimizer *opt, const float *x,
                          const float *y, int rows, double *loss)
{
    if (opt == NULL)
        return nnc_fail(NNC_EINVAL, "train step: NULL optimizer");
    nnc_status st = nnc_net_gradients(net, x, y, rows, loss, NULL);
    if (st != NNC_OK)
        return st;
    return nnc_optimizer_step(opt, net);
}

static nnc_status check_fits(const char *what, const nnc_net *net, const nnc_dataset *data)
{
    if (net == NULL || data == NULL)
        return nnc_fail(NNC_EINVAL, "%s: NULL argument", what);
    if (nnc_dataset_inputs(data) != nnc_net_inputs(net) ||
        nnc_dataset_targets(data) != nnc_net_outputs(net))
        return nnc_fail(NNC_EINVAL,
                        "%s: the data has %d inputs and %d targets, the network takes %d "
                        "inputs and gives %d outputs",
                        what, nnc_dataset_inputs(data), nnc_dataset_targets(data),
                        nnc_net_inputs(net), nnc_net_outputs(net));
    return NNC_OK;
}

/* Folds one batch's loss into a running total so that the result is what
 * the loss would give over all rows at once: a sum for the squared error,
 * a mean (weighted by rows) for the others. */
static void accumulate(nnc_loss loss, double batch_loss, int rows, double *total)
{
    *total += loss == NNC_LOSS_SQUARED_ERROR ? batch_loss : batch_loss * rows;
}

static double finish(nnc_loss loss, double total, int rows)
{
    return loss == NNC_LOSS_SQUARED_ERROR ? total : total / rows;
}

nnc_status nnc_evaluate(nnc_net *net, const nnc_dataset *data, double *loss)
{
    nnc_status st = check_fits("evaluate", net, data);
    if (st == NNC_OK && loss == NULL)
        st = nnc_fail(NNC_EINVAL, "evaluate: NULL argument");
    if (st != NNC_OK)
        return st;
    int rows = nnc_dataset_rows(data);
    double total = 0.0;
    for (int start = 0; start < rows; start += EVAL_BATCH) {
        int n = rows - start < EVAL_BATCH ? rows - start : EVAL_BATCH;
        double batch_loss;
        st = nnc_net_loss_value(net, nnc_dataset_x(data, start), nnc_dataset_y(data, start),
                                n, &batch_loss);
        if (st != NNC_OK)
            return st;
        accumulate(nnc_net_loss(net), batch_loss, n, &total);
    }
    *loss = finish(nnc_net_loss(net), total, rows);
    return NNC_OK;
}

nnc_fit_options nnc_fit_defaults(void)
{
    nnc_fit_options o = { 10, 32, 1, NULL, NULL };
    return o;
}

/* Copies the rows named by index[0..n) into contiguous batch buffers. */
static void gather(const nnc_dataset *data, const size_t *index, int n, float *bx,
                   float *by)
{
    size_t in = (size_t)nnc_dataset_inputs(data), out = (size_t)nnc_dataset_targets(data);
    for (int i = 0; i < n; i++) {
        memcpy(bx + (size_t)i * in, nnc_dataset_x(data, (int)index[i]), in * sizeof *bx);
        memcpy(by + (size_t)i * out, nnc_dataset_y(data, (int)index[i]), out * sizeof *by);
    }
}

static nnc_status run_epoch(nnc_net *net, nnc_optimizer *opt, const nnc_dataset *data,
                            const size_t *order, int batch, float *bx, float *by,
                            double *epoch_loss)
{
    int rows = nnc_dataset_rows(data);
    double total = 0.0;
    for (int start = 0; start < rows; start += batch) {
        int n = rows - start < batch ? rows - start : batch;
        double batch_loss;
        gather(data, order + start, n, bx, by);
        nnc_status st = nnc_train_step(net, opt, bx, by, n, &batch_loss);
        if (st != NNC_OK)
            return st;
        accumulate(nnc_net_loss(net), batch_loss, n, &total);
    }
    *epoch_loss = finish(nnc_net_loss(net), total, rows);
    return NNC_OK;
}

nnc_status nnc_fit(nnc_net *net, nnc_optimizer *opt, const nnc_dataset *data,
                   const nnc_fit_options *options, nnc_rng *rng, double *final_loss)
{
    nnc_status st = check_fits("fit", net, data);
    if (st != NNC_OK)
        return st;
    if (opt == NULL || options == NULL || (options->shuffle && rng == NULL))
        return nnc_fail(NNC_EINVAL, "fit: NULL argument");
    if (options->epochs < 1 || options->batch_size < 1)
        return nnc_fail(NNC_EINVAL, "fit: epochs and batch size must be >= 1, got %d and %d",
                        options->epochs, options->batch_size);

    int rows = nnc_dataset_rows(data);
    int batch = options->batch_size < rows ? options->batch_size : rows;
    size_t *order = nnc_alloc((size_t)rows, sizeof *order, 0);
    float *bx = nnc_alloc((size_t)batch, (size_t)nnc_net_inputs(net) * sizeof(float), 0);
    float *by = nnc_alloc((size_t)batch, (size_t)nnc_net_outputs(net) * sizeof(float), 0);
    st = order && bx && by ? NNC_OK : NNC_ENOMEM;
    for (size_t i = 0; st == NNC_OK && i < (size_t)rows; i++)
        order[i] = i;

    for (int epoch = 1; st == NNC_OK && epoch <= options->epochs; epoch++) {
        double epoch_loss;
        if (options->shuffle)
            nnc_rng_permutation(rng, order, (size_t)rows);
        st = run_epoch(net, opt, data, order, batch, bx, by, &epoch_loss);
        if (st == NNC_OK && options->on_epoch &&
            options->on_epoch(epoch, epoch_loss, options->user) != 0)
            break;
    }
    if (st == NNC_OK && final_loss != NULL)
        st = nnc_evaluate(net, data, final_loss);
    free(order);
    free(bx);
    free(by);
    return st;
}

/*
 * metrics.c - how good a network is on a data set.
 *
 * The loss is what training minimises; people judge a model by other numbers:
 * accuracy (and where the mistakes go: the confusion matrix) for classes,
 * MSE, MAE and R^2 in the target's own units for values. All are computed in
 * one pass, batch by batch, so a large data set needs no large buffer.
 */
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EVAL_BATCH 256

void nnc_output_classes(const float *out, int rows, int outputs, int *classes)
{
    if (out == NULL || classes == NULL || outputs < 1)
        return;
    for (int i = 0; i < rows; i++) {
        const float *row = out + (size_t)i * outputs;
        if (outputs == 1) {
            classes[i] = row[0] > 0.5f;
            continue;
        }
        int best = 0;
        for (int j = 1; j < outputs; j++)
            if (row[j] > row[best])
                best = j;
        classes[i] = best;
    }
}

void nnc_tally_start(nnc_tally *t, double *sums, int targets)
{
    memset(sums, 0, 4 * (size_t)targets * sizeof *sums);
    *t = (nnc_tally){ 0, 0.0, 0, sums, sums + targets, sums + 2 * targets, sums + 3 * targets };
}

static void tally_regression(nnc_tally *t, const float *out, const float *y, int rows, int cols)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            size_t k = (size_t)i * cols + j;
            double d = (double)out[k] - y[k];
            t->sq_err[j] += d * d;
            t->abs_err[j] += fabs(d);
            t->y_sum[j] += y[k];
            t->y_sq_sum[j] += (double)y[k] * y[k];
        }
}

void nnc_tally_add(nnc_tally *t, const nnc_dataset *data, nnc_loss loss, double batch_loss,
                   const size_t *rows, int n, const float *out, const float *y, int *predicted,
                   int *confusion)
{
    t->rows += n;
    t->loss += loss == NNC_LOSS_SQUARED_ERROR ? batch_loss : batch_loss * n;
    if (data->task != NNC_TASK_CLASSIFICATION) {
        tally_regression(t, out, y, n, data->n_targets);
        return;
    }
    nnc_output_classes(out, n, data->n_targets, predicted);
    for (int i = 0; i < n; i++) {
        int truth = data->classes[rows[i]];
        t->correct += predicted[i] == truth;
        if (confusion != NULL)
            confusion[(size_t)truth * data->n_classes + predicted[i]]++;
    }
}

void nnc_tally_finish(const nnc_tally *t, const nnc_dataset *data, nnc_loss loss,
                      const float *scales, nnc_metrics *m)
{
    double rows = t->rows;
    int cols = data->n_targets;
    memset(m, 0, sizeof *m);
    m->rows = t->rows;
    if (t->rows == 0)
        return;
    m->loss = loss == NNC_LOSS_SQUARED_ERROR ? t->loss : t->loss / rows;
    if (data->task == NNC_TASK_CLASSIFICATION) {
        m->accuracy = t->correct / rows;
        return;
    }
    /* R^2 = 1 - SS_res / SS_tot, summed over the columns, is the same in
     * scaled and original units as long as each column has one scale. */
    double ss_res = 0.0, ss_tot = 0.0;
    for (int j = 0; j < cols; j++) {
        double s = scales ? scales[j] : 1.0;
        ss_res += t->sq_err[j];
        ss_tot += t->y_sq_sum[j] - t->y_sum[j] * t->y_sum[j] / rows;
        m->mse += t->sq_err[j] / (s * s);
        m->mae += t->abs_err[j] / s;
    }
    m->mse /= rows * cols;
    m->mae /= rows * cols;
    m->r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 0.0;
}

static nnc_status check(nnc_net *net, const nnc_dataset *data, const void *out)
{
    if (net == NULL || data == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "evaluate: NULL argument");
    if (data->n_inputs != nnc_net_inputs(net) || data->n_targets != nnc_net_outputs(net))
        return nnc_fail(NNC_EINVAL,
                        "evaluate: the data has %d inputs and %d targets, the network takes %d "
                        "inputs and gives %d outputs",
                        data->n_inputs, data->n_targets, nnc_net_inputs(net),
                        nnc_net_outputs(net));
    return NNC_OK;
}

/* Evaluates batch by batch; metrics and confusion are optional extras. */
static nnc_status run(nnc_net *net, const nnc_dataset *data, const float *scales,
                      nnc_metrics *metrics, int *confusion)
{
    int in = data->n_inputs, outs = data->n_targets, batch = EVAL_BATCH;
    size_t *rows = nnc_alloc((size_t)batch, sizeof *rows, 0);
    float *x = nnc_alloc((size_t)batch, (size_t)in * sizeof(float), 0);
    float *y = nnc_alloc((size_t)batch, (size_t)outs * sizeof(float), 0);
    float *out = nnc_alloc((size_t)batch, (size_t)outs * sizeof(float), 0);
    int *predicted = nnc_alloc((size_t)batch, sizeof *predicted, 0);
    double *sums = nnc_alloc(4 * (size_t)outs, sizeof *sums, 1);
    nnc_status st = rows && x && y && out && predicted && sums ? NNC_OK : NNC_ENOMEM;
    nnc_tally t;
    if (st == NNC_OK)
        nnc_tally_start(&t, sums, outs);
    if (confusion != NULL && data->task == NNC_TASK_CLASSIFICATION)
        memset(confusion, 0, (size_t)data->n_classes * data->n_classes * sizeof *confusion);
    nnc_loss loss = nnc_net_loss(net);
    for (int start = 0; st == NNC_OK && start < data->rows; start += batch) {
        int n = data->rows - start < batch ? data->rows - start : batch;
        double batch_loss = 0.0;
        for (int i = 0; i < n; i++)
            rows[i] = (size_t)start + (size_t)i;
        st = nnc_dataset_gather(data, rows, n, x, y);
        if (st == NNC_OK)
            st = nnc_predict(net, x, n, out);
        if (st == NNC_OK)
            st = nnc_loss_forward(loss, out, y, n, outs, &batch_loss);
        if (st != NNC_OK)
            break;
        nnc_tally_add(&t, data, loss, batch_loss, rows, n, out, y, predicted, confusion);
    }
    if (st == NNC_OK)
        nnc_tally_finish(&t, data, loss, scales, metrics);
    free(rows);
    free(x);
    free(y);
    free(out);
    free(predicted);
    free(sums);
    return st;
}

nnc_status nnc_evaluate_scaled(nnc_net *net, const nnc_dataset *data, const float *scales,
                               nnc_metrics *metrics, int *confusion)
{
    nnc_status st = check(net, data, metrics);
    if (st != NNC_OK)
        return st;
    return run(net, data, scales, metrics, confusion);
}

nnc_status nnc_evaluate_metrics(nnc_net *net, const nnc_dataset *data, double target_scale,
                                nnc_metrics *metrics, int *confusion)
{
    nnc_status st = check(net, data, metrics);
    if (st != NNC_OK)
        return st;
    float *scales = nnc_alloc((size_t)data->n_targets, sizeof *scales, 0);
    if (scales == NULL)
        return NNC_ENOMEM;
    for (int j = 0; j < data->n_targets; j++)
        scales[j] = (float)(target_scale > 0 ? target_scale : 1.0);
    st = run(net, data, scales, metrics, confusion);
    free(scales);
    return st;
}

nnc_status nnc_evaluate(nnc_net *net, const nnc_dataset *data, double *loss)
{
    nnc_metrics m;
    nnc_status st = check(net, data, loss);
    if (st != NNC_OK)
        return st;
    if (data->bytes != NULL) {   /* image rows need converting: the general path */
        st = run(net, data, NULL, &m, NULL);
        if (st == NNC_OK)
            *loss = m.loss;
        return st;
    }
    /* Float rows are already batches in place: nothing to allocate or copy,
     * which matters when a loop evaluates often (the tutorial, every 100
     * steps). Class targets are kept as indices (a one-hot copy of every row
     * would cost rows x classes floats), so they are encoded a batch at a
     * time into one buffer: on the stack (16 KiB) for a few target columns,
     * else allocated once for the whole pass. */
    enum { STACK_TARGETS = 16 };
    float small[EVAL_BATCH * STACK_TARGETS];
    float *buf = small;
    if (data->y == NULL && data->n_targets > STACK_TARGETS &&
        (buf = nnc_alloc(EVAL_BATCH, (size_t)data->n_targets * sizeof *buf, 0)) == NULL)
        return NNC_ENOMEM;
    nnc_loss kind = nnc_net_loss(net);
    double total = 0.0;
    for (int start = 0; st == NNC_OK && start < data->rows; start += EVAL_BATCH) {
        int n = data->rows - start < EVAL_BATCH ? data->rows - start : EVAL_BATCH;
        double batch_loss = 0.0;
        const float *y = nnc_dataset_batch_targets(data, (size_t)start, n, buf);
        st = nnc_net_loss_value(net, data->x + (size_t)start * data->n_inputs, y, n,
                                &batch_loss);
        total += kind == NNC_LOSS_SQUARED_ERROR ? batch_loss : batch_loss * n;
    }
    if (buf != small)
        free(buf);
    if (st == NNC_OK)
        *loss = kind == NNC_LOSS_SQUARED_ERROR ? total : total / data->rows;
    return st;
}

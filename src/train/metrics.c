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
/* log_loss's floor for a probability, as scikit-learn's (1e-15). */
#define LOG_LOSS_EPS 1e-15

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
    *t = (nnc_tally){ 0, 0.0, 0, 0.0, sums, sums + targets, sums + 2 * targets,
                      sums + 3 * targets };
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
    int outputs = data->n_targets;
    double *binary[4] = { t->sq_err, t->abs_err, t->y_sum, t->y_sq_sum };
    for (int i = 0; i < n; i++) {
        int truth = data->classes[rows[i]], guess = predicted[i];
        const float *row = out + (size_t)i * outputs;
        t->correct += guess == truth;
        if (confusion != NULL)
            confusion[(size_t)truth * data->n_classes + guess]++;
        if (outputs == 1) {
            binary[truth * 2 + guess][0] += 1;
        } else if (guess == truth) {
            t->sq_err[truth] += 1;
        } else {
            t->abs_err[guess] += 1;
            t->y_sum[truth] += 1;
        }
        /* Probabilities clipped as scikit-learn's log_loss clips them. */
        double p = outputs == 1 ? (truth ? row[0] : 1.0 - row[0]) : row[truth];
        t->log_loss -= log(p < LOG_LOSS_EPS ? LOG_LOSS_EPS : p > 1.0 ? 1.0 : p);
    }
}

/* Macro F1: the mean over the classes that occur (as truth or as guess) of
 * 2 TP / (2 TP + FP + FN), scikit-learn's f1_score(average="macro"). */
static double macro_f1(const nnc_tally *t, int classes)
{
    double sum = 0.0;
    int counted = 0;
    for (int c = 0; c < classes; c++) {
        double tp, fp, fn;
        if (classes == 2) {   /* the 2 x 2 counts, class c as the positive one */
            double counts[4] = { t->sq_err[0], t->abs_err[0], t->y_sum[0], t->y_sq_sum[0] };
            tp = counts[c * 3];
            fp = counts[c ? 1 : 2];
            fn = counts[c ? 2 : 1];
        } else {
            tp = t->sq_err[c];
            fp = t->abs_err[c];
            fn = t->y_sum[c];
        }
        if (2 * tp + fp + fn > 0) {
            sum += 2 * tp / (2 * tp + fp + fn);
            counted++;
        }
    }
    return counted ? sum / counted : 0.0;
}

void nnc_tally_finish(const nnc_tally *t, const nnc_dataset *data, nnc_loss loss,
                      const float *scales, nnc_metrics *m)
{
    double rows = t->rows;
    int cols = data->n_targets;
    memset(m, 0, sizeof *m);
    m->roc_auc = NAN;   /* only a whole evaluation of two classes has one */
    m->rows = t->rows;
    if (t->rows == 0)
        return;
    m->loss = loss == NNC_LOSS_SQUARED_ERROR ? t->loss : t->loss / rows;
    if (data->task == NNC_TASK_CLASSIFICATION) {
        m->accuracy = t->correct / rows;
        m->macro_f1 = macro_f1(t, data->n_classes);
        m->log_loss = t->log_loss / rows;
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

/* A row's score, P(second class), and whether it is of the second class. */
typedef struct scored {
    float score;
    int positive;
} scored;

static int by_score(const void *a, const void *b)
{
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x > y) - (x < y);
}

/* The area under the ROC curve: the chance that a random positive row
 * scores above a random negative one, ties counting half (the Mann-Whitney
 * U statistic over the rank sums). 0 when a class is missing. */
static double roc_auc(scored *s, size_t n)
{
    qsort(s, n, sizeof *s, by_score);
    double positives = 0, rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j].score == s[i].score)
            j++;
        double rank = (double)(i + 1 + j) / 2.0;   /* the mean of ranks i+1..j */
        for (size_t k = i; k < j; k++)
            if (s[k].positive) {
                positives++;
                rank_sum += rank;
            }
        i = j;
    }
    double negatives = (double)n - positives;
    if (positives == 0 || negatives == 0)
        return 0.0;
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives);
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
    int is_sparse = data->sparse_start != NULL;
    nnc_sparse_batch sparse;
    memset(&sparse, 0, sizeof sparse);
    size_t *rows = nnc_alloc((size_t)batch, sizeof *rows, 0);
    float *x = is_sparse ? NULL : nnc_alloc((size_t)batch, (size_t)in * sizeof(float), 0);
    float *y = nnc_alloc((size_t)batch, (size_t)outs * sizeof(float), 0);
    float *out = nnc_alloc((size_t)batch, (size_t)outs * sizeof(float), 0);
    int *predicted = nnc_alloc((size_t)batch, sizeof *predicted, 0);
    double *sums = nnc_alloc(4 * (size_t)outs, sizeof *sums, 1);
    int binary = data->task == NNC_TASK_CLASSIFICATION && data->n_classes == 2;
    scored *scores = binary ? nnc_alloc((size_t)data->rows, sizeof *scores, 0) : NULL;
    nnc_status st = rows && (x || is_sparse) && y && out && predicted && sums &&
                    (scores || !binary) ? NNC_OK : NNC_ENOMEM;
    if (st == NNC_OK && is_sparse)
        st = nnc_sparse_batch_init(&sparse, data, batch);
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
        if (is_sparse) {
            st = nnc_sparse_batch_gather(&sparse, data, rows, n, y);
            if (st == NNC_OK)
                st = nnc_net_set_sparse(net, &sparse.rows);
        } else {
            st = nnc_dataset_gather(data, rows, n, x, y);
        }
        if (st == NNC_OK)
            st = nnc_predict(net, x, n, out);
        nnc_net_set_sparse(net, NULL);
        if (st == NNC_OK)
            st = nnc_loss_forward(loss, out, y, n, outs, &batch_loss);
        if (st != NNC_OK)
            break;
        nnc_tally_add(&t, data, loss, batch_loss, rows, n, out, y, predicted, confusion);
        for (int i = 0; binary && i < n; i++)
            scores[start + i] = (scored){ out[i], data->classes[start + i] == 1 };
    }
    if (st == NNC_OK)
        nnc_tally_finish(&t, data, loss, scales, metrics);
    if (st == NNC_OK && binary)
        metrics->roc_auc = roc_auc(scores, (size_t)data->rows);
    free(scores);
    free(rows);
    free(x);
    nnc_sparse_batch_release(&sparse);
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
    if (data->bytes != NULL || data->sparse_start != NULL) {
        /* image rows need converting, sparse ones a batch built: the general path */
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

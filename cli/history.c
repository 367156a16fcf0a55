/*
 * history.c - the training log and its pictures (see history.h).
 */
#include "history.h"

#include "args.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>

int history_on_epoch(const nnc_epoch_report *report, void *user)
{
    history *h = user;
    if (h->count == h->capacity) {
        int capacity = h->capacity ? 2 * h->capacity : 64;
        nnc_epoch_report *more = realloc(h->epochs, (size_t)capacity * sizeof *more);
        if (more == NULL) {
            fprintf(stderr, "nnc: out of memory recording the training history\n");
            return 1;
        }
        h->epochs = more;
        h->capacity = capacity;
    }
    h->epochs[h->count++] = *report;
    return h->display ? progress_on_epoch(report, h->display) : 0;
}

void history_on_batch(int epoch, int batch, int batches, double loss, void *user)
{
    history *h = user;
    if (h->display)
        progress_on_batch(epoch, batch, batches, loss, h->display);
}

void history_free(history *h)
{
    free(h->epochs);
    h->epochs = NULL;
    h->count = h->capacity = 0;
}

static void write_metrics(FILE *fp, const nnc_metrics *m, int classification)
{
    if (classification)
        fprintf(fp, ",%.9g,%.9g", m->loss, m->accuracy);
    else
        fprintf(fp, ",%.9g,%.9g,%.9g,%.9g", m->loss, m->mse, m->mae, m->r2);
}

int history_write_csv(const history *h, const char *path, int classification)
{
    nnc_atomic_file *file;
    if (nnc_atomic_open(path, &file) != NNC_OK)
        return fail_with_library_error();
    FILE *fp = nnc_atomic_stream(file);
    int has_val = h->count > 0 && h->epochs[0].has_val;
    static const char *const names[2][2] = {
        { ",train_loss,train_mse,train_mae,train_r2", ",val_loss,val_mse,val_mae,val_r2" },
        { ",train_loss,train_accuracy", ",val_loss,val_accuracy" },
    };
    fprintf(fp, "epoch,learning_rate%s%s\n", names[classification != 0][0],
            has_val ? names[classification != 0][1] : "");
    for (int i = 0; i < h->count; i++) {
        const nnc_epoch_report *r = &h->epochs[i];
        fprintf(fp, "%d,%.6g", r->epoch, r->learning_rate);
        write_metrics(fp, &r->train, classification);
        if (has_val)
            write_metrics(fp, &r->val, classification);
        fprintf(fp, "\n");
    }
    return nnc_atomic_commit(file) == NNC_OK ? 0 : fail_with_library_error();
}

/* One picture of a metric per epoch, training and (if any) validation. */
static int plot_metric(const history *h, const char *dir, const char *file, int accuracy)
{
    int n = h->count, has_val = h->epochs[0].has_val;
    double *x = malloc((size_t)n * 3 * sizeof *x);
    if (x == NULL) {
        fprintf(stderr, "nnc: out of memory\n");
        return 1;
    }
    double *train = x + n, *val = x + 2 * n;
    for (int i = 0; i < n; i++) {
        const nnc_epoch_report *r = &h->epochs[i];
        x[i] = r->epoch;
        train[i] = accuracy ? r->train.accuracy : r->train.loss;
        val[i] = accuracy ? r->val.accuracy : r->val.loss;
    }
    const double *ys[2] = { train, val };
    const char *names[2] = { "training", "validation" };
    char path[4096];
    int rc = join_path(path, sizeof path, dir, file);
    if (rc == 0 && nnc_plot_lines(path, x, ys, names, has_val ? 2 : 1, n, "Epoch",
                                  accuracy ? "Accuracy" : "Loss",
                                  accuracy ? "Accuracy per epoch" : "Loss per epoch") != NNC_OK)
        rc = fail_with_library_error();
    free(x);
    return rc;
}

int history_plot(const history *h, const char *dir, int classification)
{
    if (h->count < 2)
        return 0;   /* a single epoch makes no curve */
    if (plot_metric(h, dir, "loss.png", 0) != 0)
        return 1;
    return classification ? plot_metric(h, dir, "accuracy.png", 1) : 0;
}

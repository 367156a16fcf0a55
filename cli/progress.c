/*
 * progress.c - the training progress display (see progress.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include "json.h"

#include <time.h>
#include <unistd.h>

/* Redrawing the bar more often than this only costs time. */
#define DRAW_INTERVAL 0.1
#define BAR_WIDTH 24

double progress_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

void progress_start(progress *p, progress_mode mode, FILE *to, int rows, int batch_size,
                    int epochs, int classification)
{
    if (mode == PROGRESS_AUTO)
        mode = isatty(fileno(to)) ? PROGRESS_BAR : PROGRESS_PLAIN;
    p->mode = mode;
    p->to = to;
    p->rows = rows;
    p->batch_size = batch_size;
    p->epochs = epochs;
    p->classification = classification;
    p->started = p->epoch_started = progress_now();
    p->last_draw = 0.0;
    p->loss_sum = 0.0;
    p->loss_rows = 0;
}

static void format_duration(char *buf, size_t n, double seconds)
{
    long s = seconds < 0 ? 0 : (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, n, "%ld:%02ld", s / 60, s % 60);
}

void progress_on_batch(int epoch, int batch, int batches, double loss, void *user)
{
    progress *p = user;
    if (p->mode != PROGRESS_BAR)
        return;
    /* The epoch's running mean, each batch weighted by its rows, as Keras
     * shows it: the last batch alone jumps about. */
    if (batch == 1) {
        p->loss_sum = 0.0;
        p->loss_rows = 0;
    }
    int in_batch = batch < batches ? p->batch_size : p->rows - (batches - 1) * p->batch_size;
    p->loss_sum += loss * in_batch;
    p->loss_rows += in_batch;
    double now = progress_now();
    if (batch != batches && now - p->last_draw < DRAW_INTERVAL)
        return;
    p->last_draw = now;
    double elapsed = now - p->epoch_started;
    double done = batch == batches ? p->rows : (double)batch * p->batch_size;
    double rate = elapsed > 0 ? done / elapsed : 0.0;
    /* The whole run's share done so far, and what is left of it at this
     * pace: an upper bound, since early stopping may end it sooner. */
    double share = ((epoch - 1) + done / p->rows) / p->epochs;
    double all = now - p->started;
    char left[32], total[32];
    format_duration(left, sizeof left, rate > 0 ? (p->rows - done) / rate : 0.0);
    format_duration(total, sizeof total, share > 0 ? all / share * (1.0 - share) : 0.0);
    int filled = (int)((double)BAR_WIDTH * batch / batches);
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
    bar[BAR_WIDTH] = '\0';
    fprintf(p->to, "\r\033[Kepoch %d/%d [%s] %d/%d  loss %.4f  %.0f samples/s  %s left, "
                   "%s in all", epoch, p->epochs, bar, batch, batches,
            p->loss_sum / p->loss_rows, rate, left, total);
    fflush(p->to);
}

static void print_plain(const progress *p, const nnc_epoch_report *r, double seconds)
{
    fprintf(p->to, "epoch %d/%d  lr %.3g  loss %.4f", r->epoch, r->epochs, r->learning_rate,
            r->train.loss);
    if (p->classification)
        fprintf(p->to, "  acc %.4f", r->train.accuracy);
    else
        fprintf(p->to, "  mae %.4g  r2 %.4f", r->train.mae, r->train.r2);
    if (r->has_val) {
        fprintf(p->to, "  val_loss %.4f", r->val.loss);
        if (p->classification)
            fprintf(p->to, "  val_acc %.4f", r->val.accuracy);
        else
            fprintf(p->to, "  val_mae %.4g  val_r2 %.4f", r->val.mae, r->val.r2);
    }
    fprintf(p->to, "  %.2fs%s\n", seconds, r->best_epoch == r->epoch && r->has_val ? "  *" : "");
}

static void print_json(const progress *p, const nnc_epoch_report *r, double seconds)
{
    fprintf(p->to, "{\"epoch\":%d,\"epochs\":%d", r->epoch, r->epochs);
    json_pair(p->to, "learning_rate", r->learning_rate);
    json_pair(p->to, "loss", r->train.loss);
    if (p->classification) {
        json_pair(p->to, "accuracy", r->train.accuracy);
    } else {
        json_pair(p->to, "mse", r->train.mse);
        json_pair(p->to, "mae", r->train.mae);
        json_pair(p->to, "r2", r->train.r2);
    }
    if (r->has_val) {
        json_pair(p->to, "val_loss", r->val.loss);
        if (p->classification) {
            json_pair(p->to, "val_accuracy", r->val.accuracy);
        } else {
            json_pair(p->to, "val_mse", r->val.mse);
            json_pair(p->to, "val_mae", r->val.mae);
            json_pair(p->to, "val_r2", r->val.r2);
        }
    }
    fprintf(p->to, ",\"best_epoch\":%d", r->best_epoch);
    json_pair(p->to, "seconds", seconds);
    fputs("}\n", p->to);
}

int progress_on_epoch(const nnc_epoch_report *report, void *user)
{
    progress *p = user;
    double now = progress_now();
    double seconds = now - p->epoch_started;
    p->epoch_started = now;
    switch (p->mode) {
    case PROGRESS_BAR:
        fprintf(p->to, "\r\033[K");
        print_plain(p, report, seconds);
        break;
    case PROGRESS_PLAIN:
        print_plain(p, report, seconds);
        break;
    case PROGRESS_JSON:
        print_json(p, report, seconds);
        break;
    case PROGRESS_AUTO:
    case PROGRESS_QUIET:
        break;
    }
    fflush(p->to);
    return 0;
}

void progress_abort(progress *p)
{
    if (p->mode == PROGRESS_BAR) {   /* clear the half-drawn bar */
        fprintf(p->to, "\r\033[K");
        fflush(p->to);
    }
}

/*
 * progress.c - the training progress display (see progress.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"

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
                    int classification)
{
    if (mode == PROGRESS_AUTO)
        mode = isatty(fileno(to)) ? PROGRESS_BAR : PROGRESS_PLAIN;
    p->mode = mode;
    p->to = to;
    p->rows = rows;
    p->batch_size = batch_size;
    p->classification = classification;
    p->started = p->epoch_started = progress_now();
    p->last_draw = 0.0;
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
    double now = progress_now();
    if (batch != batches && now - p->last_draw < DRAW_INTERVAL)
        return;
    p->last_draw = now;
    double elapsed = now - p->epoch_started;
    double done = batch == batches ? p->rows : (double)batch * p->batch_size;
    double rate = elapsed > 0 ? done / elapsed : 0.0;
    char left[32];
    format_duration(left, sizeof left, rate > 0 ? (p->rows - done) / rate : 0.0);
    int filled = (int)((double)BAR_WIDTH * batch / batches);
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
    bar[BAR_WIDTH] = '\0';
    fprintf(p->to, "\r\033[Kepoch %d [%s] %d/%d  loss %.4f  %.0f samples/s  %s left", epoch,
            bar, batch, batches, loss, rate, left);
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
    fprintf(p->to, "{\"epoch\":%d,\"epochs\":%d,\"learning_rate\":%.9g,\"loss\":%.9g", r->epoch,
            r->epochs, r->learning_rate, r->train.loss);
    if (p->classification)
        fprintf(p->to, ",\"accuracy\":%.9g", r->train.accuracy);
    else
        fprintf(p->to, ",\"mse\":%.9g,\"mae\":%.9g,\"r2\":%.9g", r->train.mse, r->train.mae,
                r->train.r2);
    if (r->has_val) {
        fprintf(p->to, ",\"val_loss\":%.9g", r->val.loss);
        if (p->classification)
            fprintf(p->to, ",\"val_accuracy\":%.9g", r->val.accuracy);
        else
            fprintf(p->to, ",\"val_mse\":%.9g,\"val_mae\":%.9g,\"val_r2\":%.9g", r->val.mse,
                    r->val.mae, r->val.r2);
    }
    fprintf(p->to, ",\"best_epoch\":%d,\"seconds\":%.6f}\n", r->best_epoch, seconds);
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

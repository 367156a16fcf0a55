/*
 * progress.h - what `nnc train` shows while it works, on stderr.
 *
 * A live bar when stderr is a terminal (epoch, batch, loss, samples/s, time
 * left), one plain line per epoch when it is not (a log file, CI), one JSON
 * object per epoch for programs, or nothing.
 */
#ifndef NNC_CLI_PROGRESS_H
#define NNC_CLI_PROGRESS_H

#include "nnc.h"

#include <stdio.h>

typedef enum progress_mode { PROGRESS_AUTO, PROGRESS_BAR, PROGRESS_PLAIN, PROGRESS_JSON,
                             PROGRESS_QUIET } progress_mode;

typedef struct progress {
    progress_mode mode;   /* never AUTO once started */
    FILE *to;
    int rows;             /* training rows per epoch */
    int batch_size;
    int epochs;           /* at most this many */
    int classification;
    double started;       /* seconds, monotonic */
    double epoch_started;
    double last_draw;
    double loss_sum;      /* this epoch's batch losses times their rows */
    long loss_rows;
} progress;

/* Chooses the mode (AUTO: a bar on a terminal, plain lines otherwise). */
void progress_start(progress *p, progress_mode mode, FILE *to, int rows, int batch_size,
                    int epochs, int classification);

/* nnc_fit's callbacks; user is the progress. */
void progress_on_batch(int epoch, int batch, int batches, double loss, void *user);
int progress_on_epoch(const nnc_epoch_report *report, void *user);

/* Ends the display of a run that stopped part-way (clears a bar's line). */
void progress_abort(progress *p);

/* Seconds on a monotonic clock. */
double progress_now(void);

#endif

/*
 * history.h - the per-epoch record of a training run, and what is made from
 * it: the training log CSV and the loss and accuracy pictures.
 */
#ifndef NNC_CLI_HISTORY_H
#define NNC_CLI_HISTORY_H

#include "nnc.h"

#include "progress.h"

typedef struct history {
    nnc_epoch_report *epochs;
    int count;
    int capacity;
    progress *display;   /* shown each epoch too */
} history;

/* nnc_fit's epoch callback: records the report and passes it to the display.
 * Returns non-zero (stopping training) only if memory runs out. */
int history_on_epoch(const nnc_epoch_report *report, void *user);

/* nnc_fit's batch callback: passes the batch on to the display. */
void history_on_batch(int epoch, int batch, int batches, double loss, void *user);

void history_free(history *h);

/* Writes the per-epoch metrics as CSV (atomically); 0 or 1 after a message. */
int history_write_csv(const history *h, const char *path, int classification);

/* Draws loss.png and, for classification, accuracy.png into dir. */
int history_plot(const history *h, const char *dir, int classification);

#endif

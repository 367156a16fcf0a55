/*
 * train/loader.h - an epoch's batches, the next one gathered while the
 * current one trains.
 *
 * Turning a shuffled batch's rows into floats (nnc_dataset_gather) is
 * memory-bound work of about 6 % of an MLP's step at batch 256; a second
 * thread does it for batch b + 1 into a second pair of buffers while the
 * step of batch b runs, so the step never waits for it. The gather is a pure
 * function of the rows, so the batches are the same floats, and a fit the
 * same bits, as with no thread. Where a thread cannot be started, an epoch
 * has one batch, or a batch is small, the loader gathers in the caller's
 * thread.
 */
#ifndef NNC_LOADER_H
#define NNC_LOADER_H

#include "data/data.h"

#include <pthread.h>

/* A batch of fewer floats is gathered in the caller's thread: handing it to
 * the other thread and back costs more than the gather (at batch 1 of
 * Fashion-MNIST, 784 floats, a thread made nnc_fit ten times slower). */
#define NNC_LOADER_MIN_FLOATS 16384

typedef struct nnc_loader {
    const nnc_dataset *data;
    const size_t *order;        /* the epoch's row order */
    int rows, batch, batches;
    float *x[2], *y[2];         /* batch b lives in buffer b % 2 */
    nnc_sparse_batch sparse[2]; /* the same for a sparse set (x then NULL) */
    int is_sparse;
    int threaded;               /* a loader thread runs */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int wanted;                 /* the batch the thread is to gather next; -1 none */
    int ready;                  /* the last batch gathered */
    int stop;
    nnc_status failed;          /* the thread's gather's status (then redone here) */
} nnc_loader;

/* Buffers for batches of up to `batch` rows with `inputs` and `targets`
 * values each: 2 x (x, y). */
nnc_status nnc_loader_init(nnc_loader *l, const nnc_dataset *data, int batch);
void nnc_loader_release(nnc_loader *l);

/* Starts an epoch over `order` (rows indices of data): gathers batch 0 and
 * sets the thread to batch 1. */
nnc_status nnc_loader_start(nnc_loader *l, const size_t *order);

/* Batch b's floats (b counts up from 0, one call each): waits for them,
 * then has the thread start on batch b + 1. *n is the batch's rows. For a
 * sparse set *x is NULL and *sparse the batch's rows (else NULL). The
 * buffers stay valid until the next call. */
nnc_status nnc_loader_next(nnc_loader *l, int b, const float **x,
                           const nnc_sparse_rows **sparse, const float **y, int *n);

/* Ends the epoch: the thread stops and is joined. Safe after a failure and
 * without a start. */
void nnc_loader_finish(nnc_loader *l);

#endif

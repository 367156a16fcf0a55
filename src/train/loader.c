/*
 * loader.c - the next batch gathered beside the current step: see loader.h.
 */
#include "train/loader.h"

#include <stdlib.h>
#include <string.h>

static int rows_of(const nnc_loader *l, int b)
{
    int start = b * l->batch;
    return l->rows - start < l->batch ? l->rows - start : l->batch;
}

static nnc_status gather(nnc_loader *l, int b)
{
    if (l->is_sparse)
        return nnc_sparse_batch_gather(&l->sparse[b % 2], l->data,
                                       l->order + (size_t)b * (size_t)l->batch, rows_of(l, b),
                                       l->y[b % 2]);
    return nnc_dataset_gather(l->data, l->order + (size_t)b * (size_t)l->batch, rows_of(l, b),
                              l->x[b % 2], l->y[b % 2]);
}

nnc_status nnc_loader_init(nnc_loader *l, const nnc_dataset *data, int batch)
{
    memset(l, 0, sizeof *l);
    l->data = data;
    l->rows = nnc_dataset_rows(data);
    l->batch = batch;
    l->batches = (l->rows + batch - 1) / batch;
    size_t in = (size_t)nnc_dataset_inputs(data), out = (size_t)nnc_dataset_targets(data);
    l->is_sparse = data->sparse_start != NULL;
    for (int i = 0; i < 2; i++) {
        nnc_status st = NNC_OK;
        if (l->is_sparse)
            st = nnc_sparse_batch_init(&l->sparse[i], data, batch);
        else
            l->x[i] = nnc_alloc_aligned((size_t)batch, in * sizeof(float), 0);
        l->y[i] = nnc_alloc((size_t)batch, out * sizeof(float), 0);
        if (st != NNC_OK || (!l->is_sparse && l->x[i] == NULL) || l->y[i] == NULL) {
            nnc_loader_release(l);
            return NNC_ENOMEM;
        }
    }
    return NNC_OK;
}

void nnc_loader_release(nnc_loader *l)
{
    for (int i = 0; i < 2; i++) {
        free(l->x[i]);
        free(l->y[i]);
        nnc_sparse_batch_release(&l->sparse[i]);
        l->x[i] = l->y[i] = NULL;
    }
}

static void *loader_main(void *arg)
{
    nnc_loader *l = arg;
    pthread_mutex_lock(&l->lock);
    for (;;) {
        while (l->wanted < 0 && !l->stop)
            pthread_cond_wait(&l->changed, &l->lock);
        if (l->stop)
            break;
        int b = l->wanted;
        l->wanted = -1;
        pthread_mutex_unlock(&l->lock);
        nnc_status st = gather(l, b);
        pthread_mutex_lock(&l->lock);
        if (st != NNC_OK)
            l->failed = st;
        l->ready = b;
        pthread_cond_broadcast(&l->changed);
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

nnc_status nnc_loader_start(nnc_loader *l, const size_t *order)
{
    l->order = order;
    l->threaded = 0;
    nnc_status st = gather(l, 0);
    /* A sparse batch is a few copies of its non-zeros: no thread needed. */
    if (st != NNC_OK || l->batches < 2 || l->is_sparse ||
        (size_t)l->batch * (size_t)nnc_dataset_inputs(l->data) < NNC_LOADER_MIN_FLOATS)
        return st;
    l->wanted = 1;
    l->ready = 0;
    l->stop = 0;
    l->failed = NNC_OK;
    if (pthread_mutex_init(&l->lock, NULL) != 0)
        return NNC_OK;   /* no thread: each batch is gathered when asked for */
    if (pthread_cond_init(&l->changed, NULL) != 0) {
        pthread_mutex_destroy(&l->lock);
        return NNC_OK;
    }
    if (pthread_create(&l->thread, NULL, loader_main, l) != 0) {
        pthread_cond_destroy(&l->changed);
        pthread_mutex_destroy(&l->lock);
        return NNC_OK;
    }
    l->threaded = 1;
    return NNC_OK;
}

nnc_status nnc_loader_next(nnc_loader *l, int b, const float **x,
                           const nnc_sparse_rows **sparse, const float **y, int *n)
{
    nnc_status st = NNC_OK;
    if (b > 0 && !l->threaded) {
        st = gather(l, b);
    } else if (b > 0) {
        pthread_mutex_lock(&l->lock);
        while (l->ready < b)
            pthread_cond_wait(&l->changed, &l->lock);
        int failed = l->failed != NNC_OK;
        /* Batch b - 1's buffers are free: its step is done. */
        if (!failed && b + 1 < l->batches) {
            l->wanted = b + 1;
            pthread_cond_broadcast(&l->changed);
        }
        pthread_mutex_unlock(&l->lock);
        /* The thread's message went to its own nnc_last_error: the same
         * gather again here records it for the caller. */
        if (failed)
            st = gather(l, b);
    }
    *x = l->x[b % 2];
    *sparse = l->is_sparse ? &l->sparse[b % 2].rows : NULL;
    *y = l->y[b % 2];
    *n = rows_of(l, b);
    return st;
}

void nnc_loader_finish(nnc_loader *l)
{
    if (!l->threaded)
        return;
    pthread_mutex_lock(&l->lock);
    l->stop = 1;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->lock);
    pthread_join(l->thread, NULL);
    pthread_cond_destroy(&l->changed);
    pthread_mutex_destroy(&l->lock);
    l->threaded = 0;
}

/*
 * internal.h - what the library's files share and callers never see.
 */
#ifndef NNC_INTERNAL_H
#define NNC_INTERNAL_H

#include "nnc.h"

#include <stddef.h>

/* Records a failure for nnc_last_error() and returns its status, so a check
 * reads: if (bad) return nnc_fail(NNC_EINVAL, "rows must be >= 1, got %d", rows); */
nnc_status nnc_fail(nnc_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* malloc of count * size bytes that refuses, with NNC_ENOMEM recorded, when the
 * product overflows or the allocation fails. calloc semantics when zero is set. */
void *nnc_alloc(size_t count, size_t size, int zero);

/* count * size, or 0 with NNC_ENOMEM recorded if the product overflows. */
int nnc_mul_overflows(size_t count, size_t size, size_t *product);

/* One dense layer inside a network: where its parameters and its values live.
 * Offsets are into the network's parameter and gradient blocks. */
typedef struct nnc_layer {
    int inputs;
    int units;
    nnc_activation act;
    size_t weight_offset;   /* W: units x inputs */
    size_t bias_offset;     /* b: units */
} nnc_layer;

/* A dense layer's forward pass over a batch: z = x W^T + b, out = act(z).
 * x is rows x inputs; z and out are rows x units (they may be the same
 * buffer for every activation but softmax). */
void nnc_dense_forward(const nnc_layer *layer, const float *w, const float *b,
                       const float *x, int rows, float *z, float *out);

/* A dense layer's backward pass, given dz = d loss / d z (rows x units):
 * dw += dz^T x, db += column sums of dz, and, if dx is not NULL,
 * dx = dz W (rows x inputs). */
void nnc_dense_backward(const nnc_layer *layer, const float *w, const float *x,
                        const float *dz, int rows, float *dw, float *db, float *dx);

/* Internal access used by training: the loss gradient with respect to the
 * output layer's pre-activation z, fused for the pairs where that is both
 * simpler and more exact (softmax + cross-entropy, sigmoid + binary CE). */
int nnc_loss_fuses_with(nnc_loss loss, nnc_activation act);
void nnc_loss_fused_backward(nnc_loss loss, const float *pred, const float *target,
                             int rows, int cols, float *dz);

/* Creates a new, empty file with a unique name beside path (same directory,
 * so a later rename over path is atomic). The caller frees *tmp and closes *fd. */
nnc_status nnc_temp_beside(const char *path, char **tmp, int *fd);

/* Checks that a batch call has sane arguments; records and returns a status. */
nnc_status nnc_check_rows(const char *what, int rows);

#endif /* NNC_INTERNAL_H */

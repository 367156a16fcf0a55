/*
 * dense.c - the fully connected layer: forward and backward as matrix products.
 *
 * Shapes below: B rows in the batch, I inputs (`in` in the code, since <cblas.h>
 * brings <complex.h> and its macro I), U units.
 *   forward:  z (B x U) = x (B x I) W^T (I x U) + b,   out = act(z)
 *   backward: dW (U x I) += dz^T (U x B) x (B x I)      the tutorial's dlayer1_dweights
 *             db (U)     += sum over rows of dz         dlayer1_dbias = 1
 *             dx (B x I)  = dz (B x U) W (U x I)        the chain to the layer below
 * The transposes are folded into the CBLAS calls; nothing is copied.
 */
#include "internal.h"

#include <cblas.h>

double nnc_dot(const float *a, const float *b, int n)
{
    double sum = 0.0;
    if (a == NULL || b == NULL)
        return 0.0;
    for (int i = 0; i < n; i++)
        sum += (double)a[i] * b[i];
    return sum;
}

void nnc_dense_forward(const nnc_layer *layer, const float *w, const float *b,
                       const float *x, int rows, float *z, float *out)
{
    const int in = layer->inputs, units = layer->units;
    /* Start every row of z from the bias, then accumulate x W^T onto it. */
    for (int r = 0; r < rows; r++) {
        float *zr = z + (size_t)r * units;
        for (int u = 0; u < units; u++)
            zr[u] = b[u];
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, units, in, 1.0f, x, in, w, in,
                1.0f, z, units);
    /* Arguments were validated by the network; this cannot fail. */
    (void)nnc_activation_forward(layer->act, z, out, rows, units);
}

void nnc_dense_backward(const nnc_layer *layer, const float *w, const float *x,
                        const float *dz, int rows, float *dw, float *db, float *dx)
{
    const int in = layer->inputs, units = layer->units;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, units, in, rows, 1.0f, dz, units, x, in,
                1.0f, dw, in);
    for (int r = 0; r < rows; r++) {
        const float *dzr = dz + (size_t)r * units;
        for (int u = 0; u < units; u++)
            db[u] += dzr[u];
    }
    if (dx != NULL)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, in, units, 1.0f, dz, units, w,
                    in, 0.0f, dx, in);
}

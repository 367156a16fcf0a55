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
 *
 * Three sizes, three ways, because a BLAS call costs a fixed overhead that
 * dominates small work: tiny layers (the tutorial's 2 -> 1) use plain loops,
 * a single row uses a matrix-vector loop of our own forward (and sger/sgemv
 * backward, unless the SGD step is fused), and batches use sgemm.
 */
#include "nn/nn.h"

#include <cblas.h>

#include <stdint.h>
#include <string.h>

/* At or below this many multiply-adds a layer is computed with plain loops. */
#define TINY_WORK 4096

double nnc_dot(const float *a, const float *b, int n)
{
    double sum = 0.0;
    if (a == NULL || b == NULL)
        return 0.0;
    for (int i = 0; i < n; i++)
        sum += (double)a[i] * b[i];
    return sum;
}

static int is_tiny(int rows, int in, int units)
{
    return (long)rows * in * units <= TINY_WORK;
}

/* Blocks of eight inputs, for skipping the ones that are all zero. */
#define MAX_BLOCKS 1024

/* The starts of the 8-input blocks of x holding a non-zero value, into
 * start (room for in / 8 entries); returns how many. Images have wide zero
 * margins, and a block of zeros adds nothing to any unit: skipping it saves
 * reading that part of every weight row, which is what a single prediction's
 * time is spent on. */
static int live_blocks(const float *x, int in, int *start)
{
    /* A float is zero (+0 or -0) exactly when its bits but the sign are all
     * clear: one test on the OR of a block's bits, not eight comparisons. */
    const uint64_t no_signs = 0x7fffffff7fffffffu;
    int n = 0;
    for (int i = 0; i + 8 <= in; i += 8) {
        uint64_t bits[4];
        memcpy(bits, x + i, sizeof bits);
        if (((bits[0] | bits[1] | bits[2] | bits[3]) & no_signs) != 0)
            start[n++] = i;
    }
    return n;
}

#if defined(__GNUC__)
/* Eight floats as one value: GCC and Clang turn arithmetic on it into SIMD
 * instructions (two SSE halves, one AVX register, half an AVX-512 one). */
typedef float vec8 __attribute__((vector_size(32)));

/* Loads and sums as macros, not functions: a function passing a vector by
 * value has an ABI that depends on the instruction set (-Wpsabi), and the
 * portable build must not care. memcpy is unaligned-safe and compiles to one
 * load. */
#define LOAD8(dst, p) memcpy(&(dst), (p), sizeof(vec8))
#define SUM8(v) (((v)[0] + (v)[1]) + ((v)[2] + (v)[3]) + (((v)[4] + (v)[5]) + ((v)[6] + (v)[7])))

/* z += W x for one row, four rows of W at a time: four independent chains
 * of vector multiply-adds hide their latency. Our own loop rather than
 * sgemv, whose threads only cost time at this size. */
static void gemv_rows(const float *restrict w, const float *restrict x, int in, int units,
                      float *restrict z)
{
    int start[MAX_BLOCKS];
    int listed = in / 8 <= MAX_BLOCKS;   /* wider inputs are not worth listing */
    int blocks = listed ? live_blocks(x, in, start) : in / 8;
    int tail = in - in % 8;
    int u = 0;
    for (; u + 4 <= units; u += 4) {
        const float *w0 = w + (size_t)u * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
        vec8 s0 = { 0 }, s1 = { 0 }, s2 = { 0 }, s3 = { 0 };
        for (int b = 0; b < blocks; b++) {
            int i = listed ? start[b] : 8 * b;
            vec8 xi, a, b, c, d;
            LOAD8(xi, x + i);
            LOAD8(a, w0 + i);
            LOAD8(b, w1 + i);
            LOAD8(c, w2 + i);
            LOAD8(d, w3 + i);
            s0 += a * xi;
            s1 += b * xi;
            s2 += c * xi;
            s3 += d * xi;
        }
        float t0 = SUM8(s0), t1 = SUM8(s1), t2 = SUM8(s2), t3 = SUM8(s3);
        for (int i = tail; i < in; i++) {
            t0 += w0[i] * x[i];
            t1 += w1[i] * x[i];
            t2 += w2[i] * x[i];
            t3 += w3[i] * x[i];
        }
        z[u] += t0;
        z[u + 1] += t1;
        z[u + 2] += t2;
        z[u + 3] += t3;
    }
    for (; u < units; u++) {
        const float *wu = w + (size_t)u * in;
        float t = 0.0f;
        for (int i = 0; i < in; i++)
            t += wu[i] * x[i];
        z[u] += t;
    }
}
#else
static void gemv_rows(const float *w, const float *x, int in, int units, float *z)
{
    cblas_sgemv(CblasRowMajor, CblasNoTrans, units, in, 1.0f, w, in, x, 1, 1.0f, z, 1);
}
#endif

static void forward_loops(const float *w, const float *b, const float *x, int rows, int in,
                          int units, float *z)
{
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * in;
        float *zr = z + (size_t)r * units;
        for (int u = 0; u < units; u++) {
            const float *wu = w + (size_t)u * in;
            float sum = b[u];
            for (int i = 0; i < in; i++)
                sum += wu[i] * xr[i];
            zr[u] = sum;
        }
    }
}

void nnc_dense_forward(const nnc_layer *layer, const float *w, const float *b,
                       const float *x, int rows, float *z, float *out)
{
    const int in = layer->inputs, units = layer->units;
    if (is_tiny(rows, in, units) && (rows > 1 || in < 8)) {
        forward_loops(w, b, x, rows, in, units, z);
    } else {
        /* Start every row of z from the bias, then accumulate x W^T onto it. */
        for (int r = 0; r < rows; r++) {
            float *zr = z + (size_t)r * units;
            for (int u = 0; u < units; u++)
                zr[u] = b[u];
        }
        if (rows == 1)
            gemv_rows(w, x, in, units, z);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, units, in, 1.0f, x, in,
                        w, in, 1.0f, z, units);
    }
    nnc_activate(layer->act, z, out, rows, units);
}

static void backward_loops(const float *w, const float *x, const float *dz, int rows, int in,
                           int units, float *dw, float *dx)
{
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * in, *dzr = dz + (size_t)r * units;
        for (int u = 0; u < units; u++) {
            float *dwu = dw + (size_t)u * in;
            for (int i = 0; i < in; i++)
                dwu[i] += dzr[u] * xr[i];
        }
    }
    if (dx == NULL)
        return;
    for (int r = 0; r < rows; r++) {
        const float *dzr = dz + (size_t)r * units;
        float *dxr = dx + (size_t)r * in;
        for (int i = 0; i < in; i++)
            dxr[i] = 0.0f;
        for (int u = 0; u < units; u++)
            for (int i = 0; i < in; i++)
                dxr[i] += dzr[u] * w[(size_t)u * in + i];
    }
}

void nnc_dense_backward(const nnc_layer *layer, const float *w, const float *x,
                        const float *dz, int rows, float *dw, float *db, float *dx)
{
    const int in = layer->inputs, units = layer->units;
    for (int r = 0; r < rows; r++) {
        const float *dzr = dz + (size_t)r * units;
        for (int u = 0; u < units; u++)
            db[u] += dzr[u];
    }
    if (is_tiny(rows, in, units)) {
        backward_loops(w, x, dz, rows, in, units, dw, dx);
    } else if (rows == 1) {
        cblas_sger(CblasRowMajor, units, in, 1.0f, dz, 1, x, 1, dw, in);
        if (dx != NULL)
            cblas_sgemv(CblasRowMajor, CblasTrans, units, in, 1.0f, w, in, dz, 1, 0.0f, dx, 1);
    } else {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, units, in, rows, 1.0f, dz, units,
                    x, in, 1.0f, dw, in);
        if (dx != NULL)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, in, units, 1.0f, dz,
                        units, w, in, 0.0f, dx, in);
    }
}

void nnc_dense_unit_sgd(float *restrict w, float *restrict b, const float *restrict x, int in,
                        float d, float learning_rate, float *restrict dx)
{
    float step = learning_rate * d;
    *b -= step;
    if (dx != NULL) {
        for (int i = 0; i < in; i++) {
            dx[i] += w[i] * d;   /* the old weight carries the chain down */
            w[i] -= step * x[i];
        }
    } else {
        for (int i = 0; i < in; i++)
            w[i] -= step * x[i];
    }
}

void nnc_dense_sgd_single(const nnc_layer *layer, float *restrict w, float *restrict b,
                          const float *restrict x, const float *restrict dz, float learning_rate,
                          float *restrict dx)
{
    const int in = layer->inputs, units = layer->units;
    if (dx != NULL)
        memset(dx, 0, (size_t)in * sizeof *dx);
    for (int u = 0; u < units; u++) {
        /* A unit with no gradient (a silent ReLU) changes nothing: skip its row. */
        if (dz[u] != 0.0f)
            nnc_dense_unit_sgd(w + (size_t)u * in, b + u, x, in, dz[u], learning_rate, dx);
    }
}

void nnc_dense_sgd(const nnc_layer *layer, float *w, float *b, const float *x, const float *dz,
                   int rows, float learning_rate, float *dx)
{
    const int in = layer->inputs, units = layer->units;
    if (rows == 1) {
        nnc_dense_sgd_single(layer, w, b, x, dz, learning_rate, dx);
        return;
    }
    /* dx from the old weights first; then W -= lr dz^T x straight into W,
     * with the step folded into sgemm's alpha and beta = 1. */
    if (is_tiny(rows, in, units)) {
        for (int r = 0; r < rows; r++) {
            const float *dzr = dz + (size_t)r * units;
            float *dxr = dx ? dx + (size_t)r * in : NULL;
            for (int i = 0; dxr && i < in; i++)
                dxr[i] = 0.0f;
            for (int u = 0; dxr && u < units; u++)
                for (int i = 0; i < in; i++)
                    dxr[i] += dzr[u] * w[(size_t)u * in + i];
        }
        for (int r = 0; r < rows; r++) {
            const float *xr = x + (size_t)r * in, *dzr = dz + (size_t)r * units;
            for (int u = 0; u < units; u++)
                for (int i = 0; i < in; i++)
                    w[(size_t)u * in + i] -= learning_rate * dzr[u] * xr[i];
        }
    } else {
        if (dx != NULL)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, in, units, 1.0f, dz,
                        units, w, in, 0.0f, dx, in);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, units, in, rows, -learning_rate,
                    dz, units, x, in, 1.0f, w, in);
    }
    for (int r = 0; r < rows; r++) {
        const float *dzr = dz + (size_t)r * units;
        for (int u = 0; u < units; u++)
            b[u] -= learning_rate * dzr[u];
    }
}

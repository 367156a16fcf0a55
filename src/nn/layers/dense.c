/*
 * dense.c - the fully connected layer: forward and backward as matrix products.
 *
 * Shapes below: B rows in the batch, I inputs (`in` in the code, since <cblas.h>
 * brings <complex.h> and its macro I), U units.
 *   forward:  z (B x U) = x (B x I) W^T (I x U) + b    (the network applies act)
 *   backward: dW (U x I) += dz^T (U x B) x (B x I)      the tutorial's dlayer1_dweights
 *             db (U)     += sum over rows of dz         dlayer1_dbias = 1
 *             dx (B x I)  = dz (B x U) W (U x I)        the chain to the layer below
 * The transposes are folded into the CBLAS calls; nothing is copied.
 *
 * Three sizes, three ways, because a BLAS call costs a fixed overhead that
 * dominates small work: tiny layers (the tutorial's 2 -> 1) use plain loops,
 * a single row uses a matrix-vector loop of our own forward (and sger/sgemv
 * backward, unless the SGD step is fused), and batches use sgemm.
 *
 * Parameters: "weight" W (units x inputs, row-major, decays), then "bias" b.
 * Any input shape is read as one vector of its C x H x W values.
 *
 * A sparse input (nnc_pass.sparse, the first layer of a bag of words) is a
 * fourth way, taken before the others whatever the size: the same sums over
 * the rows' non-zeros alone, so a pass costs non-zeros x units, never
 * inputs x units (see "sparse input" below).
 *
 * A first layer meant for sparse rows keeps W input by input instead
 * (by_input: inputs x units, nnc_net_set_by_input), so that a non-zero's
 * weights are one run of `units` floats; its dense passes are then the
 * same products with the transposes the other way round, through sgemm.
 */
#include "nn/layer.h"
#include "nn/nn.h"

#include <cblas.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
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
NNC_KERNEL_CLONES
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

/* ------------------------------------------------------------ sparse input */

/*
 * The rows' non-zeros (CSR: row r's are value[start[r] .. start[r + 1]) at
 * the inputs index[...]) against W. All three kernels go unit by unit, and
 * within a unit over the batch's non-zeros in order: W's row u is one
 * stretch of `in` floats, and the batch's columns in it are gathered from
 * there, a word shared by many rows hitting the line just read. Row by row
 * instead, each non-zero would read `units` weights `in` floats apart, a
 * page each for a vocabulary's width. z and dz (rows x units) are small
 * and stay in cache either way. Nothing is allocated, sorted or copied.
 */

/* z = b + the non-zeros times W^T, four units at a time: four independent
 * sums share each index and value loaded. A row's sum runs in the order of
 * its non-zeros, as the dense loops' does over all inputs (whose zeros add
 * nothing), from the bias. */
static void sparse_forward(const float *w, const float *b, const nnc_sparse_rows *s, int rows,
                           int in, int units, float *z)
{
    const size_t *start = s->start;
    const int *index = s->index;
    const float *value = s->value;
    int u = 0;
    for (; u + 4 <= units; u += 4) {
        const float *w0 = w + (size_t)u * in, *w1 = w0 + in, *w2 = w1 + in, *w3 = w2 + in;
        for (int r = 0; r < rows; r++) {
            float s0 = b[u], s1 = b[u + 1], s2 = b[u + 2], s3 = b[u + 3];
            for (size_t j = start[r]; j < start[r + 1]; j++) {
                const int k = index[j];
                const float v = value[j];
                s0 += v * w0[k];
                s1 += v * w1[k];
                s2 += v * w2[k];
                s3 += v * w3[k];
            }
            float *zr = z + (size_t)r * units + u;
            zr[0] = s0;
            zr[1] = s1;
            zr[2] = s2;
            zr[3] = s3;
        }
    }
    for (; u < units; u++) {
        const float *wu = w + (size_t)u * in;
        for (int r = 0; r < rows; r++) {
            float sum = b[u];
            for (size_t j = start[r]; j < start[r + 1]; j++)
                sum += value[j] * wu[index[j]];
            z[(size_t)r * units + u] = sum;
        }
    }
}

/* The fused plain step of a sparse pass: W[u, k] -= rate * dz[r, u] * value
 * for each non-zero (r, k, value), straight into W (the sum over rows of
 * the update, added a row at a time; the forward pass is done, and no dx
 * is asked for, so nothing reads the old weights). Only the batch's
 * columns of W are touched: the others' gradients are 0. */
static void sparse_weight_step(const nnc_sparse_rows *s, const float *dz, int rows, int in,
                               int units, float rate, float *dw)
{
    const size_t *start = s->start;
    const int *index = s->index;
    const float *value = s->value;
    for (int u = 0; u < units; u++) {
        float *dwu = dw + (size_t)u * in;
        for (int r = 0; r < rows; r++) {
            float d = dz[(size_t)r * units + u];
            if (d == 0.0f)   /* a silent ReLU unit adds nothing: skip its non-zeros */
                continue;
            d = -(rate * d);
            for (size_t j = start[r]; j < start[r + 1]; j++)
                dwu[index[j]] += d * value[j];
        }
    }
}

/* The same two kernels for W kept inputs x units (by_input): each non-zero
 * reads or writes one contiguous run of `units` weights, which the loop
 * over units vectorises, instead of `units` lines a vocabulary apart. The
 * sums run in the same order as above (from the bias, a row's non-zeros in
 * turn; a weight's updates row by row), so both layouts give the same bits. */
/* How many non-zeros ahead the kernels ask for a word's weights: at a
 * vocabulary's width each is a miss to memory, and waiting for them one at
 * a time made 50,000 words cost three times what 5,000 did. */
#define WORDS_AHEAD 16

/* Asks for the `units` floats at w + index[j] * units, if j is a non-zero. */
static inline void prefetch_word(const float *w, const nnc_sparse_rows *s, size_t j,
                                 size_t end, int units, int write)
{
#if defined(__GNUC__)
    if (j < end) {
        const float *at = w + (size_t)s->index[j] * (size_t)units;
        for (int u = 0; u < units; u += 16) {
            if (write)
                __builtin_prefetch(at + u, 1);
            else
                __builtin_prefetch(at + u, 0);
        }
    }
#else
    (void)w, (void)s, (void)j, (void)end, (void)units, (void)write;
#endif
}

NNC_KERNEL_CLONES NNC_NO_UNROLL_AND_JAM
static void sparse_forward_by_input(const float *restrict w, const float *restrict b,
                                    const nnc_sparse_rows *s, int rows, int units,
                                    float *restrict z)
{
    const size_t end = s->start[rows];
    for (int r = 0; r < rows; r++) {
        float *zr = z + (size_t)r * units;
        memcpy(zr, b, (size_t)units * sizeof *zr);
        for (size_t j = s->start[r]; j < s->start[r + 1]; j++) {
            prefetch_word(w, s, j + WORDS_AHEAD, end, units, 0);
            const float *wk = w + (size_t)s->index[j] * (size_t)units;
            const float v = s->value[j];
            for (int u = 0; u < units; u++)
                zr[u] += v * wk[u];
        }
    }
}

NNC_KERNEL_CLONES
static void sparse_weight_step_by_input(const nnc_sparse_rows *s, const float *restrict dz,
                                        int rows, int units, float rate, float *restrict dw)
{
    const size_t end = s->start[rows];
    for (int r = 0; r < rows; r++) {
        const float *dzr = dz + (size_t)r * units;
        for (size_t j = s->start[r]; j < s->start[r + 1]; j++) {
            prefetch_word(dw, s, j + WORDS_AHEAD, end, units, 1);
            float *dwk = dw + (size_t)s->index[j] * (size_t)units;
            const float v = s->value[j];
            for (int u = 0; u < units; u++)
                dwk[u] += -(rate * dzr[u]) * v;
        }
    }
}

/* A sparse pass's weight gradients, into their own block column by column
 * (nnc_pass.column_grads): cg[c, u] = the sum of dz[r, u] * value over the
 * non-zeros (r, k, value) of column place c (slot; the first sets, the
 * rest add). Row by row, as the steps above, so each gradient is the same
 * sum in the same order whichever layout W has; the block is the batch's
 * columns alone, one small run that stays in cache, where W's rows were
 * each a miss to memory. */
NNC_KERNEL_CLONES
static void column_gradients(const nnc_sparse_rows *s, const int *restrict slot,
                             const float *restrict dz, int rows, int units, float *restrict cg)
{
    for (int r = 0; r < rows; r++) {
        const float *dzr = dz + (size_t)r * units;
        for (size_t j = s->start[r]; j < s->start[r + 1]; j++) {
            const float v = s->value[j];
            if (slot[j] < 0) {
                float *gc = cg + (size_t)~slot[j] * (size_t)units;
                for (int u = 0; u < units; u++)
                    gc[u] = dzr[u] * v;
            } else {
                float *gc = cg + (size_t)slot[j] * (size_t)units;
                for (int u = 0; u < units; u++)
                    gc[u] += dzr[u] * v;
            }
        }
    }
}

/* db += colsum(dz), or with rate > 0 b -= rate * dz row by row (as the dense
 * step does). */
static void bias_step(const float *dz, int rows, int units, float rate, float *db)
{
    for (int r = 0; r < rows; r++) {
        const float *dzr = dz + (size_t)r * units;
        if (rate > 0.0f)
            for (int u = 0; u < units; u++)
                db[u] -= rate * dzr[u];
        else
            for (int u = 0; u < units; u++)
                db[u] += dzr[u];
    }
}

/* ------------------------------------------------------------ the contract */

/* W (units x inputs, row-major) then b (units) in the layer's parameters. */
static const float *weights(const nnc_layer *layer, const float *params)
{
    (void)layer;
    return params;
}

static size_t bias_at(const nnc_layer *layer)
{
    return (size_t)layer->outputs * (size_t)layer->inputs;
}

static nnc_status dense_parse(void *config, const nnc_layer_args *args)
{
    nnc_dense_config *c = config;
    if (args->count == 0)
        return nnc_layer_arg_fail(args, args->item_column,
                                  "a dense layer needs its width, as dense:64 or dense:64:relu");
    if (args->count > 1)
        return nnc_layer_arg_fail(args, args->column[1],
                                  "'%.*s' is neither an activation (identity, sigmoid, tanh, "
                                  "relu, softmax) nor a field a dense layer has: it takes "
                                  "only its width",
                                  (int)args->len[1], args->text[1]);
    c->by_input = 0;   /* the layout is the network's choice, not the grammar's */
    return nnc_layer_arg_int(args, 0, "the width", 1, NNC_MAX_WIDTH, &c->units);
}

static int dense_describe(const void *config, char *buf, size_t n)
{
    const nnc_dense_config *c = config;
    return snprintf(buf, n, "dense:%d", c->units);
}

/* The model file's form: the width, a u32; then, for weights kept input
 * by input, a second u32, 1 (so every earlier file reads as before). */
static size_t dense_encode(const void *config, unsigned char *out)
{
    const nnc_dense_config *c = config;
    if (out != NULL) {
        nnc_le_put(out, (uint32_t)c->units, 4);
        if (c->by_input)
            nnc_le_put(out + 4, 1u, 4);
    }
    return c->by_input ? 8 : 4;
}

static nnc_status dense_decode(void *config, const unsigned char *in, size_t n)
{
    nnc_dense_config *c = config;
    if (n != 4 && n != 8)
        return nnc_fail(NNC_EFORMAT, "a dense layer's configuration has 4 or 8 bytes, this one "
                                     "%zu", n);
    if (n == 8 && nnc_le_get(in + 4, 4) != 1)
        return nnc_fail(NNC_EFORMAT, "a dense layer's layout flag must be 1 (weights input by "
                                     "input), got %llu",
                        (unsigned long long)nnc_le_get(in + 4, 4));
    c->by_input = n == 8;
    uint64_t units = nnc_le_get(in, 4);
    if (units < 1 || units > NNC_MAX_WIDTH)
        return nnc_fail(NNC_EFORMAT, "a dense layer's width must be 1 to %d, got %llu",
                        NNC_MAX_WIDTH, (unsigned long long)units);
    c->units = (int)units;
    return NNC_OK;
}

static nnc_status dense_plan(const void *config, nnc_shape in, nnc_layer_plan *plan)
{
    const nnc_dense_config *c = config;
    /* Any input shape: a dense layer sees a row as one vector. */
    size_t inputs = (size_t)in.channels * (size_t)in.height * (size_t)in.width, weights;
    if (nnc_mul_overflows((size_t)c->units, inputs, &weights) ||
        weights > SIZE_MAX / sizeof(float) - (size_t)c->units)
        return nnc_fail(NNC_ENOMEM, "dense: %d x %zu weights are too many", c->units, inputs);
    plan->out = (nnc_shape){ c->units, 1, 1 };
    plan->n_params = 2;
    plan->params[0] = (nnc_tensor){ "weight", weights, NNC_TENSOR_DECAYS };
    plan->params[1] = (nnc_tensor){ "bias", (size_t)c->units, 0 };
    plan->by_input = c->by_input;
    return NNC_OK;
}

static void dense_init(const nnc_layer *layer, const nnc_layer_data *data, nnc_init scheme,
                       nnc_rng *rng)
{
    size_t n = bias_at(layer);
    nnc_init_weights_and_bias(data->params, n, data->params + n, (size_t)layer->outputs,
                              layer->inputs, layer->outputs, scheme, rng);
}

static void dense_forward(const nnc_layer *layer, const nnc_layer_data *data,
                          const nnc_pass *pass, const float *x, float *z)
{
    const int in = layer->inputs, units = layer->outputs, rows = pass->rows;
    const float *w = weights(layer, data->params), *b = data->params + bias_at(layer);
    if (pass->sparse != NULL && layer->plan.by_input) {
        sparse_forward_by_input(w, b, pass->sparse, rows, units, z);
        return;
    }
    if (pass->sparse != NULL) {   /* x is NULL: first, whatever the size */
        sparse_forward(w, b, pass->sparse, rows, in, units, z);
        return;
    }
    if (layer->plan.by_input) {   /* z = b + x W, W inputs x units */
        for (int r = 0; r < rows; r++)
            memcpy(z + (size_t)r * units, b, (size_t)units * sizeof *z);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, units, in, 1.0f, x, in, w,
                    units, 1.0f, z, units);
        return;
    }
    if (is_tiny(rows, in, units) && (rows > 1 || in < 8)) {
        forward_loops(w, b, x, rows, in, units, z);
        return;
    }
    /* Start every row of z from the bias, then accumulate x W^T onto it. */
    for (int r = 0; r < rows; r++) {
        float *zr = z + (size_t)r * units;
        for (int u = 0; u < units; u++)
            zr[u] = b[u];
    }
    if (rows == 1)
        gemv_rows(w, x, in, units, z);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, units, in, 1.0f, x, in, w,
                    in, 1.0f, z, units);
}

static void dense_backward(const nnc_layer *layer, const nnc_layer_data *data,
                           const nnc_pass *pass, const float *x, const float *dz, float *dx)
{
    const int in = layer->inputs, units = layer->outputs, rows = pass->rows;
    const float *w = weights(layer, data->params);
    float *dw = data->grads, *db = data->grads + bias_at(layer);
    if (pass->sparse != NULL) {
        /* The first layer of a sparse pass: the network never asks it for
         * dx (nnc_layer_type.takes_sparse), which is left unwritten. */
        bias_step(dz, rows, units, 0.0f, db);
        column_gradients(pass->sparse, pass->slot, dz, rows, units, pass->column_grads);
        return;
    }
    if (layer->plan.by_input) {   /* dW += x^T dz, dx = dz W^T */
        bias_step(dz, rows, units, 0.0f, db);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, units, rows, 1.0f, x, in, dz,
                    units, 1.0f, dw, units);
        if (dx != NULL)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, in, units, 1.0f, dz,
                        units, w, units, 0.0f, dx, in);
        return;
    }
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

/* ------------------------------------------------------------- fast paths */

/* One unit's share of a plain SGD step, given its d loss / d z: dx (if not
 * NULL) += d w with the old weights, then w -= lr d x and *b -= lr d. */
static void unit_sgd(float *restrict w, float *restrict b, const float *restrict x, int in,
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

/* The backward pass and plain SGD update for one row in one sweep over W:
 * dx (if not NULL) = W^T dz with the old weights, then W -= lr dz x^T and
 * b -= lr dz. W is read and written once per step instead of four times. */
NNC_KERNEL_CLONES
static void dense_row_sgd(const nnc_layer *layer, float *params, const float *x,
                          const float *dz, float learning_rate, float *dx)
{
    const int in = layer->inputs, units = layer->outputs;
    float *w = params, *b = params + bias_at(layer);
    if (dx != NULL)
        memset(dx, 0, (size_t)in * sizeof *dx);
    for (int u = 0; u < units; u++) {
        /* A unit with no gradient (a silent ReLU) changes nothing: skip its row. */
        if (dz[u] != 0.0f)
            unit_sgd(w + (size_t)u * in, b + u, x, in, dz[u], learning_rate, dx);
    }
}

/* The same for a batch: dx (if not NULL) from the old weights, then
 * W -= lr dz^T x computed by sgemm straight into W, and b -= lr colsum(dz). */
static void dense_sgd(const nnc_layer *layer, const nnc_layer_data *data, const nnc_pass *pass,
                      const float *x, const float *dz, float learning_rate, float *dx)
{
    const int in = layer->inputs, units = layer->outputs, rows = pass->rows;
    float *w = data->params, *b = data->params + bias_at(layer);
    if (pass->sparse != NULL) {   /* as in dense_backward: no dx, any size */
        if (layer->plan.by_input)
            sparse_weight_step_by_input(pass->sparse, dz, rows, units, learning_rate, w);
        else
            sparse_weight_step(pass->sparse, dz, rows, in, units, learning_rate, w);
        bias_step(dz, rows, units, learning_rate, b);
        return;
    }
    if (layer->plan.by_input) {   /* dx from the old W, then W -= lr x^T dz */
        if (dx != NULL)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, in, units, 1.0f, dz,
                        units, w, units, 0.0f, dx, in);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, units, rows, -learning_rate, x,
                    in, dz, units, 1.0f, w, units);
        bias_step(dz, rows, units, learning_rate, b);
        return;
    }
    if (rows == 1) {
        dense_row_sgd(layer, data->params, x, dz, learning_rate, dx);
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

/* At most this many weights for the unit-by-unit single-row kernels. */
#define SMALL_LAYER_WEIGHTS 256

static int dense_row_small(const nnc_layer *layer)
{
    /* The unit-by-unit kernels read W unit by unit: not for by_input. */
    return !layer->plan.by_input && (long)layer->inputs * layer->outputs <= SMALL_LAYER_WEIGHTS;
}

/* b + w . in over n inputs, summed in order (as the tiny-layer loops do, so
 * both paths give the same bits). */
static float unit_sum(const float *restrict w, const float *restrict in, int n, float b)
{
    float sum = b;
    for (int i = 0; i < n; i++)
        sum += w[i] * in[i];
    return sum;
}

/* z = b + W x and out = act(z), unit by unit, for one row. */
static void row_forward(const nnc_layer *layer, const float *params, const float *x, float *z,
                        float *out)
{
    const float *w = params, *b = params + bias_at(layer);
    for (int u = 0; u < layer->outputs; u++) {
        z[u] = unit_sum(w + (size_t)u * layer->inputs, x, layer->inputs, b[u]);
        out[u] = nnc_activate_one(layer->act, z[u]);
    }
}

/* The output layer's part of the single-row step: each unit's value
 * (unless forward_done, when out holds it), its fused loss gradient, passed
 * down into dx (if not NULL) with the old weights, then its update. */
static void row_top_sgd(const nnc_layer *layer, float *params, const float *x, const float *y,
                        nnc_loss loss, float rate, int forward_done, float *z, float *out,
                        float *dx)
{
    const int in = layer->inputs;
    float *w = params, *b = params + bias_at(layer);
    const float scale = nnc_fused_delta_scale(loss, (size_t)layer->outputs);
    if (dx != NULL)
        memset(dx, 0, (size_t)in * sizeof *dx);
    for (int u = 0; u < layer->outputs; u++) {
        float *wu = w + (size_t)u * in, p = out[u];
        if (!forward_done) {
            z[u] = unit_sum(wu, x, in, b[u]);
            p = out[u] = nnc_activate_one(layer->act, z[u]);
        }
        float d = nnc_fused_delta_one(loss, layer->act, p, y[u], scale);
        unit_sgd(wu, b + u, x, in, d, rate, dx);
    }
}

static nnc_status dense_row_stack_sgd(const nnc_layer *layers, int n, float *params,
                                      const float *x, const float *y, nnc_loss loss, float rate,
                                      float *const *z, float *const *out, float *const *delta,
                                      double *loss_value)
{
    /* The loss must be known (and finite) before the update, so asking for
     * it costs the top layer's values a trip through memory. */
    const int top = n - 1, forward_done = loss_value != NULL;
    for (int l = 0; l < top + forward_done; l++)
        row_forward(&layers[l], params + layers[l].param_offset, l > 0 ? out[l - 1] : x, z[l],
                    out[l]);
    if (loss_value != NULL) {
        nnc_status st = nnc_loss_checked(loss, out[top], y, 1, layers[top].outputs, loss_value);
        if (st != NNC_OK)
            return st;
    }
    float *dz = delta[0], *below = delta[1];
    const nnc_layer *t = &layers[top];
    row_top_sgd(t, params + t->param_offset, top > 0 ? out[top - 1] : x, y, loss, rate,
                forward_done, z[top], out[top], top > 0 ? dz : NULL);
    for (int l = top - 1; l >= 0; l--) {
        const nnc_layer *layer = &layers[l];
        nnc_activate_backward(layer->act, z[l], out[l], dz, dz, 1, layer->outputs);
        dense_row_sgd(layer, params + layer->param_offset, l > 0 ? out[l - 1] : x, dz, rate,
                      l > 0 ? below : NULL);
        float *swap = dz;
        dz = below;
        below = swap;
    }
    return NNC_OK;
}

const nnc_layer_type nnc_dense_type = {
    .name = "dense",
    .code = 1,
    .config_size = sizeof(nnc_dense_config),
    .takes_activation = NNC_TAKES_ACTIVATION,
    .takes_sparse = 1,
    .parse = dense_parse,
    .describe = dense_describe,
    .encode = dense_encode,
    .decode = dense_decode,
    .plan = dense_plan,
    .init = dense_init,
    .forward = dense_forward,
    .backward = dense_backward,
    .sgd = dense_sgd,
    .row_small = dense_row_small,
    .row_stack_sgd = dense_row_stack_sgd,
};

/*
 * winograd.c - F(2x2, 3x3): see winograd.h.
 *
 * With d a 4 x 4 input tile, g a 3 x 3 kernel and Y the 2 x 2 outputs of
 * their correlation, Y = A^T [(G g G^T) .* (B^T d B)] A, where
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 * Tiles step by 2 over the output; the input tile of output tile (ty, tx)
 * starts at row 2 ty - pad, column 2 tx - pad. Each input channel is copied
 * once into a zero-bordered buffer, so every tile reads it without bounds
 * tests; outputs past an odd edge are computed and dropped.
 *
 * Layouts: U [16][cout][cin], V [16][cin][T], M [16][cout][T], with T the
 * batch's tiles, instance by instance, row-major within one.
 */
#include "nn/layers/winograd.h"

#include <cblas.h>

#include <stddef.h>
#include <string.h>

static int tiles_high(const nnc_winograd_shape *s)
{
    return (s->ho + 1) / 2;
}

static int tiles_wide(const nnc_winograd_shape *s)
{
    return (s->wo + 1) / 2;
}

size_t nnc_winograd_tiles(const nnc_winograd_shape *s)
{
    return (size_t)tiles_high(s) * (size_t)tiles_wide(s);
}

size_t nnc_winograd_scratch_per_row(const nnc_winograd_shape *s)
{
    return 16 * ((size_t)s->cin + (size_t)s->cout) * nnc_winograd_tiles(s);
}

size_t nnc_winograd_kernel_floats(const nnc_winograd_shape *s)
{
    return 16 * (size_t)s->cout * (size_t)s->cin;
}

/* The zero-bordered copy of one channel: every tile's 4 x 4 rows inside it. */
static size_t padded_high(const nnc_winograd_shape *s)
{
    return 2 * (size_t)tiles_high(s) + 2;
}

static size_t padded_wide(const nnc_winograd_shape *s)
{
    return 2 * (size_t)tiles_wide(s) + 2;
}

/* After U: the padded channel, four rows of its vertical transform, and
 * eight rows of tiles' partial outputs then two output rows. */
size_t nnc_winograd_scratch_fixed(const nnc_winograd_shape *s)
{
    return nnc_winograd_kernel_floats(s) + (padded_high(s) + 4) * padded_wide(s) +
           12 * (size_t)tiles_wide(s);
}

/* Kernels transformed per block, then stored plane by plane: writing one
 * kernel's 16 values straight into U strides them a plane apart, a power
 * of two in the bench's layers, and they fight over the same cache sets. */
#define KERNEL_BLOCK 64

void nnc_winograd_kernels(const nnc_winograd_shape *s, const float *w, int turned, float *u)
{
    const size_t plane = (size_t)s->cout * (size_t)s->cin;
    float block[16][KERNEL_BLOCK];
    size_t q = 0;   /* the kernel (o, c) = o * cin + c */
    for (size_t first = 0; first < plane; first += KERNEL_BLOCK) {
        const size_t n = plane - first < KERNEL_BLOCK ? plane - first : KERNEL_BLOCK;
        for (size_t j = 0; j < n; j++, q++) {
            const size_t o = q / (size_t)s->cin, c = q % (size_t)s->cin;
            /* Kernel (o, c) as g[a][b] = base[a * row + b * col]: the
             * forward's in place, or the forward's kernel of filter c on
             * channel o turned by 180 degrees. */
            const float *base;
            ptrdiff_t row = 3, col = 1;
            if (!turned) {
                base = w + (o * (size_t)s->cin + c) * 9;
            } else {
                base = w + (c * (size_t)s->cout + o) * 9 + 8;
                row = -3;
                col = -1;
            }
            float t[4][3];   /* G g */
            for (int b = 0; b < 3; b++) {
                const float g0 = base[b * col], g1 = base[row + b * col],
                            g2 = base[2 * row + b * col];
                t[0][b] = g0;
                t[1][b] = 0.5f * (g0 + g1 + g2);
                t[2][b] = 0.5f * (g0 - g1 + g2);
                t[3][b] = g2;
            }
            for (int i = 0; i < 4; i++) {   /* (G g) G^T */
                block[i * 4][j] = t[i][0];
                block[i * 4 + 1][j] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
                block[i * 4 + 2][j] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
                block[i * 4 + 3][j] = t[i][2];
            }
        }
        for (int p = 0; p < 16; p++)
            memcpy(u + (size_t)p * plane + first, block[p], n * sizeof *u);
    }
}

/* V's columns for one instance's channel: B^T d B for each of its tiles,
 * the vertical half on whole rows of the padded channel, then the
 * horizontal half per tile; every loop runs along a row, which is what
 * lets the compiler use vectors. v's 16 planes are `plane` floats apart. */
static void input_tiles(const nnc_winograd_shape *s, const float *restrict channel,
                        float *restrict padded, float *restrict band, float *restrict v,
                        size_t plane)
{
    const int th = tiles_high(s), tw = tiles_wide(s);
    const size_t pw = padded_wide(s);
    memset(padded, 0, padded_high(s) * pw * sizeof *padded);
    for (int y = 0; y < s->h; y++)
        memcpy(padded + (size_t)(y + s->pad) * pw + (size_t)s->pad, channel + (size_t)y * s->w,
               (size_t)s->w * sizeof *padded);
    float *restrict c0 = band, *restrict c1 = band + pw, *restrict c2 = band + 2 * pw,
                    *restrict c3 = band + 3 * pw;
    for (int ty = 0; ty < th; ty++) {
        const float *restrict r0 = padded + (size_t)(2 * ty) * pw, *restrict r1 = r0 + pw,
                              *restrict r2 = r1 + pw, *restrict r3 = r2 + pw;
        for (size_t x = 0; x < pw; x++) {   /* B^T d */
            c0[x] = r0[x] - r2[x];
            c1[x] = r1[x] + r2[x];
            c2[x] = r2[x] - r1[x];
            c3[x] = r1[x] - r3[x];
        }
        const float *rows[4] = { c0, c1, c2, c3 };
        for (int i = 0; i < 4; i++) {   /* (B^T d) B */
            const float *restrict t = rows[i];
            float *restrict v0 = v + (size_t)(i * 4) * plane + (size_t)ty * tw;
            float *restrict v1 = v0 + plane, *restrict v2 = v1 + plane, *restrict v3 = v2 + plane;
            for (int tx = 0; tx < tw; tx++) {
                const float a = t[2 * tx], b = t[2 * tx + 1], c = t[2 * tx + 2],
                            d = t[2 * tx + 3];
                v0[tx] = a - c;
                v1[tx] = b + c;
                v2[tx] = c - b;
                v3[tx] = b - d;
            }
        }
    }
}

/* One instance's output channel from M: A^T m A per tile, plus the bias,
 * in the same two halves as input_tiles. */
static void output_tiles(const nnc_winograd_shape *s, const float *restrict m, size_t plane,
                         float bias, float *restrict part, float *restrict out)
{
    const int th = tiles_high(s), tw = tiles_wide(s);
    float *restrict y0 = part + 8 * (size_t)tw, *restrict y1 = y0 + 2 * (size_t)tw;
    for (int ty = 0; ty < th; ty++) {
        const float *restrict row = m + (size_t)ty * tw;
        for (int j = 0; j < 4; j++) {   /* A^T m, column j of every tile */
            const float *restrict m0 = row + (size_t)j * plane, *restrict m1 = m0 + 4 * plane,
                                  *restrict m2 = m1 + 4 * plane, *restrict m3 = m2 + 4 * plane;
            float *restrict top = part + (size_t)j * tw;
            float *restrict low = part + (size_t)(4 + j) * tw;
            for (int tx = 0; tx < tw; tx++) {
                top[tx] = m0[tx] + m1[tx] + m2[tx];
                low[tx] = m1[tx] - m2[tx] - m3[tx];
            }
        }
        for (int tx = 0; tx < tw; tx++) {   /* (A^T m) A */
            const float *t = part;
            y0[2 * tx] = bias + (t[tx] + t[tw + tx] + t[2 * tw + tx]);
            y0[2 * tx + 1] = bias + (t[tw + tx] - t[2 * tw + tx] - t[3 * tw + tx]);
            t = part + 4 * (size_t)tw;
            y1[2 * tx] = bias + (t[tx] + t[tw + tx] + t[2 * tw + tx]);
            y1[2 * tx + 1] = bias + (t[tw + tx] - t[2 * tw + tx] - t[3 * tw + tx]);
        }
        float *first = out + (size_t)(2 * ty) * s->wo;
        memcpy(first, y0, (size_t)s->wo * sizeof *first);
        if (2 * ty + 1 < s->ho)
            memcpy(first + s->wo, y1, (size_t)s->wo * sizeof *first);
    }
}

/* The products and their operands for this many bytes of V and M at a
 * time: well within a core's L2 here (2 MiB), where the transforms' writes
 * and the products' reads meet again. One image of the bench's second
 * convolution per chunk: with two BLAS threads, chunks of 4 and 16 MiB
 * trained a quarter slower (the products grow large enough for OpenBLAS to
 * share between threads, and the tiles fall out of cache), at one thread
 * 1 MiB was no faster. */
#define CHUNK_BYTES ((size_t)1 << 19)

void nnc_winograd_correlate(const nnc_winograd_shape *s, const float *u, const float *bias,
                            const float *in, int rows, float *fixed, float *work, float *out)
{
    const size_t tiles = nnc_winograd_tiles(s);
    const size_t in_size = (size_t)s->h * s->w, out_size = (size_t)s->ho * s->wo;
    const size_t per_row = nnc_winograd_scratch_per_row(s) * sizeof(float);
    const int chunk = per_row >= CHUNK_BYTES ? 1 : (int)(CHUNK_BYTES / per_row);
    float *padded = fixed, *band = padded + padded_high(s) * padded_wide(s);
    float *part = band + 4 * padded_wide(s);
    for (int first = 0; first < rows; first += chunk) {
        const int n = rows - first < chunk ? rows - first : chunk;
        const size_t all = (size_t)n * tiles;
        float *v = work, *m = work + 16 * (size_t)s->cin * all;
        for (int r = 0; r < n; r++)
            for (int c = 0; c < s->cin; c++)
                input_tiles(s, in + ((size_t)(first + r) * s->cin + (size_t)c) * in_size, padded,
                            band, v + (size_t)c * all + (size_t)r * tiles, (size_t)s->cin * all);
        for (int xi = 0; xi < 16; xi++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->cout, (int)all, s->cin,
                        1.0f, u + (size_t)xi * s->cout * s->cin, s->cin,
                        v + (size_t)xi * s->cin * all, (int)all, 0.0f,
                        m + (size_t)xi * s->cout * all, (int)all);
        for (int r = 0; r < n; r++)
            for (int o = 0; o < s->cout; o++)
                output_tiles(s, m + (size_t)o * all + (size_t)r * tiles, (size_t)s->cout * all,
                             bias != NULL ? bias[o] : 0.0f, part,
                             out + ((size_t)(first + r) * s->cout + (size_t)o) * out_size);
    }
}

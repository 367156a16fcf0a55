/*
 * winograd.h - 3 x 3 correlations at stride 1 by Winograd's minimal
 * filtering F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional
 * Neural Networks", 2016): 16 multiplications per 2 x 2 outputs and pair of
 * channels instead of 36.
 *
 * Used by conv.c for its forward pass and its input gradient (the gradient
 * of a 3 x 3 stride-1 convolution is again one, with the kernel turned by
 * 180 degrees and input and output channels swapped). For every one of the
 * 16 points of the transformed 4 x 4 tile the channels mix in one matrix
 * product over the whole batch's tiles, through OpenBLAS:
 *   M[xi] (cout x T) = U[xi] (cout x cin) V[xi] (cin x T)
 * with U the transformed kernels, V the transformed input tiles and T the
 * batch's tiles, so the products are as large as the batch.
 *
 * The arithmetic differs from a direct sum's by rounding only (the
 * transforms have entries 0, +-1 and +-1/2); the layer's reference and
 * finite-difference tests hold it to the same tolerances as im2col.
 */
#ifndef NNC_WINOGRAD_H
#define NNC_WINOGRAD_H

#include <stddef.h>

/* Below this many input channels the products' depth is too shallow for the
 * matrix kernels, and im2col's single product is faster. */
#define NNC_WINOGRAD_MIN_DEPTH 8

/* One correlation's sizes: cin x h x w in, cout x ho x wo out, zero padding
 * pad (0, 1 or 2) on every side; ho = h + 2 pad - 2, wo = w + 2 pad - 2. */
typedef struct nnc_winograd_shape {
    int cin, cout;
    int h, w, pad;
    int ho, wo;
} nnc_winograd_shape;

/* The 2 x 2 output tiles of one instance. */
size_t nnc_winograd_tiles(const nnc_winograd_shape *s);

/* Work space, in floats: per instance (the transformed tiles V and the
 * products M), and per call (U, then one padded input channel). */
size_t nnc_winograd_scratch_per_row(const nnc_winograd_shape *s);
size_t nnc_winograd_scratch_fixed(const nnc_winograd_shape *s);

/* U's floats: 16 x cout x cin, the start of the fixed work space. */
size_t nnc_winograd_kernel_floats(const nnc_winograd_shape *s);

/* U from 3 x 3 kernels w laid out as PyTorch's weight (F x C x 3 x 3):
 * with turned = 0 the kernels of the forward correlation (cout = F,
 * cin = C); with turned = 1 those of its input gradient (cout = C, cin = F,
 * each kernel turned by 180 degrees). u has 16 x cout x cin floats. */
void nnc_winograd_kernels(const nnc_winograd_shape *s, const float *w, int turned, float *u);

/* out (rows x cout x ho x wo) = bias (one per output channel, or none when
 * NULL) + the correlation of in (rows x cin x h x w) with the kernels u.
 * fixed is the fixed work space after U (nnc_winograd_scratch_fixed minus
 * nnc_winograd_kernel_floats floats); work holds rows x
 * nnc_winograd_scratch_per_row floats. */
void nnc_winograd_correlate(const nnc_winograd_shape *s, const float *u, const float *bias,
                            const float *in, int rows, float *fixed, float *work, float *out);

#endif

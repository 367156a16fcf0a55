/*
 * pool_window.h - the window and stride that the pooling layers (maxpool,
 * avgpool) share: their text, their model-file bytes and their output shape,
 * defined once so that the two types cannot drift apart.
 */
#ifndef NNC_POOL_WINDOW_H
#define NNC_POOL_WINDOW_H

#include "nn/layer.h"

/* Bounds on the fields; the plan then refuses a window larger than its input. */
#define NNC_POOL_MAX_WINDOW 1024
#define NNC_POOL_MAX_STRIDE 1024

/* An n x n window moved by stride s, no padding. */
typedef struct nnc_pool_window {
    int window;
    int stride;
} nnc_pool_window;

/* "TYPE:W" or "TYPE:W:S" (the stride defaults to the window, so the windows
 * tile the input); `type` names the layer in the messages. */
nnc_status nnc_pool_window_parse(nnc_pool_window *w, const nnc_layer_args *args,
                                 const char *type);

/* The text form, as the grammar reads it back ("maxpool:2", "avgpool:3:2"). */
int nnc_pool_window_describe(const nnc_pool_window *w, const char *type, char *buf, size_t n);

/* The model file's form: window, stride, each a u32 (8 bytes). */
size_t nnc_pool_window_encode(const nnc_pool_window *w, unsigned char *out);
nnc_status nnc_pool_window_decode(nnc_pool_window *w, const unsigned char *in, size_t n,
                                  const char *type);

/* C x Ho x Wo for a C x H x W input, Ho = (H - window) / stride + 1; refuses
 * a window larger than the input. */
nnc_status nnc_pool_window_plan(const nnc_pool_window *w, nnc_shape in, const char *type,
                                nnc_shape *out);

#endif /* NNC_POOL_WINDOW_H */

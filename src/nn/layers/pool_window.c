/*
 * pool_window.c - the pooling layers' shared window and stride (see
 * pool_window.h).
 */
#include "nn/layers/pool_window.h"

#include "nn/nn.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* "a maxpool", "an avgpool". */
static const char *article(const char *type)
{
    return strchr("aeiou", type[0]) != NULL ? "an" : "a";
}

nnc_status nnc_pool_window_parse(nnc_pool_window *w, const nnc_layer_args *args,
                                 const char *type)
{
    if (args->count == 0)
        return nnc_layer_arg_fail(args, args->item_column,
                                  "%s %s layer needs its window, as %s:2 (then the stride, "
                                  "optional: %s:3:2)",
                                  article(type), type, type, type);
    if (args->count > 2)
        return nnc_layer_arg_fail(args, args->column[2],
                                  "'%.*s' is no field %s %s layer has: it takes its window "
                                  "and stride, and no activation",
                                  (int)args->len[2], args->text[2], article(type), type);
    nnc_status st = nnc_layer_arg_int(args, 0, "the window", 1, NNC_POOL_MAX_WINDOW, &w->window);
    w->stride = w->window;
    if (st == NNC_OK && args->count > 1)
        st = nnc_layer_arg_int(args, 1, "the stride", 1, NNC_POOL_MAX_STRIDE, &w->stride);
    return st;
}

int nnc_pool_window_describe(const nnc_pool_window *w, const char *type, char *buf, size_t n)
{
    if (w->stride == w->window)
        return snprintf(buf, n, "%s:%d", type, w->window);
    return snprintf(buf, n, "%s:%d:%d", type, w->window, w->stride);
}

size_t nnc_pool_window_encode(const nnc_pool_window *w, unsigned char *out)
{
    if (out != NULL) {
        nnc_le_put(out, (uint32_t)w->window, 4);
        nnc_le_put(out + 4, (uint32_t)w->stride, 4);
    }
    return 8;
}

nnc_status nnc_pool_window_decode(nnc_pool_window *w, const unsigned char *in, size_t n,
                                  const char *type)
{
    if (n != 8)
        return nnc_fail(NNC_EFORMAT, "%s %s layer's configuration has 8 bytes, this one %zu",
                        article(type), type, n);
    uint64_t window = nnc_le_get(in, 4), stride = nnc_le_get(in + 4, 4);
    if (window < 1 || window > NNC_POOL_MAX_WINDOW)
        return nnc_fail(NNC_EFORMAT, "%s %s layer's window must be 1 to %d, got %llu",
                        article(type), type, NNC_POOL_MAX_WINDOW, (unsigned long long)window);
    if (stride < 1 || stride > NNC_POOL_MAX_STRIDE)
        return nnc_fail(NNC_EFORMAT, "%s %s layer's stride must be 1 to %d, got %llu",
                        article(type), type, NNC_POOL_MAX_STRIDE, (unsigned long long)stride);
    *w = (nnc_pool_window){ (int)window, (int)stride };
    return NNC_OK;
}

nnc_status nnc_pool_window_plan(const nnc_pool_window *w, nnc_shape in, const char *type,
                                nnc_shape *out)
{
    if (w->window > in.height || w->window > in.width)
        return nnc_fail(NNC_EINVAL, "%s: the %dx%d window is larger than the input %dx%dx%d",
                        type, w->window, w->window, in.channels, in.height, in.width);
    *out = (nnc_shape){ in.channels, (in.height - w->window) / w->stride + 1,
                        (in.width - w->window) / w->stride + 1 };
    return NNC_OK;
}

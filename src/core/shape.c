/*
 * shape.c - the shape of one instance as text: "1x28x28" read and written.
 *
 * The text comes from people (nnc train --input-shape), so the reader
 * accepts exactly the forms nnc.h lists and says where the text goes wrong,
 * the way the layer grammar does. It lives in core because both the data
 * sets and the network check shapes, and by the same rule (nnc_shape_size).
 */
#include "core/core.h"

#include <stdio.h>
#include <string.h>

/* A message quotes at most this much of the text, or of one field, so a
 * pasted page of digits cannot push the column out of the message. */
#define QUOTE_MAX 64

/* A dimension of more digits than this is too large whatever they are:
 * NNC_MAX_SHAPE_VALUES has 8. Counting digits first keeps the value from
 * overflowing while it is read. */
#define MAX_DIGITS 9

int nnc_shape_size(nnc_shape s)
{
    if (s.channels < 1 || s.height < 1 || s.width < 1)
        return 0;
    /* A step at a time: three ints may multiply past any integer type, two
     * cannot, and a capped pair times the third stays below 2^55. */
    long long n = (long long)s.channels * s.height;
    if (n > NNC_MAX_SHAPE_VALUES)
        return 0;
    n *= s.width;
    return n <= NNC_MAX_SHAPE_VALUES ? (int)n : 0;
}

int nnc_shape_format(nnc_shape shape, char *buf, size_t n)
{
    return snprintf(buf, n, "%dx%dx%d", shape.channels, shape.height, shape.width);
}

/* "shape: column C, 'TEXT': " and what is wrong. */
static nnc_status refuse(const char *text, const char *at, const char *what, const char *field,
                         size_t field_len)
{
    int column = (int)(at - text) + 1;
    int cut = strlen(text) > QUOTE_MAX;
    if (field == NULL)
        return nnc_fail(NNC_EINVAL, "shape: column %d, '%.*s%s': %s", column, QUOTE_MAX, text,
                        cut ? "..." : "", what);
    int field_cut = field_len > QUOTE_MAX;
    return nnc_fail(NNC_EINVAL, "shape: column %d, '%.*s%s': %s, got '%.*s%s'", column,
                    QUOTE_MAX, text, cut ? "..." : "", what,
                    (int)(field_cut ? QUOTE_MAX : field_len), field, field_cut ? "..." : "");
}

nnc_status nnc_shape_parse(const char *text, nnc_shape *out)
{
    if (text == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "shape: NULL argument");
    long dims[3];
    int n = 0;
    const char *p = text;
    for (;;) {
        size_t len = strcspn(p, "x");
        if (n == 3)
            return refuse(text, p - 1, "a shape has at most three dimensions (CxHxW)", NULL, 0);
        if (len == 0)
            return refuse(text, p,
                          *text == '\0' ? "empty; expected CxHxW, HxW or N, such as 1x28x28"
                                        : "a dimension is missing",
                          NULL, 0);
        size_t digits = strspn(p, "0123456789");
        long v = 0;
        for (size_t i = 0; digits == len && len <= MAX_DIGITS && i < len; i++)
            v = v * 10 + (p[i] - '0');
        if (digits != len || len > MAX_DIGITS || v < 1 || v > NNC_MAX_SHAPE_VALUES) {
            char what[80];
            snprintf(what, sizeof what, "a dimension must be a whole number from 1 to %d",
                     NNC_MAX_SHAPE_VALUES);
            return refuse(text, p, what, p, len);
        }
        dims[n++] = v;
        p += len;
        if (*p == '\0')
            break;
        p++;   /* the 'x' */
    }
    /* Fewer dimensions fill in from the front: a vector is N x 1 x 1, a
     * picture of one channel 1 x H x W. */
    nnc_shape s = n == 1 ? (nnc_shape){ (int)dims[0], 1, 1 }
                : n == 2 ? (nnc_shape){ 1, (int)dims[0], (int)dims[1] }
                         : (nnc_shape){ (int)dims[0], (int)dims[1], (int)dims[2] };
    if (nnc_shape_size(s) == 0) {   /* every dimension is in range: the product is not */
        char what[96];
        snprintf(what, sizeof what, "the dimensions multiply to more than %d values",
                 NNC_MAX_SHAPE_VALUES);
        return refuse(text, text, what, NULL, 0);
    }
    *out = s;
    return NNC_OK;
}

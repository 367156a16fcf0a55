/*
 * grammar.c - the layer grammar: "dense:64:relu,dense:10:softmax" to layers
 * and back.
 *
 *   layers := item ("," item)*
 *   item   := number [":" activation]           a dense layer of that width
 *           | type (":" field)* [":" activation]
 *
 * The grammar knows nothing of any type's fields: it splits the text,
 * finds the type in the registry and hands the fields to the type's parse.
 * Spaces around items and fields are allowed ("64, 32"). Every message
 * names the column (1-based) of the text where it is at fault.
 */
#include "nn/layer.h"
#include "nn/nn.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

nnc_status nnc_layer_arg_fail(const nnc_layer_args *args, int column, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return nnc_fail(NNC_EINVAL, "layers: column %d, '%.*s': %s", column, (int)args->item_len,
                    args->item, why);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

nnc_status nnc_layer_arg_int(const nnc_layer_args *args, int i, const char *what, long lo,
                             long hi, int *value)
{
    const char *t = args->text[i];
    size_t n = args->len[i];
    long v = 0;
    int ok = n > 0 && n <= 9;   /* nine digits cannot overflow a long */
    for (size_t k = 0; ok && k < n; k++) {
        ok = is_digit(t[k]);
        v = v * 10 + (t[k] - '0');
    }
    if (!ok || v < lo || v > hi)
        return nnc_layer_arg_fail(args, args->column[i],
                                  "%s must be a whole number from %ld to %ld, got '%.*s'", what,
                                  lo, hi, (int)n, t);
    *value = (int)v;
    return NNC_OK;
}

nnc_status nnc_layer_arg_number(const nnc_layer_args *args, int i, const char *what, double lo,
                                double hi, double *value)
{
    char buf[64];
    size_t n = args->len[i];
    double v = NAN;
    char *end = buf;
    /* strtod on a copy: the field is not NUL-terminated, and a leading
     * space, hex, "inf" or "nan" are not numbers a user means here. */
    if (n > 0 && n < sizeof buf && (is_digit(args->text[i][0]) || args->text[i][0] == '.')) {
        memcpy(buf, args->text[i], n);
        buf[n] = '\0';
        errno = 0;
        v = strtod(buf, &end);
    }
    if (end != buf + n || n == 0 || !isfinite(v) || v < lo || v > hi ||
        strpbrk(buf, "xXpPnN") != NULL)
        return nnc_layer_arg_fail(args, args->column[i], "%s must be a number from %g to %g, "
                                  "got '%.*s'", what, lo, hi, (int)n, args->text[i]);
    *value = v;
    return NNC_OK;
}

/* [*from, *to) without the spaces at either end. */
static void trim(const char *text, size_t *from, size_t *to)
{
    while (*from < *to && text[*from] == ' ')
        (*from)++;
    while (*to > *from && text[*to - 1] == ' ')
        (*to)--;
}

/* The activation named text[0..n), or -1. */
static int activation_named(const char *text, size_t n)
{
    for (int a = 0; a < NNC_ACTIVATION_COUNT; a++) {
        const char *name = nnc_activation_name((nnc_activation)a);
        if (strlen(name) == n && memcmp(name, text, n) == 0)
            return a;
    }
    return -1;
}

/* One parsed item, waiting to be pushed. */
typedef struct parsed_item {
    const nnc_layer_type *type;
    void *config;
    nnc_activation act;
    nnc_layer_args args;    /* for messages naming the item */
} parsed_item;

/* Parses text[from, to), the item starting at column `column`, into *item. */
static nnc_status parse_item(const char *text, size_t from, size_t to,
                             nnc_activation default_act, parsed_item *item)
{
    nnc_layer_args *args = &item->args;
    memset(args, 0, sizeof *args);
    trim(text, &from, &to);
    args->item = text + from;
    args->item_len = to - from;
    args->item_column = (int)from + 1;
    if (from == to)
        return nnc_layer_arg_fail(args, args->item_column,
                                  "an empty layer (two commas, or one at an end)");

    /* The fields, the type's name first. */
    const char *field[NNC_LAYER_MAX_ARGS + 2];
    size_t len[NNC_LAYER_MAX_ARGS + 2];
    int column[NNC_LAYER_MAX_ARGS + 2], n = 0;
    for (size_t start = from;;) {
        size_t end = start;
        while (end < to && text[end] != ':')
            end++;
        size_t a = start, b = end;
        trim(text, &a, &b);
        if (n == NNC_LAYER_MAX_ARGS + 2)
            return nnc_layer_arg_fail(args, (int)a + 1, "more than %d fields",
                                      NNC_LAYER_MAX_ARGS + 1);
        if (a == b)
            return nnc_layer_arg_fail(args, (int)a + 1, "an empty field");
        field[n] = text + a;
        len[n] = b - a;
        column[n++] = (int)a + 1;
        if (end == to)
            break;
        start = end + 1;
    }

    /* A plain number is a dense layer of that width. */
    int first = 1;
    const nnc_layer_type *type = NULL;
    if (is_digit(field[0][0])) {
        type = &nnc_dense_type;
        first = 0;
    } else if ((type = nnc_layer_type_named(field[0], len[0])) == NULL) {
        char known[256] = "";
        for (int t = 0; t < nnc_layer_type_count; t++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                     t ? ", " : "", nnc_layer_types[t]->name);
        return nnc_layer_arg_fail(args, column[0],
                                  "unknown layer type '%.*s' (known: %s; a plain number is a "
                                  "dense layer's width)",
                                  (int)len[0], field[0], known);
    }
    item->type = type;
    item->act = type->takes_activation == NNC_TAKES_ACTIVATION ? default_act : NNC_IDENTITY;
    if (n - 1 >= first && !is_digit(field[n - 1][0])) {
        int act = activation_named(field[n - 1], len[n - 1]);
        if (act >= 0 && !type->takes_activation)
            return nnc_layer_arg_fail(args, column[n - 1], "a %s layer takes no activation",
                                      type->name);
        if (act >= 0) {
            item->act = (nnc_activation)act;
            n--;
        }
    }
    if (n - first > NNC_LAYER_MAX_ARGS)
        return nnc_layer_arg_fail(args, column[first + NNC_LAYER_MAX_ARGS],
                                  "more than %d fields", NNC_LAYER_MAX_ARGS);
    for (int i = first; i < n; i++) {
        if (activation_named(field[i], len[i]) >= 0)
            return nnc_layer_arg_fail(args, column[i],
                                      "the activation '%.*s' must come last in its layer",
                                      (int)len[i], field[i]);
        args->text[args->count] = field[i];
        args->len[args->count] = len[i];
        args->column[args->count++] = column[i];
    }
    item->config = nnc_alloc(1, type->config_size, 1);
    if (item->config == NULL)
        return NNC_ENOMEM;
    return type->parse(item->config, args);
}

nnc_status nnc_net_add_layers(nnc_net *net, const char *text, nnc_activation default_act)
{
    if (net == NULL || text == NULL)
        return nnc_fail(NNC_EINVAL, "layers: NULL argument");
    if (nnc_activation_name(default_act) == NULL)
        return nnc_fail(NNC_EINVAL, "layers: unknown activation %d", (int)default_act);
    size_t length = strlen(text);
    if (length > (size_t)1 << 20)
        return nnc_fail(NNC_EINVAL, "layers: the text has %zu bytes, the most is %d", length,
                        1 << 20);
    int count = 1;
    for (size_t i = 0; i < length; i++)
        count += text[i] == ',';
    if (count > NNC_MAX_LAYERS)
        return nnc_fail(NNC_EINVAL, "layers: %d layers, the most is %d", count, NNC_MAX_LAYERS);
    parsed_item *items = nnc_alloc((size_t)count, sizeof *items, 1);
    if (items == NULL)
        return NNC_ENOMEM;

    nnc_status st = NNC_OK;
    size_t from = 0;
    for (int i = 0; st == NNC_OK && i < count; i++) {
        size_t to = from;
        while (to < length && text[to] != ',')
            to++;
        st = parse_item(text, from, to, default_act, &items[i]);
        from = to + 1;
    }

    /* All or nothing: every item is pushed, then the blocks are sized once. */
    size_t keep = nnc_net_param_count(net), keep_state = nnc_net_state_count(net);
    int pushed = 0;
    while (st == NNC_OK && pushed < count) {
        const parsed_item *it = &items[pushed];
        if ((st = nnc_net_push_layer(net, it->type, it->config, it->act)) == NNC_OK) {
            pushed++;
            continue;
        }
        char why[512];
        snprintf(why, sizeof why, "%s", nnc_last_error());
        st = nnc_layer_arg_fail(&it->args, it->args.item_column, "%s", why);
    }
    if (st == NNC_OK)
        st = nnc_net_size_blocks(net, keep, keep_state);
    if (st != NNC_OK)
        while (pushed-- > 0)
            nnc_net_pop_layer(net);
    for (int i = 0; i < count; i++)
        free(items[i].config);
    free(items);
    return st;
}

int nnc_net_describe(const nnc_net *net, char *buf, size_t n)
{
    if (net == NULL)
        return -1;
    size_t len = 0;
    for (int l = 0; l < nnc_net_layer_count(net); l++) {
        const nnc_layer *layer = nnc_net_layer(net, l);
        char *at = len < n ? buf + len : NULL;
        size_t room = len < n ? n - len : 0;
        int k = snprintf(at, room, "%s", l ? "," : "");
        len += (size_t)k;
        at = len < n ? buf + len : NULL;
        room = len < n ? n - len : 0;
        len += (size_t)layer->type->describe(layer->config, at, room);
        if (layer->type->takes_activation) {
            at = len < n ? buf + len : NULL;
            room = len < n ? n - len : 0;
            len += (size_t)snprintf(at, room, ":%s", nnc_activation_name(layer->act));
        }
    }
    if (n > 0 && len == 0)
        buf[0] = '\0';
    return (int)len;
}

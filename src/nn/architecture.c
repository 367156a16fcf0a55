/*
 * architecture.c - a network's architecture as bytes: the section that the
 * model file (version 2) and the checkpoint share, so the two cannot come
 * to disagree about what a network is.
 *
 * Layout (little-endian; docs/model-format.md, "Architecture"):
 *   u32 channels, u32 height, u32 width     the input shape of one row
 *   u32 layer count L
 *   L x { u32 type code (nnc_layer_type.code), u32 activation code,
 *         u32 configuration length K, K bytes (the type's encode) }
 *   u32 loss code
 * The codes are the format's, mapped by the tables below and never
 * renumbered, whatever the C enums do.
 *
 * The section comes from files, possibly damaged or hostile: every field is
 * checked the moment it is read, each layer's type checks its own
 * configuration and the network checks that the layer fits the shape below
 * it, and the blocks are sized only once the parameters and state they
 * need are known to fit in what is left of the file.
 */
#include "nn/nn.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most bytes a layer's configuration may have: far more than any type's
 * few numbers need, and a bound on what a file can make the reader decode. */
#define MAX_CONFIG 256u

static const nnc_activation activation_codes[] = { NNC_IDENTITY, NNC_SIGMOID, NNC_TANH,
                                                   NNC_RELU, NNC_SOFTMAX, NNC_LEAKY_RELU };
static const nnc_loss loss_codes[] = { NNC_LOSS_SQUARED_ERROR, NNC_LOSS_MSE,
                                       NNC_LOSS_BINARY_CROSS_ENTROPY,
                                       NNC_LOSS_SOFTMAX_CROSS_ENTROPY };
#define COUNT(table) ((uint32_t)(sizeof(table) / sizeof(table)[0]))

/* The code of an activation or loss the network holds (every one has one). */
static uint32_t activation_code(nnc_activation act)
{
    uint32_t code = 0;
    while (code + 1 < COUNT(activation_codes) && activation_codes[code] != act)
        code++;
    return code;
}

static uint32_t loss_code(nnc_loss loss)
{
    uint32_t code = 0;
    while (code + 1 < COUNT(loss_codes) && loss_codes[code] != loss)
        code++;
    return code;
}

/* "WHAT is N, not a code this nnc knows (offset AT)". */
static nnc_status unknown_code(const nnc_byte_reader *r, size_t at, const char *what,
                               uint32_t code)
{
    return nnc_reader_invalid(r, at, "%s is %" PRIu32 ", not a code this nnc knows", what,
                              code);
}

/* A code field below n into *code, refusing an unknown one. */
static nnc_status get_code(nnc_byte_reader *r, const char *what, uint32_t n, uint32_t *code)
{
    size_t at = r->pos;
    nnc_status st = nnc_get_u32(r, what, code);
    if (st == NNC_OK && *code >= n)
        return unknown_code(r, at, what, *code);
    return st;
}

nnc_status nnc_get_activation(nnc_byte_reader *r, const char *what, nnc_activation *act)
{
    uint32_t code;
    nnc_status st = get_code(r, what, COUNT(activation_codes), &code);
    if (st == NNC_OK)
        *act = activation_codes[code];
    return st;
}

nnc_status nnc_get_loss(nnc_byte_reader *r, const char *what, nnc_loss *loss)
{
    uint32_t code;
    nnc_status st = get_code(r, what, COUNT(loss_codes), &code);
    if (st == NNC_OK)
        *loss = loss_codes[code];
    return st;
}

/* ================================================================ writing */

nnc_status nnc_architecture_put(nnc_byte_writer *w, const nnc_net *net)
{
    nnc_shape in = nnc_net_input_shape(net);
    nnc_put_u32(w, (uint32_t)in.channels);
    nnc_put_u32(w, (uint32_t)in.height);
    nnc_put_u32(w, (uint32_t)in.width);
    nnc_put_u32(w, (uint32_t)nnc_net_layer_count(net));
    for (int l = 0; l < nnc_net_layer_count(net); l++) {
        const nnc_layer *layer = nnc_net_layer(net, l);
        unsigned char config[MAX_CONFIG];
        size_t n = layer->type->encode(layer->config, NULL);
        if (n > MAX_CONFIG)   /* a type's bug, refused rather than written unreadable */
            return nnc_fail(NNC_EINVAL, "a %s layer's configuration has %zu bytes; the most "
                                        "a file holds is %u",
                            layer->type->name, n, MAX_CONFIG);
        layer->type->encode(layer->config, config);
        nnc_put_u32(w, layer->type->code);
        nnc_put_u32(w, activation_code(layer->act));
        nnc_put_u32(w, (uint32_t)n);
        nnc_put_bytes(w, config, n);
    }
    nnc_put_u32(w, loss_code(nnc_net_loss(net)));
    return NNC_OK;
}

/* ================================================================ reading */

/* The input shape: each side 1 to 2^24, and all of it at most 2^24 values. */
static nnc_status get_shape(nnc_byte_reader *r, nnc_shape *shape)
{
    size_t at = r->pos;
    uint32_t c = 0, h = 0, w = 0;
    nnc_status st = nnc_get_ranged(r, "the input channels", 1, NNC_MAX_WIDTH, &c);
    if (st == NNC_OK)
        st = nnc_get_ranged(r, "the input height", 1, NNC_MAX_WIDTH, &h);
    if (st == NNC_OK)
        st = nnc_get_ranged(r, "the input width", 1, NNC_MAX_WIDTH, &w);
    if (st == NNC_OK && (uint64_t)c * h * w > NNC_MAX_WIDTH)
        return nnc_reader_invalid(r, at, "the input shape %" PRIu32 "x%" PRIu32 "x%" PRIu32
                                         " has more than %d values",
                                  c, h, w, NNC_MAX_WIDTH);
    *shape = (nnc_shape){ (int)c, (int)h, (int)w };
    return st;
}

/* A configuration must be exactly what encode writes for what decode read:
 * anything else was not written by nnc, and would not save back the same. */
static int canonical(const nnc_layer_type *type, const void *config, const unsigned char *bytes,
                     uint32_t n)
{
    unsigned char again[MAX_CONFIG];
    if (type->encode(config, NULL) != n)
        return 0;
    type->encode(config, again);
    return memcmp(again, bytes, n) == 0;
}

/* Layer l (0-based) of layers: its type, activation and configuration,
 * pushed onto net if it fits the shape below it. */
static nnc_status get_layer(nnc_byte_reader *r, nnc_net *net, uint32_t l, uint32_t layers)
{
    char what[96];
    size_t at = r->pos;
    uint32_t code, n;
    snprintf(what, sizeof what, "the type of layer %" PRIu32 " of %" PRIu32, l + 1, layers);
    nnc_status st = nnc_get_u32(r, what, &code);
    if (st != NNC_OK)
        return st;
    const nnc_layer_type *type = nnc_layer_type_coded(code);
    if (type == NULL)
        return unknown_code(r, at, what, code);

    size_t act_at = r->pos;
    nnc_activation act = NNC_IDENTITY;
    snprintf(what, sizeof what, "the activation of layer %" PRIu32 " of %" PRIu32, l + 1, layers);
    if ((st = nnc_get_activation(r, what, &act)) != NNC_OK)
        return st;
    if (!type->takes_activation && act != NNC_IDENTITY)
        return nnc_reader_invalid(r, act_at, "layer %" PRIu32 " of %" PRIu32 " is a %s layer, "
                                             "which takes no activation, but has %s",
                                  l + 1, layers, type->name, nnc_activation_name(act));

    snprintf(what, sizeof what, "the configuration length of layer %" PRIu32 " of %" PRIu32,
             l + 1, layers);
    if ((st = nnc_get_ranged(r, what, 0, MAX_CONFIG, &n)) != NNC_OK)
        return st;
    size_t config_at = r->pos;
    snprintf(what, sizeof what, "the configuration of layer %" PRIu32 " of %" PRIu32, l + 1,
             layers);
    const unsigned char *bytes = nnc_reader_take(r, n);
    if (bytes == NULL)
        return nnc_reader_truncated(r, "%s", what);
    void *config = nnc_alloc(1, type->config_size, 1);
    if (config == NULL)
        return NNC_ENOMEM;
    if (type->decode(config, bytes, n) != NNC_OK)
        st = nnc_reader_invalid(r, config_at, "%s: %s", what, nnc_last_error());
    else if (!canonical(type, config, bytes, n))
        st = nnc_reader_invalid(r, config_at, "%s is not as nnc writes it", what);
    else if (nnc_net_push_layer(net, type, config, act) != NNC_OK)
        st = nnc_reader_invalid(r, at, "layer %" PRIu32 " of %" PRIu32 " does not fit: %s",
                                l + 1, layers, nnc_last_error());
    free(config);
    return st;
}

nnc_status nnc_architecture_get(nnc_byte_reader *r, nnc_net **out)
{
    *out = NULL;
    size_t at = r->pos;
    nnc_shape shape;
    nnc_status st = get_shape(r, &shape);
    if (st != NNC_OK)
        return st;
    nnc_net *net = nnc_net_new_shaped(shape);
    if (net == NULL)
        return NNC_ENOMEM;
    uint32_t layers = 0;
    st = nnc_get_ranged(r, "the layer count", 1, NNC_MAX_LAYERS, &layers);
    for (uint32_t l = 0; st == NNC_OK && l < layers; l++)
        st = get_layer(r, net, l, layers);
    nnc_loss loss = NNC_LOSS_SQUARED_ERROR;
    if (st == NNC_OK)
        st = nnc_get_loss(r, "the loss", &loss);
    if (st == NNC_OK)
        st = nnc_net_set_loss(net, loss);
    /* Every parameter and state value is a float still to come in the
     * file: what the blocks take is bounded by the file's own size. */
    size_t params = nnc_net_param_count(net), state = nnc_net_state_count(net);
    size_t floats = nnc_reader_left(r) / 4;
    if (st == NNC_OK && (params > floats || state > floats - params))
        st = nnc_reader_invalid(r, at, "the architecture needs %zu parameters and %zu state "
                                       "values, more than the %zu bytes left in the file hold",
                                params, state, nnc_reader_left(r));
    if (st == NNC_OK)
        st = nnc_net_size_blocks(net, 0, 0);
    if (st != NNC_OK) {
        nnc_net_free(net);
        return st;
    }
    *out = net;
    return NNC_OK;
}

/* ============================================================ describing */

int nnc_architecture_describe(const nnc_net *net, char *buf, size_t n)
{
    nnc_shape in = nnc_net_input_shape(net);
    int k = snprintf(buf, n, "%dx%dx%d -> ", in.channels, in.height, in.width);
    size_t len = k > 0 ? (size_t)k : 0;
    len += (size_t)nnc_net_describe(net, len < n ? buf + len : NULL, len < n ? n - len : 0);
    len += (size_t)snprintf(len < n ? buf + len : NULL, len < n ? n - len : 0, " loss=%s",
                            nnc_loss_name(nnc_net_loss(net)));
    return (int)len;
}

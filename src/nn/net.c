/*
 * net.c - the layer stack: parameters in one block, forward and backward passes.
 *
 * All weights and biases live in one contiguous array (and their gradients in
 * another of the same layout), so optimizers, copies, saving and gradient
 * checks are single loops. Each layer records offsets into those blocks.
 *
 * The backward pass is the tutorial's chain rule, layer by layer from the top:
 *   dz_top      = d loss / d out  *  d out / d z        (loss, then activation)
 *   dW, db, dx  = dense_backward(dz)                    (the layer's local derivatives)
 *   dz_below    = dx  *  act'(z_below)                  (and on down the stack)
 */
#include "nn/nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Layers and widths are bounded so that every size product fits comfortably
 * in size_t and int arithmetic; real networks are far below these. */
#define MAX_LAYERS 1024
#define MAX_WIDTH (1 << 24)

struct nnc_net {
    int n_inputs;
    int n_layers;
    int layer_room;         /* layer records allocated */
    nnc_layer *layers;
    nnc_loss loss;
    int small;              /* takes small_sgd_step for one row (see there) */
    size_t n_params;
    float *params;
    float *grads;

    /* Scratch for a batch of up to `capacity` rows: each layer's z and out,
     * and two buffers of rows x widest for gradients flowing down. */
    int capacity;
    float *scratch;
    float **z;
    float **out;
    float *delta[2];
};

static size_t widest(const nnc_net *net)
{
    size_t w = (size_t)net->n_inputs;
    for (int l = 0; l < net->n_layers; l++)
        if ((size_t)net->layers[l].units > w)
            w = (size_t)net->layers[l].units;
    return w;
}

static void drop_scratch(nnc_net *net)
{
    free(net->scratch);
    free(net->z);
    net->scratch = NULL;
    net->z = NULL;
    net->out = NULL;
    net->capacity = 0;
}

/* Sizes the scratch space for `rows` rows; does nothing when it is big enough,
 * which is what keeps the training loop free of allocations. */
static nnc_status reserve(nnc_net *net, int rows)
{
    if (rows <= net->capacity)
        return NNC_OK;
    size_t per_row = 2 * widest(net);
    for (int l = 0; l < net->n_layers; l++)
        per_row += 2 * (size_t)net->layers[l].units;
    float **views = nnc_alloc(2 * (size_t)net->n_layers + 1, sizeof *views, 0);
    float *block = nnc_alloc_aligned((size_t)rows, per_row * sizeof(float), 0);
    if (views == NULL || block == NULL) {
        free(views);
        free(block);
        return NNC_ENOMEM;
    }
    drop_scratch(net);
    net->scratch = block;
    net->z = views;
    net->out = views + net->n_layers;
    float *p = block;
    for (int l = 0; l < net->n_layers; l++) {
        size_t n = (size_t)rows * (size_t)net->layers[l].units;
        net->z[l] = p;
        net->out[l] = p + n;
        p += 2 * n;
    }
    net->delta[0] = p;
    net->delta[1] = p + (size_t)rows * widest(net);
    net->capacity = rows;
    return NNC_OK;
}

/* At most this many weights per layer for the small single-row step. */
#define SMALL_LAYER_WEIGHTS 256

/* Whether a one-row step can take small_sgd_step: narrow layers and an
 * element-wise output that fuses with the loss. Kept in net->small, since
 * only adding a layer or setting the loss changes it. */
static int takes_small_step(const nnc_net *net)
{
    for (int l = 0; l < net->n_layers; l++)
        if ((long)net->layers[l].inputs * net->layers[l].units > SMALL_LAYER_WEIGHTS)
            return 0;
    nnc_activation top = net->layers[net->n_layers - 1].act;
    return top != NNC_SOFTMAX && nnc_loss_fuses_with(net->loss, top);
}

nnc_net *nnc_net_new(int n_inputs)
{
    if (n_inputs < 1 || n_inputs > MAX_WIDTH) {
        nnc_fail(NNC_EINVAL, "network: inputs must be between 1 and %d, got %d", MAX_WIDTH,
                 n_inputs);
        return NULL;
    }
    nnc_net *net = nnc_alloc(1, sizeof *net, 1);
    if (net == NULL)
        return NULL;
    net->n_inputs = n_inputs;
    net->loss = NNC_LOSS_SQUARED_ERROR;
    return net;
}

void nnc_net_free(nnc_net *net)
{
    if (net == NULL)
        return;
    drop_scratch(net);
    free(net->layers);
    free(net->params);
    free(net->grads);
    free(net);
}

nnc_net *nnc_net_clone(const nnc_net *net)
{
    if (net == NULL) {
        nnc_fail(NNC_EINVAL, "clone: NULL network");
        return NULL;
    }
    nnc_net *copy = nnc_alloc(1, sizeof *copy, 1);
    if (copy == NULL)
        return NULL;
    *copy = *net;
    copy->capacity = 0;
    copy->scratch = NULL;
    copy->z = copy->out = NULL;
    copy->layers = nnc_alloc((size_t)net->n_layers, sizeof *copy->layers, 0);
    copy->layer_room = net->n_layers;
    copy->params = nnc_alloc_aligned(net->n_params, sizeof(float), 0);
    copy->grads = nnc_alloc_aligned(net->n_params, sizeof(float), 1);
    if (copy->layers == NULL || copy->params == NULL || copy->grads == NULL) {
        nnc_net_free(copy);
        return NULL;
    }
    if (net->n_layers > 0)
        memcpy(copy->layers, net->layers, (size_t)net->n_layers * sizeof *copy->layers);
    if (net->n_params > 0)
        memcpy(copy->params, net->params, net->n_params * sizeof(float));
    return copy;
}

/* Checks a layer and appends it to the stack with its offsets, leaving the
 * parameter blocks as they are (see size_blocks). */
static nnc_status append_layer(nnc_net *net, int units, nnc_activation act)
{
    if (units < 1 || units > MAX_WIDTH)
        return nnc_fail(NNC_EINVAL, "add dense: units must be between 1 and %d, got %d",
                        MAX_WIDTH, units);
    if (nnc_activation_name(act) == NULL)
        return nnc_fail(NNC_EINVAL, "add dense: unknown activation %d", (int)act);
    if (act == NNC_SOFTMAX && units < 2)
        return nnc_fail(NNC_EINVAL, "add dense: softmax needs at least 2 units, got %d",
                        units);
    if (net->n_layers >= MAX_LAYERS)
        return nnc_fail(NNC_EINVAL, "add dense: at most %d layers", MAX_LAYERS);

    int inputs = net->n_layers ? net->layers[net->n_layers - 1].units : net->n_inputs;
    size_t weights;
    if (nnc_mul_overflows((size_t)units, (size_t)inputs, &weights) ||
        net->n_params > SIZE_MAX / sizeof(float) - weights - (size_t)units)
        return nnc_fail(NNC_ENOMEM, "add dense: %d x %d weights are too many", units, inputs);
    /* Room for the layer records doubles, so building n layers copies O(n)
     * records in all, not O(n^2). */
    if (net->n_layers == net->layer_room) {
        int room = net->layer_room ? 2 * net->layer_room : 4;
        nnc_layer *layers = realloc(net->layers, (size_t)room * sizeof *layers);
        if (layers == NULL)
            return nnc_fail(NNC_ENOMEM, "add dense: out of memory");
        net->layers = layers;
        net->layer_room = room;
    }
    nnc_layer *layer = &net->layers[net->n_layers++];
    layer->inputs = inputs;
    layer->units = units;
    layer->act = act;
    layer->weight_offset = net->n_params;
    layer->bias_offset = net->n_params + weights;
    net->n_params += weights + (size_t)units;
    return NNC_OK;
}

/* Gives the network parameter and gradient blocks of exactly n_params
 * floats, zeroed but for the first `keep` parameters, copied from the old
 * block. Exact, not grown with room to spare: the blocks are the network's
 * memory, and the hot loops run over n_params either way. */
static nnc_status size_blocks(nnc_net *net, size_t keep)
{
    float *params = nnc_alloc_aligned(net->n_params, sizeof(float), 1);
    float *grads = nnc_alloc_aligned(net->n_params, sizeof(float), 1);
    if (params == NULL || grads == NULL) {
        free(params);
        free(grads);
        return NNC_ENOMEM;
    }
    if (keep > 0)
        memcpy(params, net->params, keep * sizeof(float));
    free(net->params);
    free(net->grads);
    net->params = params;
    net->grads = grads;
    net->small = takes_small_step(net);
    drop_scratch(net);   /* the widths changed; sized again on the next batch */
    return NNC_OK;
}

nnc_status nnc_net_add_dense(nnc_net *net, int units, nnc_activation act)
{
    if (net == NULL)
        return nnc_fail(NNC_EINVAL, "add dense: NULL network");
    size_t before = net->n_params;
    nnc_status st = append_layer(net, units, act);
    if (st == NNC_OK && (st = size_blocks(net, before)) != NNC_OK) {
        net->n_layers--;   /* a failed call leaves the network as it was */
        net->n_params = before;
    }
    return st;
}

nnc_net *nnc_net_new_stack(int n_inputs, int n_layers, const int *units,
                           const nnc_activation *acts)
{
    if (n_layers < 1 || units == NULL || acts == NULL) {
        nnc_fail(NNC_EINVAL, "network: a stack needs at least one layer, got %d", n_layers);
        return NULL;
    }
    nnc_net *net = nnc_net_new(n_inputs);
    nnc_status st = net != NULL ? NNC_OK : NNC_ENOMEM;
    for (int l = 0; st == NNC_OK && l < n_layers; l++)
        st = append_layer(net, units[l], acts[l]);
    if (st == NNC_OK)
        st = size_blocks(net, 0);
    if (st != NNC_OK) {
        nnc_net_free(net);
        return NULL;
    }
    return net;
}

nnc_status nnc_net_set_loss(nnc_net *net, nnc_loss loss)
{
    if (net == NULL)
        return nnc_fail(NNC_EINVAL, "set loss: NULL network");
    if (nnc_loss_name(loss) == NULL)
        return nnc_fail(NNC_EINVAL, "set loss: unknown loss %d", (int)loss);
    net->loss = loss;
    net->small = takes_small_step(net);
    return NNC_OK;
}

int nnc_net_inputs(const nnc_net *net) { return net ? net->n_inputs : 0; }
int nnc_net_layer_count(const nnc_net *net) { return net ? net->n_layers : 0; }
nnc_loss nnc_net_loss(const nnc_net *net) { return net ? net->loss : NNC_LOSS_SQUARED_ERROR; }
size_t nnc_net_param_count(const nnc_net *net) { return net ? net->n_params : 0; }
float *nnc_net_params(nnc_net *net) { return net ? net->params : NULL; }
float *nnc_net_grads(nnc_net *net) { return net ? net->grads : NULL; }

int nnc_net_outputs(const nnc_net *net)
{
    return net && net->n_layers ? net->layers[net->n_layers - 1].units : 0;
}

static const nnc_layer *layer_at(const nnc_net *net, int layer)
{
    if (net == NULL || layer < 0 || layer >= net->n_layers)
        return NULL;
    return &net->layers[layer];
}

int nnc_net_layer_units(const nnc_net *net, int layer)
{
    const nnc_layer *l = layer_at(net, layer);
    return l ? l->units : -1;
}

nnc_activation nnc_net_layer_activation(const nnc_net *net, int layer)
{
    const nnc_layer *l = layer_at(net, layer);
    return l ? l->act : NNC_IDENTITY;
}

float *nnc_net_weights(nnc_net *net, int layer)
{
    const nnc_layer *l = layer_at(net, layer);
    return l ? net->params + l->weight_offset : NULL;
}

float *nnc_net_bias(nnc_net *net, int layer)
{
    const nnc_layer *l = layer_at(net, layer);
    return l ? net->params + l->bias_offset : NULL;
}

float *nnc_net_weight_grads(nnc_net *net, int layer)
{
    const nnc_layer *l = layer_at(net, layer);
    return l ? net->grads + l->weight_offset : NULL;
}

float *nnc_net_bias_grads(nnc_net *net, int layer)
{
    const nnc_layer *l = layer_at(net, layer);
    return l ? net->grads + l->bias_offset : NULL;
}

nnc_status nnc_net_init(nnc_net *net, nnc_init scheme, nnc_rng *rng)
{
    if (net == NULL || rng == NULL)
        return nnc_fail(NNC_EINVAL, "init: NULL argument");
    if (scheme != NNC_INIT_STANDARD_NORMAL && scheme != NNC_INIT_XAVIER &&
        scheme != NNC_INIT_HE)
        return nnc_fail(NNC_EINVAL, "init: unknown scheme %d", (int)scheme);
    for (int l = 0; l < net->n_layers; l++) {
        const nnc_layer *layer = &net->layers[l];
        double std = 1.0;
        if (scheme == NNC_INIT_XAVIER)
            std = sqrt(2.0 / (layer->inputs + layer->units));
        else if (scheme == NNC_INIT_HE)
            std = sqrt(2.0 / layer->inputs);
        /* Drawn in block order, weights then bias, as the tutorial draws its
         * two weights and then its bias. */
        float *w = net->params + layer->weight_offset;
        size_t n = (size_t)layer->units * (size_t)layer->inputs;
        for (size_t i = 0; i < n; i++)
            w[i] = (float)(std * nnc_rng_normal(rng));
        float *b = net->params + layer->bias_offset;
        for (int u = 0; u < layer->units; u++)
            b[u] = scheme == NNC_INIT_STANDARD_NORMAL ? (float)nnc_rng_normal(rng) : 0.0f;
    }
    return NNC_OK;
}

static nnc_status check_batch(const char *what, nnc_net *net, const float *x,
                              const void *out, int rows)
{
    if (net == NULL || x == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "%s: NULL argument", what);
    if (net->n_layers == 0)
        return nnc_fail(NNC_EINVAL, "%s: the network has no layers", what);
    return nnc_check_rows(what, rows);
}

/* Runs the batch through every layer, leaving z and out of each in scratch. */
static nnc_status forward(nnc_net *net, const float *x, int rows)
{
    nnc_status st = reserve(net, rows);
    if (st != NNC_OK)
        return st;
    const float *in = x;
    for (int l = 0; l < net->n_layers; l++) {
        const nnc_layer *layer = &net->layers[l];
        nnc_dense_forward(layer, net->params + layer->weight_offset,
                          net->params + layer->bias_offset, in, rows, net->z[l], net->out[l]);
        in = net->out[l];
    }
    return NNC_OK;
}

nnc_status nnc_predict(nnc_net *net, const float *x, int rows, float *out)
{
    nnc_status st = check_batch("predict", net, x, out, rows);
    if (st == NNC_OK)
        st = forward(net, x, rows);
    if (st != NNC_OK)
        return st;
    const float *top = net->out[net->n_layers - 1];
    memcpy(out, top, (size_t)rows * (size_t)nnc_net_outputs(net) * sizeof *out);
    return NNC_OK;
}

nnc_status nnc_net_loss_value(nnc_net *net, const float *x, const float *y, int rows,
                              double *loss)
{
    nnc_status st = check_batch("loss", net, x, y, rows);
    if (st == NNC_OK && loss == NULL)
        st = nnc_fail(NNC_EINVAL, "loss: NULL argument");
    if (st == NNC_OK)
        st = forward(net, x, rows);
    if (st != NNC_OK)
        return st;
    return nnc_loss_forward(net->loss, net->out[net->n_layers - 1], y, rows,
                            nnc_net_outputs(net), loss);
}

/* d loss / d z of the top layer into dz, through the loss and the activation
 * (in one fused step where the pair allows it). */
static void top_gradient(nnc_net *net, const float *y, int rows, float *dz)
{
    const nnc_layer *top = &net->layers[net->n_layers - 1];
    const float *out = net->out[net->n_layers - 1];
    const float *z = net->z[net->n_layers - 1];
    if (nnc_loss_fuses_with(net->loss, top->act)) {
        nnc_loss_fused_backward(net->loss, top->act, out, y, rows, top->units, dz);
        return;
    }
    nnc_loss_gradient(net->loss, out, y, rows, top->units, dz);
    nnc_activate_backward(top->act, z, out, dz, dz, rows, top->units);
}

/* The loss of the rows just run forward into *loss, refusing a non-finite
 * one: training has diverged, and the step must not go on to the update. */
static nnc_status measure_loss(nnc_net *net, const float *y, int rows, double *loss)
{
    (void)nnc_loss_forward(net->loss, net->out[net->n_layers - 1], y, rows,
                           nnc_net_outputs(net), loss);
    if (!isfinite(*loss))
        return nnc_fail(NNC_ENUMERIC,
                        "the loss is not finite (%g): training diverged; try a smaller "
                        "learning rate",
                        *loss);
    return NNC_OK;
}

/* What both backward passes start with: checks, the forward pass, and the
 * loss (when asked for), refusing a non-finite one. */
static nnc_status forward_for_backward(nnc_net *net, const float *x, const float *y, int rows,
                                       double *loss)
{
    nnc_status st = check_batch("gradients", net, x, y, rows);
    if (st != NNC_OK)
        return st;
    const nnc_layer *top = &net->layers[net->n_layers - 1];
    if (net->loss == NNC_LOSS_SOFTMAX_CROSS_ENTROPY && top->act != NNC_SOFTMAX)
        return nnc_fail(NNC_EINVAL,
                        "gradients: softmax_cross_entropy needs a softmax output layer, "
                        "the output layer is %s",
                        nnc_activation_name(top->act));
    if ((st = forward(net, x, rows)) != NNC_OK)
        return st;
    return loss != NULL ? measure_loss(net, y, rows, loss) : NNC_OK;
}

/* The chain rule from the top layer down, starting from the top layer's
 * d loss / d z in delta[0]. With rate 0 each layer adds its
 * local derivatives to the gradient block (and the input gradient goes to dx,
 * if not NULL); with a rate > 0 each layer instead applies the plain SGD step
 * to its weights at once (nnc_dense_sgd), after passing the chain down. */
static void chain_down(nnc_net *net, const float *x, int rows, float rate, float *dx)
{
    float *dz = net->delta[0], *below = net->delta[1];
    for (int l = net->n_layers - 1; l >= 0; l--) {
        const nnc_layer *layer = &net->layers[l];
        const float *in = l > 0 ? net->out[l - 1] : x;
        float *w = net->params + layer->weight_offset, *down = l > 0 ? below : dx;
        if (rate > 0.0f)
            nnc_dense_sgd(layer, w, net->params + layer->bias_offset, in, dz, rows, rate, down);
        else
            nnc_dense_backward(layer, w, in, dz, rows, net->grads + layer->weight_offset,
                               net->grads + layer->bias_offset, down);
        if (l > 0) {
            const nnc_layer *prev = &net->layers[l - 1];
            nnc_activate_backward(prev->act, net->z[l - 1], net->out[l - 1], below, below, rows,
                                  prev->units);
            float *t = dz;
            dz = below;
            below = t;
        }
    }
}

/* The whole backward pass: the top layer's gradient into delta[0], then the
 * chain down from it. */
static void backward(nnc_net *net, const float *x, const float *y, int rows, float rate,
                     float *dx)
{
    top_gradient(net, y, rows, net->delta[0]);
    chain_down(net, x, rows, rate, dx);
}

nnc_status nnc_net_gradients(nnc_net *net, const float *x, const float *y, int rows,
                             double *loss, float *dx)
{
    nnc_status st = forward_for_backward(net, x, y, rows, loss);
    if (st != NNC_OK)
        return st;
    memset(net->grads, 0, net->n_params * sizeof *net->grads);
    backward(net, x, y, rows, 0.0f, dx);
    return NNC_OK;
}

/* b + w . in over n inputs, summed in order (as the tiny-layer loops do). */
static float unit_sum(const float *restrict w, const float *restrict in, int n, float b)
{
    float sum = b;
    for (int i = 0; i < n; i++)
        sum += w[i] * in[i];
    return sum;
}

/* z = b + W in and out = act(z), unit by unit, for one row through a narrow
 * layer. */
static void small_forward(const nnc_layer *layer, const float *params, const float *in,
                          float *z, float *out)
{
    const float *w = params + layer->weight_offset, *b = params + layer->bias_offset;
    for (int u = 0; u < layer->units; u++) {
        z[u] = unit_sum(w + (size_t)u * layer->inputs, in, layer->inputs, b[u]);
        out[u] = nnc_activate_one(layer->act, z[u]);
    }
}

/* Layer l's input: x for the first layer, the output below for the others. */
static const float *l_in(const nnc_net *net, const float *x, int l)
{
    return l > 0 ? net->out[l - 1] : x;
}

/* The output layer's part of small_sgd_step: each unit's value (unless
 * forward_done, when it is read from out), its loss gradient, passed down
 * into dx (if not NULL) with the old weights, then its update. */
static void small_top_step(nnc_net *net, const float *in, const float *y, float rate,
                           int forward_done, float *dx)
{
    const int top = net->n_layers - 1;
    const nnc_layer *t = &net->layers[top];
    float *w = net->params + t->weight_offset, *b = net->params + t->bias_offset;
    const float scale = nnc_fused_delta_scale(net->loss, (size_t)t->units);
    if (dx != NULL)
        memset(dx, 0, (size_t)t->inputs * sizeof *dx);
    for (int u = 0; u < t->units; u++) {
        float *wu = w + (size_t)u * t->inputs, p = net->out[top][u];
        if (!forward_done) {
            net->z[top][u] = unit_sum(wu, in, t->inputs, b[u]);
            p = net->out[top][u] = nnc_activate_one(t->act, net->z[top][u]);
        }
        float d = nnc_fused_delta_one(net->loss, t->act, p, y[u], scale);
        nnc_dense_unit_sgd(wu, b + u, in, t->inputs, d, rate, dx);
    }
}

/* The plain SGD step for one row through a small network (the tutorial's
 * 2 -> 1 is the model case), with the same arithmetic as forward() and
 * backward() but in one place: each output unit's value, its loss gradient
 * and its update follow one another without leaving registers. At a few
 * weights per layer the step is a chain of dependent operations, and every
 * store and reload, call and dispatch on the way lengthens it. */
static nnc_status small_sgd_step(nnc_net *net, const float *x, const float *y, float rate,
                                 double *loss)
{
    nnc_status st = check_batch("gradients", net, x, y, 1);
    if (st == NNC_OK)
        st = reserve(net, 1);
    if (st != NNC_OK)
        return st;
    /* The loss must be known (and finite) before the update, so asking for
     * it costs the top layer's values a trip through memory. */
    const int top = net->n_layers - 1, forward_done = loss != NULL;
    for (int l = 0; l < top + forward_done; l++)
        small_forward(&net->layers[l], net->params, l_in(net, x, l), net->z[l], net->out[l]);
    if (loss != NULL && (st = measure_loss(net, y, 1, loss)) != NNC_OK)
        return st;
    float *dz = net->delta[0], *below = net->delta[1];
    small_top_step(net, l_in(net, x, top), y, rate, forward_done, top > 0 ? dz : NULL);
    for (int l = top - 1; l >= 0; l--) {
        const nnc_layer *layer = &net->layers[l];
        nnc_activate_backward(layer->act, net->z[l], net->out[l], dz, dz, 1, layer->units);
        nnc_dense_sgd_single(layer, net->params + layer->weight_offset,
                             net->params + layer->bias_offset, l_in(net, x, l), dz, rate,
                             l > 0 ? below : NULL);
        float *swap = dz;
        dz = below;
        below = swap;
    }
    return NNC_OK;
}

nnc_status nnc_net_sgd_step(nnc_net *net, const float *x, const float *y, int rows,
                            float learning_rate, double *loss)
{
    if (net != NULL && net->small && rows == 1)
        return small_sgd_step(net, x, y, learning_rate, loss);
    nnc_status st = forward_for_backward(net, x, y, rows, loss);
    if (st == NNC_OK)
        backward(net, x, y, rows, learning_rate, NULL);
    return st;
}

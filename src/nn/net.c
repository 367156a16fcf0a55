/*
 * net.c - the layer stack: parameters in one block, forward and backward passes.
 *
 * Every layer's trained parameters live in one contiguous array (and their
 * gradients in another of the same layout), and its non-trained state in a
 * third, so optimizers, copies, saving and gradient checks are single loops.
 * Each layer records offsets into those blocks; what a layer is and does is
 * its type's (nn/layer.h, one file per type in layers/).
 *
 * The backward pass is the tutorial's chain rule, layer by layer from the top:
 *   dz_top      = d loss / d out  *  d out / d z        (loss, then activation)
 *   dW, db, dx  = type->backward(dz)                    (the layer's local derivatives)
 *   dz_below    = dx  *  act'(z_below)                  (and on down the stack)
 *
 * A sparse input (nnc_net_set_sparse) changes only the first layer's side
 * of a pass: that layer reads the rows' non-zeros (nnc_pass.sparse, x NULL)
 * and works on the batch's columns of its weights alone; the gradient block
 * is cleared, and the plain step applied, there and in every other tensor,
 * so no pass touches what the vocabulary costs.
 */
#include "nn/layer.h"
#include "nn/nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct nnc_net {
    nnc_shape in_shape;
    int n_inputs;           /* in_shape's product */
    int n_layers;
    int layer_room;         /* layer records allocated */
    nnc_layer *layers;
    nnc_loss loss;
    int small;              /* takes small_sgd_step for one row (see there) */
    int fused;              /* every layer offers the fused SGD step */
    size_t n_params;
    float *params;
    float *grads;
    size_t n_state;
    float *state;           /* non-trained values (running statistics), saved, never optimised */
    nnc_rng *rng;           /* what a training pass draws from (not owned) */
    const nnc_sparse_rows *sparse;   /* the first layer's input, or NULL (not owned) */

    /* A sparse pass's first-layer weight gradients, column by column
     * (nnc_net_column_grads), and what the layer needs to put them there:
     * each non-zero's place among the batch's columns (slot), found through
     * place (an input's place, -1 when the batch lacks it). */
    float *column_grads;    /* column_room x the first layer's units */
    size_t column_room;
    int *slot;              /* slot_room */
    size_t slot_room;
    int *place;             /* n_inputs, or NULL before the first sparse gradients */

    /* Memory for a batch of up to `capacity` rows: each layer's z and out
     * and saved values, the shared work space, and two buffers of rows x
     * widest for gradients flowing down. */
    int capacity;
    float *scratch;
    float **z;
    float **out;
    float **saved;
    float *work;
    float *work_fixed;
    float *delta[2];
};

/* The most values per row in and out of any layer. */
static size_t widest(const nnc_net *net)
{
    size_t w = (size_t)net->n_inputs;
    for (int l = 0; l < net->n_layers; l++)
        if ((size_t)net->layers[l].outputs > w)
            w = (size_t)net->layers[l].outputs;
    return w;
}

/* The most work space any layer asks for: per row, or (fixed) per pass. */
static size_t widest_work_of(const nnc_net *net, int fixed)
{
    size_t w = 0;
    for (int l = 0; l < net->n_layers; l++) {
        const nnc_layer_plan *p = &net->layers[l].plan;
        size_t want = fixed ? p->scratch_fixed : p->scratch_per_row;
        if (want > w)
            w = want;
    }
    return w;
}

static size_t widest_work(const nnc_net *net)
{
    return widest_work_of(net, 0);
}

static void drop_scratch(nnc_net *net)
{
    free(net->scratch);
    free(net->z);
    net->scratch = NULL;
    net->z = NULL;
    net->out = NULL;
    net->saved = NULL;
    net->work = NULL;
    net->work_fixed = NULL;
    net->capacity = 0;
}

/* Sizes the batch memory for `rows` rows; does nothing when it is big
 * enough, which is what keeps the training loop free of allocations. */
static nnc_status reserve(nnc_net *net, int rows)
{
    if (rows <= net->capacity)
        return NNC_OK;
    size_t per_row = 2 * widest(net) + widest_work(net);
    for (int l = 0; l < net->n_layers; l++)
        per_row += 2 * (size_t)net->layers[l].outputs + net->layers[l].plan.saved_per_row;
    /* The fixed work space goes after the rows' blocks: rows + 1 blocks of
     * per_row floats hold it whenever it is no larger than one (a layer's
     * transformed kernels are far smaller than a row of the batch's memory
     * in every network nnc plans; otherwise the blocks are made to fit). */
    size_t fixed = widest_work_of(net, 1), extra = (fixed + per_row - 1) / per_row;
    float **views = nnc_alloc(3 * (size_t)net->n_layers + 1, sizeof *views, 0);
    float *block = nnc_alloc_aligned((size_t)rows + extra, per_row * sizeof(float), 0);
    if (views == NULL || block == NULL) {
        free(views);
        free(block);
        return NNC_ENOMEM;
    }
    drop_scratch(net);
    net->scratch = block;
    net->z = views;
    net->out = views + net->n_layers;
    net->saved = views + 2 * net->n_layers;
    float *p = block;
    for (int l = 0; l < net->n_layers; l++) {
        size_t n = (size_t)rows * (size_t)net->layers[l].outputs;
        net->z[l] = p;
        net->out[l] = p + n;
        p += 2 * n;
        net->saved[l] = p;
        p += (size_t)rows * net->layers[l].plan.saved_per_row;
    }
    net->work = p;
    p += (size_t)rows * widest_work(net);
    net->delta[0] = p;
    net->delta[1] = p + (size_t)rows * widest(net);
    net->work_fixed = net->delta[1] + (size_t)rows * widest(net);
    net->capacity = rows;
    return NNC_OK;
}

/* Layer l's slices of the network's blocks for a pass. */
static nnc_layer_data layer_data(const nnc_net *net, int l)
{
    const nnc_layer *layer = &net->layers[l];
    nnc_layer_data d = { net->params + layer->param_offset, net->grads + layer->param_offset,
                         net->state + layer->state_offset, net->saved ? net->saved[l] : NULL };
    return d;
}

/* Whether a one-row step can take small_sgd_step: the layers are all of one
 * type that offers the single-row step, each finds itself small, and the
 * output is element-wise and fuses with the loss. Kept in net->small, since only adding a layer or
 * setting the loss changes it. */
static int takes_small_step(const nnc_net *net)
{
    if (net->n_layers == 0 || net->layers[0].type->row_stack_sgd == NULL)
        return 0;
    for (int l = 0; l < net->n_layers; l++) {
        const nnc_layer *layer = &net->layers[l];
        if (layer->type != net->layers[0].type || !layer->type->row_small(layer))
            return 0;
    }
    nnc_activation top = net->layers[net->n_layers - 1].act;
    return top != NNC_SOFTMAX && nnc_loss_fuses_with(net->loss, top);
}

static int takes_fused_step(const nnc_net *net)
{
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].type->sgd == NULL)
            return 0;
    return 1;
}

/* The rule every shape follows, data sets' too (core/shape.c). */
static int shape_ok(nnc_shape s)
{
    return nnc_shape_size(s) > 0;
}

nnc_net *nnc_net_new_shaped(nnc_shape shape)
{
    if (!shape_ok(shape)) {
        nnc_fail(NNC_EINVAL,
                 "network: the input shape must have dimensions >= 1 and at most %d values, "
                 "got %dx%dx%d",
                 NNC_MAX_WIDTH, shape.channels, shape.height, shape.width);
        return NULL;
    }
    nnc_net *net = nnc_alloc(1, sizeof *net, 1);
    if (net == NULL)
        return NULL;
    net->in_shape = shape;
    net->n_inputs = shape.channels * shape.height * shape.width;
    net->loss = NNC_LOSS_SQUARED_ERROR;
    net->fused = 1;
    return net;
}

nnc_net *nnc_net_new(int n_inputs)
{
    if (n_inputs < 1 || n_inputs > NNC_MAX_WIDTH) {
        nnc_fail(NNC_EINVAL, "network: inputs must be between 1 and %d, got %d", NNC_MAX_WIDTH,
                 n_inputs);
        return NULL;
    }
    return nnc_net_new_shaped((nnc_shape){ n_inputs, 1, 1 });
}

static void free_configs(nnc_layer *layers, int n)
{
    for (int l = 0; l < n; l++)
        free(layers[l].config);
}

void nnc_net_free(nnc_net *net)
{
    if (net == NULL)
        return;
    drop_scratch(net);
    free_configs(net->layers, net->n_layers);
    free(net->layers);
    free(net->params);
    free(net->grads);
    free(net->state);
    free(net->column_grads);
    free(net->slot);
    free(net->place);
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
    copy->z = copy->out = copy->saved = NULL;
    copy->work = NULL;
    copy->work_fixed = NULL;
    copy->sparse = NULL;   /* the rows are a batch's, like the scratch: a copy starts dense */
    copy->column_grads = NULL;
    copy->column_room = copy->slot_room = 0;
    copy->slot = copy->place = NULL;
    copy->n_layers = 0;   /* the configurations are copied one by one below */
    copy->layers = nnc_alloc((size_t)net->n_layers, sizeof *copy->layers, 0);
    copy->layer_room = net->n_layers;
    copy->params = nnc_alloc_aligned(net->n_params, sizeof(float), 0);
    copy->grads = nnc_alloc_aligned(net->n_params, sizeof(float), 1);
    copy->state = nnc_alloc_aligned(net->n_state, sizeof(float), 0);
    if (copy->layers == NULL || copy->params == NULL || copy->grads == NULL ||
        copy->state == NULL) {
        nnc_net_free(copy);
        return NULL;
    }
    for (int l = 0; l < net->n_layers; l++) {
        copy->layers[l] = net->layers[l];
        copy->layers[l].config = nnc_alloc(1, net->layers[l].type->config_size, 0);
        if (copy->layers[l].config == NULL) {
            nnc_net_free(copy);
            return NULL;
        }
        memcpy(copy->layers[l].config, net->layers[l].config, net->layers[l].type->config_size);
        copy->n_layers = l + 1;
    }
    if (net->n_params > 0)
        memcpy(copy->params, net->params, net->n_params * sizeof(float));
    if (net->n_state > 0)
        memcpy(copy->state, net->state, net->n_state * sizeof(float));
    return copy;
}

/* The shape a new layer gets as its input: the top's output, or the network's input. */
static nnc_shape top_shape(const nnc_net *net)
{
    return net->n_layers ? net->layers[net->n_layers - 1].out_shape : net->in_shape;
}

/* The sum of a plan's tensor sizes into *total, refusing one that does not
 * fit in a block of floats after `before` values. */
static int sum_tensors(const nnc_tensor *t, int n, size_t before, size_t *total)
{
    size_t sum = 0;
    for (int i = 0; i < n; i++) {
        if (t[i].size > SIZE_MAX / sizeof(float) - before - sum)
            return 0;
        sum += t[i].size;
    }
    *total = sum;
    return 1;
}

nnc_status nnc_net_push_layer(nnc_net *net, const nnc_layer_type *type, const void *config,
                              nnc_activation act)
{
    const char *name = type->name;
    if (nnc_activation_name(act) == NULL)
        return nnc_fail(NNC_EINVAL, "add %s: unknown activation %d", name, (int)act);
    if (!type->takes_activation && act != NNC_IDENTITY)
        return nnc_fail(NNC_EINVAL, "add %s: a %s layer takes no activation, got %s", name,
                        name, nnc_activation_name(act));
    if (net->n_layers >= NNC_MAX_LAYERS)
        return nnc_fail(NNC_EINVAL, "add %s: at most %d layers", name, NNC_MAX_LAYERS);
    nnc_layer_plan plan;
    memset(&plan, 0, sizeof plan);
    nnc_shape in = top_shape(net);
    nnc_status st = type->plan(config, in, &plan);
    if (st != NNC_OK)
        return st;
    size_t params, state;
    if (!shape_ok(plan.out))
        return nnc_fail(NNC_EINVAL, "add %s: the output shape %dx%dx%d has more than %d values",
                        name, plan.out.channels, plan.out.height, plan.out.width,
                        NNC_MAX_WIDTH);
    if (!sum_tensors(plan.params, plan.n_params, net->n_params, &params) ||
        !sum_tensors(plan.state, plan.n_state, net->n_state, &state))
        return nnc_fail(NNC_ENOMEM, "add %s: too many parameters", name);
    int outputs = plan.out.channels * plan.out.height * plan.out.width;
    if (act == NNC_SOFTMAX && outputs < 2)
        return nnc_fail(NNC_EINVAL, "add %s: softmax needs at least 2 units, got %d", name,
                        outputs);
    /* Room for the layer records doubles, so building n layers copies O(n)
     * records in all, not O(n^2). */
    if (net->n_layers == net->layer_room) {
        int room = net->layer_room ? 2 * net->layer_room : 4;
        nnc_layer *layers = realloc(net->layers, (size_t)room * sizeof *layers);
        if (layers == NULL)
            return nnc_fail(NNC_ENOMEM, "add %s: out of memory", name);
        net->layers = layers;
        net->layer_room = room;
    }
    void *copy = nnc_alloc(1, type->config_size, 0);
    if (copy == NULL)
        return NNC_ENOMEM;
    memcpy(copy, config, type->config_size);
    nnc_layer *layer = &net->layers[net->n_layers++];
    layer->type = type;
    layer->config = copy;
    layer->act = act;
    layer->in_shape = in;
    layer->out_shape = plan.out;
    layer->inputs = in.channels * in.height * in.width;
    layer->outputs = outputs;
    layer->plan = plan;
    layer->param_offset = net->n_params;
    layer->param_count = params;
    layer->state_offset = net->n_state;
    layer->state_count = state;
    net->n_params += params;
    net->n_state += state;
    return NNC_OK;
}

void nnc_net_pop_layer(nnc_net *net)
{
    nnc_layer *top = &net->layers[--net->n_layers];
    net->n_params -= top->param_count;
    net->n_state -= top->state_count;
    free(top->config);
}

/* Blocks of exactly the stack's sizes, not grown with room to spare: they
 * are the network's memory, and the hot loops run over n_params either way. */
nnc_status nnc_net_size_blocks(nnc_net *net, size_t keep, size_t keep_state)
{
    float *params = nnc_alloc_aligned(net->n_params, sizeof(float), 1);
    float *grads = nnc_alloc_aligned(net->n_params, sizeof(float), 1);
    float *state = nnc_alloc_aligned(net->n_state, sizeof(float), 1);
    if (params == NULL || grads == NULL || state == NULL) {
        free(params);
        free(grads);
        free(state);
        return NNC_ENOMEM;
    }
    if (keep > 0)
        memcpy(params, net->params, keep * sizeof(float));
    if (keep_state > 0)
        memcpy(state, net->state, keep_state * sizeof(float));
    free(net->params);
    free(net->grads);
    free(net->state);
    net->params = params;
    net->grads = grads;
    net->state = state;
    net->small = takes_small_step(net);
    net->fused = takes_fused_step(net);
    drop_scratch(net);   /* the widths changed; sized again on the next batch */
    return NNC_OK;
}

/* Pushes a layer and sizes the blocks, or leaves the network as it was. */
static nnc_status add_layer(nnc_net *net, const nnc_layer_type *type, const void *config,
                            nnc_activation act)
{
    size_t before = net->n_params, before_state = net->n_state;
    nnc_status st = nnc_net_push_layer(net, type, config, act);
    if (st == NNC_OK && (st = nnc_net_size_blocks(net, before, before_state)) != NNC_OK)
        nnc_net_pop_layer(net);
    return st;
}

nnc_status nnc_net_add_dense(nnc_net *net, int units, nnc_activation act)
{
    if (net == NULL)
        return nnc_fail(NNC_EINVAL, "add dense: NULL network");
    if (units < 1 || units > NNC_MAX_WIDTH)
        return nnc_fail(NNC_EINVAL, "add dense: units must be between 1 and %d, got %d",
                        NNC_MAX_WIDTH, units);
    nnc_dense_config config = { units, 0 };
    return add_layer(net, &nnc_dense_type, &config, act);
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
    for (int l = 0; st == NNC_OK && l < n_layers; l++) {
        if (units[l] < 1 || units[l] > NNC_MAX_WIDTH)
            st = nnc_fail(NNC_EINVAL, "add dense: units must be between 1 and %d, got %d",
                          NNC_MAX_WIDTH, units[l]);
        nnc_dense_config config = { units[l], 0 };
        if (st == NNC_OK)
            st = nnc_net_push_layer(net, &nnc_dense_type, &config, acts[l]);
    }
    if (st == NNC_OK)
        st = nnc_net_size_blocks(net, 0, 0);
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

void nnc_net_set_rng(nnc_net *net, nnc_rng *rng)
{
    if (net != NULL)
        net->rng = rng;
}

nnc_rng *nnc_net_rng(const nnc_net *net) { return net ? net->rng : NULL; }

nnc_sparse_weights nnc_net_sparse_weights(const nnc_net *net)
{
    const nnc_layer *first = &net->layers[0];
    nnc_sparse_weights w = { first->param_offset, (size_t)first->outputs,
                             (size_t)first->inputs, first->plan.by_input };
    return w;
}

nnc_status nnc_net_set_by_input(nnc_net *net)
{
    if (net == NULL || net->n_layers == 0 || net->layers[0].type != &nnc_dense_type)
        return nnc_fail(NNC_EINVAL, "weights by input: the first layer must be dense");
    nnc_layer *first = &net->layers[0];
    ((nnc_dense_config *)first->config)->by_input = 1;
    first->plan.by_input = 1;
    net->small = takes_small_step(net);   /* its unit-by-unit step reads W by units */
    return NNC_OK;
}

nnc_status nnc_net_set_sparse(nnc_net *net, const nnc_sparse_rows *s)
{
    if (net == NULL)
        return nnc_fail(NNC_EINVAL, "sparse input: NULL network");
    if (s == NULL) {
        net->sparse = NULL;
        return NNC_OK;
    }
    if (net->n_layers == 0)
        return nnc_fail(NNC_EINVAL,
                        "sparse input: a sparse input needs a dense first layer, and the "
                        "network has no layers");
    const nnc_layer_type *type = net->layers[0].type;
    if (!type->takes_sparse)
        return nnc_fail(NNC_EINVAL,
                        "sparse input: a sparse input needs a dense first layer, layer 1 is %s",
                        type->name);
    if (s->start == NULL || s->index == NULL || s->value == NULL)
        return nnc_fail(NNC_EINVAL, "sparse input: the rows' start, index and value must not "
                                    "be NULL");
    if (s->n_columns < 0 || s->n_columns > net->n_inputs ||
        (s->columns == NULL && s->n_columns > 0))
        return nnc_fail(NNC_EINVAL,
                        "sparse input: n_columns must be 0 to %d (the inputs), with the list "
                        "of columns when above 0; got %d%s",
                        net->n_inputs, s->n_columns, s->columns == NULL ? " and no list" : "");
    net->sparse = s;
    return NNC_OK;
}

const nnc_sparse_rows *nnc_net_sparse(const nnc_net *net) { return net ? net->sparse : NULL; }

/* The sparse rows of a pass over `rows` rows: offsets that never go back,
 * indices inside the inputs, columns increasing inside them. What an index
 * outside would cost is memory the layer does not own, so this is checked
 * on every pass; it costs what the non-zeros cost, far less than the layer.
 * That every index is among the columns matters to gradients alone (else
 * its gradient would have no place), and prepare_column_grads checks it. */
static nnc_status check_sparse(const char *what, const nnc_net *net, int rows)
{
    const nnc_sparse_rows *s = net->sparse;
    if (!net->layers[0].type->takes_sparse)   /* the stack changed since it was set */
        return nnc_fail(NNC_EINVAL, "%s: a sparse input needs a dense first layer, layer 1 is %s",
                        what, net->layers[0].type->name);
    for (int c = 0; c < s->n_columns; c++)
        if (s->columns[c] < 0 || s->columns[c] >= net->n_inputs ||
            (c > 0 && s->columns[c] <= s->columns[c - 1]))
            return nnc_fail(NNC_EINVAL,
                            "%s: the sparse rows' columns must increase within 0..%d; "
                            "column %d is %d",
                            what, net->n_inputs - 1, c, s->columns[c]);
    for (int r = 0; r < rows; r++) {
        if (s->start[r + 1] < s->start[r])
            return nnc_fail(NNC_EINVAL, "%s: sparse row %d ends (%zu) before it starts (%zu)",
                            what, r, s->start[r + 1], s->start[r]);
        for (size_t j = s->start[r]; j < s->start[r + 1]; j++) {
            int k = s->index[j];
            if (k < 0 || k >= net->n_inputs)
                return nnc_fail(NNC_EINVAL,
                                "%s: sparse row %d has input %d, outside 0..%d", what, r, k,
                                net->n_inputs - 1);
        }
    }
    return NNC_OK;
}

const float *nnc_net_top_output(const nnc_net *net)
{
    return net && net->n_layers > 0 && net->out != NULL ? net->out[net->n_layers - 1] : NULL;
}
int nnc_net_inputs(const nnc_net *net) { return net ? net->n_inputs : 0; }
nnc_shape nnc_net_input_shape(const nnc_net *net)
{
    return net ? net->in_shape : (nnc_shape){ 0, 0, 0 };
}
int nnc_net_layer_count(const nnc_net *net) { return net ? net->n_layers : 0; }
nnc_loss nnc_net_loss(const nnc_net *net) { return net ? net->loss : NNC_LOSS_SQUARED_ERROR; }
size_t nnc_net_param_count(const nnc_net *net) { return net ? net->n_params : 0; }
float *nnc_net_params(nnc_net *net) { return net ? net->params : NULL; }
float *nnc_net_grads(nnc_net *net) { return net ? net->grads : NULL; }
size_t nnc_net_state_count(const nnc_net *net) { return net ? net->n_state : 0; }
float *nnc_net_state(nnc_net *net) { return net ? net->state : NULL; }

int nnc_net_outputs(const nnc_net *net)
{
    return net && net->n_layers ? net->layers[net->n_layers - 1].outputs : 0;
}

const nnc_layer *nnc_net_layer(const nnc_net *net, int layer)
{
    if (net == NULL || layer < 0 || layer >= net->n_layers)
        return NULL;
    return &net->layers[layer];
}

int nnc_net_layer_units(const nnc_net *net, int layer)
{
    const nnc_layer *l = nnc_net_layer(net, layer);
    return l ? l->outputs : -1;
}

nnc_shape nnc_net_layer_shape(const nnc_net *net, int layer)
{
    const nnc_layer *l = nnc_net_layer(net, layer);
    return l ? l->out_shape : (nnc_shape){ 0, 0, 0 };
}

const char *nnc_net_layer_type(const nnc_net *net, int layer)
{
    const nnc_layer *l = nnc_net_layer(net, layer);
    return l ? l->type->name : NULL;
}

nnc_activation nnc_net_layer_activation(const nnc_net *net, int layer)
{
    const nnc_layer *l = nnc_net_layer(net, layer);
    return l ? l->act : NNC_IDENTITY;
}

/* Where layer `layer`'s tensor called name starts in the parameter block,
 * or SIZE_MAX. */
static size_t tensor_offset(const nnc_net *net, int layer, const char *name)
{
    const nnc_layer *l = nnc_net_layer(net, layer);
    if (l == NULL)
        return SIZE_MAX;
    size_t at = l->param_offset;
    for (int t = 0; t < l->plan.n_params; t++) {
        if (strcmp(l->plan.params[t].name, name) == 0)
            return at;
        at += l->plan.params[t].size;
    }
    return SIZE_MAX;
}

static float *in_block(float *block, size_t offset)
{
    return block != NULL && offset != SIZE_MAX ? block + offset : NULL;
}

float *nnc_net_weights(nnc_net *net, int layer)
{
    return net ? in_block(net->params, tensor_offset(net, layer, "weight")) : NULL;
}

float *nnc_net_bias(nnc_net *net, int layer)
{
    return net ? in_block(net->params, tensor_offset(net, layer, "bias")) : NULL;
}

float *nnc_net_weight_grads(nnc_net *net, int layer)
{
    return net ? in_block(net->grads, tensor_offset(net, layer, "weight")) : NULL;
}

float *nnc_net_bias_grads(nnc_net *net, int layer)
{
    return net ? in_block(net->grads, tensor_offset(net, layer, "bias")) : NULL;
}

int nnc_net_tensor_count(const nnc_net *net)
{
    int n = 0;
    for (int l = 0; net != NULL && l < net->n_layers; l++)
        n += net->layers[l].plan.n_params + net->layers[l].plan.n_state;
    return n;
}

nnc_status nnc_net_tensor(const nnc_net *net, int index, nnc_tensor_info *info)
{
    if (net == NULL || info == NULL)
        return nnc_fail(NNC_EINVAL, "tensor: NULL argument");
    int i = index;
    for (int l = 0; l < net->n_layers && i >= 0; l++) {
        const nnc_layer *layer = &net->layers[l];
        size_t at = layer->param_offset;
        for (int t = 0; t < layer->plan.n_params; t++, i--) {
            if (i == 0) {
                *info = (nnc_tensor_info){ layer->plan.params[t].name, l, 0, at,
                                           layer->plan.params[t].size,
                                           (layer->plan.params[t].flags & NNC_TENSOR_DECAYS) != 0 };
                return NNC_OK;
            }
            at += layer->plan.params[t].size;
        }
        at = layer->state_offset;
        for (int t = 0; t < layer->plan.n_state; t++, i--) {
            if (i == 0) {
                *info = (nnc_tensor_info){ layer->plan.state[t].name, l, 1, at,
                                           layer->plan.state[t].size, 0 };
                return NNC_OK;
            }
            at += layer->plan.state[t].size;
        }
    }
    return nnc_fail(NNC_EINVAL, "tensor: index %d is out of range (the network has %d)", index,
                    nnc_net_tensor_count(net));
}

nnc_status nnc_net_init(nnc_net *net, nnc_init scheme, nnc_rng *rng)
{
    if (net == NULL || rng == NULL)
        return nnc_fail(NNC_EINVAL, "init: NULL argument");
    if (scheme != NNC_INIT_STANDARD_NORMAL && scheme != NNC_INIT_XAVIER &&
        scheme != NNC_INIT_HE)
        return nnc_fail(NNC_EINVAL, "init: unknown scheme %d", (int)scheme);
    /* Layer by layer from the input side, each in its own fixed order. */
    for (int l = 0; l < net->n_layers; l++) {
        nnc_layer_data d = layer_data(net, l);
        net->layers[l].type->init(&net->layers[l], &d, scheme, rng);
    }
    return NNC_OK;
}

/* x may be NULL in a sparse pass, which does not read it. */
static nnc_status check_batch(const char *what, nnc_net *net, const float *x,
                              const void *out, int rows)
{
    if (net == NULL || out == NULL || (x == NULL && net->sparse == NULL))
        return nnc_fail(NNC_EINVAL, "%s: NULL argument", what);
    if (net->n_layers == 0)
        return nnc_fail(NNC_EINVAL, "%s: the network has no layers", what);
    nnc_status st = nnc_check_rows(what, rows);
    if (st == NNC_OK && net->sparse != NULL)
        st = check_sparse(what, net, rows);
    return st;
}

/* What every layer of a pass over `rows` rows is given: `first` is the
 * first layer's, which alone reads the sparse rows. */
static nnc_pass pass_for(const nnc_net *net, int rows, int training, int first)
{
    nnc_pass pass = { rows, training, net->rng, net->work, net->work_fixed,
                      first ? net->sparse : NULL, NULL, NULL };
    if (first && net->sparse != NULL) {
        pass.column_grads = net->column_grads;
        pass.slot = net->slot;
    }
    return pass;
}

/* Runs the batch through every layer, leaving z and out of each in scratch:
 * the layer computes z, the network applies its activation. A training pass
 * through a layer that draws (dropout) needs the network's generator. */
static nnc_status forward(nnc_net *net, const float *x, int rows, int training)
{
    for (int l = 0; training && net->rng == NULL && l < net->n_layers; l++)
        if (net->layers[l].type->draws_while_training)
            return nnc_fail(NNC_EINVAL,
                            "training pass: layer %d (%s) draws from the network's generator, "
                            "and none is set (nnc_net_set_rng)",
                            l + 1, net->layers[l].type->name);
    nnc_status st = reserve(net, rows);
    if (st != NNC_OK)
        return st;
    const nnc_pass first = pass_for(net, rows, training, 1);
    const nnc_pass pass = pass_for(net, rows, training, 0);
    const float *in = net->sparse != NULL ? NULL : x;
    for (int l = 0; l < net->n_layers; l++) {
        const nnc_layer *layer = &net->layers[l];
        nnc_layer_data d = layer_data(net, l);
        layer->type->forward(layer, &d, l == 0 ? &first : &pass, in, net->z[l]);
        nnc_activate(layer->act, net->z[l], net->out[l], rows, layer->outputs);
        in = net->out[l];
    }
    return NNC_OK;
}

nnc_status nnc_predict(nnc_net *net, const float *x, int rows, float *out)
{
    nnc_status st = check_batch("predict", net, x, out, rows);
    if (st == NNC_OK)
        st = forward(net, x, rows, 0);
    if (st != NNC_OK)
        return st;
    const float *top = net->out[net->n_layers - 1];
    memcpy(out, top, (size_t)rows * (size_t)nnc_net_outputs(net) * sizeof *out);
    return NNC_OK;
}

nnc_status nnc_net_forward(nnc_net *net, const float *x, int rows, int training, float *out)
{
    nnc_status st = check_batch("forward", net, x, out, rows);
    if (st == NNC_OK)
        st = forward(net, x, rows, training != 0);
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
        st = forward(net, x, rows, 0);
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
        nnc_loss_fused_backward(net->loss, top->act, out, y, rows, top->outputs, dz);
        return;
    }
    nnc_loss_gradient(net->loss, out, y, rows, top->outputs, dz);
    nnc_activate_backward(top->act, z, out, dz, dz, rows, top->outputs);
}

/* The loss of the rows just run forward into *loss, refusing a non-finite one. */
static nnc_status measure_loss(nnc_net *net, const float *y, int rows, double *loss)
{
    return nnc_loss_checked(net->loss, net->out[net->n_layers - 1], y, rows,
                            nnc_net_outputs(net), loss);
}

/* What both backward passes start with: checks, the forward pass in
 * training mode, and the loss (when asked for), refusing a non-finite one. */
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
    if ((st = forward(net, x, rows, 1)) != NNC_OK)
        return st;
    return loss != NULL ? measure_loss(net, y, rows, loss) : NNC_OK;
}

/* The chain rule from the top layer down, starting from the top layer's
 * d loss / d z in delta[0]. With rate 0 each layer adds its local
 * derivatives to the gradient block (and the input gradient goes to dx, if
 * not NULL); with a rate > 0 each layer instead applies the plain SGD step
 * to its parameters at once (its fused sgd), after passing the chain down. */
static void chain_down(nnc_net *net, const float *x, int rows, float rate, float *dx)
{
    const nnc_pass first = pass_for(net, rows, 1, 1);
    const nnc_pass others = pass_for(net, rows, 1, 0);
    const int sparse = net->sparse != NULL;
    float *dz = net->delta[0], *below = net->delta[1];
    for (int l = net->n_layers - 1; l >= 0; l--) {
        const nnc_layer *layer = &net->layers[l];
        const nnc_pass *pass = l == 0 ? &first : &others;
        /* A sparse first layer reads its rows from the pass and is never
         * asked for dx (nnc_layer_type.takes_sparse). */
        const float *in = l > 0 ? net->out[l - 1] : sparse ? NULL : x;
        float *down = l > 0 ? below : sparse ? NULL : dx;
        nnc_layer_data d = layer_data(net, l);
        if (rate > 0.0f)
            layer->type->sgd(layer, &d, pass, in, dz, rate, down);
        else
            layer->type->backward(layer, &d, pass, in, dz, down);
        if (l > 0) {
            const nnc_layer *prev = &net->layers[l - 1];
            nnc_activate_backward(prev->act, net->z[l - 1], net->out[l - 1], below, below, rows,
                                  prev->outputs);
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

/* Readies a sparse pass's first-layer gradients: each non-zero's place
 * among the batch's columns (nnc_pass.slot), a column's first non-zero
 * marked so that the layer sets its gradient where the others add to it:
 * clearing the block first was a pass over it per batch, a sixteenth of a
 * step. The block, column_grads, grows to the batch's columns; the
 * network's own block holds none of them. A non-zero whose column the
 * batch does not list is refused: its gradient would have no place. */
static nnc_status prepare_column_grads(nnc_net *net, int rows)
{
    const nnc_sparse_rows *s = net->sparse;
    const size_t units = (size_t)net->layers[0].outputs, end = s->start[rows];
    if (net->place == NULL) {
        if ((net->place = nnc_alloc((size_t)net->n_inputs, sizeof *net->place, 0)) == NULL)
            return NNC_ENOMEM;
        for (int k = 0; k < net->n_inputs; k++)
            net->place[k] = -1;
    }
    if ((size_t)s->n_columns * units > net->column_room) {
        float *grown = nnc_alloc_aligned((size_t)s->n_columns * units, sizeof *grown, 0);
        if (grown == NULL)
            return NNC_ENOMEM;
        free(net->column_grads);
        net->column_grads = grown;
        net->column_room = (size_t)s->n_columns * units;
    }
    if (end > net->slot_room) {
        int *grown = nnc_alloc(end, sizeof *grown, 0);
        if (grown == NULL)
            return NNC_ENOMEM;
        free(net->slot);
        net->slot = grown;
        net->slot_room = end;
    }
    /* place: c for a listed column not yet met, c + n once met, -1 for an
     * input the batch does not list. */
    const int n = s->n_columns;
    int *place = net->place, *slot = net->slot;
    for (int c = 0; c < n; c++)
        place[s->columns[c]] = c;
    size_t unlisted = end;
    for (size_t j = s->start[0]; j < end; j++) {
        int p = place[s->index[j]];
        if (p >= n) {
            slot[j] = p - n;
        } else if (p >= 0) {
            slot[j] = ~p;   /* its column's first: set, not added (nnc_pass.slot) */
            place[s->index[j]] = p + n;
        } else if (unlisted == end) {
            unlisted = j;
        }
    }
    for (int c = 0; c < n; c++) {   /* place is -1 again for the next batch */
        if (place[s->columns[c]] == c)   /* listed, in no row: its gradient is 0 */
            memset(net->column_grads + (size_t)c * units, 0, units * sizeof *net->column_grads);
        place[s->columns[c]] = -1;
    }
    if (unlisted != end) {
        int r = 0;
        while (s->start[r + 1] <= unlisted)
            r++;
        return nnc_fail(NNC_EINVAL,
                        "gradients: sparse row %d has input %d, which the batch's columns do "
                        "not list",
                        r, s->index[unlisted]);
    }
    return NNC_OK;
}

/* Clears the gradients for a backward pass: the whole block, or in a sparse
 * pass all of it but the first layer's weights, whose batch's columns have
 * their own block (prepare_column_grads); the block's first weights are
 * then left as they were. */
static nnc_status clear_gradients(nnc_net *net, int rows)
{
    if (net->sparse == NULL) {
        memset(net->grads, 0, net->n_params * sizeof *net->grads);
        return NNC_OK;
    }
    const nnc_sparse_weights w = nnc_net_sparse_weights(net);
    size_t end = w.at + w.units * w.in;
    memset(net->grads, 0, w.at * sizeof *net->grads);
    memset(net->grads + end, 0, (net->n_params - end) * sizeof *net->grads);
    return prepare_column_grads(net, rows);
}

const float *nnc_net_column_grads(const nnc_net *net)
{
    return net != NULL && net->sparse != NULL ? net->column_grads : NULL;
}

nnc_status nnc_net_gradients(nnc_net *net, const float *x, const float *y, int rows,
                             double *loss, float *dx)
{
    if (net != NULL && net->sparse != NULL && dx != NULL)
        return nnc_fail(NNC_EINVAL, "gradients: a sparse pass gives no input gradient; dx must "
                                    "be NULL");
    nnc_status st = forward_for_backward(net, x, y, rows, loss);
    if (st != NNC_OK)
        return st;
    if ((st = clear_gradients(net, rows)) != NNC_OK)
        return st;
    backward(net, x, y, rows, 0.0f, dx);
    return NNC_OK;
}

/* params -= rate * grads over the whole block, or in a sparse pass over
 * all but the first layer's weights and over the batch's columns of those,
 * from their own block: the others' gradients are 0. */
static void plain_step(nnc_net *net, float rate)
{
    float *p = net->params;
    const float *g = net->grads;
    const nnc_sparse_rows *s = net->sparse;
    if (s == NULL) {
        for (size_t i = 0; i < net->n_params; i++)
            p[i] -= rate * g[i];
        return;
    }
    const nnc_sparse_weights w = nnc_net_sparse_weights(net);
    const size_t at = w.at, units = w.units, in = w.in;
    for (size_t i = 0; i < at; i++)
        p[i] -= rate * g[i];
    for (size_t i = at + units * in; i < net->n_params; i++)
        p[i] -= rate * g[i];
    const float *cg = net->column_grads;   /* the batch's columns' own block */
    /* Column c's weight of unit u lies at first + u * step. */
    const size_t step = w.by_input ? 1 : in;
    for (int c = 0; c < s->n_columns; c++) {
        size_t first = at + (size_t)s->columns[c] * (w.by_input ? units : 1);
        const float *gc = cg + (size_t)c * units;
        for (size_t u = 0; u < units; u++)
            p[first + u * step] -= rate * gc[u];
    }
}

/* The plain SGD step for one row through a small network, by the layers'
 * type's own single-row step (see nnc_layer_type.row_stack_sgd). */
static nnc_status small_sgd_step(nnc_net *net, const float *x, const float *y, float rate,
                                 double *loss)
{
    nnc_status st = check_batch("gradients", net, x, y, 1);
    if (st == NNC_OK)
        st = reserve(net, 1);
    if (st != NNC_OK)
        return st;
    return net->layers[0].type->row_stack_sgd(net->layers, net->n_layers, net->params, x, y,
                                              net->loss, rate, net->z, net->out, net->delta,
                                              loss);
}

nnc_status nnc_net_sgd_step(nnc_net *net, const float *x, const float *y, int rows,
                            float learning_rate, double *loss)
{
    /* The single-row step reads a dense row: a sparse one takes the batch path. */
    if (net != NULL && net->small && rows == 1 && net->sparse == NULL)
        return small_sgd_step(net, x, y, learning_rate, loss);
    if (net != NULL && !net->fused) {
        /* A layer without the fused step: gradients first, then the rule. */
        nnc_status st = nnc_net_gradients(net, x, y, rows, loss, NULL);
        if (st == NNC_OK)
            plain_step(net, learning_rate);
        return st;
    }
    nnc_status st = forward_for_backward(net, x, y, rows, loss);
    if (st == NNC_OK)
        backward(net, x, y, rows, learning_rate, NULL);
    return st;
}

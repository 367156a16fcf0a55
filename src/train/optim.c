/*
 * optim.c - update rules over a network's parameter block.
 *
 * An optimizer sees the parameters and gradients as two flat arrays of the same
 * layout, so each rule is one loop:
 *   sgd       p -= lr * g                               (the tutorial's update)
 *   momentum  v = mu * v + g;  p -= lr * v
 *   adam      m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *             p -= lr * m_hat / (sqrt(v_hat) + eps), hats corrected for bias
 * L2 weight decay adds decay * w to the gradient of each weight as it is
 * used (biases are left alone: shrinking them does not reduce overfitting);
 * the gradient block itself is not changed.
 *
 * Sparse input (nnc_net_set_sparse) makes the first layer's weights lazy,
 * as PyTorch's SparseAdam: a step updates that tensor only at the batch's
 * columns (entries u * inputs + k for every unit u and every k listed in
 * the rows' columns), by the same rule, decay and clip, and leaves every
 * other column's weights, velocity and moments as they were: no decay, no
 * momentum coasting, no moment fading for a word the batch lacks. Those
 * columns' gradients come from their own block (nnc_net_column_grads);
 * the others' are 0 and that tensor's part of the gradient block is never
 * read, so the clip norm is taken over what the step uses: every other
 * tensor whole and those columns. Adam's step count stays the network's
 * one count of steps, so a column's bias correction is that of the step,
 * not of its own updates. Every other tensor is updated as in a dense step.
 * (Plain SGD without decay or clip never comes here: nnc_train_step takes
 * the fused step, where the dense layer's kernel touches the columns alone.)
 */
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum optimizer_kind { OPT_SGD, OPT_MOMENTUM, OPT_ADAM } optimizer_kind;

static const char *const kind_names[] = { "sgd", "momentum", "adam" };

struct nnc_optimizer {
    optimizer_kind kind;
    float learning_rate;
    float weight_decay;
    float clip_norm;             /* 0: no clipping */
    float momentum;              /* momentum's mu */
    float beta1, beta2, epsilon; /* Adam's */
    long steps;                  /* Adam's t, for the bias correction */
    size_t n;                    /* parameters the moments are sized for; 0: none yet */
    float *m;                    /* velocity (momentum) or first moment (Adam) */
    float *v;                    /* second moment (Adam) */
};

static nnc_status check_rate(float learning_rate)
{
    if (!(learning_rate > 0.0f) || !isfinite(learning_rate))
        return nnc_fail(NNC_EINVAL, "learning rate must be finite and positive, got %g",
                        (double)learning_rate);
    return NNC_OK;
}

static nnc_optimizer *make(optimizer_kind kind, float learning_rate)
{
    if (check_rate(learning_rate) != NNC_OK)
        return NULL;
    nnc_optimizer *opt = nnc_alloc(1, sizeof *opt, 1);
    if (opt == NULL)
        return NULL;
    opt->kind = kind;
    opt->learning_rate = learning_rate;
    return opt;
}

nnc_optimizer *nnc_sgd_new(float learning_rate)
{
    return make(OPT_SGD, learning_rate);
}

nnc_optimizer *nnc_momentum_new(float learning_rate, float momentum)
{
    if (!(momentum >= 0.0f && momentum < 1.0f)) {
        nnc_fail(NNC_EINVAL, "momentum must be in [0, 1), got %g", (double)momentum);
        return NULL;
    }
    nnc_optimizer *opt = make(OPT_MOMENTUM, learning_rate);
    if (opt != NULL)
        opt->momentum = momentum;
    return opt;
}

nnc_optimizer *nnc_adam_new(float learning_rate, float beta1, float beta2, float epsilon)
{
    if (!(beta1 >= 0.0f && beta1 < 1.0f && beta2 >= 0.0f && beta2 < 1.0f) ||
        !(epsilon > 0.0f) || !isfinite(epsilon)) {
        nnc_fail(NNC_EINVAL, "adam: betas must be in [0, 1) and epsilon > 0, got %g, %g, %g",
                 (double)beta1, (double)beta2, (double)epsilon);
        return NULL;
    }
    nnc_optimizer *opt = make(OPT_ADAM, learning_rate);
    if (opt != NULL) {
        opt->beta1 = beta1;
        opt->beta2 = beta2;
        opt->epsilon = epsilon;
    }
    return opt;
}

void nnc_optimizer_free(nnc_optimizer *opt)
{
    if (opt == NULL)
        return;
    free(opt->m);
    free(opt->v);
    free(opt);
}

const char *nnc_optimizer_name(const nnc_optimizer *opt)
{
    return opt ? kind_names[opt->kind] : NULL;
}

float nnc_optimizer_learning_rate(const nnc_optimizer *opt)
{
    return opt ? opt->learning_rate : 0.0f;
}

nnc_status nnc_optimizer_set_learning_rate(nnc_optimizer *opt, float learning_rate)
{
    if (opt == NULL)
        return nnc_fail(NNC_EINVAL, "optimizer: NULL argument");
    nnc_status st = check_rate(learning_rate);
    if (st == NNC_OK)
        opt->learning_rate = learning_rate;
    return st;
}

nnc_status nnc_optimizer_set_weight_decay(nnc_optimizer *opt, float decay)
{
    if (opt == NULL)
        return nnc_fail(NNC_EINVAL, "optimizer: NULL argument");
    if (!(decay >= 0.0f) || !isfinite(decay))
        return nnc_fail(NNC_EINVAL, "weight decay must be finite and >= 0, got %g",
                        (double)decay);
    opt->weight_decay = decay;
    return NNC_OK;
}

nnc_status nnc_optimizer_set_clip_norm(nnc_optimizer *opt, float max_norm)
{
    if (opt == NULL)
        return nnc_fail(NNC_EINVAL, "optimizer: NULL argument");
    if (!(max_norm >= 0.0f) || !isfinite(max_norm))
        return nnc_fail(NNC_EINVAL, "clip norm must be finite and >= 0, got %g",
                        (double)max_norm);
    opt->clip_norm = max_norm;
    return NNC_OK;
}

/* The first layer's weights in a sparse step: the tensor at `at`, units x
 * in row-major, of which the columns[0 .. n_columns) alone are used, with
 * their gradients in grads (columns[c]'s for unit u at [c * units + u]). */
typedef struct lazy_columns {
    size_t at, units, in;
    const int *columns;
    int n_columns;
    int by_input;   /* the tensor is in x units instead: a column is one run */
    const float *grads;
} lazy_columns;

/* The sum of the squares of g[from .. from + n). */
static double squares(const float *g, size_t from, size_t n)
{
    double sum = 0.0;
    for (size_t i = from; i < from + n; i++)
        sum += (double)g[i] * g[i];
    return sum;
}

/* The sum of the squares of the lazy tensor's columns' gradients, in the
 * order of the tensor's layout (column by column, or unit by unit). */
static double column_squares(const lazy_columns *lazy)
{
    const float *g = lazy->grads;
    const size_t units = lazy->units, n = (size_t)lazy->n_columns;
    if (lazy->by_input)
        return squares(g, 0, n * units);
    double sum = 0.0;
    for (size_t u = 0; u < units; u++)
        for (size_t c = 0; c < n; c++)
            sum += (double)g[c * units + u] * g[c * units + u];
    return sum;
}

/* The factor the gradient is multiplied by so its norm stays within
 * clip_norm (1 when clipping is off or not needed): the norm of g[0 .. n),
 * or with lazy not NULL of all but the lazy tensor and its columns. */
static float clip_factor(const nnc_optimizer *opt, const float *g, size_t n,
                         const lazy_columns *lazy)
{
    if (opt->clip_norm <= 0.0f)
        return 1.0f;
    double sum;
    if (lazy == NULL) {
        sum = squares(g, 0, n);
    } else {
        size_t end = lazy->at + lazy->units * lazy->in;
        sum = squares(g, 0, lazy->at) + squares(g, end, n - end) + column_squares(lazy);
    }
    double norm = sqrt(sum);
    return norm > opt->clip_norm ? (float)(opt->clip_norm / norm) : 1.0f;
}

/* Sizes the moment buffers on the first step; refuses a different network
 * size later, since moments of one network mean nothing for another. */
static nnc_status size_moments(nnc_optimizer *opt, size_t n)
{
    if (opt->n == n)
        return NNC_OK;
    if (opt->n != 0)
        return nnc_fail(NNC_EINVAL,
                        "optimizer step: sized for %zu parameters, the network has %zu",
                        opt->n, n);
    if (opt->kind == OPT_SGD) {
        opt->n = n;
        return NNC_OK;
    }
    opt->m = nnc_alloc_aligned(n, sizeof(float), 1);
    if (opt->m == NULL)
        return NNC_ENOMEM;
    if (opt->kind == OPT_ADAM && (opt->v = nnc_alloc_aligned(n, sizeof(float), 1)) == NULL) {
        free(opt->m);
        opt->m = NULL;
        return NNC_ENOMEM;
    }
    opt->n = n;
    return NNC_OK;
}

/* Per-step constants of Adam: the bias corrections folded into the step size
 * and epsilon, which saves two divisions per parameter. */
typedef struct adam_step_size {
    float step, eps;
} adam_step_size;

static adam_step_size adam_begin_step(nnc_optimizer *opt)
{
    opt->steps++;
    double c1 = 1.0 - pow(opt->beta1, (double)opt->steps);
    double c2 = 1.0 - pow(opt->beta2, (double)opt->steps);
    adam_step_size a = { (float)(opt->learning_rate * sqrt(c2) / c1),
                         (float)(opt->epsilon * sqrt(c2)) };
    return a;
}

/* A step's constants, copied out of the optimizer into each loop's own
 * local, which no store to a parameter can alias: else every parameter
 * written would make the compiler read the rate and betas again. */
typedef struct rule {
    optimizer_kind kind;
    float lr, mu, b1, b2, step, eps;
    float *m, *v;
} rule;

static rule rule_of(const nnc_optimizer *opt, const adam_step_size *a)
{
    rule r = { opt->kind, opt->learning_rate, opt->momentum, opt->beta1, opt->beta2,
               a->step, a->eps, opt->m, opt->v };
    return r;
}

/* The rule for parameter i, of gradient g, whose effective gradient is
 * clip * g + decay * p[i]. */
static inline void update_one(const rule *r, float *p, float g, size_t i, float decay,
                              float clip)
{
    float *m = r->m, *v = r->v;
    float grad = clip * g + decay * p[i];
    switch (r->kind) {
    case OPT_SGD:
        p[i] -= r->lr * grad;
        break;
    case OPT_MOMENTUM:
        m[i] = r->mu * m[i] + grad;
        p[i] -= r->lr * m[i];
        break;
    case OPT_ADAM:
        m[i] = r->b1 * m[i] + (1.0f - r->b1) * grad;
        v[i] = r->b2 * v[i] + (1.0f - r->b2) * grad * grad;
        p[i] -= r->step * m[i] / (sqrtf(v[i]) + r->eps);
        break;
    }
}

/* update_one over p[0 .. n) (and g, m, v from the same offset): one loop
 * per rule, on restrict pointers, so each is vector instructions; the same
 * operations in the same order per parameter, so the same bits. */
NNC_KERNEL_CLONES
static void update_run(const rule *r, float *restrict p, const float *restrict g,
                       float *restrict m, float *restrict v, size_t n, float decay,
                       float clip)
{
    const float lr = r->lr, mu = r->mu, b1 = r->b1, b2 = r->b2, step = r->step, eps = r->eps;
    switch (r->kind) {
    case OPT_SGD:
        for (size_t i = 0; i < n; i++)
            p[i] -= lr * (clip * g[i] + decay * p[i]);
        break;
    case OPT_MOMENTUM:
        for (size_t i = 0; i < n; i++) {
            float grad = clip * g[i] + decay * p[i];
            m[i] = mu * m[i] + grad;
            p[i] -= lr * m[i];
        }
        break;
    case OPT_ADAM:
        for (size_t i = 0; i < n; i++) {
            float grad = clip * g[i] + decay * p[i];
            m[i] = b1 * m[i] + (1.0f - b1) * grad;
            v[i] = b2 * v[i] + (1.0f - b2) * grad * grad;
            p[i] -= step * m[i] / (sqrtf(v[i]) + eps);
        }
        break;
    }
}

/* The rule over parameters [from, from + n). */
static void update(nnc_optimizer *opt, const adam_step_size *a, float *p, const float *g,
                   size_t from, size_t n, float decay, float clip)
{
    const rule r = rule_of(opt, a);
    update_run(&r, p + from, g + from, r.m ? r.m + from : NULL, r.v ? r.v + from : NULL, n,
               decay, clip);
}

/* The rule over the lazy tensor's columns alone, unit row by unit row (a
 * row's columns lie within `in` floats, a few pages; column by column
 * each unit would be a page apart). For a vocabulary's width each entry
 * is a cache line of its own in each of p, m and v that no hardware
 * prefetcher can guess, so the lines PREFETCH_AHEAD columns on are asked
 * for while this one is updated (a sixth less time at 50,000 inputs). The
 * gradients are the columns' own small block, read in order. */
#define PREFETCH_AHEAD 8
static void update_columns(nnc_optimizer *opt, const adam_step_size *a, float *p,
                           const lazy_columns *lazy, float decay, float clip)
{
    const rule r = rule_of(opt, a);
    const size_t units = lazy->units;
    if (lazy->by_input) {
        /* A column's weights and moments are each one run of `units`
         * floats: whole lines, which the next columns' are fetched beside. */
        for (int c = 0; c < lazy->n_columns; c++) {
            size_t from = lazy->at + (size_t)lazy->columns[c] * units;
#if defined(__GNUC__)
            if (c + PREFETCH_AHEAD < lazy->n_columns) {
                size_t ahead = lazy->at + (size_t)lazy->columns[c + PREFETCH_AHEAD] * units;
                for (size_t off = 0; off < units; off += 16) {
                    __builtin_prefetch(p + ahead + off, 1);
                    if (r.m != NULL)
                        __builtin_prefetch(r.m + ahead + off, 1);
                    if (r.v != NULL)
                        __builtin_prefetch(r.v + ahead + off, 1);
                }
            }
#endif
            update_run(&r, p + from, lazy->grads + (size_t)c * units, r.m ? r.m + from : NULL,
                       r.v ? r.v + from : NULL, units, decay, clip);
        }
        return;
    }
    for (size_t u = 0; u < units; u++) {
        size_t row = lazy->at + u * lazy->in;
        for (int c = 0; c < lazy->n_columns; c++) {
#if defined(__GNUC__)
            if (c + PREFETCH_AHEAD < lazy->n_columns) {
                size_t ahead = row + (size_t)lazy->columns[c + PREFETCH_AHEAD];
                __builtin_prefetch(p + ahead, 1);
                if (r.m != NULL)
                    __builtin_prefetch(r.m + ahead, 1);
                if (r.v != NULL)
                    __builtin_prefetch(r.v + ahead, 1);
            }
#endif
            update_one(&r, p, lazy->grads[(size_t)c * units + u],
                       row + (size_t)lazy->columns[c], decay, clip);
        }
    }
}

nnc_status nnc_optimizer_step(nnc_optimizer *opt, nnc_net *net)
{
    if (opt == NULL || net == NULL)
        return nnc_fail(NNC_EINVAL, "optimizer step: NULL argument");
    size_t n = nnc_net_param_count(net);
    nnc_status st = size_moments(opt, n);
    if (st != NNC_OK)
        return st;
    adam_step_size a = { 0.0f, 0.0f };
    if (opt->kind == OPT_ADAM)
        a = adam_begin_step(opt);
    float *p = nnc_net_params(net);
    const float *g = nnc_net_grads(net);
    /* A sparse batch: the first layer's weights (its first tensor, by the
     * contract of nnc_layer_type.takes_sparse) at the batch's columns alone. */
    const nnc_sparse_rows *s = nnc_net_sparse(net);
    lazy_columns lazy_first = { 0, 0, 0, NULL, 0, 0, NULL };
    const lazy_columns *lazy = NULL;
    if (s != NULL && nnc_net_layer_count(net) > 0) {
        const nnc_sparse_weights w = nnc_net_sparse_weights(net);
        lazy_first = (lazy_columns){ w.at, w.units, w.in, s->columns, s->n_columns,
                                     w.by_input, nnc_net_column_grads(net) };
        lazy = &lazy_first;
    }
    float clip = clip_factor(opt, g, n, lazy);
    if (opt->weight_decay == 0.0f && lazy == NULL) {   /* one pass over the whole block */
        update(opt, &a, p, g, 0, n, 0.0f, clip);
        return NNC_OK;
    }
    /* Tensor by tensor: decay where the layer flags it (weights), not on
     * biases or normalisation scales. State is not the optimizer's. */
    for (int l = 0; l < nnc_net_layer_count(net); l++) {
        const nnc_layer *layer = nnc_net_layer(net, l);
        size_t at = layer->param_offset;
        for (int t = 0; t < layer->plan.n_params; t++) {
            const nnc_tensor *tensor = &layer->plan.params[t];
            float decay = tensor->flags & NNC_TENSOR_DECAYS ? opt->weight_decay : 0.0f;
            if (lazy != NULL && l == 0 && t == 0)
                update_columns(opt, &a, p, lazy, decay, clip);
            else
                update(opt, &a, p, g, at, tensor->size, decay, clip);
            at += tensor->size;
        }
    }
    return NNC_OK;
}

nnc_status nnc_optimizer_schedule_rate(nnc_optimizer *opt, double learning_rate)
{
    /* A schedule may reach exactly 0 (cosine to a floor of 0), which a user
     * setting the rate could not mean; so this setter allows it. */
    if (!(learning_rate >= 0.0) || !isfinite(learning_rate))
        return nnc_fail(NNC_EINVAL, "scheduled learning rate %g is not finite and >= 0",
                        learning_rate);
    opt->learning_rate = (float)learning_rate;
    return NNC_OK;
}

float nnc_optimizer_plain_rate(nnc_optimizer *opt, const nnc_net *net)
{
    /* Decay and clipping need the whole gradient first: the general path. */
    if (opt->kind != OPT_SGD || opt->weight_decay != 0.0f || opt->clip_norm > 0.0f)
        return 0.0f;
    return size_moments(opt, nnc_net_param_count(net)) == NNC_OK ? opt->learning_rate : 0.0f;
}

void nnc_optimizer_get_state(const nnc_optimizer *opt, nnc_optimizer_state *state)
{
    state->kind = (int)opt->kind;
    state->steps = opt->steps;
    state->n = opt->n;
    state->m = opt->m;
    state->v = opt->v;
}

nnc_status nnc_optimizer_restore(nnc_optimizer *opt, const nnc_optimizer_state *state)
{
    if (state->kind != (int)opt->kind)
        return nnc_fail(NNC_EINVAL, "the checkpoint was made with the %s optimizer, this run "
                                    "uses %s",
                        state->kind >= 0 && state->kind <= OPT_ADAM ? kind_names[state->kind]
                                                                    : "an unknown",
                        nnc_optimizer_name(opt));
    if (opt->n != 0 && opt->n != state->n)
        return nnc_fail(NNC_EINVAL, "optimizer: sized for %zu parameters, the checkpoint has %zu",
                        opt->n, state->n);
    nnc_status st = size_moments(opt, state->n);
    if (st != NNC_OK)
        return st;
    if (opt->m != NULL && state->m != NULL)
        memcpy(opt->m, state->m, state->n * sizeof(float));
    if (opt->v != NULL && state->v != NULL)
        memcpy(opt->v, state->v, state->n * sizeof(float));
    opt->steps = state->steps;
    return NNC_OK;
}

int nnc_optimizer_describe(const nnc_optimizer *opt, double learning_rate, char *buf, size_t n)
{
    /* %.9g gives every float its exact value back. */
    int len = snprintf(buf, n, "%s learning_rate=%.9g weight_decay=%.9g clip_norm=%.9g",
                       kind_names[opt->kind], learning_rate, (double)opt->weight_decay,
                       (double)opt->clip_norm);
    if (len >= 0 && (size_t)len < n && opt->kind == OPT_MOMENTUM)
        len += snprintf(buf + len, n - (size_t)len, " momentum=%.9g", (double)opt->momentum);
    if (len >= 0 && (size_t)len < n && opt->kind == OPT_ADAM)
        len += snprintf(buf + len, n - (size_t)len, " beta1=%.9g beta2=%.9g epsilon=%.9g",
                        (double)opt->beta1, (double)opt->beta2, (double)opt->epsilon);
    return len;
}

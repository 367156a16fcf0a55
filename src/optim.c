/*
 * optim.c - update rules over a network's parameter block.
 *
 * An optimizer sees the parameters and gradients as two flat arrays of the same
 * layout, so each rule is one loop:
 *   sgd       p -= lr * g                               (the tutorial's update)
 *   momentum  v = mu * v + g;  p -= lr * v
 *   adam      m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *             p -= lr * m_hat / (sqrt(v_hat) + eps), hats corrected for bias
 * L2 weight decay adds decay * w to the gradient of each weight (biases are
 * left alone: shrinking them does not reduce overfitting).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum optimizer_kind { OPT_SGD, OPT_MOMENTUM, OPT_ADAM } optimizer_kind;

struct nnc_optimizer {
    optimizer_kind kind;
    float learning_rate;
    float weight_decay;
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
    static const char *const names[] = { "sgd", "momentum", "adam" };
    return opt ? names[opt->kind] : NULL;
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

/* Sizes the moment buffers on the first step; refuses a different network
 * size later, since moments of one network mean nothing for another. */
static nnc_status size_moments(nnc_optimizer *opt, size_t n)
{
    if (opt->kind == OPT_SGD)
        return NNC_OK;
    if (opt->n == n)
        return NNC_OK;
    if (opt->n != 0)
        return nnc_fail(NNC_EINVAL,
                        "optimizer step: sized for %zu parameters, the network has %zu",
                        opt->n, n);
    opt->m = nnc_alloc(n, sizeof(float), 1);
    if (opt->m == NULL)
        return NNC_ENOMEM;
    if (opt->kind == OPT_ADAM && (opt->v = nnc_alloc(n, sizeof(float), 1)) == NULL) {
        free(opt->m);
        opt->m = NULL;
        return NNC_ENOMEM;
    }
    opt->n = n;
    return NNC_OK;
}

static void add_weight_decay(float decay, nnc_net *net)
{
    for (int l = 0; l < nnc_net_layer_count(net); l++) {
        const float *w = nnc_net_weights(net, l);
        float *g = nnc_net_weight_grads(net, l);
        size_t n = (size_t)nnc_net_layer_units(net, l) *
                   (size_t)(l ? nnc_net_layer_units(net, l - 1) : nnc_net_inputs(net));
        for (size_t i = 0; i < n; i++)
            g[i] += decay * w[i];
    }
}

static void adam_step(nnc_optimizer *opt, float *p, const float *g, size_t n)
{
    opt->steps++;
    float b1 = opt->beta1, b2 = opt->beta2;
    /* Folding both bias corrections into the step size saves two divisions
     * per parameter. */
    double c1 = 1.0 - pow(b1, (double)opt->steps), c2 = 1.0 - pow(b2, (double)opt->steps);
    float step = (float)(opt->learning_rate * sqrt(c2) / c1);
    float eps = (float)(opt->epsilon * sqrt(c2));
    for (size_t i = 0; i < n; i++) {
        opt->m[i] = b1 * opt->m[i] + (1.0f - b1) * g[i];
        opt->v[i] = b2 * opt->v[i] + (1.0f - b2) * g[i] * g[i];
        p[i] -= step * opt->m[i] / (sqrtf(opt->v[i]) + eps);
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
    if (opt->weight_decay > 0.0f)
        add_weight_decay(opt->weight_decay, net);
    float *p = nnc_net_params(net);
    const float *g = nnc_net_grads(net);
    float lr = opt->learning_rate;
    switch (opt->kind) {
    case OPT_SGD:
        for (size_t i = 0; i < n; i++)
            p[i] -= lr * g[i];
        break;
    case OPT_MOMENTUM:
        for (size_t i = 0; i < n; i++) {
            opt->m[i] = opt->momentum * opt->m[i] + g[i];
            p[i] -= lr * opt->m[i];
        }
        break;
    case OPT_ADAM:
        adam_step(opt, p, g, n);
        break;
    }
    return NNC_OK;
}

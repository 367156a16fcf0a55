/*
 * optim.c - update rules over a network's parameter block.
 *
 * An optimizer sees the parameters and gradients as two flat arrays of the same
 * layout, so a rule is one loop. Plain SGD is the tutorial's
 * `weights -= learning_rate * derror_dweights`. The kind tag and the state
 * pointer are where momentum and Adam will keep their moments.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

typedef enum optimizer_kind { OPT_SGD } optimizer_kind;

struct nnc_optimizer {
    optimizer_kind kind;
    float learning_rate;
};

static nnc_status check_rate(float learning_rate)
{
    if (!(learning_rate > 0.0f) || !isfinite(learning_rate))
        return nnc_fail(NNC_EINVAL, "learning rate must be finite and positive, got %g",
                        (double)learning_rate);
    return NNC_OK;
}

nnc_optimizer *nnc_sgd_new(float learning_rate)
{
    if (check_rate(learning_rate) != NNC_OK)
        return NULL;
    nnc_optimizer *opt = nnc_alloc(1, sizeof *opt, 1);
    if (opt == NULL)
        return NULL;
    opt->kind = OPT_SGD;
    opt->learning_rate = learning_rate;
    return opt;
}

void nnc_optimizer_free(nnc_optimizer *opt)
{
    free(opt);
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

static void sgd_step(float learning_rate, float *params, const float *grads, size_t n)
{
    for (size_t i = 0; i < n; i++)
        params[i] -= learning_rate * grads[i];
}

nnc_status nnc_optimizer_step(nnc_optimizer *opt, nnc_net *net)
{
    if (opt == NULL || net == NULL)
        return nnc_fail(NNC_EINVAL, "optimizer step: NULL argument");
    switch (opt->kind) {
    case OPT_SGD:
        sgd_step(opt->learning_rate, nnc_net_params(net), nnc_net_grads(net),
                 nnc_net_param_count(net));
        break;
    }
    return NNC_OK;
}

/*
 * test_training.c - training actually learns, and does so reproducibly.
 *
 * XOR is the smallest problem a single layer cannot solve, so reaching 100 %
 * on it shows the hidden layer's backward pass is right; the tutorial's run
 * must bring its cumulative error down; the same seed must give the same bits.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nnc.h"
#include "train/train.h"   /* the checkpoint itself, for runs nnc_fit cannot make */

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const float xor_x[4][2] = { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } };
static const float xor_y[4] = { 0, 1, 1, 0 };

static const float tutorial_x[8][2] = {
    { 3, 1.5f }, { 2, 1 }, { 4, 1.5f }, { 3, 4 }, { 3.5f, 0.5f }, { 2, 0.5f }, { 5.5f, 1 }, { 1, 1 },
};
static const float tutorial_y[8] = { 0, 1, 0, 1, 0, 1, 1, 0 };

/* A 2-4-1 network for XOR (tanh hidden, sigmoid out, binary cross-entropy),
 * its weights drawn from rng. */
static nnc_net *xor_net(nnc_rng *rng)
{
    nnc_net *net = nnc_net_new(2);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, 4, NNC_TANH), NNC_OK);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_SIGMOID), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_BINARY_CROSS_ENTROPY), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, rng), NNC_OK);
    return net;
}

/* That network trained on XOR with full-batch gradient descent; returns it
 * for inspection. */
static nnc_net *train_xor(uint64_t seed, int epochs, double *loss)
{
    nnc_rng rng;
    nnc_rng_seed(&rng, seed);
    nnc_net *net = xor_net(&rng);
    nnc_optimizer *sgd = nnc_sgd_new(0.5f);
    nnc_dataset *data = nnc_dataset_from_arrays(&xor_x[0][0], xor_y, 4, 2, 1);
    assert_non_null(sgd);
    assert_non_null(data);
    nnc_fit_options options = nnc_fit_defaults();
    options.epochs = epochs;
    options.batch_size = 4;
    nnc_fit_result result;
    assert_int_equal(nnc_fit(net, sgd, data, &options, &rng, &result), NNC_OK);
    assert_int_equal(result.epochs_run, epochs);
    if (loss != NULL)
        *loss = result.train.loss;
    nnc_dataset_free(data);
    nnc_optimizer_free(sgd);
    return net;
}

static void test_xor_reaches_full_accuracy(void **state)
{
    (void)state;
    double loss = -1.0;
    nnc_net *net = train_xor(7, 2000, &loss);
    assert_true(loss >= 0.0 && loss < 0.1);
    float out[4];
    assert_int_equal(nnc_predict(net, &xor_x[0][0], 4, out), NNC_OK);
    for (int i = 0; i < 4; i++) {
        if ((out[i] > 0.5f) != (xor_y[i] > 0.5f))
            fail_msg("XOR %g,%g: predicted %g, target %g", xor_x[i][0], xor_x[i][1], out[i],
                     xor_y[i]);
    }
    nnc_net_free(net);
}

static void test_same_seed_same_bits(void **state)
{
    (void)state;
    nnc_net *a = train_xor(11, 300, NULL), *b = train_xor(11, 300, NULL);
    nnc_net *c = train_xor(12, 300, NULL);
    size_t bytes = nnc_net_param_count(a) * sizeof(float);
    assert_int_equal(nnc_net_param_count(a), 2 * 4 + 4 + 4 + 1);
    assert_memory_equal(nnc_net_params(a), nnc_net_params(b), bytes);
    assert_memory_not_equal(nnc_net_params(a), nnc_net_params(c), bytes);
    nnc_net_free(a);
    nnc_net_free(b);
    nnc_net_free(c);
}

/* The tutorial's train(): one random instance per iteration, the squared error
 * summed over all eight instances recorded every 100 iterations. */
static void test_tutorial_error_falls(void **state)
{
    (void)state;
    enum { ITERATIONS = 10000, EVERY = 100, RECORDS = ITERATIONS / EVERY };
    nnc_rng rng;
    nnc_rng_seed(&rng, 3);   /* nnc tutorial's default seed */
    nnc_net *net = nnc_net_new(2);
    nnc_optimizer *sgd = nnc_sgd_new(0.1f);
    nnc_dataset *data = nnc_dataset_from_arrays(&tutorial_x[0][0], tutorial_y, 8, 2, 1);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_SIGMOID), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_STANDARD_NORMAL, &rng), NNC_OK);
    double errors[RECORDS];
    for (int i = 0; i < ITERATIONS; i++) {
        int k = (int)nnc_rng_below(&rng, 8);
        assert_int_equal(nnc_train_step(net, sgd, tutorial_x[k], &tutorial_y[k], 1, NULL),
                         NNC_OK);
        if (i % EVERY == 0)
            assert_int_equal(nnc_evaluate(net, data, &errors[i / EVERY]), NNC_OK);
    }
    /* The curve jitters (the tutorial says so), so compare the start with the
     * mean of the last ten records, and ask for a clear drop. */
    double tail = 0.0;
    for (int i = RECORDS - 10; i < RECORDS; i++)
        tail += errors[i] / 10;
    print_message("cumulative error: first %.4f, mean of the last ten %.4f\n", errors[0], tail);
    assert_true(tail < 0.7 * errors[0]);
    nnc_dataset_free(data);
    nnc_optimizer_free(sgd);
    nnc_net_free(net);
}

/* Mini-batches: fit a linear regression (the tutorial's house-price model,
 * price = w_area * area + w_age * age + b) and recover its coefficients. */
static void test_minibatch_regression(void **state)
{
    (void)state;
    enum { ROWS = 200 };
    float x[ROWS][2], y[ROWS];
    nnc_rng rng;
    nnc_rng_seed(&rng, 5);
    for (int i = 0; i < ROWS; i++) {
        x[i][0] = (float)(2 * nnc_rng_uniform(&rng) - 1);
        x[i][1] = (float)(2 * nnc_rng_uniform(&rng) - 1);
        y[i] = 3.0f * x[i][0] - 2.0f * x[i][1] + 0.5f;
    }
    nnc_net *net = nnc_net_new(2);
    nnc_optimizer *sgd = nnc_sgd_new(0.1f);
    nnc_dataset *data = nnc_dataset_from_arrays(&x[0][0], y, ROWS, 2, 1);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_IDENTITY), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_MSE), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, &rng), NNC_OK);
    nnc_fit_options options = nnc_fit_defaults();
    options.epochs = 100;
    options.batch_size = 16;   /* 200 rows: 12 full batches and one of 8 */
    nnc_fit_result result;
    assert_int_equal(nnc_fit(net, sgd, data, &options, &rng, &result), NNC_OK);
    assert_true(result.train.loss < 1e-6);
    assert_true(result.train.r2 > 0.999999);
    assert_float_equal(nnc_net_weights(net, 0)[0], 3.0f, 1e-3);
    assert_float_equal(nnc_net_weights(net, 0)[1], -2.0f, 1e-3);
    assert_float_equal(nnc_net_bias(net, 0)[0], 0.5f, 1e-3);
    nnc_dataset_free(data);
    nnc_optimizer_free(sgd);
    nnc_net_free(net);
}

static int count_epochs(const nnc_epoch_report *report, void *user)
{
    int *seen = user;
    assert_int_equal(report->epoch, *seen + 1);
    assert_true(isfinite(report->train.loss));
    *seen = report->epoch;
    return report->epoch == 3;   /* asks nnc_fit to stop after the third epoch */
}

static void test_fit_callback_can_stop(void **state)
{
    (void)state;
    nnc_rng rng;
    nnc_rng_seed(&rng, 1);
    nnc_net *net = nnc_net_new(2);
    nnc_optimizer *sgd = nnc_sgd_new(0.1f);
    nnc_dataset *data = nnc_dataset_from_arrays(&xor_x[0][0], xor_y, 4, 2, 1);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_SIGMOID), NNC_OK);
    int seen = 0;
    nnc_fit_options options = nnc_fit_defaults();
    options.epochs = 50;
    options.on_epoch = count_epochs;
    options.user = &seen;
    assert_int_equal(nnc_fit(net, sgd, data, &options, &rng, NULL), NNC_OK);
    assert_int_equal(seen, 3);
    nnc_dataset_free(data);
    nnc_optimizer_free(sgd);
    nnc_net_free(net);
}

static void test_clone_is_deep(void **state)
{
    (void)state;
    nnc_net *net = train_xor(3, 50, NULL);
    nnc_net *copy = nnc_net_clone(net);
    assert_non_null(copy);
    float a[4], b[4];
    assert_int_equal(nnc_predict(net, &xor_x[0][0], 4, a), NNC_OK);
    assert_int_equal(nnc_predict(copy, &xor_x[0][0], 4, b), NNC_OK);
    assert_memory_equal(a, b, sizeof a);
    nnc_net_params(copy)[0] += 1.0f;
    assert_true(nnc_net_params(copy)[0] != nnc_net_params(net)[0]);
    nnc_net_free(net);
    nnc_net_free(copy);
}

/* Trains a copy of net with plain SGD (the fused paths) and another with
 * momentum 0 (the same rule through gradients-then-step) on the same random
 * batches of 1, 5 and 100 rows, asking for the loss every other step, and
 * checks that both land on the same weights, having moved them. Softmax
 * outputs get one-hot targets, the others targets in [0, 1). */
static void check_fused_matches_general(nnc_net *fused, float rate, uint64_t seed)
{
    nnc_rng rng;
    nnc_rng_seed(&rng, seed);
    const int in = nnc_net_inputs(fused), out = nnc_net_outputs(fused);
    const int one_hot = nnc_net_layer_activation(fused, nnc_net_layer_count(fused) - 1) ==
                        NNC_SOFTMAX;
    nnc_net *general = nnc_net_clone(fused), *start = nnc_net_clone(fused);
    nnc_optimizer *sgd = nnc_sgd_new(rate), *plain = nnc_momentum_new(rate, 0.0f);
    enum { MOST = 100, WIDEST = 8 };
    static float x[MOST * WIDEST], y[MOST * WIDEST];
    assert_true(in <= WIDEST && out <= WIDEST);
    for (int step = 0; step < 30; step++) {
        int rows = step % 3 == 0 ? 1 : (step % 3 == 1 ? 5 : MOST);
        for (int i = 0; i < rows * in; i++)
            x[i] = (float)nnc_rng_normal(&rng);
        for (int r = 0; r < rows; r++) {
            int c = (int)nnc_rng_below(&rng, (uint64_t)out);
            for (int k = 0; k < out; k++)
                y[r * out + k] = one_hot ? (float)(k == c) : (float)nnc_rng_uniform(&rng);
        }
        double loss_fused = 0.0, loss_general = 0.0;
        int ask = step % 2 == 0;
        assert_int_equal(nnc_train_step(fused, sgd, x, y, rows, ask ? &loss_fused : NULL),
                         NNC_OK);
        assert_int_equal(nnc_train_step(general, plain, x, y, rows,
                                         ask ? &loss_general : NULL),
                         NNC_OK);
        assert_float_equal(loss_fused, loss_general, 1e-5 * (1.0 + fabs(loss_general)));
    }
    const float *a = nnc_net_params(fused), *b = nnc_net_params(general);
    for (size_t i = 0; i < nnc_net_param_count(fused); i++)
        if (fabsf(a[i] - b[i]) > 1e-5f * (1.0f + fabsf(b[i])))
            fail_msg("parameter %zu: fused %.9g, general %.9g", i, a[i], b[i]);
    /* Both paths really moved the weights, so the comparison means something. */
    double moved = 0.0;
    for (size_t i = 0; i < nnc_net_param_count(fused); i++)
        moved += fabs((double)a[i] - nnc_net_params(start)[i]);
    assert_true(moved > 0.1);
    nnc_net_free(start);
    nnc_optimizer_free(sgd);
    nnc_optimizer_free(plain);
    nnc_net_free(general);
}

static nnc_net *seeded_net(int inputs, const int *units, const nnc_activation *acts, int layers,
                           nnc_loss loss, uint64_t seed)
{
    nnc_rng rng;
    nnc_rng_seed(&rng, seed);
    nnc_net *net = nnc_net_new(inputs);
    for (int l = 0; l < layers; l++)
        assert_int_equal(nnc_net_add_dense(net, units[l], acts[l]), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, loss), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, &rng), NNC_OK);
    return net;
}

/* Plain SGD takes fused paths (the update folded into the backward pass):
 * per layer for a softmax output, and for one row through narrow layers
 * with an element-wise output, one routine for the whole step (the
 * tutorial's case). Each must land where gradients-then-step lands. */
static void test_fused_steps_match_general_path(void **state)
{
    (void)state;
    static const struct {
        int inputs, layers, units[3];
        nnc_activation acts[3];
        nnc_loss loss;
    } nets[] = {
        { 6, 3, { 9, 7, 4 }, { NNC_RELU, NNC_TANH, NNC_SOFTMAX },
          NNC_LOSS_SOFTMAX_CROSS_ENTROPY },
        { 2, 1, { 1 }, { NNC_SIGMOID }, NNC_LOSS_SQUARED_ERROR },
        { 3, 3, { 5, 4, 2 }, { NNC_RELU, NNC_TANH, NNC_SIGMOID },
          NNC_LOSS_BINARY_CROSS_ENTROPY },
        { 4, 2, { 8, 3 }, { NNC_SIGMOID, NNC_TANH }, NNC_LOSS_MSE },
        { 5, 2, { 6, 2 }, { NNC_RELU, NNC_IDENTITY }, NNC_LOSS_SQUARED_ERROR },
    };
    for (size_t n = 0; n < sizeof nets / sizeof nets[0]; n++) {
        nnc_net *net = seeded_net(nets[n].inputs, nets[n].units, nets[n].acts, nets[n].layers,
                                  nets[n].loss, 21 + n);
        /* The squared error is summed over rows, not averaged: a smaller rate
         * keeps its batches of 100 from overshooting. */
        float rate = nets[n].loss == NNC_LOSS_SQUARED_ERROR ? 0.002f : 0.05f;
        check_fused_matches_general(net, rate, 40 + n);
        nnc_net_free(net);
    }
}

/* A single row takes nnc's own matrix-vector kernel, which skips blocks of
 * zero inputs (as in an image's margins); a batch takes sgemm. Both must give
 * the same predictions. */
static void test_single_row_kernel_matches_batch(void **state)
{
    (void)state;
    enum { IN = 100, ROWS = 64 };   /* 100: twelve blocks of 8 and a tail of 4 */
    static float x[ROWS * IN], batch[ROWS * 10], single[10];
    nnc_rng rng;
    nnc_rng_seed(&rng, 8);
    for (int i = 0; i < ROWS * IN; i++) {
        int column = i % IN;
        /* Zero margins and a zero block in the middle, like an image. */
        int zero = column < 16 || (column >= 40 && column < 48) || column >= 90;
        x[i] = zero ? 0.0f : (float)nnc_rng_uniform(&rng);
    }
    nnc_net *net = nnc_net_new(IN);
    assert_int_equal(nnc_net_add_dense(net, 37, NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_add_dense(net, 10, NNC_SOFTMAX), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_HE, &rng), NNC_OK);
    assert_int_equal(nnc_predict(net, x, ROWS, batch), NNC_OK);
    for (int r = 0; r < ROWS; r++) {
        assert_int_equal(nnc_predict(net, x + r * IN, 1, single), NNC_OK);
        for (int k = 0; k < 10; k++)
            if (fabsf(single[k] - batch[r * 10 + k]) > 1e-6f)
                fail_msg("row %d output %d: single %.9g, batch %.9g", r, k, single[k],
                         batch[r * 10 + k]);
    }
    nnc_net_free(net);
}

/* Clipping scales a gradient whose norm is over the limit down to the limit,
 * and leaves a smaller one alone. */
static void test_gradient_norm_clipping(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new(1);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_IDENTITY), NNC_OK);   /* w and b */
    nnc_optimizer *sgd = nnc_sgd_new(1.0f);
    assert_int_equal(nnc_optimizer_set_clip_norm(sgd, 1.0f), NNC_OK);
    float *p = nnc_net_params(net), *g = nnc_net_grads(net);
    g[0] = 3.0f;   /* norm 5: scaled by 1/5 */
    g[1] = 4.0f;
    assert_int_equal(nnc_optimizer_step(sgd, net), NNC_OK);
    assert_float_equal(p[0], -0.6f, 1e-6);
    assert_float_equal(p[1], -0.8f, 1e-6);
    g[0] = 0.3f;   /* norm 0.5: unchanged */
    g[1] = 0.4f;
    assert_int_equal(nnc_optimizer_step(sgd, net), NNC_OK);
    assert_float_equal(p[0], -0.9f, 1e-6);
    assert_float_equal(p[1], -1.2f, 1e-6);
    assert_int_equal(nnc_optimizer_set_clip_norm(sgd, -1.0f), NNC_EINVAL);
    nnc_optimizer_free(sgd);
    nnc_net_free(net);
}

/* Two networks of as many parameters, 3-4-2-3 and 3-2-4-3 (35 each), and
 * one run description: the checkpoint of the one is refused for the other
 * by its architecture section, before anything changes, and the network it
 * was made of resumes from it. */
static void test_checkpoint_refuses_a_same_size_network(void **state)
{
    (void)state;
    char path[] = "/tmp/nnc-checkpoint-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    nnc_rng rng;
    nnc_rng_seed(&rng, 5);
    const int wide_first[] = { 4, 2 }, narrow_first[] = { 2, 4 };
    nnc_net *made = nnc_net_new(3), *other = nnc_net_new(3);
    for (int l = 0; l < 2; l++) {
        assert_int_equal(nnc_net_add_dense(made, wide_first[l], NNC_RELU), NNC_OK);
        assert_int_equal(nnc_net_add_dense(other, narrow_first[l], NNC_RELU), NNC_OK);
    }
    assert_int_equal(nnc_net_add_dense(made, 3, NNC_SOFTMAX), NNC_OK);
    assert_int_equal(nnc_net_add_dense(other, 3, NNC_SOFTMAX), NNC_OK);
    assert_int_equal(nnc_net_param_count(made), 35);
    assert_int_equal(nnc_net_param_count(other), 35);
    assert_int_equal(nnc_net_init(made, NNC_INIT_HE, &rng), NNC_OK);
    assert_int_equal(nnc_net_init(other, NNC_INIT_HE, &rng), NNC_OK);

    nnc_optimizer *opt = nnc_sgd_new(0.1f);
    float best[35], best_state[1] = { 0 };
    memcpy(best, nnc_net_params(made), sizeof best);
    const nnc_fit_progress at = { 1, 1, 0, -1.0, best, best_state };
    const char *identity = "run the same description for both\n";
    assert_int_equal(nnc_checkpoint_save(path, identity, made, opt, &rng, &at), NNC_OK);

    const nnc_checkpoint_run run = { identity, 10, 1, 0 };
    float kept[35], into_best[35], into_state[1];
    memcpy(kept, nnc_net_params(other), sizeof kept);
    nnc_fit_progress into = { 0, 0, 0, INFINITY, into_best, into_state };
    nnc_rng resumed = { { 0 }, 0.0, 0 };
    assert_int_equal(nnc_checkpoint_load(path, &run, other, opt, &resumed, &into), NNC_EINVAL);
    const char *msg = nnc_last_error();
    if (strstr(msg, "the checkpoint is of another network: it was made with 3x1x1 -> "
                    "dense:4:relu,dense:2:relu,dense:3:softmax loss=squared_error, this run "
                    "has 3x1x1 -> dense:2:relu,dense:4:relu,dense:3:softmax") == NULL)
        fail_msg("%s", msg);
    assert_memory_equal(nnc_net_params(other), kept, sizeof kept);
    assert_int_equal(into.epoch, 0);

    nnc_net *same = nnc_net_clone(made);
    memset(nnc_net_params(same), 0, sizeof kept);
    assert_int_equal(nnc_checkpoint_load(path, &run, same, opt, &resumed, &into), NNC_OK);
    assert_memory_equal(nnc_net_params(same), nnc_net_params(made), sizeof kept);
    assert_memory_equal(into_best, best, sizeof best);
    assert_int_equal(into.epoch, 1);
    remove(path);
    nnc_net_free(same);
    nnc_net_free(made);
    nnc_net_free(other);
    nnc_optimizer_free(opt);
}

/* nnc_fit's checkpoints: resuming gives the uninterrupted run's bits; a
 * damaged checkpoint, or one of another optimizer, is refused. */
static void test_fit_checkpoint_and_resume(void **state)
{
    (void)state;
    char path[] = "/tmp/nnc-checkpoint-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    double loss;
    nnc_net *full = train_xor(4, 40, &loss);   /* the uninterrupted run */

    nnc_rng rng;
    nnc_rng_seed(&rng, 4);
    nnc_net *net = xor_net(&rng);
    nnc_optimizer *sgd = nnc_sgd_new(0.5f);
    nnc_dataset *data = nnc_dataset_from_arrays(&xor_x[0][0], xor_y, 4, 2, 1);
    nnc_fit_options options = nnc_fit_defaults();
    options.batch_size = 4;
    options.epochs = 15;   /* "killed" after 15 of 40 epochs */
    options.checkpoint = path;
    options.checkpoint_every = 5;
    assert_int_equal(nnc_fit(net, sgd, data, &options, &rng, NULL), NNC_OK);

    /* A fresh process starts from scratch: a new network, initialised from
     * another seed (so a loader that forgot the parameters cannot pass on
     * weights the network already had), a new optimizer and generator. */
    nnc_rng other;
    nnc_rng_seed(&other, 999);
    nnc_net *again = xor_net(&other);
    nnc_optimizer *sgd2 = nnc_sgd_new(0.5f);
    assert_non_null(sgd2);
    assert_true(memcmp(nnc_net_params(again), nnc_net_params(net),
                       nnc_net_param_count(net) * sizeof(float)) != 0);
    options.epochs = 40;
    options.checkpoint = NULL;
    options.resume = path;
    assert_int_equal(nnc_fit(again, sgd2, data, &options, &other, NULL), NNC_OK);
    assert_memory_equal(nnc_net_params(again), nnc_net_params(full),
                        nnc_net_param_count(full) * sizeof(float));

    nnc_optimizer *adam = nnc_adam_new(0.01f, 0.9f, 0.999f, 1e-8f);
    nnc_status st = nnc_fit(again, adam, data, &options, &other, NULL);
    assert_int_equal(st, NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "sgd"));

    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 40, SEEK_SET);
    fputc(0x5a, f);
    fclose(f);
    assert_int_equal(nnc_fit(again, sgd2, data, &options, &other, NULL), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), "checksum"));
    remove(path);
    nnc_optimizer_free(adam);
    nnc_optimizer_free(sgd2);
    nnc_optimizer_free(sgd);
    nnc_dataset_free(data);
    nnc_net_free(again);
    nnc_net_free(net);
    nnc_net_free(full);
}

/* The parameters as the last completed epoch left them. */
static float last_epoch_params[2];
static nnc_net *watched_net;

static int remember_params(const nnc_epoch_report *report, void *user)
{
    (void)report;
    (void)user;
    memcpy(last_epoch_params, nnc_net_params(watched_net), sizeof last_epoch_params);
    return 0;
}

/* A run that diverges stops with NNC_ENUMERIC naming epoch and batch, and
 * leaves the network at its last complete epoch: finite, usable weights. */
static void test_divergence_keeps_last_good_weights(void **state)
{
    (void)state;
    float x[8], y[8];
    for (int i = 0; i < 8; i++) {
        x[i] = (float)i;
        y[i] = 3.0f * i;
    }
    nnc_dataset *data = nnc_dataset_from_arrays(x, y, 8, 1, 1);
    nnc_net *net = watched_net = nnc_net_new(1);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_IDENTITY), NNC_OK);
    nnc_optimizer *sgd = nnc_sgd_new(0.5f);   /* far too large a step for inputs up to 7 */
    nnc_fit_options options = nnc_fit_defaults();
    options.epochs = 1000;
    options.shuffle = 0;
    options.batch_size = 1;
    options.on_epoch = remember_params;
    assert_int_equal(nnc_fit(net, sgd, data, &options, NULL, NULL), NNC_ENUMERIC);
    assert_non_null(strstr(nnc_last_error(), "diverged in epoch "));
    assert_non_null(strstr(nnc_last_error(), "smaller learning rate"));
    const float *p = nnc_net_params(net);
    assert_true(isfinite(p[0]) && isfinite(p[1]));
    assert_memory_equal(p, last_epoch_params, sizeof last_epoch_params);
    nnc_optimizer_free(sgd);
    nnc_net_free(net);
    nnc_dataset_free(data);
}

/* The generator: reproducible, in range, and plausibly distributed. */
static void test_rng(void **state)
{
    (void)state;
    nnc_rng a, b;
    nnc_rng_seed(&a, 99);
    nnc_rng_seed(&b, 99);
    for (int i = 0; i < 100; i++)
        assert_true(nnc_rng_u64(&a) == nnc_rng_u64(&b));

    enum { N = 100000 };
    double sum = 0, sum_sq = 0;
    int counts[7] = { 0 };
    for (int i = 0; i < N; i++) {
        double z = nnc_rng_normal(&a);
        sum += z;
        sum_sq += z * z;
        uint64_t k = nnc_rng_below(&a, 7);
        assert_true(k < 7);
        counts[k]++;
        double u = nnc_rng_uniform(&a);
        assert_true(u >= 0.0 && u < 1.0);
    }
    assert_float_equal(sum / N, 0.0, 0.02);
    assert_float_equal(sum_sq / N, 1.0, 0.02);
    for (int k = 0; k < 7; k++)
        assert_in_range(counts[k], N / 7 - 700, N / 7 + 700);

    size_t perm[50];
    int hit[50] = { 0 };
    nnc_rng_permutation(&a, perm, 50);
    for (int i = 0; i < 50; i++) {
        assert_true(perm[i] < 50);
        hit[perm[i]]++;
    }
    for (int i = 0; i < 50; i++)
        assert_int_equal(hit[i], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xor_reaches_full_accuracy),
        cmocka_unit_test(test_same_seed_same_bits),
        cmocka_unit_test(test_tutorial_error_falls),
        cmocka_unit_test(test_minibatch_regression),
        cmocka_unit_test(test_fit_callback_can_stop),
        cmocka_unit_test(test_clone_is_deep),
        cmocka_unit_test(test_fused_steps_match_general_path),
        cmocka_unit_test(test_single_row_kernel_matches_batch),
        cmocka_unit_test(test_gradient_norm_clipping),
        cmocka_unit_test(test_fit_checkpoint_and_resume),
        cmocka_unit_test(test_checkpoint_refuses_a_same_size_network),
        cmocka_unit_test(test_divergence_keeps_last_good_weights),
        cmocka_unit_test(test_rng),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

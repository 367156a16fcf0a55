/*
 * test_errors.c - bad calls return an error status and say why; none crashes.
 *
 * Each check makes one call that must be refused and asserts both the status
 * and that nnc_last_error() names the problem. Under the sanitizer build this
 * also proves the refusals touch no memory they should not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nnc.h"

#include <string.h>

/* A message none of the calls below can give, left as the last error before
 * each of them: nnc has no call that clears the last error, and without
 * this a refusal that set no message of its own would pass on whatever an
 * earlier check left there, if it happened to mention the same word. */
#define STALE "stale-message-from-before-the-call"

static void plant_stale_message(void)
{
    nnc_activation act;
    assert_int_equal(nnc_activation_parse(STALE, &act), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), STALE));
}

/* Asserts that st is the expected failure and that the message the call
 * left is its own and mentions `word`. */
static void check_failure(const char *call, nnc_status st, nnc_status want, const char *word)
{
    const char *message = nnc_last_error();
    assert_true(word != NULL && word[0] != '\0');   /* "" would match any message */
    if (st != want)
        fail_msg("%s: status %d (%s), want %d (%s); message: %s", call, st, nnc_status_name(st),
                 want, nnc_status_name(want), message);
    if (strstr(message, STALE) != NULL)
        fail_msg("%s: failed without a message of its own", call);
    if (strstr(message, word) == NULL)
        fail_msg("%s: message '%s' does not mention '%s'", call, message, word);
}

/* Makes the call only after planting the stale message (a macro, so that
 * the planting comes first). */
#define expect_failure(call, want, word)                                                     \
    do {                                                                                     \
        plant_stale_message();                                                               \
        nnc_status st_ = (call);                                                             \
        check_failure(#call, st_, want, word);                                               \
    } while (0)

/* The same for a call that returns NULL on failure. */
#define expect_null(call, word)                                                              \
    do {                                                                                     \
        plant_stale_message();                                                               \
        const void *p_ = (call);                                                             \
        check_failure(#call, p_ == NULL ? NNC_EINVAL : NNC_OK, NNC_EINVAL, word);            \
    } while (0)

static nnc_net *small_net(void)
{
    nnc_net *net = nnc_net_new(2);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, 3, NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_SIGMOID), NNC_OK);
    return net;
}

static void test_null_pointers(void **state)
{
    (void)state;
    nnc_net *net = small_net();
    float x[2] = { 1, 2 }, y[1] = { 0 }, out[1];
    double loss;
    nnc_rng rng;
    nnc_rng_seed(&rng, 1);
    expect_failure(nnc_predict(NULL, x, 1, out), NNC_EINVAL, "NULL");
    expect_failure(nnc_predict(net, NULL, 1, out), NNC_EINVAL, "NULL");
    expect_failure(nnc_predict(net, x, 1, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_net_gradients(net, x, NULL, 1, &loss, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_net_loss_value(net, x, y, 1, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_net_add_dense(NULL, 3, NNC_RELU), NNC_EINVAL, "NULL");
    expect_failure(nnc_net_set_loss(NULL, NNC_LOSS_MSE), NNC_EINVAL, "NULL");
    expect_failure(nnc_net_init(net, NNC_INIT_HE, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_train_step(net, NULL, x, y, 1, NULL), NNC_EINVAL, "NULL");
    /* A single row through this narrow network takes the small fused step;
     * one row of a batch, the general one. Both check their data. */
    nnc_optimizer *sgd = nnc_sgd_new(0.1f);
    for (int rows = 1; rows <= 2; rows++) {
        expect_failure(nnc_train_step(net, sgd, NULL, y, rows, NULL), NNC_EINVAL, "NULL");
        expect_failure(nnc_train_step(net, sgd, x, NULL, rows, &loss), NNC_EINVAL, "NULL");
    }
    nnc_optimizer_free(sgd);
    expect_failure(nnc_optimizer_step(NULL, net), NNC_EINVAL, "NULL");
    expect_failure(nnc_evaluate(net, NULL, &loss), NNC_EINVAL, "NULL");
    expect_failure(nnc_activation_forward(NNC_TANH, NULL, out, 1, 1), NNC_EINVAL, "NULL");
    expect_failure(nnc_loss_forward(NNC_LOSS_MSE, out, NULL, 1, 1, &loss), NNC_EINVAL, "NULL");
    expect_failure(nnc_activation_parse(NULL, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_atomic_open(NULL, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_line(NULL, NULL, NULL, 2, "x", "y", "t"), NNC_EINVAL, "NULL");
    assert_null(nnc_dataset_from_arrays(NULL, y, 1, 2, 1));
    assert_null(nnc_net_clone(NULL));
    /* Queries and frees on NULL are harmless. */
    assert_int_equal(nnc_net_outputs(NULL), 0);
    assert_null(nnc_net_weights(NULL, 0));
    nnc_net_free(NULL);
    nnc_optimizer_free(NULL);
    nnc_dataset_free(NULL);
    nnc_atomic_abort(NULL);
    nnc_net_free(net);
}

static void test_bad_sizes(void **state)
{
    (void)state;
    nnc_net *net = small_net();
    float x[2] = { 1, 2 }, y[1] = { 0 }, out[2];
    double loss;
    expect_null(nnc_net_new(0), "inputs");
    assert_null(nnc_net_new(-5));
    expect_failure(nnc_net_add_dense(net, 0, NNC_RELU), NNC_EINVAL, "units");
    expect_failure(nnc_net_add_dense(net, -3, NNC_RELU), NNC_EINVAL, "units");
    expect_failure(nnc_predict(net, x, 0, out), NNC_EINVAL, "rows");
    expect_failure(nnc_predict(net, x, -1, out), NNC_EINVAL, "rows");
    expect_failure(nnc_net_gradients(net, x, y, 0, &loss, NULL), NNC_EINVAL, "rows");
    expect_failure(nnc_activation_forward(NNC_RELU, x, out, 0, 2), NNC_EINVAL, "shape");
    expect_failure(nnc_loss_backward(NNC_LOSS_MSE, x, y, 1, -2, out), NNC_EINVAL, "shape");
    expect_failure(nnc_plot_line("x.png", (double[]){ 1 }, (double[]){ 1 }, 1, "x", "y", "t"),
                   NNC_EINVAL, "points");
    expect_null(nnc_dataset_from_arrays(x, y, 0, 2, 1), "rows");
    expect_null(nnc_sgd_new(0.0f), "learning rate");
    assert_null(nnc_sgd_new(-0.1f));
    nnc_net_free(net);
}

static void test_mismatched_dimensions(void **state)
{
    (void)state;
    nnc_net *net = small_net();
    nnc_optimizer *sgd = nnc_sgd_new(0.1f);
    float x3[3] = { 1, 2, 3 }, y[1] = { 1 };
    nnc_dataset *wrong_inputs = nnc_dataset_from_arrays(x3, y, 1, 3, 1);
    nnc_dataset *wrong_targets = nnc_dataset_from_arrays(x3, x3, 1, 2, 1);
    float y2[2] = { 0, 1 };
    nnc_dataset *two_targets = nnc_dataset_from_arrays(x3, y2, 1, 2, 2);
    assert_non_null(wrong_inputs);
    assert_non_null(wrong_targets);
    assert_non_null(two_targets);
    double loss;
    nnc_fit_options options = nnc_fit_defaults();
    nnc_rng rng;
    nnc_rng_seed(&rng, 1);
    expect_failure(nnc_fit(net, sgd, wrong_inputs, &options, &rng, NULL), NNC_EINVAL, "inputs");
    expect_failure(nnc_evaluate(net, two_targets, &loss), NNC_EINVAL, "outputs");
    options.batch_size = 0;
    expect_failure(nnc_fit(net, sgd, wrong_targets, &options, &rng, NULL), NNC_EINVAL, "batch");
    /* Softmax cross-entropy without a softmax layer to pair with. */
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_SOFTMAX_CROSS_ENTROPY), NNC_OK);
    expect_failure(nnc_net_gradients(net, x3, y, 1, &loss, NULL), NNC_EINVAL, "softmax");
    expect_failure(nnc_net_add_dense(net, 1, NNC_SOFTMAX), NNC_EINVAL, "softmax");
    /* A network without layers cannot predict. */
    nnc_net *empty = nnc_net_new(2);
    float out[1];
    expect_failure(nnc_predict(empty, x3, 1, out), NNC_EINVAL, "no layers");
    nnc_net_free(empty);
    nnc_dataset_free(wrong_inputs);
    nnc_dataset_free(wrong_targets);
    nnc_dataset_free(two_targets);
    nnc_optimizer_free(sgd);
    nnc_net_free(net);
}

static void test_unknown_names_and_values(void **state)
{
    (void)state;
    nnc_net *net = small_net();
    nnc_activation act;
    nnc_loss loss;
    float z[2] = { 0, 1 }, out[2];
    nnc_rng rng;
    nnc_rng_seed(&rng, 1);
    expect_failure(nnc_activation_parse("swish", &act), NNC_EINVAL, "swish");
    expect_failure(nnc_loss_parse("hinge", &loss), NNC_EINVAL, "hinge");
    expect_failure(nnc_net_add_dense(net, 2, (nnc_activation)42), NNC_EINVAL, "activation");
    expect_failure(nnc_net_add_dense(net, 2, (nnc_activation)-1), NNC_EINVAL, "activation");
    expect_failure(nnc_net_set_loss(net, (nnc_loss)9), NNC_EINVAL, "loss");
    expect_failure(nnc_net_init(net, (nnc_init)7, &rng), NNC_EINVAL, "scheme");
    expect_failure(nnc_activation_forward((nnc_activation)NNC_ACTIVATION_COUNT, z, out, 1, 2),
                   NNC_EINVAL, "activation");
    expect_failure(nnc_loss_forward((nnc_loss)4, z, z, 1, 2, &(double){ 0 }), NNC_EINVAL,
                   "loss");
    assert_null(nnc_activation_name((nnc_activation)NNC_ACTIVATION_COUNT));
    assert_null(nnc_loss_name((nnc_loss)-1));
    /* A refused layer leaves the network as it was. */
    assert_int_equal(nnc_net_layer_count(net), 2);
    assert_int_equal(nnc_net_outputs(net), 1);
    assert_int_equal(nnc_net_layer_units(net, 5), -1);
    nnc_net_free(net);
}

static void test_non_finite_loss(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new(1);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_IDENTITY), NNC_OK);
    nnc_net_weights(net, 0)[0] = 1e30f;
    float x[1] = { 1e30f }, y[1] = { 0 };
    double loss;
    expect_failure(nnc_net_gradients(net, x, y, 1, &loss, NULL), NNC_ENUMERIC, "learning rate");
    nnc_net_free(net);
}

static void test_unwritable_output(void **state)
{
    (void)state;
    nnc_atomic_file *file = NULL;
    expect_failure(nnc_atomic_open("/nonexistent-dir/x.csv", &file), NNC_EIO, "nonexistent");
    assert_null(file);
    double x[2] = { 0, 1 }, y[2] = { 1, 2 };
    expect_failure(nnc_plot_line("/nonexistent-dir/x.png", x, y, 2, "x", "y", "t"), NNC_EIO,
                   "nonexistent");
}

/* Every public function given NULL (or a nonsense value) refuses or does
 * nothing, and never crashes: the ones with a status return an error with a
 * message, queries return a neutral value. */
static void test_every_function_survives_null(void **state)
{
    (void)state;
    float f = 0.0f;
    int k = 0;
    size_t idx = 0;
    double d = 0.0;
    expect_failure(nnc_activation_backward(NNC_TANH, &f, NULL, &f, &f, 1, 1), NNC_EINVAL,
                   "NULL");
    expect_failure(nnc_loss_backward(NNC_LOSS_MSE, NULL, &f, 1, 1, &f), NNC_EINVAL, "NULL");
    expect_failure(nnc_loss_parse(NULL, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_dataset_set_class_labels(NULL, NULL, 2), NNC_EINVAL, "NULL");
    expect_failure(nnc_dataset_gather(NULL, &idx, 1, &f, &f), NNC_EINVAL, "NULL");
    expect_failure(nnc_dataset_split(NULL, 0.5, NULL, NULL, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_dataset_load_csv(NULL, NULL, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_dataset_load_idx(NULL, NULL, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_optimizer_set_clip_norm(NULL, 1.0f), NNC_EINVAL, "NULL");
    expect_failure(nnc_optimizer_set_weight_decay(NULL, 1.0f), NNC_EINVAL, "NULL");
    expect_failure(nnc_optimizer_set_learning_rate(NULL, 1.0f), NNC_EINVAL, "NULL");
    expect_failure(nnc_normalizer_apply(NULL, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_normalizer_apply_rows(NULL, &f, 1), NNC_EINVAL, "NULL");
    expect_failure(nnc_normalizer_restore_targets(NULL, &f, 1), NNC_EINVAL, "NULL");
    expect_failure(nnc_evaluate_metrics(NULL, NULL, 1.0, NULL, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_model_set_meta(NULL, "k", "v"), NNC_EINVAL, "NULL");
    expect_failure(nnc_model_predict(NULL, &f, 1, &f), NNC_EINVAL, "NULL");
    expect_failure(nnc_model_evaluate(NULL, NULL, NULL, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_model_save(NULL, "x.nnc"), NNC_EINVAL, "NULL");
    expect_failure(nnc_model_load(NULL, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_atomic_commit(NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_lines(NULL, NULL, NULL, NULL, 1, 2, "x", "y", "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_decision_regions(NULL, NULL, NULL, "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_confusion(NULL, NULL, 2, NULL, "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_fit(NULL, NULL, NULL, NULL, NULL, NULL), NNC_EINVAL, "NULL");
    assert_null(nnc_dataset_subset(NULL, &idx, 1));
    assert_null(nnc_dataset_from_classes(NULL, &k, 1, 1, 2, NULL));
    assert_null(nnc_normalizer_fit(NULL, NNC_SCALE_STANDARD));
    assert_null(nnc_model_new(NULL, NULL, NULL));
    assert_null(nnc_momentum_new(0.1f, 1.0f));
    assert_null(nnc_adam_new(0.1f, 1.5f, 0.9f, 1e-8f));
    assert_null(nnc_sgd_new(0.0f / 0.0f));
    /* Queries on NULL give neutral answers. */
    assert_int_equal(nnc_dataset_rows(NULL) + nnc_dataset_inputs(NULL) +
                         nnc_dataset_targets(NULL) + nnc_dataset_classes(NULL), 0);
    assert_null(nnc_dataset_class_label(NULL, 0));
    assert_null(nnc_dataset_input_name(NULL, 0));
    assert_null(nnc_dataset_target_name(NULL));
    assert_int_equal(nnc_dataset_class_of(NULL, 0), -1);
    assert_int_equal(nnc_model_inputs(NULL) + nnc_model_classes(NULL) +
                         nnc_model_meta_count(NULL), 0);
    assert_null(nnc_model_net(NULL));
    assert_null(nnc_model_normalizer(NULL));
    assert_null(nnc_model_input_name(NULL, 0));
    assert_null(nnc_model_class_label(NULL, 0));
    assert_null(nnc_model_meta(NULL, "k"));
    assert_null(nnc_model_meta_key(NULL, 0));
    assert_null(nnc_model_meta_value(NULL, 0));
    assert_int_equal(nnc_net_inputs(NULL) + nnc_net_layer_count(NULL), 0);
    assert_int_equal(nnc_net_param_count(NULL), 0);
    assert_null(nnc_net_params(NULL));
    assert_null(nnc_net_grads(NULL));
    assert_null(nnc_net_bias(NULL, 0));
    assert_null(nnc_net_weight_grads(NULL, 0));
    assert_null(nnc_net_bias_grads(NULL, 0));
    assert_int_equal(nnc_net_layer_units(NULL, 0), -1);
    assert_null(nnc_optimizer_name(NULL));
    assert_true(nnc_optimizer_learning_rate(NULL) == 0.0f);
    assert_int_equal(nnc_normalizer_kind(NULL), NNC_SCALE_NONE);
    assert_true(nnc_normalizer_target_scale(NULL) == 1.0);
    assert_null(nnc_atomic_stream(NULL));
    assert_true(nnc_dot(NULL, NULL, 3) == 0.0);
    assert_string_equal(nnc_status_name((nnc_status)77), "unknown status");
    nnc_output_classes(NULL, 1, 1, NULL);
    nnc_rng_seed(NULL, 1);
    d = nnc_rng_uniform(NULL) + nnc_rng_normal(NULL) + (double)nnc_rng_below(NULL, 5) +
        (double)nnc_rng_u64(NULL);
    assert_true(d == 0.0);
    nnc_rng_permutation(NULL, NULL, 4);
    nnc_normalizer_free(NULL);
    nnc_model_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_pointers),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_mismatched_dimensions),
        cmocka_unit_test(test_unknown_names_and_values),
        cmocka_unit_test(test_non_finite_loss),
        cmocka_unit_test(test_unwritable_output),
        cmocka_unit_test(test_every_function_survives_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

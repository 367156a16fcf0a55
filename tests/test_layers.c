/*
 * test_layers.c - the layer contract seen from outside: the layer grammar,
 * shapes through the stack, named and flagged tensors, and `--layers` and
 * `nnc info` in the real program.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli_support.h"
#include "nnc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *describe(const nnc_net *net)
{
    static char text[1024];
    int n = nnc_net_describe(net, text, sizeof text);
    assert_true(n >= 0 && n < (int)sizeof text);
    return text;
}

/* ---------------------------------------------------------------- grammar */

static void test_plain_numbers_are_dense_widths(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new(4);
    assert_int_equal(nnc_net_add_layers(net, "64,32", NNC_TANH), NNC_OK);
    assert_int_equal(nnc_net_layer_count(net), 2);
    assert_int_equal(nnc_net_layer_units(net, 0), 64);
    assert_int_equal(nnc_net_layer_units(net, 1), 32);
    assert_int_equal(nnc_net_layer_activation(net, 0), NNC_TANH);
    assert_string_equal(nnc_net_layer_type(net, 1), "dense");
    /* The same network as nnc_net_add_dense builds: 4*64+64 + 64*32+32. */
    assert_int_equal(nnc_net_param_count(net), 4 * 64 + 64 + 64 * 32 + 32);
    assert_string_equal(describe(net), "dense:64:tanh,dense:32:tanh");
    nnc_net_free(net);
}

static void test_grammar_forms_and_round_trip(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new(3);
    /* Types, activations, plain numbers with an activation, spaces. */
    assert_int_equal(nnc_net_add_layers(net, "dense:16:sigmoid, 8:identity , dense:5", NNC_RELU),
                     NNC_OK);
    const char *want = "dense:16:sigmoid,dense:8:identity,dense:5:relu";
    assert_string_equal(describe(net), want);
    /* Layers add on top of what is there. */
    assert_int_equal(nnc_net_add_layers(net, "dense:3:softmax", NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_outputs(net), 3);
    char text[1024];
    memcpy(text, describe(net), sizeof text);

    /* The canonical text builds the same network again. */
    nnc_net *again = nnc_net_new(3);
    assert_int_equal(nnc_net_add_layers(again, text, NNC_IDENTITY), NNC_OK);
    assert_string_equal(describe(again), text);
    assert_int_equal(nnc_net_param_count(again), nnc_net_param_count(net));
    nnc_net_free(again);
    nnc_net_free(net);
}

static const bad_text bad_texts[] = {
    { "", 1, "empty layer" },
    { "64,,32", 4, "empty layer" },
    { "64,", 4, "empty layer" },
    { "dense:x", 7, "the width must be a whole number from 1 to 16777216, got 'x'" },
    { "dense", 1, "needs its width" },
    { "dense:0", 7, "from 1 to" },
    { "dense:99999999999", 7, "whole number" },
    { "32,dense:-4", 10, "got '-4'" },
    { "dense::4", 7, "empty field" },
    { "dense:64:bogus", 10, "'bogus' is neither an activation" },
    { "64,conv2:3", 4, "unknown layer type 'conv2' (known: dense" },
    { "relu", 1, "unknown layer type 'relu'" },
    { "16:relu:3", 4, "the activation 'relu' must come last" },
    { "dense:1:softmax", 1, "softmax needs at least 2 units" },
};

static void test_bad_texts_name_their_column(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_texts / sizeof bad_texts[0]; i++) {
        const bad_text *b = &bad_texts[i];
        nnc_net *net = nnc_net_new(2);
        assert_int_equal(nnc_net_add_dense(net, 4, NNC_RELU), NNC_OK);
        expect_bad_text(b, nnc_net_add_layers(net, b->text, NNC_RELU), "layers");
        /* All or nothing: the network is as it was. */
        assert_int_equal(nnc_net_layer_count(net), 1);
        assert_int_equal(nnc_net_param_count(net), 2 * 4 + 4);
        nnc_net_free(net);
    }
}

static void test_a_failure_late_in_the_text_adds_nothing(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new(2);
    assert_int_equal(nnc_net_add_layers(net, "8,8,8,dense:y", NNC_RELU), NNC_EINVAL);
    assert_int_equal(nnc_net_layer_count(net), 0);
    assert_int_equal(nnc_net_param_count(net), 0);
    /* And the network still works afterwards. */
    assert_int_equal(nnc_net_add_layers(net, "8", NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_param_count(net), 2 * 8 + 8);
    nnc_net_free(net);
}

/* ----------------------------------------------------------------- shapes */

static void test_shapes_flow_through_the_stack(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new_shaped((nnc_shape){ 1, 8, 8 });
    assert_non_null(net);
    assert_int_equal(nnc_net_inputs(net), 64);
    nnc_shape in = nnc_net_input_shape(net);
    assert_int_equal(in.channels, 1);
    assert_int_equal(in.height, 8);
    assert_int_equal(in.width, 8);
    /* A dense layer reads any shape as one vector and gives units x 1 x 1. */
    assert_int_equal(nnc_net_add_layers(net, "dense:10:relu", NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_param_count(net), 64 * 10 + 10);
    nnc_shape out = nnc_net_layer_shape(net, 0);
    assert_int_equal(out.channels, 10);
    assert_int_equal(out.height, 1);
    assert_int_equal(out.width, 1);
    assert_int_equal(nnc_net_layer_shape(net, 1).channels, 0);   /* no such layer */
    assert_null(nnc_net_layer_type(net, 1));
    nnc_net_free(net);

    /* nnc_net_new(n) is n x 1 x 1. */
    net = nnc_net_new(5);
    assert_int_equal(nnc_net_input_shape(net).channels, 5);
    assert_int_equal(nnc_net_input_shape(net).width, 1);
    nnc_net_free(net);

    assert_null(nnc_net_new_shaped((nnc_shape){ 0, 28, 28 }));
    assert_non_null(strstr(nnc_last_error(), "0x28x28"));
    assert_null(nnc_net_new_shaped((nnc_shape){ 4096, 4096, 2 }));
    assert_non_null(strstr(nnc_last_error(), "at most 16777216 values"));
}

/* ---------------------------------------------------------------- tensors */

static void test_tensors_are_named_flagged_and_contiguous(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new(3);
    assert_int_equal(nnc_net_add_layers(net, "4,2", NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_tensor_count(net), 4);
    const char *names[] = { "weight", "bias", "weight", "bias" };
    const size_t sizes[] = { 12, 4, 8, 2 };
    size_t offset = 0;
    for (int t = 0; t < 4; t++) {
        nnc_tensor_info info;
        assert_int_equal(nnc_net_tensor(net, t, &info), NNC_OK);
        assert_string_equal(info.name, names[t]);
        assert_int_equal(info.layer, t / 2);
        assert_int_equal(info.is_state, 0);
        assert_int_equal(info.offset, offset);
        assert_int_equal(info.size, sizes[t]);
        assert_int_equal(info.decays, t % 2 == 0);   /* weights decay, biases do not */
        offset += info.size;
    }
    assert_int_equal(offset, nnc_net_param_count(net));
    /* The per-layer views agree with the table. */
    assert_ptr_equal(nnc_net_weights(net, 1), nnc_net_params(net) + 16);
    assert_ptr_equal(nnc_net_bias(net, 1), nnc_net_params(net) + 24);
    assert_ptr_equal(nnc_net_bias_grads(net, 0), nnc_net_grads(net) + 12);

    nnc_tensor_info info;
    assert_int_equal(nnc_net_tensor(net, 4, &info), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "index 4 is out of range (the network has 4)"));
    /* Dense layers keep no state. */
    assert_int_equal(nnc_net_state_count(net), 0);
    nnc_net_free(net);
}

/* Weight decay follows the flags: with every gradient zero, one SGD step
 * with decay shrinks each weight and leaves each bias alone. */
static void test_weight_decay_follows_the_flags(void **state)
{
    (void)state;
    nnc_net *net = nnc_net_new(3);
    assert_int_equal(nnc_net_add_layers(net, "4,2", NNC_RELU), NNC_OK);
    float *p = nnc_net_params(net);
    for (size_t i = 0; i < nnc_net_param_count(net); i++)
        p[i] = 1.0f;
    nnc_optimizer *opt = nnc_sgd_new(0.5f);
    assert_non_null(opt);
    assert_int_equal(nnc_optimizer_set_weight_decay(opt, 0.1f), NNC_OK);
    assert_int_equal(nnc_optimizer_step(opt, net), NNC_OK);
    for (int t = 0; t < nnc_net_tensor_count(net); t++) {
        nnc_tensor_info info;
        assert_int_equal(nnc_net_tensor(net, t, &info), NNC_OK);
        float want = info.decays ? 1.0f - 0.5f * 0.1f : 1.0f;
        for (size_t i = 0; i < info.size; i++)
            assert_float_equal(p[info.offset + i], want, 0.0f);
    }
    nnc_optimizer_free(opt);
    nnc_net_free(net);
}

/* -------------------------------------------------------- the real program */

static void test_cli_layers_and_info(void **state)
{
    (void)state;
    assert_int_equal(run_nnc("train --data %s/iris.csv --target target --epochs 5 --quiet "
                             "--layers dense:16:tanh,8 --out '%s'",
                             NNC_TEST_DATA, in_dir("iris.nnc")),
                     0);
    assert_int_equal(run_nnc("info '%s'", in_dir("iris.nnc")), 0);
    char *out = slurp(in_dir("stdout"), NULL);
    assert_non_null(strstr(out, "4 inputs -> 16 tanh -> 8 relu -> 3 softmax"));
    assert_non_null(strstr(out, "  input                       4x1x1\n"));
    assert_non_null(strstr(out, "  1   dense:16:tanh           16x1x1        80 parameters\n"));
    assert_non_null(strstr(out, "  2   dense:8:relu            8x1x1         136 parameters\n"));
    assert_non_null(strstr(out, "  3   dense:3:softmax         3x1x1         27 parameters\n"));
    free(out);

    /* A bad text: exit 2, one line naming the column and the item, no file. */
    assert_int_equal(run_nnc("train --data %s/iris.csv --target target --epochs 5 --quiet "
                             "--layers 8,dense:x --out '%s'",
                             NNC_TEST_DATA, in_dir("bad.nnc")),
                     2);
    char *err = slurp(in_dir("stderr"), NULL);
    assert_non_null(strstr(err, "nnc: --layers: column 9, 'dense:x': the width must be"));
    assert_int_equal(count_lines(err), 1);
    free(err);
    assert_false(exists(in_dir("bad.nnc")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_numbers_are_dense_widths),
        cmocka_unit_test(test_grammar_forms_and_round_trip),
        cmocka_unit_test(test_bad_texts_name_their_column),
        cmocka_unit_test(test_a_failure_late_in_the_text_adds_nothing),
        cmocka_unit_test(test_shapes_flow_through_the_stack),
        cmocka_unit_test(test_tensors_are_named_flagged_and_contiguous),
        cmocka_unit_test(test_weight_decay_follows_the_flags),
        cmocka_unit_test_setup_teardown(test_cli_layers_and_info, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

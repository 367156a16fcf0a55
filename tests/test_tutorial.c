/*
 * test_tutorial.c - every golden number of TUTORIAL.md, from libnnc's own code.
 *
 * The figures are the tutorial's float64 values (the true ones where the
 * tutorial printed a rounded intermediate). nnc computes in float32, which
 * agrees to about 1e-7; the bar is 1e-6 absolute.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nnc.h"

#define TOL 1e-6

static const float weights[2] = { 1.45f, -0.66f };
static const float first[2] = { 1.66f, 1.56f };
static const float second[2] = { 2.0f, 1.5f };
static const float zero = 0.0f;

static void assert_close(double got, double want)
{
    if (!(got - want <= TOL && want - got <= TOL))
        fail_msg("got %.12f, want %.12f (difference %.3g)", got, want, got - want);
}

/* The tutorial's 2 -> 1 sigmoid network with weights [1.45, -0.66] and bias 0. */
static nnc_net *tutorial_net(void)
{
    nnc_net *net = nnc_net_new(2);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_SIGMOID), NNC_OK);
    assert_int_equal(nnc_net_loss(net), NNC_LOSS_SQUARED_ERROR);
    nnc_net_weights(net, 0)[0] = weights[0];
    nnc_net_weights(net, 0)[1] = weights[1];
    nnc_net_bias(net, 0)[0] = 0.0f;
    return net;
}

static double predict(nnc_net *net, const float *x)
{
    float out = -1.0f;
    assert_int_equal(nnc_predict(net, x, 1, &out), NNC_OK);
    return out;
}

static void test_dot_products(void **state)
{
    (void)state;
    const float input[2] = { 1.72f, 1.23f };
    const float w1[2] = { 1.26f, 0.0f }, w2[2] = { 2.17f, 0.32f };
    assert_close(nnc_dot(input, w1, 2), 2.1672);
    assert_close(nnc_dot(input, w2, 2), 4.1259999999999994);
}

static void test_predictions(void **state)
{
    (void)state;
    nnc_net *net = tutorial_net();
    assert_close(predict(net, first), 0.79857310422969652);
    assert_close(predict(net, second), 0.87101914785376422);
    /* The same numbers from the scalar sigmoid the tutorial writes by hand. */
    assert_close(nnc_sigmoid(nnc_dot(second, weights, 2)), 0.87101914785376422);
    nnc_net_free(net);
}

static void test_error(void **state)
{
    (void)state;
    nnc_net *net = tutorial_net();
    double error = -1.0;
    assert_int_equal(nnc_net_loss_value(net, second, &zero, 1, &error), NNC_OK);
    assert_close(error, 0.75867435592789756);
    assert_close(nnc_squared_error(0.87101914785376422, 0.0), 0.75867435592789756);
    nnc_net_free(net);
}

static void test_gradient_descent_step(void **state)
{
    (void)state;
    nnc_net *net = tutorial_net();
    double derivative = nnc_squared_error_derivative(predict(net, second), 0.0);
    assert_close(derivative, 1.7420382957075284);

    float *w = nnc_net_weights(net, 0);
    w[0] -= (float)derivative;
    w[1] -= (float)derivative;
    assert_close(w[0], -0.2920382957075285);
    assert_close(w[1], -2.4020382957075284);

    double error = -1.0;
    assert_close(predict(net, second), 0.014962479449257616);
    assert_int_equal(nnc_net_loss_value(net, second, &zero, 1, &error), NNC_OK);
    assert_close(error, 0.00022387579126945649);
    /* The first instance is now misclassified: the step overfitted one example. */
    assert_close(predict(net, first), 0.014315925371611006);
    nnc_net_free(net);
}

static void test_backpropagation(void **state)
{
    (void)state;
    nnc_net *net = tutorial_net();
    double loss = -1.0;
    assert_int_equal(nnc_net_gradients(net, second, &zero, 1, &loss, NULL), NNC_OK);
    assert_close(loss, 0.75867435592789756);
    assert_close(nnc_net_bias_grads(net, 0)[0], 0.19570892985815364);
    assert_close(nnc_net_weight_grads(net, 0)[0], 0.39141785971630727);
    assert_close(nnc_net_weight_grads(net, 0)[1], 0.2935633947872305);

    /* The chain written out with the scalar pieces gives the same bias gradient. */
    double layer_1 = nnc_dot(second, weights, 2);
    double chain = nnc_squared_error_derivative(nnc_sigmoid(layer_1), 0.0) *
                   nnc_sigmoid_derivative(layer_1) * 1.0;
    assert_close(chain, 0.19570892985815364);
    nnc_net_free(net);
}

static void test_learning_rate_scales_the_step(void **state)
{
    (void)state;
    nnc_net *net = tutorial_net();
    nnc_optimizer *sgd = nnc_sgd_new(0.1f);
    assert_non_null(sgd);
    assert_int_equal(nnc_train_step(net, sgd, second, &zero, 1, NULL), NNC_OK);
    /* param -= 0.1 * gradient, with the gradients of test_backpropagation. */
    assert_close(nnc_net_weights(net, 0)[0], 1.45 - 0.1 * 0.39141785971630727);
    assert_close(nnc_net_weights(net, 0)[1], -0.66 - 0.1 * 0.2935633947872305);
    assert_close(nnc_net_bias(net, 0)[0], 0.0 - 0.1 * 0.19570892985815364);
    nnc_optimizer_free(sgd);
    nnc_net_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot_products),
        cmocka_unit_test(test_predictions),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_gradient_descent_step),
        cmocka_unit_test(test_backpropagation),
        cmocka_unit_test(test_learning_rate_scales_the_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

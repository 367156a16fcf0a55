/*
 * walkthrough.c - steps 1 to 6 of the tutorial, each number computed by libnnc.
 *
 * The tutorial builds its network one idea at a time: a dot product, a sigmoid
 * prediction, the squared error, one gradient-descent step, the chain rule.
 * This file does the same with the library's own functions and a real 2 -> 1
 * sigmoid network, printing every quantity the tutorial prints.
 */
#include "walkthrough.h"

#include "nnc.h"

#include <stdio.h>

/* A 2 -> 1 sigmoid network with squared error and the given parameters. */
static nnc_net *two_layer_net(const float weights[2], float bias)
{
    nnc_net *net = nnc_net_new(2);
    if (net == NULL || nnc_net_add_dense(net, 1, NNC_SIGMOID) != NNC_OK) {
        nnc_net_free(net);
        return NULL;
    }
    nnc_net_weights(net, 0)[0] = weights[0];
    nnc_net_weights(net, 0)[1] = weights[1];
    nnc_net_bias(net, 0)[0] = bias;
    return net;
}

static double predict_one(nnc_net *net, const float input[2])
{
    float out = 0.0f;
    (void)nnc_predict(net, input, 1, &out);   /* shapes are fixed: cannot fail */
    return out;
}

static void step_dot_products(void)
{
    const float input[2] = { 1.72f, 1.23f };
    const float weights_1[2] = { 1.26f, 0.0f }, weights_2[2] = { 2.17f, 0.32f };
    printf("Step 1. The dot product measures how similar two vectors are.\n");
    printf("  input_vector = [1.72, 1.23], weights_1 = [1.26, 0], weights_2 = [2.17, 0.32]\n");
    printf("  dot(input_vector, weights_1) = %.7f\n", nnc_dot(input, weights_1, 2));
    printf("  dot(input_vector, weights_2) = %.7f   (weights_2 is the more similar)\n\n",
           nnc_dot(input, weights_2, 2));
}

int walkthrough(void)
{
    const float weights[2] = { 1.45f, -0.66f };
    const float first[2] = { 1.66f, 1.56f }, second[2] = { 2.0f, 1.5f };
    const float target = 0.0f;

    step_dot_products();

    nnc_net *net = two_layer_net(weights, 0.0f);
    if (net == NULL) {
        fprintf(stderr, "nnc: %s\n", nnc_last_error());
        return 1;
    }
    printf("Step 2. A prediction: layer_1 = dot(input, weights) + bias, "
           "layer_2 = sigmoid(layer_1).\n");
    printf("  weights = [1.45, -0.66], bias = 0\n");
    printf("  prediction for [1.66, 1.56] (target 1) = %.8f\n", predict_one(net, first));
    double prediction = predict_one(net, second);
    printf("  prediction for [2, 1.5]    (target 0) = %.8f   (wrong: above 0.5)\n\n",
           prediction);

    double error;
    (void)nnc_net_loss_value(net, second, &target, 1, &error);
    printf("Step 3. The error: (prediction - target)^2\n");
    printf("  error for [2, 1.5] = %.8f\n\n", error);

    double derivative = nnc_squared_error_derivative(prediction, target);
    float *w = nnc_net_weights(net, 0);
    w[0] -= (float)derivative;
    w[1] -= (float)derivative;
    printf("Step 4. Gradient descent: d error / d prediction = 2 * (prediction - target)\n");
    printf("  derivative = %.8f\n", derivative);
    printf("  weights - derivative = [%.8f, %.8f]\n", w[0], w[1]);
    double updated = predict_one(net, second);
    (void)nnc_net_loss_value(net, second, &target, 1, &error);
    printf("  new prediction for [2, 1.5] = %.8f, error = %.8f\n", updated, error);
    printf("  but [1.66, 1.56] (target 1) now predicts %.8f: fitted to one example\n\n",
           predict_one(net, first));

    printf("Step 5. The learning rate scales each step: param -= learning_rate * gradient.\n\n");

    w[0] = weights[0];
    w[1] = weights[1];
    double layer_1 = nnc_dot(second, weights, 2) + nnc_net_bias(net, 0)[0];
    prediction = nnc_sigmoid(layer_1);
    printf("Step 6. Backpropagation: the chain rule from the error back to each parameter.\n");
    printf("  layer_1 = %.8f, prediction = %.8f\n", layer_1, prediction);
    printf("  derror_dprediction  = 2 * (prediction - target)    = %.8f\n",
           nnc_squared_error_derivative(prediction, target));
    printf("  dprediction_dlayer1 = sigmoid(l1) * (1 - sigmoid(l1)) = %.8f\n",
           nnc_sigmoid_derivative(layer_1));
    printf("  dlayer1_dbias = 1, dlayer1_dweights = input_vector = [2, 1.5]\n");
    nnc_status st = nnc_net_gradients(net, second, &target, 1, NULL, NULL);
    if (st != NNC_OK) {
        fprintf(stderr, "nnc: %s\n", nnc_last_error());
        nnc_net_free(net);
        return 1;
    }
    const float *dw = nnc_net_weight_grads(net, 0);
    printf("  derror_dbias    = %.8f\n", nnc_net_bias_grads(net, 0)[0]);
    printf("  derror_dweights = [%.8f, %.8f]\n\n", dw[0], dw[1]);
    nnc_net_free(net);
    return 0;
}

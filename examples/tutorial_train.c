/*
 * tutorial_train.c - the tutorial's NeuralNetwork, trained through libnnc.
 *
 * Read it beside the tutorial's Python: a 2 -> 1 network with a sigmoid
 * output and squared error, weights and bias drawn from a standard normal,
 * then 10,000 iterations of stochastic gradient descent on one random
 * instance each, recording the error summed over all eight instances every
 * 100 iterations. Prints the recorded errors as CSV (iteration,error).
 *
 * Build: cc tutorial_train.c $(pkg-config --cflags --libs nnc) -o tutorial_train
 */
#include <nnc.h>

#include <stdio.h>

int main(void)
{
    const float input_vectors[8][2] = {
        { 3, 1.5f }, { 2, 1 }, { 4, 1.5f }, { 3, 4 },
        { 3.5f, 0.5f }, { 2, 0.5f }, { 5.5f, 1 }, { 1, 1 },
    };
    const float targets[8] = { 0, 1, 0, 1, 0, 1, 1, 0 };
    const float learning_rate = 0.1f;
    const int iterations = 10000;

    /* NeuralNetwork(learning_rate): np.random.randn() weights and bias. */
    nnc_rng rng;
    nnc_rng_seed(&rng, 3);   /* the seed nnc tutorial uses by default */
    nnc_net *net = nnc_net_new(2);
    nnc_optimizer *sgd = nnc_sgd_new(learning_rate);
    nnc_dataset *data = nnc_dataset_from_arrays(&input_vectors[0][0], targets, 8, 2, 1);
    if (net == NULL || sgd == NULL || data == NULL ||
        nnc_net_add_dense(net, 1, NNC_SIGMOID) != NNC_OK ||     /* layer_2 = sigmoid(layer_1) */
        nnc_net_set_loss(net, NNC_LOSS_SQUARED_ERROR) != NNC_OK ||
        nnc_net_init(net, NNC_INIT_STANDARD_NORMAL, &rng) != NNC_OK) {
        fprintf(stderr, "tutorial_train: %s\n", nnc_last_error());
        return 1;
    }

    printf("iteration,error\n");
    for (int current_iteration = 0; current_iteration < iterations; current_iteration++) {
        /* Pick a data instance at random. */
        int random_data_index = (int)nnc_rng_below(&rng, 8);
        const float *input_vector = input_vectors[random_data_index];
        const float *target = &targets[random_data_index];

        /* _compute_gradients, then _update_parameters. */
        if (nnc_net_gradients(net, input_vector, target, 1, NULL, NULL) != NNC_OK ||
            nnc_optimizer_step(sgd, net) != NNC_OK) {
            fprintf(stderr, "tutorial_train: %s\n", nnc_last_error());
            return 1;
        }

        /* Measure the cumulative error for all the instances. */
        if (current_iteration % 100 == 0) {
            double cumulative_error;
            if (nnc_evaluate(net, data, &cumulative_error) != NNC_OK) {
                fprintf(stderr, "tutorial_train: %s\n", nnc_last_error());
                return 1;
            }
            printf("%d,%.6f\n", current_iteration, cumulative_error);
        }
    }

    nnc_dataset_free(data);
    nnc_optimizer_free(sgd);
    nnc_net_free(net);
    return 0;
}

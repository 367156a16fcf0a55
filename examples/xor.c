/* xor.c - the README's example: a 2-4-1 network learns XOR. Kept in sync by CI. */
#include <nnc.h>
#include <stdio.h>

int main(void) {
    float x[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}}, y[4] = {0, 1, 1, 0}, out[4];
    nnc_rng rng;  nnc_rng_seed(&rng, 7);
    nnc_net *net = nnc_net_new(2);                      /* XOR: 2 -> 4 tanh -> 1 sigmoid */
    nnc_net_add_dense(net, 4, NNC_TANH);
    nnc_net_add_dense(net, 1, NNC_SIGMOID);
    nnc_net_set_loss(net, NNC_LOSS_BINARY_CROSS_ENTROPY);
    nnc_net_init(net, NNC_INIT_XAVIER, &rng);
    nnc_dataset *data = nnc_dataset_from_arrays(&x[0][0], y, 4, 2, 1);
    nnc_optimizer *sgd = nnc_sgd_new(0.5f);
    nnc_fit_options opt = nnc_fit_defaults();  opt.epochs = 2000;  opt.batch_size = 4;
    if (nnc_fit(net, sgd, data, &opt, &rng, NULL) != NNC_OK) return fprintf(stderr, "%s\n", nnc_last_error()), 1;
    nnc_predict(net, &x[0][0], 4, out);
    for (int i = 0; i < 4; i++) printf("%g xor %g -> %.3f\n", x[i][0], x[i][1], out[i]);
    nnc_optimizer_free(sgd); nnc_dataset_free(data); nnc_net_free(net);
}

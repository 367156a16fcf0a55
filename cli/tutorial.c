/*
 * tutorial.c - `nnc tutorial`: the walkthrough, then the tutorial's training.
 *
 * The training is the tutorial's NeuralNetwork.train: a 2 -> 1 sigmoid network
 * drawn from a standard normal, trained by stochastic gradient descent on one
 * random instance per iteration, with the squared error summed over all eight
 * instances recorded every 100 iterations. The record becomes a CSV file and
 * a PNG plot.
 */
#define _DEFAULT_SOURCE
#include "args.h"
#include "commands.h"
#include "walkthrough.h"

#include "nnc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#define RECORD_EVERY 100
#define INSTANCES 8

static const float inputs[INSTANCES][2] = {
    { 3, 1.5f }, { 2, 1 }, { 4, 1.5f }, { 3, 4 }, { 3.5f, 0.5f }, { 2, 0.5f }, { 5.5f, 1 }, { 1, 1 },
};
static const float targets[INSTANCES] = { 0, 1, 0, 1, 0, 1, 1, 0 };

typedef struct options {
    uint64_t seed;
    int iterations;
    double learning_rate;
    const char *out_dir;
} options;

static void usage(FILE *to)
{
    fprintf(to,
            "usage: nnc tutorial [options]\n"
            "\n"
            "Walks through the tutorial's steps with their numbers, then trains its\n"
            "network on the eight instances and writes cumulative_error.csv and\n"
            "cumulative_error.png.\n"
            "\n"
            "options:\n"
            "  --seed N            random seed (default 3)\n"
            "  --iterations N      training iterations (default 10000)\n"
            "  --learning-rate R   learning rate (default 0.1)\n"
            "  --out-dir DIR       where the CSV and PNG go, created if missing (default .)\n"
            "  -h, --help          this help\n");
}

/* 0 to go on, 1 if help was printed, -1 on a usage error. */
static int parse_options(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        { "seed", required_argument, NULL, 's' },
        { "iterations", required_argument, NULL, 'i' },
        { "learning-rate", required_argument, NULL, 'l' },
        { "out-dir", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    *o = (options){ 3, 10000, 0.1, "." };
    int c;
    begin_options();
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 's': bad = parse_u64("--seed", optarg, &o->seed); break;
        case 'i': bad = parse_int("--iterations", optarg, 1, 100000000, &o->iterations); break;
        case 'l': bad = parse_positive("--learning-rate", optarg, &o->learning_rate); break;
        case 'o': o->out_dir = optarg; break;
        case 'h': usage(stdout); return 1;
        default: bad = bad_option("tutorial", argv, longs); break;
        }
        if (bad)
            return -1;
    }
    if (no_extra_arguments("tutorial", argc, argv) != 0)
        return -1;
    return 0;
}

/* The tutorial's train(): returns the number of recorded cumulative errors. */
static nnc_status train(nnc_net *net, const options *o, nnc_dataset *data, nnc_rng *rng,
                        double *iteration, double *error, int *recorded)
{
    nnc_optimizer *sgd = nnc_sgd_new((float)o->learning_rate);
    if (sgd == NULL)
        return NNC_EINVAL;
    nnc_status st = NNC_OK;
    *recorded = 0;
    for (int i = 0; i < o->iterations && st == NNC_OK; i++) {
        int k = (int)nnc_rng_below(rng, INSTANCES);
        st = nnc_train_step(net, sgd, inputs[k], &targets[k], 1, NULL);
        if (st == NNC_OK && i % RECORD_EVERY == 0) {
            iteration[*recorded] = i;
            st = nnc_evaluate(net, data, &error[*recorded]);
            ++*recorded;
        }
    }
    nnc_optimizer_free(sgd);
    return st;
}

static nnc_status write_csv(const char *path, const double *iteration, const double *error,
                            int n)
{
    nnc_atomic_file *file;
    nnc_status st = nnc_atomic_open(path, &file);
    if (st != NNC_OK)
        return st;
    FILE *fp = nnc_atomic_stream(file);
    fprintf(fp, "iteration,error\n");
    for (int i = 0; i < n; i++)
        fprintf(fp, "%.0f,%.9g\n", iteration[i], error[i]);
    return nnc_atomic_commit(file);
}

static void print_predictions(nnc_net *net)
{
    printf("\nFinal predictions:\n  input        target  prediction  class\n");
    for (int k = 0; k < INSTANCES; k++) {
        float p;
        (void)nnc_predict(net, inputs[k], 1, &p);
        printf("  [%3.1f, %3.1f]  %6.0f  %10.6f  %5d%s\n", inputs[k][0], inputs[k][1],
               targets[k], p, p > 0.5f, (p > 0.5f) == (targets[k] > 0.5f) ? "" : "  (wrong)");
    }
}

static int save_outputs(const options *o, const double *iteration, const double *error,
                        int n)
{
    char csv[4096], png[4096];
    if (ensure_directory(o->out_dir) != 0 ||
        join_path(csv, sizeof csv, o->out_dir, "cumulative_error.csv") != 0 ||
        join_path(png, sizeof png, o->out_dir, "cumulative_error.png") != 0)
        return 1;
    if (write_csv(csv, iteration, error, n) != NNC_OK ||
        (n >= 2 && nnc_plot_line(png, iteration, error, n, "Iterations",
                                 "Error for all training instances",
                                 "Cumulative error of the tutorial's network") != NNC_OK)) {
        fprintf(stderr, "nnc: %s\n", nnc_last_error());
        return 1;
    }
    printf("\nWrote %s (%d rows)\n", csv, n);
    if (n >= 2)
        printf("Wrote %s\n", png);
    else
        printf("No plot: it needs at least 2 recorded errors (iterations > %d)\n", RECORD_EVERY);
    return 0;
}

static int run_training(const options *o)
{
    nnc_rng rng;
    nnc_rng_seed(&rng, o->seed);
    int capacity = (o->iterations + RECORD_EVERY - 1) / RECORD_EVERY;
    double *iteration = malloc((size_t)capacity * sizeof *iteration);
    double *error = malloc((size_t)capacity * sizeof *error);
    nnc_net *net = nnc_net_new(2);
    nnc_dataset *data = nnc_dataset_from_arrays(&inputs[0][0], targets, INSTANCES, 2, 1);
    int recorded = 0, rc = 1;
    if (iteration && error && net && data && nnc_net_add_dense(net, 1, NNC_SIGMOID) == NNC_OK &&
        nnc_net_init(net, NNC_INIT_STANDARD_NORMAL, &rng) == NNC_OK &&
        train(net, o, data, &rng, iteration, error, &recorded) == NNC_OK) {
        printf("Steps 7-8. Training the NeuralNetwork: learning rate %g, %d iterations, "
               "seed %llu\n",
               o->learning_rate, o->iterations, (unsigned long long)o->seed);
        printf("  cumulative error: first %.6f, last %.6f (recorded every %d iterations)\n",
               error[0], error[recorded - 1], RECORD_EVERY);
        print_predictions(net);
        rc = save_outputs(o, iteration, error, recorded);
    } else {
        fprintf(stderr, "nnc: %s\n", iteration && error ? nnc_last_error() : "out of memory");
    }
    nnc_dataset_free(data);
    nnc_net_free(net);
    free(iteration);
    free(error);
    return rc;
}

int command_tutorial(int argc, char **argv)
{
    options o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0)
        return parsed > 0 ? 0 : 2;
    if (walkthrough() != 0)
        return 1;
    int rc = run_training(&o);
    return rc == 0 ? bag_of_words() : rc;
}

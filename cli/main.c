/*
 * main.c - the nnc program: picks a subcommand and turns its result into an
 * exit code. 0 is success, 1 a failure while working, 2 a usage error.
 */
#include "commands.h"

#include "nnc.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: nnc <command> [options]\n"
            "\n"
            "commands:\n"
            "  tutorial   walk through the tutorial step by step, then train its network\n"
            "             and plot the cumulative error\n"
            "  train      train a network on a CSV or IDX data set and save the model\n"
            "  predict    predict every row of a CSV file with a saved model\n"
            "  eval       judge a saved model on labelled data\n"
            "  cv         cross-validate what train would do, fold by fold\n"
            "  info       show what a model file holds\n"
            "  explain    the words that push a text model towards each class\n"
            "\n"
            "  nnc <command> --help   the command's options\n"
            "\n"
            "  nnc --version   print the version\n"
            "  nnc --help      print this help\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("nnc %s\n", nnc_version());
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        { "tutorial", command_tutorial }, { "train", command_train },
        { "predict", command_predict },   { "eval", command_eval },
        { "info", command_info },         { "cv", command_cv },
        { "explain", command_explain },
    };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "nnc: unknown command '%s' (try nnc --help)\n", cmd);
    return 2;
}

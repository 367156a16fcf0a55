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
            "             and plot the cumulative error (nnc tutorial --help)\n"
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
    if (strcmp(cmd, "tutorial") == 0)
        return command_tutorial(argc - 1, argv + 1);
    fprintf(stderr, "nnc: unknown command '%s' (try nnc --help)\n", cmd);
    return 2;
}

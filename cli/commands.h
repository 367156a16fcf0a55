/*
 * commands.h - the subcommands of the nnc program. Each takes the arguments
 * after its own name (argv[0] is the subcommand) and returns the exit code.
 */
#ifndef NNC_CLI_COMMANDS_H
#define NNC_CLI_COMMANDS_H

/* nnc tutorial: the tutorial's walkthrough, then its training run and plot. */
int command_tutorial(int argc, char **argv);

#endif

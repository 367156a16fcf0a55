/*
 * commands.h - the subcommands of the nnc program. Each takes the arguments
 * after its own name (argv[0] is the subcommand) and returns the exit code.
 */
#ifndef NNC_CLI_COMMANDS_H
#define NNC_CLI_COMMANDS_H

/* nnc tutorial: the tutorial's walkthrough, then its training run and plot. */
int command_tutorial(int argc, char **argv);

/* nnc train: a data set in, a trained model file out. */
int command_train(int argc, char **argv);

/* nnc predict: a model and a CSV in, one prediction per row out. */
int command_predict(int argc, char **argv);

/* nnc eval: a model judged on labelled data. */
int command_eval(int argc, char **argv);

/* nnc cv: K-fold cross-validation of what train would do. */
int command_cv(int argc, char **argv);

/* nnc info: what a model file holds. */
int command_info(int argc, char **argv);

/* nnc explain: the words that push a text model towards each class. */
int command_explain(int argc, char **argv);

#endif

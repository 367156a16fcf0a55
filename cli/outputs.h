/*
 * outputs.h - checking a command's output paths before any work is done.
 *
 * An output must never replace one of the command's inputs, nor another of
 * its outputs, and a path that cannot be written (a directory, a missing or
 * read-only folder) must be found before an hour of training, not after.
 */
#ifndef NNC_CLI_OUTPUTS_H
#define NNC_CLI_OUTPUTS_H

/* A path given on the command line, with the option that named it. */
typedef struct named_path {
    const char *option;     /* e.g. "--out" */
    const char *path;       /* NULL: the option was not given */
    const char *may_equal;  /* another option this one may name the same file as
                               (--checkpoint and --resume), or NULL */
} named_path;

/* Refuses, with one line naming both options, an output that is the same
 * file as an input or as another output (same device and inode, or the same
 * path when it does not exist yet); then checks that each output can be
 * written (nnc_output_check). 0, or -1 after printing the reason. */
int check_outputs(const char *command, const named_path *inputs, int n_inputs,
                  const named_path *outputs, int n_outputs);

#endif

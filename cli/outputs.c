/*
 * outputs.c - output paths checked before the work (see outputs.h).
 */
#include "outputs.h"

#include "nnc.h"

#include <stdio.h>
#include <string.h>

static int may_share(const named_path *a, const named_path *b)
{
    return (a->may_equal && strcmp(a->may_equal, b->option) == 0) ||
           (b->may_equal && strcmp(b->may_equal, a->option) == 0);
}

static int clash(const char *command, const named_path *out, const named_path *other,
                 const char *what)
{
    fprintf(stderr, "nnc %s: %s and %s name the same file (%s): %s\n", command, out->option,
            other->option, out->path, what);
    return -1;
}

int check_outputs(const char *command, const named_path *inputs, int n_inputs,
                  const named_path *outputs, int n_outputs)
{
    for (int i = 0; i < n_outputs; i++) {
        const named_path *out = &outputs[i];
        if (out->path == NULL)
            continue;
        for (int j = 0; j < n_inputs; j++)
            if (inputs[j].path && !may_share(out, &inputs[j]) &&
                nnc_same_file(out->path, inputs[j].path))
                return clash(command, out, &inputs[j], "refusing to overwrite an input");
        for (int j = 0; j < i; j++)
            if (outputs[j].path && !may_share(out, &outputs[j]) &&
                nnc_same_file(out->path, outputs[j].path))
                return clash(command, &outputs[j], out, "one would overwrite the other");
    }
    for (int i = 0; i < n_outputs; i++)
        if (outputs[i].path && nnc_output_check(outputs[i].path) != NNC_OK) {
            fprintf(stderr, "nnc %s: %s: %s\n", command, outputs[i].option, nnc_last_error());
            return -1;
        }
    return 0;
}

/*
 * model_data.c - data read the way a model expects it (see model_data.h).
 */
#include "model_data.h"

#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int model_columns_options(const nnc_model *model, model_columns *cols, nnc_csv_options *csv)
{
    int n = nnc_model_inputs(model), k = nnc_model_classes(model);
    cols->inputs = malloc((size_t)n * sizeof *cols->inputs);
    cols->classes = malloc((size_t)(k > 0 ? k : 1) * sizeof *cols->classes);
    if (cols->inputs == NULL || cols->classes == NULL) {
        model_columns_free(cols);
        fprintf(stderr, "nnc: out of memory\n");
        return 1;
    }
    for (int j = 0; j < n; j++)
        cols->inputs[j] = nnc_model_input_name(model, j);
    for (int c = 0; c < k; c++)
        cols->classes[c] = nnc_model_class_label(model, c);
    *csv = nnc_csv_defaults();
    csv->inputs = cols->inputs;
    csv->n_inputs = n;
    csv->classes = k > 0 ? cols->classes : NULL;
    csv->n_classes = k;
    csv->task = nnc_model_task(model);
    /* The column the model learnt to predict; a file without it can still
     * be predicted for (predict sets target_optional). */
    csv->target = nnc_model_meta(model, "target");
    return 0;
}

void model_columns_free(model_columns *cols)
{
    free(cols->inputs);
    free(cols->classes);
    cols->inputs = NULL;
    cols->classes = NULL;
}

nnc_model *load_model(const char *path)
{
    nnc_model *model = NULL;
    if (nnc_model_load(path, &model) != NNC_OK) {
        fail_with_library_error();
        return NULL;
    }
    return model;
}

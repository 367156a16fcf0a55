/*
 * model_data.c - data read the way a model expects it (see model_data.h).
 */
#include "model_data.h"

#include "args.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int model_columns_options(const nnc_model *model, char *const *drop, int n_drop,
                          model_columns *cols, nnc_csv_options *csv)
{
    const nnc_encoder *enc = nnc_model_encoder(model);
    int n = enc ? nnc_encoder_columns(enc) : nnc_model_inputs(model);
    int k = nnc_model_classes(model), dropped = nnc_model_dropped(model);
    cols->inputs = malloc((size_t)n * sizeof *cols->inputs);
    cols->kinds = malloc((size_t)n * sizeof *cols->kinds);
    cols->classes = malloc((size_t)(k > 0 ? k : 1) * sizeof *cols->classes);
    cols->drop = malloc((size_t)(dropped + n_drop + 1) * sizeof *cols->drop);
    if (cols->inputs == NULL || cols->kinds == NULL || cols->classes == NULL ||
        cols->drop == NULL) {
        model_columns_free(cols);
        fprintf(stderr, "nnc: out of memory\n");
        return 1;
    }
    for (int j = 0; j < n; j++) {
        cols->inputs[j] = enc ? nnc_encoder_column_name(enc, j) : nnc_model_input_name(model, j);
        cols->kinds[j] = enc ? nnc_encoder_column_kind(enc, j) : NNC_COLUMN_NUMERIC;
    }
    for (int c = 0; c < k; c++)
        cols->classes[c] = nnc_model_class_label(model, c);
    for (int i = 0; i < dropped; i++)
        cols->drop[i] = nnc_model_dropped_name(model, i);
    for (int i = 0; i < n_drop; i++)
        cols->drop[dropped + i] = drop[i];
    *csv = nnc_csv_defaults();
    csv->inputs = cols->inputs;
    csv->n_inputs = n;
    csv->input_kinds = enc ? cols->kinds : NULL;
    csv->classes = k > 0 ? cols->classes : NULL;
    csv->n_classes = k;
    csv->task = nnc_model_task(model);
    /* The model's dropped columns may be there or not; the user's must be. */
    csv->ignore = cols->drop;
    csv->n_ignore = dropped;
    csv->drop = cols->drop + dropped;
    csv->n_drop = n_drop;
    /* The column the model learnt to predict; a file without it can still
     * be predicted for (predict sets target_optional). */
    csv->target = nnc_model_meta(model, "target");
    return 0;
}

void model_columns_free(model_columns *cols)
{
    free(cols->inputs);
    free(cols->kinds);
    free(cols->classes);
    free(cols->drop);
    memset(cols, 0, sizeof *cols);
}

int model_data_option(model_data_options *o, const char *command, int c, const char *arg)
{
    switch (c) {
    case 't': o->target = arg; return 0;
    case 'x':
        free_names(o->drop);
        return (o->drop = split_names("--drop", arg, &o->n_drop)) != NULL ? 0 : -1;
    case 'M': return table_policy_option(&o->policy, command, "--missing", arg);
    case 'U': return table_policy_option(&o->policy, command, "--unknown", arg);
    default: return 1;
    }
}

int model_target_check(const nnc_model *model, const char *command, const char *target)
{
    const char *trained = nnc_model_meta(model, "target");
    if (target == NULL || (trained != NULL && strcmp(target, trained) == 0))
        return 0;
    if (trained == NULL)
        fprintf(stderr, "nnc %s: --target '%s': the model does not record the column it "
                        "predicts\n", command, target);
    else
        fprintf(stderr, "nnc %s: --target '%s': the model was trained to predict '%s'\n",
                command, target, trained);
    return 2;
}

nnc_dataset *model_read_table(const nnc_model *model, const char *command, const char *path,
                              const nnc_csv_options *csv, const table_policy *policy)
{
    nnc_csv_options options = *csv;
    table_policy_apply(policy, &options);
    if (nnc_model_encoder(model) == NULL)
        options.keep_missing = 0;   /* nothing would fill them */
    nnc_dataset *raw = NULL, *encoded = NULL;
    if (nnc_dataset_load_csv(path, &options, &raw) != NNC_OK) {
        fail_with_library_error();
        return NULL;
    }
    nnc_encode_report report;
    nnc_unknown_policy unknown = policy->unknown_error ? NNC_UNKNOWN_ERROR : NNC_UNKNOWN_ZEROS;
    if (nnc_model_encode(model, raw, unknown, &encoded, &report) != NNC_OK)
        fail_with_library_error();
    else
        table_report(command, path, raw, &report);
    nnc_dataset_free(raw);
    return encoded;
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

/*
 * model_data.c - data read the way a model expects it (see model_data.h).
 */
#include "model_data.h"

#include "args.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                              const csv_dialect *dialect, const model_data_options *options,
                              const char *id, int predicting)
{
    nnc_csv_options csv = nnc_csv_defaults();
    csv_dialect_apply(dialect, &csv);
    table_policy_apply(&options->policy, &csv);
    csv.drop = (const char *const *)options->drop;
    csv.n_drop = options->n_drop;
    csv.id = id;
    /* Predicting, a target column there is skipped unread: its labels need
     * not be ones the model knows. */
    csv.no_target = predicting;
    nnc_unknown_policy unknown = options->policy.unknown_error ? NNC_UNKNOWN_ERROR
                                                               : NNC_UNKNOWN_ZEROS;
    nnc_dataset *data = NULL;
    nnc_encode_report report;
    int left_out = 0;
    if (nnc_model_read_csv(model, path, &csv, unknown, &data, &report, &left_out) != NNC_OK) {
        fail_with_library_error();
        return NULL;
    }
    table_report(command, path, left_out, nnc_model_meta(model, "target"), &report);
    return data;
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

void report_unknown_words(const nnc_model *model, const char *command, const char *path)
{
    long n = nnc_model_unknown_words(model);
    if (n > 0)
        fprintf(stderr, "nnc %s: %s: %ld word%s of the text no vocabulary of the model has, "
                        "left out of the bags of words\n",
                command, path, n, n == 1 ? "" : "s");
}

/*
 * model_data.h - reading data against a trained model: the CSV options that
 * make a file's columns and labels line up with what the model was trained
 * on, and the model's own preprocessing applied to what was read. Shared by
 * predict and eval.
 */
#ifndef NNC_CLI_MODEL_DATA_H
#define NNC_CLI_MODEL_DATA_H

#include "data_source.h"
#include "nnc.h"

/* The options eval and predict share for reading a table against a model:
 * --target, --drop, --missing and --unknown. */
typedef struct model_data_options {
    const char *target;   /* --target: must be the model's */
    char **drop;          /* --drop: more columns to ignore */
    int n_drop;
    table_policy policy;  /* --missing, --unknown */
} model_data_options;

/* Their getopt_long entries, and their help lines. */
#define MODEL_DATA_LONG_OPTIONS                                                           \
    { "target", required_argument, NULL, 't' }, { "drop", required_argument, NULL, 'x' },  \
    { "missing", required_argument, NULL, 'M' }, { "unknown", required_argument, NULL, 'U' }
#define MODEL_DATA_HELP                                                                   \
    "  --target NAME          the target column; it must be the model's\n"                \
    "  --drop A,B             more columns to ignore\n"                                   \
    TABLE_POLICY_HELP

/* Takes getopt's c and its argument into o when c is one of those options:
 * 0 then, -1 after a message on a bad value; 1 when c is another option. */
int model_data_option(model_data_options *o, const char *command, int c, const char *arg);

/* Refuses (2, after a message naming command) a --target that is not the
 * column the model was trained to predict; 0 when it is, or is NULL. */
int model_target_check(const nnc_model *model, const char *command, const char *target);

/* Reads path the way model was trained (nnc_model_read_csv): in dialect,
 * with the options' --drop and missing and unknown policies, an id column
 * (may be NULL), and for predicting without reading any target. Says on
 * stderr what was filled, unseen or left out. The model's inputs, or NULL
 * after a message. */
nnc_dataset *model_read_table(const nnc_model *model, const char *command, const char *path,
                              const csv_dialect *dialect, const model_data_options *options,
                              const char *id, int predicting);

/* Says on stderr how many words of path's texts no vocabulary of the
 * model had (nnc_model_unknown_words, after a predict or an evaluate), if
 * any: they were left out, as an unseen category is encoded as zeros. */
void report_unknown_words(const nnc_model *model, const char *command, const char *path);

/* Loads a model file; prints the error and returns NULL on failure. */
nnc_model *load_model(const char *path);

#endif

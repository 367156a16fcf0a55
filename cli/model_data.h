/*
 * model_data.h - reading data against a trained model: the CSV options that
 * make a file's columns and labels line up with what the model was trained
 * on. Shared by predict and eval.
 */
#ifndef NNC_CLI_MODEL_DATA_H
#define NNC_CLI_MODEL_DATA_H

#include "nnc.h"

typedef struct model_columns {
    const char **inputs;
    const char **classes;
} model_columns;

/* Fills csv so the loader picks the model's input columns in its order and
 * maps labels to its classes; the target column is the one it trained on.
 * 0, or 1 after a message. Free with model_columns_free. */
int model_columns_options(const nnc_model *model, model_columns *cols, nnc_csv_options *csv);
void model_columns_free(model_columns *cols);

/* Loads a model file; prints the error and returns NULL on failure. */
nnc_model *load_model(const char *path);

#endif

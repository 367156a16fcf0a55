/*
 * model/model.h - a trained network with what it needs to be used.
 */
#ifndef NNC_MODEL_H
#define NNC_MODEL_H

#include "core/core.h"

/* ----------------------------------------------------------------- models */

struct nnc_model {
    nnc_net *net;
    nnc_normalizer *norm;   /* may be NULL */
    nnc_task task;
    int n_inputs;
    char **input_names;
    int n_classes;
    char **class_labels;
    int n_meta;
    char **meta_keys;
    char **meta_values;
    nnc_encoder *encoder;   /* a table's preprocessing; NULL for images */
    int n_dropped;          /* columns left out in training, so ignored later */
    char **dropped;
    /* Text columns as bags of words (NULL: none): the network's inputs are
     * the n_inputs above, then text->width terms. */
    nnc_text_columns *text;
    long unknown_words;   /* of the texts the last predict or evaluate read */
};

/* A model around net and norm (both taken) with copies of the n_inputs
 * names and the labels given; the form both nnc_model_new and the model
 * loader need. */
nnc_model *nnc_model_assemble(nnc_net *net, nnc_normalizer *norm, nnc_task task, int n_inputs,
                              const char *const *input_names, int n_classes,
                              const char *const *class_labels);

#endif /* NNC_MODEL_H */

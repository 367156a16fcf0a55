/*
 * no_fields.h - the text and model-file bytes of a layer type that has no
 * fields of its own (batchnorm, globalavgpool): defined once, as
 * pool_window.h is for the pooling layers, so that such types agree on what
 * "no fields" reads and writes.
 */
#ifndef NNC_NO_FIELDS_H
#define NNC_NO_FIELDS_H

#include "nn/layer.h"

/* The configuration of such a type: C forbids an empty struct. */
typedef struct nnc_no_fields {
    int unused;
} nnc_no_fields;

/* Refuses any field after the type's name: the message names the first one,
 * the type, and what it takes instead (`takes`, e.g. "it takes none"). */
nnc_status nnc_no_fields_parse(nnc_no_fields *c, const nnc_layer_args *args, const char *type,
                               const char *takes);

/* The text form: the type's name alone. */
int nnc_no_fields_describe(const char *type, char *buf, size_t n);

/* The model file's form: no bytes; decode refuses any. */
size_t nnc_no_fields_encode(void);
nnc_status nnc_no_fields_decode(nnc_no_fields *c, size_t n, const char *type);

#endif

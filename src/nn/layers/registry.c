/*
 * registry.c - the layer types nnc knows, by name (the layer grammar) and by
 * code (the model file). Adding a type is its file in this folder and one
 * line in the table below.
 */
#include "nn/layer.h"

#include <string.h>

const nnc_layer_type *const nnc_layer_types[] = {
    &nnc_dense_type,
    &nnc_conv_type,
    &nnc_maxpool_type,
    &nnc_avgpool_type,
    &nnc_batchnorm_type,
    &nnc_dropout_type,
    &nnc_globalavgpool_type,
};

const int nnc_layer_type_count = (int)(sizeof nnc_layer_types / sizeof nnc_layer_types[0]);

const nnc_layer_type *nnc_layer_type_named(const char *name, size_t len)
{
    for (int i = 0; i < nnc_layer_type_count; i++)
        if (strlen(nnc_layer_types[i]->name) == len &&
            memcmp(nnc_layer_types[i]->name, name, len) == 0)
            return nnc_layer_types[i];
    return NULL;
}

const nnc_layer_type *nnc_layer_type_coded(uint32_t code)
{
    for (int i = 0; i < nnc_layer_type_count; i++)
        if (nnc_layer_types[i]->code == code)
            return nnc_layer_types[i];
    return NULL;
}

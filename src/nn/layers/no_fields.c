/*
 * no_fields.c - a field-less layer type's text and bytes: see no_fields.h.
 */
#include "nn/layers/no_fields.h"
#include "nn/nn.h"

#include <stdio.h>

nnc_status nnc_no_fields_parse(nnc_no_fields *c, const nnc_layer_args *args, const char *type,
                               const char *takes)
{
    c->unused = 0;
    if (args->count > 0)
        return nnc_layer_arg_fail(args, args->column[0], "'%.*s' is no field a %s layer has: %s",
                                  (int)args->len[0], args->text[0], type, takes);
    return NNC_OK;
}

int nnc_no_fields_describe(const char *type, char *buf, size_t n)
{
    return snprintf(buf, n, "%s", type);
}

size_t nnc_no_fields_encode(void)
{
    return 0;
}

nnc_status nnc_no_fields_decode(nnc_no_fields *c, size_t n, const char *type)
{
    c->unused = 0;
    if (n != 0)
        return nnc_fail(NNC_EFORMAT, "a %s layer's configuration has 0 bytes, this one %zu", type,
                        n);
    return NNC_OK;
}

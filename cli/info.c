/*
 * info.c - `nnc info`: what a model file holds and how it was trained.
 */
#include "commands.h"
#include "model_data.h"

#include "nnc.h"

#include <stdio.h>
#include <string.h>

static const char *task_name(nnc_task task)
{
    return task == NNC_TASK_CLASSIFICATION ? "classification" : "regression";
}

static const char *scaling_name(const nnc_normalizer *norm)
{
    switch (nnc_normalizer_kind(norm)) {
    case NNC_SCALE_STANDARD: return "standard (mean 0, standard deviation 1)";
    case NNC_SCALE_MINMAX: return "min-max (into [0, 1])";
    case NNC_SCALE_NONE: break;
    }
    return "none";
}

static void print_architecture(nnc_model *model)
{
    nnc_net *net = nnc_model_net(model);
    printf("architecture: %d inputs", nnc_net_inputs(net));
    for (int l = 0; l < nnc_net_layer_count(net); l++)
        printf(" -> %d %s", nnc_net_layer_units(net, l),
               nnc_activation_name(nnc_net_layer_activation(net, l)));
    printf("\nloss: %s\nparameters: %zu\n", nnc_loss_name(nnc_net_loss(net)),
           nnc_net_param_count(net));
}

static void print_names(const char *what, int n, const char *(*name)(const nnc_model *, int),
                        const nnc_model *model)
{
    printf("%s (%d):", what, n);
    for (int i = 0; i < n; i++)
        printf("%s %s", i ? "," : "", name(model, i));
    printf("\n");
}

int command_info(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: nnc info FILE.nnc\n\nPrints a model's architecture, parameter count, "
               "inputs, classes, normalisation\nand how it was trained.\n");
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: nnc info FILE.nnc\n");
        return 2;
    }
    nnc_model *model = load_model(argv[1]);
    if (model == NULL)
        return 1;
    printf("model: %s\ntask: %s\n", argv[1], task_name(nnc_model_task(model)));
    print_architecture(model);
    print_names("inputs", nnc_model_inputs(model), nnc_model_input_name, model);
    if (nnc_model_classes(model) > 0)
        print_names("classes", nnc_model_classes(model), nnc_model_class_label, model);
    printf("normalisation: %s\n", scaling_name(nnc_model_normalizer(model)));
    if (nnc_model_meta_count(model) > 0)
        printf("training:\n");
    for (int i = 0; i < nnc_model_meta_count(model); i++)
        printf("  %-16s %s\n", nnc_model_meta_key(model, i), nnc_model_meta_value(model, i));
    nnc_model_free(model);
    return 0;
}

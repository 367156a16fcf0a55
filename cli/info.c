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

/* The summary line, then every layer in the layer grammar with the shape it
 * gives and the parameters it has. */
static void print_architecture(nnc_model *model)
{
    nnc_net *net = nnc_model_net(model);
    char shape[64];
    /* Dense layers as they always read ("-> 32 relu"); other types by name
     * and output shape ("-> maxpool 8x4x4"), which a width alone would hide. */
    printf("architecture: %d inputs", nnc_net_inputs(net));
    for (int l = 0; l < nnc_net_layer_count(net); l++) {
        const char *act = nnc_activation_name(nnc_net_layer_activation(net, l));
        if (strcmp(nnc_net_layer_type(net, l), "dense") == 0) {
            printf(" -> %d %s", nnc_net_layer_units(net, l), act);
            continue;
        }
        nnc_shape_format(nnc_net_layer_shape(net, l), shape, sizeof shape);
        printf(" -> %s %s", nnc_net_layer_type(net, l), shape);
        if (nnc_net_layer_activation(net, l) != NNC_IDENTITY)
            printf(" %s", act);
    }
    nnc_shape_format(nnc_net_input_shape(net), shape, sizeof shape);
    printf("\nlayers:\n  %-28s%s\n", "input", shape);
    int tensor = 0, tensors = nnc_net_tensor_count(net);
    for (int l = 0; l < nnc_net_layer_count(net); l++) {
        /* One layer's text: describe the whole stack and take its l-th item. */
        char all[4096], item[64] = "?";
        if (nnc_net_describe(net, all, sizeof all) < (int)sizeof all) {
            const char *p = all;
            for (int k = 0; k < l && p != NULL; k++)
                if ((p = strchr(p, ',')) != NULL)
                    p++;
            if (p != NULL)
                snprintf(item, sizeof item, "%.*s", (int)strcspn(p, ","), p);
        }
        size_t params = 0, state = 0;
        nnc_tensor_info info;
        while (tensor < tensors && nnc_net_tensor(net, tensor, &info) == NNC_OK &&
               info.layer == l) {
            *(info.is_state ? &state : &params) += info.size;
            tensor++;
        }
        nnc_shape_format(nnc_net_layer_shape(net, l), shape, sizeof shape);
        printf("  %-3d %-24s%-14s%zu parameters", l + 1, item, shape, params);
        if (state > 0)
            printf(", %zu state", state);
        printf("\n");
    }
    /* As Keras sums up: what is trained, what is kept but not trained (batch
     * norm's running statistics), and both. */
    size_t state = nnc_net_state_count(net);
    printf("loss: %s\nparameters: %zu\n", nnc_loss_name(nnc_net_loss(net)),
           nnc_net_param_count(net));
    if (state > 0)
        printf("state: %zu (kept in the model, not trained)\ntotal: %zu\n", state,
               nnc_net_param_count(net) + state);
}

static void print_names(const char *what, int n, const char *(*name)(const nnc_model *, int),
                        const nnc_model *model)
{
    printf("%s (%d):", what, n);
    for (int i = 0; i < n; i++)
        printf("%s %s", i ? "," : "", name(model, i));
    printf("\n");
}

/* How each of the file's columns becomes inputs: what scikit-learn's
 * ColumnTransformer would show, one line a column. */
static void print_encoding(const nnc_model *model)
{
    const nnc_encoder *enc = nnc_model_encoder(model);
    if (enc != NULL)
        printf("columns (%d), as the inputs are made from them:\n", nnc_encoder_columns(enc));
    for (int j = 0; enc != NULL && j < nnc_encoder_columns(enc); j++) {
        printf("  %-20s ", nnc_encoder_column_name(enc, j));
        if (nnc_encoder_column_kind(enc, j) == NNC_COLUMN_NUMERIC) {
            char median[16];
            nnc_format_float(nnc_encoder_median(enc, j), median, sizeof median);
            printf("numeric; missing cells get the median %s", median);
        } else {
            int k = nnc_encoder_categories(enc, j);
            printf("categorical, one-hot over %d:", k);
            for (int c = 0; c < k; c++)
                printf("%s %s", c ? "," : "", nnc_encoder_category(enc, j, c));
            printf("; missing cells get %s",
                   nnc_encoder_category(enc, j, nnc_encoder_fill_category(enc, j)));
        }
        printf("%s\n", nnc_encoder_has_indicator(enc, j) ? "; with a missing indicator" : "");
    }
    static const char *const normalize[] = {"none (as written, case-folded)", "Snowball stems",
                                            "WordNet lemmas"};
    static const char *const features[] = {"counts", "binary", "tf-idf"};
    const nnc_text_columns *tc = nnc_model_text_columns(model);
    if (tc != NULL)
        printf("text columns (%d), each a bag of words after the inputs above:\n",
               nnc_text_columns_count(tc));
    for (int t = 0; tc != NULL && t < nnc_text_columns_count(tc); t++) {
        const nnc_vectorizer *v = nnc_text_columns_vectorizer(tc, t);
        const nnc_vectorizer_options *o = nnc_vectorizer_settings(v);
        int terms = nnc_vectorizer_terms(v);
        printf("  %-20s %s, %s%s%s; terms in >= %d texts", nnc_text_columns_name(tc, t),
               normalize[o->normalize], features[o->features],
               o->features == NNC_FEATURES_TFIDF && o->sublinear_tf ? " (1 + ln tf)" : "",
               o->bigrams ? ", words and pairs of words" : ", words", o->min_documents);
        if (o->max_terms > 0)
            printf(", the %d most frequent", o->max_terms);
        if (o->n_stop_words > 0)
            printf(", %d stop words", o->n_stop_words);
        printf("\n  %-20s vocabulary of %d terms from %d texts:", "", terms,
               nnc_vectorizer_documents(v));
        enum { SHOWN = 12 };
        for (int i = 0; i < terms && i < SHOWN; i++)
            printf("%s %s", i ? "," : "", nnc_vectorizer_term(v, i));
        printf("%s\n", terms > SHOWN ? ", ... (all: nnc info --vocabulary; the words that "
                                       "matter: nnc explain)" : "");
    }
    int n = nnc_model_dropped(model);
    if (n > 0)
        printf("dropped columns (%d):", n);
    for (int i = 0; i < n; i++)
        printf("%s %s", i ? "," : "", nnc_model_dropped_name(model, i));
    if (n > 0)
        printf("\n");
}

/* Every term of every text column with its idf, one per line: what
 * `--vocabulary` adds, as a table another tool can read. */
static void print_vocabulary(const nnc_model *model)
{
    const nnc_text_columns *tc = nnc_model_text_columns(model);
    printf("vocabulary (column, term, idf):\n");
    for (int t = 0; t < nnc_text_columns_count(tc); t++) {
        const nnc_vectorizer *v = nnc_text_columns_vectorizer(tc, t);
        for (int i = 0; i < nnc_vectorizer_terms(v); i++) {
            char idf[16];
            nnc_format_float(nnc_vectorizer_idf(v, i), idf, sizeof idf);
            printf("  %s\t%s\t%s\n", nnc_text_columns_name(tc, t), nnc_vectorizer_term(v, i),
                   idf);
        }
    }
}

int command_info(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: nnc info FILE.nnc [--vocabulary]\n\nPrints a model's architecture, "
               "parameter count, inputs, how a table's\ncolumns become them, classes, "
               "normalisation and how it was trained.\n"
               "--vocabulary also lists every term of its text columns with its idf.\n");
        return 0;
    }
    int vocabulary = argc == 3 && strcmp(argv[2], "--vocabulary") == 0;
    if (argc != 2 && !vocabulary) {
        fprintf(stderr, "usage: nnc info FILE.nnc [--vocabulary]\n");
        return 2;
    }
    nnc_model *model = load_model(argv[1]);
    if (model == NULL)
        return 1;
    if (vocabulary && nnc_model_text_columns(model) == NULL) {
        fprintf(stderr, "nnc info: %s reads no text columns: it has no vocabulary\n", argv[1]);
        nnc_model_free(model);
        return 2;
    }
    printf("model: %s\ntask: %s\n", argv[1], task_name(nnc_model_task(model)));
    print_architecture(model);
    print_names("inputs", nnc_model_inputs(model), nnc_model_input_name, model);
    print_encoding(model);
    if (nnc_model_classes(model) > 0)
        print_names("classes", nnc_model_classes(model), nnc_model_class_label, model);
    printf("normalisation: %s\n", scaling_name(nnc_model_normalizer(model)));
    if (nnc_model_meta_count(model) > 0)
        printf("training:\n");
    for (int i = 0; i < nnc_model_meta_count(model); i++)
        printf("  %-16s %s\n", nnc_model_meta_key(model, i), nnc_model_meta_value(model, i));
    if (vocabulary)
        print_vocabulary(model);
    nnc_model_free(model);
    return 0;
}

/* libFuzzer target for nnc_model_load. A model that loads is also used: one
 * prediction on a row of zeros (a text model: each term's scores), saved to
 * another temporary path and loaded back (which must succeed). */
#include "fuzz_common.h"
#include <nnc.h>

static fuzz_file model_file, saved_file;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_file_open(&model_file, "model");
    fuzz_file_open(&saved_file, "saved");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file_write(&model_file, data, size);

    nnc_model *model = NULL;
    if (nnc_model_load(model_file.path, &model) != NNC_OK)
        return 0;

    int in = nnc_model_inputs(model);
    int outs = nnc_net_outputs(nnc_model_net(model));
    if (in > 0 && outs > 0) {
        float *x = calloc((size_t)in, sizeof *x);
        float *y = calloc((size_t)outs, sizeof *y);
        if (x && y)
            (void)nnc_model_predict(model, x, 1, y);
        free(x);
        free(y);
    }
    /* A text model: every term of its first column through the network
     * (the sparse path), within what one input's time may be. */
    const nnc_text_columns *tc = nnc_model_text_columns(model);
    int terms = nnc_vectorizer_terms(nnc_text_columns_vectorizer(tc, 0));
    int k = nnc_model_classes(model) > 0 ? nnc_model_classes(model) : outs;
    if (tc != NULL && terms <= 4096 && k <= 64) {
        float *scores = calloc((size_t)terms * (size_t)k, sizeof *scores);
        if (scores != NULL)
            (void)nnc_model_term_scores(model, 0, scores);
        free(scores);
    }
    for (int j = 0; j < in; j++)
        (void)nnc_model_input_name(model, j);
    for (int k = 0; k < nnc_model_classes(model); k++)
        (void)nnc_model_class_label(model, k);
    for (int i = 0; i < nnc_model_meta_count(model); i++) {
        (void)nnc_model_meta_key(model, i);
        (void)nnc_model_meta_value(model, i);
    }

    if (nnc_model_save(model, saved_file.path) == NNC_OK) {
        nnc_model *again = NULL;
        /* What the library wrote, the library must read. */
        if (nnc_model_load(saved_file.path, &again) != NNC_OK)
            abort();
        nnc_model_free(again);
    }
    nnc_model_free(model);
    return 0;
}

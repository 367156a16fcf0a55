/* Text in a few calls of the library: train on raw sentences (a bag of
 * words fitted on the training part), save the model with its vocabulary,
 * then classify sentences it has never seen and name the words it goes by.
 *
 *     ./build/packages tests/data/debian_packages.csv packages.nnc
 */
#include <nnc.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(void)
{
    fprintf(stderr, "%s\n", nnc_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    const char *data = argc > 1 ? argv[1] : "tests/data/debian_packages.csv";
    const char *out = argc > 2 ? argv[2] : "packages.nnc";

    /* nnc train --data DATA --text description --target section
     *           --validation 0 --epochs 6 --layers 64,dropout:0.5 --normalize stem */
    nnc_pipeline_options options = nnc_pipeline_defaults();
    const char *text[] = {"description"};
    options.csv.target = "section";
    options.csv.text = text;
    options.csv.n_text = 1;
    options.text.normalize = NNC_NORMALIZE_STEM;
    options.validation_fraction = 0;
    options.fit.epochs = 6;
    options.layers = "64,dropout:0.5";
    nnc_pipeline_result result;
    if (nnc_train_csv(data, &options, &result) != NNC_OK)
        return fail();
    const nnc_vectorizer *words =
        nnc_text_columns_vectorizer(nnc_model_text_columns(result.model), 0);
    printf("trained on %d rows, %d terms; test accuracy %.4f on %d rows\n", result.train_rows,
           nnc_vectorizer_terms(words), result.test.accuracy, result.test_rows);
    if (nnc_model_save(result.model, out) != NNC_OK)
        return fail();

    /* nnc predict on new raw text: a file with the text column alone. */
    const char *fresh = "packages-new.csv";
    FILE *f = fopen(fresh, "w");
    if (f == NULL)
        return fail();
    fputs("description\n"
          "Chess engine with a graphical board\n"
          "Serif typeface with Cyrillic glyphs\n"
          "Command-line IMAP mail client\n", f);
    fclose(f);
    float *p = NULL;
    int rows = 0, classes = nnc_model_classes(result.model);
    if (nnc_model_predict_csv(result.model, fresh, NULL, NNC_UNKNOWN_ZEROS, &p, &rows) != NNC_OK)
        return fail();
    remove(fresh);
    for (int i = 0; i < rows; i++) {
        int best;
        nnc_output_classes(p + (size_t)i * classes, 1, classes, &best);
        printf("row %d: %s (%.3f)\n", i + 1, nnc_model_class_label(result.model, best),
               p[(size_t)i * classes + best]);
    }
    free(p);

    /* nnc explain: the term that pushes hardest towards each class. */
    int n = nnc_vectorizer_terms(words);
    float *scores = malloc((size_t)n * (size_t)classes * sizeof *scores);
    if (scores == NULL || nnc_model_term_scores(result.model, 0, scores) != NNC_OK)
        return fail();
    for (int k = 0; k < classes; k++) {
        int top = 0;
        for (int i = 1; i < n; i++)
            if (scores[(size_t)i * classes + k] > scores[(size_t)top * classes + k])
                top = i;
        printf("%s: %s\n", nnc_model_class_label(result.model, k),
               nnc_vectorizer_term(words, top));
    }
    free(scores);
    nnc_pipeline_result_free(&result);
    return 0;
}

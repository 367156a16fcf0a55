/* What `nnc train` and `nnc predict` do, in a few calls of the library:
 * train on a table as it comes (text columns, NA cells), save the model,
 * then read a file back through the model's own preprocessing and predict.
 *
 *     ./build/penguins tests/data/penguins.csv penguins.nnc
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
    const char *data = argc > 1 ? argv[1] : "tests/data/penguins.csv";
    const char *out = argc > 2 ? argv[2] : "penguins.nnc";

    /* nnc train --data DATA --target species --drop year */
    nnc_pipeline_options options = nnc_pipeline_defaults();
    const char *drop[] = {"year"};
    options.csv.target = "species";
    options.csv.drop = drop;
    options.csv.n_drop = 1;
    nnc_pipeline_result result;
    if (nnc_train_csv(data, &options, &result) != NNC_OK)
        return fail();
    printf("trained on %d rows; test accuracy %.4f on %d rows\n", result.train_rows,
           result.test.accuracy, result.test_rows);
    if (nnc_model_save(result.model, out) != NNC_OK)
        return fail();

    /* nnc predict --model OUT --data DATA: the first rows' species. */
    nnc_csv_options read = nnc_csv_defaults();
    read.keep_missing = 1;
    read.no_target = 1;
    nnc_dataset *rows = NULL;
    if (nnc_model_read_csv(result.model, data, &read, NNC_UNKNOWN_ZEROS, &rows, NULL, NULL) !=
        NNC_OK)
        return fail();
    enum { SHOW = 3 };
    int inputs = nnc_dataset_inputs(rows), classes = nnc_model_classes(result.model);
    float *x = malloc(SHOW * (size_t)inputs * sizeof *x);
    float *p = malloc(SHOW * (size_t)classes * sizeof *p);
    size_t first[SHOW] = {0, 1, 2};
    if (x == NULL || p == NULL || nnc_dataset_gather(rows, first, SHOW, x, NULL) != NNC_OK ||
        nnc_model_predict(result.model, x, SHOW, p) != NNC_OK)
        return fail();
    for (int i = 0; i < SHOW; i++) {
        int best = 0;
        for (int k = 1; k < classes; k++)
            best = p[i * classes + k] > p[i * classes + best] ? k : best;
        printf("row %d: %s (%.3f)\n", i + 1, nnc_model_class_label(result.model, best),
               p[i * classes + best]);
    }
    free(x);
    free(p);
    nnc_dataset_free(rows);
    nnc_pipeline_result_free(&result);
    return 0;
}

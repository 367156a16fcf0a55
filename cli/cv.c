/*
 * cv.c - `nnc cv`: K-fold cross-validation of what `nnc train` would do.
 *
 * scikit-learn's cross_val_score, for nnc: the rows are dealt into K folds
 * (stratified for classification, shuffled with --seed), and each fold in
 * turn is the test part of a model that train_fold makes from the other
 * folds exactly as nnc train makes one after its split: a validation part
 * for early stopping, the encoding and scaling fitted on what is left. The
 * figure per fold is accuracy for classification and R² for regression,
 * scikit-learn's default scores; then their mean and standard deviation.
 */
#include "args.h"
#include "commands.h"
#include "outputs.h"
#include "progress.h"
#include "report.h"
#include "train.h"

#include "nnc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each row's file line (its index from 1 for images) and fold from 1. */
static int write_folds(const char *path, const nnc_dataset *data, const int *fold)
{
    nnc_atomic_file *file;
    if (nnc_atomic_open(path, &file) != NNC_OK)
        return fail_with_library_error();
    FILE *fp = nnc_atomic_stream(file);
    int tabled = nnc_dataset_row_line(data, 0) > 0;
    fprintf(fp, "%s,fold\n", tabled ? "line" : "row");
    for (int i = 0; i < nnc_dataset_rows(data); i++)
        fprintf(fp, "%d,%d\n", tabled ? nnc_dataset_row_line(data, i) : i + 1, fold[i] + 1);
    return nnc_atomic_commit(file) == NNC_OK ? 0 : fail_with_library_error();
}

/* Fold f's rows into test, the others into train. */
static int cut_fold(const nnc_dataset *data, const int *fold, int f, size_t *index,
                    nnc_dataset **train, nnc_dataset **test)
{
    int rows = nnc_dataset_rows(data), n_test = 0, n_train = 0;
    for (int i = 0; i < rows; i++)
        n_test += fold[i] == f;
    for (int i = 0; i < rows; i++)
        if (fold[i] == f)
            index[n_train++] = (size_t)i;   /* the test rows first, then the others */
    for (int i = 0; i < rows; i++)
        if (fold[i] != f)
            index[n_train++] = (size_t)i;
    *test = nnc_dataset_subset(data, index, n_test);
    *train = *test ? nnc_dataset_subset(data, index + n_test, rows - n_test) : NULL;
    if (*train != NULL)
        return 0;
    nnc_dataset_free(*test);
    *test = NULL;
    return fail_with_library_error();
}

static void print_fold(int f, int k, nnc_task task, const nnc_metrics *m, int epochs)
{
    if (task == NNC_TASK_CLASSIFICATION)
        printf("fold %d/%d: accuracy %.4f, loss %.4f (%d test rows, %d epochs)\n", f + 1, k,
               m->accuracy, m->loss, m->rows, epochs);
    else
        printf("fold %d/%d: R2 %.4f, MSE %.6g, MAE %.6g (%d test rows, %d epochs)\n", f + 1, k,
               m->r2, m->mse, m->mae, m->rows, epochs);
}

/* Trains and tests every fold in turn; the scores go to score[0..k). */
static int run_folds(const train_options *o, nnc_rng *rng, const nnc_dataset *data,
                     const int *fold, double *score)
{
    size_t *index = malloc((size_t)nnc_dataset_rows(data) * sizeof *index);
    if (index == NULL) {
        fprintf(stderr, "nnc: out of memory\n");
        return 1;
    }
    nnc_task task = nnc_dataset_task(data);
    int rc = 0;
    for (int f = 0; rc == 0 && f < o->folds; f++) {
        nnc_dataset *train, *test;
        nnc_metrics m;
        int epochs = 0;
        rc = cut_fold(data, fold, f, index, &train, &test);
        rc = rc ? rc : train_fold(o, rng, train, test, &m, &epochs);
        if (rc == 0) {
            print_fold(f, o->folds, task, &m, epochs);
            score[f] = task == NNC_TASK_CLASSIFICATION ? m.accuracy : m.r2;
        }
        fflush(stdout);
    }
    free(index);
    return rc;
}

static void print_summary(const train_options *o, nnc_task task, const double *score)
{
    double sum = 0, squares = 0;
    for (int f = 0; f < o->folds; f++)
        sum += score[f];
    double mean = sum / o->folds;
    for (int f = 0; f < o->folds; f++)
        squares += (score[f] - mean) * (score[f] - mean);
    printf("%s: mean %.4f, standard deviation %.4f over %d folds\n",
           task == NNC_TASK_CLASSIFICATION ? "accuracy" : "R2", mean,
           sqrt(squares / o->folds), o->folds);
}

int command_cv(int argc, char **argv)
{
    train_options o;
    int parsed = train_parse_options(argc, argv, "cv", &o);
    if (parsed != 0) {
        train_options_free(&o);
        return parsed > 0 ? 0 : 2;
    }
    const named_path in[] = { { "--data", o.src.csv, NULL },
                              { "--images", o.src.images, NULL },
                              { "--labels", o.src.labels, NULL } };
    const named_path out[] = { { "--folds-out", o.folds_out, NULL } };
    if (check_outputs("cv", in, 3, out, 1) != 0) {
        train_options_free(&o);
        return 1;
    }
    if (o.progress == PROGRESS_AUTO)
        o.progress = PROGRESS_QUIET;   /* a line per fold says enough */
    nnc_rng rng;
    nnc_rng_seed(&rng, o.seed);
    nnc_dataset *data = NULL;
    int *fold = NULL;
    double *score = NULL;
    int rc = train_load(&o, &data);
    if (rc == 0 && nnc_dataset_rows(data) < o.folds) {
        fprintf(stderr, "nnc cv: %s has %d rows, fewer than the %d folds\n",
                data_source_name(&o.src), nnc_dataset_rows(data), o.folds);
        rc = 1;
    }
    if (rc == 0) {
        fold = malloc((size_t)nnc_dataset_rows(data) * sizeof *fold);
        score = malloc((size_t)o.folds * sizeof *score);
        if (fold == NULL || score == NULL) {
            fprintf(stderr, "nnc: out of memory\n");
            rc = 1;
        } else if (nnc_dataset_folds(data, o.folds, &rng, fold) != NNC_OK) {
            rc = fail_with_library_error();
        }
    }
    if (rc == 0 && nnc_dataset_left_out(data) > 0)
        printf("left out %d rows of %s whose target '%s' is missing\n",
               nnc_dataset_left_out(data), data_source_name(&o.src),
               nnc_dataset_target_name(data));
    if (rc == 0 && o.folds_out)
        rc = write_folds(o.folds_out, data, fold);
    if (rc == 0)
        rc = run_folds(&o, &rng, data, fold, score);
    if (rc == 0)
        print_summary(&o, nnc_dataset_task(data), score);
    free(fold);
    free(score);
    nnc_dataset_free(data);
    train_options_free(&o);
    return rc;
}

/*
 * report.c - printing metrics and confusion matrices (see report.h).
 *
 * Matrix cells are indexed in size_t: with int, true * classes + predicted
 * overflows past 46,340 classes.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int fail_with_library_error(void)
{
    fprintf(stderr, "nnc: %s\n", nnc_last_error());
    return 1;
}

void print_metrics(FILE *to, const char *label, nnc_task task, const nnc_metrics *m)
{
    if (task == NNC_TASK_CLASSIFICATION) {
        fprintf(to, "%s: accuracy %.4f (%ld/%d right), loss %.4f, macro F1 %.4f", label,
                m->accuracy, (long)(m->accuracy * m->rows + 0.5), m->rows, m->loss, m->macro_f1);
        if (!isnan(m->roc_auc))
            fprintf(to, ", ROC-AUC %.4f, log loss %.4f", m->roc_auc, m->log_loss);
        fputc('\n', to);
    } else
        fprintf(to, "%s: r2 %.4f, mse %.6g, mae %.6g, loss %.4f (%d rows)\n", label, m->r2,
                m->mse, m->mae, m->loss, m->rows);
}

int confusion_printed(int classes)
{
    return classes > 0 && classes <= REPORT_MAX_CLASSES;
}

static int label_width(const nnc_model *model)
{
    int width = 4;
    for (int k = 0; k < nnc_model_classes(model); k++) {
        int len = (int)strlen(nnc_model_class_label(model, k));
        if (len > width)
            width = len;
    }
    return width > 24 ? 24 : width;
}

static int cell(const int *confusion, size_t k, int truth, int predicted)
{
    return confusion[(size_t)truth * k + (size_t)predicted];
}

void print_confusion(FILE *to, const nnc_model *model, const int *confusion)
{
    int k = nnc_model_classes(model), w = label_width(model);
    if (!confusion_printed(k)) {
        fprintf(to, "confusion matrix and per-class precision and recall: not printed for "
                    "%d classes (at most %d are; nnc eval --confusion FILE writes the matrix "
                    "as CSV for up to %d)\n",
                k, REPORT_MAX_CLASSES, CONFUSION_FILE_MAX);
        return;
    }
    if (confusion == NULL)
        return;
    fprintf(to, "confusion matrix (rows: true class, columns: predicted class)\n");
    fprintf(to, "%*s", w + 2, "");
    for (int j = 0; j < k; j++)
        fprintf(to, " %*.*s", w, w, nnc_model_class_label(model, j));
    fprintf(to, "\n");
    for (int i = 0; i < k; i++) {
        fprintf(to, "  %*.*s", w, w, nnc_model_class_label(model, i));
        for (int j = 0; j < k; j++)
            fprintf(to, " %*d", w, cell(confusion, (size_t)k, i, j));
        fprintf(to, "\n");
    }
    fprintf(to, "\n  %*s  precision  recall      F1  support\n", w, "class");
    for (int c = 0; c < k; c++) {
        long predicted = 0, actual = 0;
        for (int j = 0; j < k; j++) {
            predicted += cell(confusion, (size_t)k, j, c);
            actual += cell(confusion, (size_t)k, c, j);
        }
        long right = cell(confusion, (size_t)k, c, c);
        double f1 = predicted + actual ? 2.0 * right / (double)(predicted + actual) : 0.0;
        fprintf(to, "  %*.*s  %9.4f  %6.4f  %6.4f  %7ld\n", w, w, nnc_model_class_label(model, c),
                predicted ? (double)right / predicted : 0.0,
                actual ? (double)right / actual : 0.0, f1, actual);
    }
}

void put_csv_field(FILE *fp, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

int write_confusion(const char *path, const nnc_model *model, const int *confusion)
{
    nnc_atomic_file *file;
    if (nnc_atomic_open(path, &file) != NNC_OK)
        return fail_with_library_error();
    FILE *fp = nnc_atomic_stream(file);
    int k = nnc_model_classes(model);
    fputs("true\\predicted", fp);
    for (int j = 0; j < k; j++) {
        fputc(',', fp);
        put_csv_field(fp, nnc_model_class_label(model, j));
    }
    fputc('\n', fp);
    for (int i = 0; i < k; i++) {
        put_csv_field(fp, nnc_model_class_label(model, i));
        for (int j = 0; j < k; j++)
            fprintf(fp, ",%d", cell(confusion, (size_t)k, i, j));
        fputc('\n', fp);
    }
    if (ferror(fp)) {
        int err = errno;
        nnc_atomic_abort(file);
        fprintf(stderr, "nnc: %s: cannot write: %s\n", path, strerror(err ? err : EIO));
        return 1;
    }
    return nnc_atomic_commit(file) == NNC_OK ? 0 : fail_with_library_error();
}

int plot_regression(const char *scatter, const char *residuals, nnc_model *model,
                    const nnc_dataset *data, const char *what)
{
    int rows = nnc_dataset_rows(data), outs = nnc_dataset_targets(data);
    double *actual = malloc((size_t)rows * sizeof *actual);
    double *predicted = malloc((size_t)rows * sizeof *predicted);
    float *y = malloc((size_t)rows * (size_t)outs * sizeof *y);
    float *out = malloc((size_t)rows * (size_t)outs * sizeof *out);
    int rc = actual && predicted && y && out ? 0 : 1;
    if (rc != 0)
        fprintf(stderr, "nnc: out of memory\n");
    /* The targets as floats, and the model's outputs for every row (text
     * columns included). */
    size_t *all = rc == 0 ? malloc((size_t)rows * sizeof *all) : NULL;
    for (int i = 0; all != NULL && i < rows; i++)
        all[i] = (size_t)i;
    if (rc == 0 && (all == NULL || nnc_model_predict_data(model, data, out) != NNC_OK ||
                    nnc_dataset_gather(data, all, rows, NULL, y) != NNC_OK))
        rc = all == NULL ? 1 : fail_with_library_error();
    free(all);
    for (int i = 0; rc == 0 && i < rows; i++) {
        actual[i] = y[(size_t)i * outs];
        predicted[i] = out[(size_t)i * outs];
    }
    char title[256];
    snprintf(title, sizeof title, "Predicted against actual (%s)", what);
    if (rc == 0 && nnc_plot_predictions(scatter, actual, predicted, rows, title) != NNC_OK)
        rc = fail_with_library_error();
    snprintf(title, sizeof title, "Residuals (%s)", what);
    if (rc == 0 && nnc_plot_residuals(residuals, actual, predicted, rows, title) != NNC_OK)
        rc = fail_with_library_error();
    free(actual);
    free(predicted);
    free(y);
    free(out);
    return rc;
}

/*
 * report.c - printing metrics and confusion matrices (see report.h).
 */
#include "report.h"

#include <string.h>

int fail_with_library_error(void)
{
    fprintf(stderr, "nnc: %s\n", nnc_last_error());
    return 1;
}

void print_metrics(FILE *to, const char *label, nnc_task task, const nnc_metrics *m)
{
    if (task == NNC_TASK_CLASSIFICATION)
        fprintf(to, "%s: accuracy %.4f (%ld/%d right), loss %.4f\n", label, m->accuracy,
                (long)(m->accuracy * m->rows + 0.5), m->rows, m->loss);
    else
        fprintf(to, "%s: r2 %.4f, mse %.6g, mae %.6g, loss %.4f (%d rows)\n", label, m->r2,
                m->mse, m->mae, m->loss, m->rows);
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

void print_confusion(FILE *to, const nnc_model *model, const int *confusion)
{
    int k = nnc_model_classes(model), w = label_width(model);
    fprintf(to, "confusion matrix (rows: true class, columns: predicted class)\n");
    fprintf(to, "%*s", w + 2, "");
    for (int j = 0; j < k; j++)
        fprintf(to, " %*.*s", w, w, nnc_model_class_label(model, j));
    fprintf(to, "\n");
    for (int i = 0; i < k; i++) {
        fprintf(to, "  %*.*s", w, w, nnc_model_class_label(model, i));
        for (int j = 0; j < k; j++)
            fprintf(to, " %*d", w, confusion[i * k + j]);
        fprintf(to, "\n");
    }
    fprintf(to, "\n  %*s  precision  recall  support\n", w, "class");
    for (int c = 0; c < k; c++) {
        long predicted = 0, actual = 0;
        for (int j = 0; j < k; j++) {
            predicted += confusion[j * k + c];
            actual += confusion[c * k + j];
        }
        long right = confusion[c * k + c];
        fprintf(to, "  %*.*s  %9.4f  %6.4f  %7ld\n", w, w, nnc_model_class_label(model, c),
                predicted ? (double)right / predicted : 0.0,
                actual ? (double)right / actual : 0.0, actual);
    }
}

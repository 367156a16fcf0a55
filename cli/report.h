/*
 * report.h - printing what a model achieves, shared by `nnc train` and `nnc eval`.
 */
#ifndef NNC_CLI_REPORT_H
#define NNC_CLI_REPORT_H

#include "nnc.h"

#include <stdio.h>

/* Confusion matrices, and the per-class lines under them, are printed for at
 * most this many classes: a 20 x 20 table still fits a terminal, and past it
 * nobody reads the table (at 32,768 classes it was 7.5 GB of text). Larger
 * ones go to a picture (nnc eval --plot, up to NNC_PLOT_MAX_CONFUSION
 * classes) or a CSV file (nnc eval --confusion, up to CONFUSION_FILE_MAX). */
#define REPORT_MAX_CLASSES 20

/* The most classes nnc eval --confusion writes a matrix for: a table of
 * 1,024 columns is about what a spreadsheet opens (older LibreOffice stops
 * there), the counts take 4 MB, the file a few MB. A 32,768-class matrix
 * would be 4 GB of counts and gigabytes of CSV, so it is refused rather than
 * written. */
#define CONFUSION_FILE_MAX 1024

/* "accuracy 0.9561 (109/114)" or "mse ... mae ... r2 ..." on one line,
 * after a label such as "test". */
void print_metrics(FILE *to, const char *label, nnc_task task, const nnc_metrics *m);

/* Whether print_confusion prints the matrix of this many classes, and so
 * whether a caller has to compute one for it (k x k counts). */
int confusion_printed(int classes);

/* The confusion matrix as a table with class names, then each class's
 * precision, recall and support; for more than REPORT_MAX_CLASSES classes
 * one line saying where to find them instead, and confusion may be NULL. */
void print_confusion(FILE *to, const nnc_model *model, const int *confusion);

/* Writes the whole confusion matrix to path as CSV, atomically: a header
 * "true\predicted,<label>,...", then one line per true class, its label and
 * its counts. 0, or 1 after a message. */
int write_confusion(const char *path, const nnc_model *model, const int *confusion);

/* A CSV field, quoted when it holds a comma, quote or line break. */
void put_csv_field(FILE *fp, const char *s);

/* Reports a failed library call: "nnc: <message>" on stderr; returns 1. */
int fail_with_library_error(void);

/* For a regression model: the predicted-vs-actual picture at scatter and
 * the residuals at residuals, of data (raw rows, the model's inputs; the
 * first target if there are several); what names the rows in the titles.
 * 0, or 1 after a message. */
int plot_regression(const char *scatter, const char *residuals, nnc_model *model,
                    const nnc_dataset *data, const char *what);

#endif

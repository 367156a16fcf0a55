/*
 * report.h - printing what a model achieves, shared by `nnc train` and `nnc eval`.
 */
#ifndef NNC_CLI_REPORT_H
#define NNC_CLI_REPORT_H

#include "nnc.h"

#include <stdio.h>

/* "accuracy 0.9561 (109/114)" or "mse ... mae ... r2 ..." on one line,
 * after a label such as "test". */
void print_metrics(FILE *to, const char *label, nnc_task task, const nnc_metrics *m);

/* The confusion matrix as a table with class names, then each class's
 * precision, recall and support. */
void print_confusion(FILE *to, const nnc_model *model, const int *confusion);

/* Reports a failed library call: "nnc: <message>" on stderr; returns 1. */
int fail_with_library_error(void);

#endif

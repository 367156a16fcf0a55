/*
 * data_source.c - loading a command's data (see data_source.h).
 */
#include "data_source.h"

#include "report.h"

#include <stdio.h>
#include <string.h>

int data_source_check(const data_source *src, const char *command)
{
    int csv = src->csv != NULL, idx = src->images != NULL || src->labels != NULL;
    if (csv + idx != 1) {
        fprintf(stderr, "nnc %s: give the data as --data FILE.csv or as --images FILE "
                        "--labels FILE (IDX)\n", command);
        return -1;
    }
    if (idx && (src->images == NULL || src->labels == NULL)) {
        fprintf(stderr, "nnc %s: IDX data needs both --images and --labels\n", command);
        return -1;
    }
    return 0;
}

int csv_dialect_delimiter(csv_dialect *d, const char *command, const char *arg)
{
    if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0) {
        d->delimiter = '\t';
        return 0;
    }
    if (strlen(arg) != 1 || strchr("\" \r\n", arg[0]) != NULL) {
        fprintf(stderr, "nnc %s: --delimiter takes one character other than a quote, a space "
                        "or a line end, or 'tab'; got '%s'\n", command, arg);
        return -1;
    }
    d->delimiter = arg[0];
    return 0;
}

void csv_dialect_apply(const csv_dialect *d, nnc_csv_options *csv)
{
    csv->delimiter = d->delimiter;
    csv->no_header = d->no_header;
}

int table_policy_option(table_policy *p, const char *command, const char *option,
                        const char *arg)
{
    int missing = strcmp(option, "--missing") == 0;
    const char *good = missing ? "impute" : "zeros";
    if (strcmp(arg, good) != 0 && strcmp(arg, "error") != 0) {
        fprintf(stderr, "nnc %s: %s expects %s or error, got '%s'\n", command, option, good,
                arg);
        return -1;
    }
    if (missing)
        p->missing_error = strcmp(arg, "error") == 0;
    else
        p->unknown_error = strcmp(arg, "error") == 0;
    return 0;
}

void table_policy_apply(const table_policy *p, nnc_csv_options *csv)
{
    csv->keep_missing = !p->missing_error;
}

void table_report(const char *command, const char *path, int left, const char *target,
                  const nnc_encode_report *report)
{
    if (left > 0)
        fprintf(stderr, "nnc %s: %s: left out %d row%s whose target '%s' is missing\n", command,
                path, left, left == 1 ? "" : "s", target);
    if (report != NULL && report->imputed > 0)
        fprintf(stderr, "nnc %s: %s: filled %ld missing cell%s with the training part's "
                        "median or most frequent category\n",
                command, path, report->imputed, report->imputed == 1 ? "" : "s");
    if (report != NULL && report->unknown > 0)
        fprintf(stderr, "nnc %s: %s: %ld cell%s of a category not seen in training, encoded "
                        "as all zeros (--unknown error refuses them)\n",
                command, path, report->unknown, report->unknown == 1 ? "" : "s");
}

nnc_dataset *data_source_load(const data_source *src, const nnc_csv_options *options)
{
    nnc_dataset *data = NULL;
    nnc_csv_options csv = *options;
    csv_dialect_apply(&src->dialect, &csv);
    table_policy_apply(&src->policy, &csv);
    nnc_status st = src->csv ? nnc_dataset_load_csv(src->csv, &csv, &data)
                             : nnc_dataset_load_idx(src->images, src->labels, &data);
    if (st != NNC_OK) {
        fail_with_library_error();
        return NULL;
    }
    return data;
}

const char *data_source_name(const data_source *src)
{
    return src->csv ? src->csv : src->images;
}

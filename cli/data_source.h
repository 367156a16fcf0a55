/*
 * data_source.h - where a command's data comes from: a CSV file, or an IDX
 * image file with its label file. Shared by train, eval and predict.
 */
#ifndef NNC_CLI_DATA_SOURCE_H
#define NNC_CLI_DATA_SOURCE_H

#include "nnc.h"

/* How a CSV file is written, as --delimiter and --no-header give it. */
typedef struct csv_dialect {
    char delimiter;   /* 0: detect */
    int no_header;
} csv_dialect;

/* The help lines of the two options, for each command's usage. */
#define CSV_DIALECT_HELP                                                                  \
    "  --delimiter C          the CSV's delimiter: one character, or tab (default:\n"     \
    "                         detected among , ; tab and |)\n"                            \
    "  --no-header            the CSV's first row is data; columns are c0, c1, ...\n"

/* Reads --delimiter's argument into d: one character other than a quote,
 * a space or a line end, or "tab". 0, or -1 after a message naming command. */
int csv_dialect_delimiter(csv_dialect *d, const char *command, const char *arg);

/* Sets the dialect's fields of the loader's options. */
void csv_dialect_apply(const csv_dialect *d, nnc_csv_options *csv);

/* What becomes of a table's missing cells and of categories a model never
 * saw: --missing, --unknown and (train) --missing-indicator. */
typedef struct table_policy {
    int missing_error;    /* --missing error: refuse missing cells */
    int unknown_error;    /* --unknown error: refuse unseen categories */
    int indicators;       /* --missing-indicator */
} table_policy;

#define TABLE_POLICY_HELP                                                                 \
    "  --missing M            impute | error (default impute): a missing cell (empty,\n"  \
    "                         NA, N/A, NaN, null or ?) gets the training median or\n"     \
    "                         most frequent category; a row with a missing target is\n"   \
    "                         left out and counted. error refuses them, naming the\n"     \
    "                         cell\n"                                                     \
    "  --unknown U            zeros | error (default zeros): a category not seen in\n"     \
    "                         training is encoded as all zeros and counted; error\n"      \
    "                         refuses it\n"

/* Reads --missing or --unknown (option names which) into p; 0, or -1 after
 * a message naming command. */
int table_policy_option(table_policy *p, const char *command, const char *option,
                        const char *arg);

/* Sets the loader's options for the policy: missing cells kept as NaN
 * unless refused. */
void table_policy_apply(const table_policy *p, nnc_csv_options *csv);

/* Says on stderr what reading and encoding a table changed: rows left out
 * for a missing target, cells filled, unseen categories. Nothing when
 * nothing changed. */
void table_report(const char *command, const char *path, int left_out, const char *target,
                  const nnc_encode_report *report);

typedef struct data_source {
    const char *csv;      /* --data */
    const char *images;   /* --images */
    const char *labels;   /* --labels */
    csv_dialect dialect;  /* --delimiter, --no-header */
    table_policy policy;  /* --missing, --unknown */
} data_source;

/* 0 if exactly one kind of source is given (and both IDX files for IDX);
 * -1 after a usage message otherwise. */
int data_source_check(const data_source *src, const char *command);

/* Loads the data (a CSV file in its dialect); on failure prints the
 * library's message and returns NULL. */
nnc_dataset *data_source_load(const data_source *src, const nnc_csv_options *csv);

/* The file a data set came from, for messages and metadata. */
const char *data_source_name(const data_source *src);

#endif

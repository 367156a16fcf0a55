/*
 * data_source.h - where a command's data comes from: a CSV file, or an IDX
 * image file with its label file. Shared by train, eval and predict.
 */
#ifndef NNC_CLI_DATA_SOURCE_H
#define NNC_CLI_DATA_SOURCE_H

#include "nnc.h"

typedef struct data_source {
    const char *csv;      /* --data */
    const char *images;   /* --images */
    const char *labels;   /* --labels */
} data_source;

/* 0 if exactly one kind of source is given (and both IDX files for IDX);
 * -1 after a usage message otherwise. */
int data_source_check(const data_source *src, const char *command);

/* Loads the data; on failure prints the library's message and returns NULL. */
nnc_dataset *data_source_load(const data_source *src, const nnc_csv_options *csv);

/* The file a data set came from, for messages and metadata. */
const char *data_source_name(const data_source *src);

#endif

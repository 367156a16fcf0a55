/*
 * data_source.c - loading a command's data (see data_source.h).
 */
#include "data_source.h"

#include "report.h"

#include <stdio.h>

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

nnc_dataset *data_source_load(const data_source *src, const nnc_csv_options *csv)
{
    nnc_dataset *data = NULL;
    nnc_status st = src->csv ? nnc_dataset_load_csv(src->csv, csv, &data)
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

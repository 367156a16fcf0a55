/*
 * data/data.h - data sets in memory and their normalisation.
 */
#ifndef NNC_DATA_H
#define NNC_DATA_H

#include "core/core.h"
#include <stdint.h>

/* ------------------------------------------------------------- datasets */

/* Inputs are stored either as floats or, for images, as bytes that become
 * floats (byte * byte_scale) only when a batch is gathered. Targets are
 * floats for a regression (y) and one class index per row for a
 * classification (classes, y NULL): the 0/1 or one-hot floats a network
 * trains on are made a batch at a time (nnc_dataset_batch_targets), so a
 * set costs 4 bytes per input cell (1 for bytes) plus 4 per target cell or
 * per row. */
/* A categorical column's distinct values, in strcmp order (n 0: numeric). */
typedef struct nnc_levels {
    int n;
    char **names;
} nnc_levels;

struct nnc_dataset {
    int rows;
    int n_inputs;
    nnc_shape shape;        /* of one row's inputs; its product is n_inputs */
    int n_targets;
    nnc_task task;
    int n_classes;          /* classification only */
    char **class_labels;    /* n_classes strings */
    char **input_names;     /* n_inputs strings */
    char *target_name;      /* the target column's name ("y" unless set) */
    float *x;               /* rows x n_inputs, or NULL when bytes is used */
    unsigned char *bytes;   /* rows x n_inputs, or NULL */
    float byte_scale;
    float *y;               /* rows x n_targets; NULL for classification */
    int *classes;           /* rows class indices (classification only) */
    /* Tables only (NULL otherwise), each kept by subsets and splits: */
    nnc_levels *levels;     /* n_inputs: a categorical column's levels */
    int *lines;             /* rows: the line of the file each row starts on */
    int *columns;           /* n_inputs: each input's column in the file, 1-based */
    char *source;           /* the file's path, for messages */
    int left_out;           /* rows of the file left out (a missing target) */
    char *id_text;          /* each row's id, NUL-terminated one after another */
    size_t *id_at;          /* rows: where row i's id starts in id_text */
    /* Free-text columns (n_text 0: none), kept by subsets and splits: */
    int n_text;
    char **text_names;
    int *text_columns;      /* n_text: each one's column in the file, 1-based */
    char *text_buf;         /* every cell, NUL-terminated one after another */
    size_t *text_at;        /* rows x n_text: where row i's text t starts */
    /* A vectorised set (x and bytes NULL): each row's inputs as its
     * non-zeros, made by nnc_text_columns_apply for the network to train on. */
    size_t *sparse_start;   /* rows + 1 */
    int *sparse_index;      /* increasing within a row */
    float *sparse_value;
    int sparse_widest;      /* the most non-zeros any row has */
};

/* An empty data set with room for rows x n_inputs inputs (as bytes when
 * use_bytes) and rows x n_targets targets, inputs named "x0", "x1", ...
 * Sizes are checked for overflow. NULL (with a message) on failure. */
nnc_dataset *nnc_dataset_alloc(int rows, int n_inputs, int n_targets, int use_bytes);

/* The same, with y only when with_y (a set that gets classes next needs none). */
nnc_dataset *nnc_dataset_new(int rows, int n_inputs, int n_targets, int use_bytes, int with_y);

/* A data set around blocks the caller made, which it takes (and frees on
 * failure too): x (rows x n_inputs floats) or bytes (as many bytes), and y
 * (rows x n_targets floats, or NULL before nnc_dataset_take_classes); inputs
 * named after copies of names[0..n_inputs) (NULL: "x0", "x1", ...). The
 * loaders hand over what they read instead of copying it. */
nnc_dataset *nnc_dataset_adopt(int rows, int n_inputs, int n_targets, float *x,
                               unsigned char *bytes, float *y, const char *const *names);

/* Rows first..first+n-1's targets as a network trains on them: a pointer into
 * y for a regression, else encoded into buf (n x n_targets floats). */
const float *nnc_dataset_batch_targets(const nnc_dataset *data, size_t first, int n, float *buf);

/* Copies from's table provenance (levels, file columns, source; not the
 * row lines) onto to, which has the same inputs. */
nnc_status nnc_dataset_copy_table(nnc_dataset *to, const nnc_dataset *from);

/* Gives every row an id (copies of ids[0..rows)), replacing any; used by
 * the CSV loader, subsets and the encoder. */
nnc_status nnc_dataset_set_ids(nnc_dataset *data, const char *const *ids);

/* from's ids onto to, which has as many rows. */
nnc_status nnc_dataset_copy_ids(nnc_dataset *to, const nnc_dataset *from);

/* Gives data text columns: n names, each one's file column (1-based,
 * NULL: unknown) and texts[i * n + t], row i's text in column t (copies
 * of all), replacing any. */
nnc_status nnc_dataset_set_texts(nnc_dataset *data, int n, const char *const *names,
                                 const int *columns, const char *const *texts);

/* A vectorised data set of rows x n_inputs around CSR arrays it takes
 * (start: rows + 1 offsets, index and value: start[rows] each), with y or
 * classes copied from like (which has as many rows) and inputs named
 * names[0..n_inputs) (copied). Frees the arrays on failure. */
nnc_dataset *nnc_dataset_adopt_sparse(const nnc_dataset *like, int n_inputs,
                                      const char *const *names, size_t *start, int *index,
                                      float *value);

/* Room for a sparse set's batches of up to `batch` rows, and a batch
 * gathered into it (rows.start and the others then point into the room):
 * each row's non-zeros in turn, and the distinct inputs they use, in
 * increasing order, in rows.columns (for the lazy update of the first
 * layer's weights). */
typedef struct nnc_sparse_batch {
    size_t *start;
    int *index;
    float *value;
    int *columns;
    uint64_t *marks;  /* a bit per input, clear between gathers */
    uint64_t *words;  /* a bit per word of marks that has a bit set, the same */
    int batch, widest, inputs;  /* what the room was made for */
    nnc_sparse_rows rows;
} nnc_sparse_batch;

/* Room for batches of up to `batch` rows of data (a sparse set). */

nnc_status nnc_sparse_batch_init(nnc_sparse_batch *b, const nnc_dataset *data, int batch);
/* Frees b's room; b may be zeroed or half made. */
void nnc_sparse_batch_release(nnc_sparse_batch *b);
/* data's rows index[0..n) into b (n no more than b was made for), their
 * targets into y (n x n_targets, may be NULL). */
nnc_status nnc_sparse_batch_gather(nnc_sparse_batch *b, const nnc_dataset *data,
                                   const size_t *index, int n, float *y);

/* from's text columns onto to, which has as many rows. */
nnc_status nnc_dataset_copy_texts(nnc_dataset *to, const nnc_dataset *from);

/* Frees a data set's levels (n_inputs of them). */
void nnc_levels_free(nnc_levels *levels, int n_inputs);

/* A copy of every row of data, with its names, classes and provenance
 * (NULL with a message on failure). */
nnc_dataset *nnc_dataset_copy(const nnc_dataset *data);

/* Replaces the input names with copies of names[0..n_inputs). */
nnc_status nnc_dataset_set_input_names(nnc_dataset *data, const char *const *names);

/* Makes data a classification set: keeps copies of classes[0..rows) and of
 * the labels (NULL: "0", "1", ...; they must differ and not be empty) and
 * drops y, whose encoding (one 0/1 column for two classes, one-hot
 * otherwise) is made as rows are gathered. data must have been allocated
 * with the matching n_targets (1 for two classes, n_classes otherwise). */
nnc_status nnc_dataset_set_classes(nnc_dataset *data, const int *classes, int n_classes,
                                   const char *const *labels);

/* The same, taking classes (rows ints) and labels (n_classes strings, or
 * NULL) instead of copying them; both are freed if it fails. */
nnc_status nnc_dataset_take_classes(nnc_dataset *data, int *classes, int n_classes,
                                    char **labels);

/* The number of target columns that encodes n_classes classes. */
int nnc_targets_for_classes(int n_classes);

/* A name and its place in a list, sorted for binary search and for finding
 * a name given twice in n log n. */
typedef struct nnc_named {
    const char *name;
    int index;
} nnc_named;

/* names[0..n) sorted by strcmp, equal names by index (NULL with NNC_ENOMEM). */
nnc_named *nnc_sort_names(const char *const *names, int n);

/* Refuses (NNC_EINVAL, "what: 'x' is given twice" or "what: name N is
 * empty") class labels that do not tell the classes apart: predictions are
 * named after them. n log n, so many classes cost no quadratic check. */
nnc_status nnc_check_labels(const char *what, const char *const *labels, int n);

/* ---------------------------------------------------------- preprocessing */

/* What the encoder does with one column of the table (see nnc.h). */
typedef struct nnc_encoded_column {
    char *name;
    nnc_column_kind kind;
    int indicator;          /* a 0/1 input says whether the cell was missing */
    float median;           /* numeric: what fills a missing cell */
    int n_categories;       /* categorical: one input each, in strcmp order */
    char **categories;
    int fill;               /* categorical: the category of a missing cell */
} nnc_encoded_column;

struct nnc_encoder {
    int n_columns;
    nnc_encoded_column *columns;
    int n_outputs;
    char **output_names;
};

/* An encoder of n_columns zeroed columns, for the fit and the model loader
 * to fill; nnc_encoder_finish then checks them and names the outputs. */
nnc_encoder *nnc_encoder_alloc(int n_columns);
nnc_status nnc_encoder_finish(nnc_encoder *enc);

/* ---------------------------------------------------------- normalisation */

struct nnc_normalizer {
    nnc_scaling kind;
    int n_inputs;
    float *offset;          /* x' = (x - offset) * scale, per input column */
    float *scale;
    int n_targets;          /* 0 unless regression targets are standardised */
    float *target_offset;
    float *target_scale;
};

/* An identity normaliser shell with arrays for n_inputs and n_targets
 * columns (offsets 0, scales 1); used by the fit and by the model loader. */
nnc_normalizer *nnc_normalizer_alloc(nnc_scaling kind, int n_inputs, int n_targets);

#endif /* NNC_DATA_H */

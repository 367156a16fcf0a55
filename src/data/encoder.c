/*
 * encoder.c - a table's columns as a network's inputs: missing values
 * filled, categories one-hot.
 *
 * The loader leaves a table as it found it: numbers, NaN where a cell was
 * missing, a level code per cell of a text column. What becomes of that is
 * learnt from the training part alone (a median, the categories and which
 * is most frequent), so nothing of the validation or test rows leaks into
 * the inputs, and the same encoder in the model treats a user's new file
 * exactly as it treated the training rows.
 */
#include "data/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most inputs an encoder may make: as many as a data set may have. */
#define MAX_OUTPUTS (1 << 24)

nnc_encoder *nnc_encoder_alloc(int n_columns)
{
    nnc_encoder *enc = nnc_alloc(1, sizeof *enc, 1);
    if (enc == NULL)
        return NULL;
    enc->columns = nnc_alloc((size_t)n_columns, sizeof *enc->columns, 1);
    if (enc->columns == NULL) {
        free(enc);
        return NULL;
    }
    enc->n_columns = n_columns;
    return enc;
}

void nnc_encoder_free(nnc_encoder *enc)
{
    if (enc == NULL)
        return;
    for (int j = 0; j < enc->n_columns; j++) {
        free(enc->columns[j].name);
        nnc_free_strings(enc->columns[j].categories, enc->columns[j].n_categories);
    }
    free(enc->columns);
    nnc_free_strings(enc->output_names, enc->n_outputs);
    free(enc);
}

/* "name", "name=category" or "name:missing" as a new string. */
static char *output_name(const char *name, const char *sep, const char *suffix)
{
    size_t n = strlen(name) + strlen(sep) + strlen(suffix) + 1;
    char *s = nnc_alloc(n, 1, 0);
    if (s != NULL)
        snprintf(s, n, "%s%s%s", name, sep, suffix);
    return s;
}

nnc_status nnc_encoder_finish(nnc_encoder *enc)
{
    long outputs = 0;
    for (int j = 0; j < enc->n_columns; j++) {
        const nnc_encoded_column *col = &enc->columns[j];
        if (col->kind == NNC_COLUMN_CATEGORICAL &&
            (col->n_categories < 1 || col->fill < 0 || col->fill >= col->n_categories))
            return nnc_fail(NNC_EINVAL, "encoder: column '%s' has %d categories and fills "
                                        "with number %d", col->name, col->n_categories,
                            col->fill + 1);
        if (col->kind == NNC_COLUMN_NUMERIC && (col->n_categories != 0 || !isfinite(col->median)))
            return nnc_fail(NNC_EINVAL, "encoder: numeric column '%s' has categories or a "
                                        "median that is not finite", col->name);
        outputs += (col->kind == NNC_COLUMN_CATEGORICAL ? col->n_categories : 1) +
                   (col->indicator != 0);
    }
    if (outputs > MAX_OUTPUTS)
        return nnc_fail(NNC_EINVAL, "encoder: %ld inputs; a data set may have %d", outputs,
                        MAX_OUTPUTS);
    enc->output_names = nnc_alloc((size_t)outputs, sizeof *enc->output_names, 1);
    if (enc->output_names == NULL)
        return NNC_ENOMEM;
    enc->n_outputs = (int)outputs;
    int at = 0;
    for (int j = 0; j < enc->n_columns; j++) {
        const nnc_encoded_column *col = &enc->columns[j];
        if (col->kind == NNC_COLUMN_NUMERIC)
            enc->output_names[at++] = output_name(col->name, "", "");
        for (int k = 0; col->kind == NNC_COLUMN_CATEGORICAL && k < col->n_categories; k++)
            enc->output_names[at++] = output_name(col->name, "=", col->categories[k]);
    }
    for (int j = 0; j < enc->n_columns; j++)
        if (enc->columns[j].indicator)
            enc->output_names[at++] = output_name(enc->columns[j].name, ":", "missing");
    for (int i = 0; i < at; i++)
        if (enc->output_names[i] == NULL)
            return NNC_ENOMEM;
    return NNC_OK;
}

/* ------------------------------------------------------------------ fit */

static int by_value(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Why a column cannot be fitted: it has no value to learn from. */
static nnc_status no_values(const nnc_dataset *data, int j)
{
    return nnc_fail(NNC_EFORMAT, "%s: column '%s' has no value in the %d rows it is fitted "
                                 "on (every cell is missing); drop it",
                    data->source ? data->source : "data", data->input_names[j], data->rows);
}

/* The median of the column's values, as NumPy's: the middle value, or the
 * mean of the two middle ones. */
static nnc_status fit_numeric(const nnc_dataset *data, int j, float *scratch,
                              nnc_encoded_column *col, int *missing)
{
    size_t n = 0, in = (size_t)data->n_inputs;
    for (int i = 0; i < data->rows; i++) {
        float v = data->x[(size_t)i * in + (size_t)j];
        if (isnan(v))
            (*missing)++;
        else
            scratch[n++] = v;
    }
    if (n == 0)
        return no_values(data, j);
    qsort(scratch, n, sizeof *scratch, by_value);
    col->median = n % 2 ? scratch[n / 2]
                        : (float)(((double)scratch[n / 2 - 1] + scratch[n / 2]) / 2.0);
    col->fill = -1;
    return NNC_OK;
}

/* The levels that occur in data, in the levels' (strcmp) order, and the
 * most frequent of them. */
static nnc_status fit_categorical(const nnc_dataset *data, int j, nnc_encoded_column *col,
                                  int *missing)
{
    const nnc_levels *levels = &data->levels[j];
    long *count = nnc_alloc((size_t)levels->n, sizeof *count, 1);
    if (count == NULL)
        return NNC_ENOMEM;
    size_t in = (size_t)data->n_inputs;
    for (int i = 0; i < data->rows; i++) {
        float v = data->x[(size_t)i * in + (size_t)j];
        if (isnan(v))
            (*missing)++;
        else if (v >= 0 && v < levels->n)
            count[(int)v]++;
    }
    int seen = 0, best = -1;
    for (int k = 0; k < levels->n; k++)
        if (count[k] > 0) {
            if (best < 0 || count[k] > count[best])
                best = k;
            seen++;
        }
    nnc_status st = seen > 0 ? NNC_OK : no_values(data, j);
    if (st == NNC_OK && (col->categories = nnc_alloc((size_t)seen, sizeof(char *), 1)) == NULL)
        st = NNC_ENOMEM;
    for (int k = 0; st == NNC_OK && k < levels->n; k++) {
        if (count[k] == 0)
            continue;
        if (k == best)
            col->fill = col->n_categories;
        if ((col->categories[col->n_categories] = nnc_strdup(levels->names[k])) == NULL)
            st = NNC_ENOMEM;
        else
            col->n_categories++;
    }
    col->median = NAN;
    free(count);
    return st;
}

nnc_status nnc_encoder_fit(const nnc_dataset *data, const nnc_encoder_options *options,
                           nnc_encoder **out)
{
    if (out != NULL)
        *out = NULL;
    if (data == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "encoder fit: NULL argument");
    if (data->x == NULL)
        return nnc_fail(NNC_EINVAL, "encoder fit: the data is images (bytes), not a table");
    nnc_encoder *enc = nnc_encoder_alloc(data->n_inputs);
    float *scratch = nnc_alloc((size_t)data->rows, sizeof *scratch, 0);
    nnc_status st = enc && scratch ? NNC_OK : NNC_ENOMEM;
    for (int j = 0; st == NNC_OK && j < data->n_inputs; j++) {
        nnc_encoded_column *col = &enc->columns[j];
        int missing = 0;
        if ((col->name = nnc_strdup(data->input_names[j])) == NULL) {
            st = NNC_ENOMEM;
            break;
        }
        col->kind = nnc_dataset_levels(data, j) > 0 ? NNC_COLUMN_CATEGORICAL : NNC_COLUMN_NUMERIC;
        st = col->kind == NNC_COLUMN_CATEGORICAL ? fit_categorical(data, j, col, &missing)
                                                 : fit_numeric(data, j, scratch, col, &missing);
        col->indicator = options != NULL && options->indicators && missing > 0;
    }
    free(scratch);
    if (st == NNC_OK)
        st = nnc_encoder_finish(enc);
    if (st != NNC_OK) {
        nnc_encoder_free(enc);
        return st;
    }
    *out = enc;
    return NNC_OK;
}

/* ---------------------------------------------------------------- apply */

/* The index of name among a column's categories (sorted), or -1. */
static int find_category(const nnc_encoded_column *col, const char *name)
{
    return nnc_find_string(col->categories, col->n_categories, name);
}

/* For each level code of data's column j, the encoder's category (-1: not
 * seen in training); NULL with n 0 when the column has no levels. */
static nnc_status map_levels(const nnc_encoded_column *col, const nnc_dataset *data, int j,
                             int **map)
{
    int n = nnc_dataset_levels(data, j);
    *map = nnc_alloc((size_t)(n > 0 ? n : 1), sizeof **map, 0);
    if (*map == NULL)
        return NNC_ENOMEM;
    for (int k = 0; k < n; k++)
        (*map)[k] = find_category(col, data->levels[j].names[k]);
    return NNC_OK;
}

/* Refuses a data set whose columns are not the encoder's. */
static nnc_status check_columns(const nnc_encoder *enc, const nnc_dataset *data)
{
    if (data->x == NULL)
        return nnc_fail(NNC_EINVAL, "encoder: the data is images (bytes), not a table");
    if (data->n_inputs != enc->n_columns)
        return nnc_fail(NNC_EINVAL, "encoder: the data has %d input columns, the encoder "
                                    "reads %d", data->n_inputs, enc->n_columns);
    for (int j = 0; j < enc->n_columns; j++) {
        const nnc_encoded_column *col = &enc->columns[j];
        if (strcmp(col->name, data->input_names[j]) != 0)
            return nnc_fail(NNC_EINVAL, "encoder: input %d is '%s', the encoder reads '%s'",
                            j + 1, data->input_names[j], col->name);
        if (col->kind == NNC_COLUMN_NUMERIC && nnc_dataset_levels(data, j) > 0)
            return nnc_fail(NNC_EINVAL, "encoder: column '%s' is categorical in the data, "
                                        "numeric in the encoder", col->name);
    }
    return NNC_OK;
}

/* "path:line:column: " (or "row N: ") for row i's cell of column j. */
static void cell_place(const nnc_dataset *data, int i, int j, char *buf, size_t size)
{
    if (data->lines != NULL && data->columns != NULL && data->source != NULL)
        snprintf(buf, size, "%s:%d:%d: ", data->source, data->lines[i], data->columns[j]);
    else
        snprintf(buf, size, "%s%srow %d: ", data->source ? data->source : "",
                 data->source ? ": " : "", i + 1);
}

static nnc_status unknown_category(const nnc_encoded_column *col, const nnc_dataset *data,
                                   int i, int j, const char *level)
{
    char place[512];
    cell_place(data, i, j, place, sizeof place);
    char known[256] = "";
    size_t used = 0;
    for (int k = 0; k < col->n_categories && used + 8 < sizeof known; k++) {
        int w = snprintf(known + used, sizeof known - used, "%s'%.40s'", k ? ", " : "",
                         col->categories[k]);
        if (w < 0 || (size_t)w >= sizeof known - used) {
            snprintf(known + used, sizeof known - used, ", ...");
            break;
        }
        used += (size_t)w;
    }
    return nnc_fail(NNC_EFORMAT, "%scolumn '%s': category '%.64s' was not seen in training "
                                 "(it knows %s)",
                    place, col->name, level, known);
}

/* Row i's column j into its inputs at out (and its indicator at flag). */
static nnc_status encode_cell(const nnc_encoded_column *col, const int *map,
                              const nnc_dataset *data, int i, int j,
                              nnc_unknown_policy unknown, float *out, float *flag,
                              nnc_encode_report *report)
{
    float v = data->x[(size_t)i * (size_t)data->n_inputs + (size_t)j];
    int missing = isnan(v);
    if (flag != NULL)
        *flag = missing ? 1.0f : 0.0f;
    report->imputed += missing;
    if (col->kind == NNC_COLUMN_NUMERIC) {
        *out = missing ? col->median : v;
        return NNC_OK;
    }
    memset(out, 0, (size_t)col->n_categories * sizeof *out);
    int k = col->fill;
    if (!missing) {
        char label[16];
        const char *level = label;
        if (nnc_dataset_levels(data, j) > 0) {
            level = data->levels[j].names[(int)v];
            k = map[(int)v];
        } else {   /* numbers where categories were expected: by their text */
            nnc_format_float(v == 0 ? 0.0f : v, label, sizeof label);
            k = find_category(col, label);
        }
        if (k < 0 && unknown == NNC_UNKNOWN_ERROR)
            return unknown_category(col, data, i, j, level);
        report->unknown += k < 0;
    }
    if (k >= 0)
        out[k] = 1.0f;
    return NNC_OK;
}

/* The encoded inputs of every row into x (rows x outputs). */
static nnc_status encode_rows(const nnc_encoder *enc, const nnc_dataset *data,
                              nnc_unknown_policy unknown, float *x, nnc_encode_report *report)
{
    int **maps = nnc_alloc((size_t)enc->n_columns, sizeof *maps, 1);
    nnc_status st = maps != NULL ? NNC_OK : NNC_ENOMEM;
    for (int j = 0; st == NNC_OK && j < enc->n_columns; j++)
        if (enc->columns[j].kind == NNC_COLUMN_CATEGORICAL)
            st = map_levels(&enc->columns[j], data, j, &maps[j]);
    for (int i = 0; st == NNC_OK && i < data->rows; i++) {
        float *row = x + (size_t)i * (size_t)enc->n_outputs;
        int at = 0, flags = enc->n_outputs;
        for (int j = 0; j < enc->n_columns; j++)
            flags -= enc->columns[j].indicator != 0;
        for (int j = 0; st == NNC_OK && j < enc->n_columns; j++) {
            const nnc_encoded_column *col = &enc->columns[j];
            st = encode_cell(col, maps[j], data, i, j, unknown, row + at,
                             col->indicator ? row + flags++ : NULL, report);
            at += col->kind == NNC_COLUMN_CATEGORICAL ? col->n_categories : 1;
        }
    }
    for (int j = 0; maps != NULL && j < enc->n_columns; j++)
        free(maps[j]);
    free(maps);
    return st;
}

/* The targets, names and classes of from onto to, which has its rows. */
static nnc_status copy_targets(nnc_dataset *to, const nnc_dataset *from)
{
    char *target = nnc_strdup(from->target_name);
    if (target == NULL)
        return NNC_ENOMEM;
    free(to->target_name);
    to->target_name = target;
    if (from->task == NNC_TASK_CLASSIFICATION)
        return nnc_dataset_set_classes(to, from->classes, from->n_classes,
                                       (const char *const *)from->class_labels);
    memcpy(to->y, from->y, (size_t)from->rows * (size_t)from->n_targets * sizeof *to->y);
    return NNC_OK;
}

nnc_status nnc_encoder_apply(const nnc_encoder *enc, const nnc_dataset *data,
                             nnc_unknown_policy unknown, nnc_dataset **out,
                             nnc_encode_report *report)
{
    if (out != NULL)
        *out = NULL;
    if (enc == NULL || data == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "encoder apply: NULL argument");
    nnc_encode_report counts = {0, 0};
    nnc_status st = check_columns(enc, data);
    if (st != NNC_OK)
        return st;
    int classify = data->task == NNC_TASK_CLASSIFICATION;
    nnc_dataset *encoded = nnc_dataset_new(data->rows, enc->n_outputs, data->n_targets, 0,
                                           !classify);
    if (encoded == NULL)
        return NNC_ENOMEM;
    /* A table of numbers only keeps its shape (--input-shape 1x8x8). */
    if (enc->n_outputs == data->n_inputs)
        encoded->shape = data->shape;
    st = encode_rows(enc, data, unknown, encoded->x, &counts);
    if (st == NNC_OK)
        st = nnc_dataset_set_input_names(encoded, (const char *const *)enc->output_names);
    if (st == NNC_OK)
        st = copy_targets(encoded, data);
    if (st == NNC_OK)
        st = nnc_dataset_copy_ids(encoded, data);
    if (st == NNC_OK)
        st = nnc_dataset_copy_texts(encoded, data);
    /* Where each row came from, for a message about its text cells. */
    if (st == NNC_OK && data->n_text > 0 && data->lines != NULL && data->source != NULL) {
        encoded->lines = nnc_alloc((size_t)data->rows, sizeof *encoded->lines, 0);
        encoded->source = nnc_strdup(data->source);
        if (encoded->lines == NULL || encoded->source == NULL)
            st = NNC_ENOMEM;
        else
            memcpy(encoded->lines, data->lines, (size_t)data->rows * sizeof *data->lines);
    }
    if (st != NNC_OK) {
        nnc_dataset_free(encoded);
        return st;
    }
    if (report != NULL)
        *report = counts;
    *out = encoded;
    return NNC_OK;
}

/* ------------------------------------------------------------- accessors */

static const nnc_encoded_column *column(const nnc_encoder *enc, int j)
{
    return enc != NULL && j >= 0 && j < enc->n_columns ? &enc->columns[j] : NULL;
}

int nnc_encoder_columns(const nnc_encoder *enc) { return enc ? enc->n_columns : 0; }

const char *nnc_encoder_column_name(const nnc_encoder *enc, int j)
{
    const nnc_encoded_column *col = column(enc, j);
    return col ? col->name : NULL;
}

nnc_column_kind nnc_encoder_column_kind(const nnc_encoder *enc, int j)
{
    const nnc_encoded_column *col = column(enc, j);
    return col ? col->kind : NNC_COLUMN_NUMERIC;
}

int nnc_encoder_has_indicator(const nnc_encoder *enc, int j)
{
    const nnc_encoded_column *col = column(enc, j);
    return col ? col->indicator : 0;
}

float nnc_encoder_median(const nnc_encoder *enc, int j)
{
    const nnc_encoded_column *col = column(enc, j);
    return col && col->kind == NNC_COLUMN_NUMERIC ? col->median : NAN;
}

int nnc_encoder_categories(const nnc_encoder *enc, int j)
{
    const nnc_encoded_column *col = column(enc, j);
    return col ? col->n_categories : 0;
}

const char *nnc_encoder_category(const nnc_encoder *enc, int j, int k)
{
    const nnc_encoded_column *col = column(enc, j);
    return col && k >= 0 && k < col->n_categories ? col->categories[k] : NULL;
}

int nnc_encoder_fill_category(const nnc_encoder *enc, int j)
{
    const nnc_encoded_column *col = column(enc, j);
    return col && col->kind == NNC_COLUMN_CATEGORICAL ? col->fill : -1;
}

int nnc_encoder_outputs(const nnc_encoder *enc) { return enc ? enc->n_outputs : 0; }

const char *nnc_encoder_output_name(const nnc_encoder *enc, int i)
{
    return enc != NULL && i >= 0 && i < enc->n_outputs ? enc->output_names[i] : NULL;
}

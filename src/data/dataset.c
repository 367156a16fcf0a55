/*
 * dataset.c - instances and targets held in memory, one row each.
 *
 * Inputs are floats, or bytes for images (Fashion-MNIST as floats would take
 * four times the memory); nnc_dataset_gather turns any rows into the float
 * batch a network eats. Classification sets keep each row's class index and
 * the class names, so predictions can come back as labels, and nothing else
 * per row: the 0/1 or one-hot targets a network trains on are made a batch
 * at a time, so a set of many classes costs an int per row, not a float per
 * row and class (65,536 rows of 65,536 classes would be 16 GiB).
 */
#include "data/data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds that keep every size product of a data set well inside size_t. */
#define MAX_COLUMNS (1 << 24)

int nnc_targets_for_classes(int n_classes)
{
    return n_classes == 2 ? 1 : n_classes;
}

static char **numbered_names(const char *prefix, int n)
{
    char **names = nnc_alloc((size_t)n, sizeof *names, 1);
    for (int i = 0; names != NULL && i < n; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s%d", prefix, i);
        names[i] = nnc_strdup(buf);
        if (names[i] == NULL) {
            nnc_free_strings(names, i);
            names = NULL;
        }
    }
    return names;
}

/* Refuses (with a message) a shape no data set may have. */
static int bad_shape(int rows, int n_inputs, int n_targets)
{
    /* No inputs at all is a table of text columns alone, whose inputs the
     * bag of words makes; nothing trains on it as it is. */
    if (rows >= 1 && n_inputs >= 0 && n_targets >= 1 && n_inputs <= MAX_COLUMNS &&
        n_targets <= MAX_COLUMNS)
        return 0;
    nnc_fail(NNC_EINVAL,
             "dataset: rows must be >= 1, inputs from 0 and targets from 1 to %d, got %d, %d, %d",
             MAX_COLUMNS, rows, n_inputs, n_targets);
    return 1;
}

nnc_dataset *nnc_dataset_adopt(int rows, int n_inputs, int n_targets, float *x,
                               unsigned char *bytes, float *y, const char *const *names)
{
    nnc_dataset *data = NULL;
    if ((x == NULL) == (bytes == NULL))
        nnc_fail(NNC_EINVAL, "dataset: inputs must be floats or bytes");
    else if (!bad_shape(rows, n_inputs, n_targets))
        data = nnc_alloc(1, sizeof *data, 1);
    if (data == NULL) {
        free(x);
        free(bytes);
        free(y);
        return NULL;
    }
    data->rows = rows;
    data->n_inputs = n_inputs;
    data->shape = (nnc_shape){ n_inputs, 1, 1 };   /* a plain vector until told otherwise */
    data->n_targets = n_targets;
    data->task = NNC_TASK_REGRESSION;
    data->byte_scale = 1.0f / 255.0f;
    data->x = x;
    data->bytes = bytes;
    data->y = y;
    data->input_names = names ? nnc_copy_strings(names, n_inputs) : numbered_names("x", n_inputs);
    data->target_name = nnc_strdup("y");
    if (data->input_names == NULL || data->target_name == NULL) {
        nnc_dataset_free(data);
        return NULL;
    }
    return data;
}

nnc_dataset *nnc_dataset_alloc(int rows, int n_inputs, int n_targets, int use_bytes)
{
    return nnc_dataset_new(rows, n_inputs, n_targets, use_bytes, 1);
}

/* nnc_dataset_alloc, with the block of float targets only when with_y: a
 * set that is to get classes next has none. */
nnc_dataset *nnc_dataset_new(int rows, int n_inputs, int n_targets, int use_bytes, int with_y)
{
    size_t nx = 0, ny = 0;
    if (bad_shape(rows, n_inputs, n_targets) ||
        nnc_mul_overflows((size_t)rows, (size_t)n_inputs, &nx) ||
        nnc_mul_overflows((size_t)rows, (size_t)n_targets, &ny))
        return NULL;
    unsigned char *bytes = use_bytes ? nnc_alloc(nx, 1, 0) : NULL;
    float *x = use_bytes ? NULL : nnc_alloc(nx, sizeof(float), 0);
    float *y = with_y ? nnc_alloc(ny, sizeof(float), 1) : NULL;
    if ((bytes == NULL && x == NULL) || (with_y && y == NULL)) {
        free(bytes);
        free(x);
        free(y);
        return NULL;
    }
    return nnc_dataset_adopt(rows, n_inputs, n_targets, x, bytes, y, NULL);
}

void nnc_dataset_free(nnc_dataset *data)
{
    if (data == NULL)
        return;
    nnc_free_strings(data->class_labels, data->n_classes);
    nnc_free_strings(data->input_names, data->n_inputs);
    free(data->target_name);
    free(data->x);
    free(data->bytes);
    free(data->y);
    free(data->classes);
    nnc_levels_free(data->levels, data->n_inputs);
    free(data->lines);
    free(data->columns);
    free(data->source);
    free(data->id_text);
    free(data->id_at);
    nnc_free_strings(data->text_names, data->n_text);
    free(data->text_columns);
    free(data->text_buf);
    free(data->text_at);
    free(data->sparse_start);
    free(data->sparse_index);
    free(data->sparse_value);
    free(data);
}

/* strings[0..n) one after another, NUL-terminated, into a new *buf, and
 * where each starts into a new *at: how ids and text cells are kept, two
 * blocks instead of a string each. */
static nnc_status pack_strings(const char *const *strings, size_t n, char **buf, size_t **at)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(strings[i]) + 1;   /* within the file's bytes: no overflow */
    *buf = nnc_alloc(total, 1, 0);
    *at = nnc_alloc(n, sizeof **at, 0);
    if (*buf == NULL || *at == NULL) {
        free(*buf);
        free(*at);
        return NNC_ENOMEM;
    }
    for (size_t i = 0, used = 0; i < n; i++) {
        size_t len = strlen(strings[i]) + 1;
        memcpy(*buf + used, strings[i], len);
        (*at)[i] = used;
        used += len;
    }
    return NNC_OK;
}

nnc_status nnc_dataset_set_texts(nnc_dataset *data, int n, const char *const *names,
                                 const int *columns, const char *const *texts)
{
    char *buf;
    size_t *at;
    if (pack_strings(texts, (size_t)data->rows * (size_t)n, &buf, &at) != NNC_OK)
        return NNC_ENOMEM;
    int *cols = nnc_alloc((size_t)n, sizeof *cols, 1);
    char **copies = nnc_copy_strings(names, n);
    if (cols == NULL || copies == NULL) {
        free(buf);
        free(at);
        free(cols);
        nnc_free_strings(copies, n);
        return NNC_ENOMEM;
    }
    for (int t = 0; columns != NULL && t < n; t++)
        cols[t] = columns[t];
    nnc_free_strings(data->text_names, data->n_text);
    free(data->text_columns);
    free(data->text_buf);
    free(data->text_at);
    data->n_text = n;
    data->text_names = copies;
    data->text_columns = cols;
    data->text_buf = buf;
    data->text_at = at;
    return NNC_OK;
}

int nnc_dataset_text_columns(const nnc_dataset *data) { return data ? data->n_text : 0; }

const char *nnc_dataset_text_name(const nnc_dataset *data, int t)
{
    return data && t >= 0 && t < data->n_text ? data->text_names[t] : NULL;
}

const char *nnc_dataset_text(const nnc_dataset *data, int i, int t)
{
    if (data == NULL || t < 0 || t >= data->n_text || i < 0 || i >= data->rows)
        return NULL;
    return data->text_buf + data->text_at[(size_t)i * (size_t)data->n_text + (size_t)t];
}

/* The text cells of rows index[0..n) (NULL: the first n) of from onto to. */
static nnc_status copy_texts(nnc_dataset *to, const nnc_dataset *from, const size_t *index,
                             int n)
{
    if (from->n_text == 0)
        return NNC_OK;
    size_t k = (size_t)from->n_text;
    const char **texts = nnc_alloc((size_t)n, k * sizeof *texts, 0);
    if (texts == NULL)
        return NNC_ENOMEM;
    for (int i = 0; i < n; i++) {
        size_t r = index ? index[i] : (size_t)i;
        for (size_t t = 0; t < k; t++)
            texts[(size_t)i * k + t] = from->text_buf + from->text_at[r * k + t];
    }
    nnc_status st = nnc_dataset_set_texts(to, from->n_text,
                                          (const char *const *)from->text_names,
                                          from->text_columns, texts);
    free(texts);
    return st;
}

nnc_status nnc_dataset_copy_texts(nnc_dataset *to, const nnc_dataset *from)
{
    return copy_texts(to, from, NULL, from->rows);
}

nnc_status nnc_dataset_set_ids(nnc_dataset *data, const char *const *ids)
{
    char *text;
    size_t *at;
    if (pack_strings(ids, (size_t)data->rows, &text, &at) != NNC_OK)
        return NNC_ENOMEM;
    free(data->id_text);
    free(data->id_at);
    data->id_text = text;
    data->id_at = at;
    return NNC_OK;
}

const char *nnc_dataset_id(const nnc_dataset *data, int i)
{
    if (data == NULL || data->id_at == NULL || i < 0 || i >= data->rows)
        return NULL;
    return data->id_text + data->id_at[i];
}

/* The ids of rows index[0..n) of from onto to (n rows). */
static nnc_status copy_ids(nnc_dataset *to, const nnc_dataset *from, const size_t *index, int n)
{
    if (from->id_at == NULL)
        return NNC_OK;
    const char **ids = nnc_alloc((size_t)n, sizeof *ids, 0);
    if (ids == NULL)
        return NNC_ENOMEM;
    for (int i = 0; i < n; i++)
        ids[i] = from->id_text + from->id_at[index ? index[i] : (size_t)i];
    nnc_status st = nnc_dataset_set_ids(to, ids);
    free(ids);
    return st;
}

nnc_status nnc_dataset_copy_ids(nnc_dataset *to, const nnc_dataset *from)
{
    return copy_ids(to, from, NULL, from->rows);
}

void nnc_levels_free(nnc_levels *levels, int n_inputs)
{
    for (int j = 0; levels != NULL && j < n_inputs; j++)
        nnc_free_strings(levels[j].names, levels[j].n);
    free(levels);
}

nnc_status nnc_dataset_copy_table(nnc_dataset *to, const nnc_dataset *from)
{
    int n = from->n_inputs;
    if (from->levels != NULL) {
        to->levels = nnc_alloc((size_t)n, sizeof *to->levels, 1);
        if (to->levels == NULL)
            return NNC_ENOMEM;
        for (int j = 0; j < n; j++) {
            const nnc_levels *l = &from->levels[j];
            if (l->n == 0)
                continue;
            if ((to->levels[j].names = nnc_copy_strings((const char *const *)l->names, l->n)) ==
                NULL)
                return NNC_ENOMEM;
            to->levels[j].n = l->n;
        }
    }
    if (from->columns != NULL) {
        if ((to->columns = nnc_alloc((size_t)n, sizeof *to->columns, 0)) == NULL)
            return NNC_ENOMEM;
        memcpy(to->columns, from->columns, (size_t)n * sizeof *to->columns);
    }
    if (from->source != NULL && (to->source = nnc_strdup(from->source)) == NULL)
        return NNC_ENOMEM;
    return NNC_OK;
}

int nnc_dataset_levels(const nnc_dataset *data, int j)
{
    if (data == NULL || data->levels == NULL || j < 0 || j >= data->n_inputs)
        return 0;
    return data->levels[j].n;
}

const char *nnc_dataset_level(const nnc_dataset *data, int j, int k)
{
    if (k < 0 || k >= nnc_dataset_levels(data, j))
        return NULL;
    return data->levels[j].names[k];
}

int nnc_dataset_row_line(const nnc_dataset *data, int i)
{
    if (data == NULL || data->lines == NULL || i < 0 || i >= data->rows)
        return 0;
    return data->lines[i];
}

int nnc_dataset_left_out(const nnc_dataset *data)
{
    return data ? data->left_out : 0;
}

nnc_status nnc_dataset_set_input_names(nnc_dataset *data, const char *const *names)
{
    if (data == NULL || names == NULL)
        return nnc_fail(NNC_EINVAL, "dataset names: NULL argument");
    char **copy = nnc_copy_strings(names, data->n_inputs);
    if (copy == NULL)
        return NNC_ENOMEM;
    nnc_free_strings(data->input_names, data->n_inputs);
    data->input_names = copy;
    return NNC_OK;
}

static int by_name_then_index(const void *a, const void *b)
{
    const nnc_named *p = a, *q = b;
    int c = strcmp(p->name, q->name);
    return c != 0 ? c : (p->index > q->index) - (p->index < q->index);
}

nnc_named *nnc_sort_names(const char *const *names, int n)
{
    nnc_named *sorted = nnc_alloc((size_t)n, sizeof *sorted, 0);
    for (int i = 0; sorted != NULL && i < n; i++)
        sorted[i] = (nnc_named){names[i], i};
    if (sorted != NULL)
        qsort(sorted, (size_t)n, sizeof *sorted, by_name_then_index);
    return sorted;
}

/* Class names must tell the classes apart (a model's predictions name them,
 * and CSV columns such as "p_<label>" would repeat): none may be NULL or
 * empty, none given twice. A repeat is reported where the list first
 * repeats itself; sorting finds it in n log n, so the many classes a set may
 * have cost no quadratic check. */
nnc_status nnc_check_labels(const char *what, const char *const *labels, int n)
{
    for (int i = 0; i < n; i++)
        if (labels[i] == NULL || labels[i][0] == '\0')
            return nnc_fail(NNC_EINVAL, "%s: name %d is empty", what, i + 1);
    nnc_named *sorted = nnc_sort_names(labels, n);
    if (sorted == NULL)
        return NNC_ENOMEM;
    int repeat = -1;   /* the index of the earliest repeat in list order */
    for (int i = 1; i < n; i++)
        if (strcmp(sorted[i - 1].name, sorted[i].name) == 0 &&
            (i < 2 || strcmp(sorted[i - 2].name, sorted[i].name) != 0) &&
            (repeat < 0 || sorted[i].index < repeat))
            repeat = sorted[i].index;
    free(sorted);
    if (repeat >= 0)
        return nnc_fail(NNC_EINVAL, "%s: '%s' is given twice", what, labels[repeat]);
    return NNC_OK;
}

static nnc_status check_class_count(int n_classes)
{
    if (n_classes < 2 || n_classes > NNC_MAX_CLASSES)
        return nnc_fail(NNC_EINVAL, "dataset: a classification needs 2 to %d classes, got %d",
                        NNC_MAX_CLASSES, n_classes);
    return NNC_OK;
}

nnc_status nnc_dataset_take_classes(nnc_dataset *data, int *classes, int n_classes,
                                    char **labels)
{
    nnc_status st = NNC_OK;
    if (data == NULL || classes == NULL)
        st = nnc_fail(NNC_EINVAL, "dataset classes: NULL argument");
    if (st == NNC_OK)
        st = check_class_count(n_classes);
    if (st == NNC_OK && data->n_targets != nnc_targets_for_classes(n_classes))
        st = nnc_fail(NNC_EINVAL, "dataset: %d classes need %d target columns, not %d",
                      n_classes, nnc_targets_for_classes(n_classes), data->n_targets);
    for (int i = 0; st == NNC_OK && i < data->rows; i++)
        if (classes[i] < 0 || classes[i] >= n_classes)
            st = nnc_fail(NNC_EINVAL, "dataset: row %d has class %d, outside 0..%d", i,
                          classes[i], n_classes - 1);
    if (st == NNC_OK && labels == NULL && (labels = numbered_names("", n_classes)) == NULL)
        st = NNC_ENOMEM;
    if (st == NNC_OK)
        st = nnc_check_labels("class labels", (const char *const *)labels, n_classes);
    if (st != NNC_OK) {
        free(classes);
        nnc_free_strings(labels, n_classes > 0 ? n_classes : 0);
        return st;
    }
    free(data->classes);
    nnc_free_strings(data->class_labels, data->n_classes);
    free(data->y);   /* gathered from the classes from now on */
    data->y = NULL;
    data->classes = classes;
    data->class_labels = labels;
    data->n_classes = n_classes;
    data->task = NNC_TASK_CLASSIFICATION;
    return NNC_OK;
}

nnc_status nnc_dataset_set_classes(nnc_dataset *data, const int *classes, int n_classes,
                                   const char *const *labels)
{
    if (data == NULL || classes == NULL)
        return nnc_fail(NNC_EINVAL, "dataset classes: NULL argument");
    nnc_status st = check_class_count(n_classes);
    for (int i = 0; st == NNC_OK && labels != NULL && i < n_classes; i++)
        if (labels[i] == NULL)
            st = nnc_fail(NNC_EINVAL, "class labels: name %d is empty", i + 1);
    if (st != NNC_OK)
        return st;
    int *copy = nnc_alloc((size_t)data->rows, sizeof *copy, 0);
    char **names = labels != NULL ? nnc_copy_strings(labels, n_classes) : NULL;
    if (copy == NULL || (labels != NULL && names == NULL)) {
        free(copy);
        nnc_free_strings(names, n_classes);
        return NNC_ENOMEM;
    }
    memcpy(copy, classes, (size_t)data->rows * sizeof *copy);
    return nnc_dataset_take_classes(data, copy, n_classes, names);
}

nnc_dataset *nnc_dataset_from_arrays(const float *x, const float *y, int rows,
                                     int n_inputs, int n_targets)
{
    if (x == NULL || y == NULL) {
        nnc_fail(NNC_EINVAL, "dataset: NULL array");
        return NULL;
    }
    nnc_dataset *data = nnc_dataset_alloc(rows, n_inputs, n_targets, 0);
    if (data == NULL)
        return NULL;
    memcpy(data->x, x, (size_t)rows * (size_t)n_inputs * sizeof(float));
    memcpy(data->y, y, (size_t)rows * (size_t)n_targets * sizeof(float));
    return data;
}

nnc_dataset *nnc_dataset_from_classes(const float *x, const int *classes, int rows,
                                      int n_inputs, int n_classes,
                                      const char *const *labels)
{
    if (x == NULL || classes == NULL) {
        nnc_fail(NNC_EINVAL, "dataset: NULL array");
        return NULL;
    }
    if (n_classes < 2) {
        nnc_fail(NNC_EINVAL, "dataset: a classification needs at least 2 classes, got %d",
                 n_classes);
        return NULL;
    }
    if (check_class_count(n_classes) != NNC_OK)
        return NULL;
    nnc_dataset *data =
        nnc_dataset_new(rows, n_inputs, nnc_targets_for_classes(n_classes), 0, 0);
    if (data == NULL)
        return NULL;
    memcpy(data->x, x, (size_t)rows * (size_t)n_inputs * sizeof(float));
    if (nnc_dataset_set_classes(data, classes, n_classes, labels) != NNC_OK) {
        nnc_dataset_free(data);
        return NULL;
    }
    return data;
}

nnc_status nnc_dataset_set_class_labels(nnc_dataset *data, const char *const *labels, int n)
{
    if (data == NULL || labels == NULL)
        return nnc_fail(NNC_EINVAL, "class labels: NULL argument");
    if (data->task != NNC_TASK_CLASSIFICATION || n != data->n_classes)
        return nnc_fail(NNC_EINVAL, "class labels: %d names given, the data has %d classes", n,
                        data->n_classes);
    nnc_status st = nnc_check_labels("class labels", labels, n);
    if (st != NNC_OK)
        return st;
    char **copy = nnc_copy_strings(labels, n);
    if (copy == NULL)
        return NNC_ENOMEM;
    nnc_free_strings(data->class_labels, data->n_classes);
    data->class_labels = copy;
    return NNC_OK;
}

int nnc_dataset_rows(const nnc_dataset *data) { return data ? data->rows : 0; }
int nnc_dataset_inputs(const nnc_dataset *data) { return data ? data->n_inputs : 0; }
int nnc_dataset_targets(const nnc_dataset *data) { return data ? data->n_targets : 0; }
nnc_task nnc_dataset_task(const nnc_dataset *data) { return data ? data->task : NNC_TASK_AUTO; }
int nnc_dataset_classes(const nnc_dataset *data) { return data ? data->n_classes : 0; }

const char *nnc_dataset_class_label(const nnc_dataset *data, int k)
{
    if (data == NULL || k < 0 || k >= data->n_classes)
        return NULL;
    return data->class_labels[k];
}

const char *nnc_dataset_input_name(const nnc_dataset *data, int j)
{
    if (data == NULL || j < 0 || j >= data->n_inputs)
        return NULL;
    return data->input_names[j];
}

const char *nnc_dataset_target_name(const nnc_dataset *data)
{
    return data ? data->target_name : NULL;
}

nnc_shape nnc_dataset_shape(const nnc_dataset *data)
{
    return data ? data->shape : (nnc_shape){ 0, 0, 0 };
}

nnc_status nnc_dataset_set_shape(nnc_dataset *data, nnc_shape shape)
{
    if (data == NULL)
        return nnc_fail(NNC_EINVAL, "dataset shape: NULL data");
    char text[48];
    nnc_shape_format(shape, text, sizeof text);
    int size = nnc_shape_size(shape);
    if (size == 0)
        return nnc_fail(NNC_EINVAL,
                        "dataset shape: %s is not a shape (dimensions from 1, at most %d "
                        "values)", text, NNC_MAX_SHAPE_VALUES);
    /* Only the reading of a row changes, never its values: the product
     * must be exactly the row. */
    if (size != data->n_inputs)
        return nnc_fail(NNC_EINVAL, "dataset shape: %s holds %d values, but the data has %d "
                                    "inputs", text, size, data->n_inputs);
    data->shape = shape;
    return NNC_OK;
}

int nnc_dataset_class_of(const nnc_dataset *data, int i)
{
    if (data == NULL || data->classes == NULL || i < 0 || i >= data->rows)
        return -1;
    return data->classes[i];
}

/* Row r's targets as a network trains on them, into y: the stored floats of
 * a regression; for classes one 0/1 value (two classes) or a one-hot row,
 * made here because a set keeps only the class index. */
static void encode_row(const nnc_dataset *data, size_t r, float *y)
{
    size_t t = (size_t)data->n_targets;
    if (data->y != NULL) {
        memcpy(y, data->y + r * t, t * sizeof *y);
    } else if (t == 1) {
        y[0] = (float)data->classes[r];
    } else {
        memset(y, 0, t * sizeof *y);
        y[data->classes[r]] = 1.0f;
    }
}

const float *nnc_dataset_batch_targets(const nnc_dataset *data, size_t first, int n, float *buf)
{
    if (data->y != NULL)
        return data->y + first * (size_t)data->n_targets;
    for (int i = 0; i < n; i++)
        encode_row(data, first + (size_t)i, buf + (size_t)i * (size_t)data->n_targets);
    return buf;
}

/* How many rows ahead nnc_dataset_gather asks for the bytes of a shuffled row. */
#define GATHER_AHEAD 4

nnc_status nnc_dataset_gather(const nnc_dataset *data, const size_t *index, int n,
                              float *x, float *y)
{
    if (data == NULL || index == NULL)
        return nnc_fail(NNC_EINVAL, "gather: NULL argument");
    if (x != NULL && data->sparse_start != NULL)
        return nnc_fail(NNC_EINVAL, "gather: the set's rows are sparse (a bag of words): "
                                    "gather them with nnc_sparse_batch_gather");
    size_t in = (size_t)data->n_inputs, out = (size_t)data->n_targets;
    const float scale = data->byte_scale;
    for (int i = 0; i < n; i++) {
        size_t r = index[i];
        if (r >= (size_t)data->rows)
            return nnc_fail(NNC_EINVAL, "gather: row %zu of %d", r, data->rows);
        if (x != NULL && data->bytes != NULL) {
            /* Shuffled rows are cache misses one after the other; asking for
             * a row a few ahead while this one converts hides most of the
             * wait (the gather was a tenth of an MLP's step at batch 256). */
            if (i + GATHER_AHEAD < n && index[i + GATHER_AHEAD] < (size_t)data->rows) {
                const char *next = (const char *)data->bytes + index[i + GATHER_AHEAD] * in;
                for (size_t off = 0; off < in; off += 64)
                    __builtin_prefetch(next + off);
            }
            const unsigned char *src = data->bytes + r * in;
            float *dst = x + (size_t)i * in;
            for (size_t j = 0; j < in; j++)
                dst[j] = src[j] * scale;
        } else if (x != NULL) {
            memcpy(x + (size_t)i * in, data->x + r * in, in * sizeof *x);
        }
        if (y != NULL)
            encode_row(data, r, y + (size_t)i * out);
    }
    return NNC_OK;
}

nnc_dataset *nnc_dataset_subset(const nnc_dataset *data, const size_t *index, int n)
{
    if (data == NULL || index == NULL) {
        nnc_fail(NNC_EINVAL, "subset: NULL argument");
        return NULL;
    }
    if (data->sparse_start != NULL) {
        nnc_fail(NNC_EINVAL, "subset: a vectorised set is split before its bag of words");
        return NULL;
    }
    int classified = data->task == NNC_TASK_CLASSIFICATION;
    nnc_dataset *sub = nnc_dataset_new(n, data->n_inputs, data->n_targets, data->bytes != NULL,
                                       !classified);
    if (sub == NULL)
        return NULL;
    sub->byte_scale = data->byte_scale;
    sub->shape = data->shape;   /* so splits and model copies keep it */
    size_t in = (size_t)data->n_inputs, out = (size_t)data->n_targets;
    nnc_status st = nnc_dataset_set_input_names(sub, (const char *const *)data->input_names);
    char *target = nnc_strdup(data->target_name);
    if (target == NULL)
        st = NNC_ENOMEM;
    free(sub->target_name);
    sub->target_name = target;
    if (st == NNC_OK)
        st = nnc_dataset_copy_table(sub, data);
    for (int i = 0; st == NNC_OK && i < n; i++)
        if (index[i] >= (size_t)data->rows)
            st = nnc_fail(NNC_EINVAL, "subset: row %zu of %d", index[i], data->rows);
    if (st == NNC_OK)
        st = copy_ids(sub, data, index, n);
    if (st == NNC_OK)
        st = copy_texts(sub, data, index, n);
    if (st == NNC_OK && data->lines != NULL &&
        (sub->lines = nnc_alloc((size_t)n, sizeof *sub->lines, 0)) == NULL)
        st = NNC_ENOMEM;
    int *classes = NULL;
    if (st == NNC_OK && classified && (classes = nnc_alloc((size_t)n, sizeof *classes, 0)) == NULL)
        st = NNC_ENOMEM;
    for (int i = 0; st == NNC_OK && i < n; i++) {
        size_t r = index[i];
        if (r >= (size_t)data->rows) {
            st = nnc_fail(NNC_EINVAL, "subset: row %zu of %d", r, data->rows);
            break;
        }
        if (data->bytes)
            memcpy(sub->bytes + (size_t)i * in, data->bytes + r * in, in);
        else
            memcpy(sub->x + (size_t)i * in, data->x + r * in, in * sizeof(float));
        if (sub->lines != NULL)
            sub->lines[i] = data->lines[r];
        if (classified)
            classes[i] = data->classes[r];
        else
            memcpy(sub->y + (size_t)i * out, data->y + r * out, out * sizeof(float));
    }
    if (st == NNC_OK && classified) {
        char **labels = nnc_copy_strings((const char *const *)data->class_labels,
                                         data->n_classes);
        if (labels == NULL) {
            st = NNC_ENOMEM;
        } else {
            st = nnc_dataset_take_classes(sub, classes, data->n_classes, labels);
            classes = NULL;   /* taken, or freed by the refusal */
        }
    }
    free(classes);
    if (st != NNC_OK) {
        nnc_dataset_free(sub);
        return NULL;
    }
    return sub;
}

nnc_dataset *nnc_dataset_copy(const nnc_dataset *data)
{
    size_t *all = nnc_alloc((size_t)data->rows, sizeof *all, 0);
    if (all == NULL)
        return NULL;
    for (size_t i = 0; i < (size_t)data->rows; i++)
        all[i] = i;
    nnc_dataset *copy = nnc_dataset_subset(data, all, data->rows);
    free(all);
    return copy;
}

/* Moves the rows of each class together (keeping their shuffled order) and
 * deals every class's share of the part out first, so both sides keep the
 * class proportions. For regression the shuffled order is used as it is.
 * Linear in rows + classes: each class's share gets its own stretch of the
 * output, filled in one pass over the rows (a pass per class would cost
 * rows x classes, 4 billion steps for 65,536 rows of as many classes). */
static int stratify(const nnc_dataset *data, size_t *order, size_t n_part)
{
    size_t rows = (size_t)data->rows, k = (size_t)data->n_classes;
    size_t *sorted = nnc_alloc(rows, sizeof *sorted, 0);
    size_t *count = nnc_alloc(k, sizeof *count, 1);
    size_t *next = nnc_alloc(k, sizeof *next, 0);   /* where class c's next row goes */
    size_t *end = nnc_alloc(k, sizeof *end, 0);     /* and where its share ends */
    int ok = sorted && count && next && end;
    for (size_t i = 0; ok && i < rows; i++)
        count[data->classes[order[i]]]++;
    /* Part first: for each class, its rounded share of n_part, then the rest. */
    size_t taken = 0;
    for (size_t c = 0; ok && c < k; c++) {
        size_t share = (size_t)((double)count[c] * n_part / rows + 0.5);
        if (taken + share > n_part)
            share = n_part - taken;
        next[c] = taken;
        taken += share;
        end[c] = taken;
    }
    for (size_t i = 0; ok && i < rows; i++) {
        size_t c = (size_t)data->classes[order[i]];
        if (next[c] < end[c]) {
            sorted[next[c]++] = order[i];
            order[i] = SIZE_MAX;
        }
    }
    /* Rounding may leave the part short: top it up from whatever is left. */
    size_t out = taken;
    for (size_t i = 0; ok && i < rows && out < n_part; i++)
        if (order[i] != SIZE_MAX) {
            sorted[out++] = order[i];
            order[i] = SIZE_MAX;
        }
    for (size_t i = 0; ok && i < rows; i++)
        if (order[i] != SIZE_MAX)
            sorted[out++] = order[i];
    if (ok)
        memcpy(order, sorted, rows * sizeof *order);
    free(sorted);
    free(count);
    free(next);
    free(end);
    return ok ? 0 : -1;
}

nnc_status nnc_dataset_folds(const nnc_dataset *data, int k, nnc_rng *rng, int *fold)
{
    if (data == NULL || rng == NULL || fold == NULL)
        return nnc_fail(NNC_EINVAL, "folds: NULL argument");
    if (k < 2 || k > data->rows)
        return nnc_fail(NNC_EINVAL, "folds: %d folds of %d rows; there must be 2 to %d", k,
                        data->rows, data->rows);
    size_t rows = (size_t)data->rows;
    size_t *order = nnc_alloc(rows, sizeof *order, 0);
    size_t *sorted = NULL, *start = NULL;
    if (order == NULL)
        return NNC_ENOMEM;
    nnc_rng_permutation(rng, order, rows);
    if (data->task == NNC_TASK_CLASSIFICATION) {
        /* The shuffled rows grouped by class, each class in its shuffled
         * order (a counting sort), so dealing them out spreads every class
         * over the folds as evenly as its count allows. */
        size_t classes = (size_t)data->n_classes;
        sorted = nnc_alloc(rows, sizeof *sorted, 0);
        start = nnc_alloc(classes + 1, sizeof *start, 1);
        if (sorted == NULL || start == NULL) {
            free(order);
            free(sorted);
            free(start);
            return NNC_ENOMEM;
        }
        for (size_t i = 0; i < rows; i++)
            start[data->classes[i] + 1]++;
        for (size_t c = 0; c < classes; c++)
            start[c + 1] += start[c];
        for (size_t i = 0; i < rows; i++)
            sorted[start[data->classes[order[i]]]++] = order[i];
        memcpy(order, sorted, rows * sizeof *order);
    }
    for (size_t i = 0; i < rows; i++)
        fold[order[i]] = (int)(i % (size_t)k);
    free(order);
    free(sorted);
    free(start);
    return NNC_OK;
}

nnc_status nnc_dataset_split(const nnc_dataset *data, double fraction, nnc_rng *rng,
                             nnc_dataset **rest, nnc_dataset **part)
{
    if (data == NULL || rng == NULL || rest == NULL || part == NULL)
        return nnc_fail(NNC_EINVAL, "split: NULL argument");
    *rest = *part = NULL;
    if (!(fraction > 0.0 && fraction < 1.0))
        return nnc_fail(NNC_EINVAL, "split: the fraction must be between 0 and 1, got %g",
                        fraction);
    size_t rows = (size_t)data->rows;
    size_t n_part = (size_t)(fraction * (double)rows + 0.5);
    if (n_part < 1 || n_part >= rows)
        return nnc_fail(NNC_EINVAL,
                        "split: %g of %zu rows leaves one side empty; more data is needed",
                        fraction, rows);
    size_t *order = nnc_alloc(rows, sizeof *order, 0);
    if (order == NULL)
        return NNC_ENOMEM;
    nnc_rng_permutation(rng, order, rows);
    if (data->task == NNC_TASK_CLASSIFICATION && stratify(data, order, n_part) != 0) {
        free(order);
        return NNC_ENOMEM;
    }
    *part = nnc_dataset_subset(data, order, (int)n_part);
    *rest = *part ? nnc_dataset_subset(data, order + n_part, (int)(rows - n_part)) : NULL;
    free(order);
    if (*rest == NULL) {
        nnc_dataset_free(*part);
        *part = NULL;
        return NNC_ENOMEM;
    }
    return NNC_OK;
}

/* ------------------------------------------------------------ sparse sets */

nnc_dataset *nnc_dataset_adopt_sparse(const nnc_dataset *like, int n_inputs,
                                      const char *const *names, size_t *start, int *index,
                                      float *value)
{
    int rows = like->rows, classified = like->task == NNC_TASK_CLASSIFICATION;
    float *x = nnc_alloc(1, sizeof *x, 0);   /* adopt wants one of x and bytes */
    float *y = classified ? NULL : nnc_alloc((size_t)rows, (size_t)like->n_targets * sizeof *y, 0);
    nnc_dataset *data = NULL;
    if (x != NULL && (classified || y != NULL))
        data = nnc_dataset_adopt(rows, n_inputs, like->n_targets, x, NULL, y, names);
    else {
        free(x);
        free(y);
    }
    nnc_status st = data != NULL ? NNC_OK : NNC_ENOMEM;
    if (st == NNC_OK) {
        free(data->x);
        data->x = NULL;
        data->sparse_start = start;
        data->sparse_index = index;
        data->sparse_value = value;
        start = NULL;
        index = NULL;
        value = NULL;
        for (int i = 0; i < rows; i++) {
            size_t n = data->sparse_start[i + 1] - data->sparse_start[i];
            if (n > (size_t)data->sparse_widest)
                data->sparse_widest = (int)n;   /* a row's non-zeros are <= n_inputs */
        }
        if (!classified)
            memcpy(data->y, like->y, (size_t)rows * (size_t)like->n_targets * sizeof *y);
        char *target = nnc_strdup(like->target_name);
        st = target != NULL ? NNC_OK : NNC_ENOMEM;
        if (st == NNC_OK) {
            free(data->target_name);
            data->target_name = target;
        }
    }
    if (st == NNC_OK && classified) {
        int *classes = nnc_alloc((size_t)rows, sizeof *classes, 0);
        char **labels = nnc_copy_strings((const char *const *)like->class_labels,
                                         like->n_classes);
        if (classes == NULL || labels == NULL) {
            free(classes);
            nnc_free_strings(labels, like->n_classes);
            st = NNC_ENOMEM;
        } else {
            memcpy(classes, like->classes, (size_t)rows * sizeof *classes);
            st = nnc_dataset_take_classes(data, classes, like->n_classes, labels);
        }
    }
    if (st == NNC_OK && like->lines != NULL) {
        data->lines = nnc_alloc((size_t)rows, sizeof *data->lines, 0);
        if (data->lines == NULL)
            st = NNC_ENOMEM;
        else
            memcpy(data->lines, like->lines, (size_t)rows * sizeof *data->lines);
    }
    if (st == NNC_OK)
        st = nnc_dataset_copy_ids(data, like);
    free(start);
    free(index);
    free(value);
    if (st != NNC_OK) {
        nnc_dataset_free(data);
        return NULL;
    }
    return data;
}

/* The place of the lowest set bit of a non-zero word: isolate the bit, then
 * each of the six masks tells one bit of its place. __builtin_ctzll compiles
 * to tzcnt (BMI1), which scripts/check-portable rightly refuses outside the
 * dispatched clones, and GCC turns a de Bruijn table lookup back into it. */
static unsigned lowest_bit(uint64_t bits)
{
    uint64_t bit = bits & (~bits + 1);
    return (unsigned)((bit & UINT64_C(0xaaaaaaaaaaaaaaaa)) != 0) |
           (unsigned)((bit & UINT64_C(0xcccccccccccccccc)) != 0) << 1 |
           (unsigned)((bit & UINT64_C(0xf0f0f0f0f0f0f0f0)) != 0) << 2 |
           (unsigned)((bit & UINT64_C(0xff00ff00ff00ff00)) != 0) << 3 |
           (unsigned)((bit & UINT64_C(0xffff0000ffff0000)) != 0) << 4 |
           (unsigned)((bit & UINT64_C(0xffffffff00000000)) != 0) << 5;
}

/* The distinct inputs of a batch's n non-zeros index[0..n), increasing,
 * into columns; their count returned. A bit per input marks the ones seen
 * (marks), and a bit per word of marks the words that have one (words);
 * both are all clear on entry, and left so. A scan of words lists the
 * marked words in order, and each of those its inputs: a cost of the
 * non-zeros plus a word per 4,096 inputs, where sorting the non-zeros
 * cost a comparison call per step (qsort took a quarter of a text batch's
 * step), and scanning every word of marks grew with the vocabulary (at
 * 50,000 inputs perf put the gather at 6.9 % of a text epoch that way,
 * 5.1 % this way). */
static int distinct_columns(const int *index, size_t n, uint64_t *marks, uint64_t *words,
                            int *columns)
{
    if (n == 0)
        return 0;
    int least = index[0], most = index[0];
    for (size_t i = 0; i < n; i++) {
        unsigned k = (unsigned)index[i];
        marks[k / 64] |= UINT64_C(1) << (k % 64);
        words[k / 4096] |= UINT64_C(1) << (k / 64 % 64);
        least = index[i] < least ? index[i] : least;
        most = index[i] > most ? index[i] : most;
    }
    int distinct = 0;
    for (unsigned group = (unsigned)least / 4096; group <= (unsigned)most / 4096; group++) {
        uint64_t marked = words[group];
        words[group] = 0;
        while (marked != 0) {
            unsigned word = group * 64 + lowest_bit(marked);
            uint64_t bits = marks[word];
            marks[word] = 0;
            while (bits != 0) {
                columns[distinct++] = (int)(word * 64 + lowest_bit(bits));
                bits &= bits - 1;
            }
            marked &= marked - 1;
        }
    }
    return distinct;
}

nnc_status nnc_sparse_batch_gather(nnc_sparse_batch *b, const nnc_dataset *data,
                                   const size_t *index, int n, float *y)
{
    if (b == NULL || data == NULL || index == NULL)
        return nnc_fail(NNC_EINVAL, "gather sparse: NULL argument");
    if (data->sparse_start == NULL)
        return nnc_fail(NNC_EINVAL, "gather sparse: the set's rows are dense");
    if (n > b->batch || data->sparse_widest > b->widest || data->n_inputs > b->inputs)
        return nnc_fail(NNC_EINVAL,
                        "gather sparse: %d rows of up to %d non-zeros over %d inputs do not "
                        "fit a batch made for %d rows of %d over %d",
                        n, data->sparse_widest, data->n_inputs, b->batch, b->widest, b->inputs);
    size_t out = (size_t)data->n_targets, at = 0;
    b->start[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t r = index[i];
        if (r >= (size_t)data->rows)
            return nnc_fail(NNC_EINVAL, "gather sparse: row %zu of %d", r, data->rows);
        size_t from = data->sparse_start[r], k = data->sparse_start[r + 1] - from;
        memcpy(b->index + at, data->sparse_index + from, k * sizeof *b->index);
        memcpy(b->value + at, data->sparse_value + from, k * sizeof *b->value);
        at += k;
        b->start[i + 1] = at;
        if (y != NULL)
            encode_row(data, r, y + (size_t)i * out);
    }
    /* The distinct inputs, for the lazy update of the first layer's weights. */
    b->rows.start = b->start;
    b->rows.index = b->index;
    b->rows.value = b->value;
    b->rows.columns = b->columns;
    b->rows.n_columns = distinct_columns(b->index, at, b->marks, b->words, b->columns);
    return NNC_OK;
}

nnc_status nnc_sparse_batch_init(nnc_sparse_batch *b, const nnc_dataset *data, int batch)
{
    memset(b, 0, sizeof *b);
    size_t most = (size_t)batch * (size_t)(data->sparse_widest > 0 ? data->sparse_widest : 1);
    b->start = nnc_alloc((size_t)batch + 1, sizeof *b->start, 0);
    b->index = nnc_alloc(most, sizeof *b->index, 0);
    b->value = nnc_alloc(most, sizeof *b->value, 0);
    b->columns = nnc_alloc(most, sizeof *b->columns, 0);
    b->marks = nnc_alloc((size_t)data->n_inputs / 64 + 1, sizeof *b->marks, 1);
    b->words = nnc_alloc((size_t)data->n_inputs / 4096 + 1, sizeof *b->words, 1);
    b->batch = batch;
    b->widest = data->sparse_widest > 0 ? data->sparse_widest : 1;
    b->inputs = data->n_inputs;
    if (b->start == NULL || b->index == NULL || b->value == NULL || b->columns == NULL ||
        b->marks == NULL || b->words == NULL) {
        nnc_sparse_batch_release(b);
        return NNC_ENOMEM;
    }
    return NNC_OK;
}

void nnc_sparse_batch_release(nnc_sparse_batch *b)
{
    free(b->start);
    free(b->index);
    free(b->value);
    free(b->columns);
    free(b->marks);
    free(b->words);
    memset(b, 0, sizeof *b);
}


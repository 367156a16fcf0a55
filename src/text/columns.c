/*
 * columns.c - a table's text columns as a bag of words each, and a table
 * with them as the sparse rows a network trains on.
 *
 * Each text column gets its own vocabulary, fitted on the training rows
 * alone (scikit-learn's ColumnTransformer with a TfidfVectorizer per
 * column). A vectorised row is the table's other inputs, as the encoder
 * and the scaling left them, then each column's terms: input
 * n_inputs + (terms of the columns before) + term. Only its non-zeros are
 * kept, so a row of ten words costs ten entries whatever the vocabulary.
 */
#include "data/data.h"
#include "text/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nnc_text_columns_free(nnc_text_columns *tc)
{
    if (tc == NULL)
        return;
    for (int t = 0; t < tc->n; t++)
        nnc_vectorizer_free(tc->vec[t]);
    free(tc->vec);
    nnc_free_strings(tc->names, tc->n);
    free(tc);
}

nnc_text_columns *nnc_text_columns_alloc(int n)
{
    nnc_text_columns *tc = nnc_alloc(1, sizeof *tc, 1);
    if (tc == NULL)
        return NULL;
    tc->vec = nnc_alloc((size_t)n, sizeof *tc->vec, 1);
    tc->names = nnc_alloc((size_t)n, sizeof *tc->names, 1);
    if (tc->vec == NULL || tc->names == NULL) {
        free(tc->vec);
        free(tc->names);
        free(tc);
        return NULL;
    }
    tc->n = n;
    return tc;
}

nnc_status nnc_text_columns_finish(nnc_text_columns *tc)
{
    long width = 0;
    for (int t = 0; t < tc->n; t++)
        width += nnc_vectorizer_terms(tc->vec[t]);
    if (width > NNC_MAX_TERMS)
        return nnc_fail(NNC_EINVAL, "text columns: %ld terms in all; at most %d (set max_terms)",
                        width, NNC_MAX_TERMS);
    tc->width = (int)width;
    return NNC_OK;
}

/* "path:line:column: column 'name': " for row i's cell of text column t. */
static void text_place(const nnc_dataset *data, int i, int t, char *buf, size_t size)
{
    if (data->lines != NULL && data->source != NULL && data->text_columns[t] > 0)
        snprintf(buf, size, "%s:%d:%d: column '%s': ", data->source, data->lines[i],
                 data->text_columns[t], data->text_names[t]);
    else
        snprintf(buf, size, "row %d: column '%s': ", i + 1, data->text_names[t]);
}

/* Refuses, naming the cell, a text that nnc_text_words would not read. */
static nnc_status check_cells(const nnc_dataset *data, int t)
{
    for (int i = 0; i < data->rows; i++) {
        const char *text = nnc_dataset_text(data, i, t);
        nnc_status st = nnc_text_check(text, strlen(text));
        if (st != NNC_OK) {
            char place[512], why[256];
            snprintf(why, sizeof why, "%s", nnc_last_error());
            text_place(data, i, t, place, sizeof place);
            return nnc_fail(st, "%s%s", place, why);
        }
    }
    return NNC_OK;
}

nnc_status nnc_text_columns_fit(const nnc_dataset *data, const nnc_vectorizer_options *options,
                                nnc_text_columns **out)
{
    if (out != NULL)
        *out = NULL;
    if (data == NULL || options == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "text columns fit: NULL argument");
    if (data->n_text == 0)
        return nnc_fail(NNC_EINVAL, "text columns fit: the data has no text columns");
    nnc_text_columns *tc = nnc_text_columns_alloc(data->n_text);
    const char **texts = nnc_alloc((size_t)data->rows, sizeof *texts, 0);
    nnc_status st = tc && texts ? NNC_OK : NNC_ENOMEM;
    for (int t = 0; st == NNC_OK && t < data->n_text; t++) {
        if ((tc->names[t] = nnc_strdup(data->text_names[t])) == NULL) {
            st = NNC_ENOMEM;
            break;
        }
        st = check_cells(data, t);   /* a bad cell named by its place, not its row */
        for (int i = 0; st == NNC_OK && i < data->rows; i++)
            texts[i] = nnc_dataset_text(data, i, t);
        if (st == NNC_OK &&
            (st = nnc_vectorizer_fit(options, texts, data->rows, &tc->vec[t])) != NNC_OK &&
            st != NNC_ENOMEM) {
            char why[256];
            snprintf(why, sizeof why, "%s", nnc_last_error());
            st = nnc_fail(st, "text column '%s': %s", data->text_names[t], why);
        }
    }
    free(texts);
    if (st == NNC_OK)
        st = nnc_text_columns_finish(tc);
    if (st != NNC_OK) {
        nnc_text_columns_free(tc);
        return st;
    }
    *out = tc;
    return NNC_OK;
}

/* Growing CSR arrays. */
typedef struct csr {
    size_t n, cap;
    int *index;
    float *value;
} csr;

static nnc_status csr_push(csr *c, int index, float value)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 4096;
        int *i = realloc(c->index, cap * sizeof *i);
        if (i != NULL)
            c->index = i;
        float *v = i != NULL ? realloc(c->value, cap * sizeof *v) : NULL;
        if (v == NULL)
            return nnc_fail(NNC_ENOMEM, "text columns: out of memory at %zu non-zeros", c->n);
        c->value = v;
        c->cap = cap;
    }
    c->index[c->n] = index;
    c->value[c->n] = value;
    c->n++;
    return NNC_OK;
}

/* The inputs' names: data's, then "column:term" for every term. */
static char **feature_names(const nnc_text_columns *tc, const nnc_dataset *data)
{
    int n = data->n_inputs + tc->width;
    char **names = nnc_alloc((size_t)n, sizeof *names, 1);
    if (names == NULL)
        return NULL;
    int k = 0;
    for (int j = 0; j < data->n_inputs; j++)
        if ((names[k++] = nnc_strdup(data->input_names[j])) == NULL)
            goto fail;
    for (int t = 0; t < tc->n; t++)
        for (int i = 0; i < nnc_vectorizer_terms(tc->vec[t]); i++) {
            const char *term = nnc_vectorizer_term(tc->vec[t], i);
            size_t len = strlen(tc->names[t]) + strlen(term) + 2;
            if ((names[k] = nnc_alloc(len, 1, 0)) == NULL)
                goto fail;
            snprintf(names[k++], len, "%s:%s", tc->names[t], term);
        }
    return names;
fail:
    nnc_free_strings(names, n);
    return NULL;
}

/* Row i's non-zeros onto c: the numbers, then each text column's terms. */
static nnc_status vectorise_row(const nnc_text_columns *tc, const nnc_dataset *data, int i,
                                csr *c, long *unknown)
{
    size_t in = (size_t)data->n_inputs;
    nnc_status st = NNC_OK;
    for (size_t j = 0; st == NNC_OK && j < in; j++) {
        float v = data->x[(size_t)i * in + j];
        if (v != 0.0f)
            st = csr_push(c, (int)j, v);
    }
    int offset = data->n_inputs;
    for (int t = 0; st == NNC_OK && t < tc->n; t++) {
        const char *text = nnc_dataset_text(data, i, t);
        nnc_sparse_row row = {0, NULL, NULL};
        int missing = 0;
        st = nnc_vectorizer_transform(tc->vec[t], text, strlen(text), &row, &missing);
        if (st != NNC_OK && st != NNC_ENOMEM) {
            char place[512], why[256];
            snprintf(why, sizeof why, "%s", nnc_last_error());
            text_place(data, i, t, place, sizeof place);
            st = nnc_fail(st, "%s%s", place, why);
        }
        for (int k = 0; st == NNC_OK && k < row.n; k++)
            st = csr_push(c, offset + row.index[k], row.value[k]);
        nnc_sparse_row_free(&row);
        *unknown += missing;
        offset += nnc_vectorizer_terms(tc->vec[t]);
    }
    return st;
}

/* Whether data's text columns are tc's, by count and name. */
static nnc_status check_columns(const nnc_text_columns *tc, const nnc_dataset *data)
{
    if (data->x == NULL)
        return nnc_fail(NNC_EINVAL, "text columns: the data is not a table of numbers");
    if (data->n_text != tc->n)
        return nnc_fail(NNC_EINVAL, "text columns: the data has %d text columns, the model %d",
                        data->n_text, tc->n);
    for (int t = 0; t < tc->n; t++)
        if (strcmp(data->text_names[t], tc->names[t]) != 0)
            return nnc_fail(NNC_EINVAL, "text columns: column %d is '%s', the model's '%s'",
                            t + 1, data->text_names[t], tc->names[t]);
    return NNC_OK;
}

nnc_status nnc_text_columns_apply(const nnc_text_columns *tc, const nnc_dataset *data,
                                  nnc_dataset **out, long *unknown)
{
    if (out != NULL)
        *out = NULL;
    if (tc == NULL || data == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "text columns apply: NULL argument");
    long missing = 0;
    nnc_status st = check_columns(tc, data);
    if (st != NNC_OK)
        return st;
    size_t *start = nnc_alloc((size_t)data->rows + 1, sizeof *start, 0);
    csr c = {0, 0, NULL, NULL};
    st = start != NULL ? NNC_OK : NNC_ENOMEM;
    if (st == NNC_OK)
        start[0] = 0;
    for (int i = 0; st == NNC_OK && i < data->rows; i++) {
        st = vectorise_row(tc, data, i, &c, &missing);
        start[i + 1] = c.n;
    }
    char **names = st == NNC_OK ? feature_names(tc, data) : NULL;
    if (st == NNC_OK && names == NULL)
        st = NNC_ENOMEM;
    if (st == NNC_OK && c.n == 0 && (st = csr_push(&c, 0, 0.0f)) == NNC_OK)
        c.n = 0;   /* a set of empty rows still has its (empty) arrays */
    nnc_dataset *v = NULL;
    int n_inputs = data->n_inputs + tc->width;
    if (st == NNC_OK) {
        v = nnc_dataset_adopt_sparse(data, n_inputs, (const char *const *)names, start,
                                     c.index, c.value);
        start = NULL;
        c.index = NULL;
        c.value = NULL;
        st = v != NULL ? NNC_OK : NNC_ENOMEM;
    }
    nnc_free_strings(names, n_inputs);
    free(start);
    free(c.index);
    free(c.value);
    if (st != NNC_OK)
        return st;
    if (unknown != NULL)
        *unknown = missing;
    *out = v;
    return NNC_OK;
}

int nnc_text_columns_count(const nnc_text_columns *tc) { return tc ? tc->n : 0; }

const char *nnc_text_columns_name(const nnc_text_columns *tc, int t)
{
    return tc && t >= 0 && t < tc->n ? tc->names[t] : NULL;
}

const nnc_vectorizer *nnc_text_columns_vectorizer(const nnc_text_columns *tc, int t)
{
    return tc && t >= 0 && t < tc->n ? tc->vec[t] : NULL;
}

int nnc_text_columns_width(const nnc_text_columns *tc) { return tc ? tc->width : 0; }

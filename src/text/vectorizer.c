/*
 * vectorizer.c - a bag of words: texts as counts of their words.
 *
 * The tutorial's last step of feature engineering: each word reduced to its
 * lemma, then "the number of times each word appears in the text". The
 * vocabulary is fitted on training texts only (as scikit-learn's
 * CountVectorizer and TfidfVectorizer are): every word (and with bigrams
 * every pair of neighbours, "new york") that occurs in at least
 * min_documents texts, the max_terms most frequent of them if that is set,
 * in strcmp order. A text then becomes the counts of its terms, or 1 for
 * each present (binary), or tf-idf:
 *     tf (or 1 + ln tf, sublinear) x idf,   idf = ln((1 + n) / (1 + df)) + 1,
 * the row scaled to unit length: scikit-learn's defaults, so figures can be
 * compared. A row is kept as its non-zeros only, in term order.
 *
 * The fit sorts every (term, text) occurrence once instead of hashing: n log
 * n in the words of the corpus, no table a hostile text could flood.
 */
#define _POSIX_C_SOURCE 200809L
#include "text/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nnc_vectorizer {
    nnc_vectorizer_options options;
    nnc_text *text;
    int n_terms;
    char **terms;   /* in strcmp order */
    float *idf;     /* per term (1 unless tf-idf) */
    int documents;  /* the texts it was fitted on */
    int n_stop;     /* stop words, normalised, in strcmp order, each once */
    char **stop;
};

nnc_vectorizer_options nnc_vectorizer_defaults(void)
{
    nnc_vectorizer_options o;
    memset(&o, 0, sizeof o);
    o.normalize = NNC_NORMALIZE_LEMMA;
    o.features = NNC_FEATURES_COUNTS;
    o.min_documents = 1;
    return o;
}

void nnc_vectorizer_free(nnc_vectorizer *v)
{
    if (v == NULL)
        return;
    nnc_text_free(v->text);
    nnc_free_strings(v->terms, v->n_terms);
    nnc_free_strings(v->stop, v->n_stop);
    free(v->idf);
    free(v);
}

/* The terms of one text: its words, then (with bigrams) "w1 w2" pairs. */
static nnc_status terms_of(const nnc_vectorizer *v, const char *text, size_t len, nnc_words *out)
{
    nnc_words w;
    nnc_status st = nnc_text_words(v->text, text, len, &w);
    if (st == NNC_OK && v->n_stop > 0) {   /* stop words go before pairs are made */
        int kept = 0;
        for (int i = 0; i < w.n; i++) {
            if (nnc_find_string(v->stop, v->n_stop, w.word[i]) >= 0)
                free(w.word[i]);
            else
                w.word[kept++] = w.word[i];
        }
        w.n = kept;
    }
    if (st != NNC_OK || !v->options.bigrams || w.n < 2) {
        *out = w;
        return st;
    }
    char **all = realloc(w.word, (size_t)(2 * w.n - 1) * sizeof *all);
    if (all == NULL) {
        nnc_words_free(&w);
        return NNC_ENOMEM;
    }
    w.word = all;
    int words = w.n;
    for (int i = 0; i + 1 < words; i++) {
        size_t a = strlen(all[i]), b = strlen(all[i + 1]);
        char *pair = nnc_alloc(a + b + 2, 1, 0);
        if (pair == NULL) {
            nnc_words_free(&w);
            return NNC_ENOMEM;
        }
        memcpy(pair, all[i], a);
        pair[a] = ' ';
        memcpy(pair + a + 1, all[i + 1], b + 1);
        all[w.n++] = pair;
    }
    *out = w;
    return NNC_OK;
}

/* One occurrence of a term, in which text. */
typedef struct occurrence {
    const char *term;
    int text;
} occurrence;

static int by_term_then_text(const void *a, const void *b)
{
    const occurrence *x = a, *y = b;
    int c = strcmp(x->term, y->term);
    return c ? c : (x->text > y->text) - (x->text < y->text);
}

/* A distinct term with its counts over the corpus. */
typedef struct counted {
    const char *term;
    long total;      /* occurrences */
    int documents;   /* texts it is in */
} counted;

static int by_total(const void *a, const void *b)
{
    const counted *x = a, *y = b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return strcmp(x->term, y->term);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const counted *)a)->term, ((const counted *)b)->term);
}

static nnc_status check_options(const nnc_vectorizer_options *o)
{
    if (o->features != NNC_FEATURES_COUNTS && o->features != NNC_FEATURES_BINARY &&
        o->features != NNC_FEATURES_TFIDF)
        return nnc_fail(NNC_EINVAL, "vectorizer: unknown features %d", (int)o->features);
    if (o->min_documents < 1 || o->max_terms < 0)
        return nnc_fail(NNC_EINVAL, "vectorizer: min_documents must be >= 1 and max_terms >= 0, "
                                    "got %d and %d", o->min_documents, o->max_terms);
    return NNC_OK;
}

/* Every text's terms, as occurrences sorted by term and text; the word lists
 * (which own the strings) go to words[0..n). */
static nnc_status collect(const nnc_vectorizer *v, const char *const *texts, int n,
                          nnc_words *words, occurrence **out, size_t *count)
{
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        nnc_status st = terms_of(v, texts[i] ? texts[i] : "", texts[i] ? strlen(texts[i]) : 0,
                                 &words[i]);
        if (st != NNC_OK) {
            char why[256];
            snprintf(why, sizeof why, "%s", nnc_last_error());
            return nnc_fail(st, "text %d: %s", i + 1, why);
        }
        total += (size_t)words[i].n;
    }
    occurrence *all = nnc_alloc(total ? total : 1, sizeof *all, 0);
    if (all == NULL)
        return NNC_ENOMEM;
    size_t k = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < words[i].n; j++)
            all[k++] = (occurrence){words[i].word[j], i};
    qsort(all, total, sizeof *all, by_term_then_text);
    *out = all;
    *count = total;
    return NNC_OK;
}

/* The distinct terms with their totals and document counts. */
static counted *count_terms(const occurrence *all, size_t total, int *distinct)
{
    counted *c = nnc_alloc(total ? total : 1, sizeof *c, 0);
    if (c == NULL)
        return NULL;
    int n = 0;
    for (size_t i = 0; i < total; i++) {
        if (n == 0 || strcmp(c[n - 1].term, all[i].term) != 0)
            c[n++] = (counted){all[i].term, 0, 0};
        c[n - 1].total++;
        if (i == 0 || strcmp(all[i - 1].term, all[i].term) != 0 || all[i - 1].text != all[i].text)
            c[n - 1].documents++;
    }
    *distinct = n;
    return c;
}

/* The vocabulary: the terms in enough texts, the most frequent if limited,
 * then in strcmp order, each with its idf. */
static nnc_status choose_terms(nnc_vectorizer *v, counted *c, int distinct, int texts)
{
    int kept = 0;
    for (int i = 0; i < distinct; i++)
        if (c[i].documents >= v->options.min_documents)
            c[kept++] = c[i];
    if (v->options.max_terms > 0 && kept > v->options.max_terms) {
        qsort(c, (size_t)kept, sizeof *c, by_total);
        kept = v->options.max_terms;
        qsort(c, (size_t)kept, sizeof *c, by_name);
    }
    if (kept == 0)
        return nnc_fail(NNC_EFORMAT, "vectorizer: no term is in %d or more of the %d texts",
                        v->options.min_documents, texts);
    if (kept > NNC_MAX_TERMS)
        return nnc_fail(NNC_EINVAL, "vectorizer: %d terms; at most %d (set max_terms)", kept,
                        NNC_MAX_TERMS);
    v->terms = nnc_alloc((size_t)kept, sizeof *v->terms, 1);
    v->idf = nnc_alloc((size_t)kept, sizeof *v->idf, 0);
    if (v->terms == NULL || v->idf == NULL)
        return NNC_ENOMEM;
    for (int i = 0; i < kept; i++) {
        if ((v->terms[i] = nnc_strdup(c[i].term)) == NULL)
            return NNC_ENOMEM;
        v->n_terms = i + 1;
        v->idf[i] = v->options.features == NNC_FEATURES_TFIDF
                        ? (float)(log((1.0 + texts) / (1.0 + c[i].documents)) + 1.0)
                        : 1.0f;
    }
    return NNC_OK;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The stop words given, each through the vectorizer's own normaliser (a
 * "word" of several words stops each of them) unless normalise is 0 (a
 * model file's, normalised when it was fitted: a stem stemmed again may
 * change), sorted and unique; the settings then point at these copies. */
static nnc_status set_stop_words(nnc_vectorizer *v, const char *const *words, int n,
                                 int normalise)
{
    if (n < 0 || (n > 0 && words == NULL))
        return nnc_fail(NNC_EINVAL, "vectorizer: %d stop words but no list", n);
    int cap = 0;
    for (int i = 0; i < n; i++) {
        if (words[i] == NULL)
            return nnc_fail(NNC_EINVAL, "vectorizer: stop word %d is NULL", i + 1);
        nnc_words w = {0, NULL};
        char *one[1];
        nnc_status st = NNC_OK;
        if (normalise) {
            st = nnc_text_words(v->text, words[i], strlen(words[i]), &w);
        } else if ((one[0] = nnc_strdup(words[i])) == NULL) {
            st = NNC_ENOMEM;
        } else {
            w.n = 1;
            w.word = nnc_alloc(1, sizeof *w.word, 0);
            if (w.word == NULL) {
                free(one[0]);
                st = NNC_ENOMEM;
            } else {
                w.word[0] = one[0];
            }
        }
        if (st != NNC_OK) {
            char why[256];
            snprintf(why, sizeof why, "%s", nnc_last_error());
            return nnc_fail(st, "stop word %d: %s", i + 1, why);
        }
        for (int k = 0; k < w.n; k++) {
            if (v->n_stop == cap) {
                cap = cap ? 2 * cap : 64;
                char **more = realloc(v->stop, (size_t)cap * sizeof *more);
                if (more == NULL) {
                    nnc_words_free(&w);
                    return nnc_fail(NNC_ENOMEM, "vectorizer: out of memory for stop words");
                }
                v->stop = more;
            }
            v->stop[v->n_stop++] = w.word[k];
        }
        free(w.word);
    }
    if (v->n_stop > 1)
        qsort(v->stop, (size_t)v->n_stop, sizeof *v->stop, by_string);
    int kept = 0;
    for (int i = 0; i < v->n_stop; i++) {
        if (kept > 0 && strcmp(v->stop[kept - 1], v->stop[i]) == 0)
            free(v->stop[i]);
        else
            v->stop[kept++] = v->stop[i];
    }
    v->n_stop = kept;
    v->options.stop_words = (const char *const *)v->stop;
    v->options.n_stop_words = kept;
    return NNC_OK;
}

nnc_status nnc_vectorizer_fit(const nnc_vectorizer_options *options, const char *const *texts,
                              int n, nnc_vectorizer **out)
{
    if (out != NULL)
        *out = NULL;
    if (options == NULL || (texts == NULL && n > 0) || n < 1 || out == NULL)
        return nnc_fail(NNC_EINVAL, "vectorizer fit: NULL argument or no texts");
    nnc_status st = check_options(options);
    nnc_vectorizer *v = st == NNC_OK ? nnc_alloc(1, sizeof *v, 1) : NULL;
    if (st != NNC_OK)
        return st;
    if (v == NULL)
        return NNC_ENOMEM;
    v->options = *options;
    v->documents = n;
    nnc_words *words = nnc_alloc((size_t)n, sizeof *words, 1);
    occurrence *all = NULL;
    counted *c = NULL;
    size_t total = 0;
    int distinct = 0;
    st = words != NULL ? nnc_text_new(options->normalize, &v->text) : NNC_ENOMEM;
    v->options.stop_words = NULL;
    v->options.n_stop_words = 0;
    if (st == NNC_OK)
        st = set_stop_words(v, options->stop_words, options->n_stop_words, 1);
    if (st == NNC_OK)
        st = collect(v, texts, n, words, &all, &total);
    if (st == NNC_OK && (c = count_terms(all, total, &distinct)) == NULL)
        st = NNC_ENOMEM;
    if (st == NNC_OK)
        st = choose_terms(v, c, distinct, n);
    free(c);
    free(all);
    for (int i = 0; words != NULL && i < n; i++)
        nnc_words_free(&words[i]);
    free(words);
    if (st != NNC_OK) {
        nnc_vectorizer_free(v);
        return st;
    }
    *out = v;
    return NNC_OK;
}

/* The index of term in the vocabulary, or -1. */
static int find_term(const nnc_vectorizer *v, const char *term)
{
    return nnc_find_string(v->terms, v->n_terms, term);
}

static int by_index(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void nnc_sparse_row_free(nnc_sparse_row *row)
{
    if (row == NULL)
        return;
    free(row->index);
    free(row->value);
    row->index = NULL;
    row->value = NULL;
    row->n = 0;
}

nnc_status nnc_vectorizer_transform(const nnc_vectorizer *v, const char *text, size_t len,
                                    nnc_sparse_row *row, int *unknown)
{
    if (v == NULL || row == NULL || (text == NULL && len > 0))
        return nnc_fail(NNC_EINVAL, "vectorizer transform: NULL argument");
    *row = (nnc_sparse_row){0, NULL, NULL};
    nnc_words w;
    nnc_status st = terms_of(v, text, len, &w);
    if (st != NNC_OK)
        return st;
    int *found = nnc_alloc((size_t)(w.n ? w.n : 1), sizeof *found, 0);
    int n = 0, missed = 0;
    st = found != NULL ? NNC_OK : NNC_ENOMEM;
    for (int i = 0; st == NNC_OK && i < w.n; i++) {
        int k = find_term(v, w.word[i]);
        if (k >= 0)
            found[n++] = k;
        else
            missed++;
    }
    nnc_words_free(&w);
    if (unknown != NULL)
        *unknown = missed;
    if (st != NNC_OK)
        return st;
    qsort(found, (size_t)n, sizeof *found, by_index);
    row->index = nnc_alloc((size_t)(n ? n : 1), sizeof *row->index, 0);
    row->value = nnc_alloc((size_t)(n ? n : 1), sizeof *row->value, 0);
    if (row->index == NULL || row->value == NULL) {
        free(found);
        nnc_sparse_row_free(row);
        return NNC_ENOMEM;
    }
    for (int i = 0; i < n;) {   /* runs of one index are its count */
        int j = i;
        while (j < n && found[j] == found[i])
            j++;
        double tf = j - i;
        if (v->options.features == NNC_FEATURES_BINARY)
            tf = 1;
        else if (v->options.features == NNC_FEATURES_TFIDF && v->options.sublinear_tf)
            tf = 1 + log(tf);
        row->index[row->n] = found[i];
        row->value[row->n++] = (float)(tf * v->idf[found[i]]);
        i = j;
    }
    free(found);
    if (v->options.features == NNC_FEATURES_TFIDF) {   /* unit length, as scikit-learn's l2 */
        double sq = 0;
        for (int i = 0; i < row->n; i++)
            sq += (double)row->value[i] * row->value[i];
        for (int i = 0; sq > 0 && i < row->n; i++)
            row->value[i] = (float)(row->value[i] / sqrt(sq));
    }
    return NNC_OK;
}

int nnc_vectorizer_terms(const nnc_vectorizer *v) { return v ? v->n_terms : 0; }

const char *nnc_vectorizer_term(const nnc_vectorizer *v, int i)
{
    return v != NULL && i >= 0 && i < v->n_terms ? v->terms[i] : NULL;
}

float nnc_vectorizer_idf(const nnc_vectorizer *v, int i)
{
    return v != NULL && i >= 0 && i < v->n_terms ? v->idf[i] : 0.0f;
}

const nnc_vectorizer_options *nnc_vectorizer_settings(const nnc_vectorizer *v)
{
    return v ? &v->options : NULL;
}

nnc_status nnc_vectorizer_assemble(const nnc_vectorizer_options *options,
                                   const char *const *terms, const float *idf, int n,
                                   int documents, nnc_vectorizer **out)
{
    *out = NULL;
    nnc_status st = check_options(options);
    if (st != NNC_OK)
        return st;
    nnc_vectorizer *v = nnc_alloc(1, sizeof *v, 1);
    if (v == NULL)
        return NNC_ENOMEM;
    v->options = *options;
    v->documents = documents;
    v->terms = nnc_copy_strings(terms, n);
    v->n_terms = v->terms != NULL ? n : 0;
    v->idf = nnc_alloc((size_t)n, sizeof *v->idf, 0);
    st = v->terms != NULL && v->idf != NULL ? NNC_OK : NNC_ENOMEM;
    v->options.stop_words = NULL;
    v->options.n_stop_words = 0;
    if (st == NNC_OK) {
        memcpy(v->idf, idf, (size_t)n * sizeof *idf);
        st = nnc_text_new(options->normalize, &v->text);
    }
    if (st == NNC_OK)
        st = set_stop_words(v, options->stop_words, options->n_stop_words, 0);
    if (st != NNC_OK) {
        nnc_vectorizer_free(v);
        return st;
    }
    *out = v;
    return NNC_OK;
}

int nnc_vectorizer_documents(const nnc_vectorizer *v) { return v ? v->documents : 0; }

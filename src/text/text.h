/*
 * text/text.h - text as words (words.c); the public calls are in nnc.h.
 */
#ifndef NNC_TEXT_H
#define NNC_TEXT_H

#include "core/core.h"

/* A table's text columns, each with its fitted vectorizer (columns.c). */
struct nnc_text_columns {
    int n;
    char **names;
    nnc_vectorizer **vec;
    int width;   /* the terms of all columns: the inputs they add */
};

/* n columns with NULL names and vectorizers, for the fit and the model
 * loader to fill; nnc_text_columns_finish then sums and checks the width. */
nnc_text_columns *nnc_text_columns_alloc(int n);
nnc_status nnc_text_columns_finish(nnc_text_columns *tc);

/* A vectorizer from a model file's parts: the options, n terms (copied; in
 * strictly increasing strcmp order, as the loader checks), their idf and
 * the number of texts it was fitted on. NNC_EIO when the options need
 * WordNet and it is missing. */
nnc_status nnc_vectorizer_assemble(const nnc_vectorizer_options *options,
                                   const char *const *terms, const float *idf, int n,
                                   int documents, nnc_vectorizer **out);

#endif /* NNC_TEXT_H */

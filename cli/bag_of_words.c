/*
 * bag_of_words.c - the tutorial's feature engineering for text, computed by
 * the library: each word reduced to its lemma (watches, watching, watched ->
 * watch), then "the number of times each word appears in the text".
 */
#include "walkthrough.h"

#include "nnc.h"

#include <stdio.h>
#include <string.h>

static const char *const texts[] = {
    "He watches films.",
    "She watched the film, and is watching it again!",
};
enum { TEXTS = sizeof texts / sizeof *texts };

static int fail(void)
{
    fprintf(stderr, "nnc: %s\n", nnc_last_error());
    return 1;
}

/* "lemmas 1: he watch film" */
static int print_lemmas(nnc_text *t, int i)
{
    nnc_words w;
    if (nnc_text_words(t, texts[i], strlen(texts[i]), &w) != NNC_OK)
        return fail();
    printf("  lemmas %d: ", i + 1);
    for (int k = 0; k < w.n; k++)
        printf("%s%s", k ? " " : "", w.word[k]);
    printf("\n");
    nnc_words_free(&w);
    return 0;
}

/* "counts 1: [0, 0, 1, ...]", one per vocabulary term. */
static int print_counts(const nnc_vectorizer *v, int i)
{
    nnc_sparse_row row;
    if (nnc_vectorizer_transform(v, texts[i], strlen(texts[i]), &row, NULL) != NNC_OK)
        return fail();
    printf("  counts %d: [", i + 1);
    for (int k = 0, at = 0; k < nnc_vectorizer_terms(v); k++) {
        float count = at < row.n && row.index[at] == k ? row.value[at++] : 0.0f;
        printf("%s%g", k ? ", " : "", count);
    }
    printf("]\n");
    nnc_sparse_row_free(&row);
    return 0;
}

int bag_of_words(void)
{
    printf("\nFeature engineering for text: lemmatisation, then a bag of words.\n");
    for (int i = 0; i < TEXTS; i++)
        printf("  text %d: \"%s\"\n", i + 1, texts[i]);
    nnc_text *t = NULL;
    nnc_vectorizer *lemmas = NULL, *words = NULL;
    nnc_vectorizer_options o = nnc_vectorizer_defaults();   /* lemmas, counts */
    int rc = nnc_text_new(NNC_NORMALIZE_LEMMA, &t) == NNC_OK ? 0 : fail();
    for (int i = 0; rc == 0 && i < TEXTS; i++)
        rc = print_lemmas(t, i);
    if (rc == 0 && nnc_vectorizer_fit(&o, texts, TEXTS, &lemmas) != NNC_OK)
        rc = fail();
    o.normalize = NNC_NORMALIZE_NONE;
    if (rc == 0 && nnc_vectorizer_fit(&o, texts, TEXTS, &words) != NNC_OK)
        rc = fail();
    if (rc == 0) {
        printf("  vocabulary (%d lemmas):", nnc_vectorizer_terms(lemmas));
        for (int k = 0; k < nnc_vectorizer_terms(lemmas); k++)
            printf(" %s", nnc_vectorizer_term(lemmas, k));
        printf("\n");
    }
    for (int i = 0; rc == 0 && i < TEXTS; i++)
        rc = print_counts(lemmas, i);
    if (rc == 0)
        printf("  without lemmatisation the vocabulary has %d words for the same texts: "
               "each row is sparser\n", nnc_vectorizer_terms(words));
    nnc_vectorizer_free(lemmas);
    nnc_vectorizer_free(words);
    nnc_text_free(t);
    return rc;
}

/* libFuzzer target for the text pipeline: nnc_text_words and the bag of
 * words. The first input byte picks the normalisation (kept, stemmed,
 * lemmatised) and the features (counts, presence, tf-idf, with bigrams);
 * the rest, cut at each newline into texts, is fitted as a vocabulary, and
 * every text is then turned into its row. Any bytes must give words or a
 * clear refusal, never a crash, and every row's indices must be in the
 * vocabulary, increasing, with finite values. */
#include <nnc.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    nnc_vectorizer_options o = nnc_vectorizer_defaults();
    o.normalize = (nnc_normalize)(data[0] % 3);
    o.features = (nnc_text_features)((data[0] / 3) % 3);
    o.bigrams = (data[0] / 9) & 1;
    o.sublinear_tf = (data[0] / 18) & 1;
    o.min_documents = 1 + ((data[0] / 36) & 1);
    /* The texts, NUL-terminated copies of the lines (a NUL inside a line
     * ends it early: the vectoriser takes C strings). */
    char *copy = malloc(size);
    if (copy == NULL)
        return 0;
    memcpy(copy, data + 1, size - 1);
    copy[size - 1] = '\0';
    const char *texts[MAX_TEXTS];
    int n = 0;
    for (char *p = copy; n < MAX_TEXTS;) {
        texts[n++] = p;
        char *end = strchr(p, '\n');
        if (end == NULL)
            break;
        *end = '\0';
        p = end + 1;
    }
    nnc_text *t = NULL;
    if (nnc_text_new(o.normalize, &t) == NNC_OK) {
        nnc_words w;
        if (nnc_text_words(t, (const char *)data + 1, size - 1, &w) == NNC_OK)
            nnc_words_free(&w);
        nnc_text_free(t);
    }
    nnc_vectorizer *v = NULL;
    if (nnc_vectorizer_fit(&o, texts, n, &v) == NNC_OK) {
        for (int i = 0; i < n; i++) {
            nnc_sparse_row row;
            if (nnc_vectorizer_transform(v, texts[i], strlen(texts[i]), &row, NULL) != NNC_OK)
                continue;
            for (int k = 0; k < row.n; k++)
                if (row.index[k] < 0 || row.index[k] >= nnc_vectorizer_terms(v) ||
                    (k > 0 && row.index[k] <= row.index[k - 1]) || !isfinite(row.value[k]))
                    abort();
            nnc_sparse_row_free(&row);
        }
        nnc_vectorizer_free(v);
    }
    free(copy);
    return 0;
}

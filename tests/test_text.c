/*
 * test_text.c - text as words: Unicode case folding and splitting (utf8proc),
 * Snowball stems, WordNet lemmas (the tutorial's "watch" forms and irregular
 * ones), and text that is not text refused with the byte at fault.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nnc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* text's words, joined by single spaces, as how normalises them. */
static char *words_of(nnc_normalize how, const char *text)
{
    nnc_text *t = NULL;
    assert_int_equal(nnc_text_new(how, &t), NNC_OK);
    nnc_words w;
    nnc_status st = nnc_text_words(t, text, strlen(text), &w);
    if (st != NNC_OK)
        fail_msg("%s", nnc_last_error());
    size_t size = 1;
    for (int i = 0; i < w.n; i++)
        size += strlen(w.word[i]) + 1;
    char *joined = calloc(size, 1);
    assert_non_null(joined);
    for (int i = 0; i < w.n; i++) {
        if (i > 0)
            strcat(joined, " ");
        strcat(joined, w.word[i]);
    }
    nnc_words_free(&w);
    nnc_text_free(t);
    return joined;
}

static void expect_words(nnc_normalize how, const char *text, const char *want)
{
    char *got = words_of(how, text);
    if (strcmp(got, want) != 0)
        fail_msg("'%s' gave '%s', want '%s'", text, got, want);
    free(got);
}

static void test_case_folding_and_splitting(void **state)
{
    (void)state;
    /* ß folds to ss, capitals of every script to their small letters, the
     * ligature ﬁ to f i, a final sigma to σ; accents stay. */
    expect_words(NNC_NORMALIZE_NONE, "Straße STRASSE strasse", "strasse strasse strasse");
    expect_words(NNC_NORMALIZE_NONE, "ÉCOLE école Ὀδυσσεύς ﬁne ÇA",
                 "école école ὀδυσσεύσ fine ça");
    /* Punctuation and symbols end words; apostrophes between letters do not;
     * digits are words. */
    expect_words(NNC_NORMALIZE_NONE, "Hello, world! Don't stop—2024 rock'n'roll 'quoted' x-ray",
                 "hello world don't stop 2024 rock'n'roll quoted x ray");
    expect_words(NNC_NORMALIZE_NONE, "  ", "");
    expect_words(NNC_NORMALIZE_NONE, "日本語のテキスト", "日本語のテキスト");
}

static void test_lemmas(void **state)
{
    (void)state;
    /* The tutorial's example, then irregular forms from WordNet's lists. */
    expect_words(NNC_NORMALIZE_LEMMA, "watches watching watched Watch",
                 "watch watch watch watch");
    expect_words(NNC_NORMALIZE_LEMMA, "better mice went geese was children",
                 "good mouse go goose be child");
    /* Words WordNet does not know stay as they are. */
    expect_words(NNC_NORMALIZE_LEMMA, "libstemmer zxqv", "libstemmer zxqv");
}

static void test_stems(void **state)
{
    (void)state;
    expect_words(NNC_NORMALIZE_STEM, "watches watching watched generously running",
                 "watch watch watch generous run");
    /* A stem is not a word: "mice" stays, "descriptions" loses its ending. */
    expect_words(NNC_NORMALIZE_STEM, "mice descriptions", "mice descript");
}

static void test_text_that_is_not_text(void **state)
{
    (void)state;
    nnc_text *t = NULL;
    assert_int_equal(nnc_text_new(NNC_NORMALIZE_NONE, &t), NNC_OK);
    nnc_words w;
    assert_int_equal(nnc_text_words(t, "abc\xff" "def", 7, &w), NNC_EFORMAT);
    assert_string_equal(nnc_last_error(), "byte 4: not UTF-8 (0xff)");
    assert_int_equal(w.n, 0);
    assert_int_equal(nnc_text_words(t, "ab\0cd", 5, &w), NNC_EFORMAT);
    assert_string_equal(nnc_last_error(), "byte 3: a NUL byte in text");
    /* An overlong encoding of '/' and a lone continuation byte. */
    assert_int_equal(nnc_text_words(t, "\xc0\xaf", 2, &w), NNC_EFORMAT);
    assert_int_equal(nnc_text_words(t, "a\x80", 2, &w), NNC_EFORMAT);
    assert_string_equal(nnc_last_error(), "byte 2: not UTF-8 (0x80)");
    size_t big = 1 << 20;
    char *mb = malloc(big);
    assert_non_null(mb);
    memset(mb, 'a', big);
    assert_int_equal(nnc_text_words(t, mb, big, &w), NNC_EFORMAT);
    assert_non_null(strstr(nnc_last_error(), "text of 1048576 bytes; a text may have 65536"));
    /* The longest text allowed is one word. */
    assert_int_equal(nnc_text_words(t, mb, NNC_MAX_TEXT_BYTES, &w), NNC_OK);
    assert_int_equal(w.n, 1);
    assert_int_equal(strlen(w.word[0]), NNC_MAX_TEXT_BYTES);
    nnc_words_free(&w);
    free(mb);
    nnc_text_free(t);
    assert_int_equal(nnc_text_new((nnc_normalize)9, &t), NNC_EINVAL);
}

/* ---------------------------------------------------------- bag of words */

static const char *const corpus[] = {"The cat sat", "the cat ate the fish", "A dog"};

static nnc_vectorizer *fitted(nnc_text_features features, int bigrams, int min_documents,
                              int max_terms, int sublinear)
{
    nnc_vectorizer_options o = nnc_vectorizer_defaults();
    o.normalize = NNC_NORMALIZE_NONE;
    o.features = features;
    o.bigrams = bigrams;
    o.min_documents = min_documents;
    o.max_terms = max_terms;
    o.sublinear_tf = sublinear;
    nnc_vectorizer *v = NULL;
    assert_int_equal(nnc_vectorizer_fit(&o, corpus, 3, &v), NNC_OK);
    return v;
}

/* Row of text as a dense vector of the vocabulary's size. */
static void dense_row(const nnc_vectorizer *v, const char *text, float *out, int *unknown)
{
    nnc_sparse_row row;
    assert_int_equal(nnc_vectorizer_transform(v, text, strlen(text), &row, unknown), NNC_OK);
    memset(out, 0, (size_t)nnc_vectorizer_terms(v) * sizeof *out);
    for (int i = 0; i < row.n; i++) {
        if (i > 0)
            assert_true(row.index[i] > row.index[i - 1]);
        out[row.index[i]] = row.value[i];
    }
    nnc_sparse_row_free(&row);
}

static void test_counts_and_vocabulary(void **state)
{
    (void)state;
    nnc_vectorizer *v = fitted(NNC_FEATURES_COUNTS, 0, 1, 0, 0);
    const char *terms[] = {"a", "ate", "cat", "dog", "fish", "sat", "the"};
    assert_int_equal(nnc_vectorizer_terms(v), 7);
    for (int i = 0; i < 7; i++)
        assert_string_equal(nnc_vectorizer_term(v, i), terms[i]);
    float x[7];
    int unknown = -1;
    dense_row(v, "The cat ate the FISH, the end", x, &unknown);
    const float want[7] = {0, 1, 1, 0, 1, 0, 3};
    assert_memory_equal(x, want, sizeof want);
    assert_int_equal(unknown, 1);   /* "end" */
    nnc_vectorizer_free(v);

    v = fitted(NNC_FEATURES_BINARY, 0, 1, 0, 0);
    dense_row(v, "the the the cat", x, NULL);
    assert_true(x[6] == 1 && x[2] == 1 && x[0] == 0);
    nnc_vectorizer_free(v);

    /* In two texts or more: cat and the; with bigrams also "the cat". */
    v = fitted(NNC_FEATURES_COUNTS, 1, 2, 0, 0);
    assert_int_equal(nnc_vectorizer_terms(v), 3);
    assert_string_equal(nnc_vectorizer_term(v, 2), "the cat");
    nnc_vectorizer_free(v);
    /* The two most frequent terms: the (3 times), then cat (2, before a
     * term of 1), in strcmp order. */
    v = fitted(NNC_FEATURES_COUNTS, 0, 1, 2, 0);
    assert_int_equal(nnc_vectorizer_terms(v), 2);
    assert_string_equal(nnc_vectorizer_term(v, 0), "cat");
    assert_string_equal(nnc_vectorizer_term(v, 1), "the");
    nnc_vectorizer_free(v);
}

/* tf-idf as scikit-learn's TfidfVectorizer (smooth idf, l2 rows) gives it
 * on the same corpus and words: idf = ln((1 + 3) / (1 + df)) + 1. */
static void test_tfidf(void **state)
{
    (void)state;
    nnc_vectorizer *v = fitted(NNC_FEATURES_TFIDF, 0, 1, 0, 0);
    assert_float_equal(nnc_vectorizer_idf(v, 6), log(4.0 / 3.0) + 1, 1e-6);   /* the: 2 texts */
    assert_float_equal(nnc_vectorizer_idf(v, 5), log(2.0) + 1, 1e-6);         /* sat: 1 */
    float x[7];
    dense_row(v, corpus[0], x, NULL);
    /* cat, sat, the: (1.287682, 1.693147, 1.287682) / 2.486569 */
    const float want0[7] = {0, 0, 0.517856f, 0, 0, 0.680919f, 0.517856f};
    for (int i = 0; i < 7; i++)
        assert_float_equal(x[i], want0[i], 2e-6);
    dense_row(v, corpus[1], x, NULL);
    const float want1[7] = {0, 0.452123f, 0.343851f, 0, 0.452123f, 0, 0.687703f};
    for (int i = 0; i < 7; i++)
        assert_float_equal(x[i], want1[i], 2e-6);
    nnc_vectorizer_free(v);
    /* Sublinear tf with bigrams and min_documents 2 (scikit-learn: 0.453295,
     * 0.767495, 0.453295 for the second text). */
    v = fitted(NNC_FEATURES_TFIDF, 1, 2, 0, 1);
    dense_row(v, corpus[1], x, NULL);
    assert_float_equal(x[0], 0.453295f, 2e-6);
    assert_float_equal(x[1], 0.767495f, 2e-6);
    assert_float_equal(x[2], 0.453295f, 2e-6);
    dense_row(v, "a dog", x, NULL);   /* nothing known: an all-zero row */
    assert_true(x[0] == 0 && x[1] == 0 && x[2] == 0);
    nnc_vectorizer_free(v);
}

/* The tutorial's bag of words: lemmas first, then each one's count. */
static void test_lemmas_make_a_denser_bag(void **state)
{
    (void)state;
    const char *texts[] = {"He watches films", "She watched the film and is watching it again"};
    nnc_vectorizer_options o = nnc_vectorizer_defaults();
    nnc_vectorizer *lemmas = NULL, *words = NULL;
    assert_int_equal(nnc_vectorizer_fit(&o, texts, 2, &lemmas), NNC_OK);
    o.normalize = NNC_NORMALIZE_NONE;
    assert_int_equal(nnc_vectorizer_fit(&o, texts, 2, &words), NNC_OK);
    /* watches, watched, watching, films, film: 5 terms as words, 2 as lemmas. */
    assert_int_equal(nnc_vectorizer_terms(words) - nnc_vectorizer_terms(lemmas), 3);
    float x[32];
    dense_row(lemmas, texts[1], x, NULL);
    int watch = -1;
    for (int i = 0; i < nnc_vectorizer_terms(lemmas); i++)
        if (strcmp(nnc_vectorizer_term(lemmas, i), "watch") == 0)
            watch = i;
    assert_true(watch >= 0 && x[watch] == 2);
    nnc_vectorizer_free(lemmas);
    nnc_vectorizer_free(words);
    /* A text that is not text is refused, naming it. */
    const char *bad[] = {"fine", "bad \xff"};
    nnc_vectorizer *v = (nnc_vectorizer *)1;
    assert_int_equal(nnc_vectorizer_fit(&o, bad, 2, &v), NNC_EFORMAT);
    assert_null(v);
    assert_string_equal(nnc_last_error(), "text 2: byte 5: not UTF-8 (0xff)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_folding_and_splitting),
        cmocka_unit_test(test_lemmas),
        cmocka_unit_test(test_stems),
        cmocka_unit_test(test_text_that_is_not_text),
        cmocka_unit_test(test_counts_and_vocabulary),
        cmocka_unit_test(test_tfidf),
        cmocka_unit_test(test_lemmas_make_a_denser_bag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

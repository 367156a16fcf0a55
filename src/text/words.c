/*
 * words.c - text as words: UTF-8 checked, case-folded, split, normalised.
 *
 * Unicode is utf8proc's job: it checks the bytes, applies compatibility
 * composition and case folding (NFKC_Casefold, so "Straße", "STRASSE" and
 * "strasse" are one word, as are "ﬁ" and "fi"), and says which category each
 * code point is in. A word is a run of letters, marks and digits; an
 * apostrophe between two letters stays inside it ("don't", "l'eau"), any
 * other character (space, punctuation, symbol) ends it. Numbers are words
 * like any other ("2024").
 *
 * Then each word is normalised: kept as it is, stemmed by Snowball's English
 * stemmer (libstemmer: "generously" -> "generous"), or reduced to its
 * dictionary form by WordNet's morphology (morphstr, with WordNet's lists
 * of irregular forms: "went" -> "go", "mice" -> "mouse", "better" ->
 * "good"). WordNet keeps its state in globals, so every call into it holds
 * one lock.
 */
#define _POSIX_C_SOURCE 200809L
#include "text/text.h"

#include <libstemmer.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <wn.h>

struct nnc_text {
    nnc_normalize how;
    struct sb_stemmer *stemmer;   /* NNC_NORMALIZE_STEM */
};

/* ------------------------------------------------------------- WordNet */

static pthread_mutex_t wordnet_lock = PTHREAD_MUTEX_INITIALIZER;
static int wordnet_state;   /* 0 not tried, 1 open, -1 missing (under the lock) */

static nnc_status open_wordnet(void)
{
    pthread_mutex_lock(&wordnet_lock);
    if (wordnet_state == 0)
        wordnet_state = wninit() == 0 ? 1 : -1;
    int state = wordnet_state;
    pthread_mutex_unlock(&wordnet_lock);
    if (state < 0)
        return nnc_fail(NNC_EIO, "text: WordNet's dictionary cannot be opened (install the "
                                 "Debian package wordnet-base, or set WNSEARCHDIR)");
    return NNC_OK;
}

/* The dictionary form of a case-folded word: WordNet's first lemma as a
 * verb, a noun, an adjective, then an adverb ("was" is "be", not the noun
 * "wa"); the word itself when WordNet knows no other. A new string. */
static char *lemma_of(const char *word)
{
    static const int parts[] = {VERB, NOUN, ADJ, ADV};
    size_t n = strlen(word);
    char *copy = nnc_alloc(n + 1, 1, 0);
    if (copy == NULL)
        return NULL;
    char *found = NULL;
    pthread_mutex_lock(&wordnet_lock);
    for (size_t p = 0; found == NULL && p < sizeof parts / sizeof *parts; p++) {
        memcpy(copy, word, n + 1);   /* morphstr may write to its argument */
        const char *lemma = morphstr(copy, parts[p]);
        if (lemma != NULL && strchr(lemma, '_') == NULL)   /* one word, not a phrase */
            found = nnc_strdup(lemma);
    }
    pthread_mutex_unlock(&wordnet_lock);
    free(copy);
    return found != NULL ? found : nnc_strdup(word);
}

/* ---------------------------------------------------------- normalisers */

nnc_status nnc_text_new(nnc_normalize how, nnc_text **out)
{
    if (out == NULL)
        return nnc_fail(NNC_EINVAL, "text: NULL argument");
    *out = NULL;
    if (how != NNC_NORMALIZE_NONE && how != NNC_NORMALIZE_STEM && how != NNC_NORMALIZE_LEMMA)
        return nnc_fail(NNC_EINVAL, "text: unknown normalisation %d", (int)how);
    if (how == NNC_NORMALIZE_LEMMA) {
        nnc_status st = open_wordnet();
        if (st != NNC_OK)
            return st;
    }
    nnc_text *t = nnc_alloc(1, sizeof *t, 1);
    if (t == NULL)
        return NNC_ENOMEM;
    t->how = how;
    if (how == NNC_NORMALIZE_STEM && (t->stemmer = sb_stemmer_new("english", "UTF_8")) == NULL) {
        free(t);
        return nnc_fail(NNC_ENOMEM, "text: Snowball's English stemmer could not be made");
    }
    *out = t;
    return NNC_OK;
}

void nnc_text_free(nnc_text *t)
{
    if (t == NULL)
        return;
    if (t->stemmer != NULL)
        sb_stemmer_delete(t->stemmer);
    free(t);
}

nnc_normalize nnc_text_normalization(const nnc_text *t)
{
    return t ? t->how : NNC_NORMALIZE_NONE;
}

/* A word (case-folded already) as the normaliser makes it; a new string. */
static char *normalise(nnc_text *t, const char *word, size_t n)
{
    if (t->how == NNC_NORMALIZE_STEM) {
        const sb_symbol *s = sb_stemmer_stem(t->stemmer, (const sb_symbol *)word, (int)n);
        if (s == NULL)
            return NULL;
        size_t len = (size_t)sb_stemmer_length(t->stemmer);
        char *stem = nnc_alloc(len + 1, 1, 0);
        if (stem != NULL) {
            memcpy(stem, s, len);
            stem[len] = '\0';
        }
        return stem;
    }
    char *plain = nnc_alloc(n + 1, 1, 0);
    if (plain == NULL)
        return NULL;
    memcpy(plain, word, n);
    plain[n] = '\0';
    if (t->how == NNC_NORMALIZE_NONE)
        return plain;
    char *lemma = lemma_of(plain);
    free(plain);
    return lemma;
}

/* --------------------------------------------------------------- words */

void nnc_words_free(nnc_words *w)
{
    if (w == NULL)
        return;
    nnc_free_strings(w->word, w->n);
    w->word = NULL;
    w->n = 0;
}

static int is_word_char(utf8proc_int32_t c)
{
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

static int is_letter(utf8proc_int32_t c)
{
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}

/* Refuses what is not text: bytes that are not UTF-8, a NUL, too many bytes. */
static nnc_status check_text(const char *text, size_t len)
{
    if (len > NNC_MAX_TEXT_BYTES)
        return nnc_fail(NNC_EFORMAT, "text of %zu bytes; a text may have %d", len,
                        NNC_MAX_TEXT_BYTES);
    for (size_t at = 0; at < len;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)text + at,
                                              (utf8proc_ssize_t)(len - at), &c);
        if (n < 0)
            return nnc_fail(NNC_EFORMAT, "byte %zu: not UTF-8 (0x%02x)", at + 1,
                            (unsigned)(unsigned char)text[at]);
        if (c == 0)
            return nnc_fail(NNC_EFORMAT, "byte %zu: a NUL byte in text", at + 1);
        at += (size_t)n;
    }
    return NNC_OK;
}

static nnc_status push_word(nnc_text *t, nnc_words *w, int *cap, const char *word, size_t n)
{
    if (w->n == *cap) {
        int grown = *cap ? 2 * *cap : 16;
        char **more = realloc(w->word, (size_t)grown * sizeof *more);
        if (more == NULL)
            return NNC_ENOMEM;
        w->word = more;
        *cap = grown;
    }
    if ((w->word[w->n] = normalise(t, word, n)) == NULL)
        return NNC_ENOMEM;
    w->n++;
    return NNC_OK;
}

nnc_status nnc_text_words(nnc_text *t, const char *text, size_t len, nnc_words *out)
{
    if (t == NULL || (text == NULL && len > 0) || out == NULL)
        return nnc_fail(NNC_EINVAL, "text words: NULL argument");
    out->n = 0;
    out->word = NULL;
    nnc_status st = check_text(text, len);
    if (st != NNC_OK || len == 0)
        return st;
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len,
                                      &folded, UTF8PROC_STABLE | UTF8PROC_COMPAT |
                                      UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
    if (n < 0)
        return nnc_fail(NNC_EFORMAT, "text: %s", utf8proc_errmsg(n));
    const char *s = (const char *)folded;
    int cap = 0;
    size_t start = 0, at = 0;
    int in_word = 0;
    utf8proc_int32_t previous = 0;
    while (st == NNC_OK && at < (size_t)n) {
        utf8proc_int32_t c, next = 0;
        utf8proc_ssize_t k = utf8proc_iterate(folded + at, n - (utf8proc_ssize_t)at, &c);
        if (at + (size_t)k < (size_t)n)
            utf8proc_iterate(folded + at + k, n - (utf8proc_ssize_t)(at + k), &next);
        int apostrophe = (c == '\'' || c == 0x2019) && in_word && is_letter(previous) &&
                         is_letter(next);
        if (is_word_char(c) || apostrophe) {
            if (!in_word)
                start = at;
            in_word = 1;
        } else if (in_word) {
            st = push_word(t, out, &cap, s + start, at - start);
            in_word = 0;
        }
        previous = c;
        at += (size_t)k;
    }
    if (st == NNC_OK && in_word)
        st = push_word(t, out, &cap, s + start, at - start);
    free(folded);
    if (st != NNC_OK)
        nnc_words_free(out);
    return st;
}

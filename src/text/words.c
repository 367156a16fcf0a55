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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <wn.h>

/* A word and what the normaliser made of it, remembered: WordNet's morphstr
 * reads its index files for every call (four calls a word, one per part of
 * speech), which made lemmas cost 40 times what splitting the words did;
 * text repeats its words, so each distinct one is looked up once. */
typedef struct known_word {
    char *word;
    char *normal;
} known_word;

/* The most words remembered; beyond it, words are looked up every time. */
#define MAX_KNOWN (1 << 20)

struct nnc_text {
    nnc_normalize how;
    struct sb_stemmer *stemmer;   /* NNC_NORMALIZE_STEM */
    known_word *known;            /* lemmas: open addressing, `room` slots */
    size_t room, used;
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
    for (size_t i = 0; i < t->room; i++) {
        free(t->known[i].word);
        free(t->known[i].normal);
    }
    free(t->known);
    if (t->stemmer != NULL)
        sb_stemmer_delete(t->stemmer);
    free(t);
}

nnc_normalize nnc_text_normalization(const nnc_text *t)
{
    return t ? t->how : NNC_NORMALIZE_NONE;
}

static size_t hash_of(const char *word)
{
    uint64_t h = 1469598103934665603u;   /* FNV-1a */
    for (; *word != '\0'; word++)
        h = (h ^ (unsigned char)*word) * 1099511628211u;
    return (size_t)h;
}

/* The slot of word in t->known: where it is, or the empty one it would go in. */
static known_word *slot_of(const nnc_text *t, const char *word)
{
    size_t i = hash_of(word) & (t->room - 1);
    while (t->known[i].word != NULL && strcmp(t->known[i].word, word) != 0)
        i = (i + 1) & (t->room - 1);
    return &t->known[i];
}

/* Doubles the table (from 1024 slots), keeping it at most half full. */
static int grow_known(nnc_text *t)
{
    size_t room = t->room ? 2 * t->room : 1024;
    known_word *old = t->known;
    size_t old_room = t->room;
    if ((t->known = calloc(room, sizeof *t->known)) == NULL) {
        t->known = old;
        return -1;
    }
    t->room = room;
    for (size_t i = 0; i < old_room; i++)
        if (old[i].word != NULL)
            *slot_of(t, old[i].word) = old[i];
    free(old);
    return 0;
}

/* word's lemma, from the table or from WordNet (then remembered); a new string. */
static char *known_lemma(nnc_text *t, const char *word)
{
    if (t->room > 0) {
        known_word *k = slot_of(t, word);
        if (k->word != NULL)
            return nnc_strdup(k->normal);
    }
    char *lemma = lemma_of(word);
    if (lemma == NULL || t->used >= MAX_KNOWN ||
        (2 * (t->used + 1) > t->room && grow_known(t) != 0))
        return lemma;   /* not remembered: still right, only slower */
    char *w = nnc_strdup(word), *l = nnc_strdup(lemma);
    if (w == NULL || l == NULL) {
        free(w);
        free(l);
        return lemma;
    }
    *slot_of(t, word) = (known_word){w, l};
    t->used++;
    return lemma;
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
    char *lemma = known_lemma(t, plain);
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

nnc_status nnc_text_check(const char *text, size_t len)
{
    if (text == NULL && len > 0)
        return nnc_fail(NNC_EINVAL, "text check: NULL text");
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
    nnc_status st = nnc_text_check(text, len);
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

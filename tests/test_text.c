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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_folding_and_splitting),
        cmocka_unit_test(test_lemmas),
        cmocka_unit_test(test_stems),
        cmocka_unit_test(test_text_that_is_not_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * cli_support.h - what the tests of the nnc program share: a scratch folder
 * per test, running the real binary with its output captured, reading files.
 * Include after <cmocka.h>; failures are cmocka assertions.
 */
#ifndef NNC_TEST_CLI_SUPPORT_H
#define NNC_TEST_CLI_SUPPORT_H

#include <stddef.h>

/* cmocka setup and teardown: a fresh temporary folder, then its removal. */
int make_dir(void **state);
int remove_dir(void **state);

/* "FOLDER/name" in one of a few static buffers (several may be alive). */
const char *in_dir(const char *name);

/* Runs `nnc ARGS` (ARGS a printf format) with stdout and stderr captured in
 * FOLDER/stdout and FOLDER/stderr; returns its exit code. */
int run_nnc(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* The whole of a file, NUL-terminated (the caller frees); fails the test if
 * the file is missing. *size (if not NULL) gets its length. */
char *slurp(const char *path, long *size);

/* Writes n bytes to path, or fails the test. */
void write_file(const char *path, const void *bytes, size_t n);

int exists(const char *path);
int count_lines(const char *text);

/* The number printed right after the first `label` in the last run's
 * stdout ("\ntest: accuracy " gives the test accuracy); fails the test,
 * showing the output, if the label is not there. */
double number_after(const char *label);

/* Whether FOLDER/sub (NULL: FOLDER) holds a leftover temporary file. */
int has_temporary(const char *sub);

/* A text a parser must refuse (a layer grammar, a shape), the column its
 * message must name and words the message must have. */
typedef struct bad_text {
    const char *text;
    int column;
    const char *says;
} bad_text;

/* Fails the test unless status is NNC_EINVAL (as an int, to keep nnc.h out
 * of this header) and nnc_last_error() starts "WHAT: column C, '" and holds
 * b->says. */
void expect_bad_text(const bad_text *b, int status, const char *what);

#endif

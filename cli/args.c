/*
 * args.c - strict parsing of command-line values (see args.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int parse_int(const char *option, const char *text, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "nnc: %s expects a whole number from %ld to %ld, got '%s'\n", option,
                min, max, text);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int parse_u64(const char *option, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    /* strtoull skips blanks and takes a sign, so " -1" would become 2^64 - 1:
     * only digits are a number here. */
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || text[0] < '0' || text[0] > '9' || *end != '\0') {
        fprintf(stderr, "nnc: %s expects a non-negative whole number, got '%s'\n", option,
                text);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int parse_positive(const char *option, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v) || !(v > 0.0)) {
        fprintf(stderr, "nnc: %s expects a positive number, got '%s'\n", option, text);
        return -1;
    }
    *out = v;
    return 0;
}

int ensure_directory(const char *path)
{
    struct stat info;
    if (stat(path, &info) == 0) {
        if (S_ISDIR(info.st_mode))
            return 0;
        fprintf(stderr, "nnc: '%s' exists and is not a directory\n", path);
        return -1;
    }
    if (mkdir(path, 0777) != 0) {
        fprintf(stderr, "nnc: cannot create directory '%s': %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int join_path(char *buf, unsigned long n, const char *dir, const char *name)
{
    int len = snprintf(buf, n, "%s/%s", dir, name);
    if (len < 0 || (unsigned long)len >= n) {
        fprintf(stderr, "nnc: path too long: '%s/%s'\n", dir, name);
        return -1;
    }
    return 0;
}

int parse_double(const char *option, const char *text, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v) || v < min || v > max) {
        fprintf(stderr, "nnc: %s expects a number from %g to %g, got '%s'\n", option, min, max,
                text);
        return -1;
    }
    *out = v;
    return 0;
}

char **split_names(const char *option, const char *text, int *count)
{
    size_t len = strlen(text);
    int n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == ',';
    /* One block: the pointer array, then the copied text the pointers point into. */
    char **names = malloc(((size_t)n + 1) * sizeof *names + len + 1);
    if (names == NULL) {
        fprintf(stderr, "nnc: out of memory\n");
        return NULL;
    }
    char *copy = (char *)(names + n + 1);
    memcpy(copy, text, len + 1);
    int k = 0;
    for (char *tok = copy;; tok++) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        if (*tok == '\0') {
            fprintf(stderr, "nnc: %s has an empty name in '%s'\n", option, text);
            free(names);
            return NULL;
        }
        names[k++] = tok;
        if (!comma)
            break;
        tok = comma;
    }
    names[k] = NULL;
    *count = k;
    return names;
}

void free_names(char **names)
{
    free(names);
}

char **read_word_list(const char *option, const char *path, int *count)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "nnc: %s %s: cannot open: %s\n", option, path, strerror(errno));
        return NULL;
    }
    /* A list of words, not a corpus: a megabyte is plenty. */
    enum { MOST = 1 << 20 };
    char *text = malloc(MOST + 1);
    size_t len = text ? fread(text, 1, MOST + 1, f) : 0;
    int failed = text == NULL || ferror(f);
    fclose(f);
    if (failed || len > MOST) {
        fprintf(stderr, "nnc: %s %s: %s\n", option, path,
                text == NULL ? "out of memory" : failed ? "cannot read" : "more than 1 MiB");
        free(text);
        return NULL;
    }
    text[len] = '\0';
    if (memchr(text, '\0', len) != NULL) {
        fprintf(stderr, "nnc: %s %s: a NUL byte: not a text file\n", option, path);
        free(text);
        return NULL;
    }
    /* The words joined by commas would break on a comma in a word: build
     * the split_names layout directly, one block of pointers then text. */
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    n++;
    char **words = malloc(((size_t)n + 1) * sizeof *words + len + 1);
    if (words == NULL) {
        fprintf(stderr, "nnc: out of memory\n");
        free(text);
        return NULL;
    }
    char *copy = (char *)(words + n + 1);
    memcpy(copy, text, len + 1);
    free(text);
    int k = 0;
    for (char *line = copy; line != NULL;) {
        char *end = strchr(line, '\n');
        if (end != NULL)
            *end = '\0';
        char *next = end ? end + 1 : NULL;
        while (*line == ' ' || *line == '\t' || *line == '\r')
            line++;
        size_t m = strlen(line);
        while (m > 0 && (line[m - 1] == ' ' || line[m - 1] == '\t' || line[m - 1] == '\r'))
            line[--m] = '\0';
        if (m > 0 && line[0] != '#')
            words[k++] = line;
        line = next;
    }
    words[k] = NULL;
    if (k == 0) {
        fprintf(stderr, "nnc: %s %s: no words in the file\n", option, path);
        free(words);
        return NULL;
    }
    *count = k;
    return words;
}

int parse_choice(const char *option, const char *text, const char *const *choices)
{
    for (int i = 0; choices[i] != NULL; i++)
        if (strcmp(text, choices[i]) == 0)
            return i;
    fprintf(stderr, "nnc: %s expects one of", option);
    for (int i = 0; choices[i] != NULL; i++)
        fprintf(stderr, "%s %s", i ? "," : "", choices[i]);
    fprintf(stderr, "; got '%s'\n", text);
    return -1;
}

void begin_options(void)
{
    optind = 1;
    opterr = 0;
}

/* The edit distance (Levenshtein) of a[0..n) and b, capped: anything
 * above cap counts as cap + 1. Option names are short. */
static int edits(const char *a, size_t n, const char *b, int cap)
{
    size_t m = strlen(b);
    if (n > 64 || m > 64)
        return cap + 1;
    int row[65];
    for (size_t j = 0; j <= m; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int diagonal = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= m; j++) {
            int above = row[j];
            int best = diagonal + (a[i - 1] != b[j - 1]);
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[m] > cap ? cap + 1 : row[m];
}

int bad_option(const char *command, char **argv, const struct option *longs)
{
    const char *arg = argv[optind - 1];
    const char *closest = NULL;
    if (strncmp(arg, "--", 2) == 0) {
        const char *name = arg + 2;
        size_t n = strcspn(name, "=");
        int known = 0, best = 3;
        for (const struct option *o = longs; o->name != NULL; o++) {
            known |= strlen(o->name) == n && strncmp(o->name, name, n) == 0;
            int d = edits(name, n, o->name, 2);
            if (d < best) {
                best = d;
                closest = o->name;
            }
        }
        if (!known && closest != NULL && best <= 2) {
            fprintf(stderr, "nnc %s: unknown option '%s'; did you mean '--%s'? (try nnc %s "
                            "--help)\n", command, arg, closest, command);
            return -1;
        }
    }
    fprintf(stderr, "nnc %s: unknown option or missing value in '%s' (try nnc %s --help)\n",
            command, arg, command);
    return -1;
}

int no_extra_arguments(const char *command, int argc, char **argv)
{
    if (optind >= argc)
        return 0;
    fprintf(stderr, "nnc %s: unexpected argument '%s'\n", command, argv[optind]);
    return -1;
}

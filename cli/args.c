/*
 * args.c - strict parsing of command-line values (see args.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "args.h"

#include <errno.h>
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
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
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

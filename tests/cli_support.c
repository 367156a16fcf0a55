/*
 * cli_support.c - shared helpers of the CLI tests (see cli_support.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli_support.h"
#include "nnc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char dir[256];

int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", "/tmp/nnc-cli-XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

int remove_dir(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

const char *in_dir(const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

int run_nnc(const char *fmt, ...)
{
    char args[4096], cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s > '%s/stdout' 2> '%s/stderr'", NNC_BINARY, args, dir,
             dir);
    int status = system(cmd);
    assert_true(status != -1 && WIFEXITED(status));
    return WEXITSTATUS(status);
}

char *slurp(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("%s was not written", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (size)
        *size = n;
    return buf;
}

void write_file(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

int exists(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0;
}

int count_lines(const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

double number_after(const char *label)
{
    char *out = slurp(in_dir("stdout"), NULL);
    const char *at = strstr(out, label);
    if (at == NULL)
        fail_msg("no '%s' in:\n%s", label, out);
    double v = atof(at + strlen(label));
    free(out);
    return v;
}

int has_temporary(const char *sub)
{
    DIR *d = opendir(sub ? in_dir(sub) : dir);
    assert_non_null(d);
    int found = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        found |= strstr(e->d_name, ".tmp-") != NULL;
    closedir(d);
    return found;
}

void expect_bad_text(const bad_text *b, int status, const char *what)
{
    const char *msg = nnc_last_error();
    char head[128];
    snprintf(head, sizeof head, "%s: column %d, '", what, b->column);
    if (status != NNC_EINVAL || strncmp(msg, head, strlen(head)) != 0 ||
        strstr(msg, b->says) == NULL)
        fail_msg("'%s': status %d, message '%s'; wanted it to start '%s' and say '%s'", b->text,
                 status, msg, head, b->says);
}

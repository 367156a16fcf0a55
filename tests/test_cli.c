/*
 * test_cli.c - the real nnc program, run on real files in a temporary folder.
 *
 * What a user sees is checked as a user would: the exit code, that the PNG is
 * a real PNG of a plausible size, that the CSV has its 100 rows, that bad
 * options are refused with a message and leave no files behind.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nnc.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char dir[256];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", "/tmp/nnc-cli-XXXXXX");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs `nnc ARGS` with stdout and stderr captured in the temporary folder;
 * returns its exit code. */
static int run_nnc(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s > '%s/stdout' 2> '%s/stderr'", NNC_BINARY, args, dir,
             dir);
    int status = system(cmd);
    assert_true(status != -1 && WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* The whole of a file in the temporary folder (NUL-terminated, caller frees). */
static char *slurp(const char *name, long *size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
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

static int exists(const char *name)
{
    char path[512];
    struct stat info;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &info) == 0;
}

/* Whether a folder holds a leftover temporary file (name containing ".tmp-"). */
static int has_temporary(const char *sub)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    assert_non_null(d);
    int found = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        found |= strstr(e->d_name, ".tmp-") != NULL;
    closedir(d);
    return found;
}

static uint32_t big_endian32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the CSV's header and rows; returns the number of data rows. */
static int check_csv(const char *text, int every)
{
    assert_true(strncmp(text, "iteration,error\n", 16) == 0);
    int rows = 0;
    const char *line = strchr(text, '\n') + 1;
    while (*line) {
        long iteration;
        double error;
        if (sscanf(line, "%ld,%lf", &iteration, &error) != 2)
            fail_msg("bad CSV row: %.40s", line);
        assert_int_equal(iteration, (long)rows * every);
        assert_true(isfinite(error) && error >= 0.0 && error <= 8.0);
        rows++;
        line = strchr(line, '\n');
        assert_non_null(line);
        line++;
    }
    return rows;
}

static void test_tutorial_writes_png_and_csv(void **state)
{
    (void)state;
    char args[512];
    snprintf(args, sizeof args, "tutorial --out-dir '%s/out'", dir);
    assert_int_equal(run_nnc(args), 0);

    long size;
    unsigned char *png = (unsigned char *)slurp("out/cumulative_error.png", &size);
    static const unsigned char signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    assert_memory_equal(png, signature, 8);
    assert_memory_equal(png + 12, "IHDR", 4);
    assert_int_equal(big_endian32(png + 16), 800);
    assert_int_equal(big_endian32(png + 20), 600);
    assert_in_range(size, 10 * 1024, 2 * 1024 * 1024);   /* a drawn chart, not a blank */
    free(png);

    char *csv = slurp("out/cumulative_error.csv", NULL);
    assert_int_equal(check_csv(csv, 100), 100);
    free(csv);

    /* The walkthrough's numbers appear, computed by the library. */
    char *out = slurp("stdout", NULL);
    const char *expected[] = { "2.1672000", "0.79857308", "0.87101918", "0.75867442",
                               "derror_dbias    = 0.19570890", "[0.39141780, 0.29356337]",
                               "Final predictions", "cumulative_error.png" };
    for (size_t i = 0; i < sizeof expected / sizeof *expected; i++)
        if (strstr(out, expected[i]) == NULL)
            fail_msg("stdout lacks '%s'", expected[i]);
    free(out);
}

static void test_options_change_the_run(void **state)
{
    (void)state;
    char args[512];
    snprintf(args, sizeof args,
             "tutorial --iterations 500 --seed 9 --learning-rate 0.05 --out-dir '%s/a'", dir);
    assert_int_equal(run_nnc(args), 0);
    char *a = slurp("a/cumulative_error.csv", NULL);
    assert_int_equal(check_csv(a, 100), 5);

    /* Same seed, same numbers; another seed, other numbers. */
    snprintf(args, sizeof args,
             "tutorial --iterations 500 --seed 9 --learning-rate 0.05 --out-dir '%s/b'", dir);
    assert_int_equal(run_nnc(args), 0);
    char *b = slurp("b/cumulative_error.csv", NULL);
    assert_string_equal(a, b);
    snprintf(args, sizeof args, "tutorial --iterations 500 --seed 10 --out-dir '%s/c'", dir);
    assert_int_equal(run_nnc(args), 0);
    char *c = slurp("c/cumulative_error.csv", NULL);
    assert_string_not_equal(a, c);
    free(a);
    free(b);
    free(c);
}

static void test_version_and_help(void **state)
{
    (void)state;
    assert_int_equal(run_nnc("--version"), 0);
    char *out = slurp("stdout", NULL);
    assert_string_equal(out, "nnc " NNC_VERSION "\n");
    free(out);
    assert_int_equal(run_nnc("tutorial --help"), 0);
    out = slurp("stdout", NULL);
    assert_non_null(strstr(out, "--learning-rate"));
    free(out);
}

/* Each bad command line: exit code 2, one message on stderr, no file written. */
static void test_bad_options_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "tutorial --learning-rate -1", "tutorial --learning-rate abc",
        "tutorial --learning-rate nan", "tutorial --iterations 0",
        "tutorial --iterations 12x", "tutorial --seed -4",
        "tutorial --bogus", "tutorial extra-argument",
        "frobnicate", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char args[512];
        snprintf(args, sizeof args, "%s --out-dir '%s/bad'", bad[i], dir);
        if (bad[i][0] == '\0')
            snprintf(args, sizeof args, " ");
        int rc = run_nnc(args);
        if (rc != 2)
            fail_msg("'nnc %s' exited %d, want 2", bad[i], rc);
        char *err = slurp("stderr", NULL);
        if (strlen(err) < 10 || strstr(err, "nnc") == NULL)
            fail_msg("'nnc %s' said '%s' on stderr", bad[i], err);
        free(err);
        assert_false(exists("bad"));
    }
}

static void test_unusable_out_dir(void **state)
{
    (void)state;
    char args[1024], path[512];
    snprintf(path, sizeof path, "%s/plain-file", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(args, sizeof args, "tutorial --out-dir '%s'", path);
    assert_int_equal(run_nnc(args), 1);
    char *err = slurp("stderr", NULL);
    assert_non_null(strstr(err, "not a directory"));
    free(err);


    /* The picture's name is taken by a folder: the run fails, says where, and
     * leaves no temporary file behind. */
    snprintf(path, sizeof path, "%s/out", dir);
    assert_int_equal(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/out/cumulative_error.png", dir);
    assert_int_equal(mkdir(path, 0777), 0);
    snprintf(args, sizeof args, "tutorial --out-dir '%s/out'", dir);
    assert_int_equal(run_nnc(args), 1);
    err = slurp("stderr", NULL);
    assert_non_null(strstr(err, "cumulative_error.png"));
    free(err);
    assert_false(has_temporary("out"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tutorial_writes_png_and_csv, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_options_change_the_run, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_version_and_help, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_bad_options_are_refused, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_unusable_out_dir, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

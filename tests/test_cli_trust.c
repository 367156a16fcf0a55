/*
 * test_cli_trust.c - what nnc train and predict promise about the user's
 * files, checkpoints and signals, checked by running the real program.
 *
 * Outputs: none may replace an input or another output (refused before any
 * work, one line naming both options); a symbolic link is followed, a
 * device or FIFO written in place, a directory refused, permissions kept;
 * unwritable outputs are found before the first epoch. Checkpoints: a
 * resume refuses another run's checkpoint (network, seed, learning rate,
 * batch size, data order) and a crafted one whose checksum is valid but
 * whose fields are impossible. Numbers: a divergence in the very last
 * update saves nothing. Signals: SIGINT and SIGTERM stop cleanly, say which
 * epoch the checkpoint holds, leave no temporary, and the resumed run ends
 * with the same model as one never stopped. Names: never cut, and refused
 * before training when a model file cannot hold them.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli_support.h"

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define IRIS NNC_TEST_DATA "/iris.csv"
#define FAST "--epochs 2 --progress quiet"

/* The first line of the last run's stderr, which must be its only line. */
static char *only_error_line(void)
{
    char *err = slurp(in_dir("stderr"), NULL);
    if (count_lines(err) != 1)
        fail_msg("want exactly one line on stderr, got:\n%s", err);
    return err;
}

/* A refusal: exit code want, one line on stderr naming a and b. */
static void expect_exit(int rc, int want, const char *a, const char *b)
{
    assert_int_equal(rc, want);
    char *err = only_error_line();
    if (strstr(err, a) == NULL || (b && strstr(err, b) == NULL))
        fail_msg("stderr should name '%s' and '%s': %s", a, b ? b : "", err);
    free(err);
}

static void expect_error(int rc, const char *a, const char *b)
{
    expect_exit(rc, 1, a, b);
}

static void copy_file(const char *from, const char *to)
{
    long n;
    char *bytes = slurp(from, &n);
    write_file(to, bytes, (size_t)n);
    free(bytes);
}

static int same_bytes(const char *a, const char *b)
{
    long na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    int same = na == nb && memcmp(x, y, (size_t)na) == 0;
    free(x);
    free(y);
    return same;
}

static int is_model(const char *path)
{
    long n;
    char *bytes = slurp(path, &n);
    int ok = n > 8 && memcmp(bytes, "NNCMODEL", 8) == 0;
    free(bytes);
    return ok;
}

/* ------------------------------------------------------------- clashes */

static void test_output_never_replaces_an_input(void **state)
{
    (void)state;
    copy_file(IRIS, in_dir("iris.csv"));
    long before;
    free(slurp(in_dir("iris.csv"), &before));
    expect_error(run_nnc("train --data '%s' " FAST " --out '%s'", in_dir("iris.csv"),
                         in_dir("iris.csv")), "--out", "--data");
    expect_error(run_nnc("train --data '%s' " FAST " --checkpoint '%s'", in_dir("iris.csv"),
                         in_dir("iris.csv")), "--checkpoint", "--data");
    expect_error(run_nnc("train --data '%s' " FAST " --log '%s'", in_dir("iris.csv"),
                         in_dir("iris.csv")), "--log", "--data");
    /* The same file by another name: a relative path with a detour. */
    assert_int_equal(mkdir(in_dir("sub"), 0777), 0);
    char detour[600];
    snprintf(detour, sizeof detour, "%s/../iris.csv", in_dir("sub"));
    expect_error(run_nnc("train --data '%s' " FAST " --out '%s'", in_dir("iris.csv"), detour),
                 "--out", "--data");
    assert_true(same_bytes(IRIS, in_dir("iris.csv")));   /* untouched */

    assert_int_equal(run_nnc("train --data '%s' " FAST " --out '%s'", IRIS, in_dir("m.nnc")), 0);
    expect_error(run_nnc("predict --model '%s' --data '%s' --out '%s'", in_dir("m.nnc"),
                         in_dir("iris.csv"), in_dir("iris.csv")), "--out", "--data");
    expect_error(run_nnc("predict --model '%s' --data '%s' --out '%s'", in_dir("m.nnc"),
                         in_dir("iris.csv"), in_dir("m.nnc")), "--out", "--model");
    assert_true(same_bytes(IRIS, in_dir("iris.csv")));
    assert_true(is_model(in_dir("m.nnc")));
}

static void test_outputs_never_replace_each_other(void **state)
{
    (void)state;
    /* Neither exists yet: the same name is the same file. */
    expect_error(run_nnc("train --data '%s' " FAST " --out '%s' --log '%s'", IRIS,
                         in_dir("m.nnc"), in_dir("m.nnc")), "--out", "--log");
    assert_false(exists(in_dir("m.nnc")));
    expect_error(run_nnc("train --data '%s' " FAST " --out '%s' --checkpoint '%s'", IRIS,
                         in_dir("m.nnc"), in_dir("m.nnc")), "--out", "--checkpoint");
    assert_int_equal(mkdir(in_dir("plots"), 0777), 0);
    expect_error(run_nnc("train --data '%s' " FAST " --out '%s' --plot-dir '%s'", IRIS,
                         in_dir("plots/loss.png"), in_dir("plots")), "--out", "--plot-dir");
    assert_false(has_temporary(NULL));
    /* Resuming from the checkpoint it goes on writing is the usual way. */
    assert_int_equal(run_nnc("train --data '%s' " FAST " --checkpoint '%s' --out '%s'", IRIS,
                             in_dir("ck"), in_dir("m.nnc")), 0);
    assert_int_equal(run_nnc("train --data '%s' --epochs 3 --progress quiet --checkpoint '%s' "
                             "--resume '%s' --out '%s'", IRIS, in_dir("ck"), in_dir("ck"),
                             in_dir("m.nnc")), 0);
    expect_error(run_nnc("train --data '%s' --epochs 4 --progress quiet --resume '%s' "
                         "--out '%s'", IRIS, in_dir("ck"), in_dir("ck")), "--out", "--resume");
}

/* -------------------------------------------------- what a path names */

static void test_symbolic_link_is_followed_and_permissions_kept(void **state)
{
    (void)state;
    write_file(in_dir("real.nnc"), "old", 3);
    assert_int_equal(chmod(in_dir("real.nnc"), 0600), 0);
    assert_int_equal(symlink("real.nnc", in_dir("link.nnc")), 0);
    assert_int_equal(run_nnc("train --data '%s' " FAST " --out '%s'", IRIS, in_dir("link.nnc")),
                     0);
    struct stat info;
    assert_int_equal(lstat(in_dir("link.nnc"), &info), 0);
    assert_true(S_ISLNK(info.st_mode));            /* still a link */
    assert_int_equal(lstat(in_dir("real.nnc"), &info), 0);
    assert_true(S_ISREG(info.st_mode));
    assert_int_equal(info.st_mode & 07777, 0600);  /* still private */
    assert_true(is_model(in_dir("real.nnc")));     /* the target was replaced */
    /* A link to a file not there yet creates the target. */
    assert_int_equal(symlink("made.nnc", in_dir("dangling")), 0);
    assert_int_equal(run_nnc("train --data '%s' " FAST " --out '%s'", IRIS, in_dir("dangling")),
                     0);
    assert_true(is_model(in_dir("made.nnc")));
    assert_int_equal(lstat(in_dir("dangling"), &info), 0);
    assert_true(S_ISLNK(info.st_mode));
    assert_false(has_temporary(NULL));
}

static void test_devices_and_fifos_are_written_in_place(void **state)
{
    (void)state;
    assert_int_equal(run_nnc("train --data '%s' " FAST " --out /dev/null", IRIS), 0);
    struct stat info;
    assert_int_equal(stat("/dev/null", &info), 0);
    assert_true(S_ISCHR(info.st_mode));   /* a device, not a regular file */

    /* /dev/stdout on a pipe: the model comes out of the pipe, the report
     * goes to stderr instead of into the model's bytes. */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' train --data '%s' " FAST " --out /dev/stdout 2>'%s' | cat "
             "> '%s'", NNC_BINARY, IRIS, in_dir("stderr"), in_dir("piped.nnc"));
    assert_int_equal(system(cmd), 0);
    assert_true(is_model(in_dir("piped.nnc")));
    char *err = slurp(in_dir("stderr"), NULL);
    assert_non_null(strstr(err, "model saved to /dev/stdout"));
    free(err);
    assert_int_equal(run_nnc("info '%s'", in_dir("piped.nnc")), 0);

    /* A FIFO stays a FIFO, and its reader gets the whole model. */
    assert_int_equal(mkfifo(in_dir("fifo"), 0600), 0);
    snprintf(cmd, sizeof cmd, "cat '%s' > '%s' & '%s' train --data '%s' " FAST " --out '%s' "
             "> /dev/null; rc=$?; wait; exit $rc", in_dir("fifo"), in_dir("from_fifo.nnc"),
             NNC_BINARY, IRIS, in_dir("fifo"));
    assert_int_equal(system(cmd), 0);
    assert_int_equal(lstat(in_dir("fifo"), &info), 0);
    assert_true(S_ISFIFO(info.st_mode));
    assert_true(is_model(in_dir("from_fifo.nnc")));
}

static void test_unwritable_outputs_are_found_before_training(void **state)
{
    (void)state;
    assert_int_equal(mkdir(in_dir("folder"), 0777), 0);
    /* Each refusal is quick: 100,000 epochs would take minutes. */
    expect_error(run_nnc("train --data '%s' --epochs 100000 --patience 0 --out '%s'", IRIS,
                         in_dir("folder")), "folder", "directory");
    expect_error(run_nnc("train --data '%s' --epochs 100000 --patience 0 --out '%s' --log '%s'",
                         IRIS, in_dir("m.nnc"), in_dir("missing/log.csv")), "--log",
                 "missing/log.csv");
    write_file(in_dir("plain"), "x", 1);
    expect_error(run_nnc("train --data '%s' --epochs 100000 --patience 0 --out '%s' "
                         "--plot-dir '%s'", IRIS, in_dir("m.nnc"), in_dir("plain/plots")),
                 "plain/plots", NULL);
    expect_error(run_nnc("train --data '%s' --epochs 100000 --patience 0 --out '%s' "
                         "--checkpoint '%s'", IRIS, in_dir("m.nnc"), in_dir("missing/ck")),
                 "--checkpoint", "missing/ck");
    assert_false(exists(in_dir("m.nnc")));
    assert_false(has_temporary(NULL));
}

static void test_stale_temporary_is_removed_by_the_next_write(void **state)
{
    (void)state;
    /* What a writer killed between naming its temporary and renaming it
     * leaves; nobody holds its lock any more. */
    write_file(in_dir("m.nnc.tmp-K1ll3d"), "half", 4);
    write_file(in_dir("other.tmp-K1ll3d"), "not ours", 8);
    assert_int_equal(run_nnc("train --data '%s' " FAST " --out '%s'", IRIS, in_dir("m.nnc")), 0);
    assert_false(exists(in_dir("m.nnc.tmp-K1ll3d")));
    assert_true(exists(in_dir("other.tmp-K1ll3d")));   /* another file's: left alone */
}

/* ---------------------------------------------------------- checkpoints */

#define CK_ARGS "--epochs 4 --patience 0 --progress quiet --layers 32"

static void test_resume_refuses_another_run(void **state)
{
    (void)state;
    copy_file(IRIS, in_dir("iris.csv"));
    assert_int_equal(run_nnc("train --data '%s' " CK_ARGS " --epochs 2 --checkpoint '%s' "
                             "--out '%s'", in_dir("iris.csv"), in_dir("ck"), in_dir("m.nnc")),
                     0);
    /* 4-32-3 and 4-2-41-3 both have 259 parameters. */
    expect_error(run_nnc("train --data '%s' --epochs 4 --progress quiet --layers 2,41 "
                         "--resume '%s' --out '%s'", in_dir("iris.csv"), in_dir("ck"),
                         in_dir("x.nnc")), "network 4x1x1 -> dense:32:relu,dense:3:softmax",
                 "4x1x1 -> dense:2:relu,dense:41:relu,dense:3:softmax");
    /* Each option that decides the result, changed: the line it was, the line it is. */
    static const struct {
        const char *option, *then, *now;
    } changed[] = {
        { "--seed 2", "seed 1", "seed 2" },
        { "--learning-rate 0.02", "optimizer adam learning_rate=0.00999", "learning_rate=0.0199" },
        { "--batch-size 16", "batch_size 32", "batch_size 16" },
        { "--optimizer sgd", "optimizer adam", "optimizer sgd" },
        { "--schedule cosine", "schedule constant", "schedule cosine" },
        { "--validation 0.3", "split validation=0.2", "validation=0.3" },
        { "--epochs 1", "epoch 2", "1 epochs" },   /* past the run's end */
    };
    for (size_t i = 0; i < sizeof changed / sizeof changed[0]; i++)
        expect_error(run_nnc("train --data '%s' " CK_ARGS " %s --resume '%s' --out '%s'",
                             in_dir("iris.csv"), changed[i].option, in_dir("ck"), in_dir("x.nnc")),
                     changed[i].then, changed[i].now);
    /* The same rows in another order: the data file's checksum differs. */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "(head -n 1 '%s'; tail -n +2 '%s' | sort) > '%s'",
             in_dir("iris.csv"), in_dir("iris.csv"), in_dir("sorted.csv"));
    assert_int_equal(system(cmd), 0);
    expect_error(run_nnc("train --data '%s' " CK_ARGS " --resume '%s' --out '%s'",
                         in_dir("sorted.csv"), in_dir("ck"), in_dir("x.nnc")), "data_file size=",
                 "crc32=");
    assert_false(exists(in_dir("x.nnc")));
    /* The same run carries on. */
    assert_int_equal(run_nnc("train --data '%s' " CK_ARGS " --resume '%s' --out '%s'",
                             in_dir("iris.csv"), in_dir("ck"), in_dir("x.nnc")), 0);
}

static uint32_t u32_at(const unsigned char *b, size_t off)
{
    return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
           (uint32_t)b[off + 3] << 24;
}

/* Where a version-3 checkpoint's architecture section starts (see
 * src/train/checkpoint.c): after the magic, version and identity. */
static size_t architecture_offset(const unsigned char *ck)
{
    return 16 + u32_at(ck, 12);
}

/* Offsets into a version-3 checkpoint: after the architecture section (the
 * input shape, the layer count, each layer's type, activation and
 * length-prefixed configuration, the loss), the parameter and state counts,
 * then the optimizer's rule, steps and two flags, the generator, then the
 * progress. */
static size_t state_offset(const unsigned char *ck)
{
    size_t at = architecture_offset(ck) + 12;
    uint32_t layers = u32_at(ck, at);
    at += 4;
    for (uint32_t l = 0; l < layers; l++)
        at += 12 + u32_at(ck, at + 8);
    return at + 4 + 8 + 8;
}
#define OFF_EPOCH (4 + 8 + 4 + 4 + 32 + 8 + 4)
#define OFF_SINCE_BEST (OFF_EPOCH + 8)
#define OFF_BEST_LOSS (OFF_EPOCH + 12)
#define OFF_PARAMS (OFF_EPOCH + 20)

/* Writes a copy of ck with bytes put at offset, its checksum made valid
 * again: what a crafted file looks like. */
static void craft(const unsigned char *ck, long size, size_t offset, const void *bytes,
                  size_t n, const char *name)
{
    unsigned char *copy = malloc((size_t)size);
    assert_non_null(copy);
    memcpy(copy, ck, (size_t)size);
    memcpy(copy + offset, bytes, n);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), copy, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        copy[size - 4 + i] = (unsigned char)(crc >> (8 * i));
    write_file(in_dir(name), copy, (size_t)size);
    free(copy);
}

/* The checkpoint of two epochs of a 4-32-3 network on iris, as bytes. */
static unsigned char *two_epoch_checkpoint(long *size)
{
    assert_int_equal(run_nnc("train --data '%s' " CK_ARGS " --epochs 2 --checkpoint '%s' "
                             "--out '%s'", IRIS, in_dir("ck"), in_dir("m.nnc")), 0);
    return (unsigned char *)slurp(in_dir("ck"), size);
}

static void test_resume_refuses_crafted_checkpoints(void **state)
{
    (void)state;
    long size;
    unsigned char *ck = two_epoch_checkpoint(&size);
    size_t at = state_offset(ck);
    uint32_t huge = 1u << 31;
    double minus_inf = -INFINITY;
    float nan = NAN;
    struct {
        size_t offset;
        const void *bytes;
        size_t n;
        const char *message;
    } cases[] = {
        { at + OFF_EPOCH, &huge, 4, "epoch" },
        { at + OFF_SINCE_BEST, &huge, 4, "since the best" },
        { at + OFF_BEST_LOSS, &minus_inf, 8, "best loss" },
        { at + OFF_PARAMS, &nan, 4, "not finite" },
        { at + OFF_PARAMS + 4 * 259, &nan, 4, "not finite" },   /* the best parameters */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        craft(ck, size, cases[i].offset, cases[i].bytes, cases[i].n, "crafted");
        expect_error(run_nnc("train --data '%s' " CK_ARGS " --resume '%s' --out '%s'", IRIS,
                             in_dir("crafted"), in_dir("x.nnc")), "crafted", cases[i].message);
        assert_false(exists(in_dir("x.nnc")));
    }
    free(ck);
}

/* The run's description says the same (it names widths and activations
 * only as the network was when the checkpoint was made), the parameter
 * count is the same, but the network is another: the checkpoint's
 * architecture section, which records every layer exactly, refuses it. */
static void test_resume_refuses_another_architecture(void **state)
{
    (void)state;
    long size;
    unsigned char *ck = two_epoch_checkpoint(&size);
    size_t act0 = architecture_offset(ck) + 16 + 4;   /* shape, layer count, type */
    assert_int_equal(u32_at(ck, act0), 3);            /* relu */
    uint32_t tanh_code = 2;
    craft(ck, size, act0, &tanh_code, 4, "crafted");
    expect_error(run_nnc("train --data '%s' " CK_ARGS " --resume '%s' --out '%s'", IRIS,
                         in_dir("crafted"), in_dir("x.nnc")),
                 "the checkpoint is of another network: it was made with 4x1x1 -> "
                 "dense:32:tanh,dense:3:softmax loss=softmax_cross_entropy",
                 "this run has 4x1x1 -> dense:32:relu,dense:3:softmax");
    assert_false(exists(in_dir("x.nnc")));
    /* A type code nnc does not know is a damaged section, named with its offset. */
    uint32_t unknown = 99;
    craft(ck, size, act0 - 4, &unknown, 4, "crafted");
    expect_error(run_nnc("train --data '%s' " CK_ARGS " --resume '%s' --out '%s'", IRIS,
                         in_dir("crafted"), in_dir("x.nnc")),
                 "crafted", "the type of layer 1 of 2 is 99, not a code this nnc knows");
    /* State the network does not have (a dense stack keeps none). */
    uint64_t one = 1;
    craft(ck, size, state_offset(ck) - 8, &one, 8, "crafted");
    expect_error(run_nnc("train --data '%s' " CK_ARGS " --resume '%s' --out '%s'", IRIS,
                         in_dir("crafted"), in_dir("x.nnc")),
                 "crafted", "the checkpoint holds 1 state values, this network has 0");
    free(ck);
}

/* -------------------------------------------------------------- numbers */

static void test_divergence_in_the_last_update_saves_nothing(void **state)
{
    (void)state;
    /* One batch an epoch, so every update is an epoch's last. */
    expect_error(run_nnc("train --data %s/house_prices.csv --optimizer sgd --learning-rate 20 "
                         "--batch-size 100000 --epochs 3 --progress quiet --out '%s'", NNC_TEST_DATA,
                         in_dir("m.nnc")), "diverged", "epoch");
    assert_false(exists(in_dir("m.nnc")));
}

/* -------------------------------------------------------------- signals */

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#define SIG_ARGS "--layers 64 --epochs 150 --patience 0 --batch-size 16"

/* Starts a training that checkpoints, sends sig once the first checkpoint
 * exists, and returns its exit status. */
static int interrupt_training(int sig, const char *ck, const char *out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "exec '%s' train --data %s/digits.csv " SIG_ARGS " --progress "
             "quiet --checkpoint '%s' --out '%s' > '%s' 2> '%s'", NNC_BINARY, NNC_TEST_DATA,
             in_dir(ck), in_dir(out), in_dir("stdout"), in_dir("stderr"));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    double deadline = now_seconds() + 60;
    const struct timespec millisecond = { 0, 1000000 };
    while (!exists(in_dir(ck)) && now_seconds() < deadline)
        nanosleep(&millisecond, NULL);
    kill(pid, sig);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));   /* it ended itself, not the signal */
    return WEXITSTATUS(status);
}

static void test_sigint_and_sigterm_stop_cleanly_and_resume(void **state)
{
    (void)state;
    assert_int_equal(run_nnc("train --data %s/digits.csv " SIG_ARGS " --progress quiet "
                             "--out '%s'", NNC_TEST_DATA, in_dir("full.nnc")), 0);
    const int sigs[] = { SIGINT, SIGTERM };
    for (int i = 0; i < 2; i++) {
        assert_int_equal(interrupt_training(sigs[i], "ck", "part.nnc"), 128 + sigs[i]);
        char *err = only_error_line();
        assert_non_null(strstr(err, sigs[i] == SIGINT ? "SIGINT" : "SIGTERM"));
        assert_non_null(strstr(err, "holds epoch"));
        assert_non_null(strstr(err, "--resume"));
        free(err);
        assert_false(exists(in_dir("part.nnc")));   /* no half-trained model */
        assert_false(has_temporary(NULL));
        assert_int_equal(run_nnc("train --data %s/digits.csv " SIG_ARGS " --progress quiet "
                                 "--checkpoint '%s' --resume '%s' --out '%s'", NNC_TEST_DATA,
                                 in_dir("ck"), in_dir("ck"), in_dir("resumed.nnc")), 0);
        assert_true(same_bytes(in_dir("full.nnc"), in_dir("resumed.nnc")));
        assert_int_equal(remove(in_dir("ck")), 0);
        assert_int_equal(remove(in_dir("resumed.nnc")), 0);
    }
}

/* ---------------------------------------------------------------- names */

static void write_csv_with_target(const char *path, size_t name_len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("a,b,", f);
    for (size_t i = 0; i < name_len; i++)
        fputc('t', f);
    fputc('\n', f);
    for (int i = 0; i < 40; i++)
        fprintf(f, "%d,%d,%s\n", i % 7, i % 5, i % 2 ? "yes" : "no");
    fclose(f);
}

static void test_names_are_never_cut(void **state)
{
    (void)state;
    write_csv_with_target(in_dir("long.csv"), 2000);
    assert_int_equal(run_nnc("train --data '%s' " FAST " --out '%s'", in_dir("long.csv"),
                             in_dir("m.nnc")), 0);
    assert_int_equal(run_nnc("eval --model '%s' --data '%s'", in_dir("m.nnc"), in_dir("long.csv")),
                     0);
    assert_int_equal(run_nnc("predict --model '%s' --data '%s' --out '%s'", in_dir("m.nnc"),
                             in_dir("long.csv"), in_dir("p.csv")), 0);
    /* Past what a model file holds: refused before any training. */
    write_csv_with_target(in_dir("longer.csv"), 70000);
    expect_error(run_nnc("train --data '%s' --epochs 100000 --patience 0 --out '%s'",
                         in_dir("longer.csv"), in_dir("x.nnc")), "70000 bytes", "65536");
    assert_false(exists(in_dir("x.nnc")));
}

static void test_seed_is_a_plain_number(void **state)
{
    (void)state;
    const char *bad[] = { "' -1'", "-1", "' 1'", "+1", "1x", "18446744073709551616" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_exit(run_nnc("train --data '%s' " FAST " --seed %s --out '%s'", IRIS, bad[i],
                            in_dir("m.nnc")), 2, "--seed", NULL);   /* a usage error */
    assert_false(exists(in_dir("m.nnc")));
    assert_int_equal(run_nnc("train --data '%s' " FAST " --seed 18446744073709551615 --out '%s'",
                             IRIS, in_dir("m.nnc")), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, make_dir, remove_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_output_never_replaces_an_input),
        T(test_outputs_never_replace_each_other),
        T(test_symbolic_link_is_followed_and_permissions_kept),
        T(test_devices_and_fifos_are_written_in_place),
        T(test_unwritable_outputs_are_found_before_training),
        T(test_stale_temporary_is_removed_by_the_next_write),
        T(test_resume_refuses_another_run),
        T(test_resume_refuses_crafted_checkpoints),
        T(test_resume_refuses_another_architecture),
        T(test_divergence_in_the_last_update_saves_nothing),
        T(test_sigint_and_sigterm_stop_cleanly_and_resume),
        T(test_names_are_never_cut),
        T(test_seed_is_a_plain_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

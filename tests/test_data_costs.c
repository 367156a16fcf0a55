/*
 * test_data_costs.c - what the loaders cost on inputs built to make them
 * expensive, the cases of issue 9's adversarial pass: a CSV of 65,536 rows
 * each its own class (it took 90 s and 16.4 GB), a gzip IDX file that
 * inflates a thousandfold (4.7 GB for 2.1 GB of pixels) and a CSV of "0,0"
 * rows (19.6 times the file).
 *
 * Each load runs in a child process under a time limit (alarm) and, in a
 * plain build, an address-space limit (RLIMIT_AS, as prlimit --as), so a
 * blow-up ends as a refused allocation or a killed child, not as a machine
 * out of memory. The child resets its peak resident size (VmHWM) before the
 * load and reports it; the parent checks that the load either succeeded
 * within the documented multiple of its numbers (include/nnc.h) or was
 * refused with the expected message.
 *
 * AddressSanitizer needs terabytes of address space, so its builds run
 * without RLIMIT_AS, on a quarter of the sizes, with a bound that allows for
 * its shadow memory and for realloc copying (it never grows in place).
 * Under valgrind the sizes are smaller still and the bounds looser, as
 * memcheck keeps its own state in the same process. The inputs are written
 * into a fresh temporary directory and removed at the end.
 */
#define _GNU_SOURCE   /* CLOCK_MONOTONIC, fileno, the rlimit calls */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nnc.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "run_mode.h"

#define MiB ((size_t)1 << 20)

static char tmp_dir[] = "/tmp/nnc-test-costs-XXXXXX";
static char created[16][256];
static int n_created;

/* How the test is run, which decides the sizes and bounds. */
static run_mode mode;

/* Sizes shrink with the mode: by 4 under ASan, by 64 under valgrind. */
static size_t scaled(size_t plain)
{
    return mode == RUN_PLAIN ? plain : mode == RUN_ASAN ? plain / 4 : plain / 64;
}

/* Time limits: generous for the slow modes, which only must finish. */
static unsigned seconds_allowed(unsigned plain)
{
    return mode == RUN_PLAIN ? plain : mode == RUN_ASAN ? 3 * plain : 30 * plain;
}

static const char *path_of(const char *name)
{
    assert_true(n_created < 16);
    char *p = created[n_created++];
    snprintf(p, sizeof created[0], "%s/%s", tmp_dir, name);
    return p;
}

static int setup(void **state)
{
    (void)state;
    mode = detect_run_mode();
    return mkdtemp(tmp_dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < n_created; i++)
        remove(created[i]);
    return rmdir(tmp_dir);
}

/* ------------------------------------------------------ the limited child */

/* What a child reports about its load. */
typedef struct outcome {
    nnc_status status;
    char message[600];
    long peak_kib;        /* the resident peak during the load, above the start */
    double seconds;
    int rows, targets, classes;
    int checked;          /* what the after-load work found wrong, 0 if nothing */
} outcome;

typedef nnc_status (*load_fn)(const void *arg, nnc_dataset **out);
/* Work on a loaded set inside the same limits; returns 0 when all is well. */
typedef int (*after_fn)(nnc_dataset *data);

/* A number from /proc/self/status, in KiB (-1 if missing). */
static long status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long value = -1;
    size_t n = strlen(key);
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            value = atol(line + n + 1);
    if (f != NULL)
        fclose(f);
    return value;
}

/* Makes VmHWM the current resident size again (Linux 4.0 and later). */
static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f != NULL) {
        fputs("5", f);
        fclose(f);
    }
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* The child: limits, the load, the report down the pipe. Never returns. */
static void child(int fd, load_fn load, const void *arg, after_fn after, size_t allowance,
                  unsigned seconds)
{
    outcome o;
    memset(&o, 0, sizeof o);
    reset_peak();
    long start_kib = status_kib("VmRSS");
    if (mode == RUN_PLAIN) {
        struct rlimit lim;
        lim.rlim_cur = lim.rlim_max = (rlim_t)status_kib("VmSize") * 1024 + allowance;
        if (setrlimit(RLIMIT_AS, &lim) != 0)
            _exit(3);
    }
    alarm(seconds);
    double t0 = now();
    nnc_dataset *data = NULL;
    o.status = load(arg, &data);
    snprintf(o.message, sizeof o.message, "%s", o.status == NNC_OK ? "" : nnc_last_error());
    if (o.status == NNC_OK) {
        o.rows = nnc_dataset_rows(data);
        o.targets = nnc_dataset_targets(data);
        o.classes = nnc_dataset_classes(data);
        o.checked = after != NULL ? after(data) : 0;
        if (o.checked != 0)
            snprintf(o.message, sizeof o.message, "after the load: %s", nnc_last_error());
    }
    o.seconds = now() - t0;
    o.peak_kib = status_kib("VmHWM") - start_kib;
    nnc_dataset_free(data);
    ssize_t n = write(fd, &o, sizeof o);
    _exit(n == (ssize_t)sizeof o ? 0 : 4);
}

/* Runs load (and after) in a child with allowance bytes of address space
 * beyond what it starts with and plain_seconds of time (scaled by mode). */
static outcome run_limited(load_fn load, const void *arg, after_fn after, size_t allowance,
                           unsigned plain_seconds)
{
    unsigned seconds = seconds_allowed(plain_seconds);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], load, arg, after, allowance, seconds);
    }
    close(fds[1]);
    outcome o;
    size_t got = 0;
    while (got < sizeof o) {
        ssize_t n = read(fds[0], (char *)&o + got, sizeof o - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fds[0]);
    int wstatus = 0;
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    if (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGALRM)
        fail_msg("the load took more than %u s", seconds);
    if (WIFSIGNALED(wstatus))
        fail_msg("the load was killed by signal %d (out of memory?)", WTERMSIG(wstatus));
    assert_true(WIFEXITED(wstatus));
    assert_int_equal(WEXITSTATUS(wstatus), 0);
    assert_int_equal(got, sizeof o);
    const char *what = o.status != NNC_OK ? strrchr(o.message, ':') : NULL;
    print_message("  %-40.40s %8.3f s, peak +%ld KiB\n",
                  o.status == NNC_OK ? "loaded" : what ? what + 2 : o.message,
                  o.seconds, o.peak_kib);
    assert_true(o.seconds <= seconds);
    return o;
}

/* The resident peak is at most factor times bytes, plus slack for the
 * process's own pages (stdio buffers, a first malloc arena, BLAS). */
static void expect_peak(const outcome *o, double factor, size_t bytes)
{
    double slack_kib = mode == RUN_VALGRIND ? 96.0 * 1024 : 24.0 * 1024;
    if (mode == RUN_ASAN)
        factor *= 2.5;   /* realloc copies, freed blocks wait in quarantine, the shadow */
    else if (mode == RUN_VALGRIND)
        factor *= 3;   /* memcheck's shadow memory lives in the same process */
    double bound = factor * (double)bytes / 1024 + slack_kib;
    if ((double)o->peak_kib > bound)
        fail_msg("peak +%ld KiB, more than %.0f KiB (%.2f x %zu bytes + slack)", o->peak_kib,
                 bound, factor, bytes);
}

static void expect_loaded(const outcome *o)
{
    if (o->status != NNC_OK || o->checked != 0)
        fail_msg("status %d: %s", (int)o->status, o->message);
}

static void expect_refused(const outcome *o, const char *message)
{
    if (o->status != NNC_EFORMAT || strcmp(o->message, message) != 0)
        fail_msg("status %d, message:\n  %s\nexpected %d:\n  %s", (int)o->status, o->message,
                 (int)NNC_EFORMAT, message);
}

/* ------------------------------------------------------------- CSV files */

typedef struct csv_case {
    const char *path;
    nnc_task task;
} csv_case;

static nnc_status load_csv(const void *arg, nnc_dataset **out)
{
    const csv_case *c = arg;
    nnc_csv_options options = nnc_csv_defaults();
    options.task = c->task;
    return nnc_dataset_load_csv(c->path, &options, out);
}

/* Writes "x,id" and rows "i,id<i % distinct>"; returns the file's size. */
static size_t write_ids(const char *path, int rows, int distinct)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    long n = fprintf(f, "x,id\n");
    for (int i = 0; i < rows; i++)
        n += fprintf(f, "%d,id%d\n", i, i % distinct);
    assert_int_equal(fclose(f), 0);
    return (size_t)n;
}

/* Writes a header "a,b" and rows "0,0" (or "0,0" and "1,1" in turn) up to
 * about bytes; returns the size. */
static size_t write_zeros(const char *path, size_t bytes, int two_classes)
{
    static char block[1 << 16];
    for (size_t i = 0; i < sizeof block; i += 8)
        memcpy(block + i, two_classes ? "0,0\n1,1\n" : "0,0\n0,0\n", 8);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    size_t n = (size_t)fprintf(f, "a,b\n");
    for (; n + sizeof block <= bytes; n += sizeof block)
        assert_int_equal(fwrite(block, 1, sizeof block, f), sizeof block);
    assert_int_equal(fclose(f), 0);
    return n;
}

/* Split, subset, gather every row and evaluate: the paths that read class
 * targets, with a softmax network of one output per class. */
static int use_classes(nnc_dataset *data)
{
    nnc_rng rng;
    nnc_rng_seed(&rng, 9);
    nnc_dataset *rest = NULL, *part = NULL;
    if (nnc_dataset_split(data, 0.25, &rng, &rest, &part) != NNC_OK)
        return 1;
    int k = nnc_dataset_classes(data), rows = nnc_dataset_rows(part), bad = 0;
    /* stratified: a quarter of each class's four (or more) rows */
    int *per_class = calloc((size_t)k, sizeof *per_class);
    float *y = malloc(256 * (size_t)k * sizeof *y);
    size_t index[256];
    bad |= per_class == NULL || y == NULL;
    for (int i = 0; !bad && i < rows; i++)
        per_class[nnc_dataset_class_of(part, i)]++;
    for (int c = 0; !bad && c < k; c++)
        bad |= per_class[c] < 1;
    for (int start = 0; !bad && start < rows; start += 256) {
        int n = rows - start < 256 ? rows - start : 256;
        for (int i = 0; i < n; i++)
            index[i] = (size_t)(start + i);
        bad |= nnc_dataset_gather(part, index, n, NULL, y) != NNC_OK;
        for (int i = 0; !bad && i < n; i++)
            bad |= y[(size_t)i * k + nnc_dataset_class_of(part, start + i)] != 1.0f;
    }
    nnc_net *net = nnc_net_new(1);
    bad |= net == NULL || nnc_net_add_dense(net, k, NNC_SOFTMAX) != NNC_OK ||
           nnc_net_set_loss(net, NNC_LOSS_SOFTMAX_CROSS_ENTROPY) != NNC_OK;
    double loss = 0.0;
    /* all weights 0: every class 1/k, so the loss is ln k exactly */
    bad |= !bad && (nnc_evaluate(net, part, &loss) != NNC_OK || fabs(loss - log(k)) > 1e-4);
    size_t first = 0;
    nnc_dataset *copy = bad ? NULL : nnc_dataset_subset(rest, &first, 1);
    bad |= !bad && (copy == NULL || nnc_dataset_class_of(copy, 0) != nnc_dataset_class_of(rest, 0));
    nnc_dataset_free(copy);
    nnc_net_free(net);
    free(per_class);
    free(y);
    nnc_dataset_free(rest);
    nnc_dataset_free(part);
    return bad;
}

/* 65,536 rows each its own class: the classes were a float per row and
 * class (16 GiB) before anything could refuse them. Now AUTO refuses a
 * target that is more than half classes, forced classification refuses more
 * than NNC_MAX_CLASSES, and both stop counting at that limit; a set of
 * NNC_MAX_CLASSES real classes costs an int per row and works. */
static void test_a_class_per_row(void **state)
{
    (void)state;
    const char *ids = path_of("ids.csv");
    size_t bytes = write_ids(ids, 65536, 65536);
    csv_case c = {ids, NNC_TASK_AUTO};
    char expected[600];
    snprintf(expected, sizeof expected,
             "%s:1:2: target column 'id' has more than 4096 distinct values in 65536 rows, too "
             "many to be classes: is it an identifier or free text rather than a class? "
             "(choose another target column)", ids);
    outcome o = run_limited(load_csv, &c, NULL, 64 * MiB, 5);
    expect_refused(&o, expected);
    expect_peak(&o, 4.0, bytes);
    c.task = NNC_TASK_CLASSIFICATION;
    snprintf(expected, sizeof expected,
             "%s:1:2: column 'id': more than 4096 classes in the target", ids);
    o = run_limited(load_csv, &c, NULL, 64 * MiB, 5);
    expect_refused(&o, expected);
    expect_peak(&o, 4.0, bytes);

    /* 4096 classes of 16 rows each (8 under ASan, 4 under valgrind): as
     * one-hot floats that was 1 GiB, and every split and subset copied it */
    const char *many = path_of("many-classes.csv");
    int rows = (mode == RUN_PLAIN ? 16 : mode == RUN_ASAN ? 8 : 4) * NNC_MAX_CLASSES;
    bytes = write_ids(many, rows, NNC_MAX_CLASSES);
    c = (csv_case){many, NNC_TASK_AUTO};
    o = run_limited(load_csv, &c, use_classes, 256 * MiB, 10);
    expect_loaded(&o);
    assert_int_equal(o.rows, rows);
    assert_int_equal(o.classes, NNC_MAX_CLASSES);
    assert_int_equal(o.targets, NNC_MAX_CLASSES);
    /* the file, 8 bytes a row, the split's copies, batches of 256 one-hot
     * rows for the gather and the evaluation, the network */
    expect_peak(&o, 4.0, bytes + 256 * NNC_MAX_CLASSES * sizeof(float) * 4);
}

/* A CSV of "0,0" rows: 25 million rows in 100 MB, where the targets were
 * kept as 32-byte cells and then sorted as 24-byte keys (19.6 times the
 * file). Now: the file, 4 bytes per input cell, 4 per row for the target
 * text's offset and 4 for the target: about 4 times the file, as
 * include/nnc.h documents. */
static void test_zeros(void **state)
{
    (void)state;
    size_t size = scaled(32 * MiB);
    const char *zeros = path_of("zeros.csv"), *pairs = path_of("pairs.csv");
    size_t bytes = write_zeros(zeros, size, 0);
    csv_case c = {zeros, NNC_TASK_REGRESSION};
    outcome o = run_limited(load_csv, &c, NULL, 8 * bytes + 64 * MiB, 10);
    expect_loaded(&o);
    assert_int_equal(o.rows, (int)((bytes - 4) / 4));
    expect_peak(&o, 4.5, bytes);
    /* AUTO: one class, refused, after no more than that */
    c.task = NNC_TASK_AUTO;
    char expected[600];
    snprintf(expected, sizeof expected, "%s:1:2: only one class '0' in target column 'b'",
             zeros);
    o = run_limited(load_csv, &c, NULL, 8 * bytes + 64 * MiB, 10);
    expect_refused(&o, expected);
    expect_peak(&o, 4.5, bytes);
    /* "0,0" and "1,1": two classes, an int per row */
    bytes = write_zeros(pairs, size, 1);
    c.path = pairs;
    o = run_limited(load_csv, &c, NULL, 8 * bytes + 64 * MiB, 10);
    expect_loaded(&o);
    assert_int_equal(o.classes, 2);
    expect_peak(&o, 4.5, bytes);
}

/* ------------------------------------------------------------- IDX files */

typedef struct idx_case {
    const char *images, *labels;
} idx_case;

static nnc_status load_idx(const void *arg, nnc_dataset **out)
{
    const idx_case *c = arg;
    return nnc_dataset_load_idx(c->images, c->labels, out);
}

static void put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (24 - 8 * i));
}

/* Writes a gzip IDX file: a header of the dims given, then data bytes made
 * by byte_at (NULL: zeros), compressed as one stream as they are made. */
static void write_gzip_idx(const char *path, const uint32_t *dims, int ndim, uint64_t data,
                           unsigned char (*byte_at)(uint64_t))
{
    gzFile f = gzopen(path, "wb1");
    assert_non_null(f);
    unsigned char head[4 + 4 * 4] = {0, 0, 0x08, (unsigned char)ndim};
    for (int d = 0; d < ndim; d++)
        put_u32(head + 4 + 4 * d, dims[d]);
    assert_int_equal(gzwrite(f, head, (unsigned)(4 + 4 * ndim)), 4 + 4 * ndim);
    static unsigned char block[1 << 20];
    for (uint64_t done = 0; done < data;) {
        unsigned n = data - done < sizeof block ? (unsigned)(data - done) : sizeof block;
        for (unsigned i = 0; i < n; i++)
            block[i] = byte_at ? byte_at(done + i) : 0;
        assert_int_equal(gzwrite(f, block, n), (int)n);
        done += n;
    }
    assert_int_equal(gzclose(f), Z_OK);
}

static unsigned char digit(uint64_t i) { return (unsigned char)(i % 10); }

/* A gzip file inflating a thousandfold: a 2 MB file of 2.1 GB of pixels
 * took 4.7 GB and more. The pixels now grow as they arrive, within what
 * the header claims, and are handed to the data set without a copy: at
 * most 1.1 times the pixels. A header that claims more than it holds costs
 * only what it holds; one beyond NNC_MAX_IDX_BYTES is refused unread. */
static void test_gzip_bomb(void **state)
{
    (void)state;
    uint32_t count = (uint32_t)(scaled(256 * MiB) / 784);
    uint32_t image_dims[3] = {count, 28, 28}, label_dims[1] = {count};
    idx_case c = {path_of("bomb-images.gz"), path_of("bomb-labels.gz")};
    write_gzip_idx(c.images, image_dims, 3, (uint64_t)count * 784, NULL);
    write_gzip_idx(c.labels, label_dims, 1, count, digit);
    size_t pixels = (size_t)count * 784;
    outcome o = run_limited(load_idx, &c, NULL, pixels + pixels / 4 + 64 * MiB, 10);
    expect_loaded(&o);
    assert_int_equal(o.rows, (int)count);
    assert_int_equal(o.classes, 10);
    expect_peak(&o, 1.1, pixels);

    /* the header claims 2,739,000 images, 2.1 GB; the stream holds 1 MiB */
    uint32_t claims[3] = {2739000, 28, 28}, claimed_labels[1] = {2739000};
    c.images = path_of("claims-images.gz");
    c.labels = path_of("claims-labels.gz");
    write_gzip_idx(c.images, claims, 3, MiB, NULL);
    write_gzip_idx(c.labels, claimed_labels, 1, 2739000, digit);
    char expected[600];
    snprintf(expected, sizeof expected,
             "%s: truncated: expected 2147376000 bytes of pixels, found 1048576", c.images);
    o = run_limited(load_idx, &c, NULL, 64 * MiB, 10);
    expect_refused(&o, expected);
    expect_peak(&o, 6.0, 2739000 + MiB);   /* labels as bytes and ints, the pixels read */

    /* beyond NNC_MAX_IDX_BYTES: refused from the header */
    uint32_t beyond[3] = {2739200, 28, 28};
    c.images = path_of("beyond-images.gz");
    write_gzip_idx(c.images, beyond, 3, 0, NULL);
    snprintf(expected, sizeof expected,
             "%s: images sizes 2739200 x 28 x 28 are too large (at most 2147483647 bytes, "
             "16777216 per item)", c.images);
    o = run_limited(load_idx, &c, NULL, 16 * MiB, 5);
    expect_refused(&o, expected);
    expect_peak(&o, 0.0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_class_per_row),
        cmocka_unit_test(test_zeros),
        cmocka_unit_test(test_gzip_bomb),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

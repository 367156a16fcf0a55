/*
 * test_plot.c - the PNG pictures: line charts, decision regions, confusion
 * matrices.
 *
 * Each picture must be a real 800 x 600 PNG of plausible size, drawn without
 * a word on stderr; where the meaning of pixels is known (a hand-set model's
 * regions) the decoded image is checked too. Refused calls must leave no file,
 * and file failures no temporary either. Pictures go to a fresh directory that
 * is removed afterwards; set NNC_PLOT_DIR to an existing directory to keep
 * them there and look at them.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "data/data.h"
#include "nnc.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---------------------------------------------------------- fixtures */

static char base_dir[64];     /* removed after each test */
static char out_dir[4096];    /* where pictures go */
static char capture[128];     /* stderr while PLplot draws */

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[8192];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int setup(void **state)
{
    (void)state;
    strcpy(base_dir, "/tmp/nnc-test-plot-XXXXXX");
    if (mkdtemp(base_dir) == NULL)
        return -1;
    snprintf(capture, sizeof capture, "%s/stderr.txt", base_dir);
    const char *keep = getenv("NNC_PLOT_DIR");
    if (keep != NULL && keep[0] != '\0') {
        snprintf(out_dir, sizeof out_dir, "%s", keep);
        return 0;
    }
    snprintf(out_dir, sizeof out_dir, "%s/out", base_dir);
    return mkdir(out_dir, 0700);
}

static int teardown(void **state)
{
    (void)state;
    remove_tree(base_dir);
    return 0;
}

/* out_dir/name */
static const char *out_path(const char *name)
{
    static char path[8192];
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    return path;
}

/* Entries in a directory, . and .. aside. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Fails if out_dir holds anything named like prefix (a temporary too). */
static void assert_no_file(const char *prefix)
{
    DIR *d = opendir(out_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            fail_msg("a refused call left %s/%s", out_dir, e->d_name);
    closedir(d);
}

/* Runs a plotting call with stderr sent to a file, and fails the test if the
 * library (or PLplot or cairo beneath it) printed anything. */
static int quiet_begin(void)
{
    fflush(stderr);
    int saved = dup(2);
    int fd = open(capture, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    return saved;
}

static void quiet_end(int saved)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(capture, "r");
    assert_non_null(f);
    char text[1024];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    if (n > 0)
        fail_msg("the call printed to stderr: %s", text);
}

#define QUIETLY(call)                  \
    do {                               \
        int saved_ = quiet_begin();    \
        status_ = (call);              \
        quiet_end(saved_);             \
    } while (0)

static nnc_status status_;

/* Asserts that a call was refused with `want` and a message naming `word`. */
static void expect_failure(nnc_status st, nnc_status want, const char *word)
{
    if (st != want)
        fail_msg("status %d (%s), want %d (%s); message: %s", st, nnc_status_name(st), want,
                 nnc_status_name(want), nnc_last_error());
    if (strstr(nnc_last_error(), word) == NULL)
        fail_msg("message '%s' does not mention '%s'", nnc_last_error(), word);
}

/* ------------------------------------------------------ reading PNGs */

typedef struct image {
    int width, height, channels;
    unsigned char *pixels;   /* height rows of width * channels bytes */
} image;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned char *read_file(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)*size);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)*size, f), (size_t)*size);
    fclose(f);
    return data;
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Checks that path is an 800 x 600 PNG of more than 10 KB, and decodes it
 * (8-bit RGB or RGBA, not interlaced: what cairo writes). */
static image load_png(const char *path)
{
    long size;
    unsigned char *data = read_file(path, &size);
    static const unsigned char signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    assert_true(size > 33);
    assert_memory_equal(data, signature, 8);
    assert_memory_equal(data + 12, "IHDR", 4);
    image img = { (int)be32(data + 16), (int)be32(data + 20), 0, NULL };
    assert_int_equal(img.width, 800);
    assert_int_equal(img.height, 600);
    if (size <= 10 * 1024)
        fail_msg("%s has only %ld bytes", path, size);
    assert_int_equal(data[24], 8);    /* bit depth */
    assert_int_equal(data[28], 0);    /* no interlace */
    img.channels = data[25] == 6 ? 4 : 3;
    assert_true(data[25] == 2 || data[25] == 6);

    unsigned char *idat = malloc((size_t)size);
    assert_non_null(idat);
    size_t idat_len = 0;
    for (long at = 8; at + 12 <= size;) {
        uint32_t len = be32(data + at);
        assert_true(at + 12 + (long)len <= size);
        if (memcmp(data + at + 4, "IDAT", 4) == 0) {
            memcpy(idat + idat_len, data + at + 8, len);
            idat_len += len;
        }
        at += 12 + (long)len;
    }
    size_t stride = (size_t)img.width * img.channels;
    uLongf raw_len = (uLongf)(img.height * (stride + 1));
    unsigned char *raw = malloc(raw_len);
    assert_non_null(raw);
    assert_int_equal(uncompress(raw, &raw_len, idat, (uLong)idat_len), Z_OK);
    assert_int_equal(raw_len, img.height * (stride + 1));

    img.pixels = malloc(stride * img.height);
    assert_non_null(img.pixels);
    int bpp = img.channels;
    for (int y = 0; y < img.height; y++) {
        const unsigned char *in = raw + y * (stride + 1) + 1;
        unsigned char *row = img.pixels + y * stride;
        const unsigned char *up = y > 0 ? row - stride : NULL;
        int filter = raw[y * (stride + 1)];
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)bpp ? row[i - bpp] : 0, b = up ? up[i] : 0;
            int c = up && i >= (size_t)bpp ? up[i - bpp] : 0, v = in[i];
            switch (filter) {
            case 1: v += a; break;
            case 2: v += b; break;
            case 3: v += (a + b) / 2; break;
            case 4: v += paeth(a, b, c); break;
            default: break;
            }
            row[i] = (unsigned char)v;
        }
    }
    free(raw);
    free(idat);
    free(data);
    return img;
}

static void check_png(const char *path)
{
    image img = load_png(path);
    free(img.pixels);
}

static int pixel_is(const image *img, int x, int y, const unsigned char rgb[3])
{
    const unsigned char *p = img->pixels + (size_t)y * img->width * img->channels +
                             (size_t)x * img->channels;
    return p[0] == rgb[0] && p[1] == rgb[1] && p[2] == rgb[2];
}

/* How many pixels of the row y (or, with column set, of the column x) from
 * `from` to `to` have colour rgb; positions of the first and last. */
static int count_colour(const image *img, int fixed, int from, int to, int column,
                        const unsigned char rgb[3], int *first, int *last)
{
    int n = 0;
    *first = *last = -1;
    for (int v = from; v <= to; v++)
        if (column ? pixel_is(img, fixed, v, rgb) : pixel_is(img, v, fixed, rgb)) {
            if (n++ == 0)
                *first = v;
            *last = v;
        }
    return n;
}

/* ------------------------------------------------------- line charts */

static void test_line_chart(void **state)
{
    (void)state;
    double x[100], y[100];
    for (int i = 0; i < 100; i++) {
        x[i] = i * 100;
        y[i] = 40 * exp(-i / 20.0) + 2 + sin(i);
    }
    QUIETLY(nnc_plot_line(out_path("line.png"), x, y, 100, "Iterations",
                          "Error for all training instances", "Cumulative error per iteration"));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("line.png"));
}

static void test_lines_chart(void **state)
{
    (void)state;
    enum { EPOCHS = 40 };
    double epoch[EPOCHS], train[EPOCHS], val[EPOCHS];
    for (int i = 0; i < EPOCHS; i++) {
        epoch[i] = i + 1;
        train[i] = 0.25 + 1.9 * exp(-i / 6.0);
        val[i] = 0.34 + 1.8 * exp(-i / 7.0) + 0.002 * i;
    }
    const double *loss[2] = { train, val };
    const char *loss_names[2] = { "training loss", "validation loss" };
    QUIETLY(nnc_plot_lines(out_path("loss.png"), epoch, loss, loss_names, 2, EPOCHS, "Epoch",
                           "Softmax cross-entropy", "Loss per epoch"));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("loss.png"));

    /* Accuracy rises, so its legend must find another corner; few whole
     * epochs get a tick each. */
    double few[8], acc_train[8], acc_val[8];
    for (int i = 0; i < 8; i++) {
        few[i] = i + 1;
        acc_train[i] = 0.95 - 0.35 * exp(-i / 1.5);
        acc_val[i] = 0.91 - 0.33 * exp(-i / 1.6);
    }
    const double *acc[2] = { acc_train, acc_val };
    const char *acc_names[2] = { "training accuracy", "validation accuracy" };
    QUIETLY(nnc_plot_lines(out_path("accuracy.png"), few, acc, acc_names, 2, 8, "Epoch",
                           "Accuracy", "Accuracy per epoch"));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("accuracy.png"));

    /* All eight colours at once, with a name that needs escaping. */
    double series[8][50];
    const double *all[8];
    const char *names[8] = { "a", "b #2", "c", "d", "e", "f", "g", "h" };
    for (int s = 0; s < 8; s++) {
        for (int i = 0; i < 50; i++)
            series[s][i] = sin(i / 8.0 + s * 0.7) + s * 0.3;
        all[s] = series[s];
    }
    QUIETLY(nnc_plot_lines(out_path("eight.png"), epoch, all, names, 8, 40, "Epoch", "Value",
                           "Eight series"));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("eight.png"));
}

/* Text PLplot or the renderer beneath it could choke on, or that is too long
 * for its place: shown literally, cut to fit, and never a word on stderr. */
static void test_awkward_text(void **state)
{
    (void)state;
    double x[3] = { 1, 2, 3 }, a[3] = { 3, 2, 1 }, b[3] = { 1, 2, 3 };
    const double *ys[2] = { a, b };
    const char *names[2] = { "bad \xff\xfe bytes \x01\x1b[31m",
                             "a name much longer than any legend should hold" };
    char title[301], x_label[201];
    memset(title, 'T', 300);
    title[300] = '\0';
    memset(x_label, 'x', 200);
    x_label[200] = '\0';
    QUIETLY(nnc_plot_lines(out_path("awkward.png"), x, ys, names, 2, 3, x_label,
                           "#u2#d #(229) #[0x2192] 100%", title));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("awkward.png"));

    const int counts[9] = { 5, 1, 0, 2, 7, 1, 0, 0, 9 };
    const char *labels[3] = { "", "caf\xc3\xa9 \xe2\x82", "\xed\xa0\x80surrogate" };
    QUIETLY(nnc_plot_confusion(out_path("awkward_confusion.png"), counts, 3, labels, title));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("awkward_confusion.png"));
}

static void test_lines_refused(void **state)
{
    (void)state;
    const char *path = out_path("refused.png");
    double x[3] = { 1, 2, 3 }, a[3] = { 1, 2, 3 }, b[3] = { 3, NAN, 1 };
    double inf[3] = { 1, INFINITY, 3 };
    const double *ys[2] = { a, b }, *null_y[2] = { a, NULL };
    const char *names[2] = { "training loss", "validation loss" }, *null_name[2] = { "t", NULL };
    expect_failure(nnc_plot_lines(NULL, x, ys, names, 1, 3, "x", "y", "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_lines(path, NULL, ys, names, 1, 3, "x", "y", "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_lines(path, x, NULL, names, 1, 3, "x", "y", "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_lines(path, x, ys, NULL, 1, 3, "x", "y", "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_lines(path, x, ys, names, 1, 3, NULL, "y", "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_lines(path, x, ys, names, 1, 3, "x", "y", NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_lines(path, x, null_y, names, 2, 3, "x", "y", "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_lines(path, x, ys, null_name, 2, 3, "x", "y", "t"), NNC_EINVAL,
                   "NULL");
    expect_failure(nnc_plot_lines(path, x, ys, names, 2, 1, "x", "y", "t"), NNC_EINVAL, "points");
    expect_failure(nnc_plot_lines(path, x, ys, names, 0, 3, "x", "y", "t"), NNC_EINVAL, "lines");
    expect_failure(nnc_plot_lines(path, x, ys, names, 9, 3, "x", "y", "t"), NNC_EINVAL, "lines");
    expect_failure(nnc_plot_lines(path, x, ys, names, 2, 3, "x", "y", "t"), NNC_EINVAL,
                   "validation loss");
    expect_failure(nnc_plot_lines(path, inf, ys, names, 1, 3, "x", "y", "t"), NNC_EINVAL,
                   "non-finite");
    expect_failure(nnc_plot_line(path, x, inf, 3, "x", "y", "t"), NNC_EINVAL, "non-finite");
    expect_failure(nnc_plot_line(path, x, NULL, 3, "x", "y", "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_line(path, x, a, 0, "x", "y", "t"), NNC_EINVAL, "points");
    assert_no_file("refused");
}

/* --------------------------------------------------- decision regions */

static const float tutorial_x[8][2] = {
    { 3, 1.5f }, { 2, 1 }, { 4, 1.5f }, { 3, 4 },
    { 3.5f, 0.5f }, { 2, 0.5f }, { 5.5f, 1 }, { 1, 1 },
};
static const int tutorial_class[8] = { 0, 1, 0, 1, 0, 1, 1, 0 };

/* The region tints of classes 0 and 1 (the tab10 blue and orange, a quarter
 * strength over white), as plot.c paints them. */
static const unsigned char tint0[3] = { 198, 220, 236 }, tint1[3] = { 254, 222, 194 };

static nnc_dataset *tutorial_data(void)
{
    static const char *const labels[2] = { "target 0", "target 1" };
    nnc_dataset *data = nnc_dataset_from_classes(&tutorial_x[0][0], tutorial_class, 8, 2, 2,
                                                 labels);
    assert_non_null(data);
    return data;
}

/* Trains net (already shaped) on data with opt for epochs, and makes it a
 * model. With norm, the network learns on normalised inputs and the model
 * normalises raw ones itself. */
static nnc_model *train_model(nnc_net *net, nnc_optimizer *opt, nnc_dataset *data,
                              nnc_scaling scaling, int epochs, int batch, nnc_rng *rng)
{
    nnc_normalizer *norm = NULL;
    const nnc_dataset *train = data;
    nnc_dataset *copy = NULL;
    if (scaling != NNC_SCALE_NONE) {
        norm = nnc_normalizer_fit(data, scaling);
        assert_non_null(norm);
        size_t all[1024];
        int rows = nnc_dataset_rows(data);
        assert_true(rows <= 1024);
        for (int i = 0; i < rows; i++)
            all[i] = (size_t)i;
        copy = nnc_dataset_subset(data, all, rows);
        assert_non_null(copy);
        assert_int_equal(nnc_normalizer_apply(norm, copy), NNC_OK);
        train = copy;
    }
    nnc_fit_options options = nnc_fit_defaults();
    options.epochs = epochs;
    options.batch_size = batch;
    assert_int_equal(nnc_fit(net, opt, train, &options, rng, NULL), NNC_OK);
    nnc_dataset_free(copy);
    nnc_optimizer_free(opt);
    nnc_model *model = nnc_model_new(net, norm, data);
    assert_non_null(model);
    return model;
}

static void test_regions_tutorial(void **state)
{
    (void)state;
    nnc_dataset *data = tutorial_data();
    nnc_rng rng;
    nnc_rng_seed(&rng, 3);

    /* The tutorial's network: one sigmoid neuron, squared error, SGD 0.1,
     * 10,000 single-instance steps. Its boundary is a straight line. */
    nnc_net *net = nnc_net_new(2);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_SIGMOID), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_SQUARED_ERROR), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_STANDARD_NORMAL, &rng), NNC_OK);
    nnc_model *model = train_model(net, nnc_sgd_new(0.1f), data, NNC_SCALE_NONE, 1250, 1, &rng);
    QUIETLY(nnc_plot_decision_regions(out_path("regions_tutorial.png"), model, data,
                                      "The tutorial's network"));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("regions_tutorial.png"));
    nnc_model_free(model);

    /* A hidden layer on standardised inputs separates all eight. */
    net = nnc_net_new(2);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, 8, NNC_TANH), NNC_OK);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_SIGMOID), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_BINARY_CROSS_ENTROPY), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, &rng), NNC_OK);
    model = train_model(net, nnc_adam_new(0.05f, 0.9f, 0.999f, 1e-8f), data, NNC_SCALE_STANDARD,
                        600, 8, &rng);
    nnc_metrics metrics;
    assert_int_equal(nnc_model_evaluate(model, data, &metrics, NULL), NNC_OK);
    assert_true(metrics.accuracy == 1.0);
    QUIETLY(nnc_plot_decision_regions(out_path("regions_hidden.png"), model, data,
                                      "A 2-8-1 network on the tutorial's instances"));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("regions_hidden.png"));
    nnc_model_free(model);
    nnc_dataset_free(data);
}

/* A one-neuron model with hand-set weights: p(class 1) = sigmoid(w . x + b). */
static nnc_model *hand_set(const nnc_dataset *data, float w0, float w1, float b)
{
    nnc_net *net = nnc_net_new(2);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_SIGMOID), NNC_OK);
    nnc_net_weights(net, 0)[0] = w0;
    nnc_net_weights(net, 0)[1] = w1;
    nnc_net_bias(net, 0)[0] = b;
    nnc_model *model = nnc_model_new(net, NULL, data);
    assert_non_null(model);
    return model;
}

/* The regions are where the model puts them: class 0's tint left of (or
 * below) the boundary, class 1's right of (or above) it, and not swapped,
 * mirrored or transposed. Row 300 and column 360 cross the plot area. */
static void test_regions_colours(void **state)
{
    (void)state;
    nnc_dataset *data = tutorial_data();
    int first0, last0, first1, last1;

    nnc_model *model = hand_set(data, 10, 0, -30);   /* class 1 where x0 > 3 */
    QUIETLY(nnc_plot_decision_regions(out_path("regions_x.png"), model, data, "x0 > 3"));
    assert_int_equal(status_, NNC_OK);
    image img = load_png(out_path("regions_x.png"));
    assert_true(count_colour(&img, 300, 0, 799, 0, tint0, &first0, &last0) > 50);
    assert_true(count_colour(&img, 300, 0, 799, 0, tint1, &first1, &last1) > 50);
    assert_true(last0 < first1);   /* class 0 wholly left of class 1 */
    /* The boundary x0 = 3 sits 2/4.5 of the way across the data's range,
     * which the plot widens by the same margin on both sides. */
    double across = (last0 + first1) / 2.0 - first0, width = last1 - first0;
    assert_true(fabs(across / width - (3 - 0.64) / (5.86 - 0.64)) < 0.02);
    free(img.pixels);
    nnc_model_free(model);

    model = hand_set(data, 0, -10, 20);   /* class 1 where x1 < 2 */
    QUIETLY(nnc_plot_decision_regions(out_path("regions_y.png"), model, data, "x1 < 2"));
    assert_int_equal(status_, NNC_OK);
    img = load_png(out_path("regions_y.png"));
    assert_true(count_colour(&img, 360, 0, 599, 1, tint0, &first0, &last0) > 50);
    assert_true(count_colour(&img, 360, 0, 599, 1, tint1, &first1, &last1) > 50);
    assert_true(last0 < first1);   /* class 0 above (smaller rows), class 1 below */
    free(img.pixels);
    nnc_model_free(model);
    nnc_dataset_free(data);
}

/* Three classes stored as bytes (gathered into floats for the points), a
 * softmax model, long labels and one that needs escaping. */
static void test_regions_three_classes(void **state)
{
    (void)state;
    enum { ROWS = 300 };
    nnc_dataset *data = nnc_dataset_alloc(ROWS, 2, 3, 1);
    assert_non_null(data);
    data->byte_scale = 0.5f;
    nnc_rng rng;
    nnc_rng_seed(&rng, 7);
    int classes[ROWS];
    static const double centre[3][2] = { { 60, 60 }, { 180, 90 }, { 110, 200 } };
    for (int i = 0; i < ROWS; i++) {
        classes[i] = i % 3;
        for (int j = 0; j < 2; j++) {
            double v = centre[i % 3][j] + 28 * nnc_rng_normal(&rng);
            data->bytes[2 * i + j] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    const char *labels[3] = { "setosa", "versicolor (a very long class name)", "C#" };
    assert_int_equal(nnc_dataset_set_classes(data, classes, 3, labels), NNC_OK);
    const char *names[2] = { "petal length (cm)", "petal width (cm)" };
    assert_int_equal(nnc_dataset_set_input_names(data, names), NNC_OK);

    nnc_net *net = nnc_net_new(2);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, 16, NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_add_dense(net, 3, NNC_SOFTMAX), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_SOFTMAX_CROSS_ENTROPY), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_HE, &rng), NNC_OK);
    nnc_model *model = train_model(net, nnc_adam_new(0.01f, 0.9f, 0.999f, 1e-8f), data,
                                   NNC_SCALE_NONE, 60, 16, &rng);
    QUIETLY(nnc_plot_decision_regions(out_path("regions_three.png"), model, data,
                                      "Three classes, softmax"));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("regions_three.png"));
    nnc_model_free(model);
    nnc_dataset_free(data);
}

/* Twelve classes (beyond tab10: the darker hues), points in a ring of
 * blobs, a softmax model on standardised inputs. */
static void test_regions_twelve_classes(void **state)
{
    (void)state;
    enum { K = 12, PER = 30 };
    float x[K * PER][2];
    int classes[K * PER];
    nnc_rng rng;
    nnc_rng_seed(&rng, 5);
    for (int i = 0; i < K * PER; i++) {
        int k = i % K;
        double angle = 2 * 3.14159265358979 * k / K;
        classes[i] = k;
        x[i][0] = (float)(100 + 40 * cos(angle) + 4 * nnc_rng_normal(&rng));
        x[i][1] = (float)(5 + 2 * sin(angle) + 0.2 * nnc_rng_normal(&rng));
    }
    nnc_dataset *data = nnc_dataset_from_classes(&x[0][0], classes, K * PER, 2, K, NULL);
    assert_non_null(data);
    nnc_net *net = nnc_net_new(2);
    assert_non_null(net);
    assert_int_equal(nnc_net_add_dense(net, 32, NNC_TANH), NNC_OK);
    assert_int_equal(nnc_net_add_dense(net, K, NNC_SOFTMAX), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_SOFTMAX_CROSS_ENTROPY), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, &rng), NNC_OK);
    nnc_model *model = train_model(net, nnc_adam_new(0.02f, 0.9f, 0.999f, 1e-8f), data,
                                   NNC_SCALE_STANDARD, 150, 32, &rng);
    QUIETLY(nnc_plot_decision_regions(out_path("regions_twelve.png"), model, data,
                                      "Twelve classes in a ring"));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("regions_twelve.png"));
    nnc_model_free(model);
    nnc_dataset_free(data);
}

static void test_regions_refused(void **state)
{
    (void)state;
    const char *path = out_path("refused.png");
    nnc_dataset *data = tutorial_data();
    nnc_model *model = hand_set(data, 1, 1, 0);
    expect_failure(nnc_plot_decision_regions(NULL, model, data, "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_decision_regions(path, NULL, data, "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_decision_regions(path, model, NULL, "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_decision_regions(path, model, data, NULL), NNC_EINVAL, "NULL");

    /* A regression model. */
    float y[8] = { 0, 1, 0, 1, 0, 1, 1, 0 };
    nnc_dataset *reg = nnc_dataset_from_arrays(&tutorial_x[0][0], y, 8, 2, 1);
    assert_non_null(reg);
    nnc_net *net = nnc_net_new(2);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_IDENTITY), NNC_OK);
    nnc_model *regression = nnc_model_new(net, NULL, reg);
    assert_non_null(regression);
    expect_failure(nnc_plot_decision_regions(path, regression, data, "t"), NNC_EINVAL,
                   "classifier");
    /* Classification data the model does not know: no classes. */
    expect_failure(nnc_plot_decision_regions(path, model, reg, "t"), NNC_EINVAL, "classes");

    /* A model with three inputs, and data with three inputs. */
    float x3[4][3] = { { 0, 0, 0 }, { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
    int c3[4] = { 0, 1, 0, 1 };
    nnc_dataset *three = nnc_dataset_from_classes(&x3[0][0], c3, 4, 3, 2, NULL);
    assert_non_null(three);
    net = nnc_net_new(3);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_SIGMOID), NNC_OK);
    nnc_model *three_inputs = nnc_model_new(net, NULL, three);
    assert_non_null(three_inputs);
    expect_failure(nnc_plot_decision_regions(path, three_inputs, three, "t"), NNC_EINVAL,
                   "2 inputs");
    expect_failure(nnc_plot_decision_regions(path, model, three, "t"), NNC_EINVAL, "inputs");

    /* More classes than there are colours. */
    float x21[21][2];
    int c21[21];
    for (int i = 0; i < 21; i++) {
        x21[i][0] = (float)i;
        x21[i][1] = (float)(i % 4);
        c21[i] = i;
    }
    nnc_dataset *many = nnc_dataset_from_classes(&x21[0][0], c21, 21, 2, 21, NULL);
    assert_non_null(many);
    net = nnc_net_new(2);
    assert_int_equal(nnc_net_add_dense(net, 21, NNC_SOFTMAX), NNC_OK);
    nnc_model *too_many = nnc_model_new(net, NULL, many);
    assert_non_null(too_many);
    expect_failure(nnc_plot_decision_regions(path, too_many, many, "t"), NNC_EINVAL, "classes");
    nnc_model_free(too_many);
    nnc_dataset_free(many);

    /* A row whose class the model does not have. */
    int c5[8] = { 0, 1, 0, 1, 0, 1, 4, 0 };
    nnc_dataset *five = nnc_dataset_from_classes(&tutorial_x[0][0], c5, 8, 2, 5, NULL);
    assert_non_null(five);
    expect_failure(nnc_plot_decision_regions(path, model, five, "t"), NNC_EINVAL, "class 4");

    assert_no_file("refused");
    nnc_dataset_free(five);
    nnc_model_free(three_inputs);
    nnc_dataset_free(three);
    nnc_model_free(regression);
    nnc_dataset_free(reg);
    nnc_model_free(model);
    nnc_dataset_free(data);
}

/* --------------------------------------------------- confusion matrices */

static void test_confusion(void **state)
{
    (void)state;
    /* The tutorial's network as it ends: two classes. */
    const int two[4] = { 3, 1, 1, 3 };
    const char *two_labels[2] = { "0", "1" };
    QUIETLY(nnc_plot_confusion(out_path("confusion_2.png"), two, 2, two_labels,
                               "The tutorial's eight instances"));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("confusion_2.png"));

    /* Fashion-MNIST's ten classes on its 10,000 test images. */
    static const char *fashion[10] = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                       "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };
    int ten[100];
    nnc_rng rng;
    nnc_rng_seed(&rng, 11);
    for (int r = 0; r < 10; r++) {
        int left = 1000;
        for (int c = 0; c < 10; c++) {
            int n = c == r ? 0 : (int)nnc_rng_below(&rng, (r == 6 || c == 6) ? 90 : 18);
            ten[r * 10 + c] = n;
            left -= n;
        }
        ten[r * 10 + r] = left;
    }
    QUIETLY(nnc_plot_confusion(out_path("confusion_10.png"), ten, 10, fashion,
                               "Fashion-MNIST test set"));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("confusion_10.png"));

    /* Twenty classes with long names (cut to twelve characters). */
    int twenty[400];
    static const char *labels[20] = {
        "alt.atheism", "comp.graphics", "comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware",
        "comp.sys.mac.hardware", "comp.windows.x", "misc.forsale", "rec.autos",
        "rec.motorcycles", "rec.sport.baseball", "rec.sport.hockey", "sci.crypt",
        "sci.electronics", "sci.med", "sci.space", "soc.religion.christian",
        "talk.politics.guns", "talk.politics.mideast", "talk.politics.misc", "talk.religion.misc"
    };
    for (int i = 0; i < 400; i++) {
        if (i / 20 == i % 20)
            twenty[i] = 400 + (int)nnc_rng_below(&rng, 600);   /* mostly right */
        else
            twenty[i] = nnc_rng_below(&rng, 4) == 0 ? (int)nnc_rng_below(&rng, 60) : 0;
    }
    QUIETLY(nnc_plot_confusion(out_path("confusion_20.png"), twenty, 20, labels,
                               "The 20 newsgroups"));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("confusion_20.png"));

    /* No labels: classes are numbered. One class, all counted right. */
    const int one[1] = { 42 };
    QUIETLY(nnc_plot_confusion(out_path("confusion_1.png"), one, 1, NULL, "One class"));
    assert_int_equal(status_, NNC_OK);
    check_png(out_path("confusion_1.png"));
}

static void test_confusion_refused(void **state)
{
    (void)state;
    const char *path = out_path("refused.png");
    const int counts[4] = { 1, 2, 3, 4 }, negative[4] = { 1, -2, 3, 4 };
    const char *labels[2] = { "a", "b" }, *null_label[2] = { "a", NULL };
    expect_failure(nnc_plot_confusion(NULL, counts, 2, labels, "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_confusion(path, NULL, 2, labels, "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_confusion(path, counts, 2, labels, NULL), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_confusion(path, counts, 2, null_label, "t"), NNC_EINVAL, "NULL");
    expect_failure(nnc_plot_confusion(path, counts, 0, labels, "t"), NNC_EINVAL, "classes");
    expect_failure(nnc_plot_confusion(path, counts, -3, labels, "t"), NNC_EINVAL, "classes");
    expect_failure(nnc_plot_confusion(path, counts, 65, NULL, "t"), NNC_EINVAL, "classes");
    expect_failure(nnc_plot_confusion(path, negative, 2, labels, "t"), NNC_EINVAL, "negative");
    assert_no_file("refused");
}

/* ---------------------------------------------------------- file errors */

/* A path in a missing directory, and a path that is a directory (the rename
 * fails after drawing): NNC_EIO naming the path, and no temporary left. */
/* A regression's pictures. Perfect predictions: in the residual picture
 * every dot sits on the zero line, the middle of the plot's height (rows 75
 * to 530 of 600 from the top); in the other the dots climb the diagonal. */
static void test_regression_pictures(void **state)
{
    (void)state;
    static const unsigned char blue[3] = { 31, 119, 180 };
    double actual[50], predicted[50];
    for (int i = 0; i < 50; i++)
        actual[i] = predicted[i] = 10 + i * 0.5;
    QUIETLY(nnc_plot_residuals(out_path("res.png"), actual, predicted, 50, "Residuals"));
    assert_int_equal(status_, NNC_OK);
    image img = load_png(out_path("res.png"));
    int dots = 0, first, last;
    for (int y = 0; y < img.height; y++) {
        int n = count_colour(&img, y, 0, img.width - 1, 0, blue, &first, &last);
        if (n > 0)
            assert_true(y >= 302 - 8 && y <= 303 + 8);
        dots += n;
    }
    assert_true(dots > 50);
    free(img.pixels);
    QUIETLY(nnc_plot_predictions(out_path("pred.png"), actual, predicted, 50, "Predictions"));
    assert_int_equal(status_, NNC_OK);
    img = load_png(out_path("pred.png"));
    /* The lowest dot is at the left, the highest at the right. */
    int low_x = -1, high_x = -1;
    for (int y = 0; y < img.height && high_x < 0; y++)
        if (count_colour(&img, y, 0, img.width - 1, 0, blue, &first, &last) > 0)
            high_x = first;
    for (int y = img.height - 1; y >= 0 && low_x < 0; y--)
        if (count_colour(&img, y, 0, img.width - 1, 0, blue, &first, &last) > 0)
            low_x = first;
    assert_true(low_x >= 0 && high_x > low_x + 400);
    free(img.pixels);
    predicted[7] = NAN;
    expect_failure(nnc_plot_predictions(out_path("bad.png"), actual, predicted, 50, "t"),
                   NNC_EINVAL, "predicted");
    expect_failure(nnc_plot_residuals(out_path("bad.png"), actual, predicted, 0, "t"),
                   NNC_EINVAL, "no points");
    assert_no_file("bad");
}

static void test_unwritable(void **state)
{
    (void)state;
    char missing[4200], taken[4200];
    snprintf(missing, sizeof missing, "%s/no-such-dir/x.png", base_dir);
    snprintf(taken, sizeof taken, "%s/taken", base_dir);
    assert_int_equal(mkdir(taken, 0700), 0);
    char inside[4300];
    snprintf(inside, sizeof inside, "%s/keep", taken);   /* a non-empty directory */
    FILE *f = fopen(inside, "w");
    assert_non_null(f);
    fclose(f);

    double x[2] = { 0, 1 }, y[2] = { 1, 2 };
    const double *ys[1] = { y };
    const char *names[1] = { "y" };
    const int counts[4] = { 1, 2, 3, 4 };
    nnc_dataset *data = tutorial_data();
    nnc_model *model = hand_set(data, 1, 1, -5);
    const char *paths[2] = { missing, taken };
    for (int i = 0; i < 2; i++) {
        const char *p = paths[i];
        const char *name = i == 0 ? "no-such-dir" : "taken";
        QUIETLY(nnc_plot_line(p, x, y, 2, "x", "y", "t"));
        expect_failure(status_, NNC_EIO, name);
        QUIETLY(nnc_plot_lines(p, x, ys, names, 1, 2, "x", "y", "t"));
        expect_failure(status_, NNC_EIO, name);
        QUIETLY(nnc_plot_decision_regions(p, model, data, "t"));
        expect_failure(status_, NNC_EIO, name);
        QUIETLY(nnc_plot_confusion(p, counts, 2, NULL, "t"));
        expect_failure(status_, NNC_EIO, name);
    }
    /* base_dir holds stderr.txt, taken and (unless kept elsewhere) out. */
    const char *keep = getenv("NNC_PLOT_DIR");
    assert_int_equal(count_entries(base_dir), keep != NULL && keep[0] != '\0' ? 2 : 3);
    assert_int_equal(count_entries(taken), 1);
    nnc_model_free(model);
    nnc_dataset_free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_line_chart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regression_pictures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lines_chart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_awkward_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lines_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regions_tutorial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regions_colours, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regions_three_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regions_twelve_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regions_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confusion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_confusion_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

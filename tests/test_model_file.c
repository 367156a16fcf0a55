/*
 * test_model_file.c - model files: exact round trips and damaged files.
 *
 * A saved and reloaded model must be the same model to the bit: architecture,
 * names, labels, metadata, normaliser and parameters, hence the same
 * predictions. Every damaged file must be refused with NNC_EFORMAT and a
 * message naming the file and the problem: every truncation, every bit flip,
 * and crafted files whose checksum is valid but whose fields lie (the CRC is
 * recomputed so that only the field check can catch them).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "data/data.h"

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ----------------------------------------------------------- scratch files */

static char dir[64];

/* dir/name in one of a few rotating buffers, so two can be in use at once. */
static const char *at(const char *name)
{
    static char paths[4][128];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof paths[0], "%s/%s", dir, name);
    return p;
}

static void remove_tree(const char *path)
{
    struct stat info;
    if (lstat(path, &info) != 0)
        return;
    if (S_ISDIR(info.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[512];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        if (d != NULL)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int entries(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    while (d != NULL && readdir(d) != NULL)
        n++;
    if (d != NULL)
        closedir(d);
    return n - 2;   /* . and .. */
}

/* In memory where there is a tmpfs: the loops over damaged files write
 * thousands of small files, and truncating files on a busy disk is slow. */
static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/dev/shm/nnc-model-XXXXXX");
    if (mkdtemp(dir) != NULL)
        return 0;
    snprintf(dir, sizeof dir, "/tmp/nnc-model-XXXXXX");
    return mkdtemp(dir) == NULL;
}

static int remove_dir(void **state)
{
    (void)state;
    remove_tree(dir);
    return 0;
}

static unsigned char *read_bytes(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    rewind(fp);
    unsigned char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *size = (size_t)n;
    return buf;
}

static void write_bytes(const char *path, const unsigned char *buf, size_t size)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(buf, 1, size, fp), size);
    assert_int_equal(fclose(fp), 0);
}

/* ------------------------------------------------------------------ models */

enum { ROWS = 12 };

/* 4 -> 8 relu -> 3 softmax on standardised inputs, with labels and notes. */
static nnc_model *classifier(float *x)
{
    int classes[ROWS];
    nnc_rng rng;
    nnc_rng_seed(&rng, 11);
    for (int i = 0; i < ROWS; i++) {
        classes[i] = i % 3;
        for (int j = 0; j < 4; j++)
            x[i * 4 + j] = (float)(3.0 * nnc_rng_normal(&rng) + j * 10 + classes[i]);
    }
    const char *labels[] = {"setosa", "versicolor", "virginica"};
    const char *names[] = {"sepal length", "sepal width", "petal length", "petal width (cm)"};
    nnc_dataset *data = nnc_dataset_from_classes(x, classes, ROWS, 4, 3, labels);
    assert_non_null(data);
    assert_int_equal(nnc_dataset_set_input_names(data, names), NNC_OK);
    nnc_normalizer *norm = nnc_normalizer_fit(data, NNC_SCALE_STANDARD);
    nnc_net *net = nnc_net_new(4);
    assert_int_equal(nnc_net_add_dense(net, 8, NNC_RELU), NNC_OK);
    assert_int_equal(nnc_net_add_dense(net, 3, NNC_SOFTMAX), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_SOFTMAX_CROSS_ENTROPY), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_HE, &rng), NNC_OK);
    nnc_model *model = nnc_model_new(net, norm, data);
    assert_non_null(model);
    nnc_dataset_free(data);
    assert_int_equal(nnc_model_set_meta(model, "optimizer", "adam"), NNC_OK);
    assert_int_equal(nnc_model_set_meta(model, "epochs", "12"), NNC_OK);
    assert_int_equal(nnc_model_set_meta(model, "data", "iris.csv"), NNC_OK);
    assert_int_equal(nnc_model_set_meta(model, "note", "gr\xc3\xb6\xc3\x9f" "e \xe2\x9c\x93"),
                     NNC_OK);
    assert_int_equal(nnc_model_set_meta(model, "empty", ""), NNC_OK);
    return model;
}

/* 3 -> 5 tanh -> 2 identity; min-max inputs, standardised targets. */
static nnc_model *regressor(float *x)
{
    float y[ROWS * 2];
    nnc_rng rng;
    nnc_rng_seed(&rng, 5);
    for (int i = 0; i < ROWS; i++) {
        for (int j = 0; j < 3; j++)
            x[i * 3 + j] = (float)(100.0 * nnc_rng_uniform(&rng) - 20.0 * j);
        y[i * 2] = 1000.0f + 3.0f * x[i * 3] - x[i * 3 + 2];
        y[i * 2 + 1] = -0.001f * x[i * 3 + 1];
    }
    nnc_dataset *data = nnc_dataset_from_arrays(x, y, ROWS, 3, 2);
    assert_non_null(data);
    nnc_normalizer *norm = nnc_normalizer_fit(data, NNC_SCALE_MINMAX);
    assert_int_equal(norm->n_targets, 2);
    nnc_net *net = nnc_net_new(3);
    assert_int_equal(nnc_net_add_dense(net, 5, NNC_TANH), NNC_OK);
    assert_int_equal(nnc_net_add_dense(net, 2, NNC_IDENTITY), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_MSE), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_STANDARD_NORMAL, &rng), NNC_OK);
    nnc_model *model = nnc_model_new(net, norm, data);
    assert_non_null(model);
    nnc_dataset_free(data);
    assert_int_equal(nnc_model_set_meta(model, "target", "price"), NNC_OK);
    return model;
}

/* 2 -> 1 sigmoid, two classes named "0" and "1", no normaliser, no notes. */
static nnc_model *binary(float *x)
{
    int classes[ROWS];
    nnc_rng rng;
    nnc_rng_seed(&rng, 3);
    for (int i = 0; i < ROWS * 2; i++)
        x[i] = (float)nnc_rng_normal(&rng);
    for (int i = 0; i < ROWS; i++)
        classes[i] = x[2 * i] > 0;
    nnc_dataset *data = nnc_dataset_from_classes(x, classes, ROWS, 2, 2, NULL);
    nnc_net *net = nnc_net_new(2);
    assert_int_equal(nnc_net_add_dense(net, 1, NNC_SIGMOID), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, NNC_LOSS_BINARY_CROSS_ENTROPY), NNC_OK);
    assert_int_equal(nnc_net_init(net, NNC_INIT_XAVIER, &rng), NNC_OK);
    nnc_model *model = nnc_model_new(net, NULL, data);
    assert_non_null(model);
    nnc_dataset_free(data);
    return model;
}

static void assert_same_normalizer(const nnc_normalizer *a, const nnc_normalizer *b)
{
    if (a == NULL || b == NULL) {
        assert_ptr_equal(a, b);
        return;
    }
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->n_inputs, b->n_inputs);
    assert_int_equal(a->n_targets, b->n_targets);
    size_t ni = (size_t)a->n_inputs * sizeof(float), nt = (size_t)a->n_targets * sizeof(float);
    assert_memory_equal(a->offset, b->offset, ni);
    assert_memory_equal(a->scale, b->scale, ni);
    if (nt > 0) {
        assert_memory_equal(a->target_offset, b->target_offset, nt);
        assert_memory_equal(a->target_scale, b->target_scale, nt);
    }
}

static void assert_same_net(nnc_net *a, nnc_net *b)
{
    assert_int_equal(nnc_net_inputs(a), nnc_net_inputs(b));
    assert_int_equal(nnc_net_layer_count(a), nnc_net_layer_count(b));
    for (int l = 0; l < nnc_net_layer_count(a); l++) {
        assert_int_equal(nnc_net_layer_units(a, l), nnc_net_layer_units(b, l));
        assert_int_equal(nnc_net_layer_activation(a, l), nnc_net_layer_activation(b, l));
    }
    assert_int_equal(nnc_net_loss(a), nnc_net_loss(b));
    assert_int_equal(nnc_net_param_count(a), nnc_net_param_count(b));
    assert_memory_equal(nnc_net_params(a), nnc_net_params(b),
                        nnc_net_param_count(a) * sizeof(float));
}

/* Same in every part, and the same predictions to the bit on raw inputs x. */
static void assert_same_model(nnc_model *a, nnc_model *b, const float *x)
{
    assert_same_net(nnc_model_net(a), nnc_model_net(b));
    assert_int_equal(nnc_model_task(a), nnc_model_task(b));
    assert_int_equal(nnc_model_inputs(a), nnc_model_inputs(b));
    for (int j = 0; j < nnc_model_inputs(a); j++)
        assert_string_equal(nnc_model_input_name(a, j), nnc_model_input_name(b, j));
    assert_int_equal(nnc_model_classes(a), nnc_model_classes(b));
    for (int k = 0; k < nnc_model_classes(a); k++)
        assert_string_equal(nnc_model_class_label(a, k), nnc_model_class_label(b, k));
    assert_int_equal(nnc_model_meta_count(a), nnc_model_meta_count(b));
    for (int i = 0; i < nnc_model_meta_count(a); i++) {
        assert_string_equal(nnc_model_meta_key(a, i), nnc_model_meta_key(b, i));
        assert_string_equal(nnc_model_meta_value(a, i), nnc_model_meta_value(b, i));
    }
    assert_same_normalizer(nnc_model_normalizer(a), nnc_model_normalizer(b));

    int outputs = nnc_net_outputs(nnc_model_net(a));
    float *pa = calloc((size_t)ROWS * (size_t)outputs, sizeof *pa);
    float *pb = calloc((size_t)ROWS * (size_t)outputs, sizeof *pb);
    assert_int_equal(nnc_model_predict(a, x, ROWS, pa), NNC_OK);
    assert_int_equal(nnc_model_predict(b, x, ROWS, pb), NNC_OK);
    assert_memory_equal(pa, pb, (size_t)ROWS * (size_t)outputs * sizeof *pa);
    for (int i = 0; i < ROWS * outputs; i++)
        assert_true(isfinite(pa[i]));
    free(pa);
    free(pb);
}

static void round_trip(nnc_model *(*make)(float *), const char *name)
{
    float x[ROWS * 4];
    nnc_model *model = make(x);
    assert_int_equal(nnc_model_save(model, at(name)), NNC_OK);
    nnc_model *loaded = NULL;
    assert_int_equal(nnc_model_load(at(name), &loaded), NNC_OK);
    assert_non_null(loaded);
    assert_same_model(model, loaded, x);
    nnc_model_free(model);
    nnc_model_free(loaded);
}

static void test_round_trip_classifier(void **state)
{
    (void)state;
    round_trip(classifier, "classifier.nnc");
}

static void test_round_trip_regressor(void **state)
{
    (void)state;
    round_trip(regressor, "regressor.nnc");
}

static void test_round_trip_without_normaliser(void **state)
{
    (void)state;
    round_trip(binary, "binary.nnc");
}

/* No clock, no padding, no host order: the same model gives the same bytes,
 * also after a load. */
static void test_save_is_deterministic(void **state)
{
    (void)state;
    float x[ROWS * 4];
    nnc_model *model = classifier(x);
    assert_int_equal(nnc_model_save(model, at("a.nnc")), NNC_OK);
    assert_int_equal(nnc_model_save(model, at("b.nnc")), NNC_OK);
    nnc_model *loaded;
    assert_int_equal(nnc_model_load(at("a.nnc"), &loaded), NNC_OK);
    assert_int_equal(nnc_model_save(loaded, at("c.nnc")), NNC_OK);
    size_t na, nb, nc;
    unsigned char *a = read_bytes(at("a.nnc"), &na), *b = read_bytes(at("b.nnc"), &nb),
                  *c = read_bytes(at("c.nnc"), &nc);
    assert_int_equal(na, nb);
    assert_int_equal(na, nc);
    assert_memory_equal(a, b, na);
    assert_memory_equal(a, c, na);
    free(a);
    free(b);
    free(c);
    nnc_model_free(model);
    nnc_model_free(loaded);
}

/* ------------------------------------------------------- the byte layout */

static uint32_t get32(const unsigned char *b, size_t off)
{
    return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
           (uint32_t)b[off + 3] << 24;
}

static uint64_t get64(const unsigned char *b, size_t off)
{
    return get32(b, off) | (uint64_t)get32(b, off + 4) << 32;
}

static void put32(unsigned char *b, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[off + (size_t)i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *b, size_t off, uint64_t v)
{
    put32(b, off, (uint32_t)v);
    put32(b, off + 4, (uint32_t)(v >> 32));
}

/* Recomputes the trailing CRC-32, as a forger would. */
static void fix_crc(unsigned char *b, size_t size)
{
    put32(b, size - 4, (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(size - 4)));
}

/* Offsets in the classifier's file (2 layers) in format version 1, as
 * docs/model-format.md lays them out. */
enum {
    OFF_VERSION = 8,
    OFF_LENGTH = 12,
    OFF_INPUTS = 20,
    OFF_LAYERS = 24,
    OFF_UNITS0 = 28,
    OFF_ACT0 = 32,
    OFF_UNITS1 = 36,
    OFF_ACT1 = 40,
    OFF_LOSS = 44,
    OFF_PARAMS = 48,
    OFF_TASK = 56,
    OFF_NAME0 = 60
};

/* A copy of b with drop bytes at off replaced by add[0..n_add), its length
 * field and CRC made right again. */
static unsigned char *splice(const unsigned char *b, size_t size, size_t off, size_t drop,
                             const void *add, size_t n_add, size_t *new_size)
{
    *new_size = size - drop + n_add;
    unsigned char *c = malloc(*new_size);
    assert_non_null(c);
    memcpy(c, b, off);
    memcpy(c + off, add, n_add);
    memcpy(c + off + n_add, b + off + drop, size - off - drop);
    put64(c, OFF_LENGTH, *new_size);
    fix_crc(c, *new_size);
    return c;
}

/* The offset after n length-prefixed strings starting at off. */
static size_t skip_strings(const unsigned char *b, size_t off, int n)
{
    for (int i = 0; i < n; i++)
        off += 4 + get32(b, off);
    return off;
}

/* The version-1 file of the model whose version-2 file is b (dense layers,
 * no state): what nnc wrote before version 2, rebuilt field by field as
 * docs/model-format.md describes both. Version 2 moved the parameters in
 * front of the description, so only the part between is copied as it is. */
static unsigned char *as_version_1(unsigned char *b, size_t size, size_t *v1_size)
{
    unsigned char *v1 = malloc(size);
    assert_non_null(v1);
    memcpy(v1, "NNCMODEL", 8);
    put32(v1, OFF_VERSION, 1);
    put32(v1, OFF_INPUTS, get32(b, 20) * get32(b, 24) * get32(b, 28));
    uint32_t layers = get32(b, 32);
    put32(v1, OFF_LAYERS, layers);
    size_t in = 36, out = OFF_UNITS0;
    for (uint32_t l = 0; l < layers; l++, in += 16, out += 8) {
        assert_int_equal(get32(b, in), 1);        /* dense */
        assert_int_equal(get32(b, in + 8), 4);    /* its configuration: the units */
        put32(v1, out, get32(b, in + 12));
        put32(v1, out + 4, get32(b, in + 4));
    }
    put32(v1, out, get32(b, in));                 /* the loss */
    uint64_t n = get64(b, in + 4);
    put64(v1, out + 4, n);
    size_t params = in + 12, rest = params + 4 * n;
    assert_int_equal(get64(b, rest), 0);          /* no state */
    rest += 8;
    out += 12;
    memcpy(v1 + out, b + rest, size - 4 - rest);
    out += size - 4 - rest;
    memcpy(v1 + out, b + params, 4 * n);
    out += 4 * n + 4;
    put64(v1, OFF_LENGTH, out);
    fix_crc(v1, out);
    *v1_size = out;
    free(b);
    return v1;
}

/* A model's file, saved afresh, as bytes (format version 2). */
static unsigned char *model_bytes(nnc_model *(*make)(float *), size_t *size)
{
    float x[ROWS * 4];
    nnc_model *model = make(x);
    assert_int_equal(nnc_model_save(model, at("good.nnc")), NNC_OK);
    nnc_model_free(model);
    return read_bytes(at("good.nnc"), size);
}

static unsigned char *classifier_bytes_v2(size_t *size)
{
    return model_bytes(classifier, size);
}

/* The classifier's file as version 1, which the tests of version 1 pin. */
static unsigned char *classifier_bytes(size_t *size)
{
    size_t n;
    unsigned char *b = classifier_bytes_v2(&n);
    return as_version_1(b, n, size);
}

/* The documented layout, field by field, so the document and code agree. */
static void test_layout(void **state)
{
    (void)state;
    size_t size;
    unsigned char *b = classifier_bytes(&size);
    assert_memory_equal(b, "NNCMODEL", 8);
    assert_int_equal(get32(b, OFF_VERSION), 1);
    assert_int_equal(get64(b, OFF_LENGTH), size);
    assert_int_equal(get32(b, OFF_INPUTS), 4);
    assert_int_equal(get32(b, OFF_LAYERS), 2);
    assert_int_equal(get32(b, OFF_UNITS0), 8);
    assert_int_equal(get32(b, OFF_ACT0), 3);      /* relu */
    assert_int_equal(get32(b, OFF_UNITS1), 3);
    assert_int_equal(get32(b, OFF_ACT1), 4);      /* softmax */
    assert_int_equal(get32(b, OFF_LOSS), 3);      /* softmax cross-entropy */
    assert_int_equal(get64(b, OFF_PARAMS), 8 * 5 + 3 * 9);
    assert_int_equal(get32(b, OFF_TASK), 1);      /* classification */
    assert_int_equal(get32(b, OFF_NAME0), strlen("sepal length"));
    assert_memory_equal(b + OFF_NAME0 + 4, "sepal length", strlen("sepal length"));
    size_t off = skip_strings(b, OFF_NAME0, 4);
    assert_int_equal(get32(b, off), 3);           /* classes */
    off = skip_strings(b, off + 4, 3);
    assert_int_equal(get32(b, off), 1);           /* a normaliser */
    assert_int_equal(get32(b, off + 4), 1);       /* standard */
    assert_int_equal(get32(b, off + 8), 4);
    assert_int_equal(get32(b, off + 12), 0);
    off += 16 + 2 * 4 * 4;
    assert_int_equal(get32(b, off), 5);           /* metadata entries */
    off = skip_strings(b, off + 4, 2 * 5);
    assert_int_equal(off + 4 * 67 + 4, size);     /* parameters, then the CRC */
    assert_int_equal(get32(b, size - 4), crc32(crc32(0L, Z_NULL, 0), b, (uInt)(size - 4)));
    free(b);
}

/* ------------------------------------------------------- damaged files */

/* Loads path expecting status; checks the model stays NULL and the message
 * starts with the path. Returns the message. */
static const char *refused(const char *path, nnc_status status)
{
    nnc_model *model = (nnc_model *)&model;   /* must be overwritten with NULL */
    nnc_status st = nnc_model_load(path, &model);
    const char *msg = nnc_last_error();
    if (st != status || model != NULL || strncmp(msg, path, strlen(path)) != 0 ||
        strncmp(msg + strlen(path), ": ", 2) != 0)
        fail_msg("%s: expected status %d, got %d: %s", path, (int)status, (int)st, msg);
    return msg;
}

/* Writes b, expects NNC_EFORMAT naming `problem`. */
static void expect_format_error(const unsigned char *b, size_t size, const char *problem)
{
    write_bytes(at("bad.nnc"), b, size);
    const char *msg = refused(at("bad.nnc"), NNC_EFORMAT);
    if (strstr(msg, problem) == NULL)
        fail_msg("expected \"%s\" in: %s", problem, msg);
}

static void test_empty_file(void **state)
{
    (void)state;
    expect_format_error((const unsigned char *)"", 0, "the file is empty");
}

static void every_truncation(unsigned char *(*bytes)(size_t *))
{
    size_t size;
    unsigned char *b = bytes(&size);
    for (size_t cut = 1; cut < size; cut++) {
        write_bytes(at("cut.nnc"), b, cut);
        const char *msg = refused(at("cut.nnc"), NNC_EFORMAT);
        if (strstr(msg, "truncated") == NULL)
            fail_msg("cut at %zu: %s", cut, msg);
    }
    free(b);
}

static void test_every_truncation(void **state)
{
    (void)state;
    every_truncation(classifier_bytes);
}

/* The CRC catches every single-bit error; the header's own checks may get
 * there first, with their own message. */
static void every_bit_flip(unsigned char *(*bytes)(size_t *))
{
    size_t size;
    unsigned char *b = bytes(&size);
    static const int bits[] = {0, 3, 7};
    for (size_t i = 0; i < size; i++)
        for (size_t k = 0; k < sizeof bits / sizeof bits[0]; k++) {
            b[i] ^= (unsigned char)(1u << bits[k]);
            write_bytes(at("flip.nnc"), b, size);
            b[i] ^= (unsigned char)(1u << bits[k]);
            const char *msg = refused(at("flip.nnc"), NNC_EFORMAT);
            /* Version 2 with bit 0 flipped is 3, a version that exists:
             * then only the CRC tells. */
            const char *want = i < 8 ? "not an nnc model"
                             : i < 12 ? "format version"
                                      : "checksum mismatch";
            if (strstr(msg, want) == NULL &&
                !(i >= 8 && i < 12 && strstr(msg, "checksum mismatch") != NULL))
                fail_msg("bit %d of byte %zu: %s", bits[k], i, msg);
        }
    free(b);
}

static void test_every_bit_flip(void **state)
{
    (void)state;
    every_bit_flip(classifier_bytes);
}

/* Every byte after the header forged to a few values, with the CRC made
 * valid: the parser alone must then refuse the file or load a model that
 * works (a changed name or weight is still a model), and never crash. A
 * forged weight may be finite and still overflow (1e38 x 4 inputs): predict
 * then refuses the output, as for any such model. */
static void every_byte_forged(unsigned char *(*bytes)(size_t *))
{
    size_t size;
    unsigned char *b = bytes(&size);
    float x[ROWS * 4] = {0}, out[ROWS * 3];
    for (size_t i = 20; i < size - 4; i++) {
        unsigned char keep = b[i];
        const unsigned char values[] = {0x00, 0xff, (unsigned char)(keep ^ 0x01),
                                        (unsigned char)(keep ^ 0x40)};
        for (size_t k = 0; k < sizeof values; k++) {
            b[i] = values[k];
            fix_crc(b, size);
            write_bytes(at("forged.nnc"), b, size);
            nnc_model *model = NULL;
            nnc_status st = nnc_model_load(at("forged.nnc"), &model);
            nnc_status predicted = st == NNC_OK ? nnc_model_predict(model, x, ROWS, out) : NNC_OK;
            if (st == NNC_OK && predicted != NNC_OK && predicted != NNC_ENUMERIC)
                fail_msg("byte %zu = %#x: predict: status %d: %s", i, values[k],
                         (int)predicted, nnc_last_error());
            else if (st != NNC_OK && (st != NNC_EFORMAT || model != NULL))
                fail_msg("byte %zu = %#x: status %d: %s", i, values[k], (int)st,
                         nnc_last_error());
            nnc_model_free(model);
        }
        b[i] = keep;
    }
    free(b);
}

static void test_every_byte_forged(void **state)
{
    (void)state;
    every_byte_forged(classifier_bytes);
}

static void test_wrong_magic(void **state)
{
    (void)state;
    size_t size;
    unsigned char *b = classifier_bytes(&size);
    b[7] = 'X';
    fix_crc(b, size);
    expect_format_error(b, size, "not an nnc model file");
    expect_format_error((const unsigned char *)"\x89PNG\r\n\x1a\n....", 12,
                        "not an nnc model file");
    expect_format_error((const unsigned char *)"NNC", 3, "inside the magic number");
    free(b);
}

static void test_version(void **state)
{
    (void)state;
    size_t size;
    unsigned char *b = classifier_bytes(&size);
    put32(b, OFF_VERSION, 5);
    fix_crc(b, size);
    expect_format_error(b, size, "made by a newer nnc (format version 5; this nnc reads 1 to 4)");
    put32(b, OFF_VERSION, 0);
    fix_crc(b, size);
    expect_format_error(b, size, "format version 0 does not exist");
    free(b);
}

/* A u32 field set to a lying value, the CRC made valid again. */
typedef struct patch {
    size_t offset;
    uint32_t value;
    const char *problem;
} patch;

static void test_lying_fields(void **state)
{
    (void)state;
    static const patch patches[] = {
        {OFF_LAYERS, 1u << 31, "the layer count is 2147483648, outside 1..1024"},
        {OFF_LAYERS, 0, "the layer count is 0"},
        {OFF_INPUTS, 0, "the input count is 0"},
        {OFF_INPUTS, (1u << 24) + 1, "the input count is 16777217"},
        {OFF_UNITS0, 0, "the units of layer 1 of 2 is 0"},
        {OFF_UNITS1, 0xffffffffu, "the units of layer 2 of 2 is 4294967295"},
        {OFF_ACT0, 9, "the activation of layer 1 of 2 is 9, not a code"},
        {OFF_LOSS, 4, "the loss is 4, not a code"},
        {OFF_TASK, 0, "the task is 0, not a code"},
        {OFF_TASK, 3, "the task is 3, not a code"},
        {OFF_TASK, 2, "the class count is 3, outside 0..0"},   /* regression with classes */
        {OFF_UNITS1, 1, "layer 2 of 2 is a softmax of one unit"},
        {OFF_NAME0, 0xffffffffu, "input name 1 of 4 claims 4294967295 bytes; at most 65536"},
        {OFF_NAME0, 60000, "truncated: the file ends inside input name 1 of 4 (offset 60)"},
    };
    size_t size;
    unsigned char *good = classifier_bytes(&size);
    unsigned char *b = malloc(size);
    for (size_t i = 0; i < sizeof patches / sizeof patches[0]; i++) {
        memcpy(b, good, size);
        put32(b, patches[i].offset, patches[i].value);
        fix_crc(b, size);
        expect_format_error(b, size, patches[i].problem);
    }
    free(b);
    free(good);
}

/* Counts that would make a naive loader allocate terabytes. */
static void test_absurd_sizes(void **state)
{
    (void)state;
    size_t size;
    unsigned char *b = classifier_bytes(&size);
    put64(b, OFF_PARAMS, (uint64_t)1 << 40);
    fix_crc(b, size);
    expect_format_error(b, size,
                        "the parameter count is 1099511627776, the architecture implies 67");

    /* A consistent claim: 4 -> 2^20 -> 2^20 units needs 2^40 + ... parameters. */
    put32(b, OFF_UNITS0, 1u << 20);
    put32(b, OFF_UNITS1, 1u << 20);
    uint64_t n = ((uint64_t)1 << 20) * 5 + ((uint64_t)1 << 20) * (((uint64_t)1 << 20) + 1);
    put64(b, OFF_PARAMS, n);
    fix_crc(b, size);
    expect_format_error(b, size, "the 1099517919232 parameters would need 4398071676928 bytes");
    free(b);
}

static void test_bad_strings(void **state)
{
    (void)state;
    size_t size;
    unsigned char *b = classifier_bytes(&size);
    b[OFF_NAME0 + 4 + 3] = '\0';
    fix_crc(b, size);
    expect_format_error(b, size, "input name 1 of 4 contains a NUL byte");
    free(b);

    /* Metadata keys must be non-empty and unique, as nnc_model_set_meta
     * keeps them. */
    b = classifier_bytes(&size);
    size_t key = skip_strings(b, skip_strings(b, OFF_NAME0, 4) + 4, 3) + 48 + 4;
    assert_int_equal(get32(b, key), strlen("optimizer"));
    size_t n;
    unsigned char *c = splice(b, size, key, 4 + 9, "\0\0\0\0", 4, &n);
    expect_format_error(c, n, "metadata key 1 of 5 is empty");
    free(c);
    size_t second = skip_strings(b, key, 2);
    assert_int_equal(get32(b, second), strlen("epochs"));
    c = splice(b, size, second, 4 + 6, b + key, 4 + 9, &n);
    expect_format_error(c, n, "metadata key 2 of 5 (\"optimizer\") repeats key 1");
    free(c);

    /* Class labels must tell the classes apart: predictions are named
     * after them. The third label, "virginica", becomes the first. */
    size_t label1 = skip_strings(b, OFF_NAME0, 4) + 4, label3 = skip_strings(b, label1, 2);
    assert_int_equal(get32(b, label3), strlen("virginica"));
    c = splice(b, size, label3, 4 + 9, b + label1, 4 + 6, &n);
    expect_format_error(c, n, "class labels: 'setosa' is given twice");
    free(c);
    free(b);
}

static void test_bad_classes_normaliser_metadata(void **state)
{
    (void)state;
    size_t size;
    unsigned char *b = classifier_bytes(&size);
    size_t classes = skip_strings(b, OFF_NAME0, 4);
    size_t norm = skip_strings(b, classes + 4, 3);
    unsigned char *good = malloc(size);
    memcpy(good, b, size);

    put32(b, classes, 2);   /* 2 classes need 1 output; the network has 3 */
    fix_crc(b, size);
    expect_format_error(b, size, "2 classes need 1 outputs, the network has 3");

    memcpy(b, good, size);
    put32(b, classes, NNC_MAX_CLASSES + 1);
    fix_crc(b, size);
    char want[64];
    snprintf(want, sizeof want, "the class count is %d, outside 2..%d", NNC_MAX_CLASSES + 1,
             NNC_MAX_CLASSES);
    expect_format_error(b, size, want);

    size_t meta = norm + 48;
    memcpy(b, good, size);
    put32(b, meta, 4097);
    fix_crc(b, size);
    expect_format_error(b, size, "the metadata count is 4097, outside 0..4096");

    memcpy(b, good, size);   /* allowed, but 8 bytes each do not fit */
    put32(b, meta, 4096);
    fix_crc(b, size);
    expect_format_error(b, size, "truncated: the file ends inside the 4096 metadata entries");

    memcpy(b, good, size);
    put32(b, norm, 2);
    fix_crc(b, size);
    expect_format_error(b, size, "the normaliser flag is 2, outside 0..1");

    memcpy(b, good, size);
    put32(b, norm + 4, 3);
    fix_crc(b, size);
    expect_format_error(b, size, "the scaling is 3, not a code");

    memcpy(b, good, size);
    put32(b, norm + 8, 5);
    fix_crc(b, size);
    expect_format_error(b, size, "the normaliser's input count is 5, outside 4..4");

    memcpy(b, good, size);
    put32(b, norm + 12, 3);
    fix_crc(b, size);
    expect_format_error(b, size, "the normaliser's target count is 3, not 0 (a classifier's");

    memcpy(b, good, size);
    put32(b, norm + 16 + 4, 0x7fc00000u);   /* offset 2: NaN */
    fix_crc(b, size);
    expect_format_error(b, size, "the normaliser's offset 2 of 4 is nan");
    free(good);
    free(b);
}

/* The regressor's normaliser: 3 inputs, 2 standardised targets. */
static void test_bad_target_scaling(void **state)
{
    (void)state;
    size_t size, v2_size;
    unsigned char *v2 = model_bytes(regressor, &v2_size);
    unsigned char *b = as_version_1(v2, v2_size, &size);
    size_t classes = skip_strings(b, OFF_NAME0, 3);
    assert_int_equal(get32(b, classes), 0);
    size_t norm = classes + 4;
    assert_int_equal(get32(b, norm + 12), 2);
    unsigned char *good = malloc(size);
    memcpy(good, b, size);

    put32(b, norm + 12, 1);
    fix_crc(b, size);
    expect_format_error(b, size, "the normaliser's target count is 1, not 0 or the 2 outputs");

    memcpy(b, good, size);
    put32(b, norm + 16 + 4 * (3 + 3 + 2), 0);   /* target scale 1 */
    fix_crc(b, size);
    expect_format_error(b, size, "the normaliser's target scale 1 of 2 is 0");

    memcpy(b, good, size);
    put32(b, classes, 2);
    fix_crc(b, size);
    expect_format_error(b, size, "the class count is 2, outside 0..0");
    free(good);
    free(b);
}

static void test_non_finite_parameters(void **state)
{
    (void)state;
    size_t size;
    unsigned char *b = classifier_bytes(&size);
    size_t params = size - 4 - 4 * 67;
    put32(b, params + 4 * 5, 0x7fc00000u);   /* a NaN weight */
    fix_crc(b, size);
    expect_format_error(b, size,
                        "parameter 6 of 67 (a weight of layer 1 of 2) is NaN (offset 333)");
    put32(b, params + 4 * 5, 0);
    put32(b, params + 4 * 66, 0xff800000u);   /* -inf, the last bias */
    fix_crc(b, size);
    expect_format_error(b, size, "parameter 67 of 67 (a bias of layer 2 of 2) is infinite");
    free(b);
}

static void test_trailing_bytes(void **state)
{
    (void)state;
    size_t size;
    unsigned char *good = classifier_bytes(&size);
    unsigned char *b = malloc(size + 5);

    memcpy(b, good, size);   /* appended to a whole file */
    memcpy(b + size, "junk!", 5);
    expect_format_error(b, size + 5, "5 unexpected bytes after the end of the model");

    /* Inside, before a recomputed CRC: the length field disagrees. */
    memcpy(b, good, size - 4);
    memcpy(b + size - 4, "junk!", 5);
    fix_crc(b, size + 5);
    expect_format_error(b, size + 5, "its length field says");

    /* And with the length forged too, only the parser sees the extra bytes. */
    put64(b, OFF_LENGTH, size + 5);
    fix_crc(b, size + 5);
    expect_format_error(b, size + 5, "5 unexpected bytes after the parameters");
    free(b);
    free(good);
}

static void test_unreadable_paths(void **state)
{
    (void)state;
    const char *msg = refused(at("no-such-model.nnc"), NNC_EIO);
    assert_non_null(strstr(msg, "No such file or directory"));
    assert_int_equal(mkdir(at("a-directory"), 0755), 0);
    refused(at("a-directory"), NNC_EIO);
    assert_int_equal(nnc_model_load(NULL, NULL), NNC_EINVAL);
}

/* A (sparse) file over the cap is refused from its size alone. */
static void test_huge_file(void **state)
{
    (void)state;
    FILE *fp = fopen(at("huge.nnc"), "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite("NNCMODEL", 1, 8, fp), 8);
    assert_int_equal(fseek(fp, 1L << 30, SEEK_SET), 0);
    assert_int_equal(fwrite("!", 1, 1, fp), 1);
    fclose(fp);
    const char *msg = refused(at("huge.nnc"), NNC_EFORMAT);
    assert_non_null(strstr(msg, "the most a model file may have"));
    unlink(at("huge.nnc"));
}

/* ------------------------------------------------------ format version 2 */

/* Offsets in the classifier's version-2 file: the architecture section,
 * then the parameters and the state, as docs/model-format.md lays them out. */
enum {
    V2_CHANNELS = 20,
    V2_HEIGHT = 24,
    V2_WIDTH = 28,
    V2_LAYERS = 32,
    V2_TYPE0 = 36,
    V2_ACT0 = 40,
    V2_CONFIG_LEN0 = 44,
    V2_CONFIG0 = 48,
    V2_TYPE1 = 52,
    V2_ACT1 = 56,
    V2_CONFIG_LEN1 = 60,
    V2_CONFIG1 = 64,
    V2_LOSS = 68,
    V2_PARAM_COUNT = 72,
    V2_PARAMS = 80,
    V2_STATE_COUNT = 80 + 4 * 67,
    V2_TASK = V2_STATE_COUNT + 8,
    V2_NAME0 = V2_TASK + 4
};

static void test_layout_v2(void **state)
{
    (void)state;
    size_t size;
    unsigned char *b = classifier_bytes_v2(&size);
    assert_memory_equal(b, "NNCMODEL", 8);
    assert_int_equal(get32(b, OFF_VERSION), 2);
    assert_int_equal(get64(b, OFF_LENGTH), size);
    assert_int_equal(get32(b, V2_CHANNELS), 4);
    assert_int_equal(get32(b, V2_HEIGHT), 1);
    assert_int_equal(get32(b, V2_WIDTH), 1);
    assert_int_equal(get32(b, V2_LAYERS), 2);
    assert_int_equal(get32(b, V2_TYPE0), 1);        /* dense */
    assert_int_equal(get32(b, V2_ACT0), 3);         /* relu */
    assert_int_equal(get32(b, V2_CONFIG_LEN0), 4);
    assert_int_equal(get32(b, V2_CONFIG0), 8);      /* units */
    assert_int_equal(get32(b, V2_TYPE1), 1);
    assert_int_equal(get32(b, V2_ACT1), 4);         /* softmax */
    assert_int_equal(get32(b, V2_CONFIG_LEN1), 4);
    assert_int_equal(get32(b, V2_CONFIG1), 3);
    assert_int_equal(get32(b, V2_LOSS), 3);         /* softmax cross-entropy */
    assert_int_equal(get64(b, V2_PARAM_COUNT), 67);
    float first;
    memcpy(&first, b + V2_PARAMS, 4);   /* the test hosts are little-endian */
    nnc_model *model;
    assert_int_equal(nnc_model_load(at("good.nnc"), &model), NNC_OK);
    assert_true(first == nnc_net_params(nnc_model_net(model))[0]);
    nnc_model_free(model);
    assert_int_equal(get64(b, V2_STATE_COUNT), 0);
    assert_int_equal(get32(b, V2_TASK), 1);         /* classification */
    assert_int_equal(get32(b, V2_NAME0), strlen("sepal length"));
    size_t off = skip_strings(b, V2_NAME0, 4);
    assert_int_equal(get32(b, off), 3);             /* classes */
    off = skip_strings(b, off + 4, 3);
    assert_int_equal(get32(b, off), 1);             /* a normaliser */
    off += 16 + 2 * 4 * 4;
    assert_int_equal(get32(b, off), 5);             /* metadata entries */
    off = skip_strings(b, off + 4, 2 * 5);
    assert_int_equal(off + 4, size);                /* then only the CRC */
    assert_int_equal(get32(b, size - 4), crc32(crc32(0L, Z_NULL, 0), b, (uInt)(size - 4)));
    free(b);
}

/* Every model saved, loaded and saved again gives the same bytes, its state
 * block (empty for dense layers: a count of 0) included. */
static void test_save_load_save_v2(void **state)
{
    (void)state;
    nnc_model *(*makers[])(float *) = {classifier, regressor, binary};
    for (size_t m = 0; m < sizeof makers / sizeof makers[0]; m++) {
        size_t n1, n2;
        unsigned char *first = model_bytes(makers[m], &n1);
        nnc_model *loaded;
        assert_int_equal(nnc_model_load(at("good.nnc"), &loaded), NNC_OK);
        assert_int_equal(nnc_net_state_count(nnc_model_net(loaded)), 0);
        assert_int_equal(nnc_model_save(loaded, at("again.nnc")), NNC_OK);
        nnc_model_free(loaded);
        unsigned char *second = read_bytes(at("again.nnc"), &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(first, second, n1);
        free(first);
        free(second);
    }
}

/* A version-1 file loads to the network its version-2 copy holds. */
static void test_v1_and_v2_load_alike(void **state)
{
    (void)state;
    float x[ROWS * 4];
    nnc_model *model = classifier(x);
    size_t n2, n1;
    assert_int_equal(nnc_model_save(model, at("v2.nnc")), NNC_OK);
    unsigned char *v2 = read_bytes(at("v2.nnc"), &n2);
    unsigned char *v1 = as_version_1(v2, n2, &n1);
    write_bytes(at("v1.nnc"), v1, n1);
    nnc_model *a, *b;
    assert_int_equal(nnc_model_load(at("v1.nnc"), &a), NNC_OK);
    assert_int_equal(nnc_model_load(at("v2.nnc"), &b), NNC_OK);
    assert_same_model(a, b, x);
    assert_same_model(model, a, x);
    free(v1);
    nnc_model_free(a);
    nnc_model_free(b);
    nnc_model_free(model);
}

static void test_every_truncation_v2(void **state)
{
    (void)state;
    every_truncation(classifier_bytes_v2);
}

/* The body cut short at a field, the length and CRC made right: only the
 * parser can tell, and it names the field that does not fit. */
static void test_truncated_at_each_field_v2(void **state)
{
    (void)state;
    static const struct {
        size_t cut;
        const char *problem;
    } cuts[] = {
        {V2_CHANNELS + 2, "the file ends inside the input channels (offset 20)"},
        {V2_HEIGHT + 1, "the file ends inside the input height (offset 24)"},
        {V2_WIDTH + 3, "the file ends inside the input width (offset 28)"},
        {V2_LAYERS + 2, "the file ends inside the layer count (offset 32)"},
        {V2_TYPE0 + 2, "the file ends inside the type of layer 1 of 2 (offset 36)"},
        {V2_ACT0 + 2, "the file ends inside the activation of layer 1 of 2 (offset 40)"},
        {V2_CONFIG_LEN0 + 2,
         "the file ends inside the configuration length of layer 1 of 2 (offset 44)"},
        {V2_CONFIG0 + 2, "the file ends inside the configuration of layer 1 of 2 (offset 48)"},
        {V2_CONFIG1 + 1, "the file ends inside the configuration of layer 2 of 2 (offset 64)"},
        {V2_LOSS + 2, "the file ends inside the loss (offset 68)"},
        {V2_PARAM_COUNT + 2, "the architecture needs 67 parameters and 0 state values, more "
                             "than the 2 bytes left in the file hold (offset 20)"},
        {V2_STATE_COUNT - 4, "the file ends inside the parameters (offset 80)"},
        {V2_STATE_COUNT + 4, "the file ends inside the state count (offset 348)"},
        {V2_TASK + 2, "the file ends inside the task (offset 356)"},
        {V2_NAME0 + 20, "the file ends inside input name 2 of 4 (offset 376)"},
    };
    size_t size;
    unsigned char *b = classifier_bytes_v2(&size);
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        size_t n;
        /* Keep the first cut bytes of the body, then the CRC. */
        unsigned char *c = splice(b, size, cuts[i].cut, size - 4 - cuts[i].cut, "", 0, &n);
        expect_format_error(c, n, cuts[i].problem);
        free(c);
    }
    free(b);
}

static void test_every_bit_flip_v2(void **state)
{
    (void)state;
    every_bit_flip(classifier_bytes_v2);
}

static void test_every_byte_forged_v2(void **state)
{
    (void)state;
    every_byte_forged(classifier_bytes_v2);
}

/* Each field of the architecture and the blocks set to a lying value, the
 * CRC made valid again: refused, naming the field and its offset. */
static void test_lying_fields_v2(void **state)
{
    (void)state;
    static const struct {
        size_t offset;
        int wide;
        uint64_t value;
        const char *problem;
    } patches[] = {
        {V2_CHANNELS, 0, 0, "the input channels is 0, outside 1..16777216 (offset 20)"},
        {V2_HEIGHT, 0, 1u << 31, "the input height is 2147483648, outside 1..16777216"},
        {V2_WIDTH, 0, (1u << 24) + 1, "the input width is 16777217, outside 1..16777216"},
        {V2_WIDTH, 0, 1u << 23, "the input shape 4x1x8388608 has more than 16777216 values "
                                "(offset 20)"},
        {V2_LAYERS, 0, 0, "the layer count is 0, outside 1..1024 (offset 32)"},
        {V2_LAYERS, 0, 1025, "the layer count is 1025, outside 1..1024"},
        {V2_TYPE0, 0, 0, "the type of layer 1 of 2 is 0, not a code this nnc knows (offset 36)"},
        {V2_TYPE1, 0, 99, "the type of layer 2 of 2 is 99, not a code this nnc knows (offset 52)"},
        {V2_ACT0, 0, 9, "the activation of layer 1 of 2 is 9, not a code this nnc knows "
                        "(offset 40)"},
        {V2_CONFIG_LEN0, 0, 257, "the configuration length of layer 1 of 2 is 257, outside "
                                 "0..256 (offset 44)"},
        {V2_CONFIG_LEN0, 0, 0, "the configuration of layer 1 of 2: a dense layer's "
                               "configuration has 4 or 8 bytes, this one 0 (offset 48)"},
        {V2_CONFIG0, 0, 0, "the configuration of layer 1 of 2: a dense layer's width must be "
                           "1 to 16777216, got 0 (offset 48)"},
        {V2_CONFIG1, 0, 1, "layer 2 of 2 does not fit: add dense: softmax needs at least 2 "
                           "units, got 1 (offset 52)"},
        {V2_CONFIG0, 0, 1u << 24, "the architecture needs 134217731 parameters and 0 state "
                                  "values, more than the"},
        {V2_LOSS, 0, 4, "the loss is 4, not a code this nnc knows (offset 68)"},
        {V2_PARAM_COUNT, 1, 66, "the parameter count is 66, the architecture implies 67 "
                                "(offset 72)"},
        {V2_PARAM_COUNT, 1, (uint64_t)1 << 40, "the parameter count is 1099511627776"},
        {V2_PARAMS + 4 * 5, 0, 0x7fc00000u, "parameter 6 of 67 (a weight of layer 1 of 2) is "
                                           "NaN (offset 100)"},
        {V2_PARAMS + 4 * 66, 0, 0xff800000u, "parameter 67 of 67 (a bias of layer 2 of 2) is "
                                            "infinite (offset 344)"},
        {V2_STATE_COUNT, 1, 1, "the state count is 1, the architecture implies 0 (offset 348)"},
        {V2_TASK, 0, 0, "the task is 0, not a code this nnc knows (offset 356)"},
        {V2_NAME0, 0, 0xffffffffu, "input name 1 of 4 claims 4294967295 bytes; at most 65536"},
    };
    size_t size;
    unsigned char *good = classifier_bytes_v2(&size);
    unsigned char *b = malloc(size);
    for (size_t i = 0; i < sizeof patches / sizeof patches[0]; i++) {
        memcpy(b, good, size);
        if (patches[i].wide)
            put64(b, patches[i].offset, patches[i].value);
        else
            put32(b, patches[i].offset, (uint32_t)patches[i].value);
        fix_crc(b, size);
        expect_format_error(b, size, patches[i].problem);
    }
    free(b);
    free(good);
}

/* Configurations nnc would not write, with a valid CRC: a longer one whose
 * type reads only its first bytes would save back differently. */
static void test_odd_configurations_v2(void **state)
{
    (void)state;
    size_t size, n;
    unsigned char *b = classifier_bytes_v2(&size);
    unsigned char longer[12] = {8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    put32(b, V2_CONFIG_LEN0, 12);
    unsigned char *c = splice(b, size, V2_CONFIG0, 4, longer, 12, &n);
    expect_format_error(c, n, "the configuration of layer 1 of 2: a dense layer's "
                              "configuration has 4 or 8 bytes, this one 12 (offset 48)");
    free(c);
    /* 8 bytes are a layout flag, which only 1 (weights input by input) may be. */
    put32(b, V2_CONFIG_LEN0, 8);
    c = splice(b, size, V2_CONFIG0, 4, longer, 8, &n);
    expect_format_error(c, n, "the configuration of layer 1 of 2: a dense layer's layout "
                              "flag must be 1 (weights input by input), got 0 (offset 48)");
    free(c);
    free(b);
}

static void test_trailing_bytes_v2(void **state)
{
    (void)state;
    size_t size, n;
    unsigned char *b = classifier_bytes_v2(&size);
    unsigned char *c = splice(b, size, size - 4, 0, "junk!", 5, &n);
    expect_format_error(c, n, "5 unexpected bytes after the training metadata");
    free(c);
    free(b);
}

/* ------------------------------------------- the committed version-1 files */

#define V1_DIR NNC_TEST_DATA "/model-v1/"

/* The first `inputs` fields of each data row of a CSV file, as strtof reads
 * them (as the outputs file was made: tests/data/model-v1/README.md). */
static float *csv_inputs(const char *path, int inputs, int *rows)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, fp));   /* the header */
    float *x = NULL;
    int n = 0;
    while (fgets(line, sizeof line, fp) != NULL) {
        x = realloc(x, (size_t)(n + 1) * (size_t)inputs * sizeof *x);
        assert_non_null(x);
        char *p = line;
        for (int j = 0; j < inputs; j++) {
            x[n * inputs + j] = strtof(p, &p);
            p++;   /* the comma */
        }
        n++;
    }
    fclose(fp);
    *rows = n;
    return x;
}

/* Loads a committed version-1 model, predicts every row one at a time and
 * checks each output is exactly the committed number; then saves it as
 * version 2 and checks the copy predicts the same and saves back to the
 * same bytes. */
static void check_v1_fixture(const char *model_path, const char *data, const char *outputs)
{
    nnc_model *model;
    if (nnc_model_load(model_path, &model) != NNC_OK)
        fail_msg("%s", nnc_last_error());
    int inputs = nnc_model_inputs(model), outs = nnc_net_outputs(nnc_model_net(model)), rows;
    float *x = csv_inputs(data, inputs, &rows);
    FILE *fp = fopen(outputs, "r");
    assert_non_null(fp);
    assert_int_equal(nnc_model_save(model, at("from-v1.nnc")), NNC_OK);
    nnc_model *copy;
    assert_int_equal(nnc_model_load(at("from-v1.nnc"), &copy), NNC_OK);
    for (int i = 0; i < rows; i++) {
        float got[16], again[16];
        assert_int_equal(nnc_model_predict(model, x + i * inputs, 1, got), NNC_OK);
        assert_int_equal(nnc_model_predict(copy, x + i * inputs, 1, again), NNC_OK);
        for (int k = 0; k < outs; k++) {
            char field[64];
            assert_int_equal(fscanf(fp, k ? ",%63[^,\n]" : " %63[^,\n]", field), 1);
            float want = strtof(field, NULL);
            if (memcmp(&got[k], &want, sizeof want) != 0 ||
                memcmp(&again[k], &want, sizeof want) != 0)
                fail_msg("%s row %d output %d: %.9g (copy %.9g), committed %s", model_path,
                         i + 1, k + 1, (double)got[k], (double)again[k], field);
        }
    }
    char rest[8];
    assert_int_equal(fscanf(fp, " %7s", rest), EOF);   /* as many rows as the data */
    fclose(fp);
    assert_int_equal(nnc_model_save(copy, at("from-v1-again.nnc")), NNC_OK);
    size_t n1, n2;
    unsigned char *a = read_bytes(at("from-v1.nnc"), &n1);
    unsigned char *b = read_bytes(at("from-v1-again.nnc"), &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    assert_int_equal(get32(a, OFF_VERSION), 2);
    free(a);
    free(b);
    free(x);
    nnc_model_free(copy);
    nnc_model_free(model);
}

static void test_v1_fixtures_predict_exactly(void **state)
{
    (void)state;
    check_v1_fixture(V1_DIR "iris.nnc", NNC_TEST_DATA "/iris.csv", V1_DIR "iris.outputs.txt");
    check_v1_fixture(V1_DIR "house.nnc", NNC_TEST_DATA "/house_prices.csv",
                     V1_DIR "house.outputs.txt");
}

/* What `nnc predict` wrote from the version-1 file before version 2 existed,
 * it writes still, byte for byte. */
static void test_v1_fixture_through_the_program(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' predict --model '%s' --data '%s' --out '%s'", NNC_BINARY,
             V1_DIR "iris.nnc", NNC_TEST_DATA "/iris.csv", at("predictions.csv"));
    assert_int_equal(system(cmd), 0);
    size_t n1, n2;
    unsigned char *got = read_bytes(at("predictions.csv"), &n1);
    unsigned char *want = read_bytes(V1_DIR "iris.predictions.csv", &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(got, want, n1);
    free(got);
    free(want);
}

/* ------------------------------------------------------------- saving */

static void test_save_into_missing_directory(void **state)
{
    (void)state;
    float x[ROWS * 4];
    nnc_model *model = classifier(x);
    int before = entries(dir);
    assert_int_equal(nnc_model_save(model, at("missing/model.nnc")), NNC_EIO);
    assert_int_equal(entries(dir), before);
    nnc_model_free(model);
}

/* The target is a directory, so the final rename fails: it stays as it was
 * and the temporary file is gone. Works as root, unlike permissions. */
static void test_failed_rename_keeps_target(void **state)
{
    (void)state;
    float x[ROWS * 4];
    nnc_model *model = classifier(x);
    assert_int_equal(mkdir(at("taken"), 0755), 0);
    write_bytes(at("taken/inside"), (const unsigned char *)"keep", 4);
    int before = entries(dir);
    assert_int_equal(nnc_model_save(model, at("taken")), NNC_EIO);
    assert_int_equal(entries(dir), before);
    size_t n;
    unsigned char *kept = read_bytes(at("taken/inside"), &n);
    assert_int_equal(n, 4);
    assert_memory_equal(kept, "keep", 4);
    free(kept);
    nnc_model_free(model);
}

/* A write that fails part way (a file-size limit stands in for a full disk)
 * leaves the old model in place, byte for byte. */
static void test_failed_write_keeps_old_file(void **state)
{
    (void)state;
    float x[ROWS * 4];
    nnc_model *old = regressor(x), *model = classifier(x);
    assert_int_equal(nnc_model_save(old, at("keep.nnc")), NNC_OK);
    size_t n_before;
    unsigned char *before = read_bytes(at("keep.nnc"), &n_before);
    int files = entries(dir);

    struct rlimit saved, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small = saved;
    small.rlim_cur = 64;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    nnc_status st = nnc_model_save(model, at("keep.nnc"));
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(st, NNC_EIO);

    size_t n_after;
    unsigned char *after = read_bytes(at("keep.nnc"), &n_after);
    assert_int_equal(n_after, n_before);
    assert_memory_equal(after, before, n_before);
    assert_int_equal(entries(dir), files);
    nnc_model *loaded;
    assert_int_equal(nnc_model_load(at("keep.nnc"), &loaded), NNC_OK);
    nnc_model_free(loaded);
    free(before);
    free(after);
    nnc_model_free(old);
    nnc_model_free(model);
}

/* What the loader would refuse is not written in the first place. */
static void test_save_refuses_unloadable(void **state)
{
    (void)state;
    float x[ROWS * 4];
    nnc_model *model = classifier(x);
    int before = entries(dir);

    float *p = nnc_net_params(nnc_model_net(model));
    float keep = p[3];
    p[3] = NAN;
    assert_int_equal(nnc_model_save(model, at("nan.nnc")), NNC_ENUMERIC);
    p[3] = keep;

    char *long_value = malloc(70000);
    memset(long_value, 'v', 69999);
    long_value[69999] = '\0';
    assert_int_equal(nnc_model_set_meta(model, "long", long_value), NNC_OK);
    assert_int_equal(nnc_model_save(model, at("long.nnc")), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "metadata value"));
    assert_int_equal(nnc_model_set_meta(model, "long", "short"), NNC_OK);
    free(long_value);

    for (int i = nnc_model_meta_count(model); i <= 4096; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(nnc_model_set_meta(model, key, "v"), NNC_OK);
    }
    assert_int_equal(nnc_model_save(model, at("many.nnc")), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "metadata entries"));

    /* The network changed under the model: 2 outputs cannot be 3 classes. */
    assert_int_equal(nnc_net_add_dense(nnc_model_net(model), 2, NNC_IDENTITY), NNC_OK);
    assert_int_equal(nnc_model_save(model, at("reshaped.nnc")), NNC_EINVAL);
    assert_non_null(strstr(nnc_last_error(), "2 outputs do not fit the model's 3 classes"));

    assert_int_equal(entries(dir), before);
    assert_int_equal(nnc_model_save(NULL, at("x.nnc")), NNC_EINVAL);
    assert_int_equal(nnc_model_save(model, NULL), NNC_EINVAL);
    nnc_model_free(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_classifier),
        cmocka_unit_test(test_round_trip_regressor),
        cmocka_unit_test(test_round_trip_without_normaliser),
        cmocka_unit_test(test_save_is_deterministic),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_every_bit_flip),
        cmocka_unit_test(test_every_byte_forged),
        cmocka_unit_test(test_wrong_magic),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_lying_fields),
        cmocka_unit_test(test_absurd_sizes),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_bad_classes_normaliser_metadata),
        cmocka_unit_test(test_bad_target_scaling),
        cmocka_unit_test(test_non_finite_parameters),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_unreadable_paths),
        cmocka_unit_test(test_huge_file),
        cmocka_unit_test(test_layout_v2),
        cmocka_unit_test(test_save_load_save_v2),
        cmocka_unit_test(test_v1_and_v2_load_alike),
        cmocka_unit_test(test_every_truncation_v2),
        cmocka_unit_test(test_truncated_at_each_field_v2),
        cmocka_unit_test(test_every_bit_flip_v2),
        cmocka_unit_test(test_every_byte_forged_v2),
        cmocka_unit_test(test_lying_fields_v2),
        cmocka_unit_test(test_odd_configurations_v2),
        cmocka_unit_test(test_trailing_bytes_v2),
        cmocka_unit_test(test_v1_fixtures_predict_exactly),
        cmocka_unit_test(test_v1_fixture_through_the_program),
        cmocka_unit_test(test_save_into_missing_directory),
        cmocka_unit_test(test_failed_rename_keeps_target),
        cmocka_unit_test(test_failed_write_keeps_old_file),
        cmocka_unit_test(test_save_refuses_unloadable),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}

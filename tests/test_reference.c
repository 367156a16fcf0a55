/*
 * test_reference.c - golden tests of the forward and backward passes.
 *
 * Each file in data/reference/ holds a small dense network with fixed weights,
 * a batch, and what an independent float64 implementation (PyTorch) computes
 * for it: outputs, loss, and the gradient of that loss with respect to every
 * weight, bias and input. The finite-difference checks in test_gradcheck.c
 * only show that the library is consistent with itself; these files pin down
 * the conventions too (W layout, which losses are summed or averaged, that the
 * squared error is not halved), which a self-consistent library can get wrong.
 *
 * Networks the files do not have - at the sizes that take the dense layer's
 * BLAS kernels and single-row loop - are computed again here in float64
 * with plain loops (compute_in_double), and every case also checks the
 * gradient a fused plain-SGD step applies, read back from its update.
 *
 * The CNN files (cnn_conv_pool_dense, cnn_strided_pool3: convolutions with
 * padding and stride, max pooling with overlapping windows) are read layer
 * by layer into the layer grammar, and each layer's output is compared too.
 *
 * Every quantity is compared element by element within 1e-5 relative (see
 * compare for the scale near zero), and the largest difference of each
 * quantity is printed so that a drift towards the tolerance shows before it
 * fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnc.h"

#ifndef NNC_TEST_DATA
#error "NNC_TEST_DATA must point to tests/data"
#endif

/* The library computes in float32 against a float64 reference; the README
 * promises agreement to about 1e-5 relative. */
#define REL_TOL 1e-5

/* One reference case after parsing: the network's description and every
 * expected quantity, flattened to row-major doubles. */
typedef struct reference {
    cJSON *root;            /* NULL for a case computed by this file */
    int n_layers;
    int sizes[8];           /* layer_sizes: inputs, then each layer's units */
    nnc_activation act[8];  /* each layer's */
    nnc_loss loss;
    int rows;
    double *x, *y, *output, *grad_x;
    double *weights[8], *biases[8], *grad_weights[8], *grad_biases[8];
    double loss_value;
} reference;

/* ------------------------------------------------------------ file reading */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    size_t got;
    while (text != NULL && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *bigger = realloc(text, cap * 2);
            if (bigger == NULL) {
                free(text);
                text = NULL;
                break;
            }
            text = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (text != NULL)
        text[len] = '\0';
    return text;
}

/* Counts the numbers in a nested array, in row-major order. */
static size_t count_numbers(const cJSON *node)
{
    if (cJSON_IsNumber(node))
        return 1;
    size_t n = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, node)
        n += count_numbers(item);
    return n;
}

static size_t copy_numbers(const cJSON *node, double *out)
{
    if (cJSON_IsNumber(node)) {
        *out = node->valuedouble;
        return 1;
    }
    size_t n = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, node)
        n += copy_numbers(item, out + n);
    return n;
}

/* A nested numeric array flattened into a new array that must hold exactly
 * `expected` numbers, so a shape mismatch in the file fails here, loudly. */
static double *flatten(const cJSON *node, size_t expected, const char *what)
{
    assert_non_null(node);
    size_t n = count_numbers(node);
    if (n != expected)
        fail_msg("%s: %zu numbers in the file, expected %zu", what, n, expected);
    double *out = malloc((n ? n : 1) * sizeof *out);
    assert_non_null(out);
    copy_numbers(node, out);
    return out;
}

/* The files name their losses by how they reduce; each maps to exactly one
 * nnc loss whose reduction is the same (nnc.h documents each), so no scaling
 * is needed. Any other name is a file this test does not understand. */
static nnc_loss loss_of(const char *name)
{
    static const struct {
        const char *file_name;
        nnc_loss loss;
    } map[] = {
        {"squared_error_sum", NNC_LOSS_SQUARED_ERROR},
        {"mse_mean", NNC_LOSS_MSE},
        {"binary_cross_entropy", NNC_LOSS_BINARY_CROSS_ENTROPY},
        {"softmax_cross_entropy", NNC_LOSS_SOFTMAX_CROSS_ENTROPY},
    };
    assert_non_null(name);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(name, map[i].file_name) == 0)
            return map[i].loss;
    fail_msg("unknown loss '%s' in a reference file", name);
    return NNC_LOSS_SQUARED_ERROR;
}

static size_t layer_weights(const reference *ref, int l)
{
    return (size_t)ref->sizes[l + 1] * (size_t)ref->sizes[l];
}

static void load_reference(reference *ref, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/reference/%s.json", NNC_TEST_DATA, name);
    char *text = read_text(path);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    memset(ref, 0, sizeof *ref);
    ref->root = cJSON_Parse(text);
    free(text);
    if (ref->root == NULL)
        fail_msg("%s is not valid JSON", path);

    const cJSON *sizes = cJSON_GetObjectItemCaseSensitive(ref->root, "layer_sizes");
    int n_sizes = cJSON_GetArraySize(sizes);
    assert_in_range(n_sizes, 2, 8);
    ref->n_layers = n_sizes - 1;
    for (int i = 0; i < n_sizes; i++) {
        const cJSON *size = cJSON_GetArrayItem(sizes, i);
        assert_true(cJSON_IsNumber(size) && size->valueint >= 1);
        ref->sizes[i] = size->valueint;
    }
    const cJSON *acts = cJSON_GetObjectItemCaseSensitive(ref->root, "activations");
    assert_int_equal(cJSON_GetArraySize(acts), ref->n_layers);
    for (int l = 0; l < ref->n_layers; l++) {
        const char *act_name = cJSON_GetStringValue(cJSON_GetArrayItem(acts, l));
        assert_non_null(act_name);
        assert_int_equal(nnc_activation_parse(act_name, &ref->act[l]), NNC_OK);
    }
    ref->loss = loss_of(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref->root, "loss")));
    ref->rows = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ref->root, "x"));
    assert_true(ref->rows >= 1);

    size_t n_in = (size_t)ref->rows * (size_t)ref->sizes[0];
    size_t n_out = (size_t)ref->rows * (size_t)ref->sizes[ref->n_layers];
#define FIELD(key) cJSON_GetObjectItemCaseSensitive(ref->root, key)
    ref->x = flatten(FIELD("x"), n_in, "x");
    ref->y = flatten(FIELD("y"), n_out, "y");
    ref->output = flatten(FIELD("output"), n_out, "output");
    ref->grad_x = flatten(FIELD("grad_x"), n_in, "grad_x");
    const cJSON *loss_value = FIELD("loss_value");
    assert_true(cJSON_IsNumber(loss_value));
    ref->loss_value = loss_value->valuedouble;
    for (int l = 0; l < ref->n_layers; l++) {
        size_t nw = layer_weights(ref, l), nb = (size_t)ref->sizes[l + 1];
        ref->weights[l] = flatten(cJSON_GetArrayItem(FIELD("weights"), l), nw, "weights");
        ref->biases[l] = flatten(cJSON_GetArrayItem(FIELD("biases"), l), nb, "biases");
        ref->grad_weights[l] =
            flatten(cJSON_GetArrayItem(FIELD("grad_weights"), l), nw, "grad_weights");
        ref->grad_biases[l] =
            flatten(cJSON_GetArrayItem(FIELD("grad_biases"), l), nb, "grad_biases");
    }
#undef FIELD
}

static void free_reference(reference *ref)
{
    free(ref->x);
    free(ref->y);
    free(ref->output);
    free(ref->grad_x);
    for (int l = 0; l < ref->n_layers; l++) {
        free(ref->weights[l]);
        free(ref->biases[l]);
        free(ref->grad_weights[l]);
        free(ref->grad_biases[l]);
    }
    cJSON_Delete(ref->root);
}

/* ------------------------------------------------------- network building */

static void copy_to_float(float *dst, const double *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)src[i];
}

static nnc_net *build_net(const reference *ref)
{
    nnc_net *net = nnc_net_new(ref->sizes[0]);
    assert_non_null(net);
    for (int l = 0; l < ref->n_layers; l++)
        assert_int_equal(nnc_net_add_dense(net, ref->sizes[l + 1], ref->act[l]), NNC_OK);
    assert_int_equal(nnc_net_set_loss(net, ref->loss), NNC_OK);
    /* Parameters are set after the last layer: adding one zeroes them all. */
    for (int l = 0; l < ref->n_layers; l++) {
        copy_to_float(nnc_net_weights(net, l), ref->weights[l], layer_weights(ref, l));
        copy_to_float(nnc_net_bias(net, l), ref->biases[l], (size_t)ref->sizes[l + 1]);
    }
    return net;
}

/* -------------------------------------------------------------- comparing */

/* The largest magnitude among the n expected values of one quantity. */
static double largest(const double *v, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(v[i]) > m)
            m = fabs(v[i]);
    return m;
}

/* Compares one quantity of one file, entry by entry: |got - expected| must be
 * at most REL_TOL * max(|expected|, scale), scale being the quantity's largest
 * |expected|. Float32 carries a value with an absolute error of about 1e-7 of
 * the terms summed into it, and those terms are on the scale of the quantity's
 * largest entries, not of the entry itself: wide_batch_squared's output[0] is
 * 0.0084 out of terms whose magnitudes sum to 7.2, and merely rounding that
 * file's float64 weights and inputs to float32 already moves it by 3e-5
 * relative, before any arithmetic. Likewise its grad_weights[1][26] is 3e-9
 * in float64 and exactly 0 in float32, where tanhf of a saturated unit is 1.
 * A fixed absolute floor cannot serve every file (wide_batch_squared's
 * gradients reach 50, binary_deep_sigmoid's stay below 1), hence one per
 * quantity. Relative to their largest entry the worst quantities are off by
 * 3e-7, so 1e-5 keeps a margin of 30 and still catches any missing factor,
 * wrong reduction or transposed layout.
 *
 * Prints the first failing entry in full and, for every quantity, both the
 * largest plain relative difference (which exceeds 1e-5 on the near-cancelled
 * entries above) and the largest difference as the test measures it. Returns
 * the number of failing entries so a test reports every quantity first. */
static int compare_at_scale(const char *file, const char *quantity, const double *expected,
                            const float *got, size_t n, double floor_scale)
{
    double scale = fmax(largest(expected, n), floor_scale);
    double worst_rel = 0.0, worst_scaled = 0.0;
    size_t worst_at = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs((double)got[i] - expected[i]);
        double rel = expected[i] != 0.0 ? diff / fabs(expected[i]) : diff == 0.0 ? 0.0 : INFINITY;
        double scaled = diff / fmax(fabs(expected[i]), scale);
        if (rel > worst_rel)
            worst_rel = rel;
        if (scaled > worst_scaled) {
            worst_scaled = scaled;
            worst_at = i;
        }
        /* Written so that a NaN fails too. */
        if (!(scaled <= REL_TOL) && bad++ == 0)
            print_message("MISMATCH %s %s[%zu]: expected %.9g, got %.9g (relative %.3g, "
                          "against the quantity's scale %.3g)\n",
                          file, quantity, i, expected[i], (double)got[i], rel, scaled);
    }
    print_message("  %-20s %-16s n=%-4zu max rel diff %-9.3g scaled %-9.3g at [%zu]%s\n", file,
                  quantity, n, worst_rel, worst_scaled, worst_at, bad ? "  <-- FAILED" : "");
    return bad;
}

static int compare(const char *file, const char *quantity, const double *expected,
                   const float *got, size_t n)
{
    return compare_at_scale(file, quantity, expected, got, n, 0.0);
}

/* ------------------------------------------------- a float64 network here */

/* The same network computed again in double precision with plain loops and
 * the unfused chain rule, written from the definitions in nnc.h and not from
 * the library's code: for networks the reference files do not have, at the
 * sizes where src/nn/layers/dense.c leaves its loops for BLAS (see kernel_case). */

static double act_value(nnc_activation act, double z)
{
    switch (act) {
    case NNC_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case NNC_TANH: return tanh(z);
    case NNC_RELU: return z > 0.0 ? z : 0.0;
    default: return z;   /* identity; softmax is done by rows */
    }
}

/* d out / d z from z and out (ReLU's at 0 is 0, as PyTorch takes it). */
static double act_slope(nnc_activation act, double z, double out)
{
    switch (act) {
    case NNC_SIGMOID: return out * (1.0 - out);
    case NNC_TANH: return 1.0 - out * out;
    case NNC_RELU: return z > 0.0 ? 1.0 : 0.0;
    default: return 1.0;
    }
}

/* The loss of p against t (n = rows * cols entries) and d loss / d p. */
static double loss_and_slope(nnc_loss loss, const double *p, const double *t, int rows, int cols,
                             double *dp)
{
    size_t n = (size_t)rows * (size_t)cols;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        switch (loss) {
        case NNC_LOSS_SQUARED_ERROR:
        case NNC_LOSS_MSE:
            sum += (p[i] - t[i]) * (p[i] - t[i]);
            dp[i] = 2.0 * (p[i] - t[i]) / (loss == NNC_LOSS_MSE ? (double)n : 1.0);
            break;
        case NNC_LOSS_BINARY_CROSS_ENTROPY:
            sum -= t[i] * log(p[i]) + (1.0 - t[i]) * log(1.0 - p[i]);
            dp[i] = (p[i] - t[i]) / (p[i] * (1.0 - p[i])) / (double)n;
            break;
        case NNC_LOSS_SOFTMAX_CROSS_ENTROPY:
            sum -= t[i] * log(p[i]);
            dp[i] = -t[i] / p[i] / rows;
            break;
        }
    }
    return loss == NNC_LOSS_SQUARED_ERROR ? sum
           : loss == NNC_LOSS_SOFTMAX_CROSS_ENTROPY ? sum / rows
                                                    : sum / (double)n;
}

/* Fills ref's output, loss_value, grad_weights, grad_biases and grad_x from
 * its network and batch. */
static void compute_in_double(reference *ref)
{
    int rows = ref->rows, L = ref->n_layers;
    double *a[9], *z[8];   /* a[l]: layer l's input (a[0] = x); z[l]: its sums */
    a[0] = ref->x;
    for (int l = 0; l < L; l++) {
        int in = ref->sizes[l], units = ref->sizes[l + 1];
        z[l] = malloc((size_t)rows * units * sizeof(double));
        a[l + 1] = malloc((size_t)rows * units * sizeof(double));
        assert_true(z[l] && a[l + 1]);
        for (int r = 0; r < rows; r++) {
            double *zr = z[l] + (size_t)r * units, *ar = a[l + 1] + (size_t)r * units;
            double most = -HUGE_VAL, sum = 0.0;
            for (int u = 0; u < units; u++) {
                zr[u] = ref->biases[l][u];
                for (int i = 0; i < in; i++)
                    zr[u] += ref->weights[l][(size_t)u * in + i] * a[l][(size_t)r * in + i];
                most = fmax(most, zr[u]);
            }
            for (int u = 0; u < units; u++) {
                ar[u] = ref->act[l] == NNC_SOFTMAX ? exp(zr[u] - most) : act_value(ref->act[l], zr[u]);
                sum += ar[u];
            }
            for (int u = 0; ref->act[l] == NNC_SOFTMAX && u < units; u++)
                ar[u] /= sum;
        }
    }
    int outputs = ref->sizes[L];
    size_t n_out = (size_t)rows * outputs;
    memcpy(ref->output, a[L], n_out * sizeof(double));
    /* g: d loss / d (this layer's output), then d loss / d z in place. */
    double *g = malloc(n_out * sizeof *g);
    assert_non_null(g);
    ref->loss_value = loss_and_slope(ref->loss, a[L], ref->y, rows, outputs, g);
    for (int l = L - 1; l >= 0; l--) {
        int in = ref->sizes[l], units = ref->sizes[l + 1];
        for (int r = 0; r < rows; r++) {
            double *gr = g + (size_t)r * units;
            const double *s = a[l + 1] + (size_t)r * units, *zr = z[l] + (size_t)r * units;
            double dot = 0.0;
            for (int u = 0; u < units; u++)
                dot += gr[u] * s[u];
            for (int u = 0; u < units; u++)
                gr[u] = ref->act[l] == NNC_SOFTMAX ? s[u] * (gr[u] - dot)
                                                   : gr[u] * act_slope(ref->act[l], zr[u], s[u]);
        }
        double *below = calloc((size_t)rows * in, sizeof *below);
        assert_non_null(below);
        memset(ref->grad_weights[l], 0, (size_t)units * in * sizeof(double));
        memset(ref->grad_biases[l], 0, (size_t)units * sizeof(double));
        for (int r = 0; r < rows; r++)
            for (int u = 0; u < units; u++) {
                double d = g[(size_t)r * units + u];
                ref->grad_biases[l][u] += d;
                for (int i = 0; i < in; i++) {
                    ref->grad_weights[l][(size_t)u * in + i] += d * a[l][(size_t)r * in + i];
                    below[(size_t)r * in + i] += d * ref->weights[l][(size_t)u * in + i];
                }
            }
        free(g);
        g = below;
    }
    memcpy(ref->grad_x, g, (size_t)rows * ref->sizes[0] * sizeof(double));
    free(g);
    for (int l = 0; l < L; l++) {
        free(z[l]);
        free(a[l + 1]);
    }
}

/* A network, batch and targets of the given shape drawn from seed, every
 * number a float so that both computations start from the same values;
 * then the expected quantities in double. Inputs 0-15 and 40-47 of each row
 * are 0 with zero_blocks, the image-like margins the single-row kernel skips. */
typedef struct kernel_case {
    const char *name;
    int n_layers;
    int sizes[5];
    nnc_activation act[4];
    nnc_loss loss;
    int rows;
    int zero_blocks;
} kernel_case;

static double *new_doubles(size_t n)
{
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    return v;
}

static double draw(nnc_rng *rng, double scale)
{
    return (double)(float)(scale * nnc_rng_normal(rng));
}

static void make_case(reference *ref, const kernel_case *c, uint64_t seed)
{
    memset(ref, 0, sizeof *ref);
    nnc_rng rng;
    nnc_rng_seed(&rng, seed);
    ref->n_layers = c->n_layers;
    ref->rows = c->rows;
    ref->loss = c->loss;
    memcpy(ref->sizes, c->sizes, sizeof c->sizes);
    memcpy(ref->act, c->act, sizeof c->act);
    int inputs = c->sizes[0], outputs = c->sizes[c->n_layers];
    size_t n_in = (size_t)c->rows * inputs, n_out = (size_t)c->rows * outputs;
    ref->x = new_doubles(n_in);
    ref->grad_x = new_doubles(n_in);
    ref->y = new_doubles(n_out);
    ref->output = new_doubles(n_out);
    for (size_t k = 0; k < n_in; k++) {
        int i = (int)(k % (size_t)inputs);
        int zero = c->zero_blocks && (i < 16 || (i >= 40 && i < 48));
        ref->x[k] = zero ? 0.0 : (double)(float)(2.0 * nnc_rng_uniform(&rng) - 1.0);
    }
    for (int l = 0; l < c->n_layers; l++) {
        size_t nw = layer_weights(ref, l), nb = (size_t)c->sizes[l + 1];
        ref->weights[l] = new_doubles(nw);
        ref->grad_weights[l] = new_doubles(nw);
        ref->biases[l] = new_doubles(nb);
        ref->grad_biases[l] = new_doubles(nb);
        double scale = sqrt(2.0 / (c->sizes[l] + c->sizes[l + 1]));   /* Xavier's */
        for (size_t k = 0; k < nw; k++)
            ref->weights[l][k] = draw(&rng, scale);
        for (size_t k = 0; k < nb; k++)
            ref->biases[l][k] = draw(&rng, 0.3);
    }
    for (int r = 0; r < c->rows; r++) {
        double *yr = ref->y + (size_t)r * outputs;
        int hot = (int)nnc_rng_below(&rng, (uint64_t)outputs);
        for (int j = 0; j < outputs; j++) {
            if (c->loss == NNC_LOSS_SOFTMAX_CROSS_ENTROPY)
                yr[j] = j == hot;
            else if (c->loss == NNC_LOSS_BINARY_CROSS_ENTROPY)
                yr[j] = nnc_rng_uniform(&rng) < 0.5;
            else
                yr[j] = draw(&rng, 1.0);
        }
    }
    compute_in_double(ref);
}

/* ------------------------------------------------------------------ tests */

/* The gradient a plain SGD step used (nnc_train_step with nnc_sgd_new: the
 * update is fused into the backward pass and no gradient is stored), read
 * back as (before - after) / rate, in the gradient block's layout. The rate
 * is a power of two that makes every layer's step at least 64 times the
 * largest parameter, so the read-back loses only the step's own float
 * rounding, not that of the parameters it was added to; a step that used
 * weights it had already updated would be off by far more. */
static float *sgd_step_gradient(const reference *ref, const float *x, const float *y)
{
    double params = 1e-3, smallest = HUGE_VAL;
    for (int l = 0; l < ref->n_layers; l++) {
        size_t nw = layer_weights(ref, l), nb = (size_t)ref->sizes[l + 1];
        params = fmax(params, fmax(largest(ref->weights[l], nw), largest(ref->biases[l], nb)));
        double g = fmax(largest(ref->grad_weights[l], nw), largest(ref->grad_biases[l], nb));
        if (g > 0.0)
            smallest = fmin(smallest, g);
    }
    assert_true(isfinite(smallest));
    double rate = exp2(ceil(log2(64.0 * params / smallest)));
    nnc_net *net = build_net(ref);
    size_t n = nnc_net_param_count(net);
    float *before = malloc(n * sizeof *before), *grad = malloc(n * sizeof *grad);
    nnc_optimizer *sgd = nnc_sgd_new((float)rate);
    assert_true(before && grad && sgd);
    memcpy(before, nnc_net_params(net), n * sizeof *before);
    assert_int_equal(nnc_train_step(net, sgd, x, y, ref->rows, NULL), NNC_OK);
    const float *after = nnc_net_params(net);
    for (size_t i = 0; i < n; i++)
        grad[i] = (float)(((double)before[i] - after[i]) / rate);
    nnc_optimizer_free(sgd);
    nnc_net_free(net);
    free(before);
    return grad;
}

/* Compares everything nnc computes for ref's network and batch with ref:
 * the outputs, the loss, the gradients and the input gradient from
 * nnc_net_gradients, and the gradient a fused SGD step applied. Returns the
 * number of failing entries. */
static int check_case(const reference *ref, const char *name)
{
    nnc_net *net = build_net(ref);
    int outputs = ref->sizes[ref->n_layers], inputs = ref->sizes[0];
    size_t n_in = (size_t)ref->rows * (size_t)inputs, n_out = (size_t)ref->rows * (size_t)outputs;
    float *x = malloc(n_in * sizeof *x), *y = malloc(n_out * sizeof *y);
    float *out = malloc(n_out * sizeof *out), *dx = malloc(n_in * sizeof *dx);
    assert_true(x && y && out && dx);
    copy_to_float(x, ref->x, n_in);
    copy_to_float(y, ref->y, n_out);

    double loss = NAN;
    assert_int_equal(nnc_predict(net, x, ref->rows, out), NNC_OK);
    assert_int_equal(nnc_net_gradients(net, x, y, ref->rows, &loss, dx), NNC_OK);
    float *stepped = sgd_step_gradient(ref, x, y);

    /* The loss is a double summed from float outputs; as a float it keeps 6e-8
     * relative, far inside the tolerance, and shares the comparison. */
    float loss_f = (float)loss;
    int bad = compare(name, "output", ref->output, out, n_out);
    bad += compare(name, "loss", &ref->loss_value, &loss_f, 1);
    const float *step_at = stepped;
    for (int l = 0; l < ref->n_layers; l++) {
        char what[4][32];
        size_t nw = layer_weights(ref, l), nb = (size_t)ref->sizes[l + 1];
        snprintf(what[0], sizeof what[0], "grad_weights[%d]", l);
        snprintf(what[1], sizeof what[1], "grad_biases[%d]", l);
        snprintf(what[2], sizeof what[2], "sgd step dW[%d]", l);
        snprintf(what[3], sizeof what[3], "sgd step db[%d]", l);
        bad += compare(name, what[0], ref->grad_weights[l], nnc_net_weight_grads(net, l), nw);
        bad += compare(name, what[1], ref->grad_biases[l], nnc_net_bias_grads(net, l), nb);
        bad += compare(name, what[2], ref->grad_weights[l], step_at, nw);
        bad += compare(name, what[3], ref->grad_biases[l], step_at + nw, nb);
        step_at += nw + nb;
    }
    bad += compare(name, "grad_x", ref->grad_x, dx, n_in);

    free(stepped);
    free(x);
    free(y);
    free(out);
    free(dx);
    nnc_net_free(net);
    return bad;
}

static void check_reference(const char *name)
{
    reference ref;
    load_reference(&ref, name);
    int bad = check_case(&ref, name);
    free_reference(&ref);
    assert_int_equal(bad, 0);
}

static void test_tutorial_step(void **state)
{
    (void)state;
    check_reference("tutorial_step");
}

static void test_regression_tanh_relu(void **state)
{
    (void)state;
    check_reference("regression_tanh_relu");
}

static void test_classifier_softmax(void **state)
{
    (void)state;
    check_reference("classifier_softmax");
}

static void test_binary_deep_sigmoid(void **state)
{
    (void)state;
    check_reference("binary_deep_sigmoid");
}

static void test_wide_batch_squared(void **state)
{
    (void)state;
    check_reference("wide_batch_squared");
}

/* The kernels src/nn/layers/dense.c and src/nn/net.c choose by size, with B rows, I
 * inputs and U units in a layer:
 *   B * I * U <= 4096 (TINY_WORK): loops forward and backward, except that
 *       one row with I >= 8 goes forward through gemv_rows, the single-row
 *       vector loop (8 inputs at a time, all-zero blocks skipped, 4 units at
 *       a time, then the inputs and units left over);
 *   B = 1, more work: gemv_rows forward, cblas_sger and cblas_sgemv backward;
 *   B > 1, more work: cblas_sgemm forward and backward.
 * A plain SGD step fuses the update into the backward pass: dense_row_stack_sgd
 * for one row through layers of at most 256 weights (SMALL_LAYER_WEIGHTS)
 * whose output fuses with the loss and is not softmax; dense_row_sgd
 * for any other single row; dense_sgd for a batch, with loops when tiny,
 * else sgemm. The reference files are all tiny (their one single row,
 * tutorial_step, takes dense_row_stack_sgd); these cases take the rest, each
 * layer's paths named beside it. */
static const kernel_case KERNEL_CASES[] = {
    /* 24->32 and 32->20 (6144 and 5120 multiply-adds): sgemm forward,
     * backward and in the step; 20->6 and 6->3: loops. */
    { "sgemm, then loops", 4, { 24, 32, 20, 6, 3 },
      { NNC_TANH, NNC_SIGMOID, NNC_RELU, NNC_SOFTMAX }, NNC_LOSS_SOFTMAX_CROSS_ENTROPY, 8, 0 },
    /* 75->61: sgemm at sizes no SIMD width divides; 61->3: loops. */
    { "sgemm, odd sizes", 2, { 75, 61, 3 }, { NNC_TANH, NNC_IDENTITY }, NNC_LOSS_MSE, 6, 1 },
    /* 75->61 (4575): gemv_rows forward over 9 blocks of 8 inputs (3 zero)
     * and a tail of 3, 15 groups of 4 units and 1 more; sger and sgemv
     * backward; dense_row_sgd. 61->3: gemv_rows forward, loops
     * backward, dense_row_sgd. */
    { "one row, sger/sgemv", 2, { 75, 61, 3 }, { NNC_TANH, NNC_IDENTITY }, NNC_LOSS_MSE, 1, 1 },
    /* Forward: loops (I = 5), gemv_rows (I = 12), loops (I = 6); loops
     * backward; the step is dense_row_stack_sgd (60, 72, 12 weights). */
    { "one row, small step", 3, { 5, 12, 6, 2 }, { NNC_TANH, NNC_RELU, NNC_SIGMOID },
      NNC_LOSS_BINARY_CROSS_ENTROPY, 1, 0 },
    /* gemv_rows forward (I >= 8), loops backward; a softmax output never
     * takes the small step: dense_row_sgd. */
    { "one row, softmax", 2, { 10, 16, 4 }, { NNC_RELU, NNC_SOFTMAX },
      NNC_LOSS_SOFTMAX_CROSS_ENTROPY, 1, 0 },
};

static void test_kernel_paths_against_double(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t k = 0; k < sizeof KERNEL_CASES / sizeof KERNEL_CASES[0]; k++) {
        reference ref;
        make_case(&ref, &KERNEL_CASES[k], 20240611u + k);
        bad += check_case(&ref, KERNEL_CASES[k].name);
        free_reference(&ref);
    }
    assert_int_equal(bad, 0);
}

/* ------------------------------------------------- convolutional networks */

/* The CNN files describe their layers by PyTorch's names and give one
 * entry of params, grads and layer_outputs per layer. Each maps to one nnc
 * layer in the grammar, but for flatten, which nnc needs none of: a dense
 * layer reads any shape as one vector, and the row's order is the same
 * (the conventions: "flatten keeps the row as it is"). */
enum { MAX_CNN_LAYERS = 8 };

typedef struct cnn_reference {
    cJSON *root;
    int n_file;                 /* the file's layers */
    int nnc_layer[MAX_CNN_LAYERS];   /* each one's nnc layer, or -1 for a flatten */
    nnc_net *net;
    int rows;
} cnn_reference;

/* File layer i as grammar text into buf, or "" for a flatten. */
static void cnn_layer_text(const cJSON *layer, char *buf, size_t n)
{
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(layer, "type"));
    const char *act = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(layer, "activation"));
    assert_non_null(type);
#define INT(key) cJSON_GetObjectItemCaseSensitive(layer, key)->valueint
    if (strcmp(type, "conv2d") == 0)
        snprintf(buf, n, "conv:%d:%d:%d:%d:%s", INT("out_channels"), INT("kernel"),
                 INT("stride"), INT("pad"), act ? act : "identity");
    else if (strcmp(type, "maxpool2d") == 0)
        snprintf(buf, n, "maxpool:%d:%d", INT("kernel"), INT("stride"));
    else if (strcmp(type, "avgpool2d") == 0)
        snprintf(buf, n, "avgpool:%d:%d", INT("kernel"), INT("stride"));
    else if (strcmp(type, "batchnorm2d") == 0)
        snprintf(buf, n, "batchnorm:%s", act ? act : "identity");
    else if (strcmp(type, "dense") == 0)
        snprintf(buf, n, "dense:%d:%s", INT("units"), act ? act : "identity");
    else if (strcmp(type, "flatten") == 0)
        buf[0] = '\0';
    else
        fail_msg("a layer of type '%s', which nnc does not have yet", type);
#undef INT
}

/* A layer's tensor in the file by nnc's name: batch norm's weight and bias
 * are its gamma and beta there. */
static const cJSON *tensor_field(const cJSON *layer, const char *name)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(layer, name);
    if (t == NULL)
        t = cJSON_GetObjectItemCaseSensitive(layer, strcmp(name, "weight") == 0 ? "gamma"
                                                                                 : "beta");
    return t;
}

/* The file's network in nnc, with the file's parameters. */
static void load_cnn(cnn_reference *ref, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/reference/%s.json", NNC_TEST_DATA, name);
    char *text = read_text(path);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    memset(ref, 0, sizeof *ref);
    ref->root = cJSON_Parse(text);
    free(text);
    if (ref->root == NULL)
        fail_msg("%s is not valid JSON", path);
#define FIELD(key) cJSON_GetObjectItemCaseSensitive(ref->root, key)
    const cJSON *shape = FIELD("input_shape");
    assert_int_equal(cJSON_GetArraySize(shape), 3);
    nnc_shape in = { cJSON_GetArrayItem(shape, 0)->valueint,
                     cJSON_GetArrayItem(shape, 1)->valueint,
                     cJSON_GetArrayItem(shape, 2)->valueint };
    ref->net = nnc_net_new_shaped(in);
    assert_non_null(ref->net);
    ref->n_file = cJSON_GetArraySize(FIELD("layers"));
    assert_in_range(ref->n_file, 1, MAX_CNN_LAYERS);
    for (int i = 0, next = 0; i < ref->n_file; i++) {
        char item[128];
        cnn_layer_text(cJSON_GetArrayItem(FIELD("layers"), i), item, sizeof item);
        ref->nnc_layer[i] = item[0] ? next++ : -1;
        if (item[0] && nnc_net_add_layers(ref->net, item, NNC_IDENTITY) != NNC_OK)
            fail_msg("%s: %s", name, nnc_last_error());
    }
    assert_int_equal(nnc_net_set_loss(ref->net, loss_of(cJSON_GetStringValue(FIELD("loss")))),
                     NNC_OK);
    ref->rows = cJSON_GetArraySize(FIELD("x"));
    assert_true(ref->rows >= 1);
    /* Batch norm's running statistics start where PyTorch's do (mean 0,
     * variance 1), as nnc_net_init would set them. */
    float *state = nnc_net_state(ref->net);
    nnc_tensor_info info;
    for (int t = 0; t < nnc_net_tensor_count(ref->net); t++)
        if (nnc_net_tensor(ref->net, t, &info) == NNC_OK && info.is_state &&
            strcmp(info.name, "running_var") == 0)
            for (size_t k = 0; k < info.size; k++)
                state[info.offset + k] = 1.0f;
    /* Parameters after the last layer: adding one zeroes them all. */
    for (int i = 0; i < ref->n_file; i++) {
        int l = ref->nnc_layer[i];
        const cJSON *p = cJSON_GetArrayItem(FIELD("params"), i);
        if (l < 0 || nnc_net_weights(ref->net, l) == NULL) {
            assert_null(cJSON_GetObjectItemCaseSensitive(p, "weight"));
            continue;
        }
        size_t nb = (size_t)nnc_net_layer_shape(ref->net, l).channels;
        size_t nw = (size_t)(nnc_net_bias(ref->net, l) - nnc_net_weights(ref->net, l));
        double *w = flatten(tensor_field(p, "weight"), nw, "weight");
        double *b = flatten(tensor_field(p, "bias"), nb, "bias");
        copy_to_float(nnc_net_weights(ref->net, l), w, nw);
        copy_to_float(nnc_net_bias(ref->net, l), b, nb);
        free(w);
        free(b);
    }
#undef FIELD
}

/* The first `count` items of a layer grammar text (no item has a comma). */
static void first_items(const char *text, int count, char *buf, size_t n)
{
    const char *end = text;
    for (int k = 0; k < count; k++) {
        const char *comma = strchr(end, ',');
        if (comma == NULL) {
            end = text + strlen(text);
            break;
        }
        end = k < count - 1 ? comma + 1 : comma;
    }
    snprintf(buf, n, "%.*s", (int)(end - text), text);
}

/* A file's quantity (a nested array of n numbers) against nnc's. */
static int compare_field(const char *file, const char *quantity, const cJSON *node,
                         const float *got, size_t n)
{
    double *want = flatten(node, n, quantity);
    int bad = compare(file, quantity, want, got, n);
    free(want);
    return bad;
}

/* Where layer l's state starts in the state block. */
static size_t state_offset(const nnc_net *net, int l)
{
    nnc_tensor_info info;
    for (int t = 0; t < nnc_net_tensor_count(net); t++)
        if (nnc_net_tensor(net, t, &info) == NNC_OK && info.layer == l && info.is_state)
            return info.offset;
    fail_msg("layer %d has no state", l);
    return 0;
}

/* Every layer's output, the loss, every parameter's gradient and the input
 * gradient of a CNN file. A layer's output is that of the network cut just
 * above it, with the same parameters, so a mismatch shows where it starts. */
static void check_cnn(const char *name)
{
    cnn_reference ref;
    load_cnn(&ref, name);
    nnc_net *net = ref.net;
    const cJSON *root = ref.root;
#define FIELD(key) cJSON_GetObjectItemCaseSensitive(root, key)
    size_t n_in = (size_t)ref.rows * (size_t)nnc_net_inputs(net);
    size_t n_out = (size_t)ref.rows * (size_t)nnc_net_outputs(net);
    double *xd = flatten(FIELD("x"), n_in, "x"), *yd = flatten(FIELD("y"), n_out, "y");
    float *x = malloc(n_in * sizeof *x), *y = malloc(n_out * sizeof *y);
    float *dx = malloc(n_in * sizeof *dx);
    assert_true(x && y && dx);
    copy_to_float(x, xd, n_in);
    copy_to_float(y, yd, n_out);
    free(xd);
    free(yd);
    int bad = 0;

    char text[1024];
    assert_true(nnc_net_describe(net, text, sizeof text) < (int)sizeof text);
    print_message("  %s as nnc: %s\n", name, text);
    for (int i = 0; i < ref.n_file; i++) {
        /* A flatten's output is the layer's below it. */
        int l = ref.nnc_layer[i];
        for (int k = i; l < 0 && k > 0; k--)
            l = ref.nnc_layer[k - 1];
        assert_true(l >= 0);
        nnc_net *cut = nnc_net_new_shaped(nnc_net_input_shape(net));
        char below[1024];
        first_items(text, l + 1, below, sizeof below);
        assert_int_equal(nnc_net_add_layers(cut, below, NNC_IDENTITY), NNC_OK);
        memcpy(nnc_net_params(cut), nnc_net_params(net),
               nnc_net_param_count(cut) * sizeof(float));
        size_t n = (size_t)ref.rows * (size_t)nnc_net_outputs(cut);
        float *out = malloc(n * sizeof *out);
        assert_non_null(out);
        /* Training mode, as the files are made: batch norm uses the batch. */
        assert_int_equal(nnc_net_forward(cut, x, ref.rows, 1, out), NNC_OK);
        char what[32];
        snprintf(what, sizeof what, "layer_outputs[%d]", i);
        bad += compare_field(name, what, cJSON_GetArrayItem(FIELD("layer_outputs"), i), out, n);
        free(out);
        nnc_net_free(cut);
    }

    float *out = malloc(n_out * sizeof *out);
    assert_non_null(out);
    double loss = NAN;
    assert_int_equal(nnc_net_gradients(net, x, y, ref.rows, &loss, dx), NNC_OK);
    /* One training pass so far: the running statistics it left. */
    const cJSON *running = FIELD("batchnorm_running_after_one_training_pass");
    for (int l = 0, k = 0; running != NULL && l < nnc_net_layer_count(net); l++) {
        if (strcmp(nnc_net_layer_type(net, l), "batchnorm") != 0)
            continue;
        const cJSON *want = cJSON_GetArrayItem(running, k++);
        assert_non_null(want);
        size_t c = (size_t)nnc_net_layer_shape(net, l).channels;
        char what[2][48];
        snprintf(what[0], sizeof what[0], "running_mean of batchnorm %d", k);
        snprintf(what[1], sizeof what[1], "running_var of batchnorm %d", k);
        const float *state = nnc_net_state(net) + state_offset(net, l);
        bad += compare_field(name, what[0], cJSON_GetObjectItemCaseSensitive(want, "running_mean"),
                             state, c);
        bad += compare_field(name, what[1], cJSON_GetObjectItemCaseSensitive(want, "running_var"),
                             state + c, c);
    }
    assert_int_equal(nnc_net_forward(net, x, ref.rows, 1, out), NNC_OK);
    float loss_f = (float)loss;
    bad += compare_field(name, "output", FIELD("output"), out, n_out);
    bad += compare_field(name, "loss", FIELD("loss_value"), &loss_f, 1);
    for (int i = 0; i < ref.n_file; i++) {
        int l = ref.nnc_layer[i];
        if (l < 0 || nnc_net_weights(net, l) == NULL)
            continue;
        const cJSON *g = cJSON_GetArrayItem(FIELD("grads"), i);
        size_t nb = (size_t)nnc_net_layer_shape(net, l).channels;
        size_t nw = (size_t)(nnc_net_bias(net, l) - nnc_net_weights(net, l));
        char what[2][32];
        snprintf(what[0], sizeof what[0], "grads[%d].weight", i);
        snprintf(what[1], sizeof what[1], "grads[%d].bias", i);
        bad += compare_field(name, what[0], tensor_field(g, "weight"),
                             nnc_net_weight_grads(net, l), nw);
        /* A bias under a batch norm has gradient 0 in exact arithmetic (the
         * normalisation takes the mean away): both sides hold rounding then
         * (some 1e-17 in float64, 1e-9 in float32), measured against the
         * scale of the same layer's weight gradient. */
        double *wg = flatten(tensor_field(g, "weight"), nw, "weight");
        double *bg = flatten(tensor_field(g, "bias"), nb, "bias");
        int zero = largest(bg, nb) < 1e-10 * largest(wg, nw);
        bad += compare_at_scale(name, what[1], bg, nnc_net_bias_grads(net, l), nb,
                                zero ? largest(wg, nw) : 0.0);
        free(wg);
        free(bg);
    }
    bad += compare_field(name, "grad_x", FIELD("grad_x"), dx, n_in);
#undef FIELD
    free(out);
    free(x);
    free(y);
    free(dx);
    nnc_net_free(net);
    cJSON_Delete(ref.root);
    assert_int_equal(bad, 0);
}

/* conv 3x3 padding 1 tanh, maxpool 2, conv 3x3 stride 2 padding 1 relu,
 * flatten, dense softmax. */
static void test_cnn_conv_pool_dense(void **state)
{
    (void)state;
    check_cnn("cnn_conv_pool_dense");
}

/* conv 5x5 padding 2 sigmoid over 3 channels, overlapping maxpool 3 stride 2,
 * flatten, dense softmax. */
static void test_cnn_strided_pool3(void **state)
{
    (void)state;
    check_cnn("cnn_strided_pool3");
}

/* conv 3x3 without padding, batch norm in training mode with a ReLU, 2x2
 * average pooling, flatten, dense identity, mean squared error; and the
 * running statistics one training pass leaves. */
static void test_cnn_batchnorm_avgpool(void **state)
{
    (void)state;
    check_cnn("cnn_batchnorm_avgpool");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tutorial_step),
        cmocka_unit_test(test_regression_tanh_relu),
        cmocka_unit_test(test_classifier_softmax),
        cmocka_unit_test(test_binary_deep_sigmoid),
        cmocka_unit_test(test_wide_batch_squared),
        cmocka_unit_test(test_kernel_paths_against_double),
        cmocka_unit_test(test_cnn_conv_pool_dense),
        cmocka_unit_test(test_cnn_strided_pool3),
        cmocka_unit_test(test_cnn_batchnorm_avgpool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

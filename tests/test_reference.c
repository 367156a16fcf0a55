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
    cJSON *root;
    int n_layers;
    int sizes[8];           /* layer_sizes: inputs, then each layer's units */
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

static void copy_to_float(float *dst, const double *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)src[i];
}

static nnc_net *build_net(const reference *ref)
{
    nnc_net *net = nnc_net_new(ref->sizes[0]);
    assert_non_null(net);
    const cJSON *acts = cJSON_GetObjectItemCaseSensitive(ref->root, "activations");
    assert_int_equal(cJSON_GetArraySize(acts), ref->n_layers);
    for (int l = 0; l < ref->n_layers; l++) {
        nnc_activation act;
        const char *act_name = cJSON_GetStringValue(cJSON_GetArrayItem(acts, l));
        assert_non_null(act_name);
        assert_int_equal(nnc_activation_parse(act_name, &act), NNC_OK);
        assert_int_equal(nnc_net_add_dense(net, ref->sizes[l + 1], act), NNC_OK);
    }
    const char *loss_name =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref->root, "loss"));
    assert_int_equal(nnc_net_set_loss(net, loss_of(loss_name)), NNC_OK);
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
static int compare(const char *file, const char *quantity, const double *expected,
                   const float *got, size_t n)
{
    double scale = largest(expected, n);
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

/* ------------------------------------------------------------------ tests */

static void check_reference(const char *name)
{
    reference ref;
    load_reference(&ref, name);
    nnc_net *net = build_net(&ref);
    int outputs = ref.sizes[ref.n_layers], inputs = ref.sizes[0];
    size_t n_in = (size_t)ref.rows * (size_t)inputs, n_out = (size_t)ref.rows * (size_t)outputs;
    float *x = malloc(n_in * sizeof *x), *y = malloc(n_out * sizeof *y);
    float *out = malloc(n_out * sizeof *out), *dx = malloc(n_in * sizeof *dx);
    assert_true(x && y && out && dx);
    copy_to_float(x, ref.x, n_in);
    copy_to_float(y, ref.y, n_out);

    double loss = NAN;
    assert_int_equal(nnc_predict(net, x, ref.rows, out), NNC_OK);
    assert_int_equal(nnc_net_gradients(net, x, y, ref.rows, &loss, dx), NNC_OK);

    /* The loss is a double summed from float outputs; as a float it keeps 6e-8
     * relative, far inside the tolerance, and shares the comparison. */
    float loss_f = (float)loss;
    int bad = compare(name, "output", ref.output, out, n_out);
    bad += compare(name, "loss", &ref.loss_value, &loss_f, 1);
    for (int l = 0; l < ref.n_layers; l++) {
        char what[2][32];
        snprintf(what[0], sizeof what[0], "grad_weights[%d]", l);
        snprintf(what[1], sizeof what[1], "grad_biases[%d]", l);
        bad += compare(name, what[0], ref.grad_weights[l], nnc_net_weight_grads(net, l),
                       layer_weights(&ref, l));
        bad += compare(name, what[1], ref.grad_biases[l], nnc_net_bias_grads(net, l),
                       (size_t)ref.sizes[l + 1]);
    }
    bad += compare(name, "grad_x", ref.grad_x, dx, n_in);

    free(x);
    free(y);
    free(out);
    free(dx);
    nnc_net_free(net);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tutorial_step),
        cmocka_unit_test(test_regression_tanh_relu),
        cmocka_unit_test(test_classifier_softmax),
        cmocka_unit_test(test_binary_deep_sigmoid),
        cmocka_unit_test(test_wide_batch_squared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* FANN, the same work as nnc_bench: Fashion-MNIST through a 784-128-10 network.
 *
 *   fann_bench --case train [--batch 1] [--threads 1] [--samples N]
 *   fann_bench --case infer [--threads 1] [--samples N]
 *
 * Prints one JSON line per measurement on stdout (the protocol of bench/run.py):
 *   train  samples_per_s  fann_train on each of the first N training images
 *                         (default 60000): incremental training, batch 1;
 *                         only the loop is timed, not the loading
 *   infer  us_per_pred    fann_run on N test images one at a time (default 10000)
 *
 * FANN 2.2 (Debian's libfann-dev) has neither ReLU nor softmax with
 * cross-entropy, so the closest it offers stands in: hidden FANN_LINEAR_PIECE
 * at steepness 1 (y = x clipped to [0, 1], as cheap as ReLU), output
 * FANN_SIGMOID on one-hot targets, error function FANN_ERRORFUNC_LINEAR,
 * training algorithm FANN_TRAIN_INCREMENTAL, learning rate 0.01, momentum 0.
 * FANN is single-threaded and has no mini-batch: other --threads or --batch
 * values are refused. Inputs are pixel / 255 as float (floatfann). */
#define _POSIX_C_SOURCE 200809L

#include <floatfann.h>
#include <zlib.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DATA_DIR "/usr/share/datasets/fashion-mnist"
#define N_IN 784
#define N_HIDDEN 128
#define N_OUT 10
#define LEARNING_RATE 0.01f
#define SEED 1u

/* ------------------------------------------------------------------ IDX */

/* The first `limit` items (0: all) of a gzip'd IDX file of unsigned bytes with
 * `ndim` dimensions. Returns the bytes (malloc'd) and sets *count and *item_size,
 * or prints why and returns NULL. */
static unsigned char *read_idx(const char *path, int ndim, size_t limit,
                               size_t *count, size_t *item_size) {
    unsigned char *data = NULL;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fann_bench: %s: %s\n", path, errno ? strerror(errno) : "cannot open");
        return NULL;
    }
    unsigned char head[4 + 4 * 3];
    size_t head_len = 4 + 4 * (size_t)ndim;
    if (gzread(f, head, (unsigned)head_len) != (int)head_len) {
        fprintf(stderr, "fann_bench: %s: short IDX header\n", path);
        goto done;
    }
    if (head[0] != 0 || head[1] != 0 || head[2] != 0x08 || head[3] != ndim) {
        fprintf(stderr, "fann_bench: %s: not an IDX file of %d-d unsigned bytes\n", path, ndim);
        goto done;
    }
    size_t dims[3] = {1, 1, 1};
    for (int i = 0; i < ndim; i++) {
        const unsigned char *d = head + 4 + 4 * i;
        dims[i] = (size_t)d[0] << 24 | (size_t)d[1] << 16 | (size_t)d[2] << 8 | d[3];
    }
    *count = (limit && limit < dims[0]) ? limit : dims[0];
    *item_size = dims[1] * dims[2];
    size_t bytes = *count * *item_size;
    data = malloc(bytes ? bytes : 1);
    if (!data) {
        fprintf(stderr, "fann_bench: out of memory reading %s\n", path);
        goto done;
    }
    for (size_t got = 0; got < bytes;) {
        unsigned chunk = bytes - got > (1u << 30) ? (1u << 30) : (unsigned)(bytes - got);
        int n = gzread(f, data + got, chunk);
        if (n <= 0) {
            fprintf(stderr, "fann_bench: %s: truncated after %zu of %zu bytes\n", path, got, bytes);
            free(data);
            data = NULL;
            goto done;
        }
        got += (size_t)n;
    }
done:
    gzclose(f);
    return data;
}

/* Images as rows of N_IN floats in [0, 1] and, when labels is non-NULL, the
 * labels as one-hot rows of N_OUT floats. */
static int load(const char *split, size_t limit, float **images, float **onehot,
                size_t *n) {
    char path[256];
    size_t count, size, lcount, lsize;
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", DATA_DIR, split);
    unsigned char *px = read_idx(path, 3, limit, &count, &size);
    if (!px) return -1;
    if (size != N_IN) {
        fprintf(stderr, "fann_bench: %s: images of %zu pixels, expected %d\n", path, size, N_IN);
        free(px);
        return -1;
    }
    *images = malloc(count * N_IN * sizeof **images);
    if (!*images) {
        free(px);
        return -1;
    }
    for (size_t i = 0; i < count * N_IN; i++) (*images)[i] = px[i] / 255.0f;
    free(px);
    *n = count;
    if (!onehot) return 0;

    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", DATA_DIR, split);
    unsigned char *lab = read_idx(path, 1, limit, &lcount, &lsize);
    if (!lab || lcount != count) {
        if (lab) fprintf(stderr, "fann_bench: %s: %zu labels for %zu images\n", path, lcount, count);
        free(lab);
        free(*images);
        return -1;
    }
    *onehot = calloc(count * N_OUT, sizeof **onehot);
    if (!*onehot) {
        free(lab);
        free(*images);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if (lab[i] >= N_OUT) {
            fprintf(stderr, "fann_bench: %s: label %u out of range\n", path, lab[i]);
            free(lab);
            free(*images);
            free(*onehot);
            return -1;
        }
        (*onehot)[i * N_OUT + lab[i]] = 1.0f;
    }
    free(lab);
    return 0;
}

/* ------------------------------------------------------------------ the network */

static struct fann *make_net(void) {
    struct fann *ann = fann_create_standard(3, N_IN, N_HIDDEN, N_OUT);
    if (!ann) return NULL;
    fann_set_activation_function_hidden(ann, FANN_LINEAR_PIECE);
    fann_set_activation_steepness_hidden(ann, 1.0f);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    fann_set_training_algorithm(ann, FANN_TRAIN_INCREMENTAL);
    fann_set_learning_rate(ann, LEARNING_RATE);
    fann_set_learning_momentum(ann, 0.0f);
    srand(SEED); /* fann_randomize_weights draws from rand() */
    fann_randomize_weights(ann, -0.05f, 0.05f);
    return ann;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const char *NOTE =
    "FANN 2.2 (floatfann): hidden FANN_LINEAR_PIECE steepness 1 (no ReLU in 2.2), "
    "output FANN_SIGMOID on one-hot targets (no softmax/CE), FANN_ERRORFUNC_LINEAR, "
    "FANN_TRAIN_INCREMENTAL (fann_train per sample), lr 0.01, momentum 0, single-threaded";

static int case_train(size_t samples, int batch, int threads) {
    float *x, *y;
    size_t n;
    if (load("train", samples, &x, &y, &n) != 0) return 1;
    struct fann *ann = make_net();
    if (!ann) {
        fprintf(stderr, "fann_bench: cannot create the network\n");
        free(x);
        free(y);
        return 1;
    }
    fann_reset_MSE(ann);
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) fann_train(ann, x + i * N_IN, y + i * N_OUT);
    double elapsed = now_s() - t0;
    printf("{\"impl\": \"fann\", \"case\": \"train\", \"batch\": %d, \"threads\": %d, "
           "\"metric\": \"samples_per_s\", \"value\": %.6g, \"unit\": \"samples/s\", "
           "\"samples\": %zu, \"seconds\": %.6g, \"mse\": %.6g, \"note\": \"%s\"}\n",
           batch, threads, n / elapsed, n, elapsed, fann_get_MSE(ann), NOTE);
    fann_destroy(ann);
    free(x);
    free(y);
    return 0;
}

static int case_infer(size_t samples, int threads) {
    float *x;
    size_t n;
    if (load("t10k", 0, &x, NULL, &n) != 0) return 1;
    struct fann *ann = make_net();
    if (!ann || n == 0) {
        fprintf(stderr, "fann_bench: cannot create the network\n");
        free(x);
        return 1;
    }
    float checksum = 0;
    for (size_t i = 0; i < 100 && i < samples; i++) checksum += fann_run(ann, x + (i % n) * N_IN)[0];
    double t0 = now_s();
    for (size_t i = 0; i < samples; i++) checksum += fann_run(ann, x + (i % n) * N_IN)[0];
    double elapsed = now_s() - t0;
    printf("{\"impl\": \"fann\", \"case\": \"infer\", \"batch\": 1, \"threads\": %d, "
           "\"metric\": \"us_per_pred\", \"value\": %.6g, \"unit\": \"us\", "
           "\"samples\": %zu, \"checksum\": %.6g, \"note\": \"%s\"}\n",
           threads, elapsed / samples * 1e6, samples, checksum, NOTE);
    fann_destroy(ann);
    free(x);
    return 0;
}

/* ------------------------------------------------------------------ main */

static int usage(const char *why) {
    if (why) fprintf(stderr, "fann_bench: %s\n", why);
    fprintf(stderr, "usage: fann_bench --case train|infer [--threads 1] [--batch 1] [--samples N]\n");
    return 2;
}

static int parse_count(const char *s, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1) return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv) {
    const char *c = NULL;
    long threads = 1, batch = 1, samples = 0;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (i + 1 >= argc) return usage("every option takes a value");
        const char *val = argv[++i];
        if (strcmp(opt, "--case") == 0) c = val;
        else if (strcmp(opt, "--threads") == 0) {
            if (parse_count(val, &threads)) return usage("--threads wants a positive integer");
        } else if (strcmp(opt, "--batch") == 0) {
            if (parse_count(val, &batch)) return usage("--batch wants a positive integer");
        } else if (strcmp(opt, "--samples") == 0) {
            if (parse_count(val, &samples)) return usage("--samples wants a positive integer");
        } else return usage("unknown option");
    }
    if (!c) return usage("--case is required");
    if (threads != 1) return usage("FANN is single-threaded: --threads 1 only");
    if (batch != 1) return usage("FANN trains incrementally: --batch 1 only");
    if (strcmp(c, "train") == 0) return case_train(samples ? (size_t)samples : 60000, 1, 1);
    if (strcmp(c, "infer") == 0) return case_infer(samples ? (size_t)samples : 10000, 1);
    return usage("--case must be train or infer");
}

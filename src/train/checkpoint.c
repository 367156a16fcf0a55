/*
 * checkpoint.c - the whole state of a training run, saved and restored.
 *
 * A training that takes hours must survive a crash or a kill: after an epoch,
 * nnc_fit can write everything that decides what happens next - the
 * parameters, the optimizer's moments and step count, the random generator,
 * the epoch and the best-so-far - and a later run resumes from it to the same
 * final bits. The file is written atomically, so a kill during the write
 * leaves the previous checkpoint.
 *
 * A checkpoint is trusted no more than any other file: besides its checksum,
 * it records the run it belongs to - the network, the optimizer and its
 * settings, the fit options that decide the result, a checksum of the
 * training and validation rows (so another split, seed or file order shows),
 * and the caller's own description (the CLI's data file size and checksum,
 * seed, split fractions) - as "key value" lines, and a resume refuses any
 * line that differs, naming it. It also records the network's architecture
 * exactly, in the model file's own section (nn/architecture.c), and a
 * resume refuses any other, even one with as many parameters and the same
 * widths. Every counter is checked against the others and against the run,
 * and every number must be finite.
 *
 * Layout (little-endian): "NNCCKPT1", u32 version (3), u32 identity length L,
 * L bytes of identity text, the architecture section (docs/model-format.md),
 * u64 parameter count P, u64 state count S,
 * u32 optimizer rule, u64 optimizer steps, u32 has_m, u32 has_v,
 * 4 x u64 generator state, u64 spare normal (bits), u32 has_spare,
 * u32 epoch, u32 best epoch, u32 epochs since best, u64 best loss (bits),
 * f32 x P parameters, best parameters, m, v (the moments when present),
 * f32 x S state, best epoch's state, u32 CRC-32 of everything before it.
 */
#include "train/train.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const unsigned char MAGIC[8] = { 'N', 'N', 'C', 'C', 'K', 'P', 'T', '1' };
#define VERSION 3   /* 3 added the architecture section and the state */
#define MAX_IDENTITY 65536u
/* Everything before the identity text, and everything between the
 * architecture and the parameters. */
#define PREFIX_BYTES (8 + 4 + 4)
#define STATE_BYTES (8 + 8 + 4 + 8 + 4 + 4 + 32 + 8 + 4 + 4 + 4 + 4 + 8)

static uint64_t double_bits(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

static double bits_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* What a checkpoint's length follows from. */
typedef struct layout {
    size_t params, state;     /* floats in the network's blocks */
    size_t id_len, arch_len;  /* bytes of the identity and the architecture */
    int has_m, has_v;         /* which optimizer moments it holds */
} layout;

static size_t size_for(const layout *z)
{
    return PREFIX_BYTES + z->id_len + z->arch_len + STATE_BYTES +
           4 * z->params * (size_t)(2 + z->has_m + z->has_v) + 4 * 2 * z->state + 4;
}

/* The network's architecture section, as a checkpoint (and a model file)
 * holds it, in a new buffer (w->data; the caller frees it). */
static nnc_status encode_architecture(const nnc_net *net, nnc_byte_writer *w)
{
    nnc_status st = nnc_architecture_put(w, net);
    if (st == NNC_OK && w->failed)
        st = NNC_ENOMEM;
    return st;
}

/* ------------------------------------------------------------ identity */

/* Appends printf-style text to a growing string; *s stays NULL once an
 * allocation failed. */
static void append(char **s, size_t *len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void append(char **s, size_t *len, const char *fmt, ...)
{
    if (*s == NULL)
        return;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    char *grown = n < 0 ? NULL : realloc(*s, *len + (size_t)n + 1);
    if (grown == NULL) {
        free(*s);
        *s = NULL;
        return;
    }
    va_start(args, fmt);
    vsnprintf(grown + *len, (size_t)n + 1, fmt, args);
    va_end(args);
    *s = grown;
    *len += (size_t)n;
}

static uLong crc_of(uLong crc, const void *data, size_t bytes)
{
    const unsigned char *p = data;
    while (bytes > 0) {   /* zlib takes at most a uInt at a time */
        uInt chunk = bytes > (1u << 30) ? 1u << 30 : (uInt)bytes;
        crc = crc32(crc, p, chunk);
        p += chunk;
        bytes -= chunk;
    }
    return crc;
}

/* A double as the shortest of %.15g and %.17g that reads back as itself:
 * "0.5", not "0.50000000000000000", yet exact. */
typedef struct number_text {
    char text[32];
} number_text;

static number_text exact(double v)
{
    number_text t;
    snprintf(t.text, sizeof t.text, "%.15g", v);
    if (strtod(t.text, NULL) != v)
        snprintf(t.text, sizeof t.text, "%.17g", v);
    return t;
}

/* One line for a data set: its shape and a checksum of its rows, in order. */
static void describe_data(char **s, size_t *len, const char *key, const nnc_dataset *d)
{
    if (d == NULL) {
        append(s, len, "%s none\n", key);
        return;
    }
    size_t cells = (size_t)d->rows * (size_t)d->n_inputs;
    uLong crc = crc32(0L, Z_NULL, 0);
    if (d->sparse_start != NULL) {   /* a bag of words: its non-zeros and where they are */
        size_t nz = d->sparse_start[d->rows];
        crc = crc_of(crc, d->sparse_start, ((size_t)d->rows + 1) * sizeof *d->sparse_start);
        crc = crc_of(crc, d->sparse_index, nz * sizeof *d->sparse_index);
        crc = crc_of(crc, d->sparse_value, nz * sizeof *d->sparse_value);
    } else {
        crc = d->bytes ? crc_of(crc, d->bytes, cells)
                       : crc_of(crc, d->x, cells * sizeof(float));
    }
    if (d->classes != NULL)
        crc = crc_of(crc, d->classes, (size_t)d->rows * sizeof *d->classes);
    else
        crc = crc_of(crc, d->y, (size_t)d->rows * (size_t)d->n_targets * sizeof(float));
    append(s, len, "%s rows=%d inputs=%d targets=%d crc32=%08lx\n", key, d->rows, d->n_inputs,
           d->n_targets, (unsigned long)crc);
}

char *nnc_checkpoint_identity(const nnc_net *net, const nnc_optimizer *opt, double base_rate,
                              const nnc_dataset *data, const nnc_fit_options *o)
{
    size_t len = 0;
    char *s = nnc_strdup("");
    /* The caller's lines first: a changed file or seed is the cause that
     * the checksum of the training rows below only shows. */
    if (o->run_identity != NULL && o->run_identity[0] != '\0')
        append(&s, &len, "%s%s", o->run_identity,
               o->run_identity[strlen(o->run_identity) - 1] == '\n' ? "" : "\n");
    /* The stack in the layer grammar, so that a refusal names the layers
     * the way --layers and nnc info do, whatever their types. */
    char shape[64], layers[4096];
    nnc_shape_format(nnc_net_input_shape(net), shape, sizeof shape);
    if (nnc_net_describe(net, layers, sizeof layers) >= (int)sizeof layers)
        snprintf(layers, sizeof layers, "(%d layers)", nnc_net_layer_count(net));
    append(&s, &len, "network %s -> %s loss=%s\n", shape, layers,
           nnc_loss_name(nnc_net_loss(net)));
    char rule[256];
    nnc_optimizer_describe(opt, base_rate, rule, sizeof rule);
    append(&s, &len, "optimizer %s\n", rule);
    append(&s, &len, "batch_size %d\nshuffle %s\n", o->batch_size, o->shuffle ? "yes" : "no");
    if (o->schedule == NNC_SCHEDULE_STEP)
        append(&s, &len, "schedule step step_epochs=%d gamma=%s\n", o->step_epochs,
               exact(o->gamma).text);
    else if (o->schedule == NNC_SCHEDULE_COSINE)   /* its curve spans all epochs */
        append(&s, &len, "schedule cosine min_learning_rate=%s epochs=%d\n",
               exact(o->min_learning_rate).text, o->epochs);
    else
        append(&s, &len, "schedule constant\n");
    append(&s, &len, "patience %d\ntarget_scale %s\n", o->validation ? o->patience : 0,
           exact(o->target_scale > 0 ? o->target_scale : 1.0).text);
    describe_data(&s, &len, "training_data", data);
    describe_data(&s, &len, "validation_data", o->validation);
    if (s == NULL)
        nnc_fail(NNC_ENOMEM, "checkpoint: out of memory");
    else if (len > MAX_IDENTITY) {
        free(s);
        s = NULL;
        nnc_fail(NNC_EINVAL, "checkpoint: the run's description has %zu bytes, more than the "
                             "%u a checkpoint holds", len, MAX_IDENTITY);
    }
    return s;
}

/* The line of text (without its newline) that starts with key and a space,
 * or NULL. */
static const char *find_line(const char *text, const char *key, size_t key_len, size_t *len)
{
    for (const char *p = text; *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > key_len && strncmp(p, key, key_len) == 0 && p[key_len] == ' ') {
            *len = n;
            return p;
        }
        p += n + (end != NULL);
    }
    return NULL;
}

/* Refuses a checkpoint whose run differs from this one, naming the first
 * line that does: the checkpoint's lines in order, then any this run adds. */
static nnc_status compare_identity(const char *path, const char *saved, const char *now)
{
    for (int pass = 0; pass < 2; pass++) {
        const char *from = pass == 0 ? saved : now, *other = pass == 0 ? now : saved;
        for (const char *p = from; *p != '\0';) {
            const char *end = strchr(p, '\n');
            size_t n = end ? (size_t)(end - p) : strlen(p), m = 0;
            const char *space = memchr(p, ' ', n);
            size_t key_len = space ? (size_t)(space - p) : n;
            const char *q = find_line(other, p, key_len, &m);
            if (q == NULL || m != n || memcmp(p, q, n) != 0) {
                /* Each side as its whole line, or "no <key>". */
                const char *then = pass == 0 ? p : q, *here = pass == 0 ? q : p;
                size_t then_n = pass == 0 ? n : m, here_n = pass == 0 ? m : n;
                return nnc_fail(NNC_EINVAL,
                                "%s: the checkpoint belongs to another run: it was made with "
                                "%s%.*s, this run has %s%.*s; resume with the same data and "
                                "options, or start afresh without resuming",
                                path, then ? "" : "no ", then ? (int)then_n : (int)key_len,
                                then ? then : p, here ? "" : "no ",
                                here ? (int)here_n : (int)key_len, here ? here : p);
            }
            p += n + (end != NULL);
        }
    }
    return NNC_OK;
}

nnc_status nnc_checkpoint_save(const char *path, const char *identity, nnc_net *net,
                               const nnc_optimizer *opt, const nnc_rng *rng,
                               const nnc_fit_progress *progress)
{
    if (path == NULL || identity == NULL || net == NULL || opt == NULL || rng == NULL ||
        progress == NULL)
        return nnc_fail(NNC_EINVAL, "checkpoint: NULL argument");
    size_t n = nnc_net_param_count(net), id_len = strlen(identity);
    if (id_len > MAX_IDENTITY)
        return nnc_fail(NNC_EINVAL, "checkpoint: the run's description is too long");
    nnc_optimizer_state o;
    nnc_optimizer_get_state(opt, &o);
    nnc_byte_writer arch = {0};
    nnc_status st = encode_architecture(net, &arch);
    layout z = { n, nnc_net_state_count(net), id_len, arch.size, o.m != NULL && o.n == n,
                 o.v != NULL && o.n == n };
    int has_m = z.has_m, has_v = z.has_v;
    nnc_byte_writer w = {0};
    if (st == NNC_OK)
        st = nnc_writer_reserve(&w, size_for(&z));
    if (st != NNC_OK) {
        free(arch.data);
        return st;
    }
    nnc_put_bytes(&w, MAGIC, sizeof MAGIC);
    nnc_put_u32(&w, VERSION);
    nnc_put_u32(&w, (uint32_t)id_len);
    nnc_put_bytes(&w, identity, id_len);
    nnc_put_bytes(&w, arch.data, arch.size);
    free(arch.data);
    nnc_put_u64(&w, n);
    nnc_put_u64(&w, z.state);
    nnc_put_u32(&w, (uint32_t)o.kind);
    nnc_put_u64(&w, (uint64_t)o.steps);
    nnc_put_u32(&w, (uint32_t)has_m);
    nnc_put_u32(&w, (uint32_t)has_v);
    for (int i = 0; i < 4; i++)
        nnc_put_u64(&w, rng->s[i]);
    nnc_put_u64(&w, double_bits(rng->spare_normal));
    nnc_put_u32(&w, (uint32_t)rng->has_spare);
    nnc_put_u32(&w, (uint32_t)progress->epoch);
    nnc_put_u32(&w, (uint32_t)progress->best_epoch);
    nnc_put_u32(&w, (uint32_t)progress->since_best);
    nnc_put_u64(&w, double_bits(progress->best_loss));
    nnc_put_f32s(&w, nnc_net_params(net), n);
    nnc_put_f32s(&w, progress->best, n);
    if (has_m)
        nnc_put_f32s(&w, o.m, n);
    if (has_v)
        nnc_put_f32s(&w, o.v, n);
    nnc_put_f32s(&w, nnc_net_state(net), z.state);
    nnc_put_f32s(&w, progress->best_state, z.state);
    nnc_put_u32(&w, (uint32_t)crc_of(crc32(0L, Z_NULL, 0), w.data, w.size));
    st = w.failed ? NNC_ENOMEM : nnc_write_whole_file(path, w.data, w.size);
    free(w.data);
    return st;
}

/* A field of a checkpoint whose size has been checked; after a failure
 * (which the size check makes impossible, but the cursor still refuses)
 * *st keeps the first refusal and the fields read as 0. */
static uint64_t field(nnc_byte_reader *r, int bytes, const char *what, nnc_status *st)
{
    uint32_t v32 = 0;
    uint64_t v = 0;
    if (*st != NNC_OK)
        return 0;
    if (bytes == 4) {
        *st = nnc_get_u32(r, what, &v32);
        v = v32;
    } else {
        *st = nnc_get_u64(r, what, &v);
    }
    return v;
}

/* Refuses a checkpoint of another network, naming both: the identity's
 * network line shows widths and activations only, the section every layer
 * type's configuration, so two stacks of the same size and widths differ
 * here still. */
static nnc_status another_network(const char *path, const nnc_net *then, const nnc_net *now)
{
    int n1 = nnc_architecture_describe(then, NULL, 0), n2 = nnc_architecture_describe(now, NULL, 0);
    char *a = nnc_alloc((size_t)n1 + 1, 1, 0), *b = nnc_alloc((size_t)n2 + 1, 1, 0);
    nnc_status st = NNC_ENOMEM;
    if (a != NULL && b != NULL) {
        nnc_architecture_describe(then, a, (size_t)n1 + 1);
        nnc_architecture_describe(now, b, (size_t)n2 + 1);
        st = nnc_fail(NNC_EINVAL, "%s: the checkpoint is of another network: it was made with "
                                  "%s, this run has %s; resume with the same network, or start "
                                  "afresh without resuming",
                      path, a, b);
    }
    free(a);
    free(b);
    return st;
}

/* The architecture section at the cursor must be the network's, byte for
 * byte (mine is the network's own encoding); z->arch_len gets its length. */
static nnc_status check_architecture(nnc_byte_reader *r, const nnc_net *net,
                                     const nnc_byte_writer *mine, layout *z)
{
    size_t from = r->pos;
    nnc_net *saved = NULL;
    nnc_status st = nnc_architecture_get(r, &saved);
    if (st != NNC_OK)
        return st;
    z->arch_len = r->pos - from;
    if (z->arch_len != mine->size || memcmp(r->data + from, mine->data, mine->size) != 0)
        st = another_network(r->path, saved, net);
    nnc_net_free(saved);
    return st;
}

/* Checks the envelope: magic, checksum, version, the run it belongs to, its
 * architecture and the parameter and state counts; on success r covers what
 * follows the counts, up to the checksum, and z has the sizes read. */
static nnc_status check_file(nnc_byte_reader *r, const char *identity, const nnc_net *net,
                             const nnc_byte_writer *mine, layout *z)
{
    const char *path = r->path;
    size_t size = r->end;
    if (size < PREFIX_BYTES + STATE_BYTES + 4 || memcmp(r->data, MAGIC, sizeof MAGIC) != 0)
        return nnc_fail(NNC_EFORMAT, "%s: not an nnc checkpoint", path);
    uint32_t stored = (uint32_t)nnc_le_get(r->data + size - 4, 4);
    if (crc_of(crc32(0L, Z_NULL, 0), r->data, size - 4) != stored)
        return nnc_fail(NNC_EFORMAT, "%s: checksum mismatch: the checkpoint is damaged", path);
    r->end = size - 4;
    r->pos = sizeof MAGIC;
    nnc_status st = NNC_OK;
    uint64_t version = field(r, 4, "the version", &st);
    if (st == NNC_OK && version != VERSION)
        return nnc_fail(NNC_EFORMAT, "%s: checkpoint version %llu; this nnc reads version %d "
                                     "(start afresh without resuming)",
                        path, (unsigned long long)version, VERSION);
    uint64_t id_len = field(r, 4, "the run description's length", &st);
    if (st == NNC_OK &&
        (id_len > MAX_IDENTITY || id_len > size - PREFIX_BYTES - STATE_BYTES - 4))
        return nnc_fail(NNC_EFORMAT, "%s: the checkpoint's run description has an impossible "
                                     "length (%llu bytes)",
                        path, (unsigned long long)id_len);
    const unsigned char *text = st == NNC_OK ? nnc_reader_take(r, (size_t)id_len) : NULL;
    if (st != NNC_OK)
        return st;
    z->id_len = (size_t)id_len;
    char *saved = nnc_alloc(id_len + 1, 1, 0);
    if (saved == NULL)
        return NNC_ENOMEM;
    memcpy(saved, text, id_len);   /* fits: id_len is below the size, checked above */
    saved[id_len] = '\0';
    st = strlen(saved) != id_len
             ? nnc_fail(NNC_EFORMAT, "%s: the checkpoint's run description holds a NUL byte",
                        path)
             : compare_identity(path, saved, identity);
    free(saved);
    if (st == NNC_OK)
        st = check_architecture(r, net, mine, z);
    uint64_t count = field(r, 8, "the parameter count", &st);
    if (st == NNC_OK && count != z->params)
        return nnc_fail(NNC_EFORMAT, "%s: the checkpoint holds %llu parameters, this network "
                                     "has %zu", path, (unsigned long long)count, z->params);
    count = field(r, 8, "the state count", &st);
    if (st == NNC_OK && count != z->state)
        return nnc_fail(NNC_EFORMAT, "%s: the checkpoint holds %llu state values, this network "
                                     "has %zu", path, (unsigned long long)count, z->state);
    return st;
}

static int all_finite(const float *v, size_t n, int non_negative)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]) || (non_negative && v[i] < 0.0f))
            return 0;
    return 1;
}

/* Every counter of a checkpoint against the others and against the run. A
 * crafted file with a valid checksum gets no further than a damaged one. */
static nnc_status check_state(const char *path, const nnc_checkpoint_run *run,
                              const nnc_optimizer_state *o, int has_m, int has_v,
                              const nnc_rng *rng, const nnc_fit_progress *at,
                              unsigned long long raw_epoch)
{
    const char *bad = NULL;
    char what[160];
    if (at->epoch < 1 || at->epoch > run->epochs) {
        snprintf(what, sizeof what, "it is at epoch %llu, this run has %d epochs", raw_epoch,
                 run->epochs);
        bad = what;
    } else if (at->best_epoch < 1 || at->best_epoch > at->epoch)
        bad = "its best epoch is not one of the epochs it has run";
    else if (at->since_best != at->epoch - at->best_epoch)
        bad = "its count of epochs since the best does not match its epochs";
    else if (run->validation ? !(isfinite(at->best_loss) && at->best_loss >= 0.0)
                             : at->best_loss != -(double)at->best_epoch)
        bad = "its best loss is not a loss";
    else if (o->kind == 2 ? o->steps != (long)at->epoch * run->batches : o->steps != 0)
        bad = "its optimizer's step count does not match its epochs";
    else if (has_m != (o->kind != 0) || has_v != (o->kind == 2))
        bad = "its optimizer state does not match its optimizer";
    else if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0 ||
             (rng->has_spare != 0 && rng->has_spare != 1) || !isfinite(rng->spare_normal))
        bad = "its random generator's state is impossible";
    if (bad != NULL)
        return nnc_fail(NNC_EFORMAT, "%s: the checkpoint cannot be right: %s", path, bad);
    return NNC_OK;
}

nnc_status nnc_checkpoint_load(const char *path, const nnc_checkpoint_run *run, nnc_net *net,
                               nnc_optimizer *opt, nnc_rng *rng, nnc_fit_progress *progress)
{
    if (path == NULL || run == NULL || run->identity == NULL || net == NULL || opt == NULL ||
        rng == NULL || progress == NULL)
        return nnc_fail(NNC_EINVAL, "checkpoint: NULL argument");
    size_t n = nnc_net_param_count(net), n_state = nnc_net_state_count(net), size = 0;
    nnc_byte_writer mine = {0};
    nnc_status st = encode_architecture(net, &mine);
    layout z = { n, n_state, MAX_IDENTITY, mine.size, 1, 1 };
    unsigned char *data = NULL;
    if (st == NNC_OK)
        st = nnc_read_whole_file(path, size_for(&z), "a checkpoint of this network", &data,
                                 &size);
    if (st != NNC_OK) {
        free(mine.data);
        return st;
    }
    nnc_byte_reader r = { path, data, 0, size };
    st = check_file(&r, run->identity, net, &mine, &z);
    free(mine.data);
    nnc_optimizer_state o = { 0, 0, n, NULL, NULL };
    int has_m = 0, has_v = 0;
    if (st == NNC_OK) {
        o.kind = (int)field(&r, 4, "the optimizer rule", &st);
        o.steps = (long)field(&r, 8, "the optimizer's step count", &st);
        uint64_t m = field(&r, 4, "the first moment flag", &st);
        uint64_t v = field(&r, 4, "the second moment flag", &st);
        z.has_m = has_m = m == 1;
        z.has_v = has_v = v == 1;
        if (st == NNC_OK && (m > 1 || v > 1 || size != size_for(&z)))
            st = nnc_fail(NNC_EFORMAT, "%s: the checkpoint's size does not match its contents",
                          path);
    }
    /* Read into scratch first: nothing of the caller's changes until every
     * check has passed. */
    float *scratch = NULL;
    if (st == NNC_OK && (scratch = nnc_alloc(4 * n + 2 * n_state + 1, sizeof *scratch, 1)) == NULL)
        st = NNC_ENOMEM;
    float *params = scratch, *best = scratch + n, *moments = scratch + 2 * n;
    float *state = scratch + 4 * n, *best_state = state + n_state;
    if (st == NNC_OK) {
        nnc_rng saved;
        for (int i = 0; i < 4; i++)
            saved.s[i] = field(&r, 8, "the random generator", &st);
        saved.spare_normal = bits_double(field(&r, 8, "the random generator", &st));
        saved.has_spare = (int)field(&r, 4, "the random generator", &st);
        uint64_t epoch = field(&r, 4, "the epoch", &st);
        uint64_t best_epoch = field(&r, 4, "the best epoch", &st);
        uint64_t since_best = field(&r, 4, "the epochs since the best", &st);
        /* Counters past INT_MAX are out of range whatever they say. */
        nnc_fit_progress at = { epoch > INT32_MAX ? -1 : (int)epoch,
                                best_epoch > INT32_MAX ? -1 : (int)best_epoch,
                                since_best > INT32_MAX ? -1 : (int)since_best,
                                bits_double(field(&r, 8, "the best loss", &st)), best,
                                best_state };
        if (st == NNC_OK)
            st = nnc_get_f32s(&r, "the parameters", params, n);
        if (st == NNC_OK)
            st = nnc_get_f32s(&r, "the best parameters", best, n);
        if (st == NNC_OK && has_m)
            st = nnc_get_f32s(&r, "the first moments", o.m = moments, n);
        if (st == NNC_OK && has_v)
            st = nnc_get_f32s(&r, "the second moments", o.v = moments + n, n);
        if (st == NNC_OK)
            st = nnc_get_f32s(&r, "the state", state, n_state);
        if (st == NNC_OK)
            st = nnc_get_f32s(&r, "the best epoch's state", best_state, n_state);
        if (st == NNC_OK)
            st = check_state(path, run, &o, has_m, has_v, &saved, &at,
                             (unsigned long long)epoch);
        if (st == NNC_OK && !(all_finite(params, n, 0) && all_finite(at.best, n, 0) &&
                              (!has_m || all_finite(o.m, n, 0)) &&
                              (!has_v || all_finite(o.v, n, 1))))
            st = nnc_fail(NNC_EFORMAT, "%s: the checkpoint holds parameters or optimizer "
                                       "moments that are not finite", path);
        if (st == NNC_OK && !(all_finite(state, n_state, 0) && all_finite(best_state, n_state, 0)))
            st = nnc_fail(NNC_EFORMAT, "%s: the checkpoint holds state values that are not "
                                       "finite", path);
        if (st == NNC_OK)
            st = nnc_optimizer_restore(opt, &o);
        if (st == NNC_OK) {
            memcpy(nnc_net_params(net), params, n * sizeof *params);
            memcpy(progress->best, best, n * sizeof *best);
            memcpy(nnc_net_state(net), state, n_state * sizeof *state);
            memcpy(progress->best_state, best_state, n_state * sizeof *best_state);
            at.best = progress->best;
            at.best_state = progress->best_state;
            *rng = saved;
            *progress = at;
        }
    }
    free(scratch);
    free(data);
    return st;
}

/*
 * model_file.c - nnc's model files: written exactly, read warily.
 *
 * The layout is described byte by byte in docs/model-format.md. Every number
 * is written one byte at a time, little-endian, and every float as its bit
 * pattern, so a file means the same on any host and a loaded model predicts
 * bit for bit what the saved one did.
 *
 * A model file is input from outside, possibly damaged or hostile. The loader
 * checks its size, magic, version and CRC-32 before looking inside, then reads
 * every field through a bounds-checked cursor and range-checks each count
 * before anything is sized by it, so no file can make it crash or allocate
 * much more than the file's own size.
 *
 * Version 2 records any stack through the architecture section it shares
 * with the checkpoint (nn/architecture.c), then the parameter and state
 * blocks. Version 1, dense layers only, is still read, to the same network.
 */
#define _POSIX_C_SOURCE 200809L
#include "data/data.h"
#include "model/model.h"
#include "nn/nn.h"
#include "text/text.h"
#include "train/train.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static const unsigned char MAGIC[8] = {'N', 'N', 'C', 'M', 'O', 'D', 'E', 'L'};
/* What is written: version 4 for a model that reads text columns, 3 for
 * one with a table's preprocessing, 2 for one without, which any nnc since
 * 2 reads; 1 is still read. */
#define FORMAT_VERSION 4u
#define TABLE_VERSION 3u
#define PLAIN_VERSION 2u
#define HEADER_BYTES 20u   /* magic, version, file length */
#define CRC_BYTES 4u

/* Limits a file must respect; they bound every allocation a file can cause
 * and match what the library itself can build. */
#define MAX_FILE_BYTES ((size_t)1 << 30)
#define MAX_LAYERS ((uint32_t)NNC_MAX_LAYERS)
#define MAX_WIDTH ((uint32_t)NNC_MAX_WIDTH)   /* inputs and units per layer */
#define MAX_STRING NNC_MAX_NAME_BYTES
/* As many classes as a data set may have: a model with more could be
 * neither trained nor evaluated by nnc, and each class costs an output
 * and a row and column of a confusion matrix. */
#define MAX_CLASSES ((uint32_t)NNC_MAX_CLASSES)
#define MAX_META 4096u

/* The codes stored in files, indexed by code. They are part of the format and
 * never change, whatever the C enums do; -1 marks a code that is not used.
 * Activations and losses are the architecture section's (nn/architecture.c). */
static const int task_codes[] = {-1, NNC_TASK_CLASSIFICATION, NNC_TASK_REGRESSION};
static const int scaling_codes[] = {NNC_SCALE_NONE, NNC_SCALE_STANDARD, NNC_SCALE_MINMAX};
#define COUNT(table) ((uint32_t)(sizeof(table) / sizeof(table)[0]))

/* The code of an enum value (-1 if the table lacks it: a bug, not a file). */
static int64_t code_of(const int *table, uint32_t n, int value)
{
    for (uint32_t code = 0; code < n; code++)
        if (table[code] == value)
            return code;
    return -1;
}

/* The enum value of a code read from a file; 0 when the code is unknown. */
static int value_of(const int *table, uint32_t n, uint32_t code, int *value)
{
    if (code >= n || table[code] < 0)
        return 0;
    *value = table[code];
    return 1;
}

/* ================================================================ writing */

typedef nnc_byte_writer writer;

static void put_string(writer *w, const char *s)
{
    size_t n = strlen(s);   /* at most MAX_STRING: checked before writing */
    nnc_put_u32(w, (uint32_t)n);
    nnc_put_bytes(w, s, n);
}

static void put_description(writer *w, const nnc_model *model)
{
    nnc_put_u32(w, (uint32_t)code_of(task_codes, COUNT(task_codes), (int)model->task));
    for (int j = 0; j < model->n_inputs; j++)
        put_string(w, model->input_names[j]);
    nnc_put_u32(w, (uint32_t)model->n_classes);
    for (int k = 0; k < model->n_classes; k++)
        put_string(w, model->class_labels[k]);
}

static void put_normalizer(writer *w, const nnc_normalizer *norm)
{
    nnc_put_u32(w, norm != NULL);
    if (norm == NULL)
        return;
    nnc_put_u32(w, (uint32_t)code_of(scaling_codes, COUNT(scaling_codes), (int)norm->kind));
    nnc_put_u32(w, (uint32_t)norm->n_inputs);
    nnc_put_u32(w, (uint32_t)norm->n_targets);
    nnc_put_f32s(w, norm->offset, (size_t)norm->n_inputs);
    nnc_put_f32s(w, norm->scale, (size_t)norm->n_inputs);
    nnc_put_f32s(w, norm->target_offset, (size_t)norm->n_targets);
    nnc_put_f32s(w, norm->target_scale, (size_t)norm->n_targets);
}

static void put_meta(writer *w, const nnc_model *model)
{
    nnc_put_u32(w, (uint32_t)model->n_meta);
    for (int i = 0; i < model->n_meta; i++) {
        put_string(w, model->meta_keys[i]);
        put_string(w, model->meta_values[i]);
    }
}

static int has_preprocessing(const nnc_model *model)
{
    return model->encoder != NULL || model->n_dropped > 0 || model->text != NULL;
}

static uint32_t version_of(const nnc_model *model)
{
    return model->text != NULL ? FORMAT_VERSION
           : has_preprocessing(model) ? TABLE_VERSION : PLAIN_VERSION;
}

/* Version 4's text section, after the network: each text column's name,
 * its vectorizer's options, its stop words, and its terms with their idf. */
static void put_text(writer *w, const nnc_text_columns *tc)
{
    nnc_put_u32(w, (uint32_t)tc->n);
    for (int t = 0; t < tc->n; t++) {
        const nnc_vectorizer *v = tc->vec[t];
        const nnc_vectorizer_options *o = nnc_vectorizer_settings(v);
        put_string(w, tc->names[t]);
        nnc_put_u32(w, (uint32_t)o->normalize);
        nnc_put_u32(w, (uint32_t)o->features);
        nnc_put_u32(w, o->bigrams != 0);
        nnc_put_u32(w, o->sublinear_tf != 0);
        nnc_put_u32(w, (uint32_t)o->min_documents);
        nnc_put_u32(w, (uint32_t)o->max_terms);
        nnc_put_u32(w, (uint32_t)nnc_vectorizer_documents(v));
        nnc_put_u32(w, (uint32_t)o->n_stop_words);
        for (int i = 0; i < o->n_stop_words; i++)
            put_string(w, o->stop_words[i]);
        int n = nnc_vectorizer_terms(v);
        nnc_put_u32(w, (uint32_t)n);
        for (int i = 0; i < n; i++)
            put_string(w, nnc_vectorizer_term(v, i));
        for (int i = 0; i < n; i++) {
            float idf = nnc_vectorizer_idf(v, i);
            nnc_put_f32s(w, &idf, 1);
        }
    }
}

/* Version 3's last section: the encoder's columns, then the dropped ones. */
static void put_preprocessing(writer *w, const nnc_model *model)
{
    const nnc_encoder *enc = model->encoder;
    nnc_put_u32(w, enc != NULL);
    nnc_put_u32(w, enc ? (uint32_t)enc->n_columns : 0);
    for (int j = 0; enc != NULL && j < enc->n_columns; j++) {
        const nnc_encoded_column *col = &enc->columns[j];
        int categorical = col->kind == NNC_COLUMN_CATEGORICAL;
        put_string(w, col->name);
        nnc_put_u32(w, categorical);
        nnc_put_u32(w, col->indicator != 0);
        float median = categorical ? 0.0f : col->median;
        nnc_put_f32s(w, &median, 1);
        nnc_put_u32(w, (uint32_t)col->n_categories);
        for (int k = 0; k < col->n_categories; k++)
            put_string(w, col->categories[k]);
        nnc_put_u32(w, categorical ? (uint32_t)col->fill : 0);
    }
    nnc_put_u32(w, (uint32_t)model->n_dropped);
    for (int i = 0; i < model->n_dropped; i++)
        put_string(w, model->dropped[i]);
}

/* Everything but the trailing CRC: the network whole (architecture,
 * parameters, state), then what the data looked like, then the notes,
 * then (version 3) the preprocessing. */
static nnc_status put_model(writer *w, const nnc_model *model, uint64_t file_length)
{
    nnc_net *net = model->net;
    nnc_put_bytes(w, MAGIC, sizeof MAGIC);
    nnc_put_u32(w, version_of(model));
    nnc_put_u64(w, file_length);
    nnc_status st = nnc_architecture_put(w, net);
    nnc_put_u64(w, (uint64_t)nnc_net_param_count(net));
    nnc_put_f32s(w, nnc_net_params(net), nnc_net_param_count(net));
    nnc_put_u64(w, (uint64_t)nnc_net_state_count(net));
    nnc_put_f32s(w, nnc_net_state(net), nnc_net_state_count(net));
    if (model->text != NULL)
        put_text(w, model->text);
    put_description(w, model);
    put_normalizer(w, model->norm);
    put_meta(w, model);
    if (has_preprocessing(model))
        put_preprocessing(w, model);
    return st;
}

/* ------------------------------------------- what the loader would refuse */

/* A file that cannot be loaded back is worse than no file, so the saver
 * refuses what the loader would: shapes that do not fit, strings and counts
 * over the limits, numbers that are not finite. */
static nnc_status check_string(const char *path, const char *what, int i, const char *s)
{
    size_t n = strlen(s);
    if (n > MAX_STRING)
        return nnc_fail(NNC_EINVAL, "%s: %s %d is %zu bytes long; a model file allows %u",
                        path, what, i + 1, n, MAX_STRING);
    return NNC_OK;
}

static nnc_status check_strings(const char *path, const nnc_model *model)
{
    nnc_status st = NNC_OK;
    for (int j = 0; st == NNC_OK && j < model->n_inputs; j++)
        st = check_string(path, "input name", j, model->input_names[j]);
    for (int k = 0; st == NNC_OK && k < model->n_classes; k++)
        st = check_string(path, "class label", k, model->class_labels[k]);
    if (st == NNC_OK && model->n_meta > (int)MAX_META)
        return nnc_fail(NNC_EINVAL, "%s: %d metadata entries; a model file allows %u", path,
                        model->n_meta, MAX_META);
    for (int i = 0; st == NNC_OK && i < model->n_meta; i++) {
        st = check_string(path, "metadata key", i, model->meta_keys[i]);
        if (st == NNC_OK)
            st = check_string(path, "metadata value", i, model->meta_values[i]);
    }
    const nnc_encoder *enc = model->encoder;
    for (int j = 0; st == NNC_OK && enc != NULL && j < enc->n_columns; j++) {
        st = check_string(path, "encoded column", j, enc->columns[j].name);
        for (int k = 0; st == NNC_OK && k < enc->columns[j].n_categories; k++)
            st = check_string(path, "category", k, enc->columns[j].categories[k]);
    }
    if (st == NNC_OK && model->n_dropped > (int)MAX_META)
        return nnc_fail(NNC_EINVAL, "%s: %d dropped columns; a model file allows %u", path,
                        model->n_dropped, MAX_META);
    for (int i = 0; st == NNC_OK && i < model->n_dropped; i++)
        st = check_string(path, "dropped column", i, model->dropped[i]);
    const nnc_text_columns *tc = model->text;
    for (int t = 0; st == NNC_OK && tc != NULL && t < tc->n; t++) {
        const nnc_vectorizer *v = tc->vec[t];
        const nnc_vectorizer_options *o = nnc_vectorizer_settings(v);
        st = check_string(path, "text column", t, tc->names[t]);
        for (int i = 0; st == NNC_OK && i < o->n_stop_words; i++)
            st = check_string(path, "stop word", i, o->stop_words[i]);
        for (int i = 0; st == NNC_OK && i < nnc_vectorizer_terms(v); i++)
            st = check_string(path, "term", i, nnc_vectorizer_term(v, i));
    }
    return st;
}

/* The network may have been changed through nnc_model_net since the model
 * was made; its outputs must still match the classes and the normaliser. */
static nnc_status check_shape(const char *path, const nnc_model *model)
{
    int outputs = nnc_net_outputs(model->net);
    int classify = model->task == NNC_TASK_CLASSIFICATION;
    if (!classify && model->task != NNC_TASK_REGRESSION)
        return nnc_fail(NNC_EINVAL, "%s: the model's task is neither classification nor "
                                    "regression", path);
    if (classify && (model->n_classes < 2 || model->n_classes > (int)MAX_CLASSES))
        return nnc_fail(NNC_EINVAL, "%s: the model has %d classes; a model file holds 2 to %u",
                        path, model->n_classes, MAX_CLASSES);
    if (outputs == 0 || (classify && outputs != nnc_targets_for_classes(model->n_classes)) ||
        (!classify && model->n_classes != 0))
        return nnc_fail(NNC_EINVAL, "%s: the network's %d outputs do not fit the model's %d "
                                    "classes", path, outputs, model->n_classes);
    const nnc_normalizer *norm = model->norm;
    int scaled = classify ? 0 : outputs;   /* regression targets only */
    if (nnc_net_inputs(model->net) != model->n_inputs + nnc_text_columns_width(model->text))
        return nnc_fail(NNC_EINVAL, "%s: the network takes %d inputs, the model has %d and "
                                    "its text columns %d more", path,
                        nnc_net_inputs(model->net), model->n_inputs,
                        nnc_text_columns_width(model->text));
    if (norm != NULL && (norm->n_inputs != model->n_inputs ||
                         (norm->n_targets != 0 && norm->n_targets != scaled)))
        return nnc_fail(NNC_EINVAL,
                        "%s: the normaliser has %d inputs and %d targets, the network %d "
                        "inputs and %d outputs",
                        path, norm->n_inputs, norm->n_targets, model->n_inputs, outputs);
    return NNC_OK;
}

/* The first of v[0..n) that is not finite (or is zero, with nonzero set). */
static size_t first_bad(const float *v, size_t n, int nonzero)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]) || (nonzero && v[i] == 0.0f))
            return i;
    return n;
}

static nnc_status check_numbers(const char *path, const nnc_model *model)
{
    size_t n = nnc_net_param_count(model->net);
    size_t bad = first_bad(nnc_net_params(model->net), n, 0);
    if (bad < n)
        return nnc_fail(NNC_ENUMERIC, "%s: parameter %zu of %zu is not finite; not saved", path,
                        bad + 1, n);
    n = nnc_net_state_count(model->net);
    if ((bad = first_bad(nnc_net_state(model->net), n, 0)) < n)
        return nnc_fail(NNC_ENUMERIC, "%s: state value %zu of %zu is not finite; not saved",
                        path, bad + 1, n);
    const nnc_normalizer *norm = model->norm;
    if (norm == NULL)
        return NNC_OK;
    size_t ni = (size_t)norm->n_inputs, nt = (size_t)norm->n_targets;
    if (first_bad(norm->offset, ni, 0) < ni || first_bad(norm->scale, ni, 0) < ni ||
        first_bad(norm->target_offset, nt, 0) < nt || first_bad(norm->target_scale, nt, 1) < nt)
        return nnc_fail(NNC_ENUMERIC, "%s: the normaliser holds a value that is not finite "
                                      "(or a target scale of 0); not saved", path);
    return NNC_OK;
}

nnc_status nnc_model_save(const nnc_model *model, const char *path)
{
    if (model == NULL || model->net == NULL || path == NULL)
        return nnc_fail(NNC_EINVAL, "model save: NULL argument");
    nnc_status st = check_shape(path, model);
    if (st == NNC_OK)
        st = check_strings(path, model);
    if (st == NNC_OK)
        st = check_numbers(path, model);
    if (st != NNC_OK)
        return st;
    /* Measured first, so an oversized model is refused before anything is
     * allocated or written, and the buffer is allocated once. */
    writer sizing = {0};
    sizing.counting = 1;
    if ((st = put_model(&sizing, model, 0)) != NNC_OK)
        return st;
    uint64_t length = (uint64_t)sizing.size + CRC_BYTES;
    if (length > MAX_FILE_BYTES)
        return nnc_fail(NNC_EINVAL, "%s: the model needs %" PRIu64 " bytes; a model file "
                                    "holds at most %zu",
                        path, length, MAX_FILE_BYTES);
    writer w = {0};
    if (nnc_writer_reserve(&w, (size_t)length) != NNC_OK)
        return NNC_ENOMEM;
    put_model(&w, model, length);
    nnc_put_u32(&w, (uint32_t)crc32_z(crc32(0L, Z_NULL, 0), w.data, w.size));
    st = w.failed ? NNC_ENOMEM : nnc_write_whole_file(path, w.data, w.size);
    free(w.data);
    return st;
}

/* ================================================================ reading */

typedef nnc_byte_reader reader;

static float decode_f32(const unsigned char *b)
{
    float f;
    nnc_le_get_f32s(b, &f, 1);
    return f;
}

/* A code field that must be in table; the enum value goes to *value. */
static nnc_status get_code(reader *r, const char *what, const int *table, uint32_t n,
                           int *value)
{
    size_t at = r->pos;
    uint32_t code;
    nnc_status st = nnc_get_u32(r, what, &code);
    if (st != NNC_OK)
        return st;
    if (!value_of(table, n, code, value))
        return nnc_reader_invalid(r, at, "%s is %" PRIu32 ", not a code this nnc knows", what,
                                  code);
    return NNC_OK;
}

/* Refuses, before an array is allocated for count items of at least min_bytes
 * each, a count the rest of the file cannot possibly hold. */
static nnc_status check_room(reader *r, uint64_t count, uint64_t min_bytes, const char *what)
{
    if (count * min_bytes > nnc_reader_left(r))   /* counts are <= 2^24, no overflow */
        return nnc_reader_truncated(r, "the %" PRIu64 " %s", count, what);
    return NNC_OK;
}

/* A length-prefixed string as a new C string; what and i (1-based) name it. */
static nnc_status get_string(reader *r, const char *what, uint32_t i, uint32_t n,
                             char **out)
{
    size_t at = r->pos;
    uint32_t len;
    if (nnc_reader_left(r) < 4)
        return nnc_reader_truncated(r, "%s %" PRIu32 " of %" PRIu32, what, i, n);
    len = (uint32_t)nnc_le_get(nnc_reader_take(r, 4), 4);
    if (len > MAX_STRING)
        return nnc_reader_invalid(
            r, at, "%s %" PRIu32 " of %" PRIu32 " claims %" PRIu32 " bytes; at most %u are allowed",
            what, i, n, len, MAX_STRING);
    const unsigned char *bytes = nnc_reader_take(r, len);
    if (bytes == NULL) {
        r->pos = at;
        return nnc_reader_truncated(r, "%s %" PRIu32 " of %" PRIu32, what, i, n);
    }
    if (memchr(bytes, '\0', len) != NULL)
        return nnc_reader_invalid(r, at, "%s %" PRIu32 " of %" PRIu32 " contains a NUL byte", what,
                                  i, n);
    *out = nnc_alloc((size_t)len + 1, 1, 0);
    if (*out == NULL)
        return NNC_ENOMEM;
    memcpy(*out, bytes, len);
    (*out)[len] = '\0';
    return NNC_OK;
}

/* n strings into a new array of n (zeroed, so a partial one frees cleanly). */
static nnc_status get_strings(reader *r, const char *what, const char *plural, uint32_t n,
                              char ***out)
{
    nnc_status st = check_room(r, n, 4, plural);
    if (st != NNC_OK)
        return st;
    if ((*out = nnc_alloc(n, sizeof **out, 1)) == NULL)
        return NNC_ENOMEM;
    for (uint32_t i = 0; st == NNC_OK && i < n; i++)
        st = get_string(r, what, i + 1, n, &(*out)[i]);
    return st;
}

/* ----------------------------------------------------- header and checksum */

/* The magic, then the version into *version: 1 or 2. */
static nnc_status header_version(reader *r, uint32_t *version)
{
    if (r->end == 0)
        return nnc_fail(NNC_EFORMAT, "%s: the file is empty, not an nnc model", r->path);
    /* A short file that starts like the magic is a truncated model. */
    size_t have = r->end < sizeof MAGIC ? r->end : sizeof MAGIC;
    if (memcmp(r->data, MAGIC, have) != 0)
        return nnc_fail(NNC_EFORMAT, "%s: not an nnc model file (it does not start with "
                                     "\"NNCMODEL\")", r->path);
    if (nnc_reader_take(r, sizeof MAGIC) == NULL)
        return nnc_reader_truncated(r, "the magic number");
    nnc_status st = nnc_get_u32(r, "the format version", version);
    if (st != NNC_OK)
        return st;
    if (*version > FORMAT_VERSION)
        return nnc_fail(NNC_EFORMAT, "%s: made by a newer nnc (format version %" PRIu32
                                     "; this nnc reads 1 to %u)",
                        r->path, *version, FORMAT_VERSION);
    if (*version < 1)
        return nnc_fail(NNC_EFORMAT, "%s: format version %" PRIu32 " does not exist "
                                     "(this nnc reads 1 to %u)",
                        r->path, *version, FORMAT_VERSION);
    return NNC_OK;
}

/* Whether the last 4 of the first size bytes are the CRC-32 of the others. */
static int crc_matches(const unsigned char *data, size_t size)
{
    uint32_t stored = (uint32_t)nnc_le_get(data + size - CRC_BYTES, 4);
    return crc32_z(crc32(0L, Z_NULL, 0), data, size - CRC_BYTES) == stored;
}

/* Checks magic, version, length and CRC; on success r covers the body, the
 * bytes between the header and the checksum, and *version says how to read it. */
static nnc_status check_envelope(reader *r, uint32_t *version)
{
    nnc_status st = header_version(r, version);
    if (st != NNC_OK)
        return st;
    uint64_t length;
    if ((st = nnc_get_u64(r, "the file length", &length)) != NNC_OK)
        return st;
    size_t size = r->end;
    if (size < HEADER_BYTES + CRC_BYTES)
        return nnc_fail(NNC_EFORMAT, "%s: truncated: the file has %zu bytes, fewer than a "
                                     "header and checksum (%u)",
                        r->path, size, HEADER_BYTES + CRC_BYTES);
    /* The length only explains a failure; the CRC decides. A whole model
     * followed by more bytes (an append, a bad copy) says so. */
    int intact = crc_matches(r->data, size);
    if (!intact && length >= HEADER_BYTES + CRC_BYTES && length < size &&
        crc_matches(r->data, (size_t)length))
        return nnc_fail(NNC_EFORMAT, "%s: %zu unexpected bytes after the end of the model "
                                     "(it was written with %" PRIu64 " bytes)",
                        r->path, size - (size_t)length, length);
    if (!intact && length > size && length <= MAX_FILE_BYTES)
        return nnc_fail(NNC_EFORMAT, "%s: truncated: the file has %zu bytes, it was written "
                                     "with %" PRIu64 " (checksum mismatch)",
                        r->path, size, length);
    if (!intact)
        return nnc_fail(NNC_EFORMAT, "%s: checksum mismatch: the file is corrupted", r->path);
    if (length != size)
        return nnc_fail(NNC_EFORMAT, "%s: the file has %zu bytes, its length field says "
                                     "%" PRIu64, r->path, size, length);
    r->end = size - CRC_BYTES;
    return NNC_OK;
}

/* ------------------------------------------------------------------ body */

/* What the body says, checked, before any of it becomes a model. The
 * network is built as soon as its architecture is read: its blocks are
 * bounded by the file's size by then, and the parameters are read straight
 * into them. */
typedef struct parsed {
    nnc_net *net;
    uint32_t inputs;
    int task;
    char **names;        /* inputs strings */
    uint32_t classes;
    char **labels;       /* classes strings */
    nnc_normalizer *norm;
    uint32_t meta;
    char **keys, **values;
    nnc_encoder *encoder;
    uint32_t dropped;
    char **dropped_names;
    nnc_text_columns *text;
} parsed;

static void parsed_free(parsed *p)
{
    nnc_net_free(p->net);
    nnc_free_strings(p->names, p->names ? (int)p->inputs : 0);
    nnc_free_strings(p->labels, p->labels ? (int)p->classes : 0);
    nnc_normalizer_free(p->norm);
    nnc_free_strings(p->keys, p->keys ? (int)p->meta : 0);
    nnc_free_strings(p->values, p->values ? (int)p->meta : 0);
    nnc_encoder_free(p->encoder);
    nnc_free_strings(p->dropped_names, p->dropped_names ? (int)p->dropped : 0);
    nnc_text_columns_free(p->text);
}

static uint32_t outputs_of(const parsed *p) { return (uint32_t)nnc_net_outputs(p->net); }

/* Names value i (0-based) of the parameter block (or the state block) by
 * its tensor and layer, for the message about it: "a weight of layer 1 of 2". */
static void describe_value(const nnc_net *net, int is_state, uint64_t i, char *buf, size_t size)
{
    nnc_tensor_info info;
    for (int t = 0; t < nnc_net_tensor_count(net); t++)
        if (nnc_net_tensor(net, t, &info) == NNC_OK && info.is_state == is_state &&
            i >= info.offset && i - info.offset < info.size) {
            snprintf(buf, size, "a %s of layer %d of %d", info.name, info.layer + 1,
                     nnc_net_layer_count(net));
            return;
        }
    snprintf(buf, size, "past the last layer");
}

/* The network's parameter block (or state block) from n floats at the
 * cursor, each finite; n is the network's own count, which the
 * architecture has already bounded by the bytes left. */
static nnc_status get_block(reader *r, nnc_net *net, int is_state)
{
    float *block = is_state ? nnc_net_state(net) : nnc_net_params(net);
    size_t n = is_state ? nnc_net_state_count(net) : nnc_net_param_count(net);
    size_t at = r->pos;
    const unsigned char *bytes = nnc_reader_take(r, 4 * n);
    if (bytes == NULL)
        return nnc_reader_truncated(r, is_state ? "the state values" : "the parameters");
    nnc_le_get_f32s(bytes, block, n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(block[i])) {
            char which[96];
            describe_value(net, is_state, i, which, sizeof which);
            return nnc_reader_invalid(r, at + 4 * i, "%s %zu of %zu (%s) is %s",
                                      is_state ? "state value" : "parameter", i + 1, n, which,
                                      isnan(block[i]) ? "NaN" : "infinite");
        }
    return NNC_OK;
}

/* A u64 count that must be what the architecture implies. */
static nnc_status get_count(reader *r, const char *what, size_t implied)
{
    size_t at = r->pos;
    uint64_t count;
    nnc_status st = nnc_get_u64(r, what, &count);
    if (st == NNC_OK && count != implied)
        return nnc_reader_invalid(r, at, "%s is %" PRIu64 ", the architecture implies %zu", what,
                                  count, implied);
    return st;
}

/* Version 2: the architecture section, then the parameter count and block,
 * then the state count and block. */
static nnc_status parse_network(reader *r, parsed *p)
{
    nnc_status st = nnc_architecture_get(r, &p->net);
    if (st == NNC_OK)
        st = get_count(r, "the parameter count", nnc_net_param_count(p->net));
    if (st == NNC_OK)
        st = get_block(r, p->net, 0);
    if (st == NNC_OK)
        st = get_count(r, "the state count", nnc_net_state_count(p->net));
    if (st == NNC_OK)
        st = get_block(r, p->net, 1);
    if (st == NNC_OK)
        p->inputs = (uint32_t)nnc_net_inputs(p->net);
    return st;
}

/* ------------------------------------------------ version 1: dense only */

/* Version 1's architecture: inputs, layers of (units, activation), the loss
 * and the parameter count; the parameters come at the end of the file. */
typedef struct v1_layers {
    uint32_t inputs, layers;
    uint32_t *units;
    nnc_activation *acts;
} v1_layers;

static nnc_status get_v1_layer(reader *r, v1_layers *a, uint32_t l)
{
    char what[64];
    snprintf(what, sizeof what, "the units of layer %" PRIu32 " of %" PRIu32, l + 1, a->layers);
    nnc_status st = nnc_get_ranged(r, what, 1, MAX_WIDTH, &a->units[l]);
    if (st != NNC_OK)
        return st;
    size_t at = r->pos;
    snprintf(what, sizeof what, "the activation of layer %" PRIu32 " of %" PRIu32, l + 1,
             a->layers);
    st = nnc_get_activation(r, what, &a->acts[l]);
    if (st == NNC_OK && a->acts[l] == NNC_SOFTMAX && a->units[l] < 2)
        return nnc_reader_invalid(r, at,
                                  "layer %" PRIu32 " of %" PRIu32 " is a softmax of one "
                                  "unit",
                                  l + 1, a->layers);
    return st;
}

/* The parameter count the layers imply, or 0 if it overflows 64 bits (it
 * cannot within the limits, but the check costs nothing). */
static uint64_t implied_params(const v1_layers *a)
{
    uint64_t total = 0, in = a->inputs;
    for (uint32_t l = 0; l < a->layers; l++) {
        uint64_t units = a->units[l];
        if (in + 1 > UINT64_MAX / units)
            return 0;
        uint64_t layer = units * (in + 1);   /* weights and biases */
        if (total > UINT64_MAX - layer)
            return 0;
        total += layer;
        in = units;
    }
    return total;
}

/* Checked against the layers and against what the rest of the file can
 * hold, before any block is allocated for it. */
static nnc_status get_v1_param_count(reader *r, const v1_layers *a)
{
    size_t at = r->pos;
    uint64_t n;
    nnc_status st = nnc_get_u64(r, "the parameter count", &n);
    if (st != NNC_OK)
        return st;
    uint64_t implied = implied_params(a);
    if (n != implied)
        return nnc_reader_invalid(r, at,
                                  "the parameter count is %" PRIu64 ", the architecture "
                                  "implies %" PRIu64,
                                  n, implied);
    if (n > nnc_reader_left(r) / 4)
        return nnc_reader_invalid(r, at,
                                  "the %" PRIu64 " parameters would need %" PRIu64
                                  " bytes; only %zu are left in the file",
                                  n, n * 4, nnc_reader_left(r));
    return NNC_OK;
}

/* The whole stack is built in one call, which allocates the parameter
 * block once: layer by layer it would be copied and zeroed once per
 * layer, quadratic in a deep file. */
static nnc_status build_v1_net(const v1_layers *a, nnc_loss loss, nnc_net **out)
{
    int *units = nnc_alloc(a->layers, sizeof *units, 0);
    nnc_net *net = NULL;
    if (units != NULL) {
        for (uint32_t l = 0; l < a->layers; l++)
            units[l] = (int)a->units[l];
        net = nnc_net_new_stack((int)a->inputs, (int)a->layers, units, a->acts);
    }
    free(units);
    nnc_status st = net ? nnc_net_set_loss(net, loss) : NNC_ENOMEM;
    if (st != NNC_OK) {
        nnc_net_free(net);
        return st;
    }
    *out = net;
    return NNC_OK;
}

static nnc_status parse_v1_network(reader *r, parsed *p)
{
    v1_layers a = { 0, 0, NULL, NULL };
    nnc_loss loss = NNC_LOSS_SQUARED_ERROR;
    nnc_status st = nnc_get_ranged(r, "the input count", 1, MAX_WIDTH, &a.inputs);
    if (st == NNC_OK)
        st = nnc_get_ranged(r, "the layer count", 1, MAX_LAYERS, &a.layers);
    if (st == NNC_OK) {
        a.units = nnc_alloc(a.layers, sizeof *a.units, 0);
        a.acts = nnc_alloc(a.layers, sizeof *a.acts, 0);
        if (a.units == NULL || a.acts == NULL)
            st = NNC_ENOMEM;
    }
    for (uint32_t l = 0; st == NNC_OK && l < a.layers; l++)
        st = get_v1_layer(r, &a, l);
    if (st == NNC_OK)
        st = nnc_get_loss(r, "the loss", &loss);
    if (st == NNC_OK)
        st = get_v1_param_count(r, &a);
    if (st == NNC_OK)
        st = build_v1_net(&a, loss, &p->net);
    if (st == NNC_OK)
        p->inputs = a.inputs;
    free(a.units);
    free(a.acts);
    return st;
}

/* ------------------------------------------- what the data looked like */

/* Task, input names, classes; the classes must fit the output layer exactly
 * as a data set's targets would. */
static nnc_status parse_description(reader *r, parsed *p)
{
    nnc_status st = get_code(r, "the task", task_codes, COUNT(task_codes), &p->task);
    if (st == NNC_OK)
        st = get_strings(r, "input name", "input names", p->inputs, &p->names);
    if (st != NNC_OK)
        return st;
    size_t at = r->pos;
    int classify = p->task == NNC_TASK_CLASSIFICATION;
    st = nnc_get_ranged(r, "the class count", classify ? 2 : 0, classify ? MAX_CLASSES : 0,
                    &p->classes);
    if (st != NNC_OK)
        return st;
    if (classify && (uint32_t)nnc_targets_for_classes((int)p->classes) != outputs_of(p))
        return nnc_reader_invalid(
            r, at, "%" PRIu32 " classes need %d outputs, the network has %" PRIu32, p->classes,
            nnc_targets_for_classes((int)p->classes), outputs_of(p));
    at = r->pos;
    st = get_strings(r, "class label", "class labels", p->classes, &p->labels);
    /* Two classes of one name would make predictions that cannot be told
     * apart (columns p_p,p_p). */
    if (st == NNC_OK && classify &&
        nnc_check_labels("class labels", (const char *const *)p->labels, (int)p->classes) != NNC_OK)
        return nnc_reader_invalid(r, at, "%s", nnc_last_error());
    return st;
}

/* n floats into v, each finite; target scales (nonzero) are divided by. */
static nnc_status get_floats(reader *r, const char *what, int nonzero, float *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *b = nnc_reader_take(r, 4);
        if (b == NULL)
            return nnc_reader_truncated(r, "the normaliser's %s", what);
        v[i] = decode_f32(b);
        if (!isfinite(v[i]) || (nonzero && v[i] == 0.0f))
            return nnc_reader_invalid(r, r->pos - 4,
                                      "the normaliser's %s %" PRIu32 " of %" PRIu32 " is %g", what,
                                      i + 1, n, (double)v[i]);
    }
    return NNC_OK;
}

static nnc_status parse_normalizer(reader *r, parsed *p)
{
    uint32_t present = 0, n_inputs = 0, n_targets = 0;
    int kind = 0;
    nnc_status st = nnc_get_ranged(r, "the normaliser flag", 0, 1, &present);
    if (st != NNC_OK || !present)
        return st;
    if ((st = get_code(r, "the scaling", scaling_codes, COUNT(scaling_codes), &kind)) ||
        (st = nnc_get_ranged(r, "the normaliser's input count", p->inputs, p->inputs,
                         &n_inputs)))
        return st;
    size_t at = r->pos;
    if ((st = nnc_get_u32(r, "the normaliser's target count", &n_targets)) != NNC_OK)
        return st;
    if (n_targets != 0 && p->task != NNC_TASK_REGRESSION)
        return nnc_reader_invalid(r, at,
                                  "the normaliser's target count is %" PRIu32 ", not 0 (a "
                                  "classifier's targets are not scaled)",
                                  n_targets);
    if (n_targets != 0 && n_targets != outputs_of(p))
        return nnc_reader_invalid(r, at,
                                  "the normaliser's target count is %" PRIu32 ", not 0 or the "
                                  "%" PRIu32 " outputs",
                                  n_targets, outputs_of(p));
    if ((st = check_room(r, 2 * (uint64_t)(n_inputs + n_targets), 4, "normaliser values")))
        return st;
    if ((p->norm = nnc_normalizer_alloc((nnc_scaling)kind, (int)n_inputs, (int)n_targets)) ==
        NULL)
        return NNC_ENOMEM;
    nnc_normalizer *norm = p->norm;
    if ((st = get_floats(r, "offset", 0, norm->offset, n_inputs)) ||
        (st = get_floats(r, "scale", 0, norm->scale, n_inputs)) ||
        (st = get_floats(r, "target offset", 0, norm->target_offset, n_targets)))
        return st;
    return get_floats(r, "target scale", 1, norm->target_scale, n_targets);
}

static nnc_status get_meta_entry(reader *r, parsed *p, uint32_t i)
{
    size_t at = r->pos;
    nnc_status st = get_string(r, "metadata key", i + 1, p->meta, &p->keys[i]);
    if (st == NNC_OK)
        st = get_string(r, "metadata value", i + 1, p->meta, &p->values[i]);
    if (st == NNC_OK && p->keys[i][0] == '\0')
        return nnc_reader_invalid(r, at, "metadata key %" PRIu32 " of %" PRIu32 " is empty", i + 1,
                                  p->meta);
    return st;
}

typedef struct keyed {
    const char *key;
    uint32_t index;
} keyed;

static int by_key(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Keys are unique, as nnc_model_set_meta keeps them. Sorted, not compared
 * pairwise: 4,096 long keys that share a prefix would take minutes. */
static nnc_status check_unique_keys(const reader *r, const parsed *p, size_t at)
{
    keyed *sorted = nnc_alloc(p->meta, sizeof *sorted, 0);
    if (sorted == NULL)
        return NNC_ENOMEM;
    for (uint32_t i = 0; i < p->meta; i++)
        sorted[i] = (keyed){p->keys[i], i};
    qsort(sorted, p->meta, sizeof *sorted, by_key);
    nnc_status st = NNC_OK;
    for (uint32_t i = 1; st == NNC_OK && i < p->meta; i++)
        if (strcmp(sorted[i - 1].key, sorted[i].key) == 0)
            st = nnc_reader_invalid(r, at,
                                    "metadata key %" PRIu32 " of %" PRIu32 " (\"%.64s\") "
                                    "repeats key %" PRIu32,
                                    sorted[i].index + 1, p->meta, sorted[i].key,
                                    sorted[i - 1].index + 1);
    free(sorted);
    return st;
}

static nnc_status parse_meta(reader *r, parsed *p)
{
    size_t at = r->pos;
    nnc_status st = nnc_get_ranged(r, "the metadata count", 0, MAX_META, &p->meta);
    if (st == NNC_OK)
        st = check_room(r, p->meta, 8, "metadata entries");
    if (st != NNC_OK)
        return st;
    p->keys = nnc_alloc(p->meta, sizeof *p->keys, 1);
    p->values = nnc_alloc(p->meta, sizeof *p->values, 1);
    if (p->keys == NULL || p->values == NULL)
        return NNC_ENOMEM;
    for (uint32_t i = 0; st == NNC_OK && i < p->meta; i++)
        st = get_meta_entry(r, p, i);
    return st == NNC_OK ? check_unique_keys(r, p, at) : st;
}

/* ------------------------------------------------ version 3: preprocessing */

/* One column of the encoder, checked as nnc_encoder_finish and the encoder's
 * binary search need it: a numeric column's median finite, a categorical
 * one's categories in strictly increasing strcmp order, its fill one of them. */
static nnc_status get_encoded_column(reader *r, uint32_t j, uint32_t n, nnc_encoded_column *col)
{
    char what[80];
    nnc_status st = get_string(r, "encoded column", j + 1, n, &col->name);
    uint32_t categorical = 0, indicator = 0, count = 0, fill = 0;
    snprintf(what, sizeof what, "the kind of encoded column %" PRIu32, j + 1);
    if (st == NNC_OK)
        st = nnc_get_ranged(r, what, 0, 1, &categorical);
    snprintf(what, sizeof what, "the indicator flag of encoded column %" PRIu32, j + 1);
    if (st == NNC_OK)
        st = nnc_get_ranged(r, what, 0, 1, &indicator);
    if (st != NNC_OK)
        return st;
    const unsigned char *b = nnc_reader_take(r, 4);
    if (b == NULL)
        return nnc_reader_truncated(r, "the median of encoded column %" PRIu32, j + 1);
    col->median = decode_f32(b);
    if (!isfinite(col->median) || (categorical && nnc_le_get(b, 4) != 0))
        return nnc_reader_invalid(r, r->pos - 4, "the median of encoded column %" PRIu32
                                                 " is %g%s", j + 1, (double)col->median,
                                  categorical ? " (a categorical column's is 0)" : "");
    snprintf(what, sizeof what, "the category count of encoded column %" PRIu32, j + 1);
    if (st == NNC_OK)
        st = nnc_get_ranged(r, what, categorical, categorical ? NNC_MAX_CATEGORIES : 0, &count);
    if (st != NNC_OK)
        return st;
    col->kind = categorical ? NNC_COLUMN_CATEGORICAL : NNC_COLUMN_NUMERIC;
    col->indicator = (int)indicator;
    size_t at = r->pos;
    st = get_strings(r, "category", "categories", count, &col->categories);
    col->n_categories = col->categories != NULL ? (int)count : 0;   /* freed with the encoder */
    if (st != NNC_OK)
        return st;
    for (uint32_t k = 1; k < count; k++)
        if (strcmp(col->categories[k - 1], col->categories[k]) >= 0)
            return nnc_reader_invalid(r, at, "the categories of encoded column %" PRIu32
                                             " are not in increasing order at %" PRIu32,
                                      j + 1, k + 1);
    snprintf(what, sizeof what, "the fill category of encoded column %" PRIu32, j + 1);
    st = nnc_get_ranged(r, what, 0, categorical ? count - 1 : 0, &fill);
    col->fill = categorical ? (int)fill : -1;
    if (categorical)
        col->median = NAN;
    return st;
}

/* The encoder, whose inputs must be the network's, by count and name. */
static nnc_status parse_encoder(reader *r, parsed *p)
{
    uint32_t present = 0, n = 0;
    nnc_status st = nnc_get_ranged(r, "the encoder flag", 0, 1, &present);
    size_t at = r->pos;
    if (st == NNC_OK)
        st = nnc_get_ranged(r, "the encoded column count", 0, present ? MAX_WIDTH : 0, &n);   /* 0: text columns alone */
    if (st == NNC_OK)
        st = check_room(r, n, 24, "encoded columns");
    if (st != NNC_OK || !present)
        return st;
    if ((p->encoder = nnc_encoder_alloc((int)n)) == NULL)
        return NNC_ENOMEM;
    for (uint32_t j = 0; st == NNC_OK && j < n; j++)
        st = get_encoded_column(r, j, n, &p->encoder->columns[j]);
    if (st == NNC_OK && nnc_encoder_finish(p->encoder) != NNC_OK)
        return nnc_reader_invalid(r, at, "%s", nnc_last_error());
    if (st == NNC_OK && (uint32_t)p->encoder->n_outputs != p->inputs)
        return nnc_reader_invalid(r, at, "the encoder makes %d inputs, the network takes %" PRIu32,
                                  p->encoder->n_outputs, p->inputs);
    for (uint32_t i = 0; st == NNC_OK && i < p->inputs; i++)
        if (strcmp(p->encoder->output_names[i], p->names[i]) != 0)
            return nnc_reader_invalid(r, at, "the encoder's input %" PRIu32 " is '%.64s', the "
                                             "model's input name '%.64s'",
                                      i + 1, p->encoder->output_names[i], p->names[i]);
    return st;
}

static nnc_status parse_preprocessing(reader *r, parsed *p)
{
    nnc_status st = parse_encoder(r, p);
    if (st == NNC_OK)
        st = nnc_get_ranged(r, "the dropped column count", 0, MAX_META, &p->dropped);
    if (st == NNC_OK)
        st = get_strings(r, "dropped column", "dropped columns", p->dropped, &p->dropped_names);
    return st;
}

/* ------------------------------------------------- version 4: text columns */

static const char *const normalize_names[] = {"none", "stem", "lemma"};

/* One text column's vectorizer, checked as the vectorizer needs it: known
 * options, terms in strictly increasing strcmp order (its binary search),
 * each idf finite and >= 1 (exactly 1 unless tf-idf). */
static nnc_status get_text_column(reader *r, uint32_t t, uint32_t n, nnc_text_columns *tc)
{
    char what[96];
    uint32_t normalize, features, bigrams, sublinear, min_docs, max_terms, docs, n_stop, terms;
    nnc_status st = get_string(r, "text column", t + 1, n, &tc->names[t]);
#define FIELD(name, lo, hi, var)                                                   \
    do {                                                                           \
        snprintf(what, sizeof what, "the %s of text column %" PRIu32, name, t + 1); \
        if (st == NNC_OK)                                                          \
            st = nnc_get_ranged(r, what, lo, hi, &var);                            \
    } while (0)
    FIELD("normalisation", 0, 2, normalize);
    FIELD("features", 0, 2, features);
    FIELD("bigram flag", 0, 1, bigrams);
    FIELD("sublinear flag", 0, 1, sublinear);
    FIELD("minimum document count", 1, INT32_MAX, min_docs);
    FIELD("maximum term count", 0, NNC_MAX_TERMS, max_terms);
    FIELD("document count", 1, INT32_MAX, docs);
    FIELD("stop word count", 0, NNC_MAX_TERMS, n_stop);
    char **stop = NULL, **term = NULL;
    float *idf = NULL;
    if (st == NNC_OK)
        st = get_strings(r, "stop word", "stop words", n_stop, &stop);
    FIELD("term count", 1, NNC_MAX_TERMS, terms);
#undef FIELD
    size_t at = r->pos;
    if (st == NNC_OK)
        st = get_strings(r, "term", "terms", terms, &term);
    for (uint32_t i = 1; st == NNC_OK && i < terms; i++)
        if (strcmp(term[i - 1], term[i]) >= 0)
            st = nnc_reader_invalid(r, at, "the terms of text column %" PRIu32
                                           " are not in increasing order at %" PRIu32,
                                    t + 1, i + 1);
    for (uint32_t i = 1; st == NNC_OK && i < n_stop; i++)
        if (strcmp(stop[i - 1], stop[i]) >= 0)
            st = nnc_reader_invalid(r, at, "the stop words of text column %" PRIu32
                                           " are not in increasing order at %" PRIu32,
                                    t + 1, i + 1);
    if (st == NNC_OK)
        st = check_room(r, terms, 4, "idf weights");
    if (st == NNC_OK && (idf = nnc_alloc(terms, sizeof *idf, 0)) == NULL)
        st = NNC_ENOMEM;
    for (uint32_t i = 0; st == NNC_OK && i < terms; i++) {
        const unsigned char *b = nnc_reader_take(r, 4);
        idf[i] = decode_f32(b);
        int tfidf = features == NNC_FEATURES_TFIDF;
        if (!isfinite(idf[i]) || idf[i] < 1.0f || (!tfidf && idf[i] != 1.0f))
            st = nnc_reader_invalid(r, r->pos - 4, "the idf of term %" PRIu32 " of text column "
                                                   "%" PRIu32 " is %g%s", i + 1, t + 1,
                                    (double)idf[i], tfidf ? "" : " (1 without tf-idf)");
    }
    if (st == NNC_OK) {
        nnc_vectorizer_options o = nnc_vectorizer_defaults();
        o.normalize = (nnc_normalize)normalize;
        o.features = (nnc_text_features)features;
        o.bigrams = (int)bigrams;
        o.sublinear_tf = (int)sublinear;
        o.min_documents = (int)min_docs;
        o.max_terms = (int)max_terms;
        o.stop_words = (const char *const *)stop;
        o.n_stop_words = (int)n_stop;
        st = nnc_vectorizer_assemble(&o, (const char *const *)term, idf, (int)terms, (int)docs,
                                     &tc->vec[t]);
        if (st != NNC_OK && st != NNC_ENOMEM) {
            char why[256];
            snprintf(why, sizeof why, "%s", nnc_last_error());
            st = nnc_fail(st, "%s: text column %" PRIu32 " (%s, normalised by %s): %s", r->path,
                          t + 1, tc->names[t], normalize_names[normalize], why);
        }
    }
    nnc_free_strings(stop, stop ? (int)n_stop : 0);
    nnc_free_strings(term, term ? (int)terms : 0);
    free(idf);
    return st;
}

/* The text columns, whose terms are the network's last inputs. */
static nnc_status parse_text(reader *r, parsed *p)
{
    uint32_t n = 0;
    size_t at = r->pos;
    nnc_status st = nnc_get_ranged(r, "the text column count", 1, MAX_META, &n);
    if (st == NNC_OK)
        st = check_room(r, n, 48, "text columns");
    if (st != NNC_OK)
        return st;
    if ((p->text = nnc_text_columns_alloc((int)n)) == NULL)
        return NNC_ENOMEM;
    for (uint32_t t = 0; st == NNC_OK && t < n; t++)
        st = get_text_column(r, t, n, p->text);
    if (st == NNC_OK && nnc_text_columns_finish(p->text) != NNC_OK)
        return nnc_reader_invalid(r, at, "%s", nnc_last_error());
    if (st == NNC_OK && (uint32_t)p->text->width > p->inputs)
        return nnc_reader_invalid(r, at, "the text columns have %d terms, the network takes "
                                         "only %" PRIu32 " inputs", p->text->width, p->inputs);
    if (st == NNC_OK)
        p->inputs -= (uint32_t)p->text->width;
    return st;
}

/* ------------------------------------------------------------ the body */

static nnc_status parse_body(reader *r, uint32_t version, parsed *p)
{
    nnc_status st = version == 1 ? parse_v1_network(r, p) : parse_network(r, p);
    if (st == NNC_OK && version == 4)
        st = parse_text(r, p);
    if (st == NNC_OK)
        st = parse_description(r, p);
    if (st == NNC_OK)
        st = parse_normalizer(r, p);
    if (st == NNC_OK)
        st = parse_meta(r, p);
    if (st == NNC_OK && version >= 3)
        st = parse_preprocessing(r, p);
    if (st == NNC_OK && version == 1)
        st = get_block(r, p->net, 0);   /* version 1 keeps the parameters for last */
    if (st == NNC_OK && r->pos != r->end)
        return nnc_reader_invalid(r, r->pos, "%zu unexpected bytes after the %s",
                                  nnc_reader_left(r),
                                  version == 1 ? "parameters"
                                  : version >= 3 ? "dropped columns"
                                                 : "training metadata");
    return st;
}

/* ------------------------------------------------------------ the model */

/* The model of a parsed file; takes p's network, normaliser and metadata. */
static nnc_status build_model(parsed *p, nnc_model **out)
{
    nnc_model *model = nnc_model_assemble(p->net, p->norm, (nnc_task)p->task, (int)p->inputs,
                                          (const char *const *)p->names, (int)p->classes,
                                          (const char *const *)p->labels);
    if (model == NULL)
        return NNC_ENOMEM;
    p->net = NULL;
    p->norm = NULL;
    /* The keys are known to be unique: hand the arrays over rather than
     * nnc_model_set_meta each pair, which searches the keys every time. */
    free(model->meta_keys);
    free(model->meta_values);
    model->meta_keys = p->keys;
    model->meta_values = p->values;
    model->n_meta = (int)p->meta;
    p->keys = p->values = NULL;
    model->encoder = p->encoder;
    p->encoder = NULL;
    model->dropped = p->dropped_names;
    model->n_dropped = (int)p->dropped;
    p->dropped_names = NULL;
    model->text = p->text;
    p->text = NULL;
    *out = model;
    return NNC_OK;
}

/* ------------------------------------------------------------ the file */

nnc_status nnc_model_load(const char *path, nnc_model **out)
{
    if (out != NULL)
        *out = NULL;
    if (path == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "model load: NULL argument");
    unsigned char *data = NULL;
    size_t size = 0;
    nnc_status st = nnc_read_whole_file(path, MAX_FILE_BYTES, "a model file", &data, &size);
    if (st != NNC_OK)
        return st;
    reader r = {path, data, 0, size};
    parsed p = {0};
    uint32_t version = 0;
    st = check_envelope(&r, &version);
    if (st == NNC_OK)
        st = parse_body(&r, version, &p);
    if (st == NNC_OK)
        st = build_model(&p, out);
    parsed_free(&p);
    free(data);
    return st;
}

/*
 * model.c - a trained network packaged for use on raw data.
 *
 * A network alone only understands normalised numbers in its own column
 * order. The model keeps what turns a user's CSV row into that and back:
 * the input column names, the normaliser, the class labels; plus free-form
 * notes on how it was trained. nnc_model_save/load (model_file.c) persist it.
 */
#include "data/data.h"
#include "model/model.h"
#include "nn/nn.h"
#include "text/text.h"
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

nnc_model *nnc_model_assemble(nnc_net *net, nnc_normalizer *norm, nnc_task task, int n_inputs,
                              const char *const *input_names, int n_classes,
                              const char *const *class_labels)
{
    nnc_model *model = nnc_alloc(1, sizeof *model, 1);
    if (model == NULL)
        return NULL;
    model->task = task;
    model->n_inputs = n_inputs;
    model->input_names = nnc_copy_strings(input_names, model->n_inputs);
    model->n_classes = n_classes;
    model->class_labels = nnc_copy_strings(class_labels, n_classes);
    model->meta_keys = nnc_alloc(0, sizeof(char *), 1);
    model->meta_values = nnc_alloc(0, sizeof(char *), 1);
    if (!model->input_names || !model->class_labels || !model->meta_keys ||
        !model->meta_values) {
        nnc_model_free(model);   /* net and norm are not its own yet */
        return NULL;
    }
    model->net = net;
    model->norm = norm;
    return model;
}

nnc_model *nnc_model_new(nnc_net *net, nnc_normalizer *norm, const nnc_dataset *trained_on)
{
    return nnc_model_new_text(net, norm, trained_on, NULL);
}

nnc_model *nnc_model_new_text(nnc_net *net, nnc_normalizer *norm, const nnc_dataset *trained_on,
                              nnc_text_columns *text)
{
    if (net == NULL || trained_on == NULL) {
        nnc_fail(NNC_EINVAL, "model: NULL argument");
        return NULL;
    }
    int width = nnc_text_columns_width(text);
    if (text != NULL && nnc_net_inputs(net) != trained_on->n_inputs + width) {
        nnc_fail(NNC_EINVAL,
                 "model: the network takes %d inputs, the data has %d and its text columns "
                 "%d more", nnc_net_inputs(net), trained_on->n_inputs, width);
        return NULL;
    }
    if ((text == NULL && nnc_net_inputs(net) != trained_on->n_inputs) ||
        nnc_net_outputs(net) != trained_on->n_targets) {
        nnc_fail(NNC_EINVAL,
                 "model: the network takes %d inputs and gives %d outputs, the data has %d "
                 "inputs and %d targets",
                 nnc_net_inputs(net), nnc_net_outputs(net), trained_on->n_inputs,
                 trained_on->n_targets);
        return NULL;
    }
    int targets = trained_on->task == NNC_TASK_REGRESSION ? trained_on->n_targets : 0;
    if (norm != NULL && (norm->n_inputs != trained_on->n_inputs ||
                         (norm->n_targets != 0 && norm->n_targets != targets))) {
        nnc_fail(NNC_EINVAL,
                 "model: the normaliser has %d inputs and %d targets, the data %d inputs and "
                 "%d regression targets",
                 norm->n_inputs, norm->n_targets, trained_on->n_inputs, targets);
        return NULL;
    }
    nnc_model *model = nnc_model_assemble(net, norm, trained_on->task, trained_on->n_inputs,
                                          (const char *const *)trained_on->input_names,
                                          trained_on->n_classes,
                                          (const char *const *)trained_on->class_labels);
    if (model != NULL)
        model->text = text;
    return model;
}

const nnc_text_columns *nnc_model_text_columns(const nnc_model *model)
{
    return model ? model->text : NULL;
}

void nnc_model_free(nnc_model *model)
{
    if (model == NULL)
        return;
    nnc_net_free(model->net);
    nnc_normalizer_free(model->norm);
    nnc_free_strings(model->input_names, model->n_inputs);
    nnc_free_strings(model->class_labels, model->n_classes);
    nnc_free_strings(model->meta_keys, model->n_meta);
    nnc_free_strings(model->meta_values, model->n_meta);
    nnc_encoder_free(model->encoder);
    nnc_free_strings(model->dropped, model->n_dropped);
    nnc_text_columns_free(model->text);
    free(model);
}

nnc_status nnc_model_set_encoder(nnc_model *model, nnc_encoder *enc)
{
    if (model == NULL || enc == NULL)
        return nnc_fail(NNC_EINVAL, "model encoder: NULL argument");
    if (enc->n_outputs != model->n_inputs)
        return nnc_fail(NNC_EINVAL, "model encoder: it makes %d inputs, the model takes %d",
                        enc->n_outputs, model->n_inputs);
    for (int i = 0; i < enc->n_outputs; i++)
        if (strcmp(enc->output_names[i], model->input_names[i]) != 0)
            return nnc_fail(NNC_EINVAL, "model encoder: its input %d is '%s', the model's '%s'",
                            i + 1, enc->output_names[i], model->input_names[i]);
    nnc_encoder_free(model->encoder);
    model->encoder = enc;
    return NNC_OK;
}

const nnc_encoder *nnc_model_encoder(const nnc_model *model)
{
    return model ? model->encoder : NULL;
}

nnc_status nnc_model_set_dropped(nnc_model *model, const char *const *names, int n)
{
    if (model == NULL || n < 0 || (n > 0 && names == NULL))
        return nnc_fail(NNC_EINVAL, "model dropped columns: bad argument");
    for (int i = 0; i < n; i++)
        if (names[i] == NULL)
            return nnc_fail(NNC_EINVAL, "model dropped columns: name %d is NULL", i + 1);
    char **copy = nnc_copy_strings(names, n);
    if (copy == NULL)
        return NNC_ENOMEM;
    nnc_free_strings(model->dropped, model->n_dropped);
    model->dropped = copy;
    model->n_dropped = n;
    return NNC_OK;
}

int nnc_model_dropped(const nnc_model *model) { return model ? model->n_dropped : 0; }

const char *nnc_model_dropped_name(const nnc_model *model, int i)
{
    return model && i >= 0 && i < model->n_dropped ? model->dropped[i] : NULL;
}

nnc_status nnc_model_encode(const nnc_model *model, const nnc_dataset *data,
                            nnc_unknown_policy unknown, nnc_dataset **out,
                            nnc_encode_report *report)
{
    if (out != NULL)
        *out = NULL;
    if (model == NULL || data == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "model encode: NULL argument");
    if (model->encoder != NULL)
        return nnc_encoder_apply(model->encoder, data, unknown, out, report);
    if (report != NULL)
        *report = (nnc_encode_report){0, 0};
    *out = nnc_dataset_copy(data);
    return *out != NULL ? NNC_OK : NNC_ENOMEM;
}

nnc_net *nnc_model_net(nnc_model *model) { return model ? model->net : NULL; }
const nnc_normalizer *nnc_model_normalizer(const nnc_model *model)
{
    return model ? model->norm : NULL;
}
nnc_task nnc_model_task(const nnc_model *model) { return model ? model->task : NNC_TASK_AUTO; }
int nnc_model_inputs(const nnc_model *model) { return model ? model->n_inputs : 0; }
int nnc_model_classes(const nnc_model *model) { return model ? model->n_classes : 0; }
int nnc_model_meta_count(const nnc_model *model) { return model ? model->n_meta : 0; }

const char *nnc_model_input_name(const nnc_model *model, int j)
{
    return model && j >= 0 && j < model->n_inputs ? model->input_names[j] : NULL;
}

const char *nnc_model_class_label(const nnc_model *model, int k)
{
    return model && k >= 0 && k < model->n_classes ? model->class_labels[k] : NULL;
}

const char *nnc_model_meta_key(const nnc_model *model, int i)
{
    return model && i >= 0 && i < model->n_meta ? model->meta_keys[i] : NULL;
}

const char *nnc_model_meta_value(const nnc_model *model, int i)
{
    return model && i >= 0 && i < model->n_meta ? model->meta_values[i] : NULL;
}

const char *nnc_model_meta(const nnc_model *model, const char *key)
{
    for (int i = 0; model && key && i < model->n_meta; i++)
        if (strcmp(model->meta_keys[i], key) == 0)
            return model->meta_values[i];
    return NULL;
}

nnc_status nnc_model_set_meta(nnc_model *model, const char *key, const char *value)
{
    if (model == NULL || key == NULL || value == NULL || key[0] == '\0')
        return nnc_fail(NNC_EINVAL, "model metadata: NULL or empty argument");
    char *v = nnc_strdup(value);
    if (v == NULL)
        return NNC_ENOMEM;
    for (int i = 0; i < model->n_meta; i++)
        if (strcmp(model->meta_keys[i], key) == 0) {
            free(model->meta_values[i]);
            model->meta_values[i] = v;
            return NNC_OK;
        }
    char *k = nnc_strdup(key);
    size_t n = (size_t)model->n_meta + 1;
    char **keys = k ? realloc(model->meta_keys, n * sizeof *keys) : NULL;
    if (keys != NULL)
        model->meta_keys = keys;
    char **values = keys ? realloc(model->meta_values, n * sizeof *values) : NULL;
    if (values == NULL) {
        free(k);
        free(v);
        return nnc_fail(NNC_ENOMEM, "model metadata: out of memory");
    }
    model->meta_values = values;
    model->meta_keys[model->n_meta] = k;
    model->meta_values[model->n_meta] = v;
    model->n_meta++;
    return NNC_OK;
}

/* Whether the normaliser changes the inputs at all: (x - 0) * 1 is x to
 * the bit, so an identity transform may be skipped, saving a copy. Decided
 * from the numbers, not from the normaliser's kind: a file may say "none"
 * and still carry offsets and scales, and predict and evaluate must both
 * apply them (they used to disagree). */
static int changes_inputs(const nnc_normalizer *norm)
{
    for (int j = 0; norm != NULL && j < norm->n_inputs; j++)
        if (norm->offset[j] != 0.0f || norm->scale[j] != 1.0f)
            return 1;
    return 0;
}

/* The first of rows rows of out (cols values each) holding a value that is
 * not finite, or rows when there is none. */
static int first_nonfinite_row(const float *out, int rows, int cols)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            if (!isfinite(out[(size_t)i * cols + j]))
                return i;
    return rows;
}

/* Finite weights can still overflow float arithmetic (3e38 times 2 is
 * infinite); an output that is not finite is refused rather than reported
 * as a prediction or folded into a metric. row is 1-based. */
static nnc_status nonfinite_output(const char *what, int row, const float *values, int cols)
{
    const char *kind = "infinite";
    for (int j = 0; j < cols; j++)
        if (isnan(values[j]))
            kind = "NaN";
    return nnc_fail(NNC_ENUMERIC,
                    "%srow %d: the model's output is not finite (%s): its weights or the "
                    "row's inputs are too large for float arithmetic",
                    what, row, kind);
}

nnc_status nnc_model_predict(nnc_model *model, const float *x, int rows, float *out)
{
    if (model == NULL || x == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "model predict: NULL argument");
    nnc_status st = nnc_check_rows("model predict", rows);
    if (st != NNC_OK)
        return st;
    if (model->text != NULL)
        return nnc_fail(NNC_EINVAL, "model predict: the model reads text columns, which rows of "
                                    "numbers do not have: predict a data set "
                                    "(nnc_model_predict_data)");
    if (nnc_net_inputs(model->net) != model->n_inputs ||
        (model->norm && model->norm->n_targets > 0 &&
         model->norm->n_targets != nnc_net_outputs(model->net)))
        return nnc_fail(NNC_EINVAL, "model predict: the network no longer matches the model");
    const float *input = x;
    float *scaled = NULL;
    if (changes_inputs(model->norm)) {
        scaled = nnc_alloc((size_t)rows, (size_t)model->n_inputs * sizeof(float), 0);
        if (scaled == NULL)
            return NNC_ENOMEM;
        memcpy(scaled, x, (size_t)rows * (size_t)model->n_inputs * sizeof(float));
        nnc_normalizer_apply_rows(model->norm, scaled, rows);
        input = scaled;
    }
    st = nnc_predict(model->net, input, rows, out);
    if (st == NNC_OK && model->norm != NULL && model->norm->n_targets > 0)
        st = nnc_normalizer_restore_targets(model->norm, out, rows);
    free(scaled);
    int outputs = nnc_net_outputs(model->net);
    int bad = st == NNC_OK ? first_nonfinite_row(out, rows, outputs) : rows;
    if (bad < rows)
        st = nonfinite_output("model predict: ", bad + 1, out + (size_t)bad * outputs, outputs);
    return st;
}

/* A copy of data as the model's network sees it: inputs normalised exactly
 * as nnc_model_predict does (when changes_inputs), regression targets too
 * (when targets). Byte images cannot hold normalised values, so their copy
 * gets the floats nnc_dataset_gather makes of them. */
static nnc_status normalised_copy(const nnc_normalizer *norm, const nnc_dataset *data,
                                  int inputs, int targets, nnc_dataset **out)
{
    size_t *all = nnc_alloc((size_t)data->rows, sizeof *all, 0);
    if (all == NULL)
        return NNC_ENOMEM;
    for (size_t i = 0; i < (size_t)data->rows; i++)
        all[i] = i;
    nnc_dataset *copy = nnc_dataset_subset(data, all, data->rows);
    nnc_status st = copy != NULL ? NNC_OK : NNC_ENOMEM;   /* the reason is recorded */
    if (st == NNC_OK && inputs && copy->bytes != NULL) {
        copy->x = nnc_alloc((size_t)data->rows, (size_t)data->n_inputs * sizeof(float), 0);
        st = copy->x != NULL ? nnc_dataset_gather(data, all, data->rows, copy->x, NULL)
                             : NNC_ENOMEM;
        free(copy->bytes);
        copy->bytes = NULL;
    }
    free(all);
    if (st == NNC_OK && inputs)
        st = nnc_normalizer_apply_rows(norm, copy->x, data->rows);
    if (st == NNC_OK && targets) {
        /* The targets' transform is the inputs' with the target numbers. */
        nnc_normalizer view = *norm;
        view.n_inputs = norm->n_targets;
        view.offset = norm->target_offset;
        view.scale = norm->target_scale;
        st = nnc_normalizer_apply_rows(&view, copy->y, data->rows);
    }
    if (st != NNC_OK) {
        nnc_dataset_free(copy);
        return st;
    }
    *out = copy;
    return NNC_OK;
}

/* After an evaluation whose loss is not finite: names the first row whose
 * output is not, running the rows through the network again (this only
 * happens on the way to an error). The loss sums every output of every row
 * (a softmax row with a non-finite value turns NaN as a whole), so a
 * non-finite output always shows in it; a finite-output row set with an
 * infinite loss means the targets overflowed their scaling. */
static nnc_status find_nonfinite_row(nnc_net *net, const nnc_dataset *data, double loss)
{
    enum { BATCH = 256 };
    int in = data->n_inputs, outs = nnc_net_outputs(net);
    const int sparse = data->sparse_start != NULL;   /* a bag of words: its non-zeros */
    size_t index[BATCH];
    nnc_sparse_batch b;
    memset(&b, 0, sizeof b);
    float *x = sparse ? NULL : nnc_alloc(BATCH, (size_t)in * sizeof(float), 0);
    float *out = nnc_alloc(BATCH, (size_t)outs * sizeof(float), 0);
    nnc_status st = (sparse || x != NULL) && out != NULL ? NNC_OK : NNC_ENOMEM;
    if (st == NNC_OK && sparse)
        st = nnc_sparse_batch_init(&b, data, BATCH);
    int found = 0;
    for (int start = 0; st == NNC_OK && !found && start < data->rows; start += BATCH) {
        int n = data->rows - start < BATCH ? data->rows - start : BATCH;
        for (int i = 0; i < n; i++)
            index[i] = (size_t)start + (size_t)i;
        if (sparse) {
            st = nnc_sparse_batch_gather(&b, data, index, n, NULL);
            if (st == NNC_OK)
                st = nnc_net_set_sparse(net, &b.rows);
            if (st == NNC_OK)
                st = nnc_predict(net, NULL, n, out);
            nnc_net_set_sparse(net, NULL);
        } else {
            st = nnc_dataset_gather(data, index, n, x, NULL);
            if (st == NNC_OK)
                st = nnc_predict(net, x, n, out);
        }
        int bad = st == NNC_OK ? first_nonfinite_row(out, n, outs) : n;
        if (bad < n) {
            st = nonfinite_output("", start + bad + 1, out + (size_t)bad * outs, outs);
            found = 1;
        }
    }
    nnc_sparse_batch_release(&b);
    free(x);
    free(out);
    if (st == NNC_OK)
        st = nnc_fail(NNC_ENUMERIC, "the loss over the data is %g although every output is "
                                    "finite: the targets are too large for the model's "
                                    "target scaling", loss);
    return st;
}

nnc_status nnc_model_evaluate(nnc_model *model, const nnc_dataset *data,
                              nnc_metrics *metrics, int *confusion)
{
    if (model == NULL || data == NULL || metrics == NULL)
        return nnc_fail(NNC_EINVAL, "model evaluate: NULL argument");
    if (data->n_inputs != model->n_inputs)
        return nnc_fail(NNC_EINVAL, "model evaluate: the data has %d inputs, the model %d",
                        data->n_inputs, model->n_inputs);
    const nnc_normalizer *norm = model->norm;
    int inputs = changes_inputs(norm);
    int targets = norm != NULL && norm->n_targets > 0 && data->task == NNC_TASK_REGRESSION;
    if (targets && data->n_targets != norm->n_targets)
        return nnc_fail(NNC_EINVAL, "model evaluate: the data has %d targets, the model %d",
                        data->n_targets, norm->n_targets);
    /* Normalise a copy: the caller's data stays in its own units. */
    nnc_dataset *copy = NULL;
    nnc_status st = inputs || targets ? normalised_copy(norm, data, inputs, targets, &copy)
                                      : NNC_OK;
    const nnc_dataset *seen = copy != NULL ? copy : data;
    nnc_dataset *words = NULL;   /* the rows with their texts as bags of words */
    model->unknown_words = 0;
    if (st == NNC_OK && model->text != NULL) {
        st = nnc_text_columns_apply(model->text, seen, &words, &model->unknown_words);
        seen = words;
    }
    if (st == NNC_OK)
        st = nnc_evaluate_scaled(model->net, seen,
                                 norm && norm->n_targets ? norm->target_scale : NULL, metrics,
                                 confusion);
    if (st == NNC_OK && !isfinite(metrics->loss))
        st = find_nonfinite_row(model->net, seen, metrics->loss);
    nnc_dataset_free(words);
    nnc_dataset_free(copy);
    return st;
}

/* The outputs for a vectorised set (its inputs already normalised), batch
 * by batch, with regression targets back in their units. */
static nnc_status predict_sparse(nnc_model *model, const nnc_dataset *data, float *out)
{
    enum { BATCH = 256 };
    int outputs = nnc_net_outputs(model->net);
    size_t index[BATCH];
    nnc_sparse_batch b;
    nnc_status st = nnc_sparse_batch_init(&b, data, BATCH);
    for (int start = 0; st == NNC_OK && start < data->rows; start += BATCH) {
        int n = data->rows - start < BATCH ? data->rows - start : BATCH;
        float *o = out + (size_t)start * (size_t)outputs;
        for (int i = 0; i < n; i++)
            index[i] = (size_t)start + (size_t)i;
        st = nnc_sparse_batch_gather(&b, data, index, n, NULL);
        if (st == NNC_OK)
            st = nnc_net_set_sparse(model->net, &b.rows);
        if (st == NNC_OK)
            st = nnc_predict(model->net, NULL, n, o);
        nnc_net_set_sparse(model->net, NULL);
        if (st == NNC_OK && model->norm != NULL && model->norm->n_targets > 0)
            st = nnc_normalizer_restore_targets(model->norm, o, n);
        int bad = st == NNC_OK ? first_nonfinite_row(o, n, outputs) : n;
        if (bad < n)
            st = nonfinite_output("model predict: ", start + bad + 1,
                                  o + (size_t)bad * outputs, outputs);
    }
    nnc_sparse_batch_release(&b);
    return st;
}

long nnc_model_unknown_words(const nnc_model *model)
{
    return model != NULL ? model->unknown_words : 0;
}

nnc_status nnc_model_predict_data(nnc_model *model, const nnc_dataset *data, float *out)
{
    if (model == NULL || data == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "model predict data: NULL argument");
    if (data->n_inputs != model->n_inputs)
        return nnc_fail(NNC_EINVAL, "model predict data: the data has %d inputs, the model %d",
                        data->n_inputs, model->n_inputs);
    enum { BATCH = 256 };
    nnc_status st = NNC_OK;
    if (model->text == NULL) {
        size_t index[BATCH], outputs = (size_t)nnc_net_outputs(model->net);
        float *x = nnc_alloc(BATCH, (size_t)data->n_inputs * sizeof *x, 0);
        st = x != NULL ? NNC_OK : NNC_ENOMEM;
        for (int start = 0; st == NNC_OK && start < data->rows; start += BATCH) {
            int n = data->rows - start < BATCH ? data->rows - start : BATCH;
            for (int i = 0; i < n; i++)
                index[i] = (size_t)start + (size_t)i;
            st = nnc_dataset_gather(data, index, n, x, NULL);
            if (st == NNC_OK)
                st = nnc_model_predict(model, x, n, out + (size_t)start * outputs);
        }
        free(x);
        return st;
    }
    nnc_dataset *copy = NULL, *words = NULL;
    model->unknown_words = 0;
    if (changes_inputs(model->norm))
        st = normalised_copy(model->norm, data, 1, 0, &copy);
    if (st == NNC_OK)
        st = nnc_text_columns_apply(model->text, copy ? copy : data, &words,
                                    &model->unknown_words);
    if (st == NNC_OK)
        st = predict_sparse(model, words, out);
    nnc_dataset_free(words);
    nnc_dataset_free(copy);
    return st;
}

/* ln p_c - the mean of ln p_j over the classes: the softmax's input up to a
 * constant, so it does not saturate as p_c nears 1 (then ln p_c is 0 for
 * every strong word, and a ranking by it would be a tie). One sigmoid
 * output is class 1's probability, class 0's the rest: its logit, halved. */
static double centred_log(const float *p, int outputs, int c)
{
    if (outputs == 1) {
        double q = p[0] > 1e-30f ? p[0] : 1e-30, r = 1.0 - p[0] > 1e-30 ? 1.0 - p[0] : 1e-30;
        double half = 0.5 * (log(q) - log(r));
        return c == 1 ? half : -half;
    }
    double mean = 0.0;
    for (int j = 0; j < outputs; j++)
        mean += log(p[j] > 1e-30f ? p[j] : 1e-30);
    return log(p[c] > 1e-30f ? p[c] : 1e-30) - mean / outputs;
}

nnc_status nnc_model_term_scores(nnc_model *model, int t, float *scores)
{
    if (model == NULL || scores == NULL)
        return nnc_fail(NNC_EINVAL, "model term scores: NULL argument");
    const nnc_text_columns *tc = model->text;
    if (tc == NULL || t < 0 || t >= tc->n)
        return nnc_fail(NNC_EINVAL, "model term scores: the model has no text column %d", t + 1);
    int first = model->n_inputs;   /* the column's first term, among the inputs */
    for (int c = 0; c < t; c++)
        first += nnc_vectorizer_terms(tc->vec[c]);
    int n = nnc_vectorizer_terms(tc->vec[t]), outputs = nnc_net_outputs(model->net);
    int classify = model->task == NNC_TASK_CLASSIFICATION;
    int k = classify ? model->n_classes : outputs;
    enum { BATCH = 256 };
    /* Row 0 of a batch has no input at all (every number at its training
     * mean, no word); row 1 + i only term i, at 1 (a one-word text's count,
     * presence or unit-length tf-idf). */
    size_t start[BATCH + 2];
    int index[BATCH + 1];
    float value[BATCH + 1], *out = nnc_alloc(BATCH + 1, (size_t)outputs * sizeof *out, 0);
    if (out == NULL)
        return NNC_ENOMEM;
    nnc_status st = NNC_OK;
    for (int from = 0; st == NNC_OK && from < n; from += BATCH) {
        int m = n - from < BATCH ? n - from : BATCH;
        start[0] = 0;
        start[1] = 0;
        for (int i = 0; i < m; i++) {
            index[i] = first + from + i;
            value[i] = 1.0f;
            start[i + 2] = (size_t)i + 1;
        }
        nnc_sparse_rows rows = {start, index, value, index, m};
        st = nnc_net_set_sparse(model->net, &rows);
        if (st == NNC_OK)
            st = nnc_predict(model->net, NULL, m + 1, out);
        nnc_net_set_sparse(model->net, NULL);
        if (st == NNC_OK && !classify && model->norm != NULL && model->norm->n_targets > 0)
            st = nnc_normalizer_restore_targets(model->norm, out, m + 1);
        for (int i = 0; st == NNC_OK && i < m; i++) {
            const float *with = out + (size_t)(i + 1) * outputs;
            float *s = scores + (size_t)(from + i) * (size_t)k;
            for (int c = 0; c < k; c++)
                s[c] = classify ? (float)(centred_log(with, outputs, c) -
                                          centred_log(out, outputs, c))
                                : with[c] - out[c];
        }
    }
    free(out);
    return st;
}

/*
 * pipeline.c - what `nnc train` does, as one library call.
 *
 * A careful user's steps, in order: the preprocessing (imputation and
 * one-hot for a table) and the scaling are fitted on the training part
 * alone and applied to every part; the output layer and loss follow from
 * the task (sigmoid and binary cross-entropy for two classes, softmax and
 * cross-entropy for more, identity and MSE for values); the network is
 * fitted with early stopping on the validation part; the model, which keeps
 * the preprocessing, is judged on the untouched test part; what was done
 * is written into the model's metadata. nnc_train_csv adds the loading and
 * the seeded, stratified hold-outs in front.
 *
 * Everything random comes from the caller's generator in a fixed order
 * (the hold-outs, the initial weights, the shuffles), so the same options
 * and seed give the same model, bit for bit on the same machine and build.
 */
#include "data/data.h"
#include "model/model.h"
#include "nn/nn.h"
#include "text/text.h"
#include "train/train.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const optimizer_names[] = {"sgd", "momentum", "adam"};

nnc_pipeline_options nnc_pipeline_defaults(void)
{
    nnc_pipeline_options o;
    memset(&o, 0, sizeof o);
    o.csv = nnc_csv_defaults();
    o.csv.keep_missing = 1;
    o.csv.categorical = 1;
    o.validation_fraction = 0.2;
    o.test_fraction = 0.2;
    o.scaling = -1;
    o.layers = "32";
    o.activation = NNC_RELU;
    o.optimizer = NNC_OPTIMIZER_ADAM;
    o.learning_rate = 0.01;
    o.momentum = 0.9;
    o.fit = nnc_fit_defaults();
    o.fit.epochs = 100;
    o.fit.patience = 10;
    o.seed = 1;
    o.text = nnc_vectorizer_defaults();
    o.text.features = NNC_FEATURES_TFIDF;
    o.text.sublinear_tf = 1;
    return o;
}

void nnc_pipeline_result_free(nnc_pipeline_result *r)
{
    if (r == NULL)
        return;
    nnc_model_free(r->model);
    free(r->confusion);
    memset(r, 0, sizeof *r);
}

/* The parts the pipeline makes and frees, whatever happens. */
typedef struct parts {
    nnc_dataset *train, *val, *test;   /* encoded copies (train and val vectorised) */
    nnc_dataset *table;                /* the encoded training part, before its words */
    nnc_text_columns *text;
    nnc_encoder *encoder;
    nnc_normalizer *norm;
    nnc_net *net;
    nnc_optimizer *opt;
} parts;

static void parts_free(parts *p)
{
    nnc_dataset_free(p->train);
    nnc_dataset_free(p->val);
    nnc_dataset_free(p->test);
    nnc_dataset_free(p->table);
    nnc_text_columns_free(p->text);
    nnc_encoder_free(p->encoder);
    nnc_normalizer_free(p->norm);
    nnc_net_free(p->net);
    nnc_optimizer_free(p->opt);
}

/* A copy of data, through the encoder when there is one. */
static nnc_status encode(const parts *p, const nnc_pipeline_options *o, const nnc_dataset *data,
                         nnc_dataset **out, nnc_encode_report *report)
{
    *out = NULL;
    if (data == NULL)
        return NNC_OK;
    nnc_encode_report counts = {0, 0};
    nnc_status st;
    if (p->encoder != NULL) {
        st = nnc_encoder_apply(p->encoder, data, o->unknown, out, &counts);
    } else {
        *out = nnc_dataset_copy(data);
        st = *out != NULL ? NNC_OK : NNC_ENOMEM;
    }
    report->imputed += counts.imputed;
    report->unknown += counts.unknown;
    return st;
}

/* Imputation and one-hot for a table, fitted on the training part; images
 * (bytes) go as they are. */
static nnc_status preprocess(parts *p, const nnc_pipeline_options *o, const nnc_dataset *train,
                             const nnc_dataset *val, const nnc_dataset *test,
                             nnc_pipeline_result *r)
{
    nnc_status st = NNC_OK;
    if (train->x != NULL)
        st = nnc_encoder_fit(train, &o->encoding, &p->encoder);
    if (st == NNC_OK)
        st = encode(p, o, train, &p->train, &r->encoded);
    if (st == NNC_OK)
        st = encode(p, o, val, &p->val, &r->encoded);
    if (st == NNC_OK)
        st = encode(p, o, test, &p->test, &r->encoded);
    return st;
}

/* The scaling fitted on the training part and applied to it and to the
 * validation part; the test part stays in its units, as new data would. */
static nnc_status scale(parts *p, const nnc_pipeline_options *o)
{
    nnc_scaling kind = o->scaling >= 0 ? (nnc_scaling)o->scaling
                                       : p->train->bytes != NULL ? NNC_SCALE_NONE
                                                                 : NNC_SCALE_STANDARD;
    p->norm = nnc_normalizer_fit(p->train, kind);
    if (p->norm == NULL)
        return NNC_ENOMEM;
    nnc_status st = nnc_normalizer_apply(p->norm, p->train);
    if (st == NNC_OK && p->val != NULL)
        st = nnc_normalizer_apply(p->norm, p->val);
    return st;
}

/* Text columns: a vocabulary per column fitted on the training part, then
 * the training and validation parts as bags of words (sparse rows). The
 * test part stays a table, as new data would come: the model vectorises
 * it when it is judged. */
static nnc_status vectorise(parts *p, const nnc_pipeline_options *o, nnc_pipeline_result *r)
{
    if (p->train->n_text == 0)
        return NNC_OK;
    if (o->input_shape.channels > 0)
        return nnc_fail(NNC_EINVAL, "pipeline: a table with text columns has no input shape");
    nnc_status st = nnc_text_columns_fit(p->train, &o->text, &p->text);
    nnc_dataset *train = NULL, *val = NULL;
    if (st == NNC_OK)
        st = nnc_text_columns_apply(p->text, p->train, &train, NULL);
    if (st == NNC_OK && p->val != NULL)
        st = nnc_text_columns_apply(p->text, p->val, &val, &r->unknown_words);
    if (st != NNC_OK) {
        nnc_dataset_free(train);
        return st;
    }
    p->table = p->train;
    p->train = train;
    if (val != NULL) {
        nnc_dataset_free(p->val);
        p->val = val;
    }
    return NNC_OK;
}

/* The hidden layers as given, then the output layer and loss of the task. */
static nnc_status build(parts *p, const nnc_pipeline_options *o, nnc_rng *rng)
{
    const nnc_dataset *d = p->train;
    nnc_activation out = NNC_IDENTITY;
    nnc_loss loss = NNC_LOSS_MSE;
    if (d->task == NNC_TASK_CLASSIFICATION) {
        out = d->n_classes == 2 ? NNC_SIGMOID : NNC_SOFTMAX;
        loss = d->n_classes == 2 ? NNC_LOSS_BINARY_CROSS_ENTROPY
                                 : NNC_LOSS_SOFTMAX_CROSS_ENTROPY;
    }
    if ((p->net = nnc_net_new_shaped(d->shape)) == NULL)
        return NNC_ENOMEM;
    nnc_status st = nnc_net_add_layers(p->net, o->layers ? o->layers : "", o->activation);
    if (st == NNC_OK)
        st = nnc_net_add_dense(p->net, d->n_targets, out);
    /* A bag of words is read as sparse rows: its first layer keeps each
     * word's weights side by side. */
    if (st == NNC_OK && d->sparse_start != NULL) {
        const nnc_layer *first = nnc_net_layer(p->net, 0);
        if (first->type != &nnc_dense_type)
            st = nnc_fail(NNC_EINVAL, "pipeline: text columns need a dense first layer, "
                                      "and --layers starts with %s", first->type->name);
        else
            st = nnc_net_set_by_input(p->net);
    }
    if (st == NNC_OK)
        st = nnc_net_set_loss(p->net, loss);
    /* He suits ReLU's half-silenced units; Xavier the symmetric activations. */
    int relu_like = o->activation == NNC_RELU || o->activation == NNC_LEAKY_RELU;
    if (st == NNC_OK)
        st = nnc_net_init(p->net, relu_like ? NNC_INIT_HE : NNC_INIT_XAVIER, rng);
    return st;
}

static nnc_status make_optimizer(parts *p, const nnc_pipeline_options *o)
{
    float lr = (float)(o->learning_rate > 0 ? o->learning_rate : 0.01);
    switch (o->optimizer) {
    case NNC_OPTIMIZER_SGD: p->opt = nnc_sgd_new(lr); break;
    case NNC_OPTIMIZER_MOMENTUM: p->opt = nnc_momentum_new(lr, (float)o->momentum); break;
    case NNC_OPTIMIZER_ADAM: p->opt = nnc_adam_new(lr, 0.9f, 0.999f, 1e-8f); break;
    default: return nnc_fail(NNC_EINVAL, "pipeline: unknown optimizer %d", (int)o->optimizer);
    }
    if (p->opt == NULL)
        return NNC_ENOMEM;
    nnc_status st = nnc_optimizer_set_weight_decay(p->opt, (float)o->weight_decay);
    return st == NNC_OK ? nnc_optimizer_set_clip_norm(p->opt, (float)o->clip_norm) : st;
}

static nnc_status meta(nnc_model *m, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A metadata value sized to fit, so a long name is kept whole. */
static nnc_status meta(nnc_model *m, const char *key, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    char *value = n < 0 ? NULL : nnc_alloc((size_t)n + 1, 1, 0);
    if (value == NULL)
        return NNC_ENOMEM;
    va_start(args, fmt);
    vsnprintf(value, (size_t)n + 1, fmt, args);
    va_end(args);
    nnc_status st = nnc_model_set_meta(m, key, value);
    free(value);
    return st;
}

static const char *const schedule_names[] = {"constant", "step", "cosine"};

/* How the model was made, for `nnc info`. No clock time: the same run must
 * give the same file. */
static nnc_status describe(nnc_model *m, const nnc_pipeline_options *o, const parts *p,
                           const nnc_pipeline_result *r)
{
    nnc_status st = meta(m, "nnc_version", "%s", nnc_version());
    if (st == NNC_OK && o->data_name != NULL)
        st = meta(m, "data", "%s", o->data_name);
    st = st ? st : meta(m, "target", "%s", p->train->target_name);
    /* A dialect that cannot be told from the file itself is kept, so later
     * files of the same kind are read the same way. */
    if (o->csv.no_header)
        st = st ? st : meta(m, "csv_no_header", "yes");
    if (o->csv.delimiter != '\0')
        st = st ? st : meta(m, "csv_delimiter", "%d", (int)(unsigned char)o->csv.delimiter);
    st = st ? st : meta(m, "hidden_layers", "%s", o->layers ? o->layers : "");
    st = st ? st : meta(m, "activation", "%s", nnc_activation_name(o->activation));
    st = st ? st : meta(m, "optimizer", "%s", optimizer_names[o->optimizer]);
    st = st ? st : meta(m, "learning_rate", "%g", nnc_optimizer_learning_rate(p->opt));
    st = st ? st : meta(m, "weight_decay", "%g", o->weight_decay);
    st = st ? st : meta(m, "clip_norm", "%g", o->clip_norm);
    st = st ? st : meta(m, "schedule", "%s", schedule_names[o->fit.schedule]);
    st = st ? st : meta(m, "batch_size", "%d", o->fit.batch_size);
    st = st ? st : meta(m, "epochs", "%d", o->fit.epochs);
    st = st ? st : meta(m, "epochs_run", "%d", r->fit.epochs_run);
    st = st ? st : meta(m, "best_epoch", "%d", r->fit.best_epoch);
    st = st ? st : meta(m, "stopped_early", "%s", r->fit.stopped_early ? "yes" : "no");
    st = st ? st : meta(m, "seed", "%llu", (unsigned long long)o->seed);
    st = st ? st : meta(m, "train_rows", "%d", r->train_rows);
    st = st ? st : meta(m, "validation_rows", "%d", r->validation_rows);
    st = st ? st : meta(m, "test_rows", "%d", r->test_rows);
    if (r->rows_left_out > 0)
        st = st ? st : meta(m, "rows_left_out", "%d (target missing)", r->rows_left_out);
    st = st ? st : meta(m, "train_loss", "%.6g", r->fit.train.loss);
    if (p->val != NULL)
        st = st ? st : meta(m, "validation_loss", "%.6g", r->fit.val.loss);
    if (r->has_test && m->task == NNC_TASK_CLASSIFICATION)
        st = st ? st : meta(m, "test_accuracy", "%.6g", r->test.accuracy);
    else if (r->has_test)
        st = st ? st : meta(m, "test_r2", "%.6g", r->test.r2);
    return st;
}

/* The model of the fitted parts, which it takes, with its preprocessing. */
static nnc_status package(parts *p, const nnc_pipeline_options *o, nnc_pipeline_result *r)
{
    nnc_model *model = p->text != NULL ? nnc_model_new_text(p->net, p->norm, p->table, p->text)
                                       : nnc_model_new(p->net, p->norm, p->train);
    if (model == NULL)
        return NNC_ENOMEM;
    p->net = NULL;
    p->norm = NULL;
    p->text = NULL;
    r->model = model;
    nnc_status st = NNC_OK;
    if (p->encoder != NULL && (st = nnc_model_set_encoder(model, p->encoder)) == NNC_OK)
        p->encoder = NULL;
    if (st == NNC_OK && o->csv.n_drop > 0)
        st = nnc_model_set_dropped(model, o->csv.drop, o->csv.n_drop);
    return st;
}

/* The model judged on the test part; the confusion matrix when asked for. */
static nnc_status judge(const parts *p, const nnc_pipeline_options *o, nnc_pipeline_result *r)
{
    if (p->test == NULL)
        return NNC_OK;
    int k = r->model->n_classes;
    if (o->confusion && k > 0 &&
        (r->confusion = nnc_alloc((size_t)k * (size_t)k, sizeof *r->confusion, 1)) == NULL)
        return NNC_ENOMEM;
    r->has_test = 1;
    return nnc_model_evaluate(r->model, p->test, &r->test, r->confusion);
}

nnc_status nnc_pipeline_fit(const nnc_dataset *train, const nnc_dataset *validation,
                            const nnc_dataset *test, const nnc_pipeline_options *options,
                            nnc_rng *rng, nnc_pipeline_result *result)
{
    if (train == NULL || options == NULL || rng == NULL || result == NULL)
        return nnc_fail(NNC_EINVAL, "pipeline fit: NULL argument");
    memset(result, 0, sizeof *result);
    result->rows_left_out = train->left_out;
    const nnc_pipeline_options *o = options;
    parts p = {0};
    nnc_status st = preprocess(&p, o, train, validation, test, result);
    if (st == NNC_OK)
        st = scale(&p, o);
    if (st == NNC_OK)
        st = vectorise(&p, o, result);
    if (st == NNC_OK)
        st = build(&p, o, rng);
    if (st == NNC_OK)
        st = make_optimizer(&p, o);
    nnc_fit_options f = o->fit;
    f.validation = p.val;
    f.patience = p.val != NULL ? o->fit.patience : 0;
    f.target_scale = nnc_normalizer_target_scale(p.norm);
    if (st == NNC_OK)
        st = nnc_fit(p.net, p.opt, p.train, &f, rng, &result->fit);
    result->train_rows = p.train ? p.train->rows : 0;
    result->validation_rows = p.val ? p.val->rows : 0;
    result->test_rows = p.test ? p.test->rows : 0;
    if (st == NNC_OK)
        st = package(&p, o, result);
    if (st == NNC_OK)
        st = judge(&p, o, result);
    if (st == NNC_OK)
        st = describe(result->model, o, &p, result);
    if (st != NNC_OK) {
        nnc_model_free(result->model);
        free(result->confusion);
        result->model = NULL;
        result->confusion = NULL;
    }
    parts_free(&p);
    return st;
}

/* Cuts fraction of *data off into *part (none when fraction is 0). */
static nnc_status hold_out(nnc_dataset **data, double fraction, nnc_rng *rng,
                           nnc_dataset **part)
{
    *part = NULL;
    if (fraction <= 0.0)
        return NNC_OK;
    nnc_dataset *rest;
    nnc_status st = nnc_dataset_split(*data, fraction, rng, &rest, part);
    if (st != NNC_OK)
        return st;
    nnc_dataset_free(*data);
    *data = rest;
    return NNC_OK;
}

nnc_status nnc_train_csv(const char *path, const nnc_pipeline_options *options,
                         nnc_pipeline_result *result)
{
    if (path == NULL || options == NULL || result == NULL)
        return nnc_fail(NNC_EINVAL, "train csv: NULL argument");
    memset(result, 0, sizeof *result);
    nnc_pipeline_options o = *options;
    if (o.data_name == NULL)
        o.data_name = path;
    nnc_rng rng;
    nnc_rng_seed(&rng, o.seed);
    nnc_dataset *data = NULL, *val = NULL, *test = NULL;
    nnc_status st = nnc_dataset_load_csv(path, &o.csv, &data);
    if (st == NNC_OK && o.input_shape.channels > 0)
        st = nnc_dataset_set_shape(data, o.input_shape);
    int left_out = data ? data->left_out : 0;
    if (st == NNC_OK)
        st = hold_out(&data, o.test_fraction, &rng, &test);
    if (st == NNC_OK)
        st = hold_out(&data, o.validation_fraction, &rng, &val);
    if (st == NNC_OK) {
        data->left_out = left_out;   /* the split's parts report 0 */
        st = nnc_pipeline_fit(data, val, test, &o, &rng, result);
    }
    nnc_dataset_free(data);
    nnc_dataset_free(val);
    nnc_dataset_free(test);
    return st;
}

nnc_status nnc_model_read_csv(const nnc_model *model, const char *path,
                              const nnc_csv_options *options, nnc_unknown_policy unknown,
                              nnc_dataset **out, nnc_encode_report *report, int *left_out)
{
    if (out != NULL)
        *out = NULL;
    if (model == NULL || path == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "model read csv: NULL argument");
    const nnc_encoder *enc = model->encoder;
    int n = enc ? enc->n_columns : model->n_inputs, k = model->n_classes;
    const char **inputs = nnc_alloc((size_t)n, sizeof *inputs, 0);
    nnc_column_kind *kinds = nnc_alloc((size_t)n, sizeof *kinds, 0);
    if (inputs == NULL || kinds == NULL) {
        free(inputs);
        free(kinds);
        return NNC_ENOMEM;
    }
    for (int j = 0; j < n; j++) {
        inputs[j] = enc ? enc->columns[j].name : model->input_names[j];
        kinds[j] = enc ? enc->columns[j].kind : NNC_COLUMN_NUMERIC;
    }
    nnc_csv_options csv = nnc_csv_defaults();
    csv.keep_missing = 1;   /* without options: fill gaps, as the pipeline does */
    if (options != NULL)
        csv = *options;
    csv.inputs = inputs;
    csv.n_inputs = n;
    csv.input_kinds = enc ? kinds : NULL;
    csv.classes = k > 0 && !csv.no_target ? (const char *const *)model->class_labels : NULL;
    csv.n_classes = k > 0 && !csv.no_target ? k : 0;
    csv.task = csv.no_target ? NNC_TASK_AUTO : model->task;
    csv.ignore = (const char *const *)model->dropped;
    csv.n_ignore = model->n_dropped;
    csv.text = model->text ? (const char *const *)model->text->names : NULL;
    csv.n_text = model->text ? model->text->n : 0;
    if (csv.target == NULL)
        csv.target = nnc_model_meta(model, "target");
    /* The dialect the model was trained on, unless the options give one. */
    const char *no_header = nnc_model_meta(model, "csv_no_header");
    const char *delimiter = nnc_model_meta(model, "csv_delimiter");
    if (no_header != NULL && strcmp(no_header, "yes") == 0)
        csv.no_header = 1;
    if (delimiter != NULL && csv.delimiter == '\0') {
        int d = atoi(delimiter);
        if (d > 0 && d < 256)
            csv.delimiter = (char)d;
    }
    if (enc == NULL)
        csv.keep_missing = 0;   /* nothing would fill them */
    nnc_dataset *raw = NULL;
    nnc_status st = nnc_dataset_load_csv(path, &csv, &raw);
    if (st == NNC_OK && left_out != NULL)
        *left_out = raw->left_out;
    if (st == NNC_OK)
        st = nnc_model_encode(model, raw, unknown, out, report);
    nnc_dataset_free(raw);
    free(inputs);
    free(kinds);
    return st;
}

nnc_status nnc_model_predict_csv(nnc_model *model, const char *path,
                                 const nnc_csv_options *options, nnc_unknown_policy unknown,
                                 float **out, int *rows)
{
    if (out != NULL)
        *out = NULL;
    if (model == NULL || path == NULL || out == NULL || rows == NULL)
        return nnc_fail(NNC_EINVAL, "model predict csv: NULL argument");
    nnc_csv_options csv = nnc_csv_defaults();
    csv.keep_missing = 1;
    if (options != NULL)
        csv = *options;
    csv.no_target = 1;   /* a target column there is skipped unread */
    nnc_dataset *data = NULL;
    nnc_status st = nnc_model_read_csv(model, path, &csv, unknown, &data, NULL, NULL);
    if (st != NNC_OK)
        return st;
    size_t n = (size_t)data->rows, outputs = (size_t)nnc_net_outputs(model->net);
    float *result = nnc_alloc(n, outputs * sizeof *result, 0);
    st = result != NULL ? nnc_model_predict_data(model, data, result) : NNC_ENOMEM;
    if (st == NNC_OK) {
        *out = result;
        *rows = data->rows;
    } else {
        free(result);
    }
    nnc_dataset_free(data);
    return st;
}

nnc_status nnc_model_evaluate_csv(nnc_model *model, const char *path,
                                  const nnc_csv_options *options, nnc_unknown_policy unknown,
                                  nnc_metrics *metrics, int *confusion)
{
    if (model == NULL || path == NULL || metrics == NULL)
        return nnc_fail(NNC_EINVAL, "model evaluate csv: NULL argument");
    nnc_dataset *data = NULL;
    nnc_status st = nnc_model_read_csv(model, path, options, unknown, &data, NULL, NULL);
    if (st == NNC_OK)
        st = nnc_model_evaluate(model, data, metrics, confusion);
    nnc_dataset_free(data);
    return st;
}

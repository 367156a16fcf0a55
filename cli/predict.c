/*
 * predict.c - `nnc predict`: one prediction per row of a CSV file.
 *
 * The file's columns are matched to the model's inputs by name, normalised
 * exactly as in training (the model carries the transform), and each row's
 * prediction is written as CSV: the predicted label (or value) and, for
 * classification, the probability of every class.
 */
#define _DEFAULT_SOURCE
#include "args.h"
#include "commands.h"
#include "data_source.h"
#include "model_data.h"
#include "outputs.h"
#include "report.h"

#include "nnc.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef struct predict_options {
    const char *model;
    const char *data;
    const char *out;   /* NULL: stdout */
    csv_dialect dialect;
    model_data_options table;   /* --target, --drop, --missing, --unknown */
    const char *id;             /* --id: a column copied into the predictions */
} predict_options;

static void usage(FILE *to)
{
    fprintf(to,
            "usage: nnc predict --model FILE.nnc --data FILE.csv [--out FILE.csv]\n"
            "\n"
            "Predicts every row of a CSV file whose header names the model's input columns,\n"
            "in any order (the target and the columns dropped in training may be there too;\n"
            "they are ignored). Writes CSV: the predicted label or value, then for\n"
            "classification one probability column per class.\n"
            "\n"
            "  --model FILE           a model made by nnc train\n"
            "  --data FILE            the rows to predict\n"
            "  --out FILE             where the predictions go (default: standard output),\n"
            "                         written atomically (a new file renamed into place; a\n"
            "                         symbolic link's target is replaced, permissions are\n"
            "                         kept), except a device, FIFO or socket, which is\n"
            "                         written to directly; it may not be the model or the\n"
            "                         data\n"
            "  --id COLUMN            copy this column (an identifier) into the predictions,\n"
            "                         as their first column\n"
            MODEL_DATA_HELP
            CSV_DIALECT_HELP
            "  -h, --help             this help\n");
}

static int parse_options(int argc, char **argv, predict_options *o)
{
    static const struct option longs[] = {
        { "model", required_argument, NULL, 'm' }, { "data", required_argument, NULL, 'd' },
        { "out", required_argument, NULL, 'o' },   { "help", no_argument, NULL, 'h' },
        { "delimiter", required_argument, NULL, 'D' }, { "no-header", no_argument, NULL, 'H' },
        { "id", required_argument, NULL, 'I' },
        MODEL_DATA_LONG_OPTIONS,                    { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof *o);
    begin_options();
    int c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'd': o->data = optarg; break;
        case 'o': o->out = optarg; break;
        case 'I': o->id = optarg; break;
        case 'D':
            if (csv_dialect_delimiter(&o->dialect, "predict", optarg) != 0)
                return -1;
            break;
        case 'H': o->dialect.no_header = 1; break;
        case 'h': usage(stdout); return 1;
        default: {
            int taken = model_data_option(&o->table, "predict", c, optarg);
            if (taken < 0)
                return -1;
            if (taken > 0)
                return bad_option("predict", argv, longs);
        }
        }
    }
    if (no_extra_arguments("predict", argc, argv) != 0)
        return -1;
    if (o->model == NULL || o->data == NULL) {
        fprintf(stderr, "nnc predict: --model and --data are required (try nnc predict --help)\n");
        return -1;
    }
    return 0;
}

static void write_header(FILE *fp, const nnc_model *model, const char *id)
{
    if (id != NULL) {
        put_csv_field(fp, id);
        fputc(',', fp);
    }
    fputs("prediction", fp);
    for (int k = 0; k < nnc_model_classes(model); k++) {
        char name[512];
        snprintf(name, sizeof name, "p_%s", nnc_model_class_label(model, k));
        fputc(',', fp);
        put_csv_field(fp, name);
    }
    fputc('\n', fp);
}

/* One output row: for two classes the network gives P(second class) only. */
static void write_row(FILE *fp, const nnc_model *model, const char *id, const float *out,
                      int outputs)
{
    if (id != NULL) {
        put_csv_field(fp, id);
        fputc(',', fp);
    }
    int k = nnc_model_classes(model);
    if (k == 0) {
        for (int j = 0; j < outputs; j++)
            fprintf(fp, "%s%.9g", j ? "," : "", out[j]);
        fputc('\n', fp);
        return;
    }
    int cls;
    nnc_output_classes(out, 1, outputs, &cls);
    put_csv_field(fp, nnc_model_class_label(model, cls));
    for (int c = 0; c < k; c++)
        fprintf(fp, ",%.6f", outputs == 1 ? (c == 0 ? 1.0 - out[0] : out[0]) : out[c]);
    fputc('\n', fp);
}

/* nnc_model_predict refuses an output that is not finite, naming the row of
 * its own call and leaving out filled; the row of the file is the batch's
 * first row plus the first such row of out. */
static int report_failure(nnc_status st, const char *path, const float *out, int n,
                          int outputs, int start)
{
    if (st != NNC_ENUMERIC)
        return fail_with_library_error();
    for (int i = 0; i < n; i++)
        for (int j = 0; j < outputs; j++)
            if (!isfinite(out[(size_t)i * outputs + j])) {
                fprintf(stderr, "nnc: %s: row %d: the model's output is not finite (%s): its "
                                "weights or the row's inputs are too large for float "
                                "arithmetic\n",
                        path, start + i + 1, isnan(out[(size_t)i * outputs + j]) ? "NaN"
                                                                               : "infinite");
                return 1;
            }
    return fail_with_library_error();
}

/* Predicts every row, batch by batch, writing each to fp; with fp NULL only
 * checks that every row can be predicted. */
static int write_predictions(FILE *fp, const char *path, const char *id_name, nnc_model *model,
                             const nnc_dataset *data)
{
    int rows = nnc_dataset_rows(data), outputs = nnc_net_outputs(nnc_model_net(model));
    /* Zeroed: after a refused row, the rows never reached read as finite. */
    float *out = calloc((size_t)rows * (size_t)outputs, sizeof *out);
    if (out == NULL) {
        fprintf(stderr, "nnc: out of memory\n");
        return 1;
    }
    /* Every row at once (the library batches it), text columns included. */
    nnc_status st = nnc_model_predict_data(model, data, out);
    int rc = st == NNC_OK ? 0 : report_failure(st, path, out, rows, outputs, 0);
    if (rc == 0 && fp != NULL)   /* once, though standard output is predicted twice */
        report_unknown_words(model, "predict", path);
    if (rc == 0 && fp != NULL) {
        write_header(fp, model, nnc_dataset_id(data, 0) != NULL ? id_name : NULL);
        for (int i = 0; i < rows; i++)
            write_row(fp, model, nnc_dataset_id(data, i), out + (size_t)i * outputs, outputs);
    }
    free(out);
    return rc;
}

/* A refused row must leave no half-written predictions behind. A file is
 * written atomically, so a failure leaves whatever was there before. Standard
 * output cannot be taken back: every row is predicted once without writing
 * first, which costs a second forward pass but no memory. */
static int predict_to(const predict_options *o, nnc_model *model, const nnc_dataset *data)
{
    if (o->out == NULL) {
        int rc = write_predictions(NULL, o->data, o->id, model, data);
        if (rc == 0)
            rc = write_predictions(stdout, o->data, o->id, model, data);
        return fflush(stdout) == 0 ? rc : 1;
    }
    nnc_atomic_file *file;
    if (nnc_atomic_open(o->out, &file) != NNC_OK)
        return fail_with_library_error();
    if (write_predictions(nnc_atomic_stream(file), o->data, o->id, model, data) != 0) {
        nnc_atomic_abort(file);
        return 1;
    }
    return nnc_atomic_commit(file) == NNC_OK ? 0 : fail_with_library_error();
}

static int predict_with(const predict_options *opts);

int command_predict(int argc, char **argv)
{
    predict_options o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) {
        free_names(o.table.drop);
        return parsed > 0 ? 0 : 2;
    }
    int rc = predict_with(&o);
    free_names(o.table.drop);
    return rc;
}

static int predict_with(const predict_options *opts)
{
    predict_options o = *opts;
    const named_path in[] = { { "--model", o.model, NULL }, { "--data", o.data, NULL } };
    const named_path out[] = { { "--out", o.out, NULL } };
    if (check_outputs("predict", in, 2, out, 1) != 0)
        return 1;
    nnc_model *model = load_model(o.model);
    if (model == NULL)
        return 1;
    nnc_dataset *data = NULL;
    int rc = model_target_check(model, "predict", o.table.target);
    if (rc == 0) {
        data = model_read_table(model, "predict", o.data, &o.dialect, &o.table, o.id, 1);
        rc = data == NULL;
    }
    if (rc == 0)
        rc = predict_to(&o, model, data);
    nnc_dataset_free(data);
    nnc_model_free(model);
    return rc;
}

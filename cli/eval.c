/*
 * eval.c - `nnc eval`: how good a model is on labelled data it has not seen.
 *
 * Classification: accuracy, the confusion matrix, each class's precision and
 * recall (optionally a confusion-matrix picture and CSV file). Regression:
 * MSE, MAE, R². The k x k matrix is computed only when something shows it:
 * for 32,768 classes it would be 4 GB of counts that nothing prints.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct eval_options {
    const char *model;
    data_source src;
    const char *plot;
    const char *confusion;   /* --confusion: the matrix as CSV */
    model_data_options table;   /* --target, --drop, --missing, --unknown */
    char residuals[4096];       /* a regression's second picture, beside --plot */
} eval_options;

static void usage(FILE *to)
{
    fprintf(to,
            "usage: nnc eval --model FILE.nnc (--data FILE.csv | --images F --labels F)\n"
            "                [--plot confusion.png] [--confusion confusion.csv]\n"
            "\n"
            "Judges a model on labelled data: accuracy, confusion matrix, per-class\n"
            "precision and recall for classification; MSE, MAE and R2 for regression.\n"
            "The matrix and the per-class lines are printed for up to %d classes; a\n"
            "larger matrix goes to --plot or --confusion. Both are written atomically\n"
            "(a device, FIFO or socket directly) and may not name an input.\n"
            "\n"
            "  --model FILE           a model made by nnc train\n"
            "  --data FILE            CSV with the model's input columns and its target, in\n"
            "                         any order; the columns it dropped in training may be\n"
            "                         there too\n"
            "  --images F --labels F  IDX image and label files\n"
            "  --plot FILE            draw the confusion matrix as a PNG (up to %d classes);\n"
            "                         for a regression the predictions against the truth,\n"
            "                         and their residuals beside it (FILE-residuals.png)\n"
            "  --confusion FILE       write the confusion matrix as CSV, a header of\n"
            "                         predicted labels, a line per true label (up to %d\n"
            "                         classes)\n"
            MODEL_DATA_HELP
            CSV_DIALECT_HELP
            "  -h, --help             this help\n",
            REPORT_MAX_CLASSES, NNC_PLOT_MAX_CONFUSION, CONFUSION_FILE_MAX);
}

static int parse_options(int argc, char **argv, eval_options *o)
{
    static const struct option longs[] = {
        { "model", required_argument, NULL, 'm' },  { "data", required_argument, NULL, 'd' },
        { "images", required_argument, NULL, 'i' }, { "labels", required_argument, NULL, 'l' },
        { "plot", required_argument, NULL, 'p' },   { "confusion", required_argument, NULL, 'c' },
        { "delimiter", required_argument, NULL, 'D' }, { "no-header", no_argument, NULL, 'H' },
        MODEL_DATA_LONG_OPTIONS,
        { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
    };
    memset(o, 0, sizeof *o);
    begin_options();
    int c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'd': o->src.csv = optarg; break;
        case 'i': o->src.images = optarg; break;
        case 'l': o->src.labels = optarg; break;
        case 'p': o->plot = optarg; break;
        case 'c': o->confusion = optarg; break;
        case 'D':
            if (csv_dialect_delimiter(&o->src.dialect, "eval", optarg) != 0)
                return -1;
            break;
        case 'H': o->src.dialect.no_header = 1; break;
        case 'h': usage(stdout); return 1;
        default: {
            int taken = model_data_option(&o->table, "eval", c, optarg);
            if (taken < 0)
                return -1;
            if (taken > 0)
                return bad_option("eval", argv, longs);
        }
        }
    }
    if (no_extra_arguments("eval", argc, argv) != 0)
        return -1;
    if (o->model == NULL) {
        fprintf(stderr, "nnc eval: --model is required (try nnc eval --help)\n");
        return -1;
    }
    return data_source_check(&o->src, "eval");
}

static int plot_confusion(const char *path, const nnc_model *model, const int *confusion)
{
    int k = nnc_model_classes(model);
    const char **labels = malloc((size_t)k * sizeof *labels);
    if (labels == NULL)
        return 1;
    for (int i = 0; i < k; i++)
        labels[i] = nnc_model_class_label(model, i);
    int rc = nnc_plot_confusion(path, confusion, k, labels, "Confusion matrix") == NNC_OK
                 ? 0 : fail_with_library_error();
    free(labels);
    return rc;
}

/* Refuses, before anything is computed, a matrix output the model has too
 * many classes for. */
static int check_matrix_outputs(const eval_options *o, int k)
{
    if (o->plot != NULL && k > NNC_PLOT_MAX_CONFUSION) {
        fprintf(stderr, "nnc eval: --plot draws a confusion matrix of at most %d classes; "
                        "the model has %d\n", NNC_PLOT_MAX_CONFUSION, k);
        return 1;
    }
    if (o->confusion != NULL && k > CONFUSION_FILE_MAX) {
        fprintf(stderr, "nnc eval: --confusion writes a confusion matrix of at most %d "
                        "classes; the model has %d\n", CONFUSION_FILE_MAX, k);
        return 1;
    }
    if (o->confusion != NULL && k == 0) {
        fprintf(stderr, "nnc eval: --confusion needs a classification model\n");
        return 1;
    }
    return 0;
}

static int evaluate(const eval_options *o, nnc_model *model, const nnc_dataset *data)
{
    int k = nnc_model_classes(model);
    int wanted = confusion_printed(k) || o->plot != NULL || o->confusion != NULL;
    int *confusion = wanted ? calloc((size_t)k * (size_t)k, sizeof *confusion) : NULL;
    nnc_metrics m;
    if (wanted && confusion == NULL) {
        fprintf(stderr, "nnc: out of memory\n");
        return 1;
    }
    int rc = 0;
    if (nnc_model_evaluate(model, data, &m, confusion) != NNC_OK) {
        /* The library names the row; the data's name says of what. */
        fprintf(stderr, "nnc: %s: %s\n", data_source_name(&o->src), nnc_last_error());
        rc = 1;
    }
    if (rc == 0)
        report_unknown_words(model, "eval", data_source_name(&o->src));
    if (rc == 0 && o->plot && k > 0)
        rc = plot_confusion(o->plot, model, confusion);
    else if (rc == 0 && o->plot)
        rc = plot_regression(o->plot, o->residuals, model, data, data_source_name(&o->src));
    if (rc == 0 && o->confusion)
        rc = write_confusion(o->confusion, model, confusion);
    if (rc == 0) {
        print_metrics(stdout, data_source_name(&o->src), nnc_model_task(model), &m);
        if (k > 0)
            print_confusion(stdout, model, confusion);
    }
    free(confusion);
    return rc;
}

static int eval_with(eval_options *opts);

/* A regression's residual picture beside --plot's: a.png gives
 * a-residuals.png, a gives a-residuals.png. */
static int residuals_path(const char *plot, char *out, size_t size)
{
    size_t n = strlen(plot);
    int png = n >= 4 && strcmp(plot + n - 4, ".png") == 0;
    int w = snprintf(out, size, "%.*s-residuals.png", (int)(png ? n - 4 : n), plot);
    return w < 0 || (size_t)w >= size ? -1 : 0;
}

int command_eval(int argc, char **argv)
{
    eval_options o;
    int parsed = parse_options(argc, argv, &o);
    if (parsed != 0) {
        free_names(o.table.drop);
        return parsed > 0 ? 0 : 2;
    }
    int rc = eval_with(&o);
    free_names(o.table.drop);
    return rc;
}

static int eval_with(eval_options *opts)
{
    eval_options o = *opts;
    const named_path in[] = { { "--model", o.model, NULL },
                              { "--data", o.src.csv, NULL },
                              { "--images", o.src.images, NULL },
                              { "--labels", o.src.labels, NULL } };
    if (o.plot != NULL && residuals_path(o.plot, o.residuals, sizeof o.residuals) != 0) {
        fprintf(stderr, "nnc eval: --plot: the path is too long\n");
        return 1;
    }
    const named_path out[] = { { "--plot", o.plot, NULL }, { "--confusion", o.confusion, NULL },
                               { "--plot", o.plot ? o.residuals : NULL, NULL } };
    if (check_outputs("eval", in, 4, out, 3) != 0)
        return 1;
    nnc_model *model = load_model(o.model);
    if (model == NULL)
        return 1;
    nnc_dataset *data = NULL;
    int rc = check_matrix_outputs(&o, nnc_model_classes(model));
    if (rc == 0)
        rc = model_target_check(model, "eval", o.table.target);
    if (rc == 0 && o.src.csv != NULL) {
        data = model_read_table(model, "eval", o.src.csv, &o.src.dialect, &o.table, NULL, 0);
        rc = data == NULL;
    } else if (rc == 0) {
        nnc_csv_options unused = nnc_csv_defaults();   /* IDX files take none */
        rc = (data = data_source_load(&o.src, &unused)) == NULL;
    }
    if (rc == 0 && nnc_dataset_inputs(data) != nnc_model_inputs(model)) {
        fprintf(stderr, "nnc: %s has %d inputs, the model takes %d\n",
                data_source_name(&o.src), nnc_dataset_inputs(data), nnc_model_inputs(model));
        rc = 1;
    }
    if (rc == 0)
        rc = evaluate(&o, model, data);
    nnc_dataset_free(data);
    nnc_model_free(model);
    return rc;
}

/*
 * train.c - `nnc train`: data in, a trained model file out.
 *
 * The steps a careful user would take by hand: load the data, hold out a test
 * part and a validation part (seeded), fit the normalisation on the training
 * part only, build a network whose output suits the task, train with early
 * stopping, judge the model on the held-out test part, then save the model,
 * the training log and the pictures.
 */
#define _DEFAULT_SOURCE
#include "args.h"
#include "commands.h"
#include "data_source.h"
#include "history.h"
#include "json.h"
#include "outputs.h"
#include "progress.h"
#include "report.h"
#include "train.h"

#include "nnc.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>




static const char *const task_names[] = { "auto", "classification", "regression", NULL };
static const char *const optimizer_names[] = { "sgd", "momentum", "adam", NULL };
static const char *const schedule_names[] = { "constant", "step", "cosine", NULL };
static const char *const scaling_names[] = { "none", "standard", "minmax", NULL };
static const char *const normalize_names[] = { "none", "stem", "lemma", NULL };
static const char *const feature_names[] = { "counts", "binary", "tfidf", "tfidf-linear", NULL };
static const char *const progress_names[] = { "auto", "bar", "plain", "json", "quiet", NULL };

static void usage(FILE *to, const char *command)
{
    if (strcmp(command, "cv") == 0)
        fprintf(to,
            "usage: nnc cv --folds K (--data FILE.csv | --images F --labels F) [options]\n"
            "\n"
            "Cross-validates what nnc train would do: the rows are dealt into K folds\n"
            "(stratified by class, shuffled with --seed); each fold in turn is the test\n"
            "part of a model trained on the others exactly as nnc train trains (a\n"
            "--validation part of them for early stopping, the encoding and scaling\n"
            "fitted on the rest). Prints every fold's test metric, then their mean and\n"
            "standard deviation (NumPy's, over the folds), as scikit-learn's\n"
            "cross_val_score. No model is saved.\n"
            "\n"
            "  --folds K              the number of folds (default 5)\n"
            "  --folds-out FILE       each row's fold as CSV (line,fold): the file line\n"
            "                         the row starts on, and its fold from 1\n"
            "\n"
            "and all of nnc train's options but --test, --test-images, --checkpoint,\n"
            "--resume, --out, --log and --plot-dir:\n\n");
    else
        fprintf(to,
            "usage: nnc train (--data FILE.csv | --images FILE --labels FILE) [options]\n"
            "\n"
            "Trains a network on a data set and saves it as a model file.\n"
            "\n");
    fprintf(to,
        "data:\n"
        "  --data FILE            CSV with a header row (or --no-header)\n"
        "  --images F --labels F  IDX image and label files (raw or .gz), e.g. Fashion-MNIST\n"
        "  --target NAME          target column (default: the last column)\n"
        "  --drop A,B             columns to leave out\n"
        CSV_DIALECT_HELP
        "                         a column with text is categorical: one input per\n"
        "                         category of the training part (one-hot)\n"
        TABLE_POLICY_HELP
        "  --missing-indicator    add a 0/1 input per column that had missing cells\n"
        "  --text A,B             columns of free text, each a bag of words (its own\n"
        "                         vocabulary, fitted on the training part); they may sit\n"
        "                         beside numeric and categorical columns\n"
        "  --normalize N          none | stem | lemma: words as they are (case-folded),\n"
        "                         Snowball stems, or WordNet lemmas (default lemma)\n"
        "  --text-features F      counts | binary | tfidf (1 + ln tf) | tfidf-linear\n"
        "                         (default tfidf; tf-idf rows have unit length)\n"
        "  --bigrams              also count pairs of neighbouring words\n"
        "  --min-documents N      leave out terms in fewer training texts (default 1)\n"
        "  --max-terms N          keep the N most frequent terms per column (default all)\n"
        "  --stop-words FILE      words never counted, one per line\n"
        "  --task T               auto | classification | regression (default auto)\n"
        "  --class-names A,B,...  names for the classes in index order (e.g. for IDX\n"
        "                         data, whose classes are only numbered)\n"
        "  --scale S              none | standard | minmax (default: standard for CSV,\n"
        "                         none for images, which are scaled to [0, 1])\n"
        "  --validation F         fraction held out for validation (default 0.2; 0: none)\n"
        "  --test F               fraction held out for the final test (default 0.2; 0: none)\n"
        "  --test-images F --test-labels F   a separate IDX test set instead of --test\n"
        "  --validation-data F    a separate CSV validation set instead of --validation\n"
        "  --test-data F          a separate CSV test set instead of --test; both have\n"
        "                         the training file's columns (in any order)\n"
        "  --input-shape S        the shape of one row's inputs, CxHxW (1x8x8), HxW (8x8 is\n"
        "                         1x8x8) or N (64x1x1); it must hold exactly the inputs.\n"
        "                         Default: IDX images keep theirs (1x28x28), CSV rows are\n"
        "                         plain vectors\n");
    /* In two parts: C99 promises string literals of 4095 bytes, no more. */
    fprintf(to,
        "network:\n"
        "  --layers L,L           the hidden layers (default 32): a plain number is a dense\n"
        "                         layer of that width, or TYPE:FIELDS[:ACTIVATION], as in\n"
        "                         dense:64:relu,dense:32:tanh (docs/architecture.md)\n"
        "  --activation A         hidden activation where --layers names none: relu | tanh |\n"
        "                         sigmoid | identity | leaky_relu (default relu)\n"
        "                         the output layer and loss follow from the task: sigmoid and\n"
        "                         binary cross-entropy for 2 classes, softmax and cross-entropy\n"
        "                         for more, identity and mean squared error for regression\n"
        "training:\n"
        "  --optimizer O          sgd | momentum | adam (default adam)\n"
        "  --learning-rate R      (default 0.01)\n"
        "  --momentum M           for --optimizer momentum (default 0.9)\n"
        "  --weight-decay D       L2 weight decay (default 0)\n"
        "  --clip-norm C          scale each gradient down to norm C when it is larger\n"
        "                         (default 0: no clipping)\n"
        "  --batch-size N         (default 32)\n"
        "  --epochs N             (default 100)\n"
        "  --patience N           stop after N epochs without a better validation loss and\n"
        "                         keep the best weights (default 10; 0: never stop early)\n"
        "  --schedule S           constant | step | cosine (default constant)\n"
        "  --step-epochs N, --gamma G      step schedule: lr *= G every N epochs (10, 0.5)\n"
        "  --min-learning-rate R  cosine schedule's floor (default 0)\n"
        "  --seed N               seed for splits, shuffling and weights (default 1)\n"
        "  --checkpoint FILE      save the whole training state here (atomically)...\n"
        "  --checkpoint-every N   ...every N epochs (default 1)\n"
        "  --resume FILE          carry on from a checkpoint: with the same data and\n"
        "                         options the final model is bit-identical to a run\n"
        "                         that was never interrupted; a checkpoint of another\n"
        "                         network, data file, split, seed, optimizer, batch size\n"
        "                         or schedule is refused, naming the difference.\n"
        "                         Ctrl-C (SIGINT) or SIGTERM stops after the current\n"
        "                         batch and says which epoch the checkpoint holds\n"
        "output:\n"
        "  --out FILE             the model file (default model.nnc). Every output is\n"
        "                         written atomically (a new file renamed into place; a\n"
        "                         symbolic link's target is replaced, permissions are\n"
        "                         kept), except a device, FIFO or socket such as\n"
        "                         /dev/stdout, which is written to directly. No output\n"
        "                         may name an input or another output.\n"
        "  --log FILE             per-epoch metrics as CSV\n"
        "  --plot-dir DIR         loss.png, accuracy.png, confusion.png and, for two\n"
        "                         inputs, regions.png; for a regression predictions.png\n"
        "                         and residuals.png of the test part\n"
        "  --progress P           auto | bar | plain | json | quiet (default auto: a bar on a\n"
        "                         terminal, a line per epoch otherwise); --quiet, --json\n"
        "  -h, --help             this help\n");
}

static void defaults(train_options *o)
{
    memset(o, 0, sizeof *o);
    o->layers = "32";
    o->activation = NNC_RELU;
    o->optimizer = 2;
    o->momentum = 0.9;
    o->batch_size = 32;
    o->epochs = 100;
    o->val_fraction = 0.2;
    o->test_fraction = 0.2;
    o->seed = 1;
    o->patience = 10;
    o->step_epochs = 10;
    o->gamma = 0.5;
    o->scaling = -1;
    o->words = nnc_pipeline_defaults().text;
    o->out = "model.nnc";
    o->checkpoint_every = 1;
}

enum { OPT_DATA = 256, OPT_IMAGES, OPT_LABELS, OPT_TEST_IMAGES, OPT_TEST_LABELS, OPT_TARGET,
       OPT_DROP, OPT_TASK, OPT_SCALE, OPT_VALIDATION, OPT_TEST, OPT_LAYERS, OPT_ACTIVATION,
       OPT_OPTIMIZER, OPT_LR, OPT_MOMENTUM, OPT_DECAY, OPT_BATCH, OPT_EPOCHS, OPT_PATIENCE,
       OPT_SCHEDULE, OPT_STEP_EPOCHS, OPT_GAMMA, OPT_MIN_LR, OPT_SEED, OPT_OUT, OPT_LOG,
       OPT_PLOT_DIR, OPT_PROGRESS, OPT_QUIET, OPT_JSON, OPT_CLASS_NAMES, OPT_CLIP,
       OPT_CHECKPOINT, OPT_CHECKPOINT_EVERY, OPT_RESUME, OPT_INPUT_SHAPE, OPT_DELIMITER,
       OPT_NO_HEADER, OPT_MISSING, OPT_UNKNOWN, OPT_INDICATOR, OPT_FOLDS, OPT_FOLDS_OUT, OPT_VALIDATION_DATA, OPT_TEST_DATA,
       OPT_TEXT, OPT_NORMALIZE, OPT_TEXT_FEATURES, OPT_BIGRAMS, OPT_MIN_DOCUMENTS,
       OPT_MAX_TERMS, OPT_STOP_WORDS };

static const struct option long_options[] = {
    { "data", required_argument, NULL, OPT_DATA },
    { "images", required_argument, NULL, OPT_IMAGES },
    { "labels", required_argument, NULL, OPT_LABELS },
    { "test-images", required_argument, NULL, OPT_TEST_IMAGES },
    { "validation-data", required_argument, NULL, OPT_VALIDATION_DATA },
    { "test-data", required_argument, NULL, OPT_TEST_DATA },
    { "test-labels", required_argument, NULL, OPT_TEST_LABELS },
    { "target", required_argument, NULL, OPT_TARGET },
    { "drop", required_argument, NULL, OPT_DROP },
    { "delimiter", required_argument, NULL, OPT_DELIMITER },
    { "no-header", no_argument, NULL, OPT_NO_HEADER },
    { "missing", required_argument, NULL, OPT_MISSING },
    { "unknown", required_argument, NULL, OPT_UNKNOWN },
    { "missing-indicator", no_argument, NULL, OPT_INDICATOR },
    { "text", required_argument, NULL, OPT_TEXT },
    { "normalize", required_argument, NULL, OPT_NORMALIZE },
    { "text-features", required_argument, NULL, OPT_TEXT_FEATURES },
    { "bigrams", no_argument, NULL, OPT_BIGRAMS },
    { "min-documents", required_argument, NULL, OPT_MIN_DOCUMENTS },
    { "max-terms", required_argument, NULL, OPT_MAX_TERMS },
    { "stop-words", required_argument, NULL, OPT_STOP_WORDS },
    { "folds", required_argument, NULL, OPT_FOLDS },
    { "folds-out", required_argument, NULL, OPT_FOLDS_OUT },
    { "task", required_argument, NULL, OPT_TASK },
    { "class-names", required_argument, NULL, OPT_CLASS_NAMES },
    { "scale", required_argument, NULL, OPT_SCALE },
    { "validation", required_argument, NULL, OPT_VALIDATION },
    { "test", required_argument, NULL, OPT_TEST },
    { "input-shape", required_argument, NULL, OPT_INPUT_SHAPE },
    { "layers", required_argument, NULL, OPT_LAYERS },
    { "activation", required_argument, NULL, OPT_ACTIVATION },
    { "optimizer", required_argument, NULL, OPT_OPTIMIZER },
    { "learning-rate", required_argument, NULL, OPT_LR },
    { "momentum", required_argument, NULL, OPT_MOMENTUM },
    { "weight-decay", required_argument, NULL, OPT_DECAY },
    { "clip-norm", required_argument, NULL, OPT_CLIP },
    { "batch-size", required_argument, NULL, OPT_BATCH },
    { "epochs", required_argument, NULL, OPT_EPOCHS },
    { "patience", required_argument, NULL, OPT_PATIENCE },
    { "schedule", required_argument, NULL, OPT_SCHEDULE },
    { "step-epochs", required_argument, NULL, OPT_STEP_EPOCHS },
    { "gamma", required_argument, NULL, OPT_GAMMA },
    { "min-learning-rate", required_argument, NULL, OPT_MIN_LR },
    { "seed", required_argument, NULL, OPT_SEED },
    { "out", required_argument, NULL, OPT_OUT },
    { "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
    { "checkpoint-every", required_argument, NULL, OPT_CHECKPOINT_EVERY },
    { "resume", required_argument, NULL, OPT_RESUME },
    { "log", required_argument, NULL, OPT_LOG },
    { "plot-dir", required_argument, NULL, OPT_PLOT_DIR },
    { "progress", required_argument, NULL, OPT_PROGRESS },
    { "quiet", no_argument, NULL, OPT_QUIET },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int set_choice(const char *option, const char *text, const char *const *choices,
                      int *out)
{
    int k = parse_choice(option, text, choices);
    if (k < 0)
        return -1;
    *out = k;
    return 0;
}

static int parse_activation(const char *text, nnc_activation *out)
{
    if (nnc_activation_parse(text, out) != NNC_OK || *out == NNC_SOFTMAX) {
        fprintf(stderr,
                "nnc: --activation expects relu, tanh, sigmoid, identity or leaky_relu, got '%s'\n",
                text);
        return -1;
    }
    return 0;
}

/* One option into o; 0 on success, -1 on a bad value. */
static int apply_option(int c, const char *arg, train_options *o)
{
    switch (c) {
    case OPT_DATA: o->src.csv = arg; return 0;
    case OPT_DELIMITER: return csv_dialect_delimiter(&o->src.dialect, o->command, arg);
    case OPT_NO_HEADER: o->src.dialect.no_header = 1; return 0;
    case OPT_MISSING: return table_policy_option(&o->src.policy, o->command, "--missing", arg);
    case OPT_UNKNOWN: return table_policy_option(&o->src.policy, o->command, "--unknown", arg);
    case OPT_FOLDS: return parse_int("--folds", arg, 2, 1000, &o->folds);
    case OPT_FOLDS_OUT: o->folds_out = arg; return 0;
    case OPT_INDICATOR: o->src.policy.indicators = 1; return 0;
    case OPT_TEXT:
        free_names(o->text);
        return (o->text = split_names("--text", arg, &o->n_text)) ? 0 : -1;
    case OPT_NORMALIZE: {
        int k = parse_choice("--normalize", arg, normalize_names);
        o->words.normalize = (nnc_normalize)k;
        o->words_given = 1;
        return k < 0 ? -1 : 0;
    }
    case OPT_TEXT_FEATURES: {
        int k = parse_choice("--text-features", arg, feature_names);
        /* tf-idf is used with 1 + ln tf: a word said twice is not twice the evidence. */
        o->words.features = (nnc_text_features)(k == 3 ? NNC_FEATURES_TFIDF : k);
        o->words.sublinear_tf = k == 2;
        o->words_given = 1;
        return k < 0 ? -1 : 0;
    }
    case OPT_BIGRAMS: o->words.bigrams = 1; o->words_given = 1; return 0;
    case OPT_MIN_DOCUMENTS:
        o->words_given = 1;
        return parse_int("--min-documents", arg, 1, 1 << 30, &o->words.min_documents);
    case OPT_MAX_TERMS:
        o->words_given = 1;
        return parse_int("--max-terms", arg, 1, NNC_MAX_TERMS, &o->words.max_terms);
    case OPT_STOP_WORDS:
        o->words_given = 1;
        free_names(o->stop_words);
        return (o->stop_words = read_word_list("--stop-words", arg, &o->n_stop_words)) ? 0 : -1;
    case OPT_IMAGES: o->src.images = arg; return 0;
    case OPT_LABELS: o->src.labels = arg; return 0;
    case OPT_TEST_IMAGES: o->test_src.images = arg; return 0;
    case OPT_VALIDATION_DATA: o->validation_data = arg; return 0;
    case OPT_TEST_DATA: o->test_data = arg; return 0;
    case OPT_TEST_LABELS: o->test_src.labels = arg; return 0;
    case OPT_TARGET: o->target = arg; return 0;
    case OPT_DROP:
        free_names(o->drop);
        return (o->drop = split_names("--drop", arg, &o->n_drop)) ? 0 : -1;
    case OPT_TASK: return set_choice("--task", arg, task_names, &o->task);
    case OPT_CLASS_NAMES:
        free_names(o->class_names);
        return (o->class_names = split_names("--class-names", arg, &o->n_class_names)) ? 0
                                                                                        : -1;
    case OPT_SCALE: return set_choice("--scale", arg, scaling_names, &o->scaling);
    case OPT_VALIDATION: return parse_double("--validation", arg, 0, 0.9, &o->val_fraction);
    case OPT_TEST:
        o->test_given = 1;
        return parse_double("--test", arg, 0, 0.9, &o->test_fraction);
    case OPT_INPUT_SHAPE:
        /* The text is checked now; whether it fits the data once it is loaded. */
        if (nnc_shape_parse(arg, &o->input_shape) != NNC_OK) {
            fprintf(stderr, "nnc: --input-%s\n", nnc_last_error());   /* "shape: column ..." */
            return -1;
        }
        o->has_input_shape = 1;
        return 0;
    case OPT_LAYERS:
        o->layers = arg;   /* checked by the grammar as the network is built */
        return 0;
    case OPT_ACTIVATION: return parse_activation(arg, &o->activation);
    case OPT_OPTIMIZER: return set_choice("--optimizer", arg, optimizer_names, &o->optimizer);
    case OPT_LR: return parse_double("--learning-rate", arg, 1e-12, 1e3, &o->learning_rate);
    case OPT_MOMENTUM: return parse_double("--momentum", arg, 0, 0.999999, &o->momentum);
    case OPT_DECAY: return parse_double("--weight-decay", arg, 0, 1e3, &o->weight_decay);
    case OPT_CLIP: return parse_double("--clip-norm", arg, 0, 1e9, &o->clip_norm);
    case OPT_BATCH: return parse_int("--batch-size", arg, 1, 1 << 24, &o->batch_size);
    case OPT_EPOCHS: return parse_int("--epochs", arg, 1, 1000000, &o->epochs);
    case OPT_PATIENCE: return parse_int("--patience", arg, 0, 1000000, &o->patience);
    case OPT_SCHEDULE: return set_choice("--schedule", arg, schedule_names, &o->schedule);
    case OPT_STEP_EPOCHS: return parse_int("--step-epochs", arg, 1, 1000000, &o->step_epochs);
    case OPT_GAMMA: return parse_double("--gamma", arg, 1e-9, 1, &o->gamma);
    case OPT_MIN_LR: return parse_double("--min-learning-rate", arg, 0, 1e3, &o->min_learning_rate);
    case OPT_SEED: return parse_u64("--seed", arg, &o->seed);
    case OPT_OUT: o->out = arg; o->out_given = 1; return 0;
    case OPT_CHECKPOINT: o->checkpoint = arg; return 0;
    case OPT_CHECKPOINT_EVERY:
        return parse_int("--checkpoint-every", arg, 1, 1000000, &o->checkpoint_every);
    case OPT_RESUME: o->resume = arg; return 0;
    case OPT_LOG: o->log = arg; return 0;
    case OPT_PLOT_DIR: o->plot_dir = arg; return 0;
    case OPT_PROGRESS: return set_choice("--progress", arg, progress_names, &o->progress);
    case OPT_QUIET: o->progress = PROGRESS_QUIET; return 0;
    case OPT_JSON: o->progress = PROGRESS_JSON; return 0;
    }
    return -1;
}

/* What cv refuses of train's options, and train of cv's. */
static int check_command_options(const train_options *o)
{
    int cv = strcmp(o->command, "cv") == 0;
    const char *wrong = NULL;
    if (o->n_text > 0 && o->src.csv == NULL)
        wrong = "--text with IDX data (text columns are in a CSV file)";
    else if (o->words_given && o->n_text == 0)
        wrong = "--normalize, --text-features, --bigrams, --min-documents, --max-terms and "
                "--stop-words without --text";
    else if (o->n_text > 0 && o->has_input_shape)
        wrong = "--input-shape with --text (a bag of words has no shape)";
    else if (cv && (o->validation_data || o->test_data))
        wrong = "--validation-data and --test-data (the folds are the test parts)";
    else if ((o->validation_data || o->test_data) && (o->src.csv == NULL || o->class_names))
        wrong = "--validation-data and --test-data with IDX data or --class-names";
    else if (o->test_data && o->test_src.images)
        wrong = "--test-data with --test-images";
    else if (cv && (o->test_src.images || o->test_src.labels))
        wrong = "--test-images and --test-labels (every fold is tested in turn)";
    else if (cv && (o->checkpoint || o->resume))
        wrong = "--checkpoint and --resume";
    else if (cv && (o->out_given || o->log || o->plot_dir))
        wrong = "--out, --log and --plot-dir (no model is saved)";
    else if (cv && o->test_given)
        wrong = "--test (every fold is tested in turn)";
    else if (!cv && o->folds > 0)
        wrong = "--folds (it is nnc cv's)";
    else if (!cv && o->folds_out)
        wrong = "--folds-out (it is nnc cv's)";
    if (wrong == NULL)
        return 0;
    fprintf(stderr, "nnc %s: %s cannot be used here\n", o->command, wrong);
    return -1;
}

int train_parse_options(int argc, char **argv, const char *command, train_options *o)
{
    defaults(o);
    o->command = command;
    if (strcmp(command, "cv") == 0) {
        o->folds = 5;
        o->test_fraction = 0;   /* the folds are the test parts */
    }
    begin_options();
    int c;
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout, command);
            return 1;
        }
        if (c == '?')
            return bad_option(command, argv, long_options);
        if (apply_option(c, optarg, o) != 0)
            return -1;
    }
    if (no_extra_arguments(command, argc, argv) != 0)
        return -1;
    if (data_source_check(&o->src, command) != 0 || check_command_options(o) != 0)
        return -1;
    if ((o->test_src.images || o->test_src.labels) &&
        (!o->test_src.images || !o->test_src.labels)) {
        fprintf(stderr, "nnc train: a separate test set needs both --test-images and "
                        "--test-labels\n");
        return -1;
    }
    if (o->val_fraction + o->test_fraction >= 0.95) {
        fprintf(stderr, "nnc train: --validation and --test leave too little to train on\n");
        return -1;
    }
    return 0;
}

void train_options_free(train_options *o)
{
    free_names(o->drop);
    free_names(o->class_names);
    free_names(o->text);
    free_names(o->stop_words);
    o->drop = o->class_names = o->text = o->stop_words = NULL;
}

/* The parts of a run, freed together. */
typedef struct run {
    nnc_dataset *train, *val, *test;   /* raw, as read: the pipeline encodes copies */
    int left_out;                      /* rows without a target */
    nnc_dataset *raw_train;   /* two-input classification: the points to draw */
    nnc_pipeline_result out;  /* the model, the fit, the test metrics and matrix */
    history history;
    progress display;
} run;

static void run_free(run *r)
{
    nnc_dataset_free(r->raw_train);
    nnc_dataset_free(r->train);
    nnc_dataset_free(r->val);
    nnc_dataset_free(r->test);
    nnc_pipeline_result_free(&r->out);
    history_free(&r->history);
}

/* Cuts off fraction of *data into *part (none when fraction is 0). */
static int hold_out(nnc_dataset **data, double fraction, nnc_rng *rng, nnc_dataset **part,
                    const char *what)
{
    if (fraction <= 0.0)
        return 0;
    nnc_dataset *rest;
    if (nnc_dataset_split(*data, fraction, rng, &rest, part) != NNC_OK) {
        fprintf(stderr, "nnc: cannot hold out the %s part: %s\n", what, nnc_last_error());
        return 1;
    }
    nnc_dataset_free(*data);
    *data = rest;
    return 0;
}

/* --input-shape onto data loaded from src; 0, or -1 after a message when
 * the shape does not hold exactly the inputs the file has. */
static int apply_input_shape(const train_options *o, const data_source *src, nnc_dataset *data)
{
    if (!o->has_input_shape || nnc_dataset_set_shape(data, o->input_shape) == NNC_OK)
        return 0;
    fprintf(stderr, "nnc train: --input-shape: %s: %s\n", data_source_name(src),
            nnc_last_error());
    return -1;
}

int train_load(const train_options *o, nnc_dataset **out)
{
    nnc_csv_options csv = nnc_csv_defaults();
    csv.target = o->target;
    csv.drop = (const char *const *)o->drop;
    csv.n_drop = o->n_drop;
    csv.task = (nnc_task)o->task;
    csv.categorical = 1;
    csv.text = (const char *const *)o->text;
    csv.n_text = o->n_text;
    *out = NULL;
    nnc_dataset *data = data_source_load(&o->src, &csv);
    if (data == NULL)
        return 1;
    /* Before the splits, which keep the shape, and before any training. */
    if (apply_input_shape(o, &o->src, data) != 0) {
        nnc_dataset_free(data);
        return 2;
    }
    if (o->class_names && nnc_dataset_set_class_labels(data, (const char *const *)o->class_names,
                                                       o->n_class_names) != NNC_OK) {
        nnc_dataset_free(data);
        return fail_with_library_error();
    }
    *out = data;
    return 0;
}

/* A separate CSV part (--validation-data, --test-data), read as the
 * training file was: its target, its inputs in its order and of its kinds
 * (any order in the file), its classes; the dropped columns ignored. */
static int load_part(const train_options *o, const char *path, const nnc_dataset *train,
                     nnc_dataset **out)
{
    int n = nnc_dataset_inputs(train), k = nnc_dataset_classes(train);
    const char **inputs = malloc((size_t)(n > 0 ? n : 1) * sizeof *inputs);
    const char **classes = malloc((size_t)(k > 0 ? k : 1) * sizeof *classes);
    nnc_column_kind *kinds = malloc((size_t)(n > 0 ? n : 1) * sizeof *kinds);
    int rc = inputs && classes && kinds ? 0 : 1;
    for (int j = 0; rc == 0 && j < n; j++) {
        inputs[j] = nnc_dataset_input_name(train, j);
        kinds[j] = nnc_dataset_levels(train, j) > 0 ? NNC_COLUMN_CATEGORICAL : NNC_COLUMN_NUMERIC;
    }
    for (int c = 0; rc == 0 && c < k; c++)
        classes[c] = nnc_dataset_class_label(train, c);
    if (rc != 0)
        fprintf(stderr, "nnc: out of memory\n");
    nnc_csv_options csv = nnc_csv_defaults();
    csv.target = nnc_dataset_target_name(train);
    csv.task = nnc_dataset_task(train);
    csv.inputs = inputs;
    csv.n_inputs = n;
    csv.input_kinds = kinds;
    csv.classes = k > 0 ? classes : NULL;
    csv.n_classes = k;
    csv.ignore = (const char *const *)o->drop;
    csv.n_ignore = o->n_drop;
    csv.text = (const char *const *)o->text;
    csv.n_text = o->n_text;
    data_source src = o->src;
    src.csv = path;
    if (rc == 0 && (*out = data_source_load(&src, &csv)) == NULL)
        rc = 1;
    if (rc == 0 && apply_input_shape(o, &src, *out) != 0)
        rc = 2;
    if (rc == 0 && o->progress != PROGRESS_QUIET)
        table_report(o->command, path, nnc_dataset_left_out(*out), nnc_dataset_target_name(*out),
                     NULL);
    free(inputs);
    free(classes);
    free(kinds);
    return rc;
}

static int load_and_split(const train_options *o, nnc_rng *rng, run *r)
{
    nnc_dataset *data;
    int rc = train_load(o, &data);
    if (rc != 0)
        return rc;
    r->left_out = nnc_dataset_left_out(data);   /* said in the summary */
    if (o->test_data) {
        if ((rc = load_part(o, o->test_data, data, &r->test)) != 0) {
            nnc_dataset_free(data);
            return rc;
        }
    } else if (o->test_src.images) {
        r->test = data_source_load(&o->test_src, NULL);
        if (r->test != NULL && apply_input_shape(o, &o->test_src, r->test) != 0) {
            nnc_dataset_free(data);
            return 2;   /* r->test is freed with the run */
        }
        if (r->test == NULL || (o->class_names &&
                                nnc_dataset_set_class_labels(r->test,
                                                             (const char *const *)o->class_names,
                                                             o->n_class_names) != NNC_OK)) {
            if (r->test)
                fail_with_library_error();
            nnc_dataset_free(data);
            return 1;
        }
    } else if (hold_out(&data, o->test_fraction, rng, &r->test, "test") != 0) {
        nnc_dataset_free(data);
        return 1;
    }
    if (o->validation_data) {
        rc = load_part(o, o->validation_data, data, &r->val);
    } else if (hold_out(&data, o->val_fraction, rng, &r->val, "validation") != 0) {
        rc = 1;
    }
    if (rc != 0) {
        nnc_dataset_free(data);
        return rc;
    }
    r->train = data;
    return 0;
}

/* Set by SIGINT or SIGTERM; nnc_fit stops after the batch it is in. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* The first SIGINT or SIGTERM asks for a clean stop; the handler is then
 * reset, so a second one ends the program at once. */
static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Says where a stopped run stands; returns the shell's code for the signal. */
static int report_stop(const train_options *o, run *r)
{
    const char *name = stop_signal == SIGINT ? "SIGINT" : "SIGTERM";
    const char *when = r ? nnc_last_error() : "before training began";
    if (r)
        progress_abort(&r->display);
    if (o->checkpoint && r && r->out.fit.checkpoint_epoch > 0)
        fprintf(stderr, "nnc train: %s by %s; %s holds epoch %d, the last complete one saved: "
                        "carry on with --resume %s\n",
                when, name, o->checkpoint, r->out.fit.checkpoint_epoch, o->checkpoint);
    else if (o->checkpoint)
        fprintf(stderr, "nnc train: %s by %s, before the first checkpoint was written; no model "
                        "was saved\n", when, name);
    else
        fprintf(stderr, "nnc train: %s by %s; no model was saved (--checkpoint FILE keeps a "
                        "long run's progress)\n", when, name);
    return 128 + stop_signal;
}

/* Appends "key size=N crc32=X" for a data file to *text, so a resume can
 * tell a changed or reordered file from the one the checkpoint was made on. */
static int describe_file(const char *key, const char *path, char *text, size_t n)
{
    if (path == NULL)
        return 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "nnc: %s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    unsigned char buf[65536];
    uLong crc = crc32(0L, Z_NULL, 0);
    unsigned long long size = 0;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        crc = crc32(crc, buf, (uInt)got);
        size += got;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        fprintf(stderr, "nnc: %s: cannot read\n", path);
        return -1;
    }
    size_t len = strlen(text);
    snprintf(text + len, n - len, "%s size=%llu crc32=%08lx\n", key, size, (unsigned long)crc);
    return 0;
}

/* What decides this run beyond what nnc_fit sees: the files, the split, the
 * seed, the scaling. NULL after a message on failure. */
static char *run_identity(const train_options *o)
{
    size_t n = 2048;
    char *text = calloc(n, 1);
    if (text == NULL) {
        fprintf(stderr, "nnc: out of memory\n");
        return NULL;
    }
    if (describe_file("data_file", o->src.csv, text, n) != 0 ||
        describe_file("images_file", o->src.images, text, n) != 0 ||
        describe_file("labels_file", o->src.labels, text, n) != 0 ||
        describe_file("test_images_file", o->test_src.images, text, n) != 0 ||
        describe_file("validation_data_file", o->validation_data, text, n) != 0 ||
        describe_file("test_data_file", o->test_data, text, n) != 0 ||
        describe_file("test_labels_file", o->test_src.labels, text, n) != 0) {
        free(text);
        return NULL;
    }
    size_t len = strlen(text);
    snprintf(text + len, n - len, "seed %llu\nsplit validation=%.15g test=%.15g\nscale %s\n",
             (unsigned long long)o->seed, o->validation_data ? 0.0 : o->val_fraction,
             o->test_src.images || o->test_data ? 0.0 : o->test_fraction, o->scaling >= 0 ? scaling_names[o->scaling] : "default");
    return text;
}

/* The library's pipeline options from the command's. */
static nnc_pipeline_options pipeline_options(const train_options *o, const run *r)
{
    nnc_pipeline_options p = nnc_pipeline_defaults();
    p.csv.drop = (const char *const *)o->drop;
    p.csv.delimiter = o->src.dialect.delimiter;   /* recorded in the model */
    p.csv.no_header = o->src.dialect.no_header;
    p.csv.n_drop = o->n_drop;
    p.encoding.indicators = o->src.policy.indicators;
    p.text = o->words;
    p.text.stop_words = (const char *const *)o->stop_words;
    p.text.n_stop_words = o->n_stop_words;
    p.unknown = o->src.policy.unknown_error ? NNC_UNKNOWN_ERROR : NNC_UNKNOWN_ZEROS;
    p.scaling = o->scaling;
    p.layers = o->layers;
    p.activation = o->activation;
    p.optimizer = (nnc_optimizer_kind)o->optimizer;
    p.learning_rate = o->learning_rate;
    p.momentum = o->momentum;
    p.weight_decay = o->weight_decay;
    p.clip_norm = o->clip_norm;
    p.seed = o->seed;
    p.data_name = data_source_name(&o->src);
    nnc_fit_options *f = &p.fit;
    f->epochs = o->epochs;
    f->batch_size = o->batch_size;
    f->schedule = (nnc_schedule)o->schedule;
    f->step_epochs = o->step_epochs;
    f->gamma = o->gamma;
    f->min_learning_rate = o->min_learning_rate;
    f->patience = o->patience;
    f->checkpoint = o->checkpoint;
    f->checkpoint_every = o->checkpoint_every;
    f->resume = o->resume;
    f->on_epoch = history_on_epoch;
    f->on_batch = history_on_batch;
    f->stop = &stop_signal;
    /* The k x k matrix only where it is printed or drawn. */
    int k = nnc_dataset_classes(r->train);
    p.confusion = k > 0 && (confusion_printed(k) || (o->plot_dir && k <= NNC_PLOT_MAX_CONFUSION));
    return p;
}

/* --layers read against the data's shape before anything is trained: a
 * typo is a usage error (exit 2) naming the column, not a failed run. */
static int check_layers(const train_options *o, const run *r)
{
    nnc_shape shape = nnc_dataset_shape(r->train);
    /* Text columns add inputs only once their vocabulary is fitted; a row
     * of them is a plain vector, whatever its length. */
    if (nnc_dataset_text_columns(r->train) > 0)
        shape = (nnc_shape){nnc_dataset_inputs(r->train) + 1, 1, 1};
    nnc_net *net = nnc_net_new_shaped(shape);
    if (net == NULL)
        return fail_with_library_error();
    nnc_status st = nnc_net_add_layers(net, o->layers, o->activation);
    nnc_net_free(net);
    if (st == NNC_OK)
        return 0;
    fprintf(stderr, "nnc: --%s\n", nnc_last_error());   /* "layers: column ..." */
    return 2;
}

/* The pipeline on the raw parts: the preprocessing, scaling, network,
 * training and test, with the progress shown as it goes. */
static int fit(const train_options *o, nnc_rng *rng, run *r)
{
    int classification = nnc_dataset_task(r->train) == NNC_TASK_CLASSIFICATION;
    int rc = check_layers(o, r);
    if (rc != 0)
        return rc;
    progress_start(&r->display, (progress_mode)o->progress, stderr, nnc_dataset_rows(r->train),
                   o->batch_size, o->epochs, classification);
    r->history.display = &r->display;
    nnc_pipeline_options p = pipeline_options(o, r);
    p.fit.user = &r->history;
    char *identity = NULL;
    if ((o->checkpoint || o->resume) && (identity = run_identity(o)) == NULL)
        return 1;
    p.fit.run_identity = identity;
    nnc_status st = nnc_pipeline_fit(r->train, r->val, r->test, &p, rng, &r->out);
    free(identity);
    if (st == NNC_ESTOPPED)
        return report_stop(o, r);
    if (st != NNC_OK)
        return fail_with_library_error();
    if (o->progress != PROGRESS_QUIET)
        table_report(o->command, data_source_name(&o->src), 0, NULL, &r->out.encoded);
    /* The regions picture shows the training points as the model takes them. */
    nnc_model *m = r->out.model;
    if (o->plot_dir && classification && nnc_model_inputs(m) == 2 &&
        nnc_model_encode(m, r->train, NNC_UNKNOWN_ZEROS, &r->raw_train, NULL) != NNC_OK)
        return fail_with_library_error();
    return 0;
}

static int draw(const train_options *o, run *r)
{
    int classification = nnc_model_task(r->out.model) == NNC_TASK_CLASSIFICATION;
    char path[4096];
    if (ensure_directory(o->plot_dir) != 0 || history_plot(&r->history, o->plot_dir,
                                                           classification) != 0)
        return 1;
    /* Regions are drawn for two inputs and as many classes as have colours. */
    if (classification && nnc_model_inputs(r->out.model) == 2 && nnc_model_classes(r->out.model) <= 20) {
        /* The model's regions with the raw training points over them. */
        if (join_path(path, sizeof path, o->plot_dir, "regions.png") != 0)
            return 1;
        if (nnc_plot_decision_regions(path, r->out.model, r->raw_train,
                                      "Decision regions and training points") != NNC_OK)
            return fail_with_library_error();
    }
    if (!classification && r->out.has_test) {
        char residuals[4096];
        if (join_path(path, sizeof path, o->plot_dir, "predictions.png") != 0 ||
            join_path(residuals, sizeof residuals, o->plot_dir, "residuals.png") != 0)
            return 1;
        nnc_dataset *test = NULL;   /* the model's inputs of the raw test rows */
        if (nnc_model_encode(r->out.model, r->test, NNC_UNKNOWN_ZEROS, &test, NULL) != NNC_OK)
            return fail_with_library_error();
        int rc = plot_regression(path, residuals, r->out.model, test, "test part");
        nnc_dataset_free(test);
        return rc;
    }
    if (classification && r->out.confusion) {
        int k = nnc_model_classes(r->out.model);
        const char **labels = malloc((size_t)k * sizeof *labels);
        if (labels == NULL)
            return 1;
        for (int i = 0; i < k; i++)
            labels[i] = nnc_model_class_label(r->out.model, i);
        int rc = join_path(path, sizeof path, o->plot_dir, "confusion.png");
        if (rc == 0 && nnc_plot_confusion(path, r->out.confusion, k, labels,
                                          "Confusion matrix (test part)") != NNC_OK)
            rc = fail_with_library_error();
        free(labels);
        return rc;
    }
    return 0;
}

/* A metrics object, "label":{...}, after a comma unless first. */
static void json_metrics(FILE *to, const char *label, nnc_task task, const nnc_metrics *m,
                         int first)
{
    fprintf(to, "%s\"%s\":{\"rows\":%d", first ? "" : ",", label, m->rows);
    json_pair(to, "loss", m->loss);
    if (task == NNC_TASK_CLASSIFICATION) {
        json_pair(to, "accuracy", m->accuracy);
        json_pair(to, "macro_f1", m->macro_f1);
        json_pair(to, "log_loss", m->log_loss);
        json_pair(to, "roc_auc", m->roc_auc);
    } else {
        json_pair(to, "mse", m->mse);
        json_pair(to, "mae", m->mae);
        json_pair(to, "r2", m->r2);
    }
    fputc('}', to);
}

/* With --json the summary is one JSON object too, after the epochs' lines. */
static void summarise_json(const train_options *o, run *r, FILE *to)
{
    nnc_task task = nnc_model_task(r->out.model);
    fprintf(to, "{\"epochs_run\":%d,\"best_epoch\":%d,\"stopped_early\":%s,"
                "\"parameters\":%zu,\"rows_left_out\":%d,\"metrics\":{",
            r->out.fit.epochs_run, r->out.fit.best_epoch, r->out.fit.stopped_early ? "true" : "false",
            nnc_net_param_count(nnc_model_net(r->out.model)), r->left_out);
    json_metrics(to, "train", task, &r->out.fit.train, 1);
    if (r->val)
        json_metrics(to, "validation", task, &r->out.fit.val, 0);
    if (r->out.has_test)
        json_metrics(to, "test", task, &r->out.test, 0);
    fputs("},\"model\":", to);
    json_string(to, o->out);
    fputs("}\n", to);
}

static void summarise(const train_options *o, run *r, FILE *to)
{
    if (o->progress == PROGRESS_JSON) {
        summarise_json(o, r, to);
        return;
    }
    nnc_task task = nnc_model_task(r->out.model);
    /* The shape only where it says more than the count: not for a vector. */
    nnc_shape shape = nnc_dataset_shape(r->train);
    char inputs[96] = "";
    if (shape.height != 1 || shape.width != 1) {
        char text[48];
        nnc_shape_format(shape, text, sizeof text);
        snprintf(inputs, sizeof inputs, ", inputs %d (%s)", nnc_dataset_inputs(r->train), text);
    }
    /* With --patience 0 the last epoch's weights are kept, whichever had
     * the lowest validation loss: "best N" alone would read as restored. */
    char best[96];
    if (r->val && o->patience == 0 && r->out.fit.best_epoch != r->out.fit.epochs_run)
        snprintf(best, sizeof best, "lowest validation loss in epoch %d; the last kept",
                 r->out.fit.best_epoch);
    else
        snprintf(best, sizeof best, "best %d%s", r->out.fit.best_epoch,
                 r->out.fit.stopped_early ? ", stopped early" : "");
    fprintf(to, "trained %d epochs (%s) on %d rows%s: %zu parameters\n", r->out.fit.epochs_run,
            best, nnc_dataset_rows(r->train), inputs,
            nnc_net_param_count(nnc_model_net(r->out.model)));
    /* What the text became: each column's vocabulary, fitted on the training part. */
    const nnc_text_columns *tc = nnc_model_text_columns(r->out.model);
    for (int t = 0; t < nnc_text_columns_count(tc); t++)
        fprintf(to, "text column '%s': a vocabulary of %d terms\n", nnc_text_columns_name(tc, t),
                nnc_vectorizer_terms(nnc_text_columns_vectorizer(tc, t)));
    if (r->out.unknown_words > 0)
        fprintf(to, "validation texts: %ld words no vocabulary has (left out)\n",
                r->out.unknown_words);
    if (r->left_out > 0)
        fprintf(to, "left out %d row%s of %s whose target '%s' is missing\n", r->left_out,
                r->left_out == 1 ? "" : "s", data_source_name(&o->src),
                nnc_dataset_target_name(r->train));
    print_metrics(to, "train", task, &r->out.fit.train);
    if (r->val)
        print_metrics(to, "validation", task, &r->out.fit.val);
    if (r->out.has_test)
        print_metrics(to, "test", task, &r->out.test);
    fprintf(to, "model saved to %s\n", o->out);
}

/* Before any work: no output may replace an input or another output, and
 * each must be writable, so a typo costs a second, not a training run. */
static int check_paths(const train_options *o)
{
    static const char *const plots[] = { "loss.png", "accuracy.png", "confusion.png",
                                         "regions.png", "predictions.png", "residuals.png" };
    enum { N_PLOTS = sizeof plots / sizeof plots[0] };
    char plot_paths[N_PLOTS][4096];
    named_path in[] = {
        { "--data", o->src.csv, NULL },
        { "--images", o->src.images, NULL },
        { "--labels", o->src.labels, NULL },
        { "--test-images", o->test_src.images, NULL },
        { "--validation-data", o->validation_data, NULL },
        { "--test-data", o->test_data, NULL },
        { "--test-labels", o->test_src.labels, NULL },
        { "--resume", o->resume, "--checkpoint" },   /* resuming in place is the usual way */
    };
    named_path out[3 + N_PLOTS] = {
        { "--out", o->out, NULL },
        { "--log", o->log, NULL },
        { "--checkpoint", o->checkpoint, "--resume" },
    };
    int n_out = 3;
    if (o->plot_dir) {
        if (ensure_directory(o->plot_dir) != 0)
            return -1;
        for (int i = 0; i < N_PLOTS; i++, n_out++) {
            if (join_path(plot_paths[i], sizeof plot_paths[i], o->plot_dir, plots[i]) != 0)
                return -1;
            out[n_out] = (named_path){ "--plot-dir", plot_paths[i], NULL };
        }
    }
    return check_outputs("train", in, (int)(sizeof in / sizeof in[0]), out, n_out);
}

/* Names the model file will carry, checked against its limit before the
 * training rather than when the model is saved after it. */
static int check_names(const train_options *o, const nnc_dataset *d)
{
    const char *what = NULL, *name = NULL;
    for (int j = 0; what == NULL && j < nnc_dataset_inputs(d); j++) {
        if (strlen(name = nnc_dataset_input_name(d, j)) > NNC_MAX_NAME_BYTES)
            what = "an input column's name";
        /* A category becomes the input "column=category". */
        for (int k = 0; what == NULL && k < nnc_dataset_levels(d, j); k++)
            if (strlen(nnc_dataset_input_name(d, j)) + 1 +
                    strlen(name = nnc_dataset_level(d, j, k)) > NNC_MAX_NAME_BYTES)
                what = "a category with its column's name";
    }
    for (int k = 0; what == NULL && k < nnc_dataset_classes(d); k++)
        if (strlen(name = nnc_dataset_class_label(d, k)) > NNC_MAX_NAME_BYTES)
            what = "a class label";
    if (what == NULL && strlen(name = nnc_dataset_target_name(d)) > NNC_MAX_NAME_BYTES)
        what = "the target column's name";
    if (what == NULL)
        return 0;
    fprintf(stderr, "nnc train: %s: %s has %zu bytes; a model file holds names of at most %u "
                    "bytes\n", data_source_name(&o->src), what, strlen(name), NNC_MAX_NAME_BYTES);
    return 1;
}

int train_fold(const train_options *o, nnc_rng *rng, nnc_dataset *train, nnc_dataset *test,
               nnc_metrics *tested, int *epochs)
{
    run r;
    memset(&r, 0, sizeof r);
    r.train = train;
    r.test = test;
    int rc = hold_out(&r.train, o->val_fraction, rng, &r.val, "validation");
    rc = rc ? rc : check_names(o, r.train);
    rc = rc ? rc : fit(o, rng, &r);
    if (rc == 0) {
        *tested = r.out.test;
        *epochs = r.out.fit.epochs_run;
    }
    run_free(&r);
    return rc;
}

int command_train(int argc, char **argv)
{
    train_options o;
    int parsed = train_parse_options(argc, argv, "train", &o);
    if (parsed != 0) {
        train_options_free(&o);
        return parsed > 0 ? 0 : 2;
    }
    if (check_paths(&o) != 0) {
        train_options_free(&o);
        return 1;
    }
    catch_stop_signals();
    nnc_rng rng;
    nnc_rng_seed(&rng, o.seed);
    run r;
    memset(&r, 0, sizeof r);
    int rc = load_and_split(&o, &rng, &r);
    rc = rc ? rc : check_names(&o, r.train);
    if (rc == 0 && stop_signal)
        rc = report_stop(&o, NULL);
    rc = rc ? rc : fit(&o, &rng, &r);
    if (rc == 0 && nnc_model_save(r.out.model, o.out) != NNC_OK)
        rc = fail_with_library_error();
    if (rc == 0 && o.log)
        rc = history_write_csv(&r.history, o.log,
                               nnc_model_task(r.out.model) == NNC_TASK_CLASSIFICATION);
    if (rc == 0 && o.plot_dir)
        rc = draw(&o, &r);
    /* With the model going to standard output, the report goes to stderr. */
    FILE *report = nnc_same_file(o.out, "/dev/stdout") ? stderr : stdout;
    if (rc == 0)
        summarise(&o, &r, report);
    if (r.out.has_test && rc == 0 && nnc_model_task(r.out.model) == NNC_TASK_CLASSIFICATION &&
        o.progress != PROGRESS_QUIET && o.progress != PROGRESS_JSON)
        print_confusion(report, r.out.model, r.out.confusion);
    /* A signal after the training still lets the outputs finish, but the
     * exit code says it came. */
    if (rc == 0 && stop_signal)
        rc = 128 + stop_signal;
    run_free(&r);
    train_options_free(&o);
    return rc;
}

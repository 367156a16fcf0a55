/*
 * train.h - what `nnc train` and `nnc cv` share: the options (cv takes all
 * of train's), and the steps that turn a raw training part into a model
 * judged on a raw test part.
 */
#ifndef NNC_CLI_TRAIN_H
#define NNC_CLI_TRAIN_H

#include "data_source.h"
#include "nnc.h"

#include <stdint.h>

typedef struct train_options {
    data_source src;
    data_source test_src;       /* --test-images/--test-labels: a separate test set */
    const char *validation_data;   /* --validation-data: a CSV validation set */
    const char *test_data;         /* --test-data: a CSV test set */
    const char *target;
    char **drop;
    int n_drop;
    char **class_names;         /* --class-names: new names for the classes */
    int n_class_names;
    int task;                   /* nnc_task */
    nnc_shape input_shape;      /* --input-shape, when has_input_shape */
    int has_input_shape;
    const char *layers;         /* --layers: the hidden layers, in the layer grammar */
    nnc_activation activation;
    int optimizer;              /* index into optimizer_names */
    double learning_rate;       /* 0: the optimizer's default */
    double momentum;
    double weight_decay;
    double clip_norm;
    int batch_size;
    int epochs;
    double val_fraction;
    double test_fraction;
    uint64_t seed;
    int patience;
    int schedule;               /* nnc_schedule */
    int step_epochs;
    double gamma;
    double min_learning_rate;
    int scaling;                /* nnc_scaling, or -1 for the default */
    const char *out;
    const char *checkpoint;
    int checkpoint_every;
    const char *resume;
    const char *log;
    const char *plot_dir;
    int progress;               /* progress_mode */
    const char *command;        /* "train" or "cv", for messages */
    int folds;                  /* cv: --folds K */
    const char *folds_out;      /* cv: --folds-out FILE, each row's fold */
    int test_given, out_given;  /* --test and --out were given (cv refuses them) */
    char **text;                /* --text A,B: free-text columns, as bags of words */
    int n_text;
    nnc_vectorizer_options words;   /* --normalize, --text-features, --bigrams, ... */
    char **stop_words;          /* --stop-words FILE, one word per line */
    int n_stop_words;
    int words_given;            /* a bag-of-words option was given */
} train_options;

/* Reads command's options (train's, and for cv --folds and --folds-out) into
 * o: 0 to go on, 1 if help was printed, -1 on a usage error (after a
 * message). Free with train_options_free, whatever it returned. */
int train_parse_options(int argc, char **argv, const char *command, train_options *o);
void train_options_free(train_options *o);

/* The data set o names, read as train reads it (text columns categorical,
 * missing cells kept unless --missing error, --input-shape and
 * --class-names applied) into *out: 0, or an exit code after a message. */
int train_load(const train_options *o, nnc_dataset **out);

/* Trains on train (holding out o's validation fraction of it for early
 * stopping) exactly as nnc train does after its split, and judges the model
 * on test; both parts raw, both taken. *tested gets the test metrics and
 * *epochs the epochs run. 0, or an exit code after a message. */
int train_fold(const train_options *o, nnc_rng *rng, nnc_dataset *train, nnc_dataset *test,
               nnc_metrics *tested, int *epochs);

#endif

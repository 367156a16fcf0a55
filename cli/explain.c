/*
 * explain.c - nnc explain: the words that push a text model's predictions
 * towards each class, read from its trained weights.
 */
#include "commands.h"

#include "args.h"
#include "model_data.h"
#include "report.h"

#include "nnc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: nnc explain --model FILE.nnc [--top N]\n"
            "\n"
            "For a model trained on text columns (nnc train --text), lists for each class\n"
            "the words that push a prediction towards it most: those whose one-word text\n"
            "raises the class's log-probability against the classes' mean the most over an\n"
            "empty text (for a regression: raise the prediction most), column by column.\n"
            "\n"
            "  --model FILE   the model\n"
            "  --top N        words per class (default 10)\n");
}

/* A term and its score, for sorting. */
typedef struct ranked {
    int term;
    float score;
} ranked;

static int by_score(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (x->term > y->term) - (x->term < y->term);   /* ties: vocabulary order */
}

/* The top words of every class for text column t. */
static int explain_column(nnc_model *model, int t, int top)
{
    const nnc_text_columns *tc = nnc_model_text_columns(model);
    const nnc_vectorizer *v = nnc_text_columns_vectorizer(tc, t);
    int n = nnc_vectorizer_terms(v), classes = nnc_model_classes(model);
    int k = classes > 0 ? classes : nnc_net_outputs(nnc_model_net(model));
    float *scores = malloc((size_t)n * (size_t)k * sizeof *scores);
    ranked *order = malloc((size_t)n * sizeof *order);
    if (scores == NULL || order == NULL) {
        free(scores);
        free(order);
        fprintf(stderr, "nnc: out of memory\n");
        return 1;
    }
    int rc = 0;
    if (nnc_model_term_scores(model, t, scores) != NNC_OK)
        rc = fail_with_library_error();
    printf("text column '%s' (%d terms)%s\n", nnc_text_columns_name(tc, t), n,
           classes > 0 ? ": how much the word alone raises the class's log-odds over no word"
                       : "");
    for (int c = 0; rc == 0 && c < k; c++) {
        for (int i = 0; i < n; i++)
            order[i] = (ranked){i, scores[(size_t)i * k + c]};
        qsort(order, (size_t)n, sizeof *order, by_score);
        if (classes > 0)
            printf("  %s:", nnc_model_class_label(model, c));
        else
            printf("  output %d:", c + 1);
        for (int i = 0; i < top && i < n; i++)
            printf("%s %s (%+.2f)", i ? "," : "", nnc_vectorizer_term(v, order[i].term),
                   (double)order[i].score);
        printf("\n");
    }
    free(scores);
    free(order);
    return rc;
}

int command_explain(int argc, char **argv)
{
    enum { OPT_MODEL = 256, OPT_TOP };
    static const struct option options[] = {
        { "model", required_argument, NULL, OPT_MODEL },
        { "top", required_argument, NULL, OPT_TOP },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = NULL;
    int top = 10, c;
    begin_options();
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case OPT_MODEL: path = optarg; break;
        case OPT_TOP:
            if (parse_int("--top", optarg, 1, 1000000, &top) != 0)
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: return bad_option("explain", argv, options);
        }
    }
    if (path == NULL || optind < argc) {
        usage(stderr);
        return 2;
    }
    nnc_model *model = load_model(path);
    if (model == NULL)
        return 1;
    const nnc_text_columns *tc = nnc_model_text_columns(model);
    int rc = 0;
    if (tc == NULL) {
        fprintf(stderr, "nnc explain: %s reads no text columns (train with --text): there are "
                        "no words to explain\n", path);
        rc = 2;
    }
    for (int t = 0; rc == 0 && t < nnc_text_columns_count(tc); t++)
        rc = explain_column(model, t, top);
    nnc_model_free(model);
    return rc;
}

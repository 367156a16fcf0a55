/* libFuzzer target for nnc_dataset_load_csv. The first input byte picks the
 * options: its low three bits default, target "y", forced classification or
 * regression, no target, optional target, a dropped column, expected inputs
 * and classes; the next two the dialect (detected, no header, ';' or tab
 * given); the top three the table's reading (as before; missing cells kept;
 * text columns categorical; both, with the expected inputs' kinds given as a
 * model's encoder gives them); the rest is the file. Whatever the file, the load's heap must stay within
 * a small multiple of it (see CSV_BYTES_PER_BYTE). */
#include "fuzz_common.h"
#include <nnc.h>

static fuzz_file csv_file;

/* What a load may cost: the file and the set it builds (4 bytes a cell, at
 * least 2 bytes of file each) and 8 bytes a row, with room for the doubling
 * of the row blocks, is under 16 bytes per byte; each header column costs
 * some 100 bytes of bookkeeping (field, name, sorted name, role, input name
 * and its copy), and a column can be a single comma. A float per row and
 * class, as targets once were, is thousands of bytes per byte. */
#define CSV_BYTES_PER_BYTE 16.0
/* A categorical column costs more while it is read: a pointer per cell, a
 * sort entry per row, and a string per level (a level can be two bytes of
 * file that malloc rounds up to 32). */
#define CSV_CATEGORICAL_BYTES_PER_BYTE 48.0
#define CSV_BYTES_PER_COLUMN 160.0
#define CSV_FIXED_BYTES (1 << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_file_open(&csv_file, "csv");
    fuzz_count_memory();
    return 0;
}

/* An upper bound on the header's columns: the delimiters of any kind
 * before the first line end outside quotes (a quoted name may hold both),
 * plus one. */
static size_t header_columns(const uint8_t *data, size_t size)
{
    size_t columns = 1;
    int quoted = 0;
    for (size_t i = 0; i < size && (quoted || (data[i] != '\n' && data[i] != '\r')); i++) {
        quoted ^= data[i] == '"';
        columns += data[i] == ',' || data[i] == ';' || data[i] == '\t' || data[i] == '|';
    }
    return columns;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    fuzz_file_write(&csv_file, data + 1, size - 1);

    static const char *const drop[] = {"x"};
    static const char *const inputs[] = {"a", "b"};
    static const char *const classes[] = {"setosa", "versicolor", "virginica"};
    nnc_csv_options opt = nnc_csv_defaults();
    switch (mode % 8) {
    case 0: break;
    case 1: opt.target = "y"; break;
    case 2: opt.task = NNC_TASK_CLASSIFICATION; break;
    case 3: opt.task = NNC_TASK_REGRESSION; break;
    case 4: opt.no_target = 1; break;
    case 5: opt.target = "y"; opt.target_optional = 1; break;
    case 6: opt.drop = drop; opt.n_drop = 1; opt.target = "y"; break;
    case 7:
        opt.inputs = inputs; opt.n_inputs = 2;
        opt.classes = classes; opt.n_classes = 3;
        opt.target = "y"; opt.target_optional = 1;
        break;
    }
    switch ((mode / 8) % 4) {
    case 0: break;
    case 1: opt.no_header = 1; break;
    case 2: opt.delimiter = ';'; break;
    case 3: opt.delimiter = '\t'; break;
    }
    static const nnc_column_kind kinds[] = {NNC_COLUMN_CATEGORICAL, NNC_COLUMN_NUMERIC};
    switch ((mode / 32) % 4) {
    case 0: break;
    case 1: opt.keep_missing = 1; break;
    case 2: opt.categorical = 1; break;
    case 3:
        opt.keep_missing = opt.categorical = 1;
        if (opt.n_inputs > 0)
            opt.input_kinds = kinds;
        break;
    }
    /* The top bit: column "t" is free text, which then goes through a bag
     * of words (words as they are: the lemmatiser's dictionary is not the
     * fuzzer's business). */
    static const char *const text[] = {"t"};
    if (mode & 128) {
        opt.text = text;
        opt.n_text = 1;
    }
    double per_byte = opt.categorical || opt.input_kinds ? CSV_CATEGORICAL_BYTES_PER_BYTE
                                                         : CSV_BYTES_PER_BYTE;

    nnc_dataset *ds = NULL;
    long long base = fuzz_peak_start();
    nnc_status st = nnc_dataset_load_csv(csv_file.path, &opt, &ds);
    fuzz_peak_check("nnc_dataset_load_csv", base,
                    per_byte * (double)(size - 1) +
                    CSV_BYTES_PER_COLUMN * (double)header_columns(data + 1, size - 1) +
                    CSV_FIXED_BYTES);
    if (st == NNC_OK)
        fuzz_touch_dataset(ds);
    if (st == NNC_OK && nnc_dataset_text_columns(ds) > 0) {
        nnc_vectorizer_options vo = nnc_vectorizer_defaults();
        vo.normalize = NNC_NORMALIZE_NONE;
        vo.features = NNC_FEATURES_TFIDF;
        vo.bigrams = 1;
        nnc_text_columns *tc = NULL;
        nnc_dataset *bag = NULL;
        if (nnc_text_columns_fit(ds, &vo, &tc) == NNC_OK &&
            nnc_text_columns_apply(tc, ds, &bag, NULL) == NNC_OK &&
            nnc_dataset_inputs(bag) != nnc_dataset_inputs(ds) + nnc_text_columns_width(tc))
            __builtin_trap();   /* the inputs are the table's, then the terms */
        nnc_dataset_free(bag);
        nnc_text_columns_free(tc);
    }
    nnc_dataset_free(ds);
    return 0;
}

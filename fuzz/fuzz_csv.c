/* libFuzzer target for nnc_dataset_load_csv. The first input byte picks the
 * options (default, target "y", forced classification or regression, no
 * target, optional target, a dropped column, expected inputs and classes);
 * the rest is the file. */
#include "fuzz_common.h"
#include <nnc.h>

static fuzz_file csv_file;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_file_open(&csv_file, "csv");
    return 0;
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

    nnc_dataset *ds = NULL;
    nnc_status st = nnc_dataset_load_csv(csv_file.path, &opt, &ds);
    if (st == NNC_OK)
        fuzz_touch_dataset(ds);
    nnc_dataset_free(ds);
    return 0;
}

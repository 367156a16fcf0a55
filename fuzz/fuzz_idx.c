/* libFuzzer target for nnc_dataset_load_idx. The first two bytes (big
 * endian) give where the rest splits into the images file and the labels
 * file; either may be raw or gzip-compressed. */
#include "fuzz_common.h"
#include <nnc.h>

static fuzz_file images_file, labels_file;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_file_open(&images_file, "images");
    fuzz_file_open(&labels_file, "labels");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t cut = ((size_t)data[0] << 8) | data[1];
    data += 2;
    size -= 2;
    if (cut > size)
        cut = size;
    fuzz_file_write(&images_file, data, cut);
    fuzz_file_write(&labels_file, data + cut, size - cut);

    nnc_dataset *ds = NULL;
    nnc_status st = nnc_dataset_load_idx(images_file.path, labels_file.path, &ds);
    if (st == NNC_OK)
        fuzz_touch_dataset(ds);
    nnc_dataset_free(ds);
    return 0;
}

/* libFuzzer target for nnc_dataset_load_idx. The first two bytes (big
 * endian) give where the rest splits into the images file and the labels
 * file; either may be raw or gzip-compressed. Whatever the files claim, the
 * load's heap must follow the bytes they really hold, inflated: a header
 * that claims 2 GB of a 100-byte file must cost next to nothing, and a
 * file that inflates a thousandfold no more than about its pixels. */
#include "fuzz_common.h"
#include <nnc.h>
#include <zlib.h>

static fuzz_file images_file, labels_file;

/* Inputs that inflate beyond this are skipped: their cost is measured by
 * tests/test_data_costs, and here they would only make -rss_limit_mb large. */
#define IDX_MAX_INFLATED ((uint64_t)64 << 20)
/* The loader's own buffers: a first data buffer of 1 MiB and a 128 KiB read
 * buffer with zlib's state for each file. */
#define IDX_FIXED_BYTES (3 << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_file_open(&images_file, "images");
    fuzz_file_open(&labels_file, "labels");
    fuzz_count_memory();
    return 0;
}

/* The bytes a file holds as the loader reads it: itself when raw, else what
 * its gzip members inflate to (up to anything else, which is refused), up
 * to cap. */
static uint64_t inflated_size(const uint8_t *data, size_t size, uint64_t cap)
{
    if (size < 2 || data[0] != 0x1f || data[1] != 0x8b)
        return size;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        abort();
    static unsigned char out[1 << 16];
    uint64_t total = 0;
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)size;
    while (total < cap) {
        z.next_out = out;
        z.avail_out = sizeof out;
        int rc = inflate(&z, Z_NO_FLUSH);
        total += sizeof out - z.avail_out;
        if (rc == Z_STREAM_END && z.avail_in >= 2 && z.next_in[0] == 0x1f &&
            z.next_in[1] == 0x8b)
            inflateReset(&z);   /* another member */
        else if (rc != Z_OK)
            break;   /* the end, damage, or no more input */
    }
    inflateEnd(&z);
    return total;
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
    uint64_t pixels = inflated_size(data, cut, IDX_MAX_INFLATED + 1);
    uint64_t labels = inflated_size(data + cut, size - cut, IDX_MAX_INFLATED + 1);
    if (pixels + labels > IDX_MAX_INFLATED)
        return 0;
    fuzz_file_write(&images_file, data, cut);
    fuzz_file_write(&labels_file, data + cut, size - cut);

    nnc_dataset *ds = NULL;
    long long base = fuzz_peak_start();
    nnc_status st = nnc_dataset_load_idx(images_file.path, labels_file.path, &ds);
    /* pixels: a buffer that doubles up to the data (realloc may hold old and
     * new at once); labels: their bytes the same way, then an int each */
    fuzz_peak_check("nnc_dataset_load_idx", base,
                    3.0 * (double)pixels + 6.0 * (double)labels + IDX_FIXED_BYTES);
    if (st == NNC_OK)
        fuzz_touch_dataset(ds);
    nnc_dataset_free(ds);
    return 0;
}

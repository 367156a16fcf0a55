/*
 * dataset.c - instances and targets held in memory, one row each.
 *
 * The type is opaque so that loaders (CSV, IDX) can later keep more beside the
 * numbers (column names, class labels, a compact pixel form) without changing
 * the code that trains on it.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct nnc_dataset {
    int rows;
    int n_inputs;
    int n_targets;
    float *x;   /* rows x n_inputs */
    float *y;   /* rows x n_targets */
};

nnc_dataset *nnc_dataset_from_arrays(const float *x, const float *y, int rows,
                                     int n_inputs, int n_targets)
{
    if (x == NULL || y == NULL) {
        nnc_fail(NNC_EINVAL, "dataset: NULL array");
        return NULL;
    }
    if (rows < 1 || n_inputs < 1 || n_targets < 1) {
        nnc_fail(NNC_EINVAL, "dataset: rows, inputs and targets must be >= 1, got %d, %d, %d",
                 rows, n_inputs, n_targets);
        return NULL;
    }
    nnc_dataset *data = nnc_alloc(1, sizeof *data, 1);
    if (data == NULL)
        return NULL;
    size_t nx, ny;
    if (nnc_mul_overflows((size_t)rows, (size_t)n_inputs, &nx) ||
        nnc_mul_overflows((size_t)rows, (size_t)n_targets, &ny) ||
        (data->x = nnc_alloc(nx, sizeof(float), 0)) == NULL ||
        (data->y = nnc_alloc(ny, sizeof(float), 0)) == NULL) {
        nnc_dataset_free(data);
        return NULL;
    }
    memcpy(data->x, x, nx * sizeof(float));
    memcpy(data->y, y, ny * sizeof(float));
    data->rows = rows;
    data->n_inputs = n_inputs;
    data->n_targets = n_targets;
    return data;
}

void nnc_dataset_free(nnc_dataset *data)
{
    if (data == NULL)
        return;
    free(data->x);
    free(data->y);
    free(data);
}

int nnc_dataset_rows(const nnc_dataset *data) { return data ? data->rows : 0; }
int nnc_dataset_inputs(const nnc_dataset *data) { return data ? data->n_inputs : 0; }
int nnc_dataset_targets(const nnc_dataset *data) { return data ? data->n_targets : 0; }

const float *nnc_dataset_x(const nnc_dataset *data, int i)
{
    if (data == NULL || i < 0 || i >= data->rows)
        return NULL;
    return data->x + (size_t)i * (size_t)data->n_inputs;
}

const float *nnc_dataset_y(const nnc_dataset *data, int i)
{
    if (data == NULL || i < 0 || i >= data->rows)
        return NULL;
    return data->y + (size_t)i * (size_t)data->n_targets;
}

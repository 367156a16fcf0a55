/*
 * normalize.c - per-column scaling fitted on training data only.
 *
 * Networks train far better when every input has a similar range. The
 * offsets and scales are learnt from the training part alone (fitting them on
 * test data would leak it into training) and then travel with the model, so
 * `predict` applies exactly the transform training saw.
 */
#include "data/data.h"

#include <math.h>
#include <stdlib.h>

nnc_normalizer *nnc_normalizer_alloc(nnc_scaling kind, int n_inputs, int n_targets)
{
    nnc_normalizer *norm = nnc_alloc(1, sizeof *norm, 1);
    if (norm == NULL)
        return NULL;
    norm->kind = kind;
    norm->n_inputs = n_inputs;
    norm->n_targets = n_targets;
    norm->offset = nnc_alloc((size_t)n_inputs, sizeof(float), 1);
    norm->scale = nnc_alloc((size_t)n_inputs, sizeof(float), 0);
    norm->target_offset = nnc_alloc((size_t)n_targets, sizeof(float), 1);
    norm->target_scale = nnc_alloc((size_t)n_targets, sizeof(float), 0);
    if (!norm->offset || !norm->scale || !norm->target_offset || !norm->target_scale) {
        nnc_normalizer_free(norm);
        return NULL;
    }
    for (int j = 0; j < n_inputs; j++)
        norm->scale[j] = 1.0f;
    for (int j = 0; j < n_targets; j++)
        norm->target_scale[j] = 1.0f;
    return norm;
}

void nnc_normalizer_free(nnc_normalizer *norm)
{
    if (norm == NULL)
        return;
    free(norm->offset);
    free(norm->scale);
    free(norm->target_offset);
    free(norm->target_scale);
    free(norm);
}

nnc_scaling nnc_normalizer_kind(const nnc_normalizer *norm)
{
    return norm ? norm->kind : NNC_SCALE_NONE;
}

/* Offset and scale of column j of a rows x cols float matrix. A column with
 * no spread keeps scale 1: dividing by ~0 would blow up unseen values. */
static void fit_column(nnc_scaling kind, const float *v, int rows, int cols, int j,
                       float *offset, float *scale)
{
    double lo = v[j], hi = v[j], sum = 0.0, sum_sq = 0.0;
    for (int i = 0; i < rows; i++) {
        double x = v[(size_t)i * cols + j];
        sum += x;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    double mean = sum / rows;
    for (int i = 0; i < rows; i++) {
        double d = v[(size_t)i * cols + j] - mean;
        sum_sq += d * d;
    }
    double spread = kind == NNC_SCALE_MINMAX ? hi - lo : sqrt(sum_sq / rows);
    *offset = (float)(kind == NNC_SCALE_MINMAX ? lo : mean);
    *scale = spread > 1e-12 ? (float)(1.0 / spread) : 1.0f;
}

nnc_normalizer *nnc_normalizer_fit(const nnc_dataset *data, nnc_scaling kind)
{
    if (data == NULL) {
        nnc_fail(NNC_EINVAL, "normalizer: NULL data");
        return NULL;
    }
    if (kind != NNC_SCALE_NONE && kind != NNC_SCALE_STANDARD && kind != NNC_SCALE_MINMAX) {
        nnc_fail(NNC_EINVAL, "normalizer: unknown scaling %d", (int)kind);
        return NULL;
    }
    if (kind != NNC_SCALE_NONE && data->bytes != NULL) {
        nnc_fail(NNC_EINVAL, "normalizer: image data is already scaled to [0, 1]; "
                             "use no normalisation for it");
        return NULL;
    }
    int n_targets = data->task == NNC_TASK_REGRESSION ? data->n_targets : 0;
    nnc_normalizer *norm = nnc_normalizer_alloc(kind, data->n_inputs, n_targets);
    if (norm == NULL)
        return NULL;
    for (int j = 0; kind != NNC_SCALE_NONE && j < data->n_inputs; j++)
        fit_column(kind, data->x, data->rows, data->n_inputs, j, &norm->offset[j],
                   &norm->scale[j]);
    /* Regression targets are always standardised: the loss then has the same
     * scale whatever units the target is in. */
    for (int j = 0; j < n_targets; j++)
        fit_column(NNC_SCALE_STANDARD, data->y, data->rows, n_targets, j,
                   &norm->target_offset[j], &norm->target_scale[j]);
    return norm;
}

static void transform(float *v, int rows, int cols, const float *offset, const float *scale)
{
    for (int i = 0; i < rows; i++) {
        float *row = v + (size_t)i * cols;
        for (int j = 0; j < cols; j++)
            row[j] = (row[j] - offset[j]) * scale[j];
    }
}

nnc_status nnc_normalizer_apply_rows(const nnc_normalizer *norm, float *x, int rows)
{
    if (norm == NULL || x == NULL)
        return nnc_fail(NNC_EINVAL, "normalize: NULL argument");
    transform(x, rows, norm->n_inputs, norm->offset, norm->scale);
    return NNC_OK;
}

nnc_status nnc_normalizer_apply(const nnc_normalizer *norm, nnc_dataset *data)
{
    if (norm == NULL || data == NULL)
        return nnc_fail(NNC_EINVAL, "normalize: NULL argument");
    if (data->n_inputs != norm->n_inputs)
        return nnc_fail(NNC_EINVAL, "normalize: the data has %d inputs, the normaliser %d",
                        data->n_inputs, norm->n_inputs);
    int targets = norm->n_targets > 0 && data->task == NNC_TASK_REGRESSION;
    /* Every check before any change: a refused call leaves the data as it was. */
    if (targets && data->n_targets != norm->n_targets)
        return nnc_fail(NNC_EINVAL, "normalize: the data has %d targets, the normaliser %d",
                        data->n_targets, norm->n_targets);
    if (norm->kind != NNC_SCALE_NONE && data->bytes != NULL)
        return nnc_fail(NNC_EINVAL, "normalize: image data cannot be normalised");
    if (norm->kind != NNC_SCALE_NONE)
        transform(data->x, data->rows, data->n_inputs, norm->offset, norm->scale);
    if (targets)
        transform(data->y, data->rows, data->n_targets, norm->target_offset,
                  norm->target_scale);
    return NNC_OK;
}

nnc_status nnc_normalizer_restore_targets(const nnc_normalizer *norm, float *y, int rows)
{
    if (norm == NULL || y == NULL)
        return nnc_fail(NNC_EINVAL, "normalize: NULL argument");
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < norm->n_targets; j++) {
            float *v = y + (size_t)i * norm->n_targets + j;
            *v = *v / norm->target_scale[j] + norm->target_offset[j];
        }
    return NNC_OK;
}

double nnc_normalizer_target_scale(const nnc_normalizer *norm)
{
    return norm && norm->n_targets > 0 ? norm->target_scale[0] : 1.0;
}

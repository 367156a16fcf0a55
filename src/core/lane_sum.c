/*
 * lane_sum.c - a float sum the compiler can vectorise, in a fixed order.
 */
#include "core/core.h"

float nnc_lane_sum(const float *v, size_t n)
{
    float lane[8] = { 0 };
    size_t q = 0;
    for (; q + 8 <= n; q += 8)
        for (int l = 0; l < 8; l++)
            lane[l] += v[q + l];
    float sum = 0.0f;
    for (int l = 0; l < 8; l++)
        sum += lane[l];
    for (; q < n; q++)
        sum += v[q];
    return sum;
}

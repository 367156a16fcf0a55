/*
 * rng.c - the seeded random generator: xoshiro256** seeded by splitmix64.
 *
 * Why not rand(): its quality and sequence differ between C libraries, and it
 * has hidden global state. Everything random in nnc draws from an nnc_rng the
 * caller owns, so the same seed reproduces the same run on any machine.
 */
#include "nnc.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* A NULL generator is tolerated everywhere (nothing happens, draws are 0):
 * these functions have no status to return it through. */

void nnc_rng_seed(nnc_rng *rng, uint64_t seed)
{
    if (rng == NULL)
        return;
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
    rng->spare_normal = 0.0;
    rng->has_spare = 0;
}

uint64_t nnc_rng_u64(nnc_rng *rng)
{
    if (rng == NULL)
        return 0;
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double nnc_rng_uniform(nnc_rng *rng)
{
    return (double)(nnc_rng_u64(rng) >> 11) * 0x1.0p-53;
}

uint64_t nnc_rng_below(nnc_rng *rng, uint64_t n)
{
    if (n == 0 || rng == NULL)
        return 0;
    /* Rejection keeps every value equally likely: draws from the incomplete
     * last block of size 2^64 mod n are thrown away. */
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t r = nnc_rng_u64(rng);
        if (r >= threshold)
            return r % n;
    }
}

double nnc_rng_normal(nnc_rng *rng)
{
    if (rng == NULL)
        return 0.0;
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare_normal;
    }
    /* Box-Muller: two uniforms give two independent normals. 1 - u keeps the
     * logarithm's argument in (0, 1]. */
    const double two_pi = 6.283185307179586476925286766559;
    double u1 = 1.0 - nnc_rng_uniform(rng);
    double u2 = nnc_rng_uniform(rng);
    double radius = sqrt(-2.0 * log(u1));
    rng->spare_normal = radius * sin(two_pi * u2);
    rng->has_spare = 1;
    return radius * cos(two_pi * u2);
}

void nnc_rng_permutation(nnc_rng *rng, size_t *index, size_t n)
{
    if (index == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        index[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)nnc_rng_below(rng, i);
        size_t t = index[i - 1];
        index[i - 1] = index[j];
        index[j] = t;
    }
}

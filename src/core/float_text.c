/*
 * float_text.c - the shortest decimal text of a float.
 *
 * %.9g gives every float its exact value back, but shows 0.01f as
 * 0.00999999978; people expect the 0.01 they typed. The shortest of %.1g to
 * %.9g that strtof reads back bit for bit is that text, and still exact
 * (Steele and White's "shortest" criterion, found by trying).
 */
#define _POSIX_C_SOURCE 200809L
#include "core/core.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* snprintf and strtof in the C locale, so the text has a '.' whatever the
 * program set for its messages. */
int nnc_format_float(float v, char *buf, size_t size)
{
    if (buf == NULL || size == 0)
        return 0;
    if (isnan(v))
        return snprintf(buf, size, "nan");
    if (isinf(v))
        return snprintf(buf, size, v > 0 ? "inf" : "-inf");
    locale_t c_numbers = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t previous = c_numbers != (locale_t)0 ? uselocale(c_numbers) : (locale_t)0;
    char text[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, (double)v);
        if (strtof(text, NULL) == v)
            break;
    }
    /* %g writes 4000 with one digit as "4e+03": below 10^9 a number reads
     * better written out, is as exact, and still fits 16 bytes. */
    const char *e = strchr(text, 'e');
    int exponent = e != NULL ? atoi(e + 1) : -1;
    if (exponent >= 0 && exponent < 9)
        snprintf(text, sizeof text, "%.*g", exponent + 1, (double)v);
    if (c_numbers != (locale_t)0) {
        uselocale(previous);
        freelocale(c_numbers);
    }
    return snprintf(buf, size, "%s", text);
}

/*
 * json.c - JSON numbers and strings (see json.h).
 */
#include "json.h"

#include "nnc.h"

#include <math.h>

void json_number(FILE *to, double v)
{
    if (!isfinite(v) || !isfinite((float)v)) {
        fputs("null", to);
        return;
    }
    char text[16];
    nnc_format_float((float)v, text, sizeof text);
    fputs(text, to);
}

void json_pair(FILE *to, const char *key, double v)
{
    fprintf(to, ",\"%s\":", key);
    json_number(to, v);
}

void json_string(FILE *to, const char *s)
{
    fputc('"', to);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(to, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(to, "\\u%04x", *p);
        else
            fputc(*p, to);
    }
    fputc('"', to);
}

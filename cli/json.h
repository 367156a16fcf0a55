/*
 * json.h - the few JSON values the nnc program writes (--json): numbers as
 * the shortest text that reads back as the same float, strings escaped.
 */
#ifndef NNC_CLI_JSON_H
#define NNC_CLI_JSON_H

#include <stdio.h>

/* v as a JSON number: the shortest text that reads back as the same 32-bit
 * float (0.01, never 0.00999999978), as floats are what nnc computes in;
 * null when it is not finite, which JSON cannot write. */
void json_number(FILE *to, double v);

/* ,"key":v (key is written as it is: a plain name). */
void json_pair(FILE *to, const char *key, double v);

/* s as a JSON string, quotes included. */
void json_string(FILE *to, const char *s);

#endif

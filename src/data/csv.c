/*
 * csv.c - data sets from CSV files with a header row.
 *
 * The whole file is read into memory (data for this library is small; a cap
 * makes a wrong path fail fast) and parsed in one pass. Fields are unquoted in
 * place, so every header name and target cell stays a NUL-terminated string
 * inside that one buffer until the data set is built. Input cells become
 * floats as soon as their row is read; the target column is kept as text to
 * the end, because whether it holds classes or numbers depends on all of it.
 *
 * Memory follows the file: the buffer, the input floats (handed to the data
 * set, not copied), and per row only where its target text starts (4 bytes)
 * until the targets become floats or class indices (4 bytes each); a table
 * of line numbers is kept only for rows that do not start on the next line.
 * So a load peaks at the file plus the data set plus 4 bytes a row, and the
 * classes are counted in a table bounded by NNC_MAX_CLASSES, never a row of
 * floats per class.
 *
 * Every way a file can be wrong is NNC_EFORMAT with "path:line:column: ...",
 * line being the physical line (a quoted field may span several) and column
 * the field's 1-based number, so an editor can jump to it; problems of a
 * whole row or of the file leave out what they cannot name. Any byte sequence
 * gives a data set or such a message: the parser never reads past the buffer
 * (which ends in a NUL it never treats as data), every size is checked before
 * it is allocated, and work is linear in the file apart from sorting.
 *
 * Numbers are read with strtod in the C locale, whatever locale the program
 * has set, so "1.5" means the same everywhere.
 *
 * Without a target (no_target, or target_optional and none in the file), the
 * data set gets one column of zero targets and the regression task, so the
 * same type serves prediction data.
 */
#define _POSIX_C_SOURCE 200809L   /* newlocale, uselocale */
#include "data/data.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Files above this size are refused before they are read whole. */
#define MAX_FILE_BYTES ((size_t)1 << 30)
/* Columns a header may have: far more than real tables (MNIST as CSV has
 * 785), few enough that the per-column bookkeeping of a header of nothing
 * but commas stays small. */
#define MAX_COLUMNS (1 << 20)
/* AUTO calls a target of whole numbers classes when it has at most this many
 * distinct values: digits 0-9 are classes, prices in whole dollars are not.
 * A text target with more than this many is refused when it also has more
 * classes than half its rows: then most classes have a single example, as
 * with an identifier column, which no network can learn. Small sets (the
 * test files of a few rows and three classes) stay below it. */
#define AUTO_MAX_CLASSES 20
/* A classification asked for on numbers with more than AUTO_MAX_CLASSES
 * distinct values needs this many rows a class on average (see
 * numbers_as_classes). */
#define MIN_ROWS_PER_CLASS 5
/* Names and cells quoted in messages are cut after this many bytes. */
#define SHOW_BYTES 40

nnc_csv_options nnc_csv_defaults(void)
{
    nnc_csv_options options = {0};
    options.task = NNC_TASK_AUTO;
    return options;
}

/* ============================================================ messages */

/* A name or cell as it can appear in a message: control bytes written as
 * \xNN so a message stays one line, and cut (never inside a UTF-8
 * character) with "..." when long. A struct so that several can be passed to
 * one nnc_fail call: each lives until the end of that call's expression. */
typedef struct shown {
    char s[SHOW_BYTES * 4 + 4];
} shown;

static shown show(const char *text)
{
    shown out;
    size_t n = 0, i = 0;
    for (; text[i] != '\0' && i < SHOW_BYTES; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f)
            n += (size_t)snprintf(out.s + n, sizeof out.s - n, "\\x%02x", c);
        else
            out.s[n++] = (char)c;
    }
    if (text[i] != '\0') {
        if (((unsigned char)text[i] & 0xC0) == 0x80) {   /* cut inside a character */
            while (n > 0 && ((unsigned char)out.s[n - 1] & 0xC0) == 0x80)
                n--;
            if (n > 0 && (unsigned char)out.s[n - 1] >= 0xC0)
                n--;
        }
        memcpy(out.s + n, "...", 3);
        n += 3;
    }
    out.s[n] = '\0';
    return out;
}

/* names[0..n) as "'a', 'b', 'c'", cut with ", ..." to fit a message. */
typedef struct name_list {
    char s[240];
} name_list;

static name_list list_names(const char *const *names, int n)
{
    name_list out = {{0}};
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        shown name = show(names[i]);
        size_t need = strlen(name.s) + 4;   /* quotes, comma, space */
        if (len + need + 6 >= sizeof out.s) {
            memcpy(out.s + len, i > 0 ? ", ..." : "...", i > 0 ? 6 : 4);
            break;
        }
        len += (size_t)snprintf(out.s + len, sizeof out.s - len, "%s'%s'",
                                i > 0 ? ", " : "", name.s);
    }
    return out;
}

/* ============================================================== the parser */

/* A cursor over the file's text. text[size] is a NUL that the parser treats
 * as the end, so looking one byte ahead is always safe. */
typedef struct reader {
    const char *path;
    char *text;
    size_t size;
    size_t pos;    /* the next byte to read */
    long line;     /* the physical line pos is on, 1-based */
    int cr_lines;  /* the file has no LF: a lone CR ends a line */
    char delim;    /* between fields: given, or detected (detect_delimiter) */
} reader;

/* One field, unquoted, NUL-terminated inside the reader's text. */
typedef struct field {
    char *text;
    long line;     /* where the field starts */
} field;

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A blank the parser may skip between fields: a tab is a delimiter in a
 * tab-separated file, never padding. */
static int is_padding(const reader *r, char c)
{
    return c == ' ' || (c == '\t' && r->delim != '\t');
}

/* The length of the line end at p: LF or CRLF, or in a file of CR line
 * ends (old Mac programs wrote them, and a file without a single LF has no
 * other) a CR; 0 if none is there. Elsewhere a lone CR is part of a cell. */
static size_t line_end(const reader *r, const char *p)
{
    if (p[0] == '\n')
        return 1;
    if (p[0] == '\r' && p[1] == '\n')
        return 2;
    return p[0] == '\r' && r->cr_lines;
}

/* The reader sits at an empty line. */
static int at_empty_line(const reader *r)
{
    return r->pos < r->size && line_end(r, r->text + r->pos) > 0;
}

/* Nothing but line ends from the reader to the end of the file. */
static int only_line_ends_left(const reader *r)
{
    for (size_t i = r->pos; i < r->size; i++)
        if (r->text[i] != '\n' && r->text[i] != '\r')
            return 0;
    return 1;
}

/* The delimiters a file may be detected to use, in the order a tie goes. */
static const char DELIMITERS[] = ",;\t|";
#define N_DELIMITERS 4

/* Counts each candidate delimiter outside quotes in the row that starts at
 * pos; returns where the next row starts (the file's size after the last). */
static size_t count_delimiters(const reader *r, size_t pos, int count[N_DELIMITERS])
{
    int quoted = 0;
    for (; pos < r->size; pos++) {
        char c = r->text[pos];
        if (c == '"') {   /* a doubled quote toggles twice */
            quoted = !quoted;
            continue;
        }
        if (quoted)
            continue;
        size_t n = line_end(r, r->text + pos);
        if (n > 0)
            return pos + n;
        for (int d = 0; d < N_DELIMITERS; d++)
            count[d] += c == DELIMITERS[d];
    }
    return pos;
}

/* The delimiter of the rows from the reader on: of comma, semicolon, tab
 * and pipe, the one the first row has most of among those the second row
 * has as many of (a semicolon file with decimal commas in its data still
 * reads as semicolons); the first row's most frequent if none agrees, a
 * comma if it has none (one column). */
static char detect_delimiter(const reader *r)
{
    int first[N_DELIMITERS] = { 0 }, second[N_DELIMITERS] = { 0 };
    size_t next = count_delimiters(r, r->pos, first);
    if (next < r->size)
        count_delimiters(r, next, second);
    int best = -1;
    for (int agree = 1; agree >= 0 && best < 0; agree--)
        for (int d = 0; d < N_DELIMITERS; d++)
            if (first[d] > 0 && (!agree || second[d] == first[d]) &&
                (best < 0 || first[d] > first[best]))
                best = d;
    return best < 0 ? ',' : DELIMITERS[best];
}

/* Consumes the delimiter after a field, if one is there: the delimiter
 * (more fields follow), a line end, or the end of the file (the row ends). */
static int take_delimiter(reader *r, int *row_ends)
{
    const char *p = r->text + r->pos;
    if (r->pos >= r->size) {
        *row_ends = 1;
        return 1;
    }
    size_t n = p[0] == r->delim ? 1 : line_end(r, p);
    if (n == 0)
        return 0;
    *row_ends = p[0] != r->delim;
    r->pos += n;
    r->line += *row_ends;
    return 1;
}

static nnc_status nul_byte(const reader *r, int column)
{
    return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: NUL byte in the file (is it a binary file?)",
                    r->path, r->line, column);
}

static nnc_status unquoted_field(reader *r, int column, field *f, int *row_ends)
{
    f->text = r->text + r->pos;
    f->line = r->line;
    for (;;) {
        size_t end = r->pos;
        if (take_delimiter(r, row_ends)) {
            r->text[end] = '\0';
            return NNC_OK;
        }
        char c = r->text[r->pos];
        if (c == '"')
            return nnc_fail(NNC_EFORMAT,
                            "%s:%ld:%d: quote inside an unquoted field (quote the whole "
                            "field and double the quotes in it)",
                            r->path, r->line, column);
        if (c == '\0')
            return nul_byte(r, column);
        r->pos++;
    }
}

/* A field in double quotes starting at the quote at index quote (after
 * optional blanks); "" stands for one quote. The unquoted text is written
 * over the field's own bytes, which is safe because it is never longer and
 * the writing never overtakes the reading. */
static nnc_status quoted_field(reader *r, size_t quote, int column, field *f, int *row_ends)
{
    char *out = r->text + r->pos;
    size_t n = 0;
    f->text = out;
    f->line = r->line;
    for (r->pos = quote + 1;; r->pos++) {
        if (r->pos >= r->size)
            return nnc_fail(NNC_EFORMAT,
                            "%s:%ld:%d: unterminated quote: the quoted field starting "
                            "here runs to the end of the file",
                            r->path, f->line, column);
        char c = r->text[r->pos];
        if (c == '\0')
            return nul_byte(r, column);
        if (c == '"' && r->text[r->pos + 1] != '"')
            break;
        r->pos += c == '"';   /* "" is one quote */
        r->line += c == '\n' || (c == '\r' && r->cr_lines);
        out[n++] = c;
    }
    r->pos++;   /* the closing quote */
    while (is_padding(r, r->text[r->pos]))
        r->pos++;
    if (!take_delimiter(r, row_ends)) {
        unsigned char c = (unsigned char)r->text[r->pos];
        char shown_c[8];
        snprintf(shown_c, sizeof shown_c, c > 0x20 && c < 0x7f ? "%c" : "\\x%02x", c);
        return nnc_fail(NNC_EFORMAT,
                        "%s:%ld:%d: '%s' after the closing quote of a field (a quote "
                        "inside quotes is written \"\")",
                        r->path, r->line, column, shown_c);
    }
    out[n] = '\0';
    return NNC_OK;
}

/* Reads the next field of the row; *row_ends says whether it was the last. */
static nnc_status next_field(reader *r, int column, field *f, int *row_ends)
{
    size_t q = r->pos;
    while (is_padding(r, r->text[q]))
        q++;
    if (r->text[q] == '"')   /* q <= size, and text[size] is NUL: never a quote */
        return quoted_field(r, q, column, f, row_ends);
    return unquoted_field(r, column, f, row_ends);
}

/* Reads a whole row: its first cap fields into fields, the number of all of
 * them into *found (a ragged row is reported by the caller, with both counts). */
static nnc_status next_row(reader *r, field *fields, int cap, int *found)
{
    int n = 0, row_ends = 0;
    while (!row_ends) {
        field f;
        nnc_status st = next_field(r, n + 1, &f, &row_ends);
        if (st != NNC_OK)
            return st;
        if (n < cap)
            fields[n] = f;
        n++;   /* at most one field per byte, and files stay below INT_MAX bytes */
    }
    *found = n;
    return NNC_OK;
}

/* ================================================================ cells */

typedef enum number_kind {
    NUMBER_OK,
    NUMBER_EMPTY,
    NUMBER_TEXT,         /* not a number at all */
    NUMBER_NOT_FINITE,   /* nan, inf */
    NUMBER_TOO_LARGE     /* finite, but beyond a float */
} number_kind;

/* Parses a whole cell as a number; blanks around it are allowed. */
static number_kind parse_number(const char *s, double *value)
{
    while (is_blank(*s))
        s++;
    if (*s == '\0')
        return NUMBER_EMPTY;
    if (strchr("\n\v\f\r", *s) != NULL)   /* strtod would skip these silently */
        return NUMBER_TEXT;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s)
        return NUMBER_TEXT;
    while (is_blank(*end))
        end++;
    if (*end != '\0')
        return NUMBER_TEXT;
    *value = v;
    if (isnan(v) || (isinf(v) && errno != ERANGE))
        return NUMBER_NOT_FINITE;
    if (isinf(v) || fabs(v) > FLT_MAX)
        return NUMBER_TOO_LARGE;
    return NUMBER_OK;   /* an underflow to 0 or a subnormal is fine */
}

/* Cuts the blanks off both ends of a cell, in place. */
static char *trim(char *s)
{
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_blank(s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* The texts that stand for a missing cell, compared without regard to case
 * (an empty cell is missing too): what R, pandas and spreadsheets write. */
static const char *const MISSING_TOKENS[] = {"NA", "N/A", "NaN", "null", "?"};

/* Case folding for ASCII letters only, whatever the locale. */
static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int nnc_cell_is_missing(const char *cell)
{
    if (cell == NULL)
        return 1;
    while (is_blank(*cell))
        cell++;
    size_t n = strlen(cell);
    while (n > 0 && is_blank(cell[n - 1]))
        n--;
    if (n == 0)
        return 1;
    for (size_t t = 0; t < sizeof MISSING_TOKENS / sizeof *MISSING_TOKENS; t++) {
        const char *token = MISSING_TOKENS[t];
        size_t i = 0;
        while (i < n && token[i] != '\0' && ascii_lower(cell[i]) == ascii_lower(token[i]))
            i++;
        if (i == n && token[i] == '\0')
            return 1;
    }
    return 0;
}

/* A class label for a number: 15 significant digits, so "3", "3.0" and
 * " 3 " are all class "3". */
static void number_label(double v, char label[32])
{
    snprintf(label, 32, "%.15g", v == 0 ? 0.0 : v);   /* no "-0" */
}

/* ============================================================ the loader */

/* What a column of the file becomes; an input column holds its index >= 0. */
enum {
    COLUMN_FREE = -1,      /* not assigned yet */
    COLUMN_TARGET = -2,
    COLUMN_DROPPED = -3,
    COLUMN_SKIPPED = -4,   /* the target column of data read without targets */
    COLUMN_ID = -5,        /* kept as text for each row (options->id) */
    COLUMN_TEXT = -6       /* free text for a bag of words (options->text) */
};

/* Where the line numbers of target cells break the pattern "one row, one
 * line": row's target is on line, and each later row's on the next line
 * until the next mark. Lines fit an int: files are below 2^30 bytes. */
typedef struct line_mark {
    int row;
    int line;
} line_mark;

/* An input column that is (or may become) categorical: each row's cell text
 * while the file is read, NULL for a cell that is missing or was a number
 * before the column met its first text (the number is then in x). */
typedef struct text_column {
    const char **cells;        /* rows_cap, once the column holds text */
    int forced;                /* the caller said it is categorical */
    long numbers, texts;       /* non-missing cells of each kind */
    int first_row;             /* the first text cell's row, line */
    long first_line;
} text_column;

typedef struct loader {
    reader r;
    const nnc_csv_options *opt;
    int n_columns;
    field *header;             /* n_columns names (with no_header, the first row) */
    char *generated;           /* with no_header: "c0", "c1", ... */
    const char **names;        /* the same names, as a list */
    nnc_named *by_name;        /* the header sorted by name */
    nnc_named *classes_by_name; /* options->classes sorted, when given */
    int *role;                 /* per column: input index or a COLUMN_ value */
    int target;                /* the target's column, -1 when there is none */
    int n_inputs;
    const char **input_names;  /* in input order */
    int rows;
    size_t rows_cap;
    float *x;                  /* rows x n_inputs */
    uint32_t *target_at;       /* rows: where each target cell's trimmed text
                                  starts in the file's text, when there is a target */
    line_mark *marks;          /* the target cells' lines (see line_mark) */
    int n_marks, marks_cap;
    long last_line;            /* the line of the last row's target cell */
    int target_text;           /* some target cell is not a number */
    int target_numeric;        /* every one is a number (finite, or beyond a float) */
    int target_whole;          /* every one is a whole number */
    text_column *text;         /* n_inputs, with categorical (see text_column) */
    int *lines;                /* rows: the line each row starts on, with categorical */
    int left_out;              /* rows skipped for a missing target */
    nnc_levels *levels;        /* n_inputs, once a column has levels */
    int id;                    /* the id column, -1 without one */
    uint32_t *id_at;           /* rows: where each id cell's trimmed text starts */
    int *text_of;              /* per column: its place among options->text, or -1 */
    int *text_column;          /* n_text: each text column's file column */
    uint32_t *text_at;         /* rows x n_text: where each text cell starts, or
                                  TEXT_MISSING for a missing cell */
} loader;

/* A missing text cell: an empty text. */
#define TEXT_MISSING UINT32_MAX

static void loader_free(loader *L)
{
    free(L->generated);
    free(L->r.text);
    free(L->header);
    free(L->names);
    free(L->by_name);
    free(L->classes_by_name);
    free(L->role);
    free(L->input_names);
    free(L->x);
    free(L->target_at);
    free(L->id_at);
    free(L->text_of);
    free(L->text_column);
    free(L->text_at);
    free(L->marks);
    for (int j = 0; L->text != NULL && j < L->n_inputs; j++)
        free(L->text[j].cells);
    free(L->text);
    free(L->lines);
    nnc_levels_free(L->levels, L->n_inputs);
}

/* The index of name in a sorted list of n, or -1. */
static int find_name(const nnc_named *sorted, int n, const char *name)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2, c = strcmp(sorted[mid].name, name);
        if (c == 0)
            return sorted[mid].index;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int find_column(const loader *L, const char *name)
{
    return find_name(L->by_name, L->n_columns, name);
}

/* A list of names in the options must be a list of n strings. */
static nnc_status check_name_list(const char *what, const char *const *names, int n)
{
    if (n < 0 || (n > 0 && names == NULL))
        return nnc_fail(NNC_EINVAL, "csv options: %d %s names but %s", n, what,
                        n < 0 ? "a negative count" : "no array");
    for (int i = 0; i < n; i++)
        if (names[i] == NULL)
            return nnc_fail(NNC_EINVAL, "csv options: %s name %d is NULL", what, i);
    return NNC_OK;
}

/* Checks the options before the file is read; sorts the class labels. */
static nnc_status check_options(loader *L)
{
    const nnc_csv_options *o = L->opt;
    if (o->task != NNC_TASK_AUTO && o->task != NNC_TASK_CLASSIFICATION &&
        o->task != NNC_TASK_REGRESSION)
        return nnc_fail(NNC_EINVAL, "csv options: unknown task %d", (int)o->task);
    char d = o->delimiter;
    if (d == '"' || d == '\n' || d == '\r' || d == ' ')
        return nnc_fail(NNC_EINVAL, "csv options: the delimiter cannot be a %s",
                        d == '"' ? "quote" : d == ' ' ? "space" : "line end");
    if (o->input_kinds != NULL && o->inputs == NULL)
        return nnc_fail(NNC_EINVAL, "csv options: input kinds without the inputs they are of");
    for (int j = 0; o->input_kinds != NULL && j < o->n_inputs; j++)
        if (o->input_kinds[j] != NNC_COLUMN_NUMERIC && o->input_kinds[j] != NNC_COLUMN_CATEGORICAL)
            return nnc_fail(NNC_EINVAL, "csv options: input %d has unknown kind %d", j,
                            (int)o->input_kinds[j]);
    nnc_status st = check_name_list("drop", o->drop, o->n_drop);
    if (st == NNC_OK)
        st = check_name_list("ignore", o->ignore, o->n_ignore);
    if (st == NNC_OK)
        st = check_name_list("input", o->inputs, o->n_inputs);
    if (st == NNC_OK)
        st = check_name_list("text", o->text, o->n_text);
    if (st == NNC_OK)
        st = check_name_list("class", o->classes, o->n_classes);
    if (st != NNC_OK || o->n_classes == 0)
        return st;
    if (o->n_classes < 2 || o->n_classes > NNC_MAX_CLASSES)
        return nnc_fail(NNC_EINVAL,
                        "csv options: %d class labels; a classification needs 2 to %d",
                        o->n_classes, NNC_MAX_CLASSES);
    if (o->task == NNC_TASK_REGRESSION)
        return nnc_fail(NNC_EINVAL, "csv options: class labels given for a regression");
    L->classes_by_name = nnc_sort_names(o->classes, o->n_classes);
    if (L->classes_by_name == NULL)
        return NNC_ENOMEM;
    for (int i = 1; i < o->n_classes; i++)
        if (strcmp(L->classes_by_name[i - 1].name, L->classes_by_name[i].name) == 0)
            return nnc_fail(NNC_EINVAL, "csv options: class '%s' is listed twice",
                            show(L->classes_by_name[i].name).s);
    return NNC_OK;
}

/* ============================================================== the header */

static nnc_status grow_header(loader *L, int *cap)
{
    if (*cap >= MAX_COLUMNS)
        return nnc_fail(NNC_EFORMAT, "%s:%ld: more than %d columns", L->r.path, L->r.line,
                        MAX_COLUMNS);
    int bigger = *cap == 0 ? 64 : *cap * 2;
    field *grown = realloc(L->header, (size_t)bigger * sizeof *grown);
    if (grown == NULL)
        return nnc_fail(NNC_ENOMEM, "%s: out of memory reading the header", L->r.path);
    L->header = grown;
    *cap = bigger;
    return NNC_OK;
}

/* Whether the header row (parsed) reads as data: in every column where the
 * next row has a number there is one in it too, and there is such a
 * column ("5.1,3.5,setosa" over "4.9,3.0,setosa"); a header names at least
 * one numeric column with a word. The first such column, or -1. The next
 * row is parsed on a copy, as the parser writes into the text; a malformed
 * one is left for read_rows. */
static int header_is_data(const loader *L)
{
    const reader *r = &L->r;
    int counts[N_DELIMITERS] = { 0 };
    size_t end = count_delimiters(r, r->pos, counts);
    if (end <= r->pos || at_empty_line(r))
        return -1;
    reader next = *r;
    next.size = end - r->pos;
    next.text = malloc(next.size + 1);
    field *fields = nnc_alloc((size_t)L->n_columns, sizeof *fields, 0);
    int first = -1, data = fields != NULL && next.text != NULL;
    if (data) {
        memcpy(next.text, r->text + r->pos, next.size);
        next.text[next.size] = '\0';
        next.pos = 0;
        int found = 0;
        data = next_row(&next, fields, L->n_columns, &found) == NNC_OK &&
               found == L->n_columns;
        for (int c = 0; data && c < L->n_columns; c++) {
            double v;
            if (parse_number(fields[c].text, &v) != NUMBER_OK)
                continue;
            data = parse_number(L->header[c].text, &v) == NUMBER_OK;
            first = first < 0 ? c : first;
        }
    }
    free(fields);
    free(next.text);
    return data ? first : -1;
}

/* Refuses a header row that reads as data: taking it for names would train
 * on one row fewer, under names such as "5.1". */
static nnc_status refuse_data_as_header(const loader *L)
{
    int c = header_is_data(L);
    if (c < 0)
        return NNC_OK;
    return nnc_fail(NNC_EFORMAT,
                    "%s:%ld:1: the first row looks like data, not column names (it has "
                    "numbers such as '%s' where the next row has numbers): read the file as "
                    "having no header (nnc's --no-header), which names the columns c0, c1, "
                    "...",
                    L->r.path, L->header[0].line, show(L->header[c].text).s);
}

/* Reads the header row (after a UTF-8 byte order mark, which is skipped),
 * or with no_header the first row, whose fields are then the first data
 * row's; finds the delimiter first unless the options give it. */
static nnc_status read_header(loader *L)
{
    reader *r = &L->r;
    const char *what = L->opt->no_header ? "a data row" : "a header row";
    if (r->size >= 3 && memcmp(r->text, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
    if (only_line_ends_left(r))
        return nnc_fail(NNC_EFORMAT, "%s: empty file, expected %s", r->path, what);
    if (at_empty_line(r))
        return nnc_fail(NNC_EFORMAT, "%s:1:1: empty first line, expected %s", r->path, what);
    r->delim = L->opt->delimiter != '\0' ? L->opt->delimiter : detect_delimiter(r);
    int cap = 0, row_ends = 0;
    while (!row_ends) {
        if (L->n_columns == cap) {
            nnc_status st = grow_header(L, &cap);
            if (st != NNC_OK)
                return st;
        }
        nnc_status st = next_field(r, L->n_columns + 1, &L->header[L->n_columns], &row_ends);
        if (st != NNC_OK)
            return st;
        L->n_columns++;
    }
    return L->opt->no_header ? NNC_OK : refuse_data_as_header(L);
}

/* Lists the header names, sorts them for look-ups and refuses duplicates:
 * a name must say which column it means. */
static nnc_status index_columns(loader *L)
{
    int n = L->n_columns;
    L->names = nnc_alloc((size_t)n, sizeof *L->names, 0);
    L->role = nnc_alloc((size_t)n, sizeof *L->role, 0);
    if (L->names == NULL || L->role == NULL)
        return NNC_ENOMEM;
    if (L->opt->no_header) {
        /* Room for "c" and any int's digits and a NUL. */
        L->generated = nnc_alloc((size_t)n, 12, 0);
        if (L->generated == NULL)
            return NNC_ENOMEM;
    }
    for (int c = 0; c < n; c++) {
        if (L->generated != NULL) {
            snprintf(L->generated + (size_t)c * 12, 12, "c%d", c);
            L->names[c] = L->generated + (size_t)c * 12;
        } else {
            L->names[c] = L->header[c].text;
        }
        L->role[c] = COLUMN_FREE;
    }
    L->by_name = nnc_sort_names(L->names, n);
    if (L->by_name == NULL)
        return NNC_ENOMEM;
    for (int i = 1; i < n; i++) {
        const nnc_named *first = &L->by_name[i - 1], *again = &L->by_name[i];
        if (strcmp(first->name, again->name) == 0)
            return nnc_fail(NNC_EFORMAT,
                            "%s:%ld:%d: duplicate column name '%s' (also column %d)",
                            L->r.path, L->header[again->index].line, again->index + 1,
                            show(again->name).s, first->index + 1);
    }
    return NNC_OK;
}

/* ====================================================== assigning columns */

/* "path:line:column: column 'name'" for a header cell. */
#define HEADER_AT(L, c) (L)->r.path, (L)->header[c].line, (c) + 1, show((L)->names[c]).s

/* The target's column: the one named, else the last one; -1 when the file
 * has none, because the name is not there or because the last column is
 * one of the inputs a model expects (a file of inputs only). */
static int target_column(const loader *L)
{
    const nnc_csv_options *o = L->opt;
    if (o->target != NULL)
        return find_column(L, o->target);
    for (int j = 0; j < o->n_inputs; j++)
        if (strcmp(o->inputs[j], L->names[L->n_columns - 1]) == 0)
            return -1;
    return L->n_columns - 1;
}

static nnc_status missing_target(const loader *L)
{
    const nnc_csv_options *o = L->opt;
    if (o->target == NULL)
        return nnc_fail(NNC_EFORMAT,
                        "%s:%ld:%d: column '%s' is both the target (the last column) and an "
                        "input", HEADER_AT(L, L->n_columns - 1));
    if (o->inputs != NULL)
        return nnc_fail(NNC_EFORMAT,
                        "%s:1: no target column '%s' (to read inputs only, set no_target)",
                        L->r.path, show(o->target).s);
    return nnc_fail(NNC_EFORMAT, "%s:1: unknown target column '%s'; the columns are %s",
                    L->r.path, show(o->target).s, list_names(L->names, L->n_columns).s);
}

/* Finds the target. With no_target, a named target column is skipped and
 * an unnamed one does not exist; with target_optional, a missing one is
 * not an error. */
static nnc_status place_target(loader *L)
{
    const nnc_csv_options *o = L->opt;
    int col = o->no_target && o->target == NULL ? -1 : target_column(L);
    if (col < 0 && !o->no_target && !o->target_optional)
        return missing_target(L);
    if (col >= 0) {
        L->role[col] = o->no_target ? COLUMN_SKIPPED : COLUMN_TARGET;
        L->target = o->no_target ? -1 : col;
    }
    return NNC_OK;
}

/* The column whose cells each row keeps as text: neither the target nor
 * dropped (nor, later, an input). */
static nnc_status place_id(loader *L, const char *name)
{
    int col = find_column(L, name);
    if (col < 0)
        return nnc_fail(NNC_EFORMAT, "%s:1: unknown id column '%s'; the columns are %s",
                        L->r.path, show(name).s, list_names(L->names, L->n_columns).s);
    if (L->role[col] != COLUMN_FREE)
        return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: column '%s' cannot be the id column: it is %s",
                        HEADER_AT(L, col), L->role[col] == COLUMN_DROPPED ? "dropped"
                                                                          : "the target");
    L->role[col] = COLUMN_ID;
    L->id = col;
    return NNC_OK;
}

/* Text column t (options->text[t]): neither the target, dropped, the id
 * nor another text column. */
static nnc_status place_text(loader *L, const char *name, int t)
{
    int col = find_column(L, name);
    if (col < 0)
        return nnc_fail(NNC_EFORMAT, "%s:1: unknown text column '%s'; the columns are %s",
                        L->r.path, show(name).s, list_names(L->names, L->n_columns).s);
    if (L->role[col] == COLUMN_TEXT)
        return nnc_fail(NNC_EINVAL, "csv options: text column '%s' is given twice",
                        show(name).s);
    if (L->role[col] != COLUMN_FREE)
        return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: column '%s' cannot be a text column: it is %s",
                        HEADER_AT(L, col),
                        L->role[col] == COLUMN_DROPPED ? "dropped"
                        : L->role[col] == COLUMN_ID    ? "the id column"
                                                       : "the target");
    L->role[col] = COLUMN_TEXT;
    L->text_of[col] = t;
    L->text_column[t] = col;
    return NNC_OK;
}

static nnc_status place_drop(loader *L, const char *name)
{
    int col = find_column(L, name);
    if (col < 0)
        return nnc_fail(NNC_EFORMAT, "%s:1: unknown column '%s' to drop; the columns are %s",
                        L->r.path, show(name).s, list_names(L->names, L->n_columns).s);
    if (L->role[col] == COLUMN_TARGET)
        return nnc_fail(NNC_EFORMAT,
                        "%s:%ld:%d: column '%s' is the target%s and cannot be dropped",
                        HEADER_AT(L, col), L->opt->target ? "" : " (the last column)");
    L->role[col] = COLUMN_DROPPED;
    return NNC_OK;
}

/* The inputs a model expects, in its order; any other column that is not
 * the target or dropped is an error, since the model could not use it. */
static nnc_status place_given_inputs(loader *L)
{
    const nnc_csv_options *o = L->opt;
    for (int j = 0; j < o->n_inputs; j++) {
        int col = find_column(L, o->inputs[j]);
        if (col < 0)
            return nnc_fail(NNC_EFORMAT, "%s:1: missing input column '%s'", L->r.path,
                            show(o->inputs[j]).s);
        if (L->role[col] == COLUMN_TARGET || L->role[col] == COLUMN_SKIPPED)
            return nnc_fail(NNC_EFORMAT,
                            "%s:%ld:%d: column '%s' is both the target and an input",
                            HEADER_AT(L, col));
        if (L->role[col] == COLUMN_DROPPED)
            return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: input column '%s' is dropped",
                            HEADER_AT(L, col));
        if (L->role[col] == COLUMN_ID)
            return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: column '%s' is both the id column and an "
                                         "input", HEADER_AT(L, col));
        if (L->role[col] == COLUMN_TEXT)
            return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: column '%s' is both a text column and an "
                                         "input", HEADER_AT(L, col));
        if (L->role[col] >= 0)
            return nnc_fail(NNC_EINVAL, "csv options: input '%s' is listed twice",
                            show(o->inputs[j]).s);
        L->role[col] = L->n_inputs;
        L->input_names[L->n_inputs++] = L->names[col];
    }
    for (int c = 0; c < L->n_columns; c++)
        if (L->role[c] == COLUMN_FREE)
            return nnc_fail(NNC_EFORMAT,
                            "%s:%ld:%d: unexpected column '%s': not one of the %d inputs, "
                            "the target or dropped",
                            HEADER_AT(L, c), o->n_inputs);
    return NNC_OK;
}

/* Decides what every column is: the target, dropped, or an input. */
static nnc_status assign_columns(loader *L)
{
    const nnc_csv_options *o = L->opt;
    int most = o->n_inputs > L->n_columns ? o->n_inputs : L->n_columns;
    L->input_names = nnc_alloc((size_t)most, sizeof *L->input_names, 0);
    if (L->input_names == NULL)
        return NNC_ENOMEM;
    nnc_status st = place_target(L);
    for (int i = 0; st == NNC_OK && i < o->n_drop; i++)
        st = place_drop(L, o->drop[i]);
    if (st == NNC_OK && o->id != NULL)
        st = place_id(L, o->id);
    if (st == NNC_OK && o->n_text > 0) {
        L->text_of = nnc_alloc((size_t)L->n_columns, sizeof *L->text_of, 0);
        L->text_column = nnc_alloc((size_t)o->n_text, sizeof *L->text_column, 0);
        if (L->text_of == NULL || L->text_column == NULL)
            return NNC_ENOMEM;
        for (int c = 0; c < L->n_columns; c++)
            L->text_of[c] = -1;
    }
    for (int t = 0; st == NNC_OK && t < o->n_text; t++)
        st = place_text(L, o->text[t], t);
    for (int i = 0; st == NNC_OK && i < o->n_ignore; i++) {
        int col = find_column(L, o->ignore[i]);
        if (col >= 0 && L->role[col] == COLUMN_FREE)
            L->role[col] = COLUMN_DROPPED;
    }
    if (st == NNC_OK && o->inputs != NULL)
        st = place_given_inputs(L);
    for (int c = 0; st == NNC_OK && o->inputs == NULL && c < L->n_columns; c++)
        if (L->role[c] == COLUMN_FREE) {
            L->role[c] = L->n_inputs;
            L->input_names[L->n_inputs++] = L->names[c];
        }
    if (st == NNC_OK && L->n_inputs == 0 && o->n_text == 0)
        st = nnc_fail(NNC_EFORMAT,
                      "%s:1: no input columns left: all %d column(s) are dropped or the target",
                      L->r.path, L->n_columns);
    return st;
}

/* ================================================================== rows */

/* "path:line:column: column 'name'" for a cell of column c. */
#define CELL_AT(L, line, c) (L)->r.path, (line), (c) + 1, show((L)->names[c]).s

static nnc_status bad_number(const loader *L, long line, int c, const char *text,
                             number_kind kind, const char *why)
{
    switch (kind) {
    case NUMBER_EMPTY:
        return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: column '%s': empty cell, expected a number%s",
                        CELL_AT(L, line, c), why);
    case NUMBER_NOT_FINITE:
        return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: column '%s': '%s' is not a finite number%s",
                        CELL_AT(L, line, c), show(text).s, why);
    case NUMBER_TOO_LARGE:
        return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: column '%s': '%s' is too large for a float%s",
                        CELL_AT(L, line, c), show(text).s, why);
    default:
        return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: column '%s': '%s' is not a number%s",
                        CELL_AT(L, line, c), show(text).s, why);
    }
}

/* Room for one more row. The room doubles, so copying stays linear, from
 * about 64 KiB of inputs, so memory follows the rows actually read. */
static nnc_status reserve_row(loader *L)
{
    if ((size_t)L->rows < L->rows_cap)
        return NNC_OK;
    if (L->rows == INT_MAX)
        return nnc_fail(NNC_EFORMAT, "%s:%ld: more than %d rows", L->r.path, L->r.line,
                        INT_MAX);
    size_t first = (size_t)(16384 / (L->n_inputs + L->opt->n_text)) + 1;
    size_t cap = L->rows_cap == 0 ? first : L->rows_cap * 2;   /* <= 2 INT_MAX: no overflow */
    if (cap > INT_MAX)
        cap = INT_MAX;
    size_t cells, xbytes, tbytes;
    if (nnc_mul_overflows(cap, (size_t)L->n_inputs, &cells) ||
        nnc_mul_overflows(cells, sizeof *L->x, &xbytes) ||
        nnc_mul_overflows(cap, sizeof *L->target_at, &tbytes))
        return NNC_ENOMEM;
    float *x = realloc(L->x, xbytes > 0 ? xbytes : 1);   /* text columns alone: no floats */
    if (x != NULL)
        L->x = x;
    uint32_t *t = L->target < 0 ? NULL : realloc(L->target_at, tbytes);
    if (t != NULL)
        L->target_at = t;
    if (x == NULL || (L->target >= 0 && t == NULL))
        return nnc_fail(NNC_ENOMEM, "%s: out of memory at row %d", L->r.path, L->rows);
    if (L->id >= 0) {
        uint32_t *ids = realloc(L->id_at, cap * sizeof *ids);
        if (ids == NULL)
            return nnc_fail(NNC_ENOMEM, "%s: out of memory at row %d", L->r.path, L->rows);
        L->id_at = ids;
    }
    if (L->opt->n_text > 0) {
        size_t n;
        uint32_t *at = nnc_mul_overflows(cap, (size_t)L->opt->n_text * sizeof *at, &n)
                           ? NULL : realloc(L->text_at, n);
        if (at == NULL)
            return nnc_fail(NNC_ENOMEM, "%s: out of memory at row %d", L->r.path, L->rows);
        L->text_at = at;
    }
    if (L->text != NULL || L->opt->n_text > 0) {
        int *lines = realloc(L->lines, cap * sizeof *lines);
        if (lines == NULL)
            return nnc_fail(NNC_ENOMEM, "%s: out of memory at row %d", L->r.path, L->rows);
        L->lines = lines;
    }
    for (int j = 0; L->text != NULL && j < L->n_inputs; j++) {
        text_column *tc = &L->text[j];
        if (tc->cells == NULL)
            continue;
        const char **cells = realloc(tc->cells, cap * sizeof *cells);
        if (cells == NULL)
            return nnc_fail(NNC_ENOMEM, "%s: out of memory at row %d", L->r.path, L->rows);
        tc->cells = cells;
    }
    L->rows_cap = cap;
    return NNC_OK;
}

/* With categorical (or input kinds) set, a text column for every input:
 * a forced one keeps every cell's text from the start, an open one starts
 * keeping them at its first text cell. */
static nnc_status open_text_columns(loader *L)
{
    const nnc_csv_options *o = L->opt;
    if (!o->categorical && o->input_kinds == NULL)
        return NNC_OK;
    L->text = nnc_alloc((size_t)L->n_inputs, sizeof *L->text, 1);
    if (L->text == NULL)
        return NNC_ENOMEM;
    for (int j = 0; o->input_kinds != NULL && j < L->n_inputs; j++)
        L->text[j].forced = o->input_kinds[j] == NNC_COLUMN_CATEGORICAL;
    return NNC_OK;
}

/* The file column of input j. */
static int column_of_input(const loader *L, int j)
{
    for (int c = 0; c < L->n_columns; c++)
        if (L->role[c] == j)
            return c;
    return 0;   /* every input has a column */
}

/* Records the line of the next row's target cell: nothing when it is the
 * line after the last one's, as in any file without line breaks in quotes. */
static nnc_status note_line(loader *L, long line)
{
    int next = L->rows > 0 && line == L->last_line + 1;
    L->last_line = line;
    if (next)
        return NNC_OK;
    if (L->n_marks == L->marks_cap) {
        int cap = L->marks_cap == 0 ? 16 : L->marks_cap * 2;   /* <= rows <= INT_MAX */
        line_mark *grown = realloc(L->marks, (size_t)cap * sizeof *grown);
        if (grown == NULL)
            return nnc_fail(NNC_ENOMEM, "%s: out of memory at row %d", L->r.path, L->rows);
        L->marks = grown;
        L->marks_cap = cap;
    }
    L->marks[L->n_marks++] = (line_mark){L->rows, (int)line};
    return NNC_OK;
}

/* The line of row i's target cell. */
static long target_line(const loader *L, int i)
{
    int lo = 0, hi = L->n_marks - 1;   /* the last mark at or before row i */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (L->marks[mid].row <= i)
            lo = mid;
        else
            hi = mid - 1;
    }
    return (long)L->marks[lo].line + (i - L->marks[lo].row);
}

/* Row i's target cell, trimmed. */
static const char *target_text(const loader *L, int i)
{
    return L->r.text + L->target_at[i];
}

/* Numbers count as numbers for labels only when finite: NaN cannot be sorted. */
static int is_finite_number(number_kind kind)
{
    return kind == NUMBER_OK || kind == NUMBER_TOO_LARGE;
}

/* One input cell into *x: its number; NaN when it is missing (with
 * keep_missing); for a categorical column 0 until the levels are known,
 * with its text kept. */
static nnc_status store_input(loader *L, int j, int c, const field *f, float *x)
{
    const char *text = trim(f->text);
    text_column *tc = L->text != NULL ? &L->text[j] : NULL;
    if (L->opt->keep_missing && nnc_cell_is_missing(text)) {
        *x = NAN;
        if (tc != NULL && tc->cells != NULL)
            tc->cells[L->rows] = NULL;
        return NNC_OK;
    }
    if (tc != NULL && tc->forced && tc->cells == NULL &&
        (tc->cells = nnc_alloc(L->rows_cap, sizeof *tc->cells, 1)) == NULL)
        return NNC_ENOMEM;
    double v = 0;
    number_kind kind = tc == NULL || !tc->forced ? parse_number(text, &v)
                       : *text == '\0'            ? NUMBER_EMPTY
                                                  : NUMBER_TEXT;
    if (kind == NUMBER_OK) {
        *x = (float)v;
        if (tc != NULL && tc->cells != NULL)
            tc->cells[L->rows] = text;
        if (tc != NULL)
            tc->numbers++;
        return NNC_OK;
    }
    if ((kind == NUMBER_TEXT || (tc != NULL && tc->forced)) &&
        nnc_cell_is_missing(text))   /* keep_missing is off */
        return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: column '%s': %s%s%s stands for a missing "
                                     "value, and missing values are refused here",
                        CELL_AT(L, f->line, c), *text ? "'" : "an empty cell",
                        show(text).s, *text ? "'" : "");
    int open = L->opt->categorical && L->opt->input_kinds == NULL;
    if (kind != NUMBER_TEXT || tc == NULL || (!tc->forced && !open))
        return bad_number(L, f->line, c, f->text, kind, "");
    if (tc->cells == NULL) {
        if ((tc->cells = nnc_alloc(L->rows_cap, sizeof *tc->cells, 1)) == NULL)
            return NNC_ENOMEM;
    }
    if (tc->texts++ == 0) {
        tc->first_row = L->rows;
        tc->first_line = f->line;
    }
    tc->cells[L->rows] = text;
    *x = 0.0f;
    return NNC_OK;
}

/* Stores a row's inputs as floats and where its target cell is, noting what
 * kind of cell that is for the choice of task. */
static nnc_status store_row(loader *L, const field *fields)
{
    nnc_status st = reserve_row(L);
    if (st != NNC_OK)
        return st;
    float *x = L->x + (size_t)L->rows * (size_t)L->n_inputs;
    if (L->target >= 0 && L->opt->keep_missing && nnc_cell_is_missing(fields[L->target].text)) {
        L->left_out++;   /* the row's cells are overwritten by the next */
        return NNC_OK;
    }
    if (L->lines != NULL)
        L->lines[L->rows] = (int)fields[0].line;
    for (int c = 0; c < L->n_columns; c++) {
        const field *f = &fields[c];
        double v = 0;
        if (L->role[c] >= 0) {
            st = store_input(L, L->role[c], c, f, &x[L->role[c]]);
            if (st != NNC_OK)
                return st;
        } else if (L->role[c] == COLUMN_ID) {
            L->id_at[L->rows] = (uint32_t)(trim(f->text) - L->r.text);   /* < 2^30 */
        } else if (L->role[c] == COLUMN_TEXT) {
            const char *text = trim(f->text);
            L->text_at[(size_t)L->rows * (size_t)L->opt->n_text + (size_t)L->text_of[c]] =
                nnc_cell_is_missing(text) ? TEXT_MISSING : (uint32_t)(text - L->r.text);
        } else if (L->role[c] == COLUMN_TARGET) {
            const char *text = trim(f->text);
            number_kind kind = parse_number(text, &v);
            if (kind == NUMBER_EMPTY)
                return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: column '%s': empty target cell",
                                CELL_AT(L, f->line, c));
            L->target_text |= kind == NUMBER_TEXT;
            L->target_numeric &= is_finite_number(kind);
            L->target_whole &= is_finite_number(kind) && v == floor(v);
            L->target_at[L->rows] = (uint32_t)(text - L->r.text);   /* < 2^30 */
            st = note_line(L, f->line);
            if (st != NNC_OK)
                return st;
        }
    }
    L->rows++;
    return NNC_OK;
}

/* Reads every data row. Empty lines may end the file, not interrupt it. */
static nnc_status read_rows(loader *L)
{
    reader *r = &L->r;
    field *fields = nnc_alloc((size_t)L->n_columns, sizeof *fields, 0);
    nnc_status st = fields != NULL ? NNC_OK : NNC_ENOMEM;
    long first_line = r->line;
    if (st == NNC_OK && L->opt->no_header)
        st = store_row(L, L->header);
    while (st == NNC_OK && r->pos < r->size) {
        long line = r->line;
        int found = 0;
        if (at_empty_line(r)) {
            if (only_line_ends_left(r))
                break;
            st = nnc_fail(NNC_EFORMAT, "%s:%ld:1: empty line, expected %d fields", r->path,
                          line, L->n_columns);
            break;
        }
        st = next_row(r, fields, L->n_columns, &found);
        if (st == NNC_OK && found != L->n_columns)
            st = nnc_fail(NNC_EFORMAT, "%s:%ld:%d: expected %d fields, found %d", r->path,
                          line, (found < L->n_columns ? found : L->n_columns) + 1,
                          L->n_columns, found);
        if (st == NNC_OK)
            st = store_row(L, fields);
    }
    free(fields);
    if (st == NNC_OK && L->rows == 0 && L->left_out > 0)
        st = nnc_fail(NNC_EFORMAT, "%s: all %d data rows have a missing target ('%s')",
                      r->path, L->left_out, show(L->names[L->target]).s);
    else if (st == NNC_OK && L->rows == 0)
        st = nnc_fail(NNC_EFORMAT, "%s:%ld: no data rows after the header", r->path,
                      first_line);
    return st;
}

/* ======================================================= categorical inputs */

/* A cell of a categorical column and the row it is in. */
typedef struct level_cell {
    const char *label;
    int row;
} level_cell;

static int by_label(const void *a, const void *b)
{
    const level_cell *p = a, *q = b;
    int c = strcmp(p->label, q->label);
    return c ? c : (p->row > q->row) - (p->row < q->row);
}

/* The texts of column j's cells (NULL: missing), a number's being its
 * shortest text, written into room (16 bytes a number). */
static void label_cells(const loader *L, int j, char *room, level_cell *cells, int *n)
{
    const text_column *tc = &L->text[j];
    size_t numbers = 0;
    *n = 0;
    for (int i = 0; i < L->rows; i++) {
        const char *text = tc->cells[i];
        float value = L->x[(size_t)i * (size_t)L->n_inputs + (size_t)j];
        double v;
        if (text != NULL && parse_number(text, &v) == NUMBER_OK)
            value = (float)v;
        else if (text == NULL && isnan(value))
            continue;   /* missing */
        if (text == NULL || parse_number(text, &v) == NUMBER_OK) {
            char *label = room + 16 * numbers++;
            nnc_format_float(value == 0 ? 0.0f : value, label, 16);   /* no "-0" */
            text = label;
        }
        cells[(*n)++] = (level_cell){text, i};
    }
}

/* Refuses a column that the open rule made categorical but is not: mostly
 * numbers (a typo in a numeric column), or nearly one value per row (an
 * identifier or free text), or too many levels for a network's inputs. */
static nnc_status check_levels(const loader *L, int j, int levels, int cells)
{
    const text_column *tc = &L->text[j];
    int c = column_of_input(L, j);
    if (!tc->forced && tc->texts < tc->numbers)
        return bad_number(L, tc->first_line, c, tc->cells[tc->first_row], NUMBER_TEXT,
                          " (most of the column's cells are numbers)");
    if (levels > NNC_MAX_CATEGORIES)
        return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: column '%s' has %d distinct values; a "
                                     "categorical column may have %d",
                        HEADER_AT(L, c), levels, NNC_MAX_CATEGORIES);
    if (!tc->forced && levels > AUTO_MAX_CLASSES && 2 * (long)levels > cells)
        return nnc_fail(NNC_EFORMAT,
                        "%s:%ld:%d: column '%s' has %d distinct texts in %d cells, more than "
                        "half of them: is it an identifier or free text rather than a "
                        "category? (drop it)",
                        HEADER_AT(L, c), levels, cells);
    return NNC_OK;
}

/* Column j's levels (its distinct labels in strcmp order) into *out, and
 * each cell's code into x. */
static nnc_status code_column(loader *L, int j, level_cell *cells, nnc_levels *out)
{
    const text_column *tc = &L->text[j];
    if (!tc->forced && tc->texts < tc->numbers)   /* refused before anything is spent */
        return check_levels(L, j, 0, 0);
    /* A forced column counts every cell as text, numbers too. */
    char *room = nnc_alloc((size_t)(tc->forced ? tc->texts : tc->numbers) + 1, 16, 0);
    if (room == NULL)
        return NNC_ENOMEM;
    int n;
    label_cells(L, j, room, cells, &n);
    qsort(cells, (size_t)n, sizeof *cells, by_label);
    int levels = 0;
    for (int i = 0; i < n; i++)
        levels += i == 0 || strcmp(cells[i - 1].label, cells[i].label) != 0;
    nnc_status st = check_levels(L, j, levels, n);
    if (st == NNC_OK && (out->names = nnc_alloc((size_t)levels, sizeof *out->names, 1)) == NULL &&
        levels > 0)
        st = NNC_ENOMEM;
    for (int i = 0, code = -1; st == NNC_OK && i < n; i++) {
        if (i == 0 || strcmp(cells[i - 1].label, cells[i].label) != 0) {
            if ((out->names[++code] = nnc_strdup(cells[i].label)) == NULL) {
                st = NNC_ENOMEM;
                break;
            }
            out->n = code + 1;
        }
        L->x[(size_t)cells[i].row * (size_t)L->n_inputs + (size_t)j] = (float)code;
    }
    free(room);
    return st;
}

/* Turns every column that holds text into level codes; the others stay
 * numbers. The levels go to L->levels, NULL when no column has any. */
static nnc_status find_levels(loader *L)
{
    int any = 0;
    for (int j = 0; L->text != NULL && j < L->n_inputs; j++)
        any |= L->text[j].cells != NULL;
    if (!any)
        return NNC_OK;
    L->levels = nnc_alloc((size_t)L->n_inputs, sizeof *L->levels, 1);
    level_cell *cells = nnc_alloc((size_t)L->rows, sizeof *cells, 0);
    nnc_status st = L->levels && cells ? NNC_OK : NNC_ENOMEM;
    for (int j = 0; st == NNC_OK && j < L->n_inputs; j++)
        if (L->text[j].cells != NULL)
            st = code_column(L, j, cells, &L->levels[j]);
    free(cells);
    return st;
}

/* =============================================================== targets */

/* Each row's class index and the class labels. */
typedef struct class_set {
    int *of_row;
    char **labels;
    int n;
} class_set;

static void class_set_free(class_set *cs)
{
    free(cs->of_row);
    nnc_free_strings(cs->labels, cs->n);
}

/* A distinct target value: a number, or a text when not every cell is one;
 * id numbers the values in the order they were first met. */
typedef struct class_key {
    double value;
    const char *text;
    int id;
} class_key;

/* Row i's key: its number (-0 counted as 0, so it is not a class of its own)
 * or its text. */
static class_key key_of(const loader *L, int i, int numeric)
{
    class_key k = {0.0, target_text(L, i), 0};
    if (numeric) {
        (void)parse_number(k.text, &k.value);   /* a number: checked as it was read */
        if (k.value == 0)
            k.value = 0.0;
    }
    return k;
}

static int compare_keys(const class_key *p, const class_key *q, int numeric)
{
    if (numeric)
        return (p->value > q->value) - (p->value < q->value);
    return strcmp(p->text, q->text);
}

/* Finds the classes of the target column, numbered in numeric order when
 * every label is a number, else in strcmp order. The distinct values are
 * kept sorted as they are met, so each row costs a binary search among at
 * most max of them, whatever the file holds (no hash for a file to flood),
 * and nothing grows with the row count but the class of each row. More than
 * max distinct values stop the search with *too_many set. Numbers whose
 * labels (15 significant digits) agree are one class, as "3" and "3.0";
 * they count apart towards max, which only matters for labels beyond 15
 * digits. */
static nnc_status find_classes(const loader *L, int numeric, int max, class_set *cs,
                               int *too_many)
{
    int rows = L->rows, most = max < rows ? max : rows;
    class_key *keys = nnc_alloc((size_t)most, sizeof *keys, 0);
    cs->of_row = nnc_alloc((size_t)rows, sizeof *cs->of_row, 0);
    nnc_status st = keys && cs->of_row ? NNC_OK : NNC_ENOMEM;
    int n = 0;
    *too_many = 0;
    for (int i = 0; st == NNC_OK && i < rows; i++) {
        class_key k = key_of(L, i, numeric);
        int lo = 0, hi = n;   /* the first key not below k */
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (compare_keys(&keys[mid], &k, numeric) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == n || compare_keys(&keys[lo], &k, numeric) != 0) {
            if (n == max) {
                *too_many = 1;
                break;
            }
            memmove(keys + lo + 1, keys + lo, (size_t)(n - lo) * sizeof *keys);
            k.id = n++;
            keys[lo] = k;
        }
        cs->of_row[i] = keys[lo].id;
    }
    /* The sorted values become the classes, in order: each new label starts one. */
    int *class_of_id = st == NNC_OK && !*too_many ? nnc_alloc((size_t)n, sizeof(int), 0) : NULL;
    if (class_of_id != NULL)
        cs->labels = nnc_alloc((size_t)n, sizeof *cs->labels, 1);
    if (st == NNC_OK && !*too_many && (class_of_id == NULL || cs->labels == NULL))
        st = NNC_ENOMEM;
    for (int j = 0; st == NNC_OK && !*too_many && j < n; j++) {
        char buf[32];
        const char *label = keys[j].text;
        if (numeric) {
            number_label(keys[j].value, buf);
            label = buf;
        }
        if (cs->n == 0 || strcmp(label, cs->labels[cs->n - 1]) != 0) {
            cs->labels[cs->n] = nnc_strdup(label);
            if (cs->labels[cs->n] == NULL)
                st = NNC_ENOMEM;
            else
                cs->n++;
        }
        class_of_id[keys[j].id] = cs->n - 1;
    }
    for (int i = 0; st == NNC_OK && !*too_many && i < rows; i++)
        cs->of_row[i] = class_of_id[cs->of_row[i]];
    free(class_of_id);
    free(keys);
    return st;
}

/* Maps every target cell to one of the classes the caller named (those of a
 * trained model): by its text, or, for a number, by its number label. */
static nnc_status map_classes(const loader *L, class_set *cs)
{
    const nnc_csv_options *o = L->opt;
    cs->of_row = nnc_alloc((size_t)L->rows, sizeof *cs->of_row, 0);
    cs->labels = nnc_copy_strings(o->classes, o->n_classes);
    if (cs->of_row == NULL || cs->labels == NULL)
        return NNC_ENOMEM;
    cs->n = o->n_classes;
    for (int i = 0; i < L->rows; i++) {
        const char *text = target_text(L, i);
        int k = find_name(L->classes_by_name, o->n_classes, text);
        double v;
        if (k < 0 && is_finite_number(parse_number(text, &v))) {
            char label[32];
            number_label(v, label);
            k = find_name(L->classes_by_name, o->n_classes, label);
        }
        if (k < 0)
            return nnc_fail(NNC_EFORMAT,
                            "%s:%ld:%d: column '%s': unknown class '%s'; the classes are %s",
                            CELL_AT(L, target_line(L, i), L->target), show(text).s,
                            list_names(o->classes, o->n_classes).s);
        cs->of_row[i] = k;
    }
    return NNC_OK;
}

/* Refuses a classification the data cannot train: one class only. */
static nnc_status check_classes(const loader *L, const class_set *cs)
{
    if (cs->n >= 2)
        return NNC_OK;
    return nnc_fail(NNC_EFORMAT, "%s:%ld:%d: only one class '%s' in target column '%s'",
                    L->r.path, L->header[L->target].line, L->target + 1,
                    show(cs->labels[0]).s, show(L->names[L->target]).s);
}

/* The classes of the target column found in the data itself, at most
 * NNC_MAX_CLASSES of them. When AUTO chose classification (a target with
 * text), classes that are most of the rows are refused too: more than
 * AUTO_MAX_CLASSES of them and more than half the rows. Both are found
 * before anything of the data set is built. */
static nnc_status own_classes(const loader *L, int numeric, int inferred, class_set *cs)
{
    int too_many;
    nnc_status st = find_classes(L, numeric, NNC_MAX_CLASSES, cs, &too_many);
    if (st != NNC_OK)
        return st;
    const char *hint = "is it an identifier or free text rather than a class? "
                       "(choose another target column)";
    if (too_many && inferred)
        return nnc_fail(NNC_EFORMAT,
                        "%s:%ld:%d: target column '%s' has more than %d distinct values in "
                        "%d rows, too many to be classes: %s",
                        HEADER_AT(L, L->target), NNC_MAX_CLASSES, L->rows, hint);
    if (too_many)
        return nnc_fail(NNC_EFORMAT,
                        "%s:%ld:%d: column '%s': more than %d classes in the target",
                        HEADER_AT(L, L->target), NNC_MAX_CLASSES);
    if (inferred && cs->n > AUTO_MAX_CLASSES && 2 * (long)cs->n > L->rows)
        return nnc_fail(NNC_EFORMAT,
                        "%s:%ld:%d: target column '%s' has %d distinct values in %d rows, "
                        "more than half of them: %s",
                        HEADER_AT(L, L->target), cs->n, L->rows, hint);
    return check_classes(L, cs);
}

/* A classification asked for on a target of numbers: more than
 * AUTO_MAX_CLASSES distinct values with fewer than MIN_ROWS_PER_CLASS rows
 * each on average is a measurement (a price, a mass), which would
 * otherwise become hundreds of classes of a row or two. Few distinct
 * values, fractions or not (ratings of 0.5 steps), stay classes. */
static nnc_status numbers_as_classes(const loader *L, class_set *cs)
{
    nnc_status st = own_classes(L, 1, 0, cs);
    if (st == NNC_OK && cs->n > AUTO_MAX_CLASSES && L->rows < MIN_ROWS_PER_CLASS * (long)cs->n)
        return nnc_fail(NNC_EFORMAT,
                        "%s:%ld:%d: target column '%s' has %d distinct numbers in %d rows, "
                        "fewer than %d rows a class: is it a measurement rather than a class? "
                        "(train it as a regression)",
                        HEADER_AT(L, L->target), cs->n, L->rows, MIN_ROWS_PER_CLASS);
    return st;
}

/* Decides the task and, for classification, the classes. AUTO calls the
 * target classes when a cell is text, or when all are whole numbers with few
 * distinct values; everything else is a regression. */
static nnc_status choose_task(const loader *L, nnc_task *task, class_set *cs)
{
    const nnc_csv_options *o = L->opt;
    *task = NNC_TASK_CLASSIFICATION;
    if (o->n_classes > 0)
        return map_classes(L, cs);
    if (o->task == NNC_TASK_CLASSIFICATION && L->target_numeric)
        return numbers_as_classes(L, cs);
    if (o->task == NNC_TASK_CLASSIFICATION || (o->task == NNC_TASK_AUTO && L->target_text))
        return own_classes(L, L->target_numeric, o->task == NNC_TASK_AUTO, cs);
    if (o->task == NNC_TASK_AUTO && L->target_whole) {
        int too_many;
        nnc_status st = find_classes(L, 1, AUTO_MAX_CLASSES, cs, &too_many);
        if (st != NNC_OK || !too_many)
            return st == NNC_OK ? check_classes(L, cs) : st;
        class_set_free(cs);
        *cs = (class_set){0};
    }
    *task = NNC_TASK_REGRESSION;
    return NNC_OK;
}

/* Regression targets: every cell a number that fits a float. */
static nnc_status fill_regression(const loader *L, float *y)
{
    for (int i = 0; i < L->rows; i++) {
        const char *text = target_text(L, i);
        double v = 0;
        number_kind kind = parse_number(text, &v);
        if (kind != NUMBER_OK)
            return bad_number(L, target_line(L, i), L->target, text, kind,
                              " (the target of a regression)");
        y[i] = (float)v;
    }
    return NNC_OK;
}

/* Names the data set's target after its column (it stays "y" without one). */
static nnc_status name_target(const loader *L, nnc_dataset *data)
{
    if (L->target < 0)
        return NNC_OK;
    char *name = nnc_strdup(L->names[L->target]);
    if (name == NULL)
        return NNC_ENOMEM;
    free(data->target_name);
    data->target_name = name;
    return NNC_OK;
}

/* Gives the data set what later steps need to name a cell: its levels,
 * the line each row is on, the file column of each input, the path. */
static nnc_status hand_over_table(loader *L, nnc_dataset *data)
{
    data->left_out = L->left_out;
    data->levels = L->levels;
    L->levels = NULL;
    if (L->lines != NULL) {
        int *fitted = realloc(L->lines, (size_t)L->rows * sizeof *fitted);
        data->lines = fitted != NULL ? fitted : L->lines;
        L->lines = NULL;
    }
    if (L->id >= 0) {
        const char **ids = nnc_alloc((size_t)L->rows, sizeof *ids, 0);
        nnc_status st = ids ? NNC_OK : NNC_ENOMEM;
        for (int i = 0; st == NNC_OK && i < L->rows; i++)
            ids[i] = L->r.text + L->id_at[i];
        if (st == NNC_OK)
            st = nnc_dataset_set_ids(data, ids);
        free(ids);
        if (st != NNC_OK)
            return st;
    }
    if (L->opt->n_text > 0) {
        size_t cells = (size_t)L->rows * (size_t)L->opt->n_text;
        const char **texts = nnc_alloc(cells, sizeof *texts, 0);
        int *columns = nnc_alloc((size_t)L->opt->n_text, sizeof *columns, 0);
        nnc_status st = texts && columns ? NNC_OK : NNC_ENOMEM;
        for (size_t i = 0; st == NNC_OK && i < cells; i++)
            texts[i] = L->text_at[i] == TEXT_MISSING ? "" : L->r.text + L->text_at[i];
        for (int t = 0; st == NNC_OK && t < L->opt->n_text; t++)
            columns[t] = L->text_column[t] + 1;
        if (st == NNC_OK)
            st = nnc_dataset_set_texts(data, L->opt->n_text,
                                       (const char *const *)L->opt->text, columns, texts);
        free(texts);
        free(columns);
        if (st != NNC_OK)
            return st;
    }
    data->columns = nnc_alloc((size_t)L->n_inputs, sizeof *data->columns, 0);
    data->source = nnc_strdup(L->r.path);
    if (data->columns == NULL || data->source == NULL)
        return NNC_ENOMEM;
    for (int c = 0; c < L->n_columns; c++)
        if (L->role[c] >= 0)
            data->columns[L->role[c]] = c + 1;
    return NNC_OK;
}

/* Builds the data set from the rows read: the targets first (the one step
 * that can still find the file at fault), then the set around the inputs,
 * which it takes over rather than copies. */
static nnc_status build(loader *L, nnc_dataset **out)
{
    nnc_task task = NNC_TASK_REGRESSION;
    class_set cs = {0};
    nnc_status st = L->target >= 0 ? choose_task(L, &task, &cs) : NNC_OK;
    int classify = st == NNC_OK && task == NNC_TASK_CLASSIFICATION;
    float *y = NULL;
    if (st == NNC_OK && !classify) {   /* without a target: one column of zeros */
        y = nnc_alloc((size_t)L->rows, sizeof *y, L->target < 0);
        st = y == NULL ? NNC_ENOMEM : L->target >= 0 ? fill_regression(L, y) : NNC_OK;
    }
    free(L->target_at);   /* the targets are read: make room for the set */
    L->target_at = NULL;
    nnc_dataset *data = NULL;
    if (st == NNC_OK) {
        size_t bytes = (size_t)L->rows * (size_t)L->n_inputs * sizeof *L->x;
        float *fitted = realloc(L->x, bytes > 0 ? bytes : 1);   /* give back the room for rows never read */
        if (fitted != NULL)
            L->x = fitted;
        int n_targets = classify ? nnc_targets_for_classes(cs.n) : 1;
        data = nnc_dataset_adopt(L->rows, L->n_inputs, n_targets, L->x, NULL, y,
                                 L->input_names);
        L->x = NULL;
        y = NULL;
        st = data != NULL ? NNC_OK : NNC_ENOMEM;
    }
    free(y);
    if (st == NNC_OK)
        st = name_target(L, data);
    if (st == NNC_OK)
        st = hand_over_table(L, data);
    if (st == NNC_OK && classify) {
        st = nnc_dataset_take_classes(data, cs.of_row, cs.n, cs.labels);
        cs = (class_set){0};
    }
    class_set_free(&cs);
    if (st != NNC_OK) {
        nnc_dataset_free(data);
        return st;
    }
    *out = data;
    return NNC_OK;
}

nnc_status nnc_dataset_load_csv(const char *path, const nnc_csv_options *options,
                                nnc_dataset **out)
{
    if (out != NULL)
        *out = NULL;
    if (path == NULL || out == NULL)
        return nnc_fail(NNC_EINVAL, "load csv: NULL %s", path == NULL ? "path" : "output");
    nnc_csv_options defaults = nnc_csv_defaults();
    loader L = {.opt = options != NULL ? options : &defaults, .target = -1, .id = -1};
    L.r.path = path;
    L.r.line = 1;
    L.target_numeric = L.target_whole = 1;
    /* strtod follows LC_NUMERIC: a program that set a German locale for its
     * messages would otherwise find "1.5" unreadable. For this thread only. */
    locale_t c_numbers = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t previous = c_numbers != (locale_t)0 ? uselocale(c_numbers) : (locale_t)0;
    nnc_status st = check_options(&L);
    unsigned char *bytes = NULL;
    if (st == NNC_OK)
        st = nnc_read_whole_file(path, MAX_FILE_BYTES, "a CSV file", &bytes, &L.r.size);
    L.r.text = (char *)bytes;
    if (st == NNC_OK)
        L.r.cr_lines = memchr(L.r.text, '\n', L.r.size) == NULL &&
                       memchr(L.r.text, '\r', L.r.size) != NULL;
    if (st == NNC_OK)
        st = read_header(&L);
    if (st == NNC_OK)
        st = index_columns(&L);
    if (st == NNC_OK)
        st = assign_columns(&L);
    if (st == NNC_OK)
        st = open_text_columns(&L);
    if (st == NNC_OK)
        st = read_rows(&L);
    if (st == NNC_OK)
        st = find_levels(&L);
    if (st == NNC_OK)
        st = build(&L, out);
    loader_free(&L);
    if (c_numbers != (locale_t)0) {
        uselocale(previous);
        freelocale(c_numbers);
    }
    return st;
}

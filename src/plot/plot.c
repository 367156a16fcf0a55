/*
 * plot.c - pictures of training as PNG files, drawn by PLplot's cairo driver:
 * line charts (losses and accuracies per epoch), the decision regions of a
 * two-input classifier, and confusion matrices.
 *
 * PLplot reports some failures by printing and calling exit(), which a library
 * must never do. So before plotting we make sure the paths that lead there are
 * closed: the pngcairo driver is present, and the output file can be created.
 * Its non-fatal complaints are routed into nnc_last_error instead of stderr,
 * and every string we hand it is cleaned first (valid UTF-8, no control
 * characters, PLplot's escape character '#' doubled) so that neither PLplot
 * nor the text renderer beneath it has anything to warn about.
 *
 * Every picture goes through plot_render: it checks the driver, opens a
 * temporary file beside the target, sets up a private PLplot stream with the
 * shared page and palette, lets the picture's draw function paint, and renames
 * the file into place, so a reader never sees half a PNG. Everything that can
 * fail for other reasons (bad arguments, allocations, predictions) is done
 * before plot_render, so a refused call leaves no file behind.
 */
#define _POSIX_C_SOURCE 200809L
#include "core/core.h"

#include <plplot.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PLOT_WIDTH 800
#define PLOT_HEIGHT 600
#define MAX_LINES 8            /* series in one line chart */
#define MAX_REGION_CLASSES 20  /* classes with a colour of their own */
#define MAX_CONFUSION_CLASSES NNC_PLOT_MAX_CONFUSION
#define LEGEND_CHARS 12        /* of a class name in the regions' legend */
#define GRID 200               /* decision-region grid points per axis */
#define GRID_BATCH 1000        /* grid points per prediction call */
#define TEXT_MAX 512           /* bytes of a cleaned string, with its NUL */
/* Measured sizes of the cairo driver's sans font, in character heights (as
 * plgchr reports them): the width of text on average (generously) and of a
 * digit, and how far ascenders and descenders reach from the text's centre. */
#define TEXT_WIDTH 0.82
#define DIGIT_WIDTH 0.87
#define TEXT_HALF_HEIGHT 0.72

/* ------------------------------------------------------------ palette */

/* cmap0 entries every picture may use. Series colours are the "tab10"
 * palette, then ten darker hues for classes beyond it; each has a light tint
 * for filled areas behind it. */
enum {
    COL_BG = 0,
    COL_INK = 1,      /* axes, text */
    COL_GRID = 2,     /* light grid lines */
    COL_EDGE = 3,     /* class boundaries */
    COL_MUTED = 4,    /* de-emphasised text */
    COL_WHITE = 5,
    COL_SERIES = 6,   /* MAX_REGION_CLASSES saturated colours from here */
    COL_LIGHT = COL_SERIES + MAX_REGION_CLASSES,   /* and their tints */
    COL_COUNT = COL_LIGHT + MAX_REGION_CLASSES
};

static const unsigned char series_rgb[MAX_REGION_CLASSES][3] = {
    { 31, 119, 180 }, { 255, 127, 14 }, { 44, 160, 44 },   { 214, 39, 40 },
    { 148, 103, 189 }, { 140, 86, 75 }, { 227, 119, 194 }, { 127, 127, 127 },
    { 188, 189, 34 },  { 23, 190, 207 }, { 57, 59, 121 },   { 99, 121, 57 },
    { 140, 109, 49 },  { 132, 60, 57 },  { 123, 65, 115 },  { 82, 84, 163 },
    { 140, 162, 82 },  { 189, 158, 57 }, { 173, 73, 74 },   { 165, 81, 148 }
};

static void set_palette(void)
{
    plscol0(COL_INK, 0, 0, 0);
    plscol0(COL_GRID, 225, 225, 225);
    plscol0(COL_EDGE, 40, 40, 40);
    plscol0(COL_MUTED, 150, 150, 150);
    plscol0(COL_WHITE, 255, 255, 255);
    for (int k = 0; k < MAX_REGION_CLASSES; k++) {
        const unsigned char *c = series_rgb[k];
        plscol0(COL_SERIES + k, c[0], c[1], c[2]);
        /* a quarter of the colour over white: clearly tinted, never loud */
        plscol0(COL_LIGHT + k, 191 + c[0] / 4, 191 + c[1] / 4, 191 + c[2] / 4);
    }
}

/* --------------------------------------------------------------- text */

/* Copies s into out (TEXT_MAX bytes) as text PLplot shows literally: invalid
 * UTF-8 and control characters become '?', PLplot's escape '#' is doubled,
 * and more than max_chars characters are cut, ending in an ellipsis. */
static const char *clean_text(char out[TEXT_MAX], const char *s, int max_chars)
{
    static const char ellipsis[] = "\xe2\x80\xa6";
    const unsigned char *p = (const unsigned char *)s;
    size_t len = 0;
    int chars = 0;
    while (*p != '\0') {
        size_t n = 1;   /* bytes of this character */
        if (*p >= 0xc2 && *p <= 0xf4)
            n = *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
        int valid = *p >= 0x20 && *p != 0x7f && (*p < 0x80 || n > 1);
        for (size_t k = 1; valid && k < n; k++)
            valid = (p[k] & 0xc0) == 0x80;
        if (valid && n == 3)   /* no overlong forms or UTF-16 surrogates */
            valid = !(p[0] == 0xe0 && p[1] < 0xa0) && !(p[0] == 0xed && p[1] >= 0xa0);
        if (valid && n == 4)
            valid = !(p[0] == 0xf0 && p[1] < 0x90) && !(p[0] == 0xf4 && p[1] >= 0x90);
        if (!valid)
            n = 1;
        if (chars == max_chars || len + 2 * n + sizeof ellipsis > TEXT_MAX) {
            memcpy(out + len, ellipsis, sizeof ellipsis);
            return out;
        }
        if (!valid)
            out[len++] = '?';
        else if (*p == '#') {
            out[len++] = '#';
            out[len++] = '#';
        } else {
            memcpy(out + len, p, n);
            len += n;
        }
        p += n;
        chars++;
    }
    out[len] = '\0';
    return out;
}

/* The number of characters clean_text keeps of s (at most max_chars + 1,
 * counting the ellipsis): what layouts measure labels by. */
static int text_chars(const char *s, int max_chars)
{
    int chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if ((*p & 0xc0) != 0x80)
            chars++;
    return chars > max_chars ? max_chars + 1 : chars;
}

/* --------------------------------------------------------- the frame */

static int plplot_complained;

/* PLplot's own record of an aborted operation: with these set it writes its
 * complaint here instead of to stderr (our abort handler has it already). */
static PLINT plplot_errcode;
static char plplot_errmsg[8192];   /* room for a message naming a long path */

static char first_complaint[512];   /* the one that explains the rest */

static void on_plplot_abort(PLCHAR_VECTOR message)
{
    if (!plplot_complained)
        snprintf(first_complaint, sizeof first_complaint, "%s", message);
    plplot_complained = 1;
}

static int have_pngcairo(void)
{
    /* plgDevs fills caller-owned arrays; n goes in as their capacity. */
    enum { MAX_DEVICES = 128 };
    const char *menu_store[MAX_DEVICES], *name_store[MAX_DEVICES];
    const char **menu = menu_store, **names = name_store;
    int n = MAX_DEVICES;
    plgDevs(&menu, &names, &n);
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], "pngcairo") == 0)
            return 1;
    return 0;
}

/* Pixels per millimetre of the page and the default character height in
 * pixels, once the page exists: layouts are reasoned about in pixels. */
static double px_per_mm(void)
{
    PLFLT x0, x1, y0, y1;
    plgspa(&x0, &x1, &y0, &y1);
    return PLOT_WIDTH / (x1 - x0);
}

static double char_px(void)
{
    PLFLT def, ht;
    plgchr(&def, &ht);
    return ht * px_per_mm();
}

/* Sets the viewport in pixels from the page's left and bottom edges. */
static void viewport_px(double left, double right, double bottom, double top)
{
    plvpor(left / PLOT_WIDTH, right / PLOT_WIDTH, bottom / PLOT_HEIGHT, top / PLOT_HEIGHT);
}

typedef void (*plot_draw)(const void *job);

/* Draws one picture into path: draw paints on a fresh 800 x 600 page with a
 * white background and the shared palette, in a PLplot stream of our own. */
static nnc_status plot_render(const char *path, plot_draw draw, const void *job)
{
    if (!have_pngcairo())
        return nnc_fail(NNC_EIO,
                        "plot: PLplot's pngcairo driver is missing (install plplot-driver-cairo)");
    nnc_atomic_file *file;
    nnc_status st = nnc_atomic_open(path, &file);
    if (st != NNC_OK)
        return st;

    PLINT previous, stream;
    plgstrm(&previous);
    plmkstrm(&stream);   /* a stream of our own leaves a caller's plots alone */
    if (stream < 0) {    /* the caller holds all of PLplot's streams */
        nnc_atomic_abort(file);
        return nnc_fail(NNC_EIO, "plot: no free PLplot stream to draw '%s'", path);
    }
    plplot_complained = 0;
    plsabort(on_plplot_abort);
    plsError(&plplot_errcode, plplot_errmsg);
    plsdev("pngcairo");
    plsfnam(nnc_atomic_name(file));   /* PLplot opens the file by name itself */
    plspage(0, 0, PLOT_WIDTH, PLOT_HEIGHT, 0, 0);
    plscmap0n(COL_COUNT);
    plscolbg(255, 255, 255);
    plinit();
    pladv(0);
    set_palette();
    plcol0(COL_INK);
    plschr(0, 1.1);
    draw(job);
    plend1();
    plsstrm(previous);
    plsabort(NULL);

    struct stat info;
    if (plplot_complained)
        st = nnc_fail(NNC_EIO, "plot: PLplot could not draw '%s': %s", path, first_complaint);
    else if (fstat(fileno(nnc_atomic_stream(file)), &info) != 0 ||
             (S_ISREG(info.st_mode) && info.st_size == 0))
        st = nnc_fail(NNC_EIO, "plot: PLplot wrote nothing to '%s'", path);
    if (st != NNC_OK) {
        nnc_atomic_abort(file);
        return st;
    }
    return nnc_atomic_commit(file);
}

/* How many characters of text at the current size fit in px pixels, less
 * one for the ellipsis clean_text may add. */
static int chars_fitting(double px)
{
    int n = (int)(px / (TEXT_WIDTH * char_px())) - 1;
    return n < 3 ? 3 : n;
}

/* Writes text centred on the page (not the viewport), disp character
 * heights above the viewport, cut to the page's width. */
static void page_title(const char *text, double disp)
{
    char buf[TEXT_MAX];
    PLFLT vx0, vx1, vy0, vy1;
    plgvpd(&vx0, &vx1, &vy0, &vy1);
    plmtex("t", disp, (0.5 - vx0) / (vx1 - vx0), 0.5,
           clean_text(buf, text, chars_fitting(PLOT_WIDTH - 30)));
}

/* The title above the viewport and the axis labels beside it, each cut to
 * the length of its side. */
static void label_axes(const char *x_label, const char *y_label, const char *title)
{
    char buf[TEXT_MAX];
    PLFLT vx0, vx1, vy0, vy1;
    plgvpd(&vx0, &vx1, &vy0, &vy1);
    plcol0(COL_INK);
    plmtex("b", 3.2, 0.5, 0.5, clean_text(buf, x_label, chars_fitting((vx1 - vx0) * PLOT_WIDTH)));
    plmtex("l", 5.0, 0.5, 0.5,
           clean_text(buf, y_label, chars_fitting((vy1 - vy0) * PLOT_HEIGHT)));
    plschr(0, 1.35);
    page_title(title, 1.3);
    plschr(0, 1.1);
}

/* A filled dot of radius r pixels at world (x, y), outlined in ink when
 * outline is set. dx, dy: world units per pixel. */
static void dot(double x, double y, double r, double dx, double dy, int colour, int outline)
{
    plcol0(colour);
    plarc(x, y, r * dx, r * dy, 0, 360, 0, 1);
    if (outline) {
        plcol0(COL_INK);
        plwidth(0.7);
        plarc(x, y, r * dx, r * dy, 0, 360, 0, 0);
    }
}

/* World units per pixel of the current viewport and window. */
static void world_per_px(double *dx, double *dy)
{
    PLFLT vx0, vx1, vy0, vy1, wx0, wx1, wy0, wy1;
    plgvpd(&vx0, &vx1, &vy0, &vy1);
    plgvpw(&wx0, &wx1, &wy0, &wy1);
    *dx = (wx1 - wx0) / ((vx1 - vx0) * PLOT_WIDTH);
    *dy = (wy1 - wy0) / ((vy1 - vy0) * PLOT_HEIGHT);
}

/* ------------------------------------------------------- line charts */

typedef struct lines_job {
    const double *x;
    const double *const *ys;
    const char *const *names;   /* NULL: a single series without a legend */
    int n_lines, n;
    const char *x_label, *y_label, *title;
    double xlo, xhi, ylo, yhi;   /* the window, set by lines_window */
    int marked;                  /* few points: each gets a dot */
} lines_job;

static void range(const double *v, int n, double *lo, double *hi)
{
    for (int i = 0; i < n; i++) {
        if (v[i] < *lo)
            *lo = v[i];
        if (v[i] > *hi)
            *hi = v[i];
    }
}

/* Widens a flat or nearly flat range (narrower than a millionth of its
 * values) around its middle: PLplot and cairo cannot draw an axis that
 * floating point cannot divide into ticks, and show nothing at all then. */
static void widen_if_flat(double *lo, double *hi)
{
    if (*hi - *lo > 1e-6 * fmax(fabs(*lo), fabs(*hi)))
        return;
    double mid = *lo / 2 + *hi / 2, half = fmax(0.5, 0.05 * fabs(mid));
    *lo = mid - half;
    *hi = mid + half;
}

static int all_whole(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i] != floor(v[i]))
            return 0;
    return 1;
}

/* Which corner of the plot the series cross least, for the legend: each
 * segment is sampled finely and the samples inside a box of w x h (in
 * fractions of the plot) at each corner counted. */
static PLINT quiet_corner(const lines_job *job, double w, double h)
{
    static const PLINT corners[4] = {
        PL_POSITION_TOP | PL_POSITION_RIGHT, PL_POSITION_TOP | PL_POSITION_LEFT,
        PL_POSITION_BOTTOM | PL_POSITION_RIGHT, PL_POSITION_BOTTOM | PL_POSITION_LEFT
    };
    long hits[4] = { 0, 0, 0, 0 };
    enum { STEPS = 20 };
    for (int s = 0; s < job->n_lines; s++)
        for (int i = 0; i + 1 < job->n; i++)
            for (int t = 0; t < STEPS; t++) {
                double f = (double)t / STEPS;
                double u = ((1 - f) * job->x[i] + f * job->x[i + 1] - job->xlo) /
                           (job->xhi - job->xlo);
                double v = ((1 - f) * job->ys[s][i] + f * job->ys[s][i + 1] - job->ylo) /
                           (job->yhi - job->ylo);
                int right = u > 1 - w, left = u < w, top = v > 1 - h, bottom = v < h;
                hits[0] += top && right;
                hits[1] += top && left;
                hits[2] += bottom && right;
                hits[3] += bottom && left;
            }
    int best = 0;
    for (int c = 1; c < 4; c++)
        if (hits[c] < hits[best])
            best = c;
    return corners[best] | PL_POSITION_INSIDE | PL_POSITION_VIEWPORT;
}

static void lines_legend(const lines_job *job)
{
    char names[MAX_LINES][TEXT_MAX];
    const char *text[MAX_LINES];
    PLINT opts[MAX_LINES], text_colors[MAX_LINES], line_colors[MAX_LINES];
    PLINT line_styles[MAX_LINES];
    PLFLT line_widths[MAX_LINES];
    int longest = 0;
    for (int s = 0; s < job->n_lines; s++) {
        text[s] = clean_text(names[s], job->names[s], 24);
        int chars = text_chars(job->names[s], 24);
        if (chars > longest)
            longest = chars;
        opts[s] = PL_LEGEND_LINE;
        text_colors[s] = COL_INK;
        line_colors[s] = COL_SERIES + s;
        line_styles[s] = 1;
        line_widths[s] = 2.5;
    }
    /* The legend's size as a share of the viewport, estimated from the
     * text: the line sample is 0.08 of it, then offset, text and margins. */
    PLFLT vx0, vx1, vy0, vy1;
    plgvpd(&vx0, &vx1, &vy0, &vy1);
    double ch = char_px();
    double w = 0.08 + (longest * TEXT_WIDTH + 3) * ch / ((vx1 - vx0) * PLOT_WIDTH);
    double h = (job->n_lines * 2.0 + 1) * ch / ((vy1 - vy0) * PLOT_HEIGHT);
    PLINT where = quiet_corner(job, w + 0.03, h + 0.03);
    PLFLT width, height;
    pllegend(&width, &height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, where, 0.02, 0.03,
             0.08, COL_BG, COL_MUTED, 1, 0, 0, job->n_lines, opts, 1.0, 1.0, 2.0, 0.0,
             text_colors, text, NULL, NULL, NULL, NULL, line_colors, line_styles, line_widths,
             NULL, NULL, NULL, NULL);
}

static void draw_lines(const void *p)
{
    const lines_job *job = p;
    viewport_px(95, 770, 70, 525);
    plwind(job->xlo, job->xhi, job->ylo, job->yhi);
    /* Few whole x values (epochs) get a tick each, never a fractional one. */
    double xtick = 0;
    int xsub = 0;
    if (all_whole(job->x, job->n) && job->xhi - job->xlo <= 10) {
        xtick = 1;
        xsub = 1;
    }
    plcol0(COL_GRID);
    plwidth(1.0);
    plbox("g", xtick, xsub, "g", 0, 0);   /* a light grid behind the curves */
    plwidth(2.5);
    for (int s = 0; s < job->n_lines; s++) {
        plcol0(COL_SERIES + s);
        plline(job->n, job->x, job->ys[s]);
    }
    if (job->marked) {
        double dx, dy;
        world_per_px(&dx, &dy);
        for (int s = 0; s < job->n_lines; s++)
            for (int i = 0; i < job->n; i++)
                dot(job->x[i], job->ys[s][i], 3.5, dx, dy, COL_SERIES + s, 0);
    }
    plwidth(1.0);
    plcol0(COL_INK);
    plbox("bcnst", xtick, xsub, "bcnstv", 0, 0);
    label_axes(job->x_label, job->y_label, job->title);
    if (job->names != NULL)
        lines_legend(job);
}

/* The window of a line chart: the data's range, y from zero for losses and
 * errors, 5% headroom, and a little room at the sides for marked points.
 * NNC_EINVAL when the values span more than a double can hold. */
static nnc_status lines_window(lines_job *job)
{
    double xlo = job->x[0], xhi = job->x[0], ylo = job->ys[0][0], yhi = job->ys[0][0];
    range(job->x, job->n, &xlo, &xhi);
    for (int s = 0; s < job->n_lines; s++)
        range(job->ys[s], job->n, &ylo, &yhi);
    const double data_xlo = xlo, data_xhi = xhi, data_ylo = ylo, data_yhi = yhi;
    widen_if_flat(&xlo, &xhi);
    widen_if_flat(&ylo, &yhi);
    if (ylo > 0 && ylo < 0.5 * yhi)
        ylo = 0;   /* errors and losses read best from a zero baseline */
    double pad = 0.05 * (yhi - ylo);
    yhi += pad;
    if (ylo != 0)
        ylo -= pad;
    job->marked = job->n <= 30;
    if (job->marked) {   /* keep the end dots whole */
        double xpad = 0.015 * (xhi - xlo);
        xlo -= xpad;
        xhi += xpad;
    }
    if (!isfinite(xhi - xlo) || !isfinite(yhi - ylo))
        return nnc_fail(NNC_EINVAL, "plot: the values span too far to draw (x %g to %g, "
                        "y %g to %g)", data_xlo, data_xhi, data_ylo, data_yhi);
    job->xlo = xlo;
    job->xhi = xhi;
    job->ylo = ylo;
    job->yhi = yhi;
    return NNC_OK;
}

static nnc_status check_series(const char *name, const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return nnc_fail(NNC_EINVAL, "plot: %s has a non-finite value (%g) at point %d",
                            name, v[i], i);
    return NNC_OK;
}

static nnc_status plot_lines(lines_job *job, const char *path)
{
    if (path == NULL || job->x == NULL || job->ys == NULL || job->x_label == NULL ||
        job->y_label == NULL || job->title == NULL)
        return nnc_fail(NNC_EINVAL, "plot: NULL argument");
    if (job->n_lines < 1 || job->n_lines > MAX_LINES)
        return nnc_fail(NNC_EINVAL, "plot: 1 to %d lines fit in one chart, got %d", MAX_LINES,
                        job->n_lines);
    if (job->n < 2)
        return nnc_fail(NNC_EINVAL, "plot: a line needs at least 2 points, got %d", job->n);
    nnc_status st = check_series("x", job->x, job->n);
    for (int s = 0; st == NNC_OK && s < job->n_lines; s++) {
        if (job->ys[s] == NULL || (job->names != NULL && job->names[s] == NULL))
            return nnc_fail(NNC_EINVAL, "plot: NULL series or name %d", s);
        char what[TEXT_MAX + 16];
        if (job->names != NULL)
            snprintf(what, sizeof what, "series '%s'", job->names[s]);
        else
            snprintf(what, sizeof what, "y");
        st = check_series(what, job->ys[s], job->n);
    }
    if (st == NNC_OK)
        st = lines_window(job);
    if (st != NNC_OK)
        return st;
    return plot_render(path, draw_lines, job);
}

nnc_status nnc_plot_line(const char *path, const double *x, const double *y, int n,
                         const char *x_label, const char *y_label, const char *title)
{
    lines_job job = { x, &y, NULL, 1, n, x_label, y_label, title, 0, 0, 0, 0, 0 };
    if (y == NULL)
        job.ys = NULL;
    return plot_lines(&job, path);
}

nnc_status nnc_plot_lines(const char *path, const double *x, const double *const *ys,
                          const char *const *names, int n_lines, int n,
                          const char *x_label, const char *y_label, const char *title)
{
    if (names == NULL)
        return nnc_fail(NNC_EINVAL, "plot: NULL argument (names)");
    lines_job job = { x, ys, names, n_lines, n, x_label, y_label, title, 0, 0, 0, 0, 0 };
    return plot_lines(&job, path);
}

/* --------------------------------------------------- decision regions */

/* A double matrix PLplot can read (rows[i][j]), in one allocation. */
typedef struct matrix {
    PLFLT **rows;
} matrix;

static int matrix_new(matrix *m, int nx, int ny)
{
    size_t pointers = (size_t)nx * sizeof(PLFLT *);
    m->rows = nnc_alloc(pointers + (size_t)nx * (size_t)ny * sizeof(PLFLT), 1, 0);
    if (m->rows == NULL)
        return -1;
    PLFLT *cells = (PLFLT *)(void *)((char *)m->rows + pointers);
    for (int i = 0; i < nx; i++)
        m->rows[i] = cells + (size_t)i * (size_t)ny;
    return 0;
}

typedef struct regions_job {
    int classes;
    double x0, x1, y0, y1;   /* the window, data range plus a margin */
    matrix cls;              /* GRID x GRID: predicted class + 0.5 per cell */
    matrix *margin;          /* per class: p(class) - the largest other p */
    int n_points;
    float *points;           /* n_points x 2 raw inputs */
    int *truth;              /* their classes */
    const char *labels[MAX_REGION_CLASSES];
    const char *x_label, *y_label, *title;
} regions_job;

/* pltr for plcont: grid index (i, j) to the centre of cell (i, j). */
static void grid_to_world(PLFLT i, PLFLT j, PLFLT *x, PLFLT *y, PLPointer data)
{
    const regions_job *job = data;
    *x = job->x0 + (i + 0.5) * (job->x1 - job->x0) / GRID;
    *y = job->y0 + (j + 0.5) * (job->y1 - job->y0) / GRID;
}

/* The legend, drawn by hand right of the plot in a window whose units are
 * pixels: for each class a square of its region's tint holding a dot of its
 * points' colour, then its name. */
static void regions_legend(const regions_job *job)
{
    const double x0 = 614, x1 = 794, y1 = 525, row = fmin(26, 445.0 / job->classes);
    const double y0 = y1 - job->classes * row - 10, half = fmin(10, row / 2 - 2);
    viewport_px(x0, x1, y0, y1);
    plwind(x0, x1, y0, y1);
    plcol0(COL_MUTED);
    plwidth(1.0);
    plline(5, (PLFLT[]){ x0 + 1, x1 - 1, x1 - 1, x0 + 1, x0 + 1 },
           (PLFLT[]){ y0 + 1, y0 + 1, y1 - 1, y1 - 1, y0 + 1 });
    plschr(0, 1.0);
    char name[TEXT_MAX];
    for (int k = 0; k < job->classes; k++) {
        double yc = y1 - 5 - (k + 0.5) * row, xa = x0 + 9, xb = xa + 2 * half;
        plcol0(COL_LIGHT + k);
        plfill(4, (PLFLT[]){ xa, xb, xb, xa },
               (PLFLT[]){ yc - half, yc - half, yc + half, yc + half });
        dot((xa + xb) / 2, yc, half / 2, 1, 1, COL_SERIES + k, 1);
        plcol0(COL_INK);
        plptex(xb + 8, yc, 1, 0, 0, clean_text(name, job->labels[k], LEGEND_CHARS));
    }
}

static void draw_regions(const void *p)
{
    const regions_job *job = p;
    viewport_px(95, 596, 70, 525);
    plwind(job->x0, job->x1, job->y0, job->y1);

    /* The regions: the class grid as an image, each class's value mapped to
     * its own entry of a cmap1 made of the light class colours. */
    PLINT r[MAX_REGION_CLASSES], g[MAX_REGION_CLASSES], b[MAX_REGION_CLASSES];
    for (int k = 0; k < job->classes; k++) {
        PLINT red, green, blue;
        plgcol0(COL_LIGHT + k, &red, &green, &blue);
        r[k] = red;
        g[k] = green;
        b[k] = blue;
    }
    plscmap1(r, g, b, job->classes);
    plimagefr((PLFLT_MATRIX)job->cls.rows, GRID, GRID, job->x0, job->x1, job->y0, job->y1, 0,
              0, 0, job->classes, NULL, NULL);

    /* The boundaries: where a class's probability meets the best other one. */
    static const PLFLT zero[1] = { 0 };
    plcol0(COL_EDGE);
    plwidth(1.6);
    int contours = job->classes == 2 ? 1 : job->classes;   /* two classes share one */
    for (int k = 0; k < contours; k++)
        plcont((PLFLT_MATRIX)job->margin[k].rows, GRID, GRID, 1, GRID, 1, GRID, zero, 1,
               grid_to_world, (PLPointer)job);

    /* The points, smaller as they get many. */
    double dx, dy;
    world_per_px(&dx, &dy);
    double radius = job->n_points <= 100 ? 5.5 : job->n_points <= 1000 ? 4 : 2.5;
    for (int i = 0; i < job->n_points; i++)
        dot(job->points[2 * i], job->points[2 * i + 1], radius, dx, dy,
            COL_SERIES + job->truth[i], job->n_points <= 5000);

    plwidth(1.0);
    plcol0(COL_INK);
    plbox("bcnst", 0, 0, "bcnstv", 0, 0);
    label_axes(job->x_label, job->y_label, job->title);
    regions_legend(job);
}

/* The window: the points' range widened by 8% on each side. */
static void window_of(const float *v, int n, double *lo, double *hi)
{
    *lo = *hi = v[0];
    for (int i = 1; i < n; i++) {
        if (v[2 * i] < *lo)
            *lo = v[2 * i];
        if (v[2 * i] > *hi)
            *hi = v[2 * i];
    }
    widen_if_flat(lo, hi);
    double margin = 0.08 * (*hi - *lo);
    *lo -= margin;
    *hi += margin;
}

/* Predicts every grid point and fills job's class grid and margin fields. */
static nnc_status predict_grid(nnc_model *model, regions_job *job, int outputs)
{
    float *x = nnc_alloc(GRID_BATCH, 2 * sizeof(float), 0);
    float *out = nnc_alloc(GRID_BATCH, (size_t)outputs * sizeof(float), 0);
    nnc_status st = x != NULL && out != NULL ? NNC_OK : NNC_ENOMEM;
    const int total = GRID * GRID;
    for (int start = 0; st == NNC_OK && start < total; start += GRID_BATCH) {
        int rows = total - start < GRID_BATCH ? total - start : GRID_BATCH;
        for (int r = 0; r < rows; r++) {   /* point start + r is cell (i, j) */
            int i = (start + r) / GRID, j = (start + r) % GRID;
            x[2 * r] = (float)(job->x0 + (i + 0.5) * (job->x1 - job->x0) / GRID);
            x[2 * r + 1] = (float)(job->y0 + (j + 0.5) * (job->y1 - job->y0) / GRID);
        }
        st = nnc_model_predict(model, x, rows, out);
        for (int r = 0; st == NNC_OK && r < rows; r++) {
            int i = (start + r) / GRID, j = (start + r) % GRID;
            double prob[MAX_REGION_CLASSES];
            const float *o = out + (size_t)r * outputs;
            for (int k = 0; k < job->classes; k++)
                prob[k] = outputs == 1 ? (k == 0 ? 1.0 - o[0] : o[0]) : o[k];
            for (int k = 0; st == NNC_OK && k < job->classes; k++)
                if (!isfinite(prob[k]))
                    st = nnc_fail(NNC_ENUMERIC,
                                  "plot decision regions: the model predicts %g at (%g, %g)",
                                  prob[k], x[2 * r], x[2 * r + 1]);
            int best;
            nnc_output_classes(o, 1, outputs, &best);   /* the model's own rule */
            job->cls.rows[i][j] = best + 0.5;
            /* Each class's margin over the most likely other class. */
            int top = 0;
            for (int k = 1; k < job->classes; k++)
                if (prob[k] > prob[top])
                    top = k;
            double second = -1;
            for (int k = 0; k < job->classes; k++)
                if (k != top && prob[k] > second)
                    second = prob[k];
            for (int k = 0; k < job->classes; k++)
                job->margin[k].rows[i][j] = prob[k] - (k == top ? second : prob[top]);
        }
    }
    free(x);
    free(out);
    return st;
}

/* Checks the arguments and gathers the points; everything job needs but
 * the grid. */
static nnc_status regions_prepare(nnc_model *model, const nnc_dataset *data, regions_job *job,
                                  int *outputs)
{
    if (nnc_model_task(model) != NNC_TASK_CLASSIFICATION)
        return nnc_fail(NNC_EINVAL, "plot decision regions: the model is not a classifier");
    if (nnc_model_inputs(model) != 2)
        return nnc_fail(NNC_EINVAL,
                        "plot decision regions: the model must have exactly 2 inputs, it has %d",
                        nnc_model_inputs(model));
    job->classes = nnc_model_classes(model);
    if (job->classes < 2 || job->classes > MAX_REGION_CLASSES)
        return nnc_fail(NNC_EINVAL, "plot decision regions: 2 to %d classes can be coloured, "
                        "the model has %d", MAX_REGION_CLASSES, job->classes);
    *outputs = nnc_net_outputs(nnc_model_net(model));
    if (*outputs != (job->classes == 2 ? 1 : job->classes) && *outputs != job->classes)
        return nnc_fail(NNC_EINVAL, "plot decision regions: the model has %d outputs for %d "
                        "classes", *outputs, job->classes);
    if (nnc_dataset_inputs(data) != 2)
        return nnc_fail(NNC_EINVAL, "plot decision regions: the data has %d inputs, the "
                        "model 2", nnc_dataset_inputs(data));
    if (nnc_dataset_task(data) != NNC_TASK_CLASSIFICATION)
        return nnc_fail(NNC_EINVAL, "plot decision regions: the data has no classes");
    job->n_points = nnc_dataset_rows(data);
    if (job->n_points < 1)
        return nnc_fail(NNC_EINVAL, "plot decision regions: the data has no rows");
    for (int k = 0; k < job->classes; k++) {
        const char *label = nnc_model_class_label(model, k);
        job->labels[k] = label != NULL ? label : "?";
    }
    job->x_label = nnc_model_input_name(model, 0) ? nnc_model_input_name(model, 0) : "x0";
    job->y_label = nnc_model_input_name(model, 1) ? nnc_model_input_name(model, 1) : "x1";

    size_t *all = nnc_alloc((size_t)job->n_points, sizeof *all, 0);
    job->points = nnc_alloc((size_t)job->n_points, 2 * sizeof(float), 0);
    job->truth = nnc_alloc((size_t)job->n_points, sizeof(int), 0);
    nnc_status st = all && job->points && job->truth ? NNC_OK : NNC_ENOMEM;
    for (int i = 0; st == NNC_OK && i < job->n_points; i++) {
        all[i] = (size_t)i;
        job->truth[i] = nnc_dataset_class_of(data, i);
        if (job->truth[i] < 0 || job->truth[i] >= job->classes)
            st = nnc_fail(NNC_EINVAL, "plot decision regions: row %d has class %d, the model "
                          "knows %d", i, job->truth[i], job->classes);
    }
    if (st == NNC_OK)
        st = nnc_dataset_gather(data, all, job->n_points, job->points, NULL);
    for (int i = 0; st == NNC_OK && i < 2 * job->n_points; i++)
        if (!isfinite(job->points[i]))
            st = nnc_fail(NNC_EINVAL, "plot decision regions: row %d has a non-finite input",
                          i / 2);
    free(all);
    return st;
}

nnc_status nnc_plot_decision_regions(const char *path, nnc_model *model,
                                     const nnc_dataset *data, const char *title)
{
    if (path == NULL || model == NULL || data == NULL || title == NULL)
        return nnc_fail(NNC_EINVAL, "plot decision regions: NULL argument");
    regions_job job;
    memset(&job, 0, sizeof job);
    job.title = title;
    matrix margins[MAX_REGION_CLASSES];
    memset(margins, 0, sizeof margins);
    job.margin = margins;
    int outputs = 0;
    nnc_status st = regions_prepare(model, data, &job, &outputs);
    if (st == NNC_OK) {
        window_of(job.points, job.n_points, &job.x0, &job.x1);
        window_of(job.points + 1, job.n_points, &job.y0, &job.y1);
        int failed = matrix_new(&job.cls, GRID, GRID);
        for (int k = 0; k < job.classes; k++)
            failed |= matrix_new(&margins[k], GRID, GRID);
        st = failed ? NNC_ENOMEM : predict_grid(model, &job, outputs);
    }
    if (st == NNC_OK)
        st = plot_render(path, draw_regions, &job);
    free(job.cls.rows);
    for (int k = 0; k < MAX_REGION_CLASSES; k++)
        free(margins[k].rows);
    free(job.points);
    free(job.truth);
    return st;
}

/* ---------------------------------------------------- confusion matrix */

typedef struct confusion_job {
    const int *counts;
    int classes;
    const char *const *labels;   /* NULL: "0", "1", ... */
    const char *title;
} confusion_job;

#define LABEL_CHARS 12

static const char *class_name(const confusion_job *job, int k, char out[TEXT_MAX])
{
    if (job->labels != NULL)
        return clean_text(out, job->labels[k], LABEL_CHARS);
    snprintf(out, TEXT_MAX, "%d", k);
    return out;
}

/* Cell shading: white to deep blue by the share of the row's instances. */
static const double shade_from[3] = { 1.0, 1.0, 1.0 }, shade_to[3] = { 0.03, 0.19, 0.42 };

static double shade_luminance(double f)
{
    double c[3];
    for (int i = 0; i < 3; i++)
        c[i] = shade_from[i] + f * (shade_to[i] - shade_from[i]);
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

static void draw_confusion(const void *p)
{
    const confusion_job *job = p;
    const int k_n = job->classes;
    char buf[TEXT_MAX];

    /* Text shrinks as classes grow: full size up to 10, two thirds at 20+. */
    double scale = k_n <= 10 ? 1.0 : k_n <= 20 ? 1.0 - (k_n - 10) * 0.035 : 0.62;
    plschr(0, scale);
    double ch = char_px();
    plschr(0, 1.1);
    double title_ch = char_px();
    int longest = 1;
    for (int k = 0; k < k_n; k++) {
        int chars = text_chars(class_name(job, k, buf), LABEL_CHARS + 1);
        if (chars > longest)
            longest = chars;
    }
    double label_w = longest * TEXT_WIDTH * ch, gap = 8;

    /* Pixel layout, outward from the grid: class names, a gap, the axis
     * title. Column names lie flat when they fit in a cell and stand upright
     * otherwise. Cells are square up to 10 classes, then grow up to half as
     * wide again as tall, to keep room for the counts where height is short.
     * The block of names and grid is centred on the page. */
    double row_names = 0.6 * ch + label_w;
    double left_margin = row_names + gap + 2 * TEXT_HALF_HEIGHT * title_ch;
    double top = PLOT_HEIGHT - 72;
    double col_names = 1.9 * ch;
    double aspect = fmin(1.5, fmax(1.0, 1.0 + (k_n - 10) * 0.05));
    double cell_w = 0, cell_h = 0;
    int upright = 0;
    for (int pass = 0; pass < 2; pass++) {
        double bottom_margin = col_names + gap + 2 * TEXT_HALF_HEIGHT * title_ch + 10;
        double width = (PLOT_WIDTH - 40 - left_margin) / k_n, height = (top - bottom_margin) / k_n;
        cell_h = fmin(width, height);
        cell_w = fmin(width, aspect * cell_h);
        if (upright || label_w <= 0.92 * cell_w)
            break;
        upright = 1;
        col_names = 0.6 * ch + label_w;
    }
    double left = (PLOT_WIDTH - (left_margin + cell_w * k_n)) / 2 + left_margin;
    viewport_px(left, left + cell_w * k_n, top - cell_h * k_n, top);
    plwind(0, k_n, 0, k_n);

    /* Cells: row r (true class) runs from the top, column c (predicted). */
    plscmap1l(1, 2, (PLFLT[]){ 0, 1 }, (PLFLT[]){ shade_from[0], shade_to[0] },
              (PLFLT[]){ shade_from[1], shade_to[1] }, (PLFLT[]){ shade_from[2], shade_to[2] },
              NULL);
    plscmap1n(256);
    long long total = 0, on_diagonal = 0, max_count = 0;
    const size_t cells = (size_t)k_n * (size_t)k_n;   /* size_t: no product overflows */
    for (size_t i = 0; i < cells; i++) {
        total += job->counts[i];
        if (job->counts[i] > max_count)
            max_count = job->counts[i];
    }
    /* Counts as large as fit a cell, up to a little over the label size;
     * none at all when they would be too small to read. */
    int digits = snprintf(buf, sizeof buf, "%lld", max_count);
    double unit = ch / scale;   /* a character's height at scale 1 */
    double count_scale = fmin(1.4, fmin(0.85 * cell_w / (digits * DIGIT_WIDTH * unit),
                                        0.5 * cell_h / unit));
    int show_counts = count_scale * unit >= 6;
    for (int r = 0; r < k_n; r++) {
        long long row_sum = 0;
        const int *row = job->counts + (size_t)r * (size_t)k_n;
        for (int c = 0; c < k_n; c++)
            row_sum += row[c];
        on_diagonal += row[r];
        for (int c = 0; c < k_n; c++) {
            int n = row[c];
            double f = row_sum > 0 ? (double)n / row_sum : 0;
            double y0 = k_n - r - 1, x0 = c;
            plcol1(f);
            plfill(4, (PLFLT[]){ x0, x0 + 1, x0 + 1, x0 }, (PLFLT[]){ y0, y0, y0 + 1, y0 + 1 });
            if (!show_counts)
                continue;
            plschr(0, count_scale);
            plcol0(n == 0 ? COL_MUTED : shade_luminance(f) < 0.5 ? COL_WHITE : COL_INK);
            snprintf(buf, sizeof buf, "%d", n);
            plptex(x0 + 0.5, y0 + 0.5, 1, 0, 0.5, buf);
        }
    }
    /* Grid lines between cells, and the frame. */
    plcol0(COL_GRID);
    plwidth(1.0);
    for (int k = 1; k < k_n; k++) {
        pljoin(k, 0, k, k_n);
        pljoin(0, k, k_n, k);
    }
    plcol0(COL_INK);
    plbox("bc", 0, 0, "bc", 0, 0);

    /* Class names, axis titles (centred beyond the names), title. */
    plschr(0, scale);
    for (int k = 0; k < k_n; k++) {
        double pos = (k + 0.5) / k_n;
        plmtex("lv", 0.6, 1 - pos, 1.0, class_name(job, k, buf));
        if (upright)
            plmtex("bv", 0.6, pos, 1.0, class_name(job, k, buf));
        else
            plmtex("b", 1.4, pos, 0.5, class_name(job, k, buf));
    }
    plschr(0, 1.1);
    double half = TEXT_HALF_HEIGHT * title_ch;
    plmtex("l", (row_names + gap + half) / title_ch, 0.5, 0.5, "True class");
    plmtex("b", (col_names + gap + half) / title_ch, 0.5, 0.5, "Predicted class");
    plschr(0, 1.35);
    page_title(job->title, 2.2);
    if (total > 0) {
        plschr(0, 0.95);
        plcol0(COL_MUTED);
        snprintf(buf, sizeof buf, "%lld instances, %.1f%% on the diagonal", total,
                 100.0 * on_diagonal / total);
        page_title(buf, 1.0);
    }
}

nnc_status nnc_plot_confusion(const char *path, const int *confusion, int classes,
                              const char *const *labels, const char *title)
{
    if (path == NULL || confusion == NULL || title == NULL)
        return nnc_fail(NNC_EINVAL, "plot confusion: NULL argument");
    if (classes < 1 || classes > MAX_CONFUSION_CLASSES)
        return nnc_fail(NNC_EINVAL, "plot confusion: classes must be 1 to %d, got %d",
                        MAX_CONFUSION_CLASSES, classes);
    for (size_t i = 0; i < (size_t)classes * (size_t)classes; i++)
        if (confusion[i] < 0)
            return nnc_fail(NNC_EINVAL, "plot confusion: negative count %d (true class %zu, "
                            "predicted %zu)", confusion[i], i / (size_t)classes,
                            i % (size_t)classes);
    for (int k = 0; labels != NULL && k < classes; k++)
        if (labels[k] == NULL)
            return nnc_fail(NNC_EINVAL, "plot confusion: NULL label %d", k);
    confusion_job job = { confusion, classes, labels, title };
    return plot_render(path, draw_confusion, &job);
}

/* --------------------------------------------- a regression's predictions */

/* Points (x, y) with a guide: the diagonal y = x (predictions against the
 * truth: a perfect model lies on it) or the line y = 0 (residuals). */
typedef struct scatter_job {
    const double *x, *y;
    int n;
    int diagonal;               /* 1: y = x; 0: y = 0 */
    const char *x_label, *y_label, *title;
    double xlo, xhi, ylo, yhi;
} scatter_job;

static void draw_scatter(const void *p)
{
    const scatter_job *job = p;
    viewport_px(95, 770, 70, 525);
    plwind(job->xlo, job->xhi, job->ylo, job->yhi);
    plcol0(COL_GRID);
    plwidth(1.0);
    plbox("g", 0, 0, "g", 0, 0);
    plcol0(COL_MUTED);
    plwidth(2.0);
    PLFLT gx[2] = { job->xlo, job->xhi };
    PLFLT gy[2] = { job->diagonal ? job->xlo : 0.0, job->diagonal ? job->xhi : 0.0 };
    plline(2, gx, gy);
    double dx, dy, r = job->n > 2000 ? 1.5 : job->n > 300 ? 2.5 : 3.5;
    world_per_px(&dx, &dy);
    for (int i = 0; i < job->n; i++)
        dot(job->x[i], job->y[i], r, dx, dy, COL_SERIES, 0);
    plwidth(1.0);
    plcol0(COL_INK);
    plbox("bcnst", 0, 0, "bcnstv", 0, 0);
    label_axes(job->x_label, job->y_label, job->title);
}

/* The window: the data's range with 5 % room; the predictions' picture is
 * square in units (both axes one range), so the diagonal runs corner to
 * corner. */
static nnc_status scatter_window(scatter_job *job)
{
    double xlo = job->x[0], xhi = job->x[0], ylo = job->y[0], yhi = job->y[0];
    range(job->x, job->n, &xlo, &xhi);
    range(job->y, job->n, &ylo, &yhi);
    if (job->diagonal) {
        xlo = ylo = fmin(xlo, ylo);
        xhi = yhi = fmax(xhi, yhi);
    } else {   /* residuals: zero in the middle */
        double most = fmax(fabs(ylo), fabs(yhi));
        ylo = -most;
        yhi = most;
    }
    widen_if_flat(&xlo, &xhi);
    widen_if_flat(&ylo, &yhi);
    double xpad = 0.05 * (xhi - xlo), ypad = 0.05 * (yhi - ylo);
    if (!isfinite(xhi - xlo + xpad) || !isfinite(yhi - ylo + ypad))
        return nnc_fail(NNC_EINVAL, "plot: the values span too far to draw");
    job->xlo = xlo - xpad;
    job->xhi = xhi + xpad;
    job->ylo = ylo - ypad;
    job->yhi = yhi + ypad;
    return NNC_OK;
}

static nnc_status plot_regression(const char *path, const double *actual,
                                  const double *predicted, int n, int residuals,
                                  const char *title)
{
    if (path == NULL || actual == NULL || predicted == NULL || title == NULL)
        return nnc_fail(NNC_EINVAL, "plot: NULL argument");
    if (n < 1)
        return nnc_fail(NNC_EINVAL, "plot: no points to draw");
    nnc_status st = check_series("actual", actual, n);
    if (st == NNC_OK)
        st = check_series("predicted", predicted, n);
    double *y = NULL;
    if (st == NNC_OK && residuals) {
        if ((y = nnc_alloc((size_t)n, sizeof *y, 0)) == NULL)
            return NNC_ENOMEM;
        for (int i = 0; i < n; i++)
            y[i] = actual[i] - predicted[i];
        st = check_series("actual - predicted", y, n);
    }
    scatter_job job = { residuals ? predicted : actual, residuals ? y : predicted, n, !residuals,
                        residuals ? "predicted" : "actual",
                        residuals ? "actual - predicted" : "predicted", title, 0, 0, 0, 0 };
    if (st == NNC_OK)
        st = scatter_window(&job);
    if (st == NNC_OK)
        st = plot_render(path, draw_scatter, &job);
    free(y);
    return st;
}

nnc_status nnc_plot_predictions(const char *path, const double *actual,
                                const double *predicted, int n, const char *title)
{
    return plot_regression(path, actual, predicted, n, 0, title);
}

nnc_status nnc_plot_residuals(const char *path, const double *actual, const double *predicted,
                              int n, const char *title)
{
    return plot_regression(path, actual, predicted, n, 1, title);
}

/*
 * plot.c - pictures of training as PNG files, drawn by PLplot's cairo driver.
 *
 * PLplot reports some failures by printing and calling exit(), which a library
 * must never do. So before plotting we make sure the paths that lead there are
 * closed: the pngcairo driver is present, and the output file can be created.
 * Its non-fatal complaints are routed into nnc_last_error instead of stderr.
 * The picture is drawn into a temporary file beside the target and renamed
 * into place, so a reader never sees half a PNG.
 */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <plplot.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PLOT_WIDTH 800
#define PLOT_HEIGHT 600

static int plplot_complained;

static void on_plplot_abort(PLCHAR_VECTOR message)
{
    plplot_complained = 1;
    nnc_fail(NNC_EIO, "plot: PLplot: %s", message);
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

static void range(const double *v, int n, double *lo, double *hi)
{
    *lo = *hi = v[0];
    for (int i = 1; i < n; i++) {
        if (v[i] < *lo)
            *lo = v[i];
        if (v[i] > *hi)
            *hi = v[i];
    }
    if (*hi == *lo) {   /* a flat series still needs an axis of some height */
        *lo -= 0.5;
        *hi += 0.5;
    }
}

static void draw_line(const char *file, const double *x, const double *y, int n,
                      const char *x_label, const char *y_label, const char *title)
{
    double xlo, xhi, ylo, yhi;
    range(x, n, &xlo, &xhi);
    range(y, n, &ylo, &yhi);
    if (ylo > 0 && ylo < 0.5 * yhi)
        ylo = 0;   /* errors and losses read best from a zero baseline */
    double pad = 0.05 * (yhi - ylo);

    plsdev("pngcairo");
    plsfnam(file);
    plspage(0, 0, PLOT_WIDTH, PLOT_HEIGHT, 0, 0);
    plscolbg(255, 255, 255);
    plinit();
    plscol0(1, 0, 0, 0);   /* axes and text in black, not PLplot's default red */
    plcol0(1);
    plschr(0, 1.1);
    plenv(xlo, xhi, ylo, yhi + pad, 0, -1);   /* the frame is drawn below */
    plscol0(15, 225, 225, 225);
    plcol0(15);
    plbox("g", 0, 0, "g", 0, 0);   /* a light grid behind the curve */
    plcol0(1);
    plbox("bcnst", 0, 0, "bcnstv", 0, 0);
    pllab(x_label, y_label, title);
    plscol0(2, 200, 30, 30);
    plcol0(2);
    plwidth(2.0);
    plline(n, x, y);
}

nnc_status nnc_plot_line(const char *path, const double *x, const double *y, int n,
                         const char *x_label, const char *y_label, const char *title)
{
    if (path == NULL || x == NULL || y == NULL || x_label == NULL || y_label == NULL ||
        title == NULL)
        return nnc_fail(NNC_EINVAL, "plot: NULL argument");
    if (n < 2)
        return nnc_fail(NNC_EINVAL, "plot: a line needs at least 2 points, got %d", n);
    if (!have_pngcairo())
        return nnc_fail(NNC_EIO,
                        "plot: PLplot's pngcairo driver is missing (install plplot-driver-cairo)");
    char *tmp;
    int fd;
    nnc_status st = nnc_temp_beside(path, &tmp, &fd);
    if (st != NNC_OK)
        return st;
    close(fd);   /* PLplot opens the file by name itself */

    PLINT previous, stream;
    plgstrm(&previous);
    plmkstrm(&stream);   /* a stream of our own leaves a caller's plots alone */
    plplot_complained = 0;
    plsabort(on_plplot_abort);
    draw_line(tmp, x, y, n, x_label, y_label, title);
    plend1();
    plsstrm(previous);
    plsabort(NULL);

    struct stat info;
    if (plplot_complained)
        st = NNC_EIO;
    else if (stat(tmp, &info) != 0 || info.st_size == 0)
        st = nnc_fail(NNC_EIO, "plot: PLplot wrote nothing to '%s'", path);
    else if (rename(tmp, path) != 0)
        st = nnc_fail(NNC_EIO, "plot: cannot rename the picture to '%s': %s", path,
                      strerror(errno));
    if (st != NNC_OK)
        remove(tmp);
    free(tmp);
    return st;
}

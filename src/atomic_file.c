/*
 * atomic_file.c - files that appear whole or not at all.
 *
 * Output goes to a temporary file in the same directory (so the final rename
 * stays on one file system and is atomic), is flushed and synced, and only
 * then renamed over the target. A crash or an error at any point leaves the
 * old file, or no file, never half of a new one.
 */
#define _POSIX_C_SOURCE 200809L
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct nnc_atomic_file {
    FILE *fp;
    char *path;
    char *tmp;
};

nnc_status nnc_temp_beside(const char *path, char **tmp, int *fd)
{
    size_t len = strlen(path) + sizeof ".tmp-XXXXXX";
    *tmp = nnc_alloc(len, 1, 0);
    if (*tmp == NULL)
        return NNC_ENOMEM;
    snprintf(*tmp, len, "%s.tmp-XXXXXX", path);
    *fd = mkstemp(*tmp);
    if (*fd < 0) {
        free(*tmp);
        *tmp = NULL;
        return nnc_fail(NNC_EIO, "%s: cannot create a temporary file beside it: %s", path,
                        strerror(errno));
    }
    /* mkstemp makes the file private (0600); give it the permissions any
     * other new file would get under the process's umask. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(*fd, 0666 & ~mask);   /* failing leaves it private: not worth an error */
    return NNC_OK;
}

static void release(nnc_atomic_file *file)
{
    free(file->path);
    free(file->tmp);
    free(file);
}

nnc_status nnc_atomic_open(const char *path, nnc_atomic_file **out)
{
    if (path == NULL || out == NULL || path[0] == '\0')
        return nnc_fail(NNC_EINVAL, "atomic open: NULL or empty path");
    *out = NULL;
    nnc_atomic_file *file = nnc_alloc(1, sizeof *file, 1);
    if (file == NULL)
        return NNC_ENOMEM;
    file->path = nnc_alloc(strlen(path) + 1, 1, 0);
    if (file->path == NULL) {
        release(file);
        return NNC_ENOMEM;
    }
    strcpy(file->path, path);
    int fd;
    nnc_status st = nnc_temp_beside(path, &file->tmp, &fd);
    if (st != NNC_OK) {
        release(file);
        return st;
    }
    file->fp = fdopen(fd, "wb");
    if (file->fp == NULL) {
        close(fd);
        remove(file->tmp);
        release(file);
        return nnc_fail(NNC_EIO, "%s: cannot open a temporary file beside it: %s", path,
                        strerror(errno));
    }
    *out = file;
    return NNC_OK;
}

FILE *nnc_atomic_stream(nnc_atomic_file *file)
{
    return file ? file->fp : NULL;
}

nnc_status nnc_atomic_commit(nnc_atomic_file *file)
{
    if (file == NULL)
        return nnc_fail(NNC_EINVAL, "atomic commit: NULL file");
    /* ferror catches a write that failed earlier; fflush and fsync catch one
     * that fails now (a full disk), before the rename makes it visible. */
    errno = 0;
    int bad = ferror(file->fp) | fflush(file->fp) | fsync(fileno(file->fp));
    int write_errno = errno;
    bad |= fclose(file->fp);
    nnc_status st = NNC_OK;
    if (bad)
        st = nnc_fail(NNC_EIO, "%s: cannot write: %s", file->path,
                      write_errno ? strerror(write_errno) : "write error");
    else if (rename(file->tmp, file->path) != 0)
        st = nnc_fail(NNC_EIO, "%s: cannot rename the new file into place: %s", file->path,
                      strerror(errno));
    if (st != NNC_OK)
        remove(file->tmp);
    release(file);
    return st;
}

void nnc_atomic_abort(nnc_atomic_file *file)
{
    if (file == NULL)
        return;
    fclose(file->fp);
    remove(file->tmp);
    release(file);
}

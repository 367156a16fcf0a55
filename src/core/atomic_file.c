/*
 * atomic_file.c - files that appear whole or not at all, and never the wrong one.
 *
 * A regular file is written to a temporary file in the directory of the file
 * it replaces (so the final rename stays on one file system and is atomic),
 * flushed and synced, and only then renamed over it. A crash or an error at
 * any point leaves the old file, or no file, never half of a new one.
 *
 * What the output path names decides how it is written:
 * - a symbolic link is followed: its target is replaced atomically and the
 *   link stays a link;
 * - a character device, FIFO or socket (e.g. /dev/null, /dev/stdout on a
 *   pipe) is written to directly, not atomically: there is nothing to
 *   rename over; so is anything reached through /proc (/dev/stdout is a
 *   link to /proc/self/fd/1, which may name a file the shell holds open);
 * - a directory is refused;
 * - a file that exists keeps its permission bits (and, as root, its owner).
 *
 * Temporaries: where the kernel has O_TMPFILE (Linux on most file systems)
 * the new contents live in a file without a name until the commit links it
 * in, so a kill -9 leaves nothing behind. Elsewhere the temporary is
 * "<file>.tmp-XXXXXX", locked (flock) by its writer for as long as it lives;
 * every write of a file first removes the unlocked temporaries of that file,
 * which only a killed writer can have left. So a kill -9 leaves at most one
 * stale temporary per output, and the next write of that output removes it.
 */
#define _GNU_SOURCE   /* O_TMPFILE, AT_EMPTY_PATH */
#include "core/core.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEMP_SUFFIX ".tmp-"
#define TEMP_RANDOM 6         /* the XXXXXX of mkstemp */
#define MAX_LINK_HOPS 40      /* as the kernel's own limit on symbolic links */

struct nnc_atomic_file {
    FILE *fp;
    char *path;        /* as the caller named it, for messages */
    char *target;      /* the file to replace: path with its links followed */
    char *tmp;         /* a named temporary (no O_TMPFILE), else NULL */
    char fd_name[32];  /* "/proc/self/fd/N": the unnamed temporary by name */
    int unnamed;       /* the contents are in an O_TMPFILE file */
    int direct;        /* a device, FIFO or socket: written in place */
};

/* ----------------------------------------------------------------- paths */

static char *join(const char *dir, size_t dir_len, const char *name)
{
    size_t n = strlen(name);
    char *s = nnc_alloc(dir_len + 1 + n + 1, 1, 0);
    if (s != NULL) {
        memcpy(s, dir, dir_len);
        s[dir_len] = '/';
        memcpy(s + dir_len + 1, name, n + 1);
    }
    return s;
}

/* Length of the directory part of path ("a/b" -> 1; "b" -> 0, meaning "."). */
static size_t dir_length(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return 0;
    return slash == path ? 1 : (size_t)(slash - path);
}

static char *dir_of(const char *path)
{
    size_t n = dir_length(path);
    if (n == 0)
        return nnc_strdup(".");
    char *s = nnc_alloc(n + 1, 1, 0);
    if (s != NULL) {
        memcpy(s, path, n);
        s[n] = '\0';
    }
    return s;
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Follows the symbolic links of path to the name of what it finally points
 * at (which need not exist). *through_proc is set when a hop goes through
 * /proc, whose links (/proc/self/fd/N) are not paths to rename over. */
static nnc_status follow_links(const char *path, char **out, int *through_proc)
{
    *through_proc = strncmp(path, "/proc/", 6) == 0;
    char *cur = nnc_strdup(path);
    if (cur == NULL)
        return NNC_ENOMEM;
    for (int hop = 0;; hop++) {
        struct stat info;
        if (lstat(cur, &info) != 0 || !S_ISLNK(info.st_mode) || *through_proc)
            break;
        if (hop == MAX_LINK_HOPS) {
            free(cur);
            return nnc_fail(NNC_EIO, "%s: too many levels of symbolic links", path);
        }
        char link[PATH_MAX];
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0) {
            int e = errno;
            free(cur);
            return nnc_fail(NNC_EIO, "%s: cannot read the symbolic link: %s", path, strerror(e));
        }
        link[n] = '\0';
        char *next = link[0] == '/' || dir_length(cur) == 0
                         ? nnc_strdup(link)
                         : join(cur, dir_length(cur), link);
        free(cur);
        if (next == NULL)
            return NNC_ENOMEM;
        cur = next;
        *through_proc |= strncmp(cur, "/proc/", 6) == 0;
    }
    *out = cur;
    return NNC_OK;
}

/* What an output path turns out to be, once its links are followed. */
typedef struct output_kind {
    char *target;       /* owned */
    int exists;
    int direct;         /* written in place */
    struct stat info;   /* when exists */
} output_kind;

static nnc_status classify(const char *path, output_kind *k)
{
    memset(k, 0, sizeof *k);
    if (path == NULL || path[0] == '\0')
        return nnc_fail(NNC_EINVAL, "output: NULL or empty path");
    int through_proc;
    nnc_status st = follow_links(path, &k->target, &through_proc);
    if (st != NNC_OK)
        return st;
    if (stat(path, &k->info) == 0) {
        k->exists = 1;
        if (S_ISDIR(k->info.st_mode)) {
            free(k->target);
            k->target = NULL;
            return nnc_fail(NNC_EIO, "%s: is a directory, not a file", path);
        }
        k->direct = !S_ISREG(k->info.st_mode) || through_proc;
    } else if (errno != ENOENT) {
        int e = errno;
        free(k->target);
        k->target = NULL;
        return nnc_fail(NNC_EIO, "%s: %s", path, strerror(e));
    }
    return NNC_OK;
}

int nnc_same_file(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return 0;
    struct stat sa, sb;
    int has_a = stat(a, &sa) == 0, has_b = stat(b, &sb) == 0;
    if (has_a || has_b)
        return has_a && has_b && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    /* Neither exists yet: the same name in the same directory. */
    char *ta = NULL, *tb = NULL;
    int proc, same = 0;
    if (follow_links(a, &ta, &proc) == NNC_OK && follow_links(b, &tb, &proc) == NNC_OK &&
        strcmp(base_of(ta), base_of(tb)) == 0) {
        char *da = dir_of(ta), *db = dir_of(tb);
        struct stat xa, xb;
        same = da && db && stat(da, &xa) == 0 && stat(db, &xb) == 0 &&
               xa.st_dev == xb.st_dev && xa.st_ino == xb.st_ino;
        free(da);
        free(db);
    }
    free(ta);
    free(tb);
    return same;
}

/* ----------------------------------------------------------- temporaries */

/* Removes "<target>.tmp-XXXXXX" files that no live writer holds: a writer
 * keeps its temporary locked, so one whose lock can be taken was left by a
 * process that died. Best effort: anything odd is left alone. */
static void remove_stale_temporaries(const char *target)
{
    char *dir = dir_of(target);
    const char *base = base_of(target);
    size_t base_len = strlen(base), prefix_len = base_len + sizeof TEMP_SUFFIX - 1;
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strlen(e->d_name) != prefix_len + TEMP_RANDOM ||
            strncmp(e->d_name, base, base_len) != 0 ||
            strncmp(e->d_name + base_len, TEMP_SUFFIX, sizeof TEMP_SUFFIX - 1) != 0)
            continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat held, named;
        if (fstat(fd, &held) == 0 && S_ISREG(held.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
            fstatat(dirfd(d), e->d_name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
            named.st_ino == held.st_ino && named.st_dev == held.st_dev)
            (void)unlinkat(dirfd(d), e->d_name, 0);
        close(fd);
    }
    if (d != NULL)
        closedir(d);
    free(dir);
}

/* A name "<target>.tmp-XXXXXX" not in use yet is found by trying: mkstemp
 * for a new file, linkat for the unnamed one. The letters need only differ
 * between tries and processes, not be secret. */
static void random_suffix(char *p)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static unsigned long counter;
    unsigned long long x = (unsigned long long)getpid() * 0x9E3779B97F4A7C15ull ^
                           (unsigned long long)(uintptr_t)p ^ (++counter * 0xBF58476D1CE4E5B9ull);
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) == 0)
        x ^= (unsigned long long)now.tv_nsec * 0x94D049BB133111EBull;
    for (int i = 0; i < TEMP_RANDOM; i++) {
        x ^= x >> 31;
        x *= 0x9E3779B97F4A7C15ull;
        p[i] = letters[(x >> 40) % (sizeof letters - 1)];
    }
}

static char *temp_name(const char *target)
{
    size_t n = strlen(target);
    char *name = nnc_alloc(n + sizeof TEMP_SUFFIX + TEMP_RANDOM, 1, 0);
    if (name != NULL) {
        memcpy(name, target, n);
        memcpy(name + n, TEMP_SUFFIX, sizeof TEMP_SUFFIX - 1);
        memset(name + n + sizeof TEMP_SUFFIX - 1, 'X', TEMP_RANDOM);
        name[n + sizeof TEMP_SUFFIX - 1 + TEMP_RANDOM] = '\0';
    }
    return name;
}

/* The permissions a new file gets under the process's umask. Reading the
 * umask means setting it; a named temporary is the only user. */
static mode_t new_file_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* Opens the file the new contents go into: an unnamed one in the target's
 * directory when the kernel can, else a named, locked temporary. */
static nnc_status open_temporary(nnc_atomic_file *file, const output_kind *k, int *fd)
{
    char *dir = dir_of(file->target);
    if (dir == NULL)
        return NNC_ENOMEM;
    mode_t mode = k->exists ? (k->info.st_mode & 07777) : 0666;
#ifdef O_TMPFILE
    *fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
    if (*fd >= 0) {
        file->unnamed = 1;
        snprintf(file->fd_name, sizeof file->fd_name, "/proc/self/fd/%d", *fd);
    }
#else
    *fd = -1;
#endif
    int e = errno;
    free(dir);
    remove_stale_temporaries(file->target);
    if (*fd < 0 && (e == ENOENT || e == ENOTDIR || e == EACCES || e == EROFS))
        return nnc_fail(NNC_EIO, "%s: cannot create a file in its directory: %s", file->path,
                        strerror(e));
    if (*fd < 0) {   /* no O_TMPFILE here (EOPNOTSUPP, EISDIR, EINVAL): a named one */
        if ((file->tmp = temp_name(file->target)) == NULL)
            return NNC_ENOMEM;
        *fd = mkstemp(file->tmp);
        if (*fd < 0) {
            e = errno;
            free(file->tmp);
            file->tmp = NULL;
            return nnc_fail(NNC_EIO, "%s: cannot create a temporary file beside it: %s",
                            file->path, strerror(e));
        }
        if (!k->exists)   /* mkstemp makes the file private (0600) */
            (void)fchmod(*fd, new_file_mode());
    }
    /* The lock marks the temporary live for remove_stale_temporaries, also
     * an unnamed one during the moment it has a temporary name. */
    (void)flock(*fd, LOCK_EX);
    if (k->exists) {
        /* A replaced file keeps its permissions, and its owner where we may
         * set it (as root); chown first, as it clears set-user-ID bits. */
        if (fchown(*fd, k->info.st_uid, k->info.st_gid) != 0) {
            /* not ours to give away: the new file stays the writer's */
        }
        (void)fchmod(*fd, mode);
    }
    return NNC_OK;
}

/* ------------------------------------------------------------ the file */

static void release(nnc_atomic_file *file)
{
    free(file->path);
    free(file->target);
    free(file->tmp);
    free(file);
}

nnc_status nnc_atomic_open(const char *path, nnc_atomic_file **out)
{
    if (out == NULL)
        return nnc_fail(NNC_EINVAL, "atomic open: NULL argument");
    *out = NULL;
    output_kind k;
    nnc_status st = classify(path, &k);
    if (st != NNC_OK)
        return st;
    nnc_atomic_file *file = nnc_alloc(1, sizeof *file, 1);
    if (file == NULL || (file->path = nnc_strdup(path)) == NULL) {
        free(k.target);
        if (file != NULL)
            release(file);
        return NNC_ENOMEM;
    }
    file->target = k.target;
    file->direct = k.direct;
    int fd;
    if (file->direct) {
        fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (S_ISREG(k.info.st_mode) ? O_TRUNC : 0));
        if (fd < 0)
            st = nnc_fail(NNC_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
    } else {
        st = open_temporary(file, &k, &fd);
    }
    if (st != NNC_OK) {
        release(file);
        return st;
    }
    file->fp = fdopen(fd, "wb");
    if (file->fp == NULL) {
        st = nnc_fail(NNC_EIO, "%s: cannot open a stream for writing: %s", path, strerror(errno));
        close(fd);
        if (file->tmp != NULL)
            unlink(file->tmp);
        release(file);
        return st;
    }
    *out = file;
    return NNC_OK;
}

FILE *nnc_atomic_stream(nnc_atomic_file *file)
{
    return file ? file->fp : NULL;
}

const char *nnc_atomic_name(const nnc_atomic_file *file)
{
    if (file == NULL)
        return NULL;
    if (file->direct)
        return file->path;
    return file->unnamed ? file->fd_name : file->tmp;
}

/* Gives the unnamed file the target's name: directly when there is no file
 * there yet (linkat never replaces), else under a fresh temporary name that
 * is then renamed over the target. */
static nnc_status link_unnamed(nnc_atomic_file *file)
{
    int fd = fileno(file->fp);
    char *name = NULL;
    for (int attempt = 0; attempt < 100; attempt++) {
        const char *to = file->target;
        if (attempt > 0) {
            if (name == NULL && (name = temp_name(file->target)) == NULL)
                return NNC_ENOMEM;
            random_suffix(name + strlen(name) - TEMP_RANDOM);
            to = name;
        }
        /* AT_EMPTY_PATH needs a capability; the /proc link does not. */
        int linked = linkat(fd, "", AT_FDCWD, to, AT_EMPTY_PATH) == 0 ||
                     linkat(AT_FDCWD, file->fd_name, AT_FDCWD, to, AT_SYMLINK_FOLLOW) == 0;
        if (linked && to == file->target)
            return NNC_OK;
        if (linked) {
            nnc_status st = NNC_OK;
            if (rename(name, file->target) != 0) {
                st = nnc_fail(NNC_EIO, "%s: cannot rename the new file into place: %s",
                              file->path, strerror(errno));
                unlink(name);
            }
            free(name);
            return st;
        }
        if (errno != EEXIST) {
            free(name);
            return nnc_fail(NNC_EIO, "%s: cannot link the new file into place: %s", file->path,
                            strerror(errno));
        }
    }
    free(name);
    return nnc_fail(NNC_EIO, "%s: cannot find a free temporary name beside it", file->path);
}

nnc_status nnc_atomic_commit(nnc_atomic_file *file)
{
    if (file == NULL)
        return nnc_fail(NNC_EINVAL, "atomic commit: NULL file");
    /* ferror catches a write that failed earlier; fflush and fsync catch one
     * that fails now (a full disk), before the file becomes visible. A device
     * or pipe may not sync: that is no error. */
    errno = 0;
    int bad = ferror(file->fp) | fflush(file->fp);
    if (!bad && fsync(fileno(file->fp)) != 0 && !(file->direct && (errno == EINVAL ||
                                                                   errno == EROFS)))
        bad = 1;
    int write_errno = errno;
    nnc_status st = NNC_OK;
    if (bad)
        st = nnc_fail(NNC_EIO, "%s: cannot write: %s", file->path,
                      write_errno ? strerror(write_errno) : "write error");
    else if (file->unnamed)
        st = link_unnamed(file);
    else if (file->tmp != NULL && rename(file->tmp, file->target) != 0)
        st = nnc_fail(NNC_EIO, "%s: cannot rename the new file into place: %s", file->path,
                      strerror(errno));
    if (st != NNC_OK && file->tmp != NULL)
        unlink(file->tmp);
    /* Closing last: the lock on a named temporary lasts until it has its
     * final name or is gone. */
    if (fclose(file->fp) != 0 && st == NNC_OK && file->direct)
        st = nnc_fail(NNC_EIO, "%s: cannot write: %s", file->path, strerror(errno));
    release(file);
    return st;
}

void nnc_atomic_abort(nnc_atomic_file *file)
{
    if (file == NULL)
        return;
    if (file->tmp != NULL)
        unlink(file->tmp);
    fclose(file->fp);
    release(file);
}

nnc_status nnc_output_check(const char *path)
{
    output_kind k;
    nnc_status st = classify(path, &k);
    if (st != NNC_OK)
        return st;
    if (k.direct) {
        /* Opening a FIFO would wait for a reader: asking is enough. */
        st = access(path, W_OK) == 0 ? NNC_OK
                                     : nnc_fail(NNC_EIO, "%s: cannot write to it: %s", path,
                                                strerror(errno));
        free(k.target);
        return st;
    }
    free(k.target);
    /* A temporary created and dropped: the directory exists and takes files. */
    nnc_atomic_file *file;
    st = nnc_atomic_open(path, &file);
    if (st == NNC_OK)
        nnc_atomic_abort(file);
    return st;
}

/*
 * error.c - the status messages behind nnc_last_error().
 *
 * One message per thread: the library never prints, so a failing call leaves
 * its explanation here for the caller to show however it likes.
 */
#include "core/core.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[512];

nnc_status nnc_fail(nnc_status status, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, args);
    va_end(args);
    return status;
}

const char *nnc_last_error(void)
{
    return last_error;
}

const char *nnc_status_name(nnc_status status)
{
    switch (status) {
    case NNC_OK: return "ok";
    case NNC_EINVAL: return "invalid argument";
    case NNC_ENOMEM: return "out of memory";
    case NNC_EIO: return "input/output error";
    case NNC_EFORMAT: return "malformed data";
    case NNC_ENUMERIC: return "numeric error";
    case NNC_ESTOPPED: return "stopped on request";
    }
    return "unknown status";
}

const char *nnc_version(void)
{
    return NNC_VERSION;
}

nnc_status nnc_check_rows(const char *what, int rows)
{
    if (rows < 1)
        return nnc_fail(NNC_EINVAL, "%s: rows must be at least 1, got %d", what, rows);
    return NNC_OK;
}

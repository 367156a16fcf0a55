/*
 * run_mode.h - whether a test runs natively, under AddressSanitizer or under
 * valgrind. Tests of time and memory scale their inputs and bounds by it
 * (ASan and valgrind are slow, and ASan reserves terabytes of address space,
 * so RLIMIT_AS cannot bound it) instead of skipping anything.
 */
#ifndef NNC_TEST_RUN_MODE_H
#define NNC_TEST_RUN_MODE_H

#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

typedef enum { RUN_PLAIN, RUN_ASAN, RUN_VALGRIND } run_mode;

/* Without <valgrind/valgrind.h>, valgrind shows in LD_PRELOAD, which it sets
 * to its vgpreload libraries. */
static inline run_mode detect_run_mode(void)
{
#ifdef RUNNING_ON_VALGRIND
    if (RUNNING_ON_VALGRIND)
        return RUN_VALGRIND;
#endif
    const char *preload = getenv("LD_PRELOAD");
    if (preload != NULL && strstr(preload, "vgpreload") != NULL)
        return RUN_VALGRIND;
    return UNDER_ASAN ? RUN_ASAN : RUN_PLAIN;
}

#endif

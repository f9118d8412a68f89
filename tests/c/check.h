/*
 * The check macros every C test program uses (tests/c through testutil.h, the portable
 * programs of tests/c/portable through cwin.h): a failed check names itself, its file and
 * line on stderr and exits 1. Plain C99 and the C library only, so it builds on Windows too.
 */
#ifndef SOCKHELP_CHECK_H
#define SOCKHELP_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "sockhelp.h"

#define FAIL(...)                                                                    \
    do {                                                                             \
        fprintf(stderr, "%s:%d: FAILED: ", __FILE__, __LINE__);                      \
        fprintf(stderr, __VA_ARGS__);                                                \
        fprintf(stderr, "\n");                                                       \
        fflush(stderr);                                                              \
        exit(1);                                                                     \
    } while (0)

/* A condition that must hold. */
#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond))                                                                 \
            FAIL("check `%s`", #cond);                                               \
    } while (0)

/* A sockhelp call that must return `expected`. */
#define CHECK_RC(call, expected)                                                     \
    do {                                                                             \
        int rc_ = (call);                                                            \
        int exp_ = (expected);                                                       \
        if (rc_ != exp_)                                                             \
            FAIL("`%s` returned %d (%s), expected %s = %d (%s); last_os_error %d",   \
                 #call, rc_, sockhelp_strerror(rc_), #expected, exp_,                \
                 sockhelp_strerror(exp_), sockhelp_last_os_error());                 \
    } while (0)

/* Two size_t values that must be equal. */
#define CHECK_EQ_SZ(a, b)                                                            \
    do {                                                                             \
        size_t a_ = (a), b_ = (b);                                                   \
        if (a_ != b_)                                                                \
            FAIL("`%s` is %lu, expected `%s` = %lu", #a, (unsigned long)a_, #b,      \
                 (unsigned long)b_);                                                 \
    } while (0)

/* An elapsed time (ms) that must lie in [lo, hi) (now_ms() differences, clock.h). Keep
 * the upper bound generous: a loaded machine, and Wine, are slow. */
#define CHECK_ELAPSED(ms, lo, hi)                                                    \
    do {                                                                             \
        long long ms_ = (ms);                                                        \
        if (ms_ < (lo) || ms_ >= (hi))                                               \
            FAIL("took %lld ms, expected at least %d and below %d ms", ms_, (lo),    \
                 (hi));                                                              \
    } while (0)

#endif

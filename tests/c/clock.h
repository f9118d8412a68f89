/*
 * Time for the C tests, one definition for tests/c (through testutil.h) and the portable
 * programs of tests/c/portable (through cwin.h): monotonic milliseconds and a sleep that
 * survives EINTR.
 * POSIX and Windows.
 */
#ifndef SOCKHELP_TEST_CLOCK_H
#define SOCKHELP_TEST_CLOCK_H

#if defined(_WIN32)
#include <windows.h>

/* Monotonic milliseconds. */
static inline long long now_ms(void) { return (long long)GetTickCount64(); }

static inline void sleep_ms(long ms) { Sleep((DWORD)ms); }
#else
#include <errno.h>
#include <time.h>

/* Monotonic milliseconds. */
static inline long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps `ms` milliseconds, resumed after a signal. */
static inline void sleep_ms(long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}
#endif

#endif

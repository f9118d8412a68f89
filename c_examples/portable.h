/* The examples' own portability shim (not part of sockhelp): a millisecond
 * clock and raising the descriptor limit for servers with many connections. */
#ifndef SOCKHELP_EXAMPLES_PORTABLE_H
#define SOCKHELP_EXAMPLES_PORTABLE_H

#if defined(_WIN32)
#include <windows.h>
static inline double now_ms(void) { return (double)GetTickCount64(); }
static inline void raise_fd_limit(void) {}
#else
#include <sys/resource.h>
#include <time.h>
static inline double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}
/* Many connections need many descriptors: lift the soft limit to the hard one. */
static inline void raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}
#endif

#endif

/*
 * The portable C tests' shim (the .c files of tests/c/portable): the same programs build
 * with gcc on Linux (driven by tests/c.rs) and with x86_64-w64-mingw32-gcc for Windows
 * (built and run under Wine by scripts/windows-test.sh). No fork, no socketpair, no raw POSIX
 * sockets: peers are threads (CreateThread / pthread_create) on loopback TCP made with
 * sockhelp itself; the only raw socket call is SO_LINGER {1, 0} for a reset.
 *
 * Every program calls cw_start() first (sockhelp_init, a watchdog) and exits 0 on
 * success, or 1 with a message on stderr naming the failed check.
 */
#ifndef SOCKHELP_CWIN_H
#define SOCKHELP_CWIN_H

#if defined(_WIN32)
#include <winsock2.h>
#include <windows.h>
#else
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"

#if defined(_WIN32)
#define CW_WINDOWS 1
#else
#define CW_WINDOWS 0
#endif

#include "../check.h"

/* ---- time: now_ms, sleep_ms (shared with tests/c) ---- */

#include "../clock.h"

/* ---- threads ---- */

typedef void (*cw_thread_fn)(void *arg);

struct cw_thread_start {
    cw_thread_fn fn;
    void *arg;
};

#if defined(_WIN32)
typedef HANDLE cw_thread;
static DWORD WINAPI cw_thread_main(LPVOID p)
{
    struct cw_thread_start st = *(struct cw_thread_start *)p;
    free(p);
    st.fn(st.arg);
    return 0;
}
#else
typedef pthread_t cw_thread;
static void *cw_thread_main(void *p)
{
    struct cw_thread_start st = *(struct cw_thread_start *)p;
    free(p);
    st.fn(st.arg);
    return NULL;
}
#endif

/* Starts fn(arg) on a new thread. */
static inline cw_thread cw_thread_spawn(cw_thread_fn fn, void *arg)
{
    struct cw_thread_start *st = (struct cw_thread_start *)malloc(sizeof *st);
    cw_thread t;
    if (!st)
        FAIL("out of memory");
    st->fn = fn;
    st->arg = arg;
#if defined(_WIN32)
    t = CreateThread(NULL, 0, cw_thread_main, st, 0, NULL);
    if (t == NULL)
        FAIL("CreateThread: %lu", (unsigned long)GetLastError());
#else
    if (pthread_create(&t, NULL, cw_thread_main, st) != 0)
        FAIL("pthread_create failed");
#endif
    return t;
}

static inline void cw_thread_join(cw_thread t)
{
#if defined(_WIN32)
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
#else
    pthread_join(t, NULL);
#endif
}

/* ---- start: init + watchdog ---- */

static void cw_watchdog_main(void *arg)
{
    long seconds = (long)(intptr_t)arg;
    sleep_ms(seconds * 1000);
    fprintf(stderr, "FAILED: watchdog fired after %ld s: the test hung\n", seconds);
    fflush(stderr);
    _Exit(3);
}

/* sockhelp_init (WSAStartup on Windows: required before any socket call there), and a
 * watchdog thread that ends a hung test after `seconds`. */
static inline void cw_start(long seconds)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    CHECK_RC(sockhelp_init(), SOCKHELP_OK);
    (void)cw_thread_spawn(cw_watchdog_main, (void *)(intptr_t)seconds);
}

/* ---- sockets ---- */

/* A listener on 127.0.0.1 and a port the OS picks. */
static inline sockhelp_socket cw_listen(uint16_t *port)
{
    sockhelp_socket l = SOCKHELP_INVALID_SOCKET;
    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 16, &l), SOCKHELP_OK);
    CHECK_RC(sockhelp_local_port(l, port), SOCKHELP_OK);
    return l;
}

/* A connected loopback pair: a = the connecting side, b = the accepted side. */
static inline void cw_pair(sockhelp_socket *a, sockhelp_socket *b)
{
    uint16_t port;
    sockhelp_socket l = cw_listen(&port);
    CHECK_RC(sockhelp_connect("127.0.0.1", port, 5000, a), SOCKHELP_OK);
    CHECK_RC(sockhelp_accept(l, 5000, b), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(l), SOCKHELP_OK);
}

/* Aborts the connection: SO_LINGER {1, 0}, then close sends a RST. */
static inline void cw_abort(sockhelp_socket s)
{
    struct linger lg;
    lg.l_onoff = 1;
    lg.l_linger = 0;
#if defined(_WIN32)
    if (setsockopt((SOCKET)s, SOL_SOCKET, SO_LINGER, (const char *)&lg, sizeof lg) != 0)
        FAIL("SO_LINGER: WSA error %d", WSAGetLastError());
#else
    if (setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0)
        FAIL("SO_LINGER: errno %d", errno);
#endif
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
}

/* The byte at offset i of the test pattern (not periodic in 256). */
static inline unsigned char cw_pattern(size_t i)
{
    return (unsigned char)(((i ^ (i >> 8) ^ (i >> 16)) & 0xff) * 31u + 7u);
}

#endif

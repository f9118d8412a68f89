/*
 * Helpers shared by the C tests of sockhelp (POSIX only).
 *
 * Every test program: calls watchdog() first (a hung test dies with a message instead of
 * hanging), makes its own loopback peer with raw POSIX calls, and exits 0 on success or
 * 1 with a message on stderr naming the failed check.
 */
#ifndef SOCKHELP_TESTUTIL_H
#define SOCKHELP_TESTUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "sockhelp.h"

#include "check.h"
#include "clock.h"

/* A raw POSIX call that must not fail (returns < 0 on failure). */
#define SYS(call)                                                                    \
    do {                                                                             \
        if ((call) < 0)                                                              \
            FAIL("`%s`: %s", #call, strerror(errno));                                \
    } while (0)

static inline void testutil_on_alarm(int sig)
{
    static const char msg[] = "FAILED: watchdog fired: the test hung\n";
    ssize_t n;
    (void)sig;
    n = write(2, msg, sizeof msg - 1);
    (void)n;
    _exit(3);
}

/* Kills the process with a message after `seconds`. */
static inline void watchdog(unsigned seconds)
{
    signal(SIGALRM, testutil_on_alarm);
    alarm(seconds);
}


/* The byte at offset `i` of the test pattern: not periodic in 256, so a lost, duplicated
 * or reordered chunk shows. */
static inline unsigned char pattern_byte(size_t i)
{
    uint32_t x = (uint32_t)i;
    x ^= x >> 7;
    x *= 2654435761u;
    return (unsigned char)(x >> 24);
}

static inline void fill_pattern(unsigned char *buf, size_t len, size_t offset)
{
    size_t i;
    for (i = 0; i < len; i++)
        buf[i] = pattern_byte(offset + i);
}

/* Index of the first byte that differs from the pattern, or (size_t)-1. */
static inline size_t find_pattern_mismatch(const unsigned char *buf, size_t len, size_t offset)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (buf[i] != pattern_byte(offset + i))
            return i;
    return (size_t)-1;
}

/* xorshift32: a small seeded PRNG, so a failure reproduces. */
static inline uint32_t prng_next(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* A raw listener on 127.0.0.1, port chosen by the OS. */
static inline int raw_listener(uint16_t *port)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    SYS(fd);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    SYS(bind(fd, (struct sockaddr *)&a, sizeof a));
    SYS(listen(fd, 16));
    SYS(getsockname(fd, (struct sockaddr *)&a, &alen));
    *port = ntohs(a.sin_port);
    return fd;
}

/* A raw blocking connect to 127.0.0.1:port; returns the fd or -1 with errno set. */
static inline int raw_connect(uint16_t port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    SYS(fd);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* A connected pair: `*lib` made by sockhelp_connect (blocking, as sockhelp leaves it),
 * `*peer` a raw accepted descriptor that plays the other side. */
static inline void make_pair(sockhelp_socket *lib, int *peer)
{
    uint16_t port;
    int l = raw_listener(&port);
    CHECK_RC(sockhelp_connect("127.0.0.1", port, 5000, lib), SOCKHELP_OK);
    CHECK(*lib != SOCKHELP_INVALID_SOCKET);
    *peer = accept(l, NULL, NULL);
    SYS(*peer);
    close(l);
}

/* Makes the peer's close send a reset (RST) instead of a FIN. */
static inline void set_linger_zero(int fd)
{
    struct linger lg;
    lg.l_onoff = 1;
    lg.l_linger = 0;
    SYS(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
}

static inline void set_int_opt(int fd, int level, int name, int value)
{
    SYS(setsockopt(fd, level, name, &value, sizeof value));
}

static inline int get_int_opt(int fd, int level, int name)
{
    int v = 0;
    socklen_t len = sizeof v;
    SYS(getsockopt(fd, level, name, &v, &len));
    return v;
}

/* Whether O_NONBLOCK is set, asked of the kernel directly (not through sockhelp). */
static inline int fd_is_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    SYS(fl);
    return (fl & O_NONBLOCK) != 0;
}

/* Waits up to `ms` for `fd` to be readable; 1 if it is. */
static inline int wait_readable(int fd, int ms)
{
    struct pollfd p;
    int n;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    do {
        n = poll(&p, 1, ms);
    } while (n < 0 && errno == EINTR);
    SYS(n);
    return n > 0;
}

/* Reads from the raw peer until EOF (recv returns 0) within `ms`; returns the byte count,
 * checking them against the pattern from `offset`. Fails on error or timeout. */
static inline size_t drain_to_eof(int fd, size_t offset, int ms)
{
    static unsigned char buf[65536];
    size_t total = 0;
    long long deadline = now_ms() + ms;
    for (;;) {
        ssize_t n;
        long long left = deadline - now_ms();
        if (left <= 0 || !wait_readable(fd, (int)left))
            FAIL("peer: no EOF within %d ms (%lu bytes read)", ms, (unsigned long)total);
        n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            FAIL("peer: recv: %s after %lu bytes", strerror(errno), (unsigned long)total);
        }
        if (n == 0)
            return total;
        if (find_pattern_mismatch(buf, (size_t)n, offset + total) != (size_t)-1)
            FAIL("peer: wrong byte near offset %lu", (unsigned long)(offset + total));
        total += (size_t)n;
    }
}

#endif /* SOCKHELP_TESTUTIL_H */

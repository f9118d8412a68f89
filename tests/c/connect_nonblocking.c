/*
 * Non-blocking connect, the HOWTO's way: sockhelp_connect_start gives the socket in
 * progress, it shows up writable, sockhelp_connect_finish says how it went: connected,
 * refused, still in progress (EWOULDBLOCK), or dropped by the system (ERESET with
 * last_os_error ETIMEDOUT: an OS timeout is never SOCKHELP_ETIMEDOUT, which means the
 * caller's deadline). Also: last_os_error does not keep a stale value after ENOTFOUND,
 * and sockhelp_os_strerror gives static text.
 */
#include "testutil.h"

#define MAX_FILLERS 16

/* Polls `s` for writable up to `ms`; 1 writable, 0 not yet. */
static int wait_writable(sockhelp_socket s, int ms)
{
    struct pollfd p;
    int n;
    p.fd = s;
    p.events = POLLOUT;
    p.revents = 0;
    n = poll(&p, 1, ms);
    SYS(n);
    return n;
}

static void connects_and_finishes(void)
{
    sockhelp_socket l, s, a;
    uint16_t port;
    char c = 0;
    int rc;

    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 8, &l), SOCKHELP_OK);
    CHECK_RC(sockhelp_local_port(l, &port), SOCKHELP_OK);
    rc = sockhelp_connect_start("127.0.0.1", port, &s);
    CHECK(rc == SOCKHELP_OK || rc == SOCKHELP_EWOULDBLOCK);
    CHECK(s != SOCKHELP_INVALID_SOCKET);
    if (rc == SOCKHELP_EWOULDBLOCK) {
        CHECK(fd_is_nonblocking(s));
        CHECK(wait_writable(s, 2000) == 1);
        CHECK_RC(sockhelp_connect_finish(s), SOCKHELP_OK);
    }
    CHECK(!fd_is_nonblocking(s));
    CHECK_RC(sockhelp_connect_finish(s), SOCKHELP_OK); /* asking again: still connected */
    CHECK_RC(sockhelp_accept(l, 1000, &a), SOCKHELP_OK);
    CHECK_RC(sockhelp_sendall(s, "Z", 1, 1000, NULL), SOCKHELP_OK);
    CHECK_RC(sockhelp_recvall(a, &c, 1, 1000, NULL), SOCKHELP_OK);
    CHECK(c == 'Z');
    sockhelp_close(a);
    sockhelp_close(s);
    sockhelp_close(l);
}

static void refused(void)
{
    sockhelp_socket l, s;
    uint16_t port;
    int rc;

    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 8, &l), SOCKHELP_OK);
    CHECK_RC(sockhelp_local_port(l, &port), SOCKHELP_OK);
    sockhelp_close(l); /* nothing listens on `port` now */
    rc = sockhelp_connect_start("127.0.0.1", port, &s);
    if (rc == SOCKHELP_EWOULDBLOCK) {
        CHECK(s != SOCKHELP_INVALID_SOCKET);
        CHECK(wait_writable(s, 2000) == 1);
        rc = sockhelp_connect_finish(s);
        sockhelp_close(s);
    } else {
        CHECK(s == SOCKHELP_INVALID_SOCKET);
    }
    CHECK_RC(rc, SOCKHELP_EREFUSED);
    CHECK(sockhelp_last_os_error() == ECONNREFUSED);
}

/* A listener whose queue is full drops SYNs: the connect stays in progress (finish says
 * EWOULDBLOCK), and with TCP_USER_TIMEOUT the system gives up: ERESET, ETIMEDOUT. */
static void in_progress_then_dropped_by_the_system(void)
{
    sockhelp_socket l, s = SOCKHELP_INVALID_SOCKET;
    uint16_t port;
    int fillers[MAX_FILLERS + 3], nfill = 0, i, rc;
    long long t0;

    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 1, &l), SOCKHELP_OK);
    CHECK_RC(sockhelp_local_port(l, &port), SOCKHELP_OK);
    for (i = 0; i < MAX_FILLERS; i++) {
        rc = sockhelp_connect_start("127.0.0.1", port, &s);
        CHECK(rc == SOCKHELP_OK || rc == SOCKHELP_EWOULDBLOCK);
        if (rc == SOCKHELP_EWOULDBLOCK && wait_writable(s, 300) == 0)
            break; /* no answer: the queue is full */
        fillers[nfill++] = s;
        s = SOCKHELP_INVALID_SOCKET;
    }
    if (s == SOCKHELP_INVALID_SOCKET)
        FAIL("%d connects to a listener with backlog 1 that never accepts all completed", i);
    CHECK_RC(sockhelp_connect_finish(s), SOCKHELP_EWOULDBLOCK);

    /* the system gives up after ~200 ms without an answer (checked at the next SYN
     * retransmission, about 1 s after the first) */
    set_int_opt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, 200);
    t0 = now_ms();
    while (wait_writable(s, 100) == 0 && now_ms() - t0 < 10000) {
    }
    CHECK_RC(sockhelp_connect_finish(s), SOCKHELP_ERESET);
    CHECK(sockhelp_last_os_error() == ETIMEDOUT);
    sockhelp_close(s);
    for (i = 0; i < nfill; i++)
        sockhelp_close(fillers[i]);
    sockhelp_close(l);
}

static void errors_are_fresh_and_printable(void)
{
    sockhelp_socket s;
    const char *t;
    int rc;

    refused(); /* last_os_error is ECONNREFUSED now */
    CHECK(sockhelp_last_os_error() == ECONNREFUSED);
    rc = sockhelp_connect("no-such-host.invalid", 80, 3000, &s);
    CHECK(rc == SOCKHELP_ENOTFOUND || rc == SOCKHELP_ETIMEDOUT);
    CHECK(sockhelp_last_os_error() == 0);

    t = sockhelp_os_strerror(ECONNREFUSED);
    CHECK(t != NULL && strcmp(t, "connection refused") == 0);
    CHECK(sockhelp_os_strerror(ECONNREFUSED) == t); /* static: the same text every time */
    CHECK(strstr(sockhelp_os_strerror(ETIMEDOUT), "timed out") != NULL);
    CHECK(strcmp(sockhelp_os_strerror(0), "no error") == 0);
    CHECK(strcmp(sockhelp_os_strerror(-5), "unknown OS error") == 0);
    CHECK(strcmp(sockhelp_os_strerror(999999), "unknown OS error") == 0);
}

static void bad_arguments(void)
{
    sockhelp_socket s;
    CHECK_RC(sockhelp_connect_start(NULL, 80, &s), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_connect_start("", 80, &s), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_connect_start("127.0.0.1", 0, &s), SOCKHELP_EINVAL);
    CHECK(s == SOCKHELP_INVALID_SOCKET);
    CHECK_RC(sockhelp_connect_start("127.0.0.1", 80, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_connect_finish(SOCKHELP_INVALID_SOCKET), SOCKHELP_EINVAL);
}

int main(void)
{
    watchdog(60);
    connects_and_finishes();
    refused();
    in_progress_then_dropped_by_the_system();
    errors_are_fresh_and_printable();
    bad_arguments();
    return 0;
}

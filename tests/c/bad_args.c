/*
 * HOWTO trap (C's own): errors are easy to miss and bad pointers crash. Every misuse must
 * come back as an error code, never a crash, and the out-parameters must be well defined.
 *
 * NULL buffers with a length, NULL out-pointers, a bad `how`, timeouts below -1 and the
 * invalid socket give SOCKHELP_EINVAL (and leave sockets alone); NULL counts and empty
 * buffers are fine; a closed descriptor gives SOCKHELP_EOS with last_os_error EBADF; a
 * descriptor that is not a socket gives SOCKHELP_EOS; strerror is never NULL or empty;
 * the runtime version matches the header's macros.
 */
#include "testutil.h"

#define INV SOCKHELP_INVALID_SOCKET

static void null_pointers(void)
{
    sockhelp_socket s, l, out;
    int peer;
    unsigned char buf[16];
    size_t n;
    uint16_t port;

    make_pair(&s, &peer);

    n = 12345;
    CHECK_RC(sockhelp_sendall(s, NULL, 10, -1, &n), SOCKHELP_EINVAL);
    CHECK_EQ_SZ(n, 0);
    n = 12345;
    CHECK_RC(sockhelp_recvall(s, NULL, 10, -1, &n), SOCKHELP_EINVAL);
    CHECK_EQ_SZ(n, 0);
    n = 12345;
    CHECK_RC(sockhelp_sendall(s, NULL, 0, -1, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, 0);
    n = 12345;
    CHECK_RC(sockhelp_recvall(s, NULL, 0, -1, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, 0);

    /* NULL counts are fine */
    CHECK_RC(sockhelp_sendall(s, "abc", 3, -1, NULL), SOCKHELP_OK);
    CHECK(recv(peer, buf, sizeof buf, 0) == 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    CHECK(send(peer, "xyz", 3, 0) == 3);
    CHECK_RC(sockhelp_recvall(s, buf, 3, 2000, NULL), SOCKHELP_OK);
    CHECK(memcmp(buf, "xyz", 3) == 0);
    CHECK_RC(sockhelp_recvall(s, buf, 3, 0, NULL), SOCKHELP_EWOULDBLOCK);
    CHECK_RC(sockhelp_sendall(s, NULL, 0, 0, NULL), SOCKHELP_OK);

    /* NULL out-pointers and strings */
    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 4, &l), SOCKHELP_OK);
    CHECK_RC(sockhelp_local_port(l, &port), SOCKHELP_OK);
    CHECK(port != 0);
    out = 77;
    CHECK_RC(sockhelp_connect(NULL, port, 1000, &out), SOCKHELP_EINVAL);
    CHECK(out == INV);
    out = 77;
    CHECK_RC(sockhelp_connect("", port, 1000, &out), SOCKHELP_EINVAL);
    CHECK(out == INV);
    out = 77;
    CHECK_RC(sockhelp_connect("127.0.0.1", 0, 1000, &out), SOCKHELP_EINVAL);
    CHECK(out == INV);
    CHECK_RC(sockhelp_connect("127.0.0.1", port, 1000, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 4, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_accept(l, 100, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_local_port(s, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_get_nonblocking(s, NULL), SOCKHELP_EINVAL);

    /* bad how */
    CHECK_RC(sockhelp_shutdown(s, 7), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_shutdown(s, -1), SOCKHELP_EINVAL);

    /* timeouts below -1 */
    n = 12345;
    CHECK_RC(sockhelp_sendall(s, "abc", 3, -5, &n), SOCKHELP_EINVAL);
    CHECK_EQ_SZ(n, 0);
    n = 12345;
    CHECK_RC(sockhelp_recvall(s, buf, 3, -5, &n), SOCKHELP_EINVAL);
    CHECK_EQ_SZ(n, 0);
    CHECK_RC(sockhelp_sendall(s, NULL, 0, -5, NULL), SOCKHELP_EINVAL);
    out = 77;
    CHECK_RC(sockhelp_connect("127.0.0.1", port, -5, &out), SOCKHELP_EINVAL);
    CHECK(out == INV);
    out = 77;
    CHECK_RC(sockhelp_accept(l, -5, &out), SOCKHELP_EINVAL);
    CHECK(out == INV);
    CHECK_RC(sockhelp_close_graceful(s, -5), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_close_graceful(s, -2), SOCKHELP_EINVAL);

    /* none of that disturbed the connection (close_graceful(EINVAL) did not close s) */
    CHECK(fcntl(s, F_GETFD) >= 0);
    CHECK_RC(sockhelp_sendall(s, "ok", 2, 2000, &n), SOCKHELP_OK);
    CHECK(recv(peer, buf, sizeof buf, 0) == 2);
    CHECK(recv(peer, buf, sizeof buf, MSG_DONTWAIT) < 0); /* nothing else was sent */

    CHECK_RC(sockhelp_close(l), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(peer);
}

static void invalid_socket(void)
{
    unsigned char buf[16];
    size_t n;
    uint16_t port;
    bool on;
    sockhelp_socket out;

    /* sendall / recvall on the invalid socket: see invalid_socket_bytes.c */
    (void)buf;
    (void)n;
    out = 77;
    CHECK_RC(sockhelp_accept(INV, 100, &out), SOCKHELP_EINVAL);
    CHECK(out == INV);
    CHECK_RC(sockhelp_accept(INV, -1, &out), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_local_port(INV, &port), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_set_nonblocking(INV, true), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_get_nonblocking(INV, &on), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_set_nodelay(INV, true), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_set_keepalive(INV, true, 30, 5, 3), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_shutdown(INV, SOCKHELP_SHUT_WR), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_close(INV), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_close(-2), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_close_graceful(INV, 100), SOCKHELP_EINVAL);
}

#define CHECK_EBADF(call)                                                            \
    do {                                                                             \
        CHECK_RC(call, SOCKHELP_EOS);                                                \
        if (sockhelp_last_os_error() != EBADF)                                       \
            FAIL("after `%s`, last_os_error is %d, expected EBADF (%d)", #call,      \
                 sockhelp_last_os_error(), EBADF);                                   \
    } while (0)

static void closed_descriptor(void)
{
    /* single-threaded here, so the number is not reused between close and the calls */
    unsigned char buf[16];
    size_t n;
    uint16_t port;
    bool on;
    sockhelp_socket out;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    SYS(fd);
    close(fd);

    memset(buf, 0, sizeof buf);
    n = 12345;
    CHECK_EBADF(sockhelp_sendall(fd, buf, sizeof buf, -1, &n));
    CHECK_EQ_SZ(n, 0);
    CHECK_EBADF(sockhelp_sendall(fd, buf, sizeof buf, 100, &n));
    n = 12345;
    CHECK_EBADF(sockhelp_recvall(fd, buf, sizeof buf, -1, &n));
    CHECK_EQ_SZ(n, 0);
    CHECK_EBADF(sockhelp_recvall(fd, buf, sizeof buf, 100, &n));
    CHECK_EBADF(sockhelp_accept(fd, 100, &out));
    CHECK_EBADF(sockhelp_accept(fd, -1, &out));
    CHECK_EBADF(sockhelp_local_port(fd, &port));
    CHECK_EBADF(sockhelp_set_nonblocking(fd, true));
    CHECK_EBADF(sockhelp_get_nonblocking(fd, &on));
    CHECK_EBADF(sockhelp_set_nodelay(fd, true));
    CHECK_EBADF(sockhelp_set_keepalive(fd, true, 30, 5, 3));
    CHECK_EBADF(sockhelp_shutdown(fd, SOCKHELP_SHUT_WR));
    CHECK_EBADF(sockhelp_close(fd));

    /* a descriptor that is not a socket */
    {
        int p[2];
        SYS(pipe(p));
        CHECK_RC(sockhelp_set_nodelay(p[0], true), SOCKHELP_EOS);
        CHECK(sockhelp_last_os_error() == ENOTSOCK);
        CHECK_RC(sockhelp_local_port(p[0], &port), SOCKHELP_EOS);
        CHECK(sockhelp_last_os_error() == ENOTSOCK);
        close(p[0]);
        close(p[1]);
    }
}

static void strings(void)
{
    int codes[] = {SOCKHELP_OK,          SOCKHELP_ECLOSED,     SOCKHELP_ERESET,
                   SOCKHELP_ETIMEDOUT,   SOCKHELP_EWOULDBLOCK, SOCKHELP_EINVAL,
                   SOCKHELP_ETOOBIG,     SOCKHELP_ENOSPACE,    SOCKHELP_EBADFRAME,
                   SOCKHELP_ENOMEM,      SOCKHELP_EUNSUPPORTED, SOCKHELP_EOS,
                   SOCKHELP_EINTERNAL,   SOCKHELP_EREFUSED,    SOCKHELP_ENOTFOUND};
    size_t ncodes = sizeof codes / sizeof codes[0];
    const char *unknown = sockhelp_strerror(12345);
    size_t i, j;
    char want[64];
    const char *v;

    CHECK(unknown != NULL && unknown[0] != '\0');
    CHECK(sockhelp_strerror(1) != NULL && sockhelp_strerror(1)[0] != '\0');
    CHECK(sockhelp_strerror(-1000) != NULL && sockhelp_strerror(-1000)[0] != '\0');
    for (i = 0; i < ncodes; i++) {
        const char *m = sockhelp_strerror(codes[i]);
        if (m == NULL || m[0] == '\0')
            FAIL("strerror(%d) is NULL or empty", codes[i]);
        if (strcmp(m, unknown) == 0)
            FAIL("strerror(%d) is the unknown-code text", codes[i]);
        if (i > 0 && codes[i] >= 0)
            FAIL("code %d is not negative", codes[i]);
        for (j = 0; j < i; j++)
            if (codes[i] == codes[j] || strcmp(m, sockhelp_strerror(codes[j])) == 0)
                FAIL("codes %d and %d share a value or a text", codes[i], codes[j]);
    }
    CHECK(SOCKHELP_EREFUSED == -13 && SOCKHELP_ENOTFOUND == -14 && SOCKHELP_EOS == -11);

    v = sockhelp_version();
    CHECK(v != NULL);
    snprintf(want, sizeof want, "%d.%d.%d", SOCKHELP_VERSION_MAJOR, SOCKHELP_VERSION_MINOR,
             SOCKHELP_VERSION_PATCH);
    if (strcmp(v, want) != 0)
        FAIL("sockhelp_version() is \"%s\", the header says \"%s\"", v, want);
}

int main(void)
{
    watchdog(30);
    CHECK_RC(sockhelp_init(), SOCKHELP_OK);
    strings();
    null_pointers();
    invalid_socket();
    closed_descriptor();
    sockhelp_cleanup();
    return 0;
}

/*
 * Connections and socket options from C, on Linux and Windows: connect refused, accept
 * with a timeout, the mode calls (get_nonblocking is EUNSUPPORTED on Windows: Winsock
 * cannot read FIONBIO back), nodelay, keepalive (a probe count is EUNSUPPORTED on
 * Windows, which fixes it at 10), shutdown, close_graceful.
 */
#include "cwin.h"

struct closer {
    sockhelp_socket s;
};

/* The polite peer: reads to EOF, then closes. */
static void polite_peer(void *arg)
{
    struct closer *c = (struct closer *)arg;
    unsigned char buf[256];
    size_t n;
    int rc;
    do {
        rc = sockhelp_recvall(c->s, buf, sizeof buf, 5000, &n);
    } while (rc == SOCKHELP_OK);
    CHECK_RC(rc, SOCKHELP_ECLOSED);
    CHECK_RC(sockhelp_close(c->s), SOCKHELP_OK);
}

int main(void)
{
    sockhelp_socket l, a, b, s;
    uint16_t port, closed_port;
    bool on = false;
    long long t0;
    size_t n;
    unsigned char buf[16];
    struct closer c;
    cw_thread t;
    int rc;

    cw_start(120);

    /* Refused: a port where nothing listens (any more). */
    l = cw_listen(&closed_port);
    CHECK_RC(sockhelp_close(l), SOCKHELP_OK);
    s = (sockhelp_socket)77;
    CHECK_RC(sockhelp_connect("127.0.0.1", closed_port, 5000, &s), SOCKHELP_EREFUSED);
    CHECK(s == SOCKHELP_INVALID_SOCKET);

    /* accept: bounded, and 0 is one attempt. */
    l = cw_listen(&port);
    t0 = now_ms();
    CHECK_RC(sockhelp_accept(l, 200, &s), SOCKHELP_ETIMEDOUT);
    CHECK_ELAPSED(now_ms() - t0, 190, 2000);
    CHECK(s == SOCKHELP_INVALID_SOCKET);
    CHECK_RC(sockhelp_accept(l, 0, &s), SOCKHELP_EWOULDBLOCK);
    CHECK_RC(sockhelp_connect("127.0.0.1", port, 5000, &a), SOCKHELP_OK);
    CHECK_RC(sockhelp_accept(l, 5000, &b), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(l), SOCKHELP_OK);

    /* Modes. */
    CHECK_RC(sockhelp_set_nonblocking(a, true), SOCKHELP_OK);
    rc = sockhelp_get_nonblocking(a, &on);
    if (CW_WINDOWS) {
        CHECK_RC(rc, SOCKHELP_EUNSUPPORTED);
    } else {
        CHECK_RC(rc, SOCKHELP_OK);
        CHECK(on);
    }
    CHECK_RC(sockhelp_recvall(a, buf, 1, 0, &n), SOCKHELP_EWOULDBLOCK);
    CHECK_RC(sockhelp_set_nonblocking(a, false), SOCKHELP_OK);
    rc = sockhelp_get_nonblocking(a, &on);
    if (!CW_WINDOWS) {
        CHECK_RC(rc, SOCKHELP_OK);
        CHECK(!on);
    }

    /* Options. */
    CHECK_RC(sockhelp_set_nodelay(a, true), SOCKHELP_OK);
    CHECK_RC(sockhelp_set_nodelay(a, false), SOCKHELP_OK);
    CHECK_RC(sockhelp_set_keepalive(a, true, 60, 10, 4),
             CW_WINDOWS ? SOCKHELP_EUNSUPPORTED : SOCKHELP_OK);
    CHECK_RC(sockhelp_set_keepalive(a, true, 60, 10, 0), SOCKHELP_OK);
    CHECK_RC(sockhelp_set_keepalive(a, false, 0, 0, 0), SOCKHELP_OK);
    CHECK_RC(sockhelp_shutdown(a, 42), SOCKHELP_EINVAL);

    /* shutdown(WR): the peer sees EOF, the other direction still works. */
    CHECK_RC(sockhelp_sendall(a, "last", 4, 1000, &n), SOCKHELP_OK);
    CHECK_RC(sockhelp_shutdown(a, SOCKHELP_SHUT_WR), SOCKHELP_OK);
    CHECK_RC(sockhelp_recvall(b, buf, 16, 5000, &n), SOCKHELP_ECLOSED);
    CHECK_EQ_SZ(n, 4);
    CHECK_RC(sockhelp_sendall(b, "back", 4, 1000, &n), SOCKHELP_OK);
    CHECK_RC(sockhelp_recvall(a, buf, 4, 1000, &n), SOCKHELP_OK);
    CHECK(memcmp(buf, "back", 4) == 0);
    CHECK_RC(sockhelp_close(a), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(b), SOCKHELP_OK);

    /* close_graceful: OK with a polite peer; ETIMEDOUT (and closed) with a silent one. */
    cw_pair(&a, &b);
    c.s = b;
    t = cw_thread_spawn(polite_peer, &c);
    CHECK_RC(sockhelp_sendall(a, "bye", 3, 1000, &n), SOCKHELP_OK);
    CHECK_RC(sockhelp_close_graceful(a, 5000), SOCKHELP_OK);
    cw_thread_join(t);

    cw_pair(&a, &b);
    t0 = now_ms();
    CHECK_RC(sockhelp_close_graceful(a, 200), SOCKHELP_ETIMEDOUT);
    CHECK_ELAPSED(now_ms() - t0, 190, 2000);
    CHECK_RC(sockhelp_recvall(b, buf, 1, 5000, &n), SOCKHELP_ECLOSED);
    CHECK_RC(sockhelp_close(b), SOCKHELP_OK);

    sockhelp_cleanup();
    printf("cw_net: OK\n");
    return 0;
}

/*
 * select and the poller from C, on Linux (poll, epoll) and Windows (WSAPoll; the poller's
 * IOCP/AFD backend): readable / writable / timeout, compaction of the arrays, a listener's
 * pending connection; the poller's add / modify / remove, level-triggered, with tags.
 */
#include "cwin.h"

static sockhelp_poller *wake_target;

static void wake_after_200ms(void *arg)
{
    (void)arg;
    sleep_ms(200);
    if (sockhelp_poller_wake(wake_target) != SOCKHELP_OK)
        fprintf(stderr, "sockhelp_poller_wake failed\n");
}

int main(void)
{
    sockhelp_socket a, b, l, c, acc;
    sockhelp_socket rd[3], wr[2];
    size_t nr, nw, ne = 0, n;
    uint16_t port;
    long long t0;
    int rc, i;
    unsigned char buf[8];
    sockhelp_poller *p;
    sockhelp_event ev[4];

    cw_start(120);
    cw_pair(&a, &b);

    /* Nothing to read: a timeout with all counts 0, in about the time. */
    rd[0] = a;
    rd[1] = b;
    nr = 2;
    nw = 0;
    t0 = now_ms();
    CHECK_RC(sockhelp_select(rd, &nr, NULL, &nw, NULL, &ne, 200), 0);
    CHECK_ELAPSED(now_ms() - t0, 190, 2000);
    CHECK_EQ_SZ(nr, 0);

    /* b readable (moved to the front), a writable. */
    CHECK_RC(sockhelp_sendall(a, "ping", 4, 1000, &n), SOCKHELP_OK);
    rd[0] = a;
    rd[1] = b;
    nr = 2;
    wr[0] = a;
    nw = 1;
    rc = sockhelp_select(rd, &nr, wr, &nw, NULL, &ne, 5000);
    CHECK_RC(rc, 2);
    CHECK_EQ_SZ(nr, 1);
    CHECK_EQ_SZ(nw, 1);
    CHECK(rd[0] == b && wr[0] == a);

    /* A listener with a pending connection is readable. */
    l = cw_listen(&port);
    rd[0] = l;
    nr = 1;
    nw = 0;
    CHECK_RC(sockhelp_select(rd, &nr, NULL, &nw, NULL, &ne, 50), 0);
    CHECK_RC(sockhelp_connect("127.0.0.1", port, 5000, &c), SOCKHELP_OK);
    nr = 1;
    CHECK_RC(sockhelp_select(rd, &nr, NULL, &nw, NULL, &ne, 5000), 1);
    CHECK_RC(sockhelp_accept(l, 0, &acc), SOCKHELP_OK);

    /* The poller. */
    p = sockhelp_poller_new();
    if (!p)
        FAIL("sockhelp_poller_new: NULL (last_os_error %d)", sockhelp_last_os_error());
    CHECK_RC(sockhelp_poller_add(p, b, SOCKHELP_READABLE, 0x1122334455667788ull), SOCKHELP_OK);
    CHECK_RC(sockhelp_poller_add(p, acc, SOCKHELP_READABLE, 2), SOCKHELP_OK);
    CHECK_RC(sockhelp_poller_add(p, b, SOCKHELP_READABLE, 3), SOCKHELP_EINVAL);
    for (i = 0; i < 3; i++) { /* level-triggered: b's "ping" is still unread */
        rc = sockhelp_poller_wait(p, ev, 4, 5000);
        CHECK_RC(rc, 1);
        CHECK(ev[0].tag == 0x1122334455667788ull && ev[0].events == SOCKHELP_READABLE);
    }
    CHECK_RC(sockhelp_recvall(b, buf, 4, 1000, &n), SOCKHELP_OK);
    CHECK_RC(sockhelp_poller_wait(p, ev, 4, 100), 0);

    CHECK_RC(sockhelp_sendall(c, "x", 1, 1000, &n), SOCKHELP_OK);
    rc = sockhelp_poller_wait(p, ev, 4, 5000);
    CHECK_RC(rc, 1);
    CHECK(ev[0].tag == 2 && ev[0].events == SOCKHELP_READABLE);

    CHECK_RC(sockhelp_poller_modify(p, acc, SOCKHELP_WRITABLE, 4), SOCKHELP_OK);
    rc = sockhelp_poller_wait(p, ev, 4, 5000);
    CHECK_RC(rc, 1);
    CHECK(ev[0].tag == 4 && ev[0].events == SOCKHELP_WRITABLE);
    CHECK_RC(sockhelp_poller_remove(p, acc), SOCKHELP_OK);
    CHECK_RC(sockhelp_poller_remove(p, acc), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_poller_modify(p, acc, SOCKHELP_READABLE, 5), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_poller_wait(p, ev, 4, 100), 0);

    /* A wait with -1 and nothing ready ends when another thread wakes the poller; wakes
     * before a wait coalesce into one early return. */
    {
        cw_thread t;
        wake_target = p;
        t0 = now_ms();
        t = cw_thread_spawn(wake_after_200ms, NULL);
        CHECK_RC(sockhelp_poller_wait(p, ev, 4, -1), 0);
        CHECK_ELAPSED(now_ms() - t0, 150, 10000);
        cw_thread_join(t);
        CHECK_RC(sockhelp_poller_wake(p), SOCKHELP_OK);
        CHECK_RC(sockhelp_poller_wake(p), SOCKHELP_OK);
        CHECK_RC(sockhelp_poller_wait(p, ev, 4, -1), 0);
        t0 = now_ms();
        CHECK_RC(sockhelp_poller_wait(p, ev, 4, 150), 0);
        CHECK_ELAPSED(now_ms() - t0, 140, 5000);
        CHECK_RC(sockhelp_poller_wake(NULL), SOCKHELP_EINVAL);
    }

    /* The peer's close is readable. */
    CHECK_RC(sockhelp_close(a), SOCKHELP_OK);
    rc = sockhelp_poller_wait(p, ev, 4, 5000);
    CHECK_RC(rc, 1);
    CHECK(ev[0].tag == 0x1122334455667788ull && (ev[0].events & SOCKHELP_READABLE));
    CHECK_RC(sockhelp_poller_remove(p, b), SOCKHELP_OK);
    sockhelp_poller_free(p);

    CHECK_RC(sockhelp_close(b), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(c), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(acc), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(l), SOCKHELP_OK);
    sockhelp_cleanup();
    printf("cw_select: OK\n");
    return 0;
}

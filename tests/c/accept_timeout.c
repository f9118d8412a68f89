/*
 * HOWTO trap: a server blocked in accept() can wait forever; and on some systems an
 * accepted socket inherits the listener's non-blocking flag.
 *
 * sockhelp_accept on a listener nobody connects to: timeout 200 -> SOCKHELP_ETIMEDOUT
 * after ~200 ms, timeout 0 -> SOCKHELP_EWOULDBLOCK at once, *out invalid both times. A
 * real connection is accepted with -1 (already waiting, and arriving later while accept
 * waits), and with 0 when it is already waiting; the accepted socket is blocking even when
 * the listener is non-blocking, and the listener keeps its own mode.
 */
#include <pthread.h>

#include "testutil.h"

static uint16_t g_port;

static void *late_connector(void *arg)
{
    int *fd = arg;
    sleep_ms(100);
    *fd = raw_connect(g_port);
    if (*fd < 0)
        FAIL("late connect: %s", strerror(errno));
    return NULL;
}

static void check_accepted(sockhelp_socket s, int peer)
{
    bool on = true;
    char c = 0;
    CHECK(s != SOCKHELP_INVALID_SOCKET);
    CHECK_RC(sockhelp_get_nonblocking(s, &on), SOCKHELP_OK);
    CHECK(!on);
    CHECK(!fd_is_nonblocking(s));
    /* it is really the peer's connection */
    CHECK(send(peer, "A", 1, 0) == 1);
    CHECK_RC(sockhelp_recvall(s, &c, 1, 2000, NULL), SOCKHELP_OK);
    CHECK(c == 'A');
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(peer);
}

static void run(bool listener_nonblocking)
{
    sockhelp_socket l, s;
    long long t0;
    int peer;
    pthread_t t;

    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 8, &l), SOCKHELP_OK);
    CHECK_RC(sockhelp_local_port(l, &g_port), SOCKHELP_OK);
    CHECK(g_port != 0);
    CHECK_RC(sockhelp_set_nonblocking(l, listener_nonblocking), SOCKHELP_OK);

    s = 77;
    t0 = now_ms();
    CHECK_RC(sockhelp_accept(l, 200, &s), SOCKHELP_ETIMEDOUT);
    CHECK_ELAPSED(now_ms() - t0, 190, 2000);
    CHECK(s == SOCKHELP_INVALID_SOCKET);

    s = 77;
    t0 = now_ms();
    CHECK_RC(sockhelp_accept(l, 0, &s), SOCKHELP_EWOULDBLOCK);
    CHECK_ELAPSED(now_ms() - t0, 0, 100);
    CHECK(s == SOCKHELP_INVALID_SOCKET);

    /* a connection already waiting, timeout -1 */
    peer = raw_connect(g_port);
    SYS(peer);
    CHECK_RC(sockhelp_accept(l, -1, &s), SOCKHELP_OK);
    check_accepted(s, peer);

    /* a connection already waiting, timeout 0 */
    peer = raw_connect(g_port);
    SYS(peer);
    sleep_ms(20);
    CHECK_RC(sockhelp_accept(l, 0, &s), SOCKHELP_OK);
    check_accepted(s, peer);

    /* a connection that arrives while accept waits, -1 and finite */
    CHECK(pthread_create(&t, NULL, late_connector, &peer) == 0);
    CHECK_RC(sockhelp_accept(l, -1, &s), SOCKHELP_OK);
    CHECK(pthread_join(t, NULL) == 0);
    check_accepted(s, peer);
    CHECK(pthread_create(&t, NULL, late_connector, &peer) == 0);
    CHECK_RC(sockhelp_accept(l, 5000, &s), SOCKHELP_OK);
    CHECK(pthread_join(t, NULL) == 0);
    check_accepted(s, peer);

    CHECK(fd_is_nonblocking(l) == (int)listener_nonblocking);
    CHECK_RC(sockhelp_close(l), SOCKHELP_OK);
}

int main(void)
{
    watchdog(30);
    run(false);
    run(true);
    return 0;
}

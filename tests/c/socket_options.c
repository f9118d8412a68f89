/*
 * HOWTO traps: TCP_NODELAY (Nagle) is not O_NDELAY; keepalive is how a dead peer is noticed;
 * shutdown(WR) is how a sender says "that was all".
 *
 * set_nodelay on/off and set_keepalive(s, true, 30, 5, 3) / off return OK and are verified
 * with getsockopt (TCP_NODELAY, SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT);
 * values <= 0 keep the previous ones; shutdown(SHUT_WR) makes the peer see EOF while the
 * other direction still works; shutdown on a socket that is not connected is SOCKHELP_EOS.
 */
#include "testutil.h"

int main(void)
{
    sockhelp_socket s;
    int peer;
    char buf[16];

    watchdog(30);
    make_pair(&s, &peer);

    CHECK_RC(sockhelp_set_nodelay(s, true), SOCKHELP_OK);
    CHECK(get_int_opt(s, IPPROTO_TCP, TCP_NODELAY) != 0);
    CHECK(!fd_is_nonblocking(s)); /* not O_NDELAY */
    CHECK_RC(sockhelp_set_nodelay(s, false), SOCKHELP_OK);
    CHECK(get_int_opt(s, IPPROTO_TCP, TCP_NODELAY) == 0);

    CHECK_RC(sockhelp_set_keepalive(s, true, 30, 5, 3), SOCKHELP_OK);
    CHECK(get_int_opt(s, SOL_SOCKET, SO_KEEPALIVE) != 0);
#if defined(TCP_KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
    CHECK(get_int_opt(s, IPPROTO_TCP, TCP_KEEPIDLE) == 30);
    CHECK(get_int_opt(s, IPPROTO_TCP, TCP_KEEPINTVL) == 5);
    CHECK(get_int_opt(s, IPPROTO_TCP, TCP_KEEPCNT) == 3);
    /* <= 0 keeps what is there */
    CHECK_RC(sockhelp_set_keepalive(s, true, 0, -1, 0), SOCKHELP_OK);
    CHECK(get_int_opt(s, IPPROTO_TCP, TCP_KEEPIDLE) == 30);
    CHECK(get_int_opt(s, IPPROTO_TCP, TCP_KEEPINTVL) == 5);
    CHECK(get_int_opt(s, IPPROTO_TCP, TCP_KEEPCNT) == 3);
    CHECK_RC(sockhelp_set_keepalive(s, true, 60, 0, 0), SOCKHELP_OK);
    CHECK(get_int_opt(s, IPPROTO_TCP, TCP_KEEPIDLE) == 60);
    CHECK(get_int_opt(s, IPPROTO_TCP, TCP_KEEPINTVL) == 5);
#endif
    CHECK_RC(sockhelp_set_keepalive(s, false, 0, 0, 0), SOCKHELP_OK);
    CHECK(get_int_opt(s, SOL_SOCKET, SO_KEEPALIVE) == 0);

    /* shutdown(WR): the peer sees EOF; data still flows the other way */
    CHECK_RC(sockhelp_sendall(s, "bye", 3, 2000, NULL), SOCKHELP_OK);
    CHECK_RC(sockhelp_shutdown(s, SOCKHELP_SHUT_WR), SOCKHELP_OK);
    CHECK(wait_readable(peer, 2000));
    CHECK(recv(peer, buf, sizeof buf, 0) == 3);
    CHECK(wait_readable(peer, 2000));
    CHECK(recv(peer, buf, sizeof buf, 0) == 0);
    CHECK(send(peer, "back", 4, 0) == 4);
    CHECK_RC(sockhelp_recvall(s, buf, 4, 2000, NULL), SOCKHELP_OK);
    CHECK(memcmp(buf, "back", 4) == 0);
    CHECK_RC(sockhelp_sendall(s, "x", 1, 2000, NULL), SOCKHELP_ERESET); /* EPIPE */

    /* shutdown(RDWR) */
    CHECK_RC(sockhelp_shutdown(s, SOCKHELP_SHUT_RDWR), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(peer);

    /* not connected */
    {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        SYS(fd);
        CHECK_RC(sockhelp_shutdown(fd, SOCKHELP_SHUT_WR), SOCKHELP_EOS);
        CHECK(sockhelp_last_os_error() == ENOTCONN);
        CHECK_RC(sockhelp_set_nodelay(fd, true), SOCKHELP_OK);
        CHECK_RC(sockhelp_close(fd), SOCKHELP_OK);
    }
    return 0;
}

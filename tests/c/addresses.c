/*
 * Who connected (the HOWTO's `(clientsocket, address) = serversocket.accept()`):
 * sockhelp_peer_addr / sockhelp_local_addr print "127.0.0.1:PORT" and "[::1]:PORT",
 * NUL-terminated; a buffer one byte short is SOCKHELP_ENOSPACE with *needed and the buffer
 * untouched; sockhelp_accept_addr gives the same text as peer_addr in the same call, and
 * refuses a short buffer before accepting (the connection is still there afterwards).
 */
#include "testutil.h"

static void check_addr_calls(sockhelp_socket s, const char *expect_peer)
{
    char buf[SOCKHELP_ADDR_MAX], small[64];
    size_t needed = 0, len = strlen(expect_peer);

    CHECK_RC(sockhelp_peer_addr(s, buf, sizeof buf, &needed), SOCKHELP_OK);
    if (strcmp(buf, expect_peer) != 0)
        FAIL("peer_addr gave \"%s\", expected \"%s\"", buf, expect_peer);
    CHECK(needed == len + 1);

    /* exactly big enough, then one byte short */
    memset(small, 'x', sizeof small);
    CHECK_RC(sockhelp_peer_addr(s, small, len + 1, NULL), SOCKHELP_OK);
    CHECK(strcmp(small, expect_peer) == 0);
    memset(small, 'x', sizeof small);
    needed = 0;
    CHECK_RC(sockhelp_peer_addr(s, small, len, &needed), SOCKHELP_ENOSPACE);
    CHECK(needed == len + 1);
    CHECK(small[0] == 'x' && small[len - 1] == 'x');
    /* size query with no buffer */
    needed = 0;
    CHECK_RC(sockhelp_peer_addr(s, NULL, 0, &needed), SOCKHELP_ENOSPACE);
    CHECK(needed == len + 1);
    CHECK_RC(sockhelp_peer_addr(s, NULL, 10, &needed), SOCKHELP_EINVAL);
}

static void run(const char *host, const char *fmt)
{
    sockhelp_socket l, c, a;
    uint16_t lport, cport;
    char expect[SOCKHELP_ADDR_MAX], addr[SOCKHELP_ADDR_MAX], buf[SOCKHELP_ADDR_MAX];
    int rc;

    rc = sockhelp_listen(host, 0, 8, &l);
    if (rc != SOCKHELP_OK && strchr(host, ':')) {
        fprintf(stderr, "no IPv6 loopback here (%s): IPv6 part not run\n", sockhelp_strerror(rc));
        FAIL("IPv6 loopback is required by the test suite");
    }
    CHECK_RC(rc, SOCKHELP_OK);
    CHECK_RC(sockhelp_local_port(l, &lport), SOCKHELP_OK);
    snprintf(expect, sizeof expect, fmt, (unsigned)lport);
    CHECK_RC(sockhelp_local_addr(l, buf, sizeof buf, NULL), SOCKHELP_OK);
    if (strcmp(buf, expect) != 0)
        FAIL("listener local_addr \"%s\", expected \"%s\"", buf, expect);

    CHECK_RC(sockhelp_connect(host, lport, 2000, &c), SOCKHELP_OK);
    check_addr_calls(c, expect);
    CHECK_RC(sockhelp_local_port(c, &cport), SOCKHELP_OK);
    snprintf(expect, sizeof expect, fmt, (unsigned)cport);

    /* a short address buffer is refused before anything is accepted */
    a = 77;
    CHECK_RC(sockhelp_accept_addr(l, 1000, &a, addr, SOCKHELP_ADDR_MAX - 1), SOCKHELP_EINVAL);
    CHECK(a == SOCKHELP_INVALID_SOCKET);
    CHECK_RC(sockhelp_accept_addr(l, 1000, &a, addr, sizeof addr), SOCKHELP_OK);
    if (strcmp(addr, expect) != 0)
        FAIL("accept_addr gave \"%s\", expected \"%s\"", addr, expect);
    check_addr_calls(a, expect);
    CHECK_RC(sockhelp_local_addr(c, buf, sizeof buf, NULL), SOCKHELP_OK);
    CHECK(strcmp(buf, expect) == 0);

    /* NULL addr: a plain accept */
    sockhelp_close(c);
    sockhelp_close(a);
    CHECK_RC(sockhelp_connect(host, lport, 2000, &c), SOCKHELP_OK);
    CHECK_RC(sockhelp_accept_addr(l, 1000, &a, NULL, 0), SOCKHELP_OK);
    sockhelp_close(a);
    CHECK_RC(sockhelp_accept_addr(l, 0, &a, addr, sizeof addr), SOCKHELP_EWOULDBLOCK);
    sockhelp_close(c);
    sockhelp_close(l);
}

int main(void)
{
    char buf[SOCKHELP_ADDR_MAX];
    int fd;

    watchdog(30);
    run("127.0.0.1", "127.0.0.1:%u");
    run("::1", "[::1]:%u");

    /* not connected: EOS (ENOTCONN); invalid socket: EINVAL */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    SYS(fd);
    CHECK_RC(sockhelp_peer_addr(fd, buf, sizeof buf, NULL), SOCKHELP_EOS);
    CHECK(sockhelp_last_os_error() == ENOTCONN);
    close(fd);
    CHECK_RC(sockhelp_peer_addr(SOCKHELP_INVALID_SOCKET, buf, sizeof buf, NULL),
             SOCKHELP_EINVAL);
    return 0;
}

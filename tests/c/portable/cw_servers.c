/*
 * What servers and event loops need, on Linux and Windows alike: peer/local addresses
 * and accept_addr, non-blocking connect (connect_start, writable through
 * sockhelp_select, connect_finish: Winsock says WSAEWOULDBLOCK where POSIX says
 * EINPROGRESS), a refused connect's OS error printed portably by sockhelp_os_strerror,
 * last_os_error reset after ENOTFOUND, accept on a socket that is not listening, and
 * Unix-domain sockets: a round trip where the system has AF_UNIX, EUNSUPPORTED where not.
 */
#include "cwin.h"

/* Waits (at most 10 s) until `s` is writable, through sockhelp_select. */
static void wait_writable(sockhelp_socket s)
{
    sockhelp_socket w[1];
    size_t nr = 0, nw = 1, ne = 0;
    w[0] = s;
    CHECK(sockhelp_select(NULL, &nr, w, &nw, NULL, &ne, 10000) == 1);
}

static void addresses(void)
{
    sockhelp_socket l, a, b;
    uint16_t port, cport;
    char buf[SOCKHELP_ADDR_MAX], addr[SOCKHELP_ADDR_MAX], expect[SOCKHELP_ADDR_MAX];
    size_t needed = 0;

    l = cw_listen(&port);
    CHECK_RC(sockhelp_connect("127.0.0.1", port, 5000, &a), SOCKHELP_OK);
    CHECK_RC(sockhelp_accept_addr(l, 5000, &b, addr, sizeof addr), SOCKHELP_OK);
    CHECK_RC(sockhelp_local_port(a, &cport), SOCKHELP_OK);
    snprintf(expect, sizeof expect, "127.0.0.1:%u", (unsigned)cport);
    if (strcmp(addr, expect) != 0)
        FAIL("accept_addr gave \"%s\", expected \"%s\"", addr, expect);
    CHECK_RC(sockhelp_peer_addr(b, buf, sizeof buf, &needed), SOCKHELP_OK);
    CHECK(strcmp(buf, expect) == 0 && needed == strlen(expect) + 1);
    snprintf(expect, sizeof expect, "127.0.0.1:%u", (unsigned)port);
    CHECK_RC(sockhelp_peer_addr(a, buf, sizeof buf, NULL), SOCKHELP_OK);
    CHECK(strcmp(buf, expect) == 0);
    CHECK_RC(sockhelp_local_addr(l, buf, sizeof buf, NULL), SOCKHELP_OK);
    CHECK(strcmp(buf, expect) == 0);
    CHECK_RC(sockhelp_peer_addr(a, buf, 4, &needed), SOCKHELP_ENOSPACE);
    CHECK(needed == strlen(expect) + 1);
    sockhelp_close(a);
    sockhelp_close(b);
    sockhelp_close(l);
}

static void nonblocking_connect(void)
{
    sockhelp_socket l, s, b;
    uint16_t port;
    char c = 0;
    int rc;

    l = cw_listen(&port);
    rc = sockhelp_connect_start("127.0.0.1", port, &s);
    CHECK(rc == SOCKHELP_OK || rc == SOCKHELP_EWOULDBLOCK);
    CHECK(s != SOCKHELP_INVALID_SOCKET);
    if (rc == SOCKHELP_EWOULDBLOCK) {
        wait_writable(s);
        CHECK_RC(sockhelp_connect_finish(s), SOCKHELP_OK);
    }
    CHECK_RC(sockhelp_accept(l, 5000, &b), SOCKHELP_OK);
    CHECK_RC(sockhelp_sendall(s, "Q", 1, 5000, NULL), SOCKHELP_OK);
    CHECK_RC(sockhelp_recvall(b, &c, 1, 5000, NULL), SOCKHELP_OK);
    CHECK(c == 'Q');
    sockhelp_close(b);
    sockhelp_close(s);

    /* refused, at once or through finish; its OS error prints the same everywhere */
    sockhelp_close(l);
    rc = sockhelp_connect_start("127.0.0.1", port, &s);
    if (rc == SOCKHELP_EWOULDBLOCK) {
        wait_writable(s);
        rc = sockhelp_connect_finish(s);
        sockhelp_close(s);
    }
    CHECK_RC(rc, SOCKHELP_EREFUSED);
    CHECK(strcmp(sockhelp_os_strerror(sockhelp_last_os_error()), "connection refused") == 0);

    /* last_os_error does not keep the refusal after ENOTFOUND */
    rc = sockhelp_connect("no-such-host.invalid", 80, 5000, &s);
    CHECK(rc == SOCKHELP_ENOTFOUND || rc == SOCKHELP_ETIMEDOUT);
    CHECK(sockhelp_last_os_error() == 0);
    CHECK(strcmp(sockhelp_os_strerror(123456), "unknown OS error") == 0);
}

static void accept_not_listening(void)
{
    sockhelp_socket a, b, s;
    long long t0 = now_ms();
    cw_pair(&a, &b);
    CHECK_RC(sockhelp_accept(a, 2000, &s), SOCKHELP_EOS);
    CHECK(s == SOCKHELP_INVALID_SOCKET);
    CHECK_ELAPSED(now_ms() - t0, 0, 1500);
    sockhelp_close(a);
    sockhelp_close(b);
}

static void unix_sockets(void)
{
    sockhelp_socket l, l2, c, a;
    char path[64], buf[SOCKHELP_ADDR_MAX], got[5];
    int rc;

    snprintf(path, sizeof path, "cw_servers_%ld.sock", (long)now_ms() % 100000);
    remove(path);
    rc = sockhelp_listen_unix(path, 4, &l);
    if (rc == SOCKHELP_EUNSUPPORTED && CW_WINDOWS) {
        printf("cw_servers: no AF_UNIX on this system: EUNSUPPORTED (as documented)\n");
        CHECK_RC(sockhelp_connect_unix(path, 1000, &c), SOCKHELP_EUNSUPPORTED);
        return;
    }
    CHECK_RC(rc, SOCKHELP_OK);
    CHECK_RC(sockhelp_connect_unix(path, 5000, &c), SOCKHELP_OK);
    CHECK_RC(sockhelp_accept(l, 5000, &a), SOCKHELP_OK);
    CHECK_RC(sockhelp_sendall(c, "hello", 5, 5000, NULL), SOCKHELP_OK);
    CHECK_RC(sockhelp_recvall(a, got, 5, 5000, NULL), SOCKHELP_OK);
    CHECK(memcmp(got, "hello", 5) == 0);
    CHECK_RC(sockhelp_local_addr(l, buf, sizeof buf, NULL), SOCKHELP_OK);
    CHECK(strstr(buf, path) != NULL);
    /* the file stays; a second listener on it is refused */
    CHECK_RC(sockhelp_listen_unix(path, 4, &l2), SOCKHELP_EOS);
    CHECK(l2 == SOCKHELP_INVALID_SOCKET);
    sockhelp_close(c);
    sockhelp_close(a);
    sockhelp_close(l);
    remove(path);
    printf("cw_servers: AF_UNIX round trip OK\n");
}

int main(void)
{
    cw_start(120);
    addresses();
    nonblocking_connect();
    accept_not_listening();
    unix_sockets();
    printf("cw_servers: OK\n");
    sockhelp_cleanup();
    return 0;
}

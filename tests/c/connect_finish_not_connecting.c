/*
 * sockhelp_connect_finish on a socket that is not connecting answers SOCKHELP_EOS at once
 * (issue 23, finding 4), never SOCKHELP_EWOULDBLOCK, which would tell an event loop to wait
 * for a writability that never comes: a TCP listener, a Unix-domain listener, both ends of
 * a pipe, an unconnected and a connected UDP socket. Each answer comes without waiting.
 */
#include "testutil.h"

#include <sys/un.h>

static void check_not_connecting(const char *what, int fd)
{
    long long t0 = now_ms();
    int rc = sockhelp_connect_finish(fd);
    long long took = now_ms() - t0;
    if (rc != SOCKHELP_EOS)
        FAIL("connect_finish on %s returned %d (%s), expected SOCKHELP_EOS", what, rc,
             sockhelp_strerror(rc));
    if (took >= 1000)
        FAIL("connect_finish on %s took %lld ms (it must not wait)", what, took);
    /* asked again: the same answer (nothing was consumed) */
    CHECK_RC(sockhelp_connect_finish(fd), SOCKHELP_EOS);
}

int main(void)
{
    char dir[64], path[96];
    sockhelp_socket l, ul, c, a;
    struct sockaddr_in sa;
    uint16_t port;
    int p[2], u;

    watchdog(30);

    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 4, &l), SOCKHELP_OK);
    check_not_connecting("a TCP listener", l);

    snprintf(dir, sizeof dir, "/tmp/sockhelp-cf-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/s", dir);
    CHECK_RC(sockhelp_listen_unix(path, 4, &ul), SOCKHELP_OK);
    check_not_connecting("a Unix-domain listener", ul);
    CHECK_RC(sockhelp_close(ul), SOCKHELP_OK);
    SYS(unlink(path));
    SYS(rmdir(dir));

    SYS(pipe(p));
    check_not_connecting("a pipe's read end", p[0]);
    check_not_connecting("a pipe's write end", p[1]);
    SYS(close(p[0]));
    SYS(close(p[1]));

    u = socket(AF_INET, SOCK_DGRAM, 0);
    SYS(u);
    check_not_connecting("an unconnected UDP socket", u);
    CHECK_RC(sockhelp_local_port(l, &port), SOCKHELP_OK);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    SYS(connect(u, (struct sockaddr *)&sa, sizeof sa));
    check_not_connecting("a connected UDP socket", u);
    SYS(close(u));

    /* a connection that was started still finishes (the check did not break the real case) */
    {
        int rc = sockhelp_connect_start("127.0.0.1", port, &c);
        CHECK(rc == SOCKHELP_OK || rc == SOCKHELP_EWOULDBLOCK);
        if (rc == SOCKHELP_EWOULDBLOCK) {
            struct pollfd pfd;
            pfd.fd = c;
            pfd.events = POLLOUT;
            pfd.revents = 0;
            CHECK(poll(&pfd, 1, 5000) == 1);
            CHECK_RC(sockhelp_connect_finish(c), SOCKHELP_OK);
        }
        /* finished already: asked again, still connected */
        CHECK_RC(sockhelp_connect_finish(c), SOCKHELP_OK);
        CHECK_RC(sockhelp_accept(l, 5000, &a), SOCKHELP_OK);
        CHECK_RC(sockhelp_close(a), SOCKHELP_OK);
        CHECK_RC(sockhelp_close(c), SOCKHELP_OK);
    }

    CHECK_RC(sockhelp_close(l), SOCKHELP_OK);
    printf("connect_finish_not_connecting: ok\n");
    return 0;
}

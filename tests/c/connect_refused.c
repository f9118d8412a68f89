/*
 * HOWTO trap: a connect to a port where nothing listens must fail at once with a clear
 * reason, not hang or look like a timeout.
 *
 * A loopback port that was bound and then closed: sockhelp_connect returns
 * SOCKHELP_EREFUSED well under a second, with timeout -1 and with a finite timeout;
 * *out is SOCKHELP_INVALID_SOCKET; last_os_error is ECONNREFUSED.
 */
#include "testutil.h"

int main(void)
{
    uint16_t port;
    int fd;
    int timeouts[3] = {-1, 5000, 0};
    int i;

    watchdog(30);
    fd = raw_listener(&port);
    close(fd); /* nothing listens there now */

    for (i = 0; i < 3; i++) {
        sockhelp_socket out = 77;
        long long t0 = now_ms();
        int rc = sockhelp_connect("127.0.0.1", port, timeouts[i], &out);
        if (timeouts[i] == 0 && rc == SOCKHELP_EWOULDBLOCK)
            continue; /* timeout 0: the refusal may not be known at the single attempt */
        if (rc != SOCKHELP_EREFUSED)
            FAIL("connect(timeout %d) to a closed port returned %d (%s), expected EREFUSED",
                 timeouts[i], rc, sockhelp_strerror(rc));
        CHECK_ELAPSED(now_ms() - t0, 0, 500);
        CHECK(out == SOCKHELP_INVALID_SOCKET);
        if (sockhelp_last_os_error() != ECONNREFUSED)
            FAIL("last_os_error is %d, expected ECONNREFUSED", sockhelp_last_os_error());
    }
    return 0;
}

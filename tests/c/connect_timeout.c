/*
 * HOWTO trap: a connect to a host that does not answer can hang for minutes; the wait must
 * be bounded by the caller's timeout.
 *
 * A listener with backlog 1 that never accepts: once its queue is full, Linux drops new
 * SYNs, so a connect gets no answer. After a few raw non-blocking fillers,
 * sockhelp_connect(..., 300, &s) is tried (at most 16 times; a success just fills the
 * queue further) until it returns SOCKHELP_ETIMEDOUT, which must take about 300 ms, with
 * *out == SOCKHELP_INVALID_SOCKET.
 */
#include "testutil.h"

#define MAX_FILLERS 16

int main(void)
{
    sockhelp_socket l;
    uint16_t port;
    int fillers[MAX_FILLERS * 2];
    int nfill = 0;
    int i;
    int timed_out = 0;

    watchdog(60);
    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 1, &l), SOCKHELP_OK);
    CHECK_RC(sockhelp_local_port(l, &port), SOCKHELP_OK);

    for (i = 0; i < 3; i++) {
        struct sockaddr_in a;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        SYS(fd);
        SYS(fcntl(fd, F_SETFL, O_NONBLOCK));
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
            FAIL("filler connect: %s", strerror(errno));
        fillers[nfill++] = fd;
    }
    sleep_ms(50); /* let the handshakes that can complete do so */

    for (i = 0; i < MAX_FILLERS && !timed_out; i++) {
        sockhelp_socket s = 77;
        long long t0 = now_ms();
        int rc = sockhelp_connect("127.0.0.1", port, 300, &s);
        long long ms = now_ms() - t0;
        if (rc == SOCKHELP_OK) {
            fillers[nfill++] = s; /* queued: one more filler */
            continue;
        }
        if (rc != SOCKHELP_ETIMEDOUT)
            FAIL("connect to a full listener returned %d (%s), expected ETIMEDOUT or OK", rc,
                 sockhelp_strerror(rc));
        CHECK_ELAPSED(ms, 290, 2000);
        CHECK(s == SOCKHELP_INVALID_SOCKET);
        timed_out = 1;
    }
    if (!timed_out)
        FAIL("%d connects to a listener with backlog 1 that never accepts all succeeded",
             MAX_FILLERS);

    for (i = 0; i < nfill; i++)
        close(fillers[i]);
    CHECK_RC(sockhelp_close(l), SOCKHELP_OK);
    return 0;
}

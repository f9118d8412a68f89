/*
 * HOWTO trap: recv() returning 0 means the peer closed; bytes that came before the close
 * must not be lost.
 *
 * The peer sends 1000 bytes and closes: sockhelp_recvall of 4096 returns SOCKHELP_ECLOSED
 * with exactly 1000 bytes received (and stored), whatever the timeout mode; a further
 * recvall returns SOCKHELP_ECLOSED with 0.
 */
#include "testutil.h"

static void one(int timeout_ms, int peer_delay_ms)
{
    sockhelp_socket s;
    int peer;
    unsigned char out[1000];
    unsigned char in[4096];
    size_t got = 12345;
    size_t bad;

    make_pair(&s, &peer);
    fill_pattern(out, sizeof out, 0);
    memset(in, 0, sizeof in);
    CHECK(send(peer, out, sizeof out, 0) == (ssize_t)sizeof out);
    if (peer_delay_ms == 0)
        close(peer);

    if (peer_delay_ms > 0) {
        /* The close arrives while recvall waits: the peer closes from a child process. */
        pid_t pid = fork();
        SYS(pid);
        if (pid == 0) {
            sleep_ms(peer_delay_ms);
            close(peer);
            _exit(0);
        }
        close(peer); /* the child holds the last reference */
        CHECK_RC(sockhelp_recvall(s, in, sizeof in, timeout_ms, &got), SOCKHELP_ECLOSED);
        {
            int status;
            SYS(waitpid(pid, &status, 0));
        }
    } else {
        CHECK_RC(sockhelp_recvall(s, in, sizeof in, timeout_ms, &got), SOCKHELP_ECLOSED);
    }
    CHECK_EQ_SZ(got, 1000);
    bad = find_pattern_mismatch(in, 1000, 0);
    if (bad != (size_t)-1)
        FAIL("byte %lu of the 1000 is wrong", (unsigned long)bad);

    got = 12345;
    CHECK_RC(sockhelp_recvall(s, in, sizeof in, timeout_ms < 0 ? 2000 : timeout_ms, &got),
             SOCKHELP_ECLOSED);
    CHECK_EQ_SZ(got, 0);
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
}

int main(void)
{
    watchdog(30);
    one(-1, 0);
    one(5000, 0);
    one(-1, 100);
    one(5000, 100);
    return 0;
}

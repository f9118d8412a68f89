/*
 * HOWTO trap: a peer that goes silent hangs a blocking socket forever; every wait must be
 * bounded, and what was moved before the deadline must be reported.
 *
 * recvall with timeout 200 from a peer that sent 100 bytes and then nothing: returns
 * SOCKHELP_ETIMEDOUT after about 200 ms (the deadline is for the whole call) with exactly
 * those 100 bytes received. sendall of 64 MiB with timeout 200 to a peer that never reads:
 * SOCKHELP_ETIMEDOUT after about 200 ms, 0 < *sent < 64 MiB, and the peer then reads
 * exactly *sent bytes (the count is the truth, nothing lost or invented).
 */
#include "testutil.h"

#define BIG ((size_t)64 << 20)

static void silent_reader_side(void)
{
    sockhelp_socket s;
    int peer;
    unsigned char out[100];
    unsigned char in[1000];
    size_t got = 12345;
    long long t0;

    make_pair(&s, &peer);
    fill_pattern(out, sizeof out, 0);
    CHECK(send(peer, out, sizeof out, 0) == (ssize_t)sizeof out);
    sleep_ms(20);

    t0 = now_ms();
    CHECK_RC(sockhelp_recvall(s, in, sizeof in, 200, &got), SOCKHELP_ETIMEDOUT);
    CHECK_ELAPSED(now_ms() - t0, 190, 2000);
    CHECK_EQ_SZ(got, 100);
    CHECK(find_pattern_mismatch(in, 100, 0) == (size_t)-1);

    /* A trickle that keeps coming must not extend the deadline: the peer sends one byte
     * every 50 ms from a child; the call still ends at ~300 ms. */
    {
        pid_t pid = fork();
        int status;
        SYS(pid);
        if (pid == 0) {
            int i;
            unsigned char b = 'z';
            for (i = 0; i < 40; i++) {
                if (send(peer, &b, 1, 0) != 1)
                    break;
                sleep_ms(50);
            }
            _exit(0);
        }
        got = 12345;
        t0 = now_ms();
        CHECK_RC(sockhelp_recvall(s, in, sizeof in, 300, &got), SOCKHELP_ETIMEDOUT);
        CHECK_ELAPSED(now_ms() - t0, 290, 1500);
        CHECK(got >= 1 && got < 40);
        kill(pid, SIGKILL);
        SYS(waitpid(pid, &status, 0));
    }
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(peer);
}

static void silent_writer_side(void)
{
    sockhelp_socket s;
    int peer;
    unsigned char *buf = malloc(BIG);
    size_t sent = 12345, got;
    long long t0;

    CHECK(buf != NULL);
    fill_pattern(buf, BIG, 0);
    make_pair(&s, &peer);

    t0 = now_ms();
    CHECK_RC(sockhelp_sendall(s, buf, BIG, 200, &sent), SOCKHELP_ETIMEDOUT);
    CHECK_ELAPSED(now_ms() - t0, 190, 2000);
    if (sent == 0 || sent >= BIG)
        FAIL("sendall reported %lu bytes sent; expected some but not all", (unsigned long)sent);

    /* The peer reads exactly what sendall says it sent. */
    CHECK_RC(sockhelp_shutdown(s, SOCKHELP_SHUT_WR), SOCKHELP_OK);
    got = drain_to_eof(peer, 0, 20000);
    CHECK_EQ_SZ(got, sent);

    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(peer);
    free(buf);
}

int main(void)
{
    watchdog(60);
    silent_reader_side();
    silent_writer_side();
    return 0;
}

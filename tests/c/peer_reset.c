/*
 * HOWTO trap: a peer that dies hard (reset) must give an error, not a hang or a fake EOF.
 *
 * The peer sets SO_LINGER {1, 0} and closes, which sends a reset: sockhelp_recvall returns
 * SOCKHELP_ERESET (whether the reset is already there or arrives while it waits), and a
 * sockhelp_sendall after it returns SOCKHELP_ERESET too. A sendall to a peer that reset,
 * with no recv in between, also returns SOCKHELP_ERESET.
 */
#include "testutil.h"

static void reset_peer(int peer)
{
    set_linger_zero(peer);
    close(peer);
}

static void check_reset_errno(void)
{
    int e = sockhelp_last_os_error();
    if (e != ECONNRESET && e != EPIPE)
        FAIL("last_os_error after ERESET is %d (%s), expected ECONNRESET or EPIPE", e,
             strerror(e));
}

static void recv_then_send(int timeout_ms, int delay_ms)
{
    sockhelp_socket s;
    int peer;
    unsigned char buf[4096];
    size_t n = 12345;

    make_pair(&s, &peer);
    memset(buf, 'x', sizeof buf);
    if (delay_ms == 0) {
        reset_peer(peer);
        sleep_ms(50); /* let the RST land */
        CHECK_RC(sockhelp_recvall(s, buf, sizeof buf, timeout_ms, &n), SOCKHELP_ERESET);
    } else {
        pid_t pid = fork();
        int status;
        SYS(pid);
        if (pid == 0) {
            sleep_ms(delay_ms);
            reset_peer(peer);
            _exit(0);
        }
        close(peer); /* without linger here: the child's close is the last one */
        CHECK_RC(sockhelp_recvall(s, buf, sizeof buf, timeout_ms, &n), SOCKHELP_ERESET);
        SYS(waitpid(pid, &status, 0));
    }
    CHECK_EQ_SZ(n, 0);
    check_reset_errno();

    n = 12345;
    CHECK_RC(sockhelp_sendall(s, buf, sizeof buf, timeout_ms, &n), SOCKHELP_ERESET);
    CHECK_EQ_SZ(n, 0);
    check_reset_errno();
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
}

static void send_after_reset(int timeout_ms)
{
    sockhelp_socket s;
    int peer;
    unsigned char buf[4096];
    size_t n = 12345;

    make_pair(&s, &peer);
    memset(buf, 'y', sizeof buf);
    reset_peer(peer);
    sleep_ms(50);
    CHECK_RC(sockhelp_sendall(s, buf, sizeof buf, timeout_ms, &n), SOCKHELP_ERESET);
    CHECK_EQ_SZ(n, 0);
    check_reset_errno();
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
}

int main(void)
{
    watchdog(30);
    recv_then_send(-1, 0);
    recv_then_send(3000, 0);
    recv_then_send(-1, 100);
    recv_then_send(3000, 100);
    send_after_reset(-1);
    send_after_reset(3000);
    return 0;
}

/*
 * HOWTO trap: writing to a closed connection raises SIGPIPE, which kills the process by
 * default. sockhelp must never raise it.
 *
 * In a forked child with SIGPIPE explicitly at its default disposition (SIG_DFL, so a
 * SIGPIPE would kill it), sendall to a peer that closed (FIN) and to a peer that reset
 * returns SOCKHELP_ERESET; the parent checks the child exited 0 and was not killed by a
 * signal.
 */
#include "testutil.h"

/* Sends until sockhelp reports the broken connection; returns that code. */
static int send_until_error(sockhelp_socket s, int timeout_ms)
{
    unsigned char buf[1024];
    int i;
    memset(buf, 's', sizeof buf);
    for (i = 0; i < 200; i++) {
        size_t n;
        int rc = sockhelp_sendall(s, buf, sizeof buf, timeout_ms, &n);
        if (rc != SOCKHELP_OK)
            return rc;
        sleep_ms(10);
    }
    FAIL("200 sends to a closed peer all succeeded");
    return 0;
}

static void child(void)
{
    sockhelp_socket s;
    int peer;
    int timeouts[2] = {-1, 2000};
    int i;

    watchdog(20); /* alarms are not inherited across fork */
    signal(SIGPIPE, SIG_DFL);
    for (i = 0; i < 2; i++) {
        /* the peer closes normally: the first write makes it answer with a reset */
        make_pair(&s, &peer);
        close(peer);
        CHECK_RC(send_until_error(s, timeouts[i]), SOCKHELP_ERESET);
        /* and once more, now that the pipe is known broken (EPIPE) */
        CHECK_RC(send_until_error(s, timeouts[i]), SOCKHELP_ERESET);
        CHECK_RC(sockhelp_close(s), SOCKHELP_OK);

        /* the peer resets */
        make_pair(&s, &peer);
        set_linger_zero(peer);
        close(peer);
        sleep_ms(20);
        CHECK_RC(send_until_error(s, timeouts[i]), SOCKHELP_ERESET);
        CHECK_RC(send_until_error(s, timeouts[i]), SOCKHELP_ERESET);
        CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    }
    exit(0);
}

int main(void)
{
    pid_t pid;
    int status;

    watchdog(30);
    pid = fork();
    SYS(pid);
    if (pid == 0)
        child();
    SYS(waitpid(pid, &status, 0));
    if (WIFSIGNALED(status))
        FAIL("the child was killed by signal %d%s", WTERMSIG(status),
             WTERMSIG(status) == SIGPIPE ? " (SIGPIPE)" : "");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        FAIL("the child failed (exit status %d)", WEXITSTATUS(status));
    return 0;
}

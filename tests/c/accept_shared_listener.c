/*
 * Issue 13 item 2 (a pre-fork server): six processes call sockhelp_accept on one shared,
 * blocking listener; one connection arrives. The one that wins gets it, the five losers
 * must come back by their deadline (ETIMEDOUT for 300 ms, EWOULDBLOCK for 0), never sit
 * in a blocking accept(). Each child measures its own call and has its own alarm, so a
 * regression fails (the child is killed and reported) instead of hanging. Several rounds
 * per timeout, because the race is lost only when the losers get between poll and accept.
 *
 * Also: accept on a socket that is bound but not listening fails at once with EOS and
 * last_os_error EINVAL, for -1, 0 and a finite timeout.
 */
#include "testutil.h"

#define CHILDREN 6
#define ROUNDS 10

/* Child: wait for the go byte, accept once, exit 0 (won), 10 (lost in time) or 1 (late). */
static int child(sockhelp_socket l, int go, int timeout_ms)
{
    sockhelp_socket s = SOCKHELP_INVALID_SOCKET;
    char b;
    long long t0, took;
    int rc;

    alarm(3); /* a child stuck in accept() dies here: its parent reports SIGALRM */
    signal(SIGALRM, SIG_DFL);
    if (read(go, &b, 1) != 1)
        return 2;
    t0 = now_ms();
    rc = sockhelp_accept(l, timeout_ms, &s);
    took = now_ms() - t0;
    if (rc == SOCKHELP_OK) {
        sockhelp_close(s);
        return took <= timeout_ms + 250 ? 0 : 1;
    }
    if (rc != (timeout_ms == 0 ? SOCKHELP_EWOULDBLOCK : SOCKHELP_ETIMEDOUT)) {
        fprintf(stderr, "child: accept returned %d (%s)\n", rc, sockhelp_strerror(rc));
        return 1;
    }
    if (took > timeout_ms + 250) {
        fprintf(stderr, "child: accept(%d) took %lld ms\n", timeout_ms, took);
        return 1;
    }
    return 10;
}

static void round_with(sockhelp_socket l, uint16_t port, int timeout_ms)
{
    int go[2], i, winners = 0, status, peer;
    pid_t pids[CHILDREN];

    SYS(pipe(go));
    for (i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        SYS(pids[i]);
        if (pids[i] == 0) {
            close(go[1]);
            _exit(child(l, go[0], timeout_ms));
        }
    }
    close(go[0]);
    /* The connection waits in the queue before anyone looks (timeout 0 needs that). */
    peer = raw_connect(port);
    SYS(peer);
    sleep_ms(30);
    CHECK(write(go[1], "gggggg", CHILDREN) == CHILDREN);
    for (i = 0; i < CHILDREN; i++) {
        SYS(waitpid(pids[i], &status, 0));
        if (WIFSIGNALED(status))
            FAIL("timeout %d: a child was killed by signal %d (stuck in accept)", timeout_ms,
                 WTERMSIG(status));
        CHECK(WIFEXITED(status));
        if (WEXITSTATUS(status) == 0)
            winners++;
        else if (WEXITSTATUS(status) != 10)
            FAIL("timeout %d: a child failed (exit %d)", timeout_ms, WEXITSTATUS(status));
    }
    CHECK(winners == 1);
    close(go[1]);
    close(peer);
}

static void not_listening_fails_at_once(void)
{
    sockhelp_socket s;
    int fd, timeouts[3] = {-1, 0, 1000}, i;
    struct sockaddr_in a;
    long long t0;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    SYS(fd);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SYS(bind(fd, (struct sockaddr *)&a, sizeof a));
    for (i = 0; i < 3; i++) {
        t0 = now_ms();
        CHECK_RC(sockhelp_accept(fd, timeouts[i], &s), SOCKHELP_EOS);
        CHECK(sockhelp_last_os_error() == EINVAL);
        CHECK(s == SOCKHELP_INVALID_SOCKET);
        CHECK_ELAPSED(now_ms() - t0, 0, 100);
    }
    close(fd);
}

int main(void)
{
    sockhelp_socket l;
    uint16_t port;
    int r;

    watchdog(60);
    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 64, &l), SOCKHELP_OK);
    CHECK_RC(sockhelp_local_port(l, &port), SOCKHELP_OK);
    CHECK(!fd_is_nonblocking(l));
    for (r = 0; r < ROUNDS; r++) {
        round_with(l, port, 0);
        round_with(l, port, 300);
    }
    CHECK(!fd_is_nonblocking(l)); /* the listener's mode is never touched */
    CHECK_RC(sockhelp_close(l), SOCKHELP_OK);
    not_listening_fails_at_once();
    return 0;
}

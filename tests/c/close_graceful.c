/*
 * HOWTO trap: close without shutdown can lose the last bytes (unread data turns the close
 * into a reset); shutdown first, drain, then close. And the goodbye must be bounded.
 *
 * - A peer that sends some bytes, then reads until EOF and closes: close_graceful returns
 *   SOCKHELP_OK, and the peer saw a clean EOF (not a reset), after receiving every byte
 *   sent before it.
 * - A peer that never closes: close_graceful(200) returns SOCKHELP_ETIMEDOUT after ~200 ms
 *   and the socket is closed (a later sockhelp_close says EOS / EBADF); with timeout 0 it
 *   returns EWOULDBLOCK at once, closed too.
 * - A peer that already closed: SOCKHELP_OK at once.
 */
#include <pthread.h>

#include "testutil.h"

struct peer {
    int fd;
    size_t got;
    int saw_eof; /* 1: recv returned 0; -1: an error */
};

static void *polite_peer(void *arg)
{
    struct peer *p = arg;
    unsigned char buf[5000];
    ssize_t n;
    fill_pattern(buf, sizeof buf, 0);
    if (send(p->fd, buf, sizeof buf, 0) != (ssize_t)sizeof buf)
        FAIL("peer: send: %s", strerror(errno));
    for (;;) {
        if (!wait_readable(p->fd, 10000))
            FAIL("peer: no EOF within 10 s");
        n = recv(p->fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            p->saw_eof = -1;
            break;
        }
        if (n == 0) {
            p->saw_eof = 1;
            break;
        }
        if (find_pattern_mismatch(buf, (size_t)n, 1000 + p->got) != (size_t)-1)
            FAIL("peer: wrong byte near %lu", (unsigned long)p->got);
        p->got += (size_t)n;
    }
    sleep_ms(50);
    close(p->fd);
    return NULL;
}

static void polite(int timeout_ms)
{
    sockhelp_socket s;
    struct peer p;
    pthread_t t;
    unsigned char out[3000];
    long long t0;

    make_pair(&s, &p.fd);
    p.got = 0;
    p.saw_eof = 0;
    fill_pattern(out, sizeof out, 1000);
    CHECK_RC(sockhelp_sendall(s, out, sizeof out, 2000, NULL), SOCKHELP_OK);
    CHECK(pthread_create(&t, NULL, polite_peer, &p) == 0);
    sleep_ms(50); /* the peer's 5000 bytes are now unread on our side */
    t0 = now_ms();
    CHECK_RC(sockhelp_close_graceful(s, timeout_ms), SOCKHELP_OK);
    CHECK_ELAPSED(now_ms() - t0, 0, 3000);
    CHECK(pthread_join(t, NULL) == 0);
    if (p.saw_eof != 1)
        FAIL("the peer saw %s instead of a clean EOF", p.saw_eof < 0 ? "an error" : "nothing");
    CHECK_EQ_SZ(p.got, sizeof out);
}

/* s must be closed: single-threaded here, so its number was not reused. */
static void check_closed(sockhelp_socket s)
{
    CHECK(fcntl(s, F_GETFD) < 0 && errno == EBADF);
    CHECK_RC(sockhelp_close(s), SOCKHELP_EOS);
    CHECK(sockhelp_last_os_error() == EBADF);
}

static void stubborn(void)
{
    sockhelp_socket s;
    int peer;
    long long t0;
    char buf[16];

    make_pair(&s, &peer);
    CHECK(send(peer, "hello", 5, 0) == 5);
    t0 = now_ms();
    CHECK_RC(sockhelp_close_graceful(s, 200), SOCKHELP_ETIMEDOUT);
    CHECK_ELAPSED(now_ms() - t0, 190, 2000);
    check_closed(s);
    /* the peer saw the shutdown as EOF */
    CHECK(wait_readable(peer, 2000));
    CHECK(recv(peer, buf, sizeof buf, 0) == 0);
    close(peer);

    make_pair(&s, &peer);
    t0 = now_ms();
    CHECK_RC(sockhelp_close_graceful(s, 0), SOCKHELP_EWOULDBLOCK);
    CHECK_ELAPSED(now_ms() - t0, 0, 100);
    check_closed(s);
    close(peer);
}

static void already_closed(void)
{
    sockhelp_socket s;
    int peer;
    long long t0;

    make_pair(&s, &peer);
    close(peer);
    sleep_ms(20);
    t0 = now_ms();
    CHECK_RC(sockhelp_close_graceful(s, 2000), SOCKHELP_OK);
    CHECK_ELAPSED(now_ms() - t0, 0, 500);
    check_closed(s);
}

int main(void)
{
    watchdog(30);
    polite(-1);
    polite(5000);
    stubborn();
    already_closed();
    return 0;
}

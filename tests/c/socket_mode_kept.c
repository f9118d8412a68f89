/*
 * HOWTO trap: non-blocking sockets return EWOULDBLOCK mid-transfer; a helper must cope
 * with the socket as it is and never change its mode behind the caller's back.
 *
 * A non-blocking socket: sendall of 8 MiB with timeout -1 to a peer reading slowly in small
 * chunks with small sleeps returns SOCKHELP_OK with every byte arriving; recvall of 2 MiB
 * with timeout -1 from a peer writing slowly does too; afterwards the socket is still
 * non-blocking (asked both of sockhelp_get_nonblocking and of fcntl directly). A blocking
 * socket stays blocking after timed calls (one that succeeds, one that times out, one with
 * timeout 0).
 */
#include <pthread.h>

#include "testutil.h"

#define SEND_LEN ((size_t)8 << 20)
#define RECV_LEN ((size_t)2 << 20)

struct peer {
    int fd;
    size_t total;
};

static void *slow_reader(void *arg)
{
    struct peer *p = arg;
    p->total = drain_to_eof(p->fd, 0, 60000);
    return NULL;
}

/* drain_to_eof reads fast; this one reads in small chunks with pauses. */
static void *slower_reader(void *arg)
{
    struct peer *p = arg;
    unsigned char buf[8192];
    uint32_t seed = 42;
    int i = 0;
    for (;;) {
        size_t want = 1 + prng_next(&seed) % sizeof buf;
        ssize_t n = recv(p->fd, buf, want, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            FAIL("peer: recv: %s", strerror(errno));
        if (n == 0)
            break;
        if (find_pattern_mismatch(buf, (size_t)n, p->total) != (size_t)-1)
            FAIL("peer: wrong byte near %lu", (unsigned long)p->total);
        p->total += (size_t)n;
        if (++i % 16 == 0)
            sleep_ms(1);
    }
    return NULL;
}

static void *slow_writer(void *arg)
{
    struct peer *p = arg;
    unsigned char buf[4096];
    uint32_t seed = 7;
    int i = 0;
    while (p->total < RECV_LEN) {
        size_t n = 1 + prng_next(&seed) % sizeof buf;
        if (n > RECV_LEN - p->total)
            n = RECV_LEN - p->total;
        fill_pattern(buf, n, p->total);
        if (send(p->fd, buf, n, 0) != (ssize_t)n)
            FAIL("peer: send: %s", strerror(errno));
        p->total += n;
        if (++i % 16 == 0)
            sleep_ms(1);
    }
    return NULL;
}

static void check_mode(sockhelp_socket s, bool want)
{
    bool on = !want;
    CHECK_RC(sockhelp_get_nonblocking(s, &on), SOCKHELP_OK);
    if (on != want)
        FAIL("sockhelp_get_nonblocking says %d, expected %d", (int)on, (int)want);
    if (fd_is_nonblocking(s) != (int)want)
        FAIL("fcntl says O_NONBLOCK is %d, expected %d", fd_is_nonblocking(s), (int)want);
}

static void nonblocking_socket(void)
{
    sockhelp_socket s;
    struct peer p;
    pthread_t t;
    unsigned char *buf = malloc(SEND_LEN);
    size_t n = 12345;

    CHECK(buf != NULL);
    make_pair(&s, &p.fd);
    check_mode(s, false); /* sockhelp_connect gives a blocking socket */
    CHECK_RC(sockhelp_set_nonblocking(s, true), SOCKHELP_OK);
    check_mode(s, true);

    /* send 8 MiB to a slow reader */
    fill_pattern(buf, SEND_LEN, 0);
    p.total = 0;
    CHECK(pthread_create(&t, NULL, slower_reader, &p) == 0);
    CHECK_RC(sockhelp_sendall(s, buf, SEND_LEN, -1, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, SEND_LEN);
    check_mode(s, true);
    CHECK_RC(sockhelp_shutdown(s, SOCKHELP_SHUT_WR), SOCKHELP_OK);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_EQ_SZ(p.total, SEND_LEN);

    /* receive 2 MiB from a slow writer */
    memset(buf, 0, RECV_LEN);
    p.total = 0;
    n = 12345;
    CHECK(pthread_create(&t, NULL, slow_writer, &p) == 0);
    CHECK_RC(sockhelp_recvall(s, buf, RECV_LEN, -1, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, RECV_LEN);
    CHECK(find_pattern_mismatch(buf, RECV_LEN, 0) == (size_t)-1);
    CHECK(pthread_join(t, NULL) == 0);
    check_mode(s, true);

    /* and with a finite timeout */
    n = 12345;
    CHECK_RC(sockhelp_recvall(s, buf, 1, 100, &n), SOCKHELP_ETIMEDOUT);
    CHECK_EQ_SZ(n, 0);
    check_mode(s, true);

    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(p.fd);
    free(buf);
}

static void blocking_socket(void)
{
    sockhelp_socket s;
    struct peer p;
    pthread_t t;
    unsigned char *buf = malloc(SEND_LEN);
    size_t n = 12345;

    CHECK(buf != NULL);
    make_pair(&s, &p.fd);
    check_mode(s, false);

    fill_pattern(buf, SEND_LEN, 0);
    p.total = 0;
    CHECK(pthread_create(&t, NULL, slow_reader, &p) == 0);
    CHECK_RC(sockhelp_sendall(s, buf, SEND_LEN, 30000, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, SEND_LEN);
    check_mode(s, false);
    CHECK_RC(sockhelp_shutdown(s, SOCKHELP_SHUT_WR), SOCKHELP_OK);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_EQ_SZ(p.total, SEND_LEN);

    CHECK_RC(sockhelp_recvall(s, buf, 1, 100, &n), SOCKHELP_ETIMEDOUT);
    check_mode(s, false);
    CHECK_RC(sockhelp_recvall(s, buf, 1, 0, &n), SOCKHELP_EWOULDBLOCK);
    check_mode(s, false);

    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(p.fd);
    free(buf);
}

int main(void)
{
    watchdog(60);
    nonblocking_socket();
    blocking_socket();
    return 0;
}

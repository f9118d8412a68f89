/*
 * sendall / recvall between two threads on loopback TCP, on Linux and Windows:
 * partial transfers with a slow peer (1 byte at a time, then odd chunks), the peer's close
 * (ECLOSED with the exact count), a silent peer (ETIMEDOUT with the count, in about the
 * timeout), timeout 0 (EWOULDBLOCK at once). The peer's reset is cw_reset.c.
 */
#include "cwin.h"

#define BIG (1u << 20)

struct peer {
    sockhelp_socket s;
    unsigned char *buf;
    size_t len;
};

/* Sends `len` pattern bytes, the first 1000 one at a time, then in odd chunks. */
static void slow_sender(void *arg)
{
    struct peer *p = (struct peer *)arg;
    size_t off = 0, sent = 0, step = 1;
    while (off < p->len) {
        size_t n = off < 1000 ? 1 : step;
        if (n > p->len - off)
            n = p->len - off;
        CHECK_RC(sockhelp_sendall(p->s, p->buf + off, n, 10000, &sent), SOCKHELP_OK);
        CHECK_EQ_SZ(sent, n);
        off += n;
        step = step * 7 % 65521 + 1;
    }
}

/* Receives `len` bytes, the first 1000 one at a time, then in odd chunks. */
static void slow_receiver(void *arg)
{
    struct peer *p = (struct peer *)arg;
    size_t off = 0, got = 0, step = 3;
    while (off < p->len) {
        size_t n = off < 1000 ? 1 : step;
        if (n > p->len - off)
            n = p->len - off;
        CHECK_RC(sockhelp_recvall(p->s, p->buf + off, n, 10000, &got), SOCKHELP_OK);
        CHECK_EQ_SZ(got, n);
        off += n;
        step = step * 5 % 40009 + 1;
    }
}

int main(void)
{
    sockhelp_socket a, b;
    unsigned char *data, *back;
    struct peer p;
    cw_thread t;
    size_t i, n = 0;
    long long t0;
    unsigned char small[100];

    cw_start(120);
    data = (unsigned char *)malloc(BIG);
    back = (unsigned char *)malloc(BIG);
    CHECK(data && back);
    for (i = 0; i < BIG; i++)
        data[i] = cw_pattern(i);

    /* 1. Partial transfers each way. */
    cw_pair(&a, &b);
    memset(back, 0, BIG);
    p.s = b;
    p.buf = back;
    p.len = BIG;
    t = cw_thread_spawn(slow_receiver, &p);
    CHECK_RC(sockhelp_sendall(a, data, BIG, -1, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, BIG);
    cw_thread_join(t);
    CHECK(memcmp(data, back, BIG) == 0);

    memset(back, 0, BIG);
    p.s = b;
    p.buf = data;
    t = cw_thread_spawn(slow_sender, &p);
    CHECK_RC(sockhelp_recvall(a, back, BIG, -1, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, BIG);
    cw_thread_join(t);
    CHECK(memcmp(data, back, BIG) == 0);

    /* 2. timeout 0 and a silent peer. */
    t0 = now_ms();
    CHECK_RC(sockhelp_recvall(a, small, 10, 0, &n), SOCKHELP_EWOULDBLOCK);
    CHECK_EQ_SZ(n, 0);
    CHECK(now_ms() - t0 < 1000);
    CHECK_RC(sockhelp_sendall(b, "0123456789", 10, 1000, &n), SOCKHELP_OK);
    sleep_ms(50);
    t0 = now_ms();
    CHECK_RC(sockhelp_recvall(a, small, 100, 200, &n), SOCKHELP_ETIMEDOUT);
    CHECK_ELAPSED(now_ms() - t0, 190, 2000);
    CHECK_EQ_SZ(n, 10);
    CHECK(memcmp(small, "0123456789", 10) == 0);

    /* 3. The peer closes after 1000 bytes: ECLOSED with exactly 1000. */
    CHECK_RC(sockhelp_sendall(b, data, 1000, 1000, &n), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(b), SOCKHELP_OK);
    CHECK_RC(sockhelp_recvall(a, back, 4000, 5000, &n), SOCKHELP_ECLOSED);
    CHECK_EQ_SZ(n, 1000);
    CHECK(memcmp(data, back, 1000) == 0);
    CHECK_RC(sockhelp_close(a), SOCKHELP_OK);

    /* 4. Invalid arguments are codes. */
    CHECK_RC(sockhelp_sendall(SOCKHELP_INVALID_SOCKET, data, 1, 0, &n), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_recvall(SOCKHELP_INVALID_SOCKET, back, 1, 0, &n), SOCKHELP_EINVAL);

    free(data);
    free(back);
    sockhelp_cleanup();
    printf("cw_bytes: OK\n");
    return 0;
}

/*
 * HOWTO trap: send() and recv() may move fewer bytes than asked; the caller must loop.
 *
 * 64 MiB go through sockhelp_sendall / sockhelp_recvall while the raw peer reads (or
 * writes) one byte at a time for the first 64 KiB, then in random chunks of 1..65536 bytes
 * (seeded PRNG). Every byte is checked against a pattern, and so are the counts and the
 * result. Each direction runs with timeout -1 (blocking system calls) and with a finite
 * timeout (non-blocking attempts plus waits).
 */
#include <pthread.h>

#include "testutil.h"

#define BIG ((size_t)64 << 20)
#define SLOW ((size_t)64 << 10)
#define MAX_CHUNK 65536

struct peer {
    int fd;
    uint32_t seed;
    size_t total; /* bytes the peer moved */
};

static size_t next_chunk(struct peer *p, size_t done)
{
    size_t n;
    if (done < SLOW)
        return 1;
    n = 1 + prng_next(&p->seed) % MAX_CHUNK;
    if (n > BIG - done)
        n = BIG - done;
    return n;
}

/* Reads until EOF in tiny then random chunks, checking the pattern. */
static void *slow_reader(void *arg)
{
    struct peer *p = arg;
    static unsigned char buf[MAX_CHUNK];
    for (;;) {
        size_t want = p->total < BIG ? next_chunk(p, p->total) : MAX_CHUNK;
        ssize_t n = recv(p->fd, buf, want, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            FAIL("reader peer: recv: %s at offset %lu", strerror(errno),
                 (unsigned long)p->total);
        if (n == 0)
            break;
        if (find_pattern_mismatch(buf, (size_t)n, p->total) != (size_t)-1)
            FAIL("reader peer: wrong byte in chunk at offset %lu", (unsigned long)p->total);
        p->total += (size_t)n;
        if (p->total > BIG)
            FAIL("reader peer: got more than the %lu bytes sent", (unsigned long)BIG);
    }
    return NULL;
}

/* Writes BIG bytes in tiny then random chunks. */
static void *slow_writer(void *arg)
{
    struct peer *p = arg;
    static unsigned char buf[MAX_CHUNK];
    set_int_opt(p->fd, IPPROTO_TCP, TCP_NODELAY, 1); /* tiny writes leave as tiny segments */
    while (p->total < BIG) {
        size_t want = next_chunk(p, p->total);
        size_t off = 0;
        fill_pattern(buf, want, p->total);
        while (off < want) {
            ssize_t n = send(p->fd, buf + off, want - off, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                FAIL("writer peer: send: %s", strerror(errno));
            off += (size_t)n;
        }
        p->total += want;
    }
    return NULL;
}

static void lib_sends(unsigned char *buf, int timeout_ms, uint32_t seed)
{
    sockhelp_socket s;
    struct peer p;
    pthread_t t;
    size_t sent = 12345;

    make_pair(&s, &p.fd);
    p.seed = seed;
    p.total = 0;
    /* The peer's SO_RCVBUF is left alone: shrinking it after the connection is up, with
     * 1-byte reads, stalled the plain kernel send() for minutes on Linux 6.x
     * (zero-window probing), nothing sockhelp can help with. */
    fill_pattern(buf, BIG, 0);
    CHECK(pthread_create(&t, NULL, slow_reader, &p) == 0);

    CHECK_RC(sockhelp_sendall(s, buf, BIG, timeout_ms, &sent), SOCKHELP_OK);
    CHECK_EQ_SZ(sent, BIG);
    CHECK_RC(sockhelp_shutdown(s, SOCKHELP_SHUT_WR), SOCKHELP_OK);

    CHECK(pthread_join(t, NULL) == 0);
    CHECK_EQ_SZ(p.total, BIG);
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(p.fd);
}

static void lib_receives(unsigned char *buf, int timeout_ms, uint32_t seed)
{
    sockhelp_socket s;
    struct peer p;
    pthread_t t;
    size_t got = 12345;
    size_t bad;
    unsigned char extra;

    make_pair(&s, &p.fd);
    p.seed = seed;
    p.total = 0;
    memset(buf, 0, BIG);
    CHECK(pthread_create(&t, NULL, slow_writer, &p) == 0);

    CHECK_RC(sockhelp_recvall(s, buf, BIG, timeout_ms, &got), SOCKHELP_OK);
    CHECK_EQ_SZ(got, BIG);
    bad = find_pattern_mismatch(buf, BIG, 0);
    if (bad != (size_t)-1)
        FAIL("received byte %lu is wrong (timeout %d)", (unsigned long)bad, timeout_ms);

    CHECK(pthread_join(t, NULL) == 0);
    CHECK_EQ_SZ(p.total, BIG);
    /* Nothing more than asked was taken from the stream: after the peer closes, the next
     * read sees EOF with nothing before it. */
    close(p.fd);
    got = 12345;
    CHECK_RC(sockhelp_recvall(s, &extra, 1, 5000, &got), SOCKHELP_ECLOSED);
    CHECK_EQ_SZ(got, 0);
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
}

int main(void)
{
    unsigned char *buf = malloc(BIG);
    watchdog(100);
    CHECK(buf != NULL);

    lib_sends(buf, -1, 0x12345678u);
    lib_sends(buf, 60000, 0x9e3779b9u);
    lib_receives(buf, -1, 0xdeadbeefu);
    lib_receives(buf, 60000, 0x0badf00du);

    free(buf);
    return 0;
}

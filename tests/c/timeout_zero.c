/*
 * HOWTO trap: a non-blocking app must never wait; timeout 0 means one attempt.
 *
 * recvall with timeout 0 on an empty socket returns SOCKHELP_EWOULDBLOCK at once with
 * count 0, on a blocking and on a non-blocking socket; with some bytes there it takes them
 * (count = what was there) and still says EWOULDBLOCK; with all of them there it returns
 * OK. sendall with timeout 0 of a small buffer returns OK; of 64 MiB to a peer that does
 * not read returns EWOULDBLOCK at once with 0 < *sent < 64 MiB.
 */
#include "testutil.h"

#define BIG ((size_t)64 << 20)

static void one(bool nonblocking, unsigned char *big)
{
    sockhelp_socket s;
    int peer;
    unsigned char buf[256];
    size_t n = 12345;
    long long t0;

    make_pair(&s, &peer);
    CHECK_RC(sockhelp_set_nonblocking(s, nonblocking), SOCKHELP_OK);

    t0 = now_ms();
    CHECK_RC(sockhelp_recvall(s, buf, sizeof buf, 0, &n), SOCKHELP_EWOULDBLOCK);
    CHECK_ELAPSED(now_ms() - t0, 0, 100);
    CHECK_EQ_SZ(n, 0);

    /* some but not all bytes there */
    fill_pattern(buf, 100, 0);
    CHECK(send(peer, buf, 100, 0) == 100);
    sleep_ms(50);
    memset(buf, 0, sizeof buf);
    n = 12345;
    t0 = now_ms();
    CHECK_RC(sockhelp_recvall(s, buf, sizeof buf, 0, &n), SOCKHELP_EWOULDBLOCK);
    CHECK_ELAPSED(now_ms() - t0, 0, 100);
    CHECK_EQ_SZ(n, 100);
    CHECK(find_pattern_mismatch(buf, 100, 0) == (size_t)-1);

    /* all bytes there */
    fill_pattern(buf, 200, 100);
    CHECK(send(peer, buf, 200, 0) == 200);
    sleep_ms(50);
    n = 12345;
    CHECK_RC(sockhelp_recvall(s, buf, 200, 0, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, 200);
    CHECK(find_pattern_mismatch(buf, 200, 100) == (size_t)-1);

    /* sends: small fits at once; huge does not */
    n = 12345;
    CHECK_RC(sockhelp_sendall(s, buf, 200, 0, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, 200);
    n = 12345;
    t0 = now_ms();
    CHECK_RC(sockhelp_sendall(s, big, BIG, 0, &n), SOCKHELP_EWOULDBLOCK);
    CHECK_ELAPSED(now_ms() - t0, 0, 500);
    if (n == 0 || n >= BIG)
        FAIL("sendall(timeout 0) reported %lu bytes sent; expected some but not all",
             (unsigned long)n);

    CHECK(fd_is_nonblocking(s) == (int)nonblocking);
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(peer);
}

int main(void)
{
    unsigned char *big = malloc(BIG);
    watchdog(30);
    CHECK(big != NULL);
    memset(big, 'b', BIG);
    one(false, big);
    one(true, big);
    free(big);
    return 0;
}

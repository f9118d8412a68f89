/*
 * Framed I/O from C, on Linux and Windows: send_frame / recv_frame in several formats
 * with the spec's exact bytes, ENOSPACE that keeps the frame, the non-blocking reader
 * (fill + next) and the writer (queue + flush).
 */
#include "cwin.h"

static void round_trip(const char *name, sockhelp_framing *f, sockhelp_socket a,
                       sockhelp_socket b, const char *const *payloads, size_t count)
{
    size_t i, n, len;
    unsigned char out[512];
    sockhelp_reader *r = sockhelp_reader_new(f);
    CHECK(r != NULL);
    for (i = 0; i < count; i++)
        CHECK_RC(sockhelp_send_frame(a, f, payloads[i], strlen(payloads[i]), 1000, &n),
                 SOCKHELP_OK);
    for (i = 0; i < count; i++) {
        CHECK_RC(sockhelp_recv_frame(r, b, out, sizeof out, &len, 5000), SOCKHELP_OK);
        if (len != strlen(payloads[i]) || memcmp(out, payloads[i], len) != 0)
            FAIL("%s: frame %lu differs", name, (unsigned long)i);
    }
    CHECK_EQ_SZ(sockhelp_reader_buffered(r), 0);
    sockhelp_reader_free(r);
}

int main(void)
{
    sockhelp_socket a, b;
    sockhelp_framing *len4, *ascii5, *lines, *varint;
    sockhelp_reader *r;
    sockhelp_writer *w;
    unsigned char raw[64], small[2];
    size_t n, len;
    const unsigned char *frame;
    static const char *const words[] = {"hello", "", "x", "a longer payload than the rest"};
    static const char *const nonempty[] = {"hello", "two", "three"};
    int got, rc;
    long long t0;

    cw_start(120);
    cw_pair(&a, &b);
    len4 = sockhelp_framing_length_prefixed(4, false, 1 << 20);
    ascii5 = sockhelp_framing_ascii_length(5, 99999);
    lines = sockhelp_framing_delimited("\r\n", 2, 1000);
    varint = sockhelp_framing_varint(1 << 20);
    CHECK(len4 && ascii5 && lines && varint);

    /* The spec's bytes, as the peer receives them. */
    CHECK_RC(sockhelp_send_frame(a, len4, "hello", 5, 1000, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, 9);
    CHECK_RC(sockhelp_recvall(b, raw, 9, 1000, &n), SOCKHELP_OK);
    CHECK(memcmp(raw, "\0\0\0\5hello", 9) == 0);
    CHECK_RC(sockhelp_send_frame(a, ascii5, "hello", 5, 1000, &n), SOCKHELP_OK);
    CHECK_RC(sockhelp_recvall(b, raw, 10, 1000, &n), SOCKHELP_OK);
    CHECK(memcmp(raw, "00005hello", 10) == 0);

    round_trip("length_prefixed(4)", len4, a, b, words, 4);
    round_trip("ascii_length(5)", ascii5, a, b, words, 4);
    round_trip("delimited(\\r\\n)", lines, a, b, words, 4);
    round_trip("varint", varint, b, a, words, 4);

    /* ENOSPACE: the length needed, and the frame stays queued. */
    r = sockhelp_reader_new(len4);
    CHECK_RC(sockhelp_send_frame(a, len4, "hello", 5, 1000, &n), SOCKHELP_OK);
    CHECK_RC(sockhelp_recv_frame(r, b, small, sizeof small, &len, 5000), SOCKHELP_ENOSPACE);
    CHECK_EQ_SZ(len, 5);
    CHECK_RC(sockhelp_recv_frame(r, b, raw, sizeof raw, &len, 5000), SOCKHELP_OK);
    CHECK(len == 5 && memcmp(raw, "hello", 5) == 0);
    t0 = now_ms();
    CHECK_RC(sockhelp_recv_frame(r, b, raw, sizeof raw, &len, 200), SOCKHELP_ETIMEDOUT);
    CHECK_ELAPSED(now_ms() - t0, 190, 2000);
    sockhelp_reader_free(r);

    /* The writer queues, one flush sends all; the non-blocking reader takes them. */
    w = sockhelp_writer_new(lines);
    CHECK(w != NULL);
    for (got = 0; got < 3; got++)
        CHECK_RC(sockhelp_writer_queue(w, nonempty[got], strlen(nonempty[got])), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue(w, "a\r\nb", 4), SOCKHELP_EINVAL);
    CHECK_EQ_SZ(sockhelp_writer_pending(w), 5 + 3 + 5 + 3 * 2);
    CHECK_RC(sockhelp_writer_flush(w, a, 1000), SOCKHELP_OK);
    CHECK_EQ_SZ(sockhelp_writer_pending(w), 0);
    sockhelp_writer_free(w);

    CHECK_RC(sockhelp_set_nonblocking(b, true), SOCKHELP_OK);
    r = sockhelp_reader_new(lines);
    got = 0;
    t0 = now_ms();
    while (got < 3) {
        CHECK(now_ms() - t0 < 10000);
        rc = sockhelp_reader_next(r, &frame, &len);
        if (rc == SOCKHELP_OK) {
            if (len != strlen(nonempty[got]) || memcmp(frame, nonempty[got], len) != 0)
                FAIL("line %d differs", got);
            got++;
            continue;
        }
        CHECK_RC(rc, SOCKHELP_EWOULDBLOCK);
        rc = sockhelp_reader_fill(r, b);
        if (rc == SOCKHELP_EWOULDBLOCK)
            sleep_ms(5);
        else
            CHECK_RC(rc, SOCKHELP_OK);
    }
    /* Nothing more: fill never waits. */
    t0 = now_ms();
    CHECK_RC(sockhelp_reader_fill(r, b), SOCKHELP_EWOULDBLOCK);
    CHECK(now_ms() - t0 < 1000);
    CHECK_RC(sockhelp_close(a), SOCKHELP_OK);
    rc = SOCKHELP_EWOULDBLOCK;
    t0 = now_ms();
    while (rc == SOCKHELP_EWOULDBLOCK && now_ms() - t0 < 5000) {
        rc = sockhelp_reader_fill(r, b);
        if (rc == SOCKHELP_EWOULDBLOCK)
            sleep_ms(5);
    }
    CHECK_RC(rc, SOCKHELP_ECLOSED);
    sockhelp_reader_free(r);

    sockhelp_framing_free(len4);
    sockhelp_framing_free(ascii5);
    sockhelp_framing_free(lines);
    sockhelp_framing_free(varint);
    CHECK_RC(sockhelp_close(b), SOCKHELP_OK);
    sockhelp_cleanup();
    printf("cw_framing: OK\n");
    return 0;
}

/*
 * The calls real protocols and servers need, on Linux and under Wine: a general length
 * field (PostgreSQL's shape), a reader that changes framing mid-stream and hands out raw
 * bytes (a line, then a body the line announced), a writer with a limit on its pending
 * bytes, and many frames sent at once and taken out in one batch.
 */
#include "cwin.h"

int main(void)
{
    sockhelp_socket a, b;
    sockhelp_framing *pg = NULL, *lines, *len4;
    sockhelp_length_field spec;
    sockhelp_reader *r;
    sockhelp_writer *w;
    sockhelp_slice frames[8];
    unsigned char buf[256];
    size_t n, len, taken, got;
    const uint8_t *frame;
    int i;

    cw_start(120);
    cw_pair(&a, &b);

    /* PostgreSQL's framing: a type byte, then an int32 that counts itself. */
    memset(&spec, 0, sizeof spec);
    spec.head = 1;
    spec.encoding = SOCKHELP_LEN_BINARY;
    spec.width = 4;
    spec.little_endian = false;
    spec.adjustment = -4;
    spec.max_len = 1 << 20;
    CHECK_RC(sockhelp_framing_length_field(&spec, &pg), SOCKHELP_OK);
    CHECK(pg != NULL);
    CHECK_RC(sockhelp_send_frame(a, pg, "QSELECT 1", 10, 1000, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, 14);
    CHECK_RC(sockhelp_recvall(b, buf, 14, 1000, &n), SOCKHELP_OK);
    CHECK(memcmp(buf, "Q\0\0\0\x0dSELECT 1", 14) == 0);
    spec.width = 9; /* a binary field of 9 bytes cannot work */
    {
        sockhelp_framing *bad = (sockhelp_framing *)1;
        CHECK_RC(sockhelp_framing_length_field(&spec, &bad), SOCKHELP_EINVAL);
        CHECK(bad == NULL);
    }

    /* A line, then a body whose length the line gave, then lines again. */
    lines = sockhelp_framing_delimited("\r\n", 2, 1000);
    len4 = sockhelp_framing_length_prefixed(4, false, 1 << 20);
    CHECK(lines && len4);
    r = sockhelp_reader_new(lines);
    CHECK(r != NULL);
    CHECK_RC(sockhelp_sendall(a, "$5\r\nhe\r\nl\r\n+OK\r\n", 16, 1000, &n), SOCKHELP_OK);
    CHECK_RC(sockhelp_recv_frame(r, b, buf, sizeof buf, &len, 5000), SOCKHELP_OK);
    CHECK(len == 2 && memcmp(buf, "$5", 2) == 0);
    CHECK_RC(sockhelp_reader_recvall(r, b, buf, 7, 5000, &got), SOCKHELP_OK); /* body + CRLF */
    CHECK_EQ_SZ(got, 7);
    CHECK(memcmp(buf, "he\r\nl\r\n", 7) == 0);
    CHECK_RC(sockhelp_recv_frame(r, b, buf, sizeof buf, &len, 5000), SOCKHELP_OK);
    CHECK(len == 3 && memcmp(buf, "+OK", 3) == 0);

    /* set_framing keeps what is buffered: two length-prefixed frames fed as one piece. */
    CHECK_RC(sockhelp_reader_set_framing(r, len4), SOCKHELP_OK);
    CHECK_RC(sockhelp_reader_feed_some(r, "\0\0\0\x02hi\0\0\0\x01!xyz", 14, &taken),
             SOCKHELP_OK);
    CHECK_EQ_SZ(taken, 14);
    CHECK_RC(sockhelp_reader_next_batch(r, frames, 8, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, 2);
    CHECK(frames[0].len == 2 && memcmp(frames[0].ptr, "hi", 2) == 0);
    CHECK(frames[1].len == 1 && memcmp(frames[1].ptr, "!", 1) == 0);
    CHECK_EQ_SZ(sockhelp_reader_take(r, buf, sizeof buf), 3);
    CHECK(memcmp(buf, "xyz", 3) == 0);
    CHECK_RC(sockhelp_reader_next(r, &frame, &len), SOCKHELP_EWOULDBLOCK);
    sockhelp_reader_free(r);

    /* A writer with a limit refuses, and queues nothing of, the frame that would pass it. */
    w = sockhelp_writer_new(len4);
    CHECK(w != NULL);
    CHECK_RC(sockhelp_writer_set_limit(w, 20), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue(w, "0123456789", 10), SOCKHELP_OK); /* 14 pending */
    CHECK_RC(sockhelp_writer_queue(w, "0123456789", 10), SOCKHELP_ENOSPACE);
    CHECK_EQ_SZ(sockhelp_writer_pending(w), 14);
    CHECK_RC(sockhelp_writer_flush(w, a, 1000), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue(w, "0123456789", 10), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_flush(w, a, 1000), SOCKHELP_OK);
    sockhelp_writer_free(w);
    CHECK_RC(sockhelp_recvall(b, buf, 28, 5000, &n), SOCKHELP_OK);

    /* Many frames in one call: whole-frame and byte counts. */
    {
        static const char *const words[] = {"a", "bb", "", "dddd", "eeeee"};
        sockhelp_slice out[5];
        size_t fs = 0, bs = 0;
        for (i = 0; i < 5; i++) {
            out[i].ptr = words[i];
            out[i].len = strlen(words[i]);
        }
        CHECK_RC(sockhelp_send_frames(a, len4, out, 5, 1000, &fs, &bs), SOCKHELP_OK);
        CHECK_EQ_SZ(fs, 5);
        CHECK_EQ_SZ(bs, 5 * 4 + 1 + 2 + 0 + 4 + 5);
        r = sockhelp_reader_new(len4);
        CHECK(r != NULL);
        for (i = 0; i < 5; i++) {
            CHECK_RC(sockhelp_recv_frame(r, b, buf, sizeof buf, &len, 5000), SOCKHELP_OK);
            CHECK(len == strlen(words[i]) && memcmp(buf, words[i], len) == 0);
        }
        /* the same frames again, taken with the blocking batch (one call or more) */
        CHECK_RC(sockhelp_send_frames(a, len4, out, 5, 1000, &fs, &bs), SOCKHELP_OK);
        {
            sockhelp_slice views5[5];
            size_t seen = 0, k, calls = 0;
            while (seen < 5) {
                CHECK(++calls <= 5);
                CHECK_RC(sockhelp_recv_batch(r, b, views5, 5 - seen, &n, 5000), SOCKHELP_OK);
                CHECK(n >= 1 && seen + n <= 5);
                for (k = 0; k < n; k++, seen++)
                    CHECK(views5[k].len == strlen(words[seen]) &&
                          memcmp(views5[k].ptr, words[seen], views5[k].len) == 0);
            }
            CHECK_RC(sockhelp_recv_batch(r, b, views5, 5, &n, 0), SOCKHELP_EWOULDBLOCK);
            CHECK_RC(sockhelp_recv_batch(r, b, views5, 5, &n, 30), SOCKHELP_ETIMEDOUT);
            CHECK_EQ_SZ(n, 0);
        }
        sockhelp_reader_free(r);
    }

    sockhelp_framing_free(pg);
    sockhelp_framing_free(lines);
    sockhelp_framing_free(len4);
    CHECK_RC(sockhelp_close(a), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(b), SOCKHELP_OK);
    sockhelp_cleanup();
    printf("cw_protocol_io: OK\n");
    return 0;
}

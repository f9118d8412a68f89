/*
 * Reader control mid-stream and many frames at once, through the header:
 * sockhelp_reader_set_framing, _recvall, _take, _feed_some, _next_batch, sockhelp_recv_batch,
 * sockhelp_writer_set_limit, _queue_many, sockhelp_send_frames (+ sockhelp_slice), with every
 * argument check. Exits 0 when every check holds.
 */
#include "testutil.h"

static sockhelp_framing *u32be(void) { return sockhelp_framing_length_prefixed(4, false, 1 << 20); }

/* A protocol whose framing changes: a line, then length-prefixed frames, with the bytes of
 * both in one buffer; then a raw body taken with take and recvall. */
static void set_framing_take_recvall(void) {
    int sv[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    sockhelp_framing *line = sockhelp_framing_delimited("\n", 1, 100);
    sockhelp_framing *len4 = u32be();
    sockhelp_reader *r = sockhelp_reader_new(line);
    CHECK(r != NULL);
    static const char wire[] = "HELLO\n\x00\x00\x00\x03" "abc" "RAW-BODY";
    size_t taken = 0;
    CHECK_RC(sockhelp_reader_feed_some(r, wire, sizeof wire - 1, &taken), SOCKHELP_OK);
    CHECK(taken == sizeof wire - 1);
    const uint8_t *p = NULL;
    size_t n = 0;
    CHECK_RC(sockhelp_reader_next(r, &p, &n), SOCKHELP_OK);
    CHECK(n == 5 && memcmp(p, "HELLO", 5) == 0);
    CHECK_RC(sockhelp_reader_set_framing(r, len4), SOCKHELP_OK);
    CHECK_RC(sockhelp_reader_next(r, &p, &n), SOCKHELP_OK);
    CHECK(n == 3 && memcmp(p, "abc", 3) == 0);
    char buf[16];
    CHECK(sockhelp_reader_take(r, buf, 4) == 4);
    CHECK(memcmp(buf, "RAW-", 4) == 0);
    /* recvall: the 4 buffered bytes first, then 3 more from the socket */
    SYS(write(sv[1], "xyz", 3));
    size_t got = 99;
    CHECK_RC(sockhelp_reader_recvall(r, sv[0], buf, 7, 1000, &got), SOCKHELP_OK);
    CHECK(got == 7 && memcmp(buf, "BODYxyz", 7) == 0);
    /* zero timeout, nothing there: counts what it got */
    CHECK_RC(sockhelp_reader_recvall(r, sv[0], buf, 2, 0, &got), SOCKHELP_EWOULDBLOCK);
    CHECK(got == 0);
    SYS(close(sv[1]));
    CHECK_RC(sockhelp_reader_recvall(r, sv[0], buf, 2, 1000, &got), SOCKHELP_ECLOSED);
    CHECK(got == 0);
    /* argument checks */
    CHECK_RC(sockhelp_reader_set_framing(NULL, len4), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_set_framing(r, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_recvall(NULL, sv[0], buf, 1, 0, &got), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_recvall(r, sv[0], NULL, 1, 0, &got), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_recvall(r, sv[0], buf, 1, -2, &got), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_recvall(r, SOCKHELP_INVALID_SOCKET, buf, 1, 0, NULL), SOCKHELP_EINVAL);
    CHECK(sockhelp_reader_take(NULL, buf, 1) == 0);
    CHECK(sockhelp_reader_take(r, NULL, 1) == 0);
    CHECK_RC(sockhelp_reader_feed_some(NULL, "a", 1, &taken), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_feed_some(r, NULL, 1, &taken), SOCKHELP_EINVAL);
    CHECK(taken == 0);
    sockhelp_reader_free(r);
    sockhelp_framing_free(line);
    sockhelp_framing_free(len4);
    SYS(close(sv[0]));
}

/* feed_some takes what fits under the bound and says how much. */
static void feed_some_is_bounded(void) {
    sockhelp_framing *f = sockhelp_framing_fixed(10);
    sockhelp_reader *r = sockhelp_reader_new(f);
    size_t big = (1 << 20);
    unsigned char *data = calloc(1, big);
    CHECK(data != NULL);
    size_t taken = 0;
    CHECK_RC(sockhelp_reader_feed_some(r, data, big, &taken), SOCKHELP_OK);
    CHECK(taken > 0 && taken < big);
    size_t again = 99;
    CHECK_RC(sockhelp_reader_feed_some(r, data, big, &again), SOCKHELP_OK);
    CHECK(again == 0);
    CHECK(sockhelp_reader_buffered(r) == taken);
    free(data);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
}

/* send_frames: 1000 payloads in one call; next_batch takes them many at a time. */
static void send_frames_and_next_batch(void) {
    int sv[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    sockhelp_framing *f = u32be();
    enum { N = 1000 };
    static unsigned char data[N][40];
    static sockhelp_slice payloads[N];
    size_t wire = 0;
    for (size_t i = 0; i < N; i++) {
        size_t len = i % 40;
        memset(data[i], (int)(i & 0xff), sizeof data[i]);
        payloads[i].ptr = data[i];
        payloads[i].len = len;
        wire += 4 + len;
    }
    size_t frames = 99, bytes = 99;
    CHECK_RC(sockhelp_send_frames(sv[1], f, payloads, N, 5000, &frames, &bytes), SOCKHELP_OK);
    CHECK(frames == N && bytes == wire);
    sockhelp_reader *r = sockhelp_reader_new(f);
    sockhelp_slice views[64];
    size_t seen = 0, rounds = 0;
    while (seen < N) {
        CHECK(++rounds < 100000);
        size_t n = 99;
        int rc = sockhelp_reader_next_batch(r, views, 64, &n);
        if (rc == SOCKHELP_EWOULDBLOCK) {
            CHECK(n == 0);
            CHECK_RC(sockhelp_reader_fill(r, sv[0]), SOCKHELP_OK);
            continue;
        }
        CHECK_RC(rc, SOCKHELP_OK);
        CHECK(n >= 1 && n <= 64);
        for (size_t k = 0; k < n; k++, seen++) {
            CHECK(views[k].len == seen % 40);
            const unsigned char *b = views[k].ptr;
            for (size_t j = 0; j < views[k].len; j++) CHECK(b[j] == (seen & 0xff));
        }
    }
    size_t n = 99;
    CHECK_RC(sockhelp_reader_next_batch(r, views, 64, &n), SOCKHELP_EWOULDBLOCK);
    CHECK(n == 0);
    CHECK_RC(sockhelp_reader_next_batch(NULL, views, 64, &n), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_next_batch(r, NULL, 64, &n), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_next_batch(r, views, 0, &n), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_next_batch(r, views, 64, NULL), SOCKHELP_EINVAL);
    /* a refused payload: the frames before it are sent, nothing of it */
    static unsigned char huge[(1 << 20) + 1];
    sockhelp_slice mixed[3] = {{"ok", 2}, {huge, sizeof huge}, {"never", 5}};
    CHECK_RC(sockhelp_send_frames(sv[1], f, mixed, 3, 1000, &frames, &bytes), SOCKHELP_ETOOBIG);
    CHECK(frames == 1 && bytes == 6);
    sockhelp_slice bad[2] = {{"ok", 2}, {NULL, 3}};
    CHECK_RC(sockhelp_send_frames(sv[1], f, bad, 2, 1000, &frames, &bytes), SOCKHELP_EINVAL);
    CHECK(frames == 0 && bytes == 0);
    CHECK_RC(sockhelp_send_frames(sv[1], NULL, mixed, 1, 1000, &frames, &bytes), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_send_frames(sv[1], f, NULL, 1, 1000, NULL, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_send_frames(sv[1], f, mixed, 1, -2, NULL, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_send_frames(SOCKHELP_INVALID_SOCKET, f, mixed, 1, 0, NULL, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_send_frames(sv[1], f, NULL, 0, 0, &frames, &bytes), SOCKHELP_OK);
    CHECK(frames == 0 && bytes == 0);
    /* a peer that reads nothing: the deadline passes, counts exact */
    static unsigned char k1[1000];
    static sockhelp_slice many[5000];
    for (size_t i = 0; i < 5000; i++) { many[i].ptr = k1; many[i].len = sizeof k1; }
    CHECK_RC(sockhelp_send_frames(sv[1], f, many, 5000, 100, &frames, &bytes), SOCKHELP_ETIMEDOUT);
    CHECK(frames < 5000 && bytes >= frames * 1004 && bytes < (frames + 1) * 1004);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    SYS(close(sv[0]));
    SYS(close(sv[1]));
}

/* The writer's limit: a frame that would pass it is refused and nothing queued. */
static void writer_limit(void) {
    sockhelp_framing *f = u32be();
    sockhelp_writer *w = sockhelp_writer_new(f);
    CHECK_RC(sockhelp_writer_set_limit(w, 20), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue(w, "0123456789", 10), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue(w, "abc", 3), SOCKHELP_ENOSPACE);
    CHECK(sockhelp_writer_pending(w) == 14);
    CHECK_RC(sockhelp_writer_queue(w, "ab", 2), SOCKHELP_OK);
    CHECK(sockhelp_writer_pending(w) == 20);
    CHECK_RC(sockhelp_writer_set_limit(w, 0), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue(w, "abc", 3), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_set_limit(NULL, 5), SOCKHELP_EINVAL);
    sockhelp_writer_free(w);
    sockhelp_framing_free(f);
}

/* sockhelp_writer_queue_many: many frames with one call; the first refusal stops it with
 * nothing of that frame queued and *queued saying how many went in; the wire bytes are
 * those of one queue call per frame. */
static void writer_queue_many(void) {
    sockhelp_framing *f = u32be();
    sockhelp_writer *w = sockhelp_writer_new(f);
    sockhelp_writer *one = sockhelp_writer_new(f);
    sockhelp_slice p[4] = {{"ab", 2}, {"", 0}, {"cdefghij", 8}, {"k", 1}};
    size_t queued = 99;
    int sv[2];
    unsigned char a[64], b[64];
    CHECK(f && w && one);
    CHECK_RC(sockhelp_writer_queue_many(w, p, 4, &queued), SOCKHELP_OK);
    CHECK(queued == 4);
    for (int i = 0; i < 4; i++) CHECK_RC(sockhelp_writer_queue(one, p[i].ptr, p[i].len), SOCKHELP_OK);
    CHECK(sockhelp_writer_pending(w) == sockhelp_writer_pending(one));
    /* Same bytes on the wire as one queue call per frame. */
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    size_t n = sockhelp_writer_pending(w);
    CHECK_RC(sockhelp_writer_flush(w, sv[0], 1000), SOCKHELP_OK);
    CHECK_RC(sockhelp_recvall(sv[1], a, n, 1000, NULL), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_flush(one, sv[0], 1000), SOCKHELP_OK);
    CHECK_RC(sockhelp_recvall(sv[1], b, n, 1000, NULL), SOCKHELP_OK);
    CHECK(memcmp(a, b, n) == 0);
    /* A limit that the third frame would pass: two queued, nothing of the third (12 bytes,
     * longer than the limit by itself: SOCKHELP_ETOOBIG, no flush would make room). */
    CHECK_RC(sockhelp_writer_set_limit(w, 10), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue_many(w, p, 4, &queued), SOCKHELP_ETOOBIG);
    CHECK(queued == 2);
    CHECK(sockhelp_writer_pending(w) == 6 + 4);
    /* After a flush (and with room for the 12-byte frame), the rest goes in. */
    CHECK_RC(sockhelp_writer_flush(w, sv[0], 1000), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_set_limit(w, 20), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue_many(w, p + queued, 4 - queued, &queued), SOCKHELP_OK);
    CHECK(queued == 2);
    /* A payload with a NULL pointer and a length stops it there. */
    sockhelp_slice bad[2] = {{"x", 1}, {NULL, 3}};
    CHECK_RC(sockhelp_writer_set_limit(w, 0), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue_many(w, bad, 2, &queued), SOCKHELP_EINVAL);
    CHECK(queued == 1);
    /* Argument checks. */
    CHECK_RC(sockhelp_writer_queue_many(NULL, p, 4, &queued), SOCKHELP_EINVAL);
    CHECK(queued == 0);
    CHECK_RC(sockhelp_writer_queue_many(w, NULL, 2, &queued), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_writer_queue_many(w, NULL, 0, NULL), SOCKHELP_OK);
    close(sv[0]);
    close(sv[1]);
    sockhelp_writer_free(w);
    sockhelp_writer_free(one);
    sockhelp_framing_free(f);
}

/* sockhelp_writer_send: written through when nothing is pending (no copy, nothing queued),
 * the unsent rest of a big frame queued, behind pending frames otherwise; the peer gets
 * every frame whole and in order. */
static void writer_send_writes_through(void) {
    int sv[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    SYS(fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK));
    sockhelp_framing *f = u32be();
    sockhelp_writer *w = sockhelp_writer_new(f);
    sockhelp_reader *r = sockhelp_reader_new(f);
    CHECK_RC(sockhelp_writer_send(w, sv[1], "hello", 5), SOCKHELP_OK);
    CHECK(sockhelp_writer_pending(w) == 0);
    static unsigned char big[512u << 10];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7);
    CHECK_RC(sockhelp_writer_send(w, sv[1], big, sizeof big), SOCKHELP_OK);
    size_t left = sockhelp_writer_pending(w);
    CHECK(left > 0 && left < sizeof big + 4); /* the socket took part, the rest is queued */
    CHECK_RC(sockhelp_writer_send(w, sv[1], "after", 5), SOCKHELP_OK);
    CHECK(sockhelp_writer_pending(w) == left + 9); /* behind the pending rest */
    CHECK_RC(sockhelp_writer_send(NULL, sv[1], "x", 1), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_writer_send(w, SOCKHELP_INVALID_SOCKET, "x", 1), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_writer_send(w, sv[1], NULL, 1), SOCKHELP_EINVAL);
    CHECK(sockhelp_writer_pending(w) == left + 9);
    static unsigned char got[512u << 10];
    size_t len = 0;
    CHECK_RC(sockhelp_recv_frame(r, sv[0], got, sizeof got, &len, 1000), SOCKHELP_OK);
    CHECK(len == 5 && memcmp(got, "hello", 5) == 0);
    for (int round = 0; round < 10000 && sockhelp_writer_pending(w) > 0; round++) {
        int rc = sockhelp_writer_flush(w, sv[1], 0);
        CHECK(rc == SOCKHELP_OK || rc == SOCKHELP_EWOULDBLOCK);
        int rc2 = sockhelp_reader_fill(r, sv[0]);
        CHECK(rc2 == SOCKHELP_OK || rc2 == SOCKHELP_EWOULDBLOCK);
    }
    CHECK(sockhelp_writer_pending(w) == 0);
    CHECK_RC(sockhelp_recv_frame(r, sv[0], got, sizeof got, &len, 1000), SOCKHELP_OK);
    CHECK(len == sizeof big && memcmp(got, big, sizeof big) == 0);
    CHECK_RC(sockhelp_recv_frame(r, sv[0], got, sizeof got, &len, 1000), SOCKHELP_OK);
    CHECK(len == 5 && memcmp(got, "after", 5) == 0);
    sockhelp_reader_free(r);
    sockhelp_writer_free(w);
    sockhelp_framing_free(f);
    SYS(close(sv[0]));
    SYS(close(sv[1]));
}

/* recv_batch: the blocking batch. 1000 frames sent in one send_frames come out in order, at
 * least one and at most cap per call; then the deadline (0 and > 0) with nothing there, half
 * a frame kept across a timeout, a close mid-frame, and every argument check. */
static void recv_batch_blocking(void) {
    int sv[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    sockhelp_framing *f = u32be();
    enum { N = 1000 };
    static unsigned char data[N][24];
    static sockhelp_slice payloads[N];
    for (size_t i = 0; i < N; i++) {
        memset(data[i], (int)(i & 0xff), sizeof data[i]);
        payloads[i].ptr = data[i];
        payloads[i].len = i % 24;
    }
    size_t frames = 0, bytes = 0;
    CHECK_RC(sockhelp_send_frames(sv[1], f, payloads, N, 5000, &frames, &bytes), SOCKHELP_OK);
    sockhelp_reader *r = sockhelp_reader_new(f);
    sockhelp_slice views[50];
    size_t seen = 0, calls = 0;
    while (seen < N) {
        CHECK(++calls <= N);
        size_t n = 99;
        CHECK_RC(sockhelp_recv_batch(r, sv[0], views, 50, &n, 5000), SOCKHELP_OK);
        CHECK(n >= 1 && n <= 50 && seen + n <= N);
        for (size_t k = 0; k < n; k++, seen++) {
            CHECK(views[k].len == seen % 24);
            const unsigned char *b = views[k].ptr;
            for (size_t j = 0; j < views[k].len; j++) CHECK(b[j] == (seen & 0xff));
        }
    }
    size_t n = 99;
    CHECK_RC(sockhelp_recv_batch(r, sv[0], views, 50, &n, 0), SOCKHELP_EWOULDBLOCK);
    CHECK(n == 0);
    long long t0 = now_ms();
    CHECK_RC(sockhelp_recv_batch(r, sv[0], views, 50, &n, 40), SOCKHELP_ETIMEDOUT);
    CHECK(now_ms() - t0 >= 35 && now_ms() - t0 < 5000);
    /* half a frame survives a timeout, and comes out whole once the rest arrives */
    SYS(send(sv[1], "\0\0\0\3x", 5, 0));
    CHECK_RC(sockhelp_recv_batch(r, sv[0], views, 50, &n, 10), SOCKHELP_ETIMEDOUT);
    CHECK(sockhelp_reader_buffered(r) == 5);
    SYS(send(sv[1], "yz\0\0", 4, 0));
    CHECK_RC(sockhelp_recv_batch(r, sv[0], views, 50, &n, 5000), SOCKHELP_OK);
    CHECK(n == 1 && views[0].len == 3 && memcmp(views[0].ptr, "xyz", 3) == 0);
    /* the argument checks, each with *n set to 0 */
    n = 99;
    CHECK_RC(sockhelp_recv_batch(NULL, sv[0], views, 50, &n, 0), SOCKHELP_EINVAL);
    CHECK(n == 0);
    CHECK_RC(sockhelp_recv_batch(r, sv[0], NULL, 50, &n, 0), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_recv_batch(r, sv[0], views, 0, &n, 0), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_recv_batch(r, sv[0], views, 50, NULL, 0), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_recv_batch(r, sv[0], views, 50, &n, -2), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_recv_batch(r, SOCKHELP_INVALID_SOCKET, views, 50, &n, 0), SOCKHELP_EINVAL);
    /* a close mid-frame: ECLOSED, the partial frame still counted */
    SYS(close(sv[1]));
    CHECK_RC(sockhelp_recv_batch(r, sv[0], views, 50, &n, 5000), SOCKHELP_ECLOSED);
    CHECK(n == 0 && sockhelp_reader_buffered(r) == 2);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    SYS(close(sv[0]));
}

int main(void) {
    watchdog(30);
    writer_send_writes_through();
    set_framing_take_recvall();
    feed_some_is_bounded();
    send_frames_and_next_batch();
    recv_batch_blocking();
    writer_limit();
    writer_queue_many();
    puts("frames_control: every check passed");
    return 0;
}

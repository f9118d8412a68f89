/*
 * The reader and writer calls a server needs (issue 22), through the header:
 * sockhelp_reader_expect_raw on a RESP-like stream, sockhelp_reader_set_idle +
 * sockhelp_reader_memory after one request going idle, sockhelp_writer_queue_raw between
 * frames + sockhelp_writer_memory, sockhelp_reader_next_length on RESP and HTTP chunk lines
 * (sockhelp_length_line), sockhelp_reader_set_max / sockhelp_writer_set_max, and a writer
 * limit below one frame (SOCKHELP_ETOOBIG, not SOCKHELP_ENOSPACE forever), with the argument
 * checks. Exits 0 when every check holds.
 */
#include "testutil.h"

static void set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    SYS(fl);
    SYS(fcntl(fd, F_SETFL, fl | O_NONBLOCK));
}

/* Fills from the non-blocking `fd` until `next` gives a frame (at most 1000 tries, 1 ms
 * apart), and checks it is `want`. */
static void next_is(sockhelp_reader *r, int fd, const char *want, size_t want_len) {
    const uint8_t *p = NULL;
    size_t n = 0;
    int rc = SOCKHELP_EWOULDBLOCK;
    for (int i = 0; i < 1000; i++) {
        rc = sockhelp_reader_next(r, &p, &n);
        if (rc != SOCKHELP_EWOULDBLOCK) break;
        int f = sockhelp_reader_fill(r, fd);
        CHECK(f == SOCKHELP_OK || f == SOCKHELP_EWOULDBLOCK);
        if (f == SOCKHELP_EWOULDBLOCK) sleep_ms(1);
    }
    CHECK_RC(rc, SOCKHELP_OK);
    CHECK_EQ_SZ(n, want_len);
    CHECK(memcmp(p, want, want_len) == 0);
}

static sockhelp_framing *crlf(size_t max) { return sockhelp_framing_delimited("\r\n", 2, max); }

/* expect_raw: a RESP bulk string whose value holds CR LF comes whole as one raw frame after
 * its "$12" line, and the line framing resumes after it. */
static void expect_raw_resp(void) {
    int sv[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    set_nonblocking(sv[0]);
    sockhelp_framing *f = crlf(64);
    sockhelp_reader *r = sockhelp_reader_new(f);
    CHECK(r != NULL);
    static const char wire[] = "$12\r\nhello\r\nworld\r\n+OK\r\n";
    SYS(write(sv[1], wire, sizeof wire - 1));
    next_is(r, sv[0], "$12", 3);
    CHECK_RC(sockhelp_reader_expect_raw(r, 12 + 2), SOCKHELP_OK);
    next_is(r, sv[0], "hello\r\nworld\r\n", 14);
    next_is(r, sv[0], "+OK", 3);
    /* Over the framing's maximum: refused, nothing armed. */
    CHECK_RC(sockhelp_reader_expect_raw(r, 65), SOCKHELP_ETOOBIG);
    CHECK_RC(sockhelp_reader_expect_raw(NULL, 1), SOCKHELP_EINVAL);
    const uint8_t *p;
    size_t n;
    CHECK_RC(sockhelp_reader_next(r, &p, &n), SOCKHELP_EWOULDBLOCK);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    close(sv[0]);
    close(sv[1]);
}

/* set_idle + memory: after one request the reader goes idle (fill finds nothing) and holds
 * no buffer by default, or the idle size it was given. */
static void idle_reader_memory(void) {
    int sv[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    set_nonblocking(sv[0]);
    sockhelp_framing *f = crlf(1 << 20);
    sockhelp_reader *r = sockhelp_reader_new(f);
    CHECK(r != NULL);
    CHECK_EQ_SZ(sockhelp_reader_memory(r), 0);
    SYS(write(sv[1], "GET\r\n", 5));
    next_is(r, sv[0], "GET", 3);
    CHECK(sockhelp_reader_memory(r) > 0);
    CHECK_RC(sockhelp_reader_fill(r, sv[0]), SOCKHELP_EWOULDBLOCK);
    CHECK_EQ_SZ(sockhelp_reader_memory(r), 0);
    /* The next request gets a buffer again; with an idle size, that much stays. */
    CHECK_RC(sockhelp_reader_set_idle(r, 512, 256), SOCKHELP_OK);
    SYS(write(sv[1], "PING\r\n", 6));
    next_is(r, sv[0], "PING", 4);
    CHECK(sockhelp_reader_memory(r) >= 512);
    CHECK_RC(sockhelp_reader_fill(r, sv[0]), SOCKHELP_EWOULDBLOCK);
    CHECK(sockhelp_reader_memory(r) >= 256 && sockhelp_reader_memory(r) < 512);
    CHECK_RC(sockhelp_reader_set_idle(r, 0, 0), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_set_idle(NULL, 1, 0), SOCKHELP_EINVAL);
    CHECK_EQ_SZ(sockhelp_reader_memory(NULL), 0);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    close(sv[0]);
    close(sv[1]);
}

/* queue_raw between frames: a value that holds the delimiter goes out as it is; a queue
 * emptied by a flush gives its memory back. */
static void queue_raw_between_frames(void) {
    int sv[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    sockhelp_framing *f = crlf(1024);
    sockhelp_writer *w = sockhelp_writer_new(f);
    CHECK(w != NULL);
    CHECK_EQ_SZ(sockhelp_writer_memory(w), 0);
    CHECK_RC(sockhelp_writer_queue(w, "a\r\nb", 4), SOCKHELP_EINVAL); /* the delimiter inside */
    CHECK_RC(sockhelp_writer_queue(w, "$4", 2), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue_raw(w, "a\r\nb\r\n", 6), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue(w, "+OK", 3), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue_raw(w, NULL, 0), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue_raw(w, NULL, 1), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_writer_queue_raw(NULL, "x", 1), SOCKHELP_EINVAL);
    static const char want[] = "$4\r\na\r\nb\r\n+OK\r\n";
    CHECK_EQ_SZ(sockhelp_writer_pending(w), sizeof want - 1);
    CHECK(sockhelp_writer_memory(w) > 0);
    CHECK_RC(sockhelp_writer_flush(w, sv[0], 1000), SOCKHELP_OK);
    CHECK_EQ_SZ(sockhelp_writer_memory(w), 0);
    CHECK_EQ_SZ(sockhelp_writer_memory(NULL), 0);
    char got[sizeof want];
    CHECK_RC(sockhelp_recvall(sv[1], got, sizeof want - 1, 1000, NULL), SOCKHELP_OK);
    CHECK(memcmp(got, want, sizeof want - 1) == 0);
    sockhelp_writer_free(w);
    sockhelp_framing_free(f);
    close(sv[0]);
    close(sv[1]);
}

static sockhelp_length_line resp_line(char prefix, unsigned flags, size_t trailer) {
    sockhelp_length_line l;
    memset(&l, 0, sizeof l);
    l.prefix = prefix;
    l.base = 10;
    l.terminator = "\r\n";
    l.terminator_len = 2;
    l.max_digits = 10;
    l.trailer = trailer;
    l.max_len = 512u << 20;
    l.flags = flags;
    return l;
}

static void feed(sockhelp_reader *r, const char *s) {
    CHECK_RC(sockhelp_reader_feed(r, s, strlen(s)), SOCKHELP_OK);
}

static void frame_is(sockhelp_reader *r, const char *want, size_t want_len) {
    const uint8_t *p = NULL;
    size_t n = 0;
    CHECK_RC(sockhelp_reader_next(r, &p, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, want_len);
    CHECK(memcmp(p, want, want_len) == 0);
}

/* next_length on RESP: an array count, bulk strings (one holding CR LF, one cut in two),
 * the null bulk string; a malformed line and one over max_len stay where they were; a body
 * over the reader's maximum until set_max raises it. */
static void next_length_resp(void) {
    sockhelp_framing *f = crlf(1024);
    sockhelp_reader *r = sockhelp_reader_new(f);
    CHECK(r != NULL);
    sockhelp_length_line array = resp_line('*', SOCKHELP_LENGTH_COUNT | SOCKHELP_LENGTH_NULL_OK, 0);
    sockhelp_length_line bulk = resp_line('$', SOCKHELP_LENGTH_NULL_OK, 2);
    uint64_t v = 99;
    feed(r, "*3\r\n$7\r\nhel\r\nlo\r\n$-1\r\n$3\r\nab");
    CHECK_RC(sockhelp_reader_next_length(r, &array, &v), SOCKHELP_OK);
    CHECK(v == 3);
    CHECK_RC(sockhelp_reader_next_length(r, &bulk, &v), SOCKHELP_OK);
    CHECK(v == 7);
    frame_is(r, "hel\r\nlo\r\n", 9);
    CHECK_RC(sockhelp_reader_next_length(r, &bulk, &v), SOCKHELP_OK);
    CHECK(v == SOCKHELP_LENGTH_NULL);
    CHECK_RC(sockhelp_reader_next_length(r, &bulk, &v), SOCKHELP_OK);
    CHECK(v == 3);
    const uint8_t *p;
    size_t n;
    CHECK_RC(sockhelp_reader_next(r, &p, &n), SOCKHELP_EWOULDBLOCK); /* the body is cut */
    CHECK_RC(sockhelp_reader_next_length(r, &bulk, &v), SOCKHELP_EINVAL); /* a body is armed */
    feed(r, "c\r\n");
    frame_is(r, "abc\r\n", 5);
    /* A line not whole yet: would block, its bytes kept. */
    feed(r, "$1");
    CHECK_RC(sockhelp_reader_next_length(r, &bulk, &v), SOCKHELP_EWOULDBLOCK);
    CHECK(v == 0);
    feed(r, "x\r\n");
    CHECK_RC(sockhelp_reader_next_length(r, &bulk, &v), SOCKHELP_EBADFRAME);
    CHECK(v == 0);
    frame_is(r, "$1x", 3); /* the line stays, as a line */
    feed(r, "PING\r\n"); /* an inline command: not a bulk line, still a line */
    CHECK_RC(sockhelp_reader_next_length(r, &array, &v), SOCKHELP_EBADFRAME);
    frame_is(r, "PING", 4);
    feed(r, "$00000000001\r\n"); /* eleven digits */
    CHECK_RC(sockhelp_reader_next_length(r, &bulk, &v), SOCKHELP_EBADFRAME);
    frame_is(r, "$00000000001", 12);
    feed(r, "$99999999999999999999\r\n"); /* over 64 bits */
    sockhelp_length_line wide = bulk;
    wide.max_digits = 20;
    wide.max_len = UINT64_MAX;
    CHECK_RC(sockhelp_reader_next_length(r, &wide, &v), SOCKHELP_EBADFRAME);
    frame_is(r, "$99999999999999999999", 21);
    feed(r, "$536870913\r\n"); /* 512 MiB + 1: over max_len, never allocated */
    CHECK_RC(sockhelp_reader_next_length(r, &bulk, &v), SOCKHELP_ETOOBIG);
    frame_is(r, "$536870913", 10);
    /* A body over the reader's maximum (1024), until set_max raises it. */
    feed(r, "$2000\r\n");
    CHECK_RC(sockhelp_reader_next_length(r, &bulk, &v), SOCKHELP_ETOOBIG);
    CHECK_RC(sockhelp_reader_set_max(r, 4096), SOCKHELP_OK);
    CHECK_RC(sockhelp_reader_next_length(r, &bulk, &v), SOCKHELP_OK);
    CHECK(v == 2000);
    static char body[2002];
    memset(body, 'v', 2000);
    memcpy(body + 2000, "\r\n", 2);
    CHECK_RC(sockhelp_reader_feed(r, body, sizeof body), SOCKHELP_OK);
    frame_is(r, body, sizeof body);
    /* Lower again: a line over the new maximum breaks the stream as the framing says. */
    CHECK_RC(sockhelp_reader_set_max(r, 4), SOCKHELP_OK);
    feed(r, "+OK\r\n+TOOLONG\r\n");
    frame_is(r, "+OK", 3);
    CHECK_RC(sockhelp_reader_next(r, &p, &n), SOCKHELP_ETOOBIG);
    CHECK_RC(sockhelp_reader_set_max(NULL, 4), SOCKHELP_EINVAL);
    /* Specs and arguments that cannot work. */
    sockhelp_length_line bad = bulk;
    bad.base = 8;
    CHECK_RC(sockhelp_reader_next_length(r, &bad, &v), SOCKHELP_EINVAL);
    bad = bulk;
    bad.flags = 16;
    CHECK_RC(sockhelp_reader_next_length(r, &bad, &v), SOCKHELP_EINVAL);
    bad = bulk;
    bad.terminator = NULL;
    CHECK_RC(sockhelp_reader_next_length(r, &bad, &v), SOCKHELP_EINVAL);
    bad = bulk;
    bad.max_digits = 21;
    CHECK_RC(sockhelp_reader_next_length(r, &bad, &v), SOCKHELP_EINVAL);
    bad = bulk;
    bad.trailer = 33;
    CHECK_RC(sockhelp_reader_next_length(r, &bad, &v), SOCKHELP_EINVAL);
    bad = bulk;
    bad.prefix = '7';
    CHECK_RC(sockhelp_reader_next_length(r, &bad, &v), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_next_length(r, NULL, &v), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_next_length(r, &bulk, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_next_length(NULL, &bulk, &v), SOCKHELP_EINVAL);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
}

/* next_length on HTTP chunk lines from a socket: a hex size with an extension, its data
 * as one raw frame (trailer CR LF included), then the last chunk "0", after which the
 * final empty line comes as a line; a bad hex digit is EBADFRAME. */
static void next_length_http_chunks(void) {
    int sv[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    set_nonblocking(sv[0]);
    sockhelp_framing *f = crlf(8192);
    sockhelp_reader *r = sockhelp_reader_new(f);
    CHECK(r != NULL);
    sockhelp_length_line chunk;
    memset(&chunk, 0, sizeof chunk);
    chunk.base = 16;
    chunk.terminator = "\r\n";
    chunk.terminator_len = 2;
    chunk.max_digits = 16;
    chunk.trailer = 2;
    chunk.max_len = 1 << 20;
    chunk.flags = SOCKHELP_LENGTH_EXT | SOCKHELP_LENGTH_ZERO_ENDS;
    static const char wire[] = "1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                               "A\r\n0123456789\r\n0\r\n\r\nzz\r\n";
    /* Sent in two pieces, the first ending inside the first size line. */
    SYS(write(sv[1], wire, 3));
    uint64_t v = 0;
    int rc = SOCKHELP_EWOULDBLOCK;
    bool sent_rest = false;
    for (int i = 0; i < 1000 && rc == SOCKHELP_EWOULDBLOCK; i++) {
        rc = sockhelp_reader_next_length(r, &chunk, &v);
        if (rc != SOCKHELP_EWOULDBLOCK) break;
        int fr = sockhelp_reader_fill(r, sv[0]);
        CHECK(fr == SOCKHELP_OK || fr == SOCKHELP_EWOULDBLOCK);
        if (fr == SOCKHELP_EWOULDBLOCK && !sent_rest) {
            SYS(write(sv[1], wire + 3, sizeof wire - 1 - 3));
            sent_rest = true;
        } else if (fr == SOCKHELP_EWOULDBLOCK) {
            sleep_ms(1);
        }
    }
    CHECK_RC(rc, SOCKHELP_OK);
    CHECK(v == 0x1a);
    next_is(r, sv[0], "abcdefghijklmnopqrstuvwxyz\r\n", 28);
    CHECK_RC(sockhelp_reader_next_length(r, &chunk, &v), SOCKHELP_OK);
    CHECK(v == 10);
    next_is(r, sv[0], "0123456789\r\n", 12);
    CHECK_RC(sockhelp_reader_next_length(r, &chunk, &v), SOCKHELP_OK);
    CHECK(v == 0);
    next_is(r, sv[0], "", 0); /* the empty line that ends the chunked body */
    CHECK_RC(sockhelp_reader_next_length(r, &chunk, &v), SOCKHELP_EBADFRAME);
    next_is(r, sv[0], "zz", 2);
    close(sv[1]);
    CHECK_RC(sockhelp_reader_fill(r, sv[0]), SOCKHELP_ECLOSED);
    CHECK_RC(sockhelp_reader_next_length(r, &chunk, &v), SOCKHELP_ECLOSED);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    close(sv[0]);
}

/* writer set_max: one framing, a lower and a higher maximum per writer; fixed(N) cannot go
 * below N. */
static void writer_set_max(void) {
    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, 1 << 20);
    sockhelp_writer *w = sockhelp_writer_new(f);
    CHECK(w != NULL);
    CHECK_RC(sockhelp_writer_set_max(w, 8), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue(w, "123456789", 9), SOCKHELP_ETOOBIG);
    CHECK_RC(sockhelp_writer_queue(w, "12345678", 8), SOCKHELP_OK);
    CHECK_EQ_SZ(sockhelp_writer_pending(w), 12);
    static char big[2 << 20];
    CHECK_RC(sockhelp_writer_set_max(w, sizeof big), SOCKHELP_OK); /* above the framing's */
    CHECK_RC(sockhelp_writer_queue(w, big, sizeof big), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_set_max(NULL, 8), SOCKHELP_EINVAL);
    sockhelp_writer_free(w);
    sockhelp_framing_free(f);
    sockhelp_framing *fixed = sockhelp_framing_fixed(4);
    w = sockhelp_writer_new(fixed);
    CHECK(w != NULL);
    CHECK_RC(sockhelp_writer_set_max(w, 3), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_writer_set_max(w, 100), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue(w, "abcd", 4), SOCKHELP_OK);
    sockhelp_reader *r = sockhelp_reader_new(fixed);
    CHECK_RC(sockhelp_reader_set_max(r, 3), SOCKHELP_EINVAL);
    sockhelp_reader_free(r);
    sockhelp_writer_free(w);
    sockhelp_framing_free(fixed);
}

/* A writer limit below one frame: that frame is SOCKHELP_ETOOBIG (no flush could make room),
 * a frame that only needs a flush first SOCKHELP_ENOSPACE. */
static void writer_limit_below_one_frame(void) {
    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, 1 << 20);
    sockhelp_writer *w = sockhelp_writer_new(f);
    CHECK(w != NULL);
    CHECK_RC(sockhelp_writer_set_limit(w, 10), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue(w, "1234567", 7), SOCKHELP_ETOOBIG); /* 11 bytes */
    CHECK_RC(sockhelp_writer_queue_raw(w, "12345678901", 11), SOCKHELP_ETOOBIG);
    sockhelp_slice one = {"1234567", 7};
    size_t queued = 9;
    CHECK_RC(sockhelp_writer_queue_many(w, &one, 1, &queued), SOCKHELP_ETOOBIG);
    CHECK(queued == 0);
    CHECK_EQ_SZ(sockhelp_writer_pending(w), 0);
    CHECK_RC(sockhelp_writer_queue(w, "123456", 6), SOCKHELP_OK); /* 10 bytes */
    CHECK_RC(sockhelp_writer_queue(w, "1", 1), SOCKHELP_ENOSPACE);
    CHECK_RC(sockhelp_writer_queue_raw(w, "1", 1), SOCKHELP_ENOSPACE);
    int sv[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_RC(sockhelp_writer_send(w, sv[0], "1234567", 7), SOCKHELP_ETOOBIG);
    CHECK_RC(sockhelp_writer_flush(w, sv[0], 1000), SOCKHELP_OK);
    CHECK_RC(sockhelp_writer_queue(w, "1", 1), SOCKHELP_OK);
    sockhelp_writer_free(w);
    sockhelp_framing_free(f);
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    watchdog(30);
    expect_raw_resp();
    idle_reader_memory();
    queue_raw_between_frames();
    next_length_resp();
    next_length_http_chunks();
    writer_set_max();
    writer_limit_below_one_frame();
    puts("server_calls: ok");
    return 0;
}

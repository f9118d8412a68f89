/*
 * Every framing format through the C header and the static library:
 * exact wire bytes, both receive paths (recv_frame and feed/next), hostile
 * input, and argument checks. Exits 0 when every check holds; otherwise
 * prints the failed check and exits 1.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockhelp.h"

static int failures;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                             \
        }                                                                           \
    } while (0)

#define CHECK_RC(expr, want)                                                          \
    do {                                                                              \
        int rc_ = (expr);                                                             \
        if (rc_ != (want)) {                                                          \
            fprintf(stderr, "%s:%d: %s returned %d (%s), want %d (%s)\n", __FILE__,   \
                    __LINE__, #expr, rc_, sockhelp_strerror(rc_), (want),             \
                    sockhelp_strerror(want));                                          \
            failures++;                                                               \
        }                                                                             \
    } while (0)

static void pair(int sv[2]) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        perror("socketpair");
        exit(1);
    }
}

/* encode(payload) must be exactly `wire`, and decoding `wire` fed one byte at a time
 * must give back the payload, as must recv_frame over a socket. */
static void roundtrip(const char *name, sockhelp_framing *f, const void *payload, size_t len,
                      const void *wire, size_t wire_len) {
    unsigned char out[256];
    size_t written = 99;
    CHECK(f != NULL);
    if (!f) return;
    /* asking for the size */
    CHECK_RC(sockhelp_frame_encode(f, payload, len, NULL, 0, &written), SOCKHELP_ENOSPACE);
    CHECK(written == wire_len);
    CHECK_RC(sockhelp_frame_encode(f, payload, len, out, sizeof out, &written), SOCKHELP_OK);
    if (written != wire_len || memcmp(out, wire, wire_len) != 0) {
        fprintf(stderr, "%s: wrong wire bytes:", name);
        for (size_t i = 0; i < written; i++) fprintf(stderr, " %02x", out[i]);
        fprintf(stderr, "\n");
        failures++;
    }
    /* sans-IO path, one byte at a time */
    sockhelp_reader *r = sockhelp_reader_new(f);
    const uint8_t *frame = NULL;
    size_t flen = 0;
    for (size_t i = 0; i < wire_len; i++) {
        CHECK_RC(sockhelp_reader_next(r, &frame, &flen), SOCKHELP_EWOULDBLOCK);
        CHECK_RC(sockhelp_reader_feed(r, (const unsigned char *)wire + i, 1), SOCKHELP_OK);
    }
    CHECK_RC(sockhelp_reader_next(r, &frame, &flen), SOCKHELP_OK);
    CHECK(flen == len && (len == 0 || memcmp(frame, payload, len) == 0));
    CHECK_RC(sockhelp_reader_next(r, &frame, &flen), SOCKHELP_EWOULDBLOCK);
    CHECK(frame == NULL && flen == 0);
    sockhelp_reader_free(r);

    /* blocking path over a socket: two frames sent, both received */
    int sv[2];
    pair(sv);
    size_t sent = 0;
    CHECK_RC(sockhelp_send_frame(sv[0], f, payload, len, 1000, &sent), SOCKHELP_OK);
    CHECK(sent == wire_len);
    CHECK_RC(sockhelp_send_frame(sv[0], f, payload, len, 1000, &sent), SOCKHELP_OK);
    r = sockhelp_reader_new(f);
    unsigned char in[256];
    size_t got = 0;
    for (int k = 0; k < 2; k++) {
        CHECK_RC(sockhelp_recv_frame(r, sv[1], in, sizeof in, &got, 1000), SOCKHELP_OK);
        CHECK(got == len && (len == 0 || memcmp(in, payload, len) == 0));
    }
    CHECK_RC(sockhelp_recv_frame(r, sv[1], in, sizeof in, &got, 0), SOCKHELP_EWOULDBLOCK);
    sockhelp_reader_free(r);
    close(sv[0]);
    close(sv[1]);
}

/* Feeding `bytes` must end in `want` (an error code) and never return a frame. */
static void hostile(const char *name, sockhelp_framing *f, const void *bytes, size_t len, int want) {
    int sv[2];
    pair(sv);
    if (write(sv[0], bytes, len) != (ssize_t)len) failures++;
    close(sv[0]);
    sockhelp_reader *r = sockhelp_reader_new(f);
    unsigned char buf[64];
    size_t got = 123;
    int rc = sockhelp_recv_frame(r, sv[1], buf, sizeof buf, &got, 1000);
    if (rc != want) {
        fprintf(stderr, "%s: recv_frame returned %d (%s), want %d\n", name, rc, sockhelp_strerror(rc), want);
        failures++;
    }
    CHECK(got == 0);
    sockhelp_reader_free(r);
    close(sv[1]);
}

int main(void) {
    signal(SIGALRM, SIG_DFL);
    alarm(60); /* watchdog: a hang fails the test */

    /* the SPEC's examples, byte exact */
    sockhelp_framing *u32be = sockhelp_framing_length_prefixed(4, false, 1 << 20);
    roundtrip("u32be", u32be, "hello", 5, "\x00\x00\x00\x05hello", 9);
    sockhelp_framing *ascii5 = sockhelp_framing_ascii_length(5, 99999);
    roundtrip("ascii5", ascii5, "hello", 5, "00005hello", 10);

    sockhelp_framing *f;
    f = sockhelp_framing_fixed(5);
    roundtrip("fixed5", f, "hello", 5, "hello", 5);
    CHECK_RC(sockhelp_frame_encode(f, "hi", 2, NULL, 0, NULL), SOCKHELP_EINVAL);
    sockhelp_framing_free(f);

    f = sockhelp_framing_delimited("\r\n", 2, 100);
    roundtrip("crlf", f, "hello", 5, "hello\r\n", 7);
    roundtrip("crlf-empty", f, "", 0, "\r\n", 2);
    CHECK_RC(sockhelp_frame_encode(f, "a\r\nb", 4, NULL, 0, NULL), SOCKHELP_EINVAL);
    sockhelp_framing_free(f);

    f = sockhelp_framing_delimited("\0", 1, 100);
    roundtrip("nul", f, "hello", 5, "hello\0", 6);
    sockhelp_framing_free(f);

    f = sockhelp_framing_length_prefixed(2, true, 1000);
    roundtrip("u16le", f, "hello", 5, "\x05\x00hello", 7);
    sockhelp_framing_free(f);

    f = sockhelp_framing_length_prefixed(1, false, 1000);
    roundtrip("u8", f, "hello", 5, "\x05hello", 6);
    {
        unsigned char big[300] = {0};
        CHECK_RC(sockhelp_frame_encode(f, big, 256, NULL, 0, NULL), SOCKHELP_ETOOBIG);
    }
    sockhelp_framing_free(f);

    f = sockhelp_framing_length_prefixed(8, false, 1000);
    roundtrip("u64be", f, "hello", 5, "\x00\x00\x00\x00\x00\x00\x00\x05hello", 13);
    roundtrip("u64be-empty", f, "", 0, "\x00\x00\x00\x00\x00\x00\x00\x00", 8);
    sockhelp_framing_free(f);

    f = sockhelp_framing_varint(100000);
    {
        unsigned char p300[300];
        unsigned char w300[302];
        memset(p300, 'v', sizeof p300);
        w300[0] = 0xac;
        w300[1] = 0x02;
        memcpy(w300 + 2, p300, sizeof p300);
        /* too big for roundtrip's 256-byte buffers: encode only */
        unsigned char out[400];
        size_t n = 0;
        CHECK_RC(sockhelp_frame_encode(f, p300, sizeof p300, out, sizeof out, &n), SOCKHELP_OK);
        CHECK(n == sizeof w300 && memcmp(out, w300, n) == 0);
    }
    roundtrip("varint", f, "hello", 5, "\x05hello", 6);
    sockhelp_framing_free(f);

    /* typed: 'P' = type only, 'T' = 4 bytes, 'M' = u16be length header */
    sockhelp_framing *u16 = sockhelp_framing_length_prefixed(2, false, 1000);
    sockhelp_type_entry table[] = {{'P', 0, NULL}, {'T', 4, NULL}, {'M', 0, u16}};
    sockhelp_framing *typed = sockhelp_framing_typed(table, 3, 1000);
    sockhelp_framing_free(u16); /* the typed framing holds its own copy */
    roundtrip("typed-P", typed, "P", 1, "P", 1);
    roundtrip("typed-T", typed, "T1234", 5, "T1234", 5);
    roundtrip("typed-M", typed, "Mabc", 4, "M\x00\x03" "abc", 6);
    CHECK_RC(sockhelp_frame_encode(typed, "X", 1, NULL, 0, NULL), SOCKHELP_EINVAL);

    /* ENOSPACE: the frame stays queued and the size needed is reported */
    {
        int sv[2];
        pair(sv);
        sockhelp_send_frame(sv[0], u32be, "helloworld", 10, 1000, NULL);
        sockhelp_reader *r = sockhelp_reader_new(u32be);
        char small[4], enough[10];
        size_t need = 0;
        CHECK_RC(sockhelp_recv_frame(r, sv[1], small, sizeof small, &need, 1000), SOCKHELP_ENOSPACE);
        CHECK(need == 10);
        CHECK_RC(sockhelp_recv_frame(r, sv[1], enough, sizeof enough, &need, 1000), SOCKHELP_OK);
        CHECK(need == 10 && memcmp(enough, "helloworld", 10) == 0);
        sockhelp_reader_free(r);
        close(sv[0]);
        close(sv[1]);
    }

    /* hostile input */
    hostile("4 GiB prefix", u32be, "\xff\xff\xff\xff" "abc", 7, SOCKHELP_ETOOBIG);
    hostile("non-digit", ascii5, "00a05hello", 10, SOCKHELP_EBADFRAME);
    hostile("unknown type", typed, "Zzzz", 4, SOCKHELP_EBADFRAME);
    hostile("closed mid-header", u32be, "\x00\x00", 2, SOCKHELP_ECLOSED);
    hostile("closed mid-payload", u32be, "\x00\x00\x00\x05hel", 7, SOCKHELP_ECLOSED);
    {
        sockhelp_framing *nl = sockhelp_framing_delimited("\n", 1, 16);
        hostile("no delimiter", nl, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 36, SOCKHELP_ETOOBIG);
        sockhelp_framing_free(nl);
        sockhelp_framing *v = sockhelp_framing_varint(1000);
        hostile("overlong varint", v, "\x80\x00", 2, SOCKHELP_EBADFRAME);
        hostile("varint over max", v, "\xe9\x07", 2, SOCKHELP_ETOOBIG);
        sockhelp_framing_free(v);
    }

    /* constructors refuse nonsense with NULL */
    CHECK(sockhelp_framing_fixed(0) == NULL);
    CHECK(sockhelp_framing_delimited(NULL, 1, 10) == NULL);
    CHECK(sockhelp_framing_delimited("\n", 0, 10) == NULL);
    CHECK(sockhelp_framing_delimited("12345678901234567", 17, 10) == NULL);
    CHECK(sockhelp_framing_length_prefixed(3, false, 10) == NULL);
    CHECK(sockhelp_framing_ascii_length(0, 10) == NULL);
    CHECK(sockhelp_framing_ascii_length(21, 10) == NULL);
    CHECK(sockhelp_framing_typed(NULL, 1, 10) == NULL);
    {
        sockhelp_type_entry dup[] = {{'A', 1, NULL}, {'A', 2, NULL}};
        CHECK(sockhelp_framing_typed(dup, 2, 10) == NULL);
    }
    /* NULL objects and pointers are codes, not crashes */
    sockhelp_framing_free(NULL);
    sockhelp_reader_free(NULL);
    sockhelp_writer_free(NULL);
    CHECK(sockhelp_reader_new(NULL) == NULL);
    CHECK(sockhelp_writer_new(NULL) == NULL);
    CHECK(sockhelp_reader_buffered(NULL) == 0);
    CHECK(sockhelp_writer_pending(NULL) == 0);
    CHECK_RC(sockhelp_frame_encode(NULL, "a", 1, NULL, 0, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_frame_encode(u32be, NULL, 1, NULL, 0, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_send_frame(-1, u32be, "a", 1, 0, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_recv_frame(NULL, 0, NULL, 0, NULL, 0), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_feed(NULL, "a", 1), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_fill(NULL, 0), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_reader_next(NULL, NULL, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_writer_queue(NULL, "a", 1), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_writer_flush(NULL, 0, 0), SOCKHELP_EINVAL);

    /* the writer: many frames queued, flushed, read back in order */
    {
        int sv[2];
        pair(sv);
        sockhelp_writer *w = sockhelp_writer_new(ascii5);
        char msg[32];
        for (int i = 0; i < 1000; i++) {
            int n = snprintf(msg, sizeof msg, "message %d", i);
            CHECK_RC(sockhelp_writer_queue(w, msg, (size_t)n), SOCKHELP_OK);
        }
        CHECK(sockhelp_writer_pending(w) > 0);
        CHECK_RC(sockhelp_writer_flush(w, sv[0], 1000), SOCKHELP_OK);
        CHECK(sockhelp_writer_pending(w) == 0);
        sockhelp_reader *r = sockhelp_reader_new(ascii5);
        char in[64];
        size_t got = 0;
        for (int i = 0; i < 1000; i++) {
            int n = snprintf(msg, sizeof msg, "message %d", i);
            CHECK_RC(sockhelp_recv_frame(r, sv[1], in, sizeof in, &got, 1000), SOCKHELP_OK);
            CHECK(got == (size_t)n && memcmp(in, msg, got) == 0);
        }
        sockhelp_reader_free(r);
        sockhelp_writer_free(w);
        close(sv[0]);
        close(sv[1]);
    }

    sockhelp_framing_free(typed);
    sockhelp_framing_free(u32be);
    sockhelp_framing_free(ascii5);
    if (failures) {
        fprintf(stderr, "framing_formats: %d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}

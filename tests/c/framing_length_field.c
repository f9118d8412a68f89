/*
 * The general length field through the C header: PostgreSQL, MQTT, DNS over TCP, TLS
 * records and ASCII lengths byte for byte, both receive paths (recv_frame over a socket
 * pair, feed/next one byte at a time), hostile values, the refused specs with their code,
 * and the code-returning constructors of the older formats. Exits 0 when every check
 * holds; otherwise names the failed check and exits 1.
 */
#include "testutil.h"

static sockhelp_framing *make(size_t head, unsigned encoding, unsigned width, bool le,
                              int64_t adjustment, size_t max_len)
{
    sockhelp_length_field spec = {head, encoding, width, le, adjustment, max_len};
    sockhelp_framing *f = (sockhelp_framing *)1;
    CHECK_RC(sockhelp_framing_length_field(&spec, &f), SOCKHELP_OK);
    CHECK(f != NULL);
    return f;
}

static void refused(size_t head, unsigned encoding, unsigned width, int64_t adjustment,
                    size_t max_len)
{
    sockhelp_length_field spec = {head, encoding, width, false, adjustment, max_len};
    sockhelp_framing *f = (sockhelp_framing *)1;
    CHECK_RC(sockhelp_framing_length_field(&spec, &f), SOCKHELP_EINVAL);
    CHECK(f == NULL);
}

/* `payload` encodes to exactly `wire`, and `wire` decodes back to it through recv_frame
 * over a socket pair and through feed/next fed one byte at a time. */
static void roundtrip(const sockhelp_framing *f, const void *payload, size_t len,
                      const void *wire, size_t wire_len)
{
    unsigned char out[4096];
    size_t n = 0;
    CHECK_RC(sockhelp_frame_encode(f, payload, len, out, sizeof out, &n), SOCKHELP_OK);
    CHECK(n == wire_len);
    CHECK(memcmp(out, wire, wire_len) == 0);

    int sv[2];
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    sockhelp_reader *r = sockhelp_reader_new(f);
    CHECK(r != NULL);
    size_t sent = 0;
    CHECK_RC(sockhelp_send_frame(sv[0], f, payload, len, 5000, &sent), SOCKHELP_OK);
    CHECK(sent == wire_len);
    size_t got = 0;
    CHECK_RC(sockhelp_recv_frame(r, sv[1], out, sizeof out, &got, 5000), SOCKHELP_OK);
    CHECK(got == len);
    CHECK(memcmp(out, payload, len) == 0);
    sockhelp_reader_free(r);
    close(sv[0]);
    close(sv[1]);

    r = sockhelp_reader_new(f);
    const uint8_t *frame = NULL;
    size_t frame_len = 0;
    for (size_t i = 0; i < wire_len; i++) {
        CHECK_RC(sockhelp_reader_next(r, &frame, &frame_len), SOCKHELP_EWOULDBLOCK);
        CHECK_RC(sockhelp_reader_feed(r, (const unsigned char *)wire + i, 1), SOCKHELP_OK);
    }
    CHECK_RC(sockhelp_reader_next(r, &frame, &frame_len), SOCKHELP_OK);
    CHECK(frame_len == len);
    CHECK(memcmp(frame, payload, len) == 0);
    sockhelp_reader_free(r);
}

/* Fed `bytes` one at a time, the reader fails with `code` at byte `at` (1-based) and not
 * before. */
static void fails_at(const sockhelp_framing *f, const void *bytes, size_t len, size_t at,
                     int code)
{
    sockhelp_reader *r = sockhelp_reader_new(f);
    const uint8_t *frame = NULL;
    size_t frame_len = 0;
    for (size_t i = 0; i < len; i++) {
        CHECK_RC(sockhelp_reader_feed(r, (const unsigned char *)bytes + i, 1), SOCKHELP_OK);
        int rc = sockhelp_reader_next(r, &frame, &frame_len);
        if (i + 1 < at) {
            CHECK_RC(rc, SOCKHELP_EWOULDBLOCK);
        } else {
            CHECK_RC(rc, code);
            break;
        }
    }
    sockhelp_reader_free(r);
}

int main(void)
{
    watchdog(60);
    signal(SIGPIPE, SIG_IGN);

    /* PostgreSQL: a type byte, then an int32 that counts itself. */
    sockhelp_framing *pg = make(1, SOCKHELP_LEN_BINARY, 4, false, -4, 1 << 20);
    roundtrip(pg, "QSELECT 1", 10, "Q\x00\x00\x00\x0dSELECT 1", 14);
    roundtrip(pg, "S", 1, "S\x00\x00\x00\x04", 5);
    unsigned char out[64];
    size_t n = 99;
    CHECK_RC(sockhelp_frame_encode(pg, "", 0, out, sizeof out, &n), SOCKHELP_EINVAL);
    CHECK(n == 0);
    fails_at(pg, "Z\x00\x00\x00\x03", 5, 5, SOCKHELP_EBADFRAME);
    fails_at(pg, "D\x7f\xff\xff\xff", 5, 5, SOCKHELP_ETOOBIG);
    CHECK(sockhelp_framing_max_payload(pg) == 1 << 20);

    /* MQTT: a type byte, then the remaining length as a varint of 1, 2 or 3 bytes. */
    sockhelp_framing *mqtt = make(1, SOCKHELP_LEN_VARINT, 0, false, 0, 1 << 22);
    static unsigned char body[20000], wire[20010];
    memset(body, 'm', sizeof body);
    body[0] = 0x30;
    const size_t lens[3] = {5, 200, 17000};
    const unsigned char fields[3][3] = {{5}, {0xc8, 0x01}, {0xe8, 0x84, 0x01}};
    for (int i = 0; i < 3; i++) {
        size_t flen = (size_t)i + 1;
        wire[0] = 0x30;
        memcpy(wire + 1, fields[i], flen);
        memcpy(wire + 1 + flen, body + 1, lens[i]);
        unsigned char *big = malloc(1 + flen + lens[i]);
        CHECK(big != NULL);
        size_t got = 0;
        CHECK_RC(sockhelp_frame_encode(mqtt, body, 1 + lens[i], big, 1 + flen + lens[i], &got),
                 SOCKHELP_OK);
        CHECK(got == 1 + flen + lens[i]);
        CHECK(memcmp(big, wire, got) == 0);
        free(big);
    }
    roundtrip(mqtt, "\x30hello", 6, "\x30\x05hello", 7);
    fails_at(mqtt, "\x30\x80\x00", 3, 3, SOCKHELP_EBADFRAME);

    /* DNS over TCP and a TLS record: two bytes, big-endian, after 0 or 3 bytes. */
    sockhelp_framing *dns = make(0, SOCKHELP_LEN_BINARY, 2, false, 0, 65535);
    roundtrip(dns, "\x12\x34q", 3, "\x00\x03\x12\x34q", 5);
    sockhelp_framing *tls = make(3, SOCKHELP_LEN_BINARY, 2, false, 0, 3 + 16384);
    roundtrip(tls, "\x17\x03\x03secret", 9, "\x17\x03\x03\x00\x06secret", 11);
    fails_at(tls, "\x17\x03\x03\x40\x01", 5, 5, SOCKHELP_ETOOBIG);

    /* ASCII: decimal after a '$', hex (lowercase on send, either case on receive). */
    sockhelp_framing *bulk = make(1, SOCKHELP_LEN_DECIMAL, 4, false, 0, 10000);
    roundtrip(bulk, "$hello", 6, "$0005hello", 10);
    fails_at(bulk, "$00x5", 5, 4, SOCKHELP_EBADFRAME);
    sockhelp_framing *hex = make(0, SOCKHELP_LEN_HEX, 2, false, 0, 255);
    memset(body, 'h', 0xab);
    wire[0] = 'a';
    wire[1] = 'b';
    memcpy(wire + 2, body, 0xab);
    roundtrip(hex, body, 0xab, wire, 2 + 0xab);
    wire[0] = 'A';
    wire[1] = 'B';
    sockhelp_reader *r = sockhelp_reader_new(hex);
    const uint8_t *frame = NULL;
    size_t frame_len = 0;
    CHECK_RC(sockhelp_reader_feed(r, wire, 2 + 0xab), SOCKHELP_OK);
    CHECK_RC(sockhelp_reader_next(r, &frame, &frame_len), SOCKHELP_OK);
    CHECK(frame_len == 0xab);
    sockhelp_reader_free(r);

    /* A length field as a typed table's header: [type]['Q'][int32 counting itself][body]. */
    sockhelp_type_entry table[] = {{7, 0, pg}, {8, 2, NULL}};
    sockhelp_framing *typed = NULL;
    CHECK_RC(sockhelp_framing_new_typed(table, 2, 100, &typed), SOCKHELP_OK);
    roundtrip(typed, "\x07Qhi", 4, "\x07Q\x00\x00\x00\x06hi", 8);

    /* Specs that cannot work: the code, and *out NULL. */
    refused(0, SOCKHELP_LEN_BINARY, 0, 0, 100);
    refused(0, SOCKHELP_LEN_BINARY, 9, 0, 100);
    refused(0, SOCKHELP_LEN_DECIMAL, 0, 0, 100);
    refused(0, SOCKHELP_LEN_HEX, 21, 0, 100);
    refused(0, 4, 2, 0, 100);                      /* unknown encoding */
    refused(2, SOCKHELP_LEN_BINARY, 2, 0, 1);      /* max_len under the head */
    refused(31, SOCKHELP_LEN_BINARY, 2, 0, 100);   /* head + field over 32 bytes */
    refused(0, SOCKHELP_LEN_BINARY, 1, -256, 100); /* every body negative */
    refused(0, SOCKHELP_LEN_BINARY, 2, 101, 100);  /* every body over the maximum */
    sockhelp_framing *f = (sockhelp_framing *)1;
    CHECK_RC(sockhelp_framing_length_field(NULL, &f), SOCKHELP_EINVAL);
    CHECK(f == NULL);
    sockhelp_length_field ok = {0, SOCKHELP_LEN_VARINT, 0, false, 0, 100};
    CHECK_RC(sockhelp_framing_length_field(&ok, NULL), SOCKHELP_EINVAL);

    /* The older formats' constructors that say why. */
    f = (sockhelp_framing *)1;
    CHECK_RC(sockhelp_framing_new_fixed(0, &f), SOCKHELP_EINVAL);
    CHECK(f == NULL);
    CHECK_RC(sockhelp_framing_new_fixed(4, &f), SOCKHELP_OK);
    roundtrip(f, "abcd", 4, "abcd", 4);
    sockhelp_framing_free(f);
    CHECK_RC(sockhelp_framing_new_delimited(NULL, 1, 10, &f), SOCKHELP_EINVAL);
    CHECK(f == NULL);
    CHECK_RC(sockhelp_framing_new_delimited("", 0, 10, &f), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_framing_new_delimited("0123456789abcdefg", 17, 10, &f), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_framing_new_delimited("\r\n", 2, 10, &f), SOCKHELP_OK);
    roundtrip(f, "hi", 2, "hi\r\n", 4);
    sockhelp_framing_free(f);
    CHECK_RC(sockhelp_framing_new_length_prefixed(3, false, 10, &f), SOCKHELP_EINVAL);
    CHECK(f == NULL);
    CHECK_RC(sockhelp_framing_new_length_prefixed(4, false, 100, &f), SOCKHELP_OK);
    roundtrip(f, "hello", 5, "\x00\x00\x00\x05hello", 9);
    sockhelp_framing_free(f);
    CHECK_RC(sockhelp_framing_new_varint(100, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_framing_new_varint(100, &f), SOCKHELP_OK);
    roundtrip(f, "hi", 2, "\x02hi", 3);
    sockhelp_framing_free(f);
    CHECK_RC(sockhelp_framing_new_ascii_length(0, 10, &f), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_framing_new_ascii_length(21, 10, &f), SOCKHELP_EINVAL);
    CHECK(f == NULL);
    CHECK_RC(sockhelp_framing_new_ascii_length(5, 99999, &f), SOCKHELP_OK);
    roundtrip(f, "hello", 5, "00005hello", 10);
    sockhelp_framing_free(f);
    sockhelp_type_entry dup[] = {{1, 0, NULL}, {1, 2, NULL}};
    CHECK_RC(sockhelp_framing_new_typed(dup, 2, 10, &f), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_framing_new_typed(NULL, 1, 10, &f), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_framing_new_typed(table, 0, 10, &f), SOCKHELP_EINVAL);
    sockhelp_framing *fixed3 = NULL;
    CHECK_RC(sockhelp_framing_new_fixed(3, &fixed3), SOCKHELP_OK);
    sockhelp_type_entry not_length[] = {{1, 0, dns}, {2, 0, fixed3}};
    CHECK_RC(sockhelp_framing_new_typed(not_length, 2, 100, &f), SOCKHELP_EINVAL);
    CHECK(f == NULL);
    /* A general length field whose head does not fit under the table's maximum. */
    sockhelp_type_entry too_small[] = {{1, 0, tls}};
    CHECK_RC(sockhelp_framing_new_typed(too_small, 1, 2, &f), SOCKHELP_EINVAL);
    CHECK(f == NULL);

    sockhelp_framing_free(fixed3);
    sockhelp_framing_free(typed);
    sockhelp_framing_free(hex);
    sockhelp_framing_free(bulk);
    sockhelp_framing_free(tls);
    sockhelp_framing_free(dns);
    sockhelp_framing_free(mqtt);
    sockhelp_framing_free(pg);
    printf("length field: every check passed\n");
    return 0;
}

/*
 * pg_query: the PostgreSQL wire protocol (v3) spoken through sockhelp's framing alone.
 *
 * Lesson: a real protocol's length field is rarely "the first 4 bytes, counting the
 * body". A PostgreSQL message is a type byte, then an int32 length that counts itself
 * (4 bytes) and the body, but not the type byte:
 *
 *     'Q' 00 00 00 0d "SELECT 1\0"            13 = 4 + 9
 *
 * sockhelp_length_field says exactly that: head 1 (one byte comes before the field),
 * 4 bytes big-endian, adjustment -4 (the value counts its own 4 bytes). What this program
 * sends and receives is the type byte followed by the body; sockhelp writes the length on
 * send and strips it on receive, and never believes a length over MAX_MSG.
 *
 * And the framing changes mid-stream:
 *   - the client's first messages (SSLRequest, StartupMessage) have no type byte: head 0;
 *   - the server answers SSLRequest with one bare byte, 'S' or 'N', with no length at all;
 *     typed messages follow. So the reader starts as fixed(1) and is switched to the typed
 *     framing with sockhelp_reader_set_framing; nothing it buffered is lost.
 *
 *   pg_query HOST PORT USER DATABASE [sslmode=require] [--cafile FILE]
 *
 * Asks for TLS. Without sslmode=require it goes on in plain text when refused ('N'); with
 * it, 'S' is the only acceptable answer, and the connection is upgraded in place:
 * sockhelp_tls_client takes the socket and the reader that read the 'S', and refuses
 * (SOCKHELP_EPROTO) when that reader holds any byte past it: bytes a man in the middle put
 * there before the handshake (CVE-2021-23222). The certificate is verified against FILE
 * (else the system's roots) and the host name. Every later message is the same code either
 * way: it goes through a sockhelp_stream, plain or TLS. Then it logs in (trust authentication
 * only: a lesson in framing, not in SCRAM), runs a query of 1000 rows (text with CR LF and
 * '|', NULLs, bytea) and prints every DataRow, runs a query with a syntax error and prints
 * its ErrorResponse, then says goodbye with Terminate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"

#define TIMEOUT_MS 10000
#define MAX_MSG (1u << 20)

static sockhelp_stream *st;     /* the connection after the SSLRequest: plain or TLS */
static sockhelp_reader *r;      /* everything the server sends */
static sockhelp_framing *typed; /* messages after the startup: type byte, length, body */
static uint8_t msg[MAX_MSG];

static int fail(const char *what, int rc) {
    fprintf(stderr, "pg_query: %s: %s\n", what, sockhelp_strerror(rc));
    return 1;
}

/* Prints a value so that every byte is visible: \r, \n, \\, \| and \xHH escapes. */
static void print_escaped(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r') printf("\\r");
        else if (p[i] == '\n') printf("\\n");
        else if (p[i] == '\\' || p[i] == '|') printf("\\%c", p[i]);
        else if (p[i] < 0x20 || p[i] >= 0x7f) printf("\\x%02x", p[i]);
        else putchar(p[i]);
    }
}

/* An unsigned integer field *inside* a message (a column count, a column's length). Where a
 * message ends is sockhelp's job; what the message says is the protocol's content, ours. */
static size_t content_uint(const uint8_t *p, int bytes) {
    size_t v = 0;
    for (int i = 0; i < bytes; i++) v = (v << 8) | p[i]; /* big-endian */
    return v;
}

/* DataRow 'D': an int16 column count, then per column an int32 length (-1: NULL) and the
 * value's bytes (text format). Printed as "row: v1|v2|...". */
static int print_row(const uint8_t *p, size_t len) {
    size_t at = 2, columns = len >= 2 ? content_uint(p, 2) : 0;
    printf("row: ");
    for (size_t c = 0; c < columns; c++) {
        if (len - at < 4) return fail("DataRow", SOCKHELP_EBADFRAME);
        if (c > 0) putchar('|');
        if (memcmp(p + at, "\xff\xff\xff\xff", 4) == 0) { /* -1: NULL, no bytes */
            printf("NULL");
            at += 4;
            continue;
        }
        size_t n = content_uint(p + at, 4);
        at += 4;
        if (n > len - at) return fail("DataRow", SOCKHELP_EBADFRAME);
        print_escaped(p + at, n);
        at += n;
    }
    putchar('\n');
    return 0;
}

/* ErrorResponse 'E': fields, each a code byte and a C string, then a final 0 byte. The body
 * is itself a stream of "\0"-delimited frames: a sans-IO reader splits it (feed, next). */
static int print_error(const uint8_t *body, size_t len) {
    sockhelp_framing *nul = sockhelp_framing_delimited("", 1, MAX_MSG); /* "" is one 0 byte */
    sockhelp_reader *fields = sockhelp_reader_new(nul);
    const uint8_t *f;
    size_t n;
    int rc = fields ? sockhelp_reader_feed(fields, body, len) : SOCKHELP_ENOMEM;
    while (rc == SOCKHELP_OK && (rc = sockhelp_reader_next(fields, &f, &n)) == SOCKHELP_OK && n > 0)
        printf("error field %c: %.*s\n", f[0], (int)(n - 1), (const char *)f + 1);
    sockhelp_reader_free(fields);
    sockhelp_framing_free(nul);
    return rc == SOCKHELP_OK ? 0 : fail("ErrorResponse", rc);
}

/* Receives and prints messages up to ReadyForQuery ('Z'). Returns 0, or 1 on failure. */
static int until_ready(void) {
    for (;;) {
        size_t len = 0;
        int rc = sockhelp_stream_recv_frame(r, st, msg, sizeof msg, &len, TIMEOUT_MS);
        if (rc != SOCKHELP_OK) return fail("receiving a message", rc);
        const uint8_t *body = msg + 1; /* msg[0] is the type; the length is gone */
        size_t body_len = len - 1;
        if (body_len == 0 && (msg[0] == 'C' || msg[0] == 'Z')) return fail("message", SOCKHELP_EBADFRAME);
        switch (msg[0]) {
        case 'R': /* Authentication: an int32 code, 0 = OK */
            if (body_len != 4 || memcmp(body, "\0\0\0\0", 4) != 0) {
                fprintf(stderr, "pg_query: the server asks for a password (trust only)\n");
                return 1;
            }
            printf("authentication: ok\n");
            break;
        case 'D':
            if (print_row(body, body_len)) return 1;
            break;
        case 'C': /* CommandComplete: the command tag, a C string */
            printf("complete: %.*s\n", (int)(body_len - 1), (const char *)body);
            break;
        case 'E':
            if (print_error(body, body_len)) return 1;
            break;
        case 'Z': /* ReadyForQuery: the transaction status, 'I' = idle */
            printf("ready: %c\n", body[0]);
            return 0;
        default: /* ParameterStatus, BackendKeyData, RowDescription, notices: not needed */
            break;
        }
    }
}

/* A simple query: 'Q', the SQL, a terminating 0. One frame; sockhelp adds the length. */
static int query(const char *sql) {
    size_t n = strlen(sql);
    if (n + 2 > sizeof msg) return fail("query", SOCKHELP_ETOOBIG);
    msg[0] = 'Q';
    memcpy(msg + 1, sql, n + 1);
    printf("query: %s\n", sql);
    int rc = sockhelp_stream_send_frame(st, typed, msg, n + 2, TIMEOUT_MS, NULL);
    return rc != SOCKHELP_OK ? fail("sending a query", rc) : until_ready();
}

int main(int argc, char **argv) {
    int require_tls = 0;
    const char *cafile = NULL;
    for (int i = 5; i < argc; i++) {
        if (strcmp(argv[i], "sslmode=require") == 0) require_tls = 1;
        else if (strcmp(argv[i], "--cafile") == 0 && i + 1 < argc) cafile = argv[++i];
        else argc = 0; /* usage */
    }
    if (argc < 5) {
        fprintf(stderr, "usage: %s HOST PORT USER DATABASE [sslmode=require] [--cafile FILE]\n", argv[0]);
        return 2;
    }
    sockhelp_socket s;
    int rc = sockhelp_init();
    if (rc != SOCKHELP_OK) return fail("init", rc);
    rc = sockhelp_connect(argv[1], (uint16_t)atoi(argv[2]), TIMEOUT_MS, &s);
    if (rc != SOCKHELP_OK) return fail("connect", rc);

    /* The two framings, written as the protocol documentation states them. */
    sockhelp_length_field untyped_spec = {0, SOCKHELP_LEN_BINARY, 4, false, -4, MAX_MSG};
    sockhelp_length_field typed_spec = {1, SOCKHELP_LEN_BINARY, 4, false, -4, MAX_MSG};
    sockhelp_framing *untyped = NULL, *one_byte = sockhelp_framing_fixed(1);
    if ((rc = sockhelp_framing_length_field(&untyped_spec, &untyped)) != SOCKHELP_OK ||
        (rc = sockhelp_framing_length_field(&typed_spec, &typed)) != SOCKHELP_OK)
        return fail("framing", rc);
    r = sockhelp_reader_new(one_byte);
    if (!one_byte || !r) return fail("reader", SOCKHELP_ENOMEM);

    /* 1. SSLRequest: the request code 80877103 (1234 and 5679 as two int16). The answer is
     *    one byte: 'S' (go TLS) or 'N' (plain text). */
    static const uint8_t ssl_request[] = {0x04, 0xd2, 0x16, 0x2f};
    rc = sockhelp_send_frame(s, untyped, ssl_request, sizeof ssl_request, TIMEOUT_MS, NULL);
    if (rc == SOCKHELP_OK) rc = sockhelp_recv_frame(r, s, msg, 1, NULL, TIMEOUT_MS);
    if (rc != SOCKHELP_OK) return fail("SSLRequest", rc);
    printf("tls: %c\n", msg[0]);
    if (msg[0] != (require_tls ? 'S' : 'N')) return 1;
    if (require_tls) {
        /* The upgrade: the same socket, the reader that read 'S' (it must hold nothing
         *  more), the host name to verify. On success the stream owns the socket. */
        sockhelp_tls_config *cfg = NULL;
        rc = sockhelp_tls_config_client(&cfg);
        if (rc == SOCKHELP_OK && cafile) rc = sockhelp_tls_config_add_ca_file(cfg, cafile);
        if (rc == SOCKHELP_OK) rc = sockhelp_tls_client(cfg, s, argv[1], r, TIMEOUT_MS, &st);
        sockhelp_tls_config_free(cfg);
        if (rc != SOCKHELP_OK) {
            char why[512] = "";
            size_t needed = 0;
            if (sockhelp_stream_error_detail(NULL, why, sizeof why, &needed) != SOCKHELP_OK) why[0] = 0;
            fprintf(stderr, "pg_query: TLS upgrade: %s%s%s\n", sockhelp_strerror(rc), why[0] ? ": " : "", why);
            return 1;
        }
        char info[256];
        size_t needed = 0;
        if (sockhelp_stream_info(st, info, sizeof info, &needed) == SOCKHELP_OK) printf("tls: %s\n", info);
    } else if ((rc = sockhelp_stream_plain(s, &st)) != SOCKHELP_OK) {
        return fail("stream", rc);
    }

    /* From here on the server sends typed messages only: same reader, new framing. */
    rc = sockhelp_reader_set_framing(r, typed);
    if (rc != SOCKHELP_OK) return fail("set_framing", rc);

    /* 2. StartupMessage (no type byte): protocol 3.0, name/value C strings, an empty name. */
    size_t n = 0;
    const char *params[] = {"user", argv[3], "database", argv[4], ""};
    memcpy(msg, "\0\3\0\0", 4); /* 3.0: major 3, minor 0, as two int16 */
    n = 4;
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        size_t len = strlen(params[i]) + 1;
        if (n + len > sizeof msg) return fail("startup", SOCKHELP_ETOOBIG);
        memcpy(msg + n, params[i], len);
        n += len;
    }
    rc = sockhelp_stream_send_frame(st, untyped, msg, n, TIMEOUT_MS, NULL);
    if (rc != SOCKHELP_OK) return fail("StartupMessage", rc);
    if (until_ready()) return 1;

    /* 3. A query of 1000 rows: several frames arrive in one recv, or one frame across many;
     *    the reader hands out whole DataRows either way. */
    if (query("SELECT g AS n, 'row ' || g AS label,"
              " CASE WHEN g % 3 = 0 THEN NULL ELSE E'a\\r\\nb|' || g END AS crlf,"
              " decode('00ff0d0a44' || lpad(to_hex(g), 4, '0'), 'hex') AS bytes"
              " FROM generate_series(1, 1000) AS g"))
        return 1;

    /* 4. A bad query: the server answers ErrorResponse, then ReadyForQuery as usual. */
    if (query("SELEC 1")) return 1;

    /* 5. Terminate: 'X' and no body; sockhelp writes the length 4. */
    rc = sockhelp_stream_send_frame(st, typed, "X", 1, TIMEOUT_MS, NULL);
    if (rc != SOCKHELP_OK) return fail("Terminate", rc);
    printf("terminated\n");

    sockhelp_stream_close(st, 1000); /* close_notify when TLS, then the graceful close */
    sockhelp_reader_free(r);
    sockhelp_framing_free(one_byte);
    sockhelp_framing_free(untyped);
    sockhelp_framing_free(typed);
    sockhelp_cleanup();
    return 0;
}

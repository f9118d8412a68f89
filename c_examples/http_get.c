/*
 * http_get: HTTP/1.1 GETs on one keep-alive connection, each body saved to a file.
 *
 * Lesson: the framing of an HTTP response changes as you read it. The header is lines that
 * end with an empty line (CR LF CR LF). Then the body is either exactly Content-Length raw
 * bytes, or chunked: a hex size on a line, that many raw bytes, CR LF, again, until a size
 * of 0, trailer lines and an empty line. And the next response follows on the same stream.
 *
 * One sockhelp reader, three tools:
 *   - framing "\r\n\r\n": one recv_frame is the whole header block (at most MAX_HEADER
 *     bytes: a server that sends more gets SOCKHELP_ETOOBIG, not your memory);
 *   - sockhelp_reader_recvall: exactly N raw body bytes, the ones the reader already holds
 *     first (the recv that brought the header usually brought the start of the body);
 *   - sockhelp_reader_set_framing: "\r\n" for the chunk-size lines, then back to
 *     "\r\n\r\n" for the next response's header. Buffered bytes carry over.
 * Reading the number in "Content-Length: 70000" or in a chunk size is this program's job.
 *
 *   http_get HOST PORT PATH FILE [PATH FILE]...
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"

#define TIMEOUT_MS 10000
#define MAX_HEADER 16384
#define PIECE 65536

static sockhelp_socket s;
static sockhelp_reader *r;
static sockhelp_framing *header_end, *crlf; /* "\r\n\r\n" and "\r\n" */
static char header[MAX_HEADER + 1], line[MAX_HEADER + 1];
static uint8_t piece[PIECE];

static int fail(const char *what, int rc) {
    fprintf(stderr, "http_get: %s: %s\n", what, sockhelp_strerror(rc));
    return 1;
}

/* Copies exactly n body bytes from the reader to the file, a piece at a time (the body is
 * never held whole in memory, whatever size the server announced). */
static int copy_body(unsigned long long n, FILE *out) {
    while (n > 0) {
        size_t want = n < PIECE ? (size_t)n : PIECE;
        int rc = sockhelp_reader_recvall(r, s, piece, want, TIMEOUT_MS, NULL);
        if (rc != SOCKHELP_OK) return fail("reading the body", rc);
        if (fwrite(piece, 1, want, out) != want) return fail("writing the file", SOCKHELP_EOS);
        n -= want;
    }
    return 0;
}

/* Does the header line start with "name:" (any case)? Then *value is what follows it. */
static int header_is(const char *l, const char *name, const char **value) {
    size_t n = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)l[i]) != name[i]) return 0;
    if (l[n] != ':') return 0;
    for (*value = l + n + 1; **value == ' ' || **value == '\t'; (*value)++) {}
    return 1;
}

/* A number as text (decimal or hex), all of it, or up to a ';' (chunk extensions). */
static int parse_number(const char *text, int base, unsigned long long *out) {
    char *end;
    if (!isxdigit((unsigned char)text[0])) return -1;
    *out = strtoull(text, &end, base);
    return *end == '\0' || *end == ';' || *end == ' ' ? 0 : -1;
}

/* The chunked body: size line, bytes, CR LF ... 0, trailer lines, empty line. */
static int copy_chunked(FILE *out, int *chunks) {
    int rc = sockhelp_reader_set_framing(r, crlf);
    size_t len;
    unsigned long long size;
    for (*chunks = 0; rc == SOCKHELP_OK; (*chunks)++) {
        rc = sockhelp_recv_frame(r, s, line, MAX_HEADER, &len, TIMEOUT_MS);
        if (rc != SOCKHELP_OK) break;
        line[len] = '\0';
        if (parse_number(line, 16, &size)) return fail("chunk size", SOCKHELP_EBADFRAME);
        if (size == 0) break;
        if (copy_body(size, out)) return 1;
        rc = sockhelp_reader_recvall(r, s, piece, 2, TIMEOUT_MS, NULL); /* the chunk's CR LF */
        if (rc == SOCKHELP_OK && memcmp(piece, "\r\n", 2) != 0) rc = SOCKHELP_EBADFRAME;
    }
    /* Trailer lines, if any, up to the empty line that ends the response. */
    while (rc == SOCKHELP_OK && (rc = sockhelp_recv_frame(r, s, line, MAX_HEADER, &len,
                                                          TIMEOUT_MS)) == SOCKHELP_OK && len > 0) {}
    if (rc == SOCKHELP_OK) rc = sockhelp_reader_set_framing(r, header_end);
    return rc == SOCKHELP_OK ? 0 : fail("chunked body", rc);
}

/* One GET: the request, the header block, its lines, the body into `file`. */
static int get(const char *host, const char *port, const char *path, const char *file) {
    char request[1024];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: sockhelp-http_get\r\n\r\n",
                     path, host, port);
    if (n < 0 || (size_t)n >= sizeof request) return fail("request", SOCKHELP_ETOOBIG);
    int rc = sockhelp_sendall(s, request, (size_t)n, TIMEOUT_MS, NULL);
    size_t len = 0;
    if (rc == SOCKHELP_OK) rc = sockhelp_recv_frame(r, s, header, MAX_HEADER, &len, TIMEOUT_MS);
    if (rc != SOCKHELP_OK) return fail("response header", rc);

    /* The header block's lines: a sans-IO "\r\n" reader fed the block. The delimiter took
     * the last line's CR LF with it, so one CR LF more ends the last line. */
    sockhelp_reader *lines = sockhelp_reader_new(crlf);
    if (!lines) return fail("reader", SOCKHELP_ENOMEM);
    rc = sockhelp_reader_feed(lines, header, len);
    if (rc == SOCKHELP_OK) rc = sockhelp_reader_feed(lines, "\r\n", 2);
    const uint8_t *l;
    const char *value;
    int status = 0, chunked = 0, have_length = 0;
    unsigned long long length = 0;
    while (rc == SOCKHELP_OK && sockhelp_reader_next(lines, &l, &len) == SOCKHELP_OK) {
        memcpy(line, l, len);
        line[len] = '\0';
        if (status == 0) {
            if (strncmp(line, "HTTP/1.", 7) != 0 || strlen(line) < 12) rc = SOCKHELP_EBADFRAME;
            else status = atoi(line + 9);
        } else if (header_is(line, "content-length", &value)) {
            have_length = 1;
            if (parse_number(value, 10, &length)) rc = SOCKHELP_EBADFRAME;
        } else if (header_is(line, "transfer-encoding", &value)) {
            chunked = strcmp(value, "chunked") == 0;
        }
    }
    sockhelp_reader_free(lines);
    if (rc != SOCKHELP_OK) return fail("response header lines", rc);

    FILE *out = fopen(file, "wb");
    if (!out) return fail(file, SOCKHELP_EOS);
    int chunks = 0;
    if (chunked) {
        rc = copy_chunked(out, &chunks);
    } else if (have_length) {
        rc = copy_body(length, out);
    } else {
        fprintf(stderr, "http_get: no Content-Length and not chunked: body ends at close\n");
        rc = 1;
    }
    long size = ftell(out);
    if (fclose(out) != 0) rc = 1;
    if (rc) return 1;
    if (chunked) printf("GET %s: %d, chunked (%d chunks), %ld bytes -> %s\n", path, status, chunks, size, file);
    else printf("GET %s: %d, Content-Length %llu, %ld bytes -> %s\n", path, status, length, size, file);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5 || argc % 2 == 0) {
        fprintf(stderr, "usage: %s HOST PORT PATH FILE [PATH FILE]...\n", argv[0]);
        return 2;
    }
    int rc = sockhelp_init();
    if (rc != SOCKHELP_OK) return fail("init", rc);
    rc = sockhelp_connect(argv[1], (uint16_t)atoi(argv[2]), TIMEOUT_MS, &s);
    if (rc != SOCKHELP_OK) return fail("connect", rc);
    header_end = sockhelp_framing_delimited("\r\n\r\n", 4, MAX_HEADER);
    crlf = sockhelp_framing_delimited("\r\n", 2, MAX_HEADER);
    r = header_end ? sockhelp_reader_new(header_end) : NULL;
    if (!header_end || !crlf || !r) return fail("reader", SOCKHELP_ENOMEM);

    int requests = 0;
    for (int i = 3; i + 1 < argc; i += 2, requests++)
        if (get(argv[1], argv[2], argv[i], argv[i + 1])) return 1;
    printf("%d responses on one connection\n", requests);

    sockhelp_close_graceful(s, 1000);
    sockhelp_reader_free(r);
    sockhelp_framing_free(header_end);
    sockhelp_framing_free(crlf);
    sockhelp_cleanup();
    return 0;
}

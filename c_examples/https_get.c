/*
 * https_get: one HTTPS GET through sockhelp, the server's certificate verified.
 *
 * Lesson: with TLS, "the peer closed" has two meanings, and only one is the end of the
 * data. A TLS peer that is done sends close_notify; a connection that just stops (a cut
 * cable, a man in the middle sending a FIN) did not finish. sockhelp tells them apart:
 * SOCKHELP_ECLOSED for close_notify, SOCKHELP_ETRUNCATED for a cut. A body that ends at
 * the close (Connection: close, no Content-Length, as HTTP/1.0 servers send) is only
 * complete on ECLOSED; a truncated download is never mistaken for a whole one.
 *
 * And security by default: sockhelp_tls_connect resolves, connects, handshakes and checks
 * the certificate (chain against the CA file, dates, and HOST: a DNS name or an IP
 * address, sent as SNI) under one deadline. A bad certificate is SOCKHELP_ECERT, with the
 * reason readable. There is no way to skip the check short of a call named "dangerous".
 *
 *   https_get HOST PORT PATH FILE [--cafile CA] [--cert CERT --key KEY]
 *
 * Sends "GET PATH" with Connection: close, reads the header block (one frame, "\r\n\r\n"),
 * then the body to FILE until the server's close_notify; checks it against Content-Length
 * when the server sent one. --cert / --key present a client certificate.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"
#include "stream_connect.h"

#define TIMEOUT_MS 10000
#define MAX_HEADER 16384
#define PIECE 65536

static char header[MAX_HEADER + 1];
static uint8_t piece[PIECE];

static int fail(const char *what, int rc) {
    fprintf(stderr, "https_get: %s: %s\n", what, sockhelp_strerror(rc));
    return 1;
}

/* The value of "Content-Length:" in the header block (any case), or -1 when absent. */
static long long content_length(const char *h) {
    static const char name[] = "\ncontent-length:";
    for (const char *p = h; *p; p++) {
        size_t i = 0;
        while (name[i] && tolower((unsigned char)p[i]) == name[i]) i++;
        if (!name[i]) return strtoll(p + i, NULL, 10);
    }
    return -1;
}

int main(int argc, char **argv) {
    const char *cafile = NULL, *cert = NULL, *key = NULL;
    for (int i = 5; i < argc; i++) {
        if (strcmp(argv[i], "--cafile") == 0 && i + 1 < argc) cafile = argv[++i];
        else if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc) cert = argv[++i];
        else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) key = argv[++i];
        else argc = 0; /* usage */
    }
    if (argc < 5) {
        fprintf(stderr, "usage: %s HOST PORT PATH FILE [--cafile CA] [--cert CERT --key KEY]\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *path = argv[3], *file = argv[4];
    int rc = sockhelp_init();
    if (rc != SOCKHELP_OK) return fail("init", rc);
    if (!sockhelp_has_tls()) {
        fprintf(stderr, "https_get: this sockhelp was built without TLS (cargo feature tls)\n");
        return 1;
    }
    sockhelp_stream *st;
    if (stream_connect("https_get", host, (uint16_t)atoi(argv[2]), 1, cafile, cert, key, TIMEOUT_MS, &st))
        return 1;

    char request[1024];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: sockhelp-https_get\r\n"
                     "Connection: close\r\n\r\n",
                     path, host, argv[2]);
    if (n < 0 || (size_t)n >= sizeof request) return fail("request", SOCKHELP_ETOOBIG);
    rc = sockhelp_stream_sendall(st, request, (size_t)n, TIMEOUT_MS, NULL);
    if (rc != SOCKHELP_OK) return stream_fail("https_get", "sending the request", rc, st);

    /* The header block: one frame. Whatever of the body came with it stays in the reader. */
    sockhelp_framing *header_end = sockhelp_framing_delimited("\r\n\r\n", 4, MAX_HEADER);
    sockhelp_reader *r = header_end ? sockhelp_reader_new(header_end) : NULL;
    if (!r) return fail("reader", SOCKHELP_ENOMEM);
    size_t len = 0;
    rc = sockhelp_stream_recv_frame(r, st, header, MAX_HEADER, &len, TIMEOUT_MS);
    if (rc != SOCKHELP_OK) return stream_fail("https_get", "response header", rc, st);
    header[len] = '\0';
    if (strncmp(header, "HTTP/1.", 7) != 0 || len < 12) return fail("status line", SOCKHELP_EBADFRAME);
    int status = atoi(header + 9);
    long long expected = content_length(header);

    /* The body: leftovers first, then the stream, until the peer's close_notify. */
    FILE *out = fopen(file, "wb");
    if (!out) return fail(file, SOCKHELP_EOS);
    unsigned long long total = 0;
    for (;;) {
        size_t got = 0;
        rc = sockhelp_stream_reader_recvall(r, st, piece, PIECE, TIMEOUT_MS, &got);
        if (got > 0 && fwrite(piece, 1, got, out) != got) rc = SOCKHELP_EOS;
        total += got;
        if (rc != SOCKHELP_OK) break;
    }
    if (fclose(out) != 0) return fail(file, SOCKHELP_EOS);
    if (rc == SOCKHELP_ETRUNCATED) {
        fprintf(stderr, "https_get: the body was cut after %llu bytes (no close_notify): incomplete\n", total);
        return 1;
    }
    if (rc != SOCKHELP_ECLOSED) return stream_fail("https_get", "reading the body", rc, st);
    if (expected >= 0 && (unsigned long long)expected != total) {
        fprintf(stderr, "https_get: Content-Length %lld but %llu bytes\n", expected, total);
        return 1;
    }
    printf("GET %s: %d, %llu bytes, ended by close_notify -> %s\n", path, status, total, file);

    sockhelp_stream_free(st); /* the peer closed already: nothing to say goodbye to */
    sockhelp_reader_free(r);
    sockhelp_framing_free(header_end);
    sockhelp_cleanup();
    return 0;
}

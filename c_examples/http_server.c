/*
 * http_server: an HTTP/1.1 server on one thread, on sockhelp's poller (the loop is
 * event_server.h's: a reader and a bounded writer per client, idle timeouts).
 *
 * Keep-alive (HTTP/1.1 by default, HTTP/1.0 with `Connection: keep-alive`), pipelining,
 * `Connection: close`, 400 for garbage (then the connection closes). Resources:
 *   GET|HEAD /small   15 bytes, "Hello, sockhelp"
 *   GET|HEAD /big     65,536 bytes
 *   POST /echo        the request's body (Content-Length)
 * anything else is 404 (405 for another method on a known path).
 *
 * Framing, all by the library: the reader frames a header block by its "\r\n\r\n"; after a
 * header block with `Content-Length: N`, sockhelp_reader_expect_raw(r, N) makes the body
 * one raw frame. What this file parses is what the block says: the request line and the
 * Connection / Content-Length / Transfer-Encoding headers. Replies: the response head is a
 * frame of a "\r\n\r\n" writer (the writer adds the blank line), the body raw bytes
 * (sockhelp_writer_queue_raw; a big one with sockhelp_writer_send_raw: head and body in one
 * gathered write, the body never copied unless the socket leaves part of it).
 *
 *   http_server [--port P] [--idle-ms MS]
 * prints "listening on PORT" and serves on 127.0.0.1 until SIGINT or SIGTERM.
 */
#include "event_server.h"

#define MAX_HEAD 8192        /* the largest header block; more is a 431 */
#define MAX_BODY (1u << 20)  /* the largest request body; more is a 413 */
#define BIG_LEN 65536
#define BIG_DIRECT 16384     /* bodies this big are sent from their own memory when they can */

static const char SMALL[] = "Hello, sockhelp"; /* 15 bytes */
static unsigned char big[BIG_LEN];

struct client {
    struct srv_conn conn;
    int in_body;     /* the next frame is a body: 1 of a POST /echo, 2 of another request */
    int keep_alive;  /* for the response to that body */
};

static int eqi(const char *a, size_t n, const char *lower) { /* a[0..n] == lower, any case */
    if (strlen(lower) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
        if (ch != lower[i]) return 0;
    }
    return 1;
}

/* Queues a response: its head (a frame: the writer adds "\r\n\r\n") and `len` body bytes
 * (none for HEAD: `send_body` 0). */
static int respond(struct srv_conn *c, const char *status, const void *body, size_t len, int send_body,
                   int keep_alive, int http10) {
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %s\r\nServer: sockhelp\r\nContent-Type: text/plain\r\nContent-Length: %zu%s", status,
                     len, !keep_alive ? "\r\nConnection: close" : http10 ? "\r\nConnection: keep-alive" : "");
    if (sockhelp_writer_queue(c->w, head, (size_t)n) != SOCKHELP_OK) return -1;
    if (send_body && len > 0 && len < BIG_DIRECT) {
        if (sockhelp_writer_queue_raw(c->w, body, len) != SOCKHELP_OK) return -1;
    } else if (send_body && len > 0) { /* a big body: head and body in one gathered write, from `body` itself;
                                           * only what the socket leaves is copied into the writer */
        if (sockhelp_writer_send_raw(c->w, c->s, body, len) != SOCKHELP_OK) return -1;
    }
    if (!keep_alive) c->closing = 1;
    return 0;
}

static int bad_request(struct srv_conn *c, const char *status) {
    return respond(c, status, "", 0, 0, 0, 0);
}

static int on_frame(struct srv_conn *c, const uint8_t *f, size_t len) {
    struct client *k = (struct client *)c;
    if (k->in_body) {
        int echo = k->in_body == 1;
        k->in_body = 0;
        return echo ? respond(c, "200 OK", f, len, 1, k->keep_alive, 0) : 0; /* 2: answered already */
    }
    const char *p = (const char *)f, *end = p + len;
    if (len > MAX_HEAD) return bad_request(c, "431 Request Header Fields Too Large");
    /* The request line: METHOD SP TARGET SP HTTP/1.x */
    const char *sp1 = memchr(p, ' ', len);
    const char *eol = memchr(p, '\r', len);
    if (!eol) eol = end;
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || sp1 == p || sp2 == sp1 + 1 || eol - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
        (sp2[8] != '0' && sp2[8] != '1'))
        return bad_request(c, "400 Bad Request");
    int http10 = sp2[8] == '0';
    int keep_alive = !http10;
    long long body = 0;
    /* Headers: Name ":" value, one per CRLF line. */
    for (const char *h = eol; h < end;) {
        if (end - h < 2 || h[0] != '\r' || h[1] != '\n') return bad_request(c, "400 Bad Request");
        h += 2;
        const char *e = memchr(h, '\r', (size_t)(end - h));
        if (!e) e = end;
        const char *colon = memchr(h, ':', (size_t)(e - h));
        if (!colon || colon == h) return bad_request(c, "400 Bad Request");
        const char *v = colon + 1, *ve = e;
        while (v < ve && (*v == ' ' || *v == '\t')) v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
        size_t nlen = (size_t)(colon - h), vlen = (size_t)(ve - v);
        if (eqi(h, nlen, "connection")) {
            if (eqi(v, vlen, "close")) keep_alive = 0;
            else if (eqi(v, vlen, "keep-alive")) keep_alive = 1;
        } else if (eqi(h, nlen, "content-length")) {
            body = 0;
            if (vlen == 0 || vlen > 10) return bad_request(c, "400 Bad Request");
            for (size_t i = 0; i < vlen; i++) {
                if (v[i] < '0' || v[i] > '9') return bad_request(c, "400 Bad Request");
                body = body * 10 + (v[i] - '0');
            }
        } else if (eqi(h, nlen, "transfer-encoding")) {
            return bad_request(c, "501 Not Implemented"); /* no chunked request bodies here */
        }
        h = e;
    }
    if (body > (long long)MAX_BODY) return bad_request(c, "413 Content Too Large");
    const char *target = sp1 + 1;
    size_t tlen = (size_t)(sp2 - target), mlen = (size_t)(sp1 - p);
    int get = mlen == 3 && memcmp(p, "GET", 3) == 0, head = mlen == 4 && memcmp(p, "HEAD", 4) == 0;
    int post = mlen == 4 && memcmp(p, "POST", 4) == 0;
    if (body > 0) { /* the body comes next, as one raw frame */
        if (sockhelp_reader_expect_raw(c->r, (size_t)body) != SOCKHELP_OK) return -1;
        if (post && tlen == 5 && memcmp(target, "/echo", 5) == 0) {
            k->in_body = 1;
            k->keep_alive = keep_alive;
            return 0;
        }
        k->in_body = 2; /* a body nobody asked for: answer now, read past it */
    }
    int small = tlen == 6 && memcmp(target, "/small", 6) == 0, large = tlen == 4 && memcmp(target, "/big", 4) == 0;
    if (post && tlen == 5 && memcmp(target, "/echo", 5) == 0) return respond(c, "200 OK", "", 0, 1, keep_alive, http10);
    if (!small && !large) return respond(c, "404 Not Found", "", 0, 0, keep_alive, http10);
    if (!get && !head) return respond(c, "405 Method Not Allowed", "", 0, 0, keep_alive, http10);
    return small ? respond(c, "200 OK", SMALL, sizeof SMALL - 1, get, keep_alive, http10)
                 : respond(c, "200 OK", big, sizeof big, get, keep_alive, http10);
}

int main(int argc, char **argv) {
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)('a' + i % 26);
    /* The reader's maximum is the larger of a header block and a body (expect_raw is bounded
     * by it); the header block's own bound is checked above. */
    sockhelp_framing *in = sockhelp_framing_delimited("\r\n\r\n", 4, MAX_BODY);
    sockhelp_framing *out = sockhelp_framing_delimited("\r\n\r\n", 4, MAX_HEAD);
    struct srv_proto pr = {"http_server", in, out, sizeof(struct client), MAX_BODY + MAX_HEAD, on_frame, NULL,
                           NULL, NULL};
    int status = srv_main(&pr, argc, argv);
    sockhelp_framing_free(in);
    sockhelp_framing_free(out);
    return status;
}

/*
 * tls_echo_server: a TLS line-echo server for many clients in one thread, on the poller.
 *
 * Lesson: TLS inside an event loop, without a single blocking call. Three rules:
 *
 *   1. The handshake is non-blocking: sockhelp_tls_server with timeout 0 answers
 *      SOCKHELP_EWOULDBLOCK and hands back the stream in progress; sockhelp_stream_wants
 *      says what to wait for (the handshake may need to write as well as read), and
 *      sockhelp_stream_handshake(st, 0) goes on when the poller says so.
 *   2. Wait on what the stream wants, not on what you want: a TLS session may need the
 *      socket writable to go on reading (and readable to go on writing).
 *   3. Readiness cannot show bytes TLS has already decrypted. sockhelp_stream_fill takes
 *      every decrypted byte the session holds into the reader, so after a fill nothing is
 *      hidden inside the session. And whenever a handshake completes (in
 *      sockhelp_stream_handshake or already in sockhelp_tls_server, which can finish it at
 *      once when the client was quick), serve at once without waiting: the client's first
 *      data may have come with its Finished message, already decrypted, and no readable
 *      event will announce it.
 *
 *   tls_echo_server CERT KEY [--clients N]
 *
 * Listens on 127.0.0.1 (prints "listening on PORT"), sends every line back ("\n"-delimited
 * frames, at most 64 KiB), and after N clients have come and gone (default: forever)
 * prints "served N clients, L lines" and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"

#define MAX_CONNS 1024
#define MAX_LINE 65536
#define LISTENER UINT64_MAX

struct conn {
    sockhelp_stream *st; /* NULL: the slot is free */
    sockhelp_reader *r;
    sockhelp_writer *w;
    int handshaking;
    int unflushed; /* the last flush left bytes (in the writer or in the session's records) */
};

static struct conn conns[MAX_CONNS];
static sockhelp_framing *lines;
static sockhelp_poller *p;
static long served, echoed;

static void conn_close(struct conn *c, int graceful) {
    sockhelp_poller_remove(p, sockhelp_stream_socket(c->st));
    if (graceful) sockhelp_stream_close(c->st, 0); /* close_notify if the socket takes it now */
    else sockhelp_stream_free(c->st);
    sockhelp_reader_free(c->r);
    sockhelp_writer_free(c->w);
    memset(c, 0, sizeof *c);
    served++;
}

/* Waits for what the stream wants (while handshaking), or for input plus, when replies
 * are queued, for room to send them. */
static int watch(struct conn *c, uint64_t tag) {
    uint32_t interest = c->handshaking ? sockhelp_stream_wants(c->st) : SOCKHELP_READABLE;
    if (!c->handshaking && c->unflushed)
        interest |= SOCKHELP_WRITABLE;
    if (interest == 0) interest = SOCKHELP_READABLE;
    return sockhelp_poller_modify(p, sockhelp_stream_socket(c->st), interest, tag);
}

/* Takes every decrypted byte, echoes every whole line, sends what the socket takes now.
 * Returns 0 to keep the connection, 1 when it is over (closed, truncated, broken). */
static int serve(struct conn *c) {
    int rc, over;
    do { /* again while the session still holds plaintext (a reader at its memory bound) */
        rc = sockhelp_stream_fill(c->r, c->st);
        over = rc != SOCKHELP_OK && rc != SOCKHELP_EWOULDBLOCK;
        const uint8_t *line;
        size_t len;
        int next;
        while ((next = sockhelp_reader_next(c->r, &line, &len)) == SOCKHELP_OK) {
            if (sockhelp_writer_queue(c->w, line, len) != SOCKHELP_OK) return 1;
            echoed++;
        }
        if (next != SOCKHELP_EWOULDBLOCK && next != SOCKHELP_ECLOSED) return 1; /* a bad frame */
    } while (rc == SOCKHELP_OK && sockhelp_stream_buffered(c->st) > 0);
    rc = sockhelp_stream_flush(c->w, c->st, 0);
    c->unflushed = rc == SOCKHELP_EWOULDBLOCK || rc == SOCKHELP_ETIMEDOUT;
    if (rc != SOCKHELP_OK && !c->unflushed) return 1;
    return over;
}

static void accept_all(sockhelp_socket listener, const sockhelp_tls_config *cfg) {
    for (;;) {
        sockhelp_socket s;
        if (sockhelp_accept(listener, 0, &s) != SOCKHELP_OK) return; /* none left (EWOULDBLOCK) */
        size_t i = 0;
        while (i < MAX_CONNS && conns[i].st) i++;
        if (i == MAX_CONNS || sockhelp_set_nonblocking(s, true) != SOCKHELP_OK) {
            sockhelp_close(s);
            continue;
        }
        struct conn *c = &conns[i];
        int rc = sockhelp_tls_server(cfg, s, 0, &c->st); /* starts the handshake, never waits */
        if (rc != SOCKHELP_OK && rc != SOCKHELP_EWOULDBLOCK) {
            fprintf(stderr, "tls_echo_server: handshake: %s\n", sockhelp_strerror(rc));
            if (c->st) sockhelp_stream_free(c->st);
            else sockhelp_close(s);
            c->st = NULL;
            served++;
            continue;
        }
        c->handshaking = rc == SOCKHELP_EWOULDBLOCK;
        c->r = sockhelp_reader_new(lines);
        c->w = sockhelp_writer_new(lines);
        if (!c->r || !c->w || sockhelp_poller_add(p, s, SOCKHELP_READABLE, i) != SOCKHELP_OK) {
            conn_close(c, 0);
            continue;
        }
        /* Handshake already complete: the client's first line may be decrypted already
         * (rule 3), so serve now rather than wait for a readable event that will not come. */
        if (!c->handshaking && serve(c)) conn_close(c, 1);
        else if (watch(c, i) != SOCKHELP_OK) conn_close(c, 0);
    }
}

int main(int argc, char **argv) {
    long clients = -1;
    if (argc == 5 && strcmp(argv[3], "--clients") == 0) clients = atol(argv[4]);
    else if (argc != 3) {
        fprintf(stderr, "usage: %s CERT KEY [--clients N]\n", argv[0]);
        return 2;
    }
    if (sockhelp_init() != SOCKHELP_OK) return 1;
    sockhelp_tls_config *cfg = NULL;
    int rc = sockhelp_tls_config_server(argv[1], argv[2], &cfg);
    if (rc != SOCKHELP_OK) {
        fprintf(stderr, "tls_echo_server: %s / %s: %s\n", argv[1], argv[2], sockhelp_strerror(rc));
        return 1;
    }
    sockhelp_socket listener;
    uint16_t port = 0;
    rc = sockhelp_listen("127.0.0.1", 0, 128, &listener);
    if (rc == SOCKHELP_OK) rc = sockhelp_set_nonblocking(listener, true);
    if (rc == SOCKHELP_OK) rc = sockhelp_local_port(listener, &port);
    lines = sockhelp_framing_delimited("\n", 1, MAX_LINE);
    p = sockhelp_poller_new();
    if (rc != SOCKHELP_OK || !lines || !p ||
        sockhelp_poller_add(p, listener, SOCKHELP_READABLE, LISTENER) != SOCKHELP_OK) {
        fprintf(stderr, "tls_echo_server: listen: %s\n", sockhelp_strerror(rc));
        return 1;
    }
    printf("listening on %u\n", port);
    fflush(stdout);

    sockhelp_event events[64];
    while (clients < 0 || served < clients) {
        size_t n = 0;
        rc = sockhelp_poller_wait(p, events, 64, -1);
        if (rc < 0) {
            fprintf(stderr, "tls_echo_server: wait: %s\n", sockhelp_strerror(rc));
            return 1;
        }
        n = (size_t)rc;
        for (size_t e = 0; e < n; e++) {
            uint64_t tag = events[e].tag;
            if (tag == LISTENER) {
                accept_all(listener, cfg);
                continue;
            }
            struct conn *c = &conns[tag];
            if (!c->st) continue;
            if (c->handshaking) {
                rc = sockhelp_stream_handshake(c->st, 0);
                if (rc == SOCKHELP_EWOULDBLOCK) {
                    if (watch(c, tag) != SOCKHELP_OK) conn_close(c, 0);
                    continue;
                }
                if (rc != SOCKHELP_OK) { /* a refused client, a bad certificate, garbage */
                    conn_close(c, 0);
                    continue;
                }
                c->handshaking = 0; /* and read at once: data may have come with Finished */
            }
            if (serve(c)) conn_close(c, 1);
            else if (watch(c, tag) != SOCKHELP_OK) conn_close(c, 0);
        }
    }
    printf("served %ld clients, %ld lines\n", served, echoed);
    sockhelp_poller_free(p);
    sockhelp_close(listener);
    sockhelp_framing_free(lines);
    sockhelp_tls_config_free(cfg);
    sockhelp_cleanup();
    return 0;
}

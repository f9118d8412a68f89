/*
 * load_client: N connections, M framed round trips on each, every reply checked.
 *
 * Single-threaded and inside-out like the server: all connections are
 * non-blocking and driven by one sockhelp_poller. Each connection sends a
 * request, waits for its reply, checks it (the request's bytes reversed: a
 * lost, duplicated, reordered or corrupted message cannot pass), and sends the
 * next, M times. Requests carry the connection number and sequence number and
 * vary in length (8 to 300 bytes).
 *
 * With --mixed (for select_server --mixed), connection i speaks framing i % 5
 * (u32 big-endian, u16 little-endian, varint, 5 ASCII digits, 0-delimited) and
 * requests have random sizes from 8 bytes to 64 KiB. With --resets PCT, that
 * percentage of connections resets (SO_LINGER 0, then close) at a random point
 * instead of finishing; the others must still get every reply right.
 *
 *   load_client [--mixed] [--resets PCT] PORT N M    exits 0 when all replies were right
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"
#include "portable.h"

#define MAX_FRAME 65536
#if !defined(_WIN32)
#include <sys/socket.h>
#endif
#define DEADLINE_MS 600000.0

struct client {
    sockhelp_socket s;
    sockhelp_reader *r;
    sockhelp_writer *w;
    unsigned id;
    unsigned seq;  /* the request in flight */
    unsigned reset_at; /* --resets: reset instead of sending request number reset_at */
    int done;
};

static int mixed;

/* A deterministic pseudo-random number from (id, seq, salt). */
static unsigned mix(unsigned id, unsigned seq, unsigned salt) {
    unsigned long long x = ((unsigned long long)id << 32 | seq) * 0x9E3779B97F4A7C15ull + salt;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 32;
    return (unsigned)x;
}

static size_t make_request(unsigned id, unsigned seq, unsigned char *out) {
    size_t len = mixed ? 8 + mix(id, seq, 1) % (MAX_FRAME - 8) : 8 + (id * 131u + seq * 37u) % 293u;
    out[0] = (unsigned char)(id >> 24); out[1] = (unsigned char)(id >> 16);
    out[2] = (unsigned char)(id >> 8);  out[3] = (unsigned char)id;
    out[4] = (unsigned char)(seq >> 24); out[5] = (unsigned char)(seq >> 16);
    out[6] = (unsigned char)(seq >> 8);  out[7] = (unsigned char)seq;
    for (size_t i = 8; i < len; i++) out[i] = (unsigned char)(id * 7u + seq * 13u + i);
    if (mixed) /* the 0-delimited format: no 0 byte in a payload */
        for (size_t i = 0; i < len; i++) if (out[i] == 0) out[i] = 0x5a;
    return len;
}

/* Resets the connection: the peer gets ECONNRESET, not an orderly close. */
static void reset_connection(sockhelp_socket s) {
#if !defined(_WIN32)
    struct linger lg;
    lg.l_onoff = 1;
    lg.l_linger = 0;
    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
#endif
    sockhelp_close(s);
}

int main(int argc, char **argv) {
    unsigned reset_pct = 0;
    int a = 1;
    for (; a < argc && argv[a][0] == '-'; a++) {
        if (strcmp(argv[a], "--mixed") == 0) mixed = 1;
        else if (strcmp(argv[a], "--resets") == 0 && a + 1 < argc) reset_pct = (unsigned)atoi(argv[++a]);
        else break;
    }
    if (argc - a != 3) {
        fprintf(stderr, "usage: %s [--mixed] [--resets PCT] PORT CONNECTIONS ROUND_TRIPS\n", argv[0]);
        return 2;
    }
    uint16_t port = (uint16_t)atoi(argv[a]);
    unsigned n = (unsigned)atoi(argv[a + 1]), m = (unsigned)atoi(argv[a + 2]);
    sockhelp_framing *formats[5];
    formats[0] = sockhelp_framing_length_prefixed(4, false, MAX_FRAME);
    formats[1] = sockhelp_framing_length_prefixed(2, true, 65535);
    formats[2] = sockhelp_framing_varint(MAX_FRAME);
    formats[3] = sockhelp_framing_ascii_length(5, 99999);
    formats[4] = sockhelp_framing_delimited("", 1, MAX_FRAME);
    raise_fd_limit();
    if (sockhelp_init() != SOCKHELP_OK) return 1;
    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, MAX_FRAME);
    sockhelp_poller *p = sockhelp_poller_new();
    struct client *cs = calloc(n, sizeof *cs);
    sockhelp_event *events = calloc(n, sizeof *events);
    if (!f || !p || !cs || !events) return 1;
    unsigned char req[MAX_FRAME];
    for (unsigned i = 0; i < n; i++) {
        int rc = sockhelp_connect("127.0.0.1", port, 10000, &cs[i].s);
        if (rc != SOCKHELP_OK) {
            fprintf(stderr, "connection %u: connect: %s (os error %d)\n", i, sockhelp_strerror(rc),
                    sockhelp_last_os_error());
            return 1;
        }
        if (mixed) { /* the first byte chooses the framing */
            unsigned char choice = (unsigned char)(i % 5);
            if (sockhelp_sendall(cs[i].s, &choice, 1, 10000, NULL) != SOCKHELP_OK) return 1;
        }
        sockhelp_set_nonblocking(cs[i].s, true);
        cs[i].r = sockhelp_reader_new(mixed ? formats[i % 5] : f);
        cs[i].w = sockhelp_writer_new(mixed ? formats[i % 5] : f);
        cs[i].id = i;
        cs[i].reset_at = reset_pct && mix(i, 0, 7) % 100 < reset_pct ? mix(i, 0, 9) % (m ? m : 1) : m + 1;
        size_t len = make_request(i, 0, req);
        if (sockhelp_writer_queue(cs[i].w, req, len) != SOCKHELP_OK) return 1;
        if (sockhelp_poller_add(p, cs[i].s, SOCKHELP_READABLE | SOCKHELP_WRITABLE, i) != SOCKHELP_OK) {
            fprintf(stderr, "poller_add failed\n");
            return 1;
        }
    }
    unsigned finished = 0, resets = 0;
    unsigned long long replies = 0;
    double start = now_ms();
    while (finished < n) {
        if (now_ms() - start > DEADLINE_MS) {
            fprintf(stderr, "deadline passed with %u of %u connections done\n", finished, n);
            return 1;
        }
        int k = sockhelp_poller_wait(p, events, n, 1000);
        if (k < 0) {
            fprintf(stderr, "poller_wait: %s\n", sockhelp_strerror(k));
            return 1;
        }
        for (int e = 0; e < k; e++) {
            struct client *c = &cs[events[e].tag];
            if (c->done) continue;
            int rc = sockhelp_writer_flush(c->w, c->s, 0);
            if (rc != SOCKHELP_OK && rc != SOCKHELP_EWOULDBLOCK) {
                fprintf(stderr, "connection %u: flush: %s\n", c->id, sockhelp_strerror(rc));
                return 1;
            }
            if (events[e].events & (SOCKHELP_READABLE | SOCKHELP_HANGUP | SOCKHELP_ERROR)) {
                rc = sockhelp_reader_fill(c->r, c->s);
                if (rc != SOCKHELP_OK && rc != SOCKHELP_EWOULDBLOCK) {
                    fprintf(stderr, "connection %u: at request %u: %s\n", c->id, c->seq, sockhelp_strerror(rc));
                    return 1;
                }
            }
            const uint8_t *reply;
            size_t len;
            while ((rc = sockhelp_reader_next(c->r, &reply, &len)) == SOCKHELP_OK) {
                size_t want_len = make_request(c->id, c->seq, req);
                int ok = len == want_len;
                for (size_t i = 0; ok && i < len; i++) ok = reply[i] == req[len - 1 - i];
                if (!ok) {
                    fprintf(stderr, "connection %u: reply %u is wrong (lost, duplicated, reordered or corrupted)\n",
                            c->id, c->seq);
                    return 1;
                }
                replies++;
                if (++c->seq == c->reset_at) {
                    c->done = 1;
                    finished++;
                    resets++;
                    sockhelp_poller_remove(p, c->s);
                    if (c->seq % 2) { /* half of them with a request half sent */
                        size_t next = make_request(c->id, c->seq, req);
                        sockhelp_sendall(c->s, req, next / 2, 0, NULL);
                    }
                    reset_connection(c->s);
                    break;
                }
                if (c->seq == m) {
                    c->done = 1;
                    finished++;
                    sockhelp_poller_remove(p, c->s);
                    sockhelp_close(c->s);
                    break;
                }
                size_t next = make_request(c->id, c->seq, req);
                if (sockhelp_writer_queue(c->w, req, next) != SOCKHELP_OK) return 1;
                rc = sockhelp_writer_flush(c->w, c->s, 0);
                if (rc != SOCKHELP_OK && rc != SOCKHELP_EWOULDBLOCK) return 1;
            }
            if (!c->done && rc != SOCKHELP_EWOULDBLOCK && rc != SOCKHELP_OK) {
                fprintf(stderr, "connection %u: next: %s\n", c->id, sockhelp_strerror(rc));
                return 1;
            }
            if (!c->done) {
                uint32_t interest = SOCKHELP_READABLE | (sockhelp_writer_pending(c->w) ? SOCKHELP_WRITABLE : 0);
                sockhelp_poller_modify(p, c->s, interest, c->id);
            }
        }
    }
    double secs = (now_ms() - start) / 1000.0;
    printf("load_client: %u connections x %u round trips: %llu replies, all correct, %.2f s (%.0f round trips/s)\n",
           n, m, replies, secs, secs > 0 ? (double)replies / secs : 0.0);
    if (reset_pct) printf("load_client: %u connections reset on purpose\n", resets);
    for (unsigned i = 0; i < n; i++) {
        sockhelp_reader_free(cs[i].r);
        sockhelp_writer_free(cs[i].w);
    }
    free(cs);
    free(events);
    sockhelp_poller_free(p);
    sockhelp_framing_free(f);
    for (int i = 0; i < 5; i++) sockhelp_framing_free(formats[i]);
    sockhelp_cleanup();
    return 0;
}

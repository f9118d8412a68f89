/* The event loop kv_server and http_server share (not part of sockhelp): one thread, one
 * sockhelp_poller, a reader and a bounded writer per connection, idle timeouts.
 *
 * A server gives a struct srv_proto: the framings of its reader and writer, the size of its
 * connection struct (which starts with a struct srv_conn), and on_frame, called once per
 * frame the reader delivers, in order. on_frame queues replies on c->w and returns 0, or -1
 * to close the connection at once; setting c->closing closes it once its replies are sent.
 * A server whose protocol announces lengths in lines (RESP's `*3` and `$5`) gives
 * length_line too: the length line it expects next (NULL: a frame), which the library
 * frames and reads (sockhelp_reader_next_length, which also arms the body as the next raw
 * frame); on_length gets its number. A line that is not such a length line goes to
 * on_frame as a frame of the reader's framing.
 *
 * Flow control: a connection whose writer holds SRV_BACKLOG bytes or more is not read and
 * its buffered frames wait, until the socket takes the replies; the writer's hard limit
 * (sockhelp_writer_set_limit) is the backlog plus the largest reply, so a client that never
 * reads costs at most that.
 *
 * Memory at rest: a reader gives its buffer back at an idle point (a fill that finds nothing
 * while nothing is buffered), and a writer whose queue drains gives its memory back. The busy
 * path never asks for an idle point (that would cost a recv per request); a connection quiet
 * for SRV_QUIET_MS gets one fill when its poller deadline passes instead, so an idle
 * connection holds only its socket, its srv_conn and the two small library objects. A
 * reader's first buffer is SRV_READER_FIRST bytes (sockhelp_reader_set_idle), which a small
 * request fits, grown by the library when a bigger one or a pipeline comes: the 4 KiB
 * default, freed at the idle point, left 4 KiB holes between the small objects that stay
 * allocated, which malloc cannot give back to the system.
 *
 * Timers: each connection has one deadline in the poller (sockhelp_poller_set_deadline), the
 * nearer of "quiet for SRV_QUIET_MS" (not yet trimmed) and "quiet for idle_ms" (the idle
 * timeout: a client that sent half a request and vanished, a slowloris). The busy path sets
 * no deadline per request: when one passes early (bytes came meanwhile), it is set again
 * for what is left, so a busy connection costs one deadline per SRV_QUIET_MS. */
#ifndef SOCKHELP_EXAMPLES_EVENT_SERVER_H
#define SOCKHELP_EXAMPLES_EVENT_SERVER_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"
#include "portable.h"

#define SRV_BACKLOG (256u * 1024u) /* stop reading a connection with this much unsent */
#define SRV_QUIET_MS 1000.0        /* quiet this long: a deadline gives its memory back */
#ifndef SRV_READER_FIRST
#define SRV_READER_FIRST 512u /* a reader's first buffer: a small request fits it */
#endif

struct srv_conn {
    sockhelp_socket s;
    sockhelp_reader *r;
    sockhelp_writer *w;
    double last;       /* when bytes last arrived (srv_now then) */
    size_t slot;       /* index in srv_all */
    unsigned interest; /* what the poller watches now */
    unsigned char eof, closing, trimmed;
};

struct srv_proto {
    const char *name;
    const sockhelp_framing *in, *out;
    size_t conn_size;   /* sizeof the server's struct, which starts with a struct srv_conn */
    size_t max_reply;   /* the largest reply one frame can queue */
    int (*on_frame)(struct srv_conn *c, const uint8_t *frame, size_t len);
    void (*on_close)(struct srv_conn *c); /* frees the server's own state; may be NULL */
    /* The length line c expects next, or NULL for a frame; NULL for a server without any. */
    const sockhelp_length_line *(*length_line)(struct srv_conn *c);
    int (*on_length)(struct srv_conn *c, uint64_t value); /* its number: 0, or -1 to close */
};

static struct srv_conn **srv_all;
static size_t srv_n, srv_cap;
static double srv_now; /* the clock, read once after each wait */
static int srv_idle_ms;
static volatile sig_atomic_t srv_stop;
static sockhelp_poller *volatile srv_poller;

static void srv_on_signal(int sig) {
    (void)sig;
    srv_stop = 1;
    if (srv_poller) sockhelp_poller_wake(srv_poller);
}

static void srv_close(const struct srv_proto *pr, struct srv_conn *c) {
    sockhelp_poller_remove(srv_poller, c->s);
    sockhelp_close(c->s);
    sockhelp_reader_free(c->r);
    sockhelp_writer_free(c->w);
    if (pr->on_close) pr->on_close(c);
    srv_all[c->slot] = srv_all[--srv_n];
    srv_all[c->slot]->slot = c->slot;
    free(c);
}

static int srv_add(const struct srv_proto *pr, sockhelp_socket s) {
    if (srv_n == srv_cap) {
        size_t cap = srv_cap ? srv_cap * 2 : 256;
        struct srv_conn **a = realloc(srv_all, cap * sizeof *a);
        if (!a) return -1;
        srv_all = a;
        srv_cap = cap;
    }
    struct srv_conn *c = calloc(1, pr->conn_size);
    if (!c) return -1;
    c->s = s;
    c->r = sockhelp_reader_new(pr->in);
    c->w = sockhelp_writer_new(pr->out);
    c->last = srv_now;
    c->interest = SOCKHELP_READABLE;
    if (!c->r || !c->w || sockhelp_reader_set_idle(c->r, SRV_READER_FIRST, 0) != SOCKHELP_OK ||
        sockhelp_writer_set_limit(c->w, SRV_BACKLOG + pr->max_reply) != SOCKHELP_OK ||
        sockhelp_poller_add(srv_poller, s, c->interest, (uint64_t)(uintptr_t)c) != SOCKHELP_OK) {
        sockhelp_reader_free(c->r);
        sockhelp_writer_free(c->w);
        free(c);
        return -1;
    }
    double first = srv_idle_ms > 0 && srv_idle_ms < SRV_QUIET_MS ? srv_idle_ms : SRV_QUIET_MS;
    if (sockhelp_poller_set_deadline(srv_poller, s, (int64_t)first) != SOCKHELP_OK) {
        sockhelp_poller_remove(srv_poller, s);
        sockhelp_reader_free(c->r);
        sockhelp_writer_free(c->w);
        free(c);
        return -1;
    }
    c->slot = srv_n;
    srv_all[srv_n++] = c;
    return 0;
}

/* Reads once (when readable), hands every buffered frame to on_frame while the writer has
 * room, sends what the socket takes, and watches what the connection needs next.
 * Returns 0 to keep the connection, -1 to close it. */
static int srv_serve(const struct srv_proto *pr, struct srv_conn *c, int readable) {
    if (readable && !c->eof && !c->closing) {
        int rc = sockhelp_reader_fill(c->r, c->s);
        if (rc == SOCKHELP_OK) {
            c->last = srv_now;
            if (c->trimmed) { /* busy again: its deadline is the idle timeout's; trim it later */
                c->trimmed = 0;
                if (sockhelp_poller_set_deadline(srv_poller, c->s, (int64_t)SRV_QUIET_MS) != SOCKHELP_OK) return -1;
            }
        } else if (rc == SOCKHELP_ECLOSED) {
            c->eof = 1;
        } else if (rc != SOCKHELP_EWOULDBLOCK) {
            return -1;
        }
    }
    while (!c->closing && sockhelp_writer_pending(c->w) < SRV_BACKLOG) {
        const sockhelp_length_line *spec = pr->length_line ? pr->length_line(c) : NULL;
        if (spec) {
            uint64_t value;
            int rc = sockhelp_reader_next_length(c->r, spec, &value);
            if (rc == SOCKHELP_OK) {
                if (pr->on_length(c, value) != 0) return -1;
                continue;
            }
            if (rc == SOCKHELP_EWOULDBLOCK || rc == SOCKHELP_ECLOSED) break;
            if (rc != SOCKHELP_EBADFRAME && rc != SOCKHELP_ETOOBIG) return -1;
            /* not that length line: it stays the next frame, for on_frame */
        }
        const uint8_t *frame;
        size_t len;
        int rc = sockhelp_reader_next(c->r, &frame, &len);
        if (rc == SOCKHELP_EWOULDBLOCK || rc == SOCKHELP_ECLOSED) break;
        if (rc != SOCKHELP_OK) return -1; /* ETOOBIG / EBADFRAME: on_frame saw nothing to answer */
        if (pr->on_frame(c, frame, len) != 0) return -1;
    }
    int rc = sockhelp_writer_flush(c->w, c->s, 0);
    if (rc != SOCKHELP_OK && rc != SOCKHELP_EWOULDBLOCK) return -1;
    size_t pending = sockhelp_writer_pending(c->w);
    if ((c->eof || c->closing) && pending == 0) return -1; /* said all it will say */
    unsigned want = (pending ? SOCKHELP_WRITABLE : 0u) |
                    (!c->eof && !c->closing && pending < SRV_BACKLOG ? SOCKHELP_READABLE : 0u);
    if (want != c->interest) {
        if (sockhelp_poller_modify(srv_poller, c->s, want, (uint64_t)(uintptr_t)c) != SOCKHELP_OK) return -1;
        c->interest = want;
    }
    return 0;
}

/* Accepts every connection waiting now: non-blocking, no delay, close-on-exec. */
static void srv_accept_all(const struct srv_proto *pr, sockhelp_socket listener) {
    for (;;) {
        sockhelp_socket s;
        int rc = sockhelp_accept_ex(listener, SOCKHELP_ACCEPT_NONBLOCK | SOCKHELP_ACCEPT_NODELAY | SOCKHELP_ACCEPT_CLOEXEC,
                                    0, &s, NULL, 0);
        if (rc == SOCKHELP_EWOULDBLOCK) return;
        if (rc != SOCKHELP_OK) { /* EMFILE and the like: the next wait tries again */
            fprintf(stderr, "%s: accept: %s (os error %d)\n", pr->name, sockhelp_strerror(rc),
                    sockhelp_last_os_error());
            return;
        }
        if (srv_add(pr, s) != 0) sockhelp_close(s);
    }
}

/* c's deadline passed: closes it after idle_ms quiet, gives it an idle point after
 * SRV_QUIET_MS quiet, and sets the deadline again for the nearer of the two still due.
 * Returns 0 to keep the connection, -1 to close it. */
static int srv_timer(const struct srv_proto *pr, struct srv_conn *c) {
    double quiet = srv_now - c->last;
    if (srv_idle_ms > 0 && quiet >= srv_idle_ms) return -1;
    if (!c->trimmed && quiet >= SRV_QUIET_MS && (c->interest & SOCKHELP_READABLE)) {
        c->trimmed = 1;
        if (srv_serve(pr, c, 1) != 0) return -1;
        quiet = srv_now - c->last; /* 0 if bytes came after all */
    }
    double wait = -1; /* none */
    if (!c->trimmed) wait = quiet < SRV_QUIET_MS ? SRV_QUIET_MS - quiet : SRV_QUIET_MS;
    if (srv_idle_ms > 0 && (wait < 0 || srv_idle_ms - quiet < wait)) wait = srv_idle_ms - quiet;
    return sockhelp_poller_set_deadline(srv_poller, c->s, wait < 0 ? -1 : (int64_t)wait + 1) == SOCKHELP_OK ? 0 : -1;
}

/* argv: [--port P] [--idle-ms MS] (0: no timeout). Prints "listening on PORT", serves until
 * SIGINT or SIGTERM. Returns the process's exit status. */
static int srv_main(const struct srv_proto *pr, int argc, char **argv) {
    unsigned port = 0;
    srv_idle_ms = 300000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--idle-ms") == 0 && i + 1 < argc) srv_idle_ms = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--port P] [--idle-ms MS]\n", pr->name);
            return 2;
        }
    }
    if (!pr->in || !pr->out || (pr->length_line && !pr->on_length) || sockhelp_init() != SOCKHELP_OK) return 1;
    raise_fd_limit();
    sockhelp_socket listener;
    int rc = sockhelp_listen("127.0.0.1", (uint16_t)port, 0, &listener);
    uint16_t bound = 0;
    if (rc == SOCKHELP_OK) rc = sockhelp_local_port(listener, &bound);
    if (rc == SOCKHELP_OK) rc = sockhelp_set_nonblocking(listener, true);
    srv_poller = sockhelp_poller_new();
    srv_now = now_ms();
    if (rc != SOCKHELP_OK || !srv_poller ||
        sockhelp_poller_add(srv_poller, listener, SOCKHELP_READABLE, 0) != SOCKHELP_OK) {
        fprintf(stderr, "%s: cannot listen: %s\n", pr->name, sockhelp_strerror(rc));
        return 1;
    }
    signal(SIGINT, srv_on_signal);
    signal(SIGTERM, srv_on_signal);
    printf("listening on %u\n", (unsigned)bound);
    fflush(stdout);

    enum { CAP = 512 };
    static sockhelp_event ev[CAP];
    while (!srv_stop) {
        int n = sockhelp_poller_wait(srv_poller, ev, CAP, -1); /* returns by the nearest deadline */
        if (n < 0) {
            fprintf(stderr, "%s: poller_wait: %s\n", pr->name, sockhelp_strerror(n));
            return 1;
        }
        srv_now = now_ms();
        for (int i = 0; i < n; i++) {
            if (ev[i].tag == 0) {
                srv_accept_all(pr, listener);
                continue;
            }
            struct srv_conn *c = (struct srv_conn *)(uintptr_t)ev[i].tag;
            uint32_t e = ev[i].events;
            int readable = (e & (SOCKHELP_READABLE | SOCKHELP_HANGUP | SOCKHELP_ERROR)) != 0;
            if ((readable || (e & SOCKHELP_WRITABLE)) && srv_serve(pr, c, readable) != 0) srv_close(pr, c);
            else if ((e & SOCKHELP_TIMEDOUT_EVENT) && srv_timer(pr, c) != 0) srv_close(pr, c);
        }
    }
    fprintf(stderr, "%s: stopping with %zu connections\n", pr->name, srv_n);
    while (srv_n > 0) srv_close(pr, srv_all[srv_n - 1]);
    free(srv_all);
    sockhelp_poller_free(srv_poller);
    sockhelp_close(listener);
    sockhelp_cleanup();
    return 0;
}

#endif

/*
 * select_server: the HOWTO's "inside-out" non-blocking server.
 *
 * One thread, every socket non-blocking, one loop built around a readiness
 * wait: sockhelp_select (Python's select.select, no FD_SETSIZE limit) or,
 * with --poller, the sockhelp_poller (epoll/kqueue; for thousands of
 * sockets). Each connection has a sockhelp_reader (fill + next: whole frames
 * out of whatever the socket gives) and a sockhelp_writer (queue + flush: as
 * much as the socket takes). A connection whose writer backs up is not read
 * from until it drains, so a client that never reads cannot grow our memory:
 * the writer's own limit (sockhelp_writer_set_limit) makes that a guarantee,
 * and the reader's memory grows only with the bytes a client really sent.
 *
 * Who connected: sockhelp_accept_addr gives each client's address, printed
 * when its connection ends. Ctrl-C (SIGINT) stops the server cleanly: the
 * handler sets a flag and wakes the poller (sockhelp_poller_wake is
 * async-signal-safe), so even a wait without a timeout returns at once.
 *
 * Protocol: 4-byte big-endian length-prefixed frames; the reply to a request
 * is the request's bytes in reverse order. With --mixed, each connection first
 * sends one byte choosing its framing (see FORMATS below) and then speaks it.
 *
 *   select_server [--poller] [--mixed] [--port P] [--conns N]
 * prints "listening on PORT", serves, and exits after N connections have come
 * and gone (N = 0: until SIGINT). Exits 1 if nothing happens for 60 s.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"
#include "portable.h"

#define MAX_FRAME (1u << 20)
#define BACKLOG_LIMIT (256u * 1024u) /* stop reading a connection with this much unsent */
/* The writer's hard limit: room for one more maximal reply past the backlog mark, so a
 * reply is never refused while we follow the pattern (stop reading, flush, read again). */
#define WRITER_LIMIT (BACKLOG_LIMIT + MAX_FRAME + 64u)
#define IDLE_EXIT_MS 60000

struct conn {
    sockhelp_socket s;
    char addr[SOCKHELP_ADDR_MAX]; /* "127.0.0.1:54321": who connected */
    long long frames;
    sockhelp_reader *r;
    sockhelp_writer *w;
    int open;
    int eof; /* the peer closed its side: answer what is buffered, then close */
};

static sockhelp_framing *framing;

/* --mixed: the framing a connection asks for with its first byte. Payloads of the
 * delimited format never contain 0 (the load client keeps to that). */
enum { N_FORMATS = 5 };
static sockhelp_framing *formats[N_FORMATS];
static int mixed;

static void make_formats(void) {
    formats[0] = sockhelp_framing_length_prefixed(4, false, MAX_FRAME);
    formats[1] = sockhelp_framing_length_prefixed(2, true, 65535);
    formats[2] = sockhelp_framing_varint(MAX_FRAME);
    formats[3] = sockhelp_framing_ascii_length(5, 99999);
    formats[4] = sockhelp_framing_delimited("", 1, MAX_FRAME); /* a single 0 byte */
}
static struct conn *conns;
static size_t n_conns, cap_conns;
static long long frames_served;

/* Ctrl-C: the handler may only set a flag and wake the poller (both async-signal-safe). */
static volatile sig_atomic_t stop_requested;
static sockhelp_poller *volatile the_poller;

static void on_sigint(int sig) {
    (void)sig;
    stop_requested = 1;
    if (the_poller) sockhelp_poller_wake(the_poller);
}

static sockhelp_writer *new_writer(const sockhelp_framing *f) {
    sockhelp_writer *w = sockhelp_writer_new(f);
    if (w && sockhelp_writer_set_limit(w, WRITER_LIMIT) != SOCKHELP_OK) {
        sockhelp_writer_free(w);
        return NULL;
    }
    return w;
}

static int conn_add(sockhelp_socket s, const char *addr) {
    if (n_conns == cap_conns) {
        size_t cap = cap_conns ? cap_conns * 2 : 64;
        struct conn *c = realloc(conns, cap * sizeof *c);
        if (!c) return -1;
        conns = c;
        cap_conns = cap;
    }
    struct conn *c = &conns[n_conns];
    c->s = s;
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    c->frames = 0;
    c->r = mixed ? NULL : sockhelp_reader_new(framing);
    c->w = mixed ? NULL : new_writer(framing);
    c->open = mixed || (c->r && c->w);
    c->eof = 0;
    if (!c->open) return -1;
    n_conns++;
    return 0;
}

/* Reads what is there, answers every whole frame, flushes what the socket takes.
 * Returns 0 to keep the connection, -1 to close it. */
static int conn_serve(struct conn *c, int readable) {
    static unsigned char reply[MAX_FRAME];
    if (!c->r) { /* --mixed: the first byte chooses the framing */
        unsigned char choice;
        int rc = sockhelp_recvall(c->s, &choice, 1, 0, NULL);
        if (rc == SOCKHELP_EWOULDBLOCK) return 0;
        if (rc != SOCKHELP_OK || choice >= N_FORMATS) return -1;
        c->r = sockhelp_reader_new(formats[choice]);
        c->w = new_writer(formats[choice]);
        if (!c->r || !c->w) return -1;
    }
    if (readable && !c->eof) {
        int rc = sockhelp_reader_fill(c->r, c->s);
        if (rc == SOCKHELP_ECLOSED) c->eof = 1;
        else if (rc != SOCKHELP_OK && rc != SOCKHELP_EWOULDBLOCK) return -1;
    }
    /* Stop taking requests while the replies back up: the pattern that keeps the writer
     * under its limit (the client that does not read is simply not read from). */
    while (sockhelp_writer_pending(c->w) < BACKLOG_LIMIT) {
        const uint8_t *frame;
        size_t len;
        int rc = sockhelp_reader_next(c->r, &frame, &len);
        if (rc == SOCKHELP_EWOULDBLOCK || rc == SOCKHELP_ECLOSED) break;
        if (rc != SOCKHELP_OK) return -1; /* ETOOBIG / EBADFRAME: a broken peer */
        for (size_t i = 0; i < len; i++) reply[i] = frame[len - 1 - i];
        /* SOCKHELP_ENOSPACE would mean the limit was passed: never, with the check above. */
        if (sockhelp_writer_queue(c->w, reply, len) != SOCKHELP_OK) return -1;
        frames_served++;
        c->frames++;
    }
    int rc = sockhelp_writer_flush(c->w, c->s, 0);
    if (rc != SOCKHELP_OK && rc != SOCKHELP_EWOULDBLOCK) return -1;
    /* After the peer's close, a partial frame left in the reader can never complete. */
    if (c->eof && sockhelp_writer_pending(c->w) == 0) return -1;
    return 0;
}

static void conn_close(struct conn *c, sockhelp_poller *p) {
    printf("client %s: %lld frames\n", c->addr, c->frames);
    if (p) sockhelp_poller_remove(p, c->s);
    sockhelp_close(c->s);
    sockhelp_reader_free(c->r);
    sockhelp_writer_free(c->w);
    c->open = 0;
}

static int wants_read(const struct conn *c) {
    return !c->eof && sockhelp_writer_pending(c->w) < BACKLOG_LIMIT; /* NULL writer: 0 pending */
}

/* Accepts every connection waiting now. Returns how many, or -1 on error. */
static int accept_all(sockhelp_socket listener, sockhelp_poller *p) {
    int n = 0;
    for (;;) {
        sockhelp_socket s;
        char addr[SOCKHELP_ADDR_MAX];
        int rc = sockhelp_accept_addr(listener, 0, &s, addr, sizeof addr);
        if (rc == SOCKHELP_EWOULDBLOCK) return n;
        if (rc != SOCKHELP_OK) {
            fprintf(stderr, "accept: %s (os error %d)\n", sockhelp_strerror(rc), sockhelp_last_os_error());
            return n ? n : -1;
        }
        if (sockhelp_set_nonblocking(s, true) != SOCKHELP_OK || conn_add(s, addr) != 0) return -1;
        if (p && sockhelp_poller_add(p, s, SOCKHELP_READABLE, (uint64_t)(n_conns - 1)) != SOCKHELP_OK) return -1;
        n++;
    }
}

/* Closed connections leave holes; squeeze them out now and then (select mode only:
 * the poller's tags are indexes, so there they stay until the end). */
static void compact(void) {
    size_t j = 0;
    for (size_t i = 0; i < n_conns; i++)
        if (conns[i].open) conns[j++] = conns[i];
    n_conns = j;
}

static int run_select(sockhelp_socket listener, long long want_conns) {
    long long accepted = 0, closed = 0;
    sockhelp_socket *readers = NULL, *writers = NULL;
    size_t cap = 0;
    double idle_since = now_ms();
    while ((want_conns == 0 || closed < want_conns) && !stop_requested) {
        if (cap < n_conns + 1) {
            cap = (n_conns + 1) * 2;
            readers = realloc(readers, cap * sizeof *readers);
            writers = realloc(writers, cap * sizeof *writers);
            if (!readers || !writers) return 1;
        }
        size_t nr = 0, nw = 0;
        readers[nr++] = listener;
        for (size_t i = 0; i < n_conns; i++) {
            if (wants_read(&conns[i])) readers[nr++] = conns[i].s;
            if (sockhelp_writer_pending(conns[i].w) > 0) writers[nw++] = conns[i].s;
        }
        int ready = sockhelp_select(readers, &nr, writers, &nw, NULL, NULL, 1000);
        if (ready < 0) {
            fprintf(stderr, "select: %s\n", sockhelp_strerror(ready));
            return 1;
        }
        if (ready == 0) {
            if (now_ms() - idle_since > IDLE_EXIT_MS) { fprintf(stderr, "idle for too long\n"); return 1; }
            continue;
        }
        idle_since = now_ms();
        /* The ready subsets keep the order they were given in: walk them alongside conns. */
        size_t ri = 0, wi = 0;
        if (nr > 0 && readers[0] == listener) {
            ri = 1;
            int n = accept_all(listener, NULL);
            if (n < 0) return 1;
            accepted += n;
        }
        size_t before = n_conns;
        for (size_t i = 0; i < before; i++) {
            struct conn *c = &conns[i];
            if (!c->open) continue;
            int readable = ri < nr && readers[ri] == c->s;
            int writable = wi < nw && writers[wi] == c->s;
            if (readable) ri++;
            if (writable) wi++;
            if ((readable || writable) && conn_serve(c, readable) != 0) {
                conn_close(c, NULL);
                closed++;
            }
        }
        compact();
    }
    free(readers);
    free(writers);
    printf("select_server: %lld connections, %lld frames answered (select)\n", accepted, frames_served);
    return 0;
}

static int run_poller(sockhelp_socket listener, long long want_conns) {
    long long accepted = 0, closed = 0;
    sockhelp_poller *p = sockhelp_poller_new();
    const uint64_t LISTENER = UINT64_MAX;
    enum { CAP = 1024 };
    static sockhelp_event events[CAP];
    if (!p || sockhelp_poller_add(p, listener, SOCKHELP_READABLE, LISTENER) != SOCKHELP_OK) return 1;
    the_poller = p;
    double idle_since = now_ms();
    while ((want_conns == 0 || closed < want_conns) && !stop_requested) {
        int n = sockhelp_poller_wait(p, events, CAP, 1000);
        if (n < 0) {
            fprintf(stderr, "poller_wait: %s\n", sockhelp_strerror(n));
            return 1;
        }
        if (n == 0) {
            if (now_ms() - idle_since > IDLE_EXIT_MS) { fprintf(stderr, "idle for too long\n"); return 1; }
            continue;
        }
        idle_since = now_ms();
        for (int k = 0; k < n; k++) {
            if (events[k].tag == LISTENER) {
                int a = accept_all(listener, p);
                if (a < 0) return 1;
                accepted += a;
                continue;
            }
            struct conn *c = &conns[events[k].tag];
            if (!c->open) continue;
            int readable = (events[k].events & (SOCKHELP_READABLE | SOCKHELP_HANGUP | SOCKHELP_ERROR)) != 0;
            if (conn_serve(c, readable) != 0) {
                conn_close(c, p);
                closed++;
                continue;
            }
            uint32_t interest = (wants_read(c) ? SOCKHELP_READABLE : 0) |
                                (sockhelp_writer_pending(c->w) > 0 ? SOCKHELP_WRITABLE : 0);
            if (sockhelp_poller_modify(p, c->s, interest, events[k].tag) != SOCKHELP_OK) {
                conn_close(c, p);
                closed++;
            }
        }
    }
    the_poller = NULL; /* the handler must not wake a freed poller */
    for (size_t i = 0; i < n_conns; i++)
        if (conns[i].open) conn_close(&conns[i], p);
    sockhelp_poller_free(p);
    printf("select_server: %lld connections, %lld frames answered (poller)\n", accepted, frames_served);
    return 0;
}

int main(int argc, char **argv) {
    int use_poller = 0;
    unsigned port = 0;
    long long want_conns = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--poller") == 0) use_poller = 1;
        else if (strcmp(argv[i], "--mixed") == 0) mixed = 1;
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--conns") == 0 && i + 1 < argc) want_conns = atoll(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--poller] [--mixed] [--port P] [--conns N]\n", argv[0]);
            return 2;
        }
    }
    raise_fd_limit();
    if (sockhelp_init() != SOCKHELP_OK) return 1;
    framing = sockhelp_framing_length_prefixed(4, false, MAX_FRAME);
    make_formats();
    sockhelp_socket listener;
    int rc = sockhelp_listen("127.0.0.1", (uint16_t)port, 4096, &listener);
    if (rc != SOCKHELP_OK) {
        fprintf(stderr, "listen: %s\n", sockhelp_strerror(rc));
        return 1;
    }
    sockhelp_set_nonblocking(listener, true);
    uint16_t bound = 0;
    sockhelp_local_port(listener, &bound);
    printf("listening on %u\n", bound);
    fflush(stdout);
    signal(SIGINT, on_sigint);
    rc = use_poller ? run_poller(listener, want_conns) : run_select(listener, want_conns);
    if (stop_requested) printf("select_server: stopped by SIGINT\n");
    for (size_t i = 0; i < n_conns; i++)
        if (conns[i].open) conn_close(&conns[i], NULL);
    free(conns);
    sockhelp_close(listener);
    sockhelp_framing_free(framing);
    for (int i = 0; i < N_FORMATS; i++) sockhelp_framing_free(formats[i]);
#if !defined(_WIN32)
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) printf("select_server: peak RSS %ld KiB\n", ru.ru_maxrss);
#endif
    sockhelp_cleanup();
    return rc;
}

/*
 * TLS benchmark: sockhelp's TLS streams against OpenSSL's libssl (openssl_case.c), both
 * over loopback in one process (a server thread and a client thread), blocking sockets
 * made the same way for both, the same certificate and cipher suite.
 *
 *   bench_tls CERT KEY CA [--time SECONDS] [--reps N] [--idle N] [--only ROW]
 *
 * Rows: bulk 1 MiB writes (MB/s), 64 B frames batched 256 per call (frames/s: sockhelp's
 * stream_send_frames + stream_recv_batch against a hand-written framing loop over
 * SSL_write / SSL_read), full handshakes per second (one at a time, no resumption: a
 * client that never offers a session; each connection carries one byte back), and the
 * memory an idle TLS connection holds (RSS growth over N idle sessions, server side and
 * client side measured in two processes). Median of --reps runs, the two contenders'
 * runs interleaved. --only 0..3 runs one row (bulk, frames, handshakes, memory: for a
 * profile); --amount N runs N (bytes, frames, handshakes) per run on both, uncalibrated.
 * Markdown out.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sockhelp.h"
#include "tls_bench.h"

/* ------------------------------------------------------------------------------------ */
/* sockhelp */

static sockhelp_framing *frames_f;

static void *s_server_config(const char *cert, const char *key) {
    sockhelp_tls_config *c = NULL;
    return sockhelp_tls_config_server(cert, key, &c) == SOCKHELP_OK ? c : NULL;
}

static void *s_client_config(const char *ca) {
    sockhelp_tls_config *c = NULL;
    if (sockhelp_tls_config_client(&c) != SOCKHELP_OK) return NULL;
    if (sockhelp_tls_config_add_ca_file(c, ca) != SOCKHELP_OK) {
        sockhelp_tls_config_free(c);
        return NULL;
    }
    return c;
}

static void *s_server(void *cfg, int fd) {
    sockhelp_stream *st = NULL;
    if (sockhelp_tls_server(cfg, fd, -1, &st) != SOCKHELP_OK) {
        close(fd);
        return NULL;
    }
    return st;
}

static void *s_client(void *cfg, int fd) {
    sockhelp_stream *st = NULL;
    if (sockhelp_tls_client(cfg, fd, "localhost", NULL, -1, &st) != SOCKHELP_OK) {
        close(fd);
        return NULL;
    }
    return st;
}

static void s_info(void *conn, char *out, size_t cap) {
    size_t needed = 0;
    if (sockhelp_stream_info(conn, out, cap, &needed) != SOCKHELP_OK) snprintf(out, cap, "?");
}

static int s_send_all(void *conn, const void *buf, size_t n) {
    return sockhelp_stream_sendall(conn, buf, n, -1, NULL) == SOCKHELP_OK ? 0 : -1;
}

static int s_recv_all(void *conn, void *buf, size_t n) {
    return sockhelp_stream_recvall(conn, buf, n, -1, NULL) == SOCKHELP_OK ? 0 : -1;
}

#define MAX_BATCH 1024

static int s_send_frames(void *conn, const uint8_t *p, size_t len, size_t count, size_t batch) {
    sockhelp_slice views[MAX_BATCH];
    if (batch > MAX_BATCH) return -1;
    for (size_t i = 0; i < batch; i++) {
        views[i].ptr = p;
        views[i].len = len;
    }
    while (count > 0) {
        size_t k = count < batch ? count : batch;
        if (sockhelp_stream_send_frames(conn, frames_f, views, k, -1, NULL, NULL) != SOCKHELP_OK)
            return -1;
        count -= k;
    }
    return 0;
}

static int s_recv_frames(void *conn, size_t len, size_t count, size_t batch) {
    sockhelp_slice views[MAX_BATCH];
    sockhelp_reader *r = sockhelp_reader_new(frames_f);
    volatile uint8_t sink = 0;
    size_t got = 0;
    int rc = 0;
    if (!r || batch > MAX_BATCH) rc = -1;
    while (rc == 0 && got < count) {
        size_t n = 0;
        if (sockhelp_stream_recv_batch(r, conn, views, batch, &n, -1) != SOCKHELP_OK) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (views[i].len != len) rc = -1;
            else sink ^= *(const uint8_t *)views[i].ptr;
        }
        got += n;
    }
    if (got != count || sockhelp_reader_buffered(r) != 0) rc = -1;
    (void)sink;
    sockhelp_reader_free(r);
    return rc;
}

static void s_free(void *conn) { sockhelp_stream_free(conn); }

const struct tls_impl sockhelp_tls_impl = {
    "sockhelp",    s_server_config, s_client_config, s_server,      s_client, s_info,
    s_send_all,    s_recv_all,      s_send_frames,   s_recv_frames, s_free,
};

/* ------------------------------------------------------------------------------------ */
/* The harness: plain POSIX sockets for both, so TCP costs the same. */

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "bench_tls: %s\n", what);
    exit(1);
}

static int listen_any(uint16_t *port) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1024) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) != 0)
        die("listen");
    *port = ntohs(a.sin_port);
    return l;
}

static int dial(uint16_t port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

static int take(int l) {
    int s = accept(l, NULL, NULL);
    if (s < 0) die("accept");
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

struct run {
    const struct tls_impl *impl;
    void *scfg, *ccfg;
    int listener;
    uint16_t port;
    int kind; /* 0 bulk, 1 frames, 2 handshakes */
    size_t amount; /* bulk: bytes; frames: frames; handshakes: count */
    int failed;
};

#define BULK_CHUNK (1 << 20)
#define FRAME_LEN 64
#define BATCH 256
static uint8_t bulk_buf[BULK_CHUNK], bulk_in[BULK_CHUNK];

static void *server_side(void *arg) {
    struct run *r = arg;
    if (r->kind == 2) {
        for (size_t i = 0; i < r->amount; i++) {
            void *c = r->impl->server(r->scfg, take(r->listener));
            if (!c || r->impl->send_all(c, "k", 1) != 0) {
                r->failed = 1;
                if (c) r->impl->free(c);
                return NULL;
            }
            r->impl->free(c);
        }
        return NULL;
    }
    void *c = r->impl->server(r->scfg, take(r->listener));
    if (!c) {
        r->failed = 1;
        return NULL;
    }
    if (r->kind == 0) {
        for (size_t done = 0; done < r->amount; done += BULK_CHUNK)
            if (r->impl->recv_all(c, bulk_in, BULK_CHUNK) != 0) {
                r->failed = 1;
                break;
            }
    } else if (r->impl->recv_frames(c, FRAME_LEN, r->amount, BATCH) != 0) {
        r->failed = 1;
    }
    if (!r->failed && r->impl->send_all(c, "k", 1) != 0) r->failed = 1; /* done */
    r->impl->free(c);
    return NULL;
}

/* One measured run: the client's side in this thread; seconds from the first byte (or
 * the first connection) to the server's last acknowledgement. */
static double one_run(struct run *r) {
    pthread_t t;
    r->failed = 0;
    pthread_create(&t, NULL, server_side, r);
    double start = 0, end = 0;
    char k;
    if (r->kind == 2) {
        start = now_s();
        for (size_t i = 0; i < r->amount; i++) {
            void *c = r->impl->client(r->ccfg, dial(r->port));
            if (!c || r->impl->recv_all(c, &k, 1) != 0) die("handshake failed");
            r->impl->free(c);
        }
        end = now_s();
    } else {
        void *c = r->impl->client(r->ccfg, dial(r->port));
        if (!c) die("client handshake failed");
        start = now_s();
        int rc = 0;
        if (r->kind == 0) {
            for (size_t done = 0; rc == 0 && done < r->amount; done += BULK_CHUNK)
                rc = r->impl->send_all(c, bulk_buf, BULK_CHUNK);
        } else {
            rc = r->impl->send_frames(c, bulk_buf, FRAME_LEN, r->amount, BATCH);
        }
        if (rc != 0 || r->impl->recv_all(c, &k, 1) != 0) die("transfer failed");
        end = now_s();
        r->impl->free(c);
    }
    pthread_join(t, NULL);
    if (r->failed) die("the server side failed");
    return end - start;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The amount that takes about `seconds`, found by doubling from `start`. */
static size_t calibrate(struct run *r, size_t start, double seconds) {
    r->amount = start;
    for (;;) {
        double t = one_run(r);
        if (t >= seconds / 4 || r->amount > ((size_t)1 << 40)) {
            double per = t / (double)r->amount;
            size_t n = (size_t)(seconds / per);
            return n < start ? start : n;
        }
        r->amount *= 2;
    }
}

/* Median rates (amount per second) of `reps` runs of each contender, their runs
 * interleaved (sockhelp, OpenSSL, sockhelp, ...) so that a change in the machine's load
 * falls on both. */
static void median_rates(struct run *r, const size_t *amount, int reps, double *out) {
    double rates[2][64];
    for (int i = 0; i < reps; i++)
        for (int c = 0; c < 2; c++) {
            r[c].amount = amount[c];
            rates[c][i] = (double)amount[c] / one_run(&r[c]);
        }
    for (int c = 0; c < 2; c++) {
        qsort(rates[c], (size_t)reps, sizeof rates[c][0], cmp_double);
        out[c] = rates[c][reps / 2];
    }
}

static long rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2) die("/proc/self/statm");
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

/* Memory per idle connection: the server (this process) accepts `n` sessions, each
 * handshaken and one byte sent; the client side is a child process holding `n` sessions,
 * each handshaken and its byte read. RSS growth over the sessions, per session, for each
 * side (a warm-up session first, so one-time costs stay out). */
static void idle_memory(const struct tls_impl *impl, const char *cert, const char *key,
                        const char *ca, int n, long *server_per, long *client_per) {
    uint16_t port;
    int l = listen_any(&port);
    int report[2], go[2];
    if (pipe(report) != 0 || pipe(go) != 0) die("pipe");
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) die("fork");
    char k;
    if (child == 0) {
        close(l);
        void *ccfg = impl->client_config(ca);
        void **conns = calloc((size_t)n + 1, sizeof *conns);
        if (!ccfg || !conns) _exit(1);
        long before = 0;
        for (int i = 0; i <= n; i++) {
            conns[i] = impl->client(ccfg, dial(port));
            if (!conns[i] || impl->recv_all(conns[i], &k, 1) != 0) _exit(1);
            if (i == 0) before = rss_bytes();
        }
        long per = (rss_bytes() - before) / n;
        if (write(report[1], &per, sizeof per) != sizeof per) _exit(1);
        if (read(go[0], &k, 1) != 1) _exit(1);
        _exit(0);
    }
    void *scfg = impl->server_config(cert, key);
    void **conns = calloc((size_t)n + 1, sizeof *conns);
    if (!scfg || !conns) die("server config");
    long before = 0;
    for (int i = 0; i <= n; i++) {
        conns[i] = impl->server(scfg, take(l));
        if (!conns[i] || impl->send_all(conns[i], "k", 1) != 0) die("idle handshake");
        if (i == 0) before = rss_bytes();
    }
    *server_per = (rss_bytes() - before) / n;
    if (read(report[0], client_per, sizeof *client_per) != sizeof *client_per) die("child");
    if (write(go[1], "x", 1) != 1) die("pipe");
    int status;
    waitpid(child, &status, 0);
    for (int i = 0; i <= n; i++) impl->free(conns[i]);
    free(conns);
    close(l);
    close(report[0]), close(report[1]), close(go[0]), close(go[1]);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s CERT KEY CA [--time S] [--reps N] [--idle N]\n", argv[0]);
        return 2;
    }
    const char *cert = argv[1], *key = argv[2], *ca = argv[3];
    double seconds = 1.0;
    int reps = 5, idle = 1000, only = -1;
    size_t fixed = 0; /* --amount: no calibration, the same amount for both (profiles) */
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--time")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--idle")) idle = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--only")) only = atoi(argv[i + 1]); /* 0..3, a profile */
        else if (!strcmp(argv[i], "--amount")) fixed = (size_t)atol(argv[i + 1]);
    }
    if (reps < 1 || reps > 63) reps = 5;
    signal(SIGPIPE, SIG_IGN); /* OpenSSL writes with write(2); sockhelp never raises it */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (sockhelp_init() != SOCKHELP_OK || !sockhelp_has_tls()) die("sockhelp without TLS");
    frames_f = sockhelp_framing_length_prefixed(4, false, 1 << 20);
    memset(bulk_buf, 'x', sizeof bulk_buf);

    const struct tls_impl *impls[2] = {&sockhelp_tls_impl, &openssl_tls_impl};
    double rate[3][2] = {{0}};
    long mem[2][2] = {{0}};
    char info[2][128];
    struct run r[2];
    for (int i = 0; i < 2; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i].impl = impls[i];
        r[i].scfg = r[i].impl->server_config(cert, key);
        r[i].ccfg = r[i].impl->client_config(ca);
        if (!r[i].scfg || !r[i].ccfg) die("config");
        r[i].listener = listen_any(&r[i].port);
        /* What was agreed, from one session. */
        pthread_t t;
        r[i].kind = 2;
        r[i].amount = 1;
        pthread_create(&t, NULL, server_side, &r[i]);
        void *c = r[i].impl->client(r[i].ccfg, dial(r[i].port));
        char k;
        if (!c || r[i].impl->recv_all(c, &k, 1) != 0) die("first handshake");
        r[i].impl->info(c, info[i], sizeof info[i]);
        r[i].impl->free(c);
        pthread_join(t, NULL);
    }
    size_t start[3] = {(size_t)16 << 20, 65536, 16};
    for (int kind = 0; kind < 3; kind++) {
        if (only >= 0 && kind != only) continue;
        size_t amount[2];
        for (int i = 0; i < 2; i++) {
            r[i].kind = kind;
            amount[i] = fixed > 0 ? fixed : calibrate(&r[i], start[kind], seconds);
            if (kind == 0) amount[i] = (amount[i] + BULK_CHUNK - 1) / BULK_CHUNK * BULK_CHUNK;
        }
        median_rates(r, amount, reps, rate[kind]);
    }
    for (int i = 0; i < 2; i++) {
        close(r[i].listener);
        if (only < 0 || only == 3)
            idle_memory(impls[i], cert, key, ca, idle, &mem[i][0], &mem[i][1]);
    }
#define RATIO(a, b) ((b) > 0 ? (double)(a) / (double)(b) : 0.0)
    printf("| TLS 1.3, loopback, one process | sockhelp (rustls) | OpenSSL libssl | ratio | target |\n");
    printf("|---|---|---|---|---|\n");
    printf("| agreed | %s | %s | | same suite |\n", info[0], info[1]);
    printf("| bulk, 1 MiB writes (MB/s) | %.0f | %.0f | %.2fx | >= 0.9x |\n", rate[0][0] / 1e6,
           rate[0][1] / 1e6, RATIO(rate[0][0], rate[0][1]));
    printf("| 64 B frames, batched 256 (Mframes/s) | %.2f | %.2f | %.2fx | >= 1.0x |\n",
           rate[1][0] / 1e6, rate[1][1] / 1e6, RATIO(rate[1][0], rate[1][1]));
    printf("| full handshakes per second | %.0f | %.0f | %.2fx | >= 0.8x |\n", rate[2][0],
           rate[2][1], RATIO(rate[2][0], rate[2][1]));
    printf("| idle connection, server side (bytes, RSS / %d) | %ld | %ld | %.2fx | stated |\n",
           idle, mem[0][0], mem[1][0], RATIO(mem[0][0], mem[1][0]));
    printf("| idle connection, client side (bytes, RSS / %d) | %ld | %ld | %.2fx | stated |\n",
           idle, mem[0][1], mem[1][1], RATIO(mem[0][1], mem[1][1]));
    printf("\n(median of %d runs of about %.1f s each; memory: one run of %d sessions)\n", reps,
           seconds, idle);
    sockhelp_framing_free(frames_f);
    sockhelp_cleanup();
    return 0;
}

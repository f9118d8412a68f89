/*
 * bench_frames: sockhelp's framed I/O from C, through the header, against raw bulk
 * transfer: the numbers of the Rust harness (bench/, BENCHMARKS.md) for C callers.
 *
 * Frames are a 4-byte big-endian length, then the payload (64 B, 4 KiB, 1 MiB), over a
 * Unix socketpair and loopback TCP (TCP_NODELAY), the sender on its own thread.
 *
 *   raw            bulk transfer of the same wire bytes in 256 KiB send/recv calls
 *   blocking       sockhelp_send_frame / sockhelp_recv_frame
 *   non-blocking   sockhelp_writer_queue + _flush / sockhelp_reader_fill + _next
 *   recv_frame*    and reader_fill+next*: the receiver alone, fed pre-encoded frames
 *                  in 256 KiB calls (as fast as raw bulk)
 *
 * Each case runs about 0.25 s (message count calibrated), median of 3 runs.
 *
 *   make -C c_examples bench        (or see BENCHMARKS.md for the cc command)
 *   c_examples/bench_frames [--quick]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "sockhelp.h"

#define CHUNK (256 * 1024)
#define HIGH (64 * 1024)
#define PATTERN 0xa5

enum method { RAW, BLOCKING, NONBLOCKING, RECV_FRAME_ONLY, FILL_NEXT_ONLY, METHODS };
static const char *method_name[METHODS] = {
    "raw", "blocking", "non-blocking", "recv_frame*", "reader_fill+next*"};

static double target_s = 0.25;
static int reps = 3;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc) {
    fprintf(stderr, "bench_frames: %s: %s\n", what, rc ? sockhelp_strerror(rc) : strerror(errno));
    exit(1);
}

static void set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl", 0);
}

static void make_pair(int tcp, int fds[2]) {
    if (!tcp) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) die("socketpair", 0);
        return;
    }
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int one = 1;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &alen) != 0)
        die("listen", 0);
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&a, sizeof a) != 0) die("connect", 0);
    fds[1] = accept(l, NULL, NULL);
    if (fds[1] < 0) die("accept", 0);
    close(l);
    setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void raw_send_all(int fd, const unsigned char *p, size_t n) {
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR) continue;
            die("send", 0);
        }
        p += k;
        n -= (size_t)k;
    }
}

struct job {
    enum method m;
    int fd;
    size_t payload;
    long n;
    pthread_barrier_t *start;
};

static void *sender(void *arg) {
    struct job *j = arg;
    size_t wire = j->payload + 4;
    unsigned char *data = malloc(j->payload > CHUNK ? j->payload : CHUNK);
    memset(data, PATTERN, j->payload > CHUNK ? j->payload : CHUNK);
    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, 16u << 20);
    unsigned char *block = NULL;
    size_t block_len = 0;
    if (j->m == RECV_FRAME_ONLY || j->m == FILL_NEXT_ONLY) {
        /* Whole frames, pre-encoded, as many as fit in 256 KiB (at least one). */
        size_t per = CHUNK / wire ? CHUNK / wire : 1;
        block_len = per * wire;
        block = malloc(block_len);
        for (size_t i = 0; i < per; i++) {
            unsigned char *h = block + i * wire;
            h[0] = (unsigned char)(j->payload >> 24);
            h[1] = (unsigned char)(j->payload >> 16);
            h[2] = (unsigned char)(j->payload >> 8);
            h[3] = (unsigned char)j->payload;
            memset(h + 4, PATTERN, j->payload);
        }
    }
    pthread_barrier_wait(j->start);
    if (j->m == RAW) {
        size_t left = (size_t)j->n * wire;
        while (left > 0) {
            size_t k = left < CHUNK ? left : CHUNK;
            raw_send_all(j->fd, data, k);
            left -= k;
        }
    } else if (block) {
        size_t left = (size_t)j->n * wire;
        while (left > 0) {
            size_t k = left < block_len ? left : block_len;
            for (size_t off = 0; off < k; off += CHUNK)
                raw_send_all(j->fd, block + off, k - off < CHUNK ? k - off : CHUNK);
            left -= k;
        }
    } else if (j->m == BLOCKING) {
        for (long i = 0; i < j->n; i++) {
            int rc = sockhelp_send_frame(j->fd, f, data, j->payload, -1, NULL);
            if (rc != SOCKHELP_OK) die("send_frame", rc);
        }
    } else {
        sockhelp_writer *w = sockhelp_writer_new(f);
        set_nonblocking(j->fd);
        for (long i = 0; i <= j->n; i++) {
            if (i < j->n) {
                int rc = sockhelp_writer_queue(w, data, j->payload);
                if (rc != SOCKHELP_OK) die("writer_queue", rc);
            }
            size_t below = i < j->n ? HIGH : 1;
            while (sockhelp_writer_pending(w) >= below) {
                int rc = sockhelp_writer_flush(w, j->fd, 0);
                if (rc == SOCKHELP_OK) break;
                if (rc != SOCKHELP_EWOULDBLOCK) die("writer_flush", rc);
                if (sockhelp_writer_pending(w) < below) break;
                struct pollfd p = {j->fd, POLLOUT, 0};
                poll(&p, 1, -1);
            }
        }
        sockhelp_writer_free(w);
    }
    free(block);
    free(data);
    sockhelp_framing_free(f);
    return NULL;
}

static void check(const unsigned char *frame, size_t len, size_t payload) {
    if (len != payload || (payload > 0 && frame[0] != PATTERN)) {
        fprintf(stderr, "bench_frames: bad frame (%zu bytes, expected %zu)\n", len, payload);
        exit(1);
    }
}

/* One run: n frames; returns the receiver's seconds. */
static double run(int tcp, enum method m, size_t payload, long n) {
    int fds[2];
    pthread_t t;
    pthread_barrier_t start;
    make_pair(tcp, fds);
    pthread_barrier_init(&start, NULL, 2);
    struct job j = {m, fds[0], payload, n, &start};
    pthread_create(&t, NULL, sender, &j);
    int fd = fds[1];
    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, 16u << 20);
    sockhelp_reader *r = sockhelp_reader_new(f);
    unsigned char *buf = malloc(payload > CHUNK ? payload : CHUNK);
    if (m == NONBLOCKING || m == FILL_NEXT_ONLY) set_nonblocking(fd);
    pthread_barrier_wait(&start);
    double t0 = now();
    if (m == RAW) {
        size_t left = (size_t)n * (payload + 4);
        while (left > 0) {
            ssize_t k = recv(fd, buf, left < CHUNK ? left : CHUNK, 0);
            if (k <= 0) {
                if (k < 0 && errno == EINTR) continue;
                die("recv", 0);
            }
            left -= (size_t)k;
        }
    } else if (m == BLOCKING || m == RECV_FRAME_ONLY) {
        for (long i = 0; i < n; i++) {
            size_t len;
            int rc = sockhelp_recv_frame(r, fd, buf, payload, &len, -1);
            if (rc != SOCKHELP_OK) die("recv_frame", rc);
            check(buf, len, payload);
        }
    } else {
        long got = 0;
        while (got < n) {
            const uint8_t *frame;
            size_t len;
            int rc;
            while ((rc = sockhelp_reader_next(r, &frame, &len)) == SOCKHELP_OK) {
                check(frame, len, payload);
                got++;
            }
            if (rc != SOCKHELP_EWOULDBLOCK) die("reader_next", rc);
            if (got == n) break;
            rc = sockhelp_reader_fill(r, fd);
            if (rc == SOCKHELP_EWOULDBLOCK) {
                struct pollfd p = {fd, POLLIN, 0};
                poll(&p, 1, -1);
            } else if (rc < 0) {
                die("reader_fill", rc);
            }
        }
    }
    double dt = now() - t0;
    pthread_join(t, NULL);
    pthread_barrier_destroy(&start);
    free(buf);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    close(fds[0]);
    close(fds[1]);
    return dt;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Calibrates n to about target_s, then returns the median rate in wire MB/s. */
static double measure(int tcp, enum method m, size_t payload, long *n_out, double *msgs) {
    long n = (long)((1u << 20) / (payload + 4));
    if (n < 1) n = 1;
    double dt;
    while ((dt = run(tcp, m, payload, n)) < target_s / 8) n *= 4;
    n = (long)(n * target_s / dt);
    if (n < 1) n = 1;
    double t[16];
    for (int i = 0; i < reps; i++) t[i] = run(tcp, m, payload, n);
    qsort(t, (size_t)reps, sizeof t[0], cmp_double);
    double med = reps % 2 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
    *n_out = n;
    *msgs = n / med;
    return (double)n * (double)(payload + 4) / med / 1e6;
}

int main(int argc, char **argv) {
    static const size_t payloads[] = {64, 4096, 1u << 20};
    if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
        target_s = 0.02;
        reps = 1;
    }
    if (sockhelp_init() != SOCKHELP_OK) die("init", 0);
    printf("sockhelp from C: wire MB/s (10^6), median of %d run(s); * = receiver alone, fed "
           "pre-encoded frames at the raw rate\n\n",
           reps);
    printf("| transport | payload | method | frames/run | msgs/s | MB/s | vs raw |\n");
    printf("|---|---|---|---:|---:|---:|---:|\n");
    for (int tcp = 0; tcp < 2; tcp++) {
        for (size_t pi = 0; pi < sizeof payloads / sizeof payloads[0]; pi++) {
            size_t p = payloads[pi];
            double raw = 0;
            for (int m = 0; m < METHODS; m++) {
                long n;
                double msgs;
                double mb = measure(tcp, (enum method)m, p, &n, &msgs);
                if (m == RAW) raw = mb;
                char size[32];
                if (p >= (1u << 20)) snprintf(size, sizeof size, "%zu MiB", p >> 20);
                else if (p >= 1024) snprintf(size, sizeof size, "%zu KiB", p >> 10);
                else snprintf(size, sizeof size, "%zu B", p);
                printf("| %s | %s | %s | %ld | %.0f | %.0f | %.3f |\n", tcp ? "tcp" : "unix",
                       size, method_name[m], n, msgs, mb, mb / raw);
                fflush(stdout);
            }
        }
    }
    sockhelp_cleanup();
    return 0;
}

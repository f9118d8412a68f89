/*
 * Raw bulk transfer and sockhelp's framed paths, through the header: one run each.
 * Frames are a 4-byte big-endian length then the payload; the sender is on its own thread.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "sockhelp.h"

/* The documented writer pattern: flush about every 256 KiB queued (see sockhelp_writer). */
size_t sh_flush_at = 256 * 1024;

int sh_have_send_frames(void) {
#ifdef SOCKHELP_BENCH_SEND_FRAMES
    return 1;
#else
    return 0;
#endif
}

int sh_have_next_batch(void) {
#ifdef SOCKHELP_BENCH_NEXT_BATCH
    return 1;
#else
    return 0;
#endif
}

int sh_have_queue_many(void) {
#if defined(SOCKHELP_BENCH_QUEUE_MANY) && defined(SOCKHELP_BENCH_NEXT_BATCH)
    return 1;
#else
    return 0;
#endif
}

int sh_have_recv_batch(void) {
#if defined(SOCKHELP_BENCH_RECV_BATCH) && defined(SOCKHELP_BENCH_SEND_FRAMES)
    return 1;
#else
    return 0;
#endif
}

struct job {
    enum sh_method m;
    int fd;
    const struct spec *s;
    pthread_barrier_t start;
};

static void send_raw(int fd, const unsigned char *data, size_t total) {
    while (total > 0) {
        size_t k = total < CHUNK ? total : CHUNK;
        raw_send_all(fd, data, k);
        total -= k;
    }
}

/* The receiver-alone feeder: whole pre-encoded frames, as many as fit in 256 KiB. */
static void send_preencoded(int fd, const struct spec *s) {
    size_t wire = s->payload + 4;
    size_t per = CHUNK / wire ? CHUNK / wire : 1;
    size_t block_len = per * wire;
    unsigned char *block = malloc(block_len);
    if (!block) fail("out of memory");
    for (size_t i = 0; i < per; i++) {
        put_len(block + i * wire, s->payload);
        memset(block + i * wire + 4, PATTERN, s->payload);
    }
    size_t left = (size_t)s->n * wire;
    while (left > 0) {
        size_t k = left < block_len ? left : block_len;
        for (size_t off = 0; off < k; off += CHUNK)
            raw_send_all(fd, block + off, k - off < CHUNK ? k - off : CHUNK);
        left -= k;
    }
    free(block);
}

static void send_nonblocking(int fd, const sockhelp_framing *f, const unsigned char *data,
                             const struct spec *s) {
    sockhelp_writer *w = sockhelp_writer_new(f);
    if (!w) fail("writer_new");
    set_nonblocking(fd);
    for (long i = 0; i <= s->n; i++) {
        if (i < s->n && s->payload >= sh_flush_at) {
            /* The documented pattern for big frames: once the queue is empty, write the frame
             * through (the socket takes what it can from `data`; only the rest is queued). */
            while (sockhelp_writer_pending(w) > 0) {
                int rc = sockhelp_writer_flush(w, fd, 0);
                if (rc == SOCKHELP_OK) break;
                if (rc != SOCKHELP_EWOULDBLOCK) die("writer_flush", rc);
                struct pollfd p = {fd, POLLOUT, 0};
                poll(&p, 1, -1);
            }
            int rc = sockhelp_writer_send(w, fd, data, s->payload);
            if (rc != SOCKHELP_OK) die("writer_send", rc);
        } else if (i < s->n) {
            int rc = sockhelp_writer_queue(w, data, s->payload);
            if (rc != SOCKHELP_OK) die("writer_queue", rc);
        }
        /* The usual pattern: flush once sh_flush_at bytes are queued, everything at the end;
         * poll when the socket would block. */
        size_t below = i < s->n ? sh_flush_at : 1;
        while (sockhelp_writer_pending(w) >= below) {
            int rc = sockhelp_writer_flush(w, fd, 0);
            if (rc == SOCKHELP_OK) break;
            if (rc != SOCKHELP_EWOULDBLOCK) die("writer_flush", rc);
            if (sockhelp_writer_pending(w) < below) break;
            struct pollfd p = {fd, POLLOUT, 0};
            poll(&p, 1, -1);
        }
    }
    sockhelp_writer_free(w);
}

#ifdef SOCKHELP_BENCH_QUEUE_MANY
/* The non-blocking writer fed many frames per call (sockhelp_writer_queue_many): as many
 * as make sh_flush_at wire bytes, then a flush; big frames as in send_nonblocking. */
static void send_nonblocking_batched(int fd, const sockhelp_framing *f,
                                     const unsigned char *data, const struct spec *s) {
    if (s->payload >= sh_flush_at) {
        send_nonblocking(fd, f, data, s);
        return;
    }
    sockhelp_writer *w = sockhelp_writer_new(f);
    size_t wire = s->payload + 4;
    size_t per = sh_flush_at / wire ? sh_flush_at / wire : 1;
    sockhelp_slice *v = malloc(per * sizeof *v);
    if (!w || !v) fail("writer_new");
    for (size_t i = 0; i < per; i++) {
        v[i].ptr = data;
        v[i].len = s->payload;
    }
    set_nonblocking(fd);
    long left = s->n;
    while (left > 0 || sockhelp_writer_pending(w) > 0) {
        if (left > 0) {
            size_t k = (size_t)left < per ? (size_t)left : per, queued = 0;
            int rc = sockhelp_writer_queue_many(w, v, k, &queued);
            if (rc != SOCKHELP_OK || queued != k) die("writer_queue_many", rc);
            left -= (long)k;
        }
        size_t below = left > 0 ? sh_flush_at : 1;
        while (sockhelp_writer_pending(w) >= below) {
            int rc = sockhelp_writer_flush(w, fd, 0);
            if (rc == SOCKHELP_OK) break;
            if (rc != SOCKHELP_EWOULDBLOCK) die("writer_flush", rc);
            if (sockhelp_writer_pending(w) < below) break;
            struct pollfd p = {fd, POLLOUT, 0};
            poll(&p, 1, -1);
        }
    }
    free(v);
    sockhelp_writer_free(w);
}
#endif

#ifdef SOCKHELP_BENCH_SEND_FRAMES
/* Batches of whole frames up to 256 KiB of wire bytes, one send_frames call each. */
static void send_batches(int fd, const sockhelp_framing *f, const unsigned char *data,
                         const struct spec *s) {
    size_t wire = s->payload + 4;
    size_t per = CHUNK / wire ? CHUNK / wire : 1;
    sockhelp_slice *v = malloc(per * sizeof *v);
    if (!v) fail("out of memory");
    for (size_t i = 0; i < per; i++) {
        v[i].ptr = data;
        v[i].len = s->payload;
    }
    long left = s->n;
    while (left > 0) {
        size_t k = (size_t)left < per ? (size_t)left : per;
        size_t frames = 0, bytes = 0;
        int rc = sockhelp_send_frames(fd, f, v, k, -1, &frames, &bytes);
        if (rc != SOCKHELP_OK) die("send_frames", rc);
        if (frames != k || bytes != k * wire) fail("send_frames: counts do not add up");
        left -= (long)k;
    }
    free(v);
}
#endif

static void *sender(void *arg) {
    struct job *j = arg;
    const struct spec *s = j->s;
    unsigned char *data = pattern_buffer(s->payload);
    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, FRAME_MAX);
    if (!f) fail("framing_length_prefixed");
    pthread_barrier_wait(&j->start);
    switch (j->m) {
    case SH_RAW:
        send_raw(j->fd, data, (size_t)s->n * (s->payload + 4));
        break;
    case SH_RECV_NB_ONLY:
    case SH_RECV_BLK_ONLY:
    case SH_RECV_BATCH_ONLY:
    case SH_RECV_RBATCH_ONLY:
        send_preencoded(j->fd, s);
        break;
    case SH_BLOCKING:
        for (long i = 0; i < s->n; i++) {
            int rc = sockhelp_send_frame(j->fd, f, data, s->payload, -1, NULL);
            if (rc != SOCKHELP_OK) die("send_frame", rc);
        }
        break;
    case SH_SEND_FRAMES:
    case SH_SEND_FRAMES_RBATCH:
#ifdef SOCKHELP_BENCH_SEND_FRAMES
        send_batches(j->fd, f, data, s);
        break;
#else
        fail("send_frames: this build of the bench has no sockhelp_send_frames");
        break;
#endif
    case SH_NONBLOCKING:
        send_nonblocking(j->fd, f, data, s);
        break;
    case SH_NB_BATCHED:
#ifdef SOCKHELP_BENCH_QUEUE_MANY
        send_nonblocking_batched(j->fd, f, data, s);
#else
        fail("queue_many: this build of the bench has no sockhelp_writer_queue_many");
#endif
        break;
    }
    free(data);
    sockhelp_framing_free(f);
    return NULL;
}

static void recv_raw(int fd, unsigned char *buf, size_t left) {
    while (left > 0) {
        ssize_t k = recv(fd, buf, left < CHUNK ? left : CHUNK, 0);
        if (k <= 0) {
            if (k < 0 && errno == EINTR) continue;
            if (k == 0) fail("recv: the peer closed early");
            die("recv", 0);
        }
        left -= (size_t)k;
    }
}

static void recv_blocking(sockhelp_reader *r, int fd, unsigned char *buf, const struct spec *s) {
    for (long i = 0; i < s->n; i++) {
        size_t len;
        int rc = sockhelp_recv_frame(r, fd, buf, s->payload, &len, -1);
        if (rc != SOCKHELP_OK) die("recv_frame", rc);
        check_msg(buf, len, s->payload);
    }
}

static void recv_nonblocking(sockhelp_reader *r, int fd, const struct spec *s) {
    long got = 0;
    while (got < s->n) {
        const uint8_t *frame;
        size_t len;
        int rc;
        while ((rc = sockhelp_reader_next(r, &frame, &len)) == SOCKHELP_OK) {
            check_msg(frame, len, s->payload);
            got++;
        }
        if (rc != SOCKHELP_EWOULDBLOCK) die("reader_next", rc);
        if (got == s->n) break;
        rc = sockhelp_reader_fill(r, fd);
        if (rc == SOCKHELP_EWOULDBLOCK) {
            struct pollfd p = {fd, POLLIN, 0};
            poll(&p, 1, -1);
        } else if (rc != SOCKHELP_OK) {
            die("reader_fill", rc);
        }
    }
}

/* Frames taken up to BATCH at a time (sockhelp_reader_next_batch), fill when none is whole. */
#define BATCH 1024
static void recv_batches(sockhelp_reader *r, int fd, const struct spec *s) {
#ifdef SOCKHELP_BENCH_NEXT_BATCH
    static sockhelp_slice v[BATCH];
    long got = 0;
    while (got < s->n) {
        size_t k;
        int rc;
        while ((rc = sockhelp_reader_next_batch(r, v, BATCH, &k)) == SOCKHELP_OK) {
            for (size_t i = 0; i < k; i++) check_msg(v[i].ptr, v[i].len, s->payload);
            got += (long)k;
        }
        if (rc != SOCKHELP_EWOULDBLOCK) die("reader_next_batch", rc);
        if (got >= s->n) break;
        rc = sockhelp_reader_fill(r, fd);
        if (rc == SOCKHELP_EWOULDBLOCK) {
            struct pollfd p = {fd, POLLIN, 0};
            poll(&p, 1, -1);
        } else if (rc != SOCKHELP_OK) {
            die("reader_fill", rc);
        }
    }
    if (got != s->n) fail("reader_next_batch: more frames than were sent");
#else
    (void)r;
    (void)fd;
    (void)s;
    fail("next_batch: this build of the bench has no sockhelp_reader_next_batch");
#endif
}

/* The blocking batch: sockhelp_recv_batch, up to BATCH frames per call, no timeout. */
static void recv_blocking_batches(sockhelp_reader *r, int fd, const struct spec *s) {
#ifdef SOCKHELP_BENCH_RECV_BATCH
    static sockhelp_slice v[BATCH];
    long got = 0;
    while (got < s->n) {
        size_t k;
        int rc = sockhelp_recv_batch(r, fd, v, BATCH, &k, -1);
        if (rc != SOCKHELP_OK) die("recv_batch", rc);
        for (size_t i = 0; i < k; i++) check_msg(v[i].ptr, v[i].len, s->payload);
        got += (long)k;
    }
    if (got != s->n) fail("recv_batch: more frames than were sent");
#else
    (void)r;
    (void)fd;
    (void)s;
    fail("recv_batch: this build of the bench has no sockhelp_recv_batch");
#endif
}

double sh_run(enum sh_method m, const struct spec *s) {
    int fds[2];
    struct job j;
    make_pair(s->tcp, fds);
    j.m = m;
    j.fd = fds[0];
    j.s = s;
    pthread_barrier_init(&j.start, NULL, 2);
    pthread_t t = spawn(sender, &j);
    int fd = fds[1];
    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, FRAME_MAX);
    sockhelp_reader *r = sockhelp_reader_new(f);
    if (!f || !r) fail("reader_new");
    unsigned char *buf = pattern_buffer(s->payload);
    int nonblocking = m == SH_NONBLOCKING || m == SH_RECV_NB_ONLY || m == SH_RECV_BATCH_ONLY ||
                      m == SH_NB_BATCHED;
    if (nonblocking) set_nonblocking(fd);
    pthread_barrier_wait(&j.start);
    double t0 = now();
    if (m == SH_RAW)
        recv_raw(fd, buf, (size_t)s->n * (s->payload + 4));
    else if (m == SH_RECV_BATCH_ONLY || m == SH_NB_BATCHED)
        recv_batches(r, fd, s);
    else if (m == SH_RECV_RBATCH_ONLY || m == SH_SEND_FRAMES_RBATCH)
        recv_blocking_batches(r, fd, s);
    else if (nonblocking)
        recv_nonblocking(r, fd, s);
    else
        recv_blocking(r, fd, buf, s);
    double dt = now() - t0;
    join(t);
    pthread_barrier_destroy(&j.start);
    free(buf);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    close(fds[0]);
    close(fds[1]);
    return dt;
}

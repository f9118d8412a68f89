/*
 * The C floor: framed transfer written by hand in C, no library, one copy each way; what
 * any framed I/O that copies each payload once on the way out and once on the way in
 * costs at least.
 *
 * Sender: each frame's 4-byte big-endian length and payload are copied into a 256 KiB
 * buffer, which is sent (send until all is sent) when the next frame does not fit, and at
 * the end. A frame bigger than the buffer (1 MiB) streams through it: header and payload
 * copied in as far as they fit, the buffer sent whenever it is full.
 *
 * Receiver: recv of up to 256 KiB into a buffer; every whole frame in it is parsed (length
 * checked against FRAME_MAX) and its payload copied out into a separate buffer, then
 * checked (check_msg); the partial frame at the end is moved to the front of the buffer,
 * for the next recv to complete. A frame bigger than the buffer has its payload copied
 * out as it arrives, recv by recv, and is checked when whole.
 *
 * Blocking sockets, no poll, errors end the bench (die): the least work a framed stream
 * needs, nothing more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

struct floor_job {
    int fd;
    const struct spec *s;
    pthread_barrier_t start;
};

/* The sender's buffer: `used` bytes waiting to be sent. */
struct out {
    int fd;
    unsigned char *buf;
    size_t used;
};

static void out_put(struct out *o, const unsigned char *p, size_t n) {
    while (n > 0) {
        if (o->used == CHUNK) {
            raw_send_all(o->fd, o->buf, CHUNK);
            o->used = 0;
        }
        size_t k = CHUNK - o->used < n ? CHUNK - o->used : n;
        memcpy(o->buf + o->used, p, k);
        o->used += k;
        p += k;
        n -= k;
    }
}

static void *floor_sender(void *arg) {
    struct floor_job *j = arg;
    const struct spec *s = j->s;
    const size_t wire = s->payload + 4;
    unsigned char *data = pattern_buffer(s->payload);
    struct out o = {j->fd, malloc(CHUNK), 0};
    if (!o.buf) fail("out of memory");
    pthread_barrier_wait(&j->start);
    for (long i = 0; i < s->n; i++) {
        if (wire <= CHUNK) {
            /* The common case, inline: send when the frame does not fit, then encode it. */
            if (CHUNK - o.used < wire) {
                raw_send_all(o.fd, o.buf, o.used);
                o.used = 0;
            }
            put_len(o.buf + o.used, s->payload);
            memcpy(o.buf + o.used + 4, data, s->payload);
            o.used += wire;
        } else {
            unsigned char h[4];
            put_len(h, s->payload);
            out_put(&o, h, 4);
            out_put(&o, data, s->payload);
        }
    }
    if (o.used > 0) raw_send_all(o.fd, o.buf, o.used);
    free(o.buf);
    free(data);
    return NULL;
}

static size_t get_len(const unsigned char *h) {
    return (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | (size_t)h[3];
}

/* One recv into buf + have (up to CHUNK bytes in all); returns the new byte count. */
static size_t floor_recv(int fd, unsigned char *buf, size_t have) {
    for (;;) {
        ssize_t k = recv(fd, buf + have, CHUNK - have, 0);
        if (k > 0) return have + (size_t)k;
        if (k < 0 && errno == EINTR) continue;
        if (k == 0) fail("floor: recv: the peer closed early");
        die("floor: recv", 0);
    }
}

static void floor_receive(int fd, const struct spec *s, unsigned char *buf, unsigned char *msg) {
    long got = 0;
    size_t have = 0;  /* bytes in buf */
    size_t body = 0;  /* a frame bigger than buf: its payload's length */
    size_t taken = 0; /* ... and the bytes of it already copied out */
    int in_body = 0;
    while (got < s->n) {
        have = floor_recv(fd, buf, have);
        size_t off = 0;
        if (in_body) {
            size_t k = body - taken < have ? body - taken : have;
            memcpy(msg + taken, buf, k);
            taken += k;
            off = k;
            if (taken < body) {
                have = 0;
                continue;
            }
            check_msg(msg, body, s->payload);
            got++;
            in_body = 0;
        }
        while (have - off >= 4) {
            size_t len = get_len(buf + off);
            if (len > FRAME_MAX) fail("floor: frame over the maximum");
            if (len + 4 > CHUNK) {
                /* Bigger than the buffer: copy out what is here, the rest as it comes. */
                size_t k = have - off - 4 < len ? have - off - 4 : len;
                if (len > MAX_PAYLOAD) fail("floor: frame over the largest payload sent");
                memcpy(msg, buf + off + 4, k);
                off += 4 + k;
                if (k < len) {
                    body = len;
                    taken = k;
                    in_body = 1;
                    break;
                }
                check_msg(msg, len, s->payload);
                got++;
                continue;
            }
            if (have - off - 4 < len) break; /* partial: carried over */
            memcpy(msg, buf + off + 4, len);
            check_msg(msg, len, s->payload);
            got++;
            off += 4 + len;
        }
        /* The partial frame (or header) at the end goes to the front. */
        if (off < have) memmove(buf, buf + off, have - off);
        have -= off;
    }
    if (have != 0 || in_body) fail("floor: bytes after the last frame");
}

double floor_run(const struct spec *s) {
    int fds[2];
    struct floor_job j;
    make_pair(s->tcp, fds);
    j.fd = fds[0];
    j.s = s;
    pthread_barrier_init(&j.start, NULL, 2);
    unsigned char *buf = malloc(CHUNK);
    unsigned char *msg = pattern_buffer(s->payload);
    if (!buf) fail("out of memory");
    /* The payload buffer is written over by each copy: clear it so the check means it. */
    memset(msg, 0, s->payload > CHUNK ? s->payload : CHUNK);
    pthread_t t = spawn(floor_sender, &j);
    pthread_barrier_wait(&j.start);
    double t0 = now();
    floor_receive(fds[1], s, buf, msg);
    double dt = now() - t0;
    join(t);
    pthread_barrier_destroy(&j.start);
    free(buf);
    free(msg);
    close(fds[0]);
    close(fds[1]);
    return dt;
}

/*
 * libevent contender: bufferevents on the same socketpair / loopback TCP pair as raw and
 * sockhelp, frames of a 4-byte big-endian length then the payload (the same wire bytes).
 * Sender: an event loop whose write callback tops the output evbuffer up to 256 KiB
 * (evbuffer_add of the header, then of the payload: copies) whenever it drains below
 * 128 KiB. Receiver: the read callback takes every whole frame out of the input evbuffer
 * (evbuffer_copyout of the header, evbuffer_drain, evbuffer_remove of the payload into the
 * caller's buffer). libevent's default of 16 KiB per read/write system call is raised to
 * 256 KiB (bufferevent_set_max_single_read/_write), the chunk raw uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "bench.h"

#define LEV_FILL (256 * 1024)
#define LEV_LOW (128 * 1024)

struct lev_side {
    struct event_base *base;
    struct bufferevent *bev;
    const struct spec *s;
    unsigned char *data;
    long count; /* sender: frames left to queue; receiver: frames received */
};

static struct lev_side lev_open(int fd, const struct spec *s) {
    struct lev_side x;
    memset(&x, 0, sizeof x);
    x.s = s;
    x.data = pattern_buffer(s->payload);
    x.base = event_base_new();
    if (!x.base) fail("libevent: event_base_new failed");
    set_nonblocking(fd);
    x.bev = bufferevent_socket_new(x.base, fd, 0);
    if (!x.bev) fail("libevent: bufferevent_socket_new failed");
    if (bufferevent_set_max_single_read(x.bev, CHUNK) != 0 ||
        bufferevent_set_max_single_write(x.bev, CHUNK) != 0)
        fail("libevent: bufferevent_set_max_single_read/write failed");
    return x;
}

static void lev_close(struct lev_side *x) {
    bufferevent_free(x->bev);
    event_base_free(x->base);
    free(x->data);
}

static void lev_event(struct bufferevent *bev, short what, void *arg) {
    (void)bev;
    (void)arg;
    fprintf(stderr, "bench: libevent: connection event 0x%x (error or end of stream)\n", what);
    exit(1);
}

static void lev_top_up(struct lev_side *x) {
    struct evbuffer *out = bufferevent_get_output(x->bev);
    unsigned char h[4];
    put_len(h, x->s->payload);
    while (x->count > 0 && evbuffer_get_length(out) < LEV_FILL) {
        if (evbuffer_add(out, h, 4) != 0 || evbuffer_add(out, x->data, x->s->payload) != 0)
            fail("libevent: evbuffer_add failed");
        x->count--;
    }
}

static void lev_writable(struct bufferevent *bev, void *arg) {
    struct lev_side *x = arg;
    if (x->count > 0) {
        lev_top_up(x);
        if (x->count == 0) bufferevent_setwatermark(bev, EV_WRITE, 0, 0); /* wake when empty */
    } else if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
        event_base_loopbreak(x->base);
    }
}

static void lev_readable(struct bufferevent *bev, void *arg) {
    struct lev_side *x = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        size_t have = evbuffer_get_length(in);
        unsigned char h[4];
        if (have < 4) return;
        if (evbuffer_copyout(in, h, 4) != 4) fail("libevent: evbuffer_copyout failed");
        size_t len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        if (len > x->s->payload) check_msg(h, len, x->s->payload); /* refuses */
        if (have < 4 + len) return;
        evbuffer_drain(in, 4);
        if (evbuffer_remove(in, x->data, len) != (int)len) fail("libevent: evbuffer_remove");
        check_msg(x->data, len, x->s->payload);
        if (++x->count == x->s->n) {
            event_base_loopbreak(x->base);
            return;
        }
    }
}

struct lev_job {
    int fd;
    const struct spec *s;
    pthread_barrier_t start;
};

static void *lev_sender(void *arg) {
    struct lev_job *j = arg;
    struct lev_side x = lev_open(j->fd, j->s);
    x.count = j->s->n;
    bufferevent_setcb(x.bev, NULL, lev_writable, lev_event, &x);
    bufferevent_setwatermark(x.bev, EV_WRITE, LEV_LOW, 0);
    if (bufferevent_enable(x.bev, EV_WRITE) != 0) fail("libevent: bufferevent_enable");
    pthread_barrier_wait(&j->start);
    lev_top_up(&x);
    if (x.count == 0) bufferevent_setwatermark(x.bev, EV_WRITE, 0, 0);
    if (event_base_dispatch(x.base) < 0) fail("libevent: event_base_dispatch failed");
    lev_close(&x);
    return NULL;
}

double lev_run(const struct spec *s) {
    int fds[2];
    struct lev_job j;
    make_pair(s->tcp, fds);
    j.fd = fds[0];
    j.s = s;
    pthread_barrier_init(&j.start, NULL, 2);
    pthread_t t = spawn(lev_sender, &j);
    struct lev_side x = lev_open(fds[1], s);
    bufferevent_setcb(x.bev, lev_readable, NULL, lev_event, &x);
    if (bufferevent_enable(x.bev, EV_READ) != 0) fail("libevent: bufferevent_enable");
    pthread_barrier_wait(&j.start);
    double t0 = now();
    if (event_base_dispatch(x.base) < 0) fail("libevent: event_base_dispatch failed");
    double dt = now() - t0;
    if (x.count != s->n) fail("libevent: the receiver's loop ended early");
    join(t);
    pthread_barrier_destroy(&j.start);
    lev_close(&x);
    close(fds[0]);
    close(fds[1]);
    return dt;
}

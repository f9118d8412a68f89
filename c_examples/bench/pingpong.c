/*
 * Ping-pong contenders over loopback TCP (TCP_NODELAY): raw (one send of the 4-byte length
 * and payload, receive exactly as many bytes back) and sockhelp blocking (send_frame /
 * recv_frame on both ends). ZeroMQ and nng are in their own files.
 */
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"
#include "sockhelp.h"

struct pp {
    int fds[2]; /* client, server */
    size_t payload;
    long total;
    unsigned char *out, *in, *srv;
    sockhelp_framing *f;
    sockhelp_reader *rc, *rs; /* client's and server's readers (sockhelp only) */
    pthread_t server;
};

static struct pp *pp_new(size_t payload, long total) {
    struct pp *p = calloc(1, sizeof *p);
    if (!p) fail("out of memory");
    make_pair(1, p->fds);
    p->payload = payload;
    p->total = total;
    p->out = pattern_buffer(payload + 4);
    p->in = pattern_buffer(payload + 4);
    p->srv = pattern_buffer(payload + 4);
    put_len(p->out, payload);
    return p;
}

static void pp_free(struct pp *p) {
    join(p->server);
    close(p->fds[0]);
    close(p->fds[1]);
    sockhelp_reader_free(p->rc);
    sockhelp_reader_free(p->rs);
    sockhelp_framing_free(p->f);
    free(p->out);
    free(p->in);
    free(p->srv);
    free(p);
}

/* raw */

static void *raw_echo(void *arg) {
    struct pp *p = arg;
    for (long i = 0; i < p->total; i++) {
        raw_recv_all(p->fds[1], p->srv, p->payload + 4);
        raw_send_all(p->fds[1], p->srv, p->payload + 4);
    }
    return NULL;
}

static void *raw_open(size_t payload, long total) {
    struct pp *p = pp_new(payload, total);
    p->server = spawn(raw_echo, p);
    return p;
}

static void raw_round_trip(void *ctx) {
    struct pp *p = ctx;
    raw_send_all(p->fds[0], p->out, p->payload + 4);
    raw_recv_all(p->fds[0], p->in, p->payload + 4);
    size_t len = (size_t)p->in[0] << 24 | (size_t)p->in[1] << 16 | (size_t)p->in[2] << 8 | p->in[3];
    check_msg(p->in + 4, len, p->payload);
}

static void raw_close(void *ctx) { pp_free(ctx); }

const struct pingpong pp_raw = {"raw TCP", raw_open, raw_round_trip, raw_close};

/* sockhelp blocking */

static void *sh_echo(void *arg) {
    struct pp *p = arg;
    for (long i = 0; i < p->total; i++) {
        size_t len;
        int rc = sockhelp_recv_frame(p->rs, p->fds[1], p->srv, p->payload, &len, -1);
        if (rc != SOCKHELP_OK) die("server recv_frame", rc);
        check_msg(p->srv, len, p->payload);
        rc = sockhelp_send_frame(p->fds[1], p->f, p->srv, len, -1, NULL);
        if (rc != SOCKHELP_OK) die("server send_frame", rc);
    }
    return NULL;
}

static void *sh_open(size_t payload, long total) {
    struct pp *p = pp_new(payload, total);
    p->f = sockhelp_framing_length_prefixed(4, false, FRAME_MAX);
    p->rc = sockhelp_reader_new(p->f);
    p->rs = sockhelp_reader_new(p->f);
    if (!p->f || !p->rc || !p->rs) fail("reader_new");
    p->server = spawn(sh_echo, p);
    return p;
}

static void sh_round_trip(void *ctx) {
    struct pp *p = ctx;
    size_t len;
    int rc = sockhelp_send_frame(p->fds[0], p->f, p->out + 4, p->payload, -1, NULL);
    if (rc != SOCKHELP_OK) die("send_frame", rc);
    rc = sockhelp_recv_frame(p->rc, p->fds[0], p->in, p->payload, &len, -1);
    if (rc != SOCKHELP_OK) die("recv_frame", rc);
    check_msg(p->in, len, p->payload);
}

const struct pingpong pp_sockhelp = {"sockhelp blocking (send_frame / recv_frame)", sh_open,
                                     sh_round_trip, raw_close};

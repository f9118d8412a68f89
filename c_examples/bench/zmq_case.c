/*
 * ZeroMQ contender: PUSH/PULL for throughput, REQ/REP for the ping-pong. Over TCP on
 * 127.0.0.1 (ZeroMQ sets TCP_NODELAY itself) and over Unix sockets through ipc:// (ZeroMQ
 * cannot take a socketpair). Default options (send/receive high-water marks 1000 messages);
 * zmq_send copies the message in, zmq_recv copies it out into the caller's buffer (as
 * sockhelp_recv_frame does). ZMTP's own header is 2 bytes up to 255 bytes of payload, else 9.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "bench.h"

static void zdie(const char *what) {
    fprintf(stderr, "bench: zmq %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
}

/* Binds `sock` on a fresh endpoint of the transport; writes what to connect to. */
static void zbind(void *sock, int tcp, char *ep, size_t cap, char *path, size_t pcap) {
    char want[300];
    path[0] = 0;
    if (tcp) {
        snprintf(want, sizeof want, "tcp://127.0.0.1:*");
    } else {
        ipc_path(path, pcap);
        snprintf(want, sizeof want, "ipc://%s", path);
    }
    if (zmq_bind(sock, want) != 0) zdie("bind");
    size_t len = cap;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &len) != 0) zdie("ZMQ_LAST_ENDPOINT");
}

static void zrecv_exact(void *sock, void *buf, size_t cap, size_t payload) {
    int k = zmq_recv(sock, buf, cap, 0);
    if (k < 0) zdie("recv");
    check_msg(buf, (size_t)k, payload);
}

struct zjob {
    void *ctx;
    const char *ep;
    const struct spec *s;
    pthread_barrier_t start, done;
};

static void *zsender(void *arg) {
    struct zjob *j = arg;
    unsigned char *data = pattern_buffer(j->s->payload);
    void *push = zmq_socket(j->ctx, ZMQ_PUSH);
    if (!push || zmq_connect(push, j->ep) != 0) zdie("connect");
    if (zmq_send(push, data, j->s->payload, 0) < 0) zdie("send"); /* warm-up message */
    pthread_barrier_wait(&j->start);
    for (long i = 0; i < j->s->n; i++)
        if (zmq_send(push, data, j->s->payload, 0) < 0) zdie("send");
    /* Closed once the receiver has everything, not left to the linger period. */
    pthread_barrier_wait(&j->done);
    zmq_close(push);
    free(data);
    return NULL;
}

double zmq_run(const struct spec *s) {
    char ep[300], path[200];
    struct zjob j;
    j.ctx = zmq_ctx_new();
    if (!j.ctx) zdie("ctx_new");
    void *pull = zmq_socket(j.ctx, ZMQ_PULL);
    if (!pull) zdie("socket");
    zbind(pull, s->tcp, ep, sizeof ep, path, sizeof path);
    j.ep = ep;
    j.s = s;
    pthread_barrier_init(&j.start, NULL, 2);
    pthread_barrier_init(&j.done, NULL, 2);
    pthread_t t = spawn(zsender, &j);
    unsigned char *buf = pattern_buffer(s->payload);
    zrecv_exact(pull, buf, s->payload, s->payload); /* warm-up: the connection is up */
    pthread_barrier_wait(&j.start);
    double t0 = now();
    for (long i = 0; i < s->n; i++) zrecv_exact(pull, buf, s->payload, s->payload);
    double dt = now() - t0;
    pthread_barrier_wait(&j.done);
    join(t);
    pthread_barrier_destroy(&j.start);
    pthread_barrier_destroy(&j.done);
    zmq_close(pull);
    zmq_ctx_term(j.ctx);
    if (path[0]) unlink(path);
    free(buf);
    return dt;
}

/* --- REQ/REP ping-pong --- */

struct zpp {
    void *ctx, *req, *rep;
    size_t payload;
    long total;
    unsigned char *out, *in, *srv;
    pthread_t server;
};

static void *zecho(void *arg) {
    struct zpp *p = arg;
    for (long i = 0; i < p->total; i++) {
        int k = zmq_recv(p->rep, p->srv, p->payload, 0);
        if (k < 0) zdie("rep recv");
        check_msg(p->srv, (size_t)k, p->payload);
        if (zmq_send(p->rep, p->srv, (size_t)k, 0) < 0) zdie("rep send");
    }
    return NULL;
}

static void *zpp_open(size_t payload, long total) {
    char ep[300], path[200];
    struct zpp *p = calloc(1, sizeof *p);
    if (!p) fail("out of memory");
    p->payload = payload;
    p->total = total;
    p->out = pattern_buffer(payload);
    p->in = pattern_buffer(payload);
    p->srv = pattern_buffer(payload);
    p->ctx = zmq_ctx_new();
    if (!p->ctx) zdie("ctx_new");
    p->rep = zmq_socket(p->ctx, ZMQ_REP);
    p->req = zmq_socket(p->ctx, ZMQ_REQ);
    if (!p->rep || !p->req) zdie("socket");
    zbind(p->rep, 1, ep, sizeof ep, path, sizeof path);
    if (zmq_connect(p->req, ep) != 0) zdie("connect");
    p->server = spawn(zecho, p);
    return p;
}

static void zpp_round_trip(void *ctx) {
    struct zpp *p = ctx;
    if (zmq_send(p->req, p->out, p->payload, 0) < 0) zdie("req send");
    zrecv_exact(p->req, p->in, p->payload, p->payload);
}

static void zpp_close(void *ctx) {
    struct zpp *p = ctx;
    join(p->server);
    zmq_close(p->req);
    zmq_close(p->rep);
    zmq_ctx_term(p->ctx);
    free(p->out);
    free(p->in);
    free(p->srv);
    free(p);
}

const struct pingpong pp_zmq = {"ZeroMQ REQ/REP", zpp_open, zpp_round_trip, zpp_close};

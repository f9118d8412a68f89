/*
 * nng contender: push0/pull0 for throughput, req0/rep0 for the ping-pong. Over TCP on
 * 127.0.0.1 (nng sets TCP_NODELAY by default) and over Unix sockets through ipc://.
 * nng_send copies the message in, nng_recv copies it out into the caller's buffer. Options:
 * the push socket's send buffer and the pull socket's receive buffer are raised from nng's
 * defaults (0 and 1 messages) to NNG_QUEUE messages, like ZeroMQ's high-water mark of 1000;
 * the pull socket's receive maximum is set to the framings' 16 MiB.
 * The SP protocol's own header over TCP and ipc is 8 bytes (ipc: 9).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "bench.h"

#define NNG_QUEUE 1000

static void ndie(const char *what, int rv) {
    fprintf(stderr, "bench: nng %s: %s\n", what, nng_strerror(rv));
    exit(1);
}

#define NTRY(what, call)                                                                     \
    do {                                                                                     \
        int rv_ = (call);                                                                    \
        if (rv_ != 0) ndie(what, rv_);                                                       \
    } while (0)

/* Listens on a fresh endpoint of the transport; writes the URL to dial. */
static void nlisten(nng_socket s, int tcp, char *url, size_t cap, char *path, size_t pcap) {
    nng_listener l;
    path[0] = 0;
    if (tcp) {
        snprintf(url, cap, "tcp://127.0.0.1:0");
    } else {
        ipc_path(path, pcap);
        snprintf(url, cap, "ipc://%s", path);
    }
    NTRY("listen", nng_listen(s, url, &l, 0));
    if (tcp) {
        int port;
        NTRY("tcp-bound-port", nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port));
        snprintf(url, cap, "tcp://127.0.0.1:%d", port);
    }
}

static void nrecv_exact(nng_socket s, void *buf, size_t payload) {
    size_t len = payload;
    NTRY("recv", nng_recv(s, buf, &len, 0));
    check_msg(buf, len, payload);
}

struct njob {
    const char *url;
    const struct spec *s;
    pthread_barrier_t start, done;
};

static void *nsender(void *arg) {
    struct njob *j = arg;
    nng_socket push;
    unsigned char *data = pattern_buffer(j->s->payload);
    NTRY("push0_open", nng_push0_open(&push));
    NTRY("send-buffer", nng_socket_set_int(push, NNG_OPT_SENDBUF, NNG_QUEUE));
    NTRY("dial", nng_dial(push, j->url, NULL, 0));
    NTRY("send", nng_send(push, data, j->s->payload, 0)); /* warm-up message */
    pthread_barrier_wait(&j->start);
    for (long i = 0; i < j->s->n; i++) NTRY("send", nng_send(push, data, j->s->payload, 0));
    /* nng_close may drop what is still queued: close once the receiver has everything. */
    pthread_barrier_wait(&j->done);
    nng_close(push);
    free(data);
    return NULL;
}

static void nng_open_pull(nng_socket *pull) {
    NTRY("pull0_open", nng_pull0_open(pull));
    NTRY("recv-buffer", nng_socket_set_int(*pull, NNG_OPT_RECVBUF, NNG_QUEUE));
    NTRY("recv-size-max", nng_socket_set_size(*pull, NNG_OPT_RECVMAXSZ, FRAME_MAX));
}

double nng_run(const struct spec *s) {
    char url[300], path[200];
    struct njob j;
    nng_socket pull;
    nng_open_pull(&pull);
    nlisten(pull, s->tcp, url, sizeof url, path, sizeof path);
    j.url = url;
    j.s = s;
    pthread_barrier_init(&j.start, NULL, 2);
    pthread_barrier_init(&j.done, NULL, 2);
    pthread_t t = spawn(nsender, &j);
    unsigned char *buf = pattern_buffer(s->payload);
    nrecv_exact(pull, buf, s->payload); /* warm-up: the connection is up */
    pthread_barrier_wait(&j.start);
    double t0 = now();
    for (long i = 0; i < s->n; i++) nrecv_exact(pull, buf, s->payload);
    double dt = now() - t0;
    pthread_barrier_wait(&j.done);
    join(t);
    pthread_barrier_destroy(&j.start);
    pthread_barrier_destroy(&j.done);
    nng_close(pull);
    if (path[0]) unlink(path);
    free(buf);
    return dt;
}

/* --- req0/rep0 ping-pong --- */

struct npp {
    nng_socket req, rep;
    size_t payload;
    long total;
    unsigned char *out, *in, *srv;
    pthread_t server;
};

static void *necho(void *arg) {
    struct npp *p = arg;
    for (long i = 0; i < p->total; i++) {
        nrecv_exact(p->rep, p->srv, p->payload);
        NTRY("rep send", nng_send(p->rep, p->srv, p->payload, 0));
    }
    return NULL;
}

static void *npp_open(size_t payload, long total) {
    char url[300], path[200];
    struct npp *p = calloc(1, sizeof *p);
    if (!p) fail("out of memory");
    p->payload = payload;
    p->total = total;
    p->out = pattern_buffer(payload);
    p->in = pattern_buffer(payload);
    p->srv = pattern_buffer(payload);
    NTRY("rep0_open", nng_rep0_open(&p->rep));
    NTRY("req0_open", nng_req0_open(&p->req));
    nlisten(p->rep, 1, url, sizeof url, path, sizeof path);
    NTRY("dial", nng_dial(p->req, url, NULL, 0));
    p->server = spawn(necho, p);
    return p;
}

static void npp_round_trip(void *ctx) {
    struct npp *p = ctx;
    NTRY("req send", nng_send(p->req, p->out, p->payload, 0));
    nrecv_exact(p->req, p->in, p->payload);
}

static void npp_close(void *ctx) {
    struct npp *p = ctx;
    join(p->server);
    nng_close(p->req);
    nng_close(p->rep);
    free(p->out);
    free(p->in);
    free(p->srv);
    free(p);
}

const struct pingpong pp_nng = {"nng req/rep", npp_open, npp_round_trip, npp_close};

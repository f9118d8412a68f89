/*
 * connect_many: a client opening N connections at once, non-blockingly, through one
 * sockhelp_poller (the HOWTO: "if you have created a new socket to connect to someone
 * else, put it in the potential_writers list; if it shows up writable, it has probably
 * connected").
 *
 * Each connection: a sockhelp_connector (the Happy Eyeballs race without blocking: a name
 * is looked up on sockhelp's resolver threads, every address is raced), registered with
 * the poller by sockhelp_connector_poll_with under the connection's tag; when the poller
 * reports the tag (or sockhelp_connector_timeout_ms passed), sockhelp_connector_step moves
 * it on, until it returns the connected socket (or why not). Once connected it sends one request frame (4-byte big-endian length prefix)
 * and is watched for SOCKHELP_READABLE until select_server's reply arrives (the request's
 * bytes reversed), which is checked; then it is closed. One thread, no blocking call.
 *
 *   connect_many PORT [N [HOST]]   N = 100, HOST = 127.0.0.1 by default (a name works
 *                                  too); against `select_server --poller`
 * prints a summary and exits 0 when all N connected and got the right reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"
#include "portable.h"

#define DEADLINE_MS 30000.0

enum state { CONNECTING, WAITING_REPLY, DONE };

struct conn {
    sockhelp_connector *connector;
    sockhelp_socket s;
    enum state state;
    char request[32];
    size_t request_len;
};

static int fail(const char *what, int rc) {
    fprintf(stderr, "connect_many: %s: %s (os error %d: %s)\n", what, sockhelp_strerror(rc),
            sockhelp_last_os_error(), sockhelp_os_strerror(sockhelp_last_os_error()));
    return 1;
}

/* Connected: send the request and wait for the reply. */
static int on_connected(sockhelp_poller *p, const sockhelp_framing *f, struct conn *c,
                        uint64_t tag) {
    int rc;
    sockhelp_connector_free(c->connector);
    c->connector = NULL;
    rc = sockhelp_send_frame(c->s, f, c->request, c->request_len, 1000, NULL);
    if (rc != SOCKHELP_OK)
        return fail("send_frame", rc);
    rc = sockhelp_poller_add(p, c->s, SOCKHELP_READABLE, tag);
    if (rc != SOCKHELP_OK)
        return fail("poller_modify", rc);
    c->state = WAITING_REPLY;
    return 0;
}

int main(int argc, char **argv) {
    long port_arg = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    size_t n = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 100;
    const char *host = argc > 3 ? argv[3] : "127.0.0.1";
    sockhelp_framing *f;
    sockhelp_poller *p;
    struct conn *conns;
    sockhelp_event events[64];
    size_t i, at_once = 0, in_progress = 0, done = 0;
    double start;
    int rc;

    if (port_arg <= 0 || port_arg > 65535 || n == 0) {
        fprintf(stderr, "usage: connect_many PORT [N [HOST]]\n");
        return 2;
    }
    if (sockhelp_init() != SOCKHELP_OK)
        return 1;
    raise_fd_limit();
    f = sockhelp_framing_length_prefixed(4, false, 1024);
    p = sockhelp_poller_new();
    conns = calloc(n, sizeof *conns);
    if (!f || !p || !conns) {
        fprintf(stderr, "connect_many: out of memory\n");
        return 1;
    }

    /* Start every connection before waiting for any: a step each, so that the ones that
     * connect at once do. */
    for (i = 0; i < n; i++) {
        struct conn *c = &conns[i];
        c->request_len = (size_t)snprintf(c->request, sizeof c->request, "hello %lu",
                                          (unsigned long)i);
        rc = sockhelp_connector_start(host, (uint16_t)port_arg, NULL, &c->connector);
        if (rc != SOCKHELP_OK)
            return fail("connector_start", rc);
        rc = sockhelp_connector_poll_with(c->connector, p, i);
        if (rc != SOCKHELP_OK)
            return fail("connector_poll_with", rc);
        c->state = CONNECTING;
        rc = sockhelp_connector_step(c->connector, &c->s);
        if (rc == SOCKHELP_OK) {
            at_once++;
            if (on_connected(p, f, c, i) != 0)
                return 1;
        } else if (rc == SOCKHELP_EWOULDBLOCK) {
            in_progress++;
        } else {
            return fail("connector_step", rc);
        }
    }

    start = now_ms();
    while (done < n) {
        int k, got;
        if (now_ms() - start > DEADLINE_MS) {
            fprintf(stderr, "connect_many: only %lu of %lu done in time\n",
                    (unsigned long)done, (unsigned long)n);
            return 1;
        }
        /* the stagger: a connector may need a step after a while even if nothing is ready */
        int wait = 1000;
        for (i = 0; i < n; i++) {
            int t = conns[i].state == CONNECTING ? sockhelp_connector_timeout_ms(conns[i].connector) : -1;
            if (t >= 0 && t < wait)
                wait = t;
        }
        got = sockhelp_poller_wait(p, events, 64, wait);
        if (got < 0)
            return fail("poller_wait", got);
        if (got == 0) /* timed out: step every connector still connecting */
            for (i = 0; i < n; i++)
                if (conns[i].state == CONNECTING) {
                    rc = sockhelp_connector_step(conns[i].connector, &conns[i].s);
                    if (rc == SOCKHELP_OK) {
                        if (on_connected(p, f, &conns[i], i) != 0)
                            return 1;
                    } else if (rc != SOCKHELP_EWOULDBLOCK) {
                        return fail("connector_step", rc);
                    }
                }
        for (k = 0; k < got; k++) {
            uint64_t tag = events[k].tag;
            struct conn *c = &conns[tag];
            if (c->state == CONNECTING) {
                rc = sockhelp_connector_step(c->connector, &c->s);
                if (rc == SOCKHELP_EWOULDBLOCK)
                    continue; /* not yet: the poller watches what it waits on */
                if (rc != SOCKHELP_OK)
                    return fail("connector_step", rc);
                if (on_connected(p, f, c, tag) != 0)
                    return 1;
            } else if (c->state == WAITING_REPLY) {
                char reply[64];
                size_t len = 0, j;
                /* One small frame that is arriving: read it whole, with a deadline. (A
                 * long-lived connection keeps one reader and uses timeout 0 instead.) */
                sockhelp_reader *r = sockhelp_reader_new(f);
                if (!r)
                    return 1;
                rc = sockhelp_recv_frame(r, c->s, reply, sizeof reply, &len, 1000);
                sockhelp_reader_free(r);
                if (rc != SOCKHELP_OK)
                    return fail("recv_frame", rc);
                if (len != c->request_len)
                    goto wrong;
                for (j = 0; j < len; j++)
                    if (reply[j] != c->request[len - 1 - j])
                        goto wrong;
                sockhelp_poller_remove(p, c->s);
                sockhelp_close(c->s);
                c->state = DONE;
                done++;
                continue;
            wrong:
                fprintf(stderr, "connect_many: connection %lu got a wrong reply\n",
                        (unsigned long)tag);
                return 1;
            }
        }
    }
    printf("connect_many: %lu connections (%lu at once, %lu in progress), all replies right\n",
           (unsigned long)n, (unsigned long)at_once, (unsigned long)in_progress);
    sockhelp_poller_free(p);
    sockhelp_framing_free(f);
    free(conns);
    sockhelp_cleanup();
    return 0;
}

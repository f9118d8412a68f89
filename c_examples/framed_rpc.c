/*
 * framed_rpc: length-prefixed request/response, the HOWTO's "say how long the
 * message is" made real.
 *
 * Every message is a 4-byte big-endian length and then that many bytes
 * (sockhelp_framing_length_prefixed(4, false, max)). A request is a command
 * line: "upper TEXT", "reverse TEXT" or "sum N N N...". The reply is the
 * result, or "error: ..." for a command the server does not know.
 *
 * The client pipelines: it sends all its requests first, then reads all the
 * replies, so one recv on either side often holds several messages, or half
 * of one. sockhelp's reader keeps the leftovers.
 *
 *   framed_rpc server PORT [CLIENTS]   serve (a thread per client); stop after CLIENTS
 *   framed_rpc client PORT             run the checks against a server
 *   framed_rpc demo                    both in one process, 4 clients at once
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"

#define MAX_MSG (1u << 20)
#define TIMEOUT_MS 10000

static sockhelp_framing *framing;

static size_t handle(const char *req, size_t len, char *reply, size_t cap) {
    if (len >= 6 && memcmp(req, "upper ", 6) == 0) {
        size_t n = len - 6 < cap ? len - 6 : cap;
        for (size_t i = 0; i < n; i++) reply[i] = (char)toupper((unsigned char)req[6 + i]);
        return n;
    }
    if (len >= 8 && memcmp(req, "reverse ", 8) == 0) {
        size_t n = len - 8 < cap ? len - 8 : cap;
        for (size_t i = 0; i < n; i++) reply[i] = req[len - 1 - i];
        return n;
    }
    if (len >= 4 && memcmp(req, "sum ", 4) == 0) {
        long long total = 0;
        size_t i = 4;
        while (i < len) {
            long long v = 0;
            int neg = 0, digits = 0;
            while (i < len && req[i] == ' ') i++;
            if (i < len && req[i] == '-') { neg = 1; i++; }
            while (i < len && isdigit((unsigned char)req[i])) { v = v * 10 + (req[i] - '0'); i++; digits++; }
            if (digits) total += neg ? -v : v;
            else if (i < len) { return (size_t)snprintf(reply, cap, "error: not a number"); }
        }
        return (size_t)snprintf(reply, cap, "%lld", total);
    }
    return (size_t)snprintf(reply, cap, "error: unknown command");
}

static void *serve_client(void *arg) {
    sockhelp_socket s = *(sockhelp_socket *)arg;
    free(arg);
    sockhelp_reader *r = sockhelp_reader_new(framing);
    char *req = malloc(MAX_MSG), *reply = malloc(MAX_MSG);
    size_t len = 0;
    int rc;
    while (r && req && reply &&
           (rc = sockhelp_recv_frame(r, s, req, MAX_MSG, &len, TIMEOUT_MS)) == SOCKHELP_OK) {
        size_t n = handle(req, len, reply, MAX_MSG);
        rc = sockhelp_send_frame(s, framing, reply, n, TIMEOUT_MS, NULL);
        if (rc != SOCKHELP_OK) break;
    }
    /* ECLOSED with nothing buffered is the client's normal goodbye. */
    free(req);
    free(reply);
    sockhelp_reader_free(r);
    sockhelp_close_graceful(s, 1000);
    return NULL;
}

static int serve(sockhelp_socket listener, int clients) {
    pthread_t threads[64];
    int n = 0;
    while (clients <= 0 || n < clients) {
        sockhelp_socket *s = malloc(sizeof *s);
        if (!s) return 1;
        int rc = sockhelp_accept(listener, -1, s);
        if (rc != SOCKHELP_OK) {
            fprintf(stderr, "accept: %s\n", sockhelp_strerror(rc));
            free(s);
            return 1;
        }
        if (pthread_create(&threads[n % 64], NULL, serve_client, s) != 0) return 1;
        if (clients > 0) n++;
        else pthread_detach(threads[0]);
    }
    for (int i = 0; i < n && i < 64; i++) pthread_join(threads[i], NULL);
    return 0;
}

struct check { const char *req; const char *want; };

static int run_client(uint16_t port, int id) {
    static const struct check checks[] = {
        {"upper hello, world", "HELLO, WORLD"},
        {"reverse stressed", "desserts"},
        {"sum 1 2 3 4 5", "15"},
        {"sum -7 7 100", "100"},
        {"upper ", ""},
        {"frobnicate", "error: unknown command"},
    };
    const size_t n = sizeof checks / sizeof checks[0];
    sockhelp_socket s;
    int rc = sockhelp_connect("127.0.0.1", port, TIMEOUT_MS, &s);
    if (rc != SOCKHELP_OK) {
        fprintf(stderr, "client %d: connect: %s\n", id, sockhelp_strerror(rc));
        return 1;
    }
    /* Pipeline: every request goes out before any reply is read. A big one too. */
    char *big = malloc(300000);
    memcpy(big, "upper ", 6);
    for (size_t i = 6; i < 300000; i++) big[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < n && rc == SOCKHELP_OK; i++)
        rc = sockhelp_send_frame(s, framing, checks[i].req, strlen(checks[i].req), TIMEOUT_MS, NULL);
    if (rc == SOCKHELP_OK) rc = sockhelp_send_frame(s, framing, big, 300000, TIMEOUT_MS, NULL);
    if (rc != SOCKHELP_OK) {
        fprintf(stderr, "client %d: send: %s\n", id, sockhelp_strerror(rc));
        return 1;
    }
    sockhelp_reader *r = sockhelp_reader_new(framing);
    char *reply = malloc(MAX_MSG);
    int bad = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t len = 0;
        rc = sockhelp_recv_frame(r, s, reply, MAX_MSG, &len, TIMEOUT_MS);
        if (rc != SOCKHELP_OK) {
            fprintf(stderr, "client %d: reply %zu: %s\n", id, i, sockhelp_strerror(rc));
            bad = 1;
            break;
        }
        if (i < n) {
            if (len != strlen(checks[i].want) || memcmp(reply, checks[i].want, len) != 0) {
                fprintf(stderr, "client %d: '%s' -> '%.*s', want '%s'\n", id, checks[i].req,
                        (int)len, reply, checks[i].want);
                bad = 1;
            }
        } else {
            int ok = len == 300000 - 6;
            for (size_t k = 0; ok && k < len; k++) ok = reply[k] == (char)('A' + (k + 6) % 26);
            if (!ok) { fprintf(stderr, "client %d: big reply wrong\n", id); bad = 1; }
        }
    }
    sockhelp_reader_free(r);
    free(reply);
    free(big);
    sockhelp_close_graceful(s, 1000);
    return bad;
}

struct client_arg { uint16_t port; int id; int result; };

static void *client_thread(void *p) {
    struct client_arg *a = p;
    a->result = run_client(a->port, a->id);
    return NULL;
}

int main(int argc, char **argv) {
    if (sockhelp_init() != SOCKHELP_OK) return 1;
    framing = sockhelp_framing_length_prefixed(4, false, MAX_MSG);
    if (!framing) return 1;
    int rc = 2;
    if (argc >= 3 && strcmp(argv[1], "server") == 0) {
        sockhelp_socket l;
        if (sockhelp_listen("127.0.0.1", (uint16_t)atoi(argv[2]), 64, &l) != SOCKHELP_OK) return 1;
        uint16_t port = 0;
        sockhelp_local_port(l, &port);
        printf("listening on %u\n", port);
        fflush(stdout);
        rc = serve(l, argc >= 4 ? atoi(argv[3]) : 0);
        sockhelp_close(l);
    } else if (argc >= 3 && strcmp(argv[1], "client") == 0) {
        rc = run_client((uint16_t)atoi(argv[2]), 0);
        if (rc == 0) printf("framed_rpc: all replies correct\n");
    } else if (argc >= 2 && strcmp(argv[1], "demo") == 0) {
        enum { CLIENTS = 4 };
        sockhelp_socket l;
        uint16_t port = 0;
        if (sockhelp_listen("127.0.0.1", 0, 64, &l) != SOCKHELP_OK) return 1;
        sockhelp_local_port(l, &port);
        struct client_arg args[CLIENTS];
        pthread_t t[CLIENTS];
        for (int i = 0; i < CLIENTS; i++) {
            args[i].port = port;
            args[i].id = i;
            args[i].result = 1;
            pthread_create(&t[i], NULL, client_thread, &args[i]);
        }
        rc = serve(l, CLIENTS);
        for (int i = 0; i < CLIENTS; i++) {
            pthread_join(t[i], NULL);
            rc |= args[i].result;
        }
        sockhelp_close(l);
        printf("framed_rpc demo: %d pipelining clients, %s\n", CLIENTS,
               rc == 0 ? "every reply correct" : "FAILED");
    } else {
        fprintf(stderr, "usage: %s server PORT [CLIENTS] | client PORT | demo\n", argv[0]);
    }
    sockhelp_framing_free(framing);
    sockhelp_cleanup();
    return rc;
}

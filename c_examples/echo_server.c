/*
 * echo_server: the Socket Programming HOWTO's server, made real with sockhelp.
 *
 *   usage: echo_server [PORT [MAX_CLIENTS]]
 *
 * Listens on 127.0.0.1:PORT (0, the default, lets the system choose) and prints
 * "listening on PORT" to stdout, so a script can read the port. One thread per client.
 * Protocol: the client sends a 4-byte big-endian length, then that many bytes; the server
 * sends the same frame back; repeat until the client closes between two messages.
 * With MAX_CLIENTS > 0 the server stops after that many clients and exits 0 if every one of
 * them was served without error (so a demo ends by itself).
 *
 * The HOWTO's lessons, as sockhelp calls:
 * - recv may return part of a message: sockhelp_recvall loops until the frame is whole.
 * - a stream has no boundaries: the 4-byte length prefix makes them.
 * - recv returning 0 means the peer closed: SOCKHELP_ECLOSED, and with 0 bytes of a new
 *   header received it is the clean end of the conversation.
 * - a dead or silent client must not hang its thread: every call has a timeout.
 * - shutdown before close: sockhelp_close_graceful.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"

/* Never allocate what a peer asks for beyond this (the HOWTO's bounded memory). */
#define MAX_MESSAGE ((uint32_t)64 << 20)
/* A client that says nothing for this long is dropped. */
#define IDLE_TIMEOUT_MS 30000
#define IO_TIMEOUT_MS 10000

struct client {
    sockhelp_socket s;
    unsigned long id;
    int failed;
};

static void report(const struct client *c, const char *what, int rc, size_t got, size_t want)
{
    fprintf(stderr, "client %lu: %s: %s (%lu of %lu bytes)\n", c->id, what,
            sockhelp_strerror(rc), (unsigned long)got, (unsigned long)want);
}

static void *serve(void *arg)
{
    struct client *c = arg;
    unsigned long messages = 0, bytes = 0;
    int rc;

    for (;;) {
        unsigned char hdr[4];
        unsigned char *buf;
        uint32_t len;
        size_t got, sent;

        rc = sockhelp_recvall(c->s, hdr, sizeof hdr, IDLE_TIMEOUT_MS, &got);
        if (rc == SOCKHELP_ECLOSED && got == 0)
            break; /* closed at a message boundary: the clean end */
        if (rc != SOCKHELP_OK) {
            report(c, "reading a header", rc, got, sizeof hdr);
            c->failed = 1;
            break;
        }
        len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 |
              (uint32_t)hdr[3];
        if (len > MAX_MESSAGE) {
            fprintf(stderr, "client %lu: refusing a message of %lu bytes (max %lu)\n", c->id,
                    (unsigned long)len, (unsigned long)MAX_MESSAGE);
            c->failed = 1;
            break;
        }
        buf = malloc(len > 0 ? len : 1);
        if (buf == NULL) {
            fprintf(stderr, "client %lu: out of memory\n", c->id);
            c->failed = 1;
            break;
        }
        rc = sockhelp_recvall(c->s, buf, len, IO_TIMEOUT_MS, &got);
        if (rc != SOCKHELP_OK) {
            report(c, "reading a message", rc, got, len);
        } else {
            rc = sockhelp_sendall(c->s, hdr, sizeof hdr, IO_TIMEOUT_MS, &sent);
            if (rc != SOCKHELP_OK)
                report(c, "echoing a header", rc, sent, sizeof hdr);
            else if ((rc = sockhelp_sendall(c->s, buf, len, IO_TIMEOUT_MS, &sent)) !=
                     SOCKHELP_OK)
                report(c, "echoing a message", rc, sent, len);
        }
        free(buf);
        if (rc != SOCKHELP_OK) {
            c->failed = 1;
            break;
        }
        messages++;
        bytes += len;
    }

    rc = sockhelp_close_graceful(c->s, 2000);
    if (rc != SOCKHELP_OK && !c->failed) {
        fprintf(stderr, "client %lu: close: %s\n", c->id, sockhelp_strerror(rc));
        c->failed = 1;
    }
    printf("client %lu: %lu messages, %lu bytes echoed%s\n", c->id, messages, bytes,
           c->failed ? " (ended with an error)" : "");
    fflush(stdout);
    return NULL;
}

static unsigned long parse(const char *s, unsigned long max, const char *what)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v > max) {
        fprintf(stderr, "echo_server: bad %s \"%s\"\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    unsigned long port = argc > 1 ? parse(argv[1], 65535, "port") : 0;
    unsigned long max_clients = argc > 2 ? parse(argv[2], 100000, "client count") : 0;
    struct client **clients = NULL;
    pthread_t *threads = NULL;
    unsigned long n = 0, i;
    sockhelp_socket l;
    uint16_t bound;
    int rc, failures = 0;

    if (sockhelp_init() != SOCKHELP_OK) {
        fprintf(stderr, "echo_server: cannot start the socket layer\n");
        return 1;
    }
    rc = sockhelp_listen("127.0.0.1", (uint16_t)port, 16, &l);
    if (rc == SOCKHELP_OK)
        rc = sockhelp_local_port(l, &bound);
    if (rc != SOCKHELP_OK) {
        fprintf(stderr, "echo_server: listen: %s (os error %d)\n", sockhelp_strerror(rc),
                sockhelp_last_os_error());
        return 1;
    }
    printf("listening on %u\n", (unsigned)bound);
    fflush(stdout);

    if (max_clients > 0) {
        clients = calloc(max_clients, sizeof *clients);
        threads = calloc(max_clients, sizeof *threads);
        if (clients == NULL || threads == NULL) {
            fprintf(stderr, "echo_server: out of memory\n");
            return 1;
        }
    }

    while (max_clients == 0 || n < max_clients) {
        struct client *c;
        pthread_t t;
        sockhelp_socket s;

        rc = sockhelp_accept(l, -1, &s);
        if (rc != SOCKHELP_OK) {
            fprintf(stderr, "echo_server: accept: %s (os error %d)\n", sockhelp_strerror(rc),
                    sockhelp_last_os_error());
            if (rc == SOCKHELP_EINVAL)
                break;
            continue; /* e.g. out of descriptors for a moment: keep serving the others */
        }
        c = calloc(1, sizeof *c);
        if (c == NULL) {
            sockhelp_close(s);
            continue;
        }
        c->s = s;
        c->id = ++n;
        if (pthread_create(&t, NULL, serve, c) != 0) {
            fprintf(stderr, "echo_server: cannot start a thread\n");
            sockhelp_close(s);
            free(c);
            n--;
            continue;
        }
        if (max_clients > 0) {
            clients[n - 1] = c;
            threads[n - 1] = t;
        } else {
            pthread_detach(t); /* serving forever: the client's memory stays (tiny) */
        }
    }

    sockhelp_close(l);
    for (i = 0; i < n && max_clients > 0; i++) {
        pthread_join(threads[i], NULL);
        failures += clients[i]->failed;
        free(clients[i]);
    }
    free(clients);
    free(threads);
    printf("served %lu clients, %d with errors\n", n, failures);
    sockhelp_cleanup();
    return failures == 0 ? 0 : 1;
}

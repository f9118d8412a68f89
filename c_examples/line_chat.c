/*
 * line_chat: a chat room over newline-delimited messages, the HOWTO's
 * "messages end with a delimiter" made real.
 *
 * Every message is a line ending in "\n" (sockhelp_framing_delimited("\n")).
 * The server relays each line it receives to every client as "NAME: TEXT".
 * When the expected number of clients has joined it says "* all N here", and
 * the clients start talking. Lines arrive in pieces (a client sends one in
 * two halves on purpose) and several to one recv; the reader sorts it out.
 *
 *   line_chat server PORT N      serve N clients, then exit
 *   line_chat client PORT NAME N one chatty client among N
 *   line_chat demo               server and 3 clients in one process
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"

#define MAX_LINE 1024
#define LINES_EACH 50
#define TIMEOUT_MS 10000
#define MAX_CLIENTS 32

static sockhelp_framing *lines;

static pthread_mutex_t room_lock = PTHREAD_MUTEX_INITIALIZER;
static sockhelp_socket room[MAX_CLIENTS];
static int room_size, joined, expected;

/* A real server would queue per client with sockhelp_writer and never let a slow
 * reader hold the room; this example keeps it short with a bounded send. */
static void broadcast(const char *msg, size_t len) {
    pthread_mutex_lock(&room_lock);
    for (int i = 0; i < room_size; i++)
        sockhelp_send_frame(room[i], lines, msg, len, 1000, NULL);
    pthread_mutex_unlock(&room_lock);
}

static void leave(sockhelp_socket s) {
    pthread_mutex_lock(&room_lock);
    for (int i = 0; i < room_size; i++)
        if (room[i] == s) room[i] = room[--room_size];
    pthread_mutex_unlock(&room_lock);
}

static void *serve_client(void *arg) {
    sockhelp_socket s = *(sockhelp_socket *)arg;
    free(arg);
    sockhelp_reader *r = sockhelp_reader_new(lines);
    char name[64] = "?", line[MAX_LINE], out[MAX_LINE + 80];
    size_t len = 0;
    int first = 1;
    while (r && sockhelp_recv_frame(r, s, line, sizeof line, &len, TIMEOUT_MS) == SOCKHELP_OK) {
        if (first) { /* the first line is the client's name */
            snprintf(name, sizeof name, "%.*s", (int)len, line);
            first = 0;
            pthread_mutex_lock(&room_lock);
            int all = ++joined == expected;
            pthread_mutex_unlock(&room_lock);
            if (all) {
                int n = snprintf(out, sizeof out, "* all %d here", expected);
                broadcast(out, (size_t)n);
            }
            continue;
        }
        int n = snprintf(out, sizeof out, "%s: %.*s", name, (int)len, line);
        broadcast(out, (size_t)n);
    }
    leave(s);
    sockhelp_reader_free(r);
    sockhelp_close_graceful(s, 1000);
    return NULL;
}

static int serve(sockhelp_socket listener, int n) {
    pthread_t threads[MAX_CLIENTS];
    expected = n;
    for (int i = 0; i < n; i++) {
        sockhelp_socket *s = malloc(sizeof *s);
        if (!s || sockhelp_accept(listener, TIMEOUT_MS, s) != SOCKHELP_OK) return 1;
        pthread_mutex_lock(&room_lock);
        room[room_size++] = *s;
        pthread_mutex_unlock(&room_lock);
        pthread_create(&threads[i], NULL, serve_client, s);
    }
    for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
    return 0;
}

static int run_client(uint16_t port, const char *name, int n) {
    sockhelp_socket s;
    int rc = sockhelp_connect("127.0.0.1", port, TIMEOUT_MS, &s);
    if (rc != SOCKHELP_OK) {
        fprintf(stderr, "%s: connect: %s\n", name, sockhelp_strerror(rc));
        return 1;
    }
    sockhelp_reader *r = sockhelp_reader_new(lines);
    char line[MAX_LINE + 80], msg[MAX_LINE];
    size_t len;
    sockhelp_send_frame(s, lines, name, strlen(name), TIMEOUT_MS, NULL);
    /* Wait for everyone. */
    do {
        rc = sockhelp_recv_frame(r, s, line, sizeof line, &len, TIMEOUT_MS);
    } while (rc == SOCKHELP_OK && !(len > 2 && memcmp(line, "* ", 2) == 0));
    if (rc != SOCKHELP_OK) {
        fprintf(stderr, "%s: waiting for the room: %s\n", name, sockhelp_strerror(rc));
        return 1;
    }
    for (int j = 0; j < LINES_EACH && rc == SOCKHELP_OK; j++) {
        int k = snprintf(msg, sizeof msg, "line %d from %s", j, name);
        if (j == 7) { /* one line in two pieces: the server must wait for the rest */
            rc = sockhelp_sendall(s, msg, 4, TIMEOUT_MS, NULL);
            if (rc == SOCKHELP_OK) rc = sockhelp_sendall(s, msg + 4, (size_t)k - 4, TIMEOUT_MS, NULL);
            if (rc == SOCKHELP_OK) rc = sockhelp_sendall(s, "\n", 1, TIMEOUT_MS, NULL);
        } else {
            rc = sockhelp_send_frame(s, lines, msg, (size_t)k, TIMEOUT_MS, NULL);
        }
    }
    /* Read everyone's lines; each sender's must come in order. */
    int next_from[MAX_CLIENTS] = {0};
    char names[MAX_CLIENTS][64];
    int known = 0, total = 0, bad = 0;
    while (rc == SOCKHELP_OK && total < n * LINES_EACH) {
        rc = sockhelp_recv_frame(r, s, line, sizeof line - 1, &len, TIMEOUT_MS);
        if (rc != SOCKHELP_OK) break;
        line[len] = '\0';
        char *colon = strstr(line, ": ");
        if (!colon) continue;
        *colon = '\0';
        int who = -1;
        for (int i = 0; i < known; i++) if (strcmp(names[i], line) == 0) who = i;
        if (who < 0 && known < MAX_CLIENTS) { who = known++; snprintf(names[who], 64, "%.63s", line); }
        char want[MAX_LINE + 160];
        snprintf(want, sizeof want, "line %d from %.63s", next_from[who], line);
        if (strcmp(colon + 2, want) != 0) {
            fprintf(stderr, "%s: got '%s', want '%s'\n", name, colon + 2, want);
            bad = 1;
        }
        next_from[who]++;
        total++;
    }
    if (rc != SOCKHELP_OK) fprintf(stderr, "%s: %s after %d lines\n", name, sockhelp_strerror(rc), total);
    sockhelp_reader_free(r);
    sockhelp_close_graceful(s, 1000);
    return rc != SOCKHELP_OK || bad || known != n;
}

struct client_arg { uint16_t port; char name[24]; int n; int result; };

static void *client_thread(void *p) {
    struct client_arg *a = p;
    a->result = run_client(a->port, a->name, a->n);
    return NULL;
}

int main(int argc, char **argv) {
    if (sockhelp_init() != SOCKHELP_OK) return 1;
    lines = sockhelp_framing_delimited("\n", 1, MAX_LINE);
    int rc = 2;
    if (argc >= 4 && strcmp(argv[1], "server") == 0) {
        sockhelp_socket l;
        uint16_t port = 0;
        if (sockhelp_listen("127.0.0.1", (uint16_t)atoi(argv[2]), 64, &l) != SOCKHELP_OK) return 1;
        sockhelp_local_port(l, &port);
        printf("listening on %u\n", port);
        fflush(stdout);
        rc = serve(l, atoi(argv[3]));
        sockhelp_close(l);
    } else if (argc >= 5 && strcmp(argv[1], "client") == 0) {
        rc = run_client((uint16_t)atoi(argv[2]), argv[3], atoi(argv[4]));
    } else if (argc >= 2 && strcmp(argv[1], "demo") == 0) {
        enum { N = 3 };
        sockhelp_socket l;
        uint16_t port = 0;
        if (sockhelp_listen("127.0.0.1", 0, 64, &l) != SOCKHELP_OK) return 1;
        sockhelp_local_port(l, &port);
        struct client_arg args[N];
        pthread_t t[N];
        for (int i = 0; i < N; i++) {
            args[i].port = port;
            snprintf(args[i].name, sizeof args[i].name, "client%d", i);
            args[i].n = N;
            args[i].result = 1;
            pthread_create(&t[i], NULL, client_thread, &args[i]);
        }
        rc = serve(l, N);
        for (int i = 0; i < N; i++) {
            pthread_join(t[i], NULL);
            rc |= args[i].result;
        }
        sockhelp_close(l);
        printf("line_chat demo: %d clients x %d lines, %s\n", N, LINES_EACH,
               rc == 0 ? "every line relayed to everyone, in order" : "FAILED");
    } else {
        fprintf(stderr, "usage: %s server PORT N | client PORT NAME N | demo\n", argv[0]);
    }
    sockhelp_framing_free(lines);
    sockhelp_cleanup();
    return rc;
}

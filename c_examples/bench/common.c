/* The C benchmark's shared helpers: pairs, clock, errors, the message pattern. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "sockhelp.h"

double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void die(const char *what, int rc) {
    fprintf(stderr, "bench: %s: %s\n", what, rc ? sockhelp_strerror(rc) : strerror(errno));
    exit(1);
}

void fail(const char *what) {
    fprintf(stderr, "bench: %s\n", what);
    exit(1);
}

void set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl", 0);
}

void make_pair(int tcp, int fds[2]) {
    if (!tcp) {
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) die("socketpair", 0);
        return;
    }
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int one = 1;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &alen) != 0)
        die("listen", 0);
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&a, sizeof a) != 0) die("connect", 0);
    fds[1] = accept(l, NULL, NULL);
    if (fds[1] < 0) die("accept", 0);
    close(l);
    if (setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        die("TCP_NODELAY", 0);
}

void raw_send_all(int fd, const void *p, size_t n) {
    const unsigned char *b = p;
    while (n > 0) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR) continue;
            die("send", 0);
        }
        b += k;
        n -= (size_t)k;
    }
}

void raw_recv_all(int fd, void *p, size_t n) {
    unsigned char *b = p;
    while (n > 0) {
        ssize_t k = recv(fd, b, n, 0);
        if (k <= 0) {
            if (k < 0 && errno == EINTR) continue;
            if (k == 0) fail("recv: the peer closed early");
            die("recv", 0);
        }
        b += k;
        n -= (size_t)k;
    }
}

unsigned char *pattern_buffer(size_t len) {
    size_t cap = len > CHUNK ? len : CHUNK;
    unsigned char *b = malloc(cap);
    if (!b) fail("out of memory");
    memset(b, PATTERN, cap);
    return b;
}

void put_len(unsigned char *h, size_t len) {
    h[0] = (unsigned char)(len >> 24);
    h[1] = (unsigned char)(len >> 16);
    h[2] = (unsigned char)(len >> 8);
    h[3] = (unsigned char)len;
}

void check_msg(const void *msg, size_t len, size_t payload) {
    if (len != payload || (payload > 0 && ((const unsigned char *)msg)[0] != PATTERN)) {
        fprintf(stderr, "bench: bad message (%zu bytes, expected %zu)\n", len, payload);
        exit(1);
    }
}

void ipc_path(char *out, size_t cap) {
    static int counter;
    snprintf(out, cap, "/tmp/sockhelp-bench-%ld-%d.ipc", (long)getpid(), counter++);
    unlink(out);
}

pthread_t spawn(void *(*fn)(void *), void *arg) {
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) != 0) fail("pthread_create failed");
    return t;
}

void join(pthread_t t) {
    if (pthread_join(t, NULL) != 0) fail("pthread_join failed");
}

/*
 * The resolver is bounded (issue 23, findings 3 and 6). This program brings its own
 * getaddrinfo (a definition in the executable comes before the C library's, so the
 * static library's lookups reach it: no LD_PRELOAD needed): names starting with "hang."
 * never get an answer, as during a DNS outage; every other name goes to the real one.
 *
 *   resolver_bounded threads   16 sockhelp_connect("hang.example", 80, 50 ms) calls each
 *                              end in SOCKHELP_ETIMEDOUT, and the process has at most
 *                              4 more threads afterwards than before (/proc/self/task):
 *                              the lookups share a small pool, and a lookup abandoned at
 *                              its deadline never takes a thread of its own. Literals and
 *                              names that do resolve still work while the pool is stuck
 *                              (literals never touch the resolver).
 *   resolver_bounded listen    sockhelp_listen("hang.example", ...) returns
 *                              SOCKHELP_ETIMEDOUT within its documented bound (2 s; the
 *                              test allows 10 s) instead of waiting forever.
 */
#define _GNU_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <dlfcn.h>
#include <netdb.h>

static int g_hung; /* lookups that entered the hanging getaddrinfo */

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    if (node != NULL && strncmp(node, "hang.", 5) == 0) {
        __sync_fetch_and_add(&g_hung, 1);
        for (;;)
            sleep(3600);
    }
    *(void **)(&real) = dlsym(RTLD_NEXT, "getaddrinfo");
    if (real == NULL)
        return EAI_SYSTEM;
    return real(node, service, hints, res);
}

static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    CHECK(d != NULL);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* A literal still listens and connects at once, and a name the real resolver answers
 * ("localhost") connects too, whatever the hanging lookups hold. */
static void literals_work(sockhelp_socket l, uint16_t port)
{
    sockhelp_socket l2, c, a;
    long long t0 = now_ms();
    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 1, &l2), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(l2), SOCKHELP_OK);
    CHECK_RC(sockhelp_connect("127.0.0.1", port, 2000, &c), SOCKHELP_OK);
    CHECK_RC(sockhelp_accept(l, 2000, &a), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(a), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(c), SOCKHELP_OK);
    CHECK_ELAPSED(now_ms() - t0, 0, 1000);
}

static void threads_bounded(void)
{
    sockhelp_socket l, c, a;
    uint16_t port;
    int before, after, i;
    long long t0, worst = 0;

    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 8, &l), SOCKHELP_OK);
    CHECK_RC(sockhelp_local_port(l, &port), SOCKHELP_OK);
    /* the real resolver, through the pool: works */
    CHECK_RC(sockhelp_connect("localhost", port, 5000, &c), SOCKHELP_OK);
    CHECK_RC(sockhelp_accept(l, 2000, &a), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(a), SOCKHELP_OK);
    CHECK_RC(sockhelp_close(c), SOCKHELP_OK);

    before = thread_count();
    for (i = 0; i < 16; i++) {
        long long took;
        t0 = now_ms();
        CHECK_RC(sockhelp_connect("hang.example", 80, 50, &c), SOCKHELP_ETIMEDOUT);
        took = now_ms() - t0;
        CHECK(c == SOCKHELP_INVALID_SOCKET);
        CHECK_ELAPSED(took, 40, 3000);
        if (took > worst)
            worst = took;
    }
    after = thread_count();
    printf("resolver_bounded threads: %d threads before, %d after 16 hung lookups "
           "(%d reached getaddrinfo), slowest call %lld ms\n",
           before, after, __sync_fetch_and_add(&g_hung, 0), worst);
    if (after - before > 4)
        FAIL("16 timed-out lookups left %d threads behind (at most 4 allowed)",
             after - before);
    CHECK(__sync_fetch_and_add(&g_hung, 0) <= 4);

    literals_work(l, port);
    CHECK_RC(sockhelp_close(l), SOCKHELP_OK);
}

static void listen_bounded(void)
{
    sockhelp_socket l, l2;
    uint16_t port;
    long long t0 = now_ms(), took;
    int rc = sockhelp_listen("hang.example", 0, 1, &l);
    took = now_ms() - t0;
    printf("resolver_bounded listen: %s after %lld ms\n", sockhelp_strerror(rc), took);
    CHECK_RC(rc, SOCKHELP_ETIMEDOUT);
    CHECK(l == SOCKHELP_INVALID_SOCKET);
    CHECK_ELAPSED(took, 0, 10000);
    /* and again: the stuck lookup does not make the next one any longer */
    t0 = now_ms();
    CHECK_RC(sockhelp_listen("hang.example", 0, 1, &l), SOCKHELP_ETIMEDOUT);
    CHECK_ELAPSED(now_ms() - t0, 0, 10000);
    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 1, &l2), SOCKHELP_OK);
    CHECK_RC(sockhelp_local_port(l2, &port), SOCKHELP_OK);
    literals_work(l2, port);
    CHECK_RC(sockhelp_close(l2), SOCKHELP_OK);
}

int main(int argc, char **argv)
{
    watchdog(30);
    if (argc == 2 && strcmp(argv[1], "threads") == 0)
        threads_bounded();
    else if (argc == 2 && strcmp(argv[1], "listen") == 0)
        listen_bounded();
    else
        FAIL("usage: resolver_bounded threads|listen");
    /* the hung lookups' threads are still asleep in getaddrinfo: exit without them */
    fflush(stdout);
    _exit(0);
}

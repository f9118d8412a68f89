/*
 * Happy Eyeballs through the header (issue 24). This program brings its own getaddrinfo
 * (a definition in the executable comes before the C library's, so the static library's
 * lookups, sys::getaddrinfo's libc::getaddrinfo, reach it; no LD_PRELOAD):
 *
 *   blackhole.test   127.0.0.2 (a listener whose accept queue is full: a further SYN is
 *                    dropped, as by a black-holed route), then 127.0.0.1 (serving)
 *   refused.test     127.0.0.2 (nothing listens there), then 127.0.0.1 (serving)
 *   localhost        ::1 then 127.0.0.1, as most /etc/hosts map it (this machine's may not)
 *   again.test       EAI_AGAIN (the name server did not answer)
 *   hang.*           never answers (a DNS outage)
 *   anything else    the real resolver
 *
 * Parts (argv[1]):
 *   blackhole   sockhelp_connect("blackhole.test", p, 5000): connected to 127.0.0.1 in
 *               about the stagger (250 ms; 200..2500 allowed), not the deadline
 *   refused     sockhelp_connect("refused.test", p, 5000): connected at once (< 240 ms);
 *               both refused: SOCKHELP_EREFUSED
 *   localhost   an IPv6-only server, then an IPv4-only one: "localhost" reaches both
 *   hang        100 sockhelp_connect("hang.N", 80, 30) in a loop: each ETIMEDOUT within
 *               its deadline (+ margin), at most 4 more threads afterwards
 *   tryagain    EAI_AGAIN is SOCKHELP_ETRYAGAIN (connect and resolve); an unknown name is
 *               SOCKHELP_ENOTFOUND; sockhelp_resolve prints the addresses
 *   connector   the non-blocking connector through a poller, to blackhole.test: the lookup
 *               on the pool, the wake socket, the stagger; never a blocking call
 */
#define _GNU_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <dlfcn.h>
#include <netdb.h>

static int g_hung;

/* One getaddrinfo entry, allocated as glibc does (the address in the same block, so the
 * C library's freeaddrinfo frees it). */
static struct addrinfo *entry(const char *ip, struct addrinfo *next)
{
    struct addrinfo *ai;
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *a;
        ai = calloc(1, sizeof *ai + sizeof *a);
        CHECK(ai != NULL);
        a = (struct sockaddr_in6 *)(ai + 1);
        a->sin6_family = AF_INET6;
        CHECK(inet_pton(AF_INET6, ip, &a->sin6_addr) == 1);
        ai->ai_family = AF_INET6;
        ai->ai_addrlen = sizeof *a;
        ai->ai_addr = (struct sockaddr *)a;
    } else {
        struct sockaddr_in *a;
        ai = calloc(1, sizeof *ai + sizeof *a);
        CHECK(ai != NULL);
        a = (struct sockaddr_in *)(ai + 1);
        a->sin_family = AF_INET;
        CHECK(inet_pton(AF_INET, ip, &a->sin_addr) == 1);
        ai->ai_family = AF_INET;
        ai->ai_addrlen = sizeof *a;
        ai->ai_addr = (struct sockaddr *)a;
    }
    ai->ai_socktype = SOCK_STREAM;
    ai->ai_protocol = IPPROTO_TCP;
    ai->ai_next = next;
    return ai;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    if (node != NULL && strncmp(node, "hang.", 5) == 0) {
        __sync_fetch_and_add(&g_hung, 1);
        for (;;)
            sleep(3600);
    }
    if (node != NULL && strcmp(node, "again.test") == 0)
        return EAI_AGAIN;
    if (node != NULL && (strcmp(node, "blackhole.test") == 0 || strcmp(node, "refused.test") == 0)) {
        *res = entry("127.0.0.2", entry("127.0.0.1", NULL));
        return 0;
    }
    if (node != NULL && strcmp(node, "localhost") == 0) {
        *res = entry("::1", entry("127.0.0.1", NULL));
        return 0;
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

/* A raw listener on ip:port (port 0: any), its port in *port. */
static int listener_at(int family, const char *ip, uint16_t *port, int backlog)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1, fd = socket(family, SOCK_STREAM, 0);
    SYS(fd);
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(*port);
        CHECK(inet_pton(AF_INET6, ip, &a->sin6_addr) == 1);
        SYS(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(*port);
        CHECK(inet_pton(AF_INET, ip, &a->sin_addr) == 1);
        len = sizeof *a;
    }
    SYS(bind(fd, (struct sockaddr *)&ss, len));
    SYS(listen(fd, backlog));
    len = sizeof ss;
    SYS(getsockname(fd, (struct sockaddr *)&ss, &len));
    *port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                     : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* Fills listener 127.0.0.2:port's accept queue (never accepted) until a connection gets no
 * answer: later SYNs are dropped. Returns how many connections it took. */
static int fill_queue(uint16_t port, int *fds, int max)
{
    struct sockaddr_in a;
    int i;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.2", &a.sin_addr);
    for (i = 0; i < max; i++) {
        struct pollfd p;
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        SYS(fds[i]);
        connect(fds[i], (struct sockaddr *)&a, sizeof a);
        p.fd = fds[i];
        p.events = POLLOUT;
        if (poll(&p, 1, 300) == 0)
            return i + 1;
    }
    FAIL("%d connections and the accept queue is not full", max);
    return max;
}

/* The printable peer of s, for messages and checks. */
static const char *peer(sockhelp_socket s)
{
    static char buf[SOCKHELP_ADDR_MAX];
    CHECK_RC(sockhelp_peer_addr(s, buf, sizeof buf, NULL), SOCKHELP_OK);
    return buf;
}

static void blackhole(void)
{
    uint16_t port = 0;
    int good = listener_at(AF_INET, "127.0.0.1", &port, 8);
    int hole = listener_at(AF_INET, "127.0.0.2", &port, 0);
    int fill[16], n = fill_queue(port, fill, 16), i;
    char want[64];
    sockhelp_socket s;
    long long t0 = now_ms(), took;
    CHECK_RC(sockhelp_connect("blackhole.test", port, 5000, &s), SOCKHELP_OK);
    took = now_ms() - t0;
    snprintf(want, sizeof want, "127.0.0.1:%u", port);
    printf("connect_race blackhole: %s won after %lld ms (the first address black-holed "
           "by %d queued connections)\n", peer(s), took, n);
    CHECK(strcmp(peer(s), want) == 0);
    CHECK_ELAPSED(took, 200, 2500);
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    for (i = 0; i < n; i++)
        close(fill[i]);
    close(hole);
    close(good);
}

static void refused(void)
{
    uint16_t port = 0;
    int good = listener_at(AF_INET, "127.0.0.1", &port, 8);
    sockhelp_socket s;
    long long t0 = now_ms(), took;
    CHECK_RC(sockhelp_connect("refused.test", port, 5000, &s), SOCKHELP_OK);
    took = now_ms() - t0;
    printf("connect_race refused: %s won after %lld ms (the first address refused)\n",
           peer(s), took);
    CHECK_ELAPSED(took, 0, 239);
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(good);
    /* nothing anywhere: refused (not the last error, not a timeout) */
    t0 = now_ms();
    CHECK_RC(sockhelp_connect("refused.test", port, 5000, &s), SOCKHELP_EREFUSED);
    CHECK_ELAPSED(now_ms() - t0, 0, 1000);
}

static void localhost(void)
{
    uint16_t p6 = 0, p4 = 0;
    int l6 = listener_at(AF_INET6, "::1", &p6, 8);
    int l4 = listener_at(AF_INET, "127.0.0.1", &p4, 8);
    sockhelp_socket s;
    char want[64];
    CHECK_RC(sockhelp_connect("localhost", p6, 5000, &s), SOCKHELP_OK);
    snprintf(want, sizeof want, "[::1]:%u", p6);
    CHECK(strcmp(peer(s), want) == 0);
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    CHECK_RC(sockhelp_connect("localhost", p4, 5000, &s), SOCKHELP_OK);
    snprintf(want, sizeof want, "127.0.0.1:%u", p4);
    CHECK(strcmp(peer(s), want) == 0);
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    /* one family only */
    {
        sockhelp_connect_opts o = {0};
        o.family = 4;
        CHECK_RC(sockhelp_connect_ex("localhost", p6, &o, 5000, &s), SOCKHELP_EREFUSED);
        o.family = 6;
        CHECK_RC(sockhelp_connect_ex("localhost", p6, &o, 5000, &s), SOCKHELP_OK);
        CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
        o.family = 5;
        CHECK_RC(sockhelp_connect_ex("localhost", p6, &o, 5000, &s), SOCKHELP_EINVAL);
        o.family = 0;
        o.bind_host = "127.0.0.1";
        CHECK_RC(sockhelp_connect_ex("localhost", p4, &o, 5000, &s), SOCKHELP_OK);
        CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    }
    printf("connect_race localhost: [::1]:%u (IPv6-only) and 127.0.0.1:%u (IPv4-only) "
           "both reached as localhost\n", p6, p4);
    close(l6);
    close(l4);
}

static void hang(void)
{
    int before = thread_count(), after, peak = before, i;
    long long worst = 0;
    for (i = 0; i < 100; i++) {
        char name[32];
        sockhelp_socket s;
        long long t0 = now_ms(), took;
        snprintf(name, sizeof name, "hang.%d", i);
        CHECK_RC(sockhelp_connect(name, 80, 30, &s), SOCKHELP_ETIMEDOUT);
        took = now_ms() - t0;
        CHECK(s == SOCKHELP_INVALID_SOCKET);
        CHECK_ELAPSED(took, 25, 2000);
        if (took > worst)
            worst = took;
        if (thread_count() > peak)
            peak = thread_count();
    }
    after = thread_count();
    printf("connect_race hang: 100 connects to names that never resolve, each ETIMEDOUT "
           "(slowest %lld ms for a 30 ms deadline); threads %d before, peak %d, %d after "
           "(%d lookups reached getaddrinfo)\n",
           worst, before, peak, after, __sync_fetch_and_add(&g_hung, 0));
    CHECK(peak - before <= 4);
    CHECK(__sync_fetch_and_add(&g_hung, 0) <= 4);
}

static void tryagain(void)
{
    sockhelp_socket s;
    char buf[256];
    size_t needed = 0, count = 0;
    CHECK_RC(sockhelp_connect("again.test", 80, 2000, &s), SOCKHELP_ETRYAGAIN);
    CHECK_RC(sockhelp_connect("again.test", 80, -1, &s), SOCKHELP_ETRYAGAIN);
    CHECK_RC(sockhelp_resolve("again.test", 80, 2000, buf, sizeof buf, &needed, &count),
             SOCKHELP_ETRYAGAIN);
    CHECK(needed == 0 && count == 0);
    CHECK_RC(sockhelp_connect("no-such-name.invalid", 80, 2000, &s), SOCKHELP_ENOTFOUND);
    CHECK(strcmp(sockhelp_strerror(SOCKHELP_ETRYAGAIN), sockhelp_strerror(SOCKHELP_ENOTFOUND)) != 0);
    CHECK_RC(sockhelp_resolve("localhost", 80, 2000, buf, sizeof buf, &needed, &count), SOCKHELP_OK);
    CHECK(strcmp(buf, "::1\n127.0.0.1") == 0);
    CHECK(needed == strlen(buf) + 1 && count == 2);
    CHECK_RC(sockhelp_resolve("localhost", 80, 2000, buf, 5, &needed, &count), SOCKHELP_ENOSPACE);
    CHECK(needed == 14 && count == 2);
    CHECK_RC(sockhelp_resolve("localhost", 80, 2000, NULL, 0, &needed, NULL), SOCKHELP_ENOSPACE);
    CHECK_RC(sockhelp_resolve("::1", 80, 0, buf, sizeof buf, NULL, &count), SOCKHELP_OK);
    CHECK(strcmp(buf, "::1") == 0 && count == 1);
    printf("connect_race tryagain: EAI_AGAIN is %s, a bad name %s; localhost resolves to %s\n",
           sockhelp_strerror(SOCKHELP_ETRYAGAIN), sockhelp_strerror(SOCKHELP_ENOTFOUND),
           "::1, 127.0.0.1");
}

static void connector(void)
{
    uint16_t port = 0;
    int good = listener_at(AF_INET, "127.0.0.1", &port, 8);
    int hole = listener_at(AF_INET, "127.0.0.2", &port, 0);
    int fill[16], n = fill_queue(port, fill, 16), i, steps = 0, rc;
    sockhelp_poller *p = sockhelp_poller_new();
    sockhelp_connector *c = NULL;
    sockhelp_socket s = SOCKHELP_INVALID_SOCKET;
    long long t0 = now_ms(), took, longest_step = 0;
    CHECK(p != NULL);
    CHECK_RC(sockhelp_connector_start("blackhole.test", port, NULL, &c), SOCKHELP_OK);
    CHECK_RC(sockhelp_connector_poll_with(c, p, 7), SOCKHELP_OK);
    for (;;) {
        sockhelp_event ev[8];
        int got, k, wait = sockhelp_connector_timeout_ms(c);
        long long s0;
        CHECK(steps++ < 1000);
        CHECK(now_ms() - t0 < 5000);
        got = sockhelp_poller_wait(p, ev, 8, wait < 0 || wait > 1000 ? 1000 : wait);
        CHECK(got >= 0);
        for (k = 0; k < got; k++)
            CHECK(ev[k].tag == 7);
        s0 = now_ms();
        rc = sockhelp_connector_step(c, &s);
        if (now_ms() - s0 > longest_step)
            longest_step = now_ms() - s0;
        if (rc != SOCKHELP_EWOULDBLOCK)
            break;
    }
    took = now_ms() - t0;
    CHECK_RC(rc, SOCKHELP_OK);
    printf("connect_race connector: %s won after %lld ms in %d steps (longest step %lld ms)\n",
           peer(s), took, steps, longest_step);
    CHECK_ELAPSED(took, 200, 2500);
    CHECK(longest_step < 100);
    /* the winner left the poller; the losers were removed before they were closed */
    CHECK_RC(sockhelp_poller_remove(p, s), SOCKHELP_EINVAL);
    {
        sockhelp_socket again;
        CHECK_RC(sockhelp_connector_step(c, &again), SOCKHELP_EINVAL);
        CHECK(again == SOCKHELP_INVALID_SOCKET);
    }
    sockhelp_connector_free(c);
    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    /* freed in progress: nothing left behind in the poller */
    CHECK_RC(sockhelp_connector_start("blackhole.test", port, NULL, &c), SOCKHELP_OK);
    CHECK_RC(sockhelp_connector_poll_with(c, p, 8), SOCKHELP_OK);
    sockhelp_connector_free(c);
    sockhelp_connector_free(NULL);
    sockhelp_poller_free(p);
    for (i = 0; i < n; i++)
        close(fill[i]);
    close(hole);
    close(good);
}

int main(int argc, char **argv)
{
    watchdog(60);
    if (argc != 2)
        FAIL("usage: connect_race blackhole|refused|localhost|hang|tryagain|connector");
    if (strcmp(argv[1], "blackhole") == 0)
        blackhole();
    else if (strcmp(argv[1], "refused") == 0)
        refused();
    else if (strcmp(argv[1], "localhost") == 0)
        localhost();
    else if (strcmp(argv[1], "hang") == 0)
        hang();
    else if (strcmp(argv[1], "tryagain") == 0)
        tryagain();
    else if (strcmp(argv[1], "connector") == 0)
        connector();
    else
        FAIL("unknown part %s", argv[1]);
    /* hung lookups' threads may still sleep in getaddrinfo: exit without them */
    fflush(stdout);
    _exit(0);
}

/*
 * Issue 22, the socket and poller calls for servers, through the header:
 *
 *   accept_ex   sockhelp_accept_ex: the flags set on the new socket (and nothing set
 *               without them, whatever the listener), the address, the buffer and flag
 *               checks before anything is accepted, the deadline, a Unix-domain listener.
 *   reuseport   sockhelp_listen_ex with SOCKHELP_LISTEN_REUSEPORT: two listeners on one
 *               port, both given connections; without the flag the second bind fails.
 *   timers      sockhelp_poller_set_deadline: the wait returns by the nearest deadline,
 *               one event per socket with TIMEDOUT and readiness together, one-shot,
 *               replaced, cleared, kept by modify, cleared by remove; the bad arguments.
 *   timers_10k  10,000 connections from a child process: the 5,000 idle ones are dropped
 *               on time by their deadlines, the 5,000 that keep talking are all kept (the
 *               child checks from its side too).
 *   pass        sockhelp_send_socket / sockhelp_recv_socket across a real fork: the child
 *               serves a connection the parent accepted; a byte without a socket, several
 *               descriptors at once (the extras closed), timeouts, the peer's close.
 */
#include "testutil.h"

#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/un.h>

/* A condition that must hold, with what to say when it does not. */
#define CHECKM(cond, ...)                                                            \
    do {                                                                             \
        if (!(cond))                                                                 \
            FAIL(__VA_ARGS__);                                                       \
    } while (0)

#define CHECK_OK(call) CHECK_RC(call, SOCKHELP_OK)

static uint16_t port_of(sockhelp_socket s)
{
    uint16_t port = 0;
    CHECK_OK(sockhelp_local_port(s, &port));
    return port;
}

/* A raw blocking TCP client of 127.0.0.1:port that must connect. */
static int client_of(uint16_t port)
{
    int fd = raw_connect(port);
    SYS(fd);
    return fd;
}

static int is_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);
    SYS(fl);
    return (fl & FD_CLOEXEC) != 0;
}

static int nodelay_of(int fd)
{
    return get_int_opt(fd, IPPROTO_TCP, TCP_NODELAY) != 0;
}

/* "127.0.0.1:<local port of fd>": the address accept_ex must report for that client. */
static void client_addr(int fd, char *buf, size_t cap)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    SYS(getsockname(fd, (struct sockaddr *)&a, &len));
    snprintf(buf, cap, "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
}

static void case_accept_ex(void)
{
    sockhelp_socket l, s = SOCKHELP_INVALID_SOCKET;
    char addr[SOCKHELP_ADDR_MAX], want[64];
    const unsigned all =
        SOCKHELP_ACCEPT_NONBLOCK | SOCKHELP_ACCEPT_NODELAY | SOCKHELP_ACCEPT_CLOEXEC;
    long long t0;
    int c, i;

    CHECK_OK(sockhelp_listen("127.0.0.1", 0, 16, &l));

    /* All three flags, and the address. */
    c = client_of(port_of(l));
    CHECK_OK(sockhelp_accept_ex(l, all, 2000, &s, addr, sizeof addr));
    client_addr(c, want, sizeof want);
    CHECKM(strcmp(addr, want) == 0, "accept_ex wrote \"%s\", the client is %s", addr, want);
    CHECKM(fd_is_nonblocking(s), "NONBLOCK asked, the socket is blocking");
    CHECKM(is_cloexec(s), "CLOEXEC asked, the socket is not close-on-exec");
    CHECKM(nodelay_of(s), "NODELAY asked, TCP_NODELAY is off");
    sockhelp_close(s);
    close(c);

    /* No flags: blocking, inherited across exec, Nagle on; even from a non-blocking
     * listener (whose O_NONBLOCK the BSDs' plain accept would pass on); NULL addr. */
    CHECK_OK(sockhelp_set_nonblocking(l, true));
    c = client_of(port_of(l));
    CHECK_OK(sockhelp_accept_ex(l, 0, 2000, &s, NULL, 0));
    CHECKM(!fd_is_nonblocking(s), "no NONBLOCK asked, the socket is non-blocking");
    CHECKM(!is_cloexec(s), "no CLOEXEC asked, the socket is close-on-exec");
    CHECKM(!nodelay_of(s), "no NODELAY asked, TCP_NODELAY is on");
    CHECKM(fd_is_nonblocking(l), "the listener's mode changed");
    sockhelp_close(s);
    close(c);
    CHECK_OK(sockhelp_set_nonblocking(l, false));

    /* Each flag alone sets only itself. */
    for (i = 0; i < 3; i++) {
        unsigned f = 1u << i;
        c = client_of(port_of(l));
        CHECK_OK(sockhelp_accept_ex(l, f, 2000, &s, NULL, 0));
        CHECKM(fd_is_nonblocking(s) == (f == SOCKHELP_ACCEPT_NONBLOCK), "flag %u: mode", f);
        CHECKM(nodelay_of(s) == (f == SOCKHELP_ACCEPT_NODELAY), "flag %u: nodelay", f);
        CHECKM(is_cloexec(s) == (f == SOCKHELP_ACCEPT_CLOEXEC), "flag %u: cloexec", f);
        sockhelp_close(s);
        close(c);
    }

    /* Bad flags and a short buffer are refused before anything is accepted: the waiting
     * connection is still there for the next call. */
    c = client_of(port_of(l));
    s = 123;
    CHECK_RC(sockhelp_accept_ex(l, 8, 2000, &s, NULL, 0), SOCKHELP_EINVAL);
    CHECKM(s == SOCKHELP_INVALID_SOCKET, "*out not cleared on failure");
    CHECK_RC(sockhelp_accept_ex(l, all, 2000, &s, addr, SOCKHELP_ADDR_MAX - 1), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_accept_ex(l, all, -2, &s, NULL, 0), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_accept_ex(l, all, 2000, NULL, NULL, 0), SOCKHELP_EINVAL);
    CHECK_OK(sockhelp_accept_ex(l, all, 2000, &s, addr, sizeof addr));
    client_addr(c, want, sizeof want);
    CHECKM(strcmp(addr, want) == 0, "the connection after refusals: \"%s\" vs %s", addr, want);
    sockhelp_close(s);
    close(c);

    /* The deadline: 0 is a look, 200 ms is 200 ms. */
    CHECK_RC(sockhelp_accept_ex(l, all, 0, &s, NULL, 0), SOCKHELP_EWOULDBLOCK);
    t0 = now_ms();
    CHECK_RC(sockhelp_accept_ex(l, all, 200, &s, NULL, 0), SOCKHELP_ETIMEDOUT);
    CHECKM(now_ms() - t0 >= 190 && now_ms() - t0 < 2000, "accept_ex(200) took %lld ms",
          now_ms() - t0);
    sockhelp_close(l);

    /* A non-blocking listener (an event loop's) is tried at once, without the listening
     * check and the wait: the same answers and the same deadlines. */
    {
        CHECK_OK(sockhelp_listen("127.0.0.1", 0, 4, &l));
        CHECK_OK(sockhelp_set_nonblocking(l, 1));
        CHECK_RC(sockhelp_accept_ex(l, all, 0, &s, NULL, 0), SOCKHELP_EWOULDBLOCK);
        t0 = now_ms();
        CHECK_RC(sockhelp_accept_ex(l, all, 200, &s, NULL, 0), SOCKHELP_ETIMEDOUT);
        CHECKM(now_ms() - t0 >= 190 && now_ms() - t0 < 2000,
               "accept_ex(200) on a non-blocking listener took %lld ms", now_ms() - t0);
        c = client_of(port_of(l));
        CHECK_OK(sockhelp_accept_ex(l, all, 2000, &s, addr, sizeof addr));
        client_addr(c, want, sizeof want);
        CHECKM(strcmp(addr, want) == 0, "non-blocking listener: \"%s\" vs %s", addr, want);
        CHECKM(fcntl(s, F_GETFL) & O_NONBLOCK, "accept_ex from a non-blocking listener: blocking");
        sockhelp_close(s);
        close(c);
        sockhelp_close(l);
    }

    /* Not listening: EOS at once, whatever the socket's mode. */
    for (int nb = 0; nb < 2; nb++) {
        sockhelp_socket conn;
        CHECK_OK(sockhelp_listen("127.0.0.1", 0, 4, &l));
        c = client_of(port_of(l));
        CHECK_OK(sockhelp_accept(l, 2000, &conn));
        CHECK_OK(sockhelp_set_nonblocking(conn, nb));
        t0 = now_ms();
        CHECK_RC(sockhelp_accept_ex(conn, all, 2000, &s, NULL, 0), SOCKHELP_EOS);
        CHECKM(now_ms() - t0 < 1000, "accept_ex on a connected socket (non-blocking %d) waited %lld ms",
               nb, now_ms() - t0);
        sockhelp_close(conn);
        sockhelp_close(l);
        close(c);
    }

    /* A Unix-domain listener: NODELAY is no error there, the unnamed client prints "". */
    {
        char path[64];
        sockhelp_socket ul, uc;
        snprintf(path, sizeof path, "/tmp/sockhelp-accept-ex-%d", (int)getpid());
        unlink(path);
        CHECK_OK(sockhelp_listen_unix(path, 4, &ul));
        CHECK_OK(sockhelp_connect_unix(path, 2000, &uc));
        strcpy(addr, "junk");
        CHECK_OK(sockhelp_accept_ex(ul, all, 2000, &s, addr, sizeof addr));
        CHECKM(addr[0] == 0, "an unnamed Unix client printed \"%s\"", addr);
        CHECKM(fd_is_nonblocking(s) && is_cloexec(s), "Unix-domain: flags not set");
        sockhelp_close(s);
        sockhelp_close(uc);
        sockhelp_close(ul);
        unlink(path);
    }
}

static void case_reuseport(void)
{
    sockhelp_socket a, b, s;
    uint16_t port;
    int i, got_a = 0, got_b = 0, c;

    CHECK_RC(sockhelp_listen_ex("127.0.0.1", 0, 16, 2, &a), SOCKHELP_EINVAL);
    CHECK_OK(sockhelp_listen_ex("127.0.0.1", 0, 64, SOCKHELP_LISTEN_REUSEPORT, &a));
    port = port_of(a);
    /* Without the flag the port is taken. */
    CHECK_RC(sockhelp_listen_ex("127.0.0.1", port, 64, 0, &b), SOCKHELP_EOS);
    CHECKM(sockhelp_last_os_error() == EADDRINUSE, "errno %d", sockhelp_last_os_error());
    CHECK_OK(sockhelp_listen_ex("127.0.0.1", port, 64, SOCKHELP_LISTEN_REUSEPORT, &b));
    /* Linux spreads connections by a hash of the 4-tuple: 64 clients reach both. */
    for (i = 0; i < 64; i++) {
        c = client_of(port);
        close(c);
    }
    while (sockhelp_accept(a, 300, &s) == SOCKHELP_OK) {
        got_a++;
        sockhelp_close(s);
    }
    while (sockhelp_accept(b, 300, &s) == SOCKHELP_OK) {
        got_b++;
        sockhelp_close(s);
    }
    CHECKM(got_a + got_b == 64, "accepted %d + %d of 64", got_a, got_b);
    CHECKM(got_a > 0 && got_b > 0, "one listener got none: %d / %d", got_a, got_b);
    sockhelp_close(a);
    sockhelp_close(b);
}

/* One wait; returns the number of events (into ev[]). */
static int wait_events(sockhelp_poller *p, sockhelp_event *ev, int timeout)
{
    int n = sockhelp_poller_wait(p, ev, 16, timeout);
    CHECKM(n >= 0, "poller_wait: %d (%s)", n, sockhelp_strerror(n));
    return n;
}

static void case_timers(void)
{
    int sv[4][2], i, n;
    sockhelp_poller *p = sockhelp_poller_new();
    sockhelp_event ev[16];
    long long t0, took;

    CHECKM(p != NULL, "poller_new");
    for (i = 0; i < 4; i++) {
        SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]));
        CHECK_OK(sockhelp_poller_add(p, sv[i][0], SOCKHELP_READABLE, 100 + i));
    }
    /* Bad arguments. */
    CHECK_RC(sockhelp_poller_set_deadline(NULL, sv[0][0], 10), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_poller_set_deadline(p, sv[0][1], 10), SOCKHELP_EINVAL); /* not added */
    CHECK_RC(sockhelp_poller_set_deadline(p, sv[0][0], -2), SOCKHELP_EINVAL);

    /* The nearest deadline ends a wait that would wait forever; one socket at a time. */
    t0 = now_ms();
    CHECK_OK(sockhelp_poller_set_deadline(p, sv[0][0], 150));
    CHECK_OK(sockhelp_poller_set_deadline(p, sv[1][0], 500));
    n = wait_events(p, ev, -1);
    took = now_ms() - t0;
    CHECKM(n == 1 && ev[0].tag == 100 && ev[0].events == SOCKHELP_TIMEDOUT_EVENT,
          "first wait: n %d tag %llu events %u", n, (unsigned long long)ev[0].tag,
          ev[0].events);
    CHECKM(took >= 148 && took < 1500, "the 150 ms deadline came after %lld ms", took);
    n = wait_events(p, ev, -1);
    took = now_ms() - t0;
    CHECKM(n == 1 && ev[0].tag == 101 && ev[0].events == SOCKHELP_TIMEDOUT_EVENT,
          "second wait: n %d tag %llu", n, (unsigned long long)ev[0].tag);
    CHECKM(took >= 498 && took < 2000, "the 500 ms deadline came after %lld ms", took);

    /* One-shot: nothing more (a 300 ms wait times out with 0). */
    CHECKM(wait_events(p, ev, 300) == 0, "a reported deadline came back");

    /* Readiness and a passed deadline of one socket: one event with both bits. */
    SYS((int)write(sv[2][1], "x", 1));
    CHECK_OK(sockhelp_poller_set_deadline(p, sv[2][0], 0));
    n = wait_events(p, ev, 1000);
    CHECKM(n == 1 && ev[0].tag == 102 &&
              ev[0].events == (SOCKHELP_TIMEDOUT_EVENT | SOCKHELP_READABLE),
          "both in one: n %d events %u", n, ev[0].events);
    /* Then readiness alone (level-triggered), the deadline gone. */
    n = wait_events(p, ev, 0);
    CHECKM(n == 1 && ev[0].events == SOCKHELP_READABLE, "after: n %d events %u", n,
          ev[0].events);
    {
        char b;
        SYS((int)read(sv[2][0], &b, 1));
    }

    /* Replaced: the second deadline holds. Cleared: none. Modify keeps it, remove drops it. */
    t0 = now_ms();
    CHECK_OK(sockhelp_poller_set_deadline(p, sv[0][0], 50));
    CHECK_OK(sockhelp_poller_set_deadline(p, sv[0][0], 400));
    CHECK_OK(sockhelp_poller_set_deadline(p, sv[1][0], 100));
    CHECK_OK(sockhelp_poller_set_deadline(p, sv[1][0], -1));
    CHECK_OK(sockhelp_poller_set_deadline(p, sv[3][0], 100));
    CHECK_OK(sockhelp_poller_remove(p, sv[3][0]));
    CHECK_OK(sockhelp_poller_add(p, sv[3][0], SOCKHELP_READABLE, 103));
    CHECK_OK(sockhelp_poller_modify(p, sv[0][0], SOCKHELP_READABLE, 200));
    n = wait_events(p, ev, 2000);
    took = now_ms() - t0;
    CHECKM(n == 1 && ev[0].tag == 200 && ev[0].events == SOCKHELP_TIMEDOUT_EVENT,
          "replaced: n %d tag %llu", n, (unsigned long long)ev[0].tag);
    CHECKM(took >= 398 && took < 2000, "the replaced deadline came after %lld ms", took);
    CHECKM(wait_events(p, ev, 300) == 0, "a cleared or removed deadline came back");

    /* 0 looks: a passed deadline is reported by a wait with timeout 0. */
    CHECK_OK(sockhelp_poller_set_deadline(p, sv[1][0], 0));
    n = wait_events(p, ev, 0);
    CHECKM(n == 1 && ev[0].tag == 101, "timeout 0: n %d", n);

    sockhelp_poller_free(p);
    for (i = 0; i < 4; i++) {
        close(sv[i][0]);
        close(sv[i][1]);
    }
}

/* ------------------------------------------------------------------------------------- */
/* 10,000 connections: half idle (dropped by their deadline), half active (kept).         */

#define CONNS 10000
#define IDLE_MS 2000     /* the deadline of a connection with nothing to say */
#define TALK_EVERY_MS 250 /* how often an active client sends a byte */

/* The child: CONNS clients, the even ones active. Connects, talks, and when the parent
 * says "done" checks that every idle connection was closed and no active one was. */
static int clients(uint16_t port, int done_fd)
{
    static int fds[CONNS];
    long long last_talk = now_ms();
    int i, bad_idle = 0, bad_active = 0;

    for (i = 0; i < CONNS; i++) {
        fds[i] = client_of(port);
        if (i % 2 == 0)
            SYS((int)write(fds[i], "a", 1));
        if (now_ms() - last_talk >= TALK_EVERY_MS) {
            int j;
            for (j = 0; j < i; j += 2)
                SYS((int)write(fds[j], "a", 1));
            last_talk = now_ms();
        }
    }
    for (;;) {
        struct pollfd pf = {done_fd, POLLIN, 0};
        int r = poll(&pf, 1, TALK_EVERY_MS);
        SYS(r);
        if (r == 1)
            break;
        for (i = 0; i < CONNS; i += 2)
            SYS((int)write(fds[i], "a", 1));
    }
    for (i = 0; i < CONNS; i++) {
        char b;
        ssize_t got = recv(fds[i], &b, 1, MSG_DONTWAIT);
        int closed = got == 0 || (got < 0 && errno == ECONNRESET);
        if (got < 0 && errno != EAGAIN && errno != ECONNRESET)
            FAIL("client %d: recv: %s", i, strerror(errno));
        if (i % 2 == 1 && !closed)
            bad_idle++;
        if (i % 2 == 0 && closed)
            bad_active++;
        close(fds[i]);
    }
    if (bad_idle || bad_active)
        FAIL("child: %d idle connections still open, %d active ones closed", bad_idle,
             bad_active);
    return 0;
}

struct conn {
    sockhelp_socket s;
    long long armed_at; /* now_ms() when its deadline was last set */
    int talked;         /* it has sent something */
};

static void case_timers_10k(void)
{
    static struct conn conns[CONNS];
    static sockhelp_event ev[1024];
    sockhelp_socket l;
    sockhelp_poller *p;
    int done[2], accepted = 0, dropped = 0, status, n, i;
    long long all_dropped_at = -1, t_start, worst_late = 0;
    pid_t pid;
    uint16_t port;
    const uint64_t LISTENER = UINT64_MAX;

    CHECK_OK(sockhelp_listen("127.0.0.1", 0, 4096, &l));
    port = port_of(l);
    SYS(pipe(done));
    pid = fork();
    SYS(pid);
    if (pid == 0) {
        close(done[1]);
        sockhelp_close(l);
        alarm(60);
        _exit(clients(port, done[0]));
    }
    close(done[0]);
    p = sockhelp_poller_new();
    CHECKM(p != NULL, "poller_new");
    CHECK_OK(sockhelp_poller_add(p, l, SOCKHELP_READABLE, LISTENER));
    t_start = now_ms();
    for (;;) {
        long long now;
        n = sockhelp_poller_wait(p, ev, 1024, 1000);
        CHECKM(n >= 0, "poller_wait: %d", n);
        now = now_ms();
        for (i = 0; i < n; i++) {
            if (ev[i].tag == LISTENER) {
                sockhelp_socket s;
                while (accepted < CONNS &&
                       sockhelp_accept_ex(l, SOCKHELP_ACCEPT_NONBLOCK | SOCKHELP_ACCEPT_CLOEXEC,
                                          0, &s, NULL, 0) == SOCKHELP_OK) {
                    conns[accepted].s = s;
                    conns[accepted].armed_at = now_ms();
                    conns[accepted].talked = 0;
                    CHECK_OK(sockhelp_poller_add(p, s, SOCKHELP_READABLE, (uint64_t)accepted));
                    CHECK_OK(sockhelp_poller_set_deadline(p, s, IDLE_MS));
                    accepted++;
                }
                continue;
            }
            {
                struct conn *c = &conns[ev[i].tag];
                if (ev[i].events & SOCKHELP_TIMEDOUT_EVENT) {
                    long long idle = now - c->armed_at;
                    CHECKM(!c->talked, "a connection that talked was dropped after %lld ms idle",
                          idle);
                    CHECKM(idle >= IDLE_MS - 2, "dropped after %lld ms, before its deadline",
                          idle);
                    if (idle - IDLE_MS > worst_late)
                        worst_late = idle - IDLE_MS;
                    CHECK_OK(sockhelp_poller_remove(p, c->s));
                    sockhelp_close(c->s);
                    c->s = SOCKHELP_INVALID_SOCKET;
                    dropped++;
                    if (dropped == CONNS / 2)
                        all_dropped_at = now;
                    continue;
                }
                if (ev[i].events & SOCKHELP_READABLE) {
                    char buf[64];
                    ssize_t got = recv(c->s, buf, sizeof buf, 0);
                    CHECKM(got > 0, "an active client closed or failed: %zd", got);
                    c->talked = 1;
                    c->armed_at = now_ms();
                    CHECK_OK(sockhelp_poller_set_deadline(p, c->s, IDLE_MS));
                }
            }
        }
        /* The active ones must outlive the idle ones by more than a deadline period. */
        if (all_dropped_at >= 0 && now_ms() - all_dropped_at > IDLE_MS + 500)
            break;
        CHECKM(now_ms() - t_start < 40000, "not done in 40 s: %d accepted, %d dropped",
              accepted, dropped);
    }
    CHECKM(accepted == CONNS, "accepted %d", accepted);
    CHECKM(dropped == CONNS / 2, "dropped %d, want %d", dropped, CONNS / 2);
    for (i = 0; i < CONNS; i++)
        if (conns[i].s != SOCKHELP_INVALID_SOCKET)
            CHECKM(conns[i].talked, "connection %d kept but never talked", i);
    SYS((int)write(done[1], "d", 1));
    SYS(waitpid(pid, &status, 0));
    CHECKM(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the clients' process: status %d",
          status);
    printf("timers_10k: %d connections, %d idle dropped, %d active kept, the latest drop "
           "%lld ms past its deadline, %lld ms in all\n",
           accepted, dropped, accepted - dropped, worst_late, now_ms() - t_start);
    for (i = 0; i < CONNS; i++)
        if (conns[i].s != SOCKHELP_INVALID_SOCKET)
            sockhelp_close(conns[i].s);
    sockhelp_poller_free(p);
    sockhelp_close(l);
    close(done[1]);
}

/* ------------------------------------------------------------------------------------- */
/* Passing a socket to a child process.                                                   */

/* Sends one byte with `n` descriptors attached (raw SCM_RIGHTS, as any sender could). */
static void raw_send_fds(int us, const int *fds, int n)
{
    char byte = 'x';
    struct iovec iov = {&byte, 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(8 * sizeof(int))];
    } ctl;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    memset(&ctl, 0, sizeof ctl);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (n > 0) {
        struct cmsghdr *c;
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    }
    SYS((int)sendmsg(us, &msg, 0));
}

/* How many descriptors this process has open (below 1024). */
static int open_fds(void)
{
    int fd, count = 0;
    for (fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            count++;
    return count;
}

/* The child: gets a connection, serves one request on it, then the hostile messages. */
static int pass_child(int us)
{
    sockhelp_socket s;
    char buf[5];
    size_t got = 0;
    int before;

    CHECK_OK(sockhelp_recv_socket(us, 5000, &s));
    CHECKM(is_cloexec(s), "a received socket is not close-on-exec");
    CHECK_OK(sockhelp_recvall(s, buf, 5, 5000, &got));
    CHECKM(memcmp(buf, "hello", 5) == 0, "the request");
    CHECK_OK(sockhelp_sendall(s, "HELLO", 5, 5000, NULL));
    CHECK_OK(sockhelp_close(s));
    SYS((int)write(us, "k", 1)); /* served */

    /* A byte without a socket. */
    CHECK_RC(sockhelp_recv_socket(us, 5000, &s), SOCKHELP_EBADFRAME);
    /* A pipe, then two sockets, in one message: the first socket kept, the rest closed. */
    before = open_fds();
    CHECK_OK(sockhelp_recv_socket(us, 5000, &s));
    CHECKM(open_fds() == before + 1, "fds: %d before, %d after (the extras leak)", before,
          open_fds());
    {
        int type = 0;
        socklen_t len = sizeof type;
        SYS(getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len));
        CHECKM(type == SOCK_STREAM, "the kept descriptor is not the stream socket: %d", type);
        CHECK_OK(sockhelp_sendall(s, "2", 1, 5000, NULL)); /* tell the parent which one */
    }
    sockhelp_close(s);
    /* Only descriptors that are not sockets: closed, EBADFRAME. */
    before = open_fds();
    CHECK_RC(sockhelp_recv_socket(us, 5000, &s), SOCKHELP_EBADFRAME);
    CHECKM(open_fds() == before, "a non-socket descriptor leaked");
    /* The parent closes: ECLOSED. */
    CHECK_RC(sockhelp_recv_socket(us, 5000, &s), SOCKHELP_ECLOSED);
    return 0;
}

static void case_pass(void)
{
    int sv[2], c, status, pipefd[2], extra[3];
    sockhelp_socket l, s, two[2];
    char buf[8];
    size_t got = 0;
    pid_t pid;
    long long t0;

    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_OK(sockhelp_listen("127.0.0.1", 0, 8, &l));
    pid = fork();
    SYS(pid);
    if (pid == 0) {
        close(sv[0]);
        sockhelp_close(l);
        alarm(20);
        _exit(pass_child(sv[1]));
    }
    close(sv[1]);

    /* Timeouts on our own side first: nothing comes from the child. */
    s = 123;
    CHECK_RC(sockhelp_recv_socket(sv[0], 0, &s), SOCKHELP_EWOULDBLOCK);
    CHECKM(s == SOCKHELP_INVALID_SOCKET, "*out not cleared");
    t0 = now_ms();
    CHECK_RC(sockhelp_recv_socket(sv[0], 150, &s), SOCKHELP_ETIMEDOUT);
    CHECKM(now_ms() - t0 >= 140 && now_ms() - t0 < 2000, "recv_socket(150): %lld ms",
          now_ms() - t0);
    /* Bad arguments. */
    CHECK_RC(sockhelp_send_socket(SOCKHELP_INVALID_SOCKET, 0, 100), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_send_socket(sv[0], SOCKHELP_INVALID_SOCKET, 100), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_send_socket(sv[0], l, -2), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_recv_socket(sv[0], 100, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_send_socket(l, l, 100), SOCKHELP_EINVAL); /* TCP: no SCM_RIGHTS */
    CHECK_RC(sockhelp_recv_socket(l, 100, &s), SOCKHELP_EINVAL);

    /* The parent accepts, the child serves. */
    c = client_of(port_of(l));
    CHECK_OK(sockhelp_accept(l, 2000, &s));
    CHECK_OK(sockhelp_send_socket(sv[0], s, 2000));
    CHECK_OK(sockhelp_close(s)); /* ours: the child's copy carries the connection */
    SYS((int)write(c, "hello", 5));
    {
        ssize_t n;
        size_t have = 0;
        while (have < 5 && (n = read(c, buf + have, 5 - have)) > 0)
            have += (size_t)n;
        CHECKM(have == 5 && memcmp(buf, "HELLO", 5) == 0, "the child's answer");
        /* The child closed its copy and ours is closed: the client sees the end. */
        CHECKM(read(c, buf, 1) == 0, "the connection outlived both copies");
    }
    close(c);
    CHECK_OK(sockhelp_recvall(sv[0], buf, 1, 5000, &got));
    CHECKM(buf[0] == 'k', "the child's word");

    /* A byte without a socket. */
    raw_send_fds(sv[0], NULL, 0);
    /* A pipe and two connected sockets in one message. */
    SYS(pipe(pipefd));
    c = client_of(port_of(l));
    CHECK_OK(sockhelp_accept(l, 2000, &two[0]));
    {
        int c2 = client_of(port_of(l));
        CHECK_OK(sockhelp_accept(l, 2000, &two[1]));
        extra[0] = pipefd[0];
        extra[1] = two[0];
        extra[2] = two[1];
        raw_send_fds(sv[0], extra, 3);
        sockhelp_close(two[0]);
        sockhelp_close(two[1]);
        /* The child writes "2" on the one it kept: the first socket, whose client is c. */
        CHECK_OK(sockhelp_recvall(c, buf, 1, 5000, &got));
        CHECKM(buf[0] == '2', "the kept socket");
        CHECKM(read(c2, buf, 1) == 0, "the extra socket was not closed by the child");
        close(c2);
    }
    close(c);
    /* Only a pipe. */
    raw_send_fds(sv[0], &pipefd[1], 1);
    close(pipefd[0]);
    close(pipefd[1]);
    close(sv[0]);
    SYS(waitpid(pid, &status, 0));
    CHECKM(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child: status %d", status);
    sockhelp_close(l);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    watchdog(90);
    signal(SIGPIPE, SIG_DFL);
    if (strcmp(which, "accept_ex") == 0)
        case_accept_ex();
    else if (strcmp(which, "reuseport") == 0)
        case_reuseport();
    else if (strcmp(which, "timers") == 0)
        case_timers();
    else if (strcmp(which, "timers_10k") == 0)
        case_timers_10k();
    else if (strcmp(which, "pass") == 0)
        case_pass();
    else
        FAIL("unknown case \"%s\"", which);
    printf("server_sockets %s: ok\n", which);
    return 0;
}

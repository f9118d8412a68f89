/*
 * A finite timeout_ms bounds the whole call while the peer keeps up (issue 23, finding 2):
 * the deadline is checked between successful system calls and each system call is handed
 * at most 256 KiB, so a call returns at most one bounded system call past its deadline.
 *
 * Each case moves 16 MiB with timeout_ms 30 against a peer that keeps up (a thread that
 * floods, or drains, as fast as loopback goes), through memory that is slow to touch:
 *
 *   recvall, reader_recvall, recv_frame (a 16 MiB frame announced: its direct path, into
 *   the caller's buffer), send_frames (16 x 1 MiB payloads): the caller's memory is
 *   registered with userfaultfd and a handler thread serves each page fault after
 *   PAGE_DELAY_US (16 MiB then takes ~0.8 s to touch; one 256 KiB slice ~13 ms).
 *   userfaultfd needs root or CAP_SYS_PTRACE while /proc/sys/vm/unprivileged_userfaultfd
 *   is 0: where it is refused the case prints "SKIPPED: <reason>" and exits SKIP_EXIT.
 *   recv_batch: the bytes land in the reader's own memory, which a caller cannot make slow,
 *   so this program's recv (a definition in the executable comes before the C library's,
 *   so the static library's receives reach it) costs PAGE_DELAY_US per 4 KiB it moved:
 *   the same cost model, per byte a system call moves.
 *   recvall_plain: ordinary memory (fresh pages, no userfaultfd): 256 MiB from a peer
 *   flooding with a head start (a full receive buffer); the receiver, faulting pages in, is
 *   the slower side. Before the fix it returned SOCKHELP_OK after 0.45-0.9 s in each of 9
 *   runs; the limit is the deadline + MARGIN_MS.
 *
 * Each asserts: SOCKHELP_ETIMEDOUT, no earlier than the deadline and before deadline + one
 * 256 KiB slice at the measured slow rate + MARGIN_MS (a loaded 2-core machine); no
 * system call handed more than 256 KiB; the exact count of bytes moved, equal to what the
 * system calls moved (counted by this program's recv / sendmsg) and to what the peer saw
 * (the rest of the stream drained afterwards, the pattern continuing exactly there; the
 * frame completed from what the reader kept). It prints the elapsed time and the overrun.
 * Before the fix (deb7344) each returned SOCKHELP_OK after 1.0-1.9 s (one recv or
 * sendmsg was handed the whole length, and nothing looked at the deadline in between).
 *
 * Usage: deadline_flood recvall|reader_recvall|recv_frame|recv_batch|send_frames|recvall_plain
 */
#define _GNU_SOURCE
#include "testutil.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <linux/userfaultfd.h>

#define MIB ((size_t)1 << 20)
#define BIG (16 * MIB)
#define FRAMES 16
#define HEADER 4
#define TIMEOUT_MS 30
#define SLICE ((size_t)256 * 1024)
#define PAGE_DELAY_US 200
#define MARGIN_MS 400
#define SKIP_EXIT 77
/* recvall_plain: what ordinary memory needs to take the old code far past its deadline. */
#define PLAIN_LEN (256 * MIB)

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_us(long us)
{
    struct timespec ts;
    ts.tv_sec = us / 1000000;
    ts.tv_nsec = (us % 1000000) * 1000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* ---- The slow rate: pages served and the time they took. ---- */

static pthread_mutex_t g_rate_mu = PTHREAD_MUTEX_INITIALIZER;
static size_t g_pages;
static long long g_pages_us;

static void rate_add(size_t pages, long long us)
{
    pthread_mutex_lock(&g_rate_mu);
    g_pages += pages;
    g_pages_us += us;
    pthread_mutex_unlock(&g_rate_mu);
}

/* Microseconds one page took to serve, on average, since the start. */
static double rate_page_us(void)
{
    double r;
    pthread_mutex_lock(&g_rate_mu);
    r = g_pages ? (double)g_pages_us / (double)g_pages : (double)PAGE_DELAY_US;
    pthread_mutex_unlock(&g_rate_mu);
    return r;
}

/* ---- The library's system calls on its socket, counted (this program's definitions). ---- */

static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
/* The library's socket: only its calls are counted (set while the call runs). */
static int g_fd = -1;
/* recv_batch: what one 4 KiB a recv moved costs, in microseconds (0: nothing added). */
static long g_recv_delay_us;

struct calls {
    size_t count;      /* system calls that moved bytes */
    size_t bytes;      /* bytes they moved */
    size_t most_asked; /* the most bytes one was handed */
    long long longest; /* the longest one, in microseconds */
};
static struct calls g_calls;

static void shims_init(void)
{
    *(void **)(&real_recv) = dlsym(RTLD_NEXT, "recv");
    *(void **)(&real_sendmsg) = dlsym(RTLD_NEXT, "sendmsg");
    CHECK(real_recv != NULL && real_sendmsg != NULL);
}

static void note_call(size_t asked, ssize_t n, long long t0)
{
    long long took = now_us() - t0;
    if (asked > g_calls.most_asked)
        g_calls.most_asked = asked;
    if (n > 0) {
        g_calls.count++;
        g_calls.bytes += (size_t)n;
    }
    if (took > g_calls.longest)
        g_calls.longest = took;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    long long t0;
    ssize_t n;
    if (fd != g_fd)
        return real_recv(fd, buf, len, flags);
    t0 = now_us();
    n = real_recv(fd, buf, len, flags);
    if (n > 0 && g_recv_delay_us > 0) {
        size_t pages = ((size_t)n + 4095) / 4096;
        long long s0 = now_us();
        sleep_us(g_recv_delay_us * (long)pages);
        rate_add(pages, now_us() - s0);
    }
    note_call(len, n, t0);
    return n;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    long long t0;
    ssize_t n;
    size_t asked = 0, i;
    if (fd != g_fd)
        return real_sendmsg(fd, msg, flags);
    for (i = 0; i < (size_t)msg->msg_iovlen; i++)
        asked += msg->msg_iov[i].iov_len;
    t0 = now_us();
    n = real_sendmsg(fd, msg, flags);
    note_call(asked, n, t0);
    return n;
}

/* ---- Memory slow to touch: userfaultfd, each fault served after PAGE_DELAY_US. ---- */

struct slow {
    unsigned char *base;
    size_t len, page;
    int uffd;
    int stop[2];
    int pattern;        /* pages hold the test pattern (payloads), else zeros */
    unsigned char *src; /* one page: what UFFDIO_COPY copies in */
    pthread_t th;
};

static void *slow_serve(void *arg)
{
    struct slow *m = (struct slow *)arg;
    for (;;) {
        struct pollfd p[2];
        struct uffd_msg msg;
        struct uffdio_copy cp;
        uintptr_t addr;
        size_t off;
        ssize_t n;
        long long t0;
        p[0].fd = m->uffd;
        p[0].events = POLLIN;
        p[0].revents = 0;
        p[1].fd = m->stop[0];
        p[1].events = POLLIN;
        p[1].revents = 0;
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            FAIL("poll on the userfaultfd: %s", strerror(errno));
        }
        if (p[1].revents)
            return NULL;
        n = read(m->uffd, &msg, sizeof msg);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n != (ssize_t)sizeof msg)
            FAIL("read on the userfaultfd: %zd (%s)", n, strerror(errno));
        if (msg.event != UFFD_EVENT_PAGEFAULT)
            continue;
        t0 = now_us();
        sleep_us(PAGE_DELAY_US);
        addr = (uintptr_t)msg.arg.pagefault.address & ~(uintptr_t)(m->page - 1);
        off = addr - (uintptr_t)m->base;
        if (m->pattern)
            fill_pattern(m->src, m->page, off);
        else
            memset(m->src, 0, m->page);
        for (;;) {
            memset(&cp, 0, sizeof cp);
            cp.dst = addr;
            cp.src = (uintptr_t)m->src;
            cp.len = m->page;
            cp.mode = 0;
            if (ioctl(m->uffd, UFFDIO_COPY, &cp) == 0 || errno == EEXIST)
                break;
            if (errno != EAGAIN && errno != EINTR)
                FAIL("UFFDIO_COPY: %s", strerror(errno));
        }
        rate_add(1, now_us() - t0);
    }
}

/* `len` bytes of memory slow to touch, or the reason there can be none (then 0 is
 * returned and nothing is left open). */
static int slow_open(struct slow *m, size_t len, int pattern, char *why, size_t why_len)
{
    struct uffdio_api api;
    struct uffdio_register reg;
    memset(m, 0, sizeof *m);
    m->len = len;
    m->pattern = pattern;
    m->page = (size_t)sysconf(_SC_PAGESIZE);
    m->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    if (m->uffd < 0) {
        snprintf(why, why_len,
                 "userfaultfd() failed: %s (it needs root or CAP_SYS_PTRACE while "
                 "/proc/sys/vm/unprivileged_userfaultfd is 0)",
                 strerror(errno));
        return 0;
    }
    memset(&api, 0, sizeof api);
    api.api = UFFD_API;
    if (ioctl(m->uffd, UFFDIO_API, &api) < 0) {
        snprintf(why, why_len, "UFFDIO_API failed: %s", strerror(errno));
        close(m->uffd);
        return 0;
    }
    m->base = (unsigned char *)mmap(NULL, len, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m->base != MAP_FAILED);
    (void)madvise(m->base, len, MADV_NOHUGEPAGE); /* one fault per 4 KiB page */
    memset(&reg, 0, sizeof reg);
    reg.range.start = (uintptr_t)m->base;
    reg.range.len = len;
    reg.mode = UFFDIO_REGISTER_MODE_MISSING;
    if (ioctl(m->uffd, UFFDIO_REGISTER, &reg) < 0) {
        snprintf(why, why_len, "UFFDIO_REGISTER failed: %s", strerror(errno));
        munmap(m->base, len);
        close(m->uffd);
        return 0;
    }
    m->src = (unsigned char *)mmap(NULL, m->page, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m->src != MAP_FAILED);
    SYS(pipe(m->stop));
    CHECK(pthread_create(&m->th, NULL, slow_serve, m) == 0);
    return 1;
}

static void slow_close(struct slow *m)
{
    char c = 0;
    SYS(write(m->stop[1], &c, 1));
    CHECK(pthread_join(m->th, NULL) == 0);
    close(m->stop[0]);
    close(m->stop[1]);
    munmap(m->src, m->page);
    munmap(m->base, m->len);
    close(m->uffd);
}

static void slow_or_skip(struct slow *m, size_t len, int pattern, const char *which)
{
    char why[256];
    if (!slow_open(m, len, pattern, why, sizeof why)) {
        printf("SKIPPED %s: %s\n", which, why);
        fflush(stdout);
        exit(SKIP_EXIT);
    }
}

/* ---- The peers. ---- */

/* Sends `len` bytes of `data` as fast as the connection takes them, then shuts down its
 * sending side. */
struct flood {
    int fd;
    const unsigned char *data;
    size_t len, sent;
    pthread_t th;
};

static void *flood_run(void *arg)
{
    struct flood *f = (struct flood *)arg;
    while (f->sent < f->len) {
        ssize_t n = send(f->fd, f->data + f->sent, f->len - f->sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            FAIL("flooding peer: send: %s after %zu bytes", strerror(errno), f->sent);
        f->sent += (size_t)n;
    }
    SYS(shutdown(f->fd, SHUT_WR));
    return NULL;
}

/* The wire bytes of one frame of BIG payload bytes (a 4-byte big-endian length, then the
 * pattern), or with `header` 0 the pattern alone. */
static unsigned char *stream_new(int header, size_t *len)
{
    unsigned char *s = (unsigned char *)malloc(BIG + HEADER);
    size_t h = header ? HEADER : 0;
    CHECK(s != NULL);
    s[0] = (unsigned char)(BIG >> 24);
    s[1] = (unsigned char)(BIG >> 16);
    s[2] = (unsigned char)(BIG >> 8);
    s[3] = (unsigned char)BIG;
    fill_pattern(s + h, BIG, 0);
    *len = BIG + h;
    return s;
}

static void flood_start(struct flood *f, int fd, const unsigned char *data, size_t len)
{
    memset(f, 0, sizeof *f);
    f->fd = fd;
    f->data = data;
    f->len = len;
    CHECK(pthread_create(&f->th, NULL, flood_run, f) == 0);
}

static void flood_join(struct flood *f)
{
    CHECK(pthread_join(f->th, NULL) == 0);
    CHECK_EQ_SZ(f->sent, f->len);
}

/* Reads the frames of FRAMES x 1 MiB payloads (the pattern of the payloads' memory) to
 * the end of the stream, as fast as they come, checking every byte; counts the bytes and
 * the whole frames seen. */
struct drain {
    int fd;
    size_t bytes, frames;
    pthread_t th;
};

static void *drain_run(void *arg)
{
    struct drain *d = (struct drain *)arg;
    static unsigned char buf[65536];
    const size_t frame = MIB + HEADER;
    for (;;) {
        ssize_t n = recv(d->fd, buf, sizeof buf, 0);
        size_t i;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            FAIL("draining peer: recv: %s after %zu bytes", strerror(errno), d->bytes);
        if (n == 0)
            return NULL;
        for (i = 0; i < (size_t)n; i++) {
            size_t at = d->bytes + i, f = at / frame, off = at % frame;
            unsigned char want =
                off < HEADER ? (unsigned char)(MIB >> (8 * (HEADER - 1 - off)))
                             : pattern_byte(f * MIB + off - HEADER);
            if (buf[i] != want)
                FAIL("draining peer: wire byte %zu is %u, expected %u", at, buf[i], want);
        }
        d->bytes += (size_t)n;
        d->frames = d->bytes / frame;
    }
}

/* make_pair with room for all the bytes of a case in the socket buffers (where the
 * system allows it: SO_SNDBUFFORCE / SO_RCVBUFFORCE need CAP_NET_ADMIN), so a sender
 * handed everything at once is never stopped by a full buffer while the drainer waits
 * for a core on a loaded machine: only the deadline can stop it. */
static void make_roomy_pair(sockhelp_socket *lib, int *peer)
{
    uint16_t port;
    int l = raw_listener(&port), room = (int)(4 * BIG);
    (void)setsockopt(l, SOL_SOCKET, SO_RCVBUFFORCE, &room, sizeof room);
    CHECK_RC(sockhelp_connect("127.0.0.1", port, 5000, lib), SOCKHELP_OK);
    (void)setsockopt(*lib, SOL_SOCKET, SO_SNDBUFFORCE, &room, sizeof room);
    *peer = accept(l, NULL, NULL);
    SYS(*peer);
    close(l);
}

/* ---- One timed call. ---- */

struct timed {
    long long t0, took;
};

static void call_begin(struct timed *t, sockhelp_socket s)
{
    memset(&g_calls, 0, sizeof g_calls);
    g_fd = s;
    t->t0 = now_us();
}

static void call_end(struct timed *t)
{
    t->took = now_us() - t->t0;
    g_fd = -1;
}

/* Prints what the call did, then checks the result and the time: at least the deadline,
 * less than the deadline + one 256 KiB slice at the measured slow rate + MARGIN_MS. */
static void report(const char *which, const struct timed *t, int rc, size_t moved, size_t total,
                   int slow)
{
    double page_us = slow ? rate_page_us() : 0.0;
    double slice_us = (double)(SLICE / 4096 + 1) * page_us;
    double limit_us = TIMEOUT_MS * 1000.0 + slice_us + MARGIN_MS * 1000.0;
    printf("deadline_flood %s: %s after %.1f ms (timeout %d ms, overrun %.1f ms); %zu bytes "
           "moved in %zu system calls, the most one was handed %zu bytes, the longest took "
           "%.1f ms; a page served in %.0f us, one 256 KiB slice ~%.1f ms; limit %.0f ms\n",
           which, sockhelp_strerror(rc), t->took / 1000.0, TIMEOUT_MS,
           (t->took - TIMEOUT_MS * 1000) / 1000.0, moved, g_calls.count, g_calls.most_asked,
           g_calls.longest / 1000.0, page_us, slice_us / 1000.0, limit_us / 1000.0);
    fflush(stdout);
    CHECK_RC(rc, SOCKHELP_ETIMEDOUT);
    CHECK(t->took >= TIMEOUT_MS * 1000);
    if ((double)t->took >= limit_us)
        FAIL("%s took %.1f ms, past the limit of %.0f ms", which, t->took / 1000.0,
             limit_us / 1000.0);
    CHECK(g_calls.most_asked <= SLICE);
    CHECK(moved > 0 && moved < total);
}

static struct sockhelp_framing *framing(void)
{
    struct sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, 2 * BIG);
    CHECK(f != NULL);
    return f;
}

/* recvall, or reader_recvall, of BIG bytes into slow memory from a flooding peer. */
static void case_recvall(int via_reader)
{
    const char *which = via_reader ? "reader_recvall" : "recvall";
    struct slow m;
    struct flood fl;
    struct timed t;
    struct sockhelp_framing *f = framing();
    struct sockhelp_reader *r = sockhelp_reader_new(f);
    sockhelp_socket s;
    unsigned char *data;
    size_t len, got = 0, rest;
    int peer, rc;

    CHECK(r != NULL);
    slow_or_skip(&m, BIG, 0, which);
    data = stream_new(0, &len);
    make_pair(&s, &peer);
    flood_start(&fl, peer, data, len);
    CHECK(wait_readable(s, 5000));

    call_begin(&t, s);
    if (via_reader)
        rc = sockhelp_reader_recvall(r, s, m.base, BIG, TIMEOUT_MS, &got);
    else
        rc = sockhelp_recvall(s, m.base, BIG, TIMEOUT_MS, &got);
    call_end(&t);
    report(which, &t, rc, got, BIG, 1);

    /* Exact: what the receives moved, all in the buffer, and the stream goes on there. */
    CHECK_EQ_SZ(got, g_calls.bytes);
    CHECK_EQ_SZ(sockhelp_reader_buffered(r), 0);
    CHECK_EQ_SZ(find_pattern_mismatch(m.base, got, 0), (size_t)-1);
    rest = drain_to_eof(s, got, 30000);
    flood_join(&fl);
    CHECK_EQ_SZ(got + rest, len);

    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(peer);
    slow_close(&m);
    free(data);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
}

/* One frame of BIG bytes announced, received by recv_frame (its direct path, into slow
 * memory) or recv_batch (into the reader, each recv costing PAGE_DELAY_US per 4 KiB). */
static void case_frame(int batch)
{
    const char *which = batch ? "recv_batch" : "recv_frame";
    struct slow m;
    struct flood fl;
    struct timed t;
    struct sockhelp_framing *f = framing();
    struct sockhelp_reader *r = sockhelp_reader_new(f);
    struct sockhelp_slice frames[4];
    sockhelp_socket s;
    unsigned char *data, *plain = NULL;
    size_t len, n = 99, held;
    int peer, rc;

    CHECK(r != NULL);
    if (!batch)
        slow_or_skip(&m, BIG, 0, which);
    data = stream_new(1, &len);
    make_pair(&s, &peer);
    flood_start(&fl, peer, data, len);
    CHECK(wait_readable(s, 5000));

    if (batch)
        g_recv_delay_us = PAGE_DELAY_US;
    call_begin(&t, s);
    if (batch)
        rc = sockhelp_recv_batch(r, s, frames, 4, &n, TIMEOUT_MS);
    else
        rc = sockhelp_recv_frame(r, s, m.base, BIG, &n, TIMEOUT_MS);
    call_end(&t);
    g_recv_delay_us = 0;
    held = sockhelp_reader_buffered(r);
    report(which, &t, rc, held, BIG + HEADER, 1);

    /* Exact: every byte received is kept by the reader, and completes the frame. */
    CHECK_EQ_SZ(n, 0);
    CHECK_EQ_SZ(held, g_calls.bytes);
    if (batch) {
        CHECK_RC(sockhelp_recv_batch(r, s, frames, 4, &n, -1), SOCKHELP_OK);
        CHECK_EQ_SZ(n, 1);
        CHECK_EQ_SZ(frames[0].len, BIG);
        CHECK_EQ_SZ(find_pattern_mismatch(frames[0].ptr, BIG, 0), (size_t)-1);
        CHECK_RC(sockhelp_recv_batch(r, s, frames, 4, &n, 5000), SOCKHELP_ECLOSED);
    } else {
        plain = (unsigned char *)malloc(BIG);
        CHECK(plain != NULL);
        CHECK_RC(sockhelp_recv_frame(r, s, plain, BIG, &n, -1), SOCKHELP_OK);
        CHECK_EQ_SZ(n, BIG);
        CHECK_EQ_SZ(find_pattern_mismatch(plain, BIG, 0), (size_t)-1);
        CHECK_RC(sockhelp_recv_frame(r, s, plain, BIG, &n, 5000), SOCKHELP_ECLOSED);
    }
    CHECK_EQ_SZ(sockhelp_reader_buffered(r), 0);
    flood_join(&fl);

    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(peer);
    if (!batch)
        slow_close(&m);
    free(plain);
    free(data);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
}

/* Sends a 1 MiB chunk of the pattern over and over until told to stop, then shuts down
 * its sending side. */
struct endless {
    int fd;
    const unsigned char *chunk;
    volatile int stop;
    size_t sent;
    pthread_t th;
};

static void *endless_run(void *arg)
{
    struct endless *e = (struct endless *)arg;
    while (!e->stop) {
        size_t off = e->sent % MIB;
        ssize_t n = send(e->fd, e->chunk + off, MIB - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            FAIL("flooding peer: send: %s after %zu bytes", strerror(errno), e->sent);
        e->sent += (size_t)n;
    }
    SYS(shutdown(e->fd, SHUT_WR));
    return NULL;
}

/* recvall of PLAIN_LEN bytes into ordinary memory (fresh pages, as a big malloc gives)
 * from a peer flooding endlessly with a head start (the receive buffer full): the
 * receiver, faulting pages in, is the slower side, so a recvall that never looks at its
 * deadline while bytes keep coming takes the whole length. */
static void case_recvall_plain(void)
{
    struct endless e;
    struct timed t;
    sockhelp_socket s;
    unsigned char *buf, *chunk = (unsigned char *)malloc(MIB);
    size_t got = 0, rest, i;
    int peer, rc, room = (int)(4 * BIG);

    CHECK(chunk != NULL);
    fill_pattern(chunk, MIB, 0);
    buf = (unsigned char *)mmap(NULL, PLAIN_LEN, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(buf != MAP_FAILED);
    make_pair(&s, &peer);
    (void)setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &room, sizeof room);
    (void)setsockopt(peer, SOL_SOCKET, SO_SNDBUFFORCE, &room, sizeof room);
    memset(&e, 0, sizeof e);
    e.fd = peer;
    e.chunk = chunk;
    CHECK(pthread_create(&e.th, NULL, endless_run, &e) == 0);
    sleep_ms(100); /* the head start */

    call_begin(&t, s);
    rc = sockhelp_recvall(s, buf, PLAIN_LEN, TIMEOUT_MS, &got);
    call_end(&t);
    report("recvall_plain", &t, rc, got, PLAIN_LEN, 0);

    /* Exact: what the receives moved, in order, and the stream goes on there. */
    CHECK_EQ_SZ(got, g_calls.bytes);
    for (i = 0; i < got; i += MIB) {
        size_t n = got - i < MIB ? got - i : MIB;
        CHECK(memcmp(buf + i, chunk, n) == 0);
    }
    e.stop = 1;
    rest = 0;
    for (;;) {
        static unsigned char tail[65536];
        ssize_t n;
        CHECK(wait_readable(s, 30000));
        n = recv(s, tail, sizeof tail, 0);
        if (n < 0 && errno == EINTR)
            continue;
        SYS(n);
        if (n == 0)
            break;
        for (i = 0; i < (size_t)n; i++)
            if (tail[i] != chunk[(got + rest + i) % MIB])
                FAIL("byte %zu after the call is wrong", got + rest + i);
        rest += (size_t)n;
    }
    CHECK(pthread_join(e.th, NULL) == 0);
    CHECK_EQ_SZ(got + rest, e.sent);

    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(peer);
    munmap(buf, PLAIN_LEN);
    free(chunk);
}

/* send_frames of FRAMES x 1 MiB payloads in slow memory to a peer that drains fast. */
static void case_send_frames(void)
{
    struct slow m;
    struct drain d;
    struct timed t;
    struct sockhelp_framing *f = framing();
    struct sockhelp_slice p[FRAMES];
    sockhelp_socket s;
    size_t i, fsent = 99, bsent = 99;
    int peer, rc;

    slow_or_skip(&m, BIG, 1, "send_frames");
    for (i = 0; i < FRAMES; i++) {
        p[i].ptr = m.base + i * MIB;
        p[i].len = MIB;
    }
    make_roomy_pair(&s, &peer);
    memset(&d, 0, sizeof d);
    d.fd = peer;
    CHECK(pthread_create(&d.th, NULL, drain_run, &d) == 0);

    call_begin(&t, s);
    rc = sockhelp_send_frames(s, f, p, FRAMES, TIMEOUT_MS, &fsent, &bsent);
    call_end(&t);
    report("send_frames", &t, rc, bsent, FRAMES * (MIB + HEADER), 1);

    /* Exact: what the sends moved is what the peer saw, whole frames counted alike. */
    CHECK_EQ_SZ(bsent, g_calls.bytes);
    SYS(shutdown(s, SHUT_WR));
    CHECK(pthread_join(d.th, NULL) == 0);
    CHECK_EQ_SZ(d.bytes, bsent);
    CHECK_EQ_SZ(fsent, d.frames);
    CHECK(fsent < FRAMES);

    CHECK_RC(sockhelp_close(s), SOCKHELP_OK);
    close(peer);
    slow_close(&m);
    sockhelp_framing_free(f);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    watchdog(60);
    shims_init();
    if (strcmp(which, "recvall") == 0)
        case_recvall(0);
    else if (strcmp(which, "reader_recvall") == 0)
        case_recvall(1);
    else if (strcmp(which, "recv_frame") == 0)
        case_frame(0);
    else if (strcmp(which, "recv_batch") == 0)
        case_frame(1);
    else if (strcmp(which, "send_frames") == 0)
        case_send_frames();
    else if (strcmp(which, "recvall_plain") == 0)
        case_recvall_plain();
    else
        FAIL("usage: deadline_flood recvall|reader_recvall|recv_frame|recv_batch|send_frames|"
             "recvall_plain");
    return 0;
}

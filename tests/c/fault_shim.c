/*
 * An LD_PRELOAD shim that injects faults at the system-call seam of every
 * program that loads it: sockhelp's static library calls send, sendmsg,
 * recv and poll through the C library, so this shim sits between sockhelp and
 * the kernel without sockhelp knowing.
 *
 * The plan comes from SOCKHELP_FAULTS, a comma-separated list:
 *   max=N         each send/sendmsg/recv moves at most N bytes (short reads/writes)
 *   eintr=N       every Nth call (of send, sendmsg, recv, poll) fails with EINTR first
 *   eagain=N      every Nth send/sendmsg/recv fails with EAGAIN first (even on blocking sockets)
 *   reset_after=B once B bytes were sent in total, sends fail with ECONNRESET
 *   eof_after=B   once B bytes were received in total, recv returns 0
 * Counters are process-wide. Only calls on sockets are affected (a peer that
 * uses read/write is not).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

static long plan_max, plan_eintr, plan_eagain;
static long long plan_reset_after = -1, plan_eof_after = -1;
/* One call counter per family, so the faults of one family are not skewed by
 * another's calls (a retry loop alternates send and poll). */
static atomic_long send_calls, recv_calls, poll_calls, fault_calls;
static atomic_llong bytes_sent, bytes_received;
static atomic_int planned;

static void read_plan(void) {
    if (atomic_exchange(&planned, 1)) return;
    const char *p = getenv("SOCKHELP_FAULTS");
    while (p && *p) {
        const char *eq = strchr(p, '=');
        if (!eq) break;
        long long v = atoll(eq + 1);
        size_t klen = (size_t)(eq - p);
        if (klen == 3 && strncmp(p, "max", 3) == 0) plan_max = (long)v;
        else if (klen == 5 && strncmp(p, "eintr", 5) == 0) plan_eintr = (long)v;
        else if (klen == 6 && strncmp(p, "eagain", 6) == 0) plan_eagain = (long)v;
        else if (klen == 11 && strncmp(p, "reset_after", 11) == 0) plan_reset_after = v;
        else if (klen == 9 && strncmp(p, "eof_after", 9) == 0) plan_eof_after = v;
        const char *comma = strchr(eq, ',');
        p = comma ? comma + 1 : NULL;
    }
}

/* Returns a fault errno to inject before the call, or 0. */
static int injected(atomic_long *calls, int can_eagain) {
    read_plan();
    long k = atomic_fetch_add(calls, 1) + 1;
    if (plan_eintr > 0 && k % plan_eintr == 0) { atomic_fetch_add(&fault_calls, 1); return EINTR; }
    if (can_eagain && plan_eagain > 0 && k % plan_eagain == 0) { atomic_fetch_add(&fault_calls, 1); return EAGAIN; }
    return 0;
}

static size_t clamp(size_t len) {
    return plan_max > 0 && len > (size_t)plan_max ? (size_t)plan_max : len;
}

/* How many more bytes may be sent before the reset; -1 = no limit. */
static long long send_room(void) {
    if (plan_reset_after < 0) return -1;
    long long left = plan_reset_after - atomic_load(&bytes_sent);
    return left < 0 ? 0 : left;
}

ssize_t send(int fd, const void *buf, size_t len, int flags) {
    static ssize_t (*real)(int, const void *, size_t, int);
    if (!real) real = (ssize_t (*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
    int e = injected(&send_calls, 1);
    if (e) { errno = e; return -1; }
    len = clamp(len);
    long long room = send_room();
    if (room == 0 && len > 0) { errno = ECONNRESET; return -1; }
    if (room > 0 && (long long)len > room) len = (size_t)room;
    ssize_t n = real(fd, buf, len, flags);
    if (n > 0) atomic_fetch_add(&bytes_sent, n);
    return n;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
    static ssize_t (*real)(int, const struct msghdr *, int);
    if (!real) real = (ssize_t (*)(int, const struct msghdr *, int))dlsym(RTLD_NEXT, "sendmsg");
    int e = injected(&send_calls, 1);
    if (e) { errno = e; return -1; }
    size_t total = 0;
    for (size_t i = 0; i < (size_t)msg->msg_iovlen; i++) total += msg->msg_iov[i].iov_len;
    size_t limit = clamp(total);
    long long room = send_room();
    if (room == 0 && total > 0) { errno = ECONNRESET; return -1; }
    if (room > 0 && (long long)limit > room) limit = (size_t)room;
    if (limit == total) {
        ssize_t n = real(fd, msg, flags);
        if (n > 0) atomic_fetch_add(&bytes_sent, n);
        return n;
    }
    /* Send a shortened copy of the iovec list. */
    struct iovec iov[64];
    struct msghdr m = *msg;
    size_t count = 0, left = limit;
    for (size_t i = 0; i < (size_t)msg->msg_iovlen && left > 0 && count < 64; i++) {
        iov[count] = msg->msg_iov[i];
        if (iov[count].iov_len > left) iov[count].iov_len = left;
        left -= iov[count].iov_len;
        count++;
    }
    m.msg_iov = iov;
    m.msg_iovlen = count;
    ssize_t n = real(fd, &m, flags);
    if (n > 0) atomic_fetch_add(&bytes_sent, n);
    return n;
}

ssize_t recv(int fd, void *buf, size_t len, int flags) {
    static ssize_t (*real)(int, void *, size_t, int);
    if (!real) real = (ssize_t (*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
    int e = injected(&recv_calls, 1);
    if (e) { errno = e; return -1; }
    len = clamp(len);
    if (plan_eof_after >= 0) {
        long long left = plan_eof_after - atomic_load(&bytes_received);
        if (left <= 0 && len > 0) return 0;
        if ((long long)len > left) len = (size_t)left;
    }
    ssize_t n = real(fd, buf, len, flags);
    if (n > 0) atomic_fetch_add(&bytes_received, n);
    return n;
}

int poll(struct pollfd *fds, nfds_t n, int timeout) {
    static int (*real)(struct pollfd *, nfds_t, int);
    if (!real) real = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
    int e = injected(&poll_calls, 0);
    if (e) { errno = e; return -1; }
    return real(fds, n, timeout);
}

/* For the test program: how many faults were injected. */
long sockhelp_fault_count(void) { return atomic_load(&fault_calls); }

/*
 * sockhelp under injected faults (run with tests/c/fault_shim.c preloaded and a
 * plan in SOCKHELP_FAULTS): short reads and writes of every size, EINTR and
 * EAGAIN before and after partial progress, a reset mid-transfer, the peer's
 * close mid-frame. Every check asserts exact counts and codes and that no byte
 * is lost or duplicated.
 *
 *   faults bytes | frames | nonblocking | reset B | eof B
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockhelp.h"

#define FAIL(...)                                   \
    do {                                            \
        fprintf(stderr, "faults: " __VA_ARGS__);    \
        fprintf(stderr, "\n");                      \
        exit(1);                                    \
    } while (0)

static unsigned char byte_at(size_t i) { return (unsigned char)(i * 131 + (i >> 8) * 7 + (i >> 16)); }

static void pair(int sv[2]) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) FAIL("socketpair");
}

/* The peer side uses read/write, which the shim leaves alone. */
struct peer { int fd; size_t len; size_t done; int ok; };

static void *peer_reader(void *p) {
    struct peer *pr = p;
    unsigned char buf[65536];
    pr->ok = 1;
    for (;;) {
        ssize_t n = read(pr->fd, buf, sizeof buf);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != byte_at(pr->done + (size_t)i)) pr->ok = 0;
        pr->done += (size_t)n;
    }
    return NULL;
}

static void *peer_writer(void *p) {
    struct peer *pw = p;
    unsigned char buf[65536];
    while (pw->done < pw->len) {
        size_t n = pw->len - pw->done < sizeof buf ? pw->len - pw->done : sizeof buf;
        for (size_t i = 0; i < n; i++) buf[i] = byte_at(pw->done + i);
        ssize_t w = write(pw->fd, buf, n);
        if (w <= 0) break;
        pw->done += (size_t)w;
    }
    return NULL;
}

static void scenario_bytes(size_t len) {
    int sv[2];
    pair(sv);
    unsigned char *data = malloc(len);
    for (size_t i = 0; i < len; i++) data[i] = byte_at(i);
    struct peer pr = {sv[1], len, 0, 0};
    pthread_t t;
    pthread_create(&t, NULL, peer_reader, &pr);
    size_t sent = 0;
    int rc = sockhelp_sendall(sv[0], data, len, 60000, &sent);
    if (rc != SOCKHELP_OK || sent != len) FAIL("sendall: %s, sent %zu of %zu", sockhelp_strerror(rc), sent, len);
    shutdown(sv[0], SHUT_WR);
    pthread_join(t, NULL);
    if (pr.done != len || !pr.ok) FAIL("peer got %zu bytes (ok=%d), want %zu", pr.done, pr.ok, len);

    struct peer pw = {sv[1], len, 0, 0};
    pthread_create(&t, NULL, peer_writer, &pw);
    memset(data, 0, len);
    size_t got = 0;
    rc = sockhelp_recvall(sv[0], data, len, 60000, &got);
    pthread_join(t, NULL);
    if (rc != SOCKHELP_OK || got != len) FAIL("recvall: %s, got %zu of %zu", sockhelp_strerror(rc), got, len);
    for (size_t i = 0; i < len; i++)
        if (data[i] != byte_at(i)) FAIL("recvall: byte %zu differs", i);
    free(data);
    close(sv[0]);
    close(sv[1]);
}

struct framed { int fd; sockhelp_framing *f; int frames; int rc; };

static size_t frame_len(int i) { return (size_t)((i * 997) % 3001); }

static void *frame_sender(void *p) {
    struct framed *fs = p;
    unsigned char buf[4096];
    fs->rc = SOCKHELP_OK;
    for (int i = 0; i < fs->frames && fs->rc == SOCKHELP_OK; i++) {
        size_t n = frame_len(i);
        for (size_t k = 0; k < n; k++) buf[k] = byte_at((size_t)i * 4096 + k);
        size_t sent = 0;
        fs->rc = sockhelp_send_frame(fs->fd, fs->f, buf, n, 60000, &sent);
        if (fs->rc == SOCKHELP_OK && sent != n + 4) fs->rc = -100;
    }
    return NULL;
}

static void check_frame(int i, const unsigned char *p, size_t len) {
    if (len != frame_len(i)) FAIL("frame %d: %zu bytes, want %zu", i, len, frame_len(i));
    for (size_t k = 0; k < len; k++)
        if (p[k] != byte_at((size_t)i * 4096 + k)) FAIL("frame %d: byte %zu differs", i, k);
}

/* Plans with tiny transfers (max < 16) make a system call per byte or two:
 * those runs move less data so the suite stays quick. */
static int tiny;

static void scenario_frames(void) {
    int sv[2];
    pair(sv);
    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, 1 << 20);
    struct framed fs = {sv[0], f, tiny ? 60 : 400, 0};
    pthread_t t;
    pthread_create(&t, NULL, frame_sender, &fs);
    sockhelp_reader *r = sockhelp_reader_new(f);
    unsigned char buf[4096];
    for (int i = 0; i < fs.frames; i++) {
        size_t len = 0;
        int rc = sockhelp_recv_frame(r, sv[1], buf, sizeof buf, &len, 60000);
        if (rc != SOCKHELP_OK) FAIL("recv_frame %d: %s", i, sockhelp_strerror(rc));
        check_frame(i, buf, len);
    }
    pthread_join(t, NULL);
    if (fs.rc != SOCKHELP_OK) FAIL("send_frame: %d", fs.rc);
    if (sockhelp_reader_buffered(r) != 0) FAIL("bytes left over");
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    close(sv[0]);
    close(sv[1]);
}

static void scenario_nonblocking(void) {
    int sv[2];
    pair(sv);
    sockhelp_set_nonblocking(sv[0], true);
    sockhelp_set_nonblocking(sv[1], true);
    sockhelp_framing *f = sockhelp_framing_varint(1 << 20);
    sockhelp_writer *w = sockhelp_writer_new(f);
    sockhelp_reader *r = sockhelp_reader_new(f);
    unsigned char buf[4096];
    const int frames = tiny ? 200 : 2000;
    int queued = 0, got = 0;
    for (long rounds = 0; got < frames; rounds++) {
        if (rounds > 50000000L) FAIL("no progress");
        while (queued < frames && sockhelp_writer_pending(w) < 200000) {
            size_t n = frame_len(queued);
            for (size_t k = 0; k < n; k++) buf[k] = byte_at((size_t)queued * 4096 + k);
            if (sockhelp_writer_queue(w, buf, n) != SOCKHELP_OK) FAIL("queue");
            queued++;
        }
        int rc = sockhelp_writer_flush(w, sv[0], 0);
        if (rc != SOCKHELP_OK && rc != SOCKHELP_EWOULDBLOCK) FAIL("flush: %s", sockhelp_strerror(rc));
        rc = sockhelp_reader_fill(r, sv[1]);
        if (rc != SOCKHELP_OK && rc != SOCKHELP_EWOULDBLOCK) FAIL("fill: %s", sockhelp_strerror(rc));
        const uint8_t *p;
        size_t len;
        while ((rc = sockhelp_reader_next(r, &p, &len)) == SOCKHELP_OK) check_frame(got++, p, len);
        if (rc != SOCKHELP_EWOULDBLOCK) FAIL("next: %s", sockhelp_strerror(rc));
    }
    if (sockhelp_writer_pending(w) != 0) FAIL("writer not empty");
    sockhelp_writer_free(w);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    close(sv[0]);
    close(sv[1]);
}

/* The shim resets the connection after `after` bytes: sendall must say ERESET and
 * report exactly `after`; the peer must have exactly those bytes. */
static void scenario_reset(size_t after) {
    int sv[2];
    pair(sv);
    size_t len = 1 << 20;
    unsigned char *data = malloc(len);
    for (size_t i = 0; i < len; i++) data[i] = byte_at(i);
    struct peer pr = {sv[1], len, 0, 0};
    pthread_t t;
    pthread_create(&t, NULL, peer_reader, &pr);
    size_t sent = 0;
    int rc = sockhelp_sendall(sv[0], data, len, 60000, &sent);
    if (rc != SOCKHELP_ERESET) FAIL("sendall returned %s, want ERESET", sockhelp_strerror(rc));
    if (sent != after) FAIL("sendall reported %zu sent, want %zu", sent, after);
    shutdown(sv[0], SHUT_WR);
    pthread_join(t, NULL);
    if (pr.done != after || !pr.ok) FAIL("peer got %zu bytes (ok=%d), want %zu", pr.done, pr.ok, after);
    free(data);
    close(sv[0]);
    close(sv[1]);
}

/* recv returns 0 after `after` bytes: recvall says ECLOSED with exactly `after`;
 * recv_frame returns the whole frames before the cut, then ECLOSED, never a partial frame. */
static void scenario_eof(size_t after) {
    int sv[2];
    /* Our own raw peer writes on after we close: its write may fail, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    pair(sv);
    size_t len = 1 << 20;
    struct peer pw = {sv[1], len, 0, 0};
    pthread_t t;
    pthread_create(&t, NULL, peer_writer, &pw);
    unsigned char *data = malloc(len);
    size_t got = 0;
    int rc = sockhelp_recvall(sv[0], data, len, 60000, &got);
    if (rc != SOCKHELP_ECLOSED) FAIL("recvall returned %s, want ECLOSED", sockhelp_strerror(rc));
    if (got != after) FAIL("recvall reported %zu, want %zu", got, after);
    for (size_t i = 0; i < got; i++)
        if (data[i] != byte_at(i)) FAIL("recvall: byte %zu differs", i);
    close(sv[0]);
    pthread_join(t, NULL);
    close(sv[1]);
    free(data);
}

static void scenario_eof_frames(size_t after) {
    int sv[2];
    pair(sv);
    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, 1 << 20);
    /* 1000-byte frames: 1004 bytes each on the wire, written raw by us. */
    unsigned char frame[1004];
    frame[0] = 0; frame[1] = 0; frame[2] = 0x03; frame[3] = 0xe8;
    memset(frame + 4, 'x', 1000);
    for (int i = 0; i < 40; i++)
        if (write(sv[1], frame, sizeof frame) != (ssize_t)sizeof frame) FAIL("write");
    sockhelp_reader *r = sockhelp_reader_new(f);
    unsigned char buf[2000];
    size_t whole = after / 1004, n = 0, len = 0;
    int rc;
    while ((rc = sockhelp_recv_frame(r, sv[0], buf, sizeof buf, &len, 5000)) == SOCKHELP_OK) {
        if (len != 1000) FAIL("frame of %zu bytes", len);
        n++;
    }
    if (rc != SOCKHELP_ECLOSED) FAIL("recv_frame returned %s, want ECLOSED", sockhelp_strerror(rc));
    if (n != whole) FAIL("%zu whole frames before the close, want %zu", n, whole);
    if (sockhelp_reader_buffered(r) != after - whole * 1004) FAIL("partial frame not kept");
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    close(sv[0]);
    close(sv[1]);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_DFL);
    alarm(120);
    if (argc < 2) FAIL("usage: faults bytes|frames|nonblocking|reset B|eof B|eof_frames B");
    const char *plan = getenv("SOCKHELP_FAULTS");
    const char *max = plan ? strstr(plan, "max=") : NULL;
    tiny = max && atoi(max + 4) < 16;
    if (strcmp(argv[1], "bytes") == 0) scenario_bytes(tiny ? 48 * 1024 : 256 * 1024);
    else if (strcmp(argv[1], "frames") == 0) scenario_frames();
    else if (strcmp(argv[1], "nonblocking") == 0) scenario_nonblocking();
    else if (strcmp(argv[1], "reset") == 0 && argc > 2) scenario_reset((size_t)atol(argv[2]));
    else if (strcmp(argv[1], "eof") == 0 && argc > 2) scenario_eof((size_t)atol(argv[2]));
    else if (strcmp(argv[1], "eof_frames") == 0 && argc > 2) scenario_eof_frames((size_t)atol(argv[2]));
    else FAIL("unknown scenario %s", argv[1]);
    long (*count)(void);
    *(void **)&count = dlsym(RTLD_DEFAULT, "sockhelp_fault_count"); /* POSIX's way around ISO C */
    long faults = count ? count() : -1;
    if (plan && (strstr(plan, "eintr") || strstr(plan, "eagain")) && faults <= 0)
        FAIL("the shim is not loaded or injected nothing (plan %s)", plan);
    printf("%s under [%s]: ok, %ld faults injected\n", argv[1], plan ? plan : "", faults);
    return 0;
}

/*
 * --per-call: what one exported call costs per 64-byte frame, with the caches warm and no
 * other thread: 3,000 pre-encoded frames sit in a socketpair's buffer, and each way of taking
 * them out runs 300 times (best run reported, in ns per frame). The hand-written loop (one
 * recv of everything, then parse the 4-byte length and copy each payload out) is the floor of
 * any receive that hands frames out one at a time; a trivial exported call
 * (sockhelp_reader_buffered) is the price of crossing the boundary alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "sockhelp.h"

#define PC_PAYLOAD 64
#define PC_FRAMES 3000
#define PC_RUNS 300

enum pc_way { PC_HAND, PC_TRIVIAL, PC_RECV_FRAME, PC_NEXT, PC_NEXT_BATCH, PC_RECV_BATCH, PC_WAYS };

static const char *pc_name[PC_WAYS] = {
    "hand-written loop: 1 recv, then parse + copy each frame (the floor)",
    "a trivial exported call per frame (sockhelp_reader_buffered), on top of the floor",
    "sockhelp_recv_frame (blocking, one call per frame, copies out)",
    "sockhelp_reader_fill + sockhelp_reader_next (one call per frame)",
    "sockhelp_reader_fill + sockhelp_reader_next_batch (1024 per call)",
    "sockhelp_recv_batch (blocking, 1024 per call)",
};

static unsigned char pc_wire[PC_FRAMES * (PC_PAYLOAD + 4)];
static unsigned char pc_buf[PC_FRAMES * (PC_PAYLOAD + 4)];

static void pc_check(const unsigned char *p, size_t len) {
    if (len != PC_PAYLOAD || p[0] != PATTERN) fail("per-call: a bad frame");
}

/* Seconds to take PC_FRAMES frames out of fd (they were just sent) in way w. */
static double pc_run(enum pc_way w, int fd, sockhelp_reader *r) {
    static unsigned char out[PC_PAYLOAD];
    static sockhelp_slice v[1024];
    double t0 = now();
    long got = 0;
    if (w == PC_HAND || w == PC_TRIVIAL) {
        raw_recv_all(fd, pc_buf, sizeof pc_buf);
        for (size_t i = 0; i < PC_FRAMES; i++) {
            const unsigned char *h = pc_buf + i * (PC_PAYLOAD + 4);
            size_t len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
            memcpy(out, h + 4, len);
            pc_check(out, len);
            if (w == PC_TRIVIAL && sockhelp_reader_buffered(r) != 0) fail("per-call: buffered");
        }
        return now() - t0;
    }
    while (got < PC_FRAMES) {
        size_t len, k;
        const uint8_t *frame;
        int rc;
        (void)k;
        (void)v;
        switch (w) {
        case PC_RECV_FRAME:
            rc = sockhelp_recv_frame(r, fd, out, sizeof out, &len, -1);
            if (rc != SOCKHELP_OK) die("recv_frame", rc);
            pc_check(out, len);
            got++;
            break;
        case PC_NEXT:
            while ((rc = sockhelp_reader_next(r, &frame, &len)) == SOCKHELP_OK) {
                pc_check(frame, len);
                got++;
            }
            if (got < PC_FRAMES && (rc = sockhelp_reader_fill(r, fd)) != SOCKHELP_OK)
                die("reader_fill", rc);
            break;
        case PC_NEXT_BATCH:
#ifdef SOCKHELP_BENCH_NEXT_BATCH
            while ((rc = sockhelp_reader_next_batch(r, v, 1024, &k)) == SOCKHELP_OK) {
                for (size_t i = 0; i < k; i++) pc_check(v[i].ptr, v[i].len);
                got += (long)k;
            }
            if (got < PC_FRAMES && (rc = sockhelp_reader_fill(r, fd)) != SOCKHELP_OK)
                die("reader_fill", rc);
#else
            fail("per-call: built without sockhelp_reader_next_batch");
#endif
            break;
        case PC_RECV_BATCH:
#ifdef SOCKHELP_BENCH_RECV_BATCH
            rc = sockhelp_recv_batch(r, fd, v, 1024, &k, -1);
            if (rc != SOCKHELP_OK) die("recv_batch", rc);
            for (size_t i = 0; i < k; i++) pc_check(v[i].ptr, v[i].len);
            got += (long)k;
#else
            fail("per-call: built without sockhelp_recv_batch");
#endif
            break;
        default:
            fail("per-call: unknown way");
        }
    }
    return now() - t0;
}

void per_call(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) fail("socketpair");
    int big = 4 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    for (size_t i = 0; i < PC_FRAMES; i++) {
        unsigned char *h = pc_wire + i * (PC_PAYLOAD + 4);
        put_len(h, PC_PAYLOAD);
        memset(h + 4, PATTERN, PC_PAYLOAD);
    }
    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, FRAME_MAX);
    sockhelp_reader *r = sockhelp_reader_new(f);
    if (!f || !r) fail("per-call: reader_new");
    int have[PC_WAYS] = {1, 1, 1, 1, sh_have_next_batch(), sh_have_recv_batch()};
    double best[PC_WAYS];
    for (int w = 0; w < PC_WAYS; w++) best[w] = 1e9;
    for (int run = 0; run < PC_RUNS; run++)
        for (int w = 0; w < PC_WAYS; w++) {
            if (!have[w]) continue;
            raw_send_all(sv[0], pc_wire, sizeof pc_wire);
            double t = pc_run((enum pc_way)w, sv[1], r);
            if (t < best[w]) best[w] = t;
        }
    printf("#### Per call: ns per 64-byte frame, caches warm, one thread\n\n");
    printf("%d frames pre-sent into a Unix socketpair, taken out %d times in each way "
           "(interleaved); the best run.\n\n",
           PC_FRAMES, PC_RUNS);
    printf("| way | ns per frame | over the floor |\n|---|---:|---:|\n");
    for (int w = 0; w < PC_WAYS; w++) {
        if (!have[w]) continue;
        double ns = best[w] / PC_FRAMES * 1e9, floor_ns = best[PC_HAND] / PC_FRAMES * 1e9;
        printf("| %s | %.2f | %+.2f |\n", pc_name[w], ns, ns - floor_ns);
    }
    printf("\n");
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    close(sv[0]);
    close(sv[1]);
}

/*
 * The C benchmark's shared pieces: connected pairs, the clock, the frame pattern, and the
 * entry points of each contender (one file each). See main.c for what is measured.
 */
#ifndef SOCKHELP_BENCH_H
#define SOCKHELP_BENCH_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Bulk chunk of the raw contender and of the pre-encoded feeder: 256 KiB per call. */
#define CHUNK (256 * 1024)
/* Every payload byte; receivers check the first byte and the length of every message. */
#define PATTERN 0xa5
/* Largest payload measured (1 MiB), and the framings' maximum (16 MiB). */
#define MAX_PAYLOAD (1u << 20)
#define FRAME_MAX (16u << 20)

/* What a throughput case is: a transport, a payload size, a message count. */
struct spec {
    int tcp;        /* 1: loopback TCP (TCP_NODELAY); 0: Unix (socketpair, or ipc:// path) */
    size_t payload; /* bytes per message, without the 4-byte length */
    long n;         /* messages per run */
};

/* The clock (CLOCK_MONOTONIC, seconds). */
double now(void);
/* Prints "bench: what: reason" (the sockhelp code's text, or errno's) and exits 1. */
void die(const char *what, int sockhelp_rc);
/* Prints "bench: what" and exits 1. */
void fail(const char *what);
void set_nonblocking(int fd);
/* A connected stream pair: fds[0] is the sender's end, fds[1] the receiver's. */
void make_pair(int tcp, int fds[2]);
void raw_send_all(int fd, const void *p, size_t n);
/* Receives exactly n bytes (blocking socket). */
void raw_recv_all(int fd, void *p, size_t n);
/* A buffer of max(len, CHUNK) bytes set to PATTERN (never freed before exit: reused). */
unsigned char *pattern_buffer(size_t len);
/* Writes the 4-byte big-endian length. */
void put_len(unsigned char *h, size_t len);
/* Exits unless a received message has the expected length and pattern. */
void check_msg(const void *msg, size_t len, size_t payload);
/* A fresh ipc:// endpoint path (for ZeroMQ and nng over Unix sockets); unlinked by caller. */
void ipc_path(char *out, size_t cap);

/* Starts `fn(arg)` on a new thread; joins it. */
pthread_t spawn(void *(*fn)(void *), void *arg);
void join(pthread_t t);

/* Throughput runs: each returns the receiver's seconds from the common start (a barrier,
 * after the connection is up and, for message libraries, one warm-up message went through)
 * to its last message. */
enum sh_method {
    SH_RAW,           /* bulk transfer of the same wire bytes, 256 KiB send/recv calls */
    SH_NONBLOCKING,   /* writer_queue + writer_flush / reader_fill + reader_next */
    SH_BLOCKING,      /* send_frame / recv_frame */
    SH_SEND_FRAMES,   /* send_frames (batches of up to 256 KiB) / recv_frame */
    SH_RECV_NB_ONLY,  /* the receiver alone: fill + next, fed pre-encoded 256 KiB blocks */
    SH_RECV_BLK_ONLY, /* the receiver alone: recv_frame, fed pre-encoded 256 KiB blocks */
    SH_RECV_BATCH_ONLY, /* the receiver alone: fill + next_batch, fed pre-encoded blocks */
    SH_NB_BATCHED,    /* writer_queue_many + writer_flush / reader_fill + reader_next_batch */
    SH_RECV_RBATCH_ONLY,   /* the receiver alone: recv_batch (blocking), pre-encoded blocks */
    SH_SEND_FRAMES_RBATCH, /* send_frames (batches of up to 256 KiB) / recv_batch (blocking) */
};
double sh_run(enum sh_method m, const struct spec *s);
/* 1 when the library has sockhelp_send_frames (the bench was built with it). */
int sh_have_send_frames(void);
/* 1 when the library has sockhelp_reader_next_batch (the bench was built with it). */
int sh_have_next_batch(void);
int sh_have_queue_many(void);
/* 1 when the library has sockhelp_recv_batch (the bench was built with it). */
int sh_have_recv_batch(void);
/* The non-blocking writer's flush threshold (bytes queued before a flush). */
extern size_t sh_flush_at;

/* --per-call: ns per 64-byte frame of each receive call, caches warm (percall.c). */
void per_call(void);

/* The C floor (floor_case.c): framed transfer by hand, one copy each way, no library. */
double floor_run(const struct spec *s);
double zmq_run(const struct spec *s); /* ZeroMQ PUSH/PULL */
double nng_run(const struct spec *s); /* nng push0/pull0 */
double lev_run(const struct spec *s); /* libevent bufferevents, 4-byte length */

/* Ping-pong: a client and an echo server on its own thread, over loopback TCP; 64 B. */
struct pingpong {
    const char *name;
    /* Connects and starts a server that echoes exactly `total` messages then ends. */
    void *(*open)(size_t payload, long total);
    /* One round trip (send, receive the echo, check it). */
    void (*round_trip)(void *ctx);
    /* Joins the server (after its `total` echoes) and frees everything. */
    void (*close)(void *ctx);
};
extern const struct pingpong pp_raw, pp_sockhelp, pp_zmq, pp_nng;

#endif

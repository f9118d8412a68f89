/*
 * bench_contenders: sockhelp's framed I/O from C, through the header, against raw bulk
 * transfer of the same wire bytes, the C floor (framed transfer by hand, one copy each way:
 * floor_case.c) and against ZeroMQ, nng and libevent. Run it with
 * scripts/bench.sh (installs the contenders' Debian packages when missing, builds, runs).
 *
 * Throughput: messages of 64 B, 1 KiB, 4 KiB and 1 MiB over a Unix socketpair (ZeroMQ
 * and nng: a Unix socket through ipc://) and loopback TCP (TCP_NODELAY), the sender on
 * its own thread, the receiver timed from a common start (a barrier, once the connection
 * is up) to its last message, every message's length and first byte checked. Each case's
 * message count is calibrated once to about --time seconds (those runs are the warm-up);
 * then the repetitions are interleaved (repetition 1 of every case, then 2, ...), so the
 * ratio to raw compares runs made under the same load. MB/s counts 4 + payload bytes per
 * message for every row (ZeroMQ's and nng's own headers differ: see their files).
 *
 * Latency: 64 B ping-pong over loopback TCP, each round trip timed; the contenders'
 * rounds interleaved too; median and 99th percentile.
 *
 *   bench_contenders [--quick] [--reps N] [--time SECONDS] [--flush-at BYTES] [--count N]
 *                    [--only TEXT] [--payload BYTES] [--transport unix|tcp]
 *                    [--no-latency] [--no-per-call] [--latency-only | --per-call-only]
 *                    [--pin]
 *
 * The selection options are for profiling one case (perf record -g -- bench_contenders
 * --only "recv_frame*" --payload 64 --transport unix --no-latency): --only keeps the
 * contenders whose name contains TEXT (raw bulk and the C floor always run: the ratios are to
 * them).
 * --count N moves N messages in every run of every case, without calibration: for instruction
 * counts per frame under valgrind --tool=callgrind (which makes the calibration's timing
 * meaningless), e.g. --count 1000000 --reps 1 --no-per-call.
 * --pin runs the ping-pong with both threads on one CPU (the round trip without the
 * scheduler's cross-CPU wake-ups, whose spread hides a 1% difference). Per call (percall.c):
 * ns per frame of each receive call, caches warm, one thread.
 */
#define _GNU_SOURCE /* sched_setaffinity, for --pin */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "sockhelp.h"

#define MAX_REPS 31

enum contender {
    C_RAW,
    C_FLOOR,
    C_NB,
    C_BLK,
    C_SEND_FRAMES,
    C_ZMQ,
    C_NNG,
    C_LEV,
    C_RECV_NB,
    C_RECV_BLK,
    C_RECV_BATCH,
    C_NB_BATCHED,
    C_RECV_RBATCH,
    C_SEND_FRAMES_RBATCH,
    CONTENDERS
};

static const char *contender_name[CONTENDERS] = {
    "raw bulk (256 KiB send/recv)",
    "the C floor (by hand: encode into 256 KiB, send; recv 256 KiB, parse, copy out)",
    "sockhelp non-blocking (writer queue+flush, fill+next)",
    "sockhelp blocking (send_frame / recv_frame)",
    "sockhelp send_frames + blocking recv_frame",
    "ZeroMQ PUSH/PULL",
    "nng push/pull",
    "libevent bufferevents, 4-byte length",
    "receive side alone: sockhelp fill+next*",
    "receive side alone: sockhelp recv_frame*",
    "receive side alone: sockhelp fill+next_batch*",
    "sockhelp non-blocking, batched (writer_queue_many+flush, fill+next_batch)",
    "receive side alone: sockhelp recv_batch*",
    "sockhelp send_frames + blocking recv_batch",
};

static const size_t payloads[] = {64, 1024, 4096, 1u << 20};
#define PAYLOADS (sizeof payloads / sizeof payloads[0])

struct bcase {
    enum contender c;
    struct spec s;
    double t[MAX_REPS];
};

static double target_s = 0.15;
static int reps = 7;
static long pp_rounds = 5, pp_per_round = 3000, pp_warmup = 1000;
/* Selection (see the top comment): NULL / 0 / -1 select everything. */
static const char *only;
static size_t only_payload;
static int only_tcp = -1;
/* --count: every case moves this many messages, no calibration (0: calibrate). */
static long fixed_count;
static int run_throughput = 1, run_latency = 1, run_per_call = 1, pin = 0;

static const char *size_name(size_t p);

/* Whether the library this bench was built against has what the contender calls. */
static int available(int c) {
    if (c != C_RAW && c != C_FLOOR && only && !strstr(contender_name[c], only)) return 0;
    if (c == C_SEND_FRAMES) return sh_have_send_frames();
    if (c == C_RECV_BATCH) return sh_have_next_batch();
    if (c == C_NB_BATCHED) return sh_have_queue_many();
    if (c == C_RECV_RBATCH || c == C_SEND_FRAMES_RBATCH) return sh_have_recv_batch();
    return 1;
}

static double run_case(const struct bcase *k) {
    switch (k->c) {
    case C_RAW: return sh_run(SH_RAW, &k->s);
    case C_FLOOR: return floor_run(&k->s);
    case C_NB: return sh_run(SH_NONBLOCKING, &k->s);
    case C_BLK: return sh_run(SH_BLOCKING, &k->s);
    case C_SEND_FRAMES: return sh_run(SH_SEND_FRAMES, &k->s);
    case C_RECV_NB: return sh_run(SH_RECV_NB_ONLY, &k->s);
    case C_RECV_BLK: return sh_run(SH_RECV_BLK_ONLY, &k->s);
    case C_RECV_BATCH: return sh_run(SH_RECV_BATCH_ONLY, &k->s);
    case C_NB_BATCHED: return sh_run(SH_NB_BATCHED, &k->s);
    case C_RECV_RBATCH: return sh_run(SH_RECV_RBATCH_ONLY, &k->s);
    case C_SEND_FRAMES_RBATCH: return sh_run(SH_SEND_FRAMES_RBATCH, &k->s);
    case C_ZMQ: return zmq_run(&k->s);
    case C_NNG: return nng_run(&k->s);
    case C_LEV: return lev_run(&k->s);
    case CONTENDERS: break;
    }
    fail("unknown contender");
    return 0;
}

/* Every run is bounded: one that lasts over RUN_LIMIT_S (they last about target_s; the
 * ping-pong phase gets PP_LIMIT_S) is a hang, and ends the bench naming the case. */
#ifndef RUN_LIMIT_S
#define RUN_LIMIT_S 60
#endif
#define PP_LIMIT_S 300
static char running[160] = "start-up";

static void watchdog(int sig) {
    static const char msg[] = "bench: a run went past its time limit (a hang) in: ";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, running, strlen(running)) < 0 ||
        write(2, "\n", 1) < 0)
        _exit(3);
    _exit(3);
}

static double run_bounded(const struct bcase *k) {
    snprintf(running, sizeof running, "%s, %s, %s, %ld messages", k->s.tcp ? "tcp" : "unix",
             size_name(k->s.payload), contender_name[k->c], k->s.n);
    alarm(RUN_LIMIT_S);
    double dt = run_case(k);
    alarm(0);
    return dt;
}

/* Message count for about target_s seconds: grow it until a run lasts target_s / 8, then
 * rescale until a run lands within 0.7x to 1.4x target_s (at most 4 times: the first runs
 * of a case can be slower than the later ones). These runs are the case's warm-up. */
static void calibrate(struct bcase *k) {
    if (fixed_count > 0) {
        k->s.n = fixed_count;
        return;
    }
    size_t wire = k->s.payload + 4;
    long n = (long)(CHUNK / wire);
    if (n < 4) n = 4;
    double dt;
    for (;;) {
        k->s.n = n;
        dt = run_bounded(k);
        if (dt >= target_s / 8 || n > (1L << 40)) break;
        n *= 4;
    }
    for (int i = 0; i < 4; i++) {
        n = (long)((double)n * target_s / dt);
        k->s.n = n < 1 ? 1 : n;
        dt = run_bounded(k);
        if (dt >= 0.7 * target_s && dt <= 1.4 * target_s) break;
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, int n) {
    double s[MAX_REPS];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double msgs_per_s(const struct bcase *k) { return (double)k->s.n / median(k->t, reps); }

/* Per-repetition ratio to raw (repetition i of both was run back to back): min and max. */
static void ratio_range(const struct bcase *k, const struct bcase *raw, double *lo, double *hi) {
    for (int i = 0; i < reps; i++) {
        double r = ((double)k->s.n / k->t[i]) / ((double)raw->s.n / raw->t[i]);
        if (i == 0 || r < *lo) *lo = r;
        if (i == 0 || r > *hi) *hi = r;
    }
}

static const char *size_name(size_t p) {
    static char b[4][32];
    static int i;
    char *s = b[i++ % 4];
    if (p >= (1u << 20)) snprintf(s, 32, "%zu MiB", p >> 20);
    else if (p >= 1024) snprintf(s, 32, "%zu KiB", p >> 10);
    else snprintf(s, 32, "%zu B", p);
    return s;
}

static void print_load(const char *when) {
    char buf[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f)) strcpy(buf, "?");
        fclose(f);
        buf[strcspn(buf, "\n")] = 0;
    }
    printf("Load average %s (/proc/loadavg): %s; %ld CPUs online.\n", when, buf,
           sysconf(_SC_NPROCESSORS_ONLN));
}

static struct bcase *find(struct bcase *all, int count, int tcp, size_t p, enum contender c) {
    for (int i = 0; i < count; i++)
        if (all[i].s.tcp == tcp && all[i].s.payload == p && all[i].c == c) return &all[i];
    return NULL;
}

/* Whether a contender is one of sockhelp's (the rows that get a "vs floor"). */
static int is_sockhelp(int c) { return strstr(contender_name[c], "sockhelp") != NULL; }

/* The summary: each contender's median msgs/s over `base`'s in the same group, per size,
 * unix / tcp (sockhelp's rows only when `sockhelp_only`). */
static void ratio_table(struct bcase *all, int count, const char *title, enum contender base,
                        int sockhelp_only) {
    printf("\n#### Summary: throughput / %s, same run (median; unix / tcp)\n\n| contender |",
           title);
    for (size_t pi = 0; pi < PAYLOADS; pi++) printf(" %s |", size_name(payloads[pi]));
    printf("\n|---|");
    for (size_t pi = 0; pi < PAYLOADS; pi++) printf("---|");
    printf("\n");
    for (int c = 0; c < CONTENDERS; c++) {
        if (c == (int)base || !available(c) || (sockhelp_only && !is_sockhelp(c))) continue;
        printf("| %s |", contender_name[c]);
        for (size_t pi = 0; pi < PAYLOADS; pi++) {
            char v[2][16];
            for (int tcp = 0; tcp < 2; tcp++) {
                struct bcase *k = find(all, count, tcp, payloads[pi], (enum contender)c);
                struct bcase *b = find(all, count, tcp, payloads[pi], base);
                if (k && b) snprintf(v[tcp], sizeof v[tcp], "%.3f", msgs_per_s(k) / msgs_per_s(b));
                else snprintf(v[tcp], sizeof v[tcp], "-");
            }
            printf(" %s / %s |", v[0], v[1]);
        }
        printf("\n");
    }
}

/* Each sockhelp row over the C floor of its group (median msgs/s), and issue 22's targets:
 * the batch calls >= 0.9x the floor, one call per frame >= 0.7x. */
static void floor_summary(struct bcase *all, int count) {
    static const struct {
        enum contender c;
        const char *kind;
        double target;
    } targets[] = {
        {C_NB_BATCHED, "batch calls", 0.9},
        {C_SEND_FRAMES_RBATCH, "batch calls", 0.9},
        {C_NB, "one call per frame", 0.7},
        {C_BLK, "one call per frame", 0.7},
    };
    ratio_table(all, count, "the C floor", C_FLOOR, 1);
    printf("\n#### Issue 22's targets against the C floor (median msgs/s over the floor's; "
           "unix / tcp)\n\n| calls | target | 64 B | 1 KiB | 4 KiB | 1 MiB |\n"
           "|---|---|---|---|---|---|\n");
    for (size_t ti = 0; ti < sizeof targets / sizeof targets[0]; ti++) {
        if (!available(targets[ti].c)) continue;
        printf("| %s (%s) | >= %.1fx |", contender_name[targets[ti].c], targets[ti].kind,
               targets[ti].target);
        for (size_t pi = 0; pi < PAYLOADS; pi++) {
            char v[2][24];
            for (int tcp = 0; tcp < 2; tcp++) {
                struct bcase *k = find(all, count, tcp, payloads[pi], targets[ti].c);
                struct bcase *flo = find(all, count, tcp, payloads[pi], C_FLOOR);
                if (k && flo) {
                    double r = msgs_per_s(k) / msgs_per_s(flo);
                    snprintf(v[tcp], sizeof v[tcp], "%.2f %s", r,
                             r >= targets[ti].target ? "met" : "**missed**");
                } else {
                    snprintf(v[tcp], sizeof v[tcp], "-");
                }
            }
            printf(" %s / %s |", v[0], v[1]);
        }
        printf("\n");
    }
}

static void throughput(void) {
    static struct bcase all[2 * PAYLOADS * CONTENDERS];
    int count = 0;
    for (int tcp = 0; tcp < 2; tcp++)
        for (size_t pi = 0; pi < PAYLOADS; pi++)
            for (int c = 0; c < CONTENDERS; c++) {
                if (!available(c)) continue;
                if (only_tcp >= 0 && tcp != only_tcp) continue;
                if (only_payload && payloads[pi] != only_payload) continue;
                all[count].c = (enum contender)c;
                all[count].s.tcp = tcp;
                all[count].s.payload = payloads[pi];
                count++;
            }
    double t0 = now();
    for (int i = 0; i < count; i++) calibrate(&all[i]);
    fprintf(stderr, "bench: calibrated %d cases in %.0f s\n", count, now() - t0);
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < count; i++) all[i].t[r] = run_bounded(&all[i]);
        fprintf(stderr, "bench: repetition %d of %d done (%.0f s)\n", r + 1, reps, now() - t0);
    }

    printf("#### Throughput (median of %d interleaved repetitions, about %.2f s each)\n\n", reps,
           target_s);
    printf("MB/s counts 4 + payload bytes per message (10^6 bytes/s). \"vs raw\": median "
           "msgs/s over raw's in the same group; \"range\": the lowest and highest ratio of "
           "one repetition to raw's repetition run just before it. \"vs ZeroMQ\": median "
           "msgs/s over ZeroMQ's. `*`: the receiver alone, fed pre-encoded frames in 256 KiB "
           "calls (as fast as raw). Non-blocking writer flushes at %zu bytes queued.\n\n",
           sh_flush_at);
    printf("\"vs floor\" (sockhelp rows): median msgs/s over the C floor's in the same group; "
           "\"floor range\": the lowest and highest ratio of one repetition to the floor's "
           "repetition of the same round.\n\n");
    printf("| transport | payload | contender | msgs/run | s/run | msgs/s | MB/s | vs raw | range "
           "| vs ZeroMQ | vs floor | floor range |\n");
    printf("|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|\n");
    for (int i = 0; i < count; i++) {
        struct bcase *k = &all[i];
        struct bcase *raw = find(all, count, k->s.tcp, k->s.payload, C_RAW);
        struct bcase *zmq = find(all, count, k->s.tcp, k->s.payload, C_ZMQ);
        struct bcase *flo = find(all, count, k->s.tcp, k->s.payload, C_FLOOR);
        double m = msgs_per_s(k), lo = 0, hi = 0;
        char vs_zmq[32] = "-", vs_floor[32] = "-", floor_range[32] = "-";
        ratio_range(k, raw, &lo, &hi);
        if (zmq) snprintf(vs_zmq, sizeof vs_zmq, "%.2f", m / msgs_per_s(zmq));
        if (flo && is_sockhelp(k->c)) {
            double flo_lo = 0, flo_hi = 0;
            ratio_range(k, flo, &flo_lo, &flo_hi);
            snprintf(vs_floor, sizeof vs_floor, "%.3f", m / msgs_per_s(flo));
            snprintf(floor_range, sizeof floor_range, "%.3f-%.3f", flo_lo, flo_hi);
        }
        printf("| %s | %s | %s | %ld | %.3f | %.0f | %.0f | %.3f | %.3f-%.3f | %s | %s | %s |\n",
               k->s.tcp ? "tcp" : "unix", size_name(k->s.payload), contender_name[k->c],
               k->s.n, median(k->t, reps), m, m * (double)(k->s.payload + 4) / 1e6,
               m / msgs_per_s(raw), lo, hi, vs_zmq, vs_floor, floor_range);
    }

    ratio_table(all, count, "raw bulk of the same wire bytes", C_RAW, 0);
    floor_summary(all, count);
    if (!sh_have_send_frames())
        printf("\nsockhelp_send_frames: not in this library's header; its row is not measured.\n");
    if (!sh_have_next_batch())
        printf("\nsockhelp_reader_next_batch: not in this library's header; its row is not "
               "measured.\n");
    printf("\n");
}

struct lat {
    const struct pingpong *pp;
    void *ctx;
    double *rt; /* seconds per round trip */
    long n;
};

static void latency(void) {
    const struct pingpong *pps[] = {&pp_raw, &pp_sockhelp, &pp_zmq, &pp_nng};
    enum { NPP = sizeof pps / sizeof pps[0] };
    struct lat l[NPP];
    const size_t payload = 64;
    long total = pp_warmup + pp_rounds * pp_per_round;
    snprintf(running, sizeof running, "the 64 B ping-pong");
    alarm(PP_LIMIT_S);
    cpu_set_t all;
    if (pin) {
        /* Threads created from here on (the echo threads) inherit this one CPU. */
        cpu_set_t one;
        if (sched_getaffinity(0, sizeof all, &all) != 0) fail("sched_getaffinity");
        CPU_ZERO(&one);
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &all)) {
                CPU_SET(c, &one);
                break;
            }
        if (sched_setaffinity(0, sizeof one, &one) != 0) fail("sched_setaffinity");
    }
    for (int i = 0; i < NPP; i++) {
        l[i].pp = pps[i];
        l[i].ctx = pps[i]->open(payload, total);
        l[i].rt = malloc((size_t)(pp_rounds * pp_per_round) * sizeof(double));
        if (!l[i].rt) fail("out of memory");
        l[i].n = 0;
        for (long k = 0; k < pp_warmup; k++) pps[i]->round_trip(l[i].ctx);
    }
    for (long r = 0; r < pp_rounds; r++)
        for (int i = 0; i < NPP; i++)
            for (long k = 0; k < pp_per_round; k++) {
                double t0 = now();
                l[i].pp->round_trip(l[i].ctx);
                l[i].rt[l[i].n++] = now() - t0;
            }
    alarm(0);
    printf("#### Latency: 64 B ping-pong over loopback TCP%s\n\n", pin ? ", both threads on one CPU" : "");
    printf("%ld round trips per contender after %ld of warm-up, in %ld interleaved rounds; "
           "one client thread, one echo thread%s.\n\n",
           pp_rounds * pp_per_round, pp_warmup, pp_rounds, pin ? " (--pin: one CPU)" : "");
    printf("| contender | median us | p99 us | median vs raw |\n|---|---:|---:|---:|\n");
    double raw_med = 0;
    for (int i = 0; i < NPP; i++) {
        qsort(l[i].rt, (size_t)l[i].n, sizeof(double), cmp_double);
        double med = l[i].rt[l[i].n / 2];
        double p99 = l[i].rt[(size_t)((double)l[i].n * 0.99)];
        if (i == 0) raw_med = med;
        printf("| %s | %.1f | %.1f | %.3f |\n", l[i].pp->name, med * 1e6, p99 * 1e6,
               med / raw_med);
        l[i].pp->close(l[i].ctx);
        free(l[i].rt);
    }
    printf("\n");
    if (pin && sched_setaffinity(0, sizeof all, &all) != 0) fail("sched_setaffinity");
}

static void usage(void) {
    fprintf(stderr, "usage: bench_contenders [--quick] [--reps N (1-%d)] [--time SECONDS] "
                    "[--flush-at BYTES] [--count N] [--only TEXT] [--payload BYTES] "
                    "[--transport unix|tcp] "
                    "[--no-latency] [--no-per-call] [--latency-only | --per-call-only] [--pin]\n",
            MAX_REPS);
    exit(2);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            target_s = 0.02;
            reps = 1;
            pp_rounds = 1;
            pp_per_round = 300;
            pp_warmup = 50;
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
            if (reps < 1 || reps > MAX_REPS) usage();
        } else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
            target_s = atof(argv[++i]);
            if (!(target_s > 0 && target_s <= 10)) usage();
        } else if (strcmp(argv[i], "--flush-at") == 0 && i + 1 < argc) {
            long v = atol(argv[++i]);
            if (v < 1) usage();
            sh_flush_at = (size_t)v;
        } else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            fixed_count = atol(argv[++i]);
            if (fixed_count < 1) usage();
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--payload") == 0 && i + 1 < argc) {
            long v = atol(argv[++i]);
            size_t pi = 0;
            while (pi < PAYLOADS && payloads[pi] != (size_t)v) pi++;
            if (v < 1 || pi == PAYLOADS) usage();
            only_payload = (size_t)v;
        } else if (strcmp(argv[i], "--transport") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "unix") == 0) only_tcp = 0;
            else if (strcmp(argv[i], "tcp") == 0) only_tcp = 1;
            else usage();
        } else if (strcmp(argv[i], "--no-latency") == 0) {
            run_latency = 0;
        } else if (strcmp(argv[i], "--no-per-call") == 0) {
            run_per_call = 0;
        } else if (strcmp(argv[i], "--latency-only") == 0) {
            run_throughput = 0;
            run_per_call = 0;
        } else if (strcmp(argv[i], "--per-call-only") == 0) {
            run_throughput = 0;
            run_latency = 0;
        } else if (strcmp(argv[i], "--pin") == 0) {
            pin = 1;
        } else {
            usage();
        }
    }
    if (!run_throughput && !run_latency && !run_per_call) usage();
    signal(SIGALRM, watchdog);
    if (sockhelp_init() != SOCKHELP_OK) fail("sockhelp_init failed");
    time_t t = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&t));
    double t0 = now();
    printf("### One run: sockhelp %s from C vs raw, the C floor, ZeroMQ, nng, libevent (%s)\n\n",
           sockhelp_version(), when);
    print_load("at the start");
    printf("\n");
    if (run_throughput) throughput();
    if (run_per_call) per_call();
    if (run_latency) latency();
    print_load("at the end");
    printf("Total run time %.0f s.\n", now() - t0);
    sockhelp_cleanup();
    return 0;
}

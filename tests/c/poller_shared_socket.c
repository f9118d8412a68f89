/*
 * The trap: a socket that another descriptor still refers to (dup, fork: every pre-fork
 * server) is closed by the caller and removed from the poller. epoll forgets an entry
 * only when the last reference to the open file goes, so the old socket's readiness
 * could go on being reported: a wait that spins until its deadline, a wait with -1 that
 * never returns, and, once the number is reused, the old socket's events reported under
 * the new socket's tag.
 *
 * Every wait here is bounded by the watchdog, so a regression fails instead of hanging;
 * CPU time is measured with getrusage, so a spinning wait fails even when it returns.
 */
#include <pthread.h>
#include <sys/resource.h>

#include "testutil.h"

/* CPU time (user + system) of this process, in milliseconds. */
static long long cpu_ms(void)
{
    struct rusage ru;
    SYS(getrusage(RUSAGE_SELF, &ru));
    return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* A socketpair whose first end has a byte waiting to be read, so it stays readable. */
static void readable_pair(int sv[2])
{
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    SYS((int)write(sv[1], "x", 1));
}

/* A finite wait on a poller whose only socket was closed (shared) and removed: returns 0
 * after about `ms` without burning the CPU. */
static void check_quiet_wait(sockhelp_poller *p, int ms, const char *what)
{
    sockhelp_event ev[8];
    long long t0 = now_ms(), c0 = cpu_ms();
    int n = sockhelp_poller_wait(p, ev, 8, ms);
    long long wall = now_ms() - t0, cpu = cpu_ms() - c0;
    if (n != 0)
        FAIL("%s: wait returned %d (first tag %llu), expected 0 (nothing registered is ready)",
             what, n, n > 0 ? (unsigned long long)ev[0].tag : 0ULL);
    if (wall < ms - 20)
        FAIL("%s: wait returned after %lld ms, before its %d ms deadline", what, wall, ms);
    if (cpu > ms / 3)
        FAIL("%s: wait of %d ms burnt %lld ms of CPU (spinning on a stale entry)", what, ms,
             cpu);
}

/* Closed and removed while a dup keeps it open: finite waits are quiet. */
static void dup_then_close_then_remove(void)
{
    int sv[2], d;
    sockhelp_poller *p = sockhelp_poller_new();
    CHECK(p != NULL);
    readable_pair(sv);
    CHECK_RC(sockhelp_poller_add(p, sv[0], SOCKHELP_READABLE, 1), SOCKHELP_OK);
    SYS(d = dup(sv[0]));
    SYS(close(sv[0]));
    CHECK_RC(sockhelp_poller_remove(p, sv[0]), SOCKHELP_OK);
    check_quiet_wait(p, 300, "dup, close, remove");
    check_quiet_wait(p, 0 + 50, "dup, close, remove (again)");
    sockhelp_poller_free(p);
    close(d);
    close(sv[1]);
}

/* The same order as above, but removed first and closed after: the documented order. */
static void remove_then_close_with_dup(void)
{
    int sv[2], d;
    sockhelp_poller *p = sockhelp_poller_new();
    CHECK(p != NULL);
    readable_pair(sv);
    CHECK_RC(sockhelp_poller_add(p, sv[0], SOCKHELP_READABLE, 1), SOCKHELP_OK);
    SYS(d = dup(sv[0]));
    CHECK_RC(sockhelp_poller_remove(p, sv[0]), SOCKHELP_OK);
    SYS(close(sv[0]));
    check_quiet_wait(p, 200, "dup, remove, close");
    sockhelp_poller_free(p);
    close(d);
    close(sv[1]);
}

struct late_writer {
    int fd;
    int delay_ms;
};

static void *write_late(void *arg)
{
    struct late_writer *w = arg;
    sleep_ms(w->delay_ms);
    if (write(w->fd, "y", 1) != 1)
        perror("late write");
    return NULL;
}

/* A wait with -1 next to a stale shared socket returns as soon as a live socket is
 * ready, with the live socket's tag, without spinning meanwhile. */
static void forever_wait_next_to_stale_socket(void)
{
    int stale[2], live[2], d;
    pthread_t t;
    struct late_writer w;
    sockhelp_event ev[8];
    long long t0, c0, wall, cpu;
    int n;
    sockhelp_poller *p = sockhelp_poller_new();
    CHECK(p != NULL);
    readable_pair(stale);
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, live));
    CHECK_RC(sockhelp_poller_add(p, stale[0], SOCKHELP_READABLE, 1), SOCKHELP_OK);
    CHECK_RC(sockhelp_poller_add(p, live[0], SOCKHELP_READABLE, 2), SOCKHELP_OK);
    SYS(d = dup(stale[0]));
    SYS(close(stale[0]));
    CHECK_RC(sockhelp_poller_remove(p, stale[0]), SOCKHELP_OK);

    w.fd = live[1];
    w.delay_ms = 300;
    CHECK(pthread_create(&t, NULL, write_late, &w) == 0);
    t0 = now_ms();
    c0 = cpu_ms();
    n = sockhelp_poller_wait(p, ev, 8, -1);
    wall = now_ms() - t0;
    cpu = cpu_ms() - c0;
    CHECK(pthread_join(t, NULL) == 0);
    if (n != 1 || ev[0].tag != 2 || !(ev[0].events & SOCKHELP_READABLE))
        FAIL("wait(-1) gave %d events (first tag %llu), expected the live socket (tag 2)", n,
             n > 0 ? (unsigned long long)ev[0].tag : 0ULL);
    if (cpu > wall / 3 + 20)
        FAIL("wait(-1) burnt %lld ms of CPU in %lld ms (spinning on a stale entry)", cpu,
             wall);
    sockhelp_poller_free(p);
    close(d);
    close(stale[1]);
    close(live[0]);
    close(live[1]);
}

/* The number of a closed-but-shared socket is reused by a new socket added with another
 * tag: the old socket's readiness must never be reported under the new tag. Covers both
 * orders: removed before the reuse, and never removed (the add of the reused number
 * replaces the stale registration, as the header promises on Linux). */
static void reused_number_gets_no_stale_events(int remove_first)
{
    int old[2], fresh[2], d;
    sockhelp_poller *p = sockhelp_poller_new();
    CHECK(p != NULL);
    readable_pair(old);
    CHECK_RC(sockhelp_poller_add(p, old[0], SOCKHELP_READABLE, 1), SOCKHELP_OK);
    SYS(d = dup(old[0]));
    SYS(close(old[0]));
    if (remove_first)
        CHECK_RC(sockhelp_poller_remove(p, old[0]), SOCKHELP_OK);
    /* The lowest free numbers: fresh[0] takes old[0]'s. */
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, fresh));
    CHECK(fresh[0] == old[0]);
    {
        int rc = sockhelp_poller_add(p, fresh[0], SOCKHELP_READABLE, 2);
        if (rc != SOCKHELP_OK && remove_first)
            FAIL("add of the reused number: %s", sockhelp_strerror(rc));
        if (rc != SOCKHELP_OK) {
            /* Not removed: the documented alternative is remove, then add. */
            CHECK_RC(sockhelp_poller_remove(p, fresh[0]), SOCKHELP_OK);
            CHECK_RC(sockhelp_poller_add(p, fresh[0], SOCKHELP_READABLE, 2), SOCKHELP_OK);
        }
    }
    /* fresh[0] has nothing to read: no event may come, under any tag. */
    check_quiet_wait(p, 250, remove_first ? "reused after remove" : "reused, never removed");
    /* Now it is readable: reported once per wait, under the new tag only. */
    SYS((int)write(fresh[1], "z", 1));
    {
        sockhelp_event ev[8];
        int n = sockhelp_poller_wait(p, ev, 8, 2000), i;
        if (n != 1)
            FAIL("expected exactly the new socket's event, got %d", n);
        for (i = 0; i < n; i++)
            if (ev[i].tag != 2)
                FAIL("event under tag %llu, expected 2", (unsigned long long)ev[i].tag);
    }
    sockhelp_poller_free(p);
    close(d);
    close(old[1]);
    close(fresh[0]);
    close(fresh[1]);
}

/* fork: the child holds the socket (as in a pre-fork server), the parent closes and
 * removes it. */
static void fork_then_close_then_remove(void)
{
    int sv[2], gate[2];
    pid_t child;
    char c;
    sockhelp_poller *p = sockhelp_poller_new();
    CHECK(p != NULL);
    readable_pair(sv);
    SYS(pipe(gate));
    CHECK_RC(sockhelp_poller_add(p, sv[0], SOCKHELP_READABLE, 1), SOCKHELP_OK);
    SYS(child = fork());
    if (child == 0) {
        /* Holds sv[0] until the parent closes the gate (or dies). */
        close(gate[1]);
        while (read(gate[0], &c, 1) > 0) {
        }
        _exit(0);
    }
    close(gate[0]);
    SYS(close(sv[0]));
    CHECK_RC(sockhelp_poller_remove(p, sv[0]), SOCKHELP_OK);
    check_quiet_wait(p, 300, "fork, close, remove");
    close(gate[1]);
    SYS(waitpid(child, NULL, 0));
    sockhelp_poller_free(p);
    close(sv[1]);
}

/* With an argument, runs only the case of that name (to watch one fail on its own). */
int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
#define CASE(name, call)                                                                 \
    do {                                                                                 \
        if (!only || strcmp(only, name) == 0)                                            \
            call;                                                                        \
    } while (0)
    watchdog(30);
    signal(SIGPIPE, SIG_IGN);
    CASE("dup", dup_then_close_then_remove());
    CASE("remove_first", remove_then_close_with_dup());
    CASE("forever", forever_wait_next_to_stale_socket());
    CASE("reuse_removed", reused_number_gets_no_stale_events(1));
    CASE("reuse_kept", reused_number_gets_no_stale_events(0));
    CASE("fork", fork_then_close_then_remove());
#undef CASE
    puts("poller_shared_socket: ok");
    return 0;
}

/*
 * The trap: a wait with -1 cannot be interrupted. A signal is retried (EINTR never
 * surfaces), and another thread has no way in, so a server cannot stop cleanly on Ctrl-C
 * or be told "there is new work" by a worker thread. sockhelp_poller_wake is that way in:
 * from another thread or from a signal handler, coalesced, prompt.
 *
 * Every wait is bounded by the watchdog: a wake that does not work fails the test.
 */
#include <pthread.h>

#include "testutil.h"

static sockhelp_poller *poller;

struct waker_args {
    int delay_ms;
    int times;
};

static void *wake_later(void *arg)
{
    struct waker_args *a = arg;
    int i;
    sleep_ms(a->delay_ms);
    for (i = 0; i < a->times; i++)
        if (sockhelp_poller_wake(poller) != SOCKHELP_OK)
            fprintf(stderr, "wake failed\n");
    return NULL;
}

/* A wait(-1) on a poller with an idle socket returns 0 once another thread wakes it. */
static void wake_from_another_thread(void)
{
    pthread_t t;
    struct waker_args a = {200, 1};
    sockhelp_event ev[4];
    long long t0, took;
    int n;
    t0 = now_ms();
    CHECK(pthread_create(&t, NULL, wake_later, &a) == 0);
    n = sockhelp_poller_wait(poller, ev, 4, -1);
    took = now_ms() - t0;
    CHECK(pthread_join(t, NULL) == 0);
    if (n != 0)
        FAIL("woken wait returned %d, expected 0 (no socket is ready)", n);
    if (took < 150)
        FAIL("the wait returned after %lld ms, before anyone woke it", took);
}

/* Wakes before the wait: the next wait returns at once; several wakes coalesce into one
 * early return, so the wait after that runs to its own deadline. */
static void wakes_before_a_wait_coalesce(void)
{
    sockhelp_event ev[4];
    long long t0, took;
    int i;
    for (i = 0; i < 5; i++)
        CHECK_RC(sockhelp_poller_wake(poller), SOCKHELP_OK);
    t0 = now_ms();
    CHECK_RC(sockhelp_poller_wait(poller, ev, 4, -1), 0);
    took = now_ms() - t0;
    if (took > 1000)
        FAIL("a wait after a wake took %lld ms", took);
    t0 = now_ms();
    CHECK_RC(sockhelp_poller_wait(poller, ev, 4, 200), 0);
    took = now_ms() - t0;
    if (took < 150)
        FAIL("five wakes ended two waits (the second after %lld ms), expected one", took);
}

/* Ready sockets are still reported by a woken wait. */
static void woken_wait_reports_ready_sockets(void)
{
    sockhelp_event ev[4];
    CHECK_RC(sockhelp_poller_wake(poller), SOCKHELP_OK);
    CHECK_RC(sockhelp_poller_wait(poller, ev, 4, -1), 1);
    CHECK(ev[0].tag == 77 && (ev[0].events & SOCKHELP_READABLE));
}

static volatile sig_atomic_t stop_requested;

static void on_sigusr1(int sig)
{
    (void)sig;
    stop_requested = 1;
    sockhelp_poller_wake(poller);
}

struct signal_args {
    pthread_t target;
};

static void *signal_later(void *arg)
{
    struct signal_args *a = arg;
    sleep_ms(200);
    pthread_kill(a->target, SIGUSR1);
    return NULL;
}

/* The Ctrl-C pattern: the handler sets a flag and wakes; the loop sees the flag. Without
 * the wake, the interrupted wait would resume (EINTR is retried) and never return. */
static void wake_from_a_signal_handler(void)
{
    struct sigaction sa;
    pthread_t t;
    struct signal_args a;
    sockhelp_event ev[4];
    int rounds = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    SYS(sigaction(SIGUSR1, &sa, NULL));
    a.target = pthread_self();
    CHECK(pthread_create(&t, NULL, signal_later, &a) == 0);
    while (!stop_requested) {
        int n = sockhelp_poller_wait(poller, ev, 4, -1);
        CHECK(n >= 0);
        if (++rounds > 1000)
            FAIL("the loop spun %d times without seeing the flag", rounds);
    }
    CHECK(pthread_join(t, NULL) == 0);
}

int main(void)
{
    int idle[2], ready[2];
    watchdog(20);
    CHECK_RC(sockhelp_poller_wake(NULL), SOCKHELP_EINVAL);
    poller = sockhelp_poller_new();
    CHECK(poller != NULL);
    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, idle));
    CHECK_RC(sockhelp_poller_add(poller, idle[0], SOCKHELP_READABLE, 1), SOCKHELP_OK);

    wake_from_another_thread();
    wakes_before_a_wait_coalesce();
    wake_from_a_signal_handler();

    SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, ready));
    SYS((int)write(ready[1], "r", 1));
    CHECK_RC(sockhelp_poller_add(poller, ready[0], SOCKHELP_READABLE, 77), SOCKHELP_OK);
    woken_wait_reports_ready_sockets();

    sockhelp_poller_free(poller);
    close(idle[0]);
    close(idle[1]);
    close(ready[0]);
    close(ready[1]);
    puts("poller_wake: ok");
    return 0;
}

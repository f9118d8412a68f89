/*
 * The HOWTO's IPC lesson: Unix-domain sockets through sockhelp_listen_unix /
 * sockhelp_connect_unix, and every other call unchanged on them: sendall/recvall,
 * send_frame/recv_frame, select, the poller, close_graceful; addresses print the path.
 * An existing file at the path is never removed (EOS, EADDRINUSE): a live listener's
 * socket, a stale socket (connecting to it is refused), a regular file.
 */
#include <sys/stat.h>
#include <sys/un.h>

#include "testutil.h"

static char g_dir[64];
static char g_path[128];

static void cleanup_dir(void)
{
    char p[160];
    snprintf(p, sizeof p, "%s/s", g_dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/file", g_dir);
    unlink(p);
    rmdir(g_dir);
}

static void exchange_everything(sockhelp_socket c, sockhelp_socket a)
{
    static unsigned char big[1 << 20], back[1 << 20];
    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, 1 << 20);
    sockhelp_reader *r = sockhelp_reader_new(f);
    sockhelp_poller *p = sockhelp_poller_new();
    sockhelp_event ev[4];
    sockhelp_socket readers[1];
    size_t nr = 1, nw = 0, ne = 0, len = 0, got = 0;
    char frame[16];
    pid_t pid;
    int status;

    CHECK(f && r && p);
    /* sendall / recvall with a writer in a child (1 MiB exceeds the socket buffer) */
    fill_pattern(big, sizeof big, 0);
    pid = fork();
    SYS(pid);
    if (pid == 0) {
        size_t sent = 0;
        int rc = sockhelp_sendall(c, big, sizeof big, 5000, &sent);
        if (rc != SOCKHELP_OK)
            fprintf(stderr, "child sendall: %d (%s) after %zu, os %d\n", rc, sockhelp_strerror(rc),
                    sent, sockhelp_last_os_error());
        _exit(rc == SOCKHELP_OK ? 0 : 1);
    }
    CHECK_RC(sockhelp_recvall(a, back, sizeof back, 5000, &got), SOCKHELP_OK);
    CHECK(got == sizeof back);
    CHECK(find_pattern_mismatch(back, sizeof back, 0) == (size_t)-1);
    SYS(waitpid(pid, &status, 0));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* the poller and select see it readable */
    CHECK_RC(sockhelp_poller_add(p, a, SOCKHELP_READABLE, 42), SOCKHELP_OK);
    CHECK(sockhelp_poller_wait(p, ev, 4, 0) == 0);
    CHECK_RC(sockhelp_send_frame(c, f, "hello", 5, 1000, NULL), SOCKHELP_OK);
    CHECK(sockhelp_poller_wait(p, ev, 4, 2000) == 1);
    CHECK(ev[0].tag == 42 && (ev[0].events & SOCKHELP_READABLE));
    readers[0] = a;
    CHECK(sockhelp_select(readers, &nr, NULL, &nw, NULL, &ne, 2000) == 1);
    CHECK(nr == 1 && readers[0] == a);
    /* framing */
    CHECK_RC(sockhelp_recv_frame(r, a, frame, sizeof frame, &len, 1000), SOCKHELP_OK);
    CHECK(len == 5 && memcmp(frame, "hello", 5) == 0);
    CHECK_RC(sockhelp_poller_remove(p, a), SOCKHELP_OK);

    /* TCP options are not for Unix sockets */
    CHECK_RC(sockhelp_set_nodelay(c, true), SOCKHELP_EOS);

    /* close_graceful: the peer sees EOF, closes too: OK */
    pid = fork();
    SYS(pid);
    if (pid == 0) {
        char b;
        size_t n = 0;
        int rc = sockhelp_recvall(a, &b, 1, 5000, &n);
        _exit(rc == SOCKHELP_ECLOSED && n == 0 ? 0 : 1);
    }
    sockhelp_close(a); /* the child holds its copy */
    CHECK_RC(sockhelp_close_graceful(c, 5000), SOCKHELP_OK);
    SYS(waitpid(pid, &status, 0));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    sockhelp_poller_free(p);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
}

int main(void)
{
    sockhelp_socket l, l2, c, a;
    char buf[SOCKHELP_ADDR_MAX], fpath[160], addr[SOCKHELP_ADDR_MAX];
    char toolong[200];
    struct stat st;
    int fd;

    watchdog(60);
    snprintf(g_dir, sizeof g_dir, "/tmp/sockhelp-unix-XXXXXX");
    CHECK(mkdtemp(g_dir) != NULL);
    atexit(cleanup_dir);
    snprintf(g_path, sizeof g_path, "%s/s", g_dir);

    /* nothing there yet */
    CHECK_RC(sockhelp_connect_unix(g_path, 1000, &c), SOCKHELP_EOS);
    CHECK(sockhelp_last_os_error() == ENOENT);
    CHECK(c == SOCKHELP_INVALID_SOCKET);

    CHECK_RC(sockhelp_listen_unix(g_path, 8, &l), SOCKHELP_OK);
    CHECK(stat(g_path, &st) == 0 && S_ISSOCK(st.st_mode));
    CHECK_RC(sockhelp_local_addr(l, buf, sizeof buf, NULL), SOCKHELP_OK);
    CHECK(strcmp(buf, g_path) == 0);

    /* a live listener's file is not taken */
    CHECK_RC(sockhelp_listen_unix(g_path, 8, &l2), SOCKHELP_EOS);
    CHECK(sockhelp_last_os_error() == EADDRINUSE);
    CHECK(l2 == SOCKHELP_INVALID_SOCKET);

    CHECK_RC(sockhelp_connect_unix(g_path, 1000, &c), SOCKHELP_OK);
    CHECK_RC(sockhelp_accept_addr(l, 1000, &a, addr, sizeof addr), SOCKHELP_OK);
    CHECK(strcmp(addr, "") == 0); /* the client side is unnamed */
    CHECK_RC(sockhelp_peer_addr(c, buf, sizeof buf, NULL), SOCKHELP_OK);
    CHECK(strcmp(buf, g_path) == 0);
    CHECK(!fd_is_nonblocking(c));
    exchange_everything(c, a);

    /* the listener dies without removing its file: the file is stale */
    CHECK_RC(sockhelp_close(l), SOCKHELP_OK);
    CHECK(stat(g_path, &st) == 0);
    CHECK_RC(sockhelp_connect_unix(g_path, 1000, &c), SOCKHELP_EREFUSED);
    CHECK_RC(sockhelp_connect_unix(g_path, 0, &c), SOCKHELP_EREFUSED);
    /* a new listener does not remove it: the owner unlinks it, then listens */
    CHECK_RC(sockhelp_listen_unix(g_path, 8, &l), SOCKHELP_EOS);
    CHECK(sockhelp_last_os_error() == EADDRINUSE);
    CHECK(stat(g_path, &st) == 0 && S_ISSOCK(st.st_mode));
    SYS(unlink(g_path));
    CHECK_RC(sockhelp_listen_unix(g_path, 8, &l), SOCKHELP_OK);
    CHECK_RC(sockhelp_connect_unix(g_path, 0, &c), SOCKHELP_OK);
    CHECK_RC(sockhelp_accept(l, 1000, &a), SOCKHELP_OK);
    sockhelp_close(a);
    sockhelp_close(c);
    sockhelp_close(l);

    /* a regular file is never removed */
    snprintf(fpath, sizeof fpath, "%s/file", g_dir);
    fd = open(fpath, O_CREAT | O_WRONLY, 0600);
    SYS(fd);
    CHECK(write(fd, "keep", 4) == 4);
    close(fd);
    CHECK_RC(sockhelp_listen_unix(fpath, 8, &l), SOCKHELP_EOS);
    CHECK(sockhelp_last_os_error() == EADDRINUSE);
    CHECK(stat(fpath, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4);

    /* bad arguments */
    memset(toolong, 'a', sizeof toolong - 1);
    toolong[sizeof toolong - 1] = 0;
    CHECK_RC(sockhelp_listen_unix(toolong, 8, &l), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_connect_unix(toolong, 100, &c), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_listen_unix("", 8, &l), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_listen_unix(NULL, 8, &l), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_connect_unix(g_path, 100, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_connect_unix(g_path, -2, &c), SOCKHELP_EINVAL);
    return 0;
}

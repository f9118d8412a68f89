/*
 * The smallest real sockhelp user, built by tests/packaging.rs the ways a C project
 * consumes an installed library: make + pkg-config (static and shared), CMake
 * find_package, CMake add_subdirectory.
 *
 * It checks that the library it runs with is the one its header describes
 * (sockhelp_version() == SOCKHELP_VERSION_MAJOR.MINOR.PATCH), then does a framed round
 * trip on loopback: listen, connect, accept, send a length-prefixed frame each way.
 * Prints "consumer: ok ..." and exits 0, or names the failed step and exits 1.
 */
#include <sockhelp.h>

#include <stdio.h>
#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)
#define HEADER_VERSION \
    STR(SOCKHELP_VERSION_MAJOR) "." STR(SOCKHELP_VERSION_MINOR) "." STR(SOCKHELP_VERSION_PATCH)

static int fail(const char *what, int rc)
{
    fprintf(stderr, "consumer: %s: %s\n", what, sockhelp_strerror(rc));
    return 1;
}

/* Sends `msg` as one frame on `from`, receives it on `to` through `r`, compares. */
static int pass_frame(sockhelp_socket from, sockhelp_socket to, const sockhelp_framing *f,
                      sockhelp_reader *r, const char *msg)
{
    char buf[256];
    size_t sent = 0, len = 0;
    int rc = sockhelp_send_frame(from, f, msg, strlen(msg), 2000, &sent);
    if (rc != SOCKHELP_OK)
        return fail("send_frame", rc);
    rc = sockhelp_recv_frame(r, to, buf, sizeof buf, &len, 2000);
    if (rc != SOCKHELP_OK)
        return fail("recv_frame", rc);
    if (len != strlen(msg) || memcmp(buf, msg, len) != 0) {
        fprintf(stderr, "consumer: got %.*s, sent %s\n", (int)len, buf, msg);
        return 1;
    }
    return 0;
}

int main(void)
{
    sockhelp_socket listener, client, server;
    sockhelp_framing *f;
    sockhelp_reader *at_server, *at_client;
    uint16_t port = 0;
    int rc, bad;

    if (strcmp(sockhelp_version(), HEADER_VERSION) != 0) {
        fprintf(stderr, "consumer: library %s, header %s\n", sockhelp_version(), HEADER_VERSION);
        return 1;
    }
    rc = sockhelp_init();
    if (rc != SOCKHELP_OK)
        return fail("init", rc);
    rc = sockhelp_listen("127.0.0.1", 0, 4, &listener);
    if (rc != SOCKHELP_OK)
        return fail("listen", rc);
    rc = sockhelp_local_port(listener, &port);
    if (rc != SOCKHELP_OK)
        return fail("local_port", rc);
    rc = sockhelp_connect("127.0.0.1", port, 2000, &client);
    if (rc != SOCKHELP_OK)
        return fail("connect", rc);
    rc = sockhelp_accept(listener, 2000, &server);
    if (rc != SOCKHELP_OK)
        return fail("accept", rc);

    f = sockhelp_framing_length_prefixed(4, false, 1024);
    at_server = f ? sockhelp_reader_new(f) : NULL;
    at_client = f ? sockhelp_reader_new(f) : NULL;
    if (!at_server || !at_client)
        return fail("framing / reader", SOCKHELP_ENOMEM);
    bad = pass_frame(client, server, f, at_server, "ping from the consumer");
    if (!bad)
        bad = pass_frame(server, client, f, at_client, "pong from the consumer");

    sockhelp_reader_free(at_server);
    sockhelp_reader_free(at_client);
    sockhelp_framing_free(f);
    sockhelp_close_graceful(client, 1000);
    sockhelp_close_graceful(server, 1000);
    sockhelp_close(listener);
    sockhelp_cleanup();
    if (bad)
        return 1;
    printf("consumer: ok, sockhelp %s, framed round trip on port %u\n", sockhelp_version(),
           (unsigned)port);
    return 0;
}

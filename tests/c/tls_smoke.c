/*
 * TLS through the header, both ends sockhelp in one process (a server thread):
 *   tls_smoke on CERTDIR   the TLS build: a verified connection by name, frames and bytes
 *                          both ways, what was agreed, a wrong name refused with ECERT and
 *                          rustls' reason, a graceful close; a plain stream too.
 *   tls_smoke off          the build without TLS: sockhelp_has_tls() is 0, every TLS call
 *                          returns SOCKHELP_EUNSUPPORTED, plain streams work.
 */
#include <pthread.h>
#include <string.h>

#include "check.h"

static char certdir[512];
static sockhelp_socket listener;

static void path(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", certdir, name);
}

/* Accepts one connection and echoes one u32 frame back, then closes gracefully. */
static void *server(void *arg) {
    const char *leaf = arg;
    char cert[600], key[600];
    snprintf(cert, sizeof cert, "%s/%s.pem", certdir, leaf);
    snprintf(key, sizeof key, "%s/%s.key", certdir, leaf);
    sockhelp_tls_config *sc = NULL;
    CHECK_RC(sockhelp_tls_config_server(cert, key, &sc), SOCKHELP_OK);
    const char *alpn[] = {"x-smoke"};
    CHECK_RC(sockhelp_tls_config_alpn(sc, alpn, 1), SOCKHELP_OK);
    sockhelp_socket s;
    CHECK_RC(sockhelp_accept(listener, 10000, &s), SOCKHELP_OK);
    sockhelp_stream *st = NULL;
    int rc = sockhelp_tls_server(sc, s, 10000, &st);
    sockhelp_tls_config_free(sc);
    if (rc != SOCKHELP_OK) {
        CHECK(st == NULL);
        sockhelp_close(s);
        return (void *)(long)rc;
    }
    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, 1 << 20);
    sockhelp_reader *r = sockhelp_reader_new(f);
    char buf[256];
    size_t len = 0;
    CHECK_RC(sockhelp_stream_recv_frame(r, st, buf, sizeof buf, &len, 10000), SOCKHELP_OK);
    size_t sent = 0;
    CHECK_RC(sockhelp_stream_send_frame(st, f, buf, len, 10000, &sent), SOCKHELP_OK);
    CHECK_EQ_SZ(sent, len + 4);
    CHECK_RC(sockhelp_stream_close(st, 10000), SOCKHELP_OK);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
    return (void *)0;
}

static uint16_t listen_any(void) {
    CHECK_RC(sockhelp_listen("127.0.0.1", 0, 8, &listener), SOCKHELP_OK);
    char addr[SOCKHELP_ADDR_MAX];
    CHECK_RC(sockhelp_local_addr(listener, addr, sizeof addr, NULL), SOCKHELP_OK);
    return (uint16_t)atoi(strrchr(addr, ':') + 1);
}

static void tls_on(void) {
    CHECK(sockhelp_has_tls() == 1);
    char ca[600];
    path(ca, sizeof ca, "ca.pem");

    /* A verified session, frames and bytes. */
    uint16_t port = listen_any();
    pthread_t t;
    CHECK(pthread_create(&t, NULL, server, "server") == 0);
    sockhelp_tls_config *cc = NULL;
    CHECK_RC(sockhelp_tls_config_client(&cc), SOCKHELP_OK);
    CHECK_RC(sockhelp_tls_config_add_ca_file(cc, ca), SOCKHELP_OK);
    const char *alpn[] = {"x-other", "x-smoke"};
    CHECK_RC(sockhelp_tls_config_alpn(cc, alpn, 2), SOCKHELP_OK);
    sockhelp_stream *st = NULL;
    CHECK_RC(sockhelp_tls_connect(cc, "localhost", port, 10000, &st), SOCKHELP_OK);
    /* Used: frozen. */
    CHECK_RC(sockhelp_tls_config_alpn(cc, alpn, 1), SOCKHELP_EINVAL);
    char info[128];
    size_t needed = 0;
    CHECK_RC(sockhelp_stream_info(st, info, sizeof info, &needed), SOCKHELP_OK);
    CHECK(strncmp(info, "TLSv1.3 TLS13_", 14) == 0);
    CHECK(strstr(info, " x-smoke") != NULL);
    CHECK_EQ_SZ(needed, strlen(info) + 1);
    CHECK_RC(sockhelp_stream_info(st, info, 3, &needed), SOCKHELP_ENOSPACE);
    CHECK(sockhelp_stream_socket(st) != SOCKHELP_INVALID_SOCKET);

    sockhelp_framing *f = sockhelp_framing_length_prefixed(4, false, 1 << 20);
    sockhelp_slice parts[2] = {{"hello ", 6}, {"tls", 3}};
    size_t frames = 0, bytes = 0;
    /* One frame ("hello tls" would be two: send one of the two views). */
    CHECK_RC(sockhelp_stream_send_frames(st, f, parts, 1, 10000, &frames, &bytes), SOCKHELP_OK);
    CHECK_EQ_SZ(frames, 1);
    CHECK_EQ_SZ(bytes, 10);
    sockhelp_reader *r = sockhelp_reader_new(f);
    char buf[64];
    size_t len = 0;
    CHECK_RC(sockhelp_stream_recv_frame(r, st, buf, sizeof buf, &len, 10000), SOCKHELP_OK);
    CHECK_EQ_SZ(len, 6);
    CHECK(memcmp(buf, "hello ", 6) == 0);
    /* The server's close_notify: an orderly close. */
    size_t got = 99;
    CHECK_RC(sockhelp_stream_recvall(st, buf, 1, 10000, &got), SOCKHELP_ECLOSED);
    CHECK_EQ_SZ(got, 0);
    CHECK_RC(sockhelp_stream_close(st, 10000), SOCKHELP_OK);
    void *res;
    CHECK(pthread_join(t, &res) == 0 && res == (void *)0);
    sockhelp_close(listener);

    /* A certificate for another name: ECERT, and the reason as text. */
    port = listen_any();
    CHECK(pthread_create(&t, NULL, server, "other") == 0);
    st = (sockhelp_stream *)1;
    CHECK_RC(sockhelp_tls_connect(cc, "localhost", port, 10000, &st), SOCKHELP_ECERT);
    CHECK(st == NULL);
    char why[512];
    CHECK_RC(sockhelp_stream_error_detail(NULL, why, sizeof why, NULL), SOCKHELP_OK);
    CHECK(strstr(why, "not valid for name") != NULL);
    CHECK(pthread_join(t, &res) == 0 && (long)res == SOCKHELP_ECERT);
    sockhelp_close(listener);

    CHECK_RC(sockhelp_tls_config_add_ca_pem(cc, "junk", 4), SOCKHELP_EINVAL);
    sockhelp_tls_config_free(cc);
    sockhelp_reader_free(r);
    sockhelp_framing_free(f);
}

static void tls_off(void) {
    CHECK(sockhelp_has_tls() == 0);
    sockhelp_tls_config *c = (sockhelp_tls_config *)1;
    CHECK_RC(sockhelp_tls_config_client(&c), SOCKHELP_EUNSUPPORTED);
    CHECK(c == NULL);
    CHECK_RC(sockhelp_tls_config_server("a", "b", &c), SOCKHELP_EUNSUPPORTED);
    CHECK_RC(sockhelp_tls_config_add_ca_file(NULL, "x"), SOCKHELP_EUNSUPPORTED);
    sockhelp_stream *st = (sockhelp_stream *)1;
    CHECK_RC(sockhelp_tls_connect(NULL, "localhost", 1, 1000, &st), SOCKHELP_EUNSUPPORTED);
    CHECK(st == NULL);
    CHECK_RC(sockhelp_tls_server(NULL, 3, 1000, &st), SOCKHELP_EUNSUPPORTED);
}

/* A plain stream: the same calls, no TLS, in every build. */
static void plain(void) {
    uint16_t port = listen_any();
    sockhelp_socket a, b;
    CHECK_RC(sockhelp_connect("127.0.0.1", port, 10000, &a), SOCKHELP_OK);
    CHECK_RC(sockhelp_accept(listener, 10000, &b), SOCKHELP_OK);
    sockhelp_stream *sa = NULL, *sb = NULL;
    CHECK_RC(sockhelp_stream_plain(a, &sa), SOCKHELP_OK);
    CHECK_RC(sockhelp_stream_plain(b, &sb), SOCKHELP_OK);
    CHECK_RC(sockhelp_stream_handshake(sa, 0), SOCKHELP_OK);
    char info[16];
    CHECK_RC(sockhelp_stream_info(sa, info, sizeof info, NULL), SOCKHELP_OK);
    CHECK(strcmp(info, "plain") == 0);
    size_t n = 0;
    CHECK_RC(sockhelp_stream_sendall(sa, "abcd", 4, 10000, &n), SOCKHELP_OK);
    CHECK_EQ_SZ(n, 4);
    char buf[4];
    CHECK_RC(sockhelp_stream_recvall(sb, buf, 4, 10000, &n), SOCKHELP_OK);
    CHECK(memcmp(buf, "abcd", 4) == 0);
    CHECK_RC(sockhelp_stream_recvall(sb, buf, 1, 0, &n), SOCKHELP_EWOULDBLOCK);
    CHECK(sockhelp_stream_wants(sb) == SOCKHELP_READABLE);
    sockhelp_stream_free(sa);
    CHECK_RC(sockhelp_stream_close(sb, 10000), SOCKHELP_OK);
    sockhelp_close(listener);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "on") == 0) {
        snprintf(certdir, sizeof certdir, "%s", argv[2]);
        tls_on();
    } else if (argc == 2 && strcmp(argv[1], "off") == 0) {
        tls_off();
    } else {
        FAIL("usage: tls_smoke on CERTDIR | tls_smoke off");
    }
    plain();
    printf("tls_smoke %s: ok\n", argv[1]);
    return 0;
}

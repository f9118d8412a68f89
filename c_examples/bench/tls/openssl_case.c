/*
 * The contender: OpenSSL's libssl used directly, as a careful C programmer would. TLS 1.3
 * only, the cipher suite sockhelp agrees on (TLS_AES_256_GCM_SHA384), its key exchange
 * groups in sockhelp's order (X25519, P-256, P-384), the peer's
 * certificate and host name verified, SNI sent. SSL_write / SSL_read loops on blocking
 * sockets; frames written by hand into one buffer per batch and parsed by hand from
 * SSL_read's chunks (partial frames kept across reads). Built only by scripts/bench.sh.
 */
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls_bench.h"

#define SUITE "TLS_AES_256_GCM_SHA384"

static SSL_CTX *ctx_common(const SSL_METHOD *m) {
    SSL_CTX *ctx = SSL_CTX_new(m);
    if (!ctx) return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    /* The key exchange groups in sockhelp's order (X25519 first, OpenSSL's default too). */
    if (SSL_CTX_set_ciphersuites(ctx, SUITE) != 1 ||
        SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static void *o_server_config(const char *cert, const char *key) {
    SSL_CTX *ctx = ctx_common(TLS_server_method());
    if (!ctx) return NULL;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static void *o_client_config(const char *ca) {
    SSL_CTX *ctx = ctx_common(TLS_client_method());
    if (!ctx) return NULL;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static void *o_server(void *cfg, int fd) {
    SSL *ssl = SSL_new(cfg);
    if (!ssl) return NULL;
    if (SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1) {
        SSL_free(ssl);
        close(fd);
        return NULL;
    }
    return ssl;
}

static void *o_client(void *cfg, int fd) {
    SSL *ssl = SSL_new(cfg);
    if (!ssl) return NULL;
    if (SSL_set_fd(ssl, fd) != 1 || SSL_set_tlsext_host_name(ssl, "localhost") != 1 ||
        SSL_set1_host(ssl, "localhost") != 1 || SSL_connect(ssl) != 1) {
        SSL_free(ssl);
        close(fd);
        return NULL;
    }
    return ssl;
}

static void o_info(void *conn, char *out, size_t cap) {
    const SSL_CIPHER *c = SSL_get_current_cipher(conn);
    const char *group = SSL_group_to_name(conn, SSL_get_negotiated_group(conn));
    snprintf(out, cap, "%s %s %s", SSL_get_version(conn), c ? SSL_CIPHER_get_name(c) : "?",
             group ? group : "?");
}

static int o_send_all(void *conn, const void *buf, size_t n) {
    const uint8_t *p = buf;
    while (n > 0) {
        size_t w = 0;
        if (SSL_write_ex(conn, p, n, &w) != 1) return -1;
        p += w;
        n -= w;
    }
    return 0;
}

static int o_recv_all(void *conn, void *buf, size_t n) {
    uint8_t *p = buf;
    while (n > 0) {
        size_t r = 0;
        if (SSL_read_ex(conn, p, n, &r) != 1) return -1;
        p += r;
        n -= r;
    }
    return 0;
}

static uint8_t out_buf[1 << 20];

static int o_send_frames(void *conn, const uint8_t *payload, size_t len, size_t count, size_t batch) {
    size_t frame = FRAME_HEAD + len;
    if (batch * frame > sizeof out_buf) return -1;
    while (count > 0) {
        size_t k = count < batch ? count : batch, used = 0;
        for (size_t i = 0; i < k; i++) {
            uint8_t *f = out_buf + used;
            f[0] = (uint8_t)(len >> 24);
            f[1] = (uint8_t)(len >> 16);
            f[2] = (uint8_t)(len >> 8);
            f[3] = (uint8_t)len;
            memcpy(f + FRAME_HEAD, payload, len);
            used += frame;
        }
        if (o_send_all(conn, out_buf, used) != 0) return -1;
        count -= k;
    }
    return 0;
}

static uint8_t in_buf[64 * 1024];

static int o_recv_frames(void *conn, size_t len, size_t count, size_t batch) {
    (void)batch;
    size_t have = 0; /* bytes in in_buf not yet parsed, from its start */
    size_t got = 0;
    volatile uint8_t sink = 0;
    while (got < count) {
        size_t r = 0;
        if (SSL_read_ex(conn, in_buf + have, sizeof in_buf - have, &r) != 1) return -1;
        have += r;
        size_t at = 0;
        while (have - at >= FRAME_HEAD) {
            const uint8_t *h = in_buf + at;
            size_t n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
            if (n != len) return -1;
            if (have - at < FRAME_HEAD + n) break;
            sink ^= h[FRAME_HEAD]; /* the payload is used */
            at += FRAME_HEAD + n;
            got++;
        }
        memmove(in_buf, in_buf + at, have - at);
        have -= at;
    }
    (void)sink;
    return have == 0 ? 0 : -1;
}

static void o_free(void *conn) {
    int fd = SSL_get_fd(conn);
    SSL_free(conn);
    if (fd >= 0) close(fd);
}

const struct tls_impl openssl_tls_impl = {
    "OpenSSL",     o_server_config, o_client_config, o_server,      o_client, o_info,
    o_send_all,    o_recv_all,      o_send_frames,   o_recv_frames, o_free,
};

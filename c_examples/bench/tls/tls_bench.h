/*
 * The TLS benchmark's two contenders behind one table of calls: sockhelp (TLS streams,
 * rustls inside) and OpenSSL's libssl used directly, the way a careful C programmer
 * would (SSL_write / SSL_read loops, framing by hand). Blocking sockets on loopback, the
 * same certificate (ECDSA P-256), the same TLS 1.3 cipher suite on both.
 */
#ifndef TLS_BENCH_H
#define TLS_BENCH_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEAD 4 /* a 4-byte big-endian length before every payload */

struct tls_impl {
    const char *name;
    /* Configs (NULL on failure). */
    void *(*server_config)(const char *cert, const char *key);
    void *(*client_config)(const char *ca);
    /* A TLS session over connected socket fd, the handshake run to its end (blocking);
     * NULL on failure. The session owns fd. */
    void *(*server)(void *cfg, int fd);
    void *(*client)(void *cfg, int fd);
    /* "TLSv1.3 TLS13_AES_256_GCM_SHA384" style: what was agreed. */
    void (*info)(void *conn, char *out, size_t cap);
    int (*send_all)(void *conn, const void *buf, size_t n);          /* 0 ok */
    int (*recv_all)(void *conn, void *buf, size_t n);                /* 0 ok */
    /* `count` frames of payload `p` (`len` bytes each), `batch` per call. 0 ok. */
    int (*send_frames)(void *conn, const uint8_t *p, size_t len, size_t count, size_t batch);
    /* Receives `count` frames of `len` bytes each, checking every length. 0 ok. */
    int (*recv_frames)(void *conn, size_t len, size_t count, size_t batch);
    void (*free)(void *conn); /* frees the session and closes its socket, at once */
};

extern const struct tls_impl sockhelp_tls_impl;
extern const struct tls_impl openssl_tls_impl;

#endif

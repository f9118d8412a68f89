/*
 * stream_connect.h: the one place the protocol examples (redis_cli, mqtt_pubsub, https_get)
 * differ between plain text and TLS: how the sockhelp_stream is made. Everything after it
 * (frames, raw bytes, deadlines, close) is the same code for both.
 *
 * TLS is verified by default: the certificate chain against CAFILE (else the system's
 * roots), the dates, and the host name (a DNS name or an IP address); sockhelp refuses a bad
 * certificate with SOCKHELP_ECERT and says why (sockhelp_stream_error_detail).
 */
#ifndef SOCKHELP_EXAMPLE_STREAM_CONNECT_H
#define SOCKHELP_EXAMPLE_STREAM_CONNECT_H

#include <stdio.h>

#include "sockhelp.h"

/* Prints "PROG: WHAT: error[: rustls' reason]" to stderr; returns 1. With st NULL the
 * reason is the one the last failed tls_connect / tls_client on this thread left. */
static int stream_fail(const char *prog, const char *what, int rc, const sockhelp_stream *st) {
    char why[512] = "";
    size_t needed = 0;
    if (sockhelp_stream_error_detail(st, why, sizeof why, &needed) != SOCKHELP_OK) why[0] = '\0';
    fprintf(stderr, "%s: %s: %s%s%s\n", prog, what, sockhelp_strerror(rc), why[0] ? ": " : "", why);
    return 1;
}

/* Connects to HOST:PORT within timeout_ms: a plain stream, or with tls a verified TLS
 * session (resolve, connect, handshake under the one deadline), trusting cafile when given,
 * presenting cert/key when given. Prints "tls: VERSION SUITE [ALPN]" for TLS. 0 or 1. */
static int stream_connect(const char *prog, const char *host, uint16_t port, int tls,
                          const char *cafile, const char *cert, const char *key, int timeout_ms,
                          sockhelp_stream **out) {
    int rc;
    *out = NULL;
    if (!tls) {
        sockhelp_socket s;
        rc = sockhelp_connect(host, port, timeout_ms, &s);
        if (rc == SOCKHELP_OK && (rc = sockhelp_stream_plain(s, out)) != SOCKHELP_OK) sockhelp_close(s);
        return rc != SOCKHELP_OK ? stream_fail(prog, "connect", rc, NULL) : 0;
    }
    sockhelp_tls_config *cfg = NULL;
    rc = sockhelp_tls_config_client(&cfg);
    if (rc == SOCKHELP_OK && cafile) rc = sockhelp_tls_config_add_ca_file(cfg, cafile);
    if (rc == SOCKHELP_OK && cert && key) rc = sockhelp_tls_config_client_cert(cfg, cert, key);
    if (rc != SOCKHELP_OK) {
        sockhelp_tls_config_free(cfg);
        return stream_fail(prog, "TLS configuration", rc, NULL);
    }
    rc = sockhelp_tls_connect(cfg, host, port, timeout_ms, out);
    sockhelp_tls_config_free(cfg); /* the stream keeps what it needs */
    if (rc != SOCKHELP_OK) {
        stream_fail(prog, "TLS connect", rc, *out);
        sockhelp_stream_free(*out);
        *out = NULL;
        return 1;
    }
    char info[256];
    size_t needed = 0;
    if (sockhelp_stream_info(*out, info, sizeof info, &needed) == SOCKHELP_OK) printf("tls: %s\n", info);
    return 0;
}

#endif

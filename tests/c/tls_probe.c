/*
 * tls_probe: one TLS conversation through sockhelp's C API, each step's result printed as
 * "STEP: CODE_NAME ..." so tests/tls.rs can hold the library to the exact code. Only
 * sockhelp is called: no TLS or crypto of its own.
 *
 *   tls_probe connect HOST PORT [options]     sockhelp_tls_connect, then the steps below
 *   tls_probe upgrade HOST PORT [options]     plain connect, --request bytes, one answer
 *                                             (--answer-line: a CR LF line; else 1 byte),
 *                                             then sockhelp_tls_client with that reader
 *   tls_probe serve CERT KEY [options]        listen on 127.0.0.1 (port printed as
 *                                             "listening on PORT"), accept one client,
 *                                             sockhelp_tls_server, then the steps below
 * options:
 *   --cafile F       trust F (else the system roots)
 *   --cert F --key F client certificate
 *   --name N         the server name to verify (upgrade; default HOST)
 *   --no-verify      sockhelp_tls_config_dangerous_no_verify
 *   --timeout MS     every step's deadline (default 10000)
 *   --send TEXT      stream_sendall TEXT
 *   --recv N         stream_recvall N bytes (what arrived is printed)
 *   --recv-more N    a second stream_recvall after printing "waiting" (tests cut the peer)
 *   --request TEXT   (upgrade) bytes sent before the answer; "\x.." escapes allowed
 *   --close          stream_close (close_notify) at the end; --abrupt: stream_free
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"
#include "clock.h"

static const char *name(int rc) {
    switch (rc) {
    case SOCKHELP_OK: return "OK";
    case SOCKHELP_ECLOSED: return "ECLOSED";
    case SOCKHELP_ERESET: return "ERESET";
    case SOCKHELP_ETIMEDOUT: return "ETIMEDOUT";
    case SOCKHELP_EWOULDBLOCK: return "EWOULDBLOCK";
    case SOCKHELP_EINVAL: return "EINVAL";
    case SOCKHELP_ETOOBIG: return "ETOOBIG";
    case SOCKHELP_ENOSPACE: return "ENOSPACE";
    case SOCKHELP_EBADFRAME: return "EBADFRAME";
    case SOCKHELP_ENOMEM: return "ENOMEM";
    case SOCKHELP_EUNSUPPORTED: return "EUNSUPPORTED";
    case SOCKHELP_EOS: return "EOS";
    case SOCKHELP_EINTERNAL: return "EINTERNAL";
    case SOCKHELP_EREFUSED: return "EREFUSED";
    case SOCKHELP_ENOTFOUND: return "ENOTFOUND";
    case SOCKHELP_ETLS: return "ETLS";
    case SOCKHELP_ECERT: return "ECERT";
    case SOCKHELP_ETRUNCATED: return "ETRUNCATED";
    case SOCKHELP_EPROTO: return "EPROTO";
    default: return "UNKNOWN";
    }
}

static long long started;

/* Prints "step: NAME elapsed_ms=N [detail=...]" and flushes (the test reads line by line). */
static void report(const char *step, int rc, const sockhelp_stream *st) {
    printf("%s: %s elapsed_ms=%lld", step, name(rc), now_ms() - started);
    char detail[512];
    size_t needed = 0;
    /* st NULL: the reason the last connect/client/server call on this thread made none. */
    if (rc != SOCKHELP_OK && sockhelp_stream_error_detail(st, detail, sizeof detail, &needed) == SOCKHELP_OK &&
        detail[0])
        printf(" detail=%s", detail);
    printf("\n");
    fflush(stdout);
}

/* "\xHH" escapes in a command-line argument, decoded in place; returns the length. */
static size_t unescape(char *s) {
    size_t n = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '\\' && s[i + 1] == 'x' && s[i + 2] && s[i + 3]) {
            char hex[3] = {s[i + 2], s[i + 3], 0};
            s[n++] = (char)strtol(hex, NULL, 16);
            i += 3;
        } else {
            s[n++] = s[i];
        }
    }
    return n;
}

static char buf[1 << 20];

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s connect|upgrade HOST PORT | serve CERT KEY [options]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1], *cafile = NULL, *cert = NULL, *key = NULL, *server_name = argv[2];
    char *send = NULL, *request = NULL;
    int timeout = 10000, no_verify = 0, close_mode = 0, answer_line = 0;
    long recv_n = -1, recv_more = -1;
    for (int i = 4; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--no-verify")) no_verify = 1;
        else if (!strcmp(o, "--close")) close_mode = 1;
        else if (!strcmp(o, "--abrupt")) close_mode = 2;
        else if (!strcmp(o, "--answer-line")) answer_line = 1;
        else if (!v) { fprintf(stderr, "%s needs a value\n", o); return 2; }
        else {
            i++;
            if (!strcmp(o, "--cafile")) cafile = v;
            else if (!strcmp(o, "--cert")) cert = v;
            else if (!strcmp(o, "--key")) key = v;
            else if (!strcmp(o, "--name")) server_name = v;
            else if (!strcmp(o, "--timeout")) timeout = atoi(v);
            else if (!strcmp(o, "--send")) send = argv[i];
            else if (!strcmp(o, "--request")) request = argv[i];
            else if (!strcmp(o, "--recv")) recv_n = atol(v);
            else if (!strcmp(o, "--recv-more")) recv_more = atol(v);
            else { fprintf(stderr, "unknown option %s\n", o); return 2; }
        }
    }
    if (sockhelp_init() != SOCKHELP_OK) return 1;
    if (strcmp(mode, "serve") != 0) printf("has_tls: %d\n", sockhelp_has_tls()); /* serve: port first */
    started = now_ms();

    sockhelp_tls_config *cfg = NULL;
    int serving = !strcmp(mode, "serve");
    int rc = serving ? sockhelp_tls_config_server(argv[2], argv[3], &cfg)
                     : sockhelp_tls_config_client(&cfg);
    if (rc == SOCKHELP_OK && cafile) rc = sockhelp_tls_config_add_ca_file(cfg, cafile);
    if (rc == SOCKHELP_OK && cert && key) rc = sockhelp_tls_config_client_cert(cfg, cert, key);
    if (rc == SOCKHELP_OK && no_verify) rc = sockhelp_tls_config_dangerous_no_verify(cfg);
    if (!serving || rc != SOCKHELP_OK) report("config", rc, NULL); /* serve: the port first */
    if (rc != SOCKHELP_OK) return 1;

    sockhelp_stream *st = NULL;
    if (!strcmp(mode, "connect")) {
        rc = sockhelp_tls_connect(cfg, argv[2], (uint16_t)atoi(argv[3]), timeout, &st);
        report("connect", rc, st);
    } else if (!strcmp(mode, "upgrade")) {
        sockhelp_socket s;
        rc = sockhelp_connect(argv[2], (uint16_t)atoi(argv[3]), timeout, &s);
        report("tcp", rc, NULL);
        if (rc != SOCKHELP_OK) return 1;
        size_t n = request ? unescape(request) : 0;
        rc = sockhelp_sendall(s, request, n, timeout, NULL);
        report("request", rc, NULL);
        if (rc != SOCKHELP_OK) return 1;
        sockhelp_framing *f = answer_line ? sockhelp_framing_delimited("\r\n", 2, 1024)
                                          : sockhelp_framing_fixed(1);
        sockhelp_reader *r = sockhelp_reader_new(f);
        size_t len = 0;
        rc = sockhelp_recv_frame(r, s, buf, 1024, &len, timeout);
        printf("answer: %.*s\n", (int)len, buf);
        report("answer", rc, NULL);
        if (rc != SOCKHELP_OK) return 1;
        rc = sockhelp_tls_client(cfg, s, server_name, r, timeout, &st);
        report("upgrade", rc, st);
        if (rc != SOCKHELP_OK && !st) sockhelp_close(s);
        sockhelp_reader_free(r);
        sockhelp_framing_free(f);
    } else if (serving) {
        sockhelp_socket l, s;
        uint16_t port = 0;
        rc = sockhelp_listen("127.0.0.1", 0, 16, &l);
        if (rc == SOCKHELP_OK) rc = sockhelp_local_port(l, &port);
        if (rc != SOCKHELP_OK) return 1;
        printf("listening on %u\n", port);
        fflush(stdout);
        rc = sockhelp_accept(l, 30000, &s);
        report("accept", rc, NULL);
        if (rc != SOCKHELP_OK) return 1;
        started = now_ms();
        rc = sockhelp_tls_server(cfg, s, timeout, &st);
        report("handshake", rc, st);
        sockhelp_close(l);
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    if (rc != SOCKHELP_OK) {
        sockhelp_stream_free(st);
        sockhelp_tls_config_free(cfg);
        return 1;
    }

    size_t needed = 0;
    if (sockhelp_stream_info(st, buf, sizeof buf, &needed) == SOCKHELP_OK) printf("info: %s\n", buf);
    if (send) {
        size_t n = unescape(send), sent = 0;
        rc = sockhelp_stream_sendall(st, send, n, timeout, &sent);
        report("send", rc, st);
    }
    if (rc == SOCKHELP_OK && recv_n >= 0) {
        size_t got = 0;
        started = now_ms();
        rc = sockhelp_stream_recvall(st, buf, (size_t)recv_n, timeout, &got);
        printf("received %zu: %.*s\n", got, (int)got, buf);
        report("recv", rc, st);
    }
    if (rc == SOCKHELP_OK && recv_more >= 0) {
        size_t got = 0;
        printf("waiting\n");
        fflush(stdout);
        started = now_ms();
        rc = sockhelp_stream_recvall(st, buf, (size_t)recv_more, timeout, &got);
        printf("received %zu\n", got);
        report("recv-more", rc, st);
    }
    if (close_mode == 1) {
        report("close", sockhelp_stream_close(st, timeout), NULL);
    } else {
        sockhelp_stream_free(st);
    }
    sockhelp_tls_config_free(cfg);
    sockhelp_cleanup();
    return 0;
}

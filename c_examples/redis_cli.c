/*
 * redis_cli: RESP, the Redis protocol, spoken through one sockhelp reader.
 *
 * Lesson: some protocols mix lines and raw bytes. Every RESP reply starts with a line
 * ending in CR LF: "+OK", "-ERR ...", ":42", "*3" (an array of 3 replies follows), or "$5"
 * for a bulk string, after which come exactly 5 raw bytes and CR LF. Those bytes may hold
 * CR LF themselves, so a bulk string cannot be read as lines.
 *
 * One reader does both. Its framing is "\r\n"-delimited, for the lines; and
 * sockhelp_reader_recvall takes the next N raw bytes from it: first what the reader already
 * holds (the recv that brought "$5" usually brought the body too), then from the socket.
 * Reading the number in "$5" is this program's job; finding where the body ends is not.
 *
 *   redis_cli HOST PORT [--tls] [--cafile FILE]
 *
 * Everything goes through a sockhelp_stream: a plain socket, or with --tls a TLS session
 * (Redis' --tls-port) whose certificate is verified against FILE (else the system's roots)
 * and the host name. The protocol code is the same either way: only the connect differs.
 *
 * PING; SET and GET of a binary value holding CR LF, NUL, "$" and "*"; a 100000-byte value;
 * GET of a missing key; an error reply; then a pipeline: 1000 commands in one write, and
 * only then their 1000 replies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"
#include "stream_connect.h"

#define TIMEOUT_MS 10000
#define MAX_LINE 65536
#define MAX_BULK (1u << 20)
#define PIPELINE 1000

static sockhelp_stream *st; /* the connection: plain or TLS */
static sockhelp_reader *r; /* lines: "\r\n"-delimited */

static int fail(const char *what, int rc) {
    fprintf(stderr, "redis_cli: %s: %s\n", what, sockhelp_strerror(rc));
    return 1;
}

/* One reply (arrays: just the count; their elements are the next replies). */
typedef struct reply {
    char type;        /* '+', '-', ':', '$' or '*' */
    long long number; /* ':' the integer; '$' the length (-1: nil); '*' the count */
    uint8_t *data;    /* '+' '-' the text, '$' the bytes (number of them), NUL-terminated */
} reply;

static char line[MAX_LINE + 1];
static uint8_t bulk[MAX_BULK + 2];

/* Parses the decimal number after a reply's type character: the program's job. */
static int parse_number(const char *text, long long *out) {
    char *end;
    *out = strtoll(text, &end, 10);
    return end != text && *end == '\0' ? 0 : -1;
}

static int read_reply(reply *out) {
    size_t len = 0;
    int rc = sockhelp_stream_recv_frame(r, st, line, MAX_LINE, &len, TIMEOUT_MS);
    if (rc != SOCKHELP_OK) return fail("reading a reply line", rc);
    line[len] = '\0'; /* the reader stripped the CR LF */
    out->type = line[0];
    out->data = (uint8_t *)line + 1;
    out->number = 0;
    switch (line[0]) {
    case '+':
    case '-':
        return 0;
    case ':':
    case '*':
        return parse_number(line + 1, &out->number) ? fail(line, SOCKHELP_EBADFRAME) : 0;
    case '$':
        if (parse_number(line + 1, &out->number) || out->number < -1 || out->number > MAX_BULK)
            return fail(line, SOCKHELP_EBADFRAME); /* never trust a length blindly */
        if (out->number == -1) return 0;       /* nil */
        /* Exactly number + 2 raw bytes: the value and its CR LF, leftovers first. */
        rc = sockhelp_stream_reader_recvall(r, st, bulk, (size_t)out->number + 2, TIMEOUT_MS, NULL);
        if (rc != SOCKHELP_OK) return fail("reading a bulk string", rc);
        if (memcmp(bulk + out->number, "\r\n", 2) != 0) return fail("bulk end", SOCKHELP_EBADFRAME);
        bulk[out->number] = '\0';
        out->data = bulk;
        return 0;
    default:
        return fail("unknown reply type", SOCKHELP_EBADFRAME);
    }
}

/* Appends one command to buf as RESP: an array of bulk strings, each "$len" CR LF bytes CR LF. */
static size_t put_command(char *buf, size_t at, int argc, const char *const argv[],
                          const size_t lens[]) {
    at += (size_t)sprintf(buf + at, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        at += (size_t)sprintf(buf + at, "$%zu\r\n", lens[i]);
        memcpy(buf + at, argv[i], lens[i]);
        at += lens[i];
        memcpy(buf + at, "\r\n", 2);
        at += 2;
    }
    return at;
}

static char out[MAX_BULK + 4096];

/* Sends one command (its arguments as C strings, or with lens for binary ones). */
static int command(int argc, const char *const argv[], const size_t *lens) {
    size_t l[8];
    for (int i = 0; i < argc; i++) l[i] = lens ? lens[i] : strlen(argv[i]);
    size_t n = put_command(out, 0, argc, argv, l);
    int rc = sockhelp_stream_sendall(st, out, n, TIMEOUT_MS, NULL);
    return rc != SOCKHELP_OK ? fail("sending a command", rc) : 0;
}

/* Prints a reply: "+OK", "-ERR ...", ":3", "$5 hello" (bytes escaped), "$-1" for nil. */
static void print_reply(const char *what, const reply *rp) {
    printf("%s: %c", what, rp->type);
    if (rp->type == '$') {
        printf("%lld", rp->number);
        if (rp->number >= 0) putchar(' ');
        for (long long i = 0; i < rp->number; i++) {
            uint8_t c = rp->data[i];
            if (c == '\\') printf("\\\\");
            else if (c < 0x20 || c >= 0x7f) printf("\\x%02x", c);
            else putchar(c);
        }
    } else if (rp->type == ':' || rp->type == '*') {
        printf("%lld", rp->number);
    } else {
        printf("%s", (const char *)rp->data);
    }
    putchar('\n');
}

/* Sends a command and prints its reply. */
static int roundtrip(const char *what, int argc, const char *const argv[], const size_t *lens,
                     reply *rp) {
    if (command(argc, argv, lens) || read_reply(rp)) return 1;
    print_reply(what, rp);
    return 0;
}

int main(int argc, char **argv) {
    int tls = 0;
    const char *cafile = NULL;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--tls") == 0) tls = 1;
        else if (strcmp(argv[i], "--cafile") == 0 && i + 1 < argc) cafile = argv[++i];
        else argc = 0; /* usage */
    }
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [--tls] [--cafile FILE]\n", argv[0]);
        return 2;
    }
    int rc = sockhelp_init();
    if (rc != SOCKHELP_OK) return fail("init", rc);
    if (stream_connect("redis_cli", argv[1], (uint16_t)atoi(argv[2]), tls, cafile, NULL, NULL,
                       TIMEOUT_MS, &st))
        return 1;
    sockhelp_framing *crlf = sockhelp_framing_delimited("\r\n", 2, MAX_LINE);
    r = sockhelp_reader_new(crlf);
    if (!crlf || !r) return fail("reader", SOCKHELP_ENOMEM);
    reply rp;

    const char *const ping[] = {"PING"};
    if (roundtrip("PING", 1, ping, NULL, &rp)) return 1;

    /* A value that looks like RESP itself: CR LF, "$3", "*1", a NUL, 0xff. */
    static const char binary[] = "bin\r\nary\0$3\r\n*1\r\n\xff end";
    const char *const set[] = {"SET", "bin", binary};
    const size_t set_lens[] = {3, 3, sizeof binary - 1};
    if (roundtrip("SET bin", 3, set, set_lens, &rp)) return 1;
    const char *const get[] = {"GET", "bin"};
    if (roundtrip("GET bin", 2, get, NULL, &rp)) return 1;
    printf("binary value: %s\n", rp.type == '$' && rp.number == (long long)sizeof binary - 1 &&
                                         memcmp(rp.data, binary, sizeof binary - 1) == 0
                                     ? "same bytes"
                                     : "DIFFERENT");

    /* A value far larger than one recv: recvall gathers it straight into the buffer. */
    static char big[100000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 26);
    const char *const set_big[] = {"SET", "big", big};
    const size_t big_lens[] = {3, 3, sizeof big};
    const char *const get_big[] = {"GET", "big"};
    if (command(3, set_big, big_lens) || read_reply(&rp)) return 1;
    if (command(2, get_big, NULL) || read_reply(&rp)) return 1;
    printf("big value: %lld bytes, %s\n", rp.number,
           rp.number == (long long)sizeof big && memcmp(rp.data, big, sizeof big) == 0
               ? "same bytes"
               : "DIFFERENT");

    const char *const missing[] = {"GET", "no such key"};
    if (roundtrip("GET missing", 2, missing, NULL, &rp)) return 1;
    const char *const wrong[] = {"INCR", "bin"};
    if (roundtrip("INCR bin", 2, wrong, NULL, &rp)) return 1;

    /* The pipeline: SET pipe:i value-i for even i, GET pipe:(i-1) for odd i, all in one
     * write; then the 1000 replies, which arrive many to a recv. */
    static char pipeline[PIPELINE * 64];
    size_t n = 0;
    for (int i = 0; i < PIPELINE; i++) {
        char key[32], value[32];
        sprintf(key, "pipe:%d", i - i % 2);
        sprintf(value, "value-%d", i);
        const char *const cmd[] = {i % 2 ? "GET" : "SET", key, value};
        const size_t lens[] = {3, strlen(key), strlen(value)};
        n = put_command(pipeline, n, i % 2 ? 2 : 3, cmd, lens);
    }
    rc = sockhelp_stream_sendall(st, pipeline, n, TIMEOUT_MS, NULL);
    if (rc != SOCKHELP_OK) return fail("sending the pipeline", rc);
    printf("pipeline: %d commands, %zu bytes in one write\n", PIPELINE, n);
    for (int i = 0; i < PIPELINE; i++) {
        char what[32];
        sprintf(what, "pipe %d", i);
        if (read_reply(&rp)) return 1;
        print_reply(what, &rp);
    }

    sockhelp_stream_close(st, 1000); /* close_notify when TLS, then the graceful close */
    sockhelp_reader_free(r);
    sockhelp_framing_free(crlf);
    sockhelp_cleanup();
    return 0;
}

/*
 * kv_server: a Redis-protocol (RESP2) key-value server on one thread, on sockhelp's poller
 * (the loop is event_server.h's: a reader and a bounded writer per client, idle timeouts).
 *
 * Commands: PING [msg], ECHO msg, SET key value, GET key, DEL key [key ...], INCR key, as
 * arrays of bulk strings (what redis-cli and client libraries send) or inline (`PING`,
 * `SET a 1` typed into telnet); pipelining; values are binary-safe. Errors carry Redis' own
 * texts, so clients written against redis-server read them alike.
 *
 * Framing, all by the library: the `*3` and `$5` lines are length lines
 * (sockhelp_reader_next_length with the two sockhelp_length_line specs below: the library
 * finds the line, reads its number and, after `$5`, arms the value and its CRLF as the next
 * raw frame, whatever bytes it holds); inline commands are frames of the reader's CRLF line
 * framing. What this file parses is what the frames say: the words of an inline command,
 * the command names, the integer INCR reads.
 * Replies: status and header lines are frames of the CRLF writer; values go out with
 * sockhelp_writer_queue_raw (they may hold CR LF).
 *
 *   kv_server [--port P] [--idle-ms MS]
 * prints "listening on PORT" and serves on 127.0.0.1 until SIGINT or SIGTERM.
 */
#include "event_server.h"

#define MAX_BULK (16u << 20) /* the largest value (redis-server: 512 MiB) */
#define MAX_ARGS (1024 * 1024)

/* ---- the store: a chained hash table; one allocation per entry, key then value ---- */
struct entry {
    struct entry *next;
    size_t klen, vlen;
    unsigned char data[];
};
static struct entry **table;
static size_t table_cap, table_n;

static size_t hash(const unsigned char *p, size_t n) { /* FNV-1a */
    size_t h = (size_t)14695981039346656037ull;
    while (n--) h = (h ^ *p++) * (size_t)1099511628211ull;
    return h;
}

static struct entry **find(const unsigned char *k, size_t klen) {
    struct entry **e = &table[hash(k, klen) & (table_cap - 1)];
    for (; *e; e = &(*e)->next)
        if ((*e)->klen == klen && memcmp((*e)->data, k, klen) == 0) break;
    return e;
}

static int grow(void) {
    size_t cap = table_cap ? table_cap * 2 : 1024;
    struct entry **t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < table_cap; i++)
        for (struct entry *e = table[i], *next; e; e = next) {
            next = e->next;
            struct entry **slot = &t[hash(e->data, e->klen) & (cap - 1)];
            e->next = *slot;
            *slot = e;
        }
    free(table);
    table = t;
    table_cap = cap;
    return 0;
}

static int store(const unsigned char *k, size_t klen, const unsigned char *v, size_t vlen) {
    if (table_n >= table_cap && grow() != 0) return -1;
    struct entry *n = malloc(sizeof *n + klen + vlen);
    if (!n) return -1;
    n->klen = klen;
    n->vlen = vlen;
    memcpy(n->data, k, klen);
    if (vlen) memcpy(n->data + klen, v, vlen);
    struct entry **e = find(k, klen);
    if (*e) {
        n->next = (*e)->next;
        free(*e);
    } else {
        n->next = NULL;
        table_n++;
    }
    *e = n;
    return 0;
}

/* ---- a client: where it is in a command, and the arguments so far ---- */
struct arg {
    const unsigned char *p;
    size_t len;
};
struct client {
    struct srv_conn conn;
    long long want; /* arguments the `*N` line announced; 0 between commands */
    long long got;
    int in_bulk;    /* the next frame is a value: its raw frame (armed by the `$N` line) */
    struct arg *args; /* copies of the arguments before the last; freed after each command */
    size_t cap;
};

static void drop_args(struct client *k) {
    for (long long i = 0; i < k->got; i++) free((void *)k->args[i].p);
    free(k->args);
    k->args = NULL;
    k->cap = 0;
    k->want = k->got = 0;
}

/* Redis' string2ll: an optional '-', digits, no leading zeros, no spaces, within long long. */
static int parse_ll(const unsigned char *p, size_t n, long long *out) {
    size_t i = 0;
    int neg = 0;
    unsigned long long v = 0, lim;
    if (n == 0 || n > 20) return -1;
    if (p[0] == '-') {
        neg = 1;
        if (++i == n) return -1;
    }
    if (p[i] == '0' && n > i + 1) return -1;
    lim = neg ? (unsigned long long)9223372036854775807ll + 1 : 9223372036854775807ull;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (lim - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 0;
}

/* ---- replies ---- */
static int line(struct srv_conn *c, const char *s) {
    return sockhelp_writer_queue(c->w, s, strlen(s)) == SOCKHELP_OK ? 0 : -1;
}
static int integer(struct srv_conn *c, long long v) {
    char b[32];
    int n = snprintf(b, sizeof b, ":%lld", v);
    return sockhelp_writer_queue(c->w, b, (size_t)n) == SOCKHELP_OK ? 0 : -1;
}
static int bulk(struct srv_conn *c, const unsigned char *v, size_t len) {
    char b[32];
    int n = snprintf(b, sizeof b, "$%zu", len);
    if (sockhelp_writer_queue(c->w, b, (size_t)n) != SOCKHELP_OK) return -1;
    if (len && sockhelp_writer_queue_raw(c->w, v, len) != SOCKHELP_OK) return -1;
    return sockhelp_writer_queue_raw(c->w, "\r\n", 2) == SOCKHELP_OK ? 0 : -1;
}
/* An error line with up to two quoted arguments, as Redis writes them (at most 128 bytes of
 * each; CR and LF become spaces so the line stays one frame). */
static int error(struct srv_conn *c, const char *fmt, const struct arg *a, const struct arg *b) {
    char q[2][132], msg[400];
    const struct arg *ab[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        size_t n = ab[i] ? (ab[i]->len < 128 ? ab[i]->len : 128) : 0;
        for (size_t j = 0; j < n; j++) q[i][j] = ab[i]->p[j] == '\r' || ab[i]->p[j] == '\n' ? ' ' : (char)ab[i]->p[j];
        q[i][n] = 0;
    }
    snprintf(msg, sizeof msg, fmt, q[0], q[1]);
    return line(c, msg);
}

static int eq(const struct arg *a, const char *name) {
    size_t n = strlen(name);
    if (a->len != n) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = a->p[i];
        if ((ch >= 'a' && ch <= 'z' ? ch - 32 : ch) != (unsigned char)name[i]) return 0;
    }
    return 1;
}

static int arity(struct srv_conn *c, const struct arg *a, long long n, long long min, long long max) {
    if (n >= min && (max < 0 || n <= max)) return 0;
    char name[140];
    size_t len = a->len < 128 ? a->len : 128;
    for (size_t i = 0; i < len; i++) name[i] = (char)(a->p[i] >= 'A' && a->p[i] <= 'Z' ? a->p[i] + 32 : a->p[i]);
    struct arg lower = {(const unsigned char *)name, len};
    error(c, "-ERR wrong number of arguments for '%s' command", &lower, NULL);
    return -1;
}

/* Runs one whole command: a[0..n], each valid for this call only. */
static int execute(struct srv_conn *c, const struct arg *a, long long n) {
    if (eq(&a[0], "GET")) {
        if (arity(c, a, n, 2, 2)) return 0;
        struct entry *e = *find(a[1].p, a[1].len);
        return e ? bulk(c, e->data + e->klen, e->vlen) : line(c, "$-1");
    }
    if (eq(&a[0], "SET")) {
        if (arity(c, a, n, 3, -1)) return 0;
        if (n > 3) return line(c, "-ERR syntax error");
        return store(a[1].p, a[1].len, a[2].p, a[2].len) == 0 ? line(c, "+OK") : line(c, "-OOM out of memory");
    }
    if (eq(&a[0], "PING")) {
        if (arity(c, a, n, 1, 2)) return 0;
        return n == 2 ? bulk(c, a[1].p, a[1].len) : line(c, "+PONG");
    }
    if (eq(&a[0], "ECHO")) {
        if (arity(c, a, n, 2, 2)) return 0;
        return bulk(c, a[1].p, a[1].len);
    }
    if (eq(&a[0], "DEL")) {
        if (arity(c, a, n, 2, -1)) return 0;
        long long deleted = 0;
        for (long long i = 1; i < n; i++) {
            struct entry **e = find(a[i].p, a[i].len);
            if (*e) {
                struct entry *gone = *e;
                *e = gone->next;
                free(gone);
                table_n--;
                deleted++;
            }
        }
        return integer(c, deleted);
    }
    if (eq(&a[0], "INCR")) {
        if (arity(c, a, n, 2, 2)) return 0;
        struct entry *e = *find(a[1].p, a[1].len);
        long long v = 0;
        if (e && parse_ll(e->data + e->klen, e->vlen, &v) != 0)
            return line(c, "-ERR value is not an integer or out of range");
        if (v == 9223372036854775807ll) return line(c, "-ERR increment or decrement would overflow");
        char b[24];
        int len = snprintf(b, sizeof b, "%lld", ++v);
        if (store(a[1].p, a[1].len, (const unsigned char *)b, (size_t)len) != 0) return line(c, "-OOM out of memory");
        return integer(c, v);
    }
    /* Redis: -ERR unknown command 'x', with args beginning with: 'a' 'b' */
    char msg[600];
    int used = snprintf(msg, sizeof msg, "-ERR unknown command '%%s', with args beginning with: ");
    for (long long i = 1; i < n && used < 400; i++) {
        struct arg q = {a[i].p, a[i].len < 64 ? a[i].len : 64};
        char one[80];
        for (size_t j = 0; j < q.len; j++) one[j] = q.p[j] == '\r' || q.p[j] == '\n' || q.p[j] == '%' ? ' ' : (char)q.p[j];
        one[q.len] = 0;
        used += snprintf(msg + used, sizeof msg - (size_t)used, "'%s' ", one);
    }
    return error(c, msg, &a[0], NULL);
}

/* A protocol error: Redis answers it and closes the connection. */
static int protocol_error(struct srv_conn *c, const char *what) {
    char msg[120];
    snprintf(msg, sizeof msg, "-ERR Protocol error: %s", what);
    line(c, msg);
    c->closing = 1;
    return 0;
}

/* An inline command: words separated by spaces (no quoting). */
static int inline_command(struct srv_conn *c, const unsigned char *p, size_t len) {
    struct arg a[64];
    long long n = 0;
    for (size_t i = 0; i < len && n < 64;) {
        while (i < len && (p[i] == ' ' || p[i] == '\t')) i++;
        size_t start = i;
        while (i < len && p[i] != ' ' && p[i] != '\t') i++;
        if (i > start) a[n++] = (struct arg){p + start, i - start};
    }
    return n ? execute(c, a, n) : 0; /* an empty line is no command */
}

/* RESP's two length lines: `*N` (how many arguments follow; `*-1` a null array) and `$N`
 * (the value's length; its N bytes and CRLF then come as one raw frame). */
static const sockhelp_length_line ARRAY = {'*', 10, "\r\n", 2, 20, 0, MAX_ARGS,
                                           SOCKHELP_LENGTH_COUNT | SOCKHELP_LENGTH_NULL_OK};
static const sockhelp_length_line BULK = {'$', 10, "\r\n", 2, 20, 2, MAX_BULK, 0};

static const sockhelp_length_line *length_line(struct srv_conn *c) {
    struct client *k = (struct client *)c;
    return k->in_bulk ? NULL : k->want == 0 ? &ARRAY : &BULK;
}

static int on_length(struct srv_conn *c, uint64_t n) {
    struct client *k = (struct client *)c;
    if (k->want == 0) k->want = n == SOCKHELP_LENGTH_NULL ? 0 : (long long)n; /* *0, *-1: no command */
    else k->in_bulk = 1;                                                       /* its value comes next */
    return 0;
}

/* A frame: a value (its raw frame), or a line that was not the length line expected. */
static int on_frame(struct srv_conn *c, const uint8_t *f, size_t len) {
    struct client *k = (struct client *)c;
    if (k->in_bulk) { /* the value and its CRLF, as one raw frame */
        k->in_bulk = 0;
        if (len < 2 || f[len - 2] != '\r' || f[len - 1] != '\n') return protocol_error(c, "expected CRLF after bulk");
        struct arg v = {f, len - 2};
        if (k->got + 1 == k->want) { /* the last argument: used in place, not copied */
            if ((size_t)k->got >= k->cap) {
                struct arg *grown = realloc(k->args, ((size_t)k->got + 1) * sizeof *grown);
                if (!grown) return -1;
                k->args = grown;
                k->cap = (size_t)k->got + 1;
            }
            k->args[k->got] = v;
            int rc = execute(c, k->args, k->want);
            k->args[k->got].p = NULL; /* not ours to free */
            drop_args(k);
            return rc;
        }
        unsigned char *copy = malloc(v.len ? v.len : 1);
        if (!copy) return -1;
        memcpy(copy, v.p, v.len);
        if ((size_t)k->got >= k->cap) {
            size_t cap = k->cap ? k->cap * 2 : 4;
            if (cap > (size_t)k->want) cap = (size_t)k->want;
            struct arg *grown = realloc(k->args, cap * sizeof *grown);
            if (!grown) {
                free(copy);
                return -1;
            }
            k->args = grown;
            k->cap = cap;
        }
        k->args[k->got++] = (struct arg){copy, v.len};
        return 0;
    }
    if (k->want == 0) /* not an array header: an inline command, or a bad `*` line */
        return len && f[0] == '*' ? protocol_error(c, "invalid multibulk length") : inline_command(c, f, len);
    if (len && f[0] == '$') return protocol_error(c, "invalid bulk length"); /* malformed, or over MAX_BULK */
    char what[40];
    snprintf(what, sizeof what, "expected '$', got '%c'", len && f[0] >= 32 && f[0] < 127 ? f[0] : ' ');
    return protocol_error(c, what);
}

static void on_close(struct srv_conn *c) { drop_args((struct client *)c); }

int main(int argc, char **argv) {
    sockhelp_framing *lines = sockhelp_framing_delimited("\r\n", 2, MAX_BULK + 2);
    struct srv_proto pr = {"kv_server", lines, lines, sizeof(struct client), MAX_BULK + 64, on_frame, on_close,
                           length_line, on_length};
    if (grow() != 0) return 1; /* the table is never empty of buckets */
    int status = srv_main(&pr, argc, argv);
    sockhelp_framing_free(lines);
    for (size_t i = 0; i < table_cap; i++)
        for (struct entry *e = table[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(table);
    return status;
}

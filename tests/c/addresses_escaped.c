/*
 * Unix-domain addresses are printed losslessly and always fit SOCKHELP_ADDR_MAX (issue 23,
 * findings 1 and 5). A client with no privilege binds its own socket to a name of its
 * choosing (bytes that are not UTF-8, a NUL inside an abstract name, a leading '@', a '\'
 * or a ':') and connects to a sockhelp_listen_unix server:
 * - sockhelp_accept_addr returns SOCKHELP_OK only with the address written, NUL-terminated,
 *   into a SOCKHELP_ADDR_MAX buffer; peer_addr / local_addr fit in that buffer too;
 * - every byte that is not printable ASCII, and '\' and ':', is written "\xNN" (two
 *   lowercase hex digits); an abstract name is '@' then its escaped bytes (a NUL is
 *   "\x00"); a path that starts with '@' has it written "\x40". So no two different
 *   addresses print alike, and the text decodes back to the bytes;
 * - `cap` is checked alike in the three calls: a cap larger than any object (SIZE_MAX,
 *   PTRDIFF_MAX + 1) is SOCKHELP_EINVAL, and accept_addr refuses it before accepting.
 */
#include "testutil.h"

#include <stddef.h>
#include <sys/stat.h>
#include <sys/un.h>

static char g_dir[64];
static char g_listen[96];

static void cleanup_dir(void)
{
    char cmd[160];
    int rc;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    rc = system(cmd);
    (void)rc;
}

/* The documented rule, written independently: what `name` (len bytes of sun_path as
 * bound; name[0] == 0 for an abstract name) must print as. */
static void expected_text(const unsigned char *name, size_t len, char *out, size_t cap)
{
    size_t i = 0, o = 0;
    int abstract = len > 0 && name[0] == 0;
    if (abstract) {
        out[o++] = '@';
        i = 1;
    }
    for (; i < len; i++) {
        unsigned char b = name[i];
        int esc = b < 0x20 || b > 0x7e || b == '\\' || b == ':' || (!abstract && i == 0 && b == '@');
        CHECK(o + 5 < cap);
        if (esc)
            o += (size_t)sprintf(out + o, "\\x%02x", b);
        else
            out[o++] = (char)b;
    }
    out[o] = '\0';
}

/* A client socket bound to `name` (len bytes of sun_path), connected to the listener. */
static int bound_client(const unsigned char *name, size_t len)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    SYS(fd);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    CHECK(len <= sizeof sa.sun_path);
    memcpy(sa.sun_path, name, len);
    SYS(bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)));
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, g_listen, strlen(g_listen) + 1);
    SYS(connect(fd, (struct sockaddr *)&sa, sizeof sa));
    return fd;
}

/* A buffer of SOCKHELP_ADDR_MAX bytes, filled with 0xAA: the text must be NUL-terminated
 * inside it and equal `expect`. */
static void check_text(const char *what, const char *buf, const char *expect)
{
    const char *nul = memchr(buf, '\0', SOCKHELP_ADDR_MAX);
    if (nul == NULL)
        FAIL("%s: no NUL in the SOCKHELP_ADDR_MAX buffer (never written?)", what);
    if (strcmp(buf, expect) != 0)
        FAIL("%s gave \"%s\", expected \"%s\"", what, buf, expect);
}

/* The client bound to `name` connects; the server's accept_addr, peer_addr and the
 * client's local_addr all print `expect`; returns the printed text's size (NUL included). */
static size_t check_name(sockhelp_socket l, const unsigned char *name, size_t len,
                         const char *literal)
{
    char expect[4 * 110 + 2], addr[SOCKHELP_ADDR_MAX], buf[SOCKHELP_ADDR_MAX];
    sockhelp_socket a;
    size_t needed = 0;
    int c;

    expected_text(name, len, expect, sizeof expect);
    if (literal != NULL && strcmp(expect, literal) != 0)
        FAIL("the test's rule gives \"%s\", expected \"%s\"", expect, literal);
    c = bound_client(name, len);

    memset(addr, 0xAA, sizeof addr);
    CHECK_RC(sockhelp_accept_addr(l, 5000, &a, addr, sizeof addr), SOCKHELP_OK);
    check_text("accept_addr", addr, expect);

    memset(buf, 0xAA, sizeof buf);
    CHECK_RC(sockhelp_peer_addr(a, buf, sizeof buf, &needed), SOCKHELP_OK);
    check_text("peer_addr", buf, expect);
    CHECK_EQ_SZ(needed, strlen(expect) + 1);

    memset(buf, 0xAA, sizeof buf);
    needed = 0;
    CHECK_RC(sockhelp_local_addr(c, buf, sizeof buf, &needed), SOCKHELP_OK);
    check_text("local_addr", buf, expect);
    CHECK_EQ_SZ(needed, strlen(expect) + 1);

    CHECK_RC(sockhelp_close(a), SOCKHELP_OK);
    SYS(close(c));
    return strlen(expect) + 1;
}

int main(void)
{
    static const unsigned char nul_inside[] = {0, 'a', '2', 0, 'e', 'v', 'i', 'l'};
    static const unsigned char abstract_x[] = {0, 'x'};
    static const unsigned char path_at_x[] = {'@', 'x'};
    static const unsigned char path_odd[] = {'a', '\\', 'b', ':', 'c', ' ', '~', '%'};
    unsigned char worst[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char buf[SOCKHELP_ADDR_MAX];
    sockhelp_socket l, a;
    size_t i, worst_path, worst_abstract, needed;
    int c;

    watchdog(60);
    snprintf(g_dir, sizeof g_dir, "/tmp/sockhelp-esc-XXXXXX");
    CHECK(mkdtemp(g_dir) != NULL);
    atexit(cleanup_dir);
    snprintf(g_listen, sizeof g_listen, "%s/l", g_dir);
    /* the clients bind relative paths: the longest names fit in sun_path */
    SYS(chdir(g_dir));
    CHECK_RC(sockhelp_listen_unix(g_listen, 8, &l), SOCKHELP_OK);

    /* the audit's cases: a NUL inside an abstract name; '@x' abstract and path differ */
    check_name(l, nul_inside, sizeof nul_inside, "@a2\\x00evil");
    check_name(l, abstract_x, sizeof abstract_x, "@x");
    check_name(l, path_at_x, sizeof path_at_x, "\\x40x");
    check_name(l, path_odd, sizeof path_odd, "a\\x5cb\\x3ac ~%");

    /* the worst cases: every byte escaped. A path of 107 bytes (all of sun_path but its
     * NUL), none of them '/' or NUL, none valid UTF-8 on its own... */
    for (i = 0; i < sizeof worst - 1; i++)
        worst[i] = (unsigned char)(0x80 + i % 0x7f);
    worst[0] = 0xff;
    worst[1] = 0x01; /* a control byte too */
    worst_path = check_name(l, worst, sizeof worst - 1, NULL);
    CHECK_EQ_SZ(worst_path, 4 * (sizeof worst - 1) + 1);
    /* ...and an abstract name that fills sun_path: NUL, then 107 bytes, NULs among them */
    worst[0] = 0;
    for (i = 1; i < sizeof worst; i++)
        worst[i] = (unsigned char)(i % 3 == 0 ? 0 : 0x80 + i);
    worst_abstract = check_name(l, worst, sizeof worst, NULL);
    CHECK_EQ_SZ(worst_abstract, 1 + 4 * (sizeof worst - 1) + 1);
    /* the header's promise: SOCKHELP_ADDR_MAX holds the longest (a full 108-byte path) */
    CHECK(SOCKHELP_ADDR_MAX >= 4 * sizeof worst + 1);

    /* cap: a size no object can have is EINVAL in all three calls; accept_addr says so
     * before it accepts, so the connection is still there */
    c = bound_client(abstract_x, sizeof abstract_x);
    CHECK_RC(sockhelp_accept_addr(l, 1000, &a, buf, SIZE_MAX), SOCKHELP_EINVAL);
    CHECK(a == SOCKHELP_INVALID_SOCKET);
    CHECK_RC(sockhelp_accept_addr(l, 1000, &a, buf, (size_t)PTRDIFF_MAX + 1), SOCKHELP_EINVAL);
    CHECK(a == SOCKHELP_INVALID_SOCKET);
    CHECK_RC(sockhelp_local_addr(c, buf, SIZE_MAX, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_local_addr(c, buf, (size_t)PTRDIFF_MAX + 1, NULL), SOCKHELP_EINVAL);
    memset(buf, 0xAA, sizeof buf);
    CHECK_RC(sockhelp_accept_addr(l, 1000, &a, buf, sizeof buf), SOCKHELP_OK);
    check_text("accept_addr after the refusals", buf, "@x");
    CHECK_RC(sockhelp_peer_addr(a, buf, SIZE_MAX, NULL), SOCKHELP_EINVAL);
    CHECK_RC(sockhelp_peer_addr(a, buf, (size_t)PTRDIFF_MAX + 1, NULL), SOCKHELP_EINVAL);
    /* NULL with a cap is EINVAL everywhere; NULL with 0 is a size query */
    CHECK_RC(sockhelp_peer_addr(a, NULL, 1, NULL), SOCKHELP_EINVAL);
    needed = 0;
    CHECK_RC(sockhelp_peer_addr(a, NULL, 0, &needed), SOCKHELP_ENOSPACE);
    CHECK_EQ_SZ(needed, 3);
    CHECK_RC(sockhelp_close(a), SOCKHELP_OK);
    SYS(close(c));

    CHECK_RC(sockhelp_close(l), SOCKHELP_OK);
    printf("addresses_escaped: worst path %lu bytes, worst abstract %lu bytes, ADDR_MAX %lu\n",
           (unsigned long)worst_path, (unsigned long)worst_abstract,
           (unsigned long)SOCKHELP_ADDR_MAX);
    return 0;
}

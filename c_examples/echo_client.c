/*
 * echo_client: the Socket Programming HOWTO's client, made real with sockhelp.
 *
 *   usage: echo_client HOST PORT
 *
 * Connects (timeout 2 s), sends a few length-prefixed messages of different sizes (one of
 * 4 MiB), checks that each comes back byte for byte, says what happened, and exits 0 if
 * everything was echoed intact. See echo_server.c for the protocol.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockhelp.h"

#define IO_TIMEOUT_MS 10000

static unsigned char byte_at(size_t message, size_t i)
{
    return (unsigned char)((i * 31 + message * 7 + (i >> 10)) & 0xff);
}

static int fail(const char *what, int rc, size_t done, size_t want)
{
    fprintf(stderr, "echo_client: %s: %s (%lu of %lu bytes; os error %d)\n", what,
            sockhelp_strerror(rc), (unsigned long)done, (unsigned long)want,
            sockhelp_last_os_error());
    return 1;
}

/* Sends one message and checks its echo (out and in hold len bytes); 0 on success. */
static int check_echo(sockhelp_socket s, size_t index, size_t len, unsigned char *out,
                      unsigned char *in)
{
    unsigned char hdr[4], back[4];
    size_t i, n;
    int rc;

    for (i = 0; i < len; i++)
        out[i] = byte_at(index, i);
    hdr[0] = (unsigned char)(len >> 24);
    hdr[1] = (unsigned char)(len >> 16);
    hdr[2] = (unsigned char)(len >> 8);
    hdr[3] = (unsigned char)len;

    /* The server reads a whole message before echoing it, so sending all of it first
     * cannot deadlock. */
    if ((rc = sockhelp_sendall(s, hdr, 4, IO_TIMEOUT_MS, &n)) != SOCKHELP_OK)
        return fail("sending a header", rc, n, 4);
    if ((rc = sockhelp_sendall(s, out, len, IO_TIMEOUT_MS, &n)) != SOCKHELP_OK)
        return fail("sending a message", rc, n, len);
    if ((rc = sockhelp_recvall(s, back, 4, IO_TIMEOUT_MS, &n)) != SOCKHELP_OK)
        return fail("reading the echoed header", rc, n, 4);
    if (memcmp(hdr, back, 4) != 0) {
        fprintf(stderr, "echo_client: message %lu: the echoed length differs\n",
                (unsigned long)index);
        return 1;
    }
    if ((rc = sockhelp_recvall(s, in, len, IO_TIMEOUT_MS, &n)) != SOCKHELP_OK)
        return fail("reading the echoed message", rc, n, len);
    for (i = 0; i < len; i++) {
        if (in[i] != out[i]) {
            fprintf(stderr, "echo_client: message %lu: byte %lu differs\n",
                    (unsigned long)index, (unsigned long)i);
            return 1;
        }
    }
    printf("message %lu: %lu bytes echoed intact\n", (unsigned long)index, (unsigned long)len);
    return 0;
}

static int exchange(sockhelp_socket s, size_t index, size_t len)
{
    unsigned char *out = malloc(len > 0 ? len : 1);
    unsigned char *in = malloc(len > 0 ? len : 1);
    int result = 1;
    if (out == NULL || in == NULL)
        fprintf(stderr, "echo_client: out of memory\n");
    else
        result = check_echo(s, index, len, out, in);
    free(out);
    free(in);
    return result;
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = {5, 0, 1000, 65543, (size_t)4 << 20};
    const size_t count = sizeof sizes / sizeof sizes[0];
    unsigned long port;
    size_t i, total = 0;
    sockhelp_socket s;
    char *end;
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: echo_client HOST PORT\n");
        return 2;
    }
    port = strtoul(argv[2], &end, 10);
    if (*argv[2] == '\0' || *end != '\0' || port == 0 || port > 65535) {
        fprintf(stderr, "echo_client: bad port \"%s\"\n", argv[2]);
        return 2;
    }
    if (sockhelp_init() != SOCKHELP_OK) {
        fprintf(stderr, "echo_client: cannot start the socket layer\n");
        return 1;
    }
    rc = sockhelp_connect(argv[1], (uint16_t)port, 2000, &s);
    if (rc != SOCKHELP_OK)
        return fail("connect", rc, 0, 0);

    for (i = 0; i < count; i++) {
        if (exchange(s, i, sizes[i]) != 0) {
            sockhelp_close(s);
            return 1;
        }
        total += sizes[i];
    }

    /* "that was all": the server sees the end of stream at a message boundary */
    rc = sockhelp_close_graceful(s, 2000);
    if (rc != SOCKHELP_OK)
        return fail("closing", rc, 0, 0);
    printf("sent %lu messages, %lu bytes, all echoed intact\n", (unsigned long)count,
           (unsigned long)total);
    sockhelp_cleanup();
    return 0;
}

/*
 * happy_connect: connect by name the way the best clients do (Happy Eyeballs, RFC 8305),
 * and say which address won and after how long.
 *
 *   happy_connect HOST PORT [TIMEOUT_MS]     TIMEOUT_MS = 5000 by default
 *
 * It first prints what the name resolves to (sockhelp_resolve), then connects with
 * sockhelp_connect: the addresses interleaved by family, a new attempt every 250 ms while
 * earlier ones are still unanswered (or at once when one fails), the first to connect
 * wins, all under the one deadline. Exit 0 when connected.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sockhelp.h"
#include "portable.h"

int main(int argc, char **argv) {
    char addrs[4096], won[SOCKHELP_ADDR_MAX];
    size_t count = 0;
    long port = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
    int timeout_ms = argc > 3 ? atoi(argv[3]) : 5000, rc;
    sockhelp_socket s;
    double t0;

    if (argc < 3 || port <= 0 || port > 65535) {
        fprintf(stderr, "usage: happy_connect HOST PORT [TIMEOUT_MS]\n");
        return 2;
    }
    if (sockhelp_init() != SOCKHELP_OK)
        return 1;
    t0 = now_ms();
    rc = sockhelp_resolve(argv[1], (uint16_t)port, timeout_ms, addrs, sizeof addrs, NULL, &count);
    if (rc != SOCKHELP_OK) {
        /* ETRYAGAIN (the name server did not answer) is worth a retry; ENOTFOUND is not */
        fprintf(stderr, "happy_connect: %s: %s\n", argv[1], sockhelp_strerror(rc));
        return 1;
    }
    printf("%s resolves to %lu address(es) in %.0f ms:\n%s\n", argv[1], (unsigned long)count,
           now_ms() - t0, addrs);

    t0 = now_ms();
    rc = sockhelp_connect(argv[1], (uint16_t)port, timeout_ms, &s);
    if (rc != SOCKHELP_OK) {
        fprintf(stderr, "happy_connect: connect: %s after %.0f ms (os error %d)\n",
                sockhelp_strerror(rc), now_ms() - t0, sockhelp_last_os_error());
        return 1;
    }
    if (sockhelp_peer_addr(s, won, sizeof won, NULL) != SOCKHELP_OK)
        won[0] = '\0';
    printf("connected to %s after %.0f ms\n", won, now_ms() - t0);
    sockhelp_close(s);
    sockhelp_cleanup();
    return 0;
}

/*
 * A peer that aborts (SO_LINGER {1, 0} + close sends a RST): ERESET from recvall and from
 * a later sendall, at once, never a hang or a silent EOF (Windows: WSAECONNRESET 10054).
 */
#include "cwin.h"

int main(void)
{
    sockhelp_socket a, b;
    unsigned char small[10];
    static unsigned char data[100000];
    size_t n;
    long long t0;

    cw_start(60);
    cw_pair(&a, &b);
    CHECK_RC(sockhelp_sendall(b, "abc", 3, 1000, &n), SOCKHELP_OK);
    CHECK_RC(sockhelp_recvall(a, small, 3, 5000, &n), SOCKHELP_OK);
    cw_abort(b);
    t0 = now_ms();
    CHECK_RC(sockhelp_recvall(a, small, 10, 5000, &n), SOCKHELP_ERESET);
    CHECK_EQ_SZ(n, 0);
    CHECK(now_ms() - t0 < 4000);
    CHECK_RC(sockhelp_sendall(a, data, sizeof data, 5000, &n), SOCKHELP_ERESET);
    CHECK_RC(sockhelp_close(a), SOCKHELP_OK);
    sockhelp_cleanup();
    printf("cw_reset: OK\n");
    return 0;
}

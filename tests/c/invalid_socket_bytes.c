/*
 * HOWTO trap (C's own): an invalid socket must be reported as a bad argument.
 *
 * sendall / recvall on SOCKHELP_INVALID_SOCKET return SOCKHELP_EINVAL (as the header
 * documents: "invalid socket"), with the count 0, in both timeout modes.
 */
#include "testutil.h"

#define INV SOCKHELP_INVALID_SOCKET

int main(void)
{
    unsigned char buf[16];
    size_t n;

    watchdog(30);
    memset(buf, 0, sizeof buf);
    n = 12345;
    CHECK_RC(sockhelp_sendall(INV, buf, sizeof buf, -1, &n), SOCKHELP_EINVAL);
    CHECK_EQ_SZ(n, 0);
    CHECK_RC(sockhelp_sendall(INV, buf, sizeof buf, 100, &n), SOCKHELP_EINVAL);
    n = 12345;
    CHECK_RC(sockhelp_recvall(INV, buf, sizeof buf, -1, &n), SOCKHELP_EINVAL);
    CHECK_EQ_SZ(n, 0);
    CHECK_RC(sockhelp_recvall(INV, buf, sizeof buf, 100, &n), SOCKHELP_EINVAL);
    return 0;
}

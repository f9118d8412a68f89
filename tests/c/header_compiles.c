/*
 * The header on its own: compiled (not linked) as C99 and as C++11 with every warning an
 * error, by the test `header_compiles_as_c99_and_cpp`. Uses each macro and type so a
 * broken definition shows.
 */
#include "sockhelp.h"
#include "sockhelp.h" /* include guard */

int header_compiles_uses_everything(void);

int header_compiles_uses_everything(void)
{
    sockhelp_socket s = SOCKHELP_INVALID_SOCKET;
    int codes[] = {SOCKHELP_OK,          SOCKHELP_ECLOSED,      SOCKHELP_ERESET,
                   SOCKHELP_ETIMEDOUT,   SOCKHELP_EWOULDBLOCK,  SOCKHELP_EINVAL,
                   SOCKHELP_ETOOBIG,     SOCKHELP_ENOSPACE,     SOCKHELP_EBADFRAME,
                   SOCKHELP_ENOMEM,      SOCKHELP_EUNSUPPORTED, SOCKHELP_EOS,
                   SOCKHELP_EINTERNAL,   SOCKHELP_EREFUSED,     SOCKHELP_ENOTFOUND,
                   SOCKHELP_SHUT_RD,     SOCKHELP_SHUT_WR,      SOCKHELP_SHUT_RDWR,
                   SOCKHELP_VERSION_MAJOR, SOCKHELP_VERSION_MINOR, SOCKHELP_VERSION_PATCH};
    size_t sent = 0;
    uint16_t port = 0;
    bool on = false;
    int (*fns[])(sockhelp_socket, bool) = {sockhelp_set_nonblocking, sockhelp_set_nodelay};
    const char *(*strerr)(int) = sockhelp_strerror;
    (void)fns;
    (void)strerr;
    (void)sent;
    (void)port;
    (void)on;
    return codes[0] + (int)(s == SOCKHELP_INVALID_SOCKET);
}

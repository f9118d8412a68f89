/*
 * A stand-in bcryptprimitives.dll for Wine 8 (Debian 12), which lacks it: Rust >= 1.78's
 * std imports ProcessPrng from it, so binaries of the rustup toolchain (the one the TLS
 * feature needs: rustls asks Rust 1.71) do not start under that Wine. Windows 10 and
 * later ship the real DLL; this file is used only by scripts/windows-test.sh, copied next
 * to the test binary (Wine loads a DLL from the program's directory first). ProcessPrng
 * is given by BCryptGenRandom with the system's preferred generator, as Windows does.
 */
#include <windows.h>
#include <bcrypt.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}

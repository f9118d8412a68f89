"""sockhelp through Python's cffi: ffi.cdef() of the committed declarations, ffi.dlopen()
of the shared library, then real calls. Run by tests/interop.rs:

    python3 tests/interop/cffi_calls.py CDEF_FILE SHARED_LIBRARY EXPECTED_VERSION

Prints "cffi: ok ..." and exits 0, or raises (exit 1) naming what differed. Every socket
call has a deadline, so nothing here can hang.
"""

import socket
import threading
import sys

from cffi import FFI


def main():
    cdef_path, lib_path, expected_version = sys.argv[1:4]
    ffi = FFI()
    with open(cdef_path) as f:
        ffi.cdef(f.read())
    lib = ffi.dlopen(lib_path)

    # 1. sockhelp_version(): a static string.
    version = ffi.string(lib.sockhelp_version()).decode()
    assert version == expected_version, (version, expected_version)
    assert lib.SOCKHELP_VERSION_MINOR == int(expected_version.split(".")[1])

    # 2. sockhelp_strerror(): never NULL, distinct texts.
    timed_out = ffi.string(lib.sockhelp_strerror(lib.SOCKHELP_ETIMEDOUT)).decode()
    closed = ffi.string(lib.sockhelp_strerror(lib.SOCKHELP_ECLOSED)).decode()
    assert timed_out and closed and timed_out != closed, (timed_out, closed)

    assert lib.sockhelp_init() == lib.SOCKHELP_OK
    a, b = socket.socketpair()
    try:
        # 3. sockhelp_sendall / sockhelp_recvall over a socketpair: 1 MiB, more than the
        #    socket buffers hold, so both sides loop over short transfers.
        size = 1 << 20
        payload = bytes((i * 7) & 0xFF for i in range(size))
        sent = ffi.new("size_t *")
        got = ffi.new("size_t *")
        out = ffi.new("char[]", size)

        result = {}

        def send():
            result["send"] = lib.sockhelp_sendall(a.fileno(), payload, size, 5000, sent)

        t = threading.Thread(target=send)
        t.start()
        rc = lib.sockhelp_recvall(b.fileno(), out, size, 5000, got)
        t.join(10)
        assert not t.is_alive(), "sendall did not return"
        assert result["send"] == lib.SOCKHELP_OK, result["send"]
        assert rc == lib.SOCKHELP_OK, ffi.string(lib.sockhelp_strerror(rc))
        assert sent[0] == size and got[0] == size, (sent[0], got[0])
        assert ffi.buffer(out, size)[:] == payload, "recvall returned other bytes"

        # A frame through a reader, and the peer's close as SOCKHELP_ECLOSED with the count.
        f = lib.sockhelp_framing_length_prefixed(4, False, 1024)
        assert f != ffi.NULL
        r = lib.sockhelp_reader_new(f)
        assert r != ffi.NULL
        rc = lib.sockhelp_send_frame(a.fileno(), f, b"hello", 5, 2000, sent)
        assert rc == lib.SOCKHELP_OK and sent[0] == 9, (rc, sent[0])
        buf = ffi.new("char[]", 64)
        length = ffi.new("size_t *")
        rc = lib.sockhelp_recv_frame(r, b.fileno(), buf, 64, length, 2000)
        assert rc == lib.SOCKHELP_OK and ffi.buffer(buf, length[0])[:] == b"hello", rc
        lib.sockhelp_reader_free(r)
        lib.sockhelp_framing_free(f)

        a.sendall(b"abc")
        a.close()
        rc = lib.sockhelp_recvall(b.fileno(), out, 10, 2000, got)
        assert rc == lib.SOCKHELP_ECLOSED and got[0] == 3, (rc, got[0])
    finally:
        a.close()
        b.close()
    lib.sockhelp_cleanup()
    print("cffi: ok, sockhelp %s, sendall/recvall of %d bytes over a socketpair" % (version, size))


if __name__ == "__main__":
    main()

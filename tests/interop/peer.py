#!/usr/bin/env python3
"""An independent framing peer for sockhelp's interop test, written with
nothing but Python's standard library (struct, socket).

usage: peer.py PORT FORMAT
Connects to 127.0.0.1:PORT, sends the agreed frames in FORMAT, then reads the
same frames back (sent by sockhelp) and checks them byte for byte.
Exits 0 on success, 1 with a message on stderr otherwise.
"""
import socket
import struct
import sys

LENGTHS = [0, 1, 5, 64, 300, 4096, 70000, 3, 0, 65535]


def payloads(fmt):
    """The frames both sides agree on (mirrored in tests/interop.rs)."""
    out = []
    for i, n in enumerate(LENGTHS):
        if fmt.startswith("fixed"):
            n = 16
        elif fmt == "lp1":
            n = min(n, 255)
        elif fmt.startswith("lp2"):
            n = min(n, 65535)
        body = bytes(((i * 7 + j) % 26) + 97 for j in range(n))  # letters: never a delimiter
        if fmt == "typed":
            kind = "PTMVA"[i % 5]
            if kind == "P":
                body = b""
            elif kind == "T":
                body = body[:8].ljust(8, b"z")
            body = kind.encode() + body
        out.append(body)
    return out


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def length_header(kind, n):
    if kind == "u16be":
        return struct.pack(">H", n)
    if kind == "varint":
        return varint(n)
    if kind == "ascii5":
        return b"%05d" % n
    raise ValueError(kind)


TYPED = {"P": ("fixed", 0), "T": ("fixed", 8), "M": ("u16be",), "V": ("varint",), "A": ("ascii5",)}
PACK = {"lp1": ">B", "lp2be": ">H", "lp2le": "<H", "lp4be": ">I", "lp4le": "<I", "lp8be": ">Q", "lp8le": "<Q"}


def encode(fmt, p):
    if fmt.startswith("fixed"):
        return p
    if fmt == "nl":
        return p + b"\n"
    if fmt == "crlf":
        return p + b"\r\n"
    if fmt == "nul":
        return p + b"\0"
    if fmt in PACK:
        return struct.pack(PACK[fmt], len(p)) + p
    if fmt == "varint":
        return varint(len(p)) + p
    if fmt == "ascii5":
        return b"%05d" % len(p) + p
    if fmt == "typed":
        t, body = p[:1].decode(), p[1:]
        spec = TYPED[t]
        if spec[0] == "fixed":
            assert len(body) == spec[1]
            return p
        return p[:1] + length_header(spec[0], len(body)) + body
    raise ValueError(fmt)


class Stream:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("peer closed mid-frame")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def until(self, delim):
        while delim not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("peer closed before the delimiter")
            self.buf += chunk
        i = self.buf.index(delim)
        out, self.buf = self.buf[:i], self.buf[i + len(delim):]
        return out

    def varint(self):
        n, shift = 0, 0
        while True:
            b = self.exact(1)[0]
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n

    def length(self, kind):
        if kind == "u16be":
            return struct.unpack(">H", self.exact(2))[0]
        if kind == "varint":
            return self.varint()
        if kind == "ascii5":
            return int(self.exact(5))
        raise ValueError(kind)


def decode(fmt, s):
    if fmt.startswith("fixed"):
        return s.exact(16)
    if fmt in ("nl", "crlf", "nul"):
        return s.until({"nl": b"\n", "crlf": b"\r\n", "nul": b"\0"}[fmt])
    if fmt in PACK:
        size = struct.calcsize(PACK[fmt])
        return s.exact(struct.unpack(PACK[fmt], s.exact(size))[0])
    if fmt == "varint":
        return s.exact(s.varint())
    if fmt == "ascii5":
        return s.exact(int(s.exact(5)))
    if fmt == "typed":
        t = s.exact(1)
        spec = TYPED[t.decode()]
        if spec[0] == "fixed":
            return t + s.exact(spec[1])
        return t + s.exact(s.length(spec[0]))
    raise ValueError(fmt)


def main():
    port, fmt = int(sys.argv[1]), sys.argv[2]
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    expected = payloads(fmt)
    # Send everything in one buffer cut into awkward pieces, so frames and
    # even headers straddle sockhelp's receives.
    wire = b"".join(encode(fmt, p) for p in expected)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pos = 0
    while pos < min(200, len(wire)):
        sock.sendall(wire[pos:pos + 7])
        pos += 7
    while pos < len(wire):
        sock.sendall(wire[pos:pos + 8191])
        pos += 8191
    s = Stream(sock)
    for i, p in enumerate(expected):
        got = decode(fmt, s)
        if got != p:
            sys.stderr.write("%s: frame %d differs: got %d bytes %r..., want %d bytes %r...\n"
                             % (fmt, i, len(got), got[:20], len(p), p[:20]))
            return 1
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

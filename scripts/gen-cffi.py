#!/usr/bin/env python3
"""Writes the cffi declarations of sockhelp from include/sockhelp.h.

    scripts/gen-cffi.py [--header include/sockhelp.h] [--out include/sockhelp_cffi.h]
                        [--windows] [--check]

cffi's `ffi.cdef()` takes C declarations but no preprocessor beyond `#define NAME
<integer>`, so the header itself cannot be fed to it. This keeps every declaration of the
header (constants, types, functions) in the same order, and drops what cdef cannot read:
comments, #include, the include guard, the extern "C" block; of the `#if defined(_WIN32)`
branches it keeps the POSIX one (`--windows`: the Windows one, where sockhelp_socket is
a SOCKET and SOCKHELP_INVALID_SOCKET its all-ones value on 64-bit Windows).

scripts/gen-header.sh runs it after cbindgen, and the result is committed beside the
header; `--check` exits 1 when the committed file differs from what the header gives
(tests/interop.rs checks the same). Use from Python:

    from cffi import FFI
    ffi = FFI()
    ffi.cdef(open("sockhelp_cffi.h").read())     # installed in PREFIX/share/sockhelp
    lib = ffi.dlopen("libsockhelp.so.0.1")
    print(ffi.string(lib.sockhelp_version()).decode())
"""

import argparse
import os
import re
import sys

PROLOGUE = (
    "/* sockhelp's declarations for Python's cffi (ffi.cdef), made by scripts/gen-cffi.py\n"
    " * from include/sockhelp.h (%s). Do not edit; the header is the reference manual. */\n"
)


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def cdef_of(header_text, windows):
    text = strip_comments(header_text)
    out = []
    stack = []  # per #if: (keep this branch?, parent kept?)

    def keeping():
        return all(k for k, _ in stack)

    for line in text.split("\n"):
        t = line.strip()
        if t.startswith("#"):
            d = t[1:].strip()
            if d.startswith("if defined(_WIN32)"):
                stack.append((windows, True))
            elif d.startswith("if !defined(_WIN32)"):
                stack.append((not windows, True))
            elif d.startswith("ifdef __cplusplus"):
                stack.append((False, True))
            elif d.startswith("ifndef SOCKHELP_H"):
                stack.append((True, True))
            elif d.startswith("if"):
                raise SystemExit("gen-cffi: cannot decide %r: teach scripts/gen-cffi.py" % t)
            elif d.startswith("else"):
                k, p = stack.pop()
                stack.append((not k, p))
            elif d.startswith("endif"):
                stack.pop()
            elif d.startswith("define ") and keeping():
                parts = d.split(None, 2)
                if len(parts) < 3 or parts[1] == "SOCKHELP_H":
                    continue
                value = parts[2].strip()
                m = re.match(r"^\(?(-?[0-9]+)\)?$", value)
                if m:
                    out.append("#define %s %s" % (parts[1], m.group(1)))
                elif parts[1] == "SOCKHELP_INVALID_SOCKET" and windows:
                    out.append("#define %s %d" % (parts[1], 2 ** 64 - 1))
                elif value in ("UINT64_MAX", "SIZE_MAX"):
                    # cffi's cdef takes integer constants only (SIZE_MAX: a 64-bit build).
                    out.append("#define %s %d" % (parts[1], 2 ** 64 - 1))
                else:
                    raise SystemExit("gen-cffi: %s is not an integer: %r" % (parts[1], value))
            continue
        if not keeping():
            continue
        if not t:
            if out and out[-1] != "":
                out.append("")
            continue
        out.append(line.rstrip())
    while out and out[-1] == "":
        out.pop()
    # No blank line between two #defines.
    out = [l for i, l in enumerate(out)
           if not (l == "" and 0 < i < len(out) - 1
                   and out[i - 1].startswith("#define") and out[i + 1].startswith("#define"))]
    return "\n".join(out) + "\n"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--header", default=os.path.join(root, "include", "sockhelp.h"))
    ap.add_argument("--out", default=os.path.join(root, "include", "sockhelp_cffi.h"))
    ap.add_argument("--windows", action="store_true")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    with open(args.header, encoding="utf-8") as f:
        text = f.read()
    cdef = PROLOGUE % ("Windows" if args.windows else "POSIX") + cdef_of(text, args.windows)
    if args.check:
        try:
            with open(args.out, encoding="utf-8") as f:
                current = f.read()
        except OSError:
            current = None
        if current != cdef:
            sys.stderr.write("%s is stale: run scripts/gen-header.sh (or scripts/gen-cffi.py)\n"
                             % args.out)
            return 1
        return 0
    with open(args.out + ".tmp", "w", encoding="utf-8") as f:
        f.write(cdef)
    os.replace(args.out + ".tmp", args.out)
    print("wrote %s" % os.path.relpath(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

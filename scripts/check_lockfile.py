#!/usr/bin/env python3
"""Checks that Cargo.lock stays buildable by Rust 1.63 (Debian 12's rustc).

- the lockfile format is version 3 (cargo 1.63 cannot read version 4);
- every package the library and its tests build with (normal and dev
  dependencies, every target platform; not the optional `header` feature,
  which needs a newer compiler anyway) declares a rust-version of 1.63 or
  older, or none.
Exits non-zero, naming the offenders, otherwise.
"""
import json
import os
import re
import subprocess
import sys

MSRV = (1, 63)


def version_tuple(text):
    parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "Cargo.lock")) as f:
        lock = f.read()
    m = re.search(r"^version = (\d+)$", lock, re.M)
    if not m or m.group(1) != "3":
        print("Cargo.lock: lockfile version must be 3 for cargo 1.63, found %s"
              % (m.group(1) if m else "none"))
        return 1
    cargo = os.environ.get("CARGO", "cargo")
    meta = json.loads(subprocess.check_output(
        [cargo, "metadata", "--format-version", "1", "--locked"], cwd=root))
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root_id = meta["resolve"]["root"]
    seen, stack, bad = set(), [root_id], []
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        pkg = packages[pid]
        rv = pkg.get("rust_version")
        if rv and version_tuple(rv) > MSRV + (0,):
            bad.append("%s %s needs Rust %s" % (pkg["name"], pkg["version"], rv))
        for dep in nodes[pid]["deps"]:
            kinds = [k["kind"] for k in dep["dep_kinds"]]
            # The root's build dependencies (cbindgen) serve only the header feature.
            if pid == root_id and all(k == "build" for k in kinds):
                continue
            stack.append(dep["pkg"])
    if bad:
        print("Cargo.lock has dependencies newer than Rust 1.63 allows:")
        for b in sorted(bad):
            print("  " + b)
        return 1
    print("Cargo.lock: version 3, %d packages, all build with Rust 1.63" % len(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())

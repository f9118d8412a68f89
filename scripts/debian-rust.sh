# Sourced by msrv-check.sh and cross-check.sh: Debian 12's Rust 1.63 toolchain, and a copy
# of the source tree whose dependencies are vendored so Debian's cargo (0.66, which cannot
# reach today's registry) builds it offline.

# debian_install PATH PACKAGE [PATH PACKAGE ...]: apt-get installs each PACKAGE whose PATH
# (a file, a directory or a command name) is missing.
debian_install() {
    local need=()
    while [ "$#" -ge 2 ]; do
        if [ ! -e "$1" ] && ! command -v "$1" >/dev/null 2>&1; then need+=("$2"); fi
        shift 2
    done
    if [ "${#need[@]}" -gt 0 ]; then
        echo "installing: ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    fi
}

# vendored_copy DIR VENDOR LOCK [CARGO VENDOR ARGS...]: copies the tracked files into DIR
# (emptied first) with LOCK as its Cargo.lock, drops the optional `header` feature (cbindgen)
# and `tls` feature (rustls), which need a newer compiler,
# and the bench member (tokio; never built by these checks), vendors the dependencies
# with today's cargo into VENDOR (extra arguments go to `cargo vendor`, e.g. --sync), and
# points DIR's cargo configuration at VENDOR. Run from the repository's root.
vendored_copy() {
    local dir=$1 vendor=$2 lock=$3
    shift 3
    rm -rf "$dir" "$vendor"
    mkdir -p "$dir"
    git ls-files -z | xargs -0 -I{} cp --parents {} "$dir/"
    cp "$lock" "$dir/Cargo.lock"
    (
        cd "$dir"
        sed -i '/^header = \["cbindgen"\]/d; /^cbindgen = /d' Cargo.toml
        sed -i '/^tls = \[/d; /^rustls[a-z-]* = /d' Cargo.toml
        if grep -q '^rustls\|dep:rustls' Cargo.toml; then
            echo "vendored_copy: tls lines left in Cargo.toml" >&2
            exit 1
        fi
        sed -i 's/^members = \[".", "bench"\]/members = ["."]/' Cargo.toml
        cargo vendor --quiet --versioned-dirs "$@" "$vendor" >/dev/null
        # Crates of the dropped feature may use editions 1.63's cargo cannot parse.
        for d in "$vendor"/*/; do
            if grep -q '^edition = "2024"' "$d/Cargo.toml"; then rm -rf "$d"; fi
        done
        mkdir -p .cargo
        cat >.cargo/config.toml <<CFG
[source.crates-io]
replace-with = "vendored-sources"
[source.vendored-sources]
directory = "$vendor"
CFG
    )
}

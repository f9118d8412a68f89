//! Header generation. A plain `cargo build` does nothing here (it must work
//! with Rust 1.63, which cbindgen does not support). With `--features header`,
//! cbindgen writes the header to `$SOCKHELP_HEADER_OUT` if set, else to
//! `include/sockhelp.h`; `scripts/gen-header.sh` and the header test use this.
//!
//! On Linux and the BSDs (ELF) the shared library gets its SONAME here (see [`set_soname`]).

fn main() {
    set_soname();
    #[cfg(feature = "header")]
    generate_header();
}

/// Gives `libsockhelp.so` the SONAME `libsockhelp.so.<ABI>`, where ABI is `0.MINOR`
/// before 1.0 (Cargo's rule: 0.1 -> 0.2 may break) and `MAJOR` from 1.0 on. The root
/// Makefile and CMakeLists.txt compute the same name for the files they install.
///
/// Build scripts run on the host, so the target OS comes from cargo, not `#[cfg]`.
/// ELF systems (Linux, Android, the BSDs) get the SONAME; Windows and macOS have none
/// (macOS gets its install name from `scripts/install.sh`).
fn set_soname() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let elf = [
        "linux",
        "android",
        "freebsd",
        "netbsd",
        "openbsd",
        "dragonfly",
    ];
    if !elf.contains(&os.as_str()) {
        return;
    }
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let abi = if major == "0" {
        format!("0.{}", minor)
    } else {
        major
    };
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,-soname,libsockhelp.so.{}",
        abi
    );
}

// The constant tables, compiled into the build script too (they use nothing but `std`), so
// the header's `SOCKHELP_E*` and poller-bit macros come from the same rows as the Rust side.
#[cfg(feature = "header")]
#[allow(dead_code)]
#[path = "src/error.rs"]
mod error;
#[cfg(feature = "header")]
#[allow(dead_code)]
#[path = "src/event_bits.rs"]
mod event_bits;

/// The header's block of table-made constants, in cbindgen's doc style; a negative value is
/// parenthesized (`#define SOCKHELP_ECLOSED (-1)`) so `x-SOCKHELP_ECLOSED` stays `x-(-1)`.
#[cfg(feature = "header")]
fn constant_block() -> String {
    let mut rows = vec![error::C_OK];
    rows.extend_from_slice(error::C_ERRORS);
    rows.extend_from_slice(event_bits::C_EVENT_BITS);
    let mut out = String::from("\n");
    for row in rows {
        out.push_str("\n/**\n");
        for line in row.doc {
            out.push_str(&format!(" *{}\n", line.trim_end()));
        }
        out.push_str(" */\n");
        if row.value < 0 {
            out.push_str(&format!("#define {} ({})\n", row.name, row.value));
        } else {
            out.push_str(&format!("#define {} {}\n", row.name, row.value));
        }
    }
    out
}

#[cfg(feature = "header")]
fn generate_header() {
    use std::path::PathBuf;

    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-env-changed=SOCKHELP_HEADER_OUT");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let out = match std::env::var_os("SOCKHELP_HEADER_OUT") {
        Some(p) => PathBuf::from(p),
        None => crate_dir.join("include").join("sockhelp.h"),
    };
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    let mut after = config.after_includes.take().unwrap_or_default();
    after.push_str(&constant_block());
    config.after_includes = Some(after);
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write_to_file(out);
}

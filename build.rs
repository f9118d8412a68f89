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

/// One table-made constant as a header item, in cbindgen's doc style; a negative value is
/// parenthesized (`#define SOCKHELP_ECLOSED (-1)`) so `x-SOCKHELP_ECLOSED` stays `x-(-1)`.
#[cfg(feature = "header")]
fn constant_item(row: &error::CConst) -> String {
    let mut out = String::from("/**\n");
    for line in row.doc {
        out.push_str(&format!(" *{}\n", line.trim_end()));
    }
    out.push_str(" */\n");
    if row.value < 0 {
        out.push_str(&format!("#define {} ({})", row.name, row.value));
    } else {
        out.push_str(&format!("#define {} {}", row.name, row.value));
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
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    let after_includes = config.after_includes.clone().unwrap_or_default();
    let trailer = config.trailer.clone().unwrap_or_default();
    let mut raw = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut raw);
    let raw = String::from_utf8(raw).expect("cbindgen writes UTF-8");
    let body_start = raw
        .find(&after_includes)
        .expect("after_includes is in the header")
        + after_includes.len()
        + 1;
    let body_end = raw.rfind(&trailer).expect("the trailer is in the header");
    let mut tables = vec![
        ("basics", vec![error::C_OK]),
        ("poller", event_bits::C_EVENT_BITS.to_vec()),
    ];
    tables[0].1.extend_from_slice(error::C_ERRORS);
    let body = header::grouped(
        &raw[body_start..body_end],
        &crate_dir.join("src/ffi"),
        &tables,
    );
    let text = format!("{}{}{}", &raw[..body_start], body, &raw[body_end..]);
    if std::fs::read_to_string(&out).ok().as_deref() != Some(text.as_str()) {
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).expect("the header's directory can be made");
        }
        std::fs::write(&out, text).expect("the header can be written");
    }
}

/// The header grouped by object (libuv's uv.h manner): cbindgen writes every constant, then
/// every type, then every function, each kind in the order of the sources; this regroups
/// them by the file of `src/ffi/` that defines them. The groups, in order, are the list
/// under "The header's groups" in `src/ffi/mod.rs`'s docs (`- `file`: heading`); an entry's
/// text becomes its group's heading comment. Within a group: the table-made constants given for it, then
/// cbindgen's items in cbindgen's order (constants, types, functions).
#[cfg(feature = "header")]
mod header {
    use std::path::{Path, PathBuf};

    use super::{constant_item, error::CConst};

    struct Group {
        heading: Vec<String>,
        names: Vec<String>,
        items: Vec<String>,
    }

    pub(super) fn grouped(body: &str, ffi: &Path, tables: &[(&str, Vec<CConst>)]) -> String {
        let mod_rs = std::fs::read_to_string(ffi.join("mod.rs")).expect("src/ffi/mod.rs");
        let list = mod_rs
            .split_once("//! **The header's groups.**")
            .expect("src/ffi/mod.rs lists the header's groups")
            .1;
        let mut groups: Vec<(String, Group)> = Vec::new();
        for line in list.lines().skip_while(|l| !l.starts_with("//! - ")) {
            if let Some(entry) = line.strip_prefix("//! - `") {
                let (name, heading) = entry.split_once("`: ").expect("- `file`: heading");
                let mut names = Vec::new();
                for file in files_of(ffi, name) {
                    names.extend(defined_names(&file));
                }
                let mut items = Vec::new();
                for (group, rows) in tables {
                    if *group == name {
                        items.extend(rows.iter().map(constant_item));
                    }
                }
                let heading = vec![heading.to_string()];
                groups.push((
                    name.to_string(),
                    Group {
                        heading,
                        names,
                        items,
                    },
                ));
            } else if let (Some(more), Some((_, group))) =
                (line.strip_prefix("//!   "), groups.last_mut())
            {
                group.heading.push(more.to_string());
            } else {
                break;
            }
        }
        for (group, _) in tables {
            assert!(
                groups.iter().any(|(name, _)| name == group),
                "build.rs: the table constants' group {} is not in src/ffi/mod.rs's header groups",
                group
            );
        }
        for item in body.split("\n\n").map(|i| i.trim_matches('\n')) {
            if item.is_empty() {
                continue;
            }
            let name = item_name(item);
            let group = groups
                .iter_mut()
                .find(|(_, g)| g.names.contains(&name))
                .unwrap_or_else(|| {
                    panic!(
                        "build.rs: the header item {} comes from no file of src/ffi/mod.rs's \
                         header groups (add its file to that list)",
                        name
                    )
                });
            group.1.items.push(item.to_string());
        }
        let mut out = String::new();
        let mut declared: Vec<String> = Vec::new();
        for (_, group) in groups.iter().filter(|(_, g)| !g.items.is_empty()) {
            let rule = "-".repeat(89);
            out.push_str(&format!("\n/* {}\n", rule));
            for line in &group.heading {
                out.push_str(&format!(" * {}\n", line).replace(" * \n", " *\n"));
            }
            out.push_str(&format!(" * {} */\n", rule));
            for item in &group.items {
                check_declared(item, &declared);
                declared.push(item_name(item));
                out.push('\n');
                out.push_str(item);
                out.push('\n');
            }
        }
        out.push('\n');
        out
    }

    /// The Rust files of module `name` of `src/ffi/`: `name.rs`, or every file under `name/`.
    fn files_of(ffi: &Path, name: &str) -> Vec<PathBuf> {
        let file = ffi.join(format!("{}.rs", name));
        if file.is_file() {
            return vec![file];
        }
        let mut files = Vec::new();
        let mut dirs = vec![ffi.join(name)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("a module file or directory") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().map_or(false, |e| e == "rs") {
                    files.push(path);
                }
            }
        }
        files
    }

    /// The names of the C items a file defines: its top-level `pub` structs, enums, unions,
    /// types, constants, statics and `extern "C"` functions.
    fn defined_names(file: &Path) -> Vec<String> {
        let text = std::fs::read_to_string(file).expect("a source file");
        let kinds = [
            "pub struct ",
            "pub enum ",
            "pub union ",
            "pub type ",
            "pub const ",
            "pub static ",
            "pub extern \"C\" fn ",
        ];
        let mut names = Vec::new();
        for line in text.lines() {
            for kind in kinds {
                if let Some(rest) = line.strip_prefix(kind) {
                    names.push(
                        rest.chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect(),
                    );
                }
            }
        }
        names
    }

    /// An item's declaration: its text after its doc comment.
    fn declaration(item: &str) -> &str {
        if !item.starts_with("/**") {
            return item;
        }
        let end = item.find("\n */\n").expect("a doc comment ends");
        &item[end + "\n */\n".len()..]
    }

    /// The name an item declares: a macro, a type, or a function.
    fn item_name(item: &str) -> String {
        let decl = declaration(item);
        let words: Vec<&str> = decl.split_whitespace().collect();
        let name = match words.as_slice() {
            ["#define", name, ..] => name,
            ["typedef", "struct" | "enum" | "union", name, ..] => name,
            _ => {
                let head = decl.split('(').next().unwrap_or("");
                head.split_whitespace()
                    .last()
                    .unwrap_or("")
                    .trim_start_matches('*')
            }
        };
        assert!(
            !name.is_empty(),
            "build.rs cannot name this header item:\n{}",
            item
        );
        name.to_string()
    }

    /// Panics when `item` uses a `struct` the header has not declared yet (in a parameter
    /// list, C would declare a new, different struct there).
    fn check_declared(item: &str, declared: &[String]) {
        let own = item_name(item);
        let mut rest = declaration(item);
        while let Some(at) = rest.find("struct ") {
            rest = &rest[at + "struct ".len()..];
            let used: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            assert!(
                used == own || declared.contains(&used),
                "build.rs: {} uses struct {} before the header declares it: put the file that \
                 defines {} above the one of {} in src/ffi/mod.rs's header groups",
                own,
                used,
                used,
                own
            );
        }
    }
}

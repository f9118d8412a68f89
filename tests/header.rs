//! The committed header is the reference manual: it must be exactly what
//! cbindgen makes of the sources now, and it must document every function.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_header_matches_the_sources() {
    let out_dir = root().join("target").join("header-check");
    std::fs::create_dir_all(&out_dir).unwrap();
    // A new path each run changes the build script's input, so it runs again.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let fresh = out_dir.join(format!("sockhelp-{}-{}.h", std::process::id(), stamp));
    let status = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["build", "--quiet", "--features", "header", "--target-dir"])
        .arg(root().join("target").join("header"))
        .env("SOCKHELP_HEADER_OUT", &fresh)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "header generation failed");
    let generated = std::fs::read_to_string(&fresh).expect("cbindgen wrote the header");
    let _ = std::fs::remove_file(&fresh);
    let committed = std::fs::read_to_string(root().join("include/sockhelp.h")).unwrap();
    assert!(
        generated == committed,
        "include/sockhelp.h is stale: run scripts/gen-header.sh and commit it"
    );
}

/// Every `#[no_mangle] pub extern "C" fn` in src/ffi is declared in the header
/// right after a doc comment that names its error codes.
#[test]
fn every_exported_function_is_declared_and_documented() {
    let header = std::fs::read_to_string(root().join("include/sockhelp.h")).unwrap();
    let mut names = Vec::new();
    collect_exports(&root().join("src/ffi"), &mut names);
    assert!(names.len() >= 18, "found only {:?}", names);
    let lines: Vec<&str> = header.lines().collect();
    for name in &names {
        let decl = format!("{}(", name);
        let at = lines
            .iter()
            .position(|l| {
                let t = l.trim_start();
                !t.starts_with('*') && !t.starts_with("/*") && t.contains(&decl)
            })
            .unwrap_or_else(|| panic!("{} is not declared in the header", name));
        assert!(
            at > 0 && lines[at - 1].trim() == "*/",
            "{}: no doc comment right above its declaration",
            name
        );
        let start = (0..at)
            .rev()
            .find(|&i| lines[i].trim_start().starts_with("/**"))
            .unwrap();
        let doc = lines[start..at].join("\n");
        if lines[at].trim_start().starts_with("int ") {
            assert!(
                doc.contains("SOCKHELP_"),
                "{}: its doc comment must list the codes it returns",
                name
            );
        }
    }
}

fn collect_exports(dir: &Path, names: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_exports(&path, names);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("pub extern \"C\" fn ") {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                assert!(name.starts_with("sockhelp_"), "{} lacks the prefix", name);
                names.push(name);
            }
        }
    }
}

/// Every name the header defines (macros, types, functions) carries the
/// sockhelp prefix, so including it can never clash with a user's names.
#[test]
fn every_name_in_the_header_is_prefixed() {
    let header = std::fs::read_to_string(root().join("include/sockhelp.h")).unwrap();
    for line in header.lines() {
        let t = line.trim();
        let name = if let Some(rest) = t.strip_prefix("#define ") {
            rest.split_whitespace().next()
        } else if let Some(rest) = t.strip_prefix("typedef ") {
            rest.trim_end_matches(';')
                .split_whitespace()
                .rfind(|w| *w != "{")
        } else if let (Some(rest), true) = (t.strip_prefix("} "), t.ends_with(';')) {
            Some(rest.trim_end_matches(';'))
        } else {
            None
        };
        if let Some(name) = name {
            let name = name.trim_start_matches('*');
            assert!(
                name.starts_with("sockhelp_")
                    || name.starts_with("SOCKHELP_")
                    || name == "SOCKHELP_H",
                "the header defines an unprefixed name: {}",
                line
            );
        }
    }
}

/// A negative macro must be parenthesized: with `#define SOCKHELP_ECLOSED -1`,
/// `x-SOCKHELP_ECLOSED` would expand to `x--1`, a decrement.
#[test]
fn every_negative_macro_is_parenthesized() {
    let header = std::fs::read_to_string(root().join("include/sockhelp.h")).unwrap();
    let mut negatives = 0;
    for line in header.lines() {
        let t = line.trim();
        let rest = match t.strip_prefix("#define ") {
            Some(r) => r,
            None => continue,
        };
        let value = rest
            .split_once(char::is_whitespace)
            .map_or("", |(_, v)| v.trim());
        assert!(
            !value.starts_with('-') && !value.starts_with('~'),
            "an unparenthesized negative macro: {}",
            line
        );
        if value.starts_with("(-") {
            negatives += 1;
        }
    }
    // The 14 error codes and SOCKHELP_INVALID_SOCKET on POSIX.
    assert!(negatives >= 15, "found only {} negative macros", negatives);
}

//! The lockfile stays buildable by Rust 1.63 (Debian 12's rustc, the Windows build's compiler).

use std::process::Command;

#[test]
fn lockfile_resolves_to_rust_1_63_compatible_versions() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{}/scripts/check_lockfile.py", root))
        .env("CARGO", env!("CARGO"))
        .output()
        .expect("python3 runs (install python3 to run this test)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

//! Header generation. A plain `cargo build` does nothing here (it must work
//! with Rust 1.63, which cbindgen does not support). With `--features header`,
//! cbindgen writes the header to `$SOCKHELP_HEADER_OUT` if set, else to
//! `include/sockhelp.h`; `scripts/gen-header.sh` and the header test use this.

fn main() {
    #[cfg(feature = "header")]
    generate_header();
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
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write_to_file(out);
}

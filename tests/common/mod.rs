//! The helpers every test file shares (`mod common;`):
//!
//! - [`sock`]: loopback TCP pairs, test patterns, elapsed-time checks, portable (Linux and
//!   Windows); [`cabi`]: the C ABI declared for Rust (the very functions C links against).
//! - [`require_tool`]: the one probe for a tool a test needs (a missing tool fails the
//!   test, saying what to install; it never passes silently).
//! - Driving sockhelp from C, below: `cargo test` does not produce `libsockhelp.a`, so
//!   [`staticlib`] builds it once per test process (`cargo build --release --lib` into `target/ctest`). [`build_c`] compiles
//!   and links C programs against it into `target/ctest/bin/`, and [`run`] runs them with a
//!   time limit, so a hung C program fails its test instead of hanging `cargo test`.
//!
//! Kept free of anything newer than Rust 1.63 (no let-else, no `OnceLock`).

#![allow(dead_code)] // every test binary uses a different subset

pub mod cabi;
pub mod sock;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Mutex, Once};
use std::thread;
use std::time::{Duration, Instant};

/// Panics, saying what to install, unless `argv` runs and exits 0: the probe for a tool a
/// test needs (`&["cmake", "--version"]`, `&["python3", "-c", "import cffi"]`). `package`
/// is the Debian package that provides it (`scripts/test.sh` installs them).
pub fn require_tool(argv: &[&str], package: &str) {
    let found = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        found,
        "`{}` failed: this test needs it. Install it (apt-get install {}), or run \
         scripts/test.sh, which installs it when run as root",
        argv.join(" "),
        package
    );
}

/// Flags every C test program and example is compiled with.
pub const C_FLAGS: &[&str] = &[
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-D_POSIX_C_SOURCE=200809L",
    "-pthread",
];

/// What the static library needs from the system when linked into a C program
/// (`cargo rustc --release --lib -- --print native-static-libs`). The C compiler
/// driver adds `-lc` and `-lgcc_s` (unwinding) by itself.
#[cfg(target_os = "linux")]
pub const NATIVE_LIBS: &[&str] = &["-lpthread", "-ldl", "-lm", "-lrt", "-lutil"];
#[cfg(target_os = "macos")]
pub const NATIVE_LIBS: &[&str] = &["-lSystem", "-lc", "-lm"];
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub const NATIVE_LIBS: &[&str] = &["-lpthread", "-lm"];

/// How long one C program may run before [`run`] kills it.
pub const RUN_LIMIT: Duration = Duration::from_secs(120);

/// The crate's root directory.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/ctest` under the crate root: the static library's build and the C binaries.
pub fn ctest_dir() -> PathBuf {
    root().join("target").join("ctest")
}

static BUILD_LIB: Once = Once::new();
static LIB_PATH: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Builds `libsockhelp.a` (release) once per test process and returns its path.
/// Panics with cargo's output if the build fails.
pub fn staticlib() -> PathBuf {
    BUILD_LIB.call_once(|| {
        let out = Command::new(env!("CARGO"))
            .current_dir(root())
            .args(["build", "--release", "--lib", "--target-dir"])
            .arg(ctest_dir())
            .output()
            .expect("cargo can be started");
        assert!(
            out.status.success(),
            "cargo build --release --lib failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lib = ctest_dir().join("release").join(staticlib_name());
        assert!(lib.is_file(), "{} was not built", lib.display());
        *LIB_PATH.lock().unwrap_or_else(|e| e.into_inner()) = Some(lib);
    });
    LIB_PATH
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .expect("the static library was built (an earlier test's build failed?)")
}

fn staticlib_name() -> &'static str {
    if cfg!(windows) {
        "sockhelp.lib"
    } else {
        "libsockhelp.a"
    }
}

/// The host's target triple, as far as the compiler choice is concerned.
fn triple() -> String {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "linux" => format!("{}-unknown-linux-gnu", arch),
        "macos" => format!("{}-apple-darwin", arch),
        "freebsd" => format!("{}-unknown-freebsd", arch),
        "windows" => format!("{}-pc-windows-msvc", arch),
        other => format!("{}-unknown-{}", arch, other),
    }
}

/// A command running the C (or, with `cpp`, C++) compiler: `$CC` / `$CXX` when set,
/// else what the `cc` crate picks for this host, else `cc` / `c++`.
pub fn compiler(cpp: bool) -> Command {
    let var = if cpp { "CXX" } else { "CC" };
    if let Some(cc) = std::env::var_os(var) {
        return Command::new(cc);
    }
    let t = triple();
    let mut b = cc::Build::new();
    b.opt_level(2)
        .debug(false)
        .target(&t)
        .host(&t)
        .cpp(cpp)
        .cargo_metadata(false)
        .cargo_warnings(false);
    match b.try_get_compiler() {
        Ok(tool) => tool.to_command(),
        Err(_) => Command::new(if cpp { "c++" } else { "cc" }),
    }
}

static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);

/// Compiles `sources` (paths relative to the crate root) into the executable
/// `target/ctest/bin/<name>`, linked against the static library, and returns its path.
///
/// Flags: [`C_FLAGS`], `-I include -I tests/c`, then `extra_args`. A program is built once
/// per test process; builds are serialized so tests sharing a program don't race.
/// Panics with the compiler's output on failure.
pub fn build_c(name: &str, sources: &[&str], extra_args: &[&str]) -> PathBuf {
    build_c_against(&staticlib(), name, sources, extra_args)
}

static BUILD_TLS_LIB: Once = Once::new();
static TLS_LIB_PATH: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Builds `libsockhelp.a` with the `tls` feature (release, into `target/ctest-tls`) once per
/// test process and returns its path: the library C programs link to test TLS. The
/// feature needs Rust 1.71 or newer (the toolchain running the tests).
pub fn staticlib_tls() -> PathBuf {
    BUILD_TLS_LIB.call_once(|| {
        let dir = root().join("target").join("ctest-tls");
        let out = Command::new(env!("CARGO"))
            .current_dir(root())
            .args([
                "build",
                "--release",
                "--lib",
                "--features",
                "tls",
                "--target-dir",
            ])
            .arg(&dir)
            .output()
            .expect("cargo can be started");
        assert!(
            out.status.success(),
            "cargo build --release --lib --features tls failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lib = dir.join("release").join(staticlib_name());
        assert!(lib.is_file(), "{} was not built", lib.display());
        *TLS_LIB_PATH.lock().unwrap_or_else(|e| e.into_inner()) = Some(lib);
    });
    TLS_LIB_PATH
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .expect("the TLS static library was built (an earlier test's build failed?)")
}

/// [`build_c`] linked against the TLS build of the library ([`staticlib_tls`]). `name` must
/// differ from every program linked against the plain one.
pub fn build_c_tls(name: &str, sources: &[&str], extra_args: &[&str]) -> PathBuf {
    build_c_against(&staticlib_tls(), name, sources, extra_args)
}

/// [`build_c`] against the static library `lib`.
fn build_c_against(lib: &Path, name: &str, sources: &[&str], extra_args: &[&str]) -> PathBuf {
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let map = built.get_or_insert_with(HashMap::new);
    if let Some(p) = map.get(name) {
        return p.clone();
    }
    let bin_dir = ctest_dir().join("bin");
    std::fs::create_dir_all(&bin_dir).expect("target/ctest/bin can be created");
    let exe = bin_dir.join(format!("{}{}", name, std::env::consts::EXE_SUFFIX));
    let mut cmd = compiler(false);
    cmd.current_dir(root())
        .args(C_FLAGS)
        .arg("-Iinclude")
        .arg("-Itests/c")
        .args(extra_args)
        .args(sources)
        .arg("-o")
        .arg(&exe)
        .arg(lib)
        .args(NATIVE_LIBS);
    let out = cmd.output().expect("the C compiler can be started");
    assert!(
        out.status.success(),
        "compiling {} failed: {:?}\n{}{}",
        name,
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    map.insert(name.to_string(), exe.clone());
    exe
}

/// Runs a C compiler over `source` with `args` and no linking (`-fsyntax-only`), from
/// the crate root; returns its output.
pub fn syntax_check(cpp: bool, args: &[&str], source: &str) -> Output {
    let mut cmd = compiler(cpp);
    cmd.current_dir(root())
        .arg("-fsyntax-only")
        .args(args)
        .arg(source);
    cmd.output().expect("the compiler can be started")
}

/// Runs `exe` with `args` (stdin closed), killing it after [`RUN_LIMIT`].
pub fn run<S: AsRef<std::ffi::OsStr>>(exe: &Path, args: &[S]) -> Output {
    let child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {}", exe.display(), e));
    wait_output(child, RUN_LIMIT)
}

/// Collects a child's stdout/stderr (if piped) and waits for it at most `limit`;
/// past that it is killed (its status then says so: killed by SIGKILL).
pub fn wait_output(mut child: Child, limit: Duration) -> Output {
    let out_reader = child.stdout.take().map(|mut o| {
        thread::spawn(move || {
            let mut v = Vec::new();
            let _ = o.read_to_end(&mut v);
            v
        })
    });
    let err_reader = child.stderr.take().map(|mut e| {
        thread::spawn(move || {
            let mut v = Vec::new();
            let _ = e.read_to_end(&mut v);
            v
        })
    });
    let status = wait_limited(&mut child, limit);
    let join = |h: Option<thread::JoinHandle<Vec<u8>>>| match h {
        Some(h) => h.join().unwrap_or_default(),
        None => Vec::new(),
    };
    Output {
        status,
        stdout: join(out_reader),
        stderr: join(err_reader),
    }
}

/// Waits for `child` at most `limit`, then kills it.
pub fn wait_limited(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status,
            Ok(None) => {}
            Err(e) => panic!("waiting for a child failed: {}", e),
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            return child.wait().expect("a killed child can be reaped");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Runs tests/interop/cffi_calls.py: Python's cffi reads the declarations in `cdef` (a
/// sockhelp_cffi.h), opens the shared library `lib` and calls through it. Panics, saying
/// what to install, when python3 lacks cffi; panics with the script's output when it fails.
pub fn python_cffi_calls(cdef: &Path, lib: &Path) {
    require_tool(&["python3", "-c", "import cffi"], "python3-cffi");
    assert!(cdef.is_file(), "{} is missing", cdef.display());
    assert!(lib.is_file(), "{} is missing", lib.display());
    let child = Command::new("python3")
        .arg(root().join("tests/interop/cffi_calls.py"))
        .arg(cdef)
        .arg(lib)
        .arg(env!("CARGO_PKG_VERSION"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let out = wait_output(child, RUN_LIMIT);
    let what = format!(
        "tests/interop/cffi_calls.py {} {}",
        cdef.display(),
        lib.display()
    );
    assert_success(&what, &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("cffi: ok"),
        "{}: unexpected output: {}",
        what,
        stdout
    );
}

/// Panics with the program's stdout and stderr unless it exited with status 0.
pub fn assert_success(what: &str, out: &Output) {
    if !out.status.success() {
        panic!(
            "{} failed ({}):\n--- stdout ---\n{}--- stderr ---\n{}",
            what,
            describe(&out.status),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// "exit status N", or the signal that killed the process.
pub fn describe(status: &ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("killed by signal {}", sig);
        }
    }
    format!("{}", status)
}

/// Builds the C test program `tests/c/<name>.c` and runs it; it must exit 0.
pub fn run_c_test(name: &str) {
    let src = format!("tests/c/{}.c", name);
    let exe = build_c(name, &[&src], &[]);
    let out = run(&exe, &[] as &[&str]);
    assert_success(&src, &out);
}

/// Compiles `source` into the shared object `target/ctest/bin/<name>.so` (for
/// `LD_PRELOAD` shims: not linked against sockhelp), and returns its path. Tests running in
/// parallel each compile it: every compile writes its own file and renames it into place,
/// so a test preloading the shim never sees a half-written one ("file too short").
pub fn build_shared(name: &str, source: &str) -> PathBuf {
    static COMPILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let bin_dir = ctest_dir().join("bin");
    std::fs::create_dir_all(&bin_dir).expect("target/ctest/bin can be created");
    let dest = bin_dir.join(format!("{}.so", name));
    let nth = COMPILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = bin_dir.join(format!("{}.so.{}.{}", name, std::process::id(), nth));
    let mut cmd = compiler(false);
    cmd.current_dir(root())
        .args(["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror"])
        .arg(source)
        .arg("-o")
        .arg(&out)
        .arg("-ldl");
    let res = cmd.output().expect("the C compiler can be started");
    assert!(
        res.status.success(),
        "compiling {} failed: {:?}\n{}",
        name,
        cmd,
        String::from_utf8_lossy(&res.stderr)
    );
    std::fs::rename(&out, &dest).expect("the shim can be moved into place");
    dest
}

/// Starts a server that prints `listening on PORT` first; returns it and the port.
pub fn start_server(
    exe: &std::path::Path,
    args: &[&str],
) -> (Child, std::io::BufReader<std::process::ChildStdout>, u16) {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let _ = std::io::BufRead::read_line(&mut stdout, &mut line);
    match line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|p| p.parse().ok())
    {
        Some(port) => (child, stdout, port),
        None => {
            let _ = child.kill();
            let out = wait_output(child, Duration::from_secs(5));
            panic!(
                "server did not print its port (got {:?}): {}",
                line,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

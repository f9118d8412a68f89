//! What ships, checked: sockhelp consumed the way C projects consume libuv or libevent:
//! installed into a prefix (`make install PREFIX=...`), then found by pkg-config or CMake's
//! `find_package`, or built from source with CMake's `add_subdirectory`; the committed
//! header (exactly what cbindgen makes of the sources, every function documented, every
//! name prefixed); the lockfile (buildable by Rust 1.63).
//!
//! One install per test process into `target/pkgtest/prefix` (the release build in
//! `target/ctest`, shared with the C tests); every test builds and runs the consumer in
//! `c_examples/consumer/` (or the examples) against it in its own directory.
//!
//! Needs make, cmake, pkg-config, gcc/g++ and clang (scripts/test.sh installs them); a
//! missing tool fails the test with what to install, it never passes silently.
#![cfg(target_os = "linux")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, Once};
use std::time::Duration;

use common::{assert_success, ctest_dir, require_tool, root, run, wait_output};

/// How long one build step (make install, a CMake configure or build) may take.
const BUILD_LIMIT: Duration = Duration::from_secs(900);

/// The SONAME's version: `0.MINOR` before 1.0, `MAJOR` after (as build.rs sets it).
fn abi() -> String {
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    if major == "0" {
        format!("0.{}", env!("CARGO_PKG_VERSION_MINOR"))
    } else {
        major.to_string()
    }
}

fn soname() -> String {
    format!("libsockhelp.so.{}", abi())
}

fn pkgtest_dir() -> PathBuf {
    root().join("target").join("pkgtest")
}

/// A fresh, empty `target/pkgtest/<name>`.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = pkgtest_dir().join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot empty {}: {}", dir.display(), e));
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn require_build_tools() {
    require_tool(&["make", "--version"], "make");
    require_tool(&["cmake", "--version"], "cmake");
    require_tool(&["pkg-config", "--version"], "pkg-config");
}

/// Runs a build step to completion (bounded by [`BUILD_LIMIT`]); panics with its output
/// unless it succeeds.
fn build_step(what: &str, cmd: &mut Command) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: cannot start {:?}: {}", what, cmd, e));
    let out = wait_output(child, BUILD_LIMIT);
    assert_success(&format!("{} ({:?})", what, cmd), &out);
    out
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

static INSTALL: Once = Once::new();
static PREFIX: Mutex<Option<PathBuf>> = Mutex::new(None);

/// `make` (the libraries and the docs, into `target/ctest`) once per test process.
fn make_built() {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        build_step(
            "make",
            Command::new("make")
                .current_dir(root())
                .arg(format!("TARGET_DIR={}", ctest_dir().display()))
                .arg(format!("CARGO={}", env!("CARGO"))),
        );
    });
}

/// `make install` the way `sudo make install` runs it: a minimal environment
/// (`env -i PATH=/usr/bin:/bin`), and a CARGO that does not exist, so any attempt to build
/// would fail. `args` are make's.
fn make_install_minimal_env(args: &[String]) -> Output {
    build_step(
        "make install (env -i PATH=/usr/bin:/bin)",
        Command::new("/usr/bin/make")
            .current_dir(root())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .arg("install")
            .arg(format!("TARGET_DIR={}", ctest_dir().display()))
            .arg("CARGO=/nonexistent/cargo")
            .args(args),
    )
}

/// `make`, then `make install` into `target/pkgtest/prefix` in a minimal environment, once
/// per test process; returns the prefix.
fn prefix() -> PathBuf {
    require_build_tools();
    INSTALL.call_once(|| {
        let prefix = fresh_dir("prefix");
        make_built();
        make_install_minimal_env(&[format!("PREFIX={}", prefix.display())]);
        *PREFIX.lock().unwrap_or_else(|e| e.into_inner()) = Some(prefix);
    });
    PREFIX
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .expect("make install succeeded (an earlier test's install failed?)")
}

fn pkg_config_path(prefix: &Path) -> PathBuf {
    prefix.join("lib").join("pkgconfig")
}

/// `readelf -d` of a binary or library.
fn dynamic_section(file: &Path) -> String {
    let out = build_step("readelf -d", Command::new("readelf").arg("-d").arg(file));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `NEEDED` entries of `file`.
fn needed(file: &Path) -> Vec<String> {
    dynamic_section(file)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| {
            let start = l.find('[')? + 1;
            let end = l.rfind(']')?;
            Some(l[start..end].to_string())
        })
        .collect()
}

/// Runs the consumer (with `env` added) and checks it did its round trip.
fn run_consumer(exe: &Path, env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(exe);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {}", exe.display(), e));
    let out = wait_output(child, common::RUN_LIMIT);
    assert_success(&exe.display().to_string(), &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let expected = format!("consumer: ok, sockhelp {},", env!("CARGO_PKG_VERSION"));
    assert!(stdout.contains(&expected), "unexpected output: {}", stdout);
    out
}

/// The consumer built by c_examples/consumer/Makefile (pkg-config) into `out_dir`.
fn make_consumer(prefix: &Path, link: &str, out_dir: &Path) -> PathBuf {
    build_step(
        &format!("make consumer LINK={}", link),
        Command::new("make")
            .current_dir(root().join("c_examples").join("consumer"))
            .arg(format!(
                "PKG_CONFIG_PATH={}",
                pkg_config_path(prefix).display()
            ))
            .arg(format!("LINK={}", link))
            .arg(format!("OUT={}", out_dir.display())),
    );
    out_dir.join("consumer")
}

/// Configures and builds the CMake project `source` into `build` with `defines`.
fn cmake_build(source: &Path, build: &Path, defines: &[String]) {
    build_step(
        "cmake configure",
        Command::new("cmake")
            .arg("-S")
            .arg(source)
            .arg("-B")
            .arg(build)
            .args(defines),
    );
    build_step(
        "cmake --build",
        Command::new("cmake").arg("--build").arg(build).arg("-j2"),
    );
}

#[test]
fn install_puts_header_libraries_pkgconfig_and_cmake_package_in_the_prefix() {
    let prefix = prefix();
    let lib = prefix.join("lib");
    let real = format!("libsockhelp.so.{}", env!("CARGO_PKG_VERSION"));
    for f in [
        prefix.join("include/sockhelp.h"),
        lib.join("libsockhelp.a"),
        lib.join(&real),
        lib.join("pkgconfig/sockhelp.pc"),
        lib.join("cmake/sockhelp/sockhelpConfig.cmake"),
        lib.join("cmake/sockhelp/sockhelpConfigVersion.cmake"),
    ] {
        assert!(f.is_file(), "{} was not installed", f.display());
    }
    // libsockhelp.so -> libsockhelp.so.ABI -> libsockhelp.so.X.Y.Z
    let link = |name: &str| {
        std::fs::read_link(lib.join(name))
            .unwrap_or_else(|e| panic!("{} is not a symlink: {}", name, e))
    };
    assert_eq!(link(&soname()), PathBuf::from(&real));
    assert_eq!(link("libsockhelp.so"), PathBuf::from(soname()));
    assert_eq!(
        std::fs::read(prefix.join("include/sockhelp.h")).unwrap(),
        std::fs::read(root().join("include/sockhelp.h")).unwrap(),
        "the installed header differs from include/sockhelp.h"
    );

    let pc = |args: &[&str]| {
        let out = build_step(
            "pkg-config",
            Command::new("pkg-config")
                .env("PKG_CONFIG_PATH", pkg_config_path(&prefix))
                .args(args)
                .arg("sockhelp"),
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(pc(&["--modversion"]), env!("CARGO_PKG_VERSION"));
    let static_libs = pc(&["--static", "--libs"]);
    for l in ["-lsockhelp", "-lpthread", "-ldl", "-lm"] {
        assert!(
            static_libs.split_whitespace().any(|w| w == l),
            "pkg-config --static --libs lacks {}: {}",
            l,
            static_libs
        );
    }
    let shared_libs = pc(&["--libs"]);
    assert!(
        !shared_libs.contains("-ldl"),
        "Libs.private leaked into Libs: {}",
        shared_libs
    );
}

/// A packager's staged install (DESTDIR) and the uninstall that undoes it.
#[test]
fn staged_install_and_uninstall_leave_nothing_behind() {
    prefix(); // the library is built
    let stage = fresh_dir("stage");
    let script = |extra: &[&str]| {
        build_step(
            "scripts/install.sh",
            Command::new("sh")
                .current_dir(root())
                .arg("scripts/install.sh")
                .args(["--prefix", "/usr/local", "--destdir"])
                .arg(&stage)
                .arg("--target-dir")
                .arg(ctest_dir())
                .args(extra),
        )
    };
    script(&[]);
    let staged = stage.join("usr/local");
    assert!(staged.join("include/sockhelp.h").is_file());
    assert!(staged.join("lib/pkgconfig/sockhelp.pc").is_file());
    assert!(staged.join("lib/pkgconfig/sockhelp-static.pc").is_file());
    assert!(staged.join("lib").join(soname()).exists());
    assert!(staged.join("share/man/man3/sockhelp_sendall.3").is_file());
    assert!(staged.join("share/doc/sockhelp/LICENSE-MIT").is_file());
    script(&["--uninstall"]);
    let mut left = Vec::new();
    let mut stack = vec![staged];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                left.push(p);
            }
        }
    }
    assert!(left.is_empty(), "uninstall left {:?}", left);
}

#[test]
fn installed_shared_library_has_the_soname() {
    let prefix = prefix();
    let lib = prefix
        .join("lib")
        .join(format!("libsockhelp.so.{}", env!("CARGO_PKG_VERSION")));
    let dynamic = dynamic_section(&lib);
    let want = format!("Library soname: [{}]", soname());
    assert!(
        dynamic
            .lines()
            .any(|l| l.contains("(SONAME)") && l.contains(&want)),
        "readelf -d {} shows no SONAME {}:\n{}",
        lib.display(),
        soname(),
        dynamic
    );
}

/// `nm -D --defined-only`: every exported symbol is a sockhelp_* function, and every
/// function the header declares is exported.
#[test]
fn installed_shared_library_exports_only_sockhelp_functions() {
    let prefix = prefix();
    let lib = prefix.join("lib").join(soname());
    let out = build_step(
        "nm -D",
        Command::new("nm").args(["-D", "--defined-only"]).arg(&lib),
    );
    let listing = String::from_utf8_lossy(&out.stdout);
    let mut exported = Vec::new();
    for line in listing.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (kind, name) = match fields.as_slice() {
            [_addr, kind, name] => (*kind, *name),
            _ => panic!("unexpected nm line: {:?}", line),
        };
        assert!(
            kind == "T" && name.starts_with("sockhelp_"),
            "{} exports {} ({}), not a sockhelp_* function; nm -D said:\n{}",
            lib.display(),
            name,
            kind,
            listing
        );
        exported.push(name.to_string());
    }
    let header = std::fs::read_to_string(prefix.join("include/sockhelp.h")).unwrap();
    let mut declared = 0;
    for line in header.lines() {
        let t = line.trim_start();
        if t.starts_with('*') || t.starts_with("/*") || t.starts_with('#') {
            continue;
        }
        // A declaration: the identifier right before the first '('.
        let before = match t.find('(') {
            Some(p) => &t[..p],
            None => continue,
        };
        let name = before
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        if name.starts_with("sockhelp_") {
            declared += 1;
            assert!(
                exported.iter().any(|e| e == name),
                "{} is declared in the header but not exported",
                name
            );
        }
    }
    assert!(declared >= 40, "found only {} declarations", declared);
    assert_eq!(declared, exported.len(), "exported: {:?}", exported);
}

/// The installed header alone (no other include first, no feature macros), as C99 and
/// C++ with gcc and clang, every warning an error; and a C++ program calling it links
/// against the C library (extern "C").
#[test]
fn installed_header_compiles_alone_as_c99_and_cpp_with_gcc_and_clang() {
    let prefix = prefix();
    for (tool, package) in [
        ("gcc", "gcc"),
        ("g++", "g++"),
        ("clang", "clang"),
        ("clang++", "clang"),
    ] {
        require_tool(&[tool, "--version"], package);
    }
    let dir = fresh_dir("header");
    let src = dir.join("only_header.c");
    std::fs::write(
        &src,
        "#include <sockhelp.h>\n#include <sockhelp.h>\n\
         int header_version(void);\n\
         int header_version(void) {\n\
         \x20   sockhelp_socket s = SOCKHELP_INVALID_SOCKET;\n\
         \x20   return SOCKHELP_VERSION_MAJOR * 10000 + SOCKHELP_VERSION_MINOR * 100\n\
         \x20          + SOCKHELP_VERSION_PATCH + (s == SOCKHELP_INVALID_SOCKET);\n\
         }\n",
    )
    .unwrap();
    let include = format!("-I{}", prefix.join("include").display());
    let strict = ["-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"];
    for (compiler, lang, std) in [
        ("gcc", "c", "c99"),
        ("clang", "c", "c99"),
        ("gcc", "c", "c11"),
        ("g++", "c++", "c++98"),
        ("g++", "c++", "c++11"),
        ("clang++", "c++", "c++11"),
        ("clang++", "c++", "c++17"),
    ] {
        build_step(
            &format!("{} -std={} on the header", compiler, std),
            Command::new(compiler)
                .arg(format!("-std={}", std))
                .args(strict)
                .arg(&include)
                .args(["-x", lang])
                .arg(&src),
        );
    }

    let cpp = dir.join("from_cpp.cpp");
    std::fs::write(
        &cpp,
        "#include <sockhelp.h>\n#include <cstdio>\n\
         int main() { std::printf(\"%s\\n\", sockhelp_version()); return 0; }\n",
    )
    .unwrap();
    let exe = dir.join("from_cpp");
    for compiler in ["g++", "clang++"] {
        build_step(
            &format!("{} links a C++ program against libsockhelp.a", compiler),
            Command::new(compiler)
                .args(["-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic"])
                .arg(&include)
                .arg(&cpp)
                .arg("-o")
                .arg(&exe)
                .arg(prefix.join("lib/libsockhelp.a"))
                .args(["-lpthread", "-ldl", "-lm"]),
        );
        let out = run(&exe, &[] as &[&str]);
        assert_success("the C++ program", &out);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            env!("CARGO_PKG_VERSION")
        );
    }
}

/// make + pkg-config, static: libsockhelp.a plus Libs.private; the program does not
/// need the shared library at all.
#[test]
fn make_pkg_config_static_consumer_runs() {
    let prefix = prefix();
    let dir = fresh_dir("make-static");
    let exe = make_consumer(&prefix, "static", &dir);
    let deps = needed(&exe);
    assert!(
        !deps.iter().any(|d| d.starts_with("libsockhelp")),
        "the static consumer needs {:?}",
        deps
    );
    run_consumer(&exe, &[]);
}

/// make + pkg-config, shared, from a copy of the prefix (the .pc file is relocatable):
/// the program loads libsockhelp.so.ABI from that copy through LD_LIBRARY_PATH, and
/// fails to start once that file is gone, so it really uses the installed library.
#[test]
fn make_pkg_config_shared_consumer_runs_from_the_installed_library() {
    let prefix = prefix();
    let moved = fresh_dir("make-shared-prefix");
    build_step(
        "cp -a prefix",
        Command::new("cp")
            .arg("-a")
            .arg(prefix.join("."))
            .arg(&moved),
    );
    let dir = fresh_dir("make-shared");
    let exe = make_consumer(&moved, "shared", &dir);
    assert!(
        needed(&exe).contains(&soname()),
        "the shared consumer does not need {}: {:?}",
        soname(),
        needed(&exe)
    );
    assert!(
        !dynamic_section(&exe).contains("RUNPATH") && !dynamic_section(&exe).contains("RPATH"),
        "the consumer has a run path; it should find the library through LD_LIBRARY_PATH"
    );
    let lib_dir = moved.join("lib");
    let env = [("LD_LIBRARY_PATH", lib_dir.as_path())];
    run_consumer(&exe, &env);

    let ldd = build_step(
        "ldd",
        Command::new("ldd")
            .arg(&exe)
            .env("LD_LIBRARY_PATH", &lib_dir),
    );
    let want = format!("{} => {}", soname(), lib_dir.join(soname()).display());
    assert!(
        text(&ldd).contains(&want),
        "ldd does not show {}:\n{}",
        want,
        text(&ldd)
    );

    let real = lib_dir.join(format!("libsockhelp.so.{}", env!("CARGO_PKG_VERSION")));
    std::fs::rename(&real, lib_dir.join("hidden")).unwrap();
    let out = Command::new(&exe)
        .env("LD_LIBRARY_PATH", &lib_dir)
        .output()
        .unwrap();
    assert!(
        !out.status.success() && text(&out).contains(&soname()),
        "the consumer ran without the installed library: {}",
        text(&out)
    );
}

/// CMake find_package(sockhelp CONFIG REQUIRED) + sockhelp::sockhelp: linked to the
/// installed libsockhelp.so.ABI, found at run time through CMake's build run path.
#[test]
fn cmake_find_package_shared_consumer_runs() {
    let prefix = prefix();
    let build = fresh_dir("cmake-find-shared");
    cmake_build(
        &root().join("c_examples/consumer"),
        &build,
        &[format!("-DCMAKE_PREFIX_PATH={}", prefix.display())],
    );
    let exe = build.join("consumer");
    assert!(needed(&exe).contains(&soname()), "{:?}", needed(&exe));
    let ldd = build_step("ldd", Command::new("ldd").arg(&exe));
    let want = format!(
        "{} => {}",
        soname(),
        prefix.join("lib").join(soname()).display()
    );
    assert!(text(&ldd).contains(&want), "ldd:\n{}", text(&ldd));
    run_consumer(&exe, &[]);
}

/// CMake find_package + sockhelp::sockhelp_static: the archive and its system libraries.
#[test]
fn cmake_find_package_static_consumer_runs() {
    let prefix = prefix();
    let build = fresh_dir("cmake-find-static");
    cmake_build(
        &root().join("c_examples/consumer"),
        &build,
        &[
            format!("-DCMAKE_PREFIX_PATH={}", prefix.display()),
            "-DCONSUMER_STATIC=ON".to_string(),
        ],
    );
    let exe = build.join("consumer");
    assert!(!needed(&exe).iter().any(|d| d.starts_with("libsockhelp")));
    run_consumer(&exe, &[]);
}

/// CMake add_subdirectory of the source tree: the root CMakeLists.txt runs cargo and
/// defines the same sockhelp::sockhelp / sockhelp::sockhelp_static targets.
#[test]
fn cmake_add_subdirectory_builds_sockhelp_from_source() {
    require_build_tools();
    let build = fresh_dir("cmake-subdir");
    // cargo's own output lives beside the CMake build so reruns are incremental.
    let cargo_dir = pkgtest_dir().join("cmake-subdir-cargo");
    let mut defines = vec![
        format!("-DSOCKHELP_SOURCE_DIR={}", root().display()),
        format!("-DSOCKHELP_CARGO={}", env!("CARGO")),
        format!("-DSOCKHELP_CARGO_TARGET_DIR={}", cargo_dir.display()),
    ];
    let source = root().join("c_examples/consumer");
    cmake_build(&source, &build, &defines);
    let exe = build.join("consumer");
    let staged = build.join("sockhelp").join("lib");
    let lib = staged.join(format!("libsockhelp.so.{}", env!("CARGO_PKG_VERSION")));
    assert!(
        dynamic_section(&lib).contains(&format!("[{}]", soname())),
        "{} has no SONAME {}",
        lib.display(),
        soname()
    );
    assert!(needed(&exe).contains(&soname()), "{:?}", needed(&exe));
    let ldd = build_step("ldd", Command::new("ldd").arg(&exe));
    let want = format!("{} => {}", soname(), staged.join(soname()).display());
    assert!(text(&ldd).contains(&want), "ldd:\n{}", text(&ldd));
    run_consumer(&exe, &[]);

    defines.push("-DCONSUMER_STATIC=ON".to_string());
    cmake_build(&source, &build, &defines);
    assert!(!needed(&exe).iter().any(|d| d.starts_with("libsockhelp")));
    run_consumer(&exe, &[]);
}

/// c_examples/Makefile builds every example against the installed prefix through
/// pkg-config (shared and static), and the programs work.
#[test]
fn examples_build_against_the_installed_prefix_with_make_and_pkg_config() {
    let prefix = prefix();
    for (target, dir) in [
        ("installed", "examples-make-shared"),
        ("installed-static", "examples-make-static"),
    ] {
        let out_dir = fresh_dir(dir);
        build_step(
            &format!("make -C c_examples {}", target),
            Command::new("make")
                .current_dir(root().join("c_examples"))
                .arg(target)
                .arg(format!(
                    "PKG_CONFIG_PATH={}",
                    pkg_config_path(&prefix).display()
                ))
                .arg(format!("INSTALLED_OUT={}", out_dir.display())),
        );
        let exe = out_dir.join("framed_rpc");
        let shared = needed(&exe).contains(&soname());
        assert_eq!(
            shared,
            target == "installed",
            "{}: {:?}",
            target,
            needed(&exe)
        );
        let out = run(&exe, &["demo"]);
        assert_success(&format!("{} framed_rpc demo", target), &out);
        assert!(String::from_utf8_lossy(&out.stdout).contains("every reply correct"));
    }
}

/// c_examples/CMakeLists.txt builds every example with find_package (shared and static).
#[test]
fn examples_build_against_the_installed_prefix_with_cmake_find_package() {
    let prefix = prefix();
    for (static_, dir) in [
        ("OFF", "examples-cmake-shared"),
        ("ON", "examples-cmake-static"),
    ] {
        let build = fresh_dir(dir);
        cmake_build(
            &root().join("c_examples"),
            &build,
            &[
                format!("-DCMAKE_PREFIX_PATH={}", prefix.display()),
                format!("-DSOCKHELP_EXAMPLES_STATIC={}", static_),
            ],
        );
        for example in [
            "echo_server",
            "echo_client",
            "framed_rpc",
            "line_chat",
            "select_server",
            "load_client",
        ] {
            assert!(build.join(example).is_file(), "{} was not built", example);
        }
        let out = run(&build.join("line_chat"), &["demo"]);
        assert_success(&format!("line_chat demo (static {})", static_), &out);
        assert!(String::from_utf8_lossy(&out.stdout).contains("in order"));
    }
}

/// `make install` copies only: with nothing built it runs no cargo, installs nothing and
/// says to run make first.
#[test]
fn install_without_a_build_says_run_make_first_and_installs_nothing() {
    require_build_tools();
    let empty = fresh_dir("nothing-built");
    let dest = fresh_dir("nothing-installed");
    let out = Command::new("/usr/bin/make")
        .current_dir(root())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .arg("install")
        .arg(format!("PREFIX={}", dest.display()))
        .arg(format!("TARGET_DIR={}", empty.display()))
        .arg("CARGO=/nonexistent/cargo")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "install succeeded with nothing built"
    );
    assert!(
        text(&out).contains("run make first"),
        "install did not say to run make first:\n{}",
        text(&out)
    );
    assert!(
        std::fs::read_dir(&dest).unwrap().next().is_none(),
        "install put files into {} with nothing built",
        dest.display()
    );
}

fn debug_sections(file: &Path) -> Vec<String> {
    let out = build_step("readelf -S", Command::new("readelf").arg("-S").arg(file));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter(|w| w.starts_with(".debug") || w.starts_with(".zdebug"))
        .map(|w| w.to_string())
        .collect()
}

/// What is installed carries no debug info (the .so and every member of the .a), though
/// the build itself may (the profiling profile).
#[test]
fn installed_libraries_carry_no_debug_info() {
    let prefix = prefix();
    let lib = prefix.join("lib");
    for f in [
        lib.join(format!("libsockhelp.so.{}", env!("CARGO_PKG_VERSION"))),
        lib.join("libsockhelp.a"),
    ] {
        let found = debug_sections(&f);
        assert!(found.is_empty(), "{} has {:?}", f.display(), found);
    }
    // About 1 MB without TLS, 2.4 MB with rustls and ring built in (make's TLS=auto):
    // debug info would take it well past 4 MiB.
    let so = std::fs::metadata(lib.join(soname())).unwrap().len();
    assert!(so < 4 << 20, "the installed .so is {} bytes", so);
}

/// `pkg-config --static --libs sockhelp-static` is all a static consumer writes: one
/// shell command line, as a Makefile would have it.
#[test]
fn static_consumer_links_with_pkg_config_sockhelp_static_alone() {
    let prefix = prefix();
    let dir = fresh_dir("pc-static");
    let exe = dir.join("consumer");
    build_step(
        "cc $(pkg-config --cflags sockhelp-static) ... $(pkg-config --static --libs sockhelp-static)",
        Command::new("sh")
            .arg("-c")
            .arg(
                "cc -std=c99 -Wall -Wextra -Werror -pedantic \
                 $(pkg-config --cflags sockhelp-static) \"$1\" -o \"$2\" \
                 $(pkg-config --static --libs sockhelp-static)",
            )
            .arg("sh")
            .arg(root().join("c_examples/consumer/consumer.c"))
            .arg(&exe)
            .env("PKG_CONFIG_PATH", pkg_config_path(&prefix)),
    );
    let deps = needed(&exe);
    assert!(
        !deps.iter().any(|d| d.starts_with("libsockhelp")),
        "the static consumer needs {:?}",
        deps
    );
    run_consumer(&exe, &[]);
    // Without --static too (what Meson's dependency('sockhelp-static') asks).
    let out = build_step(
        "pkg-config --libs sockhelp-static",
        Command::new("pkg-config")
            .env("PKG_CONFIG_PATH", pkg_config_path(&prefix))
            .args(["--libs", "sockhelp-static"]),
    );
    let libs = String::from_utf8_lossy(&out.stdout);
    assert!(
        libs.contains("libsockhelp.a")
            && libs.contains("-lpthread")
            && !libs.contains("-lsockhelp"),
        "{}",
        libs
    );
}

/// The public functions the header declares (a name right before '(' on a line that is
/// not a comment or directive).
fn header_functions(header: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(header).unwrap();
    let mut names = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('*') || t.starts_with("/*") || t.starts_with('#') {
            continue;
        }
        // A declaration: the identifier right before the first '('.
        let before = match t.find('(') {
            Some(p) => &t[..p],
            None => continue,
        };
        let name = before
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        if name.starts_with("sockhelp_") && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    assert!(names.len() >= 40, "found only {:?}", names);
    names
}

/// `man sockhelp` and one page per public function, installed and rendered by man with
/// groff's warnings on; the HTML reference beside them.
#[test]
fn man_pages_are_installed_for_every_public_function_and_render_without_warnings() {
    let prefix = prefix();
    require_tool(&["man", "--version"], "man-db");
    require_tool(&["groff", "--version"], "groff-base");
    let man3 = prefix.join("share/man/man3");
    let html = prefix.join("share/doc/sockhelp/html");
    assert!(man3.join("sockhelp.3").is_file(), "no sockhelp(3)");
    assert!(html.join("index.html").is_file(), "no HTML index");
    let functions = header_functions(&prefix.join("include/sockhelp.h"));
    for f in &functions {
        assert!(
            man3.join(format!("{}.3", f)).is_file(),
            "{} has no man page",
            f
        );
        assert!(
            html.join(format!("{}.html", f)).is_file(),
            "{} has no HTML page",
            f
        );
    }
    for entry in std::fs::read_dir(&man3).unwrap() {
        let page = entry.unwrap().path();
        let out = build_step(
            "groff -man -ww -z",
            Command::new("groff").args(["-man", "-ww", "-z"]).arg(&page),
        );
        assert!(
            out.stderr.is_empty(),
            "{}: groff warns:\n{}",
            page.display(),
            text(&out)
        );
    }
    for (page, want) in [
        ("sockhelp", "SOCKHELP_ETIMEDOUT"),
        ("sockhelp_sendall", "RETURN VALUE"),
    ] {
        let out = build_step(
            &format!("man {}", page),
            Command::new("man")
                .arg("-M")
                .arg(prefix.join("share/man"))
                .arg(page)
                .env("MANPAGER", "cat")
                .env("PAGER", "cat")
                .env("MANWIDTH", "80"),
        );
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            shown.contains(page) && shown.contains(want),
            "man {}:\n{}",
            page,
            shown
        );
    }
}

/// The docs build (scripts/gen-docs.py) is warning-free on the committed header, and fails
/// with a warning on a header whose function has no doc comment.
#[test]
fn docs_build_is_warning_free_and_fails_on_an_undocumented_function() {
    require_tool(&["python3", "--version"], "python3");
    let out_dir = fresh_dir("docs");
    let out = Command::new("python3")
        .arg(root().join("scripts/gen-docs.py"))
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        text(&out)
    );
    assert_html_links_resolve(&out_dir.join("html"));

    let header = std::fs::read_to_string(root().join("include/sockhelp.h")).unwrap();
    let at = header
        .find("#ifdef __cplusplus\n}")
        .expect("the header's closing extern \"C\"");
    let bad = format!(
        "{}int sockhelp_undocumented_for_the_test(int x);\n\n{}",
        &header[..at],
        &header[at..]
    );
    let bad_header = out_dir.join("bad.h");
    std::fs::write(&bad_header, bad).unwrap();
    let out = Command::new("python3")
        .arg(root().join("scripts/gen-docs.py"))
        .arg("--header")
        .arg(&bad_header)
        .arg("--out")
        .arg(out_dir.join("bad"))
        .output()
        .unwrap();
    assert!(
        !out.status.success() && text(&out).contains("sockhelp_undocumented_for_the_test"),
        "gen-docs did not fail on an undocumented function:\n{}",
        text(&out)
    );
}

/// Every `href` of the HTML reference names a page that exists, and an `id` in it.
fn assert_html_links_resolve(dir: &Path) {
    let attr = |html: &str, name: &str| -> Vec<String> {
        let key = format!("{}=\"", name);
        html.split(key.as_str())
            .skip(1)
            .filter_map(|rest| rest.find('"').map(|end| rest[..end].to_string()))
            .collect()
    };
    let mut pages = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let page = entry.unwrap().path();
        let html = std::fs::read_to_string(&page).unwrap();
        pages += 1;
        for href in attr(&html, "href") {
            let (file, anchor) = match href.find('#') {
                Some(p) => (&href[..p], Some(&href[p + 1..])),
                None => (href.as_str(), None),
            };
            let target = dir.join(file);
            assert!(target.is_file(), "{}: broken link {}", page.display(), href);
            if let Some(anchor) = anchor {
                let ids = attr(&std::fs::read_to_string(&target).unwrap(), "id");
                assert!(
                    ids.iter().any(|i| i == anchor),
                    "{}: no id {} in {}",
                    page.display(),
                    anchor,
                    file
                );
            }
        }
    }
    assert!(pages > 40, "only {} HTML pages", pages);
}

/// Licenses, README, INSTALL, CHANGELOG and the cffi declarations are installed.
#[test]
fn licenses_and_changelog_are_installed() {
    let prefix = prefix();
    let doc = prefix.join("share/doc/sockhelp");
    for f in [
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "README.md",
        "INSTALL.md",
        "CHANGELOG.md",
    ] {
        assert_eq!(
            std::fs::read(doc.join(f)).unwrap_or_default(),
            std::fs::read(root().join(f)).unwrap(),
            "{} is not installed as it is in the tree",
            f
        );
    }
}

/// Python's cffi binds the installed sockhelp alone: the installed declarations
/// (share/sockhelp/sockhelp_cffi.h) and the installed shared library under its SONAME, the
/// name a program loads; then real calls (tests/interop/cffi_calls.py).
#[test]
fn python_cffi_calls_through_the_installed_declarations_and_library() {
    let prefix = prefix();
    common::python_cffi_calls(
        &prefix.join("share/sockhelp/sockhelp_cffi.h"),
        &prefix.join("lib").join(soname()),
    );
}

/// The header has /* */ comments only and compiles warning-free as C89 -pedantic too
/// (it is a C99 header; nothing in it needs more than C89 with <stdint.h>/<stdbool.h>).
#[test]
fn header_has_no_line_comments_and_compiles_as_c89() {
    let header = std::fs::read_to_string(root().join("include/sockhelp.h")).unwrap();
    let mut rest = header.as_str();
    let mut code = String::new();
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("an unterminated comment") + start + 2;
        rest = &rest[end..];
    }
    code.push_str(rest);
    for (i, line) in code.lines().enumerate() {
        assert!(
            !line.contains("//"),
            "a // comment outside /* */: {:?} ({})",
            line,
            i
        );
    }
    require_tool(&["gcc", "--version"], "gcc");
    let dir = fresh_dir("c89");
    let src = dir.join("c89.c");
    std::fs::write(&src, "#include <sockhelp.h>\nint c89_unit;\n").unwrap();
    build_step(
        "gcc -std=c89 -pedantic on the header",
        Command::new("gcc")
            .args([
                "-std=c89",
                "-pedantic",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-fsyntax-only",
            ])
            .arg(format!("-I{}", root().join("include").display()))
            .arg(&src),
    );
}

/// scripts/install.sh's other layouts, from stand-in files (only Linux runs here):
/// Windows (the DLL in bin, its import library in lib, IMPORTED_IMPLIB), macOS (.dylib
/// names and the install name, through a recording install_name_tool) and FreeBSD
/// (libdata/pkgconfig, still relocatable).
#[test]
fn install_script_lays_out_windows_macos_and_freebsd() {
    make_built();
    let abi = abi();
    let version = env!("CARGO_PKG_VERSION");
    let fake = fresh_dir("fake-built");
    for f in [
        "sockhelp.dll",
        "libsockhelp.dll.a",
        "libsockhelp.a",
        "libsockhelp.dylib",
        "libsockhelp.so",
    ] {
        std::fs::write(fake.join(f), f).unwrap();
    }
    let tools = fresh_dir("fake-tools");
    let log = tools.join("install_name_tool.log");
    let tool = tools.join("install_name_tool");
    std::fs::write(
        &tool,
        format!("#!/bin/sh\necho \"$@\" >> '{}'\n", log.display()),
    )
    .unwrap();
    build_step("chmod", Command::new("chmod").arg("755").arg(&tool));
    let install = |os: &str, prefix: &Path| {
        build_step(
            &format!("install.sh --os {}", os),
            Command::new("sh")
                .current_dir(root())
                .env("PATH", format!("{}:/usr/bin:/bin", tools.display()))
                .arg("scripts/install.sh")
                .args(["--os", os, "--strip", ""])
                .arg("--prefix")
                .arg(prefix)
                .arg("--target-dir")
                .arg(ctest_dir())
                .arg("--built")
                .arg(&fake),
        );
    };

    let win = fresh_dir("layout-windows");
    install("windows", &win);
    assert_eq!(
        std::fs::read(win.join("bin/sockhelp.dll")).unwrap(),
        b"sockhelp.dll"
    );
    assert!(win.join("lib/libsockhelp.dll.a").is_file());
    assert!(win.join("lib/libsockhelp.a").is_file());
    let config =
        std::fs::read_to_string(win.join("lib/cmake/sockhelp/sockhelpConfig.cmake")).unwrap();
    assert!(
        config.contains("set(_sockhelp_shared \"${_sockhelp_prefix}/bin/sockhelp.dll\")"),
        "{}",
        config
    );
    assert!(
        config.contains("set(_sockhelp_implib \"lib/libsockhelp.dll.a\")"),
        "{}",
        config
    );
    let pc = std::fs::read_to_string(win.join("lib/pkgconfig/sockhelp-static.pc")).unwrap();
    assert!(pc.contains("-lws2_32"), "{}", pc);

    let mac = fresh_dir("layout-macos");
    install("darwin", &mac);
    let lib = mac.join("lib");
    let real = format!("libsockhelp.{}.dylib", version);
    let compat = format!("libsockhelp.{}.dylib", abi);
    assert!(lib.join(&real).is_file());
    assert_eq!(
        std::fs::read_link(lib.join(&compat)).unwrap(),
        PathBuf::from(&real)
    );
    assert_eq!(
        std::fs::read_link(lib.join("libsockhelp.dylib")).unwrap(),
        PathBuf::from(&compat)
    );
    let ran = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        ran.trim(),
        format!(
            "-id {} {}",
            lib.join(&compat).display(),
            lib.join(&real).display()
        )
    );

    let bsd = fresh_dir("layout-freebsd");
    install("freebsd", &bsd);
    assert!(bsd.join("libdata/pkgconfig/sockhelp.pc").is_file());
    assert!(bsd
        .join(format!("lib/libsockhelp.so.{}", version))
        .is_file());
    let out = build_step(
        "pkg-config from libdata/pkgconfig",
        Command::new("pkg-config")
            .env("PKG_CONFIG_PATH", bsd.join("libdata/pkgconfig"))
            .args(["--variable=libdir", "sockhelp"]),
    );
    let libdir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert_eq!(
        std::fs::canonicalize(libdir).unwrap(),
        std::fs::canonicalize(bsd.join("lib")).unwrap()
    );
}

/// scripts/release-check.sh (without the test suite, which is this run) passes: versions
/// agree across Cargo.toml, Cargo.lock, the header, the .pc files, the CMake version file,
/// the SONAME and the man pages; the CHANGELOG has the version.
#[test]
fn release_check_passes() {
    require_build_tools();
    let out = build_step(
        "scripts/release-check.sh --no-tests",
        Command::new("sh")
            .current_dir(root())
            .arg("scripts/release-check.sh")
            .arg("--no-tests")
            .env("TARGET_DIR", ctest_dir())
            .env("CARGO", env!("CARGO")),
    );
    assert!(text(&out).contains("ready to tag"), "{}", text(&out));
}

/// cargo-c's metadata installs what `make install` does: the committed header under its
/// own name (no subdirectory, not regenerated), the cffi declarations into
/// datadir/sockhelp (cargo-c's data subdirectory is the package's name), sockhelp.pc. (cargo-c itself is not built
/// here: it takes minutes; its default SONAME rule is build.rs's 0.MINOR / MAJOR.)
#[test]
fn cargo_c_metadata_matches_make_install() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let section = |name: &str| -> String {
        let head = format!("[{}]\n", name);
        let start = manifest
            .find(&head)
            .unwrap_or_else(|| panic!("Cargo.toml has no [{}]", name))
            + head.len();
        let end = manifest[start..]
            .find("\n[")
            .map_or(manifest.len(), |e| start + e);
        manifest[start..end].to_string()
    };
    let header = section("package.metadata.capi.header");
    assert!(header.contains("name = \"sockhelp\""), "{}", header);
    assert!(header.contains("subdirectory = false"), "{}", header);
    assert!(header.contains("generation = false"), "{}", header);
    let include = section("package.metadata.capi.install.include");
    assert!(
        include.contains("from = \"include/sockhelp.h\""),
        "{}",
        include
    );
    let data = section("package.metadata.capi.install.data");
    assert!(
        data.contains("from = \"include/sockhelp_cffi.h\", to = \"\""),
        "{}",
        data
    );
    assert!(!data.contains("subdirectory"), "{}", data);
    let pc = section("package.metadata.capi.pkg_config");
    assert!(pc.contains("filename = \"sockhelp\""), "{}", pc);
    let library = section("package.metadata.capi.library");
    assert!(library.contains("name = \"sockhelp\""), "{}", library);
    assert!(
        !library.contains("version_suffix_components"),
        "{}",
        library
    );
}

// ---------------------------------------------------------------------------
// The committed header is the reference manual: it must be exactly what cbindgen makes of
// the sources now, and it must document every function.

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

// ---------------------------------------------------------------------------
// The lockfile stays buildable by Rust 1.63 (Debian 12's rustc, the Windows build's
// compiler).

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

//! Real servers for the protocol tests: PostgreSQL, Redis, mosquitto and nginx, each started
//! by the test itself as a child process in its own temporary directory, on a free loopback
//! port, and stopped by PID when the [`Server`] is dropped (also when the test panics).
//!
//! Never a system service, never a fixed port: a port is picked by binding port 0 and
//! releasing it; if the server then exits before it is ready (someone else took the port),
//! it is started again on another port. A server that cannot start at all panics with its
//! log: a failure, not a skip. `scripts/test.sh` installs the Debian packages when missing.
//!
//! Kept free of anything newer than Rust 1.63, and of `unsafe` (the uid change for
//! PostgreSQL, which refuses to run as root, is std's `CommandExt::uid`).

#![allow(dead_code)] // not every test uses every server

pub mod certs;
pub mod hostile;

use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long a server may take from start to accepting connections.
const START_LIMIT: Duration = Duration::from_secs(60);
/// How long a server may take to exit after its stop signal, before it is killed.
const STOP_LIMIT: Duration = Duration::from_secs(15);
/// Starts on a new port when a server exits before it is ready (a port taken meanwhile).
const PORT_ATTEMPTS: usize = 4;

/// A directory under the system's temporary directory, removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(what: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("sockhelp-{}-{}-{}", what, std::process::id(), n));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {}", path.display(), e));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A running server: its child process, port and directory. Dropping it stops the process
/// (its stop signal, then SIGKILL after [`STOP_LIMIT`]) and removes the directory.
pub struct Server {
    pub name: &'static str,
    pub port: u16,
    child: Child,
    log: PathBuf,
    stop_signal: &'static str,
    // Dropped after the process is stopped (fields drop after `Drop::drop`).
    dir: TempDir,
}

impl Server {
    /// The server's directory (its configuration, data and log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the server wrote to stdout and stderr so far.
    pub fn log(&self) -> String {
        read_log(&self.log)
    }

    /// The server's process id (to read its /proc status).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-s", self.stop_signal])
                .arg(self.child.id().to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let start = Instant::now();
            loop {
                match self.child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if start.elapsed() > STOP_LIMIT => {
                        let _ = self.child.kill();
                        let _ = self.child.wait();
                        break;
                    }
                    Ok(None) => thread::sleep(Duration::from_millis(20)),
                }
            }
        }
    }
}

/// A port nobody listens on right now: bind port 0 on 127.0.0.1, read it, release it.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    l.local_addr().expect("local address").port()
}

fn read_log(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("(no log at {}: {})", path.display(), e))
}

fn write_file(path: &Path, contents: &[u8]) {
    fs::File::create(path)
        .and_then(|mut f| f.write_all(contents))
        .unwrap_or_else(|e| panic!("cannot write {}: {}", path.display(), e));
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// uid and gid of the `nobody` account (65534 on Debian).
fn nobody() -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() > 3 && f[0] == "nobody" {
            if let (Ok(u), Ok(g)) = (f[2].parse(), f[3].parse()) {
                return (u, g);
            }
        }
    }
    (65534, 65534)
}

/// Finds `program` in PATH, then in `extra_dirs` (highest first).
fn find_program(program: &str, extra_dirs: &[PathBuf]) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain(extra_dirs.iter().cloned()) {
        let p = dir.join(program);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "{} not found in PATH or {:?}: run scripts/test.sh, which installs the server packages",
        program, extra_dirs
    );
}

/// Starts the server `make(port, attempt)` describes, on a fresh free port per attempt, and
/// waits until its log contains `ready` and its port accepts a connection. Panics with the
/// log when it cannot start.
fn start(
    name: &'static str,
    mut dir: TempDir,
    stop_signal: &'static str,
    ready: &str,
    make: &dyn Fn(u16) -> Command,
) -> Server {
    let mut failures = String::new();
    for attempt in 0..PORT_ATTEMPTS {
        let port = free_port();
        let log = dir.path().join(format!("{}-{}.log", name, attempt));
        let out = fs::File::create(&log).expect("the log file can be created");
        let err = out.try_clone().expect("the log file can be shared");
        let mut cmd = make(port);
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} ({:?}): {}", name, cmd, e));
        let mut server = Server {
            name,
            port,
            child,
            log,
            stop_signal,
            dir,
        };
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                failures.push_str(&format!(
                    "--- attempt {} on port {}: {} exited ({}) ---\n{}\n",
                    attempt,
                    port,
                    name,
                    status,
                    server.log()
                ));
                break;
            }
            if server.log().contains(ready)
                && TcpStream::connect(("127.0.0.1", port)).is_ok()
                && matches!(server.child.try_wait(), Ok(None))
            {
                return server;
            }
            if start.elapsed() > START_LIMIT {
                panic!(
                    "{} did not accept connections on 127.0.0.1:{} within {:?}; log:\n{}",
                    name,
                    port,
                    START_LIMIT,
                    server.log()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
        // The server exited: take the directory back for the next attempt.
        dir = take_dir(server);
    }
    panic!(
        "{} could not start in {} attempts:\n{}",
        name, PORT_ATTEMPTS, failures
    );
}

/// The directory of a server whose process has exited (the process is already reaped).
fn take_dir(server: Server) -> TempDir {
    let path = server.dir.path().to_path_buf();
    // Moving a field out of a Drop type is not allowed: swap in a placeholder that owns
    // nothing (the path is kept; the placeholder's drop removes nothing that exists).
    let mut server = server;
    let placeholder = TempDir {
        path: path.join("taken"),
    };
    std::mem::replace(&mut server.dir, placeholder)
}

/// PostgreSQL: `initdb` (trust authentication, superuser `sockhelp`) and `postgres` run
/// directly, listening on 127.0.0.1 only, its Unix socket in the temporary directory. Run
/// as `nobody` when the tests run as root (PostgreSQL refuses root). Database `postgres`.
pub fn postgres() -> Server {
    postgres_with(None)
}

/// PostgreSQL as [`postgres`], with `ssl=on` and `tls` as its `server.crt` / `server.key`
/// (copied into the data directory, mode 0600, owned by the server's user).
pub fn postgres_tls(tls: &certs::Pair) -> Server {
    postgres_with(Some(tls))
}

fn postgres_with(tls: Option<&certs::Pair>) -> Server {
    let mut versions: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    versions.sort_by_key(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    });
    let bins: Vec<PathBuf> = versions.iter().rev().map(|p| p.join("bin")).collect();
    let postgres = find_program("postgres", &bins);
    let initdb = postgres
        .parent()
        .map(|d| d.join("initdb"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| find_program("initdb", &bins));

    let dir = TempDir::new("postgres");
    let as_nobody = is_root();
    if as_nobody {
        let (uid, gid) = nobody();
        let st = Command::new("chown")
            .arg(format!("{}:{}", uid, gid))
            .arg(dir.path())
            .status()
            .expect("chown can be started");
        assert!(st.success(), "chown of {} failed", dir.path().display());
    }
    let user = move |cmd: &mut Command| {
        cmd.env("LC_ALL", "C").env("LANG", "C");
        if as_nobody {
            let (uid, gid) = nobody();
            cmd.uid(uid).gid(gid);
        }
    };

    let data = dir.path().join("data");
    let mut init = Command::new(&initdb);
    init.arg("-D")
        .arg(&data)
        .args([
            "-U",
            "sockhelp",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .current_dir(dir.path());
    user(&mut init);
    let out = init.output().expect("initdb can be started");
    assert!(
        out.status.success(),
        "initdb failed ({:?}):\n{}{}",
        init,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let mut tls_args: Vec<String> = Vec::new();
    if let Some(pair) = tls {
        for (from, to) in [(&pair.cert, "server.crt"), (&pair.key, "server.key")] {
            let dest = data.join(to);
            fs::copy(from, &dest)
                .unwrap_or_else(|e| panic!("copying {} to {}: {}", from.display(), to, e));
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&dest, fs::Permissions::from_mode(0o600))
                .expect("the key's mode can be set");
            if as_nobody {
                let (uid, gid) = nobody();
                let st = Command::new("chown")
                    .arg(format!("{}:{}", uid, gid))
                    .arg(&dest)
                    .status()
                    .expect("chown can be started");
                assert!(st.success(), "chown of {} failed", dest.display());
            }
        }
        tls_args.extend(["-c".to_string(), "ssl=on".to_string()]);
    }

    let sockets = dir.path().to_path_buf();
    start(
        "postgres",
        dir,
        "INT", // fast shutdown: ends the sessions, then exits
        "database system is ready to accept connections",
        &|port| {
            let mut cmd = Command::new(&postgres);
            cmd.arg("-D")
                .arg(&data)
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
                .arg(&sockets)
                .args([
                    "-c",
                    "fsync=off",
                    "-c",
                    "logging_collector=off",
                    "-c",
                    "dynamic_shared_memory_type=mmap",
                ])
                .args(&tls_args)
                .current_dir(&sockets);
            user(&mut cmd);
            cmd
        },
    )
}

/// Redis: no persistence, its directory the temporary one, listening on 127.0.0.1 only.
pub fn redis() -> Server {
    redis_with(None, &[])
}

/// Redis as [`redis`], with `extra` arguments after the others (`--maxclients 20000`).
pub fn redis_args(extra: &[&str]) -> Server {
    redis_with(None, extra)
}

/// Redis as [`redis`], with TLS only (`--port 0 --tls-port PORT`), `tls` its certificate,
/// clients not asked for certificates. Debian's redis-server is built with TLS.
pub fn redis_tls(tls: &certs::Pair) -> Server {
    redis_with(Some(tls), &[])
}

fn redis_with(tls: Option<&certs::Pair>, extra: &[&str]) -> Server {
    let redis = find_program("redis-server", &[]);
    let tls = tls.cloned();
    let dir = TempDir::new("redis");
    let d = dir.path().to_path_buf();
    start(
        "redis",
        dir,
        "TERM",
        "Ready to accept connections",
        &|port| {
            let mut cmd = Command::new(&redis);
            match &tls {
                None => cmd.args(["--port", &port.to_string()]),
                Some(pair) => cmd
                    .args(["--port", "0", "--tls-port", &port.to_string()])
                    .arg("--tls-cert-file")
                    .arg(&pair.cert)
                    .arg("--tls-key-file")
                    .arg(&pair.key)
                    .args(["--tls-auth-clients", "no"]),
            };
            cmd.args(["--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--dir"])
                .arg(&d)
                .args(["--logfile", "", "--daemonize", "no"])
                .args(extra)
                .current_dir(&d);
            cmd
        },
    )
}

/// mosquitto: one listener on 127.0.0.1, anonymous clients, no persistence, logging to
/// stderr (the configuration file is in the temporary directory).
pub fn mosquitto() -> Server {
    mosquitto_with(None)
}

/// mosquitto as [`mosquitto`], its one listener TLS with `tls` (`certfile` / `keyfile`;
/// `cafile` the CA, clients not asked for certificates).
pub fn mosquitto_tls(tls: &certs::Pair, ca: &Path) -> Server {
    mosquitto_with(Some((tls, ca)))
}

fn mosquitto_with(tls: Option<(&certs::Pair, &Path)>) -> Server {
    let mosquitto = find_program("mosquitto", &[PathBuf::from("/usr/sbin")]);
    let tls_conf = match tls {
        None => String::new(),
        // Run as root, mosquitto changes to its own user before it reads the key (mode 0600,
        // the test's): `user root` keeps it as it is (ignored when not root).
        Some((pair, ca)) => format!(
            "cafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate false\n{}",
            ca.display(),
            pair.cert.display(),
            pair.key.display(),
            if is_root() { "user root\n" } else { "" }
        ),
    };
    let dir = TempDir::new("mosquitto");
    let d = dir.path().to_path_buf();
    start("mosquitto", dir, "TERM", "running", &|port| {
        let conf = d.join("mosquitto.conf");
        write_file(
            &conf,
            format!(
                "listener {} 127.0.0.1\n\
                     allow_anonymous true\n\
                     persistence false\n\
                     log_dest stderr\n\
                     log_type all\n\
                     {}",
                port, tls_conf
            )
            .as_bytes(),
        );
        let mut cmd = Command::new(&mosquitto);
        cmd.arg("-c").arg(&conf).current_dir(&d);
        cmd
    })
}

/// nginx serving `files` (name, contents) from `www/` in the temporary directory on
/// 127.0.0.1: `/NAME` with a Content-Length, `/chunked/NAME` the same file with
/// `Transfer-Encoding: chunked` (the SSI filter, on for every type, drops the length, so
/// nginx streams the body in chunks; the files must not contain SSI commands `<!--#`).
/// Everything nginx writes (error log, pid, temporary files) stays in the directory.
pub fn nginx(files: &[(&str, &[u8])]) -> Server {
    nginx_with(files, None)
}

/// nginx as [`nginx`], its listener `ssl` with `tls` as certificate and key (TLS 1.2 and
/// 1.3).
pub fn nginx_tls(files: &[(&str, &[u8])], tls: &certs::Pair) -> Server {
    nginx_with(files, Some(tls))
}

fn nginx_with(files: &[(&str, &[u8])], tls: Option<&certs::Pair>) -> Server {
    let (ssl, ssl_conf) = match tls {
        None => ("", String::new()),
        Some(pair) => (
            " ssl",
            format!(
                "ssl_certificate {};\n ssl_certificate_key {};\n ssl_protocols TLSv1.2 TLSv1.3;\n",
                pair.cert.display(),
                pair.key.display()
            ),
        ),
    };
    let nginx = find_program("nginx", &[PathBuf::from("/usr/sbin")]);
    let dir = TempDir::new("nginx");
    let d = dir.path().to_path_buf();
    let www = d.join("www");
    fs::create_dir_all(&www).expect("www can be created");
    for (name, contents) in files {
        write_file(&www.join(name), contents);
    }
    start(
        "nginx",
        dir,
        "TERM", // fast shutdown
        "start worker process",
        &|port| {
            let conf = d.join("nginx.conf");
            let p = d.display();
            write_file(
                &conf,
                format!(
                    "worker_processes 1;\n\
                     error_log stderr notice;\n\
                     pid {p}/nginx.pid;\n\
                     events {{ worker_connections 64; }}\n\
                     http {{\n\
                       access_log off;\n\
                       client_body_temp_path {p}/tmp_body;\n\
                       proxy_temp_path {p}/tmp_proxy;\n\
                       fastcgi_temp_path {p}/tmp_fastcgi;\n\
                       uwsgi_temp_path {p}/tmp_uwsgi;\n\
                       scgi_temp_path {p}/tmp_scgi;\n\
                       default_type application/octet-stream;\n\
                       server {{\n\
                         listen 127.0.0.1:{port}{ssl};\n\
                         {ssl_conf}\
                         root {p}/www;\n\
                         location /chunked/ {{ alias {p}/www/; ssi on; ssi_types *; }}\n\
                       }}\n\
                     }}\n",
                    p = p,
                    port = port,
                    ssl = ssl,
                    ssl_conf = ssl_conf
                )
                .as_bytes(),
            );
            let mut cmd = Command::new(&nginx);
            cmd.arg("-p")
                .arg(&d)
                .arg("-c")
                .arg(&conf)
                .args(["-e", "stderr", "-g", "daemon off;"])
                .current_dir(&d);
            cmd
        },
    )
}

/// What an `openssl s_server` does with a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SServerMode {
    /// `-www`: answers `GET /` with a status page (its protocol and cipher among it).
    Www,
    /// `-rev`: sends every line back reversed.
    Rev,
}

/// `openssl s_server` on 127.0.0.1 with `tls` as certificate and key, only TLS 1.2 or 1.3
/// (`version` is 12 or 13), in `mode`; with `require_client_ca`, a client certificate
/// signed by that CA is required (`-Verify`).
pub fn s_server(
    tls: &certs::Pair,
    version: u8,
    mode: SServerMode,
    require_client_ca: Option<&Path>,
) -> Server {
    let openssl = find_program("openssl", &[]);
    let dir = TempDir::new("s_server");
    let d = dir.path().to_path_buf();
    let tls = tls.clone();
    let ca = require_client_ca.map(|p| p.to_path_buf());
    start("s_server", dir, "TERM", "ACCEPT", &|port| {
        let mut cmd = Command::new(&openssl);
        cmd.arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{}", port)])
            .arg("-cert")
            .arg(&tls.cert)
            .arg("-key")
            .arg(&tls.key)
            .arg(match version {
                12 => "-tls1_2",
                13 => "-tls1_3",
                v => panic!("s_server: TLS version {} is not 12 or 13", v),
            })
            .arg(match mode {
                SServerMode::Www => "-www",
                SServerMode::Rev => "-rev",
            })
            .current_dir(&d);
        if let Some(ca) = &ca {
            cmd.args(["-Verify", "2", "-verify_return_error", "-CAfile"])
                .arg(ca);
        }
        cmd
    })
}

//! Certificates for the TLS tests, made by the test itself with the `openssl` command line
//! tool into a temporary directory (never a key checked into the repository):
//!
//! - a CA (`ca.crt`, `ca.key`), and a second, unrelated CA (`other-ca.crt`) that trusts none
//!   of the leaves;
//! - `server`: a leaf the CA signed for `localhost` and `127.0.0.1` (subjectAltName), server
//!   authentication;
//! - `client`: a leaf the CA signed for client authentication (CN `sockhelp client`);
//! - `expired`: a leaf for `localhost` / `127.0.0.1` the CA signed, valid only in 2020;
//! - `wrong_name`: a leaf the CA signed for `other.example` only;
//! - `self_signed`: a leaf for `localhost` / `127.0.0.1` that signs itself.
//!
//! Keys are ECDSA P-256 (PKCS#8 PEM), mode 0600. `scripts/test.sh` installs `openssl` when
//! it is missing. Kept free of anything newer than Rust 1.63.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{write_file, TempDir};

/// A certificate and its key, as PEM files.
#[derive(Clone, Debug)]
pub struct Pair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Every certificate the TLS tests use, in one temporary directory (removed on drop).
pub struct Certs {
    pub ca: Pair,
    pub other_ca: Pair,
    pub server: Pair,
    pub client: Pair,
    pub expired: Pair,
    pub wrong_name: Pair,
    pub self_signed: Pair,
    dir: TempDir,
}

impl Certs {
    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run openssl ({}): run scripts/test.sh, which installs it",
                e
            )
        });
    assert!(
        out.status.success(),
        "openssl {:?} failed:\n{}{}",
        args,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn pair(dir: &Path, name: &str) -> Pair {
    Pair {
        cert: dir.join(format!("{}.crt", name)),
        key: dir.join(format!("{}.key", name)),
    }
}

fn private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .unwrap_or_else(|e| panic!("chmod 600 {}: {}", path.display(), e));
}

/// A self-signed CA certificate `name.crt` / `name.key`.
fn make_ca(dir: &Path, name: &str, cn: &str) -> Pair {
    let p = pair(dir, name);
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{}.key", name),
            "-out",
            &format!("{}.crt", name),
            "-days",
            "30",
            "-subj",
            &format!("/CN={}", cn),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-addext",
            "subjectKeyIdentifier=hash",
        ],
    );
    private(&p.key);
    p
}

/// A key and a certificate request `name.key` / `name.csr`, and the extensions file
/// `name.ext` (`ext` lines).
fn make_request(dir: &Path, name: &str, cn: &str, ext: &str) {
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{}.key", name),
            "-out",
            &format!("{}.csr", name),
            "-subj",
            &format!("/CN={}", cn),
        ],
    );
    private(&dir.join(format!("{}.key", name)));
    write_file(&dir.join(format!("{}.ext", name)), ext.as_bytes());
}

/// A leaf `name.crt` signed by `ca`, valid from now for 30 days.
fn make_leaf(dir: &Path, ca: &Pair, name: &str, cn: &str, ext: &str, serial: u32) -> Pair {
    make_request(dir, name, cn, ext);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{}.csr", name),
            "-CA",
            ca.cert.to_str().expect("UTF-8 path"),
            "-CAkey",
            ca.key.to_str().expect("UTF-8 path"),
            "-set_serial",
            &serial.to_string(),
            "-days",
            "30",
            "-extfile",
            &format!("{}.ext", name),
            "-out",
            &format!("{}.crt", name),
        ],
    );
    pair(dir, name)
}

/// A leaf signed by `ca` valid only during 2020 (`openssl ca`, which alone takes a start
/// and an end date, with a minimal configuration in `dir`).
fn make_expired(dir: &Path, ca: &Pair, name: &str, ext: &str) -> Pair {
    make_request(dir, name, "localhost", ext);
    let db = dir.join("ca-db");
    fs::create_dir_all(&db).expect("the CA database directory can be created");
    write_file(&db.join("index.txt"), b"");
    write_file(&db.join("serial"), b"1000\n");
    let conf = dir.join("ca.cnf");
    write_file(
        &conf,
        format!(
            "[ca]\ndefault_ca = test\n\
             [test]\n\
             dir = {db}\n\
             database = {db}/index.txt\n\
             serial = {db}/serial\n\
             new_certs_dir = {db}\n\
             default_md = sha256\n\
             policy = anything\n\
             unique_subject = no\n\
             copy_extensions = none\n\
             [anything]\n\
             commonName = supplied\n",
            db = db.display()
        )
        .as_bytes(),
    );
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-notext",
            "-config",
            conf.to_str().expect("UTF-8 path"),
            "-cert",
            ca.cert.to_str().expect("UTF-8 path"),
            "-keyfile",
            ca.key.to_str().expect("UTF-8 path"),
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200201000000Z",
            "-extfile",
            &format!("{}.ext", name),
            "-in",
            &format!("{}.csr", name),
            "-out",
            &format!("{}.crt", name),
        ],
    );
    pair(dir, name)
}

const SERVER_EXT: &str = "basicConstraints=critical,CA:FALSE\n\
     keyUsage=critical,digitalSignature\n\
     extendedKeyUsage=serverAuth\n\
     subjectAltName=DNS:localhost,IP:127.0.0.1\n";

/// Makes every certificate in a new temporary directory.
pub fn make() -> Certs {
    let dir = TempDir::new("certs");
    let d = dir.path().to_path_buf();
    let ca = make_ca(&d, "ca", "sockhelp test CA");
    let other_ca = make_ca(&d, "other-ca", "sockhelp unrelated CA");
    let server = make_leaf(&d, &ca, "server", "localhost", SERVER_EXT, 1);
    let client = make_leaf(
        &d,
        &ca,
        "client",
        "sockhelp client",
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=clientAuth\n",
        2,
    );
    let wrong_name = make_leaf(
        &d,
        &ca,
        "wrong-name",
        "other.example",
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName=DNS:other.example\n",
        3,
    );
    let expired = make_expired(&d, &ca, "expired", SERVER_EXT);
    // A self-signed leaf: not a CA, signs itself.
    let self_signed = pair(&d, "self-signed");
    openssl(
        &d,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "self-signed.key",
            "-out",
            "self-signed.crt",
            "-days",
            "30",
            "-subj",
            "/CN=localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ],
    );
    private(&self_signed.key);
    Certs {
        ca,
        other_ca,
        server,
        client,
        expired,
        wrong_name,
        self_signed,
        dir,
    }
}

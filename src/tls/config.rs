//! TLS configurations: what a client trusts and presents, what a server presents and asks
//! for. Built into rustls' configs on first use, then shared (an `Arc`) by every session
//! made from it, in any thread; the setters refuse (`Invalid`) once that happened.
//!
//! Secure by default: TLS 1.2 and 1.3 only, the `ring` provider's cipher suites, the
//! server's certificate chain and name always verified (unless `dangerous_no_verify`),
//! the system's roots unless the caller adds CAs of its own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::error::{Error, Result};

/// The protocol versions sockhelp speaks: TLS 1.3 and 1.2, nothing older.
static VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// A certificate chain and its private key.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    fn from_pem(chain: &[u8], key: &[u8]) -> Result<Identity> {
        let chain = certs_from_pem(chain)?;
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|_| Error::Invalid)?;
        Ok(Identity { chain, key })
    }

    fn from_files(chain: &str, key: &str) -> Result<Identity> {
        Identity::from_pem(&read_file(chain)?, &read_file(key)?)
    }

    fn clone_parts(&self) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        (self.chain.clone(), self.key.clone_key())
    }
}

/// Which side the configuration is for.
enum Side {
    Client {
        identity: Option<Identity>,
        no_verify: bool,
    },
    Server {
        identity: Identity,
        require_client_cert: bool,
    },
}

/// rustls' config, made once.
#[derive(Clone)]
pub(crate) enum Built {
    Client(Arc<ClientConfig>),
    Server(Arc<ServerConfig>),
}

/// A client or server configuration (see the module's doc).
pub struct TlsConfig {
    side: Side,
    /// A client's trust anchors (the system's when empty), a server's client-certificate CAs.
    cas: Vec<CertificateDer<'static>>,
    alpn: Vec<Vec<u8>>,
    /// rustls' config once built (a server's at creation, to check its key).
    built: Mutex<Option<Built>>,
    /// Set when a session is made from it: the setters refuse from then on.
    used: AtomicBool,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.side {
            Side::Client { .. } => "TlsConfig(client)",
            Side::Server { .. } => "TlsConfig(server)",
        })
    }
}

/// A file's bytes; an unreadable file is the OS error behind it.
fn read_file(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound,
        _ => Error::from_io(&e),
    })
}

/// Every certificate of a PEM text; none, or a malformed one, is `Invalid`.
fn certs_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| Error::Invalid)?;
    if certs.is_empty() {
        return Err(Error::Invalid);
    }
    Ok(certs)
}

/// The `ring` provider (rustls 0.23.48 deprecates its constructor for lacking post-quantum
/// key exchange, which only aws-lc-rs offers; sockhelp builds no C crypto beyond ring's),
/// its key exchange groups in the order X25519, P-256, P-384. Its own order puts P-384
/// first, the group a client sends its key share for: ring's P-384 arithmetic made 2/3 of
/// a full handshake's instructions (callgrind, BENCHMARKS.md) and halved the handshakes
/// per second against OpenSSL, which offers X25519 first. All three stay offered, so a
/// server that takes only P-384 still gets it (one more round trip).
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    use ring::kx_group::{SECP256R1, SECP384R1, X25519};
    let mut p = ring::default_provider();
    p.kx_groups = vec![X25519, SECP256R1, SECP384R1];
    Arc::new(p)
}

/// A rustls configuration error (a key that does not match its certificate, an unsupported
/// key type) is the caller's argument.
fn invalid(_: rustls::Error) -> Error {
    Error::Invalid
}

impl TlsConfig {
    fn new(side: Side) -> TlsConfig {
        TlsConfig {
            side,
            cas: Vec::new(),
            alpn: Vec::new(),
            built: Mutex::new(None),
            used: AtomicBool::new(false),
        }
    }

    /// A client configuration: the system's roots, name and chain verified.
    pub fn client() -> TlsConfig {
        TlsConfig::new(Side::Client {
            identity: None,
            no_verify: false,
        })
    }

    /// A server configuration presenting `chain` (leaf first) with `key`, both PEM.
    pub fn server_pem(chain: &[u8], key: &[u8]) -> Result<TlsConfig> {
        let identity = Identity::from_pem(chain, key)?;
        TlsConfig::checked_server(identity)
    }

    /// `server_pem` from files.
    pub fn server_files(chain: &str, key: &str) -> Result<TlsConfig> {
        TlsConfig::checked_server(Identity::from_files(chain, key)?)
    }

    /// A server config whose key is checked against its certificate now.
    fn checked_server(identity: Identity) -> Result<TlsConfig> {
        let c = TlsConfig::new(Side::Server {
            identity,
            require_client_cert: false,
        });
        c.build_server()?;
        Ok(c)
    }

    pub fn is_client(&self) -> bool {
        matches!(self.side, Side::Client { .. })
    }

    /// `Invalid` once a session used this configuration (it is shared from then on);
    /// otherwise the configuration, its built form forgotten (the change makes a new one).
    fn mutable(&mut self) -> Result<&mut TlsConfig> {
        if *self.used.get_mut() {
            return Err(Error::Invalid);
        }
        *self.built.get_mut().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(self)
    }

    /// Trusts the certificates of a PEM text (a client's roots instead of the system's; a
    /// server's client-certificate CAs).
    pub fn add_ca_pem(&mut self, pem: &[u8]) -> Result<()> {
        let certs = certs_from_pem(pem)?;
        // Each must parse as a trust anchor now, not at the first connection.
        let mut probe = RootCertStore::empty();
        for c in &certs {
            probe.add(c.clone()).map_err(invalid)?;
        }
        let me = self.mutable()?;
        me.cas.extend(certs);
        Ok(())
    }

    /// `add_ca_pem` from a file.
    pub fn add_ca_file(&mut self, path: &str) -> Result<()> {
        self.mutable()?;
        let pem = read_file(path)?;
        self.add_ca_pem(&pem)
    }

    /// A client certificate to present when the server asks for one. A key that does not
    /// match the certificate is refused now (`Invalid`), nothing changed.
    pub fn client_cert_files(&mut self, chain: &str, key: &str) -> Result<()> {
        let identity = Identity::from_files(chain, key)?;
        let me = self.mutable()?;
        let old = match &mut me.side {
            Side::Client { identity: id, .. } => id.replace(identity),
            Side::Server { .. } => return Err(Error::Invalid),
        };
        if let Err(e) = me.build() {
            if let Side::Client { identity, .. } = &mut me.side {
                *identity = old;
            }
            me.mutable()?;
            return Err(e);
        }
        Ok(())
    }

    /// A server that requires a client certificate issued by a CA of `ca_file`.
    pub fn require_client_cert_file(&mut self, ca_file: &str) -> Result<()> {
        if self.is_client() {
            return Err(Error::Invalid);
        }
        self.add_ca_file(ca_file)?;
        if let Side::Server {
            require_client_cert,
            ..
        } = &mut self.side
        {
            *require_client_cert = true;
        }
        Ok(())
    }

    /// The ALPN protocols offered (client) or accepted (server), in preference order; none
    /// clears them. Each is 1 to 255 bytes.
    pub fn set_alpn(&mut self, protocols: Vec<Vec<u8>>) -> Result<()> {
        if protocols.iter().any(|p| p.is_empty() || p.len() > 255) {
            return Err(Error::Invalid);
        }
        self.mutable()?.alpn = protocols;
        Ok(())
    }

    /// Turns off every check of the server's certificate (chain, name, dates): for tests.
    pub fn dangerous_no_verify(&mut self) -> Result<()> {
        match &mut self.mutable()?.side {
            Side::Client { no_verify, .. } => {
                *no_verify = true;
                Ok(())
            }
            Side::Server { .. } => Err(Error::Invalid),
        }
    }

    /// rustls' config, built on first use and shared from then on.
    pub(crate) fn build(&self) -> Result<Built> {
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = &*built {
            return Ok(b.clone());
        }
        let b = match &self.side {
            Side::Client { .. } => Built::Client(Arc::new(self.client_config()?)),
            Side::Server { .. } => Built::Server(Arc::new(self.server_config()?)),
        };
        *built = Some(b.clone());
        Ok(b)
    }

    fn build_server(&self) -> Result<()> {
        self.build().map(|_| ())
    }

    /// rustls' config for a new session: the configuration is frozen from now on.
    pub(crate) fn for_session(&self) -> Result<Built> {
        let b = self.build()?;
        self.used.store(true, Ordering::Release);
        Ok(b)
    }

    fn roots(&self) -> Result<RootCertStore> {
        let mut roots = RootCertStore::empty();
        if self.cas.is_empty() {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(Error::Cert);
            }
        } else {
            for c in &self.cas {
                roots.add(c.clone()).map_err(invalid)?;
            }
        }
        Ok(roots)
    }

    fn client_config(&self) -> Result<ClientConfig> {
        let (identity, no_verify) = match &self.side {
            Side::Client {
                identity,
                no_verify,
            } => (identity, *no_verify),
            Side::Server { .. } => return Err(Error::Invalid),
        };
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(VERSIONS)
            .map_err(invalid)?;
        let builder = if no_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerify(
                    provider.signature_verification_algorithms,
                )))
        } else {
            builder.with_root_certificates(self.roots()?)
        };
        let mut config = match identity {
            Some(id) => {
                let (chain, key) = id.clone_parts();
                builder.with_client_auth_cert(chain, key).map_err(invalid)?
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn.clone();
        Ok(config)
    }

    fn server_config(&self) -> Result<ServerConfig> {
        let (identity, require) = match &self.side {
            Side::Server {
                identity,
                require_client_cert,
            } => (identity, *require_client_cert),
            Side::Client { .. } => return Err(Error::Invalid),
        };
        let provider = provider();
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(VERSIONS)
            .map_err(invalid)?;
        let builder = if require {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(self.roots()?), provider)
                    .build()
                    .map_err(|_| Error::Invalid)?;
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let (chain, key) = identity.clone_parts();
        let mut config = builder.with_single_cert(chain, key).map_err(invalid)?;
        config.alpn_protocols = self.alpn.clone();
        Ok(config)
    }
}

/// The verifier of `dangerous_no_verify`: any certificate for any name, but the handshake's
/// signatures still checked (the session is encrypted, just not authenticated).
#[derive(Debug)]
struct NoVerify(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

//! TLS against the self-signed certificates of hcd, hcwallet and stakepoold (and of the
//! simulator, which makes the same kind).
//!
//! Those certificates are ECDSA P-521 (hcpool's stakepoold: P-256 by default, see
//! [`CertCurve`]) with `cA=TRUE` and sign themselves. The Go clients
//! pin them by loading the PEM file as their only root. rustls/webpki refuses a CA
//! certificate used as the end entity (`CaUsedAsEndEntity`), and the *ring* provider cannot
//! verify P-521, so pinning here means: the presented leaf must equal one of the pinned
//! certificates byte for byte, and the handshake signature is verified with the aws-lc-rs
//! provider (which knows P-521). The hostname is not checked: the byte-exact pin is
//! stronger, and the Go client's override name (`localhost`) would tell nothing anyway.

use std::path::Path;
use std::sync::Arc;

use crate::error::Error;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// The crypto provider used everywhere in this crate (aws-lc-rs: it signs and verifies P-521).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Reads every certificate of a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::TlsLoad {
            what: "certificate",
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(Error::NoCertificate(path.display().to_string()));
    }
    Ok(certs)
}

/// Parses every certificate of PEM text.
pub fn parse_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::TlsLoad {
            what: "certificate",
            path: "<memory>".into(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(Error::NoCertificate("<memory>".into()));
    }
    Ok(certs)
}

/// Reads a private key (PKCS#8, SEC1 or PKCS#1) from PEM text. The error never shows the key.
pub fn parse_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, Error> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|_| Error::TlsLoad {
        what: "key",
        path: "<memory>".into(),
        reason: "no usable private key".into(),
    })
}

/// Accepts exactly the pinned certificates (see the module docs); the handshake signature
/// is still verified, so the server must hold the pinned certificate's key.
#[derive(Debug)]
pub struct PinnedCertVerifier {
    pinned: Vec<CertificateDer<'static>>,
    /// When set, the certificate must also name this host in a SAN (as Go's check does).
    hostname: Option<String>,
    provider: Arc<CryptoProvider>,
}

impl PinnedCertVerifier {
    /// A verifier that accepts a server whose leaf is one of `pinned`.
    pub fn new(pinned: Vec<CertificateDer<'static>>) -> Self {
        PinnedCertVerifier {
            pinned,
            hostname: None,
            provider: provider(),
        }
    }

    /// Also require the leaf's SANs to include `hostname`.
    pub fn with_hostname(mut self, hostname: Option<String>) -> Self {
        self.hostname = hostname;
        self
    }
}

impl ServerCertVerifier for PinnedCertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if !self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ));
        }
        if let Some(host) = &self.hostname {
            let name = ServerName::try_from(host.as_str())
                .map_err(|_| rustls::Error::General(format!("bad host name {host:?}")))?;
            webpki::EndEntityCert::try_from(end_entity)
                .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?
                .verify_is_valid_for_subject_name(&name)
                .map_err(|_| {
                    rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
                })?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client configuration that trusts exactly `pinned`, advertising `alpn` (e.g. `h2`).
pub fn client_config(
    pinned: Vec<CertificateDer<'static>>,
    alpn: &[&[u8]],
) -> Result<rustls::ClientConfig, Error> {
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedCertVerifier::new(pinned)))
        .with_no_client_auth();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(cfg)
}

/// A client configuration that trusts exactly `pinned` and presents `identity` (a
/// certificate chain and its key) when the server asks for a client certificate.
pub fn client_config_with_identity(
    pinned: Vec<CertificateDer<'static>>,
    alpn: &[&[u8]],
    identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Result<rustls::ClientConfig, Error> {
    let Some((certs, key)) = identity else {
        return client_config(pinned, alpn);
    };
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedCertVerifier::new(pinned)))
        .with_client_auth_cert(certs, key)?;
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(cfg)
}

/// A server configuration presenting `certs` with `key`, offering `alpn`.
pub fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    alpn: &[&[u8]],
) -> Result<rustls::ServerConfig, Error> {
    server_config_with_client_auth(certs, key, alpn, None)
}

/// A server configuration presenting `certs` with `key`, offering `alpn`, and, with
/// `clients`, requiring every client to present a certificate that `clients` accepts.
pub fn server_config_with_client_auth(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    alpn: &[&[u8]],
    clients: Option<Arc<ClientCertPinner>>,
) -> Result<rustls::ServerConfig, Error> {
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?;
    let builder = match clients {
        Some(v) => builder.with_client_cert_verifier(v),
        None => builder.with_no_client_auth(),
    };
    let mut cfg = builder.with_single_cert(certs, key)?;
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(cfg)
}

/// Verifies client certificates against a trusted set (stakepoold's `clientcafile`): a
/// client certificate is accepted when it equals one of the trusted certificates byte for
/// byte (a pinned self-signed client certificate, such as the one hcpool-web generates), or
/// when it chains to one of them as a CA (webpki, client-auth usage, validity dates). A
/// client without a certificate is refused. The handshake signature is always verified, so
/// the client must hold the certificate's key.
#[derive(Debug)]
pub struct ClientCertPinner {
    pinned: Vec<CertificateDer<'static>>,
    /// The CA path; `None` when no trusted certificate can serve as a trust anchor.
    chained: Option<Arc<dyn ClientCertVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ClientCertPinner {
    /// A verifier trusting `trusted` (pinned certificates and/or CA certificates).
    ///
    /// # Errors
    /// [`Error::NoCertificate`] when `trusted` is empty.
    pub fn new(trusted: Vec<CertificateDer<'static>>) -> Result<Self, Error> {
        if trusted.is_empty() {
            return Err(Error::NoCertificate("the client CA file".into()));
        }
        let provider = provider();
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(trusted.iter().cloned());
        let chained = if roots.is_empty() {
            None
        } else {
            rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                Arc::clone(&provider),
            )
            .build()
            .ok()
        };
        Ok(ClientCertPinner {
            pinned: trusted,
            chained,
            provider,
        })
    }

    /// A verifier trusting every certificate of the PEM file `path`.
    ///
    /// # Errors
    /// The file cannot be read or holds no certificate.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        Self::new(load_certs(path)?)
    }
}

impl ClientCertVerifier for ClientCertPinner {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No hints: a client presents the certificate it has; pinned self-signed
        // certificates would not match a CA-name hint anyway.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            return Ok(ClientCertVerified::assertion());
        }
        match &self.chained {
            Some(v) => v.verify_client_cert(end_entity, intermediates, now),
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A generated self-signed certificate and its key, both PEM.
#[derive(Clone)]
pub struct SelfSignedCert {
    /// The certificate (PEM).
    pub cert_pem: String,
    /// The private key (PKCS#8 PEM). Never logged.
    pub key_pem: String,
}

impl std::fmt::Debug for SelfSignedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelfSignedCert")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"***")
            .finish()
    }
}

/// The curve of a generated server certificate.
///
/// hcd, hcwallet and the original stakepoold make P-521 certificates
/// (`hcutil.NewTLSCertPair`). hcpool's stakepoold generates P-256 by default: grpcio's TLS
/// stack (BoringSSL, used by Python and many other gRPC clients) does not offer
/// `ecdsa_secp521r1_sha512`, so its handshake fails against a P-521 certificate. Both are
/// accepted by this crate's clients (aws-lc-rs verifies either).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CertCurve {
    /// NIST P-256 with ECDSA-SHA256 (stakepoold's default).
    #[default]
    P256,
    /// NIST P-521 with ECDSA-SHA512 (the original's; `tlscurve=P-521`).
    P521,
}

impl CertCurve {
    /// The name as written in a configuration file (`P-256`, `P-521`).
    pub fn name(self) -> &'static str {
        match self {
            CertCurve::P256 => "P-256",
            CertCurve::P521 => "P-521",
        }
    }

    fn algorithm(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            CertCurve::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            CertCurve::P521 => &rcgen::PKCS_ECDSA_P521_SHA512,
        }
    }
}

impl std::fmt::Display for CertCurve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CertCurve {
    type Err = String;

    /// `P-256`/`P256`/`prime256v1`/`secp256r1` or `P-521`/`P521`/`secp521r1`, any case.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "p-256" | "p256" | "prime256v1" | "secp256r1" => Ok(CertCurve::P256),
            "p-521" | "p521" | "secp521r1" => Ok(CertCurve::P521),
            other => Err(format!(
                "unknown TLS curve {:?}: use P-256 or P-521",
                hcpool_core::util::truncate(other, 40)
            )),
        }
    }
}

/// Makes a certificate like `hcutil.NewTLSCertPair`'s: ECDSA P-521, self-signed, `cA=TRUE`,
/// key usage digital signature + key encipherment + cert sign, SANs `localhost`,
/// `127.0.0.1`, `::1` plus `extra_hosts`, valid until 2049-12-31.
pub fn generate_self_signed(
    organization: &str,
    extra_hosts: &[String],
) -> Result<SelfSignedCert, rcgen::Error> {
    generate_self_signed_on(CertCurve::P521, organization, extra_hosts)
}

/// As [`generate_self_signed`], on `curve`.
pub fn generate_self_signed_on(
    curve: CertCurve,
    organization: &str,
    extra_hosts: &[String],
) -> Result<SelfSignedCert, rcgen::Error> {
    let key = rcgen::KeyPair::generate_for(curve.algorithm())?;
    let mut sans = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    sans.extend(extra_hosts.iter().cloned());
    let mut params = rcgen::CertificateParams::new(sans)?;
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, organization);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let cert = params.self_signed(&key)?;
    Ok(SelfSignedCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Makes a self-signed TLS client certificate (ECDSA P-256, not a CA, extended key usage
/// client auth, valid until 2049-12-31) named `common_name`: what hcpool-web presents to
/// stakepoold, which pins it through its `clientcafile`.
pub fn generate_client_cert(common_name: &str) -> Result<SelfSignedCert, rcgen::Error> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "hcpool client cert");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let cert = params.self_signed(&key)?;
    Ok(SelfSignedCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Loads a client certificate and key, generating both first ([`generate_client_cert`],
/// mode 0600) when the key file is missing. The directories must exist.
pub fn load_or_generate_client(
    cert_path: &Path,
    key_path: &Path,
    common_name: &str,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Error> {
    if !key_path.exists() {
        let err = |what: &'static str, path: &Path, e: &dyn std::fmt::Display| Error::TlsLoad {
            what,
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let c = generate_client_cert(common_name).map_err(|e| err("certificate", cert_path, &e))?;
        write_private(cert_path, c.cert_pem.as_bytes())
            .map_err(|e| err("certificate", cert_path, &e))?;
        write_private(key_path, c.key_pem.as_bytes()).map_err(|e| err("key", key_path, &e))?;
    }
    load_identity(cert_path, key_path)
}

/// Loads a certificate chain and its private key from PEM files (the error never shows
/// the key).
pub fn load_identity(
    cert_path: &Path,
    key_path: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Error> {
    let certs = load_certs(cert_path)?;
    let key_pem = std::fs::read(key_path).map_err(|e| Error::TlsLoad {
        what: "key",
        path: key_path.display().to_string(),
        reason: e.to_string(),
    })?;
    let key = parse_key(&key_pem).map_err(|_| Error::TlsLoad {
        what: "key",
        path: key_path.display().to_string(),
        reason: "no usable private key".into(),
    })?;
    Ok((certs, key))
}

/// Loads `cert_path`/`key_path`, generating both first when the key file is missing (as
/// hcd, hcwallet and stakepoold do on first start; P-521, as theirs). New files are written
/// with mode 0600.
pub fn load_or_generate(
    cert_path: &Path,
    key_path: &Path,
    organization: &str,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Error> {
    load_or_generate_on(cert_path, key_path, organization, CertCurve::P521)
}

/// As [`load_or_generate`], generating on `curve`. Existing files are loaded whatever their
/// curve.
pub fn load_or_generate_on(
    cert_path: &Path,
    key_path: &Path,
    organization: &str,
    curve: CertCurve,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Error> {
    let load_err = |what: &'static str, path: &Path, e: &dyn std::fmt::Display| Error::TlsLoad {
        what,
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    if !key_path.exists() {
        let c = generate_self_signed_on(curve, organization, &[])
            .map_err(|e| load_err("certificate", cert_path, &e))?;
        write_private(cert_path, c.cert_pem.as_bytes())
            .map_err(|e| load_err("certificate", cert_path, &e))?;
        write_private(key_path, c.key_pem.as_bytes()).map_err(|e| load_err("key", key_path, &e))?;
    }
    let certs = load_certs(cert_path)?;
    let key_pem = std::fs::read(key_path).map_err(|e| load_err("key", key_path, &e))?;
    let key =
        parse_key(&key_pem).map_err(|_| load_err("key", key_path, &"no usable private key"))?;
    Ok((certs, key))
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_cert_is_p521_ca_and_reloads() {
        let dir = std::env::temp_dir().join(format!("hcpool-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = (dir.join("rpc.cert"), dir.join("rpc.key"));
        let _ = std::fs::remove_file(&key);
        let (c1, _) = load_or_generate(&cert, &key, "test").unwrap();
        let (c2, k2) = load_or_generate(&cert, &key, "test").unwrap();
        assert_eq!(c1, c2, "an existing key is reused, not regenerated");
        // secp521r1 OID 1.3.132.0.35 and basicConstraints cA=TRUE appear in the DER.
        let der = c1[0].as_ref();
        let has = |needle: &[u8]| der.windows(needle.len()).any(|w| w == needle);
        assert!(
            has(&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23]),
            "P-521 curve"
        );
        assert!(has(&[0x30, 0x03, 0x01, 0x01, 0xff]), "cA=TRUE");
        assert!(server_config(c2, k2, &[b"h2"]).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_curve_is_chosen_and_parsed() {
        let has = |der: &[u8], needle: &[u8]| der.windows(needle.len()).any(|w| w == needle);
        const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        const P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
        for (curve, oid, other) in [(CertCurve::P256, P256, P521), (CertCurve::P521, P521, P256)] {
            let c = generate_self_signed_on(curve, "t", &[]).unwrap();
            let der = parse_certs(c.cert_pem.as_bytes()).unwrap().remove(0);
            assert!(has(der.as_ref(), oid), "{curve}");
            assert!(!has(der.as_ref(), other), "{curve}");
            let key = parse_key(c.key_pem.as_bytes()).unwrap();
            assert!(server_config(vec![der], key, &[b"h2"]).is_ok());
        }
        assert_eq!(CertCurve::default(), CertCurve::P256);
        assert_eq!("p-521".parse::<CertCurve>(), Ok(CertCurve::P521));
        assert_eq!(" P256 ".parse::<CertCurve>(), Ok(CertCurve::P256));
        assert_eq!("secp521r1".parse::<CertCurve>(), Ok(CertCurve::P521));
        let e = "P-384".parse::<CertCurve>().unwrap_err();
        assert!(e.contains("use P-256 or P-521"), "{e}");
        assert_eq!(CertCurve::P521.to_string(), "P-521");
    }

    #[test]
    fn garbage_pem_is_an_error() {
        assert!(parse_certs(b"not a pem").is_err());
        assert!(parse_key(b"no key here").is_err());
        // A PEM block that is not a key parses, and rustls refuses it.
        let junk =
            parse_key(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").unwrap();
        let c = generate_self_signed("t", &[]).unwrap();
        let certs = parse_certs(c.cert_pem.as_bytes()).unwrap();
        assert!(server_config(certs, junk, &[]).is_err());
    }
}

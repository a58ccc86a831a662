//! TLS pinned to the server's own self-signed certificate.
//!
//! hcd, hcwallet and stakepoold generate an ECDSA **P-521** certificate with `cA=TRUE` that
//! signs itself (hcwallet-rpc.md §1.2). webpki refuses such a leaf (`CaUsedAsEndEntity`), so
//! normal root-store verification cannot be used. [`PinnedCertVerifier`] instead accepts
//! exactly the certificates of the configured file (DER compared byte for byte) and still
//! verifies the handshake signature with the crypto provider's algorithms, so a server must
//! hold the private key of the pinned certificate.
//!
//! Provider choice: rustls' *ring* provider has no P-521 verification algorithm; the
//! *aws-lc-rs* provider (used here) verifies ECDSA P-256, P-384 and P-521 (with SHA-256/384/512)
//! as well as RSA and Ed25519, so every `--tlscurve` hcwallet offers except P-224 works. P-224
//! is supported by neither provider.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::{Error, Result};
use crate::jsonrpc::config::PinnedCert;

/// Reads the certificates of a pinned PEM file or text; fails when there is none.
pub fn load_pinned(cert: &PinnedCert) -> Result<Vec<CertificateDer<'static>>> {
    let (label, pem) = match cert {
        PinnedCert::File(path) => {
            let text = std::fs::read(path).map_err(|e| Error::Certificate {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            (path.display().to_string(), text)
        }
        PinnedCert::Pem(text) => ("<inline PEM>".to_owned(), text.clone().into_bytes()),
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Certificate {
            path: label.clone(),
            reason: format!("bad PEM: {e}"),
        })?;
    if certs.is_empty() {
        return Err(Error::Certificate {
            path: label,
            reason: "no CERTIFICATE block".to_owned(),
        });
    }
    Ok(certs)
}

/// The aws-lc-rs provider (P-521 capable).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Accepts exactly the pinned certificates; verifies handshake signatures normally.
#[derive(Debug)]
pub struct PinnedCertVerifier {
    pinned: Vec<CertificateDer<'static>>,
    /// When set, the certificate must also name this host in a SAN (as Go's check does).
    hostname: Option<String>,
    provider: Arc<CryptoProvider>,
}

impl PinnedCertVerifier {
    /// A verifier for `pinned`; with `hostname` the leaf's SANs must include it.
    pub fn new(pinned: Vec<CertificateDer<'static>>, hostname: Option<String>) -> Self {
        PinnedCertVerifier {
            pinned,
            hostname,
            provider: provider(),
        }
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
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if !self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            return Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ));
        }
        if let Some(host) = &self.hostname {
            let name = ServerName::try_from(host.as_str())
                .map_err(|_| rustls::Error::General(format!("bad host name {host:?}")))?;
            let cert = webpki_cert(end_entity)?;
            cert.verify_is_valid_for_subject_name(&name).map_err(|_| {
                rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
            })?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
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
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
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

fn webpki_cert<'a>(
    der: &'a CertificateDer<'a>,
) -> std::result::Result<webpki::EndEntityCert<'a>, rustls::Error> {
    webpki::EndEntityCert::try_from(der)
        .map_err(|_| rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding))
}

/// A rustls client config that trusts only `pinned` (TLS 1.2 and 1.3, as hcrpcclient's
/// websocket dial with `MinVersion = TLS 1.2`).
pub fn client_config(
    pinned: Vec<CertificateDer<'static>>,
    hostname: Option<String>,
) -> Result<Arc<rustls::ClientConfig>> {
    let verifier = Arc::new(PinnedCertVerifier::new(pinned, hostname));
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::Config(format!("tls: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The SNI name to send: the host name, or an IP address (which sends no SNI).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(host.to_owned())
        .map_err(|_| Error::Config(format!("wallethost: {host:?} is not a host name or IP")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_pem_is_refused() {
        let err = load_pinned(&PinnedCert::Pem("not a cert".into())).unwrap_err();
        assert!(matches!(err, Error::Certificate { .. }), "{err}");
    }

    #[test]
    fn aws_lc_provider_verifies_p521() {
        let schemes = PinnedCertVerifier::new(vec![], None).supported_verify_schemes();
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }
}

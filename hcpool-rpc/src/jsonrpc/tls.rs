//! TLS pinned to the server's own self-signed certificate, for the JSON-RPC client (the
//! verifier itself lives in [`crate::pinned_tls`], shared with the gRPC client).
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

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};

use crate::error::{Error, Result};
use crate::jsonrpc::config::PinnedCert;
pub use crate::pinned_tls::{provider, PinnedCertVerifier};

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

/// A rustls client config that trusts only `pinned` (TLS 1.2 and 1.3, as hcrpcclient's
/// websocket dial with `MinVersion = TLS 1.2`).
pub fn client_config(
    pinned: Vec<CertificateDer<'static>>,
    hostname: Option<String>,
) -> Result<Arc<rustls::ClientConfig>> {
    let verifier = Arc::new(PinnedCertVerifier::new(pinned).with_hostname(hostname));
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
        use rustls::client::danger::ServerCertVerifier;
        use rustls::SignatureScheme;
        let schemes = PinnedCertVerifier::new(vec![]).supported_verify_schemes();
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
    }
}

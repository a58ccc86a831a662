//! Fetching (over HTTP or HTTPS) and reading a pool's signed vote records
//! (`GET /api/v2/voterecords`, or the file the tickets page downloads) for
//! `hcpoolctl verify-votes`. Checking them is
//! hcpool-core's [`hcpool_core::voterecord::verify_record`], on [`crate::JsonRpcNode`].

use std::sync::Arc;

use hcpool_core::voterecord::SignedVoteRecord;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls_pki_types::{CertificateDer, ServerName};

use crate::error::{Error, Result};

/// Answers larger than this are refused.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A records document: what the pool says signed them, and the records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct RecordsDocument {
    /// The public key the pool says signed them (verification uses the pinned key).
    #[serde(default)]
    pub pubkey: Option<String>,
    /// The user's ticket address.
    #[serde(default)]
    pub ticket_address: Option<String>,
    /// The records.
    pub records: Vec<SignedVoteRecord>,
}

/// Reads a records document: the downloaded file (`{"pubkey":…,"records":[…]}`) or the
/// whole API answer (`{"status":"success",…,"data":{…}}`).
///
/// # Errors
/// [`Error::BadReply`] when the text is neither, or the API answered an error.
pub fn parse_document(text: &str) -> Result<RecordsDocument> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let doc = match v.get("status") {
        Some(status) if status != "success" => {
            let msg = v.get("message").and_then(|m| m.as_str()).unwrap_or("");
            return Err(bad(format!("the pool answered an error: {msg}")));
        }
        Some(_) => v.get("data").cloned().unwrap_or(serde_json::Value::Null),
        None => v,
    };
    serde_json::from_value(doc).map_err(|e| bad(e.to_string()))
}

fn bad(detail: String) -> Error {
    Error::BadReply {
        method: "voterecords".into(),
        detail,
    }
}

/// How [`fetch`] trusts an `https://` pool.
#[derive(Debug, Clone, Default)]
pub enum PoolTrust {
    /// The web PKI: a certificate chaining to Mozilla's root program (`webpki-roots`,
    /// compiled in), valid now and for the URL's host name.
    #[default]
    WebPki,
    /// Exactly these certificates (`--poolcert`: a pool with a self-signed certificate),
    /// compared byte for byte as the hcd/hcwallet pins are
    /// ([`crate::pinned_tls::PinnedCertVerifier`]); the host name is not checked, the
    /// server must still prove it holds the certificate's key.
    Pinned(Vec<CertificateDer<'static>>),
    /// These roots instead of the web PKI's (a private CA), with the host name checked.
    Roots(Vec<CertificateDer<'static>>),
}

impl PoolTrust {
    /// Pins the certificates of the PEM file `path` (`--poolcert`).
    ///
    /// # Errors
    /// [`Error::TlsLoad`] / [`Error::NoCertificate`] when the file cannot be read or holds
    /// no certificate.
    pub fn pinned_file(path: &std::path::Path) -> Result<Self> {
        Ok(PoolTrust::Pinned(crate::pinned_tls::load_certs(path)?))
    }

    fn client_config(&self) -> Result<rustls::ClientConfig> {
        let roots = |certs: &[CertificateDer<'static>]| {
            let mut store = rustls::RootCertStore::empty();
            store.add_parsable_certificates(certs.iter().cloned());
            store
        };
        let builder = rustls::ClientConfig::builder_with_provider(crate::pinned_tls::provider())
            .with_safe_default_protocol_versions()?;
        let mut cfg = match self {
            PoolTrust::WebPki => builder
                .with_root_certificates(rustls::RootCertStore::from_iter(
                    webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
                ))
                .with_no_client_auth(),
            PoolTrust::Roots(certs) => builder
                .with_root_certificates(roots(certs))
                .with_no_client_auth(),
            PoolTrust::Pinned(certs) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(
                    crate::pinned_tls::PinnedCertVerifier::new(certs.clone()),
                ))
                .with_no_client_auth(),
        };
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(cfg)
    }
}

/// A pool URL taken apart: `http[s]://host[:port][/base]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PoolUrl {
    tls: bool,
    /// The `Host` header: the URL's host and port as written.
    authority: String,
    /// The host alone (brackets removed from an IPv6 address): TLS name and SNI.
    host: String,
    /// `host:port` to connect to.
    addr: String,
    /// The path before `/api/v2/voterecords`, without a trailing `/`.
    base: String,
}

fn parse_url(pool: &str) -> Result<PoolUrl> {
    let bad = |why: &str| Error::Config(format!("--pool {pool:?}: {why}"));
    let (tls, rest) = if let Some(r) = pool.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = pool.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(bad("give an http:// or https:// URL"));
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, base) = match rest.split_once('/') {
        Some((h, p)) => (h, format!("/{}", p.trim_end_matches('/'))),
        None => (rest, String::new()),
    };
    let base = base.trim_end_matches('/').to_owned();
    if authority.contains('@') {
        return Err(bad(
            "a URL with credentials is not taken; give the token with --token",
        ));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
        match after {
            "" => (h, None),
            p => (h, Some(p.strip_prefix(':').ok_or_else(|| bad("bad port"))?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let port: u16 = match port {
        Some(p) => p.parse().map_err(|_| bad("bad port"))?,
        None if tls => 443,
        None => 80,
    };
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    Ok(PoolUrl {
        tls,
        authority: authority.to_owned(),
        host: host.to_owned(),
        addr,
        base,
    })
}

/// Why a TLS handshake failed, in words a user can act on.
fn handshake_error(url: &PoolUrl, trust: &PoolTrust, e: std::io::Error) -> Error {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let reason = match (tls, trust) {
        (Some(rustls::Error::InvalidCertificate(_)), PoolTrust::Pinned(_)) => {
            "the pool's certificate is not the one pinned with --poolcert".to_owned()
        }
        (Some(err @ rustls::Error::InvalidCertificate(_)), _) => format!(
            "the pool's certificate is not trusted ({err}); for a pool with a self-signed \
             certificate, pin it with --poolcert FILE"
        ),
        _ => e.to_string(),
    };
    Error::io(format!("TLS handshake with {}: {reason}", url.addr), e)
}

/// `GET <pool>/api/v2/voterecords` with the user's API token. `pool` is
/// `http://host[:port][/base]` or `https://host[:port][/base]`; an `https` pool's
/// certificate is checked as `trust` says (unused for `http`). Redirects are not followed
/// (the token would go wherever the pool points): a redirect is an error naming its
/// target. Answers larger than 64 MiB are refused.
///
/// # Errors
/// [`Error::Config`] for a URL this client cannot fetch; [`Error::Io`] when connecting or
/// the TLS handshake fails (the message says why: a certificate that is not the pinned
/// one, or not trusted); [`Error::Http`] when the request fails or the body is too large;
/// [`Error::HttpStatus`] for a redirect or an error status without a records document;
/// [`Error::BadReply`] for an answer that is not records.
pub async fn fetch(pool: &str, token: &str, trust: &PoolTrust) -> Result<RecordsDocument> {
    fetch_limited(pool, token, trust, MAX_BODY).await
}

async fn fetch_limited(
    pool: &str,
    token: &str,
    trust: &PoolTrust,
    max_body: usize,
) -> Result<RecordsDocument> {
    let url = parse_url(pool)?;
    let stream = tokio::net::TcpStream::connect(&url.addr)
        .await
        .map_err(|source| Error::Io {
            context: format!("connecting to {}", url.addr),
            source,
        })?;
    let request = hyper::Request::get(format!("{}/api/v2/voterecords", url.base))
        .header("Host", url.authority.as_str())
        .header("Connection", "close")
        .header("Authorization", format!("Bearer {token}"))
        .body(Empty::<Bytes>::new())
        .map_err(|_| Error::Config("the token or the URL has invalid characters".into()))?;
    let (status, location, body) = if url.tls {
        let name = ServerName::try_from(url.host.clone())
            .map_err(|_| Error::Config(format!("--pool: {:?} is not a host name", url.host)))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(trust.client_config()?))
            .connect(name, stream)
            .await
            .map_err(|e| handshake_error(&url, trust, e))?;
        send(tls, request, max_body).await?
    } else {
        send(stream, request, max_body).await?
    };
    let text = String::from_utf8_lossy(&body);
    if (300..400).contains(&status) {
        return Err(Error::HttpStatus {
            status,
            body: format!(
                "the pool redirects to {:?}; redirects are not followed (the token would go \
                 along): give that URL as --pool",
                location.unwrap_or_default()
            ),
        });
    }
    match parse_document(&text) {
        Err(_) if !(200..300).contains(&status) => Err(Error::HttpStatus {
            status,
            body: hcpool_core::util::truncate(&text, 200),
        }),
        other => other,
    }
}

/// Sends `request` on `io` (HTTP/1.1): the status, the `Location` header and the body (at
/// most `max_body` bytes).
async fn send<T>(
    io: T,
    request: hyper::Request<Empty<Bytes>>,
    max_body: usize,
) -> Result<(u16, Option<String>, Bytes)>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| Error::Http(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| Error::Http(format!("voterecords: {e}")))?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("Location")
        .and_then(|l| l.to_str().ok())
        .map(|l| hcpool_core::util::truncate(l, 200));
    let body = http_body_util::Limited::new(response.into_body(), max_body)
        .collect()
        .await
        .map_err(|e| Error::Http(format!("voterecords: reading body: {e}")))?
        .to_bytes();
    Ok((status, location, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_file_and_the_api_answer() {
        let file = r#"{"scheme":"hcpool vote record v1","pubkey":"02aa","ticket_address":"S1","records":[]}"#;
        let d = parse_document(file).unwrap();
        assert_eq!(d.pubkey.as_deref(), Some("02aa"));
        let api = format!(r#"{{"status":"success","code":0,"message":"ok","data":{file}}}"#);
        assert_eq!(parse_document(&api).unwrap(), d);
        let err = r#"{"status":"error","code":16,"message":"voterecords error - invalid api token","data":null}"#;
        assert!(parse_document(err)
            .unwrap_err()
            .to_string()
            .contains("invalid api token"));
        assert!(parse_document("nope").is_err());
    }
}

/// `fetch` against local servers: plain HTTP, TLS with a pinned self-signed certificate or a
/// private CA, a wrong certificate, a redirect, an oversized body.
#[cfg(test)]
mod fetch_tests {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};

    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

    use super::*;
    use crate::pinned_tls::{generate_self_signed, parse_certs, parse_key, server_config};

    const DOC: &str = r#"{"status":"success","code":0,"message":"ok","data":{"scheme":"hcpool vote record v1","pubkey":"02aa","ticket_address":"TcS1","records":[]}}"#;

    /// What a server answers and what it saw.
    struct Server {
        addr: SocketAddr,
        /// Each request's first line and `Authorization` header.
        seen: Arc<Mutex<Vec<(String, String)>>>,
    }

    /// Serves `head` (status line and headers, without the blank line) and `body` to every
    /// connection on 127.0.0.1 (an ephemeral port), over TLS when `tls` is given.
    async fn serve(tls: Option<rustls::ServerConfig>, head: String, body: Vec<u8>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let acceptor = tls.map(|c| tokio_rustls::TlsAcceptor::from(Arc::new(c)));
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (head, body, log) = (head.clone(), body.clone(), log.clone());
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor {
                        Some(a) => {
                            if let Ok(s) = a.accept(tcp).await {
                                answer(s, &head, &body, &log).await;
                            }
                        }
                        None => answer(tcp, &head, &body, &log).await,
                    }
                });
            }
        });
        Server { addr, seen }
    }

    async fn answer<S: AsyncRead + AsyncWrite + Unpin>(
        mut s: S,
        head: &str,
        body: &[u8],
        log: &Mutex<Vec<(String, String)>>,
    ) {
        let mut req = Vec::new();
        let mut buf = [0u8; 1024];
        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => req.extend_from_slice(&buf[..n]),
            }
        }
        let text = String::from_utf8_lossy(&req).into_owned();
        let first = text.lines().next().unwrap_or("").to_owned();
        let auth = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("authorization: ")
                    .or(l.strip_prefix("Authorization: "))
            })
            .unwrap_or("")
            .to_owned();
        log.lock().unwrap().push((first, auth));
        let mut out = format!(
            "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body);
        let _ = s.write_all(&out).await;
        let _ = s.shutdown().await;
    }

    fn ok() -> String {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json".to_owned()
    }

    /// A self-signed certificate like hcd's (P-521, cA=TRUE), its PEM and server config.
    fn self_signed() -> (Vec<CertificateDer<'static>>, rustls::ServerConfig) {
        let c = generate_self_signed("hcpool test pool", &[]).unwrap();
        let certs = parse_certs(c.cert_pem.as_bytes()).unwrap();
        let key = parse_key(c.key_pem.as_bytes()).unwrap();
        let cfg = server_config(certs.clone(), key, &[b"http/1.1"]).unwrap();
        (certs, cfg)
    }

    /// A private CA and a `localhost` certificate it signed.
    fn private_ca() -> (CertificateDer<'static>, rustls::ServerConfig) {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        let cfg = server_config(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
            &[],
        )
        .unwrap();
        (CertificateDer::from(ca_cert.der().to_vec()), cfg)
    }

    fn err_text(r: Result<RecordsDocument>) -> String {
        match r {
            Ok(d) => panic!("expected an error, got {d:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[tokio::test]
    async fn plain_http_still_works() {
        let s = serve(None, ok(), DOC.as_bytes().to_vec()).await;
        let doc = fetch(&format!("http://{}/", s.addr), "tok", &PoolTrust::WebPki)
            .await
            .unwrap();
        assert_eq!(doc.ticket_address.as_deref(), Some("TcS1"));
        assert_eq!(
            s.seen.lock().unwrap().clone(),
            vec![(
                "GET /api/v2/voterecords HTTP/1.1".to_owned(),
                "Bearer tok".to_owned()
            )]
        );
    }

    #[tokio::test]
    async fn https_with_the_pinned_self_signed_certificate() {
        let (certs, cfg) = self_signed();
        let s = serve(Some(cfg), ok(), DOC.as_bytes().to_vec()).await;
        let url = format!("https://127.0.0.1:{}/pool/", s.addr.port());
        let doc = fetch(&url, "tok", &PoolTrust::Pinned(certs)).await.unwrap();
        assert_eq!(doc.pubkey.as_deref(), Some("02aa"));
        assert_eq!(
            s.seen.lock().unwrap().clone(),
            vec![(
                "GET /pool/api/v2/voterecords HTTP/1.1".to_owned(),
                "Bearer tok".to_owned()
            )]
        );
        // The same pin from a file (`--poolcert`).
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pool.pem");
        let c = generate_self_signed("another pool", &[]).unwrap();
        std::fs::write(&file, c.cert_pem).unwrap();
        let wrong = PoolTrust::pinned_file(&file).unwrap();
        // Another self-signed certificate: refused before any request is sent.
        let e = err_text(fetch(&url, "tok", &wrong).await);
        assert!(
            e.contains("not the one pinned with --poolcert"),
            "a clear error: {e}"
        );
        assert_eq!(s.seen.lock().unwrap().len(), 1, "the token was not sent");
        // Without a pin the web PKI refuses a self-signed certificate, and says what to do.
        let e = err_text(fetch(&url, "tok", &PoolTrust::WebPki).await);
        assert!(e.contains("not trusted") && e.contains("--poolcert"), "{e}");
        assert_eq!(s.seen.lock().unwrap().len(), 1);
        // A file without a certificate.
        std::fs::write(&file, "nothing here").unwrap();
        assert!(PoolTrust::pinned_file(&file).is_err());
    }

    #[tokio::test]
    async fn https_with_a_ca_checks_the_host_name() {
        let (ca, cfg) = private_ca();
        let s = serve(Some(cfg), ok(), DOC.as_bytes().to_vec()).await;
        let trust = PoolTrust::Roots(vec![ca]);
        let doc = fetch(&format!("https://localhost:{}", s.addr.port()), "t", &trust)
            .await
            .unwrap();
        assert_eq!(doc.ticket_address.as_deref(), Some("TcS1"));
        // The certificate names localhost, not 127.0.0.1.
        let e = err_text(fetch(&format!("https://127.0.0.1:{}", s.addr.port()), "t", &trust).await);
        assert!(
            e.contains("not trusted") && e.contains("not valid for name"),
            "{e}"
        );
        // Another CA's certificate is not trusted.
        let (other_ca, _) = private_ca();
        let e = err_text(
            fetch(
                &format!("https://localhost:{}", s.addr.port()),
                "t",
                &PoolTrust::Roots(vec![other_ca]),
            )
            .await,
        );
        assert!(e.contains("not trusted"), "{e}");
    }

    #[tokio::test]
    async fn redirects_are_not_followed_and_large_bodies_refused() {
        let (certs, cfg) = self_signed();
        let s = serve(
            Some(cfg),
            "HTTP/1.1 301 Moved Permanently\r\nLocation: https://elsewhere.example/".to_owned(),
            Vec::new(),
        )
        .await;
        let e = fetch(
            &format!("https://127.0.0.1:{}", s.addr.port()),
            "t",
            &PoolTrust::Pinned(certs),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, Error::HttpStatus { status: 301, .. }), "{e}");
        let e = e.to_string();
        assert!(
            e.contains("https://elsewhere.example/") && e.contains("not followed"),
            "{e}"
        );
        assert_eq!(
            s.seen.lock().unwrap().len(),
            1,
            "one request, no second one"
        );

        let big = format!(r#"{{"records":[],"pad":"{}"}}"#, "x".repeat(4096));
        let s = serve(None, ok(), big.clone().into_bytes()).await;
        let url = format!("http://{}", s.addr);
        let e = err_text(fetch_limited(&url, "t", &PoolTrust::WebPki, 1024).await);
        assert!(e.contains("reading body"), "{e}");
        assert!(fetch_limited(&url, "t", &PoolTrust::WebPki, 8192)
            .await
            .is_ok());

        // An error status with a body that is not records.
        let s = serve(
            None,
            "HTTP/1.1 502 Bad Gateway".to_owned(),
            b"<html>bad gateway</html>".to_vec(),
        )
        .await;
        let e = fetch(&format!("http://{}", s.addr), "t", &PoolTrust::WebPki)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::HttpStatus { status: 502, .. }), "{e}");
    }

    #[test]
    fn urls_are_taken_apart() {
        let u = parse_url("https://pool.example/sub/").unwrap();
        assert_eq!(
            (u.tls, u.addr.as_str(), u.host.as_str(), u.base.as_str()),
            (true, "pool.example:443", "pool.example", "/sub")
        );
        let u = parse_url("http://[::1]:8080").unwrap();
        assert_eq!(
            (u.addr.as_str(), u.host.as_str(), u.authority.as_str()),
            ("[::1]:8080", "::1", "[::1]:8080")
        );
        assert_eq!(parse_url("https://[::1]").unwrap().addr, "[::1]:443");
        assert_eq!(parse_url("http://h").unwrap().addr, "h:80");
        for bad in [
            "ftp://h",
            "h:80",
            "https://",
            "https://h:port",
            "https://u:p@h",
            "https://[::1",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }
}

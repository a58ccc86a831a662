//! The SMTP mailer against a real (minimal) SMTP server on loopback: STARTTLS with a
//! certificate from a private authority (`smtpcert`), AUTH PLAIN, and the message as the
//! server receives it; and the refusal of a server whose certificate is not trusted.

use std::sync::Arc;

use base64::Engine as _;
use hcpool_core::backend::{Email, Mailer};
use hcpool_core::{BackendKind, Secret};
use hcpool_web::mail::{SmtpMailer, SmtpSettings};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// What the server saw of one session.
#[derive(Debug, Default)]
pub(crate) struct Session {
    pub(crate) auth_plain: Option<String>,
    pub(crate) mail_from: String,
    pub(crate) rcpt_to: Vec<String>,
    pub(crate) data: String,
    pub(crate) tls: bool,
}

/// An authority and a `localhost` certificate it signed.
pub(crate) struct Pki {
    pub(crate) ca_pem: String,
    pub(crate) server: Arc<rustls::ServerConfig>,
}

pub(crate) fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "hcpool test mail CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        server: Arc::new(server),
    }
}

/// Reads one CRLF line (without it); `None` at end of stream.
async fn line<S: AsyncRead + Unpin>(r: &mut BufReader<S>) -> Option<String> {
    let mut s = String::new();
    match r.read_line(&mut s).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(s.trim_end_matches(['\r', '\n']).to_owned()),
    }
}

pub(crate) async fn say<S: AsyncWrite + Unpin>(w: &mut S, text: &str) {
    w.write_all(text.as_bytes()).await.unwrap();
    w.flush().await.unwrap();
}

/// The commands after the greeting (and after STARTTLS, on the TLS stream). Returns
/// `true` when the client asked for STARTTLS (the caller upgrades and calls again).
pub(crate) async fn dialog<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut BufReader<S>,
    tls: bool,
    seen: &mut Session,
) -> bool {
    while let Some(cmd) = line(stream).await {
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            let ext = if tls {
                "250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
            } else {
                "250 STARTTLS\r\n"
            };
            say(stream.get_mut(), &format!("250-localhost\r\n{ext}")).await;
        } else if upper == "STARTTLS" && !tls {
            say(stream.get_mut(), "220 2.0.0 ready for TLS\r\n").await;
            return true;
        } else if upper.starts_with("AUTH PLAIN") && tls {
            seen.auth_plain = cmd.split_whitespace().nth(2).map(str::to_owned);
            say(stream.get_mut(), "235 2.7.0 authenticated\r\n").await;
        } else if upper.starts_with("MAIL FROM:") {
            seen.mail_from = cmd[10..].to_owned();
            say(stream.get_mut(), "250 2.1.0 ok\r\n").await;
        } else if upper.starts_with("RCPT TO:") {
            seen.rcpt_to.push(cmd[8..].to_owned());
            say(stream.get_mut(), "250 2.1.5 ok\r\n").await;
        } else if upper == "DATA" {
            say(stream.get_mut(), "354 end with <CRLF>.<CRLF>\r\n").await;
            while let Some(l) = line(stream).await {
                if l == "." {
                    break;
                }
                seen.data.push_str(&l);
                seen.data.push('\n');
            }
            say(stream.get_mut(), "250 2.0.0 queued\r\n").await;
        } else if upper == "QUIT" {
            say(stream.get_mut(), "221 2.0.0 bye\r\n").await;
            return false;
        } else {
            say(stream.get_mut(), "502 5.5.2 not implemented\r\n").await;
        }
    }
    false
}

/// One SMTP session on an ephemeral loopback port; the session it saw comes back on the
/// receiver once the client quits or drops.
async fn smtp_server(tls: Arc<rustls::ServerConfig>) -> (u16, oneshot::Receiver<Session>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut seen = Session::default();
        let mut plain = BufReader::new(tcp);
        say(plain.get_mut(), "220 localhost ESMTP hcpool-test\r\n").await;
        if dialog(&mut plain, false, &mut seen).await {
            let acceptor = tokio_rustls::TlsAcceptor::from(tls);
            if let Ok(s) = acceptor.accept(plain.into_inner()).await {
                seen.tls = true;
                let mut secure = BufReader::new(s);
                dialog(&mut secure, true, &mut seen).await;
            }
        }
        let _ = tx.send(seen);
    });
    (port, rx)
}

fn email() -> Email {
    Email {
        to: "alice@example.com".into(),
        subject: "Stake pool: verify your email".into(),
        body: "Open http://127.0.0.1:8000/emailverify?t=abc to verify.".into(),
    }
}

pub(crate) fn settings(port: u16, ca_file: Option<std::path::PathBuf>) -> SmtpSettings {
    SmtpSettings {
        host: format!("localhost:{port}"),
        username: "pool@example.com".into(),
        password: Secret::new("smtp-secret".to_owned()),
        from: "Stake Pool <pool@example.com>".into(),
        ca_file,
    }
}

#[tokio::test]
async fn mail_goes_out_over_starttls_with_auth_to_a_server_of_the_smtpcert_authority() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("relay-ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let (port, seen) = smtp_server(pki.server).await;
    let mailer = SmtpMailer::new(&settings(port, Some(ca))).unwrap();
    mailer.send(&email()).await.unwrap();
    drop(mailer);
    let seen = seen.await.unwrap();
    assert!(seen.tls, "the dialog went on over TLS");
    let auth = base64::engine::general_purpose::STANDARD
        .decode(seen.auth_plain.expect("AUTH PLAIN was sent"))
        .unwrap();
    assert_eq!(auth, b"\0pool@example.com\0smtp-secret");
    assert_eq!(seen.mail_from, "<pool@example.com>");
    assert_eq!(seen.rcpt_to, ["<alice@example.com>"]);
    assert!(
        seen.data
            .contains("From: \"Stake Pool\" <pool@example.com>")
            || seen.data.contains("From: Stake Pool <pool@example.com>"),
        "{}",
        seen.data
    );
    assert!(seen.data.contains("To: alice@example.com"), "{}", seen.data);
    assert!(
        seen.data.contains("Subject: Stake pool: verify your email"),
        "{}",
        seen.data
    );
    assert!(
        seen.data.contains("Content-Type: text/plain"),
        "{}",
        seen.data
    );
    assert!(
        seen.data
            .contains("Open http://127.0.0.1:8000/emailverify?t=abc to verify."),
        "{}",
        seen.data
    );
}

#[tokio::test]
async fn a_server_whose_certificate_is_not_trusted_is_refused() {
    // No smtpcert: the public web roots, which do not know the test authority.
    let pki = pki();
    let (port, seen) = smtp_server(pki.server).await;
    let mailer = SmtpMailer::new(&settings(port, None)).unwrap();
    let e = mailer.send(&email()).await.unwrap_err();
    assert!(
        matches!(
            e,
            hcpool_core::Error::Mailer {
                kind: BackendKind::Unavailable | BackendKind::Rejected,
                ..
            }
        ),
        "{e:?}"
    );
    drop(mailer);
    let seen = seen.await.unwrap();
    assert!(!seen.tls, "no TLS session was established");
    assert!(seen.auth_plain.is_none(), "the password never went out");
    assert!(seen.data.is_empty());
}

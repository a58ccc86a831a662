//! The SMTP mailer against a real (minimal) SMTP server on loopback: STARTTLS and implicit
//! TLS (chosen by `smtptls`, else by the port) with a certificate from a private authority
//! (`smtpcert`), AUTH PLAIN, the envelope sender, and the message as the server receives it
//! (a text and an HTML part); and the refusal of a server whose certificate is not trusted.

use std::sync::Arc;

use base64::Engine as _;
use hcpool_core::backend::{Email, Mailer};
use hcpool_core::{BackendKind, Secret};
use hcpool_web::mail::{SmtpMailer, SmtpSettings, SmtpTls};
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
    /// TLS from the first byte (no STARTTLS).
    pub(crate) implicit: bool,
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

/// One SMTP session on an ephemeral loopback port, STARTTLS (`implicit` false) or TLS from
/// the first byte; the session it saw comes back on the receiver once the client quits or
/// drops.
async fn smtp_server(
    tls: Arc<rustls::ServerConfig>,
    implicit: bool,
) -> (u16, oneshot::Receiver<Session>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut seen = Session::default();
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        if implicit {
            if let Ok(s) = acceptor.accept(tcp).await {
                seen.tls = true;
                seen.implicit = true;
                let mut secure = BufReader::new(s);
                say(secure.get_mut(), "220 localhost ESMTP hcpool-test\r\n").await;
                dialog(&mut secure, true, &mut seen).await;
            }
        } else {
            let mut plain = BufReader::new(tcp);
            say(plain.get_mut(), "220 localhost ESMTP hcpool-test\r\n").await;
            if dialog(&mut plain, false, &mut seen).await {
                if let Ok(s) = acceptor.accept(plain.into_inner()).await {
                    seen.tls = true;
                    let mut secure = BufReader::new(s);
                    dialog(&mut secure, true, &mut seen).await;
                }
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
        headers: Vec::new(),
    }
}

pub(crate) fn settings(port: u16, ca_file: Option<std::path::PathBuf>) -> SmtpSettings {
    SmtpSettings {
        host: format!("localhost:{port}"),
        username: "pool@example.com".into(),
        password: Secret::new("smtp-secret".to_owned()),
        from: "Stake Pool <pool@example.com>".into(),
        ca_file,
        // An ephemeral port would get implicit TLS by the port rule.
        tls: SmtpTls::StartTls,
    }
}

/// The CA file of `pki` in `dir`.
fn ca_file(dir: &tempfile::TempDir, pki: &Pki) -> std::path::PathBuf {
    let ca = dir.path().join("relay-ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    ca
}

/// `body` decoded from quoted-printable (soft line breaks and `=XX`).
fn unquote(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// The MIME parts of `data` (a received message): each part's headers and body (decoded
/// when quoted-printable), split at the boundary its `Content-Type` names.
fn parts(data: &str) -> Vec<(String, String)> {
    let at = data.find("boundary=\"").expect("a multipart message") + 10;
    let boundary = &data[at..at + data[at..].find('"').unwrap()];
    data.split(&format!("--{boundary}"))
        .skip(1)
        .filter(|p| !p.starts_with("--"))
        .map(|p| {
            let (head, body) = p.trim_start_matches('\n').split_once("\n\n").unwrap();
            let body = if head.contains("quoted-printable") {
                unquote(body)
            } else {
                body.to_owned()
            };
            (head.to_owned(), body)
        })
        .collect()
}

#[tokio::test]
async fn mail_goes_out_over_starttls_with_auth_to_a_server_of_the_smtpcert_authority() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_file(&dir, &pki);
    let (port, seen) = smtp_server(pki.server.clone(), false).await;
    let mailer = SmtpMailer::new(&settings(port, Some(ca))).unwrap();
    mailer.send(&email()).await.unwrap();
    drop(mailer);
    let seen = seen.await.unwrap();
    assert!(
        seen.tls && !seen.implicit,
        "the dialog went on over STARTTLS"
    );
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
    // multipart/alternative: the text, then the same as HTML (hcstakepool sent HTML).
    assert!(
        seen.data.contains("Content-Type: multipart/alternative"),
        "{}",
        seen.data
    );
    let parts = parts(&seen.data);
    assert_eq!(parts.len(), 2, "{}", seen.data);
    assert!(parts[0].0.contains("Content-Type: text/plain"), "{parts:?}");
    assert!(
        parts[0]
            .1
            .contains("Open http://127.0.0.1:8000/emailverify?t=abc to verify."),
        "{parts:?}"
    );
    assert!(parts[1].0.contains("Content-Type: text/html"), "{parts:?}");
    assert!(
        parts[1]
            .1
            .contains("<p>Open http://127.0.0.1:8000/emailverify?t=abc to verify.</p>"),
        "{parts:?}"
    );
    // A mail that names no language (stored before languages existed) is English.
    assert!(parts[1].1.contains("<html lang=\"en\">"), "{parts:?}");
    assert!(
        seen.data.contains("Content-Language: en\n"),
        "{}",
        seen.data
    );
}

/// Every mail names its language: the `Content-Language` header (once) and the HTML part's
/// `<html lang>`.
#[tokio::test]
async fn a_mail_names_its_language_in_the_header_and_the_html_part() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let (port, seen) = smtp_server(pki.server.clone(), false).await;
    let mailer = SmtpMailer::new(&settings(port, Some(ca_file(&dir, &pki)))).unwrap();
    let mail = Email::new(
        "alice@example.com".into(),
        "Stake pool".into(),
        "Open http://127.0.0.1:8000/emailverify?t=abc to verify.".into(),
        hcpool_i18n::Lang::ZhCn,
    );
    mailer.send(&mail).await.unwrap();
    drop(mailer);
    let seen = seen.await.unwrap();
    assert_eq!(
        seen.data.matches("Content-Language: ").count(),
        1,
        "{}",
        seen.data
    );
    assert!(
        seen.data.contains("Content-Language: zh-CN\n"),
        "{}",
        seen.data
    );
    let html = &parts(&seen.data)[1].1;
    assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");
}

/// hcstakepool's envelope: `MAIL FROM` is `smtpusername`, the header `From` is `smtpfrom`;
/// a relay that insists the sender be the authenticated user accepts it.
#[tokio::test]
async fn the_envelope_sender_is_smtpusername_and_the_html_part_escapes_user_values() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let (port, seen) = smtp_server(pki.server.clone(), false).await;
    let mailer = SmtpMailer::new(&SmtpSettings {
        username: "relay-login@mail.example.net".into(),
        ..settings(port, Some(ca_file(&dir, &pki)))
    })
    .unwrap();
    let mail = Email {
        to: "bob@example.com".into(),
        subject: "Stake pool email change".into(),
        body: "A request was made to change the email of your account from bob@example.com \
               to \"<img src=x onerror=alert(1)>\"@evil.example https://evil.example/.\n\n\
               To confirm, open:\n\nhttp://127.0.0.1:8000/emailupdate?t=abc\n"
            .into(),
        // A notification's one-click unsubscribe fields (RFC 8058) go out as given.
        headers: vec![
            (
                "List-Unsubscribe".into(),
                "<https://pool.example/unsubscribe?t=1.ab>".into(),
            ),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ],
    };
    mailer.send(&mail).await.unwrap();
    drop(mailer);
    let seen = seen.await.unwrap();
    assert_eq!(seen.mail_from, "<relay-login@mail.example.net>");
    assert_eq!(seen.rcpt_to, ["<bob@example.com>"]);
    assert!(
        seen.data
            .contains("From: \"Stake Pool\" <pool@example.com>")
            || seen.data.contains("From: Stake Pool <pool@example.com>"),
        "{}",
        seen.data
    );
    assert!(
        seen.data
            .contains("List-Unsubscribe: <https://pool.example/unsubscribe?t=1.ab>\n"),
        "{}",
        seen.data
    );
    assert!(
        seen.data
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\n"),
        "{}",
        seen.data
    );
    let html = &parts(&seen.data)[1].1;
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(!html.contains("href=\"https://evil"), "{html}");
    assert!(
        html.contains("<a href=\"http://127.0.0.1:8000/emailupdate?t=abc\">"),
        "{html}"
    );
}

/// `smtptls` unset: a port other than 25 and 587 gets TLS from the first byte, as
/// hcstakepool (which always dialled TLS); `smtpfrom` empty falls back to `smtpusername`.
#[tokio::test]
async fn implicit_tls_by_the_port_and_smtpfrom_falls_back_to_smtpusername() {
    let pki = pki();
    let dir = tempfile::tempdir().unwrap();
    let (port, seen) = smtp_server(pki.server.clone(), true).await;
    let mailer = SmtpMailer::new(&SmtpSettings {
        from: String::new(),
        tls: SmtpTls::ByPort,
        ..settings(port, Some(ca_file(&dir, &pki)))
    })
    .unwrap();
    mailer.send(&email()).await.unwrap();
    drop(mailer);
    let seen = seen.await.unwrap();
    assert!(seen.implicit, "TLS from the first byte");
    assert!(seen.auth_plain.is_some());
    assert_eq!(seen.mail_from, "<pool@example.com>");
    assert!(
        seen.data.contains("From: pool@example.com"),
        "{}",
        seen.data
    );

    // smtptls=implicit against a server that greets in plain text first: no mail, and the
    // password never went out.
    let (port, seen) = smtp_server(pki.server.clone(), false).await;
    let mailer = SmtpMailer::new(&SmtpSettings {
        tls: SmtpTls::Implicit,
        ..settings(port, Some(ca_file(&dir, &pki)))
    })
    .unwrap();
    let sent = tokio::time::timeout(std::time::Duration::from_secs(20), mailer.send(&email()))
        .await
        .expect("a mismatched mode fails, it does not hang");
    assert!(sent.is_err());
    drop(mailer);
    let seen = seen.await.unwrap();
    assert!(!seen.tls && seen.auth_plain.is_none() && seen.data.is_empty());
}

#[tokio::test]
async fn a_server_whose_certificate_is_not_trusted_is_refused() {
    // No smtpcert: the public web roots, which do not know the test authority.
    let pki = pki();
    let (port, seen) = smtp_server(pki.server, false).await;
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

/// The keys reach the mailer: a bad `smtptls` and an `smtpfrom` that cannot fall back are
/// refused at start, naming the key.
#[test]
fn smtptls_and_smtpfrom_are_checked_when_the_mailer_is_built() {
    let base = "testnet=1\napisecret=a\ncookiesecret=b\ndbpassword=c\n\
                coldwalletextpub=tpubCold\nvotingwalletextpub=tpubVoting\n\
                wallethosts=127.0.0.1:1\nwalletusers=u\nwalletpasswords=p\n\
                walletcerts=/nonexistent/a.cert\nminservers=1\n\
                smtphost=mail.example.com:2525\n";
    let dir = std::path::Path::new("/nonexistent");
    let mailer = |extra: &str| {
        let cfg = hcpool_web::config::Config::from_ini(&format!("{base}{extra}")).unwrap();
        hcpool_web::wiring::mailer(&cfg.web, dir).map(|_| ())
    };
    let e = mailer("smtpfrom=pool@example.com\nsmtptls=ssl\n").unwrap_err();
    assert!(e.to_string().contains("smtptls"), "{e}");
    assert!(mailer("smtpfrom=pool@example.com\nsmtptls=starttls\n").is_ok());
    assert!(mailer("smtpfrom=pool@example.com\nsmtptls=implicit\n").is_ok());
    let e = mailer("smtpusername=apikey\n").unwrap_err();
    assert!(e.to_string().contains("smtpfrom is not set"), "{e}");
    assert!(mailer("smtpusername=pool@example.com\n").is_ok());
}

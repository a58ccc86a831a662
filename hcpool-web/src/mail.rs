//! Mailers: SMTP through lettre, and the log mailer used when `smtphost` is empty.

use async_trait::async_trait;
use hcpool_core::backend::{Email, Mailer};

/// Writes every mail to the log at info level instead of sending it (`smtphost` empty).
///
/// Outside the demo this needs `nosmtp=1` and the links' tokens are redacted
/// ([`LogMailer::redacting`]): a log is no place for a live password-reset link. The demo
/// logs whole mails ([`LogMailer::full`]): that is how its visitor gets the links.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogMailer {
    full: bool,
}

impl LogMailer {
    /// Logs mails with every link's token replaced by `<redacted>`.
    pub fn redacting() -> Self {
        LogMailer { full: false }
    }

    /// Logs whole mails, links and all (the demo).
    pub fn full() -> Self {
        LogMailer { full: true }
    }
}

/// `body` with the value of every `t=` query parameter (the mailed tokens) replaced by
/// `<redacted>`.
pub fn redact_tokens(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find("?t=").or_else(|| rest.find("&t=")) {
        out.push_str(&rest[..i + 3]);
        out.push_str("<redacted>");
        rest = &rest[i + 3..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '&')
            .unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, email: &Email) -> hcpool_core::Result<()> {
        let body = if self.full {
            email.body.clone()
        } else {
            redact_tokens(&email.body)
        };
        tracing::info!(
            to = %email.to,
            subject = %email.subject,
            body = %body,
            "smtphost is not set: mail logged instead of sent"
        );
        Ok(())
    }
}

use hcpool_core::{BackendKind, Error};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

use crate::error::WebError;

/// Sends mail through `smtphost`: implicit TLS when the port is 465 (hcstakepool's only
/// mode), STARTTLS (required) on any other port; AUTH with `smtpusername`/`smtppassword`
/// when a username is set. The server's certificate must chain to the public web roots, or
/// to the authority in `smtpcert` when one is given (a private relay).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// What [`SmtpMailer::new`] is built from (the `smtp*` keys).
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// `smtphost`: `host[:port]`, port 465 when absent.
    pub host: String,
    /// `smtpusername` (empty: no AUTH).
    pub username: String,
    /// `smtppassword`.
    pub password: hcpool_core::Secret<String>,
    /// `smtpfrom`: the From header.
    pub from: String,
    /// `smtpcert`: a PEM file of the authority to trust instead of the public roots.
    pub ca_file: Option<PathBuf>,
}

impl SmtpMailer {
    /// A mailer from the `smtp*` settings.
    ///
    /// # Errors
    /// [`WebError::Config`] naming the bad key (`smtphost`, `smtpfrom`, `smtpcert`).
    pub fn new(settings: &SmtpSettings) -> Result<Self, WebError> {
        let host = settings.host.trim();
        let (name, port) = match host.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| WebError::Config(format!("smtphost: bad port in {host:?}")))?,
            ),
            None => (host, 465),
        };
        if name.is_empty() {
            return Err(WebError::Config("smtphost: no host name".into()));
        }
        let mut tls = TlsParameters::builder(name.to_owned());
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                WebError::Config(format!("smtpcert: cannot read {}: {e}", path.display()))
            })?;
            if !pem.windows(17).any(|w| w == b"BEGIN CERTIFICATE") {
                return Err(WebError::Config(format!(
                    "smtpcert: {} holds no PEM certificate",
                    path.display()
                )));
            }
            let ca = Certificate::from_pem(&pem)
                .map_err(|e| WebError::Config(format!("smtpcert: {}: {e}", path.display())))?;
            tls = tls
                .certificate_store(CertificateStore::None)
                .add_root_certificate(ca);
        }
        let tls = tls
            .build()
            .map_err(|e| WebError::Config(format!("smtphost: {e}")))?;
        let tls = if port == 465 {
            Tls::Wrapper(tls)
        } else {
            Tls::Required(tls)
        };
        // TLS is always set above: "dangerous" only names lettre's builder without it.
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(name)
            .port(port)
            .tls(tls);
        let builder = if settings.username.is_empty() {
            builder
        } else {
            builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.expose().clone(),
            ))
        };
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| WebError::Config(format!("smtpfrom: {e}")))?;
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> hcpool_core::Result<()> {
        let rejected = |m: String| Error::Mailer {
            kind: BackendKind::Rejected,
            source: m.into(),
        };
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| rejected(format!("recipient: {e}")))?;
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|e| rejected(format!("message: {e}")))?;
        self.transport.send(msg).await.map(|_| ()).map_err(|e| {
            let kind = if e.is_permanent() {
                BackendKind::Rejected
            } else {
                BackendKind::Unavailable
            };
            Error::Mailer {
                kind,
                source: Box::new(e),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings trusting the public web roots.
    fn smtp(host: &str, username: &str, from: &str) -> SmtpSettings {
        SmtpSettings {
            host: host.into(),
            username: username.into(),
            password: hcpool_core::Secret::new("pw".to_owned()),
            from: from.into(),
            ca_file: None,
        }
    }

    #[test]
    fn smtp_config_errors_name_the_key() {
        assert!(SmtpMailer::new(&smtp(
            "mail.example.com:465",
            "u",
            "Pool <pool@example.com>"
        ))
        .is_ok());
        assert!(SmtpMailer::new(&smtp("mail.example.com:587", "", "pool@example.com")).is_ok());
        let e = SmtpMailer::new(&smtp("mail.example.com:x", "u", "a@b")).unwrap_err();
        assert!(e.to_string().contains("smtphost"), "{e}");
        let e = SmtpMailer::new(&smtp("mail.example.com", "u", "not an address")).unwrap_err();
        assert!(e.to_string().contains("smtpfrom"), "{e}");
    }

    #[test]
    fn log_mailer_redacts_link_tokens() {
        let body =
            "Open:\n\nhttp://pool/passwordupdate?t=0123abcd\n\nand http://p/x?a=1&t=ffee end";
        let r = redact_tokens(body);
        assert!(!r.contains("0123abcd") && !r.contains("ffee"), "{r}");
        assert_eq!(
            r,
            "Open:\n\nhttp://pool/passwordupdate?t=<redacted>\n\nand http://p/x?a=1&t=<redacted> end"
        );
        assert_eq!(redact_tokens("no links here"), "no links here");
    }

    #[test]
    fn smtpcert_must_be_a_readable_pem_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let settings = |f: &str| SmtpSettings {
            ca_file: Some(dir.path().join(f)),
            ..smtp("mail.example.com:587", "", "pool@example.com")
        };
        let e = SmtpMailer::new(&settings("absent.pem")).unwrap_err();
        assert!(e.to_string().contains("smtpcert: cannot read"), "{e}");
        std::fs::write(dir.path().join("junk.pem"), "not a certificate").unwrap();
        let e = SmtpMailer::new(&settings("junk.pem")).unwrap_err();
        assert!(e.to_string().contains("holds no PEM certificate"), "{e}");
    }
}

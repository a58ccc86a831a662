//! Mailers: SMTP through lettre, and the log mailer used when `smtphost` is empty.

use async_trait::async_trait;
use hcpool_core::backend::{Email, Mailer};

/// Writes every mail to the log at info level instead of sending it (hcstakepool's upstream
/// behaviour with no `smtphost`; in demo mode this is how the operator gets the links).
#[derive(Debug, Default, Clone, Copy)]
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, email: &Email) -> hcpool_core::Result<()> {
        tracing::info!(
            to = %email.to,
            subject = %email.subject,
            body = %email.body,
            "smtphost is not set: mail logged instead of sent"
        );
        Ok(())
    }
}

use hcpool_core::{BackendKind, Error};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::error::WebError;

/// Sends mail through `smtphost`: implicit TLS when the port is 465 (hcstakepool's only
/// mode), STARTTLS (required) on any other port; AUTH with `smtpusername`/`smtppassword`
/// when a username is set.
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

impl SmtpMailer {
    /// A mailer for `host` (`host:port`, default port 465).
    ///
    /// # Errors
    /// [`WebError::Config`] naming `smtphost` or `smtpfrom`.
    pub fn from_config(
        host: &str,
        username: &str,
        password: &hcpool_core::Secret<String>,
        from: &str,
    ) -> Result<Self, WebError> {
        let (name, port) = match host.trim().rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| WebError::Config(format!("smtphost: bad port in {host:?}")))?,
            ),
            None => (host.trim(), 465),
        };
        if name.is_empty() {
            return Err(WebError::Config("smtphost: no host name".into()));
        }
        let builder = if port == 465 {
            AsyncSmtpTransport::<Tokio1Executor>::relay(name)
        } else {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(name)
        }
        .map_err(|e| WebError::Config(format!("smtphost: {e}")))?
        .port(port);
        let builder = if username.is_empty() {
            builder
        } else {
            builder.credentials(Credentials::new(
                username.to_owned(),
                password.expose().clone(),
            ))
        };
        let from: Mailbox = from
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

    #[test]
    fn smtp_config_errors_name_the_key() {
        let pw = hcpool_core::Secret::new("pw".to_owned());
        assert!(SmtpMailer::from_config(
            "mail.example.com:465",
            "u",
            &pw,
            "Pool <pool@example.com>"
        )
        .is_ok());
        assert!(
            SmtpMailer::from_config("mail.example.com:587", "", &pw, "pool@example.com").is_ok()
        );
        let e = SmtpMailer::from_config("mail.example.com:x", "u", &pw, "a@b").unwrap_err();
        assert!(e.to_string().contains("smtphost"), "{e}");
        let e =
            SmtpMailer::from_config("mail.example.com", "u", &pw, "not an address").unwrap_err();
        assert!(e.to_string().contains("smtpfrom"), "{e}");
    }
}

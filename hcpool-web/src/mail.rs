//! Mailers: the log mailer used when `smtphost` is empty.

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

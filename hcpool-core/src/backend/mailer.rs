//! Outgoing email.

use async_trait::async_trait;

use crate::error::Result;

/// One email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Extra header fields (name, value), e.g. `List-Unsubscribe`; empty for most mails.
    /// Names are header tokens and values carry no line breaks
    /// ([`crate::notify::email_of_row`] keeps only such pairs).
    pub headers: Vec<(String, String)>,
}

/// Sends email.
///
/// # Errors
/// [`crate::Error::Mailer`] with kind `Unavailable` when the server cannot be reached, and
/// `Rejected` when it refuses the message.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends `email`.
    async fn send(&self, email: &Email) -> Result<()>;
}

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

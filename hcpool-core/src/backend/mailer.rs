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

/// The header naming the language a mail is written in (`en`, `zh-CN`).
pub const CONTENT_LANGUAGE: &str = "Content-Language";

impl Email {
    /// A mail to `to` written in `lang` (its [`CONTENT_LANGUAGE`] header, which the mailer
    /// also writes as the HTML part's `<html lang>`).
    pub fn new(to: String, subject: String, body: String, lang: hcpool_i18n::Lang) -> Self {
        Email {
            to,
            subject,
            body,
            headers: vec![(CONTENT_LANGUAGE.to_owned(), lang.tag().to_owned())],
        }
    }

    /// The language it is written in: its [`CONTENT_LANGUAGE`] header's, English when it
    /// has none (mails stored before languages existed) or names none hcpool speaks.
    pub fn lang(&self) -> hcpool_i18n::Lang {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(CONTENT_LANGUAGE))
            .and_then(|(_, v)| hcpool_i18n::Lang::from_tag(v))
            .unwrap_or_default()
    }

    /// Whether it carries a [`CONTENT_LANGUAGE`] header.
    pub fn has_lang(&self) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(CONTENT_LANGUAGE))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use hcpool_i18n::Lang;

    #[test]
    fn a_mail_names_its_language() {
        let m = Email::new("a@b.c".into(), "s".into(), "b".into(), Lang::ZhCn);
        assert_eq!(
            m.headers,
            [("Content-Language".to_owned(), "zh-CN".to_owned())]
        );
        assert_eq!(m.lang(), Lang::ZhCn);
        assert!(m.has_lang());
        let old = Email {
            headers: Vec::new(),
            ..m.clone()
        };
        assert_eq!((old.lang(), old.has_lang()), (Lang::En, false));
        let odd = Email {
            headers: vec![("content-language".into(), "fr".into())],
            ..m
        };
        assert_eq!(odd.lang(), Lang::En);
    }
}

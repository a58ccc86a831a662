//! [`EmailAddress`]: an account's email address, checked once where it enters.
//!
//! The rule (the one sign-up, the verification resend, the email change, sign-in and the
//! password reset all use): the input is trimmed; it must hold an `@`, be at most
//! [`EmailAddress::MAX_LEN`] bytes (RFC 5321's path limit, which also fits the
//! `varchar(255)` email columns) and contain no control characters. hcpool checks no more
//! than that: the verification mail proves the address.

use std::fmt;
use std::str::FromStr;

/// Why a submitted email address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// No `@`.
    #[error("email address is invalid: no @")]
    NoAt,
    /// Longer than [`EmailAddress::MAX_LEN`] bytes.
    #[error("email address is invalid: longer than 254 bytes")]
    TooLong,
    /// Holds a control character.
    #[error("email address is invalid: control character")]
    ControlCharacter,
}

/// A trimmed email address that passed the rule of this module.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Longest address accepted, in bytes (RFC 5321 path limit).
    pub const MAX_LEN: usize = 254;

    /// Checks `raw` (trimmed first).
    ///
    /// # Errors
    /// [`EmailError`] saying what is wrong.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim();
        if !email.contains('@') {
            return Err(EmailError::NoAt);
        }
        if email.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        if email.chars().any(char::is_control) {
            return Err(EmailError::ControlCharacter);
        }
        Ok(EmailAddress(email.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address as a `String`.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromStr for EmailAddress {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Self, EmailError> {
        EmailAddress::parse(s)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_refuses_what_sign_up_refuses() {
        assert_eq!(EmailAddress::parse("  a@b.c \n").unwrap().as_str(), "a@b.c");
        assert_eq!(EmailAddress::parse("nope"), Err(EmailError::NoAt));
        assert_eq!(
            EmailAddress::parse("a@b\u{7}c"),
            Err(EmailError::ControlCharacter)
        );
        let long = format!("{}@b.c", "a".repeat(EmailAddress::MAX_LEN - 4));
        assert_eq!(
            EmailAddress::parse(&long).map(|e| e.as_str().len()),
            Ok(EmailAddress::MAX_LEN)
        );
        assert_eq!(
            EmailAddress::parse(&format!("a{long}")),
            Err(EmailError::TooLong),
            "one byte over"
        );
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics_and_is_idempotent(s in ".{0,300}") {
            if let Ok(e) = EmailAddress::parse(&s) {
                proptest::prop_assert_eq!(EmailAddress::parse(e.as_str()), Ok(e.clone()));
            }
        }
    }
}

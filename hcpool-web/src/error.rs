//! The crate's error type and THE one table that maps a core error to what the web page and
//! the API say about it (hcstakepool-inventory.md §3.3, §6.3).

use std::borrow::Cow;

use hcpool_core::error::VoteBitsError;
use hcpool_core::{BackendKind, Error};
use rocket::http::Status;

/// Every error hcpool-web reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    /// The configuration is unusable (the message names the source and key).
    #[error("config: {0}")]
    Config(String),
    /// A start-up step failed ([`WebError::exit_code`] is its stage's exit code).
    #[error("{message}")]
    Startup {
        /// The step.
        stage: crate::exit::Stage,
        /// What failed and why.
        message: String,
    },
    /// A core service failed.
    #[error(transparent)]
    Core(#[from] Error),
    /// A template failed to render (a bug: templates are checked by tests).
    #[error("template {name}: {message}")]
    Template {
        /// The template.
        name: &'static str,
        /// Handlebars' message.
        message: String,
    },
    /// Password hashing failed.
    #[error("password hashing failed")]
    PasswordHash,
    /// A blocking task was cancelled.
    #[error("background task failed")]
    Join,
    /// The captcha image could not be drawn.
    #[error("captcha image could not be encoded")]
    Captcha,
    /// A user's data export could not be encoded as JSON.
    #[error("data export could not be encoded: {0}")]
    Export(String),
}

/// What an API command was doing when it failed: picks the texts of the table below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `getpurchaseinfo` / the tickets page.
    PurchaseInfo,
    /// `stats` / the stats page.
    Stats,
    /// `address` / the address page.
    Address,
    /// `voting` / the voting page.
    Voting,
    /// `voterecords` (v2 only, hcpool) / the tickets page's download.
    VoteRecords,
}

impl Op {
    /// The API message context (`"<context> - <text>"`).
    pub fn context(self) -> &'static str {
        match self {
            Op::PurchaseInfo => "purchaseinfo error",
            Op::Stats => "stats error",
            Op::Address => "address error",
            Op::Voting => "voting error",
            Op::VoteRecords => "voterecords error",
        }
    }
}

/// gRPC code numbers hcstakepool uses in its API envelope.
pub mod code {
    /// OK.
    pub const OK: u32 = 0;
    /// InvalidArgument.
    pub const INVALID_ARGUMENT: u32 = 3;
    /// AlreadyExists.
    pub const ALREADY_EXISTS: u32 = 6;
    /// ResourceExhausted (rate limited).
    pub const RESOURCE_EXHAUSTED: u32 = 8;
    /// FailedPrecondition.
    pub const FAILED_PRECONDITION: u32 = 9;
    /// Internal.
    pub const INTERNAL: u32 = 13;
    /// Unavailable.
    pub const UNAVAILABLE: u32 = 14;
    /// Unauthenticated.
    pub const UNAUTHENTICATED: u32 = 16;
}

/// How one failure is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// HTTP status of the web page.
    pub status: Status,
    /// The message on the web page (flash text).
    pub web: Cow<'static, str>,
    /// API envelope code.
    pub api_code: u32,
    /// API message, complete (`"<context> - <text>"`).
    pub api_message: String,
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const WALLET_DOWN_WEB: &str =
    "The pool's wallets cannot process this right now; nothing was changed. Please try again later.";

/// THE table: a core error, during `op`, as the web and the API show it.
pub fn classify(op: Op, e: &Error) -> Failure {
    use code::*;
    let ctx = op.context();
    let (status, web, api_code, api_message): (Status, Cow<'static, str>, u32, String) = match e {
        Error::Address(a) => (
            Status::Ok,
            capitalise(a.user_message()).into(),
            INVALID_ARGUMENT,
            format!("{ctx} - {}", a.user_message()),
        ),
        Error::AddressAlreadySubmitted => (
            Status::Ok,
            "Stake pool is currently limited to one address per account".into(),
            ALREADY_EXISTS,
            format!("{ctx} - address already submitted"),
        ),
        Error::NoAddressSubmitted => (
            Status::Ok,
            "No address submitted yet".into(),
            FAILED_PRECONDITION,
            format!("{ctx} - no address submitted"),
        ),
        Error::VoteBits(VoteBitsError::NotAnInteger) => (
            Status::Ok,
            "invalid agenda choice".into(),
            INVALID_ARGUMENT,
            format!("{ctx} - unable to convert votebits to uint16"),
        ),
        Error::VoteBits(_) => (
            Status::Ok,
            "generated votebits were invalid".into(),
            INVALID_ARGUMENT,
            format!("{ctx} - votebits invalid for current agendas"),
        ),
        // The registration gate (`closepool`): hcstakepool's text is the pool's message.
        Error::PoolClosed(msg) => (
            Status::Forbidden,
            msg.clone().into(),
            FAILED_PRECONDITION,
            format!("{ctx} - {msg}"),
        ),
        // The registration gate (wallets not in sync). Unreachable or stopped wallets keep
        // hcstakepool's API text for that condition; wallets behind the chain (a check
        // hcstakepool lacked) get their own.
        Error::WalletsNotSynced(problems) => {
            use crate::health::Problem;
            let behind = [Problem::WalletsBehind, Problem::WalletsLagging];
            let api = if !problems.is_empty() && problems.iter().all(|p| behind.contains(p)) {
                format!("{ctx} - {}", crate::health::NOT_SYNCED_API)
            } else {
                "system error - unable to process wallet commands".to_owned()
            };
            (
                Status::ServiceUnavailable,
                crate::health::NOT_SYNCED_WEB.into(),
                UNAVAILABLE,
                api,
            )
        }
        Error::UserIdOutOfRange { .. }
        | Error::TicketAddressNotOwned(_)
        | Error::Wallet { .. }
        | Error::VotingNode { .. }
        | Error::Key(_)
        | Error::Script(_) => {
            let api = if op == Op::Stats {
                "stats error - RPC server error".to_owned()
            } else {
                "system error - unable to process wallet commands".to_owned()
            };
            (
                Status::ServiceUnavailable,
                WALLET_DOWN_WEB.into(),
                UNAVAILABLE,
                api,
            )
        }
        Error::Store { kind, .. } => {
            // A database that is away is unavailability (503, API code 14), not a failure
            // of the server (500, code 13, which hcstakepool answered for every database
            // error).
            let (status, api_code) = if *kind == BackendKind::Unavailable {
                (Status::ServiceUnavailable, UNAVAILABLE)
            } else {
                (Status::InternalServerError, INTERNAL)
            };
            let (web, text): (&'static str, &str) = match op {
                Op::Voting => (
                    "unable to save new voting preferences",
                    "failed to update voting prefs in database",
                ),
                _ => (
                    "A database error occurred. Please try again later.",
                    "database error",
                ),
            };
            (status, web.into(), api_code, format!("{ctx} - {text}"))
        }
        Error::UserNotFound(_) => (
            Status::Forbidden,
            "Please sign in again.".into(),
            UNAUTHENTICATED,
            format!("{ctx} - invalid api token"),
        ),
        _ => (
            Status::InternalServerError,
            "An internal error occurred.".into(),
            INTERNAL,
            format!("{ctx} - internal error"),
        ),
    };
    Failure {
        status,
        web,
        api_code,
        api_message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcpool_core::error::AddressError;

    #[test]
    fn table_rows() {
        let f = classify(
            Op::Address,
            &Error::Address(AddressError::TooShort { len: 2, min: 40 }),
        );
        assert_eq!(
            (f.api_code, f.api_message.as_str(), f.web.as_ref()),
            (3, "address error - address too short", "Address too short")
        );
        let f = classify(
            Op::Address,
            &Error::wallet("w", BackendKind::Unavailable, "down"),
        );
        assert_eq!(
            (f.api_code, f.api_message.as_str(), f.status),
            (
                14,
                "system error - unable to process wallet commands",
                Status::ServiceUnavailable
            )
        );
        let f = classify(Op::Voting, &Error::store(BackendKind::Other, "x"));
        assert_eq!(
            (f.api_code, f.api_message.as_str()),
            (
                13,
                "voting error - failed to update voting prefs in database"
            )
        );
        let f = classify(Op::Address, &Error::store(BackendKind::Unavailable, "gone"));
        assert_eq!(
            (f.api_code, f.api_message.as_str(), f.status),
            (
                14,
                "address error - database error",
                Status::ServiceUnavailable
            )
        );
        let f = classify(Op::Address, &Error::AddressAlreadySubmitted);
        assert_eq!(f.api_code, 6);
        let f = classify(Op::Address, &Error::PoolClosed("closed".into()));
        assert_eq!(
            (f.api_code, f.api_message.as_str(), f.web.as_ref(), f.status),
            (9, "address error - closed", "closed", Status::Forbidden)
        );
        use crate::health::Problem;
        let f = classify(
            Op::Address,
            &Error::WalletsNotSynced(vec![Problem::WalletsBehind]),
        );
        assert_eq!((f.api_code, f.status), (14, Status::ServiceUnavailable));
        assert!(f
            .api_message
            .starts_with("address error - pool wallets are not in sync"));
        let f = classify(
            Op::Address,
            &Error::WalletsNotSynced(vec![Problem::WalletsLagging]),
        );
        assert!(f
            .api_message
            .starts_with("address error - pool wallets are not in sync"));
        let f = classify(
            Op::Address,
            &Error::WalletsNotSynced(vec![Problem::WalletsUnavailable]),
        );
        assert_eq!(
            f.api_message,
            "system error - unable to process wallet commands"
        );
    }
}

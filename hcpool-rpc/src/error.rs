//! The crate's one error type.
//!
//! Its variants keep the three origins apart: the JSON-RPC clients of hcd (node) and
//! hcwallet (wallet) with the wallet manager; the stakepoold gRPC client and server helpers
//! (voting node, the `VotingNode*` variants and the others documented as such); and the TLS
//! material both load. [`Error::kind`] is the single place that decides which of them count
//! as `Unavailable`, `Rejected`, `Inconsistent` or `NotFound` for the core's services;
//! [`Error::into_core`] reports a node or wallet failure, [`Error::into_voting_node`] a
//! voting node's.

use std::time::Duration;

use hcpool_core::BackendKind;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error object returned by hcwallet or hcd: `{"code":…,"message":…}`.
///
/// `Display` renders `"<code>: <message>"`, the text the Go client produces and stakepoold
/// matches on (hcwallet-rpc.md §1.3).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct RpcError {
    /// JSON-RPC error code (`-5` = no information, `-4` = wallet error, …).
    pub code: i64,
    /// The server's message.
    pub message: String,
}

impl RpcError {
    /// `-5`: the wallet or node has no information about the thing asked for.
    pub const NO_INFORMATION: i64 = -5;
    /// `-32601`: method not found.
    pub const METHOD_NOT_FOUND: i64 = -32601;
}

/// Every error hcpool-rpc reports. Messages never contain passwords or auth headers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client configuration is unusable (the message names the key).
    #[error("configuration: {0}")]
    Config(String),
    /// The pinned certificate file could not be read or holds no certificate.
    #[error("certificate file {path}: {reason}")]
    Certificate {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// A socket or file operation failed.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The server refused the credentials (HTTP 401/403).
    #[error("authentication failure")]
    Auth,
    /// The server answered the upgrade request without switching to websocket.
    #[error("the endpoint either does not support websockets or does not exist (HTTP {status})")]
    NotWebsocket {
        /// The HTTP status received.
        status: u16,
    },
    /// The websocket layer failed (the source is the websocket library's error).
    #[error("websocket")]
    WebSocket(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The HTTP (POST mode) layer failed.
    #[error("http: {0}")]
    Http(String),
    /// POST mode: the server answered with a body that is not a JSON-RPC response.
    #[error("status code: {status}, response: {body:?}")]
    HttpStatus {
        /// HTTP status code.
        status: u16,
        /// The body (truncated).
        body: String,
    },
    /// The server answered with an error object.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// No reply arrived in time.
    #[error("{method}: no reply within {after:?}")]
    Timeout {
        /// The method called.
        method: String,
        /// The configured timeout.
        after: Duration,
    },
    /// The connection dropped while the call was pending, or is down now.
    #[error("the client has been disconnected")]
    Disconnected,
    /// The client was shut down (closed, or disconnected with reconnects disabled).
    #[error("the client has been shutdown")]
    Shutdown,
    /// The link dropped after a call that must not run twice (`sendrawtransaction`,
    /// `revoketickets`, …) was written and before its reply: it may or may not have been
    /// applied, so it is not re-sent on the new link. Check, then retry if needed.
    #[error(
        "{method}: the connection dropped after the request was sent; it may or may not \
         have been applied and is not re-sent automatically"
    )]
    NotResent {
        /// The method.
        method: String,
    },
    /// A frame or reply could not be decoded.
    #[error("{method}: malformed reply: {detail}")]
    BadReply {
        /// The method (or `notification`/`frame`).
        method: String,
        /// What was wrong.
        detail: String,
    },
    /// A wallet (through the core trait) failed.
    #[error(transparent)]
    Backend(#[from] hcpool_core::Error),
    /// Fewer wallets answered than `minservers` requires.
    #[error("not processing command; {available} servers avail is below min of {min}")]
    BelowMinServers {
        /// Wallets that answered.
        available: usize,
        /// `minservers`.
        min: usize,
    },
    /// Wallets disagree.
    #[error(
        "non equivalent {what} returned: {first} has {first_value}, {second} has {second_value}"
    )]
    Mismatch {
        /// What was compared (`pubkey`, `redeem script`, `Live`, …).
        what: String,
        /// The first wallet's label.
        first: String,
        /// Its value.
        first_value: String,
        /// The other wallet's label.
        second: String,
        /// Its value.
        second_value: String,
    },
    /// A wallet is reachable but cannot serve (daemon not connected, locked).
    #[error("wallet {wallet} not ready: {reason}")]
    NotReady {
        /// The wallet's label.
        wallet: String,
        /// Why.
        reason: String,
    },
    /// The manager refused the call: it is stopped until a re-check clears it.
    #[error("wallet manager stopped: {reason}")]
    Stopped {
        /// Why it stopped.
        reason: String,
    },
    /// A server is on another network than the configured one (checked at connect).
    #[error(
        "{server} is on {actual}, expected {expected}: check its host and the network options"
    )]
    WrongNetwork {
        /// `hcd host:port` or `hcwallet host:port`.
        server: String,
        /// The configured network.
        expected: String,
        /// The network the server reported (`getcurrentnet`).
        actual: String,
    },
    /// A server is not what it was configured as (an hcd where a wallet was expected, …).
    #[error("{server}: {reason}")]
    WrongServer {
        /// `hcd host:port` or `hcwallet host:port`.
        server: String,
        /// What was wrong.
        reason: String,
    },

    // ----- TLS material (every origin) -----
    /// A certificate or key file could not be read or parsed.
    #[error("cannot load {what} from {path}: {reason}")]
    TlsLoad {
        /// "certificate" or "key".
        what: &'static str,
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A PEM file held no certificate.
    #[error("no certificate in {0}")]
    NoCertificate(String),
    /// rustls refused the configuration.
    #[error("tls configuration: {0}")]
    TlsConfig(#[from] rustls::Error),

    // ----- voting nodes (stakepoold, gRPC) -----
    /// The stakepoold host string is not a usable endpoint.
    #[error("bad stakepoold host {0:?}")]
    VotingNodeEndpoint(String),
    /// The voting node could not be reached.
    #[error("cannot connect: {0}")]
    VotingNodeConnect(String),
    /// A voting-node call did not finish within the per-call timeout.
    #[error("no answer within {0:?}")]
    VotingNodeTimeout(Duration),
    /// The voting node answered with a gRPC error status.
    #[error("rpc error: code = {code:?} desc = {message}")]
    VotingNodeStatus {
        /// The gRPC status code.
        code: tonic::Code,
        /// The status message.
        message: String,
    },
    /// The voting node's API version is not compatible with the one required.
    #[error(
        "Stakepoold gRPC server does not have a compatible API version. \
         Advertises {got} but require {required}"
    )]
    IncompatibleVersion {
        /// The version the node reported.
        got: String,
        /// The version required.
        required: String,
    },
    /// A voting-node `TicketHash` that is not 32 bytes.
    #[error("ticket hash must be 32 bytes, got {0}")]
    BadTicketHash(usize),
    /// A value does not fit the voting-node wire type.
    #[error("value out of range: {0}")]
    OutOfRange(String),
    /// The voting node's gRPC server failed.
    #[error("grpc server: {0}")]
    VotingNodeServe(String),
}

impl Error {
    pub(crate) fn bad_reply(method: &str, detail: impl Into<String>) -> Self {
        Error::BadReply {
            method: method.to_owned(),
            detail: detail.into(),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// The RPC error object, when the server answered with one.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            Error::Rpc(e) => Some(e),
            _ => None,
        }
    }

    /// How the core's services should read this failure.
    pub fn kind(&self) -> BackendKind {
        match self {
            Error::Io { .. }
            | Error::WebSocket(_)
            | Error::Http(_)
            | Error::Timeout { .. }
            | Error::Disconnected
            | Error::Shutdown
            | Error::NotResent { .. }
            | Error::BelowMinServers { .. }
            | Error::NotReady { .. }
            | Error::Stopped { .. }
            | Error::NotWebsocket { .. }
            | Error::VotingNodeConnect(_)
            | Error::VotingNodeTimeout(_) => BackendKind::Unavailable,
            Error::VotingNodeStatus { code, .. } => match code {
                tonic::Code::Unavailable
                | tonic::Code::DeadlineExceeded
                | tonic::Code::Cancelled => BackendKind::Unavailable,
                tonic::Code::NotFound => BackendKind::NotFound,
                tonic::Code::InvalidArgument => BackendKind::Rejected,
                _ => BackendKind::Other,
            },
            Error::IncompatibleVersion { .. } | Error::BadTicketHash(_) => {
                BackendKind::Inconsistent
            }
            Error::OutOfRange(_) => BackendKind::Rejected,
            Error::Rpc(e) if e.code == RpcError::NO_INFORMATION => BackendKind::NotFound,
            Error::Rpc(_) => BackendKind::Rejected,
            Error::BadReply { .. } | Error::HttpStatus { .. } | Error::Mismatch { .. } => {
                BackendKind::Inconsistent
            }
            Error::Backend(e) => e.backend_kind().unwrap_or(BackendKind::Other),
            Error::Config(_)
            | Error::Certificate { .. }
            | Error::Auth
            | Error::WrongNetwork { .. }
            | Error::WrongServer { .. }
            | Error::TlsLoad { .. }
            | Error::NoCertificate(_)
            | Error::TlsConfig(_)
            | Error::VotingNodeEndpoint(_)
            | Error::VotingNodeServe(_) => BackendKind::Other,
        }
    }

    /// Whether the wallet should be treated as absent (not counted, not compared), as the
    /// Go manager does with "client has been disconnected/shutdown"; timeouts count too.
    pub fn is_unavailable(&self) -> bool {
        self.kind() == BackendKind::Unavailable
    }

    /// Whether this is a voting node's (stakepoold's) failure.
    pub fn is_voting_node(&self) -> bool {
        matches!(
            self,
            Error::VotingNodeEndpoint(_)
                | Error::VotingNodeConnect(_)
                | Error::VotingNodeTimeout(_)
                | Error::VotingNodeStatus { .. }
                | Error::IncompatibleVersion { .. }
                | Error::BadTicketHash(_)
                | Error::OutOfRange(_)
                | Error::VotingNodeServe(_)
        )
    }

    /// Wraps this error as a core wallet error for `wallet` (hcd and hcwallet failures; a
    /// voting node's failure stays a voting-node error, see [`Error::into_voting_node`]).
    pub fn into_core(self, wallet: impl Into<String>) -> hcpool_core::Error {
        match self {
            // Already a core error: keep it (and its wallet label) as it is.
            Error::Backend(e) => e,
            e if e.is_voting_node() => e.into_voting_node(&wallet.into()),
            other => hcpool_core::Error::Wallet {
                wallet: wallet.into(),
                kind: other.kind(),
                source: Box::new(other),
            },
        }
    }
}

impl Error {
    /// Wraps this error as the core error of voting node `node` (a stakepoold).
    pub fn into_voting_node(self, node: &str) -> hcpool_core::Error {
        hcpool_core::Error::VotingNode {
            node: node.to_owned(),
            kind: self.kind(),
            source: Box::new(self),
        }
    }
}

impl From<tonic::Status> for Error {
    fn from(s: tonic::Status) -> Self {
        Error::VotingNodeStatus {
            code: s.code(),
            message: s.message().to_owned(),
        }
    }
}

impl From<tokio_tungstenite::tungstenite::Error> for Error {
    fn from(e: tokio_tungstenite::tungstenite::Error) -> Self {
        Error::WebSocket(Box::new(e))
    }
}

impl From<Error> for hcpool_core::Error {
    fn from(e: Error) -> Self {
        e.into_core("wallet manager")
    }
}

/// How much of a node's or wallet's reply the errors echo (characters).
pub(crate) const ECHO_MAX: usize = 120;

pub(crate) use hcpool_core::util::truncate;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_error_renders_like_the_go_client() {
        let e = Error::from(RpcError {
            code: -5,
            message: "No information for transaction".into(),
        });
        assert_eq!(e.to_string(), "-5: No information for transaction");
        assert_eq!(e.kind(), BackendKind::NotFound);
    }

    #[test]
    fn voting_node_failures_stay_voting_node_errors() {
        let e = Error::VotingNodeTimeout(Duration::from_secs(2)).into_core("node1");
        assert!(
            matches!(&e, hcpool_core::Error::VotingNode { node, kind: BackendKind::Unavailable, .. } if node == "node1"),
            "{e:?}"
        );
        let e = Error::Disconnected.into_core("wallet1");
        assert!(
            matches!(&e, hcpool_core::Error::Wallet { wallet, kind: BackendKind::Unavailable, .. } if wallet == "wallet1"),
            "{e:?}"
        );
        let e = Error::from(tonic::Status::not_found("x"));
        assert_eq!(e.kind(), BackendKind::NotFound);
    }

    #[test]
    fn below_min_servers_text_matches_hcstakepool() {
        let e = Error::BelowMinServers {
            available: 1,
            min: 2,
        };
        assert_eq!(
            e.to_string(),
            "not processing command; 1 servers avail is below min of 2"
        );
        assert!(e.is_unavailable());
    }
}

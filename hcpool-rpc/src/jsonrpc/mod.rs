//! JSON-RPC client for hcwallet and hcd as they really speak it (hcwallet-rpc.md §1–3):
//! btcd-style "1.0" envelopes over a websocket at `/ws` (or one POST per call), HTTP basic
//! auth, TLS pinned to the server's self-signed certificate, pipelined calls matched by id,
//! per-call timeouts, reconnect with backoff and re-registration, notifications.

pub mod client;
pub mod config;
pub mod convert;
pub mod envelope;
pub mod notify;
mod post;
pub mod replies;
pub(crate) mod tls;
mod ws;

pub use client::RpcClient;
pub use config::{ClientConfig, Mode, PinnedCert, Reconnect};
pub use envelope::Notification;

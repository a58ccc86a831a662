//! [`RpcClient`]: one connection to hcwallet or hcd, websocket or POST.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::jsonrpc::config::{ClientConfig, Mode};
use crate::jsonrpc::envelope::Notification;
use crate::jsonrpc::post::PostClient;
use crate::jsonrpc::tls;
use crate::jsonrpc::ws::WsClient;

#[derive(Clone)]
enum Transport {
    Ws(WsClient),
    Post(Arc<PostClient>),
}

/// A JSON-RPC client for hcwallet or hcd (cheap to clone; clones share the connection).
///
/// Dropping the last clone closes the websocket.
#[derive(Clone)]
pub struct RpcClient {
    label: String,
    transport: Transport,
}

impl std::fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcClient")
            .field("label", &self.label)
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl RpcClient {
    /// Loads the pinned certificate and, in websocket mode, dials: an unreachable server,
    /// a wrong certificate or refused credentials fail here, like hcrpcclient's `New()`.
    pub async fn connect(cfg: ClientConfig) -> Result<Self> {
        let pinned = tls::load_pinned(&cfg.cert)?;
        let hostname = cfg.check_hostname.then(|| cfg.hostname().to_owned());
        let tls = tls::client_config(pinned, hostname)?;
        let label = cfg.host.clone();
        let transport = match cfg.mode {
            Mode::WebSocket => Transport::Ws(WsClient::connect(cfg, tls).await?),
            Mode::HttpPost => Transport::Post(Arc::new(PostClient::new(cfg, tls))),
        };
        Ok(RpcClient { label, transport })
    }

    /// The server's `host:port`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Websocket: the link is up now. POST: always true (each call connects).
    pub fn is_connected(&self) -> bool {
        match &self.transport {
            Transport::Ws(ws) => ws.is_connected(),
            Transport::Post(_) => true,
        }
    }

    /// Websocket: a receiver whose value (the number of reconnects) changes each time the
    /// link is back up with its `notify*` registrations re-issued, so a caller can reload
    /// what it missed while down. POST: `None` (nothing to reconnect).
    pub fn reconnects(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        match &self.transport {
            Transport::Ws(ws) => Some(ws.reconnects()),
            Transport::Post(_) => None,
        }
    }

    /// Closes the websocket; pending and later calls fail with [`Error::Shutdown`].
    pub fn close(&self) {
        if let Transport::Ws(ws) = &self.transport {
            ws.close();
        }
    }

    /// Calls waiting for their reply (websocket; 0 in POST mode). A call whose caller
    /// gave up (its future dropped, or timed out) is not counted: its entry is removed.
    pub fn pending_calls(&self) -> usize {
        match &self.transport {
            Transport::Ws(ws) => ws.pending_calls(),
            Transport::Post(_) => 0,
        }
    }

    /// Calls `method` with positional `params`; returns the raw `result`.
    pub async fn call_value(&self, method: &str, params: Vec<Value>) -> Result<Value> {
        match &self.transport {
            Transport::Ws(ws) => ws.call(method, params).await,
            Transport::Post(p) => p.call(method, params).await,
        }
    }

    /// Calls `method` and decodes the `result` as `T`.
    pub async fn call<T: DeserializeOwned>(&self, method: &str, params: Vec<Value>) -> Result<T> {
        let value = self.call_value(method, params).await?;
        serde_json::from_value(value).map_err(|e| Error::bad_reply(method, e.to_string()))
    }

    /// Calls a method whose result is `null` (`importscript`, `addticket`, …).
    pub async fn call_unit(&self, method: &str, params: Vec<Value>) -> Result<()> {
        self.call_value(method, params).await.map(|_| ())
    }

    /// A new receiver of every notification the server pushes from now on (websocket only).
    pub fn notifications(&self) -> Result<mpsc::UnboundedReceiver<Notification>> {
        match &self.transport {
            Transport::Ws(ws) => Ok(ws.subscribe()),
            Transport::Post(_) => Err(Error::Config(
                "notifications need websocket mode, not HTTP POST".into(),
            )),
        }
    }

    /// Calls a `notify*` registration and re-issues it after every reconnect.
    pub async fn register(&self, method: &str) -> Result<()> {
        match &self.transport {
            Transport::Ws(ws) => ws.register(method).await,
            Transport::Post(_) => Err(Error::Config(
                "notifications need websocket mode, not HTTP POST".into(),
            )),
        }
    }
}

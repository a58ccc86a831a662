//! HTTP POST mode: one TLS connection and one `POST /` per call, `Connection: close`
//! (hcrpcclient's `HTTPPostMode`). No notifications in this mode.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tracing::debug;

use crate::error::{truncate, Error, Result, ECHO_MAX};
use crate::jsonrpc::config::ClientConfig;
use crate::jsonrpc::envelope::{parse_incoming, Incoming, Request};
use crate::jsonrpc::ws::tls_connect;

/// Replies larger than this are refused (a wallet's largest reply is a few MB of tickets).
const MAX_BODY: usize = 64 * 1024 * 1024;

pub(crate) struct PostClient {
    cfg: ClientConfig,
    tls: Arc<rustls::ClientConfig>,
    next_id: AtomicU64,
}

impl PostClient {
    pub(crate) fn new(cfg: ClientConfig, tls: Arc<rustls::ClientConfig>) -> Self {
        PostClient {
            cfg,
            tls,
            next_id: AtomicU64::new(1),
        }
    }

    pub(crate) async fn call(&self, method: &str, params: Vec<Value>) -> Result<Value> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = Request::new(method, &params, id).to_text()?;
        let fut = self.round_trip(method, body);
        let (status, bytes) = match self.cfg.timeout {
            Some(after) => {
                tokio::time::timeout(after, fut)
                    .await
                    .map_err(|_| Error::Timeout {
                        method: method.to_owned(),
                        after,
                    })??
            }
            None => fut.await?,
        };
        if status == 401 || status == 403 {
            return Err(Error::Auth);
        }
        let text = String::from_utf8_lossy(&bytes);
        match parse_incoming(&text) {
            Ok(Incoming::Response { outcome, .. }) => outcome.map_err(Error::Rpc),
            _ => Err(Error::HttpStatus {
                status,
                body: truncate(text.trim_end(), ECHO_MAX),
            }),
        }
    }

    async fn round_trip(&self, method: &str, body: String) -> Result<(u16, Bytes)> {
        let stream = tls_connect(&self.cfg, &self.tls).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Error::Http(e.to_string()))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                debug!(error = %e, "post connection ended");
            }
        });
        let request = hyper::Request::post("/")
            .header("Host", self.cfg.host.as_str())
            .header("Content-Type", "application/json")
            .header("Connection", "close")
            .header("Authorization", self.cfg.basic_auth())
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| Error::Config("rpc user or password has invalid characters".into()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| Error::Http(format!("{method}: {e}")))?;
        let status = response.status().as_u16();
        let body = http_body_util::Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| Error::Http(format!("{method}: reading body: {e}")))?
            .to_bytes();
        Ok((status, body))
    }
}

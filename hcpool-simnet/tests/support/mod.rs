//! A minimal JSON-RPC client for the simulator tests: websocket and POST over TLS pinned
//! to the endpoint's generated certificate. Deliberately independent of the crate's client.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use hcpool_rpc::pinned_tls;
use hcpool_simnet::{basic_auth, EndpointInfo};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub const USER: &str = "user";
pub const PASS: &str = "pass";

pub async fn tls(ep: &EndpointInfo, alpn: &[u8]) -> TlsStream<TcpStream> {
    let certs = pinned_tls::parse_certs(ep.cert_pem.as_bytes()).unwrap();
    let cfg = pinned_tls::client_config(certs, &[alpn]).unwrap();
    let tcp = TcpStream::connect(ep.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(name, tcp)
        .await
        .unwrap()
}

/// One POST; returns (status, headers text, body).
pub async fn post(ep: &EndpointInfo, auth: Option<&str>, body: &str) -> (u16, String, String) {
    let mut s = tls(ep, b"http/1.1").await;
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

pub async fn post_call(ep: &EndpointInfo, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc":"1.0","method":method,"params":params,"id":1}).to_string();
    let (status, _, body) = post(ep, Some(&basic_auth(USER, PASS)), &body).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

pub struct Ws {
    ws: WebSocketStream<TlsStream<TcpStream>>,
    next_id: u64,
    pub notes: VecDeque<Value>,
}

impl Ws {
    pub async fn connect(ep: &EndpointInfo, auth: Option<&str>) -> Result<Ws, String> {
        let stream = tls(ep, b"http/1.1").await;
        let mut req = "wss://localhost/ws".into_client_request().unwrap();
        if let Some(a) = auth {
            req.headers_mut()
                .insert("Authorization", a.parse().unwrap());
        }
        let (ws, _) = tokio_tungstenite::client_async(req, stream)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Ws {
            ws,
            next_id: 1,
            notes: VecDeque::new(),
        })
    }

    pub async fn authed(ep: &EndpointInfo) -> Ws {
        Ws::connect(ep, Some(&basic_auth(USER, PASS)))
            .await
            .unwrap()
    }

    pub async fn send_raw(&mut self, text: String) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    /// The next frame as JSON, `None` when the socket closed or nothing came within `wait`.
    pub async fn frame(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let m = tokio::time::timeout(wait, self.ws.next()).await.ok()??;
            match m {
                Ok(Message::Text(t)) => return serde_json::from_str(&t).ok(),
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                _ => return None,
            }
        }
    }

    /// Sends a request and waits for the response with its id (notifications are queued).
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.try_call(method, params, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("no answer to {method}"))
    }

    pub async fn try_call(&mut self, method: &str, params: Value, wait: Duration) -> Option<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let req = json!({"jsonrpc":"1.0","method":method,"params":params,"id":id});
        self.send_raw(req.to_string()).await;
        loop {
            let f = self.frame(wait).await?;
            if f.get("id") == Some(&json!(id)) {
                return Some(f);
            }
            self.notes.push_back(f);
        }
    }

    /// The result of a call, panicking on an error.
    pub async fn ok(&mut self, method: &str, params: Value) -> Value {
        let r = self.call(method, params).await;
        assert!(r["error"].is_null(), "{method}: {r}");
        r["result"].clone()
    }

    /// The next notification.
    pub async fn note(&mut self) -> Value {
        if let Some(n) = self.notes.pop_front() {
            return n;
        }
        self.frame(Duration::from_secs(10))
            .await
            .expect("notification")
    }
}

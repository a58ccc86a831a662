//! A small hcwallet/hcd look-alike for the client tests: TLS with a freshly generated
//! self-signed P-521 CA certificate (like hcwallet's), basic auth, `GET /ws` upgrade and
//! `POST /` on one port, replies scripted per method (defaults from `tests/data/replies.json`),
//! requests served concurrently, notifications pushed on demand, connections droppable.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use hcpool_core::Secret;
use hcpool_rpc::{ClientConfig, PinnedCert, Reconnect};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, KeyUsagePurpose};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub const USER: &str = "rpcuser";
pub const PASS: &str = "rpcpass-secret";

/// The fixtures: method → {params, result | error}.
pub fn fixtures() -> serde_json::Map<String, Value> {
    let text = include_str!("../data/replies.json");
    serde_json::from_str(text).expect("fixture file is valid JSON")
}

/// A self-signed ECDSA P-521 certificate with `cA=TRUE`, SANs localhost/127.0.0.1/::1.
pub struct TestCert {
    pub pem: String,
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
}

pub fn p521_cert() -> TestCert {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])
    .expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyCertSign,
    ];
    let cert = params.self_signed(&key).expect("self-signed");
    TestCert {
        pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_der: key.serialize_der(),
    }
}

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    Result(Value),
    Error(i64, String),
    /// Never answer.
    Hang,
    /// Send this exact frame instead of a proper reply.
    Raw(String),
    /// Answer after a delay.
    Delayed(Duration, Box<Reply>),
}

/// Every request seen: (method, params).
pub type RequestLog = Arc<Mutex<Vec<(String, Vec<Value>)>>>;

pub type Handler = Arc<dyn Fn(&str, &[Value]) -> Reply + Send + Sync>;

/// Replies from the fixture file; params are checked against the fixture's `params` and a
/// mismatch is answered with -32600 so a test sees it.
pub fn fixture_handler() -> Handler {
    let fx = fixtures();
    Arc::new(move |method: &str, params: &[Value]| {
        let Some(entry) = fx.get(method) else {
            return Reply::Error(-32601, "Method not found".into());
        };
        if let Some(expected) = entry.get("params") {
            if expected.as_array().map(|a| a.as_slice()) != Some(params) {
                return Reply::Error(
                    -32600,
                    format!("test server: {method} params {params:?} != fixture {expected}"),
                );
            }
        }
        if let Some(err) = entry.get("error") {
            return Reply::Error(
                err["code"].as_i64().unwrap_or(0),
                err["message"].as_str().unwrap_or("").to_owned(),
            );
        }
        Reply::Result(entry.get("result").cloned().unwrap_or(Value::Null))
    })
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub cert: Arc<TestCert>,
    handler: Arc<Mutex<Handler>>,
    notify_tx: broadcast::Sender<String>,
    kill_tx: broadcast::Sender<()>,
    pub upgrades: Arc<AtomicUsize>,
    pub requests: RequestLog,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
        let _ = self.kill_tx.send(());
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(Arc::new(p521_cert()), fixture_handler()).await
    }

    pub async fn start_with(cert: Arc<TestCert>, handler: Handler) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Self::serve(listener, cert, handler)
    }

    /// Serves on an existing listener (for restart-on-the-same-port tests).
    pub fn serve(listener: TcpListener, cert: Arc<TestCert>, handler: Handler) -> TestServer {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let addr = listener.local_addr().expect("addr");
        let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.cert_der.clone().into()],
            rustls_pki_types::PrivateKeyDer::Pkcs8(cert.key_der.clone().into()),
        )
        .expect("server cert");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let handler = Arc::new(Mutex::new(handler));
        let (notify_tx, _) = broadcast::channel(64);
        let (kill_tx, _) = broadcast::channel(4);
        let upgrades = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let ctx = Ctx {
            handler: handler.clone(),
            notify_tx: notify_tx.clone(),
            kill_tx: kill_tx.clone(),
            upgrades: upgrades.clone(),
            requests: requests.clone(),
        };
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                // Go servers set TCP_NODELAY; without it pipelined replies stall on delayed ACKs.
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        let _ = handle_conn(tls, ctx).await;
                    }
                });
            }
        });
        TestServer {
            addr,
            cert,
            handler,
            notify_tx,
            kill_tx,
            upgrades,
            requests,
            task,
        }
    }

    pub fn set_handler(&self, h: Handler) {
        *self.handler.lock().unwrap() = h;
    }

    /// Pushes a notification frame to every websocket.
    pub fn notify(&self, method: &str, params: Value) {
        let frame = json!({"jsonrpc":"1.0","method":method,"params":params,"id":null});
        let _ = self.notify_tx.send(frame.to_string());
    }

    /// Closes every open connection.
    pub fn drop_connections(&self) {
        let _ = self.kill_tx.send(());
    }

    pub fn count(&self, method: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _)| m == method)
            .count()
    }

    pub fn config(&self) -> ClientConfig {
        let mut cfg = ClientConfig::new(
            self.addr.to_string(),
            USER,
            Secret::new(PASS.to_owned()),
            PinnedCert::Pem(self.cert.pem.clone()),
        );
        cfg.timeout = Some(Duration::from_secs(5));
        cfg.reconnect = Reconnect::Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_millis(200),
            queue_while_down: true,
        };
        cfg
    }
}

#[derive(Clone)]
struct Ctx {
    handler: Arc<Mutex<Handler>>,
    notify_tx: broadcast::Sender<String>,
    kill_tx: broadcast::Sender<()>,
    upgrades: Arc<AtomicUsize>,
    requests: RequestLog,
}

fn expected_auth() -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"))
    )
}

async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).await? == 0 || buf.len() > 16 * 1024 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.push(byte[0]);
    }
    Ok(buf)
}

async fn handle_conn<S>(mut s: S, ctx: Ctx) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let head = read_head(&mut s).await?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    req.parse(&head)
        .map_err(|_| std::io::ErrorKind::InvalidData)?;
    let method = req.method.unwrap_or("").to_owned();
    let path = req.path.unwrap_or("").to_owned();
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    let auth_ok = header("authorization").as_deref() == Some(expected_auth().as_str());
    let ws_key = header("sec-websocket-key");
    let content_length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if !auth_ok {
        let body = "401 Unauthorized.\n";
        let resp = format!(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"btcwallet RPC\"\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(resp.as_bytes()).await?;
        return s.shutdown().await;
    }
    if method == "GET" && path == "/ws" {
        let Some(key) = ws_key else {
            s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await?;
            return Ok(());
        };
        let resp = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
            derive_accept_key(key.as_bytes())
        );
        s.write_all(resp.as_bytes()).await?;
        ctx.upgrades.fetch_add(1, Ordering::SeqCst);
        let ws = WebSocketStream::from_raw_socket(s, Role::Server, None).await;
        serve_ws(ws, ctx).await;
        return Ok(());
    }
    if method == "POST" {
        let mut body = vec![0u8; content_length];
        s.read_exact(&mut body).await?;
        let reply = match answer(&ctx, &String::from_utf8_lossy(&body)).await {
            Some(r) => r,
            None => return Ok(()),
        };
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
            reply.len()
        );
        s.write_all(resp.as_bytes()).await?;
        return s.shutdown().await;
    }
    s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        .await?;
    Ok(())
}

/// The reply frame for one request text; `None` to stay silent.
async fn answer(ctx: &Ctx, text: &str) -> Option<String> {
    let req: Value = serde_json::from_str(text).ok()?;
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let method = req["method"].as_str().unwrap_or("").to_owned();
    let params: Vec<Value> = req["params"].as_array().cloned().unwrap_or_default();
    ctx.requests
        .lock()
        .unwrap()
        .push((method.clone(), params.clone()));
    let handler = ctx.handler.lock().unwrap().clone();
    let mut reply = handler(&method, &params);
    loop {
        match reply {
            Reply::Result(v) => {
                return Some(json!({"result": v, "error": null, "id": id}).to_string())
            }
            Reply::Error(code, message) => {
                return Some(
                    json!({"result": null, "error": {"code": code, "message": message}, "id": id})
                        .to_string(),
                )
            }
            Reply::Raw(frame) => return Some(frame),
            Reply::Hang => {
                futures::future::pending::<()>().await;
                return None;
            }
            Reply::Delayed(d, inner) => {
                tokio::time::sleep(d).await;
                reply = *inner;
            }
        }
    }
}

async fn serve_ws<S>(ws: WebSocketStream<S>, ctx: Ctx)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = ws.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let mut notify_rx = ctx.notify_tx.subscribe();
    let mut kill_rx = ctx.kill_tx.subscribe();
    loop {
        tokio::select! {
            _ = kill_rx.recv() => {
                // An abrupt drop: no close frame, like a crashed wallet.
                return;
            }
            n = notify_rx.recv() => {
                if let Ok(frame) = n {
                    if sink.send(Message::text(frame)).await.is_err() { return; }
                }
            }
            out = out_rx.recv() => {
                let Some(frame) = out else { return };
                if sink.send(Message::text(frame)).await.is_err() { return; }
            }
            msg = stream.next() => {
                let Some(Ok(msg)) = msg else { return };
                if let Message::Text(t) = msg {
                    // hcwallet serves each request in its own goroutine.
                    let ctx = ctx.clone();
                    let out_tx = out_tx.clone();
                    tokio::spawn(async move {
                        if let Some(reply) = answer(&ctx, t.as_str()).await {
                            let _ = out_tx.send(reply);
                        }
                    });
                }
            }
        }
    }
}

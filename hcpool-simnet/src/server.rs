//! The HTTPS listeners: `POST /` and `GET /ws` on one port, basic auth, TLS
//! (hcwallet-rpc.md §1).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::cluster::{Shared, Transport};
use super::envelope::{self, RpcError};

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

#[derive(Clone)]
struct Ctx {
    shared: Arc<Shared>,
    endpoint: usize,
}

fn sha256(b: &[u8]) -> [u8; 32] {
    use bitcoin::hashes::{sha256, Hash};
    sha256::Hash::hash(b).to_byte_array()
}

/// hcwallet's check: SHA-256 of the whole header value against SHA-256 of the expected
/// one, compared in constant time.
fn auth_ok(shared: &Shared, value: &[u8]) -> bool {
    let a = sha256(value);
    let b = sha256(shared.expected_auth.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The `Authorization` value a client with `user`/`pass` sends.
pub fn basic_auth(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

/// The 401 as hcd/hcwallet send it (Go's `http.Error`, which also sets `nosniff`).
fn unauthorized(realm: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [
            (header::WWW_AUTHENTICATE, format!("Basic realm=\"{realm}\"")),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        "401 Unauthorized.\n",
    )
        .into_response()
}

async fn post(State(cx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    let ep = &cx.shared.endpoints[cx.endpoint];
    match headers.get(header::AUTHORIZATION) {
        Some(v) if auth_ok(&cx.shared, v.as_bytes()) => {}
        _ => return unauthorized(ep.role.realm()),
    }
    let (id, outcome) = match envelope::parse_request(&body) {
        Ok(req) => {
            if is_silent(ep, &req) {
                futures::future::pending::<()>().await;
            }
            if let Some(d) = delay(ep, &req) {
                tokio::time::sleep(d).await;
            }
            let out = cx.shared.dispatch(cx.endpoint, Transport::Post, &req);
            (req.id, out)
        }
        Err((id, e)) => (id, Err(served_error(ep.role, e))),
    };
    (
        [(header::CONTENT_TYPE, "application/json")],
        envelope::response(&id, &outcome),
    )
        .into_response()
}

async fn ws(State(cx): State<Ctx>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let ep = &cx.shared.endpoints[cx.endpoint];
    let authed = match headers.get(header::AUTHORIZATION) {
        None => false,
        Some(v) if auth_ok(&cx.shared, v.as_bytes()) => true,
        Some(_) => return unauthorized(ep.role.realm()),
    };
    upgrade.on_upgrade(move |socket| serve_socket(cx, socket, authed))
}

async fn serve_socket(cx: Ctx, socket: WebSocket, mut authed: bool) {
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let ep = &cx.shared.endpoints[cx.endpoint];
    let mut kill = ep.kill.subscribe();
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
    });
    loop {
        let msg = tokio::select! {
            m = stream.next() => m,
            _ = kill.changed() => break,
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t.to_string(),
            Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => break,
        };
        let req = match envelope::parse_request(text.as_bytes()) {
            Ok(r) => r,
            Err((id, e)) => {
                if !authed {
                    break;
                }
                let _ = tx.send(envelope::response(&id, &Err(served_error(ep.role, e))));
                continue;
            }
        };
        if req.method == "authenticate" {
            // A bad pair, or a second authenticate, closes the socket without a reply.
            let ok = !authed
                && matches!(
                    (req.params.first().and_then(|v| v.as_str()), req.params.get(1).and_then(|v| v.as_str())),
                    (Some(u), Some(p)) if auth_ok(&cx.shared, basic_auth(u, p).as_bytes())
                );
            if !ok {
                break;
            }
            authed = true;
            let _ = tx.send(envelope::response(&req.id, &Ok(serde_json::Value::Null)));
            continue;
        }
        if !authed {
            break;
        }
        if is_silent(ep, &req) {
            continue;
        }
        match delay(ep, &req) {
            Some(d) => {
                let (shared, endpoint, tx) = (Arc::clone(&cx.shared), cx.endpoint, tx.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(d).await;
                    answer(&shared, endpoint, conn, &tx, req);
                });
            }
            None => answer(&cx.shared, cx.endpoint, conn, &tx, req),
        }
    }
    cx.shared.unsubscribe(conn);
    writer.abort();
}

/// Dispatches one websocket request and queues its answer.
fn answer(
    shared: &Shared,
    endpoint: usize,
    conn: u64,
    tx: &mpsc::UnboundedSender<String>,
    req: envelope::Request,
) {
    let out = shared.dispatch(endpoint, Transport::Ws { conn, tx }, &req);
    let string_ids = shared
        .endpoints
        .get(endpoint)
        .and_then(|ep| ep.faults.lock().ok().map(|f| f.string_ids))
        .unwrap_or(false);
    let id = if string_ids {
        serde_json::Value::String(req.id.to_string())
    } else {
        req.id
    };
    let _ = tx.send(envelope::response(&id, &out));
}

/// An envelope error as the program of `role` words it.
fn served_error(role: super::cluster::Role, e: RpcError) -> RpcError {
    match role {
        super::cluster::Role::Wallet(_) => e.as_wallet_error(),
        _ => e,
    }
}

/// The `method_delays` fault for this request, if any (control methods are never delayed).
fn delay(
    ep: &super::cluster::EndpointState,
    req: &envelope::Request,
) -> Option<std::time::Duration> {
    if req.method.starts_with("simnet_") {
        return None;
    }
    ep.faults
        .lock()
        .ok()
        .and_then(|f| f.method_delays.get(&req.method).copied())
}

/// A silent endpoint reads requests and never answers them (control methods excepted).
fn is_silent(ep: &super::cluster::EndpointState, req: &envelope::Request) -> bool {
    !req.method.starts_with("simnet_")
        && ep
            .faults
            .lock()
            .map(|f| f.silent || f.silent_methods.contains(&req.method))
            .unwrap_or(false)
}

fn method_not_allowed() -> Response {
    let body = envelope::response(
        &serde_json::Value::Null,
        &Err(RpcError::invalid_request("use POST")),
    );
    (StatusCode::METHOD_NOT_ALLOWED, body).into_response()
}

/// Serves endpoint `endpoint` on `listener` until the task is aborted.
pub async fn run(
    shared: Arc<Shared>,
    endpoint: usize,
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
) {
    let faults_of = Arc::clone(&shared);
    let cx = Ctx { shared, endpoint };
    let app = Router::new()
        .route("/ws", get(ws))
        .fallback(|state: State<Ctx>, method: axum::http::Method, headers: HeaderMap, body: Bytes| async move {
            if method == axum::http::Method::POST {
                post(state, headers, body).await
            } else {
                method_not_allowed()
            }
        })
        .with_state(cx);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("simnet accept: {e}");
                continue;
            }
        };
        let down = faults_of
            .endpoints
            .get(endpoint)
            .and_then(|ep| ep.faults.lock().ok().map(|f| f.down))
            .unwrap_or(false);
        if down {
            // A killed process: the connection is closed at once.
            drop(tcp);
            continue;
        }
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let handshake = tokio::time::timeout(
                hcpool_rpc::stakepoold::server::HANDSHAKE_TIMEOUT,
                acceptor.accept(tcp),
            );
            let tls = match handshake.await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!("simnet tls handshake with {peer}: {e}");
                    return;
                }
                Err(_) => return,
            };
            let svc = hyper_util::service::TowerToHyperService::new(app);
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(tls), svc)
                .await;
        });
    }
}

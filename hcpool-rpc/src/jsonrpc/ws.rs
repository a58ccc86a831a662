//! The websocket transport: one socket, pipelined calls matched by id, notifications,
//! reconnect with backoff and re-registration (hcwallet-rpc.md §1.4).
//!
//! One task owns the socket. Callers put a pending entry (frame + reply slot) in a shared map
//! and wake the task with the id; the task writes frames, reads replies and completes the
//! slots. After a reconnect the task first re-issues the acknowledged `notify*`
//! registrations, then re-sends every pending frame not yet sent on the new link, except
//! calls that must not run twice ([`NOT_RESENT`]): written on the old link and unanswered,
//! they may have been applied, so they fail with [`Error::NotResent`] instead. A caller
//! that gives up (its future dropped) takes its pending entry with it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use hcpool_core::util::lock;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use tracing::{debug, info, warn};

use crate::error::{Error, Result};
use crate::jsonrpc::config::{ClientConfig, Reconnect};
use crate::jsonrpc::envelope::{parse_incoming, Incoming, Notification, Request};
use crate::jsonrpc::tls;

type Socket = WebSocketStream<TlsStream<TcpStream>>;

const UP: u8 = 0;
const DOWN: u8 = 1;
const SHUTDOWN: u8 = 2;

/// Methods never re-sent after a reconnect once written: applied twice they would spend
/// or broadcast twice (or race the first attempt), and the caller must check first.
pub(crate) const NOT_RESENT: &[&str] = &[
    "sendrawtransaction",
    "revoketickets",
    "sendtoaddress",
    "sendmany",
    "sendfrom",
    "purchaseticket",
];

/// Removes a call's pending entry when the call ends in any way, its future dropped by a
/// caller that gave up included (a reply already removed it: then a no-op).
struct PendingGuard<'a> {
    inner: &'a Inner,
    id: u64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(&self.inner.pending).remove(&self.id);
    }
}

struct Pending {
    method: String,
    frame: String,
    /// The link generation this frame was written on (0 = not yet).
    sent_gen: u64,
    reply: oneshot::Sender<Result<Value>>,
}

struct Inner {
    cfg: ClientConfig,
    tls: Arc<rustls::ClientConfig>,
    next_id: AtomicU64,
    state: AtomicU8,
    pending: Mutex<HashMap<u64, Pending>>,
    wake: mpsc::UnboundedSender<u64>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<Notification>>>,
    registrations: Mutex<Vec<String>>,
    shutdown: watch::Sender<bool>,
    /// Bumped after every successful reconnect (registrations re-issued).
    reconnects: watch::Sender<u64>,
}

/// Shuts the socket task down when the last client handle is dropped.
struct Guard(watch::Sender<bool>);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}

/// A websocket JSON-RPC client (cheap to clone).
#[derive(Clone)]
pub(crate) struct WsClient {
    inner: Arc<Inner>,
    _guard: Arc<Guard>,
}

impl WsClient {
    /// Dials once (failing like hcrpcclient's `New()` on error) and starts the socket task.
    pub(crate) async fn connect(cfg: ClientConfig, tls: Arc<rustls::ClientConfig>) -> Result<Self> {
        let socket = dial(&cfg, &tls).await?;
        let (wake, wake_rx) = mpsc::unbounded_channel();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let inner = Arc::new(Inner {
            cfg,
            tls,
            next_id: AtomicU64::new(1),
            state: AtomicU8::new(UP),
            pending: Mutex::new(HashMap::new()),
            wake,
            subscribers: Mutex::new(Vec::new()),
            registrations: Mutex::new(Vec::new()),
            shutdown: shutdown.clone(),
            reconnects: watch::channel(0).0,
        });
        tokio::spawn(run(inner.clone(), socket, wake_rx, shutdown_rx));
        Ok(WsClient {
            inner,
            _guard: Arc::new(Guard(shutdown)),
        })
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.inner.state.load(Ordering::Acquire) == UP
    }

    /// Counts the reconnects; changes once the link is back and re-registered.
    pub(crate) fn reconnects(&self) -> watch::Receiver<u64> {
        self.inner.reconnects.subscribe()
    }

    pub(crate) fn pending_calls(&self) -> usize {
        lock(&self.inner.pending).len()
    }

    pub(crate) fn close(&self) {
        let _ = self.inner.shutdown.send(true);
    }

    pub(crate) fn subscribe(&self) -> mpsc::UnboundedReceiver<Notification> {
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.inner.subscribers).push(tx);
        rx
    }

    /// Calls a `notify*` method and remembers it for re-registration after reconnects.
    pub(crate) async fn register(&self, method: &str) -> Result<()> {
        self.call(method, Vec::new()).await?;
        let mut regs = lock(&self.inner.registrations);
        if !regs.iter().any(|m| m == method) {
            regs.push(method.to_owned());
        }
        Ok(())
    }

    pub(crate) async fn call(&self, method: &str, params: Vec<Value>) -> Result<Value> {
        let inner = &self.inner;
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let frame = Request::new(method, &params, id).to_text()?;
        let (tx, rx) = oneshot::channel();
        {
            // The task changes the state and fails pending calls under this same lock, so a
            // call either sees the new state or is failed with the others.
            let mut pending = lock(&inner.pending);
            match inner.state.load(Ordering::Acquire) {
                SHUTDOWN => return Err(Error::Shutdown),
                DOWN if !queue_while_down(&inner.cfg) => return Err(Error::Disconnected),
                _ => {}
            }
            pending.insert(
                id,
                Pending {
                    method: method.to_owned(),
                    frame,
                    sent_gen: 0,
                    reply: tx,
                },
            );
        }
        let _entry = PendingGuard { inner, id };
        if inner.wake.send(id).is_err() {
            return Err(Error::Shutdown);
        }
        let reply = match inner.cfg.timeout {
            Some(after) => match tokio::time::timeout(after, rx).await {
                Ok(r) => r,
                Err(_) => {
                    return Err(Error::Timeout {
                        method: method.to_owned(),
                        after,
                    });
                }
            },
            None => rx.await,
        };
        reply.unwrap_or(Err(Error::Disconnected))
    }
}

fn queue_while_down(cfg: &ClientConfig) -> bool {
    matches!(
        cfg.reconnect,
        Reconnect::Backoff {
            queue_while_down: true,
            ..
        }
    )
}

/// TCP, TLS with the pinned verifier, then the upgrade with the basic-auth header.
pub(crate) async fn dial(
    cfg: &ClientConfig,
    tls_cfg: &Arc<rustls::ClientConfig>,
) -> Result<Socket> {
    let fut = async {
        let tls_stream = tls_connect(cfg, tls_cfg).await?;
        let url = format!("wss://{}/{}", cfg.host, cfg.endpoint);
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|_| Error::Config(format!("host {:?} does not form a URL", cfg.host)))?;
        let auth = HeaderValue::from_str(&cfg.basic_auth())
            .map_err(|_| Error::Config("rpc user or password has invalid characters".into()))?;
        request.headers_mut().insert("Authorization", auth);
        match tokio_tungstenite::client_async(request, tls_stream).await {
            Ok((socket, _resp)) => Ok(socket),
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                let status = resp.status();
                if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                    Err(Error::Auth)
                } else {
                    Err(Error::NotWebsocket {
                        status: status.as_u16(),
                    })
                }
            }
            Err(e) => Err(e.into()),
        }
    };
    tokio::time::timeout(cfg.connect_timeout, fut)
        .await
        .unwrap_or_else(|_| {
            Err(Error::Timeout {
                method: "connect".into(),
                after: cfg.connect_timeout,
            })
        })
}

/// TCP connect and TLS handshake against the pinned certificate.
pub(crate) async fn tls_connect(
    cfg: &ClientConfig,
    tls_cfg: &Arc<rustls::ClientConfig>,
) -> Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(cfg.host.as_str())
        .await
        .map_err(|e| Error::io(format!("connect to {}", cfg.host), e))?;
    let _ = tcp.set_nodelay(true);
    let name = tls::server_name(cfg.hostname())?;
    tokio_rustls::TlsConnector::from(tls_cfg.clone())
        .connect(name, tcp)
        .await
        .map_err(|e| Error::io(format!("tls handshake with {}", cfg.host), e))
}

/// Resolves once shutdown was requested (or every sender is gone).
async fn shut(rx: &mut watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

enum Ended {
    Shutdown,
    Dropped(String),
}

async fn run(
    inner: Arc<Inner>,
    mut socket: Socket,
    mut wake_rx: mpsc::UnboundedReceiver<u64>,
    mut shutdown_rx: watch::Receiver<bool>,
) {
    let mut generation: u64 = 1;
    let mut first = true;
    loop {
        let ended = if first {
            first = false;
            serve(
                &inner,
                &mut socket,
                &mut wake_rx,
                &mut shutdown_rx,
                generation,
            )
            .await
        } else {
            match reregister(&inner, &mut socket, &mut shutdown_rx).await {
                Ok(()) => {
                    set_state(&inner, UP, None);
                    inner.reconnects.send_modify(|n| *n += 1);
                    resend_pending(&inner, &mut socket, generation).await;
                    serve(
                        &inner,
                        &mut socket,
                        &mut wake_rx,
                        &mut shutdown_rx,
                        generation,
                    )
                    .await
                }
                Err(e) => Ended::Dropped(format!("re-registration failed: {e}")),
            }
        };
        let _ = socket.close(None).await;
        let reason = match ended {
            Ended::Shutdown => {
                set_state(&inner, SHUTDOWN, Some(|| Error::Shutdown));
                return;
            }
            Ended::Dropped(reason) => reason,
        };
        let (base, max, queue) = match inner.cfg.reconnect {
            Reconnect::Never => {
                info!(host = %inner.cfg.host, %reason, "disconnected; reconnect disabled");
                set_state(&inner, SHUTDOWN, Some(|| Error::Disconnected));
                return;
            }
            Reconnect::Backoff {
                base,
                max,
                queue_while_down,
            } => (base, max, queue_while_down),
        };
        warn!(host = %inner.cfg.host, %reason, "disconnected; reconnecting");
        if queue {
            set_state(&inner, DOWN, None);
        } else {
            set_state(&inner, DOWN, Some(|| Error::Disconnected));
        }
        let mut attempt: u32 = 0;
        socket = loop {
            attempt = attempt.saturating_add(1);
            let delay = base.saturating_mul(attempt).min(max);
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shut(&mut shutdown_rx) => {
                    set_state(&inner, SHUTDOWN, Some(|| Error::Shutdown));
                    return;
                }
            }
            match dial(&inner.cfg, &inner.tls).await {
                Ok(s) => break s,
                Err(e) => debug!(host = %inner.cfg.host, attempt, error = %e, "reconnect failed"),
            }
        };
        info!(host = %inner.cfg.host, attempt, "reconnected");
        // Ids woken while down are covered by the re-send of the pending map.
        while wake_rx.try_recv().is_ok() {}
        generation += 1;
    }
}

/// Sets the link state; with `fail`, completes every pending call with that error under the
/// same lock the callers take.
fn set_state(inner: &Inner, state: u8, fail: Option<fn() -> Error>) {
    let mut pending = lock(&inner.pending);
    inner.state.store(state, Ordering::Release);
    if let Some(make) = fail {
        for (_, p) in pending.drain() {
            let _ = p.reply.send(Err(make()));
        }
    }
}

async fn reregister(
    inner: &Arc<Inner>,
    socket: &mut Socket,
    shutdown_rx: &mut watch::Receiver<bool>,
) -> Result<()> {
    let methods = lock(&inner.registrations).clone();
    let mut waiting: HashMap<u64, String> = HashMap::new();
    for method in methods {
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let frame = Request::new(&method, &[], id).to_text()?;
        socket.send(Message::text(frame)).await?;
        waiting.insert(id, method);
    }
    let deadline = tokio::time::sleep(inner.cfg.timeout.unwrap_or(Duration::from_secs(60)));
    tokio::pin!(deadline);
    while !waiting.is_empty() {
        let msg = tokio::select! {
            m = socket.next() => m,
            _ = &mut deadline => return Err(Error::Timeout { method: "re-registration".into(), after: inner.cfg.timeout.unwrap_or_default() }),
            _ = shut(shutdown_rx) => return Err(Error::Shutdown),
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t.to_string(),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => return Err(Error::Disconnected),
        };
        match parse_incoming(&text) {
            Ok(Incoming::Response { id, outcome }) => {
                if let Some(method) = waiting.remove(&id) {
                    outcome.map_err(Error::Rpc)?;
                    debug!(host = %inner.cfg.host, %method, "re-registered");
                } else {
                    dispatch(inner, Incoming::Response { id, outcome });
                }
            }
            Ok(other) => dispatch(inner, other),
            Err(e) => warn!(host = %inner.cfg.host, error = %e, "dropping frame"),
        }
    }
    Ok(())
}

/// Whether pending call `p` may be written on link `generation`: not yet written there,
/// and not a [`NOT_RESENT`] method already written on an earlier link.
fn may_send(p: &Pending, generation: u64) -> bool {
    p.sent_gen == 0 || (p.sent_gen != generation && !NOT_RESENT.contains(&p.method.as_str()))
}

/// Fails the [`NOT_RESENT`] calls written on an earlier link and still unanswered.
fn fail_unsafe_resends(pending: &mut HashMap<u64, Pending>, generation: u64) {
    let stale: Vec<u64> = pending
        .iter()
        .filter(|(_, p)| p.sent_gen != generation && !may_send(p, generation))
        .map(|(id, _)| *id)
        .collect();
    for id in stale {
        if let Some(p) = pending.remove(&id) {
            warn!(id, method = %p.method, "sent before the link dropped; not re-sent");
            let _ = p.reply.send(Err(Error::NotResent { method: p.method }));
        }
    }
}

async fn resend_pending(inner: &Arc<Inner>, socket: &mut Socket, generation: u64) {
    let frames: Vec<(u64, String)> = {
        let mut pending = lock(&inner.pending);
        fail_unsafe_resends(&mut pending, generation);
        let mut v: Vec<(u64, String)> = pending
            .iter_mut()
            .filter(|(_, p)| p.sent_gen != generation)
            .map(|(id, p)| {
                p.sent_gen = generation;
                (*id, p.frame.clone())
            })
            .collect();
        v.sort_by_key(|(id, _)| *id);
        v
    };
    for (id, frame) in frames {
        if let Err(e) = socket.send(Message::text(frame)).await {
            debug!(id, error = %e, "re-send failed; the serve loop will notice the drop");
            return;
        }
    }
}

async fn serve(
    inner: &Arc<Inner>,
    socket: &mut Socket,
    wake_rx: &mut mpsc::UnboundedReceiver<u64>,
    shutdown_rx: &mut watch::Receiver<bool>,
    generation: u64,
) -> Ended {
    loop {
        tokio::select! {
            _ = shut(shutdown_rx) => return Ended::Shutdown,
            id = wake_rx.recv() => {
                let Some(id) = id else { return Ended::Shutdown };
                // Write every queued frame, then flush once: pipelined calls share TLS records.
                let mut next = Some(id);
                let mut wrote = false;
                while let Some(id) = next {
                    if let Some(frame) = take_unsent(inner, id, generation) {
                        if let Err(e) = socket.feed(Message::text(frame)).await {
                            return Ended::Dropped(format!("write: {e}"));
                        }
                        wrote = true;
                    }
                    next = wake_rx.try_recv().ok();
                }
                if wrote {
                    if let Err(e) = socket.flush().await {
                        return Ended::Dropped(format!("write: {e}"));
                    }
                }
            }
            msg = socket.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Binary(b))) => match String::from_utf8(b.to_vec()) {
                        Ok(t) => t,
                        Err(_) => continue,
                    },
                    Some(Ok(Message::Close(_))) => return Ended::Dropped("closed by server".into()),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Ended::Dropped(format!("read: {e}")),
                    None => return Ended::Dropped("end of stream".into()),
                };
                match parse_incoming(&text) {
                    Ok(incoming) => dispatch(inner, incoming),
                    Err(e) => warn!(host = %inner.cfg.host, error = %e, "dropping frame"),
                }
            }
        }
    }
}

/// The frame of pending call `id` if it was not yet written on link `generation` (and marks
/// it written).
fn take_unsent(inner: &Inner, id: u64, generation: u64) -> Option<String> {
    let mut pending = lock(&inner.pending);
    match pending.get_mut(&id) {
        Some(p) if may_send(p, generation) => {
            p.sent_gen = generation;
            Some(p.frame.clone())
        }
        Some(p) if p.sent_gen != generation => {
            fail_unsafe_resends(&mut pending, generation);
            None
        }
        _ => None,
    }
}

fn dispatch(inner: &Inner, incoming: Incoming) {
    match incoming {
        Incoming::Response { id, outcome } => {
            let Some(p) = lock(&inner.pending).remove(&id) else {
                warn!(host = %inner.cfg.host, id, "reply to an unknown or timed-out request");
                return;
            };
            debug!(id, method = %p.method, ok = outcome.is_ok(), "reply");
            let _ = p.reply.send(outcome.map_err(Error::Rpc));
        }
        Incoming::Notification(n) => {
            let mut subs = lock(&inner.subscribers);
            if subs.is_empty() {
                debug!(method = %n.method, "ignoring notification");
            }
            subs.retain(|s| s.send(n.clone()).is_ok());
        }
    }
}

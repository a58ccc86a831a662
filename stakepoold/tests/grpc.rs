//! The daemon's gRPC API over TLS on loopback, called with the generated tonic client and
//! with hcpool-rpc's `GrpcVotingNode` (the web app's side).

mod support;

use std::sync::Arc;
use std::time::Duration;

use hcpool_core::backend::VotingNode;
use hcpool_core::Hash32;
use hcpool_rpc::pinned_tls::CertCurve;
use hcpool_rpc::stakepoold::proto::stakepoold_service_client::StakepooldServiceClient;
use hcpool_rpc::stakepoold::{proto, GrpcVotingNode, GrpcVotingNodeConfig};
use stakepoold::Daemon;
use support::*;

struct Harness {
    _dir: tempfile::TempDir,
    cfg: GrpcVotingNodeConfig,
    daemon: Arc<Daemon>,
    paid: Hash32,
    low: Hash32,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start() -> Harness {
    start_with(true).await
}

/// The daemon without a store, serving gRPC; with `users`, user 1 is given directly and
/// the tickets rescanned (otherwise it knows no user yet).
async fn start_with(users: bool) -> Harness {
    start_full(users, false).await
}

/// As [`start_with`]; with `mtls`, clients must present the certificate of
/// `<dir>/client.cert` (generated as hcpool-web does, listed in the `clientcafile`).
async fn start_full(users: bool, mtls: bool) -> Harness {
    start_on(users, mtls, CertCurve::default()).await
}

/// As [`start_full`], the certificate generated on `curve`.
async fn start_on(users: bool, mtls: bool, curve: CertCurve) -> Harness {
    let wallet = Arc::new(FakeWallet::default());
    let node = Arc::new(FakeNode::default());
    let paid = wallet.add(ticket_tx("TsA", PAID, 1), true);
    let low = wallet.add(ticket_tx("TsA", LOW, 2), true);
    let daemon = Daemon::start(deps(wallet, node, None), fast_opts())
        .await
        .unwrap();
    assert!(
        daemon.live_tickets().is_empty(),
        "no user: no ticket mapped"
    );
    if users {
        daemon.set_user_voting_prefs(vec![user(1, "TsA", 5, VOTE_VERSION)]);
        daemon.scan().await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("rpc.cert"), dir.path().join("rpc.key"));
    let client_ca = dir.path().join("clients.pem");
    if mtls {
        let (c, k) = (
            dir.path().join("client.cert"),
            dir.path().join("client.key"),
        );
        hcpool_rpc::pinned_tls::load_or_generate_client(&c, &k, "hcpool-web").unwrap();
        std::fs::copy(&c, &client_ca).unwrap();
    }
    let tls =
        stakepoold::grpc::tls_config_on(&cert, &key, mtls.then_some(client_ca.as_path()), curve)
            .unwrap();
    assert!(
        cert.exists() && key.exists(),
        "certificate generated on first start"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(stakepoold::grpc::serve(
        daemon.clone(),
        listener,
        tls,
        async {
            let _ = stopped.await;
        },
    ));
    let mut cfg = GrpcVotingNodeConfig::new(addr.to_string(), cert);
    cfg.timeout = Duration::from_secs(10);
    Harness {
        _dir: dir,
        cfg,
        daemon,
        paid,
        low,
        _stop: stop,
    }
}

fn entry(hash: Vec<u8>) -> proto::TicketEntry {
    proto::TicketEntry {
        ticket_address: "TsA".into(),
        ticket_hash: hash,
    }
}

/// Issue 15: the generated certificate is P-256 by default (grpcio clients cannot verify
/// P-521), P-521 on request (`tlscurve=P-521`, the original's); the web app's client
/// accepts either, with and without a client certificate.
#[tokio::test]
async fn the_web_app_accepts_a_p256_or_p521_certificate() {
    const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
    for (curve, oid) in [(CertCurve::P256, P256), (CertCurve::P521, P521)] {
        for mtls in [false, true] {
            let h = start_on(true, mtls, curve).await;
            let der = hcpool_rpc::pinned_tls::load_certs(&h.cfg.cert_path).unwrap();
            let has = |needle: &[u8]| der[0].as_ref().windows(needle.len()).any(|w| w == needle);
            assert!(has(oid), "{curve}: its curve's OID");
            let mut cfg = h.cfg.clone();
            if mtls {
                let dir = h._dir.path();
                cfg = cfg.with_client_identity(dir.join("client.cert"), dir.join("client.key"));
            }
            let node = GrpcVotingNode::connect(&cfg).await.unwrap();
            node.ping().await.unwrap();
            assert_eq!(
                node.live_tickets().await.unwrap().len(),
                1,
                "{curve} {mtls}"
            );
        }
    }
    assert_eq!(CertCurve::default(), CertCurve::P256);
}

#[tokio::test]
async fn every_rpc_answers_from_the_daemon_state() {
    let h = start().await;
    // The web app's client: Version handshake (major 4) first.
    let node = GrpcVotingNode::connect(&h.cfg).await.unwrap();
    let v = node.version().await.unwrap();
    assert_eq!(
        (v.version.as_str(), v.major, v.minor, v.patch),
        ("4.0.0", 4, 0, 0)
    );
    node.ping().await.unwrap();
    let live = node.live_tickets().await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(
        live[0].ticket_hash, h.paid,
        "hash survives internal-order bytes"
    );
    let ignored = node.ignored_low_fee_tickets().await.unwrap();
    assert_eq!(ignored[0].ticket_hash, h.low);
    assert!(node.added_low_fee_tickets().await.unwrap().is_empty());

    node.set_added_low_fee_tickets(ignored.clone())
        .await
        .unwrap();
    assert_eq!(node.added_low_fee_tickets().await.unwrap(), ignored);
    assert_eq!(node.live_tickets().await.unwrap().len(), 2);
    assert!(node.ignored_low_fee_tickets().await.unwrap().is_empty());

    node.set_user_voting_prefs(vec![user(9, "TsZ", 3, 7)])
        .await
        .unwrap();
    let jobs = h.daemon.live_tickets();
    assert_eq!(jobs.len(), 2);
}

#[tokio::test]
async fn raw_client_bad_hash_is_invalid_argument_and_bits_truncate() {
    let h = start().await;
    let node = GrpcVotingNode::connect(&h.cfg).await.unwrap();
    drop(node);
    // The generated client over the same pinned TLS connector, via hcpool-rpc's channel.
    let certs = hcpool_rpc::pinned_tls::load_certs(&h.cfg.cert_path).unwrap();
    let tls = Arc::new(hcpool_rpc::pinned_tls::client_config(certs, &[b"h2"]).unwrap());
    let dial = h.cfg.host.clone();
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{dial}"))
        .unwrap()
        .connect_with_connector(tower_service(tls, dial))
        .await
        .unwrap();
    let mut c = StakepooldServiceClient::new(channel);
    let err = c
        .set_added_low_fee_tickets(proto::SetAddedLowFeeTicketsRequest {
            tickets: vec![entry(h.paid.as_bytes().to_vec()), entry(vec![1, 2, 3])],
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err:?}");
    assert!(h.daemon.added_tickets().is_empty(), "nothing applied");
    // The server keeps serving after the refusal.
    let live = c
        .get_live_tickets(proto::GetLiveTicketsRequest {})
        .await
        .unwrap()
        .into_inner()
        .tickets;
    assert_eq!(live[0].ticket_hash, h.paid.as_bytes().to_vec());

    c.set_user_voting_prefs(proto::SetUserVotingPrefsRequest {
        user_voting_config: vec![proto::UserVotingConfigEntry {
            user_id: 1,
            multi_sig_address: "TsA".into(),
            vote_bits: 0x1_0005,
            vote_bits_version: i64::from(VOTE_VERSION) + (1 << 32),
        }],
    })
    .await
    .unwrap();
    let results = h
        .daemon
        .handle(
            hcpool_core::backend::ChainNotification::WinningTickets {
                block_hash: Hash32::from_bytes([3; 32]),
                height: 5,
                tickets: vec![h.paid],
            },
            std::time::Instant::now(),
        )
        .await;
    assert_eq!(
        results[0].vote_bits,
        hcpool_core::VoteBits(5),
        "VoteBits truncated to u16, version to u32"
    );
}

fn tower_service(
    tls: Arc<tokio_rustls::rustls::ClientConfig>,
    dial: String,
) -> impl tower::Service<
    tonic::transport::Uri,
    Response = hyper_util::rt::TokioIo<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>,
    Error = std::io::Error,
    Future = impl Send,
> + Clone {
    tower::service_fn(move |_| {
        let tls = Arc::clone(&tls);
        let dial = dial.clone();
        async move {
            let tcp = tokio::net::TcpStream::connect(dial.as_str()).await?;
            let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
            let s = tokio_rustls::TlsConnector::from(tls)
                .connect(name, tcp)
                .await?;
            Ok(hyper_util::rt::TokioIo::new(s))
        }
    })
}

#[tokio::test]
async fn grpc_health_is_serving_for_the_server_and_the_api() {
    let h = start().await;
    let certs = hcpool_rpc::pinned_tls::load_certs(&h.cfg.cert_path).unwrap();
    let tls = Arc::new(hcpool_rpc::pinned_tls::client_config(certs, &[b"h2"]).unwrap());
    let dial = h.cfg.host.clone();
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{dial}"))
        .unwrap()
        .connect_with_connector(tower_service(tls, dial))
        .await
        .unwrap();
    let mut c = tonic_health::pb::health_client::HealthClient::new(channel);
    for service in ["", stakepoold::grpc::STAKEPOOLD_SERVICE] {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let status = c
                .check(tonic_health::pb::HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .unwrap()
                .into_inner()
                .status;
            if status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{service:?}: {status}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let err = c
        .check(tonic_health::pb::HealthCheckRequest {
            service: "no.such.Service".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn the_first_users_sent_by_grpc_make_the_daemon_rescan_its_tickets() {
    // Started without a store: the start-up scan could map no ticket to a user.
    let h = start_with(false).await;
    let node = GrpcVotingNode::connect(&h.cfg).await.unwrap();
    assert!(node.live_tickets().await.unwrap().is_empty());
    node.set_user_voting_prefs(vec![user(1, "TsA", 5, VOTE_VERSION)])
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let live: Vec<Hash32> = node
            .live_tickets()
            .await
            .unwrap()
            .iter()
            .map(|t| t.ticket_hash)
            .collect();
        if live == [h.paid] {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "live {live:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ignored = node.ignored_low_fee_tickets().await.unwrap();
    assert_eq!(ignored.len(), 1);
    assert_eq!(ignored[0].ticket_hash, h.low);
    assert_eq!(h.daemon.health().rescans, 1);
}

#[tokio::test]
async fn rescans_asked_while_one_runs_coalesce_into_one() {
    let h = start_with(false).await;
    // Ten triggers before the first rescan task gets to run (one thread): one rescan, and
    // one more for everything asked meanwhile; not ten.
    for _ in 0..10 {
        h.daemon.request_rescan();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while h.daemon.rescan_requested() || h.daemon.health().rescans == 0 {
        assert!(std::time::Instant::now() < deadline, "rescans never ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let any straggler (the unfixed code spawns one task per trigger) finish.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(h.daemon.health().rescans, 2, "coalesced into two rescans");
}

#[tokio::test]
async fn with_a_client_ca_file_only_the_listed_client_certificate_gets_in() {
    let h = start_full(true, true).await;
    let dir = h._dir.path();
    // No certificate (the original web app): refused, the preferences stay.
    let certless = GrpcVotingNode::connect_lazy(&h.cfg).unwrap();
    assert!(certless.set_user_voting_prefs(Vec::new()).await.is_err());
    assert_eq!(
        h.daemon.live_tickets().len(),
        1,
        "user 1's ticket still mapped"
    );
    // Another self-signed client certificate: refused.
    let (oc, ok) = (dir.join("other.cert"), dir.join("other.key"));
    hcpool_rpc::pinned_tls::load_or_generate_client(&oc, &ok, "other").unwrap();
    let other = GrpcVotingNode::connect_lazy(&h.cfg.clone().with_client_identity(oc, ok)).unwrap();
    assert!(other.ping().await.is_err());
    // The listed one (hcpool-web's): the full API.
    let web = GrpcVotingNode::connect(
        &h.cfg
            .clone()
            .with_client_identity(dir.join("client.cert"), dir.join("client.key")),
    )
    .await
    .unwrap();
    web.ping().await.unwrap();
    assert_eq!(web.live_tickets().await.unwrap().len(), 1);
}

#[test]
fn an_unreadable_client_ca_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("rpc.cert"), dir.path().join("rpc.key"));
    let missing = dir.path().join("nope.pem");
    let err = stakepoold::grpc::tls_config_with(&cert, &key, Some(&missing)).unwrap_err();
    assert!(err.to_string().contains("clientcafile"), "{err}");
    std::fs::write(&missing, "no pem here").unwrap();
    let err = stakepoold::grpc::tls_config_with(&cert, &key, Some(&missing)).unwrap_err();
    assert!(err.to_string().contains("clientcafile"), "{err}");
}

/// One raw gRPC exchange over HTTP/2: HTTP status, `grpc-status` (from the headers of a
/// trailers-only answer or from the trailers; `None` when absent), and the message.
struct RawGrpc {
    http: u16,
    grpc: Option<i32>,
    message: String,
}

/// A raw HTTP/2 connection to the daemon (pinned TLS, ALPN h2), no gRPC client in between.
async fn raw_h2(
    h: &Harness,
) -> hyper::client::conn::http2::SendRequest<http_body_util::Full<hyper::body::Bytes>> {
    let certs = hcpool_rpc::pinned_tls::load_certs(&h.cfg.cert_path).unwrap();
    let tls = Arc::new(hcpool_rpc::pinned_tls::client_config(certs, &[b"h2"]).unwrap());
    let tcp = tokio::net::TcpStream::connect(h.cfg.host.as_str())
        .await
        .unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let s = tokio_rustls::TlsConnector::from(tls)
        .connect(name, tcp)
        .await
        .unwrap();
    let (send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(s),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    send
}

async fn raw_call(
    send: &mut hyper::client::conn::http2::SendRequest<http_body_util::Full<hyper::body::Bytes>>,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    extra: &[(&str, &str)],
    body: Vec<u8>,
) -> Option<RawGrpc> {
    use http_body_util::BodyExt;
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(format!("https://localhost{path}"))
        .header("te", "trailers");
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let req = req
        .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
        .unwrap();
    let call = async {
        send.ready().await.ok()?;
        let resp = send.send_request(req).await.ok()?;
        let (parts, body) = resp.into_parts();
        let status_of = |h: &hyper::HeaderMap| {
            h.get("grpc-status")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<i32>().ok())
        };
        let message_of = |h: &hyper::HeaderMap| {
            h.get("grpc-message")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_default()
        };
        let mut grpc = status_of(&parts.headers);
        let mut message = message_of(&parts.headers);
        let collected = body.collect().await.ok()?;
        if let Some(t) = collected.trailers() {
            grpc = grpc.or(status_of(t));
            if message.is_empty() {
                message = message_of(t);
            }
        }
        Some(RawGrpc {
            http: parts.status.as_u16(),
            grpc,
            message,
        })
    };
    tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .unwrap_or_else(|_| panic!("no answer in 10 s to {method} {path}"))
}

/// A gRPC length-prefixed message: compressed flag, big-endian length, bytes.
fn frame(compressed: u8, declared: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![compressed];
    v.extend_from_slice(&declared.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn framed(payload: &[u8]) -> Vec<u8> {
    frame(0, u32::try_from(payload.len()).unwrap(), payload)
}

/// Bad-input corpus for the gRPC server: junk messages on every method (truncated and
/// over-long frames, compressed flags without an encoding, invalid protobuf, invalid UTF-8
/// in strings, a nesting bomb, a message over the 4 MiB limit), wrong paths, methods and
/// content types. No answer may be a server error (HTTP 5xx, or gRPC UNKNOWN/INTERNAL,
/// the gRPC equivalents), nothing may panic, nothing junk may be applied, and the daemon
/// still answers afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_grpc_requests_get_client_errors_and_the_daemon_keeps_serving() {
    tokio::time::timeout(Duration::from_secs(60), junk_grpc())
        .await
        .expect("the gRPC junk corpus took more than 60 s");
}

#[allow(clippy::print_stdout)] // The figures of the run.
async fn junk_grpc() {
    let panics = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    {
        let record = panics.clone();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            if !at.contains("tests/") {
                record.lock().unwrap().push(format!("{at}: {info}"));
            }
            previous(info);
        }));
    }
    let h = start().await;
    let users_before = h.daemon.live_tickets();
    let mut send = raw_h2(&h).await;
    const GRPC: Option<&str> = Some("application/grpc");
    let methods = [
        "/stakepoolrpc.StakepooldService/GetAddedLowFeeTickets",
        "/stakepoolrpc.StakepooldService/GetIgnoredLowFeeTickets",
        "/stakepoolrpc.StakepooldService/GetLiveTickets",
        "/stakepoolrpc.StakepooldService/Ping",
        "/stakepoolrpc.StakepooldService/SetAddedLowFeeTickets",
        "/stakepoolrpc.StakepooldService/SetUserVotingPrefs",
        "/stakepoolrpc.VersionService/Version",
        "/grpc.health.v1.Health/Check",
    ];
    // A TicketEntry with an invalid UTF-8 address; a user entry with one.
    let bad_entry = [0x0a, 0x03, 0xff, 0xfe, 0xfd, 0x12, 0x01, 0x00];
    let mut bad_utf8 = vec![0x0a, bad_entry.len() as u8];
    bad_utf8.extend_from_slice(&bad_entry);
    // 200 levels of nested field 1 (prost's recursion limit is 100).
    let mut bomb: Vec<u8> = Vec::new();
    for _ in 0..200 {
        let mut outer = vec![0x0a];
        let mut len = bomb.len();
        loop {
            let b = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                outer.push(b);
                break;
            }
            outer.push(b | 0x80);
        }
        outer.extend_from_slice(&bomb);
        bomb = outer;
    }
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("empty body (no message)", Vec::new()),
        ("truncated prefix", vec![0, 0, 0]),
        ("length longer than the data", frame(0, 100, b"\x0a\x02")),
        ("length of 4 GiB", frame(0, u32::MAX, b"x")),
        ("compressed flag without grpc-encoding", frame(1, 3, b"abc")),
        ("flag byte 7", frame(7, 0, b"")),
        (
            "two messages on a unary call",
            [framed(b""), framed(b"")].concat(),
        ),
        (
            "junk bytes",
            framed(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
        ),
        ("truncated varint", framed(b"\x08\xff\xff")),
        ("wrong wire type", framed(b"\x0d\x01\x02\x03\x04")),
        ("field length past the end", framed(b"\x0a\x7f\x01")),
        ("field number 0", framed(b"\x00\x01")),
        ("invalid UTF-8 in a string", framed(&bad_utf8)),
        ("nesting bomb", framed(&bomb)),
        ("unknown fields only", framed(b"\x78\x01\x82\x01\x00")),
        (
            "5 MiB message (over the 4 MiB limit)",
            framed(&{
                // SetAddedLowFeeTickets with one huge entry (field 1, length 5 MiB).
                let n: usize = 5 * 1024 * 1024;
                let mut m = vec![0x0a];
                let mut len = n;
                while len >= 0x80 {
                    m.push((len & 0x7f) as u8 | 0x80);
                    len >>= 7;
                }
                m.push(len as u8);
                m.resize(m.len() + n, 0);
                m
            }),
        ),
    ];
    let mut answers = Vec::new();
    for path in methods {
        for (what, body) in &bodies {
            let r = raw_call(&mut send, "POST", path, GRPC, &[], body.clone()).await;
            if r.is_none() {
                send = raw_h2(&h).await;
            }
            answers.push((format!("{path}: {what}"), r));
        }
        let r = raw_call(
            &mut send,
            "POST",
            path,
            GRPC,
            &[("grpc-encoding", "br")],
            frame(1, 3, b"abc"),
        )
        .await;
        if r.is_none() {
            send = raw_h2(&h).await;
        }
        answers.push((format!("{path}: unsupported grpc-encoding"), r));
        let r = raw_call(
            &mut send,
            "POST",
            path,
            GRPC,
            &[("grpc-timeout", "-5X")],
            framed(b""),
        )
        .await;
        if r.is_none() {
            send = raw_h2(&h).await;
        }
        answers.push((format!("{path}: malformed grpc-timeout"), r));
        for ct in [
            None,
            Some("text/plain"),
            Some("application/json"),
            Some("application/grpc+json"),
        ] {
            let r = raw_call(&mut send, "POST", path, ct, &[], framed(b"")).await;
            if r.is_none() {
                send = raw_h2(&h).await;
            }
            answers.push((format!("{path}: content-type {ct:?}"), r));
        }
        for m in ["GET", "PUT", "DELETE", "OPTIONS"] {
            let r = raw_call(&mut send, m, path, GRPC, &[], framed(b"")).await;
            if r.is_none() {
                send = raw_h2(&h).await;
            }
            answers.push((format!("{path}: method {m}"), r));
        }
    }
    for path in [
        "/",
        "/stakepoolrpc.StakepooldService/NoSuchMethod",
        "/stakepoolrpc.NoSuchService/Ping",
        "/stakepoolrpc.StakepooldService/Ping/extra",
        "/stakepoolrpc.StakepooldService/",
        "//",
        "/%ff%fe",
        "/stakepoolrpc.StakepooldService/Ping?x=%00",
        "/../../etc/passwd",
    ] {
        let r = raw_call(&mut send, "POST", path, GRPC, &[], framed(b"")).await;
        if r.is_none() {
            send = raw_h2(&h).await;
        }
        answers.push((format!("path {path}"), r));
    }

    let mut failures = Vec::new();
    let mut tally: std::collections::BTreeMap<String, usize> = Default::default();
    for (what, r) in &answers {
        let Some(r) = r else {
            // The stream or connection was reset (a protocol error): not a server error.
            *tally.entry("stream reset".into()).or_default() += 1;
            continue;
        };
        *tally
            .entry(format!("http {} grpc {:?}", r.http, r.grpc))
            .or_default() += 1;
        // UNKNOWN (2) and INTERNAL (13) say the server failed; a 5xx says so too.
        if r.http >= 500 || matches!(r.grpc, Some(2 | 13)) {
            failures.push(format!(
                "{what}: http {} grpc {:?} {:?}",
                r.http, r.grpc, r.message
            ));
        }
    }
    println!("gRPC junk corpus: {} requests: {tally:?}", answers.len());
    assert!(answers.len() >= 200, "{} requests", answers.len());
    assert!(
        failures.is_empty(),
        "{} server errors for client junk:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        panics.lock().unwrap().is_empty(),
        "panics: {:?}",
        panics.lock().unwrap()
    );
    // Nothing junk was applied; the daemon still answers on a fresh connection.
    assert!(h.daemon.added_tickets().is_empty());
    assert_eq!(h.daemon.live_tickets(), users_before);
    let node = GrpcVotingNode::connect(&h.cfg).await.unwrap();
    node.ping().await.unwrap();
    assert_eq!(node.live_tickets().await.unwrap().len(), 1);
}

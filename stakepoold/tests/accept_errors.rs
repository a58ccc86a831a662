//! The metrics and gRPC accept loops keep serving through accept errors, with a bounded
//! backoff instead of a spin (an injected failing `Accept`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use hcpool_rpc::accept::Accept;
use hcpool_rpc::pinned_tls;
use hcpool_rpc::stakepoold::server::tls_incoming_from;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A listener whose first `failures` accepts fail with EMFILE ("too many open files").
struct Flaky {
    inner: TcpListener,
    failures: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
}

impl Flaky {
    async fn bind(failures: usize) -> (Self, SocketAddr, Arc<AtomicUsize>) {
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let f = Flaky {
            inner,
            failures: Arc::new(AtomicUsize::new(failures)),
            calls: calls.clone(),
        };
        (f, addr, calls)
    }
}

impl Accept for Flaky {
    type Conn = TcpStream;

    fn accept(
        &mut self,
    ) -> impl std::future::Future<Output = std::io::Result<(TcpStream, SocketAddr)>> + Send {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let fail = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        async move {
            if fail {
                Err(std::io::Error::from_raw_os_error(24))
            } else {
                self.inner.accept().await
            }
        }
    }
}

#[tokio::test]
async fn metrics_keep_serving_after_accept_errors() {
    let (flaky, addr, calls) = Flaky::bind(3).await;
    let render = Arc::new(|| "stakepoold_up 1\n".to_owned());
    let server = tokio::spawn(stakepoold::metrics::serve(
        flaky,
        render,
        std::future::pending::<()>(),
    ));
    let mut sock = TcpStream::connect(addr).await.unwrap();
    sock.write_all(b"GET /metrics HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    let mut reply = String::new();
    // A guard against a hang only (the unfixed server stopped and never answered).
    tokio::time::timeout(Duration::from_secs(20), sock.read_to_string(&mut reply))
        .await
        .expect("no answer: the metrics listener stopped")
        .unwrap();
    assert!(reply.contains("stakepoold_up 1"), "{reply}");
    assert!(
        calls.load(Ordering::SeqCst) >= 4,
        "three failures, then served"
    );
    assert!(!server.is_finished(), "still serving");
}

fn server_tls() -> (
    Arc<tokio_rustls::rustls::ServerConfig>,
    Vec<rustls_pki_types::CertificateDer<'static>>,
) {
    let c = pinned_tls::generate_self_signed("t", &[]).unwrap();
    let certs = pinned_tls::parse_certs(c.cert_pem.as_bytes()).unwrap();
    let key = pinned_tls::parse_key(c.key_pem.as_bytes()).unwrap();
    let cfg = pinned_tls::server_config(certs.clone(), key, &[b"h2"]).unwrap();
    (Arc::new(cfg), certs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_accept_errors_back_off_instead_of_spinning() {
    let (flaky, _, calls) = Flaky::bind(usize::MAX).await;
    let (tls, _) = server_tls();
    let incoming = tls_incoming_from(flaky, tls);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let n = calls.load(Ordering::SeqCst);
    // With the backoff (5 ms doubling) 300 ms hold at most 7 attempts; a loop retrying at
    // once made 76,925 here.
    assert!(n <= 20, "{n} accept attempts: the loop spins");
    drop(incoming);
}

#[tokio::test]
async fn grpc_serves_the_next_client_after_accept_errors() {
    let (flaky, addr, calls) = Flaky::bind(3).await;
    let (tls, certs) = server_tls();
    let mut incoming = Box::pin(tls_incoming_from(flaky, tls));
    let client = tokio::spawn(async move {
        let cfg = pinned_tls::client_config(certs, &[b"h2"]).unwrap();
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        tokio_rustls::TlsConnector::from(Arc::new(cfg))
            .connect(name, tcp)
            .await
            .map(|_| ())
    });
    let conn = tokio::time::timeout(Duration::from_secs(20), incoming.next())
        .await
        .expect("no connection: the accept loop stopped");
    assert!(matches!(conn, Some(Ok(_))));
    client.await.unwrap().unwrap();
    assert!(calls.load(Ordering::SeqCst) >= 4);
}

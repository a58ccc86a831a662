//! Serving the stakepoold contract over TLS with tonic (for the daemon and for tests).

use std::sync::Arc;

use futures::Stream;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

/// A client that has not finished its TLS handshake by then is dropped.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Accepted connections of `listener` after a TLS handshake with `tls`, for
/// `tonic::transport::Server::serve_with_incoming`.
///
/// Each handshake runs in its own task, so a client that stalls or fails its handshake
/// neither blocks nor ends the stream; failures are logged and dropped.
pub fn tls_incoming(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
) -> impl Stream<Item = Result<TlsStream<TcpStream>, std::io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("grpc accept: {e}");
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let conn_tx = tx.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(s)) => {
                        let _ = conn_tx.send(Ok(s)).await;
                    }
                    Ok(Err(e)) => tracing::debug!("grpc tls handshake with {peer}: {e}"),
                    Err(_) => tracing::debug!("grpc tls handshake with {peer} timed out"),
                }
            });
            if tx.is_closed() {
                break;
            }
        }
    });
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) })
}

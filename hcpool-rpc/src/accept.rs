//! Accept loops that survive accept errors.
//!
//! `accept(2)` fails for reasons that pass (`EMFILE`/`ENFILE` when descriptors run out, a
//! connection reset before it was accepted, `ENOBUFS`). A server that stops on the first
//! such error goes dark; one that retries at once spins a core while the condition lasts.
//! The loops here retry after [`AcceptBackoff`] (5 ms doubling to 1 s, reset by the next
//! success). [`Accept`] is the seam: a `TcpListener`, or a test double that fails on demand.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// A source of incoming connections.
pub trait Accept: Send + 'static {
    /// One accepted connection.
    type Conn: Send + 'static;
    /// Waits for the next connection.
    fn accept(&mut self) -> impl Future<Output = std::io::Result<(Self::Conn, SocketAddr)>> + Send;
}

impl Accept for TcpListener {
    type Conn = TcpStream;

    fn accept(&mut self) -> impl Future<Output = std::io::Result<(TcpStream, SocketAddr)>> + Send {
        TcpListener::accept(self)
    }
}

/// The pause after a failed accept: [`AcceptBackoff::MIN`] doubling up to
/// [`AcceptBackoff::MAX`], back to the minimum after a success.
#[derive(Debug, Clone)]
pub struct AcceptBackoff {
    next: Duration,
}

impl Default for AcceptBackoff {
    fn default() -> Self {
        AcceptBackoff { next: Self::MIN }
    }
}

impl AcceptBackoff {
    /// The first pause.
    pub const MIN: Duration = Duration::from_millis(5);
    /// The longest pause.
    pub const MAX: Duration = Duration::from_secs(1);

    /// Records a failure and returns how long to wait before the next accept.
    pub fn failed(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        now
    }

    /// Records a success.
    pub fn succeeded(&mut self) {
        self.next = Self::MIN;
    }
}

/// Accepts the next connection of `listener`, logging each error (as `what`) and waiting
/// out `backoff` before trying again: it returns only with a connection.
pub async fn accept_with_backoff<A: Accept>(
    listener: &mut A,
    backoff: &mut AcceptBackoff,
    what: &str,
) -> (A::Conn, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(c) => {
                backoff.succeeded();
                return c;
            }
            Err(e) => {
                let pause = backoff.failed();
                tracing::warn!(error = %e, retry_in = ?pause, "{what} accept failed");
                tokio::time::sleep(pause).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_bound_and_resets() {
        let mut b = AcceptBackoff::default();
        let seq: Vec<Duration> = (0..10).map(|_| b.failed()).collect();
        assert_eq!(seq[0], AcceptBackoff::MIN);
        assert_eq!(seq[1], AcceptBackoff::MIN * 2);
        assert!(seq.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*seq.last().unwrap_or(&Duration::ZERO), AcceptBackoff::MAX);
        b.succeeded();
        assert_eq!(b.failed(), AcceptBackoff::MIN);
    }
}

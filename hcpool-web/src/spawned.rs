//! Serving the app in a background task and learning the address it bound: for tests,
//! benchmarks and embedders that listen on port 0.

use std::net::SocketAddr;
use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::{Build, Rocket, Shutdown};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::WebError;

/// A server running in a background task of the current tokio runtime.
#[derive(Debug)]
pub struct Spawned {
    /// Where it listens (the real port when port 0 was configured).
    pub addr: SocketAddr,
    shutdown: Shutdown,
    task: JoinHandle<Result<(), WebError>>,
}

fn launch_error(e: rocket::Error) -> WebError {
    WebError::Config(format!("launch: {e}"))
}

/// Starts `rocket` in a background task and waits until it listens.
///
/// # Errors
/// Rocket's ignite or bind error (as [`WebError::Config`]).
pub async fn spawn(rocket: Rocket<Build>) -> Result<Spawned, WebError> {
    let (tx, rx) = oneshot::channel();
    let rocket = rocket.attach(AdHoc::on_liftoff("bound address", move |r| {
        Box::pin(async move {
            // The receiver only goes away when `spawn` itself was dropped.
            let _ = tx.send(SocketAddr::new(r.config().address, r.config().port));
        })
    }));
    let ignited = rocket.ignite().await.map_err(launch_error)?;
    let shutdown = ignited.shutdown();
    let task =
        tokio::spawn(async move { ignited.launch().await.map(|_| ()).map_err(launch_error) });
    match rx.await {
        Ok(addr) => Ok(Spawned {
            addr,
            shutdown,
            task,
        }),
        // Lift-off never came: the launch failed; its error says why.
        Err(_) => Err(match task.await {
            Ok(Err(e)) => e,
            Ok(Ok(())) => WebError::Config("launch: server stopped before listening".into()),
            Err(_) => WebError::Join,
        }),
    }
}

impl Spawned {
    /// `http://ADDR`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Asks the server to stop gracefully and waits up to `wait` for it; past that the
    /// task is aborted.
    ///
    /// # Errors
    /// The server's own error, or [`WebError::Join`] when it had to be aborted.
    pub async fn stop(self, wait: Duration) -> Result<(), WebError> {
        self.shutdown.notify();
        let abort = self.task.abort_handle();
        match tokio::time::timeout(wait, self.task).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(WebError::Join),
            Err(_) => {
                abort.abort();
                Err(WebError::Join)
            }
        }
    }
}

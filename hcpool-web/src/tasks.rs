//! The app's background tasks (the wallet manager's re-check, the stale-node retry, the
//! SIGUSR1 template reload) and their shutdown path: each is adopted by the
//! [`AppState`](crate::AppState)'s [`Background`], which aborts them all when Rocket shuts
//! down (the fairing [`rocket()`](crate::rocket) attaches) or when the last handle to it
//! drops. No task outlives the app that started it.

use std::sync::{Arc, Mutex};

use hcpool_core::util::lock;
use rocket::fairing::AdHoc;
use tokio::task::{AbortHandle, JoinHandle};

/// A set of background tasks that end with the app. Clones share the set.
#[derive(Debug, Clone, Default)]
pub struct Background(Arc<Tasks>);

#[derive(Debug, Default)]
struct Tasks(Mutex<Vec<(&'static str, AbortHandle)>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for (_, task) in lock(&self.0).drain(..) {
            task.abort();
        }
    }
}

impl Background {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes charge of `task` (named `what` in the log): it is aborted with the others.
    pub fn adopt<T>(&self, what: &'static str, task: JoinHandle<T>) {
        let mut tasks = lock(&(self.0).0);
        tasks.retain(|(_, t)| !t.is_finished());
        tasks.push((what, task.abort_handle()));
    }

    /// How many adopted tasks have not finished yet.
    pub fn running(&self) -> usize {
        lock(&(self.0).0)
            .iter()
            .filter(|(_, t)| !t.is_finished())
            .count()
    }

    /// Aborts every adopted task (they end at their next await point).
    pub fn stop(&self) {
        for (what, task) in lock(&(self.0).0).drain(..) {
            if !task.is_finished() {
                tracing::debug!(task = what, "stopping background task");
            }
            task.abort();
        }
    }

    /// A fairing that stops the tasks of the app's [`AppState`](crate::AppState) when
    /// Rocket shuts down ([`rocket()`](crate::rocket) attaches it).
    pub fn on_shutdown() -> AdHoc {
        AdHoc::on_shutdown("background tasks", |rocket| {
            Box::pin(async move {
                if let Some(state) = rocket.state::<crate::AppState>() {
                    state.background.stop();
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn ended(bg: &Background) -> bool {
        for _ in 0..100 {
            if bg.running() == 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    #[tokio::test]
    async fn stop_and_drop_end_the_tasks() {
        let bg = Background::new();
        bg.adopt("forever", tokio::spawn(std::future::pending::<()>()));
        bg.adopt("forever too", tokio::spawn(std::future::pending::<()>()));
        assert_eq!(bg.running(), 2);
        bg.stop();
        assert!(ended(&bg).await);

        let bg = Background::new();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        bg.adopt(
            "holds a sender",
            tokio::spawn(async move {
                let _tx = tx;
                std::future::pending::<()>().await;
            }),
        );
        drop(bg);
        // The task was aborted: its sender is dropped, the receiver sees it closed.
        assert!(tokio::time::timeout(Duration::from_secs(1), rx)
            .await
            .expect("ended")
            .is_err());
    }
}

//! Test helpers for embedders and hcpool's own crates (feature `test-utils`):
//! [`InMemoryStore`], a behaving fake [`Store`](crate::backend::Store), and
//! [`store_conformance`], the one behavioural suite every store must pass (the in-memory one,
//! hcpool-db's SQLite and MySQL stores, and any embedder's own).

mod conformance;
mod memory;

pub use conformance::store_conformance;
pub use memory::InMemoryStore;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{store_conformance, InMemoryStore};
    use crate::backend::Store;

    #[tokio::test]
    async fn in_memory_store_passes_conformance() {
        store_conformance(|| async { Arc::new(InMemoryStore::new()) as Arc<dyn Store> }).await;
    }
}

//! Test helpers for embedders and hcpool's own crates (feature `test-utils`):
//! [`store_conformance`], the one behavioural suite every store must pass (the in-memory one,
//! hcpool-db's SQLite and MySQL stores, and any embedder's own).

mod conformance;

pub use conformance::store_conformance;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::store_conformance;
    use crate::backend::{MemoryStore, Store};

    #[tokio::test]
    async fn in_memory_store_passes_conformance() {
        store_conformance(|| async { Arc::new(MemoryStore::new()) as Arc<dyn Store> }).await;
    }
}

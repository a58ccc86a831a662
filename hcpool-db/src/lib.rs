//! hcpool-db (in progress).

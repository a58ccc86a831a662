//! hcpool-rpc (in progress).

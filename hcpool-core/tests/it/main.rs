//! Integration tests of hcpool-core, one module per area.

mod keys;
mod stake;
mod tx;
mod votebits;

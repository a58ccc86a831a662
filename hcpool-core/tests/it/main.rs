//! Integration tests of hcpool-core, one module per area.

mod stake;
mod tx;
mod votebits;

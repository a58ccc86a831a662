//! Chain-key vectors (hash, base58, addresses, extended keys, multisig, derivations) from
//! `tests/data/hc-vectors.json` and `tests/data/keys-addresses.json`, plus property tests.

mod addresses;
mod derive;
mod hashes;
mod hd;
mod multisig;
mod props;
mod vectors;
mod wif;

//! # hcpool-fuzz
//!
//! One fuzz target per parser of untrusted input. Each target is a plain
//! `fn check(data: &[u8])` that must not panic on any input and, where it is cheap, asserts
//! a property beyond that (decode → encode gives the same bytes; what parses once parses
//! the same after re-serializing). The `hcpool-fuzz` binary runs one of them under AFL++
//! (`cargo afl build`); the same functions replay every file of `corpus/<target>/` in the
//! `corpus` integration test, so the committed corpora are regression tests that need no
//! fuzzer.
//!
//! | target | input | code under test |
//! |---|---|---|
//! | `address` | address text | `Address::from_str`, `validate_user_pubkey_address`, base58check |
//! | `xpub` | extended key text | `RawKey::decode`, `ExtendedPubKey` parse and derivation, `PoolKeys` |
//! | `tx` | transaction bytes | `Transaction::decode`, `Ticket::from_tx`, `Vote::from_tx` |
//! | `script` | script bytes | `RedeemScript` (1-of-2 multisig), stake outputs, commitments, votebits scripts |
//! | `votebits` | selector bytes + text | `VoteBits` against each network's agendas, `parse_api_votebits`, `ExtendedVoteBits` |
//! | `poolconf` | hcstakepool.conf text | `parse_ini`, `PoolConfig::from_ini` |
//! | `stakepooldconf` | stakepoold.conf text | `stakepoold::Config::from_parts` |
//! | `jsonrpc` | a JSON-RPC frame | `parse_incoming`, notifications, every reply type and its conversion |
//! | `grpc` | protobuf bytes | prost decoding of every stakepoold message, `*_from_wire` |
//! | `jwt` | token text | `hcpool_web::jwt::verify`, issue → verify |
//! | `form` | urlencoded body | every hcpool-web form parsed by Rocket and the handlers' checks |

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod targets;

/// A fuzz target: must not panic on any input.
pub type Check = fn(&[u8]);

/// Every target, by name (the name is also its corpus directory).
pub const TARGETS: &[(&str, Check)] = &[
    ("address", targets::address::check),
    ("xpub", targets::xpub::check),
    ("tx", targets::tx::check),
    ("script", targets::script::check),
    ("votebits", targets::votebits::check),
    ("poolconf", targets::poolconf::check),
    ("stakepooldconf", targets::stakepooldconf::check),
    ("jsonrpc", targets::jsonrpc::check),
    ("grpc", targets::grpc::check),
    ("jwt", targets::jwt::check),
    ("form", targets::form::check),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Check> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// The input as text, if it is UTF-8 (the text parsers take `&str`).
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

//! Loading the vector files and collecting failures by name.

use std::fmt::Debug;
use std::sync::OnceLock;

use hcpool_core::Network;
use serde_json::Value;

/// `tests/data/hc-vectors.json`.
pub fn hc() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| load("hc-vectors.json"))
}

/// `tests/data/keys-addresses.json`.
pub fn keys() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| load("keys-addresses.json"))
}

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The entries of a group; panics when the group is missing or empty.
pub fn group(file: &'static Value, name: &str) -> &'static [Value] {
    let g = file[name]
        .as_array()
        .unwrap_or_else(|| panic!("vector group {name} missing"));
    assert!(!g.is_empty(), "vector group {name} is empty");
    g
}

/// A string field; panics (naming the field) when absent.
pub fn s<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("field {field} missing in {v}"))
}

/// A hex field decoded.
pub fn hx(v: &Value, field: &str) -> Vec<u8> {
    hex::decode(s(v, field)).unwrap_or_else(|e| panic!("field {field}: {e}"))
}

/// The network named in a vector (`mainnet`, `testnet`, `testnet2`, `simnet`).
pub fn net(v: &Value) -> Network {
    s(v, "network").parse().expect("network name")
}

/// Input bytes given as `input_hex` or `input_utf8`.
pub fn input(v: &Value) -> Vec<u8> {
    match v["input_hex"].as_str() {
        Some(h) => hex::decode(h).expect("input_hex"),
        None => s(v, "input_utf8").as_bytes().to_vec(),
    }
}

/// Failures of one vector group, reported together at the end.
pub struct Failures {
    group: String,
    checked: usize,
    failed: Vec<String>,
}

impl Failures {
    pub fn new(group: &str) -> Self {
        Failures {
            group: group.to_owned(),
            checked: 0,
            failed: Vec::new(),
        }
    }

    /// Records `got == want` for the vector `name`.
    pub fn eq<T: PartialEq + Debug>(&mut self, name: &str, got: T, want: T) {
        self.checked += 1;
        if got != want {
            self.failed
                .push(format!("{name}: got {got:?}, want {want:?}"));
        }
    }

    /// Records a condition for the vector `name`.
    pub fn ok(&mut self, name: &str, cond: bool, what: impl Debug) {
        self.checked += 1;
        if !cond {
            self.failed.push(format!("{name}: {what:?}"));
        }
    }

    /// Records a failure that happened before any comparison.
    pub fn fail(&mut self, name: &str, what: impl Debug) {
        self.checked += 1;
        self.failed.push(format!("{name}: {what:?}"));
    }

    /// Asserts that there was at least `min` check and no failure.
    pub fn finish(self, min: usize) {
        assert!(
            self.checked >= min,
            "{}: only {} checks, expected at least {min}",
            self.group,
            self.checked
        );
        assert!(
            self.failed.is_empty(),
            "{}: {} of {} checks failed:\n{}",
            self.group,
            self.failed.len(),
            self.checked,
            self.failed.join("\n")
        );
    }
}

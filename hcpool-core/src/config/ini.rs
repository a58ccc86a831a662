//! The go-flags INI dialect both hcstakepool.conf and stakepoold.conf are written in, and
//! the layering of sources (config file, environment, command line) every binary of the
//! workspace shares: later layers replace a key's values; within one layer a repeated key
//! keeps every value, except for the keys named "first only" (hcstakepool's comma-list
//! keys), where only the first occurrence counts, as in the original.
//!
//! Typed reads ([`Layers::flag`], [`Layers::num`], …) give the errors every configuration
//! of the workspace words the same way: the message names the key.

use std::collections::BTreeMap;

use super::ConfigError;
use crate::util::{truncate, ECHO_MAX};

/// One `key=value` from some source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// Lower-case key.
    pub key: String,
    /// Raw value.
    pub value: String,
}

/// Parses go-flags INI text: `[Section]` headers, `;` or `#` comments, `key=value` lines
/// (spaces around `=` allowed, optional surrounding double quotes on the value).
///
/// # Errors
/// [`ConfigError::Syntax`] for a line that is none of those.
pub fn parse(text: &str) -> Result<Vec<Setting>, ConfigError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            continue;
        }
        let syntax = || ConfigError::Syntax {
            line: i + 1,
            text: truncate(line, ECHO_MAX),
        };
        let Some((k, v)) = line.split_once('=') else {
            return Err(syntax());
        };
        let key = k.trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(syntax());
        }
        let mut value = v.trim();
        if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
            value = &value[1..value.len() - 1];
        }
        out.push(Setting {
            key,
            value: value.to_owned(),
        });
    }
    Ok(out)
}

/// Layered configuration sources over a fixed set of known keys.
#[derive(Debug, Clone, Default)]
pub struct Layers {
    known: Vec<&'static str>,
    first_only: Vec<&'static str>,
    values: BTreeMap<String, Vec<String>>,
}

impl Layers {
    /// No sources yet (every key at its default) over the keys `known`; for the keys in
    /// `first_only` only a layer's first occurrence counts.
    pub fn new(known: &[&'static str], first_only: &[&'static str]) -> Self {
        Layers {
            known: known.to_vec(),
            first_only: first_only.to_vec(),
            values: BTreeMap::new(),
        }
    }

    /// Whether `key` is one of the known keys.
    pub fn knows(&self, key: &str) -> bool {
        self.known.contains(&key)
    }

    /// Adds one source layer; its keys replace those of earlier layers.
    ///
    /// # Errors
    /// [`ConfigError::UnknownKey`] for a key outside the known set (nothing is layered).
    pub fn layer(
        &mut self,
        settings: impl IntoIterator<Item = Setting>,
    ) -> Result<(), ConfigError> {
        let mut this_layer: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in settings {
            if !self.knows(&s.key) {
                return Err(ConfigError::UnknownKey {
                    key: truncate(&s.key, ECHO_MAX),
                });
            }
            let first_only = self.first_only.contains(&s.key.as_str());
            let entry = this_layer.entry(s.key).or_default();
            if first_only && !entry.is_empty() {
                continue;
            }
            entry.push(s.value);
        }
        self.values.extend(this_layer);
        Ok(())
    }

    /// Replaces every value of `key` (a layer of one key, already checked by the caller).
    pub fn replace(&mut self, key: &str, values: Vec<String>) {
        self.values.insert(key.to_owned(), values);
    }

    /// Whether any layer set `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// The last value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// Every value of `key` from the layer that set it last (for repeatable keys).
    pub fn all(&self, key: &str) -> &[String] {
        self.values.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A switch: unset is false; set, `""`/`1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for any other value.
    pub fn flag(&self, key: &str) -> Result<bool, ConfigError> {
        self.get(key).map_or(Ok(false), |v| parse_bool(key, v))
    }

    /// The value of `key`, or `default`.
    pub fn string(&self, key: &str, default: &str) -> String {
        self.get(key).unwrap_or(default).to_owned()
    }

    /// The value of `key`, which must be set and not blank.
    ///
    /// # Errors
    /// [`ConfigError::Missing`].
    pub fn required(&self, key: &'static str) -> Result<String, ConfigError> {
        match self.get(key) {
            Some(v) if !v.trim().is_empty() => Ok(v.to_owned()),
            _ => Err(ConfigError::Missing { key }),
        }
    }

    /// The number `key` holds, or `default` (text, parsed the same way).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when it does not parse.
    pub fn num<T: std::str::FromStr>(&self, key: &str, default: &str) -> Result<T, ConfigError> {
        parse_num(key, self.get(key).unwrap_or(default))
    }

    /// The comma-separated list `key` holds (blank items dropped; empty when unset).
    pub fn list(&self, key: &str) -> Vec<String> {
        split_list(self.get(key))
    }
}

/// A switch value (see [`Layers::flag`]).
///
/// # Errors
/// [`ConfigError::Invalid`] naming `key`.
pub fn parse_bool(key: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(ConfigError::Invalid {
            key: key.to_owned(),
            message: format!("{:?} is not a boolean", truncate(other, ECHO_MAX)),
        }),
    }
}

/// A number (surrounding blanks allowed).
///
/// # Errors
/// [`ConfigError::Invalid`] naming `key`.
pub fn parse_num<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, ConfigError> {
    v.trim().parse().map_err(|_| ConfigError::Invalid {
        key: key.to_owned(),
        message: format!("{:?} is not a valid number", truncate(v, ECHO_MAX)),
    })
}

/// A comma-separated list, blank items dropped.
pub fn split_list(v: Option<&str>) -> Vec<String> {
    v.map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_layers_replace_and_first_only_keys_keep_the_first() {
        let mut l = Layers::new(&["a", "b"], &["a"]);
        l.layer(parse("a=1\na=2\nb=1\nb=2\n").unwrap()).unwrap();
        assert_eq!(l.all("a"), ["1"]);
        assert_eq!(l.all("b"), ["1", "2"]);
        l.layer(parse("b=3").unwrap()).unwrap();
        assert_eq!(l.all("b"), ["3"]);
        assert_eq!(l.get("a"), Some("1"));
        assert!(matches!(
            l.layer(parse("c=1").unwrap()),
            Err(ConfigError::UnknownKey { .. })
        ));
        l.replace("a", vec!["9".into()]);
        assert_eq!((l.get("a"), l.contains_key("a")), (Some("9"), true));
    }

    #[test]
    fn typed_reads_name_the_key() {
        let mut l = Layers::new(&["n", "f", "s"], &[]);
        l.layer(parse("n=x\nf=maybe\ns=a, ,b").unwrap()).unwrap();
        assert_eq!(
            l.num::<u32>("n", "1").unwrap_err().to_string(),
            "n: \"x\" is not a valid number"
        );
        assert_eq!(
            l.flag("f").unwrap_err().to_string(),
            "f: \"maybe\" is not a boolean"
        );
        assert_eq!(l.list("s"), ["a", "b"]);
        assert_eq!(
            l.required("none").unwrap_err().to_string(),
            "none is not set in config"
        );
        assert!(!l.flag("unset").unwrap());
    }
}

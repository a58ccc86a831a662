//! `debuglevel`: hcstakepool's and stakepoold's log-level option (btclog's syntax) read into
//! `tracing` filter directives.
//!
//! The original accepts a level (`trace`, `debug`, `info`, `warn`, `error`, `critical`,
//! `off`), or `SUBSYS=level` pairs separated by commas (`HCS=debug,GRPC=trace`), and `show`,
//! which lists the subsystems and exits. A binary names its subsystems and the `tracing`
//! targets (module paths) each stands for ([`Subsystem`]). hcpool also accepts
//! `target=level` for any `tracing` target written in lower case (`sqlx=warn`,
//! `hcpool_web::reqlog=off`) and a bare level beside pairs (`info,GRPC=debug`); an
//! upper-case name that is not a subsystem is refused, as the original refuses it.
//!
//! ```
//! use hcpool_core::config::debuglevel::{parse, DebugLevel, Subsystem};
//! const SUBS: &[Subsystem] = &[Subsystem { name: "DB", targets: &["hcpool_db", "sqlx"] }];
//! assert_eq!(
//!     parse("DB=debug", SUBS).unwrap(),
//!     DebugLevel::Directives("info,hcpool_db=debug,sqlx=debug".into())
//! );
//! assert_eq!(parse("critical", SUBS).unwrap(), DebugLevel::Directives("error".into()));
//! assert!(parse("RPCC=debug", SUBS).is_err());
//! assert_eq!(parse("show", SUBS).unwrap(), DebugLevel::Show);
//! ```

use super::ConfigError;

/// A log subsystem of the original (`HCS`, `GRPC`, …) and the `tracing` targets it maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subsystem {
    /// The original's name (upper case).
    pub name: &'static str,
    /// `tracing` targets (module paths; a target covers its submodules).
    pub targets: &'static [&'static str],
}

/// What a `debuglevel` value asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DebugLevel {
    /// `show`: list the subsystems and exit.
    Show,
    /// A `tracing_subscriber::EnvFilter` directive string.
    Directives(String),
}

/// The original's levels and the `tracing` level each becomes (`critical` is `error`).
fn level(s: &str) -> Option<&'static str> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "trace" => "trace",
        "debug" => "debug",
        "info" => "info",
        "warn" => "warn",
        "error" | "critical" => "error",
        "off" => "off",
        _ => return None,
    })
}

/// The subsystems' names, as the original lists them: `[A B C]`.
pub fn names(subsystems: &[Subsystem]) -> String {
    let mut names: Vec<&str> = subsystems.iter().map(|s| s.name).collect();
    names.sort_unstable();
    format!("[{}]", names.join(" "))
}

fn invalid(message: String) -> ConfigError {
    ConfigError::Invalid {
        key: "debuglevel".into(),
        message,
    }
}

/// Whether `k` reads as a `tracing` target (lower-case module path) rather than a
/// subsystem name.
fn is_target(k: &str) -> bool {
    k.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':')
}

/// Reads a `debuglevel` value against `subsystems`. An empty value is `info`; without a bare
/// level the others stay at `info`.
///
/// # Errors
/// [`ConfigError::Invalid`] naming `debuglevel`: an unknown level, or a subsystem that is not
/// in `subsystems` (the message lists them, as the original's).
pub fn parse(spec: &str, subsystems: &[Subsystem]) -> Result<DebugLevel, ConfigError> {
    let spec = spec.trim();
    if spec == "show" {
        return Ok(DebugLevel::Show);
    }
    let echo = |s: &str| crate::util::truncate(s, crate::util::ECHO_MAX);
    let mut global: Option<&str> = None;
    let mut pairs: Vec<String> = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            None => {
                let l = level(part).ok_or_else(|| {
                    invalid(format!(
                        "The specified debug level [{}] is invalid",
                        echo(part)
                    ))
                })?;
                global = Some(l);
            }
            Some((k, v)) => {
                let (k, v) = (k.trim(), v.trim());
                let l = level(v).ok_or_else(|| {
                    invalid(format!(
                        "The specified debug level [{}] is invalid",
                        echo(v)
                    ))
                })?;
                if let Some(sub) = subsystems.iter().find(|s| s.name.eq_ignore_ascii_case(k)) {
                    pairs.extend(sub.targets.iter().map(|t| format!("{t}={l}")));
                } else if is_target(k) {
                    pairs.push(format!("{k}={l}"));
                } else {
                    return Err(invalid(format!(
                        "The specified subsystem [{}] is invalid -- supported subsystems {}",
                        echo(k),
                        names(subsystems)
                    )));
                }
            }
        }
    }
    let mut out = vec![global.unwrap_or("info").to_owned()];
    out.extend(pairs);
    Ok(DebugLevel::Directives(out.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBS: &[Subsystem] = &[
        Subsystem {
            name: "HCS",
            targets: &["hcpool_web"],
        },
        Subsystem {
            name: "MODL",
            targets: &["hcpool_db", "sqlx"],
        },
    ];

    fn d(s: &str) -> String {
        match parse(s, SUBS).unwrap() {
            DebugLevel::Directives(d) => d,
            DebugLevel::Show => panic!("show"),
        }
    }

    #[test]
    fn levels_and_pairs() {
        assert_eq!(d(""), "info");
        assert_eq!(d("debug"), "debug");
        assert_eq!(d(" Critical "), "error");
        assert_eq!(d("off"), "off");
        assert_eq!(d("HCS=trace"), "info,hcpool_web=trace");
        assert_eq!(
            d("warn, MODL=debug ,hcs=error"),
            "warn,hcpool_db=debug,sqlx=debug,hcpool_web=error"
        );
        assert_eq!(
            d("sqlx=off,hcpool_web::reqlog=warn"),
            "info,sqlx=off,hcpool_web::reqlog=warn"
        );
        assert_eq!(parse("show", SUBS).unwrap(), DebugLevel::Show);
    }

    #[test]
    fn refusals_name_the_problem() {
        let e = parse("FOO=info", SUBS).unwrap_err().to_string();
        assert_eq!(
            e,
            "debuglevel: The specified subsystem [FOO] is invalid -- supported subsystems [HCS MODL]"
        );
        let e = parse("HCS=bogus", SUBS).unwrap_err().to_string();
        assert!(e.contains("debug level [bogus] is invalid"), "{e}");
        assert!(parse("bogus", SUBS).is_err());
        assert!(parse("HCS", SUBS).is_err());
        assert!(parse("=info", SUBS).is_err());
    }
}

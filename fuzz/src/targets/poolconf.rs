//! hcstakepool.conf text: the go-flags INI dialect and the typed, checked configuration.
//! Settings that parse re-serialize (`key="value"` lines) to text that parses to the same
//! settings; every host value gets a port without panicking.

use hcpool_core::config::{parse_ini, sources, with_default_port, Setting};
use hcpool_core::PoolConfig;

/// The target.
pub fn check(data: &[u8]) {
    let Some(text) = crate::text(data) else {
        return;
    };
    let _ = PoolConfig::from_ini(text);
    let Ok(settings) = parse_ini(text) else {
        return;
    };
    let again: String = settings
        .iter()
        .map(|Setting { key, value }| format!("{key}=\"{value}\"\n"))
        .collect();
    assert_eq!(
        parse_ini(&again).as_ref(),
        Ok(&settings),
        "settings re-serialize differently"
    );
    for s in &settings {
        let _ = with_default_port(&s.value, 8000);
    }
    let mut layered = sources();
    if layered.layer(settings).is_ok() {
        let cfg = PoolConfig::from_sources(&layered);
        assert_eq!(cfg.is_ok(), PoolConfig::from_ini(text).is_ok());
        if let Ok(cfg) = cfg {
            let _ = format!("{cfg:?}");
        }
    }
}

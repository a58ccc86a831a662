//! The web app's configuration: hcstakepool.conf keys from the config file, the environment
//! (`HCPOOL_<KEY>`) and the command line (`--<key>`), layered file < env < flags through
//! [`hcpool_core::config::ConfigSources`], plus hcpool-web's own flags (`--demo`).

use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ArgMatches, Command};
use hcpool_core::config::{parse_ini, ConfigSources, PoolConfig, Setting, KNOWN_KEYS};
use hcpool_core::Network;

use crate::error::WebError;

/// Keys that are switches: `--closepool` alone means true.
const BOOL_KEYS: &[&str] = &[
    "testnet",
    "simnet",
    "closepool",
    "cookiesecure",
    "enablestakepoold",
    "maintenance",
    "captcha",
    "nosmtp",
];

/// What the command line asked for, before the sources are merged.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// `--demo`: SQLite in the data dir and a simulated wallet cluster.
    pub demo: bool,
    /// `--configfile`, when given.
    pub config_file: Option<PathBuf>,
    /// Settings given as flags.
    pub flags: Vec<Setting>,
}

/// The clap command: one `--<key>` per hcstakepool.conf key plus `--demo`.
pub fn command() -> Command {
    let mut cmd = Command::new("hcpool-web")
        .about("HC stake pool web app and API (a drop-in for hcstakepool)")
        .version(env!("CARGO_PKG_VERSION"))
        .arg(
            Arg::new("demo")
                .long("demo")
                .action(ArgAction::SetTrue)
                .help("run a self-contained demo pool (SQLite, simulated wallets)"),
        );
    for key in KNOWN_KEYS {
        let mut arg = Arg::new(*key).long(*key).value_name("VALUE");
        if BOOL_KEYS.contains(key) {
            arg = arg.num_args(0..=1).default_missing_value("1");
        } else {
            arg = arg.action(ArgAction::Append);
        }
        if *key == "configfile" {
            arg = arg.short('C');
        }
        cmd = cmd.arg(arg);
    }
    cmd
}

/// Reads the command line.
///
/// # Errors
/// clap's error for bad flags (it prints help and usage).
pub fn parse_args<I, T>(args: I) -> Result<Invocation, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let m = command().try_get_matches_from(args)?;
    Ok(invocation(&m))
}

fn invocation(m: &ArgMatches) -> Invocation {
    let mut flags = Vec::new();
    for key in KNOWN_KEYS {
        if let Some(values) = m.get_many::<String>(key) {
            for v in values {
                flags.push(Setting {
                    key: (*key).to_owned(),
                    value: v.clone(),
                });
            }
        }
    }
    let config_file = flags
        .iter()
        .rev()
        .find(|s| s.key == "configfile")
        .map(|s| PathBuf::from(&s.value));
    Invocation {
        demo: m.get_flag("demo"),
        config_file,
        flags: flags
            .into_iter()
            .filter(|s| s.key != "configfile")
            .collect(),
    }
}

/// Settings from `HCPOOL_<KEY>` environment variables (`vars` is usually `std::env::vars()`).
/// Variables that name no hcstakepool key are ignored (`HCPOOL_LOG` and the like).
pub fn env_settings(vars: impl IntoIterator<Item = (String, String)>) -> Vec<Setting> {
    vars.into_iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("HCPOOL_")?.to_ascii_lowercase();
            (KNOWN_KEYS.contains(&key.as_str()) && key != "configfile")
                .then_some(Setting { key, value: v })
        })
        .collect()
}

/// Layers file < env < flags into one source set.
///
/// # Errors
/// [`WebError::Config`] naming the source and the bad key or line.
pub fn layer(
    file: Option<(&Path, &str)>,
    env: Vec<Setting>,
    flags: Vec<Setting>,
) -> Result<ConfigSources, WebError> {
    let mut src = ConfigSources::new();
    if let Some((path, text)) = file {
        let settings =
            parse_ini(text).map_err(|e| WebError::Config(format!("{}: {e}", path.display())))?;
        src.layer(settings)
            .map_err(|e| WebError::Config(format!("{}: {e}", path.display())))?;
    }
    src.layer(env)
        .map_err(|e| WebError::Config(format!("environment: {e}")))?;
    src.layer(flags)
        .map_err(|e| WebError::Config(format!("command line: {e}")))?;
    Ok(src)
}

/// The settings the web layer itself uses (the rest of [`PoolConfig`] builds the backends).
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The network.
    pub network: Network,
    /// `baseurl`: email links and the JWT `iss` claim.
    pub base_url: String,
    /// `apisecret`: the JWT HMAC key.
    pub api_secret: hcpool_core::Secret<String>,
    /// `closepool`.
    pub close_pool: bool,
    /// `closepoolmsg`.
    pub close_pool_msg: String,
    /// `cookiesecure`: the Secure flag on cookies.
    pub cookie_secure: bool,
    /// `poolemail`.
    pub pool_email: String,
    /// `poolfees`, percent.
    pub pool_fees: f64,
    /// `poollink`.
    pub pool_link: String,
    /// `realipheader`.
    pub real_ip_header: Option<String>,
    /// `smtphost` is set (mail really goes out).
    pub smtp_configured: bool,
    /// `adminips`.
    pub admin_ips: Vec<String>,
    /// `adminuserids`.
    pub admin_user_ids: Vec<u64>,
    /// `maxvotedage`: voted tickets older than this many blocks are counted, not listed.
    pub max_voted_age: i64,
    /// `apiratelimit`: API requests per client IP per minute (0: no limit).
    pub api_rate_limit: u32,
    /// `maintenance`: pages answer the maintenance page, the API an unavailable error.
    pub maintenance: bool,
    /// `maintenancemsg`.
    pub maintenance_msg: String,
    /// `captcha`: the self-hosted captcha on sign-up.
    pub captcha: bool,
    /// `sessionmaxhours` in seconds: a session ends this long after sign-in.
    pub session_max_secs: i64,
    /// `legacypasswords`: store bcrypt hashes hcstakepool can check, never upgrade them.
    pub legacy_passwords: bool,
    /// `templatepath`: `<name>.hbs` files here override the embedded templates (reloaded on
    /// SIGUSR1); a missing directory means the embedded ones.
    pub template_path: Option<std::path::PathBuf>,
}

impl WebSettings {
    /// The web part of a pool configuration.
    pub fn from_pool_config(c: &PoolConfig) -> Self {
        WebSettings {
            network: c.network,
            base_url: c.base_url.trim_end_matches('/').to_owned(),
            api_secret: hcpool_core::Secret::new(c.api_secret.clone()),
            close_pool: c.close_pool,
            close_pool_msg: c.close_pool_msg.clone(),
            cookie_secure: c.cookie_secure,
            pool_email: c.pool_email.clone(),
            pool_fees: c.pool_fees,
            pool_link: c.pool_link.clone(),
            real_ip_header: c.real_ip_header.clone(),
            smtp_configured: !c.smtp_host.trim().is_empty(),
            admin_ips: c.admin_ips.clone(),
            admin_user_ids: c.admin_user_ids.clone(),
            max_voted_age: c.max_voted_age,
            api_rate_limit: c.api_rate_limit,
            maintenance: c.maintenance,
            maintenance_msg: c.maintenance_msg.clone(),
            captcha: c.captcha,
            session_max_secs: i64::from(c.session_max_hours) * 3600,
            legacy_passwords: c.legacy_passwords,
            template_path: Some(std::path::PathBuf::from(&c.template_path))
                .filter(|p| !p.as_os_str().is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_env_beat_file() {
        let inv = parse_args([
            "hcpool-web",
            "--configfile",
            "/x.conf",
            "--poolfees",
            "3",
            "--closepool",
        ])
        .unwrap();
        assert_eq!(inv.config_file.as_deref(), Some(Path::new("/x.conf")));
        let env = env_settings([
            ("HCPOOL_POOLFEES".to_owned(), "2".to_owned()),
            ("HCPOOL_POOLEMAIL".to_owned(), "env@x".to_owned()),
            ("HCPOOL_LOG".to_owned(), "debug".to_owned()),
        ]);
        let file = "poolfees=1\npoolemail=file@x\npoollink=l\n";
        let src = layer(Some((Path::new("/x.conf"), file)), env, inv.flags).unwrap();
        assert_eq!(src.get("poolfees"), Some("3"));
        assert_eq!(src.get("poolemail"), Some("env@x"));
        assert_eq!(src.get("poollink"), Some("l"));
        assert_eq!(src.get("closepool"), Some("1"));
    }

    #[test]
    fn unknown_file_key_names_the_file_and_key() {
        let e = layer(Some((Path::new("/p.conf"), "nosuchkey=1")), vec![], vec![]).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("/p.conf") && msg.contains("nosuchkey"),
            "{msg}"
        );
    }

    #[test]
    fn demo_flag_and_listen() {
        let inv = parse_args(["hcpool-web", "--demo", "--listen", "127.0.0.1:9"]).unwrap();
        assert!(inv.demo);
        assert_eq!(inv.flags.len(), 1);
        assert_eq!(inv.flags[0].value, "127.0.0.1:9");
    }
}

//! hcstakepool.conf: the INI dialect, the keys, their defaults and their checks
//! (hcstakepool-inventory.md §8.1).
//!
//! This module only parses text and checks values: reading the file, the environment and
//! the command line is the binaries' job. Sources are layered as key/value pairs with
//! [`ConfigSources`]; later layers win (file < environment < command line), and for the
//! comma-separated list keys only the first occurrence within a layer counts, as in the
//! original.

use std::collections::BTreeMap;

use crate::params::Network;
use crate::util::{truncate, ECHO_MAX};

/// Why a configuration was refused; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A line of the file is not `key=value`, a comment or a section header.
    #[error("line {line}: cannot parse {text:?} (expected key=value)")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// The line (truncated).
        text: String,
    },
    /// A key hcstakepool does not know.
    #[error("unknown option {key:?}")]
    UnknownKey {
        /// The key.
        key: String,
    },
    /// A required key is missing.
    #[error("{key} is not set in config")]
    Missing {
        /// The key.
        key: &'static str,
    },
    /// A value does not parse or is out of range.
    #[error("{key}: {message}")]
    Invalid {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// The keys hcstakepool.conf accepts (long option names, lower case).
pub const KNOWN_KEYS: &[&str] = &[
    "configfile",
    "datadir",
    "logdir",
    "listen",
    "testnet",
    "simnet",
    "profile",
    "cpuprofile",
    "memprofile",
    "debuglevel",
    "apisecret",
    "baseurl",
    "coldwalletextpub",
    "closepool",
    "closepoolmsg",
    "cookiesecret",
    "cookiesecure",
    "dbhost",
    "dbuser",
    "dbpassword",
    "dbport",
    "dbname",
    "publicpath",
    "templatepath",
    "recaptchasecret",
    "recaptchasitekey",
    "poolemail",
    "poolfees",
    "poollink",
    "realipheader",
    "smtpfrom",
    "smtphost",
    "smtpusername",
    "smtppassword",
    "smtpcert",
    "stakepooldhosts",
    "stakepooldcerts",
    "wallethosts",
    "walletusers",
    "walletpasswords",
    "walletcerts",
    "votingwalletextpub",
    "adminips",
    "adminuserids",
    "minservers",
    "enablestakepoold",
    "maxvotedage",
    // hcpool additions.
    "maxusers",
    "dburl",
    "dbminclustersize",
    "apiratelimit",
    "maintenance",
    "maintenancemsg",
    "captcha",
    "nosmtp",
    "sessionmaxhours",
    "legacypasswords",
    "stakepooldclientcert",
    "stakepooldclientkey",
];

/// Keys whose values are secrets: never echoed in errors or logs.
pub const SECRET_KEYS: &[&str] = &[
    "apisecret",
    "cookiesecret",
    "dbpassword",
    "smtppassword",
    "walletpasswords",
    "dburl",
];

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
pub fn parse_ini(text: &str) -> Result<Vec<Setting>, ConfigError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            return Err(ConfigError::Syntax {
                line: i + 1,
                text: truncate(line, ECHO_MAX),
            });
        };
        let key = k.trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(ConfigError::Syntax {
                line: i + 1,
                text: truncate(line, ECHO_MAX),
            });
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

/// Keys whose value is a comma-separated list (only the first occurrence in a source
/// counts, as go-flags does for these in hcstakepool).
const LIST_KEYS: &[&str] = &[
    "stakepooldhosts",
    "stakepooldcerts",
    "wallethosts",
    "walletusers",
    "walletpasswords",
    "walletcerts",
    "adminips",
];

/// Layered configuration sources.
#[derive(Debug, Clone, Default)]
pub struct ConfigSources {
    values: BTreeMap<String, Vec<String>>,
}

impl ConfigSources {
    /// An empty set of sources (every key at its default).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one source layer; its keys replace those of earlier layers.
    ///
    /// # Errors
    /// [`ConfigError::UnknownKey`] for a key hcstakepool does not know.
    pub fn layer(
        &mut self,
        settings: impl IntoIterator<Item = Setting>,
    ) -> Result<(), ConfigError> {
        let mut this_layer: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in settings {
            if !KNOWN_KEYS.contains(&s.key.as_str()) {
                return Err(ConfigError::UnknownKey {
                    key: truncate(&s.key, ECHO_MAX),
                });
            }
            let entry = this_layer.entry(s.key.clone()).or_default();
            if LIST_KEYS.contains(&s.key.as_str()) && !entry.is_empty() {
                continue;
            }
            entry.push(s.value);
        }
        for (k, v) in this_layer {
            self.values.insert(k, v);
        }
        Ok(())
    }

    /// The last value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// Every value of `key` (for repeatable keys like `adminuserids`).
    pub fn all(&self, key: &str) -> &[String] {
        self.values.get(key).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// A typed hcstakepool.conf with hcstakepool's defaults.
#[derive(Clone, PartialEq)]
pub struct PoolConfig {
    /// The network (`testnet`/`simnet` flags; mainnet otherwise).
    pub network: Network,
    /// `listen` (default `:8000`).
    pub listen: String,
    /// `apisecret` (JWT key).
    pub api_secret: String,
    /// `baseurl` (default `http://127.0.0.1:8000`).
    pub base_url: String,
    /// `coldwalletextpub` (fee addresses).
    pub cold_wallet_ext_pub: String,
    /// `votingwalletextpub` (ticket addresses).
    pub voting_wallet_ext_pub: String,
    /// `closepool`.
    pub close_pool: bool,
    /// `closepoolmsg`.
    pub close_pool_msg: String,
    /// `cookiesecret`.
    pub cookie_secret: String,
    /// `cookiesecure`.
    pub cookie_secure: bool,
    /// `dbhost`.
    pub db_host: String,
    /// `dbport`.
    pub db_port: u16,
    /// `dbname`.
    pub db_name: String,
    /// `dbuser`.
    pub db_user: String,
    /// `dbpassword`.
    pub db_password: String,
    /// `dburl` (hcpool: a full `mysql://` or `sqlite://` URL that overrides the db* keys).
    /// `dbhost` and `dburl` may name several hosts (the nodes of a Galera cluster):
    /// `dbhost=db1,db2:3307`, `mysql://user:pass@db1:3306,db2:3306/stakepool`.
    pub db_url: Option<String>,
    /// `dbminclustersize` (hcpool): on a Galera cluster, `/status` reports the database as
    /// degraded while `wsrep_cluster_size` is below this; 0 (the default) never does.
    pub db_min_cluster_size: u32,
    /// `poolemail`.
    pub pool_email: String,
    /// `poolfees` (percent).
    pub pool_fees: f64,
    /// `poollink`.
    pub pool_link: String,
    /// `realipheader`.
    pub real_ip_header: Option<String>,
    /// `smtpfrom`.
    pub smtp_from: String,
    /// `smtphost` (empty: mail goes to the log).
    pub smtp_host: String,
    /// `smtpusername`.
    pub smtp_username: String,
    /// `smtppassword`.
    pub smtp_password: String,
    /// `smtpcert` (hcpool addition, dcrstakepool's name): a PEM file of the certificate
    /// authority the SMTP server's certificate must chain to, in place of the public roots
    /// (a private mail relay). Empty: the public web roots.
    pub smtp_cert: String,
    /// `enablestakepoold`.
    pub enable_stakepoold: bool,
    /// `stakepooldhosts`, with the network's default port added where missing.
    pub stakepoold_hosts: Vec<String>,
    /// `stakepooldcerts`.
    pub stakepoold_certs: Vec<String>,
    /// `stakepooldclientcert` (hcpool addition): the client certificate (PEM) presented to
    /// every stakepoold that asks for one (its `clientcafile`); generated with the key on
    /// first start when the key file is missing. Empty: none (as hcstakepool).
    pub stakepoold_client_cert: String,
    /// `stakepooldclientkey` (hcpool addition): the key of `stakepooldclientcert`.
    pub stakepoold_client_key: String,
    /// `wallethosts`, with the network's default port added where missing, deduplicated.
    pub wallet_hosts: Vec<String>,
    /// `walletusers`.
    pub wallet_users: Vec<String>,
    /// `walletpasswords`.
    pub wallet_passwords: Vec<String>,
    /// `walletcerts`.
    pub wallet_certs: Vec<String>,
    /// `adminips`.
    pub admin_ips: Vec<String>,
    /// `adminuserids`: the option may be repeated and each value may be a comma list.
    /// (hcstakepool did not split `1,2,3`, so such a value matched nobody; hcpool does what
    /// the operator wrote.)
    pub admin_user_ids: Vec<u64>,
    /// `minservers` (default 2).
    pub min_servers: usize,
    /// `maxvotedage` blocks (default 8640).
    pub max_voted_age: i64,
    /// `maxusers` (hcpool; default 10000): the derivation range, not a hard cap on sign-ups.
    pub max_users: u64,
    /// `publicpath`.
    pub public_path: String,
    /// `templatepath`.
    pub template_path: String,
    /// `recaptchasitekey` (kept for compatibility; hcpool's captcha is self-hosted).
    pub recaptcha_site_key: String,
    /// `debuglevel`.
    pub debug_level: String,
    /// `datadir`.
    pub data_dir: Option<String>,
    /// `logdir`.
    pub log_dir: Option<String>,
    /// `apiratelimit` (hcpool; default 600): API requests per client IP per minute; 0 turns
    /// the limit off.
    pub api_rate_limit: u32,
    /// `maintenance` (hcpool; default off): every page answers a maintenance page (503) and
    /// the API a code-14 error; `/status` and the assets still answer.
    pub maintenance: bool,
    /// `maintenancemsg` (hcpool): the text of the maintenance page.
    pub maintenance_msg: String,
    /// `captcha` (hcpool; default off): a self-hosted image captcha on sign-up.
    pub captcha: bool,
    /// `nosmtp` (hcpool; default off): run without a mail server. Without it, hcpool-web
    /// refuses to start when `smtphost` is empty (mail would carry live links into the log).
    pub no_smtp: bool,
    /// `sessionmaxhours` (hcpool; default 720 = 30 days): a web session ends this long after
    /// sign-in, however active it is.
    pub session_max_hours: u32,
    /// `legacypasswords` (hcpool; default off): hcstakepool shares the database, so
    /// passwords are stored as hcstakepool's bcrypt (`$2a$`, cost 10) and legacy hashes are
    /// never upgraded to argon2id (hcstakepool could not check those).
    pub legacy_passwords: bool,
}

impl std::fmt::Debug for PoolConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolConfig")
            .field("network", &self.network)
            .field("listen", &self.listen)
            .field("base_url", &self.base_url)
            .field("wallet_hosts", &self.wallet_hosts)
            .field("min_servers", &self.min_servers)
            .field("pool_fees", &self.pool_fees)
            .finish_non_exhaustive()
    }
}

/// The default `maxusers` (hcstakepool's `MaxUsers`).
pub use crate::derive::DEFAULT_MAX_USERS;

fn parse_bool(key: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(ConfigError::Invalid {
            key: key.to_owned(),
            message: format!("{:?} is not a boolean", truncate(other, ECHO_MAX)),
        }),
    }
}

fn parse_num<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, ConfigError> {
    v.trim().parse().map_err(|_| ConfigError::Invalid {
        key: key.to_owned(),
        message: format!("{:?} is not a valid number", truncate(v, ECHO_MAX)),
    })
}

fn split_list(v: Option<&str>) -> Vec<String> {
    v.map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// Adds `port` to `host` when it has none (`host`, `[v6]`, `v6` without brackets aside).
pub fn with_default_port(host: &str, port: u16) -> String {
    let h = host.trim();
    if h.starts_with('[') {
        if h.contains("]:") {
            return h.to_owned();
        }
        return format!("{h}:{port}");
    }
    match h.matches(':').count() {
        0 => format!("{h}:{port}"),
        1 => h.to_owned(),
        _ => format!("[{h}]:{port}"),
    }
}

impl PoolConfig {
    /// Builds the typed configuration from layered sources and checks it as hcstakepool's
    /// `loadConfig` does (the key checks that need no file system or key parsing).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad key.
    pub fn from_sources(src: &ConfigSources) -> Result<PoolConfig, ConfigError> {
        let flag = |k: &str| -> Result<bool, ConfigError> {
            src.get(k).map(|v| parse_bool(k, v)).unwrap_or(Ok(false))
        };
        let string = |k: &str, default: &str| src.get(k).unwrap_or(default).to_owned();
        let required = |k: &'static str| -> Result<String, ConfigError> {
            match src.get(k) {
                Some(v) if !v.trim().is_empty() => Ok(v.to_owned()),
                _ => Err(ConfigError::Missing { key: k }),
            }
        };

        let (testnet, simnet) = (flag("testnet")?, flag("simnet")?);
        let network = match (testnet, simnet) {
            (true, true) => {
                return Err(ConfigError::Invalid {
                    key: "testnet".into(),
                    message: "The testnet and simnet params can't be used together -- choose one of the three".into(),
                })
            }
            (true, false) => Network::Testnet,
            (false, true) => Network::Simnet,
            (false, false) => Network::Mainnet,
        };
        let params = network.params();

        let mut wallet_hosts: Vec<String> = Vec::new();
        for h in split_list(src.get("wallethosts")) {
            let h = with_default_port(&h, params.wallet_rpc_port);
            if !wallet_hosts.contains(&h) {
                wallet_hosts.push(h);
            }
        }
        let wallet_users = split_list(src.get("walletusers"));
        let wallet_passwords = split_list(src.get("walletpasswords"));
        let wallet_certs = split_list(src.get("walletcerts"));
        if wallet_hosts.is_empty() {
            return Err(ConfigError::Missing { key: "wallethosts" });
        }
        for (key, n) in [
            ("walletusers", wallet_users.len()),
            ("walletpasswords", wallet_passwords.len()),
            ("walletcerts", wallet_certs.len()),
        ] {
            if n != wallet_hosts.len() {
                return Err(ConfigError::Invalid {
                    key: key.into(),
                    message: format!(
                        "wallet configuration mismatch ({key} and wallethosts counts differ: {n} vs {})",
                        wallet_hosts.len()
                    ),
                });
            }
        }

        let enable_stakepoold = flag("enablestakepoold")?;
        let mut stakepoold_hosts: Vec<String> = Vec::new();
        for h in split_list(src.get("stakepooldhosts")) {
            let h = with_default_port(&h, params.stakepoold_rpc_port);
            if !stakepoold_hosts.contains(&h) {
                stakepoold_hosts.push(h);
            }
        }
        let stakepoold_certs = split_list(src.get("stakepooldcerts"));
        if enable_stakepoold {
            if stakepoold_hosts.is_empty() {
                return Err(ConfigError::Missing {
                    key: "stakepooldhosts",
                });
            }
            if stakepoold_certs.len() != stakepoold_hosts.len() {
                return Err(ConfigError::Invalid {
                    key: "stakepooldcerts".into(),
                    message: "stakepoold configuration mismatch (stakepooldcerts and stakepooldhosts counts differ)".into(),
                });
            }
        }

        let client_file = |k: &str| src.get(k).map(str::trim).unwrap_or("").to_owned();
        let stakepoold_client_cert = client_file("stakepooldclientcert");
        let stakepoold_client_key = client_file("stakepooldclientkey");
        if stakepoold_client_cert.is_empty() != stakepoold_client_key.is_empty() {
            return Err(ConfigError::Invalid {
                key: "stakepooldclientcert".into(),
                message:
                    "stakepooldclientcert and stakepooldclientkey go together: set both or neither"
                        .into(),
            });
        }

        let pool_fees: f64 = parse_num("poolfees", src.get("poolfees").unwrap_or("7.5"))?;
        let hundredths = (pool_fees * 100.0).floor();
        if !(1.0..=10000.0).contains(&hundredths) {
            return Err(ConfigError::Invalid {
                key: "poolfees".into(),
                message: format!("invalid pool fee {pool_fees} (must be 0.01 to 100 percent)"),
            });
        }
        let min_servers: usize = parse_num("minservers", src.get("minservers").unwrap_or("2"))?;
        if min_servers == 0 || min_servers > wallet_hosts.len() {
            return Err(ConfigError::Invalid {
                key: "minservers".into(),
                message: format!(
                    "minservers must be between 1 and the number of wallethosts ({})",
                    wallet_hosts.len()
                ),
            });
        }
        let max_users: u64 = parse_num(
            "maxusers",
            &src.get("maxusers")
                .map(str::to_owned)
                .unwrap_or_else(|| DEFAULT_MAX_USERS.to_string()),
        )?;
        let session_max_hours: u32 = parse_num(
            "sessionmaxhours",
            src.get("sessionmaxhours").unwrap_or("720"),
        )?;
        if session_max_hours == 0 || session_max_hours > 24 * 366 {
            return Err(ConfigError::Invalid {
                key: "sessionmaxhours".into(),
                message: "sessionmaxhours must be between 1 and 8784 (a year)".into(),
            });
        }
        if max_users == 0 || max_users > (1 << 31) {
            return Err(ConfigError::Invalid {
                key: "maxusers".into(),
                message: "maxusers must be between 1 and 2147483648".into(),
            });
        }

        let db_url = src
            .get("dburl")
            .map(str::to_owned)
            .filter(|s| !s.is_empty());
        let db_password = match (&db_url, src.get("dbpassword")) {
            (_, Some(p)) => p.to_owned(),
            (Some(_), None) => String::new(),
            (None, None) => return Err(ConfigError::Missing { key: "dbpassword" }),
        };

        Ok(PoolConfig {
            network,
            listen: string("listen", ":8000"),
            api_secret: required("apisecret")
                .map_err(|_| ConfigError::Missing { key: "APIsecret" })?,
            base_url: string("baseurl", "http://127.0.0.1:8000"),
            cold_wallet_ext_pub: required("coldwalletextpub")?,
            voting_wallet_ext_pub: required("votingwalletextpub")?,
            close_pool: flag("closepool")?,
            close_pool_msg: string(
                "closepoolmsg",
                "The stake pool is temporarily closed to new signups.",
            ),
            cookie_secret: required("cookiesecret")?,
            cookie_secure: flag("cookiesecure")?,
            db_host: string("dbhost", "localhost"),
            db_port: parse_num("dbport", src.get("dbport").unwrap_or("3306"))?,
            db_name: string("dbname", "stakepool"),
            db_user: string("dbuser", "stakepool"),
            db_password,
            db_url,
            db_min_cluster_size: parse_num(
                "dbminclustersize",
                src.get("dbminclustersize").unwrap_or("0"),
            )?,
            pool_email: string("poolemail", "dev@h.cash"),
            pool_fees,
            pool_link: string("poollink", "https://t.me/hcdevelopers"),
            real_ip_header: src
                .get("realipheader")
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            smtp_from: string("smtpfrom", ""),
            smtp_host: string("smtphost", ""),
            smtp_username: string("smtpusername", ""),
            smtp_password: string("smtppassword", ""),
            smtp_cert: string("smtpcert", ""),
            enable_stakepoold,
            stakepoold_hosts,
            stakepoold_certs,
            stakepoold_client_cert,
            stakepoold_client_key,
            wallet_hosts,
            wallet_users,
            wallet_passwords,
            wallet_certs,
            admin_ips: split_list(src.get("adminips")),
            admin_user_ids: src
                .all("adminuserids")
                .iter()
                .flat_map(|v| split_list(Some(v)))
                .map(|id| parse_num("adminuserids", &id))
                .collect::<Result<_, _>>()?,
            min_servers,
            max_voted_age: parse_num("maxvotedage", src.get("maxvotedage").unwrap_or("8640"))?,
            max_users,
            public_path: string("publicpath", "public"),
            template_path: string("templatepath", "views"),
            recaptcha_site_key: string("recaptchasitekey", ""),
            debug_level: string("debuglevel", "info"),
            data_dir: src.get("datadir").map(str::to_owned),
            log_dir: src.get("logdir").map(str::to_owned),
            api_rate_limit: parse_num("apiratelimit", src.get("apiratelimit").unwrap_or("600"))?,
            maintenance: flag("maintenance")?,
            maintenance_msg: string(
                "maintenancemsg",
                "The stake pool is down for maintenance. Tickets keep voting; please come back soon.",
            ),
            captcha: flag("captcha")?,
            no_smtp: flag("nosmtp")?,
            session_max_hours,
            legacy_passwords: flag("legacypasswords")?,
        })
    }

    /// Parses hcstakepool.conf text alone (no environment or flags).
    ///
    /// # Errors
    /// As [`PoolConfig::from_sources`], plus syntax errors.
    pub fn from_ini(text: &str) -> Result<PoolConfig, ConfigError> {
        let mut src = ConfigSources::new();
        src.layer(parse_ini(text)?)?;
        PoolConfig::from_sources(&src)
    }
}

#[cfg(test)]
mod tests;

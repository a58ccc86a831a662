//! hcstakepool.conf: the INI dialect, the pool's keys, their defaults and their checks
//! (hcstakepool-inventory.md §8.1).
//!
//! This module only parses text and checks values: reading the file, the environment and
//! the command line is the binaries' job. Sources are layered as key/value pairs with
//! [`ini::Layers`]; later layers win (file < environment < command line), and for the
//! comma-separated list keys only the first occurrence within a layer counts, as in the
//! original.
//!
//! The core parses the keys that make the pool: network, keys, fee, database, wallets and
//! voting nodes, limits ([`PoolConfig`], [`POOL_KEYS`]). The web app's own keys (listen
//! address, secrets of its cookies and tokens, mail, captcha, maintenance, admin lists, …)
//! are parsed by hcpool-web (`hcpool_web::config::WebConfig`). One hcstakepool.conf holds
//! both, so the file's vocabulary stays here ([`WEB_KEYS`] by name only): every tool that
//! reads the file ([`sources`], `hcpoolctl check-config`, the web app) refuses the same
//! unknown keys.

pub mod debuglevel;
pub mod ini;

pub use ini::{parse as parse_ini, Setting};

use crate::fee::PoolFeeRate;
use crate::ids::Secret;
use crate::params::Network;

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

/// The hcstakepool.conf keys of the pool itself (long option names, lower case): the
/// process keys every binary has, the pool's keys, database, wallets and voting nodes.
pub const POOL_KEYS: &[&str] = &[
    "configfile",
    "datadir",
    "logdir",
    "testnet",
    "simnet",
    "profile",
    "cpuprofile",
    "memprofile",
    "debuglevel",
    "coldwalletextpub",
    "closepool",
    "closepoolmsg",
    "dbhost",
    "dbuser",
    "dbpassword",
    "dbport",
    "dbname",
    "poolfees",
    "stakepooldhosts",
    "stakepooldcerts",
    "wallethosts",
    "walletusers",
    "walletpasswords",
    "walletcerts",
    "votingwalletextpub",
    "minservers",
    "enablestakepoold",
    "maxvotedage",
    // hcpool additions.
    "maxusers",
    "dburl",
    "dbminclustersize",
    "backupinterval",
    "backupstokeep",
    "backupdir",
    "stakepooldclientcert",
    "stakepooldclientkey",
    "maxlogsize",
    "logstokeep",
    "walletresyncinterval",
];

/// The hcstakepool.conf keys the web app owns and parses (`hcpool_web::config::WebConfig`);
/// named here only so every reader of the file knows its whole vocabulary.
pub const WEB_KEYS: &[&str] = &[
    "listen",
    "apisecret",
    "baseurl",
    "cookiesecret",
    "cookiesecure",
    "publicpath",
    "templatepath",
    "recaptchasecret",
    "recaptchasitekey",
    "poolemail",
    "poollink",
    "realipheader",
    "smtpfrom",
    "smtphost",
    "smtpusername",
    "smtppassword",
    "smtpcert",
    "smtptls",
    "adminips",
    "adminuserids",
    // hcpool additions.
    "apiratelimit",
    "maintenance",
    "maintenancemsg",
    "captcha",
    "nosmtp",
    "sessionmaxhours",
    "legacypasswords",
    "maxtiplag",
    "maxtipage",
    "metricsallowips",
    "voterecordkey",
];

/// Every key hcstakepool.conf accepts: the pool's, then the web app's.
pub fn known_keys() -> impl Iterator<Item = &'static str> {
    POOL_KEYS.iter().chain(WEB_KEYS).copied()
}

/// Keys whose value is a comma-separated list (only the first occurrence in a source
/// counts, as go-flags does for these in hcstakepool).
pub const LIST_KEYS: &[&str] = &[
    "stakepooldhosts",
    "stakepooldcerts",
    "wallethosts",
    "walletusers",
    "walletpasswords",
    "walletcerts",
    "adminips",
];

/// Layered hcstakepool.conf sources (see [`sources`]).
pub type ConfigSources = ini::Layers;

/// Empty sources over every hcstakepool.conf key ([`known_keys`]; [`LIST_KEYS`] keep a
/// layer's first occurrence).
pub fn sources() -> ConfigSources {
    ini::Layers::new(&known_keys().collect::<Vec<_>>(), LIST_KEYS)
}

/// One wallet the pool drives: the same position in `wallethosts`, `walletusers`,
/// `walletpasswords` and `walletcerts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletEndpoint {
    /// `host:port` (the network's default port added where missing).
    pub host: String,
    /// RPC user.
    pub user: String,
    /// RPC password.
    pub password: Secret<String>,
    /// Its certificate (PEM), as written: relative paths are the binary's to resolve.
    pub cert: String,
}

/// The database hcstakepool.conf names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbSettings {
    /// `dbhost` (hcpool: several hosts, `db1,db2:3307`, name a Galera cluster's nodes).
    pub host: String,
    /// `dbport`.
    pub port: u16,
    /// `dbname`.
    pub name: String,
    /// `dbuser`.
    pub user: String,
    /// `dbpassword` (empty when `dburl` is set and this is not).
    pub password: Secret<String>,
    /// `dburl` (hcpool: a full `mysql://` or `sqlite://` URL that overrides the db* keys;
    /// `mysql://user:pass@db1:3306,db2:3306/stakepool` names a cluster). It holds the
    /// password, hence a secret.
    pub url: Option<Secret<String>>,
    /// `dbminclustersize` (hcpool): on a Galera cluster, `/status` reports the database as
    /// degraded while `wsrep_cluster_size` is below this; 0 (the default) never does.
    pub min_cluster_size: u32,
    /// `backupinterval` (hcpool): minutes between online backups of a SQLite store; 0 (the
    /// default) takes none. MySQL/MariaDB are dumped with their own tools (README: Backups).
    pub backup_interval_mins: u32,
    /// `backupstokeep` (hcpool; default 10): the newest this many backups are kept, older
    /// ones deleted (0 keeps all).
    pub backups_to_keep: u32,
    /// `backupdir` (hcpool): where backups go; empty (the default) means a `backups`
    /// directory beside the database file.
    pub backup_dir: String,
}

/// The pool's part of hcstakepool.conf, typed, with hcstakepool's defaults. Its `Debug`
/// shows no secret (they are [`Secret`]s).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolConfig {
    /// The network (`testnet`/`simnet` flags; mainnet otherwise).
    pub network: Network,
    /// `coldwalletextpub` (fee addresses).
    pub cold_wallet_ext_pub: String,
    /// `votingwalletextpub` (ticket addresses).
    pub voting_wallet_ext_pub: String,
    /// `poolfees` (percent; default 7.5).
    pub pool_fees: PoolFeeRate,
    /// `closepool`: sign-ups are refused.
    pub close_pool: bool,
    /// `closepoolmsg`.
    pub close_pool_msg: String,
    /// The database (`db*` keys).
    pub db: DbSettings,
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
    /// The wallets: `wallethosts` (deduplicated) with the same position of `walletusers`,
    /// `walletpasswords` and `walletcerts`.
    pub wallets: Vec<WalletEndpoint>,
    /// `minservers` (default 2).
    pub min_servers: usize,
    /// `maxvotedage` blocks (default 8640): voted tickets older than this are counted,
    /// not listed.
    pub max_voted_age: i64,
    /// `maxusers` (hcpool; default 10000): the derivation range, not a hard cap on sign-ups.
    pub max_users: u64,
    /// `walletresyncinterval` (hcpool; seconds, default 600, 0 = off): how often the
    /// wallets are compared with the store and given the scripts and tickets they lack
    /// (besides whenever a wallet that was down answers again).
    pub wallet_resync_secs: u64,
    /// `debuglevel`.
    pub debug_level: String,
    /// `datadir`.
    pub data_dir: Option<String>,
    /// `logdir`.
    pub log_dir: Option<String>,
    /// `maxlogsize` (hcpool, vspd's name; default 10): the log file is rotated past this
    /// many MiB.
    pub max_log_size_mib: u64,
    /// `logstokeep` (hcpool, vspd's name; default 3): rotated log files kept.
    pub logs_to_keep: u32,
}

/// The default `maxusers` (hcstakepool's `MaxUsers`).
pub use crate::derive::DEFAULT_MAX_USERS;

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

/// `hosts` with `port` added where missing, duplicates dropped (first kept).
fn hosts_with_port(hosts: Vec<String>, port: u16) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for h in hosts {
        let h = with_default_port(&h, port);
        if !out.contains(&h) {
            out.push(h);
        }
    }
    out
}

impl PoolConfig {
    /// Builds the typed configuration from layered sources and checks it as hcstakepool's
    /// `loadConfig` does (the key checks that need no file system or key parsing). Keys
    /// the pool does not own are not read.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad key.
    pub fn from_sources(src: &ConfigSources) -> Result<PoolConfig, ConfigError> {
        let (testnet, simnet) = (src.flag("testnet")?, src.flag("simnet")?);
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

        let wallets = wallets(src, params.wallet_rpc_port)?;

        let enable_stakepoold = src.flag("enablestakepoold")?;
        let stakepoold_hosts =
            hosts_with_port(src.list("stakepooldhosts"), params.stakepoold_rpc_port);
        let stakepoold_certs = src.list("stakepooldcerts");
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

        let percent: f64 = src.num("poolfees", "7.5")?;
        let pool_fees = PoolFeeRate::from_percent(percent).map_err(|_| ConfigError::Invalid {
            key: "poolfees".into(),
            message: format!("invalid pool fee {percent} (must be 0.01 to 100 percent)"),
        })?;
        let min_servers: usize = src.num("minservers", "2")?;
        if min_servers == 0 || min_servers > wallets.len() {
            return Err(ConfigError::Invalid {
                key: "minservers".into(),
                message: format!(
                    "minservers must be between 1 and the number of wallethosts ({})",
                    wallets.len()
                ),
            });
        }
        let max_users: u64 = src.num("maxusers", &DEFAULT_MAX_USERS.to_string())?;
        if max_users == 0 || max_users > (1 << 31) {
            return Err(ConfigError::Invalid {
                key: "maxusers".into(),
                message: "maxusers must be between 1 and 2147483648".into(),
            });
        }

        let (max_log_size_mib, logs_to_keep) = log_rotation(src)?;

        let db_url = src
            .get("dburl")
            .filter(|s| !s.is_empty())
            .map(|s| Secret::new(s.to_owned()));
        let db_password = match (&db_url, src.get("dbpassword")) {
            (_, Some(p)) => p.to_owned(),
            (Some(_), None) => String::new(),
            (None, None) => return Err(ConfigError::Missing { key: "dbpassword" }),
        };

        Ok(PoolConfig {
            network,
            cold_wallet_ext_pub: src.required("coldwalletextpub")?,
            voting_wallet_ext_pub: src.required("votingwalletextpub")?,
            pool_fees,
            close_pool: src.flag("closepool")?,
            close_pool_msg: src.string(
                "closepoolmsg",
                "The stake pool is temporarily closed to new signups.",
            ),
            db: DbSettings {
                host: src.string("dbhost", "localhost"),
                port: src.num("dbport", "3306")?,
                name: src.string("dbname", "stakepool"),
                user: src.string("dbuser", "stakepool"),
                password: Secret::new(db_password),
                url: db_url,
                min_cluster_size: src.num("dbminclustersize", "0")?,
                backup_interval_mins: src.num("backupinterval", "0")?,
                backups_to_keep: src.num("backupstokeep", "10")?,
                backup_dir: src.string("backupdir", ""),
            },
            enable_stakepoold,
            stakepoold_hosts,
            stakepoold_certs,
            stakepoold_client_cert,
            stakepoold_client_key,
            wallets,
            min_servers,
            max_voted_age: src.num("maxvotedage", "8640")?,
            max_users,
            wallet_resync_secs: src.num("walletresyncinterval", "600")?,
            debug_level: src.string("debuglevel", "info"),
            data_dir: src.get("datadir").map(str::to_owned),
            log_dir: src.get("logdir").map(str::to_owned),
            max_log_size_mib,
            logs_to_keep,
        })
    }

    /// Parses hcstakepool.conf text alone (no environment or flags); the web app's keys
    /// must be known names but are not read.
    ///
    /// # Errors
    /// As [`PoolConfig::from_sources`], plus syntax errors and unknown keys.
    pub fn from_ini(text: &str) -> Result<PoolConfig, ConfigError> {
        let mut src = sources();
        src.layer(parse_ini(text)?)?;
        PoolConfig::from_sources(&src)
    }

    /// The wallet RPC hosts, in order.
    pub fn wallet_hosts(&self) -> impl Iterator<Item = &str> {
        self.wallets.iter().map(|w| w.host.as_str())
    }
}

/// `maxlogsize` (MiB, default 10) and `logstokeep` (default 3), hcstakepool's fixed
/// rotation as defaults; hcstakepool.conf and stakepoold.conf share the keys (vspd's names).
///
/// # Errors
/// [`ConfigError::Invalid`] for a size outside 1–1024 MiB or more than 1000 kept files.
pub fn log_rotation(src: &ini::Layers) -> Result<(u64, u32), ConfigError> {
    let size: u64 = src.num("maxlogsize", "10")?;
    if !(1..=1024).contains(&size) {
        return Err(ConfigError::Invalid {
            key: "maxlogsize".into(),
            message: "maxlogsize must be between 1 and 1024 (MiB)".into(),
        });
    }
    let keep: u32 = src.num("logstokeep", "3")?;
    if keep > 1000 {
        return Err(ConfigError::Invalid {
            key: "logstokeep".into(),
            message: "logstokeep must be between 0 and 1000".into(),
        });
    }
    Ok((size, keep))
}

/// The four parallel wallet lists as one endpoint per wallet; their lengths must agree.
fn wallets(src: &ConfigSources, default_port: u16) -> Result<Vec<WalletEndpoint>, ConfigError> {
    let hosts = hosts_with_port(src.list("wallethosts"), default_port);
    let users = src.list("walletusers");
    let passwords = src.list("walletpasswords");
    let certs = src.list("walletcerts");
    if hosts.is_empty() {
        return Err(ConfigError::Missing { key: "wallethosts" });
    }
    for (key, n) in [
        ("walletusers", users.len()),
        ("walletpasswords", passwords.len()),
        ("walletcerts", certs.len()),
    ] {
        if n != hosts.len() {
            return Err(ConfigError::Invalid {
                key: key.into(),
                message: format!(
                    "wallet configuration mismatch ({key} and wallethosts counts differ: {n} vs {})",
                    hosts.len()
                ),
            });
        }
    }
    Ok(hosts
        .into_iter()
        .zip(users)
        .zip(passwords)
        .zip(certs)
        .map(|(((host, user), password), cert)| WalletEndpoint {
            host,
            user,
            password: Secret::new(password),
            cert,
        })
        .collect())
}

#[cfg(test)]
mod tests;

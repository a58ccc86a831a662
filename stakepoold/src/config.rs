//! `stakepoold.conf` plus command-line flags (hcstakepool-inventory.md §8.2).
//!
//! The file is go-flags INI, layered under the command line with the helper hcpool-web uses
//! too ([`hcpool_core::config::ini`]): a flag given on the command line replaces the file's
//! value. Differences from the original, on purpose:
//! - `hcdhost`/`wallethost` default ports are HC's real ones (hcd 14009/12009/13009, hcwallet
//!   14010/12010/13010); the original used stale Decred ports (9109/19109/19556, …).
//! - `dburl` (a `sqlite://` or `mysql://` URL) may replace `dbhost`/`dbuser`/….
//! - `metricslisten` serves Prometheus metrics (off by default).
//! - `tlscurve` (P-256 by default, `P-521` as the original): a generated gRPC certificate's
//!   curve; grpcio clients cannot verify P-521. `maxusers` (default 10000, as the web app's)
//!   is how many fee addresses are derived from `coldwalletextpub`.
//! - `demo` runs against an in-process simulated wallet and node; nothing else is required.
//! - `poolfees` is required (the original defaulted to 5, which need not be the wallets'
//!   `--poolfees`, and the wallet's value cannot be read over RPC); at start it is also
//!   cross-checked against the wallet's verdicts ([`crate::feecheck`]).
//! - `allowwalletvoting`: without it the daemon refuses a wallet that votes by itself
//!   (`walletinfo.voting`, hcwallet's `--enablevoting`), as dcrstakepool's stakepoold does.
//! - `clientcafile`: gRPC clients must present a certificate pinned or signed by this file
//!   (mutual TLS; hcpool-web's `stakepooldclientcert`). `noclientauth` is the explicit
//!   compatibility mode for the original web app, which presents none. With neither, the
//!   daemon serves only loopback addresses without client authentication and refuses to
//!   start on any other (see [`Config::unauthenticated_listeners`]).

use std::path::{Path, PathBuf};

use clap::Parser;
use hcpool_core::config::debuglevel::{self, DebugLevel, Subsystem};
use hcpool_core::config::ini::{self, Layers};
use hcpool_core::config::{with_default_port, ConfigError};
use hcpool_core::{Network, PoolFeeRate, Secret};
use hcpool_rpc::pinned_tls::CertCurve;

use crate::error::{Error, Result};

/// Command-line flags. Every option may also be set in `stakepoold.conf`.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "stakepoold",
    version = hcpool_process::build::VERSION,
    about = "HC stake-pool voting daemon"
)]
pub struct Args {
    /// Application home (default ~/.stakepoold).
    #[arg(short = 'A', long = "appdata")]
    pub appdata: Option<PathBuf>,
    /// Config file (default `<appdata>`/stakepoold.conf).
    #[arg(short = 'C', long = "configfile")]
    pub configfile: Option<PathBuf>,
    /// Data directory (default `<appdata>`/data; the network name is appended).
    #[arg(short = 'b', long = "datadir")]
    pub datadir: Option<PathBuf>,
    /// Log directory: `<logdir>/<network>/stakepoold.log` besides stderr (default
    /// `<appdata>`/logs; the demo writes no file unless given).
    #[arg(long = "logdir")]
    pub logdir: Option<PathBuf>,
    /// Rotate the log file past this many MiB (default 10).
    #[arg(long = "maxlogsize")]
    pub maxlogsize: Option<String>,
    /// Rotated log files kept (default 3).
    #[arg(long = "logstokeep")]
    pub logstokeep: Option<String>,
    /// Use testnet2.
    #[arg(long = "testnet")]
    pub testnet: bool,
    /// Use simnet.
    #[arg(long = "simnet")]
    pub simnet: bool,
    /// Log level (trace, debug, info, warn, error, critical, off), or SUBSYS=level,… with
    /// STPK, RPCC, DB, GRPC; `show` lists them.
    #[arg(short = 'd', long = "debuglevel")]
    pub debuglevel: Option<String>,
    /// Cold wallet account xpub: the pool fee addresses.
    #[arg(long = "coldwalletextpub")]
    pub coldwalletextpub: Option<String>,
    /// Pool fee percent, the voting wallets' own `--poolfees` (required: no default).
    #[arg(long = "poolfees")]
    pub poolfees: Option<String>,
    /// Start even when the voting wallet votes by itself (hcwallet `--enablevoting`).
    #[arg(long = "allowwalletvoting")]
    pub allowwalletvoting: bool,
    /// Database URL (sqlite://… or mysql://…), instead of dbhost/dbuser/….
    #[arg(long = "dburl", env = "STAKEPOOLD_DBURL", hide_env_values = true)]
    pub dburl: Option<String>,
    /// MySQL host.
    #[arg(long = "dbhost")]
    pub dbhost: Option<String>,
    /// MySQL user (default stakepool).
    #[arg(long = "dbuser")]
    pub dbuser: Option<String>,
    /// MySQL password.
    #[arg(
        long = "dbpassword",
        env = "STAKEPOOLD_DBPASSWORD",
        hide_env_values = true
    )]
    pub dbpassword: Option<String>,
    /// MySQL port (default 3306).
    #[arg(long = "dbport")]
    pub dbport: Option<String>,
    /// MySQL database (default stakepool).
    #[arg(long = "dbname")]
    pub dbname: Option<String>,
    /// hcd RPC host:port (port optional).
    #[arg(long = "hcdhost")]
    pub hcdhost: Option<String>,
    /// hcd RPC user.
    #[arg(long = "hcduser")]
    pub hcduser: Option<String>,
    /// hcd RPC password.
    #[arg(
        long = "hcdpassword",
        env = "STAKEPOOLD_HCDPASSWORD",
        hide_env_values = true
    )]
    pub hcdpassword: Option<String>,
    /// hcd RPC certificate.
    #[arg(long = "hcdcert")]
    pub hcdcert: Option<PathBuf>,
    /// hcwallet RPC host:port (port optional).
    #[arg(long = "wallethost")]
    pub wallethost: Option<String>,
    /// hcwallet RPC user.
    #[arg(long = "walletuser")]
    pub walletuser: Option<String>,
    /// hcwallet RPC password.
    #[arg(
        long = "walletpassword",
        env = "STAKEPOOLD_WALLETPASSWORD",
        hide_env_values = true
    )]
    pub walletpassword: Option<String>,
    /// hcwallet RPC certificate.
    #[arg(long = "walletcert")]
    pub walletcert: Option<PathBuf>,
    /// Do not serve gRPC.
    #[arg(long = "norpclisten")]
    pub norpclisten: bool,
    /// gRPC listen address (repeatable; default localhost at the network port).
    #[arg(long = "rpclisten")]
    pub rpclisten: Vec<String>,
    /// gRPC TLS certificate (default `<appdata>`/rpc.cert; generated with the key if absent).
    #[arg(long = "rpccert")]
    pub rpccert: Option<PathBuf>,
    /// gRPC TLS key (default `<appdata>`/rpc.key).
    #[arg(long = "rpckey")]
    pub rpckey: Option<PathBuf>,
    /// gRPC clients must present a certificate pinned or signed by this PEM file (mutual TLS).
    #[arg(long = "clientcafile")]
    pub clientcafile: Option<PathBuf>,
    /// Serve gRPC without client certificates beyond loopback (the original web app).
    #[arg(long = "noclientauth")]
    pub noclientauth: bool,
    /// Prometheus metrics listen address (default: off).
    #[arg(long = "metricslisten")]
    pub metricslisten: Option<String>,
    /// Run against an in-process simulated wallet and node.
    #[arg(long = "demo")]
    pub demo: bool,
    /// Curve of a generated gRPC certificate: P-256 (default; grpcio clients) or P-521.
    #[arg(long = "tlscurve")]
    pub tlscurve: Option<String>,
    /// Fee addresses derived from coldwalletextpub: the web app's `maxusers` (default 10000).
    #[arg(long = "maxusers")]
    pub maxusers: Option<String>,
}

/// The config-file keys stakepoold knows (go-flags long names).
const KNOWN_KEYS: &[&str] = &[
    "appdata",
    "configfile",
    "datadir",
    "logdir",
    "maxlogsize",
    "logstokeep",
    "testnet",
    "simnet",
    "profile",
    "cpuprofile",
    "memprofile",
    "debuglevel",
    "coldwalletextpub",
    "poolfees",
    "allowwalletvoting",
    "dburl",
    "dbhost",
    "dbuser",
    "dbpassword",
    "dbport",
    "dbname",
    "hcdhost",
    "hcduser",
    "hcdpassword",
    "hcdcert",
    "wallethost",
    "walletuser",
    "walletpassword",
    "walletcert",
    "norpclisten",
    "rpclisten",
    "rpccert",
    "rpckey",
    "clientcafile",
    "noclientauth",
    "metricslisten",
    "demo",
    "tlscurve",
    "maxusers",
];

/// Default ports of one network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultPorts {
    /// hcd JSON-RPC (HC's real port).
    pub hcd: u16,
    /// hcwallet JSON-RPC (HC's real port).
    pub wallet: u16,
    /// stakepoold gRPC.
    pub grpc: u16,
}

/// HC's ports for `network` (hcwallet-rpc.md §1.1).
pub fn default_ports(network: Network) -> DefaultPorts {
    match network {
        Network::Testnet => DefaultPorts {
            hcd: 12009,
            wallet: 12010,
            grpc: 19113,
        },
        Network::Simnet => DefaultPorts {
            hcd: 13009,
            wallet: 13010,
            grpc: 19560,
        },
        _ => DefaultPorts {
            hcd: 14009,
            wallet: 14010,
            grpc: 9113,
        },
    }
}

/// Where the daemon finds its database.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DbConfig {
    /// A `sqlite://` or `mysql://` URL (hcpool addition).
    Url(Secret<String>),
    /// The original's MySQL keys.
    MySql {
        /// `dbhost`.
        host: String,
        /// `dbuser`.
        user: String,
        /// `dbpassword`.
        password: Secret<String>,
        /// `dbport`.
        port: u16,
        /// `dbname`.
        name: String,
    },
}

impl DbConfig {
    /// The database as a URL (`mysql://user:pass@host:port/name` for the MySQL keys, user
    /// and password percent-encoded). Contains the password: never log it.
    pub fn url(&self) -> Secret<String> {
        match self {
            DbConfig::Url(u) => u.clone(),
            DbConfig::MySql {
                host,
                user,
                password,
                port,
                name,
            } => Secret::new(hcpool_db::mysql_url_from_legacy(
                host,
                &port.to_string(),
                name,
                user,
                password.expose(),
            )),
        }
    }
}

impl std::fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbConfig::Url(_) => f.write_str("Url(***)"),
            DbConfig::MySql {
                host, port, name, ..
            } => write!(f, "MySql({host}:{port}/{name})"),
        }
    }
}

/// One JSON-RPC peer (hcd or hcwallet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcPeer {
    /// `host:port`.
    pub host: String,
    /// User.
    pub user: String,
    /// Password.
    pub password: Secret<String>,
    /// Its certificate (PEM).
    pub cert: PathBuf,
}

/// Where the daemon's wallet and node are: simulated in-process (`demo`) or real ones over
/// JSON-RPC, never a mix.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
// One per daemon, built once: boxing the peers would only make matching on them clumsier.
#[allow(clippy::large_enum_variant)]
pub enum Upstream {
    /// `demo`: an in-process simulated hcwallet and hcd with the simulator's keys and pool
    /// fee (a binary built with the `demo` feature only).
    Simulated,
    /// The pool's voting hcwallet and its hcd.
    Rpc {
        /// hcd.
        hcd: RpcPeer,
        /// hcwallet (the voting wallet).
        wallet: RpcPeer,
        /// `coldwalletextpub`: the pool's fee addresses are derived from it.
        cold_wallet_ext_pub: String,
    },
}

impl Upstream {
    /// hcd, when the daemon uses a real one.
    pub fn hcd(&self) -> Option<&RpcPeer> {
        match self {
            Upstream::Rpc { hcd, .. } => Some(hcd),
            Upstream::Simulated => None,
        }
    }

    /// hcwallet, when the daemon uses a real one.
    pub fn wallet(&self) -> Option<&RpcPeer> {
        match self {
            Upstream::Rpc { wallet, .. } => Some(wallet),
            Upstream::Simulated => None,
        }
    }
}

/// The daemon's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Network.
    pub network: Network,
    /// Application home.
    pub appdata: PathBuf,
    /// Data directory, network name appended.
    pub datadir: PathBuf,
    /// Log level / filter (`debuglevel`, checked against [`SUBSYSTEMS`]).
    pub debug_level: String,
    /// `logdir` (`<appdata>`/logs by default; `None` in the demo unless given): the log file
    /// is `<logdir>/<network>/stakepoold.log`.
    pub log_dir: Option<PathBuf>,
    /// `maxlogsize`: rotate past this many MiB.
    pub max_log_size_mib: u64,
    /// `logstokeep`: rotated files kept.
    pub logs_to_keep: u32,
    /// `poolfees` (required outside the demo).
    pub pool_fees: PoolFeeRate,
    /// `allowwalletvoting`: start even when the wallet votes by itself.
    pub allow_wallet_voting: bool,
    /// Database (in demo mode only when `dburl` is given).
    pub db: Option<DbConfig>,
    /// The wallet and node the daemon votes through.
    pub upstream: Upstream,
    /// gRPC listen addresses; empty with `norpclisten`.
    pub rpc_listen: Vec<String>,
    /// gRPC certificate path.
    pub rpc_cert: PathBuf,
    /// gRPC key path.
    pub rpc_key: PathBuf,
    /// `clientcafile`: clients must present a certificate this PEM file pins or signs.
    pub client_ca_file: Option<PathBuf>,
    /// `noclientauth`: serve without client certificates even beyond loopback (the
    /// original web app's compatibility mode).
    pub no_client_auth: bool,
    /// Prometheus endpoint.
    pub metrics_listen: Option<String>,
    /// `tlscurve`: the curve of a generated gRPC certificate (P-256 unless `P-521`).
    pub tls_curve: CertCurve,
    /// `maxusers`: how many fee addresses count as the pool's (the web app's `maxusers`).
    pub max_users: u32,
}

type Settings = Layers;

fn layer_file(settings: &mut Settings, text: &str) -> Result<()> {
    let parsed = ini::parse(text).map_err(|e| Error::Config(e.to_string()))?;
    settings.layer(parsed).map_err(|e| match e {
        ConfigError::UnknownKey { key } => {
            Error::Config(format!("unknown option {key:?} in the config file"))
        }
        other => Error::Config(other.to_string()),
    })
}

fn layer_args(settings: &mut Settings, a: &Args) {
    let mut set = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            settings.replace(k, vec![v]);
        }
    };
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let flag = |b: bool| b.then(|| "1".to_owned());
    set("datadir", path(&a.datadir));
    set("logdir", path(&a.logdir));
    set("maxlogsize", a.maxlogsize.clone());
    set("logstokeep", a.logstokeep.clone());
    set("testnet", flag(a.testnet));
    set("simnet", flag(a.simnet));
    set("debuglevel", a.debuglevel.clone());
    set("coldwalletextpub", a.coldwalletextpub.clone());
    set("poolfees", a.poolfees.clone());
    set("allowwalletvoting", flag(a.allowwalletvoting));
    set("dburl", a.dburl.clone());
    set("dbhost", a.dbhost.clone());
    set("dbuser", a.dbuser.clone());
    set("dbpassword", a.dbpassword.clone());
    set("dbport", a.dbport.clone());
    set("dbname", a.dbname.clone());
    set("hcdhost", a.hcdhost.clone());
    set("hcduser", a.hcduser.clone());
    set("hcdpassword", a.hcdpassword.clone());
    set("hcdcert", path(&a.hcdcert));
    set("wallethost", a.wallethost.clone());
    set("walletuser", a.walletuser.clone());
    set("walletpassword", a.walletpassword.clone());
    set("walletcert", path(&a.walletcert));
    set("norpclisten", flag(a.norpclisten));
    set("rpccert", path(&a.rpccert));
    set("rpckey", path(&a.rpckey));
    set("clientcafile", path(&a.clientcafile));
    set("noclientauth", flag(a.noclientauth));
    set("metricslisten", a.metricslisten.clone());
    set("demo", flag(a.demo));
    set("tlscurve", a.tlscurve.clone());
    set("maxusers", a.maxusers.clone());
    if !a.rpclisten.is_empty() {
        settings.replace("rpclisten", a.rpclisten.clone());
    }
}

fn truthy(v: Option<&str>) -> bool {
    matches!(
        v.map(|s| s.trim().to_ascii_lowercase()).as_deref(),
        Some("1" | "true" | "yes" | "")
    )
}

fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn under(base: &Path, p: &str) -> PathBuf {
    let p = PathBuf::from(p);
    if p.is_absolute() {
        p
    } else {
        base.join(p)
    }
}

impl Config {
    /// Builds the configuration from flags, reading the config file they name (or the
    /// default one, if it exists).
    ///
    /// # Errors
    /// [`Error::Config`] for an unreadable or invalid file, a missing required option or a
    /// bad value.
    pub fn load(args: &Args) -> Result<Config> {
        let appdata = args
            .appdata
            .clone()
            .unwrap_or_else(|| home_dir().join(".stakepoold"));
        let (file, explicit) = match &args.configfile {
            Some(f) => (f.clone(), true),
            None => (appdata.join("stakepoold.conf"), false),
        };
        // As the original: with --simnet and the default path, the file is not read.
        let text = if !explicit && args.simnet {
            None
        } else {
            match std::fs::read_to_string(&file) {
                Ok(t) => Some(t),
                Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(Error::Config(format!(
                        "cannot read {}: {e}",
                        file.display()
                    )))
                }
            }
        };
        Config::from_parts(args, text.as_deref(), appdata)
    }

    /// Builds the configuration from flags and config-file text (no file system access).
    ///
    /// # Errors
    /// [`Error::Config`] as [`Config::load`].
    pub fn from_parts(args: &Args, file: Option<&str>, appdata: PathBuf) -> Result<Config> {
        let mut s = Settings::new(KNOWN_KEYS, &[]);
        if let Some(text) = file {
            layer_file(&mut s, text)?;
        }
        layer_args(&mut s, args);
        let get = |k: &str| s.get(k);
        let demo = truthy(get("demo")) && s.contains_key("demo");
        // The demo keeps its certificate where the user pointed `--datadir`.
        let cert_home = if demo {
            under(&appdata, get("datadir").unwrap_or("data"))
        } else {
            appdata.clone()
        };
        let flag = |k: &str| s.contains_key(k) && truthy(get(k));
        let network = match (flag("testnet"), flag("simnet")) {
            (true, true) => return Err(Error::Config(
                "The testnet and simnet params can't be used together -- choose one of the three"
                    .into(),
            )),
            (true, false) => Network::Testnet,
            (false, true) => Network::Simnet,
            // The demo's simulated chain is a simnet.
            (false, false) if demo => Network::Simnet,
            (false, false) => Network::Mainnet,
        };
        let ports = default_ports(network);
        let require = |k: &str| -> Result<String> {
            match get(k) {
                Some(v) if !v.trim().is_empty() => Ok(v.to_owned()),
                _ => Err(Error::Config(format!("{k} is required"))),
            }
        };
        let datadir = under(&appdata, get("datadir").unwrap_or("data")).join(match network {
            Network::Testnet => "testnet2",
            Network::Simnet => "simnet",
            _ => "mainnet",
        });
        // No default: hcwallet's own `--poolfees` cannot be read over RPC, and a default
        // that differs from it (the original's 5 against the wallets' 7.5) makes the fee
        // check disagree with the wallet's (docs/compat.md). The demo's is the simulator's.
        let pool_fees_text = match get("poolfees") {
            Some(v) if !v.trim().is_empty() => v,
            _ if demo => "5",
            _ => {
                return Err(Error::Config(
                    "poolfees is required: set it to the voting wallets' --poolfees value".into(),
                ))
            }
        };
        let pool_fees = pool_fees_text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|p| PoolFeeRate::from_percent(p).ok())
            .ok_or_else(|| Error::Config(format!("invalid pool fee {pool_fees_text:?}")))?;
        let peer = |prefix: &str, port: u16| -> Result<RpcPeer> {
            Ok(RpcPeer {
                host: with_default_port(&require(&format!("{prefix}host"))?, port),
                user: require(&format!("{prefix}user"))?,
                password: Secret::new(require(&format!("{prefix}password"))?),
                cert: under(&appdata, &require(&format!("{prefix}cert"))?),
            })
        };
        let (upstream, db) = if demo {
            // The demo needs no database; one named with `dburl` is loaded.
            let db = get("dburl")
                .filter(|u| !u.trim().is_empty())
                .map(|u| DbConfig::Url(Secret::new(u.to_owned())));
            (Upstream::Simulated, db)
        } else {
            let cold = require("coldwalletextpub")?;
            let db = match get("dburl") {
                Some(u) if !u.trim().is_empty() => {
                    if !(u.starts_with("sqlite:") || u.starts_with("mysql://")) {
                        return Err(Error::Config(
                            "dburl must start with sqlite: or mysql://".into(),
                        ));
                    }
                    DbConfig::Url(Secret::new(u.to_owned()))
                }
                _ => {
                    let port_text = get("dbport").unwrap_or("3306");
                    DbConfig::MySql {
                        host: require("dbhost")?,
                        user: get("dbuser").unwrap_or("stakepool").to_owned(),
                        password: Secret::new(require("dbpassword")?),
                        port: port_text
                            .trim()
                            .parse()
                            .map_err(|_| Error::Config(format!("invalid dbport {port_text:?}")))?,
                        name: get("dbname").unwrap_or("stakepool").to_owned(),
                    }
                }
            };
            let upstream = Upstream::Rpc {
                hcd: peer("hcd", ports.hcd)?,
                wallet: peer("wallet", ports.wallet)?,
                cold_wallet_ext_pub: cold,
            };
            (upstream, Some(db))
        };
        let rpc_listen = if flag("norpclisten") {
            Vec::new()
        } else {
            match s.all("rpclisten") {
                [] => vec![format!("localhost:{}", ports.grpc)],
                v => v.iter().map(|h| with_default_port(h, ports.grpc)).collect(),
            }
        };
        let client_ca_file = get("clientcafile")
            .filter(|p| !p.trim().is_empty())
            .map(|p| under(&appdata, p));
        let no_client_auth = flag("noclientauth");
        if client_ca_file.is_some() && no_client_auth {
            return Err(Error::Config(
                "clientcafile and noclientauth contradict each other: choose one".into(),
            ));
        }
        let debug_level = get("debuglevel").unwrap_or("info").to_owned();
        debug_directives(&debug_level)?;
        let (max_log_size_mib, logs_to_keep) =
            hcpool_core::config::log_rotation(&s).map_err(|e| Error::Config(e.to_string()))?;
        let log_dir = match get("logdir").filter(|d| !d.trim().is_empty()) {
            Some(d) => {
                let p = hcpool_process::log::expand_home(d.trim());
                Some(if p.is_absolute() { p } else { appdata.join(p) })
            }
            None if demo => None,
            None => Some(appdata.join("logs")),
        };
        let tls_curve = match get("tlscurve").filter(|v| !v.trim().is_empty()) {
            Some(v) => v
                .parse()
                .map_err(|e| Error::Config(format!("tlscurve: {e}")))?,
            None => CertCurve::default(),
        };
        let max_users_text = get("maxusers").unwrap_or("10000");
        let max_users = max_users_text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1 << 31).contains(n))
            .ok_or_else(|| {
                Error::Config(format!(
                    "invalid maxusers {:?}: 1 to 2147483648",
                    hcpool_core::util::truncate(max_users_text, 40)
                ))
            })?;
        let config = Config {
            tls_curve,
            max_users,
            network,
            debug_level,
            log_dir,
            max_log_size_mib,
            logs_to_keep,
            datadir,
            pool_fees,
            allow_wallet_voting: flag("allowwalletvoting"),
            db,
            upstream,
            rpc_listen,
            rpc_cert: under(&cert_home, get("rpccert").unwrap_or("rpc.cert")),
            rpc_key: under(&cert_home, get("rpckey").unwrap_or("rpc.key")),
            client_ca_file,
            no_client_auth,
            metrics_listen: get("metricslisten")
                .filter(|m| !m.trim().is_empty())
                .map(str::to_owned),
            appdata,
        };
        let open = config.unauthenticated_listeners();
        if !open.is_empty() && !config.no_client_auth {
            return Err(Error::Config(format!(
                "gRPC would listen on {} beyond loopback without client authentication: set \
                 clientcafile (the web app's client certificate) or, for the original web \
                 app, noclientauth=1",
                open.join(", ")
            )));
        }
        Ok(config)
    }

    /// The gRPC listen addresses reachable beyond loopback while clients need no
    /// certificate (no `clientcafile`): anyone who reaches them may replace every user's
    /// voting preferences. Empty with `clientcafile`. Host names other than `localhost`
    /// count as beyond loopback.
    pub fn unauthenticated_listeners(&self) -> Vec<String> {
        if self.client_ca_file.is_some() {
            return Vec::new();
        }
        self.rpc_listen
            .iter()
            .filter(|a| !is_loopback_listen(a))
            .cloned()
            .collect()
    }
}

/// The original stakepoold's log subsystems and the `tracing` targets each stands for.
pub const SUBSYSTEMS: &[Subsystem] = &[
    // The daemon.
    Subsystem {
        name: "STPK",
        targets: &["stakepoold", "hcpool_core"],
    },
    // The hcd and hcwallet JSON-RPC clients.
    Subsystem {
        name: "RPCC",
        targets: &["hcpool_rpc"],
    },
    // The database.
    Subsystem {
        name: "DB",
        targets: &["hcpool_db", "sqlx"],
    },
    // The gRPC server.
    Subsystem {
        name: "GRPC",
        targets: &["stakepoold::grpc", "stakepoold::in_process", "tonic"],
    },
];

/// `debuglevel` read against [`SUBSYSTEMS`] (the original's syntax; see
/// [`hcpool_core::config::debuglevel`]).
///
/// # Errors
/// [`Error::Config`]: an unknown level or subsystem (the message lists the subsystems).
pub fn debug_directives(value: &str) -> Result<DebugLevel> {
    debuglevel::parse(value, SUBSYSTEMS).map_err(|e| Error::Config(e.to_string()))
}

/// Whether the listen address `host:port` binds only loopback (`localhost`, 127.0.0.0/8,
/// `::1`); an empty host (every interface) is not.
pub fn is_loopback_listen(addr: &str) -> bool {
    if let Ok(sa) = addr.parse::<std::net::SocketAddr>() {
        return sa.ip().is_loopback();
    }
    let host = match addr.rsplit_once(':') {
        Some((h, _)) => h,
        None => addr,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    host.eq_ignore_ascii_case("localhost")
}

#[cfg(test)]
mod tests;

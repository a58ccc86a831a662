//! The web app's configuration: hcstakepool.conf keys from the config file, the environment
//! (`HCPOOL_<KEY>`) and the command line (`--<key>`), layered file < env < flags through
//! [`hcpool_core::config::ini::Layers`], plus hcpool-web's own flags (`--demo`).
//!
//! One hcstakepool.conf holds two owners' keys: the pool's ([`PoolConfig`], the core's:
//! network, keys, fee, database, wallets, voting nodes, limits) and the web app's
//! ([`WebConfig`], here: listen address, token and cookie secrets, mail, captcha,
//! maintenance, admin lists, templates). [`Config`] is both, parsed from one set of sources.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ArgMatches, Command};
use hcpool_core::config::debuglevel::{DebugLevel, Subsystem};
use hcpool_core::config::{known_keys, parse_ini, ConfigError, ConfigSources, PoolConfig, Setting};
use hcpool_core::{Network, Secret, UserId};

use crate::error::WebError;

/// Layered sources over every key of hcstakepool.conf (the pool's and the web app's).
pub fn sources() -> ConfigSources {
    hcpool_core::config::sources()
}

/// The web app's part of hcstakepool.conf, typed, with hcstakepool's defaults. Its `Debug`
/// shows no secret (they are [`Secret`]s).
#[derive(Debug, Clone, PartialEq)]
pub struct WebConfig {
    /// `listen` (default `:8000`).
    pub listen: String,
    /// `apisecret` (JWT key).
    pub api_secret: Secret<String>,
    /// `baseurl` (default `http://127.0.0.1:8000`).
    pub base_url: String,
    /// `cookiesecret` (required, as in hcstakepool; hcpool's sessions live in the store).
    pub cookie_secret: Secret<String>,
    /// `cookiesecure`.
    pub cookie_secure: bool,
    /// `poolemail`.
    pub pool_email: String,
    /// `poollink`.
    pub pool_link: String,
    /// `realipheader`.
    pub real_ip_header: Option<String>,
    /// `smtpfrom`.
    pub smtp_from: String,
    /// `smtphost` (empty: mail goes to the log, with `nosmtp`).
    pub smtp_host: String,
    /// `smtpusername`.
    pub smtp_username: String,
    /// `smtppassword`.
    pub smtp_password: Secret<String>,
    /// `smtpcert` (hcpool addition, dcrstakepool's name): a PEM file of the certificate
    /// authority the SMTP server's certificate must chain to, in place of the public roots
    /// (a private mail relay). Empty: the public web roots.
    pub smtp_cert: String,
    /// `smtptls` (hcpool): `implicit` or `starttls`; empty: by the port
    /// ([`crate::mail::SmtpTls`]).
    pub smtp_tls: String,
    /// `adminips`.
    pub admin_ips: Vec<IpAddr>,
    /// `adminuserids`: the option may be repeated and each value may be a comma list.
    /// (hcstakepool did not split `1,2,3`, so such a value matched nobody; hcpool does what
    /// the operator wrote.)
    pub admin_user_ids: Vec<UserId>,
    /// `publicpath`.
    pub public_path: String,
    /// `templatepath`.
    pub template_path: String,
    /// `recaptchasitekey` (kept for compatibility; hcpool's captcha is self-hosted).
    pub recaptcha_site_key: String,
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
    /// `maxtiplag` (hcpool; default 6): a wallet whose tip trails its hcd's by more blocks
    /// is lagging (`/status`, the metrics); registration is refused while every wallet lags.
    pub max_tip_lag: u32,
    /// `maxtipage` (hcpool; minutes; default 30, on simnet 0): a wallet whose tip block is
    /// older is lagging; 0 turns the age check off.
    pub max_tip_age_mins: u32,
    /// `metricsallowips` (hcpool): client IPs allowed to read `/metrics` besides `adminips`.
    pub metrics_allow_ips: Vec<IpAddr>,
    /// `voterecordkey` (hcpool; default `voterecord.key`, relative paths from the
    /// configuration's directory): the secp256k1 key that signs vote records, generated
    /// (mode 0600) on first start when missing; instances of one pool share the file.
    /// Empty: no vote records.
    pub vote_record_key: String,
}

impl WebConfig {
    /// Builds the web app's keys from layered sources, checking them.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad key.
    pub fn from_sources(src: &ConfigSources) -> Result<WebConfig, ConfigError> {
        let session_max_hours: u32 = src.num("sessionmaxhours", "720")?;
        if session_max_hours == 0 || session_max_hours > 24 * 366 {
            return Err(ConfigError::Invalid {
                key: "sessionmaxhours".into(),
                message: "sessionmaxhours must be between 1 and 8784 (a year)".into(),
            });
        }
        let ips = |key: &'static str| {
            src.list(key)
                .iter()
                .map(|a| {
                    crate::limit::parse_ip(a).ok_or_else(|| ConfigError::Invalid {
                        key: key.into(),
                        message: format!(
                            "{:?} is not an IP address",
                            hcpool_core::util::truncate(a, hcpool_core::util::ECHO_MAX)
                        ),
                    })
                })
                .collect::<Result<Vec<IpAddr>, _>>()
        };
        let admin_ips = ips("adminips")?;
        let default_age = if src.flag("simnet")? { "0" } else { "30" };
        Ok(WebConfig {
            listen: src.string("listen", ":8000"),
            api_secret: src
                .required("apisecret")
                .map(Secret::new)
                .map_err(|_| ConfigError::Missing { key: "APIsecret" })?,
            base_url: src.string("baseurl", "http://127.0.0.1:8000"),
            cookie_secret: Secret::new(src.required("cookiesecret")?),
            cookie_secure: src.flag("cookiesecure")?,
            pool_email: src.string("poolemail", "dev@h.cash"),
            pool_link: src.string("poollink", "https://t.me/hcdevelopers"),
            real_ip_header: src
                .get("realipheader")
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            smtp_from: src.string("smtpfrom", ""),
            smtp_host: src.string("smtphost", ""),
            smtp_username: src.string("smtpusername", ""),
            smtp_password: Secret::new(src.string("smtppassword", "")),
            smtp_cert: src.string("smtpcert", ""),
            smtp_tls: src.string("smtptls", ""),
            admin_ips,
            admin_user_ids: src
                .all("adminuserids")
                .iter()
                .flat_map(|v| hcpool_core::config::ini::split_list(Some(v)))
                .map(|id| hcpool_core::config::ini::parse_num("adminuserids", &id).map(UserId))
                .collect::<Result<_, _>>()?,
            public_path: src.string("publicpath", "public"),
            template_path: src.string("templatepath", "views"),
            recaptcha_site_key: src.string("recaptchasitekey", ""),
            api_rate_limit: src.num("apiratelimit", "600")?,
            maintenance: src.flag("maintenance")?,
            maintenance_msg: src.string(
                "maintenancemsg",
                "The stake pool is down for maintenance. Tickets keep voting; please come back soon.",
            ),
            captcha: src.flag("captcha")?,
            no_smtp: src.flag("nosmtp")?,
            session_max_hours,
            legacy_passwords: src.flag("legacypasswords")?,
            max_tip_lag: src.num("maxtiplag", "6")?,
            max_tip_age_mins: src.num("maxtipage", default_age)?,
            metrics_allow_ips: ips("metricsallowips")?,
            vote_record_key: src.string("voterecordkey", "voterecord.key"),
        })
    }
}

/// A whole hcstakepool.conf: the pool's part and the web app's.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The pool's keys (the core's).
    pub pool: PoolConfig,
    /// The web app's keys.
    pub web: WebConfig,
}

impl Config {
    /// Both parts from one set of sources (the pool's keys are checked first).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad key.
    pub fn from_sources(src: &ConfigSources) -> Result<Config, ConfigError> {
        let pool = PoolConfig::from_sources(src)?;
        debug_level(&pool.debug_level)?;
        Ok(Config {
            pool,
            web: WebConfig::from_sources(src)?,
        })
    }

    /// Parses hcstakepool.conf text alone (no environment or flags).
    ///
    /// # Errors
    /// As [`Config::from_sources`], plus syntax errors and unknown keys.
    pub fn from_ini(text: &str) -> Result<Config, ConfigError> {
        let mut src = sources();
        src.layer(parse_ini(text)?)?;
        Config::from_sources(&src)
    }
}

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
        .version(hcpool_process::build::VERSION)
        .arg(
            Arg::new("demo")
                .long("demo")
                .action(ArgAction::SetTrue)
                .help("run a self-contained demo pool (SQLite, simulated wallets)"),
        );
    for key in known_keys() {
        let mut arg = Arg::new(key).long(key).value_name("VALUE");
        if BOOL_KEYS.contains(&key) {
            arg = arg.num_args(0..=1).default_missing_value("1");
        } else {
            arg = arg.action(ArgAction::Append);
        }
        if key == "configfile" {
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
    for key in known_keys() {
        if let Some(values) = m.get_many::<String>(key) {
            for v in values {
                flags.push(Setting {
                    key: key.to_owned(),
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
            (known_keys().any(|k| k == key) && key != "configfile")
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
    let mut src = sources();
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

/// The settings the web layer itself uses at run time, from [`WebConfig`] and the pool
/// settings pages show (the rest of [`Config`] builds the backends).
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
    pub admin_ips: Vec<IpAddr>,
    /// `adminuserids`.
    pub admin_user_ids: Vec<UserId>,
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
    /// `dbminclustersize`: `/status` says the database is degraded while a Galera cluster
    /// has fewer nodes (0: never).
    pub db_min_cluster_size: u32,
    /// `maxtiplag` and `maxtipage`: when a wallet counts as lagging.
    pub lag_limits: hcpool_core::backend::LagLimits,
    /// `metricsallowips`: who may read `/metrics` besides `adminips`.
    pub metrics_allow_ips: Vec<IpAddr>,
}

impl WebSettings {
    /// The web app's run-time settings of a configuration.
    pub fn from_config(c: &Config) -> Self {
        let (pool, web) = (&c.pool, &c.web);
        WebSettings {
            network: pool.network,
            base_url: web.base_url.trim_end_matches('/').to_owned(),
            api_secret: web.api_secret.clone(),
            close_pool: pool.close_pool,
            close_pool_msg: pool.close_pool_msg.clone(),
            cookie_secure: web.cookie_secure,
            pool_email: web.pool_email.clone(),
            pool_fees: pool.pool_fees.percent(),
            pool_link: web.pool_link.clone(),
            real_ip_header: web.real_ip_header.clone(),
            smtp_configured: !web.smtp_host.trim().is_empty(),
            admin_ips: web.admin_ips.clone(),
            admin_user_ids: web.admin_user_ids.clone(),
            max_voted_age: pool.max_voted_age,
            api_rate_limit: web.api_rate_limit,
            maintenance: web.maintenance,
            maintenance_msg: web.maintenance_msg.clone(),
            captcha: web.captcha,
            session_max_secs: i64::from(web.session_max_hours) * 3600,
            legacy_passwords: web.legacy_passwords,
            template_path: Some(std::path::PathBuf::from(&web.template_path))
                .filter(|p| !p.as_os_str().is_empty()),
            db_min_cluster_size: pool.db.min_cluster_size,
            lag_limits: hcpool_core::backend::LagLimits {
                max_blocks: web.max_tip_lag,
                max_age_secs: Some(u64::from(web.max_tip_age_mins) * 60).filter(|s| *s > 0),
            },
            metrics_allow_ips: web.metrics_allow_ips.clone(),
        }
    }
}

/// hcstakepool's log subsystems and the `tracing` targets each stands for in hcpool-web.
pub const SUBSYSTEMS: &[Subsystem] = &[
    // The server: start-up, wiring, serving.
    Subsystem {
        name: "HCS",
        targets: &["hcpool_web"],
    },
    // The controllers: pages, API, the pool's services and their wallets.
    Subsystem {
        name: "CNTL",
        targets: &[
            "hcpool_web::pages",
            "hcpool_web::api",
            "hcpool_web::outbox",
            "hcpool_core",
            "hcpool_rpc",
        ],
    },
    // The stakepoold clients.
    Subsystem {
        name: "GRPC",
        targets: &["hcpool_web::nodes", "hcpool_rpc::stakepoold"],
    },
    // The models: the database.
    Subsystem {
        name: "MODL",
        targets: &["hcpool_db", "sqlx"],
    },
    // The system: sessions, templates, request handling.
    Subsystem {
        name: "SYTM",
        targets: &[
            "hcpool_web::session",
            "hcpool_web::templates",
            "hcpool_web::reqlog",
            "hcpool_web::limit",
            "hcpool_web::maintenance",
            "rocket",
        ],
    },
];

/// `debuglevel` read against [`SUBSYSTEMS`] (hcstakepool's syntax; see
/// [`hcpool_core::config::debuglevel`]).
///
/// # Errors
/// [`ConfigError::Invalid`] naming `debuglevel`: an unknown level or subsystem.
pub fn debug_level(value: &str) -> Result<DebugLevel, ConfigError> {
    hcpool_core::config::debuglevel::parse(value, SUBSYSTEMS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debuglevel_is_checked_with_the_config() {
        let base = "coldwalletextpub=x\nvotingwalletextpub=y\ndbpassword=p\n\
                    wallethosts=a,b\nwalletusers=u,u\nwalletpasswords=p,p\nwalletcerts=c,c\n\
                    apisecret=a\ncookiesecret=c\n";
        let e = Config::from_ini(&format!("{base}debuglevel=NOPE=debug\n")).unwrap_err();
        assert!(
            e.to_string().contains(
                "subsystem [NOPE] is invalid -- supported subsystems [CNTL GRPC HCS MODL SYTM]"
            ),
            "{e}"
        );
        let c = Config::from_ini(&format!("{base}debuglevel=MODL=trace\n")).unwrap();
        assert_eq!(
            debug_level(&c.pool.debug_level).unwrap(),
            DebugLevel::Directives("info,hcpool_db=trace,sqlx=trace".into())
        );
        assert_eq!(debug_level("show").unwrap(), DebugLevel::Show);
    }

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

    /// A whole hcstakepool.conf: the pool's keys and the web app's.
    const SAMPLE: &str = r#"
[Application Options]
; comment
apisecret=secret-jwt
cookiesecret=cookie-secret
dbpassword=pw
coldwalletextpub=tpubCold
votingwalletextpub=tpubVoting
testnet=1
wallethosts=127.0.0.1,10.0.0.2:12345
walletusers=u1,u2
walletpasswords=p1,p2
walletcerts=a.cert,b.cert
adminips=127.0.0.1
adminuserids=1,2
adminuserids=7
poolfees=2.5
"#;

    #[test]
    fn sample_parses_with_defaults() {
        let c = Config::from_ini(SAMPLE).unwrap();
        assert_eq!(c.pool.network, Network::Testnet);
        assert_eq!(c.pool.wallets.len(), 2);
        assert_eq!(c.web.listen, ":8000");
        assert_eq!(c.web.base_url, "http://127.0.0.1:8000");
        assert_eq!(c.pool.pool_fees.percent(), 2.5);
        assert_eq!(c.web.admin_user_ids, vec![UserId(1), UserId(2), UserId(7)]);
        assert_eq!(c.web.admin_ips, vec![IpAddr::from([127, 0, 0, 1])]);
        assert!(!c.web.cookie_secure);
        assert_eq!(c.web.session_max_hours, 720);
    }

    #[test]
    fn no_secret_reaches_debug_output() {
        let text = format!(
            "{SAMPLE}\nsmtppassword=smtp-secret\ndburl=mysql://u:db-secret@h/x\nsmtphost=mail\n"
        );
        let c = Config::from_ini(&text).unwrap();
        let settings = WebSettings::from_config(&c);
        for d in [format!("{c:?}"), format!("{c:#?}"), format!("{settings:?}")] {
            for secret in [
                "secret-jwt",
                "cookie-secret",
                "smtp-secret",
                "db-secret",
                "\"pw\"",
                "p1",
                "p2",
            ] {
                assert!(!d.contains(secret), "{secret} in {d}");
            }
        }
        assert_eq!(c.web.smtp_password.expose(), "smtp-secret");
        assert_eq!(c.web.cookie_secret.expose(), "cookie-secret");
    }

    #[test]
    fn missing_and_bad_web_keys_are_named() {
        let no_api = SAMPLE.replace("apisecret=secret-jwt", "");
        assert_eq!(
            Config::from_ini(&no_api).unwrap_err().to_string(),
            "APIsecret is not set in config"
        );
        let no_cookie = SAMPLE.replace("cookiesecret=cookie-secret", "");
        assert_eq!(
            Config::from_ini(&no_cookie).unwrap_err().to_string(),
            "cookiesecret is not set in config"
        );
        let unknown = format!("{SAMPLE}\nbogus=1\n");
        assert!(matches!(
            Config::from_ini(&unknown),
            Err(ConfigError::UnknownKey { .. })
        ));
        let hours = format!("{SAMPLE}\nsessionmaxhours=0\n");
        assert_eq!(
            Config::from_ini(&hours).unwrap_err().to_string(),
            "sessionmaxhours: sessionmaxhours must be between 1 and 8784 (a year)"
        );
        let ids = format!("{SAMPLE}\nadminuserids=x\n");
        assert!(Config::from_ini(&ids)
            .unwrap_err()
            .to_string()
            .starts_with("adminuserids"));
        let ips = SAMPLE.replace("adminips=127.0.0.1", "adminips=127.0.0.1,pool.example");
        assert_eq!(
            Config::from_ini(&ips).unwrap_err().to_string(),
            "adminips: \"pool.example\" is not an IP address"
        );
    }

    #[test]
    fn admin_ips_accept_every_spelling_of_an_address() {
        let ips = SAMPLE.replace(
            "adminips=127.0.0.1",
            "adminips=0:0:0:0:0:0:0:1, [::2],10.0.0.1:80",
        );
        let c = Config::from_ini(&ips).unwrap();
        let want: Vec<IpAddr> = ["::1", "::2", "10.0.0.1"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        assert_eq!(c.web.admin_ips, want);
    }

    #[test]
    fn hcpool_operations_keys() {
        let c = Config::from_ini(SAMPLE).unwrap().web;
        assert_eq!(c.api_rate_limit, 600);
        assert!(!c.maintenance && !c.captcha);
        assert!(c.maintenance_msg.contains("maintenance"));
        let on = format!(
            "{SAMPLE}\napiratelimit=0\nmaintenance=1\nmaintenancemsg=back at 5\ncaptcha=yes\n"
        );
        let c = Config::from_ini(&on).unwrap().web;
        assert_eq!(c.api_rate_limit, 0);
        assert!(c.maintenance && c.captcha);
        assert_eq!(c.maintenance_msg, "back at 5");
        let bad = format!("{SAMPLE}\napiratelimit=lots\n");
        let e = Config::from_ini(&bad).unwrap_err().to_string();
        assert!(e.contains("apiratelimit"), "{e}");
        let bad = format!("{SAMPLE}\ncaptcha=maybe\n");
        let e = Config::from_ini(&bad).unwrap_err().to_string();
        assert!(e.contains("captcha"), "{e}");
    }

    /// The operator's sample at the repository root.
    const SHIPPED_SAMPLE: &str = include_str!("../../sample-hcstakepool.conf");

    #[test]
    fn shipped_sample_loads_and_documents_every_key() {
        let c = Config::from_ini(SHIPPED_SAMPLE).unwrap();
        assert_eq!(c.pool.network, Network::Mainnet);
        assert_eq!(c.pool.wallets.len(), 2);
        assert!((c.pool.pool_fees.percent() - 7.5).abs() < 1e-9);
        assert!(
            c.web.smtp_host.is_empty(),
            "mail goes to the log until smtphost is set"
        );
        for key in known_keys() {
            assert!(
                SHIPPED_SAMPLE.contains(&format!("{key}=")),
                "sample-hcstakepool.conf does not document {key}"
            );
        }
    }

    #[test]
    fn smtpcert_is_read() {
        let c = Config::from_ini(&format!("{SAMPLE}\nsmtpcert=relay-ca.pem\n")).unwrap();
        assert_eq!(c.web.smtp_cert, "relay-ca.pem");
        assert_eq!(Config::from_ini(SAMPLE).unwrap().web.smtp_cert, "");
    }
}

//! # hcpool-web
//!
//! hcpool's web app and JSON API on Rocket: a thin layer over
//! [`hcpool_core::service::PoolService`]. Pages are handlebars templates embedded in the
//! binary; the API answers byte-compatibly with hcstakepool's v1/v2.
//!
//! Build an [`AppState`] from the pool's parts and hand it to [`rocket()`], or let
//! [`wiring::build`] connect everything a `hcstakepool.conf` names and [`serve`] it.
//!
//! ## Main types
//!
//! [`AppState`] (services, templates, settings), [`rocket()`] and [`figment`] (the Rocket
//! app and its limits), [`serve`], [`wiring`] (configuration to running pool, and the demo),
//! [`config`] (the web app's keys; flags and `HCPOOL_*` environment over the config file),
//! [`WebError`] (the one table from errors to status codes and user messages),
//! [`mail::SmtpMailer`],
//! [`cache::ChainCache`] (per-block caches of wallet answers), [`reqlog::RequestLog`] (one
//! `tracing` line per request, no query strings or headers), [`tasks::Background`] (the
//! app's background tasks, stopped with the server).
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `demo` | yes | `--demo` ([`wiring::run_demo`]): a self-contained pool on simulated wallets (`hcpool-simnet`) with in-process stakepoold daemons ([`demo`]'s `LocalStakepoold`) |
//!
//! A production build leaves the demo, the simulator and the daemon out:
//! `cargo build --release -p hcpool-web --no-default-features` (its `cargo tree` has neither
//! stakepoold nor hcpool-simnet; `cargo xtask tidy` checks it). That binary answers `--demo`
//! with [`demo::DEMO_MISSING`]. hcpool-db comes with SQLite and MySQL either way.
//!
//! ## Example
//!
//! ```
//! let inv = hcpool_web::config::parse_args(["hcpool-web", "--demo", "--listen", "127.0.0.1:8080"])
//!     .expect("valid flags");
//! assert!(inv.demo);
//! assert_eq!(inv.flags[0].key, "listen");
//! assert!(hcpool_web::config::parse_args(["hcpool-web", "--no-such-key"]).is_err());
//! ```
//!
//! Serving the demo pool (`no_run`: it listens on a socket until stopped):
//!
//! ```no_run
//! # async fn demo() -> Result<(), hcpool_web::WebError> {
//! let dir = std::path::Path::new("hcpool-demo");
//! hcpool_web::wiring::run_demo(dir, "127.0.0.1:8000", std::time::Duration::from_secs(10)).await
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod captcha;
pub mod chart;
pub mod config;
pub mod custom;
pub mod demo;
pub mod erase;
pub mod error;
pub mod exit;
pub mod headers;
pub mod health;
pub mod history;
pub mod jwt;
pub mod lang;
pub mod limit;
pub mod listen;
pub mod mail;
pub mod maintenance;
pub mod metrics;
pub mod nodes;
pub mod notify;
pub mod outbox;
pub mod pages;
pub mod purge;
pub mod reqlog;
pub mod session;
pub mod spawned;
pub mod startup;
pub mod state;
pub mod tasks;
pub mod templates;
pub mod voterecords;
pub mod wiring;

pub use error::WebError;
pub use state::AppState;

use rocket::data::{Limits, ToByteUnit};
use rocket::figment::Figment;
use rocket::{Build, Rocket};

/// Rocket's configuration with hcpool's request limits (small forms; no uploads).
pub fn figment(address: std::net::IpAddr, port: u16) -> Figment {
    let limits = Limits::default()
        .limit("form", 32.kibibytes())
        .limit("data-form", 32.kibibytes())
        .limit("json", 64.kibibytes())
        .limit("string", 64.kibibytes())
        .limit("bytes", 64.kibibytes());
    rocket::Config::figment()
        .merge(("address", address))
        .merge(("port", port))
        .merge(("limits", limits))
        .merge(("ident", "hcpool"))
        // The client IP is ours to decide (`limit::client_ip`): never trust X-Real-IP.
        .merge(("ip_header", false))
        // Our own logging goes through tracing.
        .merge(("log_level", rocket::config::LogLevel::Off))
        .merge(("cli_colors", false))
}

/// The app: routes, catchers and the security-header fairing, over `state`.
pub fn rocket(state: AppState, figment: Figment) -> Rocket<Build> {
    rocket::custom(figment)
        .manage(state)
        .attach(reqlog::RequestLog)
        .attach(metrics::RequestMetrics)
        .attach(headers::SecurityHeaders)
        .attach(lang::LangHeaders)
        .attach(maintenance::Maintenance)
        .attach(tasks::Background::on_shutdown())
        .mount("/", routes())
        .register("/api", api::catchers())
        .register("/", pages::catchers())
}

/// Every route the app mounts (all at `/`): the maintenance answers, the API and the
/// pages. Tests enumerate them (the bad-input corpus needs an entry for each).
pub fn routes() -> Vec<rocket::Route> {
    let mut r = maintenance::routes();
    r.extend(api::routes());
    r.extend(api::health::routes());
    r.extend(pages::routes());
    r.extend(lang::routes());
    r.extend(metrics::routes());
    r
}

/// Parses hcstakepool's `listen` value (`:8000`, `127.0.0.1:8000`, `[::1]:8000`) into an
/// address and port; an empty host means all interfaces. Unix socket paths are
/// [`listen::Listen`]'s.
///
/// # Errors
/// [`WebError::Config`] naming `listen`.
pub fn parse_listen(listen: &str) -> Result<(std::net::IpAddr, u16), WebError> {
    let bad = || WebError::Config(format!("listen: {listen:?} is not host:port"));
    let (host, port) = listen.trim().rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = if host.is_empty() {
        std::net::IpAddr::from([0, 0, 0, 0])
    } else if host == "localhost" {
        std::net::IpAddr::from([127, 0, 0, 1])
    } else {
        host.parse().map_err(|_| bad())?
    };
    Ok((ip, port))
}

/// Serves the app on `listen` until shutdown (Ctrl-C / SIGTERM, Rocket's defaults);
/// SIGUSR1 reloads the templates. Once the port is bound, the voting nodes get the pool's
/// configuration and stale ones are retried ([`nodes::push_on_liftoff`]); an instance that
/// cannot bind (another one holds the port) pushes nothing. Expired sessions, captcha
/// challenges and tokens are purged every [`purge::PURGE_INTERVAL`] while it serves, and the
/// mail outbox is sent ([`outbox::on_liftoff`]), the history sampled and vote notifications
/// recorded ([`notify::on_liftoff`]). The background tasks stop with the server
/// ([`tasks`]).
///
/// # Errors
/// A bad `listen` value, or Rocket's launch error (as [`WebError::Startup`]: binding is exit
/// code 5, a later failure 6).
pub async fn serve(state: AppState, listen: &str) -> Result<(), WebError> {
    serve_with(state, listen, custom::PublicDir::default()).await
}

/// [`serve`] with the operator's static files ([`custom::mount`]); `listen` may be a Unix
/// socket path ([`listen::Listen`]).
///
/// # Errors
/// As [`serve`].
pub async fn serve_with(
    state: AppState,
    listen: &str,
    public: custom::PublicDir,
) -> Result<(), WebError> {
    use exit::Stage;
    let target = listen::Listen::parse(listen)?;
    // A socket path is bound before anything starts; Rocket then listens on loopback.
    let (ip, port, bridge) = match &target {
        listen::Listen::Tcp(ip, port) => (*ip, *port, None),
        listen::Listen::Unix(path) => {
            let l = listen::bind_unix(path)?;
            let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
            (loopback, 0, Some(listen::UnixBridge::new(l, path.clone())))
        }
    };
    tracing::info!(%ip, port, "hcpool-web starting");
    #[cfg(unix)]
    state.background.adopt(
        "template reload",
        templates::reload_on_sigusr1(state.templates())?,
    );
    let push = nodes::push_on_liftoff(state.pool.clone());
    let _purge = purge::spawn(state.pool.clone(), purge::PURGE_INTERVAL);
    let _sweep = erase::spawn(state.pool.clone(), erase::SWEEP_INTERVAL);
    let mut app = custom::mount(rocket(state, figment(ip, port)), &public)
        .attach(push)
        .attach(outbox::on_liftoff())
        .attach(history::on_liftoff())
        .attach(notify::on_liftoff());
    if let Some(bridge) = bridge {
        app = app.attach(bridge);
    }
    app.launch().await.map(|_| ()).map_err(|e| {
        let stage = match e.kind() {
            rocket::error::ErrorKind::Bind(_) => Stage::Bind,
            _ => Stage::Serve,
        };
        WebError::startup(stage, "launch", e)
    })
}

#[cfg(test)]
mod tests {
    use super::parse_listen;

    #[test]
    fn listen_forms() {
        assert_eq!(parse_listen(":8000").unwrap(), ([0, 0, 0, 0].into(), 8000));
        assert_eq!(
            parse_listen("127.0.0.1:9").unwrap(),
            ([127, 0, 0, 1].into(), 9)
        );
        assert_eq!(
            parse_listen("[::1]:80").unwrap(),
            ("::1".parse::<std::net::IpAddr>().unwrap(), 80)
        );
        assert!(parse_listen("8000").is_err());
        assert!(parse_listen("host:99999").is_err());
    }
}

//! # hcpool-web
//!
//! hcpool's web app and JSON API on Rocket: a thin layer over
//! [`hcpool_core::service::PoolService`]. Pages are handlebars templates embedded in the
//! binary; the API answers byte-compatibly with hcstakepool's v1/v2.
//!
//! Build an [`AppState`] from the pool's parts and hand it to [`rocket`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod headers;
pub mod jwt;
pub mod limit;
pub mod mail;
pub mod pages;
pub mod session;
pub mod state;

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
        // Our own logging goes through tracing.
        .merge(("log_level", rocket::config::LogLevel::Off))
        .merge(("cli_colors", false))
}

/// The app: routes, catchers and the security-header fairing, over `state`.
pub fn rocket(state: AppState, figment: Figment) -> Rocket<Build> {
    rocket::custom(figment)
        .manage(state)
        .attach(headers::SecurityHeaders)
        .mount("/", api::routes())
        .mount("/", pages::routes())
        .register("/api", api::catchers())
        .register("/", pages::catchers())
}

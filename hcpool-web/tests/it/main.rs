//! hcpool-web's integration tests: Rocket's local client over the in-memory store, an
//! honest fake wallet and a recording mailer.

mod admin;
mod admintickets;
mod api;
mod common;
mod nodes;
mod ops;
mod outbox;
mod pages;
mod reset;
mod security;
mod settings;
mod smtp;

//! hcpool-web's integration tests: Rocket's local client over the in-memory store, an
//! honest fake wallet and a recording mailer; and, over real sockets against the demo pool
//! (simulated wallets and hcd, in-process stakepoold daemons), the bad-input corpus and
//! the fault tests (`live`, `corpus`, `faults`).

mod admin;
mod admintickets;
mod api;
mod backup;
mod beyond;
mod charts;
mod common;
mod corpus;
mod erase;
mod faults;
mod i18n;
mod legacy;
mod live;
mod nodes;
mod notifications;
mod ops;
mod outbox;
mod pages;
mod reset;
mod security;
mod settings;
mod smtp;
mod voterecords;
mod wallets;

//! `cargo xtask <task>` (the alias is in `.cargo/config.toml`). Tasks:
//! - `tidy`: the structural checks of [`xtask::tidy`]; exits non-zero naming each
//!   violation.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        Some("tidy") => match xtask::tidy::run() {
            Ok(violations) if violations.is_empty() => {
                println!("tidy: ok");
                ExitCode::SUCCESS
            }
            Ok(violations) => {
                for v in &violations {
                    eprintln!("tidy: {v}");
                }
                eprintln!("tidy: {} problem(s)", violations.len());
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("tidy: could not run: {e:#}");
                ExitCode::from(2)
            }
        },
        _ => {
            eprintln!("usage: cargo xtask tidy");
            ExitCode::from(2)
        }
    }
}

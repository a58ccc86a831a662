//! `hcpoolctl`: an operator's offline tool over hcpool-core. Plain text by default, `--json`
//! for scripts; a non-zero exit and a one-line message on bad input.
//!
//! It is a binary only (no library, no cargo features): every command is a few lines over
//! hcpool-core's public API (`commands.rs`), which is where an embedder looks. Commands:
//! `derive`, `validate-address`, `multisig`, `votebits explain`, `ticket-fee`,
//! `inspect-ticket`, `check-config`, and the database tools `find-user`, `disable-user`,
//! `enable-user`, `delete-user`, `resend-verification`, `reset-votebits`, `lowfee-tickets`,
//! `check-wallets`, `backup`, `restore` (`db.rs`), and for users `verify-votes` (`verify.rs`);
//! exit codes 0 ok, 1 the thing checked is invalid, 2 bad
//! input. `tests/cli.rs` runs the built binary.
//!
//! ```sh
//! hcpoolctl validate-address TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt --json
//! ```

mod commands;
mod db;
mod verify;

use std::io::Write as _;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "hcpoolctl",
    version = hcpool_process::build::VERSION,
    about = "HC stake-pool operator tool"
)]
struct Cli {
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match commands::run(cli.command, cli.json) {
        Ok(report) => {
            let out = if cli.json {
                serde_json::to_string_pretty(&report.json).unwrap_or_default()
            } else {
                report.text
            };
            // One locked write of the whole report (derive prints tens of thousands of lines).
            let mut stdout = std::io::stdout().lock();
            if writeln!(stdout, "{out}")
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return std::process::ExitCode::from(2);
            }
            if report.ok {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::from(1)
            }
        }
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("hcpoolctl: {e:#}");
            }
            std::process::ExitCode::from(2)
        }
    }
}

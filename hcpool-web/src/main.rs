//! `hcpool-web`: reads hcstakepool.conf (file < `HCPOOL_*` env < flags) and serves the pool;
//! `--demo` serves a self-contained pool (SQLite + simulated wallets). Everything is in
//! [`hcpool_web::startup`]; the exit codes are [`hcpool_web::exit`]'s (hcstakepool's).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(hcpool_web::startup::main(std::env::args_os()).await)
}

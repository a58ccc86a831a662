//! `stakepoold`: parses flags and `stakepoold.conf`, then runs the daemon until SIGINT or
//! SIGTERM. Everything is in [`stakepoold::startup`]; the exit codes are
//! [`stakepoold::Error::exit_code`]'s.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(stakepoold::startup::main(std::env::args_os()).await)
}

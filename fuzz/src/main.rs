//! `hcpool-fuzz TARGET`: under `cargo afl build` (`--cfg fuzzing`), the AFL++ persistent
//! loop over TARGET. In a plain build, `hcpool-fuzz TARGET FILE...` runs TARGET once on
//! each file (to reproduce a crash AFL++ saved, with a normal backtrace).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

fn usage() -> ExitCode {
    let names: Vec<&str> = hcpool_fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
    eprintln!(
        "usage: hcpool-fuzz TARGET [FILE...]; targets: {}",
        names.join(", ")
    );
    ExitCode::from(2)
}

#[cfg(fuzzing)]
fn main() -> ExitCode {
    let Some(check) = std::env::args()
        .nth(1)
        .as_deref()
        .and_then(hcpool_fuzz::target)
    else {
        return usage();
    };
    afl::fuzz(true, check);
    ExitCode::SUCCESS
}

#[cfg(not(fuzzing))]
fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(check) = args.next().as_deref().and_then(hcpool_fuzz::target) else {
        return usage();
    };
    for file in args {
        match std::fs::read(&file) {
            Ok(data) => {
                check(&data);
                println!("{file}: ok");
            }
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

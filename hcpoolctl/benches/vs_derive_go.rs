//! `hcpoolctl derive` against HC's own Go derivation (`derive-go` of
//! `../shared/hcstakepool-orig`, hcd's hdkeychain): both as whole processes on the same
//! tpub and the same indexes, alternating, median of several runs. Checks the outputs are
//! byte-identical and prints both times and the ratio; asserts no timing.
//!
//! ```sh
//! cargo bench -p hcpoolctl --bench vs_derive_go            # 20,000 addresses, 7 runs each
//! cargo bench -p hcpoolctl --bench vs_derive_go -- --count 100000 --runs 3
//! ```
//!
//! The original is found at `$HCPOOL_ORIG`, else `../shared/hcstakepool-orig` beside the
//! workspace; without it the bench prints a `skipped:` line. `$HCPOOLCTL` times another
//! hcpoolctl binary (e.g. an older build) instead of this one.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// hcstakepool's sample cold-wallet account key (testnet2, as derive-go's build expects).
const TPUB: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";

fn orig_dir() -> PathBuf {
    std::env::var_os("HCPOOL_ORIG").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/hcstakepool-orig"),
        PathBuf::from,
    )
}

fn run(cmd: &mut Command) -> Result<(Duration, Vec<u8>), String> {
    let start = Instant::now();
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    let took = start.elapsed();
    if !out.status.success() {
        return Err(format!(
            "{cmd:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok((took, out.stdout))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn arg(args: &[String], name: &str, default: u32) -> Result<u32, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a number")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --all-targets` runs bench targets without `--bench`: nothing to time then.
    if !args.iter().any(|a| a == "--bench") {
        println!("skipped: vs_derive_go only runs under `cargo bench`");
        return ExitCode::SUCCESS;
    }
    match bench(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vs_derive_go: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: &[String]) -> Result<(), String> {
    let count = arg(args, "--count", 20_000)?;
    let runs = arg(args, "--runs", 7)?.max(1);
    let go = orig_dir().join("derive-go");
    if !go.is_file() {
        println!(
            "skipped: {} is absent (set HCPOOL_ORIG to ../shared/hcstakepool-orig)",
            go.display()
        );
        return Ok(());
    }
    let ctl = std::env::var_os("HCPOOLCTL").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_hcpoolctl")),
        PathBuf::from,
    );
    let go_cmd = || {
        let mut c = Command::new(&go);
        c.args([TPUB, "0", &count.to_string()]);
        c
    };
    let ctl_cmd = || {
        let mut c = Command::new(&ctl);
        c.args([
            "derive",
            "--xpub",
            TPUB,
            "--from",
            "0",
            "--count",
            &count.to_string(),
        ]);
        c
    };
    // One untimed run each warms the page cache, and gives the outputs to compare.
    let (_, go_out) = run(&mut go_cmd())?;
    let (_, ctl_out) = run(&mut ctl_cmd())?;
    if go_out != ctl_out {
        let line = go_out
            .split(|&b| b == b'\n')
            .zip(ctl_out.split(|&b| b == b'\n'))
            .position(|(a, b)| a != b);
        return Err(format!(
            "outputs differ ({} vs {} bytes; first differing line: {line:?})",
            go_out.len(),
            ctl_out.len()
        ));
    }
    let lines = go_out.iter().filter(|&&b| b == b'\n').count();
    if lines != count as usize {
        return Err(format!("derive-go printed {lines} lines, expected {count}"));
    }
    let (mut go_times, mut ctl_times) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (t, out) = run(&mut go_cmd())?;
        if out != go_out {
            return Err("derive-go's output changed between runs".into());
        }
        go_times.push(t);
        let (t, out) = run(&mut ctl_cmd())?;
        if out != ctl_out {
            return Err("hcpoolctl's output changed between runs".into());
        }
        ctl_times.push(t);
    }
    let (g, c) = (median(go_times), median(ctl_times));
    println!(
        "derive {count} addresses (xpub/0/i, whole process, median of {runs}, {} cores): outputs identical ({} bytes)",
        std::thread::available_parallelism().map_or(1, usize::from),
        go_out.len()
    );
    println!("  derive-go          {:>9.3} s", g.as_secs_f64());
    println!("  hcpoolctl derive   {:>9.3} s", c.as_secs_f64());
    println!(
        "  ratio              {:>9.2}x  (derive-go time / hcpoolctl time; target >= 10x)",
        g.as_secs_f64() / c.as_secs_f64().max(1e-9)
    );
    Ok(())
}

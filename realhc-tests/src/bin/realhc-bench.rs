//! Figures from the real wallet (printed, not asserted): the time from `winningtickets`
//! (received by stakepoold) to each vote accepted by hcd, p50/p99 over at least
//! `HCPOOL_REALHC_BENCH_VOTES` (default 100) votes, and start-up to serving of stakepoold
//! and the web app, on a resumed copy of the chain snapshot (ports `HCPOOL_REALHC_PORT`,
//! default 24400).
//!
//! ```sh
//! HCPOOL_REALHC=$PWD/../shared/realhc cargo run --release -p hcpool-realhc --bin realhc-bench
//! ```

#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use hcpool_realhc::chain::percentile;
use hcpool_realhc::{realhc_dir, Suite};

fn main() -> ExitCode {
    let realhc = match realhc_dir() {
        Ok(d) => d,
        Err(why) => {
            println!("realhc-bench {why}");
            return ExitCode::SUCCESS;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            println!("realhc-bench: no tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(&realhc)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("realhc-bench FAILED: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(realhc: &std::path::Path) -> Result<()> {
    let want: usize = std::env::var("HCPOOL_REALHC_BENCH_VOTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let t0 = Instant::now();
    let mut suite = Suite::setup(realhc, "bench", hcpool_realhc::base_port(24400), 2).await?;
    let start_height = suite.chain.height().await?;
    println!(
        "realhc-bench: set-up {:.1} s (resume + voters manual + 2 stakepoold + web), height {start_height}",
        suite.resumed_in.as_secs_f64()
    );
    for (i, n) in suite.running_nodes().enumerate() {
        println!(
            "realhc-bench: stakepoold {i} start-up to serving (connect, ticket scan of ~300 tickets, gRPC bound): {:.0} ms",
            n.started_in.as_secs_f64() * 1e3
        );
    }
    if let Some(w) = &suite.web {
        println!(
            "realhc-bench: web start-up to serving (wiring::build, launch, first GET /): {:.0} ms",
            w.started_in.as_secs_f64() * 1e3
        );
    }
    let result = async {
        let mut blocks = 0;
        let deadline = Instant::now() + Duration::from_secs(20 * 60);
        loop {
            let n: usize = suite
                .running_nodes()
                .map(|n| n.probe.accepted().len())
                .sum();
            if n >= want {
                break;
            }
            if Instant::now() > deadline {
                bail!("only {n} votes after 20 minutes");
            }
            suite.mine(1).await?;
            blocks += 1;
        }
        Ok(blocks)
    }
    .await;
    let mut lat: Vec<Duration> = suite
        .running_nodes()
        .flat_map(|n| n.probe.latencies())
        .collect();
    lat.sort();
    let end_height = suite.chain.height().await.unwrap_or(0);
    suite.shutdown().await;
    let blocks = result?;
    let ms = |d: Option<Duration>| {
        d.map_or("-".to_owned(), |d| {
            format!("{:.1} ms", d.as_secs_f64() * 1e3)
        })
    };
    println!(
        "realhc-bench: {} votes accepted by hcd in {blocks} blocks ({start_height}..{end_height}); \
         winningtickets received → vote accepted: p50 {}, p90 {}, p99 {}, max {}",
        lat.len(),
        ms(percentile(&lat, 50.0)),
        ms(percentile(&lat, 90.0)),
        ms(percentile(&lat, 99.0)),
        ms(lat.last().copied()),
    );
    println!("realhc-bench: total {:.0} s", t0.elapsed().as_secs_f64());
    Ok(())
}

//! `verify-votes`: a user checks the pool's signed vote records against their own hcd
//! (hcpool-core's `voterecord::verify_record` over hcpool-rpc's `JsonRpcNode`).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use hcpool_core::voterecord::{verify_record, VoteRecordPubKey};
use hcpool_core::Secret;
use hcpool_rpc::voterecords::PoolTrust;
use hcpool_rpc::{ClientConfig, JsonRpcNode, PinnedCert, Reconnect};
use serde_json::json;

use crate::commands::Report;

/// Where the records come from, the pinned key and the hcd to check them on.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// A records file (the tickets page's download, or the saved API answer).
    #[arg(long, required_unless_present = "pool", conflicts_with = "pool")]
    file: Option<PathBuf>,
    /// The pool's URL (`https://host[:port]` or `http://host:port`): the records are
    /// fetched with --token. An https pool's certificate must chain to the web PKI's roots
    /// (compiled in) and name the host, unless --poolcert pins it.
    #[arg(long, requires = "token")]
    pool: Option<String>,
    /// The pool's own (self-signed) TLS certificate, PEM: pinned, the only one accepted for
    /// an https --pool (compared byte for byte; the host name is not checked).
    #[arg(long, requires = "pool")]
    poolcert: Option<PathBuf>,
    /// Your API token (the pool's Settings page).
    #[arg(long, env = "HCPOOL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The pool's vote record key you pinned (66 hex digits; the pool's stats page).
    #[arg(long)]
    pubkey: String,
    /// hcd's RPC address (host:port); hcd must run with --txindex.
    #[arg(long)]
    hcd: String,
    /// hcd's RPC user.
    #[arg(long, default_value = "")]
    hcduser: String,
    /// hcd's RPC password.
    #[arg(
        long,
        env = "HCPOOL_HCDPASS",
        hide_env_values = true,
        default_value = ""
    )]
    hcdpass: String,
    /// hcd's RPC certificate (rpc.cert), pinned.
    #[arg(long)]
    hcdcert: PathBuf,
}

/// Runs `verify-votes`: one verdict per record, a summary; not ok when any record fails.
pub fn verify_votes(a: &VerifyArgs) -> Result<Report> {
    let pubkey: VoteRecordPubKey = a.pubkey.parse().context("--pubkey")?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?
        .block_on(async {
            let doc = match (&a.file, &a.pool) {
                (Some(f), _) => {
                    let text = std::fs::read_to_string(f)
                        .with_context(|| format!("reading {}", f.display()))?;
                    hcpool_rpc::voterecords::parse_document(&text)?
                }
                (None, Some(url)) => {
                    let trust = match &a.poolcert {
                        None => PoolTrust::WebPki,
                        Some(_) if !url.starts_with("https://") => {
                            bail!("--poolcert pins an https:// pool's certificate; --pool is {url}")
                        }
                        Some(f) => PoolTrust::pinned_file(f).context("--poolcert")?,
                    };
                    hcpool_rpc::voterecords::fetch(url, a.token.as_deref().unwrap_or(""), &trust)
                        .await
                        .with_context(|| format!("fetching the records from {url}"))?
                }
                (None, None) => bail!("give --file or --pool"),
            };
            let mut text = String::new();
            if let Some(k) = doc.pubkey.as_deref().filter(|k| *k != pubkey.to_string()) {
                let _ = writeln!(
                    text,
                    "warning: the records name key {k}, not the pinned key (they must verify with the pinned one)"
                );
            }
            if doc.records.is_empty() {
                // Nothing to check: hcd is not needed.
                let _ = write!(text, "0 records: nothing to verify");
                return Ok(Report {
                    text,
                    json: json!({"records": [], "total": 0, "failed": 0, "votebits_differ": 0}),
                    ok: true,
                });
            }
            let mut cfg = ClientConfig::new(
                a.hcd.clone(),
                a.hcduser.clone(),
                Secret::new(a.hcdpass.clone()),
                PinnedCert::File(a.hcdcert.clone()),
            );
            cfg.reconnect = Reconnect::FAIL_FAST;
            let node = JsonRpcNode::connect(cfg)
                .await
                .with_context(|| format!("connecting to hcd at {}", a.hcd))?;

            let mut rows = Vec::new();
            let mut failed = 0usize;
            let mut differ = 0usize;
            for s in &doc.records {
                let r = &s.record;
                let verdict = verify_record(s, &pubkey, &node).await;
                let note = (r.votebits != r.requested_votebits).then(|| {
                    format!(
                        " (note: cast votebits {}, requested {})",
                        r.votebits, r.requested_votebits
                    )
                });
                match &verdict {
                    Ok(()) => {
                        if note.is_some() {
                            differ += 1;
                        }
                        let _ = writeln!(
                            text,
                            "ok    ticket {} vote {} block {} votebits {} version {}{}",
                            r.ticket,
                            r.vote_tx,
                            r.block_height,
                            r.votebits,
                            r.vote_version,
                            note.as_deref().unwrap_or("")
                        );
                    }
                    Err(e) => {
                        failed += 1;
                        let _ = writeln!(text, "FAIL  ticket {} vote {}: {e}", r.ticket, r.vote_tx);
                    }
                }
                rows.push(json!({
                    "ticket": r.ticket.to_string(),
                    "vote_tx": r.vote_tx.to_string(),
                    "block_height": r.block_height,
                    "votebits": r.votebits,
                    "requested_votebits": r.requested_votebits,
                    "ok": verdict.is_ok(),
                    "error": verdict.err().map(|e| e.to_string()),
                }));
            }
            let total = doc.records.len();
            let _ = write!(
                text,
                "{total} records: {} verified, {failed} failed; {differ} verified with votebits other than requested",
                total - failed
            );
            Ok(Report {
                text,
                json: json!({
                    "records": rows,
                    "total": total,
                    "failed": failed,
                    "votebits_differ": differ,
                }),
                ok: failed == 0,
            })
        })
}

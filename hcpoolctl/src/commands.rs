//! The subcommands: each parses its arguments into core types, calls hcpool-core, and
//! returns a report with a text and a JSON form.

use std::fmt::Write as _;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use serde_json::{json, Value};

use hcpool_core::address::{validate_user_pubkey_address, Address};
use hcpool_core::amount::Amount;
use hcpool_core::config::PoolConfig;
use hcpool_core::derive::{child_addresses, FeeAddressSet};
use hcpool_core::fee::{stake_pool_ticket_fee, PoolFeeRate, TicketEvaluation};
use hcpool_core::multisig::RedeemScript;
use hcpool_core::params::Network;
use hcpool_core::stake::Ticket;
use hcpool_core::tx::Transaction;
use hcpool_core::votebits::VoteBits;
use hcpool_core::xpub::ExtendedPubKey;
use hcpool_db::UserQuery;

/// What a command prints.
pub struct Report {
    /// Plain text.
    pub text: String,
    /// JSON.
    pub json: Value,
    /// Whether the checked thing was good (exit 0) or not (exit 1).
    pub ok: bool,
}

impl Report {
    pub(crate) fn ok(text: String, json: Value) -> Self {
        Report {
            text,
            json,
            ok: true,
        }
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Derive addresses from an extended public key: one line per index.
    Derive {
        /// The extended public key (dpub/tpub/spub).
        #[arg(long)]
        xpub: String,
        /// Network (inferred from the key when omitted).
        #[arg(long)]
        network: Option<Network>,
        /// Branch (0 = external, the pool's).
        #[arg(long, default_value_t = 0)]
        branch: u32,
        /// First index.
        #[arg(long, default_value_t = 0)]
        from: u32,
        /// How many addresses.
        #[arg(long, default_value_t = 10)]
        count: u32,
    },
    /// Decode an address: type, network, payload; or why it is invalid.
    ValidateAddress {
        /// The address.
        address: String,
        /// Require this network.
        #[arg(long)]
        network: Option<Network>,
    },
    /// The 1-of-2 multisig of a pool and a user pubkey-address.
    Multisig {
        /// The pool's pubkey-address (Tk…).
        #[arg(long)]
        pool_pubkey_addr: String,
        /// The user's pubkey-address (Tk…).
        #[arg(long)]
        user_pubkey_addr: String,
        /// Network (inferred from the addresses when omitted).
        #[arg(long)]
        network: Option<Network>,
    },
    /// Check or explain votebits against the agendas of a vote version.
    Votebits {
        /// `check` or `explain`.
        action: VotebitsAction,
        /// The votebits (decimal or 0x hex).
        bits: String,
        /// Vote version.
        #[arg(long)]
        vote_version: u32,
        /// Network.
        #[arg(long, default_value = "mainnet")]
        network: Network,
    },
    /// The fee a pool ticket must pay the pool.
    TicketFee {
        /// Ticket price in atoms.
        #[arg(long)]
        stake_diff: i64,
        /// Relay fee in atoms.
        #[arg(long, allow_hyphen_values = true)]
        relay_fee: i64,
        /// Block height.
        #[arg(long)]
        height: i64,
        /// Pool fee, percent.
        #[arg(long)]
        pool_fee: f64,
        /// Network.
        #[arg(long, default_value = "mainnet")]
        network: Network,
    },
    /// Decode a ticket: outputs, commitments, and whether it pays the pool enough.
    InspectTicket {
        /// The serialized transaction, hex.
        hex: String,
        /// Network.
        #[arg(long, default_value = "mainnet")]
        network: Network,
        /// The pool's cold-wallet xpub (fee addresses), to run the fee check.
        #[arg(long)]
        coldwalletextpub: Option<String>,
        /// Pool fee, percent, for the fee check.
        #[arg(long)]
        pool_fee: Option<f64>,
        /// Height for the fee check (the ticket's block height).
        #[arg(long, default_value_t = 0)]
        height: i64,
        /// How many fee addresses to derive for the check.
        #[arg(long, default_value_t = 10_000)]
        max_users: u64,
    },
    /// Validate an hcstakepool.conf (keys, xpubs, certificate files, the mail senders and
    /// `smtptls`).
    CheckConfig {
        /// The file.
        file: std::path::PathBuf,
    },
    /// Find users by id, email, address (multisig, pubkey or fee) or ticket hash.
    FindUser {
        #[command(flatten)]
        db: crate::db::DbArgs,
        /// User id.
        #[arg(long, group = "by")]
        id: Option<u64>,
        /// Email address.
        #[arg(long, group = "by")]
        email: Option<String>,
        /// Multisig (ticket), pubkey or fee address.
        #[arg(long, group = "by")]
        address: Option<String>,
        /// Ticket hash: a low-fee ticket's, else the wallets of --config are asked.
        #[arg(long, group = "by")]
        ticket: Option<String>,
    },
    /// Disable a user: no sign-in, API token and pending links cleared, sessions ended
    /// (their tickets are still voted).
    DisableUser {
        #[command(flatten)]
        db: crate::db::DbArgs,
        /// User id or email.
        user: String,
    },
    /// Delete a user's account, as their own deletion does: personal data erased at once,
    /// the voting data kept until their tickets are spent (a running hcpool-web erases it).
    DeleteUser {
        #[command(flatten)]
        db: crate::db::DbArgs,
        /// User id or email.
        user: String,
    },
    /// Enable a disabled user again.
    EnableUser {
        #[command(flatten)]
        db: crate::db::DbArgs,
        /// User id or email.
        user: String,
    },
    /// Queue a new verification link for an unverified account (the web app mails it).
    ResendVerification {
        #[command(flatten)]
        db: crate::db::DbArgs,
        /// The account's email address.
        email: String,
        /// The mail's language: `en` or `zh-CN` (the store keeps no language for an
        /// account that is not verified yet).
        #[arg(long, default_value = "en")]
        lang: String,
    },
    /// Reset a user's votebits to 1 (abstain on every agenda).
    ResetVotebits {
        #[command(flatten)]
        db: crate::db::DbArgs,
        /// User id or email.
        user: String,
        /// The vote version to set (default: the user's).
        #[arg(long)]
        vote_version: Option<u32>,
    },
    /// List the low-fee tickets admins added for voting.
    LowfeeTickets {
        #[command(flatten)]
        db: crate::db::DbArgs,
    },
    /// Check that every wallet of --config holds every registered user's multisig script.
    CheckWallets {
        #[command(flatten)]
        db: crate::db::DbArgs,
    },
    /// Online backup of a SQLite store into a new file.
    Backup {
        #[command(flatten)]
        db: crate::db::DbArgs,
        /// The new file.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Check a pool's signed vote records against your hcd: signature (pinned key), block in
    /// the main chain, the vote spends the ticket with the recorded votebits. Exit 1 when any
    /// record fails.
    VerifyVotes {
        #[command(flatten)]
        args: crate::verify::VerifyArgs,
    },
    /// Restore a SQLite backup over the store's file (stop the pool first).
    Restore {
        #[command(flatten)]
        db: crate::db::DbArgs,
        /// The backup file.
        file: std::path::PathBuf,
        /// Overwrite even when the store looks in use.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum VotebitsAction {
    /// Valid or not.
    Check,
    /// Per-agenda choices.
    Explain,
}

/// Runs `cmd`; `json` says which form will be printed (a command may build only that one).
pub fn run(cmd: Command, json: bool) -> Result<Report> {
    match cmd {
        Command::Derive {
            xpub,
            network,
            branch,
            from,
            count,
        } => derive(&xpub, network, branch, from, count, json),
        Command::ValidateAddress { address, network } => validate_address(&address, network),
        Command::Multisig {
            pool_pubkey_addr,
            user_pubkey_addr,
            network,
        } => multisig(&pool_pubkey_addr, &user_pubkey_addr, network),
        Command::Votebits {
            action,
            bits,
            vote_version,
            network,
        } => votebits(action, &bits, vote_version, network),
        Command::TicketFee {
            stake_diff,
            relay_fee,
            height,
            pool_fee,
            network,
        } => ticket_fee(stake_diff, relay_fee, height, pool_fee, network),
        Command::InspectTicket {
            hex,
            network,
            coldwalletextpub,
            pool_fee,
            height,
            max_users,
        } => inspect_ticket(&hex, network, coldwalletextpub, pool_fee, height, max_users),
        Command::CheckConfig { file } => check_config(&file),
        Command::FindUser {
            db,
            id,
            email,
            address,
            ticket,
        } => {
            let q = match (id, email, address, ticket) {
                (Some(id), _, _, _) => UserQuery::Id(hcpool_core::UserId(id)),
                (_, Some(e), _, _) => UserQuery::Email(e),
                (_, _, Some(a), _) => UserQuery::Address(a),
                (_, _, _, Some(t)) => UserQuery::Ticket(crate::db::parse_ticket(&t)?),
                _ => bail!("give --id, --email, --address or --ticket"),
            };
            crate::db::find_user(&db, q)
        }
        Command::DisableUser { db, user } => crate::db::set_disabled(&db, &user, true),
        Command::EnableUser { db, user } => crate::db::set_disabled(&db, &user, false),
        Command::DeleteUser { db, user } => crate::db::delete_user(&db, &user),
        Command::ResendVerification { db, email, lang } => {
            crate::db::resend_verification(&db, &email, &lang)
        }
        Command::ResetVotebits {
            db,
            user,
            vote_version,
        } => crate::db::reset_votebits(&db, &user, vote_version),
        Command::LowfeeTickets { db } => crate::db::low_fee_tickets(&db),
        Command::CheckWallets { db } => crate::db::check_wallets(&db),
        Command::Backup { db, out } => crate::db::backup(&db, &out),
        Command::Restore { db, file, force } => crate::db::restore(&db, &file, force),
        Command::VerifyVotes { args } => crate::verify::verify_votes(&args),
    }
}

fn derive(
    xpub: &str,
    network: Option<Network>,
    branch: u32,
    from: u32,
    count: u32,
    json: bool,
) -> Result<Report> {
    let key: ExtendedPubKey = xpub.parse().context("extended public key")?;
    let network = match (network, key.network()) {
        (Some(n), _) => {
            key.clone()
                .require_network(n)
                .context("extended public key")?;
            n
        }
        (None, Some(n)) => n,
        (None, None) => {
            bail!("cannot tell the key's network from its version bytes: pass --network")
        }
    };
    let branch_key = key.derive_child(branch).context("branch")?;
    // Derived in parallel by hcpool-core; only the form that will be printed is built.
    let addresses = child_addresses(&branch_key, network, from..from.saturating_add(count));
    let mut text = String::new();
    let mut rows = Vec::new();
    if json {
        rows.reserve(addresses.len());
    } else {
        // "i<TAB>address\n": at most 10 + 1 + 35 + 1 bytes.
        text.reserve(addresses.len() * 48);
    }
    for (i, addr) in addresses {
        let addr = addr.with_context(|| format!("index {i}"))?;
        if json {
            rows.push(json!({"index": i, "address": addr}));
        } else {
            // Writing to a String cannot fail.
            let _ = writeln!(text, "{i}\t{addr}");
        }
    }
    text.truncate(text.trim_end().len());
    Ok(Report::ok(
        text,
        json!({"network": network.name(), "branch": branch, "addresses": rows}),
    ))
}

fn describe(addr: &Address) -> (String, Value) {
    let pubkey = addr.pubkey_bytes().map(hex::encode);
    let text = format!(
        "type: {}\nnetwork: {}\npayload: {}{}",
        addr.kind().name(),
        addr.network(),
        hex::encode(addr.payload()),
        pubkey
            .as_ref()
            .map(|p| format!("\npubkey: {p}"))
            .unwrap_or_default()
    );
    let json = json!({
        "valid": true,
        "address": addr.to_string(),
        "type": addr.kind().name(),
        "network": addr.network().name(),
        "payload": hex::encode(addr.payload()),
        "pubkey": pubkey,
    });
    (text, json)
}

fn validate_address(s: &str, network: Option<Network>) -> Result<Report> {
    let parsed = s.parse::<Address>().and_then(|a| match network {
        Some(n) => a.require_network(n),
        None => Ok(a),
    });
    Ok(match parsed {
        Ok(addr) => {
            let (text, json) = describe(&addr);
            Report::ok(text, json)
        }
        Err(e) => Report {
            text: format!("invalid: {e}"),
            json: json!({"valid": false, "error": e.to_string()}),
            ok: false,
        },
    })
}

fn multisig(pool: &str, user: &str, network: Option<Network>) -> Result<Report> {
    let pool: Address = pool.parse().context("pool pubkey-address")?;
    let network = network.unwrap_or(pool.network());
    let pool = pool
        .require_network(network)
        .context("pool pubkey-address")?;
    let user = validate_user_pubkey_address(user, network).context("user pubkey-address")?;
    let script = RedeemScript::one_of_two(&pool, &user)?;
    let p2sh = script.p2sh_address(network);
    Ok(Report::ok(
        format!("script: {}\np2sh: {p2sh}", script.to_hex()),
        json!({"network": network.name(), "script": script.to_hex(), "p2sh": p2sh.to_string()}),
    ))
}

fn parse_bits(s: &str) -> Result<VoteBits> {
    let s = s.trim();
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u16::from_str_radix(h, 16)
    } else {
        s.parse::<u16>()
    };
    Ok(VoteBits(v.with_context(|| {
        format!("{s:?} is not a 16-bit number")
    })?))
}

fn votebits(action: VotebitsAction, bits: &str, version: u32, network: Network) -> Result<Report> {
    let bits = parse_bits(bits)?;
    let agendas = network.params().agendas(version);
    let valid = bits.validate(agendas);
    let mut text = match &valid {
        Ok(()) => format!(
            "votebits {} valid for {network} vote version {version}",
            bits.0
        ),
        Err(e) => format!("votebits {} invalid: {e}", bits.0),
    };
    let mut choices = Vec::new();
    if let VotebitsAction::Explain = action {
        text.push_str(&format!(
            "\napprove previous block: {}",
            bits.approves_previous_block()
        ));
        for (agenda, choice) in bits.decode(agendas) {
            let c = choice.map(|c| c.id).unwrap_or("(no matching choice)");
            text.push_str(&format!("\n{}: {c}", agenda.id));
            choices.push(json!({"agenda": agenda.id, "choice": choice.map(|c| c.id)}));
        }
        if agendas.is_empty() {
            text.push_str("\nno agendas for this vote version");
        }
    }
    Ok(Report {
        text,
        json: json!({
            "votebits": bits.0,
            "valid": valid.is_ok(),
            "error": valid.as_ref().err().map(|e| e.to_string()),
            "approves_previous_block": bits.approves_previous_block(),
            "choices": choices,
        }),
        ok: valid.is_ok(),
    })
}

fn ticket_fee(v: i64, z: i64, height: i64, pct: f64, network: Network) -> Result<Report> {
    let rate = PoolFeeRate::from_percent(pct)?;
    let fee = stake_pool_ticket_fee(Amount(v), Amount(z), height, rate, network.params())?;
    Ok(Report::ok(
        format!("{} atoms ({fee} HC)", fee.0),
        json!({"fee_atoms": fee.0, "rate_hundredths": rate.hundredths(), "network": network.name()}),
    ))
}

fn inspect_ticket(
    hex_tx: &str,
    network: Network,
    cold: Option<String>,
    pool_fee: Option<f64>,
    height: i64,
    max_users: u64,
) -> Result<Report> {
    let bytes = hex::decode(hex_tx.trim()).context("ticket hex")?;
    let tx = Transaction::decode(&bytes)?;
    let ticket = Ticket::from_tx(&tx)?;
    let mut text = format!(
        "txid: {}\nticket price: {} atoms\nvoting address: {}",
        tx.hash(),
        ticket.price().0,
        ticket
            .voting_address(network)
            .map(|a| a.to_string())
            .unwrap_or_else(|| "(not an address)".into())
    );
    let mut commitments = Vec::new();
    for (i, c) in ticket.commitments().iter().enumerate() {
        text.push_str(&format!(
            "\ncommitment {i}: {} amount {} atoms fee limits {:#06x}",
            c.address(network),
            c.amount.0,
            c.fee_limits.map_or(0, |f| f.0)
        ));
        commitments.push(json!({
            "address": c.address(network).to_string(),
            "amount": c.amount.0,
            "fee_limits": c.fee_limits.map(|f| f.0),
        }));
    }
    let mut json = json!({
        "txid": tx.hash().to_string(),
        "price": ticket.price().0,
        "voting_address": ticket.voting_address(network).map(|a| a.to_string()),
        "commitments": commitments,
    });
    let mut ok = true;
    if let (Some(cold), Some(pct)) = (cold, pool_fee) {
        let rate = PoolFeeRate::from_percent(pct)?;
        let cold: ExtendedPubKey = cold.parse().context("coldwalletextpub")?;
        let count = u32::try_from(max_users).context("--max-users")?;
        let set = FeeAddressSet::derive(&cold, network, count)?;
        let eval = hcpool_core::fee::evaluate_pool_ticket(
            &ticket,
            height,
            |a| set.contains(a),
            rate,
            network.params(),
        )?;
        ok = eval.is_valid();
        let result = match &eval {
            TicketEvaluation::Valid { paid, required } => {
                format!("pays the pool enough: {} >= {} atoms", paid.0, required.0)
            }
            TicketEvaluation::FeeTooLow { paid, required } => {
                format!("fee too low: {} < {} atoms", paid.0, required.0)
            }
            TicketEvaluation::UnknownCommitmentAddress { address } => {
                format!("unknown pool commitment address {address}")
            }
            other => format!("{other:?}"),
        };
        text.push_str(&format!("\npool fee check: {result}"));
        json["fee_check"] = json!({"valid": ok, "result": result});
    }
    Ok(Report { text, json, ok })
}

fn check_config(path: &std::path::Path) -> Result<Report> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    // The whole file is parsed as hcpool-web parses it at start (the pool's keys by the
    // core, the web app's by hcpool-web's config, the library without its demo), so a file
    // this command passes is one the web app accepts.
    let mut src = hcpool_core::config::sources();
    src.layer(hcpool_core::config::parse_ini(&text)?)?;
    let cfg: PoolConfig = crate::db::load_config(path)?;
    let mut problems = Vec::new();
    for (key, value) in [
        ("votingwalletextpub", &cfg.voting_wallet_ext_pub),
        ("coldwalletextpub", &cfg.cold_wallet_ext_pub),
    ] {
        match value.parse::<ExtendedPubKey>() {
            Ok(k) => {
                if let Err(e) = k.require_network(cfg.network) {
                    problems.push(format!("{key}: {e}"));
                }
            }
            Err(e) => problems.push(format!("{key}: {e}")),
        }
    }
    let base = path.parent().unwrap_or(std::path::Path::new("."));
    let smtp_cert: Vec<String> = src
        .get("smtpcert")
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .into_iter()
        .collect();
    let wallet_certs: Vec<String> = cfg.wallets.iter().map(|w| w.cert.clone()).collect();
    for (key, files) in [
        ("walletcerts", &wallet_certs),
        ("stakepooldcerts", &cfg.stakepoold_certs),
        ("smtpcert", &smtp_cert),
    ] {
        for f in files {
            let p = std::path::Path::new(f);
            if !p.exists() && !base.join(p).exists() {
                problems.push(format!("{key}: {f} does not exist"));
            }
        }
    }
    let mail = check_mail(&src, &mut problems);
    let ok = problems.is_empty();
    let mut text = if ok {
        format!(
            "{}: ok ({} network, {} wallets, minservers {})",
            path.display(),
            cfg.network,
            cfg.wallets.len(),
            cfg.min_servers
        )
    } else {
        problems.join("\n")
    };
    if let Some(line) = mail.get("summary").and_then(Value::as_str) {
        text.push_str(&format!("\nmail: {line}"));
    }
    Ok(Report {
        text,
        json: json!({
            "ok": ok,
            "network": cfg.network.name(),
            "problems": problems,
            "mail": mail,
        }),
        ok,
    })
}

/// The mail keys as hcpool-web reads them: `smtptls` must be `implicit`, `starttls` or
/// empty; with `smtphost` set, the From address is `smtpfrom`, or when that is empty
/// `smtpusername` (the fallback is reported), and one of them must be an email address.
/// Problems are pushed to `problems`; the JSON describes the senders.
fn check_mail(src: &hcpool_core::config::ConfigSources, problems: &mut Vec<String>) -> Value {
    use hcpool_web::mail::{SmtpSettings, SmtpTls};
    let get = |k: &str| src.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let tls = match get("smtptls").parse::<SmtpTls>() {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(e.to_string().trim_start_matches("config: ").to_owned());
            None
        }
    };
    let host = get("smtphost");
    if host.is_empty() {
        return json!({"enabled": false});
    }
    let settings = SmtpSettings {
        host: host.clone(),
        username: get("smtpusername"),
        password: hcpool_core::Secret::new(String::new()),
        from: get("smtpfrom"),
        ca_file: None,
        tls: tls.unwrap_or_default(),
    };
    let fallback = settings.from.is_empty();
    let tls_text = match tls {
        Some(SmtpTls::Implicit) => "implicit TLS",
        Some(SmtpTls::StartTls) => "STARTTLS",
        Some(_) => "TLS by the port (STARTTLS on 25 and 587, implicit TLS otherwise)",
        None => "smtptls invalid",
    };
    match settings.senders() {
        Ok((from, envelope)) => {
            let from = from.email.to_string();
            let summary = if fallback {
                format!(
                    "From {from} (smtpfrom is empty: falls back to smtpusername), envelope \
                     sender {envelope}, {tls_text}"
                )
            } else {
                format!("From {from}, envelope sender {envelope}, {tls_text}")
            };
            json!({
                "enabled": true,
                "from": from,
                "from_fallback": fallback,
                "envelope_from": envelope.to_string(),
                "summary": summary,
            })
        }
        Err(e) => {
            problems.push(e.to_string().trim_start_matches("config: ").to_owned());
            json!({"enabled": true, "from_fallback": fallback})
        }
    }
}

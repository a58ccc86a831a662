//! The database tools: each opens the store (`--db URL`, or the `db*`/`dburl` keys of
//! `--config hcstakepool.conf`), calls hcpool-db or hcpool-core's operator services
//! (`hcpool_core::service::admin`), and reports. Wallet checks connect to the config's
//! `wallethosts`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};

use hcpool_core::backend::{Store, User, WalletBackend};
use hcpool_core::config::PoolConfig;
use hcpool_core::service::admin;
use hcpool_core::{EmailAddress, TicketHash, UserId};
use hcpool_db::{SqlStore, UserQuery};

use crate::commands::Report;

/// Where the store is.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// The store URL (`sqlite://…`, `mysql://…`).
    #[arg(long, env = "HCPOOL_DBURL", conflicts_with = "config")]
    db: Option<String>,
    /// An hcstakepool.conf: its `dburl` or `db*` keys name the store (and `wallethosts`
    /// the wallets, for `check-wallets` and `find-user --ticket`).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// How the user is named: a number is a user id, anything with `@` an email.
fn parse_user(s: &str) -> Result<UserQuery> {
    let s = s.trim();
    if let Ok(id) = s.parse::<u64>() {
        return Ok(UserQuery::Id(UserId(id)));
    }
    if s.contains('@') {
        return Ok(UserQuery::Email(s.to_owned()));
    }
    bail!("{s:?}: give a user id or an email address")
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// The pool config of `path`, parsed as hcpool-web parses it.
pub fn load_config(path: &Path) -> Result<PoolConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut src = hcpool_core::config::sources();
    src.layer(hcpool_core::config::parse_ini(&text)?)?;
    Ok(hcpool_web::config::Config::from_sources(&src)?.pool)
}

impl DbArgs {
    fn config(&self) -> Result<Option<PoolConfig>> {
        self.config.as_deref().map(load_config).transpose()
    }

    fn url(&self) -> Result<String> {
        match (&self.db, self.config()?) {
            (Some(u), _) => Ok(u.clone()),
            (None, Some(cfg)) => Ok(hcpool_web::wiring::db_url(&cfg).expose().clone()),
            (None, None) => bail!("name the store with --db URL or --config hcstakepool.conf"),
        }
    }

    async fn open(&self) -> Result<SqlStore> {
        let url = self.url()?;
        Ok(SqlStore::connect(&url).await?)
    }

    /// The config's wallets, connected (fail fast: an unreachable wallet is an error here).
    async fn wallets(&self) -> Result<Vec<Arc<dyn WalletBackend>>> {
        let (Some(path), Some(cfg)) = (&self.config, self.config()?) else {
            bail!("the wallets are named by --config hcstakepool.conf (wallethosts, walletusers, walletpasswords, walletcerts)");
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let mut out: Vec<Arc<dyn WalletBackend>> = Vec::new();
        for w in &cfg.wallets {
            let cert = Path::new(&w.cert);
            let cert = if cert.is_absolute() {
                cert.to_path_buf()
            } else {
                base.join(cert)
            };
            let mut client = hcpool_rpc::ClientConfig::new(
                w.host.clone(),
                w.user.clone(),
                w.password.clone(),
                hcpool_rpc::PinnedCert::File(cert),
            );
            client.reconnect = hcpool_rpc::Reconnect::FAIL_FAST;
            let wallet = hcpool_rpc::JsonRpcWallet::connect(client)
                .await
                .with_context(|| format!("wallethost {}", w.host))?;
            out.push(Arc::new(wallet));
        }
        Ok(out)
    }
}

/// A user as printed: never a password hash or a token, only whether there is one.
fn user_json(u: &User) -> Value {
    let reg = u.registration.as_ref();
    json!({
        "id": u.id.0,
        "email": u.email,
        "verified": u.is_verified(),
        "disabled": u.is_disabled(),
        "api_token": !u.api_token.expose().is_empty(),
        "vote_bits": u.vote_bits.0,
        "vote_bits_version": u.vote_bits_version,
        "multisig_address": reg.map(|r| r.multisig_address.to_string()),
        "user_pubkey_addr": reg.map(|r| r.user_pubkey_addr.to_string()),
        "user_fee_addr": reg.map(|r| r.user_fee_addr.to_string()),
        "height_registered": reg.map(|r| r.height_registered),
    })
}

fn user_line(u: &User) -> String {
    let state = match (u.is_disabled(), u.is_verified()) {
        (true, _) => "disabled",
        (false, true) => "verified",
        (false, false) => "unverified",
    };
    let addr = u.registration.as_ref().map_or_else(
        || "(no address)".to_owned(),
        |r| r.multisig_address.to_string(),
    );
    format!(
        "{}\t{}\t{state}\t{addr}\tvotebits {} v{}",
        u.id.0, u.email, u.vote_bits.0, u.vote_bits_version
    )
}

/// `find-user`.
pub fn find_user(db: &DbArgs, query: UserQuery) -> Result<Report> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        let mut users = store.find_users(&query).await?;
        if users.is_empty() {
            if let (UserQuery::Ticket(hash), Some(cfg)) = (&query, db.config()?) {
                // Not a low-fee ticket: ask the wallets for its voting address.
                let wallets = db.wallets().await?;
                if let Some(a) = admin::ticket_voting_address(&wallets, hash, cfg.network).await {
                    users = store.find_users(&UserQuery::Address(a.to_string())).await?;
                }
            }
        }
        let text = if users.is_empty() {
            "no such user".to_owned()
        } else {
            users.iter().map(user_line).collect::<Vec<_>>().join("\n")
        };
        let ok = !users.is_empty();
        let json = Value::Array(users.iter().map(user_json).collect());
        Ok(Report { text, json, ok })
    })
}

/// The one user `who` names (an error when none).
async fn one_user(store: &SqlStore, who: &str) -> Result<User> {
    let found = store.find_users(&parse_user(who)?).await?;
    match found.as_slice() {
        [u] => Ok(u.clone()),
        [] => bail!("no user {who:?}"),
        _ => bail!("{who:?} names {} users: give the user id", found.len()),
    }
}

/// `delete-user`.
pub fn delete_user(db: &DbArgs, who: &str) -> Result<Report> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        let u = one_user(&store, who).await?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let Some(d) = admin::delete_user(&store, u.id, now).await? else {
            bail!("user {who:?} is deleted already");
        };
        let text = format!(
            "user {} ({}) deleted: email, password, API token and links erased, {} sessions \
             ended, {} queued mails dropped; {}",
            u.id.0,
            u.email,
            d.sessions,
            d.mails,
            if d.complete {
                "nothing else to keep"
            } else {
                "the voting data stays until the tickets are spent"
            }
        );
        Ok(Report {
            text,
            json: json!({"id": u.id.0, "deleted": true, "sessions_ended": d.sessions,
                "mails_dropped": d.mails, "complete": d.complete}),
            ok: true,
        })
    })
}

/// `disable-user` / `enable-user`.
pub fn set_disabled(db: &DbArgs, who: &str, disable: bool) -> Result<Report> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        let u = one_user(&store, who).await?;
        if disable {
            let Some(d) = store.disable_user(u.id).await? else {
                bail!("no user {who:?}");
            };
            let text = format!(
                "user {} ({}) {}; API token and verification/reset links cleared, {} sessions ended; \
                 their tickets are still voted",
                u.id.0,
                u.email,
                if d.was_enabled { "disabled" } else { "was disabled already" },
                d.sessions
            );
            Ok(Report {
                text,
                json: json!({"id": u.id.0, "disabled": true, "was_enabled": d.was_enabled,
                    "sessions_ended": d.sessions}),
                ok: true,
            })
        } else {
            let changed = store.enable_user(u.id).await?.unwrap_or(false);
            let text = if changed {
                format!("user {} ({}) enabled: their password works again; a new API token is on their Settings page", u.id.0, u.email)
            } else {
                format!("user {} ({}) was not disabled", u.id.0, u.email)
            };
            Ok(Report {
                text,
                json: json!({"id": u.id.0, "disabled": false, "changed": changed}),
                ok: true,
            })
        }
    })
}

/// `resend-verification`: the mail is written in `lang` (`--lang`, English by default). The
/// store keeps no language for an unverified account (a notification choice, the only
/// stored one, needs a verified account), so the operator says it.
pub fn resend_verification(db: &DbArgs, email: &str, lang: &str) -> Result<Report> {
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("{email:?}: {e}"))?;
    let lang = hcpool_core::Lang::from_tag(lang).ok_or_else(|| {
        anyhow::anyhow!(
            "--lang {:?}: not a language hcpool speaks (en, zh-CN)",
            hcpool_core::util::truncate(lang, hcpool_core::util::ECHO_MAX)
        )
    })?;
    runtime()?.block_on(async {
        let store = db.open().await?;
        let now = unix_now();
        let r = admin::resend_verification(&store, &email, lang, now).await?;
        let (text, ok) = match r {
            admin::Resend::Queued => (
                format!("queued: the web app's mail sender sends {email} a new verification link"),
                true,
            ),
            admin::Resend::NoSuchUser => (format!("no user {email}"), false),
            admin::Resend::AlreadyVerified => (format!("{email} is verified already"), false),
            admin::Resend::Disabled => (format!("{email} is disabled: nothing sent"), false),
        };
        Ok(Report {
            text,
            json: json!({"email": email.as_str(), "result": format!("{r:?}"), "lang": lang.tag()}),
            ok,
        })
    })
}

/// `reset-votebits`.
pub fn reset_votebits(db: &DbArgs, who: &str, version: Option<u32>) -> Result<Report> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        let u = one_user(&store, who).await?;
        let Some(((ob, ov), (nb, nv))) = admin::reset_user_vote_bits(&store, u.id, version).await?
        else {
            bail!("no user {who:?}");
        };
        Ok(Report {
            text: format!(
                "user {}: votebits {} (v{ov}) -> {} (v{nv}); running voting nodes get it at the \
                 web app's next full push (its restart, or a node's reconnect)",
                u.id.0, ob.0, nb.0
            ),
            json: json!({"id": u.id.0, "old": {"vote_bits": ob.0, "version": ov},
                "new": {"vote_bits": nb.0, "version": nv}}),
            ok: true,
        })
    })
}

/// `lowfee-tickets`.
pub fn low_fee_tickets(db: &DbArgs) -> Result<Report> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        let now = unix_now();
        let tickets = store.low_fee_tickets().await?;
        let state = |voted: bool, expires: i64| match (voted, expires > now) {
            (true, _) => "voted",
            (false, true) => "votable",
            (false, false) => "expired",
        };
        let text = if tickets.is_empty() {
            "no low-fee tickets".to_owned()
        } else {
            tickets
                .iter()
                .map(|t| {
                    format!(
                        "{}\t{}\t{}\tadded by {}\texpires {}",
                        t.ticket_hash,
                        t.ticket_address,
                        state(t.voted, t.expires),
                        t.added_by.0,
                        t.expires
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let json = Value::Array(
            tickets
                .iter()
                .map(|t| {
                    json!({"ticket_hash": t.ticket_hash.to_string(), "ticket_address": t.ticket_address.to_string(),
                        "state": state(t.voted, t.expires), "added_by": t.added_by.0,
                        "created": t.created, "expires": t.expires})
                })
                .collect(),
        );
        Ok(Report::ok(text, json))
    })
}

/// `check-wallets`: exit 1 when a wallet lacks a script or does not answer.
pub fn check_wallets(db: &DbArgs) -> Result<Report> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        let wallets = db.wallets().await?;
        let checks = admin::check_wallet_scripts(&store, &wallets).await?;
        let scripts = (&store as &dyn Store).multisig_scripts().await?.len();
        let mut lines = Vec::new();
        let mut json = Vec::new();
        for c in &checks {
            match &c.missing {
                Ok(m) if m.is_empty() => {
                    lines.push(format!("{}: all {scripts} scripts", c.label));
                }
                Ok(m) => {
                    let ids: Vec<String> = m.iter().map(|u| u.0.to_string()).collect();
                    lines.push(format!(
                        "{}: lacks the scripts of {} users: {}",
                        c.label,
                        m.len(),
                        ids.join(" ")
                    ));
                }
                Err(e) => lines.push(format!("{}: no answer: {e}", c.label)),
            }
            json.push(json!({
                "wallet": c.label,
                "missing_users": c.missing.as_ref().ok().map(|m| m.iter().map(|u| u.0).collect::<Vec<_>>()),
                "error": c.missing.as_ref().err(),
            }));
        }
        let ok = checks.iter().all(admin::WalletScripts::is_complete);
        Ok(Report {
            text: lines.join("\n"),
            json: json!({"scripts": scripts, "wallets": json, "ok": ok}),
            ok,
        })
    })
}

/// `backup`: an online SQLite backup into `out`.
pub fn backup(db: &DbArgs, out: &Path) -> Result<Report> {
    runtime()?.block_on(async {
        let store = db.open().await?;
        store.backup_to(out).await?;
        store.close().await;
        let found = hcpool_db::check_backup_file(out).await?;
        Ok(Report::ok(
            format!(
                "backup written to {} ({} users)",
                out.display(),
                found.users
            ),
            json!({"file": out.display().to_string(), "users": found.users}),
        ))
    })
}

/// `restore`: the SQLite backup `file` over the store's file.
pub fn restore(db: &DbArgs, file: &Path, force: bool) -> Result<Report> {
    let url = db.url()?;
    let Some(target) = sqlite_path(&url) else {
        bail!("restore is for SQLite stores; restore a MySQL/MariaDB dump with the mysql client (README: Backups)");
    };
    runtime()?.block_on(async {
        let found = hcpool_db::restore_sqlite(file, &target, force).await?;
        Ok(Report::ok(
            format!(
                "{} restored from {} ({} users, {})",
                target.display(),
                file.display(),
                found.users,
                if found.hcpool {
                    "hcpool store"
                } else {
                    "hcstakepool schema: upgraded at the next start"
                }
            ),
            json!({"file": target.display().to_string(), "users": found.users, "hcpool": found.hcpool}),
        ))
    })
}

/// The file of a `sqlite://path[?…]` URL.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    // sqlite_url_for_path percent-encodes these three.
    Some(PathBuf::from(
        path.replace("%3F", "?")
            .replace("%23", "#")
            .replace("%25", "%"),
    ))
}

/// A ticket hash argument.
pub fn parse_ticket(s: &str) -> Result<TicketHash> {
    s.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("{s:?} is not a ticket hash (64 hex digits)"))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

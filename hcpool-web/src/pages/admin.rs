//! Admin status (inventory §3.13): wallets and voting nodes, for admins only.
//!
//! Admin = the client IP is one of `adminips` AND the user id one of `adminuserids` (§2.6).

use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State};

use hcpool_core::backend::health::{Lag, LagReason};
use hcpool_core::status::{Level, NodeFacts, WalletFacts};
use hcpool_i18n::{t, Lang, Msg};

use super::{title, Flashed, Nav, Page};
use crate::config::WebSettings;
use crate::error::WebError;
use crate::limit::ClientIp;
use crate::session::{Checked, Visitor};
use crate::state::AppState;

/// Whether user `id` from client IP `ip` (a [`ClientIp`] value) is an admin: both the IP
/// (`adminips`) and the user id (`adminuserids`) are listed. Quiet: the navigation asks it
/// on every page.
pub fn listed(id: hcpool_core::UserId, ip: &str, s: &WebSettings) -> bool {
    // ClientIp is a canonical address (or empty); `adminips` were parsed at start.
    let ip_ok = crate::limit::parse_ip(ip).is_some_and(|ip| s.admin_ips.contains(&ip));
    ip_ok && s.admin_user_ids.contains(&id)
}

/// Whether the visitor is an admin (both the IP and the user id must be listed); a refusal
/// of a signed-in user is logged.
pub fn is_admin(v: &Visitor, ip: &ClientIp, s: &WebSettings) -> bool {
    let Some(user) = v.user() else {
        return false;
    };
    let ok = listed(user.id, &ip.0, s);
    if !ok {
        tracing::warn!(user = user.id.0, ip = %ip.0, "admin page refused");
    }
    ok
}

/// An admin (a request guard): the client IP is one of `adminips` and the signed-in user
/// one of `adminuserids` ([`is_admin`]). Anyone else gets hcstakepool's `403 Forbidden` (the
/// 403 catcher of [`crate::pages`]); take `Option<Admin>` to answer them otherwise.
#[derive(Debug, Clone)]
pub struct Admin {
    /// The admin's user id.
    pub id: hcpool_core::UserId,
    /// The visitor (session, CSRF token).
    pub visitor: Visitor,
}

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for Admin {
    type Error = ();

    async fn from_request(req: &'r rocket::Request<'_>) -> rocket::request::Outcome<Self, ()> {
        use rocket::request::Outcome;
        let Some(state) = req.rocket().state::<AppState>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let visitor = match req.guard::<Visitor>().await {
            Outcome::Success(v) => v,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(s) => return Outcome::Forward(s),
        };
        let ip = match req.guard::<ClientIp>().await {
            Outcome::Success(ip) => ip,
            Outcome::Error((s, _)) => return Outcome::Error((s, ())),
            Outcome::Forward(s) => return Outcome::Forward(s),
        };
        match visitor.user() {
            Some(u) if is_admin(&visitor, &ip, &state.settings) => {
                Outcome::Success(Admin { id: u.id, visitor })
            }
            _ => Outcome::Error((Status::Forbidden, ())),
        }
    }
}

/// The admin status page. Every text the code writes is in the reader's language (the
/// catalogue's `status-*` keys); the monitors' JSON answer of `/status` is not translated.
#[derive(Debug, serde::Serialize)]
struct StatusView<'a> {
    sync: &'a crate::health::SyncReport,
    /// Why registration is refused, one sentence per problem.
    sync_problems: Vec<String>,
    /// The sync report's findings, one line each.
    sync_details: Vec<String>,
    /// Each ready wallet's lag (the sync report's), with its verdict written out.
    lag: Vec<LagRow>,
    wallet_label: String,
    /// The wallet side as the manager answers it.
    wallet: WalletView,
    /// `wallet`'s flags written out (`true`/`false` in English, as before).
    wallet_flags: WalletFlags,
    /// One row per wallet of the manager.
    wallets: Vec<WalletRow>,
    node_count: usize,
    stale_nodes: Vec<String>,
    nodes: Vec<crate::nodes::NodeHealth>,
    /// The overall level (hcstakepool's "RPC Status") and its reasons.
    summary: hcpool_core::status::Summary,
    /// `summary.reasons`, written out.
    reasons: Vec<String>,
    /// `summary.level` as hcstakepool spelt it (in English; translated otherwise).
    level: String,
    /// `summary.level` as a CSS class suffix.
    level_class: &'static str,
    demo: bool,
    csrf: &'a str,
    flash: Flashed,
}

/// `walletinfo` of the wallets and the pool's tip ([`pool_tip`]; all false and zero, with
/// the error, when either call failed).
#[derive(Debug, Default, serde::Serialize)]
struct WalletView {
    ok: bool,
    error: String,
    daemon_connected: bool,
    unlocked: bool,
    voting: bool,
    vote_version: u32,
    height: u32,
}

/// The wallet view's flags as the page writes them.
#[derive(Debug, serde::Serialize)]
struct WalletFlags {
    daemon_connected: String,
    unlocked: String,
    voting: String,
}

fn flag(lang: Lang, v: bool) -> String {
    t(
        lang,
        if v {
            "status-bool-true"
        } else {
            "status-bool-false"
        },
        &[],
    )
}

/// One ready wallet's lag on the status page.
#[derive(Debug, serde::Serialize)]
struct LagRow {
    label: String,
    height: u32,
    node_height: Option<u32>,
    lag: Lag,
    /// The verdict ("" when it keeps up).
    lagging: String,
}

/// One wallet of the manager on the status page.
#[derive(Debug, serde::Serialize)]
struct WalletRow {
    label: String,
    ready: bool,
    /// What the status summary counts (connected, hcd connected, unlocked, best block…).
    facts: hcpool_core::status::WalletFacts,
    connected_text: String,
    daemon_text: String,
    unlocked_text: String,
    /// "ready", or why not.
    state: String,
    network: String,
    hcd_api: String,
    wallet_api: String,
    voting: bool,
    voting_text: String,
    vote_version: String,
    warnings: Vec<String>,
    behind: bool,
    /// Which registered scripts it holds: "all", "behind: N scripts missing", "unknown".
    scripts: String,
}

#[rocket::get("/status")]
async fn get_status(
    admin: Option<Admin>,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let Some(Admin { visitor: v, .. }) = admin else {
        // Everyone else (monitors) gets the JSON health answer, 200 or 500.
        return Ok(Page::Health(crate::health::health(state).await));
    };
    let lang = v.lang;
    let wallets = state.pool.wallets();
    let (info, best) = (
        state.wallet_call(wallets.wallet_info()).await,
        state.wallet_call(wallets.best_block()).await,
    );
    let wallet = match (&info, &best) {
        (Ok(i), Ok(b)) => WalletView {
            ok: true,
            error: String::new(),
            daemon_connected: i.daemon_connected,
            unlocked: i.unlocked,
            voting: i.voting,
            vote_version: i.vote_version,
            height: b.height,
        },
        (Err(e), _) | (_, Err(e)) => WalletView {
            error: e.to_string(),
            ..WalletView::default()
        },
    };
    let wallet_rows = wallet_rows(state, lang).await;
    let nodes = state.pool.nodes();
    let sync = state.sync_report().await;
    let mut health = crate::nodes::health(nodes, crate::nodes::HEALTH_TIMEOUT).await;
    crate::nodes::judge_lag(
        &mut health,
        sync.node_height,
        state.settings.lag_limits.max_blocks,
    );
    let summary = summary(&wallets.label(), &wallet, &wallet_rows, &health, &sync.lag);
    let mut wallet = wallet;
    // "Chain height" is the pool's tip, as the summary counts it (the best height among
    // ready, non-lagging wallets; else hcd's tip), not whichever wallet answered first,
    // which may be the one that lags.
    wallet.height = pool_tip(&summary, &sync).unwrap_or(wallet.height);
    // The errors hcpool wrote itself (no answer in time) in the reader's language.
    for n in &mut health {
        if let Some(m) = &n.error_msg {
            n.error = m.text(lang);
        }
    }
    let view = StatusView {
        sync_problems: sync
            .problems
            .iter()
            .map(|p| t(lang, p.key(), &[]))
            .collect(),
        sync_details: sync.detail_msgs.iter().map(|m| m.text(lang)).collect(),
        lag: sync
            .lag
            .iter()
            .map(|l| LagRow {
                label: l.label.clone(),
                height: l.height,
                node_height: l.node_height,
                lag: l.lag,
                lagging: match l.lag.lagging {
                    Some(LagReason::BlocksBehind) => {
                        t(lang, "status-lag-reason-blocks-behind", &[])
                    }
                    Some(LagReason::TipTooOld) => t(lang, "status-lag-reason-tip-too-old", &[]),
                    Some(_) => t(lang, "status-lag-other", &[]),
                    None => String::new(),
                },
            })
            .collect(),
        sync: &sync,
        wallet_label: wallets.label(),
        wallet_flags: WalletFlags {
            daemon_connected: flag(lang, wallet.daemon_connected),
            unlocked: flag(lang, wallet.unlocked),
            voting: flag(lang, wallet.voting),
        },
        wallet,
        wallets: wallet_rows,
        node_count: nodes.len(),
        stale_nodes: nodes.stale(),
        nodes: health,
        level: t(lang, summary.level.key(), &[]),
        reasons: summary.reasons.iter().map(|r| r.text(lang)).collect(),
        level_class: match summary.level {
            Level::Ok => "ok",
            Level::Degraded => "degraded",
            Level::Critical => "critical",
            Level::Emergency => "emergency",
        },
        summary,
        demo: state.demo_chain.is_some(),
        csrf: &v.csrf,
        flash: Flashed::take(flash),
    };
    let status = if sync
        .problems
        .contains(&crate::health::Problem::WalletsStopped)
    {
        // As hcstakepool: 500 while the RPC side is stopped.
        Status::InternalServerError
    } else if info.is_ok() && best.is_ok() && sync.in_sync() {
        Status::Ok
    } else {
        Status::ServiceUnavailable
    };
    let html = state.render("status", &title("Status (Admin)"), &Nav::of(&v), &view)?;
    Ok(Page::Html((status, RawHtml(html))))
}

/// The pool's chain tip: the summary's (the highest best block among ready wallets, which
/// excludes lagging ones), else the highest tip the wallets' hcd nodes report.
fn pool_tip(
    summary: &hcpool_core::status::Summary,
    sync: &crate::health::SyncReport,
) -> Option<u32> {
    summary.tip.or(sync.node_height)
}

/// The page's summary ([`hcpool_core::status::summarize`]): the manager's wallets, or
/// without a manager the one wallet of `wallet`, and every voting node.
fn summary(
    label: &str,
    wallet: &WalletView,
    rows: &[WalletRow],
    nodes: &[crate::nodes::NodeHealth],
    lag: &[hcpool_core::backend::health::WalletLag],
) -> hcpool_core::status::Summary {
    let facts: Vec<WalletFacts> = if rows.is_empty() {
        vec![if wallet.ok {
            WalletFacts {
                label: label.to_owned(),
                connected: true,
                daemon_connected: Some(wallet.daemon_connected),
                unlocked: Some(wallet.unlocked),
                voting: Some(wallet.voting),
                vote_version: Some(wallet.vote_version),
                best_block: Some(wallet.height),
                error: None,
                lagging: None,
            }
        } else {
            WalletFacts {
                error: Some(wallet.error.clone()),
                ..WalletFacts::unreachable(label)
            }
        }]
    } else {
        rows.iter().map(|r| r.facts.clone()).collect()
    };
    // The sync report's lag verdicts (`maxtiplag`, `maxtipage`), by wallet label.
    let facts: Vec<WalletFacts> = facts
        .into_iter()
        .map(|mut f| {
            f.lagging = lag
                .iter()
                .find(|l| l.label == f.label)
                .and_then(|l| Some((l.lag.lagging?, l)))
                .map(|(reason, l)| match reason {
                    LagReason::BlocksBehind => {
                        Msg::new("status-lag-blocks").arg("height", l.height).arg(
                            "node",
                            l.node_height
                                .map_or_else(|| "?".to_owned(), |h| h.to_string()),
                        )
                    }
                    LagReason::TipTooOld => Msg::new("status-lag-tip-age")
                        .arg("secs", l.lag.tip_age_secs.unwrap_or_default()),
                    _ => Msg::new("status-lag-other"),
                });
            f
        })
        .collect();
    let nodes: Vec<NodeFacts> = nodes
        .iter()
        .map(|n| NodeFacts {
            label: n.label.clone(),
            serving: n.ok,
            lagging: n.lag.reason(),
        })
        .collect();
    hcpool_core::status::summarize(&facts, &nodes)
}

/// One row per wallet of the manager (none without one): its state from a fresh
/// `walletinfo` and `getbestblock`, the network, API versions and warnings of its connect check, and the
/// registered scripts it lacks (a wallet that missed an `importscript` is behind until the
/// manager's catch-up imports them). The texts are in `lang`.
async fn wallet_rows(state: &AppState, lang: Lang) -> Vec<WalletRow> {
    let Some(m) = state.manager() else {
        return Vec::new();
    };
    // `chain_tips` asks `walletinfo` (recorded in the status) and `getbestblock` of each.
    let tips = tokio::time::timeout(crate::nodes::HEALTH_TIMEOUT, m.chain_tips())
        .await
        .unwrap_or_default();
    let status = m.status();
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| t(lang, "status-unknown", &[]));
    status
        .wallets
        .iter()
        .enumerate()
        .map(|(i, w)| WalletRow {
            label: w.label.clone(),
            ready: w.is_ready(),
            facts: WalletFacts {
                label: w.label.clone(),
                connected: w.connected,
                daemon_connected: w.daemon_connected,
                unlocked: w.unlocked,
                voting: w.voting,
                vote_version: w.vote_version,
                best_block: tips.get(i).and_then(|t| t.height),
                error: w.last_error.clone(),
                lagging: None,
            },
            connected_text: yes_no(lang, Some(w.connected)),
            daemon_text: yes_no(lang, w.daemon_connected),
            unlocked_text: yes_no(lang, w.unlocked),
            state: if w.is_ready() {
                t(lang, "status-ready", &[])
            } else {
                // The wallet's own error is shown as it is.
                w.last_error
                    .clone()
                    .unwrap_or_else(|| t(lang, "status-not-ready", &[]))
            },
            network: text(&w.network),
            hcd_api: text(&w.hcd_api),
            wallet_api: text(&w.wallet_api),
            voting: w.voting == Some(true),
            voting_text: yes_no(lang, w.voting),
            vote_version: w.vote_version.map(|v| v.to_string()).unwrap_or_default(),
            warnings: w.warnings.clone(),
            behind: w.is_behind(),
            scripts: match w.scripts_missing {
                None => t(lang, "status-unknown", &[]),
                Some(0) => t(lang, "status-scripts-all", &[]),
                Some(1) => t(lang, "status-scripts-behind-one", &[]),
                Some(n) => t(lang, "status-scripts-behind", &[("count", &n.to_string())]),
            },
        })
        .collect()
}

fn yes_no(lang: Lang, v: Option<bool>) -> String {
    let key = match v {
        Some(true) => "status-yes",
        Some(false) => "status-no",
        None => "status-unknown",
    };
    t(lang, key, &[])
}

/// The demo's "mine a block" control: admin only, and only in the demo (404 otherwise).
#[rocket::post("/status/mine", data = "<_csrf>")]
fn post_mine(
    admin: Option<Admin>,
    _csrf: Checked<super::CsrfOnly>,
    state: &State<AppState>,
) -> Page {
    let Some(chain) = &state.demo_chain else {
        return Page::Text((Status::NotFound, "Not Found"));
    };
    let Some(admin) = admin else {
        return Page::Text((Status::Forbidden, "Forbidden"));
    };
    let lang = admin.visitor.lang;
    let to = Redirect::to("/status");
    match chain.mine_block() {
        Ok(height) => {
            state.forget_chain_caches();
            tracing::info!(height, "demo: block mined by an admin");
            let msg = t(lang, "msg-mined-block", &[("height", &height.to_string())]);
            Page::Flash(Flash::success(to, msg))
        }
        Err(e) => Page::Flash(Flash::error(
            to,
            t(lang, "msg-mining-failed", &[("error", e.as_str())]),
        )),
    }
}

pub(super) fn routes() -> Vec<Route> {
    rocket::routes![get_status, post_mine]
}

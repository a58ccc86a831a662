//! The tickets page (inventory §3.4): the user's tickets by status, from the wallets.

use hcpool_core::backend::{TicketStatus, UserTicket};
use hcpool_core::Network;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::Redirect;
use rocket::{Route, State};
use serde::Serialize;

use super::{title, Nav, Page};
use crate::error::WebError;
use crate::session::Visitor;
use crate::state::AppState;

/// At most this many tickets per list are rendered (the counts are always complete).
pub const MAX_LISTED: usize = 500;

#[derive(Debug, Serialize)]
struct Row {
    ticket: String,
    ticket_height: u32,
    spent_by: String,
    spent_by_height: u32,
}

impl From<&UserTicket> for Row {
    fn from(t: &UserTicket) -> Self {
        Row {
            ticket: t.ticket.to_string(),
            ticket_height: t.ticket_height,
            spent_by: t.spent_by.to_string(),
            spent_by_height: t.spent_by_height,
        }
    }
}

#[derive(Debug, Serialize)]
struct List {
    count: usize,
    rows: Vec<Row>,
    truncated: bool,
}

fn list<'a>(tickets: impl Iterator<Item = &'a UserTicket>, by_spent_height: bool) -> List {
    let mut v: Vec<&UserTicket> = tickets.collect();
    if by_spent_height {
        v.sort_by_key(|t| t.spent_by_height);
    }
    List {
        count: v.len(),
        truncated: v.len() > MAX_LISTED,
        rows: v.into_iter().take(MAX_LISTED).map(Row::from).collect(),
    }
}

fn explorer(network: Network) -> &'static str {
    match network {
        Network::Testnet => "https://testnet-explorer.h.cash/explorer/tx/",
        _ => "https://hc-explorer.h.cash/explorer/tx/",
    }
}

#[rocket::get("/tickets")]
async fn get_tickets(v: Visitor, state: &State<AppState>) -> Result<Page, WebError> {
    let Some(user) = v.user() else {
        return Ok(Page::sign_in_first());
    };
    let Some(reg) = &user.registration else {
        return Ok(Page::Redirect(Redirect::to("/address")));
    };
    let nav = Nav::of(&v);
    let wallets = state.pool.wallets();
    let fetched = async {
        let info = wallets.stake_pool_user_info(&reg.multisig_address).await?;
        let best = wallets.best_block().await?;
        Ok::<_, hcpool_core::Error>((info, best))
    }
    .await;
    let (info, best) = match fetched {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(user = user.id.0, error = %e, "tickets unavailable");
            let html = state.render("error", &title("Error"), &nav, &serde_json::json!({}))?;
            return Ok(Page::Html((Status::ServiceUnavailable, RawHtml(html))));
        }
    };
    let min_voted = i64::from(best.height) - state.settings.max_voted_age;
    let with = |s: TicketStatus| {
        let s2 = s.clone();
        info.tickets.iter().filter(move |t| t.status == s2)
    };
    let voted_all = with(TicketStatus::Voted).count();
    let voted = list(
        with(TicketStatus::Voted).filter(|t| i64::from(t.spent_by_height) >= min_voted),
        true,
    );
    let invalid: Vec<String> = info.invalid.iter().map(ToString::to_string).collect();
    let ctx = serde_json::json!({
        "explorer": explorer(state.settings.network),
        "ticket_address": reg.multisig_address.to_string(),
        "script": reg.multisig_script.to_hex(),
        "live": list(with(TicketStatus::Live), false),
        "voted": voted,
        "voted_total": voted_all,
        "voted_archived": voted_all.saturating_sub(voted.count),
        "missed": list(with(TicketStatus::Missed), true),
        "expired": list(with(TicketStatus::Expired), false),
        "invalid": invalid,
    });
    Ok(Page::ok(state.render(
        "tickets",
        &title("Tickets"),
        &nav,
        &ctx,
    )?))
}

pub(super) fn routes() -> Vec<Route> {
    rocket::routes![get_tickets]
}

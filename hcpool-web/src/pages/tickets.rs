//! The tickets page (inventory §3.4): the user's tickets by status, from the wallets.
//!
//! Each list is paginated on its own (`?live=2&voted=1…`, [`PAGE_SIZE`] rows a page), so a
//! user with tens of thousands of tickets gets a page of the same size as one with ten;
//! the counts are always complete.

use hcpool_core::backend::{TicketStatus, UserTicket};
use hcpool_core::Network;
use hcpool_i18n::t;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State};
use serde::Serialize;

use super::{title, Flashed, Nav, Page};
use crate::error::WebError;
use crate::session::{Checked, SignedIn, Visitor};
use crate::state::AppState;

/// Rows per page of each list.
pub const PAGE_SIZE: usize = 100;

/// The page asked of each list (1-based; absent, zero or past the end = clamped).
#[derive(Debug, Clone, Copy, Default, FromForm)]
pub struct Pages {
    live: Option<usize>,
    voted: Option<usize>,
    missed: Option<usize>,
    expired: Option<usize>,
    invalid: Option<usize>,
}

impl Pages {
    /// The query parsed from `query` and each list's link (see
    /// [`super::fuzz_form_body`]).
    pub(super) fn fuzz_form(query: &str) {
        if let Ok(p) = rocket::form::Form::<Pages>::parse(query) {
            for which in ["live", "voted", "missed", "expired", "invalid"] {
                let _ = p.link(which, 2);
            }
        }
    }

    fn link(&self, which: &str, page: usize) -> String {
        let mut p = *self;
        let slot = match which {
            "live" => &mut p.live,
            "voted" => &mut p.voted,
            "missed" => &mut p.missed,
            "expired" => &mut p.expired,
            _ => &mut p.invalid,
        };
        *slot = Some(page);
        let parts: Vec<String> = [
            ("live", p.live),
            ("voted", p.voted),
            ("missed", p.missed),
            ("expired", p.expired),
            ("invalid", p.invalid),
        ]
        .iter()
        .filter_map(|(k, v)| v.filter(|n| *n > 1).map(|n| format!("{k}={n}")))
        .collect();
        if parts.is_empty() {
            "/tickets".into()
        } else {
            format!("/tickets?{}", parts.join("&"))
        }
    }
}

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

/// Where a list's page sits among its pages.
#[derive(Debug, Serialize)]
struct Pager {
    /// More than one page.
    paged: bool,
    page: usize,
    pages: usize,
    /// Link to the previous page ("" on the first).
    prev: String,
    /// Link to the next page ("" on the last).
    next: String,
}

#[derive(Debug, Serialize)]
struct List<T> {
    count: usize,
    rows: Vec<T>,
    pager: Pager,
}

/// Page `asked` of `v` (clamped to the pages there are).
fn paginate<T, R>(
    v: Vec<T>,
    which: &str,
    asked: Option<usize>,
    all: &Pages,
    row: impl Fn(T) -> R,
) -> List<R> {
    let count = v.len();
    let pages = count.div_ceil(PAGE_SIZE).max(1);
    let page = asked.unwrap_or(1).clamp(1, pages);
    let rows = v
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(row)
        .collect();
    let link = |n: usize| all.link(which, n);
    List {
        count,
        rows,
        pager: Pager {
            paged: pages > 1,
            page,
            pages,
            prev: if page > 1 {
                link(page - 1)
            } else {
                String::new()
            },
            next: if page < pages {
                link(page + 1)
            } else {
                String::new()
            },
        },
    }
}

fn list<'a>(
    tickets: impl Iterator<Item = &'a UserTicket>,
    by_spent_height: bool,
    which: &str,
    pages: &Pages,
) -> List<Row> {
    let mut v: Vec<&UserTicket> = tickets.collect();
    // As the original: voted and missed ascending by spent height, the others in wallet order.
    if by_spent_height {
        v.sort_by_key(|t| t.spent_by_height);
    }
    let asked = match which {
        "live" => pages.live,
        "voted" => pages.voted,
        "missed" => pages.missed,
        _ => pages.expired,
    };
    paginate(v, which, asked, pages, Row::from)
}

fn explorer(network: Network) -> &'static str {
    match network {
        Network::Testnet => "https://testnet-explorer.h.cash/explorer/tx/",
        _ => "https://hc-explorer.h.cash/explorer/tx/",
    }
}

/// The tickets page: the registration's addresses and one paginated list per status.
#[derive(Debug, Serialize)]
struct TicketsView<'a> {
    /// Where a ticket hash links to.
    explorer: &'static str,
    ticket_address: String,
    script: String,
    fee_address: String,
    /// `poolfees`, percent.
    pool_fees: f64,
    live: List<Row>,
    /// Voted within `maxvotedage` blocks.
    voted: List<Row>,
    /// All voted tickets, and those older than `maxvotedage` (not listed).
    voted_total: usize,
    voted_archived: usize,
    missed: List<Row>,
    expired: List<Row>,
    /// Tickets to the user's address that are not the pool's (hashes only).
    invalid: List<String>,
    /// The user's history charts ([`crate::history::user_charts`]).
    charts: Vec<crate::history::ChartView>,
    /// The pool's vote record key (the download link is shown with it); `None`: the pool
    /// signs no records.
    vote_record_key: Option<String>,
    /// The demo's "buy a ticket" control is shown.
    demo: bool,
    csrf: &'a str,
    flash: Flashed,
}

#[rocket::get("/tickets?<pages..>")]
async fn get_tickets(
    me: SignedIn,
    pages: Pages,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let (user, v) = (&me.user, &me.visitor);
    let Some(reg) = &user.registration else {
        return Ok(Page::Redirect(Redirect::to("/address")));
    };
    let nav = Nav::of(v);
    let (best, info) = match state.user_tickets(&reg.multisig_address).await {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(user = user.id.0, error = %e, "tickets unavailable");
            return super::error_page(state, &nav, Status::ServiceUnavailable);
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
        "voted",
        &pages,
    );
    let invalid = paginate(
        info.invalid.iter().collect(),
        "invalid",
        pages.invalid,
        &pages,
        ToString::to_string,
    );
    let voted_archived = voted_all.saturating_sub(voted.count);
    let view = TicketsView {
        explorer: explorer(state.settings.network),
        ticket_address: reg.multisig_address.to_string(),
        script: reg.multisig_script.to_hex(),
        fee_address: reg.user_fee_addr.to_string(),
        pool_fees: state.settings.pool_fees,
        live: list(with(TicketStatus::Live), false, "live", &pages),
        voted,
        voted_total: voted_all,
        voted_archived,
        missed: list(with(TicketStatus::Missed), true, "missed", &pages),
        expired: list(with(TicketStatus::Expired), false, "expired", &pages),
        invalid,
        charts: crate::history::localized(
            &crate::history::user_charts(
                &info.tickets,
                best.height,
                state.now(),
                state.settings.network.params().target_time_per_block_secs,
            ),
            v.lang,
        ),
        vote_record_key: state
            .vote_record_key
            .as_ref()
            .map(|k| k.public().to_string()),
        demo: state.demo_chain.is_some(),
        csrf: &v.csrf,
        flash: Flashed::take(flash),
    };
    Ok(Page::ok(state.render(
        "tickets",
        &title("Tickets"),
        &nav,
        &view,
    )?))
}

/// The demo's "buy a ticket" control: the signed-in user's own (simulated) wallet buys a
/// ticket for their multisig address. Only in the demo (404 otherwise).
#[rocket::post("/tickets/demobuy", data = "<_csrf>")]
fn post_demo_buy(v: Visitor, _csrf: Checked<super::CsrfOnly>, state: &State<AppState>) -> Page {
    let Some(chain) = &state.demo_chain else {
        return Page::Text((Status::NotFound, "Not Found"));
    };
    let Some(user) = v.user() else {
        return Page::sign_in_first();
    };
    let Some(reg) = &user.registration else {
        return Page::Redirect(Redirect::to("/address"));
    };
    let to = Redirect::to("/tickets");
    let lang = v.lang;
    let Ok(index) = u32::try_from(user.id.0) else {
        return Page::Flash(Flash::error(to, t(lang, "msg-demo-user-id", &[])));
    };
    match chain.buy_ticket(&reg.multisig_address.to_string(), index) {
        Ok(ticket) => {
            tracing::info!(user = user.id.0, %ticket, "demo: ticket bought");
            Page::Flash(Flash::success(
                to,
                t(lang, "msg-demo-bought", &[("ticket", ticket.as_str())]),
            ))
        }
        Err(e) => Page::Flash(Flash::error(
            to,
            t(lang, "msg-demo-buy-failed", &[("error", e.as_str())]),
        )),
    }
}

/// The signed-in user's vote records as a JSON file (the `data` of `GET /api/v2/voterecords`).
#[derive(Debug, rocket::Responder)]
#[response(content_type = "json")]
struct Download {
    body: String,
    disposition: rocket::http::Header<'static>,
}

#[rocket::get("/tickets/voterecords.json")]
async fn get_vote_records(me: SignedIn, state: &State<AppState>) -> Result<Download, Page> {
    let user = &me.user;
    let Some(key) = state.vote_record_key.clone() else {
        return Err(Page::Text((Status::NotFound, "Not Found")));
    };
    let records = crate::voterecords::of_user(state, &key, user).await;
    let error = |status| {
        super::error_page(state, &Nav::of(&me.visitor), status)
            .unwrap_or(Page::Text((status, "Error")))
    };
    let records = match records {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(user = user.id.0, error = %e, "vote records unavailable");
            return Err(error(Status::ServiceUnavailable));
        }
    };
    let body =
        serde_json::to_string_pretty(&records).map_err(|_| error(Status::InternalServerError))?;
    Ok(Download {
        body,
        disposition: rocket::http::Header::new(
            "Content-Disposition",
            "attachment; filename=\"hcpool-vote-records.json\"",
        ),
    })
}

pub(super) fn routes() -> Vec<Route> {
    rocket::routes![get_tickets, post_demo_buy, get_vote_records]
}

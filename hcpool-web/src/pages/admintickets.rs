//! Admin low-fee tickets (inventory §3.12): tickets the voting nodes ignore because they did
//! not pay the pool fee, and the ones an admin added for voting anyway.
//!
//! Unlike the original, adding is all or none and skips tickets already added, removing
//! takes any number of tickets (no SQL built from the form), and every message is shown.

use hcpool_core::backend::TicketEntry;
use hcpool_core::{TicketHash, UserId};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State};

use hcpool_i18n::{Lang, Msg};

use super::admin::Admin;
use super::{title, Flashed, Nav, Page};
use crate::error::WebError;
use crate::session::{csrf_field, Checked};
use crate::state::AppState;

/// The ignored list of the first node that answers (as the original); else why not, as
/// the original said it ("GetIgnoredLowFeeTickets error: " and the last node's error, shown
/// as it is).
async fn ignored(state: &AppState) -> Result<Vec<TicketEntry>, Msg> {
    let mut last = Msg::new("msg-lowfee-no-nodes");
    for node in state.pool.nodes().nodes() {
        match node.ignored_low_fee_tickets().await {
            Ok(t) => return Ok(t),
            Err(e) => last = Msg::new("msg-raw").arg("text", e),
        }
    }
    Err(Msg::new("msg-lowfee-list-failed").arg_msg("error", last))
}

/// The admin's low-fee tickets page.
#[derive(Debug, serde::Serialize)]
struct AdminTicketsView<'a> {
    csrf: &'a str,
    flash: Flashed,
    /// The ignored list of the first voting node that answers.
    ignored: Vec<LowFeeRow>,
    /// Why there is no ignored list ("" when there is one).
    ignored_error: String,
    ignored_count: usize,
    added_count: usize,
    /// Tickets added for voting anyway.
    added: Vec<LowFeeRow>,
}

/// One low-fee ticket and its ticket address.
#[derive(Debug, serde::Serialize)]
struct LowFeeRow {
    ticket: String,
    address: String,
}

#[rocket::get("/admintickets")]
async fn get_admintickets(
    admin: Admin,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let v = admin.visitor;
    let added = state.pool.added_low_fee_tickets().await?;
    let (ignored, ignored_error) = match ignored(state).await {
        Ok(mut t) => {
            t.sort_by_key(|e| e.ticket_hash.to_string());
            (t, String::new())
        }
        Err(e) => (Vec::new(), e.text(v.lang)),
    };
    let row = |hash: &TicketHash, address: &str| LowFeeRow {
        ticket: hash.to_string(),
        address: address.to_owned(),
    };
    let view = AdminTicketsView {
        csrf: &v.csrf,
        flash: Flashed::take(flash),
        ignored: ignored
            .iter()
            .map(|t| row(&t.ticket_hash, &t.ticket_address))
            .collect(),
        ignored_error,
        ignored_count: ignored.len(),
        added_count: added.len(),
        added: added
            .iter()
            .map(|t| row(&t.ticket_hash, &t.ticket_address.to_string()))
            .collect(),
    };
    let html = state.render(
        "admintickets",
        &title("Low Fee Tickets (Admin)"),
        &Nav::of(&v),
        &view,
    )?;
    Ok(Page::Html((Status::Ok, RawHtml(html))))
}

#[derive(Debug, FromForm)]
struct TicketsForm {
    csrf_token: String,
    action: String,
    /// `tickets[]` (hcstakepool's name, this page's) or `tickets`, repeated.
    #[field(name = "tickets")]
    tickets: Repeated,
}

/// Every value of a repeated field, whatever follows its name: `tickets[]=a&tickets[]=b`
/// (hcstakepool's checkboxes), `tickets=a&tickets=b`, and the brackets percent-encoded as
/// browsers send them (`tickets%5B%5D=a&tickets%5B%5D=b`) all give `[a, b]`. (Rocket's own
/// `Vec<String>` read that last, browser form as an empty list.)
#[derive(Debug, Default)]
struct Repeated(Vec<String>);

impl std::ops::Deref for Repeated {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.0
    }
}

#[rocket::async_trait]
impl<'v> FromForm<'v> for Repeated {
    type Context = Vec<String>;

    fn init(_: rocket::form::Options) -> Vec<String> {
        Vec::new()
    }

    fn push_value(ctxt: &mut Vec<String>, field: rocket::form::ValueField<'v>) {
        ctxt.push(field.value.to_owned());
    }

    async fn push_data(_: &mut Vec<String>, _: rocket::form::DataField<'v, '_>) {}

    fn finalize(ctxt: Vec<String>) -> rocket::form::Result<'v, Self> {
        Ok(Repeated(ctxt))
    }
}
csrf_field!(TicketsForm);

fn parse_hashes(v: &[String]) -> Result<Vec<TicketHash>, Msg> {
    v.iter()
        .map(|h| {
            h.trim().parse::<TicketHash>().map_err(|e| {
                Msg::new("msg-lowfee-bad-hash")
                    .arg("hash", h.trim())
                    .arg("error", e)
            })
        })
        .collect()
}

async fn add(state: &AppState, admin: UserId, submitted: &[String]) -> Result<Msg, Msg> {
    let hashes = parse_hashes(submitted)?;
    let ignored = ignored(state).await?;
    let mut entries = Vec::with_capacity(hashes.len());
    for h in hashes {
        let entry = ignored
            .iter()
            .find(|t| t.ticket_hash == h)
            .ok_or_else(|| Msg::new("msg-lowfee-gone").arg("ticket", h))?;
        entries.push(entry.clone());
    }
    match state.pool.add_low_fee_tickets(admin, &entries).await {
        Ok(n) => Ok(Msg::new("msg-lowfee-added").arg("count", n)),
        // A node listed a ticket whose address is not one of the pool's network: the
        // service's own words (they name the ticket, the address and the parse error).
        Err(hcpool_core::Error::InvalidInput(msg)) => Err(Msg::new("msg-raw").arg("text", msg)),
        Err(e) => {
            tracing::warn!(error = %e, "adding low-fee tickets failed");
            Err(Msg::new("msg-lowfee-add-failed"))
        }
    }
}

async fn remove(state: &AppState, submitted: &[String]) -> Result<Msg, Msg> {
    let hashes = parse_hashes(submitted)?;
    match state.pool.remove_low_fee_tickets(&hashes).await {
        Ok(n) => Ok(Msg::new("msg-lowfee-removed").arg("count", n)),
        Err(e) => {
            tracing::warn!(error = %e, "removing low-fee tickets failed");
            Err(Msg::new("msg-lowfee-remove-failed"))
        }
    }
}

#[rocket::post("/admintickets", data = "<form>")]
async fn post_admintickets(
    admin: Option<Admin>,
    form: Checked<TicketsForm>,
    state: &State<AppState>,
) -> Page {
    // `Option`: the form's own checks (request guards run before it) come first.
    let Some(Admin {
        id: admin, visitor, ..
    }) = admin
    else {
        return Page::Text((Status::Forbidden, "Forbidden"));
    };
    // The flash is written in the language of the request that asked (the page's).
    let lang: Lang = visitor.lang;
    let to = || Redirect::to("/admintickets");
    let outcome = if form.tickets.is_empty() {
        Err(Msg::new("msg-lowfee-none-selected"))
    } else {
        match form.action.as_str() {
            "Add" => add(state, admin, &form.tickets).await,
            "Remove" => remove(state, &form.tickets).await,
            _ => Err(Msg::new("msg-lowfee-bad-action")),
        }
    };
    match outcome {
        Ok(msg) => Page::Flash(Flash::success(to(), msg.text(lang))),
        Err(msg) => Page::Flash(Flash::error(to(), msg.text(lang))),
    }
}

/// The form of this module parsed from `body`, with the handler's checks that need no
/// state (see [`super::fuzz_form_body`]).
pub(super) fn fuzz_form(body: &str) {
    if let Ok(f) = rocket::form::Form::<TicketsForm>::parse(body) {
        if !f.tickets.is_empty() && matches!(f.action.as_str(), "Add" | "Remove") {
            let _ = parse_hashes(&f.tickets);
        }
        let _ = f.csrf_token.len();
    }
}

pub(super) fn routes() -> Vec<Route> {
    rocket::routes![get_admintickets, post_admintickets]
}

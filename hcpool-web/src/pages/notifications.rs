//! Vote notifications (issue 16 row 5): the page where a signed-in user chooses which ticket
//! events are mailed and how (`/notifications`), and the one-click unsubscribe link every
//! notification mail carries (`/unsubscribe?t=…`), which works without signing in: `GET`
//! shows a button, `POST` (the button, or a mail client's RFC 8058 one-click request) turns
//! every event off. The rules are the core's ([`hcpool_core::notify`],
//! [`hcpool_core::service::NotifyService`]).

use hcpool_core::notify::NotifyMode;
use hcpool_core::service::NotifyChoice;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State};

use super::{title, Flashed, Nav, Page};
use crate::error::WebError;
use crate::session::{csrf_field, SignedIn, SignedInForm, Visitor};
use crate::state::AppState;

/// The language a request asks for, as the pages choose it ([`crate::lang::request_lang`]:
/// the `lang` cookie, else `Accept-Language`, else `en`). Stored
/// with the preferences so mails can be written in it.
#[derive(Debug, Clone)]
pub struct RequestLang(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RequestLang {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let tag = crate::lang::request_lang(req).tag();
        Outcome::Success(RequestLang(hcpool_core::notify::clean_lang(tag)))
    }
}

#[derive(Debug, FromForm)]
struct NotifyForm {
    on_vote: bool,
    on_miss: bool,
    on_revoke: bool,
    mode: String,
    csrf_token: String,
}
csrf_field!(NotifyForm);

/// The notifications page's view model.
#[derive(Debug, serde::Serialize)]
struct NotificationsView<'a> {
    csrf: &'a str,
    flash: Flashed,
    on_vote: bool,
    on_miss: bool,
    on_revoke: bool,
    daily: bool,
    /// Nothing is chosen: the page says notifications are off.
    off: bool,
    /// No address yet: there are no tickets to tell about.
    no_address: bool,
    smtp_missing: bool,
}

#[rocket::get("/notifications")]
async fn get_notifications(
    me: SignedIn,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let p = state.notify.prefs(me.user.id).await?;
    let view = NotificationsView {
        csrf: &me.visitor.csrf,
        flash: Flashed::take(flash),
        on_vote: p.on_vote,
        on_miss: p.on_miss,
        on_revoke: p.on_revoke,
        daily: p.mode == NotifyMode::Daily,
        off: !p.any(),
        no_address: me.user.registration.is_none(),
        smtp_missing: !state.settings.smtp_configured,
    };
    Ok(Page::ok(state.render(
        "notifications",
        &title("Notifications"),
        &Nav::of(&me.visitor),
        &view,
    )?))
}

#[rocket::post("/notifications", data = "<form>")]
async fn post_notifications(
    form: SignedInForm<NotifyForm>,
    lang: RequestLang,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let to = || Redirect::to("/notifications");
    let f = &form.form;
    let Some(mode) = NotifyMode::parse(f.mode.trim()) else {
        return Ok(Page::Flash(Flash::error(to(), "Choose per event or daily")));
    };
    // The baseline: nothing that ended before now is mailed.
    let tip = match state.wallet_call(state.pool.wallets().best_block()).await {
        Ok(t) => t.height,
        Err(e) => {
            tracing::warn!(error = %e, "notifications: no chain tip");
            return Ok(Page::Flash(Flash::error(
                to(),
                "The pool's wallets did not answer; nothing was changed. Please try again.",
            )));
        }
    };
    let choice = NotifyChoice {
        on_vote: f.on_vote,
        on_miss: f.on_miss,
        on_revoke: f.on_revoke,
        mode,
        lang: lang.0,
    };
    let saved = state.notify.save(form.me.user.id, choice, tip).await?;
    let msg = if saved.any() {
        "Notification settings saved"
    } else {
        "Notifications are off"
    };
    Ok(Page::Flash(Flash::success(to(), msg)))
}

/// The unsubscribe page's view model. The page never names the account.
#[derive(Debug, serde::Serialize)]
struct UnsubscribeView<'a> {
    /// The token, only when valid (for the button's form).
    token: &'a str,
    valid: bool,
    done: bool,
}

fn unsubscribe_page(
    state: &AppState,
    v: &Visitor,
    status: Status,
    view: &UnsubscribeView<'_>,
) -> Result<Page, WebError> {
    let html = state.render("unsubscribe", &title("Unsubscribe"), &Nav::of(v), view)?;
    Ok(Page::Html((status, RawHtml(html))))
}

#[rocket::get("/unsubscribe?<t>")]
fn get_unsubscribe(t: Option<&str>, v: Visitor, state: &State<AppState>) -> Result<Page, WebError> {
    let token = t.unwrap_or("").trim();
    let valid = state.notify.token_valid(token);
    let view = UnsubscribeView {
        token: if valid { token } else { "" },
        valid,
        done: false,
    };
    let status = if valid {
        Status::Ok
    } else {
        Status::BadRequest
    };
    unsubscribe_page(state, &v, status, &view)
}

/// The body of an unsubscribe post: RFC 8058's `List-Unsubscribe=One-Click` (the page's
/// button sends the same), urlencoded or multipart like any form; its value is not checked.
#[derive(Debug, FromForm)]
struct OneClick {
    #[field(name = "List-Unsubscribe")]
    one_click: Option<String>,
}

/// The button's post and a mail client's one-click post (RFC 8058: body
/// `List-Unsubscribe=One-Click`, no cookies). The token is the authority, so no CSRF token
/// is asked for.
#[rocket::post("/unsubscribe?<t>", data = "<form>")]
async fn post_unsubscribe(
    t: Option<&str>,
    form: rocket::form::Form<OneClick>,
    v: Visitor,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let token = t.unwrap_or("").trim();
    let _ = form.one_click.as_deref();
    let done = state.notify.unsubscribe(token).await?;
    let view = UnsubscribeView {
        token: "",
        valid: done,
        done,
    };
    let status = if done { Status::Ok } else { Status::BadRequest };
    unsubscribe_page(state, &v, status, &view)
}

/// The forms of this module parsed from `body`, with their handlers' checks that need no
/// state (see [`super::fuzz_form_body`]).
pub(super) fn fuzz_form(body: &str) {
    if let Ok(f) = rocket::form::Form::<OneClick>::parse(body) {
        let _ = f.one_click.map(|v| v.len());
    }
    if let Ok(f) = rocket::form::Form::<NotifyForm>::parse(body) {
        let _ = (
            NotifyMode::parse(f.mode.trim()),
            f.on_vote || f.on_miss || f.on_revoke,
            f.csrf_token.len(),
        );
    }
}

pub(super) fn routes() -> Vec<Route> {
    rocket::routes![
        get_notifications,
        post_notifications,
        get_unsubscribe,
        post_unsubscribe
    ]
}

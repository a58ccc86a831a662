//! Password reset request and update (inventory §3.10, §3.11), single-use expiring tokens.

use rocket::form::FromForm;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State};

use super::{title, Flashed, Nav, Page};
use crate::auth;
use crate::error::WebError;
use crate::lang::ReqLang;
use crate::limit::ClientIp;
use crate::session::{csrf_field, Checked, Visitor};
use crate::state::AppState;
use hcpool_i18n::t;

#[derive(Debug, FromForm)]
struct ResetForm {
    email: String,
    csrf_token: String,
}

#[derive(Debug, FromForm)]
struct UpdateForm {
    password: String,
    passwordrepeat: String,
    csrf_token: String,
}
csrf_field!(ResetForm, UpdateForm);

#[rocket::get("/passwordreset")]
fn get_reset(
    v: Visitor,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    super::mail_form_page(&v, flash, state, "passwordreset", "Password Reset")
}

#[rocket::post("/passwordreset", data = "<form>")]
async fn post_reset(
    ip: ClientIp,
    lang: ReqLang,
    form: Checked<ResetForm>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    if !state.auth_limiter.allow(&ip.0) {
        return Ok(Page::rate_limited());
    }
    let email = form.email.trim();
    // One outbox row for any address: the sender makes the token and mails it only to an
    // account's address. The same work and answer for known and unknown addresses, and no
    // SMTP in the request.
    state
        .accounts
        .request_password_reset(email, &ip.0, lang.0)
        .await?;
    Ok(Page::Flash(Flash::success(
        Redirect::to("/passwordreset"),
        t(lang.0, "msg-reset-sent", &[("email", email)]),
    )))
}

/// Tokens are hex; anything else is dropped so it can never reach a redirect URI.
fn clean(t: Option<&str>) -> String {
    t.unwrap_or("")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(128)
        .collect()
}

/// Why a token is unusable (the text to show), or `None` when it is valid now.
async fn token_problem(state: &AppState, t: &str) -> Result<Option<String>, WebError> {
    match state.accounts.check_reset_token(t).await {
        Ok(()) => Ok(None),
        Err(e) => super::refusal_text(e).map(Some),
    }
}

/// The password update page's view model.
#[derive(Debug, serde::Serialize)]
struct UpdateView<'a> {
    csrf: &'a str,
    token: &'a str,
    /// Why the token cannot be used ("" when it can).
    problem: String,
    flash: Flashed,
}

fn update_page(
    state: &AppState,
    v: &Visitor,
    t: &str,
    problem: Option<String>,
    flash: Flashed,
) -> Result<Page, WebError> {
    let ctx = UpdateView {
        csrf: &v.csrf,
        token: t,
        problem: problem.unwrap_or_default(),
        flash,
    };
    Ok(Page::ok(state.render(
        "passwordupdate",
        &title("Password Update"),
        &Nav::of(v),
        &ctx,
    )?))
}

#[rocket::get("/passwordupdate?<t>")]
async fn get_update(
    v: Visitor,
    t: Option<&str>,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let t = clean(t);
    let t = t.as_str();
    let flash = Flashed::take(flash);
    // After a successful update the token is gone; show the success, not "not valid".
    let problem = if flash.success.is_empty() {
        token_problem(state, t).await?
    } else {
        None
    };
    update_page(state, &v, t, problem, flash)
}

#[rocket::post("/passwordupdate?<t>", data = "<form>")]
async fn post_update(
    t: Option<&str>,
    form: Checked<UpdateForm>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let t = clean(t);
    let t = t.as_str();
    let back = |kind: &str, msg: &str| {
        let to = Redirect::to(format!("/passwordupdate?t={t}"));
        Page::Flash(if kind == "success" {
            Flash::success(to, msg.to_owned())
        } else {
            Flash::error(to, msg.to_owned())
        })
    };
    // Consumes every reset token of the user, ends their sessions, drops pending email
    // changes and the API token, atomically; a new API token follows.
    match state
        .accounts
        .reset_password(t, &form.password, &form.passwordrepeat)
        .await
    {
        Ok(_) => Ok(back("success", "Password successfully updated")),
        Err(e) => Ok(back("error", &super::refusal_text(e)?)),
    }
}

/// The forms of this module parsed from `body`, with their handlers' checks that need no
/// state (see [`super::fuzz_form_body`]).
pub(super) fn fuzz_form(body: &str) {
    if let Ok(f) = rocket::form::Form::<ResetForm>::parse(body) {
        let _ = (f.email.trim(), f.csrf_token.len());
    }
    if let Ok(f) = rocket::form::Form::<UpdateForm>::parse(body) {
        if f.password == f.passwordrepeat {
            let _ = auth::check_password_policy(&f.password);
        }
        let _ = f.csrf_token.len();
    }
}

pub(super) fn routes() -> Vec<Route> {
    rocket::routes![get_reset, post_reset, get_update, post_update]
}

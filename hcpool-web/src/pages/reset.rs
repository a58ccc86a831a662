//! Password reset request and update (inventory §3.10, §3.11), single-use expiring tokens.

use hcpool_core::backend::PasswordReset;
use hcpool_core::Secret;
use rocket::form::FromForm;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State};

use super::{title, Flashed, Nav, Page};
use crate::auth;
use crate::error::WebError;
use crate::limit::ClientIp;
use crate::outbox::{self, Job};
use crate::session::{csrf_field, Checked, Visitor};
use crate::state::AppState;

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
    outbox::enqueue(
        state,
        Job::Reset {
            email: email.to_owned(),
            ip: ip.0.clone(),
        },
    )
    .await?;
    Ok(Page::Flash(Flash::success(
        Redirect::to("/passwordreset"),
        format!(
            "An email containing password reset instructions has been sent to {email} if it \
             was a registered account here."
        ),
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

/// The stored form of `t` that names a reset row (its hash, or a legacy clear token), with
/// the row.
async fn find_reset(
    state: &AppState,
    t: &str,
) -> Result<Option<(String, PasswordReset)>, WebError> {
    for key in auth::token_keys(t) {
        if let Some(r) = state.pool.store().password_reset(&key).await? {
            return Ok(Some((key, r)));
        }
    }
    Ok(None)
}

/// Why a token is unusable, or `None` when it is valid now.
async fn token_problem(state: &AppState, t: &str) -> Result<Option<&'static str>, WebError> {
    if t.is_empty() {
        return Ok(Some("No password update token present"));
    }
    Ok(match find_reset(state, t).await? {
        None => Some("Password update token not valid"),
        Some((_, r)) if r.expires <= state.now() => Some("Password update token has expired"),
        Some(_) => None,
    })
}

fn update_page(
    state: &AppState,
    v: &Visitor,
    t: &str,
    problem: Option<&str>,
    flash: Flashed,
) -> Result<Page, WebError> {
    let ctx = serde_json::json!({
        "csrf": v.csrf,
        "token": t,
        "problem": problem.unwrap_or(""),
        "flash": flash,
    });
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
    if let Some(p) = token_problem(state, t).await? {
        return Ok(back("error", p));
    }
    if form.password != form.passwordrepeat {
        return Ok(back("error", "Passwords do not match"));
    }
    if let Err(msg) = auth::check_password_policy(&form.password) {
        return Ok(back("error", msg));
    }
    let hash =
        auth::hash_password_as(form.password.clone(), state.settings.legacy_passwords).await?;
    let store = state.pool.store();
    let (key, old_token) = match find_reset(state, t).await? {
        Some((key, r)) => (key, super::settings::api_token_of(state, r.user_id).await?),
        None => (String::new(), Secret::default()),
    };
    // Consumes every reset token of the user, ends their sessions, drops pending email
    // changes and the API token, atomically; a new token follows.
    match store.reset_password(&key, state.now(), &hash).await? {
        Some(uid) => {
            super::settings::reissue_api_token(state, uid, &old_token).await?;
            Ok(back("success", "Password successfully updated"))
        }
        None => Ok(back("error", "Password update token has expired")),
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

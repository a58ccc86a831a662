//! Settings: the API token (shown, regenerated) and password change (inventory §3.7).

use hcpool_core::backend::{Email, EmailChange};
use hcpool_core::{BackendKind, Secret};
use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State};

use super::{title, Flashed, Nav, Page};
use crate::auth::{self, PasswordCheck};
use crate::error::WebError;
use crate::limit::{allow_mail_request, allow_password_attempt, ClientIp};
use crate::outbox::{self, Job};
use crate::session::{self, csrf_field, Checked, Visitor};
use crate::state::AppState;

#[derive(Debug, FromForm)]
struct PasswordForm {
    password: String,
    newpassword: String,
    newpasswordrepeat: String,
    csrf_token: String,
}

#[derive(Debug, FromForm)]
struct EmailForm {
    email: String,
    password: String,
    csrf_token: String,
}
csrf_field!(PasswordForm, EmailForm);

fn new_token(state: &AppState, user: hcpool_core::UserId) -> Secret<String> {
    Secret::new(crate::jwt::issue(
        state.settings.api_secret.expose().as_bytes(),
        &state.settings.base_url,
        user,
        state.now(),
    ))
}

/// Stores a new API token for `user` after a credential change emptied the old one (the
/// store's revocation). `old` is the revoked token: our JWTs are a function of the user and
/// the second they are issued in, so one issued in the same second is dated a second earlier
/// to differ.
pub(super) async fn reissue_api_token(
    state: &AppState,
    user: hcpool_core::UserId,
    old: &Secret<String>,
) -> Result<(), WebError> {
    let mut token = new_token(state, user);
    if token.expose() == old.expose() {
        token = Secret::new(crate::jwt::issue(
            state.settings.api_secret.expose().as_bytes(),
            &state.settings.base_url,
            user,
            state.now().saturating_sub(1),
        ));
    }
    state.pool.store().set_api_token(user, &token).await?;
    Ok(())
}

/// The API token stored for `user` now (empty when none or no such user).
pub(super) async fn api_token_of(
    state: &AppState,
    user: hcpool_core::UserId,
) -> Result<Secret<String>, WebError> {
    Ok(state
        .pool
        .store()
        .user(user)
        .await?
        .map(|u| u.api_token)
        .unwrap_or_default())
}

#[rocket::get("/settings")]
async fn get_settings(
    v: Visitor,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let Some(user) = v.user() else {
        return Ok(Page::sign_in_first());
    };
    let mut token = user.api_token.clone();
    if token.expose().is_empty() {
        token = new_token(state, user.id);
        state.pool.store().set_api_token(user.id, &token).await?;
    }
    let ctx = serde_json::json!({
        "csrf": v.csrf,
        "flash": Flashed::take(flash),
        "api_token": token.expose(),
        "show_instructions": user.registration.is_none(),
        "smtp_missing": !state.settings.smtp_configured,
    });
    Ok(Page::ok(state.render(
        "settings",
        &title("Settings"),
        &Nav::of(&v),
        &ctx,
    )?))
}

#[rocket::post("/settings/apitoken", data = "<_csrf>")]
async fn post_api_token(
    v: Visitor,
    _csrf: Checked<super::CsrfOnly>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let Some(user) = v.user() else {
        return Ok(Page::sign_in_first());
    };
    state
        .pool
        .store()
        .set_api_token(user.id, &new_token(state, user.id))
        .await?;
    Ok(Page::Flash(Flash::success(
        Redirect::to("/settings"),
        "New API token issued; the previous one no longer works",
    )))
}

#[rocket::post("/settings/password", data = "<form>")]
async fn post_password(
    v: Visitor,
    ip: ClientIp,
    form: Checked<PasswordForm>,
    jar: &CookieJar<'_>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let Some(user) = v.user() else {
        return Ok(Page::sign_in_first());
    };
    if !allow_password_attempt(&state.auth_limiter, &ip, &user.email) {
        return Ok(Page::rate_limited());
    }
    let to = || Redirect::to("/settings");
    let check = auth::check_password(form.password.clone(), user.password_hash.clone()).await?;
    if check == PasswordCheck::Mismatch {
        return Ok(Page::Flash(Flash::error(to(), "Password not valid")));
    }
    if form.newpassword != form.newpasswordrepeat {
        return Ok(Page::Flash(Flash::error(to(), "Passwords do not match")));
    }
    if let Err(msg) = auth::check_password_policy(&form.newpassword) {
        return Ok(Page::Flash(Flash::error(to(), msg)));
    }
    let hash =
        auth::hash_password_as(form.newpassword.clone(), state.settings.legacy_passwords).await?;
    // Revokes every session of the user (this one included; a fresh one follows), pending
    // email changes and the API token; a new token follows.
    state.pool.store().change_password(user.id, &hash).await?;
    reissue_api_token(state, user.id, &user.api_token).await?;
    let fresh = Visitor {
        signed_in: None,
        csrf: String::new(),
    };
    session::start(state, jar, &fresh, user.id).await?;
    let notice = Email {
        to: user.email.clone(),
        subject: "Stake pool password change".into(),
        body: format!(
            "The password of your account at {} was changed. If you did not make this \
             request, please contact the stake pool administrator immediately.\n",
            state.settings.base_url
        ),
    };
    outbox::enqueue(state, Job::Mail(notice)).await?;
    Ok(Page::Flash(Flash::success(
        to(),
        "Password successfully updated",
    )))
}

/// Email change tokens are valid this long.
pub const EMAIL_CHANGE_SECS: i64 = 3600;

#[rocket::post("/settings/email", data = "<form>")]
async fn post_email(
    v: Visitor,
    ip: ClientIp,
    form: Checked<EmailForm>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let Some(user) = v.user() else {
        return Ok(Page::sign_in_first());
    };
    if !allow_password_attempt(&state.auth_limiter, &ip, &user.email) {
        return Ok(Page::rate_limited());
    }
    let to = || Redirect::to("/settings");
    let check = auth::check_password(form.password.clone(), user.password_hash.clone()).await?;
    if check == PasswordCheck::Mismatch {
        return Ok(Page::Flash(Flash::error(to(), "Password not valid")));
    }
    let Some(new_email) = auth::checked_email(&form.email) else {
        return Ok(Page::Flash(Flash::error(to(), "email address is invalid")));
    };
    // Each request mails two addresses, one of them any address at all: bounded per user
    // and per client IP.
    if !allow_mail_request(
        &state.mail_limiter,
        "emailchange",
        &ip,
        &user.id.0.to_string(),
    ) {
        return Ok(Page::rate_limited());
    }
    let token = auth::random_hex(16);
    let now = state.now();
    let change = EmailChange {
        user_id: user.id,
        new_email: new_email.clone(),
        token: Secret::new(auth::stored_token(&token)),
        created: now,
        expires: now + EMAIL_CHANGE_SECS,
    };
    match state.pool.store().create_email_change(&change).await {
        Ok(()) => {
            let base = &state.settings.base_url;
            let to_new = Email {
                to: new_email.clone(),
                subject: "Stake pool email change".into(),
                body: format!(
                    "A request was made from IP address {} to change the email address of \
                     your stake pool account from {} to {new_email}.\n\nTo confirm, open:\n\n\
                     {base}/emailupdate?t={token}\n\nThe link expires in one hour.\n",
                    ip.0, user.email
                ),
            };
            let to_old = Email {
                to: user.email.clone(),
                subject: "Stake pool email change".into(),
                body: format!(
                    "A request was made from IP address {} to change the email address of \
                     your stake pool account from {} to {new_email}. If you did not make this \
                     request, please contact the stake pool administrator immediately.\n",
                    ip.0, user.email
                ),
            };
            // The link's row is deleted once sent (the outbox keeps no sent mail).
            outbox::enqueue(state, Job::Mail(to_new)).await?;
            outbox::enqueue(state, Job::Mail(to_old)).await?;
        }
        // The address belongs to someone: answer as if sent, so this form reveals nothing.
        Err(e) if e.backend_kind() == Some(BackendKind::Conflict) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Page::Flash(Flash::success(
        to(),
        "Verification token sent to new email address",
    )))
}

#[rocket::get("/emailupdate?<t>")]
async fn get_email_update(
    v: Visitor,
    t: Option<&str>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let t = t.unwrap_or("").trim();
    let store = state.pool.store();
    let (error, success) = if t.is_empty() {
        ("No email verification token present", "")
    } else {
        let mut found = None;
        for key in auth::token_keys(t) {
            if let Some(c) = store.email_change(&key).await? {
                found = Some((key, c));
                break;
            }
        }
        let (key, old_token) = match found {
            Some((key, c)) => (key, api_token_of(state, c.user_id).await?),
            None => (String::new(), Secret::default()),
        };
        // Also revokes the user's sessions, other pending changes and API token.
        match store.apply_email_change(&key, state.now()).await {
            Ok(Some(uid)) => {
                reissue_api_token(state, uid, &old_token).await?;
                ("", "Email successfully updated")
            }
            Ok(None) => match store.email_change(&key).await? {
                Some(_) => ("Email change token has expired", ""),
                None => ("Email verification token not valid", ""),
            },
            Err(e) if e.backend_kind() == Some(BackendKind::Conflict) => {
                ("Email address is in use", "")
            }
            Err(e) => return Err(e.into()),
        }
    };
    let ctx = serde_json::json!({ "flash": { "error": error, "success": success } });
    // The store ended the user's sessions; this page is rendered as signed out.
    let nav = if success.is_empty() {
        Nav::of(&v)
    } else {
        Nav::of(&Visitor {
            signed_in: None,
            csrf: v.csrf.clone(),
        })
    };
    Ok(Page::ok(state.render(
        "emailverify",
        &title("Email Update"),
        &nav,
        &ctx,
    )?))
}

/// The forms of this module parsed from `body`, with their handlers' checks that need no
/// state (see [`super::fuzz_form_body`]).
pub(super) fn fuzz_form(body: &str) {
    if let Ok(f) = rocket::form::Form::<PasswordForm>::parse(body) {
        if f.newpassword == f.newpasswordrepeat {
            let _ = auth::check_password_policy(&f.newpassword);
        }
        let _ = (f.password.len(), f.csrf_token.len());
    }
    if let Ok(f) = rocket::form::Form::<EmailForm>::parse(body) {
        let _ = (
            auth::checked_email(&f.email),
            f.password.len(),
            f.csrf_token.len(),
        );
    }
}

pub(super) fn routes() -> Vec<Route> {
    rocket::routes![
        get_settings,
        post_api_token,
        post_password,
        post_email,
        get_email_update
    ]
}

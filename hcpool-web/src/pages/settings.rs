//! Settings: the API token (shown, regenerated), password and email change (inventory
//! §3.7); hcstakepool's combined form (`POST /settings` with `updateEmail` or
//! `updatePassword`) does what the two forms of hcpool's own page do.

use hcpool_core::backend::User;
use hcpool_core::{EmailAddress, Lang};
use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State};

use super::{title, Flashed, Nav, Page};
use crate::auth;
use crate::error::WebError;
use crate::limit::{allow_mail_request, allow_password_attempt, ClientIp};
use crate::session::{self, csrf_field, SignedIn, SignedInForm, Visitor};
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
/// hcstakepool's settings form: both of its forms post here, told apart by the button
/// (`updateEmail=true` or `updatePassword=true`); `password` is the current password.
#[derive(Debug, FromForm)]
struct CombinedForm {
    password: String,
    #[field(name = "updateEmail")]
    update_email: Option<String>,
    #[field(name = "updatePassword")]
    update_password: Option<String>,
    email: Option<String>,
    newpassword: Option<String>,
    newpasswordrepeat: Option<String>,
    csrf_token: String,
}
csrf_field!(PasswordForm, EmailForm, CombinedForm);

/// The settings page's view model.
#[derive(Debug, serde::Serialize)]
struct SettingsView<'a> {
    csrf: &'a str,
    flash: Flashed,
    api_token: &'a str,
    /// No address yet: the page says what to do first.
    show_instructions: bool,
    smtp_missing: bool,
}

#[rocket::get("/settings")]
async fn get_settings(
    me: SignedIn,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let (user, v) = (&me.user, &me.visitor);
    let token = state.accounts.api_token(user).await?;
    let ctx = SettingsView {
        csrf: &v.csrf,
        flash: Flashed::take(flash),
        api_token: token.expose(),
        show_instructions: user.registration.is_none(),
        smtp_missing: !state.settings.smtp_configured,
    };
    Ok(Page::ok(state.render(
        "settings",
        &title("Settings"),
        &Nav::of(v),
        &ctx,
    )?))
}

#[rocket::post("/settings/apitoken", data = "<form>")]
async fn post_api_token(
    form: SignedInForm<super::CsrfOnly>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    state.accounts.rotate_api_token(form.me.user.id).await?;
    Ok(Page::Flash(Flash::success(
        Redirect::to("/settings"),
        "New API token issued; the previous one no longer works",
    )))
}

#[rocket::post("/settings/password", data = "<form>")]
async fn post_password(
    ip: ClientIp,
    form: SignedInForm<PasswordForm>,
    jar: &CookieJar<'_>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let f = &form.form;
    change_password(
        state,
        &ip,
        jar,
        &form.me.user,
        [&f.password, &f.newpassword, &f.newpasswordrepeat],
        form.me.visitor.lang,
    )
    .await
}

/// The password change: `[current, new, repeat]`.
async fn change_password(
    state: &AppState,
    ip: &ClientIp,
    jar: &CookieJar<'_>,
    user: &User,
    [password, new, repeat]: [&str; 3],
    lang: Lang,
) -> Result<Page, WebError> {
    if !allow_password_attempt(&state.auth_limiter, ip, &user.email) {
        return Ok(Page::rate_limited());
    }
    let to = || Redirect::to("/settings");
    // Revokes every session of the user (this one included; a fresh one follows), pending
    // email changes and the API token; a new token and a notice mail follow.
    if let Err(e) = state
        .accounts
        .change_password(user, password, new, repeat, lang)
        .await
    {
        return Ok(Page::Flash(Flash::error(to(), super::refusal_text(e)?)));
    }
    let fresh = Visitor {
        signed_in: None,
        csrf: String::new(),
        admin: false,
        lang,
    };
    session::start(state, jar, &fresh, user.id).await?;
    Ok(Page::Flash(Flash::success(
        to(),
        "Password successfully updated",
    )))
}

#[rocket::post("/settings/email", data = "<form>")]
async fn post_email(
    ip: ClientIp,
    form: SignedInForm<EmailForm>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let f = &form.form;
    change_email(
        state,
        &ip,
        &form.me.user,
        &f.email,
        &f.password,
        form.me.visitor.lang,
    )
    .await
}

/// The email change request: `email` is the new address, `password` the current one.
async fn change_email(
    state: &AppState,
    ip: &ClientIp,
    user: &User,
    email: &str,
    password: &str,
    lang: Lang,
) -> Result<Page, WebError> {
    if !allow_password_attempt(&state.auth_limiter, ip, &user.email) {
        return Ok(Page::rate_limited());
    }
    let to = || Redirect::to("/settings");
    let new_email = match state
        .accounts
        .check_email_change(user, email, password)
        .await
    {
        Ok(e) => e,
        Err(e) => return Ok(Page::Flash(Flash::error(to(), super::refusal_text(e)?))),
    };
    // Each request mails two addresses, one of them any address at all: bounded per user
    // and per client IP.
    if !allow_mail_request(
        &state.mail_limiter,
        "emailchange",
        ip,
        &user.id.0.to_string(),
    ) {
        return Ok(Page::rate_limited());
    }
    // An address that belongs to someone is answered as if sent: this form reveals nothing.
    state
        .accounts
        .request_email_change(user, &new_email, &ip.0, lang)
        .await?;
    Ok(Page::Flash(Flash::success(
        to(),
        "Verification token sent to new email address",
    )))
}

/// hcstakepool's combined settings form. `updateEmail=true` is the email change (its
/// captcha fields, `verifyKey`/`verifyValue`, are not needed: the change is rate-limited
/// and asks for the password), `updatePassword=true` the password change; each answers
/// as hcpool's own form does (a redirect to `/settings` with the flash). A post with
/// neither changes nothing.
#[rocket::post("/settings", data = "<form>")]
async fn post_combined(
    ip: ClientIp,
    form: SignedInForm<CombinedForm>,
    jar: &CookieJar<'_>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let (f, user) = (&form.form, &form.me.user);
    let on = |v: &Option<String>| v.as_deref() == Some("true");
    if on(&f.update_email) {
        let email = f.email.as_deref().unwrap_or("");
        change_email(state, &ip, user, email, &f.password, form.me.visitor.lang).await
    } else if on(&f.update_password) {
        let new = f.newpassword.as_deref().unwrap_or("");
        let repeat = f.newpasswordrepeat.as_deref().unwrap_or("");
        change_password(
            state,
            &ip,
            jar,
            user,
            [&f.password, new, repeat],
            form.me.visitor.lang,
        )
        .await
    } else {
        Ok(Page::Redirect(Redirect::to("/settings")))
    }
}

#[rocket::get("/emailupdate?<t>")]
async fn get_email_update(
    v: Visitor,
    t: Option<&str>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let (flash, done) = match state.accounts.confirm_email_change(t.unwrap_or("")).await {
        Ok(_) => (Flashed::success("Email successfully updated"), true),
        Err(e) => (Flashed::error(super::refusal_text(e)?), false),
    };
    let ctx = super::FlashOnly { flash };
    // The store ended the user's sessions; this page is rendered as signed out.
    let nav = if !done {
        Nav::of(&v)
    } else {
        Nav::of(&Visitor {
            signed_in: None,
            csrf: v.csrf.clone(),
            admin: false,
            lang: v.lang,
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
    if let Ok(f) = rocket::form::Form::<CombinedForm>::parse(body) {
        let _ = (
            f.update_email.as_deref() == Some("true"),
            f.update_password.as_deref() == Some("true"),
            f.email.as_deref().map(EmailAddress::parse),
            f.newpassword == f.newpasswordrepeat,
            f.password.len(),
            f.csrf_token.len(),
        );
    }
    if let Ok(f) = rocket::form::Form::<EmailForm>::parse(body) {
        let _ = (
            EmailAddress::parse(&f.email),
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
        post_combined,
        get_email_update
    ]
}

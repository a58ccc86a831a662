//! Sign up, email verification, sign in, sign out (inventory §3.1, §3.2, §3.8).

use hcpool_core::{EmailAddress, Error};
use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State};

use super::{title, Flashed, Nav, Page};
use crate::auth;
use crate::error::WebError;
use crate::lang::ReqLang;
use crate::limit::{allow_mail_request, ClientIp};
use crate::session::{self, csrf_field, Checked, Visitor};
use crate::state::AppState;
use hcpool_core::service::accounts::Refusal;
use hcpool_i18n::t;

#[derive(Debug, FromForm)]
struct SignUpForm {
    email: String,
    password: String,
    passwordrepeat: String,
    csrf_token: String,
    /// The challenge id (hidden field), when the captcha is on.
    captcha_id: Option<String>,
    /// The visitor's reading of the image.
    captcha_answer: Option<String>,
    /// hcstakepool's name of the challenge id (its page filled it from `generatecaptcha`).
    #[field(name = "verifyKey")]
    verify_key: Option<String>,
    /// hcstakepool's name of the answer.
    #[field(name = "verifyValue")]
    verify_value: Option<String>,
}

#[derive(Debug, FromForm)]
struct SignInForm {
    email: String,
    password: String,
    csrf_token: String,
}
#[derive(Debug, FromForm)]
struct ResendForm {
    email: String,
    csrf_token: String,
}
csrf_field!(SignUpForm, SignInForm, ResendForm);

/// The sign-up page's view model.
#[derive(Debug, serde::Serialize)]
struct SignUpView<'a> {
    /// The captcha challenge (`captcha=1` and the pool open).
    captcha: Option<crate::captcha::Challenge>,
    csrf: &'a str,
    smtp_missing: bool,
    /// `closepool`, and its message.
    closed: bool,
    close_msg: &'a str,
    flash: Flashed,
}

/// The sign-in page's view model.
#[derive(Debug, serde::Serialize)]
struct SignInView<'a> {
    csrf: &'a str,
    flash: Flashed,
}

async fn signup_page(state: &AppState, v: &Visitor, flash: Flashed) -> Result<Page, WebError> {
    let s = &state.settings;
    let captcha = if s.captcha && !s.close_pool {
        Some(crate::captcha::issue(state).await?)
    } else {
        None
    };
    let ctx = SignUpView {
        captcha,
        csrf: &v.csrf,
        smtp_missing: !s.smtp_configured,
        closed: s.close_pool,
        close_msg: &s.close_pool_msg,
        flash,
    };
    Ok(Page::ok(state.render(
        "signup",
        &title("Sign Up"),
        &Nav::of(v),
        &ctx,
    )?))
}

#[rocket::get("/signup")]
async fn signup_get(
    ip: ClientIp,
    v: Visitor,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    // Each page with the captcha stores a challenge row: bounded per client IP.
    let s = &state.settings;
    if s.captcha && !s.close_pool && !state.captcha_limiter.allow(&ip.0) {
        tracing::info!(ip = %ip.0, "captcha issuance rate limited");
        return Ok(Page::rate_limited());
    }
    signup_page(state, &v, Flashed::take(flash)).await
}

fn back_to(path: &'static str, kind: &str, msg: impl Into<String>) -> Page {
    let r = Redirect::to(path);
    Page::Flash(if kind == "success" {
        Flash::success(r, msg.into())
    } else {
        Flash::error(r, msg.into())
    })
}

#[rocket::post("/signup", data = "<form>")]
async fn signup_post(
    ip: ClientIp,
    lang: ReqLang,
    form: Checked<SignUpForm>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    if !state.auth_limiter.allow(&ip.0) {
        return Ok(Page::rate_limited());
    }
    // The gate first (as hcstakepool), then the captcha, then the form.
    if let Err(Error::PoolClosed(msg)) = state.accounts.gate().check_sign_up() {
        return Ok(back_to("/signup", "error", msg));
    }
    if state.settings.captcha {
        // hcpool's field names, else hcstakepool's (`verifyKey`, `verifyValue`).
        let id = form
            .captcha_id
            .as_deref()
            .or(form.verify_key.as_deref())
            .unwrap_or("");
        let answer = form
            .captcha_answer
            .as_deref()
            .or(form.verify_value.as_deref())
            .unwrap_or("");
        if !crate::captcha::check(state, id, answer).await? {
            return Ok(back_to("/signup", "error", crate::captcha::WRONG_ANSWER));
        }
    }
    let Ok(email) = EmailAddress::parse(&form.email) else {
        return Ok(back_to("/signup", "error", "email address is invalid"));
    };
    // One outbox row, whatever the address: the sender creates the account (or finds the
    // address taken) and mails a link or a notice.
    match state
        .accounts
        .sign_up(&email, &form.password, &form.passwordrepeat, lang.0)
        .await
    {
        Ok(()) => {
            state.metrics.signed_up();
            Ok(back_to(
                "/signup",
                "success",
                t(lang.0, "msg-signup-sent", &[("email", email.as_str())]),
            ))
        }
        // This page has always said it in lower case.
        Err(Error::Account(Refusal::PasswordsDiffer)) => {
            Ok(back_to("/signup", "error", "passwords do not match"))
        }
        Err(e) => Ok(back_to("/signup", "error", super::refusal_text(e)?)),
    }
}

#[rocket::get("/emailverify?<t>")]
async fn emailverify(
    v: Visitor,
    t: Option<&str>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let flash = match state.accounts.verify_email(t.unwrap_or("")).await {
        Ok(_) => Flashed::success("Email successfully verified"),
        Err(e) => Flashed::error(super::refusal_text(e)?),
    };
    let ctx = super::FlashOnly { flash };
    Ok(Page::ok(state.render(
        "emailverify",
        &title("Email Verification"),
        &Nav::of(&v),
        &ctx,
    )?))
}

fn signin_page(state: &AppState, v: &Visitor, flash: Flashed) -> Result<Page, WebError> {
    let ctx = SignInView {
        csrf: &v.csrf,
        flash,
    };
    Ok(Page::ok(state.render(
        "signin",
        &title("Sign In"),
        &Nav::of(v),
        &ctx,
    )?))
}

#[rocket::get("/signin")]
fn signin_get(
    v: Visitor,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    signin_page(state, &v, Flashed::take(flash))
}

#[rocket::post("/signin", data = "<form>")]
async fn signin_post(
    v: Visitor,
    ip: ClientIp,
    form: Checked<SignInForm>,
    jar: &CookieJar<'_>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    if !crate::limit::allow_password_attempt(&state.auth_limiter, &ip, &form.email) {
        return Ok(Page::rate_limited());
    }
    let user = match state.accounts.sign_in(&form.email, &form.password).await {
        Ok(user) => user,
        Err(e) => return Ok(back_to("/signin", "error", super::refusal_text(e)?)),
    };
    session::start(state, jar, &v, user.id).await?;
    // A user without an address goes to the address page, the next step (hcstakepool:
    // the settings page; the address page links there for hcGUI's API token).
    let next = if user.registration.is_some() {
        "/tickets"
    } else {
        "/address"
    };
    Ok(Page::Redirect(Redirect::to(next)))
}

#[rocket::get("/resendverification")]
fn resend_get(
    v: Visitor,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    super::mail_form_page(
        &v,
        flash,
        state,
        "resendverification",
        "Resend Verification",
    )
}

/// A new verification link for an unverified account. Known, unknown and verified addresses
/// get the same answer and the same work (one outbox row; the sender decides); limited per
/// client IP and per address.
#[rocket::post("/resendverification", data = "<form>")]
async fn resend_post(
    ip: ClientIp,
    lang: ReqLang,
    form: Checked<ResendForm>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let email = form.email.trim().to_owned();
    if !allow_mail_request(
        &state.mail_limiter,
        "resend",
        &ip,
        &email.to_ascii_lowercase(),
    ) {
        return Ok(Page::rate_limited());
    }
    let Ok(email) = EmailAddress::parse(&email) else {
        return Ok(back_to(
            "/resendverification",
            "error",
            Refusal::InvalidEmail.to_string(),
        ));
    };
    state.accounts.resend_verification(&email, lang.0).await?;
    Ok(back_to(
        "/resendverification",
        "success",
        t(lang.0, "msg-resend-sent", &[("email", email.as_str())]),
    ))
}

/// Where a `GET` came from, as far as the browser says: our own pages or the visitor
/// (address bar, bookmark), or somewhere else (another site's link, image or script, or a
/// client that says nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OwnNavigation(pub(crate) bool);

/// The `host[:port]` of `url` (lowercased), if it is an absolute http(s) URL without
/// userinfo.
fn authority(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let a = &rest[..end];
    (!a.is_empty() && !a.contains('@')).then(|| a.to_ascii_lowercase())
}

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for OwnNavigation {
    type Error = ();

    async fn from_request(
        req: &'r rocket::Request<'_>,
    ) -> rocket::request::Outcome<Self, Self::Error> {
        let h = req.headers();
        // Fetch metadata (every current browser): "same-origin" is our page, "none" the
        // visitor's own navigation; "same-site" and "cross-site" are not ours.
        if let Some(site) = h.get_one("Sec-Fetch-Site") {
            let ours =
                site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none");
            return rocket::request::Outcome::Success(OwnNavigation(ours));
        }
        // Otherwise the Origin or Referer must name this host (the Host header the browser
        // sent, or `baseurl`'s).
        let from = h
            .get_one("Origin")
            .filter(|o| *o != "null")
            .or_else(|| h.get_one("Referer"))
            .and_then(authority);
        let base = req
            .rocket()
            .state::<AppState>()
            .and_then(|s| authority(&s.settings.base_url));
        let host = h.get_one("Host").map(str::to_ascii_lowercase);
        let ours = from.is_some_and(|f| Some(&f) == host.as_ref() || Some(&f) == base.as_ref());
        rocket::request::Outcome::Success(OwnNavigation(ours))
    }
}

/// The sign-out confirmation page's view model.
#[derive(Debug, serde::Serialize)]
struct LogoutView<'a> {
    csrf: &'a str,
}

/// hcstakepool's sign-out link (`GET /logout`), kept for bookmarks and old pages. Signing
/// out by `GET` is only done for the visitor's own navigation or a link of our own pages
/// ([`OwnNavigation`]): anything else (another site's link or image) gets a page with a
/// sign-out button (a `POST` with the CSRF token), so no other site can sign a user out.
#[rocket::get("/logout")]
async fn logout_get(
    v: Visitor,
    own: OwnNavigation,
    jar: &CookieJar<'_>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    if v.user().is_none() {
        return Ok(Page::Redirect(Redirect::to("/")));
    }
    if own.0 {
        session::end(state, jar, &v).await?;
        return Ok(Page::Redirect(Redirect::to("/")));
    }
    let ctx = LogoutView { csrf: &v.csrf };
    Ok(Page::ok(state.render(
        "logout",
        &title("Logout"),
        &Nav::of(&v),
        &ctx,
    )?))
}

#[rocket::post("/logout", data = "<_csrf>")]
async fn logout(
    v: Visitor,
    _csrf: Checked<super::CsrfOnly>,
    jar: &CookieJar<'_>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    session::end(state, jar, &v).await?;
    Ok(Page::Redirect(Redirect::to("/")))
}

/// The forms of this module parsed from `body`, with their handlers' checks that need no
/// state (see [`super::fuzz_form_body`]).
pub(super) fn fuzz_form(body: &str) {
    if let Ok(f) = rocket::form::Form::<SignUpForm>::parse(body) {
        if EmailAddress::parse(&f.email).is_ok() && auth::check_password_policy(&f.password).is_ok()
        {
            let _ = f.password == f.passwordrepeat;
        }
        let _ = (
            f.captcha_id.as_deref().or(f.verify_key.as_deref()),
            f.captcha_answer.as_deref().or(f.verify_value.as_deref()),
            f.csrf_token.len(),
        );
    }
    if let Ok(f) = rocket::form::Form::<SignInForm>::parse(body) {
        let _ = (
            f.password.len() > auth::MAX_PASSWORD_BYTES,
            f.email.trim(),
            f.csrf_token.len(),
        );
    }
    if let Ok(f) = rocket::form::Form::<ResendForm>::parse(body) {
        let _ = (EmailAddress::parse(&f.email), f.csrf_token.len());
    }
}

pub(super) fn routes() -> Vec<Route> {
    rocket::routes![
        signup_get,
        signup_post,
        emailverify,
        signin_get,
        signin_post,
        resend_get,
        resend_post,
        logout,
        logout_get
    ]
}

//! HTML pages (inventory §3), rendered from the embedded handlebars templates.

mod account;
pub(crate) mod admin;
mod admintickets;
mod erase;
mod notifications;
mod pool;
mod reset;
mod settings;
mod tickets;

use rocket::http::{ContentType, Status};
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::response::{self, Flash, Redirect, Responder};
use rocket::{Catcher, Request, Route, State};
use serde::Serialize;

use hcpool_i18n::{catalogue, Lang};

use crate::error::WebError;
use crate::session::{CsrfRefused, Visitor};
use crate::state::AppState;

/// hcstakepool's answer to a form whose CSRF token does not match or is missing (400, plain
/// text, with the newline Go's `http.Error` appends).
pub const CSRF_REFUSED: &str = "Invalid Csrf Token\n";

/// A form with nothing but its CSRF token (sign-out, API token, demo controls).
#[derive(Debug, rocket::FromForm)]
pub(crate) struct CsrfOnly {
    csrf_token: String,
}
crate::session::csrf_field!(CsrfOnly);

/// Fuzzing entry point (the `form` target of `hcpool-fuzz`), not an API: parses `body` as
/// every page form, the tickets page's query and the API's fields, as Rocket parses a
/// posted body or query, and runs the checks their handlers apply before touching any state.
#[doc(hidden)]
pub fn fuzz_form_body(body: &str) {
    account::fuzz_form(body);
    admintickets::fuzz_form(body);
    notifications::fuzz_form(body);
    erase::fuzz_form(body);
    pool::fuzz_form(body);
    reset::fuzz_form(body);
    settings::fuzz_form(body);
    tickets::Pages::fuzz_form(body);
    if let Ok(f) = rocket::form::Form::<CsrfOnly>::parse(body) {
        let _ = crate::auth::tokens_equal(&f.csrf_token, "0123456789abcdef");
    }
    crate::api::fuzz_form(body);
}

/// The stylesheet, our own.
const STYLE_CSS: &str = include_str!("../../static/style.css");

/// What the layout's navigation needs.
#[derive(Debug, Clone, Serialize)]
pub struct Nav {
    /// A user is signed in.
    pub signed_in: bool,
    /// The signed-in user's email ("" otherwise).
    pub email: String,
    /// The user registered an address (voting is shown).
    pub has_address: bool,
    /// The visitor's CSRF token (the sign-out form).
    pub csrf: String,
    /// An admin (admin user id from an admin IP): the Status and Low-fee tickets links.
    pub admin: bool,
    /// The page's language ([`crate::lang`]).
    #[serde(serialize_with = "serialize_lang")]
    pub lang: Lang,
}

fn serialize_lang<S: serde::Serializer>(l: &Lang, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(l.tag())
}

impl Nav {
    /// The navigation for `v`.
    pub fn of(v: &Visitor) -> Self {
        Nav {
            signed_in: v.user().is_some(),
            email: v.user().map(|u| u.email.clone()).unwrap_or_default(),
            has_address: v.user().is_some_and(|u| u.registration.is_some()),
            csrf: v.csrf.clone(),
            admin: v.admin,
            lang: v.lang,
        }
    }
}

/// A page handler's answer.
#[derive(Debug, rocket::Responder)]
pub enum Page {
    /// A rendered page.
    Html((Status, RawHtml<String>)),
    /// A redirect.
    Redirect(Redirect),
    /// A redirect carrying a flash message.
    Flash(Flash<Redirect>),
    /// A short plain-text refusal (bad CSRF token).
    Text((Status, &'static str)),
    /// The JSON health answer of `/status` for monitors.
    Health((Status, (ContentType, String))),
}

impl Page {
    /// A 200 page.
    pub fn ok(html: String) -> Self {
        Page::Html((Status::Ok, RawHtml(html)))
    }

    /// Too many attempts from this client (429).
    pub fn rate_limited() -> Self {
        Page::Text((
            Status::TooManyRequests,
            "Rate Limited: your request has been rate limited. Please wait a minute.",
        ))
    }

    /// Redirect to sign in.
    pub fn sign_in_first() -> Self {
        Page::Redirect(Redirect::to("/signin"))
    }
}

/// A flash message split into its kind and text for templates.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Flashed {
    /// Error text ("" when none).
    pub error: String,
    /// Success text ("" when none).
    pub success: String,
}

impl Flashed {
    /// A success message.
    pub fn success(msg: impl Into<String>) -> Self {
        Flashed {
            error: String::new(),
            success: msg.into(),
        }
    }

    /// An error message.
    pub fn error(msg: impl Into<String>) -> Self {
        Flashed {
            error: msg.into(),
            success: String::new(),
        }
    }

    /// Reads Rocket's flash cookie (kinds "error"/"success").
    pub fn take(f: Option<FlashMessage<'_>>) -> Self {
        match f {
            Some(f) if f.kind() == "success" => Flashed {
                error: String::new(),
                success: f.message().to_owned(),
            },
            Some(f) => Flashed {
                error: f.message().to_owned(),
                success: String::new(),
            },
            None => Flashed::default(),
        }
    }
}

/// The view model of a page that shows only a message (email verification and update).
#[derive(Debug, Clone, Serialize)]
pub struct FlashOnly {
    /// The message.
    pub flash: Flashed,
}

/// The text a page shows when an account step refused (its [`Refusal`] text, or the closed
/// pool's message); any other error is the request's failure.
///
/// # Errors
/// `e` itself when it is not a refusal.
///
/// [`Refusal`]: hcpool_core::service::accounts::Refusal
fn refusal_text(e: hcpool_core::Error) -> Result<String, WebError> {
    match e {
        hcpool_core::Error::Account(r) => Ok(r.to_string()),
        hcpool_core::Error::PoolClosed(msg) => Ok(msg),
        e => Err(e.into()),
    }
}

/// The view model of [`mail_form_page`].
#[derive(Debug, Clone, Serialize)]
struct MailFormView<'a> {
    csrf: &'a str,
    flash: Flashed,
    /// No mail server configured: the page says mail will not arrive.
    smtp_missing: bool,
}

/// A page whose only form asks for an email address to mail (password reset, resend
/// verification): the CSRF token, the flash, and the "mail server not configured" notice.
fn mail_form_page(
    v: &Visitor,
    flash: Option<FlashMessage<'_>>,
    state: &AppState,
    template: &'static str,
    page_title: &str,
) -> Result<Page, WebError> {
    let ctx = MailFormView {
        csrf: &v.csrf,
        flash: Flashed::take(flash),
        smtp_missing: !state.settings.smtp_configured,
    };
    Ok(Page::ok(state.render(
        template,
        &title(page_title),
        &Nav::of(v),
        &ctx,
    )?))
}

/// What [`title`] puts before a page's own title.
const TITLE_PREFIX: &str = "HC Stake Pool - ";

/// The full page title (English; [`localized_title`] translates it).
pub fn title(x: &str) -> String {
    format!("{TITLE_PREFIX}{x}")
}

/// `title` (a [`title`]) in `lang`: the site's name and the page's own title translated
/// when the catalogue has it (a `title-*` key).
pub fn localized_title(lang: Lang, title: &str) -> String {
    if lang == Lang::En {
        return title.to_owned();
    }
    let page = title.strip_prefix(TITLE_PREFIX).unwrap_or(title);
    let page = catalogue().localize(lang, page);
    catalogue().text(lang, "site-title", &[("page", &page)])
}

impl<'r> Responder<'r, 'static> for WebError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        tracing::error!(error = %self, path = %req.uri().path(), "request failed");
        let status = match &self {
            WebError::Core(e)
                if e.backend_kind() == Some(hcpool_core::BackendKind::Unavailable) =>
            {
                Status::ServiceUnavailable
            }
            _ => Status::InternalServerError,
        };
        let html = fallback_page(status, crate::lang::request_lang(req));
        (status, RawHtml(html)).respond_to(req)
    }
}

/// The page of a failed request (no template: it must not fail itself), in `lang`.
fn fallback_page(status: Status, lang: Lang) -> String {
    let c = catalogue();
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/assets/style.css\">\
         </head><body><main class=\"card\"><h1>{} {}</h1><p>{}</p><p><a href=\"/\">{}</a></p>\
         </main></body></html>",
        lang.tag(),
        localized_title(lang, &title("Error")),
        status.code,
        status.reason().unwrap_or("Error"),
        c.text(lang, "fallback-text", &[]),
        c.text(lang, "nav-home", &[]),
    )
}

/// The home page.
#[derive(Debug, Serialize)]
struct HomeView<'a> {
    network: &'static str,
    /// `poolfees`, percent.
    pool_fees: f64,
    pool_email: &'a str,
    pool_link: &'a str,
    signed_in: bool,
    /// `closepool` and its message.
    closed: bool,
    close_msg: &'a str,
}

#[rocket::get("/")]
fn home(v: Visitor, state: &State<AppState>) -> Result<Page, WebError> {
    let s = &state.settings;
    let view = HomeView {
        network: s.network.params().name,
        pool_fees: s.pool_fees,
        pool_email: &s.pool_email,
        pool_link: &s.pool_link,
        signed_in: v.user().is_some(),
        closed: s.close_pool,
        close_msg: &s.close_pool_msg,
    };
    Ok(Page::ok(state.render(
        "home",
        &title("Welcome"),
        &Nav::of(&v),
        &view,
    )?))
}

/// The stats page: the pool's figures and the wallets' stake info.
#[derive(Debug, Serialize)]
struct StatsView<'a> {
    user_count: u64,
    user_count_active: u64,
    network: &'static str,
    /// `poolfees`, percent.
    pool_fees: f64,
    /// The key of "Open" or "Closed" (`closepool`).
    pool_status: &'static str,
    pool_email: &'a str,
    info: &'a hcpool_core::backend::StakeInfo,
    /// The history charts ([`crate::history`]).
    charts: &'a [crate::history::ChartView],
    /// The public key that signs vote records, for users to pin.
    vote_record_key: Option<String>,
}

#[rocket::get("/stats")]
async fn stats(v: Visitor, state: &State<AppState>) -> Result<Page, WebError> {
    let nav = Nav::of(&v);
    let info = match state.stake_info().await {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "stake info unavailable");
            return error_page(state, &nav, Status::ServiceUnavailable);
        }
    };
    let counts = state.user_counts().await?;
    let charts = crate::history::localized(&state.history.stats_charts(state, &info).await, v.lang);
    let s = &state.settings;
    let view = StatsView {
        user_count: counts.all,
        user_count_active: counts.active,
        network: s.network.params().name,
        pool_fees: s.pool_fees,
        pool_status: if s.close_pool {
            "stats-closed"
        } else {
            "stats-open"
        },
        pool_email: &s.pool_email,
        info: &info,
        charts: &charts,
        vote_record_key: state
            .vote_record_key
            .as_ref()
            .map(|k| k.public().to_string()),
    };
    Ok(Page::ok(state.render(
        "stats",
        &title("Stats"),
        &nav,
        &view,
    )?))
}

/// The error page (no details) with `status`.
fn error_page(state: &AppState, nav: &Nav, status: Status) -> Result<Page, WebError> {
    let html = state.render("error", &title("Error"), nav, &serde_json::json!({}))?;
    Ok(Page::Html((status, RawHtml(html))))
}

/// The error page. It never takes a link from the query (hcstakepool's `r` is ignored).
#[rocket::get("/error")]
fn error(v: Visitor, state: &State<AppState>) -> Result<Page, WebError> {
    error_page(state, &Nav::of(&v), Status::Ok)
}

#[rocket::get("/assets/style.css")]
fn style() -> (ContentType, &'static str) {
    (ContentType::CSS, STYLE_CSS)
}

/// The [`SignedIn`](crate::session::SignedIn) guard refused: sign in first.
#[rocket::catch(401)]
fn sign_in_first() -> Redirect {
    Redirect::to("/signin")
}

/// The [`admin::Admin`] guard refused: hcstakepool's plain `Forbidden`.
#[rocket::catch(403)]
fn forbidden() -> (Status, &'static str) {
    (Status::Forbidden, "Forbidden")
}

#[rocket::catch(404)]
fn not_found(req: &Request<'_>) -> RawHtml<String> {
    RawHtml(fallback_page(
        Status::NotFound,
        crate::lang::request_lang(req),
    ))
}

#[rocket::catch(default)]
fn other(status: Status, req: &Request<'_>) -> (Status, (ContentType, String)) {
    if status == Status::BadRequest && req.local_cache(CsrfRefused::default).0 {
        return (status, (ContentType::Plain, CSRF_REFUSED.to_owned()));
    }
    let html = fallback_page(status, crate::lang::request_lang(req));
    (status, (ContentType::HTML, html))
}

/// The page routes.
pub fn routes() -> Vec<Route> {
    let mut r = rocket::routes![home, stats, error, style];
    r.extend(account::routes());
    r.extend(pool::routes());
    r.extend(admin::routes());
    r.extend(admintickets::routes());
    r.extend(settings::routes());
    r.extend(notifications::routes());
    r.extend(erase::routes());
    r.extend(reset::routes());
    r.extend(tickets::routes());
    r
}

/// Catchers for pages.
pub fn catchers() -> Vec<Catcher> {
    rocket::catchers![sign_in_first, forbidden, not_found, other]
}

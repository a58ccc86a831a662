//! The page language: the `lang` cookie set by the language switch ([`switch`], `GET
//! /lang?to=zh-CN`, a plain link: no script), else the browser's `Accept-Language`
//! ([`Lang::negotiate`]), else English. Pages get `<html lang>` and `Content-Language`, and
//! `Vary: Accept-Language, Cookie` ([`LangHeaders`]); mails are written in the language of
//! the request that asked for them. The JSON API is not translated.
//!
//! The texts are hcpool-i18n's catalogue (`hcpool-i18n/i18n/<lang>/*.ftl`); templates use
//! them through the `t` and `tmsg` helpers ([`crate::templates`]).

use hcpool_i18n::Lang;
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Cookie, CookieJar, Header, SameSite};
use rocket::request::{FromRequest, Outcome};
use rocket::response::Redirect;
use rocket::{Request, Response, Route, State};

use crate::state::AppState;

/// The cookie the language switch sets (`en`, `zh-CN`).
pub const LANG_COOKIE: &str = "lang";

/// How long the switch's choice is kept (one year).
const LANG_COOKIE_SECS: i64 = 365 * 24 * 3600;

/// The language of `req`: its `lang` cookie when that names a language hcpool speaks, else
/// its `Accept-Language`, else English.
pub fn request_lang(req: &Request<'_>) -> Lang {
    // Asked by the page's guard and again by [`LangHeaders`]: worked out once per request.
    req.local_cache(|| ReqLang(lang_of_request(req))).0
}

fn lang_of_request(req: &Request<'_>) -> Lang {
    if let Some(l) = req
        .cookies()
        .get(LANG_COOKIE)
        .and_then(|c| Lang::from_tag(c.value()))
    {
        return l;
    }
    req.headers()
        .get_one("Accept-Language")
        .map(Lang::negotiate)
        .unwrap_or_default()
}

/// The request's language as a request guard (never fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReqLang(pub Lang);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ReqLang {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(ReqLang(request_lang(req)))
    }
}

/// The path (and query) of a `Referer` on this site to go back to, or `/`. Only the path of
/// the header is used, so the answer always stays on this site.
fn back_path(referer: Option<&str>) -> String {
    let Some(r) = referer else {
        return "/".into();
    };
    let rest = r
        .strip_prefix("https://")
        .or_else(|| r.strip_prefix("http://"))
        .unwrap_or("");
    let path = match rest.find('/') {
        Some(i) => &rest[i..],
        None => return "/".into(),
    };
    let path = path.split('#').next().unwrap_or("/");
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/lang")
        && !path.contains('\\')
        && path.len() <= 2048
        && path.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        path.to_owned()
    } else {
        "/".into()
    }
}

/// The language switch: `GET /lang?to=<tag>` stores the choice in the `lang` cookie and
/// goes back to the page it was clicked on (the `Referer`'s path on this site, else `/`).
/// An unknown tag clears the choice (the browser's `Accept-Language` applies again).
#[rocket::get("/lang?<to>")]
pub fn switch(
    to: Option<&str>,
    req_headers: RefererHeader,
    jar: &CookieJar<'_>,
    state: &State<AppState>,
) -> Redirect {
    match to.and_then(Lang::from_tag) {
        Some(lang) => jar.add(
            Cookie::build((LANG_COOKIE, lang.tag()))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(state.settings.cookie_secure)
                .max_age(rocket::time::Duration::seconds(LANG_COOKIE_SECS))
                .build(),
        ),
        None => jar.remove(Cookie::build(LANG_COOKIE).path("/")),
    }
    Redirect::to(back_path(req_headers.0.as_deref()))
}

/// The `Referer` header, if any (a request guard).
#[derive(Debug, Clone)]
pub struct RefererHeader(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RefererHeader {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(RefererHeader(
            req.headers().get_one("Referer").map(str::to_owned),
        ))
    }
}

/// The language route.
pub fn routes() -> Vec<Route> {
    rocket::routes![switch]
}

/// `Content-Language` and `Vary: Accept-Language, Cookie` on every HTML answer (the page
/// depends on both); the API and the assets are untouched.
#[derive(Debug, Clone, Copy)]
pub struct LangHeaders;

#[rocket::async_trait]
impl Fairing for LangHeaders {
    fn info(&self) -> Info {
        Info {
            name: "page language headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        // The raw header, not `res.content_type()`: that parses the media type on every
        // response, a cost that showed in the load bench's profile.
        let html = res
            .headers()
            .get_one("Content-Type")
            .and_then(|c| c.trim_start().get(..9))
            .is_some_and(|c| c.eq_ignore_ascii_case("text/html"));
        if !html {
            return;
        }
        res.set_header(Header::new("Content-Language", request_lang(req).tag()));
        res.set_header(Header::new("Vary", "Accept-Language, Cookie"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_stays_on_this_site() {
        for (referer, want) in [
            (None, "/"),
            (
                Some("https://pool.example/tickets?live=2"),
                "/tickets?live=2",
            ),
            (Some("http://127.0.0.1:8000/stats#x"), "/stats"),
            (Some("https://pool.example"), "/"),
            (Some("https://evil.example//evil.example/x"), "/"),
            (Some("https://pool.example/\\evil"), "/"),
            (Some("https://pool.example/lang?to=en"), "/"),
            (Some("/relative"), "/"),
            (Some("javascript:alert(1)"), "/"),
            (Some("https://pool.example/a b"), "/"),
        ] {
            assert_eq!(back_path(referer), want, "{referer:?}");
        }
    }
}

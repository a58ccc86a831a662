//! Server-side sessions and CSRF.
//!
//! The `hcpool_session` cookie holds 32 random bytes (hex); the store keeps only its
//! SHA-256, with the user and the session's CSRF token. Visitors without a session get a
//! random `hcpool_csrf` cookie, and their forms must echo it (double submit).

use hcpool_core::backend::{Session, User};
use rocket::data::{self, Data, FromData};
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::Request;

use crate::auth::{random_hex, sha256_hex, tokens_equal};
use crate::error::WebError;
use crate::state::AppState;

/// Session cookie name.
pub const SESSION_COOKIE: &str = "hcpool_session";
/// CSRF cookie of visitors without a session.
pub const CSRF_COOKIE: &str = "hcpool_csrf";
/// A session lives this long after its last request (give or take
/// [`SESSION_TOUCH_SECS`]).
pub const SESSION_IDLE_SECS: i64 = 7 * 24 * 3600;
/// The default absolute lifetime of a session (`sessionmaxhours`, 720 h): it ends this long
/// after sign-in however active it is.
pub const SESSION_MAX_SECS: i64 = 30 * 24 * 3600;
/// A request writes the session's `last_seen` (and slides its expiry) only when the stored
/// `last_seen` is at least this old, so signed-in browsing is not one database write per
/// request.
pub const SESSION_TOUCH_SECS: i64 = 300;

/// Who is asking: the signed-in user (if any) and the CSRF token forms must carry.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The session and its user, when signed in.
    pub signed_in: Option<(Session, User)>,
    /// The CSRF token for this visitor's forms.
    pub csrf: String,
    /// The signed-in user is an admin from an admin IP (the navigation shows the admin
    /// pages); the admin pages check again.
    pub admin: bool,
    /// The visitor's language ([`crate::lang::request_lang`]).
    pub lang: hcpool_i18n::Lang,
}

impl Visitor {
    /// The signed-in user.
    pub fn user(&self) -> Option<&User> {
        self.signed_in.as_ref().map(|(_, u)| u)
    }

    /// Whether a submitted form's `csrf_token` is this visitor's.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        tokens_equal(&self.csrf, submitted)
    }
}

fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}

async fn load(req: &Request<'_>, state: &AppState) -> Result<Visitor, WebError> {
    let jar = req.cookies();
    let now = state.now();
    let store = state.pool.store();
    if let Some(c) = jar.get(SESSION_COOKIE) {
        let id_hash = sha256_hex(c.value());
        let max = state.settings.session_max_secs;
        let session = match store.session(&id_hash, now).await? {
            // Past its absolute lifetime, however recently used: gone.
            Some(s) if now >= s.created.saturating_add(max) => {
                store.delete_session(&id_hash).await?;
                None
            }
            other => other,
        };
        if let Some(session) = session {
            if let Some(user) = store.user(session.user_id).await? {
                if now.saturating_sub(session.last_seen) >= SESSION_TOUCH_SECS {
                    let expires =
                        (now + SESSION_IDLE_SECS).min(session.created.saturating_add(max));
                    store.touch_session(&id_hash, now, expires).await?;
                }
                let csrf = session.csrf_token.expose().clone();
                let ip = crate::limit::client_ip(req, state.settings.real_ip_header.as_deref());
                let admin = crate::pages::admin::listed(user.id, &ip, &state.settings);
                return Ok(Visitor {
                    signed_in: Some((session, user)),
                    csrf,
                    admin,
                    lang: crate::lang::request_lang(req),
                });
            }
        }
        jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    }
    let csrf = match jar.get(CSRF_COOKIE) {
        Some(c) if c.value().len() == 64 => c.value().to_owned(),
        _ => {
            let t = random_hex(32);
            jar.add(cookie(CSRF_COOKIE, t.clone(), state.settings.cookie_secure));
            t
        }
    };
    Ok(Visitor {
        signed_in: None,
        csrf,
        admin: false,
        lang: crate::lang::request_lang(req),
    })
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Visitor {
    type Error = ();

    /// Looked up once per request (cached), however many guards ask.
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(state) = req.rocket().state::<AppState>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let cached = req
            .local_cache_async(async {
                match load(req, state).await {
                    Ok(v) => Some(v),
                    Err(e) => {
                        tracing::error!(error = %e, "session lookup failed");
                        None
                    }
                }
            })
            .await;
        match cached {
            Some(v) => Outcome::Success(v.clone()),
            None => Outcome::Error((Status::ServiceUnavailable, ())),
        }
    }
}

/// A signed-in visitor (a request guard): a handler that takes it runs only for a session,
/// anyone else is sent to `/signin` (the 401 catcher of [`crate::pages`]). Request guards run
/// before the data guard: posted forms take [`SignedInForm`] instead, so the form's own
/// checks keep coming first.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The signed-in user.
    pub user: User,
    /// The visitor (session, CSRF token).
    pub visitor: Visitor,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SignedIn {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let visitor = match req.guard::<Visitor>().await {
            Outcome::Success(v) => v,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(s) => return Outcome::Forward(s),
        };
        match visitor.user().cloned() {
            Some(user) => Outcome::Success(SignedIn { user, visitor }),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

/// A form that carries the visitor's CSRF token in its `csrf_token` field.
pub trait CsrfField {
    /// The submitted token.
    fn csrf_token(&self) -> &str;
}

/// Implements [`CsrfField`] for form structs with a `csrf_token: String` field.
macro_rules! csrf_field {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::session::CsrfField for $form {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        })+
    };
}
pub(crate) use csrf_field;

impl CsrfField for std::collections::HashMap<String, String> {
    fn csrf_token(&self) -> &str {
        self.get("csrf_token").map_or("", String::as_str)
    }
}

/// A posted form whose `csrf_token` is the visitor's: a handler taking `Checked<T>` instead
/// of `Form<T>` never runs for a forged post. A mismatch is refused with hcstakepool's
/// `400 Invalid Csrf Token` (the page catcher sees [`CsrfRefused`]).
#[derive(Debug)]
pub struct Checked<T>(pub T);

impl<T> std::ops::Deref for Checked<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Set in the request's cache when [`Checked`] refused the form's token.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsrfRefused(pub bool);

#[rocket::async_trait]
impl<'r, T> FromData<'r> for Checked<T>
where
    T: FromForm<'r> + CsrfField + Send,
{
    type Error = rocket::form::Errors<'r>;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let form = match Form::<T>::from_data(req, data).await {
            data::Outcome::Success(f) => f.into_inner(),
            data::Outcome::Error((status, errors)) => {
                // hcstakepool checked the token before any handler: a form without one is
                // refused as a forged one, not as a malformed form.
                let no_token = errors
                    .iter()
                    .any(|e| e.name.as_ref().is_some_and(|n| n == "csrf_token"));
                if no_token {
                    req.local_cache(|| CsrfRefused(true));
                    return data::Outcome::Error((Status::BadRequest, errors));
                }
                return data::Outcome::Error((status, errors));
            }
            data::Outcome::Forward(f) => return data::Outcome::Forward(f),
        };
        let visitor = match req.guard::<Visitor>().await {
            Outcome::Success(v) => v,
            Outcome::Error((status, ())) => {
                return data::Outcome::Error((status, rocket::form::Errors::new()))
            }
            Outcome::Forward(status) => {
                return data::Outcome::Error((status, rocket::form::Errors::new()))
            }
        };
        if visitor.csrf_ok(form.csrf_token()) {
            data::Outcome::Success(Checked(form))
        } else {
            req.local_cache(|| CsrfRefused(true));
            data::Outcome::Error((Status::BadRequest, rocket::form::Errors::new()))
        }
    }
}

/// A posted form from a signed-in visitor (a data guard): the form is parsed and its CSRF
/// token checked first ([`Checked`]: a malformed or forged post is refused as before), then a
/// signed-out visitor is sent to `/signin` (the 401 catcher of [`crate::pages`]).
#[derive(Debug)]
pub struct SignedInForm<T> {
    /// The form.
    pub form: T,
    /// Who posted it.
    pub me: SignedIn,
}

#[rocket::async_trait]
impl<'r, T> FromData<'r> for SignedInForm<T>
where
    T: FromForm<'r> + CsrfField + Send,
{
    type Error = rocket::form::Errors<'r>;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let form = match Checked::<T>::from_data(req, data).await {
            data::Outcome::Success(Checked(f)) => f,
            data::Outcome::Error(e) => return data::Outcome::Error(e),
            data::Outcome::Forward(f) => return data::Outcome::Forward(f),
        };
        match req.guard::<SignedIn>().await {
            Outcome::Success(me) => data::Outcome::Success(SignedInForm { form, me }),
            Outcome::Error((status, ())) | Outcome::Forward(status) => {
                data::Outcome::Error((status, rocket::form::Errors::new()))
            }
        }
    }
}

/// Starts a fresh session for `user` (the account service's
/// [`start_session`](hcpool_core::service::AccountService::start_session): a new id every
/// sign-in, no fixation), ending the visitor's previous one, and sets the cookie.
///
/// # Errors
/// The store's error.
pub async fn start(
    state: &AppState,
    jar: &CookieJar<'_>,
    previous: &Visitor,
    user: hcpool_core::UserId,
) -> Result<(), WebError> {
    let old = previous.signed_in.as_ref().map(|(s, _)| s.id_hash.as_str());
    let lifetime = SESSION_IDLE_SECS.min(state.settings.session_max_secs);
    let id = state.accounts.start_session(user, old, lifetime).await?;
    jar.add(cookie(SESSION_COOKIE, id, state.settings.cookie_secure));
    jar.remove(Cookie::build(CSRF_COOKIE).path("/"));
    Ok(())
}

/// Ends the visitor's session in the store (the account service's sign-out) and drops the
/// cookie.
///
/// # Errors
/// The store's error.
pub async fn end(state: &AppState, jar: &CookieJar<'_>, visitor: &Visitor) -> Result<(), WebError> {
    if let Some((s, _)) = &visitor.signed_in {
        state.accounts.sign_out(&s.id_hash).await?;
    }
    jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok(())
}

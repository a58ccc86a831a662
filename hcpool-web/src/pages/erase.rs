//! Account deletion and data export (issue 16 row 6): `GET /export` (the signed-in user's
//! data as a JSON attachment), `GET /delete` (what deletion erases and what it keeps while
//! tickets may vote) and `POST /delete` (the current password and the CSRF token). The
//! logic is `hcpool_core::service::erasure`'s; the web app's sweep task is
//! [`crate::erase`].

use rocket::form::FromForm;
use rocket::http::{ContentType, CookieJar, Header, Status};
use rocket::request::{FlashMessage, Request};
use rocket::response::{self, Flash, Redirect, Responder};
use rocket::{Route, State};

use super::{title, Flashed, Nav, Page};
use crate::error::WebError;
use crate::limit::{allow_password_attempt, ClientIp};
use crate::session::{self, csrf_field, SignedIn, SignedInForm, Visitor};
use crate::state::AppState;

#[derive(Debug, FromForm)]
struct DeleteForm {
    password: String,
    csrf_token: String,
}
csrf_field!(DeleteForm);

/// The delete page's view model.
#[derive(Debug, serde::Serialize)]
struct DeleteView<'a> {
    csrf: &'a str,
    flash: Flashed,
    /// The account was deleted by this request (the page says what happens next).
    deleted: bool,
    /// The account has a registration: its voting data is kept while tickets may vote.
    has_address: bool,
    /// The multisig (ticket) address kept meanwhile.
    multisig_address: String,
}

/// The export: a JSON attachment, never cached.
pub(crate) struct ExportFile {
    body: String,
    filename: String,
}

impl<'r> Responder<'r, 'static> for ExportFile {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = (Status::Ok, (ContentType::JSON, self.body)).respond_to(req)?;
        res.set_header(Header::new(
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", self.filename),
        ));
        res.set_header(Header::new("Cache-Control", "no-store"));
        Ok(res)
    }
}

#[rocket::get("/export")]
async fn get_export(me: SignedIn, state: &State<AppState>) -> Result<ExportFile, WebError> {
    let user = &me.user;
    let tickets = match &user.registration {
        None => None,
        Some(r) => Some(
            state
                .user_tickets(&r.multisig_address)
                .await
                .map(|(_, info)| info)
                .map_err(|e| {
                    tracing::warn!(error = %e, "export: wallets did not answer");
                    "the wallets did not answer; export again later for the tickets".to_owned()
                }),
        ),
    };
    let session = me
        .visitor
        .signed_in
        .as_ref()
        .map(|(s, _)| s.id_hash.as_str());
    let export = state
        .accounts
        .export(
            user,
            tickets
                .as_ref()
                .map(|t| t.as_ref().map(|i| &**i).map_err(Clone::clone)),
            session,
        )
        .await?;
    let body =
        serde_json::to_string_pretty(&export).map_err(|e| WebError::Export(e.to_string()))?;
    Ok(ExportFile {
        body,
        filename: format!("hcpool-account-{}.json", user.id.0),
    })
}

#[rocket::get("/delete")]
async fn get_delete(
    me: SignedIn,
    flash: Option<FlashMessage<'_>>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let (user, v) = (&me.user, &me.visitor);
    let ctx = DeleteView {
        csrf: &v.csrf,
        flash: Flashed::take(flash),
        deleted: false,
        has_address: user.registration.is_some(),
        multisig_address: user
            .registration
            .as_ref()
            .map(|r| r.multisig_address.to_string())
            .unwrap_or_default(),
    };
    Ok(Page::ok(state.render(
        "deleteaccount",
        &title("Delete account"),
        &Nav::of(v),
        &ctx,
    )?))
}

#[rocket::post("/delete", data = "<form>")]
async fn post_delete(
    ip: ClientIp,
    form: SignedInForm<DeleteForm>,
    jar: &CookieJar<'_>,
    state: &State<AppState>,
) -> Result<Page, WebError> {
    let user = &form.me.user;
    if !allow_password_attempt(&state.auth_limiter, &ip, &user.email) {
        return Ok(Page::rate_limited());
    }
    let started = match state
        .accounts
        .delete_account(user, &form.form.password)
        .await
    {
        Ok(s) => s,
        Err(e) => {
            return Ok(Page::Flash(Flash::error(
                Redirect::to("/delete"),
                super::refusal_text(e)?,
            )))
        }
    };
    // The store ended every session of the user; the cookie goes too.
    jar.remove(rocket::http::Cookie::build(session::SESSION_COOKIE).path("/"));
    state.forget_user_counts();
    let signed_out = Visitor {
        signed_in: None,
        csrf: form.me.visitor.csrf.clone(),
        admin: false,
        lang: form.me.visitor.lang,
    };
    let ctx = DeleteView {
        csrf: &signed_out.csrf,
        flash: Flashed::default(),
        deleted: true,
        has_address: !started.complete,
        multisig_address: user
            .registration
            .as_ref()
            .map(|r| r.multisig_address.to_string())
            .unwrap_or_default(),
    };
    Ok(Page::ok(state.render(
        "deleteaccount",
        &title("Account deleted"),
        &Nav::of(&signed_out),
        &ctx,
    )?))
}

/// The forms of this module parsed from `body` (see [`super::fuzz_form_body`]).
pub(super) fn fuzz_form(body: &str) {
    if let Ok(f) = rocket::form::Form::<DeleteForm>::parse(body) {
        let _ = (f.password.len(), f.csrf_token.len());
    }
}

pub(super) fn routes() -> Vec<Route> {
    rocket::routes![get_export, get_delete, post_delete]
}

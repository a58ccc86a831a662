//! Maintenance mode (`maintenance=1`, an hcpool key): while it is on, every page answers a
//! maintenance page (503, `Retry-After`) and every API command an unavailable error (503,
//! envelope code 14). `/status` (health for monitors, the admin page) and the assets keep
//! answering, so operators can watch the pool come back.
//!
//! hcstakepool shipped a `maintenance.html` it never routed; operators put nginx in front
//! instead. Here the app does it itself.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::uri::Origin;
use rocket::http::{Header, Method, Status};
use rocket::response::content::RawHtml;
use rocket::{Data, Request, Route, State};

use crate::api::{ApiData, ApiReply};
use crate::error::code;
use crate::pages::{title, Nav};
use crate::state::AppState;

const PAGE_PATH: &str = "/__maintenance";
const API_PATH: &str = "/__maintenance/api";

/// The API message while in maintenance.
pub const API_MESSAGE: &str = "system error - stake pool is down for maintenance";

/// Routes every request but `/status`, `/api/health` and `/assets/` to the maintenance answers while
/// `maintenance` is on.
#[derive(Debug, Clone, Copy)]
pub struct Maintenance;

/// Whether `path` still answers normally during maintenance.
pub fn exempt(path: &str) -> bool {
    path == "/status" || path == "/api/health" || path.starts_with("/assets/")
}

#[rocket::async_trait]
impl Fairing for Maintenance {
    fn info(&self) -> Info {
        Info {
            name: "maintenance mode",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        let on = req
            .rocket()
            .state::<AppState>()
            .is_some_and(|s| s.settings.maintenance);
        if !on {
            return;
        }
        let to = {
            let path = req.uri().path();
            if exempt(path.as_str()) {
                return;
            }
            if path.as_str().starts_with("/api/") {
                API_PATH
            } else {
                PAGE_PATH
            }
        };
        req.set_method(Method::Get);
        req.set_uri(Origin::path_only(to));
    }
}

/// The maintenance page: 503 with `Retry-After`.
#[derive(Debug, rocket::Responder)]
pub struct UnavailablePage {
    inner: (Status, RawHtml<String>),
    retry_after: Header<'static>,
}

/// The API's maintenance answer: 503 with the envelope and `Retry-After`.
#[derive(Debug, rocket::Responder)]
pub struct UnavailableApi {
    inner: ApiReply,
    retry_after: Header<'static>,
}

fn retry_after() -> Header<'static> {
    Header::new("Retry-After", "300")
}

#[rocket::get("/__maintenance")]
fn page(state: &State<AppState>, lang: crate::lang::ReqLang) -> Option<UnavailablePage> {
    if !state.settings.maintenance {
        return None;
    }
    let nav = Nav {
        signed_in: false,
        email: String::new(),
        has_address: false,
        csrf: String::new(),
        admin: false,
        lang: lang.0,
    };
    let ctx = serde_json::json!({ "message": state.settings.maintenance_msg });
    let html = state
        .render("maintenance", &title("Maintenance"), &nav, &ctx)
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "maintenance page");
            "Down for maintenance".into()
        });
    Some(UnavailablePage {
        inner: (Status::ServiceUnavailable, RawHtml(html)),
        retry_after: retry_after(),
    })
}

#[rocket::get("/__maintenance/api")]
fn api(state: &State<AppState>) -> Option<UnavailableApi> {
    if !state.settings.maintenance {
        return None;
    }
    let mut inner = ApiReply::error(code::UNAVAILABLE, API_MESSAGE.into(), ApiData::<()>::Absent);
    inner.status = Status::ServiceUnavailable;
    Some(UnavailableApi {
        inner,
        retry_after: retry_after(),
    })
}

/// The maintenance routes (they answer 404 when maintenance is off).
pub fn routes() -> Vec<Route> {
    rocket::routes![page, api]
}

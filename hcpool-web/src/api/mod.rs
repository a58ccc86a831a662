//! The JSON API, v1 and v2 (the same handlers), byte-compatible with hcstakepool
//! (inventory §6): envelope, codes, texts, field names and order.

mod envelope;
pub mod health;
mod types;

pub use envelope::{ApiAnswer, ApiData, ApiReply, GoFloat, PreparedJson};
pub use types::{PurchaseInfoData, StatsData};

use hcpool_core::backend::User;
use hcpool_core::votebits::parse_api_votebits;
use rocket::form::{Form, FromForm, Lenient};
use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::{Catcher, Request, Route, State};

use crate::error::{classify, code, Op};
use crate::limit::ApiQuota;
use crate::state::AppState;

/// The user a valid API token belongs to, if any; and the store's error when the token
/// could not be checked (the database is away: that is not an invalid token).
///
/// The check is [`AccountService::api_user`](hcpool_core::AccountService::api_user): the
/// token must verify (HMAC with `apisecret`, as hcstakepool issued them) AND equal the token
/// stored for that user; the row is read for every request that needs the user.
#[derive(Debug)]
pub struct ApiUser(pub Option<User>, pub Option<hcpool_core::Error>);

impl ApiUser {
    /// The user of `token` (the `Authorization: Bearer` value), read from the store.
    pub async fn resolve(state: &AppState, token: Option<&str>) -> ApiUser {
        let Some(token) = token else {
            return ApiUser(None, None);
        };
        match state.accounts.api_user(token).await {
            Ok(u) => ApiUser(u, None),
            Err(e) => {
                tracing::warn!(error = %e, "API token lookup failed");
                ApiUser(None, Some(e))
            }
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(state) = req.rocket().state::<AppState>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let token = req
            .guard::<Bearer<'r>>()
            .await
            .succeeded()
            .and_then(|b| b.0);
        Outcome::Success(ApiUser::resolve(state, token).await)
    }
}

/// The `Authorization: Bearer` value, unchecked: the commands that need the user resolve it
/// ([`ApiUser::resolve`]); the public ones (`stats`) never touch the store for it.
#[derive(Debug, Clone, Copy)]
pub struct Bearer<'r>(pub Option<&'r str>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Bearer<'r> {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(Bearer(
            req.headers()
                .get_one("Authorization")
                .and_then(|h| h.strip_prefix("Bearer ")),
        ))
    }
}

/// The API's form fields (body or query, as Go's `FormValue`).
#[derive(Debug, Default, FromForm)]
pub struct ApiFields {
    /// `address`: the user's pubkey address.
    #[field(name = "UserPubKeyAddr")]
    pub user_pub_key_addr: Option<String>,
    /// `voting`: the votebits.
    #[field(name = "VoteBits")]
    pub vote_bits: Option<String>,
}

/// The API's fields parsed from `body` (leniently, as the handlers take them) with the
/// checks that need no state (see [`crate::pages::fuzz_form_body`]).
pub(crate) fn fuzz_form(body: &str) {
    if let Ok(f) = Form::<Lenient<ApiFields>>::parse(body) {
        let f = f.into_inner();
        if let Some(bits) = f
            .vote_bits
            .as_deref()
            .and_then(|v| parse_api_votebits(v).ok())
        {
            for net in hcpool_core::Network::ALL {
                let params = net.params();
                let _ = bits.validate(params.agendas(params.wallet_vote_version));
            }
        }
        if let Some(addr) = f.user_pub_key_addr.as_deref() {
            for net in hcpool_core::Network::ALL {
                let _ = hcpool_core::address::validate_user_pubkey_address(addr, net);
            }
        }
    }
}

fn known_version(ver: &str) -> bool {
    ver == "v1" || ver == "v2"
}

#[rocket::get("/api/<ver>/<cmd>")]
async fn api_get(
    _quota: ApiQuota,
    ver: &str,
    cmd: &str,
    token: Bearer<'_>,
    ip: crate::limit::ClientIp,
    state: &State<AppState>,
) -> ApiAnswer {
    if !known_version(ver) {
        return ApiReply::invalid().into();
    }
    match cmd {
        "getpurchaseinfo" => purchase_info(state, ApiUser::resolve(state, token.0).await)
            .await
            .into(),
        "stats" => stats(state).await,
        "generatecaptcha" => crate::captcha::api_generate(state, &ip.0).await.into(),
        // hcpool additions, v2 only (v1 stays hcstakepool's): docs/adr/0009-vote-records.md.
        "voterecords" if ver == "v2" => vote_records(state, ApiUser::resolve(state, token.0).await)
            .await
            .into(),
        "voterecordkey" if ver == "v2" => vote_record_key(state).into(),
        _ => ApiReply::invalid().into(),
    }
}

#[rocket::post("/api/<ver>/<cmd>?<query..>", data = "<body>")]
async fn api_post(
    _quota: ApiQuota,
    ver: &str,
    cmd: &str,
    query: ApiFields,
    body: Option<Form<Lenient<ApiFields>>>,
    token: Bearer<'_>,
    state: &State<AppState>,
) -> ApiReply {
    if !known_version(ver) {
        return ApiReply::invalid();
    }
    let body = body
        .map(|f| f.into_inner().into_inner())
        .unwrap_or_default();
    match cmd {
        "address" => {
            let v = body.user_pub_key_addr.or(query.user_pub_key_addr);
            let user = ApiUser::resolve(state, token.0).await;
            address(state, user, v.unwrap_or_default()).await
        }
        "voting" => {
            let v = body.vote_bits.or(query.vote_bits);
            let user = ApiUser::resolve(state, token.0).await;
            voting(state, user, v.unwrap_or_default()).await
        }
        _ => ApiReply::invalid(),
    }
}

#[rocket::get("/api/<_..>", rank = 20)]
fn api_other_get() -> ApiReply {
    ApiReply::invalid()
}

#[rocket::post("/api/<_..>", rank = 20)]
fn api_other_post() -> ApiReply {
    ApiReply::invalid()
}

/// hcstakepool answered any other method on a v1/v2 command with an empty success.
#[rocket::put("/api/<ver>/<_>")]
fn api_put(ver: &str) -> ApiReply {
    other_method(ver)
}

#[rocket::delete("/api/<ver>/<_>")]
fn api_delete(ver: &str) -> ApiReply {
    other_method(ver)
}

fn other_method(ver: &str) -> ApiReply {
    if known_version(ver) {
        ApiReply::ok("", ApiData::<()>::Absent)
    } else {
        ApiReply::invalid()
    }
}

#[rocket::catch(default)]
fn api_catcher() -> ApiReply {
    ApiReply::invalid()
}

/// The answer to a rate-limited API request: 429, the envelope, and when to retry.
#[derive(Debug, rocket::Responder)]
pub struct RateLimited {
    inner: ApiReply,
    retry_after: Header<'static>,
}

/// The rate-limit message.
pub const RATE_LIMITED_MESSAGE: &str = "rate limited - too many requests, please wait a minute";

#[rocket::catch(429)]
fn api_rate_limited() -> RateLimited {
    let mut inner = ApiReply::error(
        code::RESOURCE_EXHAUSTED,
        RATE_LIMITED_MESSAGE.into(),
        ApiData::<()>::Absent,
    );
    inner.status = Status::TooManyRequests;
    RateLimited {
        inner,
        retry_after: Header::new("Retry-After", "60"),
    }
}

/// The API routes.
pub fn routes() -> Vec<Route> {
    rocket::routes![
        api_get,
        api_post,
        api_put,
        api_delete,
        api_other_get,
        api_other_post
    ]
}

/// Catchers for `/api`: anything unmatched answers the invalid-command JSON.
pub fn catchers() -> Vec<Catcher> {
    rocket::catchers![api_catcher, api_rate_limited]
}

async fn purchase_info(state: &AppState, user: ApiUser) -> ApiReply {
    let op = Op::PurchaseInfo;
    let Some(user) = user.0 else {
        if let Some(e) = user.1 {
            return ApiReply::failure(op, &e, ApiData::<()>::Null);
        }
        return ApiReply::unauthenticated(op, ApiData::<()>::Null);
    };
    // The row the token was checked against has everything: no second read.
    match state.pool.purchase_info_of(&user) {
        Ok(info) => ApiReply::ok(
            "purchaseinfo successfully retrieved",
            ApiData::Some(PurchaseInfoData::from(&info)),
        ),
        Err(e) => ApiReply::failure(op, &e, ApiData::<()>::Null),
    }
}

/// The stats: the same bytes for everyone, prepared once per reading of the stake info and
/// the user counts ([`AppState::stats_body`]).
async fn stats(state: &AppState) -> ApiAnswer {
    let op = Op::Stats;
    let info = match state.stake_info().await {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "stake info unavailable");
            return ApiReply::error(
                code::UNAVAILABLE,
                "stats error - RPC server error".into(),
                ApiData::<()>::Null,
            )
            .into();
        }
    };
    let counts = match state.user_counts().await {
        Ok(c) => c,
        Err(e) => return ApiReply::failure(op, &e, ApiData::<()>::Null).into(),
    };
    ApiAnswer::Prepared(PreparedJson(state.stats_body(&info, counts)))
}

/// The message of the vote-record calls when the pool signs none (`voterecordkey=`).
pub const NO_VOTE_RECORDS: &str = "this pool does not sign vote records";

async fn vote_records(state: &AppState, user: ApiUser) -> ApiReply {
    let op = Op::VoteRecords;
    let Some(user) = user.0 else {
        if let Some(e) = user.1 {
            return ApiReply::failure(op, &e, ApiData::<()>::Null);
        }
        return ApiReply::unauthenticated(op, ApiData::<()>::Null);
    };
    let Some(key) = state.vote_record_key.clone() else {
        return ApiReply::error(
            code::FAILED_PRECONDITION,
            format!("{} - {NO_VOTE_RECORDS}", op.context()),
            ApiData::<()>::Null,
        );
    };
    match crate::voterecords::of_user(state, &key, &user).await {
        Ok(r) => ApiReply::ok("voterecords successfully retrieved", ApiData::Some(r)),
        Err(e) => {
            tracing::warn!(user = user.id.0, error = %e, "vote records unavailable");
            ApiReply::failure(op, &e, ApiData::<()>::Null)
        }
    }
}

fn vote_record_key(state: &AppState) -> ApiReply {
    match &state.vote_record_key {
        Some(key) => ApiReply::ok(
            "voterecordkey successfully retrieved",
            ApiData::Some(crate::voterecords::KeyView::of(&key.public())),
        ),
        None => ApiReply::error(
            code::FAILED_PRECONDITION,
            format!("voterecordkey error - {NO_VOTE_RECORDS}"),
            ApiData::<()>::Null,
        ),
    }
}

async fn address(state: &AppState, user: ApiUser, submitted: String) -> ApiReply {
    let op = Op::Address;
    let Some(user) = user.0 else {
        if let Some(e) = user.1 {
            return ApiReply::failure(op, &e, ApiData::<()>::Absent);
        }
        return ApiReply::unauthenticated(op, ApiData::<()>::Absent);
    };
    match state
        .registration_call(state.pool.register_address(user.id, &submitted))
        .await
    {
        Ok(_) => {
            state.forget_user_counts();
            state.metrics.registered();
            ApiReply::ok("address successfully imported", ApiData::<()>::Absent)
        }
        Err(e) => {
            if e.backend_kind().is_some() {
                tracing::warn!(user = user.id.0, error = %e, "address registration failed");
            }
            ApiReply::failure(op, &e, ApiData::<()>::Absent)
        }
    }
}

async fn voting(state: &AppState, user: ApiUser, submitted: String) -> ApiReply {
    let op = Op::Voting;
    let Some(user) = user.0 else {
        if let Some(e) = user.1 {
            return ApiReply::failure(op, &e, ApiData::<()>::Absent);
        }
        return ApiReply::unauthenticated(op, ApiData::<()>::Absent);
    };
    let result = async {
        let bits = parse_api_votebits(&submitted)?;
        let version = state.vote_version().await?;
        state.pool.set_vote_bits(user.id, bits, version).await
    }
    .await;
    match result {
        Ok(_) => ApiReply::ok(
            "successfully updated voting preferences",
            ApiData::<()>::Absent,
        ),
        Err(e) => {
            if e.backend_kind().is_some() {
                tracing::warn!(user = user.id.0, error = %e, "voting update failed");
            }
            ApiReply::failure(op, &e, ApiData::<()>::Absent)
        }
    }
}

impl ApiReply {
    fn failure<T: serde::Serialize>(op: Op, e: &hcpool_core::Error, data: ApiData<T>) -> Self {
        let f = classify(op, e);
        ApiReply::error(f.api_code, f.api_message, data)
    }

    fn unauthenticated<T: serde::Serialize>(op: Op, data: ApiData<T>) -> Self {
        ApiReply::error(
            code::UNAUTHENTICATED,
            format!("{} - invalid api token", op.context()),
            data,
        )
    }
}

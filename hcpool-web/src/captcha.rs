//! The self-hosted sign-up captcha (`captcha=1`, an hcpool key; off by default).
//!
//! Images come from the `captcha` crate (PNG, drawn in-process: no third-party script, no
//! external request) and are sent inline as a `data:` URI, which the CSP's `img-src` allows.
//! The answer never leaves the server: it is kept, hashed, through the store's
//! [`ChallengeStore`] role, keyed by the SHA-256 of `captcha:<id>`, where `<id>` is 32 random
//! bytes sent in the form. Checking consumes the challenge first (take-if-present, so two
//! racing checks cannot both win) and then compares, so every challenge is single-use: a
//! wrong guess burns it (hcstakepool kept it, so 6 digits could be brute-forced). Challenges
//! expire after [`CAPTCHA_TTL_SECS`] and are purged with the other expired rows
//! ([`crate::purge`]). Issuance is rate-limited per client IP
//! ([`crate::state::CAPTCHA_CHALLENGES_PER_MINUTE`]): past it `GET /signup` answers 429 and
//! stores nothing, so one client holds at most about limit × (TTL + purge interval) rows.
//!
//! The `recaptchasitekey`/`recaptchasecret` keys are legacy: accepted, unused.
//!
//! hcstakepool's names are kept for old pages and scripts: the API command
//! `generatecaptcha` ([`api_generate`]: `CaptchaId` and `ImageBlob`, its page's fields
//! `verifyKey` and `verifyValue`) gives a challenge that sign-up accepts under either name.

use base64::Engine as _;
use hcpool_core::backend::{Challenge as StoredChallenge, ChallengeStore};
use hcpool_core::Secret;

use crate::auth::{random_hex, sha256_hex, tokens_equal};
use crate::error::WebError;
use crate::state::AppState;

/// How long a challenge can be answered.
pub const CAPTCHA_TTL_SECS: i64 = 600;

/// The flash text of a wrong or missing answer (hcstakepool's).
pub const WRONG_ANSWER: &str = "verify value is invalid";

/// A challenge for one form.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Challenge {
    /// Goes back in the form's hidden `captcha_id`.
    pub id: String,
    /// `data:image/png;base64,...`.
    pub image: String,
}

fn row_key(id: &str) -> String {
    sha256_hex(&format!("captcha:{id}"))
}

fn answer_hash(answer: &str) -> String {
    sha256_hex(&answer.trim().to_lowercase())
}

/// Draws a new challenge (off the async threads); returns its text and PNG.
///
/// # Errors
/// [`WebError::Join`] when the drawing task dies, [`WebError::Captcha`] when the PNG cannot
/// be encoded.
pub async fn draw() -> Result<(String, Vec<u8>), WebError> {
    tokio::task::spawn_blocking(|| ::captcha::generate(::captcha::Difficulty::Medium).as_tuple())
        .await
        .map_err(|_| WebError::Join)?
        .ok_or(WebError::Captcha)
}

/// Stores the answer of challenge `id` (what [`issue`] does with a drawn image; public so
/// tests and embedders with their own images can use the same single-use check).
///
/// # Errors
/// The store's error.
pub async fn remember(
    store: &(impl ChallengeStore + ?Sized),
    id: &str,
    answer: &str,
    now: i64,
) -> Result<(), WebError> {
    store
        .create_challenge(&StoredChallenge {
            id_hash: row_key(id),
            answer_hash: Secret::new(answer_hash(answer)),
            created: now,
            expires: now + CAPTCHA_TTL_SECS,
        })
        .await?;
    Ok(())
}

/// Creates and stores a challenge.
///
/// # Errors
/// Drawing or the store failed.
pub async fn issue(state: &AppState) -> Result<Challenge, WebError> {
    let (text, png) = draw().await?;
    let id = random_hex(32);
    remember(state.pool.store().as_ref(), &id, &text, state.now()).await?;
    let image = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    );
    Ok(Challenge { id, image })
}

/// Consumes challenge `id` and tells whether `answer` solves it (case-insensitive). An
/// unknown, expired or already used id is `false`.
///
/// # Errors
/// The store's error.
pub async fn check(state: &AppState, id: &str, answer: &str) -> Result<bool, WebError> {
    if id.len() != 64 || answer.trim().is_empty() || answer.len() > 64 {
        return Ok(false);
    }
    let taken = state
        .pool
        .store()
        .take_challenge(&row_key(id), state.now())
        .await?;
    Ok(taken.is_some_and(|expected| tokens_equal(expected.expose(), &answer_hash(answer))))
}

/// `data` of `generatecaptcha`, hcstakepool's fields (a Go map: keys in sorted order).
#[derive(Debug, serde::Serialize)]
struct GeneratedCaptcha {
    #[serde(rename = "CaptchaId")]
    captcha_id: String,
    #[serde(rename = "ImageBlob")]
    image_blob: String,
}

/// The API command `generatecaptcha` (hcstakepool's sign-up page called it for its image):
/// a new challenge as `{"CaptchaId":…,"ImageBlob":"data:image/png;base64,…"}`, the message
/// `generate captcha successful`. Issuance counts against the same per-IP limit as the
/// sign-up page (over it: HTTP 429, code 8). With `captcha` off there is nothing to answer:
/// code 9 (FailedPrecondition) `generatecaptcha error - captcha is not enabled`.
pub async fn api_generate(state: &AppState, ip: &str) -> crate::api::ApiReply {
    use crate::api::{ApiData, ApiReply};
    use crate::error::code;
    let fail = |c: u32, text: &str| {
        ApiReply::error(
            c,
            format!("generatecaptcha error - {text}"),
            ApiData::<()>::Null,
        )
    };
    if !state.settings.captcha {
        return fail(code::FAILED_PRECONDITION, "captcha is not enabled");
    }
    if !state.captcha_limiter.allow(ip) {
        tracing::info!(ip, "captcha issuance rate limited");
        let mut r = fail(
            code::RESOURCE_EXHAUSTED,
            "too many requests, please wait a minute",
        );
        r.status = rocket::http::Status::TooManyRequests;
        return r;
    }
    match issue(state).await {
        Ok(c) => ApiReply::ok(
            "generate captcha successful",
            ApiData::Some(GeneratedCaptcha {
                captcha_id: c.id,
                image_blob: c.image,
            }),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "captcha issuance failed");
            fail(code::UNAVAILABLE, "unable to make a captcha")
        }
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn draws_a_png_with_a_short_answer() {
        let (text, png) = super::draw().await.unwrap();
        assert!((4..=6).contains(&text.chars().count()), "{text}");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}

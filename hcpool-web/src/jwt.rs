//! hcstakepool's API tokens: HMAC-signed JWTs with claims `iat`, `iss` (baseurl) and
//! `loggedInAs` (user id), as jwt-go v3 issued and checked them (inventory §6.2).
//!
//! Signing and verification are the `jsonwebtoken` crate's (9.x, on `ring`, which the
//! workspace already builds for rustls). Only the three HMAC algorithms are accepted, as
//! jwt-go's key function did; `none` and the asymmetric algorithms are refused. The time
//! claims are checked here against the pool's clock, with jwt-go v3's rules (no leeway; `iat`
//! in the future is invalid; `exp` and `nbf` only when present — hcstakepool's tokens have
//! no `exp`). Tokens are issued with jwt-go's exact bytes (header `{"alg":"HS256","typ":"JWT"}`,
//! claims in sorted key order), so tokens we issue and tokens hcstakepool issued look alike.
//!
//! hcpool-web additionally requires the token to equal the one stored for the user (see
//! [`crate::api::ApiUser`]), so issuing a new token revokes the old one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hcpool_core::UserId;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Header {
    alg: &'static str,
    typ: &'static str,
}

/// Claims in jwt-go's (sorted) key order.
#[derive(Serialize)]
struct IssuedClaims<'a> {
    iat: i64,
    iss: &'a str,
    #[serde(rename = "loggedInAs")]
    logged_in_as: u64,
}

/// The claims we read. jwt-go wrote numbers as JSON numbers; floats are tolerated.
#[derive(Deserialize)]
struct AnyClaims {
    #[serde(rename = "loggedInAs")]
    logged_in_as: Option<serde_json::Number>,
    iat: Option<f64>,
    exp: Option<f64>,
    nbf: Option<f64>,
}

/// Issues a token as hcstakepool's `SetUserAPIToken` does (HS256).
pub fn issue(secret: &[u8], issuer: &str, user: UserId, iat: i64) -> String {
    // Serialising these two plain structs cannot fail.
    let header = serde_json::to_vec(&Header {
        alg: "HS256",
        typ: "JWT",
    })
    .unwrap_or_default();
    let claims = serde_json::to_vec(&IssuedClaims {
        iat,
        iss: issuer,
        logged_in_as: user.0,
    })
    .unwrap_or_default();
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    // HMAC signing has no failure mode for any key length.
    let sig = jsonwebtoken::crypto::sign(
        signing_input.as_bytes(),
        &EncodingKey::from_secret(secret),
        Algorithm::HS256,
    )
    .unwrap_or_default();
    format!("{signing_input}.{sig}")
}

fn validation() -> Validation {
    let mut v = Validation::new(Algorithm::HS256);
    v.algorithms = vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];
    // Time claims are checked below with the pool's clock; hcstakepool's have no `exp`.
    v.required_spec_claims.clear();
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.leeway = 0;
    v
}

/// Checks a token's signature (any HMAC algorithm, as jwt-go accepted) and the standard
/// time claims present; returns the `loggedInAs` user. `None` for anything invalid.
pub fn verify(secret: &[u8], token: &str, now: i64) -> Option<UserId> {
    let data =
        jsonwebtoken::decode::<AnyClaims>(token, &DecodingKey::from_secret(secret), &validation())
            .ok()?;
    let claims = data.claims;
    let now = now as f64;
    if claims.iat.is_some_and(|t| now < t)
        || claims.exp.is_some_and(|t| now >= t)
        || claims.nbf.is_some_and(|t| now < t)
    {
        return None;
    }
    let n = claims.logged_in_as?;
    let id = n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < u64::MAX as f64)
            .map(|f| f as u64)
    })?;
    Some(UserId(id))
}

/// The account service's API tokens: [`issue`] with the pool's `apisecret` and `baseurl`.
#[derive(Debug, Clone)]
pub struct JwtIssuer {
    /// `apisecret`.
    pub secret: hcpool_core::Secret<String>,
    /// `baseurl` (the `iss` claim).
    pub issuer: String,
}

impl hcpool_core::backend::ApiTokenIssuer for JwtIssuer {
    fn issue(&self, user: UserId, issued_at: i64) -> hcpool_core::Secret<String> {
        hcpool_core::Secret::new(issue(
            self.secret.expose().as_bytes(),
            &self.issuer,
            user,
            issued_at,
        ))
    }

    fn verify(&self, token: &str, now: i64) -> Option<UserId> {
        verify(self.secret.expose().as_bytes(), token, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B64: base64::engine::GeneralPurpose = URL_SAFE_NO_PAD;

    /// An HMAC-signed token computed without `jsonwebtoken` (bitcoin's HMAC), so the
    /// crate is checked against an independent implementation.
    fn hmac_token(alg: &str, secret: &[u8], claims: &str) -> String {
        use bitcoin::hashes::hmac::{Hmac, HmacEngine};
        use bitcoin::hashes::{sha256, sha384, sha512, Hash, HashEngine};
        fn mac<H: Hash>(key: &[u8], data: &[u8]) -> Vec<u8> {
            let mut e = HmacEngine::<H>::new(key);
            e.input(data);
            Hmac::<H>::from_engine(e)[..].to_vec()
        }
        let h = B64.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
        let c = B64.encode(claims);
        let input = format!("{h}.{c}");
        let sig = match alg {
            "HS384" => mac::<sha384::Hash>(secret, input.as_bytes()),
            "HS512" => mac::<sha512::Hash>(secret, input.as_bytes()),
            _ => mac::<sha256::Hash>(secret, input.as_bytes()),
        };
        format!("{input}.{}", B64.encode(sig))
    }

    #[test]
    fn issued_token_has_hcstakepool_shape_and_verifies() {
        let t = issue(b"secret", "http://127.0.0.1:8000", UserId(64), 1481730366);
        let mut parts = t.split('.');
        assert_eq!(parts.next(), Some("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"));
        let claims = B64.decode(parts.next().unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(claims).unwrap(),
            r#"{"iat":1481730366,"iss":"http://127.0.0.1:8000","loggedInAs":64}"#
        );
        assert_eq!(verify(b"secret", &t, 1481730366), Some(UserId(64)));
        assert_eq!(verify(b"other", &t, 1481730366), None);
        // iat in the future is refused, as jwt-go v3 did.
        assert_eq!(verify(b"secret", &t, 1481730365), None);
    }

    /// A token as hcstakepool (jwt-go v3, HS256, `apisecret`) issued it, bytes computed
    /// independently of `issue` and of `jsonwebtoken`.
    #[test]
    fn jwt_go_token_with_no_exp_stays_valid_forever() {
        let claims = r#"{"iat":1500000000,"iss":"https://pool.example","loggedInAs":12}"#;
        let t = hmac_token("HS256", b"apisecret", claims);
        assert_eq!(
            t,
            issue(b"apisecret", "https://pool.example", UserId(12), 1500000000)
        );
        assert_eq!(verify(b"apisecret", &t, 4_000_000_000), Some(UserId(12)));
    }

    #[test]
    fn exp_and_nbf_are_honoured_when_present() {
        let t = hmac_token("HS256", b"k", r#"{"exp":100,"loggedInAs":3}"#);
        assert_eq!(verify(b"k", &t, 99), Some(UserId(3)));
        assert_eq!(verify(b"k", &t, 100), None);
        let t = hmac_token("HS256", b"k", r#"{"nbf":100,"loggedInAs":3}"#);
        assert_eq!(verify(b"k", &t, 99), None);
        assert_eq!(verify(b"k", &t, 100), Some(UserId(3)));
    }

    #[test]
    fn tampered_unsigned_and_claimless_tokens_are_refused() {
        let t = issue(b"k", "x", UserId(1), 0);
        let forged = t.replacen("eyJ", "eyK", 1);
        assert_eq!(verify(b"k", &forged, 10), None);
        let none_alg = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none"}"#),
            B64.encode(br#"{"loggedInAs":1}"#)
        );
        assert_eq!(verify(b"k", &none_alg, 10), None);
        assert_eq!(verify(b"k", "a.b", 10), None);
        assert_eq!(verify(b"k", "", 10), None);
        // Signed, but no `loggedInAs` (hcstakepool answered 500 here).
        let t = hmac_token("HS256", b"k", r#"{"iat":1}"#);
        assert_eq!(verify(b"k", &t, 10), None);
        // A negative or fractional user id is not a user.
        let t = hmac_token("HS256", b"k", r#"{"loggedInAs":-1}"#);
        assert_eq!(verify(b"k", &t, 10), None);
        let t = hmac_token("HS256", b"k", r#"{"loggedInAs":1.5}"#);
        assert_eq!(verify(b"k", &t, 10), None);
    }

    #[test]
    fn hs384_and_hs512_tokens_are_accepted() {
        for alg in ["HS384", "HS512"] {
            let t = hmac_token(alg, b"k", r#"{"loggedInAs":7}"#);
            assert_eq!(verify(b"k", &t, 10), Some(UserId(7)), "{alg}");
        }
    }

    #[test]
    fn asymmetric_algorithm_names_are_refused() {
        // An RS256 header over an HMAC signature: the classic key-confusion attempt.
        let h = B64.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let c = B64.encode(br#"{"loggedInAs":1}"#);
        let sig = jsonwebtoken::crypto::sign(
            format!("{h}.{c}").as_bytes(),
            &EncodingKey::from_secret(b"k"),
            Algorithm::HS256,
        )
        .unwrap();
        assert_eq!(verify(b"k", &format!("{h}.{c}.{sig}"), 10), None);
    }
}

//! hcstakepool's API tokens: HMAC-signed JWTs with claims `iat`, `iss` (baseurl) and
//! `loggedInAs` (user id), as jwt-go v3 issued and checked them (inventory §6.2).
//!
//! Built on the workspace's `bitcoin::hashes` HMAC rather than a JWT crate: only the three
//! HMAC algorithms are ever valid here, and a JWT crate would pull RSA/EC code we refuse.

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use bitcoin::hashes::hmac::{Hmac, HmacEngine};
use bitcoin::hashes::{sha256, sha384, sha512, Hash, HashEngine};
use hcpool_core::UserId;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// jwt-go pads before decoding, so both padded and unpadded segments are accepted.
const B64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

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

#[derive(Deserialize)]
struct AnyHeader {
    alg: String,
}

#[derive(Deserialize)]
struct AnyClaims {
    #[serde(rename = "loggedInAs")]
    logged_in_as: Option<serde_json::Number>,
    iat: Option<f64>,
    exp: Option<f64>,
    nbf: Option<f64>,
}

fn mac<H: Hash>(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut e = HmacEngine::<H>::new(key);
    e.input(data);
    Hmac::<H>::from_engine(e)[..].to_vec()
}

fn sign(alg: &str, key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    Some(match alg {
        "HS256" => mac::<sha256::Hash>(key, data),
        "HS384" => mac::<sha384::Hash>(key, data),
        "HS512" => mac::<sha512::Hash>(key, data),
        _ => return None,
    })
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
    let signing_input = format!("{}.{}", B64.encode(header), B64.encode(claims));
    let sig = mac::<sha256::Hash>(secret, signing_input.as_bytes());
    format!("{signing_input}.{}", B64.encode(sig))
}

/// Checks a token's signature (any HMAC algorithm, as jwt-go accepted) and the standard
/// time claims present; returns the `loggedInAs` user. `None` for anything invalid.
pub fn verify(secret: &[u8], token: &str, now: i64) -> Option<UserId> {
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: AnyHeader = serde_json::from_slice(&B64.decode(h).ok()?).ok()?;
    let expected = sign(&header.alg, secret, format!("{h}.{c}").as_bytes())?;
    let given = B64.decode(s).ok()?;
    if !bool::from(expected.ct_eq(&given)) {
        return None;
    }
    let claims: AnyClaims = serde_json::from_slice(&B64.decode(c).ok()?).ok()?;
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
            .filter(|f| f.fract() == 0.0 && *f >= 0.0)
            .map(|f| f as u64)
    })?;
    Some(UserId(id))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn tampered_and_unsigned_tokens_are_refused() {
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
    }

    #[test]
    fn hs512_tokens_are_accepted() {
        let h = B64.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
        let c = B64.encode(br#"{"loggedInAs":7}"#);
        let sig = B64.encode(mac::<sha512::Hash>(b"k", format!("{h}.{c}").as_bytes()));
        assert_eq!(verify(b"k", &format!("{h}.{c}.{sig}"), 10), Some(UserId(7)));
    }
}

//! API tokens: `hcpool_web::jwt::verify` on any text, with the pool's secret. Input bytes
//! past a 16-byte header also give a user id and issue time: a token issued for them
//! verifies to that user at that time.

use hcpool_core::UserId;
use hcpool_web::jwt::{issue, verify};

/// The secret the corpus tokens are signed with.
pub const SECRET: &[u8] = b"fuzz-apisecret";
/// The time the corpus tokens are verified at (after their `iat`).
pub const NOW: i64 = 1_700_000_000;

/// The target.
pub fn check(data: &[u8]) {
    if let Some(token) = crate::text(data) {
        let _ = verify(SECRET, token, NOW);
        let _ = verify(b"", token, NOW);
    }
    if let Some((head, rest)) = data.split_first_chunk::<16>() {
        let uid = u64::from_le_bytes([
            head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7],
        ]);
        let iat = i64::from_le_bytes([
            head[8], head[9], head[10], head[11], head[12], head[13], head[14], head[15],
        ]);
        let issuer = String::from_utf8_lossy(rest);
        let token = issue(SECRET, &issuer, UserId(uid), iat);
        assert_eq!(
            verify(SECRET, &token, iat),
            Some(UserId(uid)),
            "an issued token does not verify"
        );
        assert_eq!(
            verify(b"other", &token, iat),
            None,
            "a token verifies with another secret"
        );
    }
}

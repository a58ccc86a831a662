//! Two small helpers every crate of the workspace shares: shortening untrusted text before
//! it is echoed in an error, and locking a mutex that another thread may have poisoned.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Constant-time equality of two tokens; empty tokens never match (legacy rows hold `''`
/// once a token is consumed).
pub fn tokens_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// How much of an untrusted input the core echoes in its error messages (characters).
pub const ECHO_MAX: usize = 80;

/// Shortens untrusted text for an error message: at most `max` characters, then `…`.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Locks `m`, tolerating poison: a poisoned lock only means another thread panicked while
/// holding it. Use it only for data that stays structurally valid whatever step the
/// panicking thread was at (maps, counters, caches), never to resume a half-done update.
pub fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_counts_characters_not_bytes() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("äöüß", 2), "äö…");
        assert_eq!(truncate(&"x".repeat(81), ECHO_MAX).chars().count(), 81);
    }

    #[test]
    fn lock_survives_poison() {
        let m = std::sync::Arc::new(Mutex::new(1));
        let m2 = m.clone();
        let _ = std::thread::spawn(move || {
            let _g = m2.lock();
            panic!("poison it");
        })
        .join();
        assert!(m.is_poisoned());
        *lock(&m) += 1;
        assert_eq!(*lock(&m), 2);
    }
}

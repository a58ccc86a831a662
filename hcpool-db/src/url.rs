//! Database URLs: which backend a URL names, SQLite paths, and hcstakepool's config keys.

use std::path::Path;

use crate::error::{redact_url, Error, Result};

/// The database behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// MySQL or MariaDB.
    MySql,
}

/// The backend `url` names, and the URL sqlx should get: `mariadb://` becomes `mysql://`,
/// and a SQLite URL without `mode=` gets `mode=rwc`, so that a fresh pool creates its file.
pub(crate) fn classify(url: &str) -> Result<(Backend, String)> {
    let unsupported = || Error::UnsupportedUrl {
        url: redact_url(url),
    };
    let (scheme, rest) = url.split_once(':').ok_or_else(unsupported)?;
    match scheme.to_ascii_lowercase().as_str() {
        #[cfg(feature = "sqlite")]
        "sqlite" => {
            if rest.contains(":memory:") || rest.contains("mode=") {
                return Ok((Backend::Sqlite, url.to_owned()));
            }
            let sep = if rest.contains('?') { '&' } else { '?' };
            Ok((Backend::Sqlite, format!("{url}{sep}mode=rwc")))
        }
        #[cfg(feature = "mysql")]
        "mysql" | "mariadb" => Ok((Backend::MySql, format!("mysql:{rest}"))),
        _ => Err(unsupported()),
    }
}

/// The `sqlite://` URL of a database file (created when missing).
pub fn sqlite_url_for_path(path: &Path) -> String {
    // sqlx percent-decodes the path, so '%', '?' and '#' in a file name must be encoded.
    let mut p = String::new();
    for ch in path.to_string_lossy().chars() {
        match ch {
            '%' => p.push_str("%25"),
            '?' => p.push_str("%3F"),
            '#' => p.push_str("%23"),
            c => p.push(c),
        }
    }
    format!("sqlite://{p}?mode=rwc")
}

/// The MySQL URL for hcstakepool's config keys `dbhost`, `dbport`, `dbname`, `dbuser`,
/// `dbpassword` (defaults `localhost`, `3306`, `stakepool`, `stakepool`), so an operator's
/// existing `hcstakepool.conf` keeps working. User and password are percent-encoded.
pub fn mysql_url_from_legacy(
    dbhost: &str,
    dbport: &str,
    dbname: &str,
    dbuser: &str,
    dbpassword: &str,
) -> String {
    fn enc(s: &str) -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    }
    let host = if dbhost.contains(':') && !dbhost.starts_with('[') {
        format!("[{dbhost}]")
    } else {
        dbhost.to_owned()
    };
    let auth = if dbpassword.is_empty() {
        enc(dbuser)
    } else {
        format!("{}:{}", enc(dbuser), enc(dbpassword))
    };
    format!("mysql://{auth}@{host}:{dbport}/{}", enc(dbname))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_urls() {
        let (b, u) = classify("sqlite://x.db").unwrap();
        assert_eq!((b, u.as_str()), (Backend::Sqlite, "sqlite://x.db?mode=rwc"));
        let (_, u) = classify("sqlite://x.db?mode=ro").unwrap();
        assert_eq!(u, "sqlite://x.db?mode=ro");
        let (b, u) = classify("mariadb://u:p@h/db").unwrap();
        assert_eq!((b, u.as_str()), (Backend::MySql, "mysql://u:p@h/db"));
        let e = classify("postgres://u:secret@h/db").unwrap_err();
        assert!(matches!(e, Error::UnsupportedUrl { .. }));
        assert!(!e.to_string().contains("secret"));
        assert!(classify("nonsense").is_err());
    }

    #[test]
    fn legacy_keys_make_a_url() {
        assert_eq!(
            mysql_url_from_legacy("localhost", "3306", "stakepool", "stakepool", "p@ss word"),
            "mysql://stakepool:p%40ss%20word@localhost:3306/stakepool"
        );
        assert_eq!(
            mysql_url_from_legacy("::1", "3307", "db", "root", ""),
            "mysql://root@[::1]:3307/db"
        );
    }

    #[test]
    fn sqlite_paths_are_escaped() {
        assert_eq!(
            sqlite_url_for_path(Path::new("/tmp/a?b#c%d.db")),
            "sqlite:///tmp/a%3Fb%23c%25d.db?mode=rwc"
        );
    }
}

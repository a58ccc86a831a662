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
///
/// `dbhost` may list several hosts, comma-separated, each optionally with its own port
/// (`db1,db2:3307,[::1]`): the nodes of a Galera cluster, tried in that order (see
/// [`crate::SqlStore::connect`]). A host without a port gets `dbport`.
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
    let hosts: Vec<String> = dbhost
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(|h| match split_port(h) {
            (host, Some(port)) => format!("{host}:{port}"),
            (host, None) => format!("{host}:{}", dbport.trim()),
        })
        .collect();
    let auth = if dbpassword.is_empty() {
        enc(dbuser)
    } else {
        format!("{}:{}", enc(dbuser), enc(dbpassword))
    };
    format!("mysql://{auth}@{}/{}", hosts.join(","), enc(dbname))
}

/// `host[:port]` → (host, port); a bare IPv6 address (`::1`) gets brackets and no port.
fn split_port(h: &str) -> (String, Option<&str>) {
    if let Some(rest) = h.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((ip, tail)) => (format!("[{ip}]"), tail.strip_prefix(':')),
            None => (h.to_owned(), None),
        };
    }
    match h.matches(':').count() {
        0 => (h.to_owned(), None),
        1 => match h.split_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (h.to_owned(), None),
        },
        _ => (format!("[{h}]"), None),
    }
}

/// One node of a multi-host MySQL URL: its `host:port` label (no credentials) and the
/// single-host URL sqlx connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostUrl {
    pub label: String,
    pub url: String,
}

/// Splits `mysql://user:pass@h1:p1,h2:p2,…/db?opts` into one URL per host, in order. A
/// single-host URL gives one entry. The label of a host without a port names port 3306.
pub(crate) fn split_hosts(url: &str) -> Result<Vec<HostUrl>> {
    let bad = || Error::UnsupportedUrl {
        url: redact_url(url),
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (userinfo, hostlist) = match authority.rfind('@') {
        Some(i) => (&authority[..=i], &authority[i + 1..]),
        None => ("", authority),
    };
    let mut out = Vec::new();
    for h in hostlist.split(',').map(str::trim) {
        if h.is_empty() {
            return Err(bad());
        }
        let (host, port) = split_port(h);
        let label = format!("{host}:{}", port.unwrap_or("3306"));
        out.push(HostUrl {
            url: format!("{scheme}://{userinfo}{h}{tail}"),
            label,
        });
    }
    Ok(out)
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
    fn legacy_host_lists() {
        assert_eq!(
            mysql_url_from_legacy("db1, db2:3307,[::1]", "3306", "pool", "u", "p"),
            "mysql://u:p@db1:3306,db2:3307,[::1]:3306/pool"
        );
    }

    #[test]
    fn splits_host_lists() {
        let hosts =
            split_hosts("mysql://u:p%40x@h1:3311,h2,[::1]:3313/db?ssl-mode=disabled").unwrap();
        let labels: Vec<&str> = hosts.iter().map(|h| h.label.as_str()).collect();
        assert_eq!(labels, ["h1:3311", "h2:3306", "[::1]:3313"]);
        assert_eq!(hosts[0].url, "mysql://u:p%40x@h1:3311/db?ssl-mode=disabled");
        assert_eq!(hosts[1].url, "mysql://u:p%40x@h2/db?ssl-mode=disabled");
        assert_eq!(
            hosts[2].url,
            "mysql://u:p%40x@[::1]:3313/db?ssl-mode=disabled"
        );
        let one = split_hosts("mysql://root@127.0.0.1:3306/test").unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].url, "mysql://root@127.0.0.1:3306/test");
        assert!(split_hosts("mysql://u@h1,,h2/db").is_err());
        assert!(!split_hosts("mysql://u:s3cret@h1,/db")
            .unwrap_err()
            .to_string()
            .contains("s3cret"));
    }

    #[test]
    fn sqlite_paths_are_escaped() {
        assert_eq!(
            sqlite_url_for_path(Path::new("/tmp/a?b#c%d.db")),
            "sqlite:///tmp/a%3Fb%23c%25d.db?mode=rwc"
        );
    }
}

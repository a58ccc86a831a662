//! Fetching and reading a pool's signed vote records (`GET /api/v2/voterecords`, or the
//! file the tickets page downloads) for `hcpoolctl verify-votes`. Checking them is
//! hcpool-core's [`hcpool_core::voterecord::verify_record`], on [`crate::JsonRpcNode`].

use hcpool_core::voterecord::SignedVoteRecord;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

use crate::error::{Error, Result};

/// Answers larger than this are refused.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A records document: what the pool says signed them, and the records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct RecordsDocument {
    /// The public key the pool says signed them (verification uses the pinned key).
    #[serde(default)]
    pub pubkey: Option<String>,
    /// The user's ticket address.
    #[serde(default)]
    pub ticket_address: Option<String>,
    /// The records.
    pub records: Vec<SignedVoteRecord>,
}

/// Reads a records document: the downloaded file (`{"pubkey":…,"records":[…]}`) or the
/// whole API answer (`{"status":"success",…,"data":{…}}`).
///
/// # Errors
/// [`Error::BadReply`] when the text is neither, or the API answered an error.
pub fn parse_document(text: &str) -> Result<RecordsDocument> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let doc = match v.get("status") {
        Some(status) if status != "success" => {
            let msg = v.get("message").and_then(|m| m.as_str()).unwrap_or("");
            return Err(bad(format!("the pool answered an error: {msg}")));
        }
        Some(_) => v.get("data").cloned().unwrap_or(serde_json::Value::Null),
        None => v,
    };
    serde_json::from_value(doc).map_err(|e| bad(e.to_string()))
}

fn bad(detail: String) -> Error {
    Error::BadReply {
        method: "voterecords".into(),
        detail,
    }
}

/// `GET <pool>/api/v2/voterecords` with the user's API token. `pool` is `http://host[:port]`
/// (a pool behind TLS: download the file from the tickets page, or fetch it with any HTTPS
/// client, and give the file).
///
/// # Errors
/// [`Error::Config`] for a URL this client cannot fetch; [`Error::Io`] / [`Error::Http`]
/// when the request fails; [`Error::BadReply`] for an answer that is not records.
pub async fn fetch(pool: &str, token: &str) -> Result<RecordsDocument> {
    let rest = pool.strip_prefix("http://").ok_or_else(|| {
        Error::Config(
            "--pool takes an http:// URL; for https, download the records file and give it".into(),
        )
    })?;
    let (host, base) = match rest.split_once('/') {
        Some((h, p)) => (h, format!("/{}", p.trim_end_matches('/'))),
        None => (rest, String::new()),
    };
    let base = base.trim_end_matches('/');
    let addr = if host.contains(':') && !host.ends_with(']') {
        host.to_owned()
    } else {
        format!("{host}:80")
    };
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|source| Error::Io {
            context: format!("connecting to {addr}"),
            source,
        })?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| Error::Http(e.to_string()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let request = hyper::Request::get(format!("{base}/api/v2/voterecords"))
        .header("Host", host)
        .header("Connection", "close")
        .header("Authorization", format!("Bearer {token}"))
        .body(Empty::<Bytes>::new())
        .map_err(|_| Error::Config("the token has invalid characters".into()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| Error::Http(format!("voterecords: {e}")))?;
    let body = http_body_util::Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| Error::Http(format!("voterecords: reading body: {e}")))?
        .to_bytes();
    parse_document(&String::from_utf8_lossy(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_file_and_the_api_answer() {
        let file = r#"{"scheme":"hcpool vote record v1","pubkey":"02aa","ticket_address":"S1","records":[]}"#;
        let d = parse_document(file).unwrap();
        assert_eq!(d.pubkey.as_deref(), Some("02aa"));
        let api = format!(r#"{{"status":"success","code":0,"message":"ok","data":{file}}}"#);
        assert_eq!(parse_document(&api).unwrap(), d);
        let err = r#"{"status":"error","code":16,"message":"voterecords error - invalid api token","data":null}"#;
        assert!(parse_document(err)
            .unwrap_err()
            .to_string()
            .contains("invalid api token"));
        assert!(parse_document("nope").is_err());
    }
}

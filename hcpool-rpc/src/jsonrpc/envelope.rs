//! The btcd-dialect JSON-RPC "1.0" envelopes (hcwallet-rpc.md §1.3).

use serde::Serialize;
use serde_json::Value;

use crate::error::{truncate, Error, Result, RpcError, ECHO_MAX};

/// A request as hcrpcclient writes it: key order `jsonrpc, method, params, id`; `params` is
/// always an array.
#[derive(Debug, Serialize)]
pub struct Request<'a> {
    /// Always `"1.0"`.
    pub jsonrpc: &'static str,
    /// Method name.
    pub method: &'a str,
    /// Positional parameters (trailing optionals omitted, never `null`).
    pub params: &'a [Value],
    /// Request id.
    pub id: u64,
}

impl<'a> Request<'a> {
    /// A request frame.
    pub fn new(method: &'a str, params: &'a [Value], id: u64) -> Self {
        Request {
            jsonrpc: "1.0",
            method,
            params,
            id,
        }
    }

    /// The frame text.
    pub fn to_text(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::bad_reply(self.method, e.to_string()))
    }
}

/// A server-pushed notification: a request object whose `id` is absent or `null`.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Method (`winningtickets`, `newtickets`, …).
    pub method: String,
    /// Positional parameters.
    pub params: Vec<Value>,
}

/// One incoming frame, classified as hcrpcclient does.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A reply to request `id`: its result or error object.
    Response {
        /// The request id.
        id: u64,
        /// `result`, or the error object.
        outcome: std::result::Result<Value, RpcError>,
    },
    /// A notification.
    Notification(Notification),
}

/// Classifies a frame: `id` absent or null → notification; otherwise `id` must be a
/// non-negative integer-valued number. Anything else is an error (and is dropped by the
/// caller, which logs it).
pub fn parse_incoming(text: &str) -> Result<Incoming> {
    let mut obj: serde_json::Map<String, Value> = serde_json::from_str(text)
        .map_err(|e| Error::bad_reply("frame", format!("{e}: {}", truncate(text, ECHO_MAX))))?;
    let id = obj.remove("id").unwrap_or(Value::Null);
    if id.is_null() {
        let method = match obj.remove("method") {
            Some(Value::String(m)) => m,
            _ => return Err(Error::bad_reply("frame", "notification without method")),
        };
        let params = match obj.remove("params") {
            Some(Value::Array(p)) => p,
            None | Some(Value::Null) => Vec::new(),
            Some(_) => return Err(Error::bad_reply(&method, "params is not an array")),
        };
        return Ok(Incoming::Notification(Notification { method, params }));
    }
    let id = id_number(&id).ok_or_else(|| {
        Error::bad_reply(
            "frame",
            format!(
                "id {} is not a non-negative integer",
                truncate(&id.to_string(), ECHO_MAX)
            ),
        )
    })?;
    let error = obj.remove("error").unwrap_or(Value::Null);
    let outcome = if error.is_null() {
        Ok(obj.remove("result").unwrap_or(Value::Null))
    } else {
        let e: RpcError = serde_json::from_value(error.clone()).unwrap_or_else(|_| RpcError {
            code: 0,
            message: truncate(&error.to_string(), ECHO_MAX),
        });
        Err(e)
    };
    Ok(Incoming::Response { id, outcome })
}

fn id_number(id: &Value) -> Option<u64> {
    let n = id.as_number()?;
    if let Some(u) = n.as_u64() {
        return Some(u);
    }
    // Go unmarshals ids into float64; 7.0 is the same id as 7.
    let f = n.as_f64()?;
    if f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64 {
        Some(f as u64)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_key_order_is_fixed() {
        let params = [json!("5121"), json!(true), json!(1234)];
        let text = Request::new("importscript", &params, 7).to_text().unwrap();
        assert_eq!(
            text,
            r#"{"jsonrpc":"1.0","method":"importscript","params":["5121",true,1234],"id":7}"#
        );
        let empty = Request::new("walletinfo", &[], 1).to_text().unwrap();
        assert_eq!(
            empty,
            r#"{"jsonrpc":"1.0","method":"walletinfo","params":[],"id":1}"#
        );
    }

    #[test]
    fn responses_and_notifications_are_told_apart() {
        let r = parse_incoming(r#"{"result":{"height":1},"error":null,"id":7}"#).unwrap();
        assert_eq!(
            r,
            Incoming::Response {
                id: 7,
                outcome: Ok(json!({"height":1}))
            }
        );
        let e = parse_incoming(
            r#"{"result":null,"error":{"code":-5,"message":"No information for transaction"},"id":8.0}"#,
        )
        .unwrap();
        assert!(matches!(
            e,
            Incoming::Response {
                id: 8,
                outcome: Err(RpcError { code: -5, .. })
            }
        ));
        let n = parse_incoming(
            r#"{"jsonrpc":"1.0","method":"winningtickets","params":["00",1,{}],"id":null}"#,
        )
        .unwrap();
        assert!(
            matches!(n, Incoming::Notification(Notification { ref method, .. }) if method == "winningtickets")
        );
        let absent = parse_incoming(r#"{"method":"blockconnected","params":["00",null]}"#).unwrap();
        assert!(matches!(absent, Incoming::Notification(_)));
    }

    #[test]
    fn bad_ids_are_refused() {
        for frame in [
            r#"{"result":1,"error":null,"id":"7"}"#,
            r#"{"result":1,"error":null,"id":-1}"#,
            r#"{"result":1,"error":null,"id":1.5}"#,
            r#"[1,2]"#,
            "not json",
        ] {
            assert!(parse_incoming(frame).is_err(), "{frame}");
        }
    }
}

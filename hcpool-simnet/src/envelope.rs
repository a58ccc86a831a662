//! The btcd-dialect JSON-RPC "1.0" envelopes as hcwallet and hcd write them
//! (hcwallet-rpc.md §1.3).

use serde_json::Value;

/// A JSON-RPC error object: the `code` and `message` the Go client renders as
/// `"<code>: <message>"`, so both must be exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    /// The error code (−1, −4, −5, −8, −22, −32600, −32601, …).
    pub code: i64,
    /// The message.
    pub message: String,
}

impl RpcError {
    /// An error with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }

    /// `-32601 Method not found`.
    pub fn method_not_found() -> Self {
        RpcError::new(-32601, "Method not found")
    }

    /// `-32600 Invalid request` with hcwallet's detail.
    pub fn invalid_request(detail: impl std::fmt::Display) -> Self {
        RpcError::new(-32600, format!("Invalid request: {detail}"))
    }

    /// The error as hcwallet sends it: its `-32600` says only `Invalid request`, whatever
    /// was wrong (DIFFERENCES.md §5: too many params, a batch).
    pub fn as_wallet_error(self) -> Self {
        if self.code == -32600 {
            RpcError::new(-32600, "Invalid request")
        } else {
            self
        }
    }

    /// hcd's `-8` parameter error.
    pub fn invalid_parameter(detail: impl std::fmt::Display) -> Self {
        RpcError::new(-8, detail.to_string())
    }

    /// A generic wallet error (−4).
    pub fn wallet(message: impl Into<String>) -> Self {
        RpcError::new(-4, message)
    }

    /// The JSON object.
    pub fn to_json(&self) -> Value {
        serde_json::json!({"code": self.code, "message": self.message})
    }
}

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method name.
    pub method: String,
    /// Positional parameters (an absent `params` is an empty list).
    pub params: Vec<Value>,
    /// The id, echoed back unchanged (`null` for a notification-style request).
    pub id: Value,
}

/// Parses one request object. On failure returns the id that could be read (or null) and
/// the error to answer with. Batches (arrays) are refused as hcwallet does.
pub fn parse_request(body: &[u8]) -> Result<Request, (Value, RpcError)> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        (
            Value::Null,
            RpcError::new(-32700, format!("Parse error: {e}")),
        )
    })?;
    let Value::Object(mut obj) = v else {
        return Err((
            Value::Null,
            RpcError::invalid_request("batch or non-object requests are not supported"),
        ));
    };
    let id = obj.remove("id").unwrap_or(Value::Null);
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        _ => return Err((id, RpcError::invalid_request("missing method"))),
    };
    let params = match obj.remove("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(_) => return Err((id, RpcError::invalid_request("params must be an array"))),
    };
    Ok(Request { method, params, id })
}

/// A response in the servers' key order (`result`, `error`, `id`; no `jsonrpc` key).
pub fn response(id: &Value, outcome: &Result<Value, RpcError>) -> String {
    let (result, error) = match outcome {
        Ok(v) => (v.clone(), Value::Null),
        Err(e) => (Value::Null, e.to_json()),
    };
    format!(r#"{{"result":{result},"error":{error},"id":{id}}}"#)
}

/// A notification: a request object with `"id":null`.
pub fn notification(method: &str, params: &[Value]) -> String {
    let params = Value::Array(params.to_vec());
    let method = Value::String(method.to_owned());
    format!(r#"{{"jsonrpc":"1.0","method":{method},"params":{params},"id":null}}"#)
}

/// Positional parameter access with hcwallet/hcd-style errors.
pub struct Params<'a> {
    params: &'a [Value],
}

impl<'a> Params<'a> {
    /// Wraps the parameters of a request, refusing more than `max`.
    pub fn new(params: &'a [Value], max: usize) -> Result<Self, RpcError> {
        if params.len() > max {
            let expected = if max == 0 {
                "0".to_owned()
            } else {
                format!("at most {max}")
            };
            return Err(RpcError::invalid_request(format!(
                "wrong number of params (expected {expected}, received {})",
                params.len()
            )));
        }
        Ok(Params { params })
    }

    fn get(&self, i: usize) -> Option<&'a Value> {
        self.params.get(i).filter(|v| !v.is_null())
    }

    fn missing(i: usize) -> RpcError {
        RpcError::invalid_request(format!("missing required parameter {}", i + 1))
    }

    fn wrong(i: usize, want: &str) -> RpcError {
        RpcError::invalid_request(format!("parameter #{} must be {want}", i + 1))
    }

    /// A required string.
    pub fn str(&self, i: usize) -> Result<&'a str, RpcError> {
        self.get(i)
            .ok_or_else(|| Self::missing(i))?
            .as_str()
            .ok_or_else(|| Self::wrong(i, "a string"))
    }

    /// An optional string.
    pub fn opt_str(&self, i: usize) -> Result<Option<&'a str>, RpcError> {
        match self.get(i) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| Self::wrong(i, "a string")),
        }
    }

    /// A required integer.
    pub fn i64(&self, i: usize) -> Result<i64, RpcError> {
        let v = self.get(i).ok_or_else(|| Self::missing(i))?;
        v.as_i64()
            .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| Self::wrong(i, "an integer"))
    }

    /// An optional integer with a default.
    pub fn i64_or(&self, i: usize, default: i64) -> Result<i64, RpcError> {
        if self.get(i).is_none() {
            Ok(default)
        } else {
            self.i64(i)
        }
    }

    /// An optional bool with a default.
    pub fn bool_or(&self, i: usize, default: bool) -> Result<bool, RpcError> {
        match self.get(i) {
            None => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| Self::wrong(i, "a bool")),
        }
    }

    /// A required array.
    pub fn array(&self, i: usize) -> Result<&'a [Value], RpcError> {
        self.get(i)
            .ok_or_else(|| Self::missing(i))?
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| Self::wrong(i, "an array"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_has_the_servers_key_order() {
        let id = serde_json::json!(7);
        assert_eq!(
            response(&id, &Ok(Value::Null)),
            r#"{"result":null,"error":null,"id":7}"#
        );
        assert_eq!(
            response(
                &id,
                &Err(RpcError::new(-5, "No information for transaction"))
            ),
            r#"{"result":null,"error":{"code":-5,"message":"No information for transaction"},"id":7}"#
        );
        assert_eq!(
            notification(
                "newtickets",
                &[serde_json::json!("ab"), serde_json::json!(1)]
            ),
            r#"{"jsonrpc":"1.0","method":"newtickets","params":["ab",1],"id":null}"#
        );
    }

    #[test]
    fn parse_errors_keep_the_id() {
        let (id, e) = parse_request(br#"{"id":"x","params":[]}"#).unwrap_err();
        assert_eq!((id, e.code), (serde_json::json!("x"), -32600));
        let (_, e) = parse_request(b"[]").unwrap_err();
        assert_eq!(e.code, -32600);
        let (_, e) = parse_request(b"{").unwrap_err();
        assert_eq!(e.code, -32700);
        let r = parse_request(br#"{"jsonrpc":"1.0","method":"getbestblock","id":1.5}"#).unwrap();
        assert_eq!((r.method.as_str(), r.params.len()), ("getbestblock", 0));
        assert_eq!(r.id, serde_json::json!(1.5));
    }

    #[test]
    fn params_are_checked() {
        let v = vec![serde_json::json!("a"), serde_json::json!(3)];
        let p = Params::new(&v, 3).unwrap();
        assert_eq!(p.str(0).unwrap(), "a");
        assert_eq!(p.i64(1).unwrap(), 3);
        assert_eq!(p.i64_or(2, 9).unwrap(), 9);
        assert_eq!(p.str(1).unwrap_err().code, -32600);
        assert!(Params::new(&v, 1).is_err());
    }
}

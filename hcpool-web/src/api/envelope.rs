//! The API envelope and Go-compatible number formatting.

use std::io::Cursor;

use std::sync::Arc;

use rocket::http::{Header, Status};
use rocket::response::{self, Responder};
use rocket::{Request, Response};
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

/// A float printed the way Go's encoding/json prints it: integral values without `.0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoFloat(pub f64);

impl Serialize for GoFloat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        // Below 1e15 an integral f64 is an exact i64 and Go prints it as one.
        if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
            s.serialize_i64(f as i64)
        } else {
            s.serialize_f64(f)
        }
    }
}

/// The `data` member: absent, `null` (hcstakepool's typed-nil quirk), or a value.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiData<T> {
    /// No `data` key.
    Absent,
    /// `"data":null`.
    Null,
    /// `"data":{...}`.
    Some(T),
}

struct Envelope<'a, T> {
    status: &'static str,
    code: u32,
    message: &'a str,
    data: &'a ApiData<T>,
}

impl<T: Serialize> Serialize for Envelope<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = if matches!(self.data, ApiData::Absent) {
            3
        } else {
            4
        };
        let mut st = s.serialize_struct("Envelope", n)?;
        st.serialize_field("status", self.status)?;
        st.serialize_field("code", &self.code)?;
        st.serialize_field("message", self.message)?;
        match self.data {
            ApiData::Absent => {}
            ApiData::Null => st.serialize_field("data", &())?,
            ApiData::Some(v) => st.serialize_field("data", v)?,
        }
        st.end()
    }
}

/// A finished API response: HTTP status and the JSON body (with Go's trailing newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiReply {
    /// HTTP status (200 for every handled command, errors included).
    pub status: Status,
    /// The body.
    pub body: String,
}

impl ApiReply {
    fn build<T: Serialize>(
        status: Status,
        ok: bool,
        code: u32,
        message: &str,
        data: &ApiData<T>,
    ) -> Self {
        let env = Envelope {
            status: if ok { "success" } else { "error" },
            code,
            message,
            data,
        };
        let mut body = serde_json::to_string(&env).unwrap_or_else(|e| {
            tracing::error!(error = %e, "API response did not serialise");
            r#"{"status":"error","code":13,"message":"internal error"}"#.to_owned()
        });
        body.push('\n');
        ApiReply { status, body }
    }

    /// A success (code 0).
    pub fn ok<T: Serialize>(message: &str, data: ApiData<T>) -> Self {
        Self::build(Status::Ok, true, 0, message, &data)
    }

    /// An error, HTTP 200 as hcstakepool answers handled commands.
    pub fn error<T: Serialize>(code: u32, message: String, data: ApiData<T>) -> Self {
        Self::build(Status::Ok, false, code, &message, &data)
    }

    /// Unknown command or version: 404, code 3.
    pub fn invalid() -> Self {
        Self::build(
            Status::NotFound,
            false,
            3,
            "invalid API command or version",
            &ApiData::<()>::Absent,
        )
    }
}

/// The API's `Content-Type`, hcstakepool's exact value.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

impl<'r> Responder<'r, 'static> for ApiReply {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(self.status)
            .header(Header::new("Content-Type", JSON_CONTENT_TYPE))
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}

/// A success body prepared earlier (the stats), served as is: 200, the API's content type,
/// no serialization per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedJson(pub Arc<[u8]>);

impl<'r> Responder<'r, 'static> for PreparedJson {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(Status::Ok)
            .header(Header::new("Content-Type", JSON_CONTENT_TYPE))
            .sized_body(self.0.len(), Cursor::new(self.0))
            .ok()
    }
}

/// An API answer: made for this request, or prepared bytes.
#[derive(Debug, rocket::Responder)]
pub enum ApiAnswer {
    /// Made for this request.
    Reply(ApiReply),
    /// Prepared earlier.
    Prepared(PreparedJson),
}

impl From<ApiReply> for ApiAnswer {
    fn from(r: ApiReply) -> Self {
        ApiAnswer::Reply(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_float_format() {
        let s = |f| serde_json::to_string(&GoFloat(f)).unwrap();
        assert_eq!(s(5.0), "5");
        assert_eq!(s(7.5), "7.5");
        assert_eq!(s(0.039), "0.039");
        assert_eq!(s(0.0), "0");
    }

    #[test]
    fn envelope_variants() {
        assert_eq!(
            ApiReply::invalid().body,
            "{\"status\":\"error\",\"code\":3,\"message\":\"invalid API command or version\"}\n"
        );
        assert_eq!(
            ApiReply::error(16, "x - y".into(), ApiData::<()>::Null).body,
            "{\"status\":\"error\",\"code\":16,\"message\":\"x - y\",\"data\":null}\n"
        );
    }
}

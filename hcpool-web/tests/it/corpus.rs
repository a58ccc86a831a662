//! The bad-input corpus against the running app (real sockets, the demo pool over the
//! simulated wallets): every mounted route gets a systematic set of malformed requests
//! (odd methods, junk paths and queries, invalid UTF-8, tokens of every shape, junk
//! cookies, oversized and malformed headers and bodies, wrong content types, junk forms
//! with and without CSRF), plus the hand-written requests of `corpus.txt`.
//!
//! Asserted: no 5xx for a client error (the allow-list below names the intended 503s),
//! no panic outside the test files, each class's documented status, and the server still
//! answers a normal request afterwards. A mounted route without a hand-written entry in
//! `corpus.txt` fails the test, so a new route cannot be missed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine;
use futures::StreamExt;

use super::live::{self, exchange, preview, request, Raw};

/// Whole-suite budget.
const BUDGET: Duration = Duration::from_secs(120);
/// Requests in flight at once.
const PARALLEL: usize = 8;

/// What an answer may be.
#[derive(Debug, Clone)]
enum Expect {
    /// Anything but a 5xx (and not "no answer").
    NotServerError,
    /// One of these statuses; 0 = the server closed the connection without an answer
    /// (hyper does so for some framing errors it cannot answer).
    OneOf(Vec<u16>),
    /// The status (and API `code`, if JSON) of the route's anonymous baseline.
    SameAsBaseline,
}

#[derive(Debug, Clone)]
struct Case {
    route: String,
    class: &'static str,
    bytes: Vec<u8>,
    expect: Expect,
}

/// 503s a client error may legitimately get, by route: (route key, reason).
const ALLOWED_503: &[(&str, &str)] = &[(
    "GET /status",
    "the admin status page answers 503 while a wallet or node is unhealthy (for monitors); \
     the demo's stakepoold health can lag its start",
)];

fn route_key(r: &rocket::Route) -> String {
    format!("{} {}", r.method, r.uri)
}

/// Concrete paths for a route's URI template.
fn concrete(uri: &str) -> Vec<String> {
    let path = uri.split('?').next().unwrap_or(uri);
    let query = uri.split_once('?').map(|(_, q)| q);
    let mut out = Vec::new();
    if path.contains("<ver>") {
        for ver in ["v1", "v2", "v3"] {
            let cmds: &[&str] = if path.contains("<cmd>") {
                &["getpurchaseinfo", "stats", "address", "voting", "nosuch"]
            } else {
                &["x"]
            };
            for cmd in cmds {
                out.push(
                    path.replace("<ver>", ver)
                        .replace("<cmd>", cmd)
                        .replace("<_>", cmd),
                );
            }
        }
    } else if path.contains("<_..>") {
        out.push(path.replace("<_..>", "v9/a/b"));
        out.push(path.replace("<_..>", ""));
    } else {
        out.push(path.to_owned());
    }
    if let Some(q) = query {
        // `<t>` or `<pages..>`: a junk value.
        let q = if q.contains("<t>") {
            "t=junk-token".to_owned()
        } else if q.contains("<pages..>") {
            "page=2".to_owned()
        } else {
            String::new()
        };
        if !q.is_empty() {
            out = out.into_iter().map(|p| format!("{p}?{q}")).collect();
        }
    }
    out
}

fn b64(s: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// Bearer tokens of every shape: (name, token bytes). None of them is a valid token of a
/// user (the real one is [`live::LivePool::token`]).
fn bad_tokens(secret: &str, uid: u64, now: i64) -> Vec<(&'static str, Vec<u8>)> {
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    let hs = |alg: Algorithm, key: &[u8], claims: serde_json::Value| {
        encode(&Header::new(alg), &claims, &EncodingKey::from_secret(key)).unwrap()
    };
    let claims = serde_json::json!({"loggedInAs": uid, "iat": now});
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    );
    let none_upper = format!(
        "{}.{}.",
        b64(br#"{"alg":"None"}"#),
        b64(claims.to_string().as_bytes())
    );
    let rs256 = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"RS256","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes()),
        b64(b"sig")
    );
    vec![
        ("alg none", none.into_bytes()),
        ("alg None", none_upper.into_bytes()),
        ("alg RS256", rs256.into_bytes()),
        (
            "HS256 wrong key",
            hs(Algorithm::HS256, b"not-the-secret", claims.clone()).into_bytes(),
        ),
        (
            "HS512 wrong key",
            hs(Algorithm::HS512, b"x", claims.clone()).into_bytes(),
        ),
        (
            // Signed with the right key but not the user's stored token (revoked/forged).
            "HS256 right key, not the stored token",
            hs(
                Algorithm::HS256,
                secret.as_bytes(),
                serde_json::json!({"loggedInAs": uid, "iat": now, "jti": "other"}),
            )
            .into_bytes(),
        ),
        (
            "expired",
            hs(
                Algorithm::HS256,
                secret.as_bytes(),
                serde_json::json!({"loggedInAs": uid, "iat": now - 100, "exp": now - 10}),
            )
            .into_bytes(),
        ),
        (
            "not yet valid",
            hs(
                Algorithm::HS256,
                secret.as_bytes(),
                serde_json::json!({"loggedInAs": uid, "nbf": now + 3600}),
            )
            .into_bytes(),
        ),
        (
            "issued in the future",
            hs(
                Algorithm::HS256,
                secret.as_bytes(),
                serde_json::json!({"loggedInAs": uid, "iat": now + 86_400}),
            )
            .into_bytes(),
        ),
        (
            "unknown user",
            hs(
                Algorithm::HS256,
                secret.as_bytes(),
                serde_json::json!({"loggedInAs": 987_654, "iat": now}),
            )
            .into_bytes(),
        ),
        (
            "negative user",
            hs(
                Algorithm::HS256,
                secret.as_bytes(),
                serde_json::json!({"loggedInAs": -1, "iat": now}),
            )
            .into_bytes(),
        ),
        (
            "user id as string",
            hs(
                Algorithm::HS256,
                secret.as_bytes(),
                serde_json::json!({"loggedInAs": "1", "iat": now}),
            )
            .into_bytes(),
        ),
        (
            "huge user id",
            hs(
                Algorithm::HS256,
                secret.as_bytes(),
                serde_json::json!({"loggedInAs": 1e300, "iat": now}),
            )
            .into_bytes(),
        ),
        ("garbage base64", b"%%%.$$$.***".to_vec()),
        ("two segments", b"abc.def".to_vec()),
        ("four segments", b"a.b.c.d".to_vec()),
        ("empty", Vec::new()),
        ("empty segments", b"..".to_vec()),
        (
            "header not JSON",
            format!("{}.{}.{}", b64(b"not json"), b64(b"{}"), b64(b"s")).into_bytes(),
        ),
        (
            "claims not JSON",
            format!(
                "{}.{}.{}",
                b64(br#"{"alg":"HS256"}"#),
                b64(b"\xff\xfe"),
                b64(b"s")
            )
            .into_bytes(),
        ),
        ("invalid UTF-8", b"eyJ\xff\xfe.\xc3\x28.x".to_vec()),
        ("8 KiB", vec![b'A'; 8 * 1024]),
    ]
}

/// The systematic corpus for every mounted route.
fn generated(
    routes: &[rocket::Route],
    pool: &live::LivePool,
    visitor: &live::Session,
    session: &live::Session,
) -> Vec<Case> {
    let mut cases = Vec::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let tokens = bad_tokens(&pool.api_secret, pool.user.0, now);
    let form_ct = (
        "Content-Type",
        b"application/x-www-form-urlencoded".to_vec(),
    );
    for route in routes {
        let key = route_key(route);
        let method = route.method.as_str();
        let is_api = key.contains("/api/");
        let is_post = method == "POST";
        for path in concrete(&route.uri.to_string()) {
            let p = path.as_bytes();
            let mut add = |class: &'static str, bytes: Vec<u8>, expect: Expect| {
                cases.push(Case {
                    route: key.clone(),
                    class,
                    bytes,
                    expect,
                });
            };
            let empty_body: &[u8] = b"";
            // The anonymous baseline (junk tokens and cookies must get the same answer).
            add(
                "baseline",
                request(method, p, std::slice::from_ref(&form_ct), empty_body),
                Expect::NotServerError,
            );
            // Odd methods.
            for m in [
                "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "FOO",
            ] {
                add(
                    "odd method",
                    request(m, p, &[], b""),
                    Expect::NotServerError,
                );
            }
            add(
                "lowercase method",
                request(&method.to_lowercase(), p, &[], b""),
                Expect::NotServerError,
            );
            let other = if is_post { "GET" } else { "POST" };
            add(
                "other method",
                request(other, p, std::slice::from_ref(&form_ct), b""),
                Expect::NotServerError,
            );
            // Paths and queries.
            let sep = if path.contains('?') { "&" } else { "?" };
            for (class, target) in [
                (
                    "junk query",
                    format!("{path}{sep}%ff%fe=%00&&=&a=%zz&t=\u{1F600}"),
                ),
                (
                    "invalid UTF-8 query (escaped)",
                    format!("{path}{sep}t=%c3%28&page=%ff"),
                ),
                (
                    "query of 8 KiB",
                    format!("{path}{sep}x={}", "q".repeat(8 * 1024)),
                ),
                (
                    "repeated query fields",
                    format!("{path}{sep}t=a&t=b&page=1&page=x"),
                ),
                ("junk path suffix", format!("{path}/%ff%00/..%2f..%2fetc")),
                (
                    "dot segments",
                    format!(
                        "/./{}/../{}",
                        path.trim_start_matches('/'),
                        path.trim_start_matches('/')
                    ),
                ),
                ("double slashes", format!("/{path}/")),
                ("absolute form", format!("http://127.0.0.1{path}")),
            ] {
                add(
                    class,
                    request(
                        method,
                        target.as_bytes(),
                        std::slice::from_ref(&form_ct),
                        b"",
                    ),
                    Expect::NotServerError,
                );
            }
            // Raw invalid bytes in the request target: hyper refuses them.
            let mut raw = p.to_vec();
            raw.extend_from_slice(b"\xff\xfe");
            add(
                "raw invalid UTF-8 in path",
                request(method, &raw, &[], b""),
                Expect::OneOf(vec![400, 0]),
            );
            let mut raw = p.to_vec();
            raw.extend_from_slice(if path.contains('?') {
                b"&t=\xc3\x28"
            } else {
                b"?t=\xc3\x28"
            });
            add(
                "raw invalid UTF-8 in query",
                request(method, &raw, &[], b""),
                Expect::OneOf(vec![400, 0]),
            );
            // Tokens of every shape: answered as without a token.
            if is_api {
                for (_, tok) in &tokens {
                    let mut h = b"Bearer ".to_vec();
                    h.extend_from_slice(tok);
                    add(
                        "bad bearer token",
                        request(method, p, &[form_ct.clone(), ("Authorization", h)], b""),
                        Expect::SameAsBaseline,
                    );
                }
                for v in [
                    b"Bearer".to_vec(),
                    b"bearer xyz".to_vec(),
                    b"Basic dXNlcjpwYXNz".to_vec(),
                    format!("Bearer {} {}", pool.token, pool.token).into_bytes(),
                    format!("Bearer  {}", pool.token).into_bytes(),
                ] {
                    add(
                        "odd authorization",
                        request(method, p, &[form_ct.clone(), ("Authorization", v)], b""),
                        Expect::SameAsBaseline,
                    );
                }
            }
            // Cookies: junk sessions are visitors.
            for c in [
                b"hcpool_session=garbage".to_vec(),
                b"hcpool_session=".to_vec(),
                b"hcpool_session=\xff\xfe; hcpool_csrf=\xc3\x28".to_vec(),
                format!("hcpool_session={}", "s".repeat(4000)).into_bytes(),
                b"hcpool_csrf=; hcpool_csrf=x; =; ;;".to_vec(),
                b"__flash=junk:junk".to_vec(),
            ] {
                add(
                    "junk cookie",
                    request(method, p, &[form_ct.clone(), ("Cookie", c)], b""),
                    Expect::NotServerError,
                );
            }
            // Headers.
            add(
                "invalid UTF-8 header value",
                request(
                    method,
                    p,
                    &[
                        ("X-Junk", b"\xff\xfe\xfd".to_vec()),
                        ("User-Agent", b"\xc3\x28".to_vec()),
                    ],
                    b"",
                ),
                Expect::NotServerError,
            );
            add(
                "junk X-Real-IP",
                request(
                    method,
                    p,
                    &[
                        ("X-Real-IP", b"not an ip".to_vec()),
                        ("X-Forwarded-For", b"\xff, ::::".to_vec()),
                    ],
                    b"",
                ),
                Expect::NotServerError,
            );
            add(
                "invalid header name",
                request(method, p, &[("Bad Header\x01", b"x".to_vec())], b""),
                Expect::OneOf(vec![400, 0]),
            );
            // hyper reads heads up to ~400 KiB: 128 KiB is served, 1 MiB refused.
            add(
                "header of 128 KiB",
                request(method, p, &[("X-Big", vec![b'b'; 128 * 1024])], b""),
                Expect::NotServerError,
            );
            add(
                "header of 1 MiB",
                request(method, p, &[("X-Big", vec![b'b'; 1024 * 1024])], b""),
                Expect::OneOf(vec![431, 400, 0]),
            );
            let many: Vec<(&str, Vec<u8>)> = (0..150).map(|_| ("X-Many", b"m".to_vec())).collect();
            add(
                "150 headers",
                request(method, p, &many, b""),
                Expect::OneOf(vec![431, 400, 0]),
            );
            add(
                "encoded slash (2)",
                request(method, path.replace('/', "%2F").as_bytes(), &[], b""),
                Expect::OneOf(vec![400]),
            );
            add(
                "bad Content-Length",
                request(method, p, &[("Content-Length", b"-1".to_vec())], b""),
                Expect::OneOf(vec![400, 0]),
            );
            add(
                "two Content-Lengths",
                request(
                    method,
                    p,
                    &[
                        ("Content-Length", b"1".to_vec()),
                        ("Content-Length", b"2".to_vec()),
                    ],
                    b"xy",
                ),
                Expect::OneOf(vec![400, 0]),
            );
            add(
                "malformed chunked body",
                request(
                    method,
                    p,
                    &[form_ct.clone(), ("Transfer-Encoding", b"chunked".to_vec())],
                    b"zz\r\nnot hex\r\n0\r\n\r\n",
                ),
                Expect::NotServerError,
            );
            // Bodies: wrong and missing content types, malformed encodings, too large.
            let fields =
                "email=a%40b.c&password=x&passwordrepeat=x&UserPubKeyAddr=zz&VoteBits=9&agenda0=9";
            for (class, ct, body) in [
                ("no content type", None, fields.as_bytes().to_vec()),
                ("text/plain", Some(b"text/plain".to_vec()), fields.as_bytes().to_vec()),
                ("JSON body", Some(b"application/json".to_vec()), br#"{"email": [1, {"x": null}"#.to_vec()),
                ("junk content type", Some(b"\xff/\xfe; charset=\x01".to_vec()), b"x".to_vec()),
                ("multipart without boundary", Some(b"multipart/form-data".to_vec()), b"--x\r\n".to_vec()),
                (
                    "truncated multipart",
                    Some(b"multipart/form-data; boundary=XX".to_vec()),
                    b"--XX\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b".to_vec(),
                ),
                (
                    "multipart with a file",
                    Some(b"multipart/form-data; boundary=XX".to_vec()),
                    b"--XX\r\nContent-Disposition: form-data; name=\"csrf_token\"; filename=\"../../x\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\xff\r\n--XX--\r\n".to_vec(),
                ),
                ("urlencoded bad escapes", Some(form_ct.1.clone()), b"email=%zz%&password=%&&&==&csrf_token=%".to_vec()),
                ("urlencoded invalid UTF-8 (escaped)", Some(form_ct.1.clone()), b"email=%ff%fe&password=%c3%28&csrf_token=%ff&VoteBits=%ff&UserPubKeyAddr=%c3%28".to_vec()),
                ("urlencoded raw invalid UTF-8", Some(form_ct.1.clone()), b"email=\xff\xfe&password=\xc3\x28&UserPubKeyAddr=\xff".to_vec()),
                ("urlencoded 30 KiB field", Some(form_ct.1.clone()), format!("email={}&password=x&csrf_token=x", "e".repeat(30 * 1024)).into_bytes()),
                ("NUL bytes", Some(form_ct.1.clone()), b"email=\x00&password=\x00\x00&csrf_token=\x00".to_vec()),
            ] {
                let mut h = Vec::new();
                if let Some(ct) = ct {
                    h.push(("Content-Type", ct));
                }
                // A page's form must be urlencoded or multipart: 415 otherwise, 400 for a
                // content type that does not parse or a multipart without a boundary.
                let expect = match class {
                    "junk content type" => Expect::OneOf(vec![400]),
                    "no content type" | "text/plain" | "JSON body" if is_post && !is_api => {
                        Expect::OneOf(vec![415])
                    }
                    "multipart without boundary" if is_post && !is_api => {
                        Expect::OneOf(vec![400])
                    }
                    _ => Expect::NotServerError,
                };
                add(class, request(method, p, &h, &body), expect);
            }
            // Over the 32 KiB form limit (64 KiB for other data): 413 on a page's form; the
            // API reads its body leniently (an oversized form is no form).
            add(
                "body of 1 MiB",
                request(
                    method,
                    p,
                    std::slice::from_ref(&form_ct),
                    &vec![b'a'; 1024 * 1024],
                ),
                if is_post && !is_api {
                    Expect::OneOf(vec![413, 0])
                } else {
                    Expect::NotServerError
                },
            );
            // Junk forms: without CSRF, with a wrong one, with the visitor's, with the
            // signed-in session's (except the two forms whose whole content is the token:
            // signing out and replacing the API token would end the run's session).
            let junk_forms = [
                "email=&password=&passwordrepeat=",
                "email=not-an-email&password=short&passwordrepeat=other&UserPubKeyAddr=TsNotAnAddress&VoteBits=-1&agenda0=99999&page=-5&t=",
                "email=a%40b.c&password=12345678&passwordrepeat=12345678&UserPubKeyAddr=SkLUTvG262Uyeb4w2YRDwdF5zbYKAV5kKkZM5KMVuWNkCfj5nXWDe&VoteBits=65536&agenda0=4&agenda1=x&tickets=zz&newemail=%40&currentpassword=x&newpassword=y&newpasswordrepeat=z&captcha_id=1&captcha_answer=x",
            ];
            for form in junk_forms {
                add(
                    "junk form, no CSRF",
                    request(method, p, std::slice::from_ref(&form_ct), form.as_bytes()),
                    Expect::NotServerError,
                );
                add(
                    "junk form, wrong CSRF",
                    request(
                        method,
                        p,
                        &[
                            form_ct.clone(),
                            ("Cookie", visitor.cookie.clone().into_bytes()),
                        ],
                        format!("{form}&csrf_token=wrong").as_bytes(),
                    ),
                    Expect::NotServerError,
                );
                add(
                    "junk form, visitor CSRF",
                    request(
                        method,
                        p,
                        &[
                            form_ct.clone(),
                            ("Cookie", visitor.cookie.clone().into_bytes()),
                        ],
                        format!("{form}&csrf_token={}", visitor.csrf).as_bytes(),
                    ),
                    Expect::NotServerError,
                );
                if !path.starts_with("/logout") && !path.starts_with("/settings/apitoken") {
                    add(
                        "junk form, session CSRF",
                        request(
                            method,
                            p,
                            &[
                                form_ct.clone(),
                                ("Cookie", session.cookie.clone().into_bytes()),
                            ],
                            format!("{form}&csrf_token={}", session.csrf).as_bytes(),
                        ),
                        Expect::NotServerError,
                    );
                }
            }
        }
    }
    cases
}

/// Decodes `\xNN`, `\r`, `\n`, `\\` and the placeholders of `corpus.txt`.
fn unescape(s: &str, subst: &BTreeMap<&str, String>) -> Vec<u8> {
    let mut s = s.to_owned();
    for (k, v) in subst {
        s = s.replace(k, v);
    }
    while let Some(i) = s.find("{BIG:") {
        let end = s[i..].find('}').map(|e| e + i).expect("{BIG:N}");
        let n: usize = s[i + 5..end].parse().expect("{BIG:N}");
        s.replace_range(i..=end, &"A".repeat(n));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'x' if i + 3 < b.len() => {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).expect("\\xNN"));
                    i += 4;
                    continue;
                }
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                b'\\' => out.push(b'\\'),
                _ => {
                    out.push(b'\\');
                    i += 1;
                    continue;
                }
            }
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// `corpus.txt`: entries `### <route key or -> => <statuses or class> : <what>`, then the
/// request head (lines end with CRLF on the wire; `Connection: close` is added when
/// absent), a blank line and the body (until the next `###`, trailing newline dropped).
fn handwritten(subst: &BTreeMap<&str, String>) -> Vec<Case> {
    let text = include_str!("corpus.txt");
    let mut cases = Vec::new();
    for entry in text.split("\n### ").skip(1) {
        let (title, rest) = entry.split_once('\n').unwrap_or((entry, ""));
        let (route, rest_title) = title.split_once(" => ").expect("`route => expect : what`");
        let expect_spec = rest_title.split(" : ").next().unwrap().trim();
        let expect = match expect_spec {
            "!5xx" => Expect::NotServerError,
            list => Expect::OneOf(
                list.split(',')
                    .map(|c| {
                        c.trim()
                            .parse()
                            .unwrap_or_else(|_| panic!("status in {title:?}"))
                    })
                    .collect(),
            ),
        };
        let rest = rest.trim_end_matches('\n');
        let (head, body) = rest.split_once("\n\n").unwrap_or((rest, ""));
        let mut head_lines: Vec<String> = head.lines().map(str::to_owned).collect();
        if !head_lines
            .iter()
            .any(|l| l.to_ascii_lowercase().starts_with("connection:"))
        {
            head_lines.push("Connection: close".into());
        }
        let body = unescape(body, subst);
        if !body.is_empty()
            && !head_lines.iter().any(|l| {
                let l = l.to_ascii_lowercase();
                l.starts_with("content-length:") || l.starts_with("transfer-encoding:")
            })
        {
            head_lines.push(format!("Content-Length: {}", body.len()));
        }
        let mut bytes = unescape(&head_lines.join("\r\n"), subst);
        bytes.extend_from_slice(b"\r\n\r\n");
        bytes.extend_from_slice(&body);
        cases.push(Case {
            route: route.trim().to_owned(),
            class: "hand-written",
            bytes,
            expect,
        });
    }
    cases
}

/// The API's `code` field, when the body is its JSON envelope.
fn api_code(r: &Raw) -> Option<i64> {
    serde_json::from_slice::<serde_json::Value>(&r.body)
        .ok()?
        .get("code")?
        .as_i64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_corpus_against_the_running_app() {
    tokio::time::timeout(BUDGET, corpus())
        .await
        .expect("the bad-input corpus took longer than its budget");
}

#[allow(clippy::print_stdout)] // The figures of the run.
async fn corpus() {
    let panics = live::panics();
    let pool = live::start(|s| {
        // One client IP sends thousands of API requests: measure handlers, not 429s.
        s.settings.api_rate_limit = 0;
    })
    .await;
    let addr: SocketAddr = pool.server.addr;
    let routes = hcpool_web::routes();
    assert!(routes.len() >= 30, "{} routes mounted", routes.len());

    let visitor = live::visitor(addr).await;
    let session = live::sign_in(addr).await;
    let subst: BTreeMap<&str, String> = [
        ("{TOKEN}", pool.token.clone()),
        ("{SESSION}", session.cookie.clone()),
        ("{SESSION_CSRF}", session.csrf.clone()),
        ("{VISITOR}", visitor.cookie.clone()),
        ("{VISITOR_CSRF}", visitor.csrf.clone()),
    ]
    .into_iter()
    .collect();
    let hand = handwritten(&subst);

    // Every mounted route has a hand-written entry.
    let mounted: BTreeSet<String> = routes.iter().map(route_key).collect();
    let covered: BTreeSet<String> = hand.iter().map(|c| c.route.clone()).collect();
    let missing: Vec<&String> = mounted.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "mounted routes without a hand-written corpus.txt entry: {missing:?}"
    );
    let unknown: Vec<&String> = covered
        .iter()
        .filter(|r| *r != "-" && !mounted.contains(*r))
        .collect();
    assert!(
        unknown.is_empty(),
        "corpus.txt names routes that are not mounted: {unknown:?}"
    );

    let mut cases = generated(&routes, &pool, &visitor, &session);
    let n_generated = cases.len();
    cases.extend(hand);
    let started = Instant::now();
    let answers: Vec<(Case, Raw)> = futures::stream::iter(cases)
        .map(|c| async move {
            let r = exchange(addr, &c.bytes).await;
            (c, r)
        })
        .buffered(PARALLEL)
        .collect()
        .await;
    let elapsed = started.elapsed();

    // Baselines: the anonymous answer of each concrete request line.
    let line = |b: &[u8]| -> Vec<u8> { b.split(|&x| x == b'\r').next().unwrap_or(b).to_vec() };
    let baselines: BTreeMap<Vec<u8>, (u16, Option<i64>)> = answers
        .iter()
        .filter(|(c, _)| c.class == "baseline")
        .map(|(c, r)| (line(&c.bytes), (r.status, api_code(r))))
        .collect();

    let mut failures = Vec::new();
    let mut by_class: BTreeMap<&str, BTreeMap<u16, usize>> = BTreeMap::new();
    for (c, r) in &answers {
        *by_class
            .entry(c.class)
            .or_default()
            .entry(r.status)
            .or_default() += 1;
        let server_error =
            r.status >= 500 && !(r.status == 503 && ALLOWED_503.iter().any(|(k, _)| *k == c.route));
        let ok = match &c.expect {
            Expect::NotServerError => r.status != 0 && !server_error,
            Expect::OneOf(list) => list.contains(&r.status),
            Expect::SameAsBaseline => {
                let want = baselines.get(&line(&c.bytes));
                want == Some(&(r.status, api_code(r)))
            }
        };
        if !ok || server_error {
            failures.push(format!(
                "[{}] {} on {}: got {} ({:?}), want {:?}\n    request: {:?}\n    answer: {}",
                c.class,
                c.route,
                String::from_utf8_lossy(&line(&c.bytes))
                    .chars()
                    .take(120)
                    .collect::<String>(),
                r.status,
                api_code(r),
                c.expect,
                preview(&c.bytes),
                r.body_text().chars().take(200).collect::<String>()
            ));
        }
    }
    println!(
        "bad-input corpus: {} requests ({} generated over {} routes, {} hand-written) in {:.1} s",
        answers.len(),
        n_generated,
        routes.len(),
        answers.len() - n_generated,
        elapsed.as_secs_f64()
    );
    for (class, statuses) in &by_class {
        println!("  {class:<40} {statuses:?}");
    }
    assert!(answers.len() >= 1000, "{} requests", answers.len());
    assert!(
        failures.is_empty(),
        "{} of {} answers were wrong:\n{}",
        failures.len(),
        answers.len(),
        failures.join("\n")
    );
    let seen = panics.lock().unwrap().clone();
    assert!(seen.is_empty(), "panics outside the tests: {seen:#?}");
    // Still answering.
    live::assert_alive(addr).await;
    // (Signing in again would meet the intended 429: the corpus spent the password
    // attempts of this IP and account.) The session still works; a visitor gets a form.
    let page = exchange(
        addr,
        &request(
            "GET",
            b"/settings",
            &[("Cookie", session.cookie.into_bytes())],
            b"",
        ),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.head);
    assert!(!live::visitor(addr).await.csrf.is_empty());
    pool.server.stop(Duration::from_secs(5)).await.ok();
}

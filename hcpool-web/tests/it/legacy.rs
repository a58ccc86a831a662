//! Routes and form fields kept for hcstakepool's clients, bookmarks and pages (issue 15):
//! `GET /logout` (signs out only on the visitor's own navigation, else asks), the combined
//! `POST /settings` form, the admin form's `tickets[]`, the captcha's `verifyKey` /
//! `verifyValue` and the API's `generatecaptcha`.

use std::sync::Arc;

use super::common::*;
use hcpool_core::backend::{Store, TicketEntry, VotingNode};
use hcpool_core::Hash32;
use rocket::http::{ContentType, Header, Status};

/// `GET /logout` with `headers`: status, Location, body.
async fn get_logout(app: &TestApp, headers: &[(&str, &str)]) -> (Status, Option<String>, String) {
    let mut req = app.client.get("/logout");
    for (k, v) in headers {
        req = req.header(Header::new(k.to_string(), v.to_string()));
    }
    let r = req.dispatch().await;
    let s = r.status();
    let loc = r.headers().get_one("Location").map(str::to_owned);
    (s, loc, r.into_string().await.unwrap_or_default())
}

async fn signed_in(app: &TestApp) -> bool {
    app.get("/settings").await.0 == Status::Ok
}

#[rocket::async_test]
async fn get_logout_signs_out_only_from_our_pages_or_the_visitors_own_navigation() {
    let app = app().await;
    app.user("a@example.com", "password1").await;

    // Signed out: nothing to do, hcstakepool's redirect home.
    assert_eq!(
        get_logout(&app, &[]).await.1.as_deref(),
        Some("/"),
        "signed out"
    );

    app.sign_in("a@example.com", "password1").await;
    // Anything not known to be ours: a page asking, with a POST form; still signed in.
    let foreign: [&[(&str, &str)]; 6] = [
        &[],
        &[("Sec-Fetch-Site", "cross-site")],
        &[("Sec-Fetch-Site", "same-site")],
        &[("Referer", "http://evil.example/page")],
        &[("Referer", "http://127.0.0.1:8000.evil.example/")],
        &[("Origin", "null"), ("Host", "pool.example")],
    ];
    for headers in foreign {
        let (s, loc, page) = get_logout(&app, headers).await;
        assert_eq!((s, loc), (Status::Ok, None), "{headers:?}");
        assert!(
            page.contains("<form method=\"post\" action=\"/logout\">"),
            "{page}"
        );
        assert!(signed_in(&app).await, "{headers:?} signed the user out");
    }
    // The confirmation page's button signs out.
    let csrf = csrf_in(&get_logout(&app, &[]).await.2).unwrap();
    let (s, loc, _) = app
        .post_form("/logout", &format!("csrf_token={csrf}"))
        .await;
    assert_eq!((s, loc.as_deref()), (Status::SeeOther, Some("/")));
    assert!(!signed_in(&app).await);

    // Our own pages (fetch metadata, or Referer/Origin naming this host or baseurl) and the
    // visitor's own navigation (a bookmark, the address bar): signed out at once, as
    // hcstakepool's link did.
    let ours: [&[(&str, &str)]; 5] = [
        &[("Sec-Fetch-Site", "same-origin")],
        &[("Sec-Fetch-Site", "none")],
        &[("Referer", "http://127.0.0.1:8000/settings")],
        &[
            ("Host", "Pool.Example"),
            ("Referer", "https://pool.example/tickets?x=1"),
        ],
        &[
            ("Host", "pool.example:8443"),
            ("Origin", "https://pool.example:8443"),
        ],
    ];
    for headers in ours {
        app.sign_in("a@example.com", "password1").await;
        assert!(signed_in(&app).await);
        let (s, loc, _) = get_logout(&app, headers).await;
        assert_eq!(
            (s, loc.as_deref()),
            (Status::SeeOther, Some("/")),
            "{headers:?}"
        );
        assert!(!signed_in(&app).await, "{headers:?} left the session");
    }
}

#[rocket::async_test]
async fn the_combined_settings_form_changes_the_password_or_the_email() {
    let app = app().await;
    app.user("a@example.com", "password1").await;
    // Signed out: sign in first.
    let anon = app.csrf("/signin").await;
    let (s, loc, _) = app
        .post_form(
            "/settings",
            &format!("password=password1&updatePassword=true&csrf_token={anon}"),
        )
        .await;
    assert_eq!((s, loc.as_deref()), (Status::SeeOther, Some("/signin")));
    app.sign_in("a@example.com", "password1").await;
    let csrf = app.csrf("/settings").await;
    let post = |body: String| {
        let app = &app;
        async move { app.post_form("/settings", &body).await }
    };
    // hcstakepool's page posts both forms here; no token is refused as the original did.
    let (s, _, body) = post("password=password1&updatePassword=true".into()).await;
    assert_eq!(
        (s, body.as_str()),
        (Status::BadRequest, "Invalid Csrf Token\n")
    );

    let cases = [
        (
            "password=nope&newpassword=newpassword1&newpasswordrepeat=newpassword1&updatePassword=true",
            "Password not valid",
        ),
        (
            "password=password1&newpassword=newpassword1&newpasswordrepeat=newpassword2&updatePassword=true",
            "Passwords do not match",
        ),
        (
            "email=b%40example.com&password=nope&verifyKey=&verifyValue=&updateEmail=true",
            "Password not valid",
        ),
    ];
    for (body, msg) in cases {
        let (s, loc, _) = post(format!("{body}&csrf_token={csrf}")).await;
        assert_eq!((s, loc.as_deref()), (Status::SeeOther, Some("/settings")));
        assert!(app.get("/settings").await.1.contains(msg), "{msg}");
    }

    // Neither button: nothing happens.
    let (s, loc, _) = post(format!("password=password1&csrf_token={csrf}")).await;
    assert_eq!((s, loc.as_deref()), (Status::SeeOther, Some("/settings")));
    assert!(app.sent().await.is_empty());

    // The email form (with hcstakepool's captcha fields, not needed here).
    let (_, loc, _) = post(format!(
        "email=b%40example.com&password=password1&verifyKey=k&verifyValue=1&updateEmail=true&csrf_token={csrf}"
    ))
    .await;
    assert_eq!(loc.as_deref(), Some("/settings"));
    assert!(app
        .get("/settings")
        .await
        .1
        .contains("Verification token sent to new email address"));
    {
        let sent = app.sent().await;
        assert!(
            sent.iter()
                .any(|m| m.to == "b@example.com" && m.body.contains("/emailupdate?t=")),
            "{sent:?}"
        );
    }

    // The password form: changed, a fresh session, the new password signs in.
    let (_, loc, _) = post(format!(
        "password=password1&newpassword=newpassword1&newpasswordrepeat=newpassword1&updatePassword=true&csrf_token={csrf}"
    ))
    .await;
    assert_eq!(loc.as_deref(), Some("/settings"));
    let (s, page) = app.get("/settings").await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Password successfully updated"));
    assert_eq!(
        app.sign_in("a@example.com", "password1").await.1.as_deref(),
        Some("/signin")
    );
    assert_eq!(
        app.sign_in("a@example.com", "newpassword1")
            .await
            .1
            .as_deref(),
        Some("/address")
    );
}

const ADMIN_IP: &str = "10.0.0.1";

/// Ticket `n` of a (testnet) multisig address.
fn entry(n: u8) -> TicketEntry {
    TicketEntry {
        ticket_address: hcpool_core::Address::p2sh(hcpool_core::Network::Testnet, [n; 20])
            .to_string(),
        ticket_hash: Hash32::from_bytes([n; 32]),
    }
}

#[rocket::async_test]
async fn admin_tickets_form_takes_hcstakepools_tickets_brackets_field() {
    let mut s = settings();
    s.real_ip_header = Some("X-Real-IP".into());
    s.admin_ips = vec![ADMIN_IP.parse().unwrap()];
    s.admin_user_ids = vec![hcpool_core::UserId(1)];
    let node = FakeNode::new("a:1");
    node.ignored
        .lock()
        .unwrap()
        .extend([entry(1), entry(2), entry(3)]);
    let nodes: Vec<Arc<dyn VotingNode>> = vec![node.clone()];
    let app = app_with_nodes(s, nodes).await;
    app.user("admin@example.com", "password1").await;
    app.sign_in("admin@example.com", "password1").await;
    let get = || async {
        app.client
            .get("/admintickets")
            .header(Header::new("X-Real-IP", ADMIN_IP))
            .dispatch()
            .await
            .into_string()
            .await
            .unwrap_or_default()
    };
    let post = |body: String| async {
        app.client
            .post("/admintickets")
            .header(Header::new("X-Real-IP", ADMIN_IP))
            .header(ContentType::Form)
            .body(body)
            .dispatch()
            .await
            .status()
    };
    let page = get().await;
    // This page's checkboxes carry hcstakepool's name.
    assert!(page.contains("name=\"tickets[]\""), "{page}");
    let csrf = csrf_in(&page).unwrap();
    let h = |n: u8| entry(n).ticket_hash.to_string();
    // `tickets[]` as browsers send it (brackets percent-encoded), raw, and `tickets`.
    let body = format!(
        "csrf_token={csrf}&action=Add&tickets%5B%5D={}&tickets%5B%5D={}",
        h(1),
        h(2)
    );
    assert_eq!(post(body).await, Status::SeeOther);
    assert!(get().await.contains("successfully added 2 ticket(s)"));
    assert_eq!(app.pool.added_low_fee_tickets().await.unwrap().len(), 2);
    let body = format!("csrf_token={csrf}&action=Add&tickets={}", h(3));
    assert_eq!(post(body).await, Status::SeeOther);
    assert!(get().await.contains("successfully added 1 ticket(s)"));
    let body = format!(
        "csrf_token={csrf}&action=Remove&tickets[]={}&tickets%5B%5D={}&tickets[]={}",
        h(1),
        h(2),
        h(3)
    );
    assert_eq!(post(body).await, Status::SeeOther);
    assert!(get().await.contains("successfully removed 3 ticket(s)"));
    assert!(app.pool.added_low_fee_tickets().await.unwrap().is_empty());
    assert_eq!(node.added.lock().unwrap().clone().unwrap(), vec![]);
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[rocket::async_test]
async fn signup_takes_hcstakepools_captcha_field_names() {
    let mut s = settings();
    s.captcha = true;
    let app = app_with(s).await;
    let csrf = app.csrf("/signup").await;
    let store: &dyn Store = app.store.as_ref();
    let body = |id: &str, answer: &str| {
        format!(
            "email=n%40example.com&password=password1&passwordrepeat=password1&verifyKey={id}&verifyValue={answer}&csrf_token={csrf}"
        )
    };
    let id = "c".repeat(64);
    hcpool_web::captcha::remember(store, &id, "Xk3pQ", now())
        .await
        .unwrap();
    app.post_form("/signup", &body(&id, "wrong")).await;
    assert!(app
        .get("/signup")
        .await
        .1
        .contains("verify value is invalid"));
    let id = "d".repeat(64);
    hcpool_web::captcha::remember(store, &id, "Xk3pQ", now())
        .await
        .unwrap();
    let (_, loc, _) = app.post_form("/signup", &body(&id, "xK3PQ")).await;
    assert_eq!(loc.as_deref(), Some("/signup"));
    assert!(app
        .get("/signup")
        .await
        .1
        .contains("A verification email has been sent to n@example.com"));
    assert_eq!(app.sent().await.len(), 1);
}

#[rocket::async_test]
async fn generatecaptcha_answers_hcstakepools_envelope() {
    // Off: nothing to give, a FailedPrecondition envelope.
    let app = app().await;
    let (s, body) = app.api_get("/api/v1/generatecaptcha", None).await;
    assert_eq!(s, Status::Ok);
    assert_eq!(
        body,
        "{\"status\":\"error\",\"code\":9,\"message\":\"generatecaptcha error - captcha is not enabled\",\"data\":null}\n"
    );

    let mut s = settings();
    s.captcha = true;
    let app = app_with(s).await;
    for v in ["v1", "v2"] {
        let (s, body) = app
            .api_get(&format!("/api/{v}/generatecaptcha"), None)
            .await;
        assert_eq!(s, Status::Ok);
        let prefix = "{\"status\":\"success\",\"code\":0,\"message\":\"generate captcha successful\",\"data\":{\"CaptchaId\":\"";
        assert!(body.starts_with(prefix), "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let id = json["data"]["CaptchaId"].as_str().unwrap();
        assert_eq!(id.len(), 64);
        assert!(json["data"]["ImageBlob"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,"));
        // The id is a live challenge: a wrong answer is refused (and burns it).
        let csrf = app.csrf("/signup").await;
        app.post_form(
            "/signup",
            &format!(
                "email=n%40example.com&password=password1&passwordrepeat=password1&verifyKey={id}&verifyValue=zzzzzz&csrf_token={csrf}"
            ),
        )
        .await;
        assert!(app
            .get("/signup")
            .await
            .1
            .contains("verify value is invalid"));
    }
    // POST is not the command, as in hcstakepool.
    let (s, _) = app.api_post("/api/v1/generatecaptcha", None, "").await;
    assert_eq!(s, Status::NotFound);
}

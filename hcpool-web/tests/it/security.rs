//! Issue 12: the client IP comes from the socket unless `realipheader` says otherwise;
//! password and email changes revoke pending email changes and the API token; forms that
//! check a password are rate-limited; HSTS when `cookiesecure=1`.

use std::net::SocketAddr;

use super::common::*;
use hcpool_core::backend::UserStore;
use hcpool_web::state::AUTH_ATTEMPTS_PER_MINUTE;
use rocket::http::{ContentType, Header, Status};

const PEER: &str = "192.0.2.7:40000";

fn peer(ip: &str) -> SocketAddr {
    format!("{ip}:40000").parse().unwrap()
}

/// A failed sign-in from socket `remote`, with `header` added when given.
async fn sign_in_from(
    app: &TestApp,
    csrf: &str,
    remote: SocketAddr,
    header: Option<(&str, String)>,
) -> Status {
    let mut req = app
        .client
        .post("/signin")
        .remote(remote)
        .header(ContentType::Form)
        .body(format!(
            "email=x%40example.com&password=wrongpass&csrf_token={csrf}"
        ));
    if let Some((name, value)) = header {
        req = req.header(Header::new(name.to_owned(), value));
    }
    req.dispatch().await.status()
}

#[rocket::async_test]
async fn a_spoofed_x_real_ip_does_not_escape_the_sign_in_limit() {
    let app = app().await;
    let csrf = app.csrf("/signin").await;
    let remote: SocketAddr = PEER.parse().unwrap();
    let mut statuses = Vec::new();
    for i in 0..=AUTH_ATTEMPTS_PER_MINUTE {
        let spoof = Some(("X-Real-IP", format!("10.9.8.{i}")));
        statuses.push(sign_in_from(&app, &csrf, remote, spoof).await);
    }
    assert_eq!(
        statuses.last(),
        Some(&Status::TooManyRequests),
        "{statuses:?}"
    );
}

#[rocket::async_test]
async fn junk_in_the_configured_header_falls_back_to_the_socket_address() {
    let mut s = settings();
    s.real_ip_header = Some("X-Real-IP".into());
    let app = app_with(s).await;
    let csrf = app.csrf("/signin").await;
    let remote: SocketAddr = PEER.parse().unwrap();
    let mut statuses = Vec::new();
    for i in 0..=AUTH_ATTEMPTS_PER_MINUTE {
        let junk = Some(("X-Real-IP", format!("junk-{i}")));
        statuses.push(sign_in_from(&app, &csrf, remote, junk).await);
    }
    assert_eq!(
        statuses.last(),
        Some(&Status::TooManyRequests),
        "{statuses:?}"
    );
}

/// `GET /status` from socket `remote` with `header`: whether the admin page came back.
async fn admin_page(app: &TestApp, remote: SocketAddr, header: Option<(&str, &str)>) -> bool {
    let mut req = app.client.get("/status").remote(remote);
    if let Some((name, value)) = header {
        req = req.header(Header::new(name.to_owned(), value.to_owned()));
    }
    let r = req.dispatch().await;
    let page = r.into_string().await.unwrap_or_default();
    page.contains("Chain height")
}

async fn admin_app(header: Option<&str>) -> TestApp {
    let mut s = settings();
    s.real_ip_header = header.map(str::to_owned);
    s.admin_ips = vec!["10.0.0.1".parse().unwrap()];
    s.admin_user_ids = vec![hcpool_core::UserId(1)];
    let app = app_with(s).await;
    app.user("admin@example.com", "password1").await;
    app.sign_in("admin@example.com", "password1").await;
    app
}

#[rocket::async_test]
async fn a_spoofed_x_real_ip_is_no_admin_ip() {
    let app = admin_app(None).await;
    assert!(
        !admin_page(&app, peer("192.0.2.7"), Some(("X-Real-IP", "10.0.0.1"))).await,
        "X-Real-IP is not trusted without realipheader"
    );
    assert!(
        admin_page(&app, peer("10.0.0.1"), None).await,
        "the socket address is"
    );
}

#[rocket::async_test]
async fn x_forwarded_for_uses_the_right_most_hop() {
    let app = admin_app(Some("X-Forwarded-For")).await;
    let proxy = peer("127.0.0.1");
    let xff = Some(("X-Forwarded-For", "10.0.0.1, 192.0.2.9"));
    assert!(!admin_page(&app, proxy, xff).await, "a client-written hop");
    let xff = Some(("X-Forwarded-For", "192.0.2.9, 10.0.0.1"));
    assert!(
        admin_page(&app, proxy, xff).await,
        "the hop the proxy appended"
    );
    let xff = Some(("X-Forwarded-For", "10.0.0.1, not-an-ip"));
    assert!(!admin_page(&app, proxy, xff).await, "junk is not trusted");
}

#[rocket::async_test]
async fn request_ip_in_mails_is_the_socket_address() {
    let app = app().await;
    app.user("a@example.com", "password1").await;
    let csrf = app.csrf("/passwordreset").await;
    app.client
        .post("/passwordreset")
        .remote(PEER.parse().unwrap())
        .header(ContentType::Form)
        .header(Header::new("X-Real-IP", "6.6.6.6"))
        .body(format!("email=a%40example.com&csrf_token={csrf}"))
        .dispatch()
        .await;
    let mail = app.sent().await.pop().unwrap();
    assert!(mail.body.contains("IP address 192.0.2.7."), "{}", mail.body);
}

const PI: &str = "/api/v1/getpurchaseinfo";

/// Signs `email` in and asks for an email change to `new`; returns the confirmation link.
async fn pending_email_change(app: &TestApp, email: &str, new: &str) -> String {
    app.sign_in(email, "password1").await;
    let csrf = app.csrf("/settings").await;
    app.post_form(
        "/settings/email",
        &format!("email={}&password=password1&csrf_token={csrf}", enc(new)),
    )
    .await;
    let mails = app.sent().await.clone();
    let to_new = mails
        .iter()
        .rev()
        .find(|m| m.to == new)
        .expect("mail to the new address");
    link_in(&to_new.body)
}

/// The old API token is refused, a new one is stored and works, and `link` (a pending email
/// change) no longer applies.
async fn old_credentials_are_dead(app: &TestApp, id: hcpool_core::UserId, old: &str, link: &str) {
    let (_, body) = app.api_get(PI, Some(old)).await;
    assert!(body.contains("invalid api token"), "old token: {body}");
    let new = app.store.user(id).await.unwrap().unwrap().api_token;
    assert!(
        !new.expose().is_empty() && new.expose() != old,
        "a new token is issued"
    );
    let (_, body) = app.api_get(PI, Some(new.expose())).await;
    assert!(!body.contains("invalid api token"), "new token: {body}");
    let page = app.get(link).await.1;
    assert!(
        page.contains("Email verification token not valid"),
        "{page}"
    );
    let email = app.store.user(id).await.unwrap().unwrap().email;
    assert!(!email.contains("evil"), "{email}");
}

#[rocket::async_test]
async fn a_password_reset_revokes_pending_email_changes_and_the_api_token() {
    let app = app().await;
    let (id, token) = app.user("a@example.com", "password1").await;
    // The attacker, who knew the old password, asks to move the account to their address.
    let link = pending_email_change(&app, "a@example.com", "evil@example.com").await;
    // The victim resets the password.
    let csrf = app.csrf("/passwordreset").await;
    app.post_form(
        "/passwordreset",
        &format!("email=a%40example.com&csrf_token={csrf}"),
    )
    .await;
    let mail = app.sent().await.pop().unwrap();
    let path = link_in(&mail.body);
    let csrf = csrf_in(&app.get(&path).await.1).unwrap();
    app.post_form(
        &path,
        &format!("password=newpassword1&passwordrepeat=newpassword1&csrf_token={csrf}"),
    )
    .await;
    assert!(app
        .get(&path)
        .await
        .1
        .contains("Password successfully updated"));
    old_credentials_are_dead(&app, id, &token, &link).await;
}

#[rocket::async_test]
async fn a_password_change_revokes_pending_email_changes_and_the_api_token() {
    let app = app().await;
    let (id, token) = app.user("a@example.com", "password1").await;
    let link = pending_email_change(&app, "a@example.com", "evil@example.com").await;
    let csrf = app.csrf("/settings").await;
    app.post_form(
        "/settings/password",
        &format!(
            "password=password1&newpassword=newpassword1&newpasswordrepeat=newpassword1&csrf_token={csrf}"
        ),
    )
    .await;
    assert!(app
        .get("/settings")
        .await
        .1
        .contains("Password successfully updated"));
    old_credentials_are_dead(&app, id, &token, &link).await;
}

#[rocket::async_test]
async fn an_email_change_revokes_other_pending_changes_and_the_api_token() {
    let app = app().await;
    let (id, token) = app.user("a@example.com", "password1").await;
    let evil = pending_email_change(&app, "a@example.com", "evil@example.com").await;
    let mine = pending_email_change(&app, "a@example.com", "mine@example.com").await;
    assert!(app
        .get(&mine)
        .await
        .1
        .contains("Email successfully updated"));
    old_credentials_are_dead(&app, id, &token, &evil).await;
    assert_eq!(
        app.store.user(id).await.unwrap().unwrap().email,
        "mine@example.com"
    );
}

#[rocket::async_test]
async fn a_legacy_hash_upgrade_at_sign_in_keeps_the_api_token() {
    let app = app().await;
    let legacy = bcrypt::hash("password1", 4).unwrap();
    let (id, token) = app.user_with_hash("a@example.com", legacy).await;
    app.sign_in("a@example.com", "password1").await;
    let u = app.store.user(id).await.unwrap().unwrap();
    assert!(u.password_hash.expose().starts_with("$argon2id$"));
    assert_eq!(u.api_token.expose(), &token);
}

/// Posts `body` to `path` from a new socket address each time (so only a per-account limit
/// can stop it) `AUTH_ATTEMPTS_PER_MINUTE + 1` times; the statuses.
async fn from_many_ips(app: &TestApp, path: &str, body: &str) -> Vec<Status> {
    let mut statuses = Vec::new();
    for i in 0..=AUTH_ATTEMPTS_PER_MINUTE {
        let r = app
            .client
            .post(path.to_owned())
            .remote(peer(&format!("198.51.100.{i}")))
            .header(ContentType::Form)
            .body(body)
            .dispatch()
            .await;
        statuses.push(r.status());
    }
    statuses
}

#[rocket::async_test]
async fn wrong_current_passwords_on_settings_forms_are_rate_limited_per_account() {
    for path in ["/settings/password", "/settings/email"] {
        let app = app().await;
        app.user("a@example.com", "password1").await;
        app.sign_in("a@example.com", "password1").await;
        let csrf = app.csrf("/settings").await;
        let body = format!(
            "password=wrongpass&newpassword=newpassword1&newpasswordrepeat=newpassword1&\
             email=b%40example.com&csrf_token={csrf}"
        );
        let statuses = from_many_ips(&app, path, &body).await;
        assert_eq!(statuses[0], Status::SeeOther, "{path}");
        assert_eq!(
            statuses.last(),
            Some(&Status::TooManyRequests),
            "{path}: {statuses:?}"
        );
    }
}

#[rocket::async_test]
async fn wrong_current_passwords_on_settings_forms_are_rate_limited_per_ip() {
    let app = app().await;
    let remote: SocketAddr = PEER.parse().unwrap();
    let mut statuses = Vec::new();
    for i in 0..=AUTH_ATTEMPTS_PER_MINUTE {
        // A new account each time: only the per-IP limit can stop these.
        let email = format!("u{i}@example.com");
        app.user(&email, "password1").await;
        let csrf = app.csrf("/signin").await;
        let r = app
            .client
            .post("/signin")
            .remote(peer(&format!("10.1.0.{i}")))
            .header(ContentType::Form)
            .body(format!(
                "email={}&password=password1&csrf_token={csrf}",
                enc(&email)
            ))
            .dispatch()
            .await;
        assert_eq!(r.status(), Status::SeeOther);
        let csrf = app.csrf("/settings").await;
        let r = app
            .client
            .post("/settings/password")
            .remote(remote)
            .header(ContentType::Form)
            .body(format!(
                "password=wrongpass&newpassword=newpassword1&newpasswordrepeat=newpassword1&csrf_token={csrf}"
            ))
            .dispatch()
            .await;
        statuses.push(r.status());
    }
    assert_eq!(
        statuses.last(),
        Some(&Status::TooManyRequests),
        "{statuses:?}"
    );
}

#[rocket::async_test]
async fn sign_in_is_rate_limited_per_account_across_ips() {
    let app = app().await;
    let csrf = app.csrf("/signin").await;
    let body = format!("email=victim%40example.com&password=wrongpass&csrf_token={csrf}");
    let statuses = from_many_ips(&app, "/signin", &body).await;
    assert_eq!(
        statuses.last(),
        Some(&Status::TooManyRequests),
        "{statuses:?}"
    );
}

#[rocket::async_test]
async fn hsts_on_every_response_when_cookies_are_secure() {
    let mut s = settings();
    s.cookie_secure = true;
    let secure = app_with(s).await;
    for path in [
        "/",
        "/signin",
        "/assets/style.css",
        "/no-such-page",
        "/api/v1/stats",
    ] {
        let r = secure.client.get(path).dispatch().await;
        assert_eq!(
            r.headers().get_one("Strict-Transport-Security"),
            Some(hcpool_web::headers::HSTS),
            "{path}: {}",
            r.status()
        );
    }
    let r = secure.client.post("/signin").dispatch().await;
    assert!(r.headers().get_one("Strict-Transport-Security").is_some());
    let plain = app().await;
    let r = plain.client.get("/").dispatch().await;
    assert_eq!(
        r.headers().get_one("Strict-Transport-Security"),
        None,
        "cookiesecure=0"
    );
}

#[rocket::async_test]
async fn admin_ips_compare_as_addresses() {
    let mut s = settings();
    s.admin_ips = vec!["0:0:0:0:0:0:0:1".parse().unwrap()];
    s.admin_user_ids = vec![hcpool_core::UserId(1)];
    let app = app_with(s).await;
    app.user("admin@example.com", "password1").await;
    app.sign_in("admin@example.com", "password1").await;
    let v6: SocketAddr = "[::1]:40000".parse().unwrap();
    assert!(admin_page(&app, v6, None).await, "::1 is 0:0:0:0:0:0:0:1");
    assert!(!admin_page(&app, peer("127.0.0.1"), None).await);
}

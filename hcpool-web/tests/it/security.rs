//! Issue 12: the client IP comes from the socket unless `realipheader` says otherwise;
//! password and email changes revoke pending email changes and the API token; forms that
//! check a password are rate-limited; HSTS when `cookiesecure=1`.

use std::net::SocketAddr;

use super::common::*;
use hcpool_core::backend::Store;
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
    s.admin_ips = vec!["10.0.0.1".into()];
    s.admin_user_ids = vec![1];
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
    let mail = app.mailer.sent.lock().unwrap().pop().unwrap();
    assert!(mail.body.contains("IP address 192.0.2.7."), "{}", mail.body);
}

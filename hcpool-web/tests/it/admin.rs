//! Admin status: admin IP AND admin user id get the page; everyone else the health JSON.

use std::sync::atomic::Ordering;

use super::common::*;
use rocket::http::{Header, Status};

async fn status_as(app: &TestApp, ip: &str) -> (Status, String) {
    let r = app
        .client
        .get("/status")
        .header(Header::new("X-Real-IP", ip.to_owned()))
        .dispatch()
        .await;
    let s = r.status();
    (s, r.into_string().await.unwrap_or_default())
}

/// Not the admin page: the monitors' JSON health answer.
fn is_health(r: &(Status, String)) -> bool {
    r.0 == Status::Ok && r.1.starts_with("{\"status\":\"ok\"") && !r.1.contains("Chain height")
}

#[rocket::async_test]
async fn status_needs_admin_ip_and_admin_user() {
    let mut s = settings();
    s.real_ip_header = Some("X-Real-IP".into());
    s.admin_ips = vec!["10.0.0.1".into()];
    s.admin_user_ids = vec![1];
    let app = app_with(s).await;
    let (admin, _) = app.user("admin@example.com", "password1").await;
    assert_eq!(admin.0, 1);
    app.user("user@example.com", "password1").await;

    assert!(is_health(&status_as(&app, "10.0.0.1").await), "signed out");
    app.sign_in("user@example.com", "password1").await;
    assert!(
        is_health(&status_as(&app, "10.0.0.1").await),
        "not an admin id"
    );
    app.sign_in("admin@example.com", "password1").await;
    assert!(
        is_health(&status_as(&app, "10.0.0.2").await),
        "not an admin IP"
    );
    // host:port values lose the port, as in hcstakepool.
    let (st, page) = status_as(&app, "10.0.0.1:5555").await;
    assert_eq!(st, Status::Ok);
    assert!(
        page.contains("<dt>Chain height</dt><dd>1234</dd>"),
        "{page}"
    );
    app.wallet.down.store(true, Ordering::SeqCst);
    let (st, page) = status_as(&app, "10.0.0.1").await;
    assert_eq!(st, Status::ServiceUnavailable);
    assert!(page.contains("Wallets unavailable"));
}

//! Password reset: no enumeration, single-use expiring token, sessions revoked.

use super::common::*;
use hcpool_web::session::SESSION_COOKIE;
use rocket::http::{Cookie, Status};

const SENT: &str = "An email containing password reset instructions has been sent to";

#[rocket::async_test]
async fn unknown_and_known_addresses_get_the_same_answer() {
    let app = app().await;
    app.user("a@example.com", "password1").await;
    let csrf = app.csrf("/passwordreset").await;
    for email in ["nobody%40example.com", "a%40example.com"] {
        let (s, loc, _) = app
            .post_form(
                "/passwordreset",
                &format!("email={email}&csrf_token={csrf}"),
            )
            .await;
        assert_eq!(
            (s, loc.as_deref()),
            (Status::SeeOther, Some("/passwordreset"))
        );
        assert!(app.get("/passwordreset").await.1.contains(SENT));
    }
    assert_eq!(app.sent().await.len(), 1, "only the real account gets mail");
}

#[rocket::async_test]
async fn reset_link_sets_a_new_password_once_and_ends_sessions() {
    let app = app().await;
    app.user("a@example.com", "password1").await;
    app.sign_in("a@example.com", "password1").await;
    let old_cookie = app.session_cookie();
    let csrf = app.csrf("/passwordreset").await;
    app.post_form(
        "/passwordreset",
        &format!("email=a%40example.com&csrf_token={csrf}"),
    )
    .await;
    let mail = app.sent().await.pop().unwrap();
    assert_eq!(mail.subject, "Stake pool password reset");
    let path = link_in(&mail.body);
    assert!(path.starts_with("/passwordupdate?t="));

    let (s, page) = app.get(&path).await;
    assert_eq!(s, Status::Ok);
    let csrf = csrf_in(&page).unwrap();
    app.post_form(
        &path,
        &format!("password=newpassword1&passwordrepeat=other12345&csrf_token={csrf}"),
    )
    .await;
    assert!(app.get(&path).await.1.contains("Passwords do not match"));
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
    assert!(app
        .get(&path)
        .await
        .1
        .contains("Password update token not valid"));
    let r = app
        .client
        .get("/settings")
        .cookie(Cookie::new(SESSION_COOKIE, old_cookie))
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::SeeOther, "sessions were revoked");
    assert_eq!(
        app.sign_in("a@example.com", "newpassword1")
            .await
            .1
            .as_deref(),
        Some("/address")
    );
    assert!(app
        .get("/passwordupdate")
        .await
        .1
        .contains("No password update token present"));
}

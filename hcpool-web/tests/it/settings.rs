//! Settings: API token display and regeneration, password change.

use super::common::*;
use hcpool_core::backend::UserStore;
use hcpool_core::Secret;
use hcpool_web::session::SESSION_COOKIE;
use rocket::http::{Cookie, Status};

fn token_in(html: &str) -> String {
    let start = html.find("<pre id=\"apitoken\">").unwrap() + "<pre id=\"apitoken\">".len();
    let end = html[start..].find("</pre>").unwrap() + start;
    html[start..end].to_owned()
}

const NO_TOKEN_PI: &str =
    "{\"status\":\"error\",\"code\":16,\"message\":\"purchaseinfo error - invalid api token\",\"data\":null}\n";

#[rocket::async_test]
async fn settings_shows_token_and_regenerating_revokes_the_old_one() {
    let app = app().await;
    let (id, token) = app.user("a@example.com", "password1").await;
    assert_eq!(app.get("/settings").await.0, Status::SeeOther);
    app.sign_in("a@example.com", "password1").await;
    let (s, page) = app.get("/settings").await;
    assert_eq!(s, Status::Ok);
    assert_eq!(token_in(&page), token);

    let csrf = csrf_in(&page).unwrap();
    let (_, loc, _) = app
        .post_form("/settings/apitoken", &format!("csrf_token={csrf}"))
        .await;
    assert_eq!(loc.as_deref(), Some("/settings"));
    let page = app.get("/settings").await.1;
    assert!(page.contains("the previous one no longer works"));
    let new = token_in(&page);
    assert_ne!(new, token);
    assert_eq!(
        app.store
            .user(id)
            .await
            .unwrap()
            .unwrap()
            .api_token
            .expose(),
        &new
    );
    assert_eq!(
        app.api_get("/api/v1/getpurchaseinfo", Some(&token)).await.1,
        NO_TOKEN_PI
    );
    assert!(app
        .api_get("/api/v1/getpurchaseinfo", Some(&new))
        .await
        .1
        .contains("\"code\":9"));
}

#[rocket::async_test]
async fn settings_issues_a_token_when_none_is_stored() {
    let app = app().await;
    let (id, _) = app.user("a@example.com", "password1").await;
    app.store
        .set_api_token(id, &Secret::new(String::new()))
        .await
        .unwrap();
    app.sign_in("a@example.com", "password1").await;
    let token = token_in(&app.get("/settings").await.1);
    assert_eq!(
        hcpool_web::jwt::verify(SECRET.as_bytes(), &token, i64::MAX / 2),
        Some(id)
    );
    assert!(app
        .api_get("/api/v2/getpurchaseinfo", Some(&token))
        .await
        .1
        .contains("\"code\":9"));
}

#[rocket::async_test]
async fn password_change_revokes_other_sessions() {
    let app = app().await;
    app.user("a@example.com", "password1").await;
    app.sign_in("a@example.com", "password1").await;
    let old_cookie = app.session_cookie();
    let csrf = app.csrf("/settings").await;
    let app = &app;
    let post = |body: String| async move { app.post_form("/settings/password", &body).await };
    post(format!(
        "password=wrongpass&newpassword=newpassword1&newpasswordrepeat=newpassword1&csrf_token={csrf}"
    ))
    .await;
    assert!(app.get("/settings").await.1.contains("Password not valid"));
    post(format!(
        "password=password1&newpassword=newpassword1&newpasswordrepeat=newpassword2&csrf_token={csrf}"
    ))
    .await;
    assert!(app
        .get("/settings")
        .await
        .1
        .contains("Passwords do not match"));
    post(format!(
        "password=password1&newpassword=newpassword1&newpasswordrepeat=newpassword1&csrf_token={csrf}"
    ))
    .await;
    let (s, page) = app.get("/settings").await;
    assert_eq!(s, Status::Ok, "this browser got a fresh session");
    assert!(page.contains("Password successfully updated"));
    let r = app
        .client
        .get("/settings")
        .cookie(Cookie::new(SESSION_COOKIE, old_cookie))
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::SeeOther, "the old session was revoked");
    assert_eq!(
        app.sent().await.last().map(|m| m.subject.clone()),
        Some("Stake pool password change".into())
    );
    // The replay above dropped this client's cookie too; sign in again.
    assert_eq!(
        app.sign_in("a@example.com", "newpassword1")
            .await
            .1
            .as_deref(),
        Some("/address")
    );
}

#[rocket::async_test]
async fn email_change_is_confirmed_by_link_and_does_not_reveal_taken_addresses() {
    let app = app().await;
    let (id, _) = app.user("a@example.com", "password1").await;
    app.user("taken@example.com", "password1").await;
    app.sign_in("a@example.com", "password1").await;
    let csrf = app.csrf("/settings").await;
    let sent = "Verification token sent to new email address";
    app.post_form(
        "/settings/email",
        &format!("email=taken%40example.com&password=password1&csrf_token={csrf}"),
    )
    .await;
    assert!(app.get("/settings").await.1.contains(sent));
    assert!(app.sent().await.is_empty());
    app.post_form(
        "/settings/email",
        &format!("email=b%40example.com&password=wrongpass&csrf_token={csrf}"),
    )
    .await;
    assert!(app.get("/settings").await.1.contains("Password not valid"));
    app.post_form(
        "/settings/email",
        &format!("email=b%40example.com&password=password1&csrf_token={csrf}"),
    )
    .await;
    assert!(app.get("/settings").await.1.contains(sent));
    let mails = app.sent().await.clone();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].to, "b@example.com");
    assert_eq!(mails[1].to, "a@example.com");
    let path = link_in(&mails[0].body);
    assert!(path.starts_with("/emailupdate?t="));
    assert!(app
        .get(&path)
        .await
        .1
        .contains("Email successfully updated"));
    assert_eq!(
        app.store.user(id).await.unwrap().unwrap().email,
        "b@example.com"
    );
    assert_eq!(app.get("/settings").await.0, Status::SeeOther, "signed out");
    assert!(app
        .get(&path)
        .await
        .1
        .contains("Email verification token not valid"));
    assert!(app
        .get("/emailupdate")
        .await
        .1
        .contains("No email verification token present"));
}

//! Pages: sign up → verify → sign in → address → voting, sessions, CSRF, headers.

use super::common;

use std::sync::atomic::Ordering;

use common::*;
use hcpool_core::backend::{SessionStore, UserStore};
use hcpool_web::session::SESSION_COOKIE;
use rocket::http::{Cookie, Status};

#[rocket::async_test]
async fn public_pages_render_with_security_headers() {
    let app = app().await;
    let mut failures = Vec::new();
    for (path, needle) in [
        ("/", "Pool Fees: <strong>7.5%</strong>"),
        ("/signup", "Mail server not configured."),
        ("/signin", "<h1>Sign In</h1>"),
        ("/stats", "<dt>Live</dt><dd>40</dd>"),
        ("/error", "Temporary Error"),
        ("/emailverify", "No email verification token present"),
        ("/emailverify?t=nope", "Email verification token not valid"),
    ] {
        let r = app.client.get(path).dispatch().await;
        let status = r.status();
        let h = r.headers();
        let headers_ok = h.get_one("Content-Security-Policy").is_some_and(|v| {
            v.contains("default-src 'self'") && v.contains("frame-ancestors 'none'")
        }) && h.get_one("X-Content-Type-Options") == Some("nosniff")
            && h.get_one("Referrer-Policy") == Some("same-origin")
            && h.get_one("Cache-Control") == Some("no-store");
        let body = r.into_string().await.unwrap_or_default();
        if status != Status::Ok || !headers_ok || !body.contains(needle) {
            failures.push(format!("{path}: {status} headers_ok={headers_ok}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    let r = app.client.get("/assets/style.css").dispatch().await;
    assert_eq!(r.status(), Status::Ok);
    assert_eq!(r.headers().get_one("Cache-Control"), None);
    assert_eq!(app.get("/nosuchpage").await.0, Status::NotFound);
}

#[rocket::async_test]
async fn stats_page_with_wallet_down_is_503() {
    let app = app().await;
    app.wallet.down.store(true, Ordering::SeqCst);
    let (s, body) = app.get("/stats").await;
    assert_eq!(s, Status::ServiceUnavailable);
    assert!(body.contains("Temporary Error"));
}

#[rocket::async_test]
async fn private_pages_redirect_when_signed_out() {
    let app = app().await;
    for path in ["/address", "/voting"] {
        let r = app.client.get(path).dispatch().await;
        assert_eq!(r.status(), Status::SeeOther, "{path}");
        assert_eq!(r.headers().get_one("Location"), Some("/signin"), "{path}");
    }
}

#[rocket::async_test]
async fn signup_verify_signin_address_voting_flow() {
    let app = app().await;
    let csrf = app.csrf("/signup").await;
    let (s, loc, _) = app
        .post_form(
            "/signup",
            &format!(
                "email=new%40example.com&password=longpassword&passwordrepeat=longpassword&csrf_token={csrf}"
            ),
        )
        .await;
    assert_eq!((s, loc.as_deref()), (Status::SeeOther, Some("/signup")));
    let (_, page) = app.get("/signup").await;
    assert!(page.contains("A verification email has been sent to new@example.com"));
    // The outbox sender creates the account and mails the link (a served app does this in
    // the background within moments).
    assert_eq!(app.deliver().await.sent, 1);

    // Unverified users cannot sign in.
    assert_eq!(
        app.sign_in("new@example.com", "longpassword")
            .await
            .1
            .as_deref(),
        Some("/signin")
    );
    let (_, page) = app.get("/signin").await;
    assert!(
        page.contains("You must validate your email address"),
        "{page}"
    );

    let mail = app.sent().await.pop().expect("verification mail");
    assert_eq!(mail.subject, "Stake pool email verification");
    let path = link_in(&mail.body);
    assert!(path.starts_with("/emailverify?t="));
    let (_, page) = app.get(&path).await;
    assert!(page.contains("Email successfully verified"));
    // A token works once.
    assert!(app
        .get(&path)
        .await
        .1
        .contains("Email verification token not valid"));
    // Verification issued an API token.
    let user = app
        .store
        .user_by_email("new@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(!user.api_token.expose().is_empty());

    let (s, loc) = app.sign_in("new@example.com", "longpassword").await;
    assert_eq!((s, loc.as_deref()), (Status::SeeOther, Some("/address")));
    let (s, page) = app.get("/address").await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("name=\"UserPubKeyAddr\""));
    assert!(page.contains("Hello, new@example.com"));

    let csrf = csrf_in(&page).unwrap();
    let (_, loc, _) = app
        .post_form("/address", &format!("UserPubKeyAddr=Tk&csrf_token={csrf}"))
        .await;
    assert_eq!(loc.as_deref(), Some("/address"));
    assert!(app.get("/address").await.1.contains("Address too short"));

    let (_, loc, _) = app.post_address(&csrf).await;
    assert_eq!(loc.as_deref(), Some("/address"));
    let (_, page) = app.get("/address").await;
    assert!(
        page.contains("Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5"),
        "{page}"
    );
    assert!(page.contains("TsYV9gPAgn4R88QwCDLzrYCVqffynDp8SSe"));
    assert!(page.contains("7.5%"));

    let (_, loc, _) = app.post_address(&csrf).await;
    assert_eq!(loc.as_deref(), Some("/address"));
    assert!(app
        .get("/address")
        .await
        .1
        .contains("Stake pool is currently limited to one address per account"));

    let (s, page) = app.get("/voting").await;
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Voting Preferences (v7)"));
    assert!(page.contains("<select name=\"agenda0\">"));
    let (_, loc, _) = app
        .post_form("/voting", &format!("agenda0=4&csrf_token={csrf}"))
        .await;
    assert_eq!(loc.as_deref(), Some("/voting"));
    assert!(app
        .get("/voting")
        .await
        .1
        .contains("successfully updated voting preferences"));
    assert_eq!(
        app.store.user(user.id).await.unwrap().unwrap().vote_bits.0,
        5
    );
    app.post_form("/voting", &format!("agenda0=x&csrf_token={csrf}"))
        .await;
    assert!(app.get("/voting").await.1.contains("invalid agenda choice"));
    app.post_form("/voting", &format!("agenda0=8&csrf_token={csrf}"))
        .await;
    assert!(app
        .get("/voting")
        .await
        .1
        .contains("generated votebits were invalid"));
}

#[rocket::async_test]
async fn signup_does_not_reveal_existing_accounts() {
    let app = app().await;
    app.user("taken@example.com", "password1").await;
    let csrf = app.csrf("/signup").await;
    app.post_form(
        "/signup",
        &format!(
            "email=taken%40example.com&password=longpassword&passwordrepeat=longpassword&csrf_token={csrf}"
        ),
    )
    .await;
    let (_, page) = app.get("/signup").await;
    assert!(page.contains("A verification email has been sent to taken@example.com"));
    // The owner is told an account exists; no link to verify anything.
    let mails = app.sent().await.clone();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "taken@example.com");
    assert_eq!(mails[0].subject, "Stake pool sign up");
    assert!(!mails[0].body.contains("?t="), "{}", mails[0].body);
    // Policy and mismatch messages.
    for (form, msg) in [
        (
            "email=x%40y&password=short&passwordrepeat=short",
            "password must be at least 8 characters long",
        ),
        (
            "email=x%40y&password=longpassword&passwordrepeat=otherpassword",
            "passwords do not match",
        ),
        (
            "email=nope&password=longpassword&passwordrepeat=longpassword",
            "email address is invalid",
        ),
    ] {
        app.post_form("/signup", &format!("{form}&csrf_token={csrf}"))
            .await;
        assert!(app.get("/signup").await.1.contains(msg), "{msg}");
    }
}

#[rocket::async_test]
async fn sign_in_failures_look_the_same() {
    let app = app().await;
    app.user("a@example.com", "password1").await;
    for (email, pw) in [
        ("a@example.com", "wrongpass"),
        ("nobody@example.com", "password1"),
    ] {
        let (s, loc) = app.sign_in(email, pw).await;
        assert_eq!((s, loc.as_deref()), (Status::SeeOther, Some("/signin")));
        assert!(app
            .get("/signin")
            .await
            .1
            .contains("Invalid Email or Password"));
    }
}

#[rocket::async_test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = app().await;
    let (s, _, body) = app
        .post_form(
            "/signup",
            "email=x%40y.z&password=longpassword&passwordrepeat=longpassword&csrf_token=bad",
        )
        .await;
    assert_eq!(
        (s, body.as_str()),
        (Status::BadRequest, "Invalid Csrf Token\n")
    );
    // No token at all: the same answer as hcstakepool's (not a 422 for a malformed form).
    let (s, _, body) = app
        .post_form(
            "/signup",
            "email=x%40y.z&password=longpassword&passwordrepeat=longpassword",
        )
        .await;
    assert_eq!(
        (s, body.as_str()),
        (Status::BadRequest, "Invalid Csrf Token\n")
    );
    let (s, _, body) = app.post_form("/signin", "email=x%40y.z&password=p").await;
    assert_eq!(
        (s, body.as_str()),
        (Status::BadRequest, "Invalid Csrf Token\n")
    );
    assert_eq!(app.store.user_counts().await.unwrap().all, 0);

    app.user("a@example.com", "password1").await;
    app.sign_in("a@example.com", "password1").await;
    // The anonymous token is no longer valid once signed in: the session has its own.
    let (s, _, _) = app
        .post_form(
            "/address",
            &format!("UserPubKeyAddr={USER_PK}&csrf_token=0000"),
        )
        .await;
    assert_eq!(s, Status::BadRequest);
    let (s, _, _) = app.post_form("/logout", "csrf_token=").await;
    assert_eq!(s, Status::BadRequest);
    assert_eq!(app.get("/address").await.0, Status::Ok, "still signed in");
}

#[rocket::async_test]
async fn sign_out_revokes_the_session_server_side() {
    let app = app().await;
    let (id, _) = app.user("a@example.com", "password1").await;
    let (_, loc) = app.sign_in("a@example.com", "password1").await;
    assert_eq!(loc.as_deref(), Some("/address"));
    let cookie = app.session_cookie();
    let csrf = app.csrf("/address").await;
    let (s, loc, _) = app
        .post_form("/logout", &format!("csrf_token={csrf}"))
        .await;
    assert_eq!((s, loc.as_deref()), (Status::SeeOther, Some("/")));
    assert_eq!(app.store.delete_user_sessions(id).await.unwrap(), 0);
    // Replaying the old cookie gets nowhere.
    let r = app
        .client
        .get("/address")
        .cookie(Cookie::new(SESSION_COOKIE, cookie))
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(r.headers().get_one("Location"), Some("/signin"));
}

#[rocket::async_test]
async fn sign_in_rotates_the_session_and_sets_safe_cookie_flags() {
    let app = app().await;
    app.user("a@example.com", "password1").await;
    let csrf = app.csrf("/signin").await;
    let r = app
        .client
        .post("/signin")
        .header(rocket::http::ContentType::Form)
        .body(format!(
            "email=a%40example.com&password=password1&csrf_token={csrf}"
        ))
        .dispatch()
        .await;
    let set: Vec<String> = r.headers().get("Set-Cookie").map(str::to_owned).collect();
    let session = set
        .iter()
        .find(|c| c.starts_with(SESSION_COOKIE))
        .expect("session cookie set");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    let first = app.session_cookie();
    app.sign_in("a@example.com", "password1").await;
    let second = app.session_cookie();
    assert_ne!(first, second);
    let r = app
        .client
        .get("/address")
        .cookie(Cookie::new(SESSION_COOKIE, first))
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::SeeOther, "the old session was ended");
}

#[rocket::async_test]
async fn legacy_bcrypt_password_signs_in_and_is_upgraded() {
    let app = app().await;
    let legacy = bcrypt::hash("oldpassword", 4)
        .unwrap()
        .replacen("$2b$", "$2a$", 1);
    let (id, _) = app.user_with_hash("old@example.com", legacy).await;
    let (s, loc) = app.sign_in("old@example.com", "oldpassword").await;
    assert_eq!((s, loc.as_deref()), (Status::SeeOther, Some("/address")));
    let stored = app.store.user(id).await.unwrap().unwrap().password_hash;
    assert!(stored.expose().starts_with("$argon2id$"));
    assert_eq!(app.get("/address").await.0, Status::Ok);
    // And the upgraded hash still accepts the password.
    app.post_form(
        "/logout",
        &format!("csrf_token={}", app.csrf("/address").await),
    )
    .await;
    assert_eq!(
        app.sign_in("old@example.com", "oldpassword")
            .await
            .1
            .as_deref(),
        Some("/address")
    );
}

#[rocket::async_test]
async fn tickets_page_sorts_tickets_by_status() {
    let app = app().await;
    let (_, token) = app.user("a@example.com", "password1").await;
    let (_, loc) = app.sign_in("a@example.com", "password1").await;
    assert_eq!(loc.as_deref(), Some("/address"));
    let r = app.client.get("/tickets").dispatch().await;
    assert_eq!(r.headers().get_one("Location"), Some("/address"));
    app.api_register(&token).await;
    let (s, page) = app.get("/tickets").await;
    assert_eq!(s, Status::Ok);
    let hex = |n: u8| hex::encode([n; 32]);
    let mut failures = Vec::new();
    for needle in [
        "Live / Immature (1)".to_owned(),
        "2 total tickets voted (1 archived and not shown)".to_owned(),
        "Missed (1)".to_owned(),
        "Expired (1)".to_owned(),
        format!("https://testnet-explorer.h.cash/explorer/tx/{}", hex(1)),
        hex(2),
        hex(9),
        "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5".to_owned(),
    ] {
        if !page.contains(&needle) {
            failures.push(needle);
        }
    }
    assert!(failures.is_empty(), "missing {failures:?}");
    assert!(!page.contains(&hex(3)), "the old vote is archived");
    app.wallet.down.store(true, Ordering::SeqCst);
    assert_eq!(app.get("/tickets").await.0, Status::ServiceUnavailable);
}

#[rocket::async_test]
async fn sign_in_attempts_are_rate_limited_per_client_ip() {
    let app = app().await;
    let limit = hcpool_web::state::AUTH_ATTEMPTS_PER_MINUTE;
    let csrf = app.csrf("/signin").await;
    let attempt = || async {
        app.post_form(
            "/signin",
            &format!("email=x%40example.com&password=wrongpass&csrf_token={csrf}"),
        )
        .await
        .0
    };
    for _ in 0..limit {
        assert_eq!(attempt().await, Status::SeeOther);
    }
    assert_eq!(attempt().await, Status::TooManyRequests);
}

#[rocket::async_test]
async fn oversized_forms_are_refused() {
    let app = app().await;
    let csrf = app.csrf("/signin").await;
    let big = "a".repeat(64 * 1024);
    let (s, _, _) = app
        .post_form(
            "/signin",
            &format!("email={big}&password=x&csrf_token={csrf}"),
        )
        .await;
    assert_eq!(s, Status::PayloadTooLarge);
}

#[rocket::async_test]
async fn tickets_page_paginates_each_list() {
    use hcpool_core::Hash32;
    // Handlebars escapes `=` and `&` in attributes; browsers decode them.
    let unescape = |p: &str| p.replace("&#x3D;", "=").replace("&amp;", "&");
    let app = app().await;
    let (_, token) = app.user("many@example.com", "password1").await;
    app.sign_in("many@example.com", "password1").await;
    app.api_register(&token).await;
    app.wallet.bulk.store(6_000, Ordering::SeqCst);
    let live_rows = |page: &str| {
        let live = &page[page.find("Live / Immature").unwrap()..page.find("<h2>Voted").unwrap()];
        live.matches("<tr><td>").count()
    };
    let voted_rows = |page: &str| {
        let voted = &page[page.find("<h2>Voted").unwrap()..page.find("<h2>Missed").unwrap()];
        voted.matches("<tr><td>").count()
    };

    let (s, page) = app.get("/tickets").await;
    let page = unescape(&page);
    assert_eq!(s, Status::Ok);
    assert!(page.contains("Live / Immature (6000)"));
    assert!(page.contains("6000 total tickets voted (0 archived and not shown)"));
    assert!(page.contains("Invalid (low fee) (600)"));
    assert_eq!(live_rows(&page), 100, "PAGE_SIZE rows");
    assert_eq!(voted_rows(&page), 100);
    assert!(
        page.contains("id=\"live-pages\">Page 1 of 60"),
        "{}",
        &page[..2000]
    );
    assert!(page.contains("<a href=\"/tickets?live=2\" rel=\"next\">"));
    assert!(page.contains("<a href=\"/tickets?invalid=2\" rel=\"next\">"));
    assert!(
        !page.contains("rel=\"prev\""),
        "page 1 has no previous page"
    );
    // The first live row is the wallet's first ticket; voted rows ascend by vote height.
    assert!(page.contains(&format!(
        "{}",
        Hash32::from_bytes({
            let mut b = [0x10; 32];
            b[..4].copy_from_slice(&0u32.to_le_bytes());
            b
        })
    )));

    // Each list pages on its own; the links keep the other lists' pages.
    let (_, page) = app.get("/tickets?live=60&voted=2").await;
    let page = unescape(&page);
    assert_eq!(live_rows(&page), 100);
    assert!(page.contains("id=\"live-pages\">Page 60 of 60"));
    assert!(page.contains("id=\"voted-pages\">Page 2 of 60"));
    assert!(
        page.contains("<a href=\"/tickets?live=60&voted=3\" rel=\"next\">"),
        "voted next keeps live=60"
    );
    assert!(page.contains("<a href=\"/tickets?live=59&voted=2\" rel=\"prev\">"));
    assert!(
        page.contains("<a href=\"/tickets?live=60\" rel=\"prev\">"),
        "voted prev"
    );

    // Out-of-range and malformed pages are clamped, never an error.
    for q in ["live=999", "live=0", "live=x", "voted=-1"] {
        let (s, page) = app.get(&format!("/tickets?{q}")).await;
        assert_eq!(s, Status::Ok, "{q}");
        assert_eq!(live_rows(&page), 100, "{q}");
    }
    let page = unescape(&app.get("/tickets?live=999").await.1);
    assert!(page.contains("id=\"live-pages\">Page 60 of 60"));

    // The list is read from the wallets once per block: the same block is served from the
    // cache, whatever the wallet would say now.
    let calls = app.wallet.user_info_calls.load(Ordering::SeqCst);
    app.wallet.bulk.store(0, Ordering::SeqCst);
    let (_, page) = app.get("/tickets").await;
    assert_eq!(live_rows(&page), 100, "same block: the cached list");
    assert_eq!(app.wallet.user_info_calls.load(Ordering::SeqCst), calls);

    // A block later the list is read again. A small list has no pager.
    app.wallet.blocks.fetch_add(1, Ordering::SeqCst);
    let (_, page) = app.get("/tickets").await;
    assert_eq!(app.wallet.user_info_calls.load(Ordering::SeqCst), calls + 1);
    assert!(!page.contains("class=\"pager\""));
}

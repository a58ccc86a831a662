//! Operations: `/status` health, chain-sync gating of registration, API rate limit, wallet
//! deadlines, closepool, maintenance, the sign-up captcha.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::common::*;
use hcpool_core::backend::{Store, StoreMaintenance, UserStore};
use hcpool_rpc::WalletManager;
use rocket::http::{Header, Status};

/// Every await in these tests is bounded.
async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("test step took longer than 20 s")
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// An app over a `WalletManager` of two fakes (minservers 2), checked on every request.
async fn managed() -> (TestApp, Vec<Arc<FakeWallet>>, Arc<WalletManager>) {
    app_over_fake_wallets(settings(), 2, 2, |s| s.with_sync_ttl(Duration::ZERO)).await
}

// ----- /status health -----

#[rocket::async_test]
async fn status_is_health_json_for_monitors() {
    bounded(async {
        let (app, fakes, manager) = managed().await;
        let (s, body) = app.get("/status").await;
        assert_eq!(s, Status::Ok, "{body}");
        let v = json(&body);
        assert_eq!(v["status"], "ok");
        assert_eq!(v["registration"], "open");
        assert_eq!(v["database"], true);
        assert_eq!(v["height"], 1234);
        assert_eq!(v["wallets_in_sync"], 2);
        assert!(
            !body.contains("fake"),
            "no wallet labels for monitors: {body}"
        );

        // hcd of one wallet gone: below minservers.
        fakes[1].hcd_down.store(true, Ordering::SeqCst);
        let (s, body) = app.get("/status").await;
        assert_eq!(s, Status::InternalServerError, "{body}");
        assert_eq!(
            json(&body)["problems"],
            serde_json::json!(["wallets_unavailable"])
        );
        fakes[1].hcd_down.store(false, Ordering::SeqCst);
        assert_eq!(app.get("/status").await.0, Status::Ok, "recovers");

        // The manager stopped (an inconsistency): 500, as hcstakepool's /status.
        manager.stop("test: vote versions differ");
        let (s, body) = app.get("/status").await;
        assert_eq!(s, Status::InternalServerError);
        let v = json(&body);
        assert_eq!(v["status"], "error");
        assert_eq!(v["problems"], serde_json::json!(["wallets_stopped"]));
        assert!(
            !body.contains("vote versions"),
            "reasons are for admins: {body}"
        );
    })
    .await;
}

#[rocket::async_test]
async fn status_is_500_when_the_single_wallet_is_down() {
    let app = app().await;
    app.wallet.down.store(true, Ordering::SeqCst);
    let (s, body) = bounded(app.get("/status")).await;
    assert_eq!(s, Status::InternalServerError);
    assert_eq!(json(&body)["registration"], "refused");
}

// ----- chain-sync gating -----

#[rocket::async_test]
async fn registration_is_refused_while_a_wallet_is_behind() {
    bounded(async {
        let (app, fakes, _) = managed().await;
        let (id, token) = app.user("a@example.com", "password1").await;
        fakes[1].behind.store(5, Ordering::SeqCst);
        let (s, body) = app
            .api_register(&token)
            .await;
        assert_eq!(s, Status::Ok);
        assert_eq!(
            body,
            "{\"status\":\"error\",\"code\":14,\"message\":\"address error - pool wallets are not in sync with the network, try again later\"}\n"
        );
        // The web form: 503 and the reason, nothing registered.
        app.sign_in("a@example.com", "password1").await;
        let csrf = app.csrf("/address").await;
        let (s, _, page) = app
            .post_address(&csrf)
            .await;
        assert_eq!(s, Status::ServiceUnavailable);
        assert!(page.contains("not in sync with the network"), "{page}");
        let user = app.store.user(id).await.unwrap().unwrap();
        assert!(user.registration.is_none());
        let (s, body) = app.get("/status").await;
        assert_eq!(s, Status::InternalServerError);
        assert_eq!(json(&body)["problems"], serde_json::json!(["wallets_behind"]));
        // Back in sync: the process never stopped, registration works.
        fakes[1].behind.store(0, Ordering::SeqCst);
        let (s, _, _) = app
            .post_address(&csrf)
            .await;
        assert_eq!(s, Status::SeeOther);
    })
    .await;
}

async fn admin_app() -> TestApp {
    let mut s = settings();
    s.admin_ips = vec!["127.0.0.1".parse().unwrap()];
    s.admin_user_ids = vec![hcpool_core::UserId(1)];
    s.real_ip_header = Some("X-Real-IP".into());
    let app = app_with(s).await;
    app.user("admin@example.com", "password1").await;
    app.sign_in("admin@example.com", "password1").await;
    app
}

async fn admin_page(app: &TestApp) -> (Status, String) {
    let r = app
        .client
        .get("/status")
        .header(Header::new("X-Real-IP", "127.0.0.1"))
        .dispatch()
        .await;
    (r.status(), r.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn admin_status_page_says_why_registration_is_refused() {
    bounded(async {
        let app = admin_app().await;
        let (st, html) = admin_page(&app).await;
        assert_eq!(st, Status::Ok);
        assert!(
            html.contains("Open: 1 of 1 wallets at the chain tip"),
            "{html}"
        );
        // A fresh app (the check is reused for 5 s) whose wallet lost its hcd.
        let app = admin_app().await;
        app.wallet.hcd_down.store(true, Ordering::SeqCst);
        let (st, html) = admin_page(&app).await;
        assert_eq!(st, Status::ServiceUnavailable);
        assert!(html.contains("Address registration is refused"), "{html}");
        assert!(html.contains("wallet not connected to hcd"), "{html}");
    })
    .await;
}

// ----- rate limit and deadlines -----

#[rocket::async_test]
async fn api_is_rate_limited_per_client_ip_with_the_envelope() {
    bounded(async {
        let mut s = settings();
        s.api_rate_limit = 3;
        s.real_ip_header = Some("X-Real-IP".into());
        let app = app_with(s).await;
        let get = |ip: &'static str| {
            let req = app
                .client
                .get("/api/v2/stats")
                .header(Header::new("X-Real-IP", ip));
            async move {
                let r = req.dispatch().await;
                let retry = r.headers().get_one("Retry-After").map(str::to_owned);
                (r.status(), retry, r.into_string().await.unwrap_or_default())
            }
        };
        for _ in 0..3 {
            assert_eq!(get("10.0.0.1").await.0, Status::Ok);
        }
        let (s, retry, body) = get("10.0.0.1").await;
        assert_eq!(s, Status::TooManyRequests);
        assert_eq!(retry.as_deref(), Some("60"));
        assert_eq!(
            body,
            "{\"status\":\"error\",\"code\":8,\"message\":\"rate limited - too many requests, please wait a minute\"}\n"
        );
        // Another client (as the proxy reports it) is not affected.
        assert_eq!(get("10.0.0.2").await.0, Status::Ok);
        // POST commands count too.
        let r = app
            .client
            .post("/api/v1/voting")
            .header(Header::new("X-Real-IP", "10.0.0.1"))
            .dispatch()
            .await;
        assert_eq!(r.status(), Status::TooManyRequests);
    })
    .await;
}

#[rocket::async_test]
async fn a_hung_wallet_gives_unavailable_not_a_hang() {
    bounded(async {
        let app = app_custom(settings(), None, |s| {
            s.with_wallet_deadline(Duration::from_millis(200))
        })
        .await;
        let (_, token) = app.user("a@example.com", "password1").await;
        app.wallet.hang.store(true, Ordering::SeqCst);
        let started = std::time::Instant::now();
        let (_, body) = app.api_get("/api/v2/stats", None).await;
        assert_eq!(
            body,
            "{\"status\":\"error\",\"code\":14,\"message\":\"stats error - RPC server error\",\"data\":null}\n"
        );
        assert_eq!(app.get("/stats").await.0, Status::ServiceUnavailable);
        let (_, body) = app
            .api_register(&token)
            .await;
        assert!(body.contains("\"code\":14"), "{body}");
        let (_, body) = app
            .api_post("/api/v1/voting", Some(&token), "VoteBits=5")
            .await;
        assert!(body.contains("\"code\":14"), "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "deadlines bound every call"
        );
    })
    .await;
}

// ----- closepool and maintenance -----

#[rocket::async_test]
async fn closepool_refuses_signup_and_new_addresses() {
    bounded(async {
        let mut s = settings();
        s.close_pool = true;
        let app = app_with(s).await;
        let msg = "The stake pool is temporarily closed to new signups.";
        let (_, home) = app.get("/").await;
        assert!(home.contains(msg) && !home.contains("href=\"/signup\">Sign Up</a></p>"));
        let csrf = app.csrf("/signup").await;
        let (_, loc, _) = app
            .post_form(
                "/signup",
                &format!(
                    "email=n%40example.com&password=password1&passwordrepeat=password1&csrf_token={csrf}"
                ),
            )
            .await;
        assert_eq!(loc.as_deref(), Some("/signup"));
        assert!(app.get("/signup").await.1.contains(msg));
        assert!(app.sent().await.is_empty(), "no account made");

        let (_, token) = app.user("a@example.com", "password1").await;
        let (_, body) = app
            .api_register(&token)
            .await;
        assert_eq!(
            body,
            format!("{{\"status\":\"error\",\"code\":9,\"message\":\"address error - {msg}\"}}\n")
        );
        app.sign_in("a@example.com", "password1").await;
        let csrf = app.csrf("/address").await;
        let (s, _, page) = app
            .post_address(&csrf)
            .await;
        assert_eq!(s, Status::Forbidden);
        assert!(page.contains(msg));
        assert!(app.api_get("/api/v1/stats", None).await.1.contains("\"PoolStatus\":\"Closed\""));
    })
    .await;
}

#[rocket::async_test]
async fn maintenance_mode_answers_503_but_keeps_status_and_assets() {
    bounded(async {
        let mut s = settings();
        s.maintenance = true;
        let app = app_with(s).await;
        for path in ["/", "/signin", "/address", "/no-such-page"] {
            let r = app.client.get(path).dispatch().await;
            assert_eq!(r.status(), Status::ServiceUnavailable, "{path}");
            assert_eq!(r.headers().get_one("Retry-After"), Some("300"));
            let page = r.into_string().await.unwrap();
            assert!(page.contains("Down for maintenance."), "{path}: {page}");
        }
        let (s, _, _) = app.post_form("/signin", "email=a&password=b&csrf_token=c").await;
        assert_eq!(s, Status::ServiceUnavailable);
        let (s, body) = app.api_get("/api/v1/stats", None).await;
        assert_eq!(s, Status::ServiceUnavailable);
        assert_eq!(
            body,
            "{\"status\":\"error\",\"code\":14,\"message\":\"system error - stake pool is down for maintenance\"}\n"
        );
        assert_eq!(app.get("/status").await.0, Status::Ok);
        assert_eq!(app.get("/assets/style.css").await.0, Status::Ok);
    })
    .await;
}

#[rocket::async_test]
async fn maintenance_routes_are_404_when_off() {
    let app = app().await;
    assert_eq!(bounded(app.get("/__maintenance")).await.0, Status::NotFound);
}

// ----- captcha -----

fn signup_body(csrf: &str, id: &str, answer: &str, email: &str) -> String {
    format!(
        "email={}&password=password1&passwordrepeat=password1&csrf_token={csrf}&captcha_id={id}&captcha_answer={answer}",
        enc(email)
    )
}

#[rocket::async_test]
async fn signup_captcha_is_self_hosted_and_single_use() {
    bounded(async {
        let mut s = settings();
        s.captcha = true;
        let app = app_with(s).await;
        let (_, page) = app.get("/signup").await;
        assert!(page.contains("src=\"data:image/png;base64,"), "{page}");
        assert!(page.contains("name=\"captcha_id\""));
        assert!(!page.contains("<script"), "no script at all");
        let csrf = csrf_in(&page).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let store: &dyn Store = app.store.as_ref();

        // No answer, or a wrong one: refused, and the wrong guess burns the challenge.
        let id = "a".repeat(64);
        hcpool_web::captcha::remember(store, &id, "Xk3pQ", now)
            .await
            .unwrap();
        for answer in ["", "wrong"] {
            let (_, loc, _) = app
                .post_form("/signup", &signup_body(&csrf, &id, answer, "n@example.com"))
                .await;
            assert_eq!(loc.as_deref(), Some("/signup"));
            assert!(app
                .get("/signup")
                .await
                .1
                .contains("verify value is invalid"));
        }
        let (_, _, _) = app
            .post_form(
                "/signup",
                &signup_body(&csrf, &id, "Xk3pQ", "n@example.com"),
            )
            .await;
        assert!(app
            .get("/signup")
            .await
            .1
            .contains("verify value is invalid"));
        assert!(app.sent().await.is_empty());

        // The right answer (any case) passes once.
        let id = "b".repeat(64);
        hcpool_web::captcha::remember(store, &id, "Xk3pQ", now)
            .await
            .unwrap();
        app.post_form(
            "/signup",
            &signup_body(&csrf, &id, "xK3Pq", "n@example.com"),
        )
        .await;
        assert!(app
            .get("/signup")
            .await
            .1
            .contains("A verification email has been sent to n@example.com"));
        assert_eq!(app.sent().await.len(), 1);
        app.post_form(
            "/signup",
            &signup_body(&csrf, &id, "xK3Pq", "m@example.com"),
        )
        .await;
        assert!(app
            .get("/signup")
            .await
            .1
            .contains("verify value is invalid"));
        assert_eq!(app.sent().await.len(), 1);
    })
    .await;
}

#[rocket::async_test]
async fn captcha_off_by_default() {
    let app = app().await;
    let (_, page) = bounded(app.get("/signup")).await;
    assert!(!page.contains("captcha_id"));
}

/// Issue 12 item 4: a loop of `GET /signup` from one IP stores at most
/// `CAPTCHA_CHALLENGES_PER_MINUTE` challenge rows; past it the page answers 429 without a
/// challenge. Another IP still gets one.
#[rocket::async_test]
async fn captcha_issuance_is_rate_limited_per_ip() {
    bounded(async {
        let mut s = settings();
        s.captcha = true;
        let app = app_with(s).await;
        let limit = u64::from(hcpool_web::state::CAPTCHA_CHALLENGES_PER_MINUTE);
        let one: std::net::SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let (mut issued, mut limited) = (0_u64, 0_u64);
        for _ in 0..3 * limit {
            let r = app.client.get("/signup").remote(one).dispatch().await;
            let status = r.status();
            let page = r.into_string().await.unwrap_or_default();
            if page.contains("name=\"captcha_id\"") {
                assert_eq!(status, Status::Ok);
                issued += 1;
            } else {
                assert_eq!(status, Status::TooManyRequests, "{page}");
                limited += 1;
            }
        }
        assert_eq!(issued, limit);
        assert_eq!(limited, 2 * limit);
        let other: std::net::SocketAddr = "10.0.0.2:4000".parse().unwrap();
        let r = app.client.get("/signup").remote(other).dispatch().await;
        assert_eq!(r.status(), Status::Ok);
        assert!(r
            .into_string()
            .await
            .unwrap_or_default()
            .contains("name=\"captcha_id\""));
        // Signing in is the only way to a session: every row left is a challenge.
        let rows = app.store.purge_expired(i64::MAX).await.unwrap();
        assert_eq!(rows, limit + 1, "challenge rows stored");
    })
    .await;
}

/// Issue 12 item 4: the purge task deletes expired captcha challenges, sessions and tokens
/// and keeps live ones.
#[rocket::async_test]
async fn purge_task_deletes_expired_rows_and_keeps_live_ones() {
    bounded(async {
        let app = app().await;
        let (user, _) = app.user_with_hash("p@example.com", "x".into()).await;
        let now = app.pool.clock().now_unix();
        let store: &dyn Store = app.store.as_ref();
        let session = |id: &str, owner, expires| hcpool_core::backend::Session {
            id_hash: id.into(),
            user_id: owner,
            csrf_token: hcpool_core::Secret::new("c".into()),
            created: now - 1000,
            expires,
            last_seen: now - 1000,
        };
        let challenge = |id: &str, expires| hcpool_core::backend::Challenge {
            id_hash: id.into(),
            answer_hash: hcpool_core::Secret::new("a".into()),
            created: now - 1000,
            expires,
        };
        for s in [
            session("old-session", user, now - 1),
            session("live-session", user, now + 600),
        ] {
            store.create_session(&s).await.unwrap();
        }
        for c in [
            challenge("old-captcha", now - 1),
            challenge("live-captcha", now + 600),
        ] {
            store.create_challenge(&c).await.unwrap();
        }
        store
            .create_password_reset(&hcpool_core::backend::PasswordReset {
                user_id: user,
                token: hcpool_core::Secret::new("old-reset".into()),
                created: now - 1000,
                expires: now - 1,
            })
            .await
            .unwrap();

        let task = hcpool_web::purge::spawn(app.pool.clone(), Duration::from_millis(20));
        // One purge deletes every kind at once (in one transaction on SQL).
        while store.password_reset("old-reset").await.unwrap().is_some() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        drop(task);
        // Deleted: ask with a `now` before they expired, so only deletion hides them.
        assert!(
            store
                .session("old-session", now - 10)
                .await
                .unwrap()
                .is_none(),
            "old session purged"
        );
        assert!(store.password_reset("old-reset").await.unwrap().is_none());
        assert!(store.session("live-session", now).await.unwrap().is_some());
        // Nothing left to purge (checked before taking the live challenge, which consumes it).
        assert_eq!(hcpool_web::purge::purge_once(&app.pool).await.unwrap(), 0);
        assert!(
            store
                .take_challenge("old-captcha", now - 10)
                .await
                .unwrap()
                .is_none(),
            "old challenge purged"
        );
        assert!(
            store
                .take_challenge("live-captcha", now)
                .await
                .unwrap()
                .is_some(),
            "live challenge kept"
        );
    })
    .await;
}

/// Issue 12 item 9: an authenticated request writes `last_seen` (and slides `expires`) at
/// most every `SESSION_TOUCH_SECS`, not on every request.
#[rocket::async_test]
async fn session_last_seen_is_written_at_most_every_few_minutes() {
    bounded(async {
        let app = app().await;
        let (user, _) = app.user_with_hash("t@example.com", "x".into()).await;
        let now = app.pool.clock().now_unix();
        let store: &dyn Store = app.store.as_ref();
        let mut ids = Vec::new();
        for (cookie, seen) in [("a".repeat(64), now - 60), ("b".repeat(64), now - 3600)] {
            let id_hash = hcpool_web::auth::sha256_hex(&cookie);
            store
                .create_session(&hcpool_core::backend::Session {
                    id_hash: id_hash.clone(),
                    user_id: user,
                    csrf_token: hcpool_core::Secret::new("c".into()),
                    created: seen,
                    expires: now + 1000,
                    last_seen: seen,
                })
                .await
                .unwrap();
            for _ in 0..3 {
                let r = app
                    .client
                    .get("/settings")
                    .cookie(rocket::http::Cookie::new(
                        hcpool_web::session::SESSION_COOKIE,
                        cookie.clone(),
                    ))
                    .dispatch()
                    .await;
                assert_eq!(r.status(), Status::Ok, "signed in");
            }
            ids.push((id_hash, seen));
        }
        // Seen a minute ago: untouched.
        let recent = store.session(&ids[0].0, now).await.unwrap().unwrap();
        assert_eq!((recent.last_seen, recent.expires), (now - 60, now + 1000));
        // Seen an hour ago: touched, and its idle lifetime slides.
        let stale = store.session(&ids[1].0, now).await.unwrap().unwrap();
        assert!(stale.last_seen >= now, "{}", stale.last_seen);
        assert!(stale.expires >= now + hcpool_web::session::SESSION_IDLE_SECS);
    })
    .await;
}

//! Account deletion and data export (issue 16 row 6): `GET /export`, `GET`/`POST /delete`
//! over the in-memory app, and over the demo pool (simulated wallets and hcd, two
//! in-process stakepoold daemons): a deleted account's live ticket is still voted with its
//! votebits, and its voting data is erased once the ticket is spent.

use super::common::user_key;
use std::time::Duration;

use hcpool_core::backend::{erased_email, ErasureStore, NewUser, UserStore};
use hcpool_core::{Secret, VoteBits};
use hcpool_simnet::{TicketPurchase, TicketState};
use rocket::http::Status;

use super::common::{app, enc};
use super::live::{self, api, exchange, request, until, Custom};

/// The export over the local client: a JSON attachment with the account, never the
/// password hash, the session secrets or a mailed token.
#[rocket::async_test]
async fn export_is_a_json_attachment_without_secrets() {
    let app = app().await;
    let (id, token) = app.user("alice@example.com", "password1").await;
    // Not signed in: the sign-in page.
    let r = app.client.get("/export").dispatch().await;
    assert_ne!(r.status(), Status::Ok);
    app.sign_in("alice@example.com", "password1").await;
    assert_eq!(app.api_register(&token).await.0, Status::Ok);
    let r = app.client.get("/export").dispatch().await;
    assert_eq!(r.status(), Status::Ok);
    assert_eq!(
        r.headers().get_one("Content-Disposition"),
        Some(format!("attachment; filename=\"hcpool-account-{}.json\"", id.0).as_str())
    );
    assert_eq!(r.headers().get_one("Cache-Control"), Some("no-store"));
    assert!(r
        .headers()
        .get_one("Content-Type")
        .is_some_and(|c| c.starts_with("application/json")));
    let body = r.into_string().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["format"], "hcpool-account-export/1");
    assert_eq!(v["account"]["user_id"], id.0);
    assert_eq!(v["account"]["email"], "alice@example.com");
    assert_eq!(v["account"]["email_verification"], "verified");
    assert_eq!(v["credentials"]["api_token"], token);
    assert!(v["credentials"]["note"]
        .as_str()
        .unwrap()
        .contains("credential"));
    assert_eq!(v["voting"]["vote_bits"], 1);
    let row = app.store.user(id).await.unwrap().unwrap();
    let reg = row.registration.as_ref().unwrap();
    assert_eq!(
        v["registration"]["multisig_address"],
        reg.multisig_address.to_string()
    );
    assert_eq!(
        v["registration"]["multisig_script"],
        reg.multisig_script.to_hex()
    );
    assert!(
        v["tickets"].as_array().is_some_and(|t| !t.is_empty()),
        "{v}"
    );
    let sessions = v["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["current"], true);
    // No secret but the marked API token.
    let session = app.session_cookie();
    for secret in [
        row.password_hash.expose().as_str(),
        session.as_str(),
        "tok-alice@example.com",
        "csrf",
        "argon2",
    ] {
        assert!(!body.contains(secret), "{secret:?} in the export: {body}");
    }
}

/// The delete page: CSRF and the password are required; a deleted account cannot sign
/// in, its email signs up again, and the settings page links both pages.
#[rocket::async_test]
async fn delete_needs_the_password_then_ends_the_account() {
    let app = app().await;
    let (id, token) = app.user("bob@example.com", "password1").await;
    app.sign_in("bob@example.com", "password1").await;
    let (_, settings) = app.get("/settings").await;
    assert!(settings.contains("href=\"/delete\"") && settings.contains("href=\"/export\""));
    let (st, page) = app.get("/delete").await;
    assert_eq!(st, Status::Ok);
    assert!(page.contains("Delete account") && page.contains("action=\"/delete\""));
    let csrf = app.csrf("/delete").await;
    // Without the CSRF token: refused, nothing changes.
    let (st, _, _) = app.post_form("/delete", "password=password1").await;
    assert_ne!(st, Status::Ok);
    let (st, _, _) = app
        .post_form("/delete", "password=password1&csrf_token=nope")
        .await;
    assert_eq!(st, Status::BadRequest);
    // A wrong password: back to the page with the refusal.
    let (st, loc, _) = app
        .post_form("/delete", &format!("password=wrong-one&csrf_token={csrf}"))
        .await;
    assert_eq!((st, loc.as_deref()), (Status::SeeOther, Some("/delete")));
    let (_, page) = app.get("/delete").await;
    assert!(page.contains("Password not valid"), "{page}");
    assert!(!app.store.user(id).await.unwrap().unwrap().is_erased());

    let (st, _, page) = app
        .post_form("/delete", &format!("password=password1&csrf_token={csrf}"))
        .await;
    assert_eq!(st, Status::Ok);
    assert!(page.contains("Account deleted"), "{page}");
    let row = app.store.user(id).await.unwrap().unwrap();
    assert!(row.is_erased());
    assert_eq!(row.email, erased_email(id));
    // Signed out; the API token is gone; sign-in refused.
    let (st, _) = app.get("/settings").await;
    assert_ne!(st, Status::Ok);
    let (_, body) = app.api_get("/api/v1/getpurchaseinfo", Some(&token)).await;
    assert!(!body.contains("\"success\""), "{body}");
    let (_, loc) = app.sign_in("bob@example.com", "password1").await;
    assert_eq!(loc.as_deref(), Some("/signin"));
    let (_, loc) = app.sign_in(&erased_email(id), "password1").await;
    assert_eq!(loc.as_deref(), Some("/signin"));
    // Without a registration the erasure is complete at once.
    let rec = app.store.erasure(id).await.unwrap().unwrap();
    assert!(rec.erased.is_some());
    // The email signs up again as a new account.
    let (again, _) = app.user("bob@example.com", "password2").await;
    assert!(again.0 > id.0);
    let (_, loc) = app.sign_in("bob@example.com", "password2").await;
    assert_ne!(loc.as_deref(), Some("/signin"));
}

/// Deleted accounts are no users any more: the v1/v2 stats (same bytes but the numbers) and
/// the stats page count neither a deleted registered account, whose row keeps its
/// registration while its tickets may vote, nor a deleted unregistered one.
#[rocket::async_test]
async fn deleted_accounts_leave_the_user_counts() {
    let app = app().await;
    let (_, ta) = app.user("a@example.com", "password1").await;
    let (b, tb) = app.user("b@example.com", "password1").await;
    let (c, _) = app.user("c@example.com", "password1").await;
    assert_eq!(app.api_register(&ta).await.0, Status::Ok);
    assert_eq!(app.api_register(&tb).await.0, Status::Ok);
    let golden = |all: u32, active: u32| {
        format!(
            "{{\"status\":\"success\",\"code\":0,\"message\":\"stats successfully retrieved\",\"data\":{{\"AllMempoolTix\":0,\"APIVersionsSupported\":[1,2],\"BlockHeight\":12345,\"Difficulty\":2.5,\"Expired\":0,\"Immature\":3,\"Live\":40,\"Missed\":1,\"OwnMempoolTix\":0,\"PoolSize\":1024,\"ProportionLive\":0.039,\"ProportionMissed\":0.02,\"Revoked\":1,\"TotalSubsidy\":12.3,\"Voted\":50,\"Network\":\"testnet2\",\"PoolEmail\":\"dev@h.cash\",\"PoolFees\":7.5,\"PoolStatus\":\"Open\",\"UserCount\":{all},\"UserCountActive\":{active},\"Version\":\"0.1.0\"}}}}\n"
        )
    };
    for v in ["v1", "v2"] {
        let (_, body) = app.api_get(&format!("/api/{v}/stats"), None).await;
        assert_eq!(body, golden(3, 2), "{v}");
    }
    let (_, page) = app.get("/stats").await;
    assert!(
        page.contains("<dt>Users</dt><dd>3</dd>")
            && page.contains("<dt>Active users</dt><dd>2</dd>"),
        "{page}"
    );

    // b deletes the account through the page; c's account is deleted as well (another
    // instance): both rows stay, b's with its registration.
    app.sign_in("b@example.com", "password1").await;
    let csrf = app.csrf("/delete").await;
    let (st, _, _) = app
        .post_form("/delete", &format!("password=password1&csrf_token={csrf}"))
        .await;
    assert_eq!(st, Status::Ok);
    assert!(app.store.erase_account(c, 1).await.unwrap().is_some());
    app.state().forget_user_counts();
    let tomb = app.store.user(b).await.unwrap().unwrap();
    assert!(tomb.is_erased() && tomb.registration.is_some());
    assert!(app.store.user(c).await.unwrap().unwrap().is_erased());

    for v in ["v1", "v2"] {
        let (_, body) = app.api_get(&format!("/api/{v}/stats"), None).await;
        assert_eq!(body, golden(1, 1), "{v}");
    }
    let (_, page) = app.get("/stats").await;
    assert!(
        page.contains("<dt>Users</dt><dd>1</dd>")
            && page.contains("<dt>Active users</dt><dd>1</dd>"),
        "{page}"
    );
}

/// Over the demo pool: the user registers, sets votebits 5, buys a ticket, exports (the
/// ticket is listed live) and deletes the account. The row keeps the multisig and the
/// votebits, both stakepoold daemons keep them, and the ticket is voted; the sweep keeps
/// the data while the ticket is live and erases it once it voted, and the daemons drop the
/// user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_account_keeps_voting_until_its_ticket_is_spent() {
    tokio::time::timeout(Duration::from_secs(150), deleted_account_keeps_voting())
        .await
        .expect("the erasure test took more than 150 s");
}

async fn deleted_account_keeps_voting() {
    let p = live::start_custom(Custom {
        nodes: true,
        ..Custom::default()
    })
    .await;
    let addr = p.server.addr;
    let store = p.pool.store().clone();
    // The pool's user gets the password the browser signs in with (revoking nothing).
    let hash = hcpool_web::auth::hash_password(live::PASSWORD.into())
        .await
        .unwrap();
    assert!(store.upgrade_password_hash(p.user, &hash).await.unwrap());
    let form = format!("UserPubKeyAddr={}", enc(&user_key()));
    let (_, r) = api(addr, "POST", "/api/v1/address", &p.token, &form).await;
    assert_eq!(r["status"], "success", "{r}");
    let (_, r) = api(addr, "POST", "/api/v1/voting", &p.token, "VoteBits=5").await;
    assert_eq!(r["status"], "success", "{r}");
    let (_, r) = api(addr, "GET", "/api/v1/getpurchaseinfo", &p.token, "").await;
    let msa = r["data"]["TicketAddress"].as_str().unwrap().to_owned();
    for i in 0..2 {
        until(
            "both daemons to hold bits 5",
            Duration::from_secs(30),
            || {
                let b = p.bits_on(i, &msa);
                async move { b == Some(5) }
            },
        )
        .await;
    }
    // Other people's tickets fill the pool; the user's wallet buys one into the multisig.
    for i in 0..20u8 {
        p.cluster
            .buy_ticket_for_script([i; 20], &TicketPurchase::new("", 20_000_000, 999))
            .unwrap();
    }
    let index = u32::try_from(p.user.0).unwrap();
    let ticket = p
        .cluster
        .buy_ticket(&TicketPurchase::new(msa.clone(), 20_000_000, index))
        .unwrap();
    for _ in 0..10 {
        p.cluster.mine(1).unwrap();
        if p.cluster.ticket_state(&ticket) == Some(TicketState::Live) {
            break;
        }
    }
    assert_eq!(p.cluster.ticket_state(&ticket), Some(TicketState::Live));
    until(
        "both daemons to list the ticket live",
        Duration::from_secs(30),
        || {
            let ok = p.nodes.iter().all(|n| {
                n.as_ref()
                    .unwrap()
                    .daemon()
                    .live_tickets()
                    .iter()
                    .any(|t| t.ticket_hash == ticket)
            });
            async move { ok }
        },
    )
    .await;

    // The export lists the ticket, live.
    let s = live::sign_in(addr).await;
    let r = exchange(
        addr,
        &request(
            "GET",
            b"/export",
            &[("Cookie", s.cookie.clone().into_bytes())],
            b"",
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.head);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["registration"]["multisig_address"], msa);
    assert_eq!(v["voting"]["vote_bits"], 5);
    let listed = v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ticket"] == ticket.to_string())
        .cloned()
        .unwrap_or_default();
    assert_eq!(listed["status"], "live", "{v}");

    // A wrong password is refused; the right one deletes.
    let post = |password: &str| {
        let body = format!("password={}&csrf_token={}", enc(password), s.csrf);
        request(
            "POST",
            b"/delete",
            &[
                (
                    "Content-Type",
                    b"application/x-www-form-urlencoded".to_vec(),
                ),
                ("Cookie", s.cookie.clone().into_bytes()),
            ],
            body.as_bytes(),
        )
    };
    let r = exchange(addr, &post("not-the-password")).await;
    assert_eq!(r.status, 303, "{}", r.head);
    assert_eq!(r.header("Location").as_deref(), Some("/delete"));
    assert!(!store.user(p.user).await.unwrap().unwrap().is_erased());
    let r = exchange(addr, &post(live::PASSWORD)).await;
    assert_eq!(r.status, 200, "{}", r.head);
    assert!(r.body_text().contains("Account deleted"));
    assert!(
        r.body_text().contains(&msa),
        "the page names the kept address"
    );

    let row = store.user(p.user).await.unwrap().unwrap();
    assert!(row.is_erased());
    assert_eq!(row.email, erased_email(p.user));
    assert!(row.api_token.expose().is_empty());
    let reg = row.registration.clone().expect("the multisig is kept");
    assert_eq!(reg.multisig_address.to_string(), msa);
    assert_eq!(row.vote_bits, VoteBits(5));
    // The old session and API token are dead; sign-in is refused.
    let r = exchange(
        addr,
        &request(
            "GET",
            b"/settings",
            &[("Cookie", s.cookie.clone().into_bytes())],
            b"",
        ),
    )
    .await;
    assert_ne!(r.status, 200);
    let (_, r) = api(addr, "GET", "/api/v1/getpurchaseinfo", &p.token, "").await;
    assert_ne!(r["status"], "success", "{r}");
    let v = live::visitor(addr).await;
    let form = format!(
        "email={}&password={}&csrf_token={}",
        enc(live::EMAIL),
        enc(live::PASSWORD),
        v.csrf
    );
    let r = exchange(
        addr,
        &request(
            "POST",
            b"/signin",
            &[
                (
                    "Content-Type",
                    b"application/x-www-form-urlencoded".to_vec(),
                ),
                ("Cookie", v.cookie.into_bytes()),
            ],
            form.as_bytes(),
        ),
    )
    .await;
    assert_eq!(
        r.header("Location").as_deref(),
        Some("/signin"),
        "{}",
        r.head
    );
    assert!(!r.cookies().iter().any(|c| c.starts_with("hcpool_session=")));

    // While the ticket is live the sweep keeps everything, and the daemons keep the bits.
    let report = hcpool_web::erase::sweep_once(&p.pool, 0).await.unwrap();
    assert_eq!((report.pending, report.erased, report.waiting), (1, 0, 1));
    assert!(store
        .user(p.user)
        .await
        .unwrap()
        .unwrap()
        .registration
        .is_some());
    for i in 0..2 {
        assert_eq!(p.bits_on(i, &msa), Some(5), "daemon {i}");
    }

    // The ticket is drawn and voted by the daemons.
    let mut voted = false;
    for _ in 0..80 {
        let (_, height) = p.cluster.mine(1).unwrap()[0];
        if !p.cluster.winners(height).contains(&ticket) {
            continue;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        p.cluster.mine(1).unwrap();
        voted = p.cluster.ticket_state(&ticket) == Some(TicketState::Voted);
        break;
    }
    assert!(voted, "the deleted account's ticket was voted");

    // Spent: the next pass erases the rest; the daemons drop the user.
    until(
        "the wallets to report the ticket voted",
        Duration::from_secs(30),
        || {
            let pool = p.pool.clone();
            async move {
                hcpool_web::erase::sweep_once(&pool, 0)
                    .await
                    .is_ok_and(|r| r.erased == 1)
            }
        },
    )
    .await;
    let row = store.user(p.user).await.unwrap().unwrap();
    assert!(row.registration.is_none(), "voting data erased");
    assert!(row.is_erased());
    assert_eq!(row.vote_bits, VoteBits(1));
    let rec = store.erasure(p.user).await.unwrap().unwrap();
    assert!(rec.erased.is_some());
    for i in 0..2 {
        until(
            "the daemons to drop the user",
            Duration::from_secs(30),
            || {
                let b = p.bits_on(i, &msa);
                async move { b.is_none() }
            },
        )
        .await;
    }
    // The email signs up again, as a new account with a new id (the tombstone keeps its).
    let again = store
        .create_user(&NewUser {
            email: live::EMAIL.into(),
            password_hash: Secret::new("x".into()),
            email_token: Secret::new("again".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await
        .unwrap();
    assert!(again.0 > p.user.0);
    assert!(live::panics().lock().unwrap().is_empty());
}

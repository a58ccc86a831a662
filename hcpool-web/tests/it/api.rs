//! JSON API v1/v2: golden responses (exact bytes) for every command, success and failure.

use super::common;

use std::sync::atomic::Ordering;

use common::*;
use hcpool_core::backend::UserStore;
use hcpool_core::Secret;
use rocket::http::Status;

const NO_TOKEN_PI: &str =
    "{\"status\":\"error\",\"code\":16,\"message\":\"purchaseinfo error - invalid api token\",\"data\":null}\n";
const INVALID: &str =
    "{\"status\":\"error\",\"code\":3,\"message\":\"invalid API command or version\"}\n";

#[rocket::async_test]
async fn stats_golden_and_content_type() {
    let app = app().await;
    app.user("a@example.com", "password1").await;
    for v in ["v1", "v2"] {
        let r = app.client.get(format!("/api/{v}/stats")).dispatch().await;
        assert_eq!(r.status(), Status::Ok);
        assert_eq!(
            r.headers().get_one("Content-Type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            r.into_string().await.unwrap(),
            "{\"status\":\"success\",\"code\":0,\"message\":\"stats successfully retrieved\",\"data\":{\"AllMempoolTix\":0,\"APIVersionsSupported\":[1,2],\"BlockHeight\":12345,\"Difficulty\":2.5,\"Expired\":0,\"Immature\":3,\"Live\":40,\"Missed\":1,\"OwnMempoolTix\":0,\"PoolSize\":1024,\"ProportionLive\":0.039,\"ProportionMissed\":0.02,\"Revoked\":1,\"TotalSubsidy\":12.3,\"Voted\":50,\"Network\":\"testnet2\",\"PoolEmail\":\"dev@h.cash\",\"PoolFees\":7.5,\"PoolStatus\":\"Open\",\"UserCount\":1,\"UserCountActive\":0,\"Version\":\"0.1.0\"}}\n"
        );
    }
}

#[rocket::async_test]
async fn stats_wallet_down_is_code_14_with_null_data() {
    let app = app().await;
    app.wallet.down.store(true, Ordering::SeqCst);
    let (s, body) = app.api_get("/api/v2/stats", None).await;
    assert_eq!(s, Status::Ok);
    assert_eq!(
        body,
        "{\"status\":\"error\",\"code\":14,\"message\":\"stats error - RPC server error\",\"data\":null}\n"
    );
}

#[rocket::async_test]
async fn purchase_info_needs_a_current_token() {
    let app = app().await;
    let (id, token) = app.user("a@example.com", "password1").await;
    assert_eq!(
        app.api_get("/api/v1/getpurchaseinfo", None).await.1,
        NO_TOKEN_PI
    );
    assert_eq!(
        app.api_get("/api/v1/getpurchaseinfo", Some("garbage"))
            .await
            .1,
        NO_TOKEN_PI
    );
    // Signed with another secret.
    let forged = hcpool_web::jwt::issue(b"other", BASE_URL, id, 1_600_000_000);
    assert_eq!(
        app.api_get("/api/v1/getpurchaseinfo", Some(&forged))
            .await
            .1,
        NO_TOKEN_PI
    );
    // Validly signed but no longer the stored token: regenerating revoked it.
    let newer = hcpool_web::jwt::issue(SECRET.as_bytes(), BASE_URL, id, 1_600_000_001);
    app.store
        .set_api_token(id, &Secret::new(newer.clone()))
        .await
        .unwrap();
    assert_eq!(
        app.api_get("/api/v1/getpurchaseinfo", Some(&token)).await.1,
        NO_TOKEN_PI
    );
    assert_eq!(
        app.api_get("/api/v1/getpurchaseinfo", Some(&newer)).await.1,
        "{\"status\":\"error\",\"code\":9,\"message\":\"purchaseinfo error - no address submitted\",\"data\":null}\n"
    );
}

#[rocket::async_test]
async fn address_then_purchase_info_golden() {
    let app = app().await;
    let (_, token) = app.user("a@example.com", "password1").await;
    let (s, body) = app.api_register(&token).await;
    assert_eq!(s, Status::Ok);
    assert_eq!(
        body,
        "{\"status\":\"success\",\"code\":0,\"message\":\"address successfully imported\"}\n"
    );
    let (_, body) = app.api_get("/api/v2/getpurchaseinfo", Some(&token)).await;
    assert_eq!(
        body,
        "{\"status\":\"success\",\"code\":0,\"message\":\"purchaseinfo successfully retrieved\",\"data\":{\"PoolAddress\":\"TsYV9gPAgn4R88QwCDLzrYCVqffynDp8SSe\",\"PoolFees\":7.5,\"Script\":\"5121039e741c51929d4deecd3390cabb42b83ace7811aceb5213705bf903a827715f9621026a40c403e74670c4de7656a09caa2353d4b383a9ce66eef51e1220eacf4be06e52ae\",\"TicketAddress\":\"Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5\",\"VoteBits\":1,\"VoteBitsVersion\":0}}\n"
    );
    // One address per account.
    let (_, body) = app
        .api_post(
            "/api/v2/address",
            Some(&token),
            &format!("UserPubKeyAddr={USER_PK}"),
        )
        .await;
    assert_eq!(
        body,
        "{\"status\":\"error\",\"code\":6,\"message\":\"address error - address already submitted\"}\n"
    );
    // The stats count the active user now.
    let (_, body) = app.api_get("/api/v1/stats", None).await;
    assert!(
        body.contains("\"UserCount\":1,\"UserCountActive\":1"),
        "{body}"
    );
}

#[rocket::async_test]
async fn stats_counts_follow_this_instance_at_once_and_others_within_the_ttl() {
    let app = app().await;
    let (_, token) = app.user("a@example.com", "password1").await;
    let counts = |body: String| {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        (
            v["data"]["UserCount"].clone(),
            v["data"]["UserCountActive"].clone(),
        )
    };
    let (_, body) = app.api_get("/api/v1/stats", None).await;
    assert_eq!(counts(body), (1.into(), 0.into()));
    // A registration through this instance shows at once.
    app.api_register(&token).await;
    let (_, body) = app.api_get("/api/v1/stats", None).await;
    assert_eq!(counts(body), (1.into(), 1.into()));
    // A user added behind its back (another instance, the original) within COUNTS_TTL.
    app.user("b@example.com", "password1").await;
    tokio::time::sleep(hcpool_web::cache::COUNTS_TTL + std::time::Duration::from_millis(50)).await;
    let (_, body) = app.api_get("/api/v2/stats", None).await;
    assert_eq!(counts(body), (2.into(), 1.into()));
}

#[rocket::async_test]
async fn address_failures_have_original_codes_and_texts() {
    let app = app().await;
    let (_, token) = app.user("a@example.com", "password1").await;
    let cases = [
        ("UserPubKeyAddr=Tk", "address error - address too short"),
        (
            "UserPubKeyAddr=TsRA4Qm6jYc1x9jWLnauPjPjaLemS4it7MM",
            "address error - address too short",
        ),
        (
            "UserPubKeyAddr=TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdu",
            "address error - couldn't decode address",
        ),
        ("", "address error - address too short"),
    ];
    let mut failures = Vec::new();
    for (form, text) in cases {
        let (_, body) = app.api_post("/api/v1/address", Some(&token), form).await;
        let want = format!("{{\"status\":\"error\",\"code\":3,\"message\":\"{text}\"}}\n");
        if body != want {
            failures.push(format!("{form}: got {body}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    let (_, body) = app
        .api_post(
            "/api/v1/address",
            None,
            &format!("UserPubKeyAddr={USER_PK}"),
        )
        .await;
    assert_eq!(
        body,
        "{\"status\":\"error\",\"code\":16,\"message\":\"address error - invalid api token\"}\n"
    );
}

#[rocket::async_test]
async fn address_with_wallet_down_is_14_and_changes_nothing() {
    let app = app().await;
    let (id, token) = app.user("a@example.com", "password1").await;
    app.wallet.down.store(true, Ordering::SeqCst);
    let (_, body) = app.api_register(&token).await;
    assert_eq!(
        body,
        "{\"status\":\"error\",\"code\":14,\"message\":\"system error - unable to process wallet commands\"}\n"
    );
    assert!(app
        .store
        .user(id)
        .await
        .unwrap()
        .unwrap()
        .registration
        .is_none());
}

#[rocket::async_test]
async fn voting_codes() {
    let app = app().await;
    let (id, token) = app.user("a@example.com", "password1").await;
    let ok = "{\"status\":\"success\",\"code\":0,\"message\":\"successfully updated voting preferences\"}\n";
    let (_, body) = app
        .api_post("/api/v2/voting", Some(&token), "VoteBits=5")
        .await;
    assert_eq!(body, ok);
    assert_eq!(app.store.user(id).await.unwrap().unwrap().vote_bits.0, 5);
    // Query string works too, as Go's FormValue.
    let (_, body) = app
        .api_post("/api/v1/voting?VoteBits=1", Some(&token), "")
        .await;
    assert_eq!(body, ok);
    let (_, body) = app
        .api_post("/api/v1/voting", Some(&token), "VoteBits=abc")
        .await;
    assert_eq!(
        body,
        "{\"status\":\"error\",\"code\":3,\"message\":\"voting error - unable to convert votebits to uint16\"}\n"
    );
    let (_, body) = app
        .api_post("/api/v1/voting", Some(&token), "VoteBits=2")
        .await;
    assert_eq!(
        body,
        "{\"status\":\"error\",\"code\":3,\"message\":\"voting error - votebits invalid for current agendas\"}\n"
    );
    let (_, body) = app.api_post("/api/v1/voting", None, "VoteBits=1").await;
    assert_eq!(
        body,
        "{\"status\":\"error\",\"code\":16,\"message\":\"voting error - invalid api token\"}\n"
    );
}

#[rocket::async_test]
async fn unknown_commands_and_versions_are_404_code_3() {
    let app = app().await;
    for path in [
        "/api/v3/stats",
        "/api/v1/nosuch",
        "/api/v1/address",
        "/api/x",
        "/api/v1/a/b",
    ] {
        let (s, body) = app.api_get(path, None).await;
        assert_eq!(
            (s, body.as_str()),
            (Status::NotFound, INVALID),
            "GET {path}"
        );
    }
    for path in ["/api/v1/stats", "/api/v1/getpurchaseinfo", "/api/v9/voting"] {
        let (s, body) = app.api_post(path, None, "").await;
        assert_eq!(
            (s, body.as_str()),
            (Status::NotFound, INVALID),
            "POST {path}"
        );
    }
}

#[rocket::async_test]
async fn other_methods_get_hcstakepools_empty_success() {
    let app = app().await;
    let r = app.client.put("/api/v1/stats").dispatch().await;
    assert_eq!(r.status(), Status::Ok);
    assert_eq!(
        r.into_string().await.unwrap(),
        "{\"status\":\"success\",\"code\":0,\"message\":\"\"}\n"
    );
    let r = app.client.delete("/api/v3/stats").dispatch().await;
    assert_eq!(r.status(), Status::NotFound);
    assert_eq!(r.into_string().await.unwrap(), INVALID);
}

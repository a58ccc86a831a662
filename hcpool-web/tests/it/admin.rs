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
    s.admin_ips = vec!["10.0.0.1".parse().unwrap()];
    s.admin_user_ids = vec![hcpool_core::UserId(1)];
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

/// A chain that counts the blocks and keeps the purchases asked of it.
#[derive(Default)]
struct CountingChain {
    height: std::sync::atomic::AtomicU32,
    bought: std::sync::Mutex<Vec<(String, u32)>>,
}

impl hcpool_web::demo::DemoChain for CountingChain {
    fn mine_block(&self) -> Result<u32, String> {
        Ok(self.height.fetch_add(1, Ordering::SeqCst) + 1)
    }

    fn buy_ticket(&self, msa: &str, fee_index: u32) -> Result<String, String> {
        self.bought
            .lock()
            .unwrap()
            .push((msa.to_owned(), fee_index));
        Ok("ab".repeat(32))
    }
}

async fn post_as(app: &TestApp, path: &str, ip: &str, body: String) -> (Status, Option<String>) {
    let r = app
        .client
        .post(path.to_owned())
        .header(Header::new("X-Real-IP", ip.to_owned()))
        .header(rocket::http::ContentType::Form)
        .body(body)
        .dispatch()
        .await;
    (
        r.status(),
        r.headers().get_one("Location").map(str::to_owned),
    )
}

fn admin_settings() -> hcpool_web::config::WebSettings {
    let mut s = settings();
    s.real_ip_header = Some("X-Real-IP".into());
    s.admin_ips = vec!["10.0.0.1".parse().unwrap()];
    s.admin_user_ids = vec![hcpool_core::UserId(1)];
    s
}

#[rocket::async_test]
async fn mine_a_block_is_demo_only_admin_only_and_csrf_checked() {
    // Outside the demo the control does not exist.
    let app = app_with(admin_settings()).await;
    app.user("admin@example.com", "password1").await;
    app.sign_in("admin@example.com", "password1").await;
    let csrf = app.csrf("/").await;
    let (st, _) = post_as(
        &app,
        "/status/mine",
        "10.0.0.1",
        format!("csrf_token={csrf}"),
    )
    .await;
    assert_eq!(st, Status::NotFound);
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert!(!page.contains("Mine a block"));

    let chain = std::sync::Arc::new(CountingChain::default());
    let app = app_built(admin_settings(), vec![], Some(chain.clone())).await;
    app.user("admin@example.com", "password1").await;
    app.user("user@example.com", "password1").await;
    app.sign_in("user@example.com", "password1").await;
    let csrf = app.csrf("/").await;
    let (st, _) = post_as(
        &app,
        "/status/mine",
        "10.0.0.1",
        format!("csrf_token={csrf}"),
    )
    .await;
    assert_eq!(st, Status::Forbidden, "not an admin user");

    app.sign_in("admin@example.com", "password1").await;
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert!(page.contains("Mine a block"), "{page}");
    let csrf = csrf_in(&page).expect("the control carries a csrf token");
    let (st, _) = post_as(&app, "/status/mine", "10.0.0.1", "csrf_token=bad".into()).await;
    assert_eq!(st, Status::BadRequest, "bad csrf");
    let (st, _) = post_as(
        &app,
        "/status/mine",
        "10.0.0.2",
        format!("csrf_token={csrf}"),
    )
    .await;
    assert_eq!(st, Status::Forbidden, "not an admin IP");
    assert_eq!(chain.height.load(Ordering::SeqCst), 0, "nothing mined yet");

    let (st, loc) = post_as(
        &app,
        "/status/mine",
        "10.0.0.1",
        format!("csrf_token={csrf}"),
    )
    .await;
    assert_eq!((st, loc.as_deref()), (Status::SeeOther, Some("/status")));
    assert_eq!(chain.height.load(Ordering::SeqCst), 1);
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert!(page.contains("Mined block 1"), "{page}");
}

#[rocket::async_test]
async fn demo_ticket_purchase_is_demo_only_and_for_the_users_own_multisig() {
    let app = app_with(settings()).await;
    app.user("u@example.com", "password1").await;
    app.sign_in("u@example.com", "password1").await;
    let csrf = app.csrf("/").await;
    let (st, _, _) = app
        .post_form("/tickets/demobuy", &format!("csrf_token={csrf}"))
        .await;
    assert_eq!(st, Status::NotFound, "not in the demo");

    let chain = std::sync::Arc::new(CountingChain::default());
    let app = app_built(settings(), vec![], Some(chain.clone())).await;
    let (uid, token2) = app.user("u@example.com", "password1").await;
    app.sign_in("u@example.com", "password1").await;
    let csrf = app.csrf("/").await;
    let (_, loc, _) = app
        .post_form("/tickets/demobuy", &format!("csrf_token={csrf}"))
        .await;
    assert_eq!(loc.as_deref(), Some("/address"), "no address yet");
    app.api_register(&token2).await;
    let (st, _, _) = app.post_form("/tickets/demobuy", "csrf_token=bad").await;
    assert_eq!(st, Status::BadRequest);
    assert!(chain.bought.lock().unwrap().is_empty());
    let (_, page) = app.get("/tickets").await;
    assert!(page.contains("Buy a ticket"), "{page}");
    let (st, loc, _) = app
        .post_form("/tickets/demobuy", &format!("csrf_token={csrf}"))
        .await;
    assert_eq!((st, loc.as_deref()), (Status::SeeOther, Some("/tickets")));
    let msa = app
        .pool
        .purchase_info(uid)
        .await
        .unwrap()
        .ticket_address
        .to_string();
    assert_eq!(
        chain.bought.lock().unwrap().clone(),
        vec![(msa, u32::try_from(uid.0).unwrap())]
    );
    assert!(app
        .get("/tickets")
        .await
        .1
        .contains(&format!("Bought ticket {}", "ab".repeat(32))));
}

/// Issue 12 item 7: a wallet that was down during a registration's `importscript` is shown
/// as behind, with the number of scripts it lacks.
#[rocket::async_test]
async fn status_shows_a_wallet_that_missed_an_import_as_behind() {
    let (app, fakes, manager) = app_over_fake_wallets(admin_settings(), 3, 2, |s| s).await;
    app.user("admin@example.com", "password1").await;
    app.sign_in("admin@example.com", "password1").await;

    fakes[2].down.store(true, Ordering::SeqCst);
    let script = hcpool_core::RedeemScript::from_bytes(vec![0x51, 0x52, 0xae]);
    manager.import_script(&script, 10).await.unwrap();
    fakes[2].down.store(false, Ordering::SeqCst);

    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert!(
        page.contains("<span class=\"error\">behind: 1 script missing</span>"),
        "{page}"
    );
    assert_eq!(page.matches("behind:").count(), 1, "{page}");
}

async fn page_as(app: &TestApp, path: &str, ip: &str) -> String {
    let r = app
        .client
        .get(path.to_owned())
        .header(Header::new("X-Real-IP", ip.to_owned()))
        .dispatch()
        .await;
    r.into_string().await.unwrap_or_default()
}

fn has_admin_links(page: &str) -> bool {
    let status = page.contains(r#"<a href="/status">Status</a>"#);
    let tickets = page.contains(r#"<a href="/admintickets">Low-fee tickets</a>"#);
    assert_eq!(status, tickets, "both admin links or neither: {page}");
    status
}

/// Issue 15: the admin links are in the navigation of admins only (admin user id from an
/// admin IP, as hcstakepool's `.Admin`).
#[rocket::async_test]
async fn admin_links_in_the_navigation_for_admins_only() {
    let app = app_with(admin_settings()).await;
    app.user("admin@example.com", "password1").await;
    app.user("user@example.com", "password1").await;
    assert!(!has_admin_links(&page_as(&app, "/", "10.0.0.1").await));
    app.sign_in("user@example.com", "password1").await;
    assert!(!has_admin_links(&page_as(&app, "/", "10.0.0.1").await));
    app.sign_in("admin@example.com", "password1").await;
    assert!(!has_admin_links(&page_as(&app, "/", "10.0.0.2").await));
    for path in ["/", "/stats", "/settings", "/status", "/admintickets"] {
        assert!(
            has_admin_links(&page_as(&app, path, "10.0.0.1").await),
            "{path}"
        );
    }
}

fn rpc_status(page: &str) -> &str {
    let Some(at) = page.find("RPC Status: <strong>") else {
        return "";
    };
    let rest = &page[at + "RPC Status: <strong>".len()..];
    &rest[..rest.find('<').unwrap_or(0)]
}

/// Issue 15: the status page's summary follows hcstakepool's rule (all wallets ready: OK,
/// none: Emergency, one: Critical, otherwise Degraded), and shows each wallet's facts.
#[rocket::async_test]
async fn status_summary_over_the_managers_wallets() {
    let (app, fakes, _manager) = app_over_fake_wallets(admin_settings(), 3, 1, |s| s).await;
    app.user("admin@example.com", "password1").await;
    app.sign_in("admin@example.com", "password1").await;

    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert_eq!(rpc_status(&page), "OK", "{page}");
    assert!(page.contains("3 of 3 wallets ready"), "{page}");
    let rows: Vec<&str> = page.split("<tr class=\"wallet\">").skip(1).collect();
    assert_eq!(rows.len(), 3);
    // Connected, hcd connected, unlocked, best block.
    assert!(
        rows[0].contains("<td>yes</td><td>yes</td><td>yes</td><td>1234</td>"),
        "{}",
        rows[0]
    );

    fakes[2].hcd_down.store(true, Ordering::SeqCst);
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert_eq!(rpc_status(&page), "Degraded", "{page}");
    let rows: Vec<&str> = page.split("<tr class=\"wallet\">").skip(1).collect();
    assert!(
        rows[2].contains("<td>yes</td><td>no</td><td>yes</td>"),
        "{}",
        rows[2]
    );
    assert!(page.contains(": hcd not connected</li>"), "{page}");

    fakes[1].down.store(true, Ordering::SeqCst);
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert_eq!(rpc_status(&page), "Critical", "{page}");
    fakes[0].down.store(true, Ordering::SeqCst);
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert_eq!(rpc_status(&page), "Emergency", "{page}");
    for f in &fakes {
        f.down.store(false, Ordering::SeqCst);
        f.hcd_down.store(false, Ordering::SeqCst);
    }
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert_eq!(rpc_status(&page), "OK", "{page}");
}

/// Without a wallet manager (one wallet) the summary is that wallet's.
#[rocket::async_test]
async fn status_summary_of_a_single_wallet() {
    let app = app_with(admin_settings()).await;
    app.user("admin@example.com", "password1").await;
    app.sign_in("admin@example.com", "password1").await;
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert_eq!(rpc_status(&page), "OK", "{page}");
    app.wallet.down.store(true, Ordering::SeqCst);
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert_eq!(rpc_status(&page), "Emergency", "{page}");
}

/// Issue 16 row 7: the admin status page is written in the reader's language, the texts
/// the code builds included (the level, the summary's reasons, the wallets' states), and
/// so is the demo's flash; the monitors' JSON answer of `/status` stays as it was.
#[rocket::async_test]
async fn status_page_and_its_flash_are_chinese_under_zh_cn() {
    let (app, fakes, _manager) = app_over_fake_wallets(admin_settings(), 3, 1, |s| s).await;
    app.user("admin@example.com", "password1").await;
    app.sign_in("admin@example.com", "password1").await;
    let health_before = {
        let r = app.client.get("/status").dispatch().await;
        r.into_string().await.unwrap_or_default()
    };

    // The language switch's cookie: every page from now on is Chinese.
    app.client.get("/lang?to=zh-CN").dispatch().await;
    fakes[2].hcd_down.store(true, Ordering::SeqCst);
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert!(page.contains("RPC 状态： <strong>降级</strong>"), "{page}");
    assert!(page.contains("hcd 未连接</li>"), "{page}");
    assert!(!page.contains("hcd not connected"), "{page}");
    let rows: Vec<&str> = page.split("<tr class=\"wallet\">").skip(1).collect();
    assert_eq!(rows.len(), 3);
    assert!(
        rows[0].contains("<td>就绪</td><td>是</td><td>是</td><td>是</td><td>1234</td>"),
        "{}",
        rows[0]
    );
    assert!(
        rows[2].contains("<td>是</td><td>否</td><td>是</td>"),
        "{}",
        rows[2]
    );
    assert!(!page.contains("<td>yes</td>"), "{page}");
    assert!(page.contains("<dt>已解锁</dt><dd>是</dd>"), "{page}");
    fakes[0].down.store(true, Ordering::SeqCst);
    fakes[1].down.store(true, Ordering::SeqCst);
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert!(page.contains("<strong>紧急</strong>"), "{page}");
    assert!(page.contains("未连接："), "{page}");

    // The monitors' answer (not an admin: no session) is the JSON it was, untranslated.
    for f in &fakes {
        f.down.store(false, Ordering::SeqCst);
        f.hcd_down.store(false, Ordering::SeqCst);
    }
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert!(page.contains("<strong>正常</strong>"), "{page}");
    let r = app
        .client
        .get("/status")
        .header(Header::new("X-Real-IP", "10.0.0.2"))
        .header(Header::new("Accept-Language", "zh-CN"))
        .dispatch()
        .await;
    assert_eq!(r.headers().get_one("Content-Language"), None);
    let health = r.into_string().await.unwrap_or_default();
    assert!(health.starts_with("{\"status\":\"ok\""), "{health}");
    assert_eq!(
        health.split(",\"").count(),
        health_before.split(",\"").count()
    );
}

#[rocket::async_test]
async fn the_demos_flashes_follow_the_page_language() {
    let chain = std::sync::Arc::new(CountingChain::default());
    let app = app_built(admin_settings(), vec![], Some(chain.clone())).await;
    app.user("admin@example.com", "password1").await;
    app.sign_in("admin@example.com", "password1").await;
    app.client.get("/lang?to=zh-CN").dispatch().await;
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert!(page.contains("挖一个区块"), "{page}");
    let csrf = csrf_in(&page).unwrap();
    let (st, _) = post_as(
        &app,
        "/status/mine",
        "10.0.0.1",
        format!("csrf_token={csrf}"),
    )
    .await;
    assert_eq!(st, Status::SeeOther);
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert!(
        page.contains("<p class=\"success\">已挖出区块 1</p>"),
        "{page}"
    );
    assert!(!page.contains("Mined block"), "{page}");
    // And back in English, the words of before.
    app.client.get("/lang?to=en").dispatch().await;
    post_as(
        &app,
        "/status/mine",
        "10.0.0.1",
        format!("csrf_token={csrf}"),
    )
    .await;
    let (_, page) = status_as(&app, "10.0.0.1").await;
    assert!(
        page.contains("<p class=\"success\">Mined block 2</p>"),
        "{page}"
    );
}

//! Admin low-fee tickets: list what the nodes ignore, add for voting, remove; admin only.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::common::*;
use hcpool_core::backend::{TicketEntry, VotingNode};
use hcpool_core::Hash32;
use rocket::http::{ContentType, Header, Status};

const ADMIN_IP: &str = "10.0.0.1";

/// Ticket `n` of a (testnet) multisig address.
fn entry(n: u8) -> TicketEntry {
    TicketEntry {
        ticket_address: msa(n),
        ticket_hash: Hash32::from_bytes([n; 32]),
    }
}

fn msa(n: u8) -> String {
    hcpool_core::Address::p2sh(hcpool_core::Network::Testnet, [n; 20]).to_string()
}

/// A ticket a node lists with an address that is not the pool's (a mainnet one).
fn foreign_entry() -> TicketEntry {
    TicketEntry {
        ticket_address: hcpool_core::Address::p2sh(hcpool_core::Network::Mainnet, [8; 20])
            .to_string(),
        ticket_hash: Hash32::from_bytes([8; 32]),
    }
}

async fn get(app: &TestApp, ip: &str) -> (Status, String) {
    let r = app
        .client
        .get("/admintickets")
        .header(Header::new("X-Real-IP", ip.to_owned()))
        .dispatch()
        .await;
    let s = r.status();
    (s, r.into_string().await.unwrap_or_default())
}

async fn post(app: &TestApp, ip: &str, body: &str) -> (Status, Option<String>) {
    let r = app
        .client
        .post("/admintickets")
        .header(Header::new("X-Real-IP", ip.to_owned()))
        .header(ContentType::Form)
        .body(body)
        .dispatch()
        .await;
    (
        r.status(),
        r.headers().get_one("Location").map(str::to_owned),
    )
}

async fn setup() -> (TestApp, Arc<FakeNode>, Arc<FakeNode>) {
    let mut s = settings();
    s.real_ip_header = Some("X-Real-IP".into());
    s.admin_ips = vec![ADMIN_IP.parse().unwrap()];
    s.admin_user_ids = vec![hcpool_core::UserId(1)];
    let (a, b) = (FakeNode::new("a:1"), FakeNode::new("b:1"));
    a.ignored
        .lock()
        .unwrap()
        .extend([entry(1), entry(2), foreign_entry()]);
    b.ignored.lock().unwrap().extend([entry(1), entry(2)]);
    let nodes: Vec<Arc<dyn VotingNode>> = vec![a.clone(), b.clone()];
    let app = app_with_nodes(s, nodes).await;
    app.user("admin@example.com", "password1").await;
    app.user("user@example.com", "password1").await;
    (app, a, b)
}

#[rocket::async_test]
async fn only_admins_see_or_change_low_fee_tickets() {
    let (app, a, _) = setup().await;
    assert_eq!(get(&app, ADMIN_IP).await.0, Status::Forbidden, "signed out");
    app.sign_in("user@example.com", "password1").await;
    assert_eq!(
        get(&app, ADMIN_IP).await.0,
        Status::Forbidden,
        "not an admin"
    );
    let csrf = app.csrf("/").await;
    let hash = entry(1).ticket_hash.to_string();
    let body = format!("csrf_token={csrf}&action=Add&tickets={hash}");
    assert_eq!(post(&app, ADMIN_IP, &body).await.0, Status::Forbidden);
    app.sign_in("admin@example.com", "password1").await;
    assert_eq!(
        get(&app, "10.0.0.2").await.0,
        Status::Forbidden,
        "not an admin IP"
    );
    assert!(app.pool.added_low_fee_tickets().await.unwrap().is_empty());
    assert!(a.added.lock().unwrap().is_none(), "nothing pushed");
}

#[rocket::async_test]
async fn admin_adds_and_removes_low_fee_tickets_and_nodes_follow() {
    let (app, a, b) = setup().await;
    app.sign_in("admin@example.com", "password1").await;
    let (st, page) = get(&app, ADMIN_IP).await;
    assert_eq!(st, Status::Ok);
    let (h1, h2) = (
        entry(1).ticket_hash.to_string(),
        entry(2).ticket_hash.to_string(),
    );
    assert!(page.contains("Ignored by the voting nodes (3)"), "{page}");
    assert!(page.contains(&format!("value=\"{h1}\"")));
    assert!(page.contains(&format!("({})", msa(2))));
    assert!(page.contains("Added for voting (0)"));
    let csrf = csrf_in(&page).unwrap();

    // Refusals, each with its message.
    let cases = [
        (
            format!("csrf_token={csrf}&action=Add"),
            "no tickets selected to modify",
        ),
        (
            format!("csrf_token={csrf}&action=Drop&tickets={h1}"),
            "invalid or unknown form action type",
        ),
        (
            format!("csrf_token={csrf}&action=Add&tickets=zz"),
            "NewHashFromStr failed for zz",
        ),
        (
            format!(
                "csrf_token={csrf}&action=Add&tickets={h1}&tickets={}",
                Hash32::from_bytes([9; 32])
            ),
            "is no longer present",
        ),
        (
            format!(
                "csrf_token={csrf}&action=Add&tickets={h1}&tickets={}",
                foreign_entry().ticket_hash
            ),
            "address &quot;",
        ),
    ];
    for (body, msg) in cases {
        let (st, loc) = post(&app, ADMIN_IP, &body).await;
        assert_eq!(
            (st, loc.as_deref()),
            (Status::SeeOther, Some("/admintickets"))
        );
        let page = get(&app, ADMIN_IP).await.1;
        assert!(page.contains(msg), "{msg}: {page}");
    }
    assert!(
        app.pool.added_low_fee_tickets().await.unwrap().is_empty(),
        "all or none"
    );
    let (st, _) = post(
        &app,
        ADMIN_IP,
        &format!("csrf_token=bad&action=Add&tickets={h1}"),
    )
    .await;
    assert_eq!(st, Status::BadRequest);

    // Add two: stored, and every node gets the new list.
    let body = format!("csrf_token={csrf}&action=Add&tickets={h1}&tickets={h2}");
    assert_eq!(post(&app, ADMIN_IP, &body).await.0, Status::SeeOther);
    let page = get(&app, ADMIN_IP).await.1;
    assert!(page.contains("successfully added 2 ticket(s)"), "{page}");
    assert!(page.contains("Added for voting (2)"));
    let added = app.pool.added_low_fee_tickets().await.unwrap();
    assert_eq!(added.len(), 2);
    assert_eq!(added[0].ticket_address.to_string(), msa(1));
    assert_eq!(added[0].added_by.0, 1);
    for n in [&a, &b] {
        let got = n.added.lock().unwrap().clone().unwrap();
        assert_eq!(got.len(), 2, "{}", n.label);
        assert!(got.contains(&entry(1)) && got.contains(&entry(2)));
    }

    // Remove one (the original could never remove more than one at a time).
    b.down.store(true, Ordering::SeqCst);
    let body = format!("csrf_token={csrf}&action=Remove&tickets={h1}");
    assert_eq!(post(&app, ADMIN_IP, &body).await.0, Status::SeeOther);
    let page = get(&app, ADMIN_IP).await.1;
    assert!(page.contains("successfully removed 1 ticket(s)"), "{page}");
    assert_eq!(a.added.lock().unwrap().clone().unwrap(), vec![entry(2)]);
    assert_eq!(
        app.pool.nodes().stale(),
        vec!["b:1".to_string()],
        "b is retried later"
    );

    // When no node answers, the page says so.
    a.down.store(true, Ordering::SeqCst);
    let page = get(&app, ADMIN_IP).await.1;
    assert!(page.contains("GetIgnoredLowFeeTickets error"), "{page}");
}

/// Issue 16 row 7: the page's results and refusals are in the reader's language.
#[rocket::async_test]
async fn low_fee_ticket_results_are_chinese_under_zh_cn() {
    let (app, a, b) = setup().await;
    app.sign_in("admin@example.com", "password1").await;
    app.client.get("/lang?to=zh-CN").dispatch().await;
    let (st, page) = get(&app, ADMIN_IP).await;
    assert_eq!(st, Status::Ok);
    assert!(page.contains("被投票节点忽略的选票（3）"), "{page}");
    let csrf = csrf_in(&page).unwrap();
    let (h1, h2) = (
        entry(1).ticket_hash.to_string(),
        entry(2).ticket_hash.to_string(),
    );
    for (body, msg) in [
        (
            format!("csrf_token={csrf}&action=Add"),
            "未选择要修改的选票",
        ),
        (
            format!("csrf_token={csrf}&action=Drop&tickets={h1}"),
            "无效或未知的表单操作",
        ),
        (
            format!("csrf_token={csrf}&action=Add&tickets=zz"),
            "无法解析选票哈希 zz",
        ),
        (
            format!(
                "csrf_token={csrf}&action=Add&tickets={}",
                Hash32::from_bytes([9; 32])
            ),
            "已不在列表中",
        ),
        (
            format!("csrf_token={csrf}&action=Add&tickets={h1}&tickets={h2}"),
            "<p class=\"success\">已成功添加 2 张选票</p>",
        ),
        (
            format!("csrf_token={csrf}&action=Remove&tickets={h1}"),
            "<p class=\"success\">已成功移除 1 张选票</p>",
        ),
    ] {
        assert_eq!(post(&app, ADMIN_IP, &body).await.0, Status::SeeOther);
        let page = get(&app, ADMIN_IP).await.1;
        assert!(page.contains(msg), "{msg}: {page}");
        assert!(!page.contains("successfully"), "{page}");
    }
    a.down.store(true, Ordering::SeqCst);
    b.down.store(true, Ordering::SeqCst);
    let page = get(&app, ADMIN_IP).await.1;
    assert!(
        page.contains("获取被忽略的低手续费选票失败（GetIgnoredLowFeeTickets）："),
        "{page}"
    );
}

//! stakepoold nodes: every change is pushed to every node; a node that was down is retried
//! until it has the current configuration; the admin status page shows each node's health.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::common::*;
use hcpool_core::backend::{TicketEntry, VotingNode};
use hcpool_core::service::NodeUpdate;
use hcpool_core::{Hash32, VoteBits};
use rocket::http::{Header, Status};

fn nodes(a: &Arc<FakeNode>, b: &Arc<FakeNode>) -> Vec<Arc<dyn VotingNode>> {
    vec![a.clone(), b.clone()]
}

#[rocket::async_test]
async fn changes_reach_every_node_and_a_down_node_is_retried() {
    let (a, b) = (FakeNode::new("a:19560"), FakeNode::new("b:19560"));
    let app = app_with_nodes(settings(), nodes(&a, &b)).await;
    let (uid, _) = app.user("voter@example.com", "password1").await;
    app.sign_in("voter@example.com", "password1").await;

    b.down.store(true, Ordering::SeqCst);
    let csrf = app.csrf("/address").await;
    let (s, loc, _) = app.post_address(&csrf).await;
    assert_eq!((s, loc.as_deref()), (Status::SeeOther, Some("/address")));
    assert_eq!(a.bits_of(uid), Some(VoteBits(1)), "registration reached a");
    assert_eq!(b.bits_of(uid), None, "b was down");
    assert_eq!(app.pool.nodes().stale(), vec!["b:19560".to_string()]);

    let csrf = app.csrf("/voting").await;
    app.post_form("/voting", &format!("agenda0=4&csrf_token={csrf}"))
        .await;
    assert_eq!(a.bits_of(uid), Some(VoteBits(5)), "voting change reached a");
    assert_eq!(b.bits_of(uid), None);

    // Still down: the retry changes nothing; back up: the retry task brings it current.
    assert_eq!(hcpool_web::nodes::retry_stale_once(&app.pool).await, 1);
    b.down.store(false, Ordering::SeqCst);
    let task = hcpool_web::nodes::spawn_retry(app.pool.clone(), Duration::from_millis(20));
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.bits_of(uid).is_none() {
        assert!(Instant::now() < deadline, "b never got the configuration");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
    assert_eq!(b.bits_of(uid), Some(VoteBits(5)));
    assert_eq!(
        b.added.lock().unwrap().as_ref().map(Vec::len),
        Some(0),
        "a stale node gets everything, the low-fee list included"
    );
    assert!(app.pool.nodes().stale().is_empty());
}

async fn status_page(app: &TestApp) -> (Status, String) {
    let r = app
        .client
        .get("/status")
        .header(Header::new("X-Real-IP", "10.0.0.1"))
        .dispatch()
        .await;
    let s = r.status();
    (s, r.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn admin_status_shows_each_nodes_health() {
    let mut s = settings();
    s.real_ip_header = Some("X-Real-IP".into());
    s.admin_ips = vec!["10.0.0.1".parse().unwrap()];
    s.admin_user_ids = vec![hcpool_core::UserId(1)];
    let (a, b) = (FakeNode::new("a:19560"), FakeNode::new("b:19560"));
    a.live.lock().unwrap().extend((1..=3).map(|n| TicketEntry {
        ticket_address: "TcX".into(),
        ticket_hash: Hash32::from_bytes([n; 32]),
    }));
    let app = app_with_nodes(s, nodes(&a, &b)).await;
    app.user("admin@example.com", "password1").await;
    app.sign_in("admin@example.com", "password1").await;

    b.down.store(true, Ordering::SeqCst);
    let out = app
        .pool
        .nodes()
        .push(
            app.pool.store().clone(),
            NodeUpdate::All,
            app.pool.clock().now_unix(),
        )
        .expect("the pool has nodes")
        .await
        .unwrap()
        .unwrap();
    assert!(out[0].result.is_ok() && out[1].result.is_err());

    let (st, page) = status_page(&app).await;
    assert_eq!(st, Status::Ok);
    let rows: Vec<&str> = page.split("<tr class=\"node\">").skip(1).collect();
    assert_eq!(rows.len(), 2, "{page}");
    assert!(rows[0].contains("<code>a:19560</code>"), "{}", rows[0]);
    assert!(
        // A fake node that reports no heights (as hcstakepool's): heights blank, lag unknown.
        rows[0].contains(
            "<td>up</td><td>current</td><td>4.0.0</td><td></td><td></td><td>unknown</td>\
             <td>3</td><td>0</td><td>0</td>"
        ),
        "{}",
        rows[0]
    );
    assert!(rows[1].contains("<code>b:19560</code>"));
    assert!(rows[1].contains("down: "), "{}", rows[1]);
    assert!(rows[1].contains("connection refused"), "{}", rows[1]);
    assert!(rows[1].contains("waiting for an update"), "{}", rows[1]);
}

#[test]
fn the_stakepoold_client_certificate_is_generated_once_and_then_reused() {
    let sample = include_str!("../../../sample-hcstakepool.conf");
    let dir = tempfile::tempdir().unwrap();
    // Unset: no client certificate (as hcstakepool).
    let cfg = hcpool_web::config::Config::from_ini(sample).unwrap().pool;
    assert!(hcpool_web::nodes::client_identity(&cfg, dir.path())
        .unwrap()
        .is_none());
    // Set: generated on first start (relative to the config's directory), reused after.
    let text = format!("{sample}\nstakepooldclientcert=web.cert\nstakepooldclientkey=web.key\n");
    let cfg = hcpool_web::config::Config::from_ini(&text).unwrap().pool;
    let id = hcpool_web::nodes::client_identity(&cfg, dir.path())
        .unwrap()
        .unwrap();
    assert_eq!(id.cert_path, dir.path().join("web.cert"));
    let first = std::fs::read(&id.cert_path).unwrap();
    hcpool_web::nodes::client_identity(&cfg, dir.path()).unwrap();
    assert_eq!(
        std::fs::read(&id.cert_path).unwrap(),
        first,
        "not regenerated"
    );
    // A key that is not a key: a clear configuration error naming the key.
    std::fs::write(dir.path().join("web.key"), "garbage").unwrap();
    let err = hcpool_web::nodes::client_identity(&cfg, dir.path()).unwrap_err();
    assert!(err.to_string().contains("stakepooldclientcert"), "{err}");
}

#[tokio::test]
async fn background_tasks_end_when_the_server_shuts_down() {
    use hcpool_core::service::{PoolParts, PoolService, VotingNodes};
    use hcpool_core::{Network, PoolKeys, SystemClock};

    let node = FakeNode::new("a:19560");
    // The node stays down: the retry task keeps running until it is stopped.
    node.down.store(true, Ordering::SeqCst);
    let pool = PoolService::new(PoolParts {
        network: Network::Testnet,
        keys: Arc::new(PoolKeys::from_strings(VOTING, COLD, Network::Testnet).unwrap()),
        pool_fees: hcpool_core::PoolFeeRate::from_percent(7.5).unwrap(),
        store: Arc::new(hcpool_core::backend::MemoryStore::new()),
        wallets: Arc::new(FakeWallet::default()),
        nodes: Arc::new(VotingNodes::new(vec![node.clone() as Arc<dyn VotingNode>])),
        clock: Arc::new(SystemClock),
    });
    let state = hcpool_web::AppState::build(
        pool.clone(),
        settings(),
        Arc::new(RecordingMailer::default()),
    )
    .unwrap();
    let background = state.background.clone();
    background.adopt(
        "a task of the test",
        tokio::spawn(std::future::pending::<()>()),
    );
    let rocket = hcpool_web::rocket(state, hcpool_web::figment([127, 0, 0, 1].into(), 0))
        .attach(hcpool_web::nodes::push_on_liftoff(pool));
    let server = hcpool_web::spawned::spawn(rocket).await.unwrap();
    // Lifted off: the stakepoold retry joined the test's task.
    let deadline = Instant::now() + Duration::from_secs(10);
    while background.running() < 2 {
        assert!(Instant::now() < deadline, "the retry task never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.stop(Duration::from_secs(10)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while background.running() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} background tasks outlived the server",
            background.running()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

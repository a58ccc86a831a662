//! Issue 16 rows 1-3 over real sockets on simulated wallets: a stalled wallet is seen
//! (`/status`, `/metrics`) and registration is refused while every wallet lags; the public
//! `/api/health`; `/metrics` and the Grafana dashboard's queries against what hcpool-web
//! and stakepoold export.

use super::common::user_key;
use std::collections::BTreeSet;
use std::time::Duration;

use super::live::{self, api, exchange, request, until, Custom};

async fn get_json(addr: std::net::SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let r = exchange(addr, &request("GET", path.as_bytes(), &[], b"")).await;
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null),
    )
}

async fn metrics(addr: std::net::SocketAddr) -> String {
    let r = exchange(addr, &request("GET", b"/metrics", &[], b"")).await;
    assert_eq!(r.status, 200, "{}", r.head);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain")),
        "{}",
        r.head
    );
    r.body_text()
}

/// The value of the sample `line_start` (name and labels) in a scrape.
fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(line_start)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_wallet_lags_and_every_wallet_frozen_refuses_registration() {
    let p = live::start_custom(Custom {
        min_servers: 1,
        extra_conf: "maxtiplag=2\nmetricsallowips=127.0.0.1\n".into(),
        sync_ttl: Some(Duration::ZERO),
        ..Custom::default()
    })
    .await;
    let addr = p.server.addr;
    let labels: Vec<String> = p
        .cluster
        .wallets()
        .iter()
        .map(|w| w.addr.to_string())
        .collect();
    assert_eq!(labels.len(), 2);

    // Healthy: nobody lags.
    let (status, h) = get_json(addr, "/status").await;
    assert_eq!((status, h["status"].as_str()), (200, Some("ok")), "{h}");
    assert_eq!(h["wallets_lagging"], 0, "{h}");
    assert_eq!(h["max_blocks_behind"], 0, "{h}");

    // Wallet 0's tip freezes while hcd mines 3 blocks: it lags (3 > maxtiplag 2), but
    // wallet 1 is fine, so with minservers 1 registration stays open.
    p.cluster.with_wallet(0, |w| w.lag = true).unwrap();
    p.cluster.mine(3).unwrap();
    let (status, h) = get_json(addr, "/status").await;
    assert_eq!(status, 200, "{h}");
    assert_eq!(h["registration"], "open", "{h}");
    assert_eq!(h["wallets_lagging"], 1, "{h}");
    assert_eq!(h["max_blocks_behind"], 3, "{h}");
    assert!(h["node_height"].as_u64() > Some(0), "{h}");
    let m = metrics(addr).await;
    let lagging = |i: usize| format!("hcpool_wallet_lagging{{wallet=\"{}\"}}", labels[i]);
    let behind = |i: usize| format!("hcpool_wallet_blocks_behind{{wallet=\"{}\"}}", labels[i]);
    assert_eq!(sample(&m, &lagging(0)), Some(1.0), "{m}");
    assert_eq!(sample(&m, &lagging(1)), Some(0.0), "{m}");
    assert_eq!(sample(&m, &behind(0)), Some(3.0), "{m}");
    assert_eq!(sample(&m, "hcpool_registration_open"), Some(1.0), "{m}");

    // Both frozen: they agree with each other (the old rule passed them), but every
    // wallet trails hcd: unhealthy, and new registrations are refused.
    p.cluster.with_wallet(1, |w| w.lag = true).unwrap();
    p.cluster.mine(3).unwrap();
    let (status, h) = get_json(addr, "/status").await;
    assert_eq!(status, 500, "{h}");
    assert_eq!(
        (h["status"].as_str(), h["registration"].as_str()),
        (Some("error"), Some("refused")),
        "{h}"
    );
    assert_eq!(h["problems"], serde_json::json!(["wallets_lagging"]), "{h}");
    assert_eq!(h["wallets_lagging"], 2, "{h}");
    let m = metrics(addr).await;
    assert_eq!(sample(&m, "hcpool_registration_open"), Some(0.0), "{m}");
    assert_eq!(sample(&m, "hcpool_wallets_lagging"), Some(2.0), "{m}");
    assert_eq!(sample(&m, &behind(1)), Some(3.0), "{m}");
    let form = format!("UserPubKeyAddr={}", super::common::enc(&user_key()));
    let (_, r) = api(addr, "POST", "/api/v1/address", &p.token, &form).await;
    assert_eq!(r["code"].as_i64(), Some(14), "{r}");
    assert!(
        r["message"]
            .as_str()
            .is_some_and(|m| m.contains("not in sync")),
        "{r}"
    );
    let (_, health) = get_json(addr, "/api/health").await;
    assert_eq!(
        (health["registration"].as_str(), health["status"].as_str()),
        (Some("refused"), Some("degraded")),
        "{health}"
    );
    assert_eq!(health["voting_wallets"]["lagging"], 2, "{health}");

    // The wallets catch up with the next block: open again, and the address registers.
    for i in 0..2 {
        p.cluster.with_wallet(i, |w| w.lag = false).unwrap();
    }
    p.cluster.mine(1).unwrap();
    let (status, h) = get_json(addr, "/status").await;
    assert_eq!(
        (status, h["wallets_lagging"].as_u64()),
        (200, Some(0)),
        "{h}"
    );
    let (_, r) = api(addr, "POST", "/api/v1/address", &p.token, &form).await;
    assert_eq!(r["status"], "success", "{r}");
    let m = metrics(addr).await;
    assert_eq!(sample(&m, "hcpool_registrations_total"), Some(1.0), "{m}");
    // Wallet calls were timed and the refused-then-accepted API calls counted by route.
    assert!(
        sample(
            &m,
            "hcpool_wallet_call_duration_seconds_count{method=\"importscript\"}"
        )
        .is_some_and(|n| n >= 2.0),
        "{m}"
    );
    assert_eq!(
        sample(
            &m,
            "hcpool_http_requests_total{method=\"POST\",route=\"/api/<ver>/<cmd>?<query..>\",status=\"200\"}"
        ),
        Some(2.0),
        "{m}"
    );
    assert!(live::panics().lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tip_older_than_maxtipage_refuses_registration() {
    // The simulator's block times are in 2020: with the age check on (simnet's default
    // is off) every wallet's tip is too old.
    let p = live::start_custom(Custom {
        min_servers: 1,
        extra_conf: "maxtipage=30\n".into(),
        sync_ttl: Some(Duration::ZERO),
        ..Custom::default()
    })
    .await;
    let (status, h) = get_json(p.server.addr, "/status").await;
    assert_eq!(status, 500, "{h}");
    assert_eq!(h["problems"], serde_json::json!(["wallets_lagging"]), "{h}");
    assert!(h["max_tip_age_seconds"].as_u64() > Some(30 * 60), "{h}");
    // No metrics for a client outside adminips/metricsallowips.
    let r = exchange(p.server.addr, &request("GET", b"/metrics", &[], b"")).await;
    assert_eq!(r.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_health_is_read_only_and_cached_per_block() {
    let p = live::start_custom(Custom {
        extra_conf: "metricsallowips=127.0.0.1\n".into(),
        ..Custom::default()
    })
    .await;
    let addr = p.server.addr;
    let r1 = exchange(addr, &request("GET", b"/api/health", &[], b"")).await;
    assert_eq!(r1.status, 200, "{}", r1.head);
    assert!(r1
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));
    let h: serde_json::Value = serde_json::from_slice(&r1.body).unwrap();
    let tip = p.cluster.best_block().1;
    assert_eq!(h["block_height"], i64::from(tip), "{h}");
    assert_eq!(
        (h["status"].as_str(), h["registration"].as_str()),
        (Some("ok"), Some("open"))
    );
    assert_eq!(h["network"], "simnet");
    assert_eq!(h["software"]["name"], "hcpool");
    assert_eq!(h["software"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        (
            h["voting_wallets"]["online"].as_u64(),
            h["voting_wallets"]["total"].as_u64()
        ),
        (Some(2), Some(2)),
        "{h}"
    );
    for k in ["live", "immature", "voted", "missed", "expired", "revoked"] {
        assert!(h["tickets"][k].is_u64(), "{k} in {h}");
    }
    assert!(
        h.get("miss_ratio").is_some() && h.get("last_vote").is_some(),
        "{h}"
    );
    // The same block: the same bytes (made once), a cache hit in the metrics.
    let r2 = exchange(addr, &request("GET", b"/api/health", &[], b"")).await;
    assert_eq!(r1.body, r2.body);
    let m = metrics(addr).await;
    assert!(
        sample(&m, "hcpool_cache_hits_total{cache=\"health\"}") >= Some(1.0),
        "{m}"
    );
    // A new block: a new body within the stats' tip delay.
    p.cluster.mine(1).unwrap();
    until(
        "the health to name the new block",
        Duration::from_secs(10),
        || async {
            let (_, h) = get_json(addr, "/api/health").await;
            h["block_height"] == i64::from(tip + 1)
        },
    )
    .await;
    // POST is not an endpoint of it (read only).
    let r = exchange(addr, &request("POST", b"/api/health", &[], b"")).await;
    assert_ne!(r.status, 200);
    // v1/v2 stats unchanged: no field of the new endpoint leaks in.
    let (_, s) = get_json(addr, "/api/v2/stats").await;
    assert!(s["data"].get("miss_ratio").is_none() && s["data"].get("software").is_none());
}

/// Metric family names a scrape declares (`# TYPE name kind`), with their kinds.
fn families(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| {
            let (n, k) = l.split_once(' ')?;
            Some((n.to_owned(), k.to_owned()))
        })
        .collect()
}

/// Every `hcpool_…`/`stakepoold_…` identifier in a PromQL expression.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        // `$stakepoold_job` is a dashboard variable, not a metric.
        if ident(b[i]) && (i == 0 || !(ident(b[i - 1]) || b[i - 1] == b'$')) {
            let start = i;
            while i < b.len() && ident(b[i]) {
                i += 1;
            }
            let word = &expr[start..i];
            if word.starts_with("hcpool_") || word.starts_with("stakepoold_") {
                out.insert(word.to_owned());
            }
        } else {
            i += 1;
        }
    }
    out
}

fn exprs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("expr", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => exprs(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| exprs(x, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grafana_dashboard_queries_only_exported_metrics() {
    let p = live::start_custom(Custom {
        nodes: true,
        extra_conf: "metricsallowips=127.0.0.1\n".into(),
        ..Custom::default()
    })
    .await;
    // A block, so stakepoold has seen one (its block-age gauge appears then).
    p.cluster.mine(1).unwrap();
    let node = p.nodes[0].as_ref().unwrap().daemon().clone();
    until("stakepoold to see a block", Duration::from_secs(20), || {
        let node = node.clone();
        async move {
            node.render_metrics()
                .contains("stakepoold_last_block_age_seconds")
        }
    })
    .await;
    let web = metrics(p.server.addr).await;
    let daemon = node.render_metrics();
    let mut exported = Vec::new();
    for (n, kind) in families(&web).into_iter().chain(families(&daemon)) {
        if kind == "histogram" {
            for s in ["_bucket", "_sum", "_count"] {
                exported.push(format!("{n}{s}"));
            }
        }
        exported.push(n);
    }
    assert!(exported.iter().any(|n| n.starts_with("hcpool_")));
    assert!(exported.iter().any(|n| n.starts_with("stakepoold_")));

    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../packaging/grafana/hcpool.json"
    );
    let dash: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut all = Vec::new();
    exprs(&dash, &mut all);
    assert!(all.len() >= 20, "{} queries", all.len());
    let mut used = BTreeSet::new();
    for e in &all {
        for n in metric_names(e) {
            assert!(
                exported.contains(&n),
                "the dashboard queries {n}, which neither app exports ({e})"
            );
            used.insert(n);
        }
    }
    // And it covers every family both apps export.
    for (n, _) in families(&web).into_iter().chain(families(&daemon)) {
        assert!(
            used.iter().any(|u| u == &n
                || u.strip_prefix(n.as_str())
                    .is_some_and(|s| ["_bucket", "_sum", "_count"].contains(&s))),
            "no dashboard panel shows {n}"
        );
    }
}

#[rocket::async_test]
async fn metrics_only_for_adminips_and_metricsallowips() {
    use rocket::http::Header;
    let mut s = super::common::settings();
    s.real_ip_header = Some("X-Real-IP".into());
    s.admin_ips = vec!["10.0.0.1".parse().unwrap()];
    s.metrics_allow_ips = vec!["10.0.0.9".parse().unwrap()];
    let app = super::common::app_with(s).await;
    for (ip, want) in [
        (Some("10.0.0.8"), 404),
        (Some("not an ip"), 404),
        (None, 404),
        (Some("10.0.0.9"), 200),
        (Some("10.0.0.1"), 200),
    ] {
        let mut req = app.client.get("/metrics");
        if let Some(ip) = ip {
            req = req.header(Header::new("X-Real-IP", ip));
        }
        let r = req.dispatch().await;
        assert_eq!(r.status().code, want, "{ip:?}");
        if want == 200 {
            let text = r.into_string().await.unwrap();
            assert!(text.contains("# TYPE hcpool_http_requests_total counter"));
            // The requests before this one were counted, the refused ones too.
            assert!(
                text.contains("{method=\"GET\",route=\"/metrics\",status=\"404\"} 3"),
                "{text}"
            );
        }
    }
}

/// The admin page's "Chain height" is the pool's tip (the best height among wallets that
/// do not lag), not the first wallet's height when that wallet lags.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_chain_height_is_the_pools_tip_not_a_lagging_wallets() {
    let p = live::start_custom(Custom {
        min_servers: 1,
        extra_conf: "maxtiplag=2\nadminips=127.0.0.1\nadminuserids=1\n".into(),
        sync_ttl: Some(Duration::ZERO),
        ..Custom::default()
    })
    .await;
    assert_eq!(p.user, hcpool_core::UserId(1));
    // The custom pool's user has no usable password: give it the one sign_in uses.
    let hash = hcpool_web::auth::hash_password(live::PASSWORD.into())
        .await
        .unwrap();
    assert!(p.pool.store().change_password(p.user, &hash).await.unwrap());
    let addr = p.server.addr;
    let admin = live::sign_in(addr).await;
    let page = || async {
        let r = exchange(
            addr,
            &request(
                "GET",
                b"/status",
                &[("Cookie", admin.cookie.clone().into_bytes())],
                b"",
            ),
        )
        .await;
        r.body_text()
    };
    let height = |page: &str| -> Option<u32> {
        let rest = page.split("<dt>Chain height</dt><dd>").nth(1)?;
        rest.split('<').next()?.parse().ok()
    };
    let before = p.cluster.best_block().1;
    let text = page().await;
    assert_eq!(height(&text), Some(before), "{text}");
    // The first wallet freezes while hcd mines 3 blocks: it lags; the second one is at
    // the tip, which the page shows.
    p.cluster.with_wallet(0, |w| w.lag = true).unwrap();
    p.cluster.mine(3).unwrap();
    let tip = p.cluster.best_block().1;
    assert_eq!(tip, before + 3);
    let text = page().await;
    assert!(text.contains("lagging"), "{text}");
    assert_eq!(height(&text), Some(tip), "{text}");
}

/// Issue 16 row 1, voting nodes: a stakepoold reports its wallet's and hcd's heights in
/// `Ping`; one whose wallet trails hcd's tip by more than `maxtiplag` is lagging on the
/// monitors' `/status`, the admin page (and its summary) and `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voting_node_whose_wallet_lags_is_shown_lagging() {
    let p = live::start_custom(Custom {
        min_servers: 1,
        nodes: true,
        extra_conf: "maxtiplag=2\nmetricsallowips=127.0.0.1\nadminips=127.0.0.1\nadminuserids=1\n"
            .into(),
        sync_ttl: Some(Duration::ZERO),
        ..Custom::default()
    })
    .await;
    let addr = p.server.addr;
    let hosts: Vec<String> = p.node_proxies.iter().map(|x| x.addr.to_string()).collect();
    assert_eq!(hosts.len(), 2);
    let lagging = |i: usize| format!("hcpool_stakepoold_lagging{{node=\"{}\"}}", hosts[i]);
    let behind = |i: usize| format!("hcpool_stakepoold_blocks_behind{{node=\"{}\"}}", hosts[i]);

    // Past the genesis block: a height of 0 reads as "unknown" on the wire.
    p.cluster.mine(1).unwrap();
    let (status, h) = get_json(addr, "/status").await;
    assert_eq!(status, 200, "{h}");
    assert_eq!(
        (
            h["voting_nodes"].as_u64(),
            h["voting_nodes_lagging"].as_u64()
        ),
        (Some(2), Some(0)),
        "{h}"
    );
    assert_eq!(h["voting_nodes_max_blocks_behind"], 0, "{h}");
    let m = metrics(addr).await;
    assert_eq!(sample(&m, &lagging(0)), Some(0.0), "{m}");
    assert_eq!(sample(&m, &behind(1)), Some(0.0), "{m}");

    // Voting wallet 0 (stakepoold 0's) freezes while hcd mines 3 blocks.
    p.cluster.with_wallet(0, |w| w.lag = true).unwrap();
    p.cluster.mine(3).unwrap();
    let (_, h) = get_json(addr, "/status").await;
    assert_eq!(h["voting_nodes_lagging"], 1, "{h}");
    assert_eq!(h["voting_nodes_max_blocks_behind"], 3, "{h}");
    assert!(
        !h.to_string().contains(&hosts[0]),
        "the monitors' answer names no host: {h}"
    );
    let m = metrics(addr).await;
    assert_eq!(sample(&m, &lagging(0)), Some(1.0), "{m}");
    assert_eq!(sample(&m, &behind(0)), Some(3.0), "{m}");
    assert_eq!(sample(&m, &lagging(1)), Some(0.0), "{m}");

    // The admin page: the node's row and a reason in the summary.
    let hash = hcpool_web::auth::hash_password(live::PASSWORD.into())
        .await
        .unwrap();
    assert!(p.pool.store().change_password(p.user, &hash).await.unwrap());
    let admin = live::sign_in(addr).await;
    let r = exchange(
        addr,
        &request(
            "GET",
            b"/status",
            &[("Cookie", admin.cookie.clone().into_bytes())],
            b"",
        ),
    )
    .await;
    let page = r.body_text();
    assert!(
        page.contains(&format!("voting node {} lagging", hosts[0])),
        "{page}"
    );
    assert!(page.contains("lagging: 3 blocks behind"), "{page}");
    assert!(
        !page.contains(&format!("voting node {} lagging", hosts[1])),
        "{page}"
    );

    // It catches up with the next block.
    p.cluster.with_wallet(0, |w| w.lag = false).unwrap();
    p.cluster.mine(1).unwrap();
    let (_, h) = get_json(addr, "/status").await;
    assert_eq!(h["voting_nodes_lagging"], 0, "{h}");
}

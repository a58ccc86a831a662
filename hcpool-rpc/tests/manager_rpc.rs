//! The manager over real JsonRpcWallets (TLS websockets to two test servers).

mod support;

use std::sync::Arc;
use std::time::Duration;

use hcpool_core::backend::WalletBackend;
use hcpool_rpc::jsonrpc::convert::decode_address;
use hcpool_rpc::{Error, JsonRpcWallet, ManagerConfig, Reconnect, WalletManager};
use serde_json::{json, Value};
use support::{Reply, TestServer};

#[tokio::test]
async fn two_rpc_wallets_disagree_stop_and_recover() {
    let a = TestServer::start().await;
    let b = TestServer::start().await;
    let mut wallets: Vec<Arc<dyn WalletBackend>> = Vec::new();
    for s in [&a, &b] {
        let mut cfg = s.config();
        cfg.reconnect = Reconnect::Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_millis(100),
            queue_while_down: false,
        };
        wallets.push(Arc::new(JsonRpcWallet::connect(cfg).await.unwrap()));
    }
    let m = WalletManager::new(
        wallets,
        ManagerConfig {
            min_servers: 2,
            call_timeout: Duration::from_secs(2),
            ..ManagerConfig::default()
        },
    );
    let msa = decode_address("Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5").unwrap();
    let pool = decode_address("TkQ4ZzWaZijLGFfwM4THhTRYFKnjvJPSHweChUsQhkH8zRZAE1Dor").unwrap();
    let user = decode_address("TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt").unwrap();
    assert_eq!(m.check_vote_version().await.unwrap(), 7);
    let info = m.create_multisig(&pool, &user).await.unwrap();
    assert_eq!(info.address, msa);

    // Wallet b now computes another script.
    let fallback = support::fixture_handler();
    b.set_handler(Arc::new(move |method: &str, params: &[Value]| {
        if method == "createmultisig" {
            Reply::Result(
                json!({"address": "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5", "redeemScript": "51ae"}),
            )
        } else {
            fallback(method, params)
        }
    }));
    let err = m.create_multisig(&pool, &user).await.unwrap_err();
    assert!(matches!(err, Error::Mismatch { .. }), "{err}");
    assert!(m.is_stopped());
    assert!(m.recheck().await.is_err());

    b.set_handler(support::fixture_handler());
    m.recheck().await.unwrap();
    assert!(!m.is_stopped());

    // b goes away: below minservers, reported per wallet; no stop.
    b.drop_connections();
    drop(b);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let err = m.create_multisig(&pool, &user).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::BelowMinServers {
                available: 1,
                min: 2
            }
        ),
        "{err}"
    );
    assert!(!m.is_stopped());
    let st = m.status();
    assert!(st.wallets[0].connected);
    assert!(!st.wallets[1].connected);
    assert!(st.wallets[1].last_error.is_some());
    // Reads still work from the remaining wallet.
    assert_eq!(m.best_block().await.unwrap().height, 812);
    drop(a);
}

#[tokio::test]
async fn wallets_that_agree_with_each_other_but_not_with_hcpool_are_refused() {
    let a = TestServer::start().await;
    let b = TestServer::start().await;
    // Both wallets answer the script with the keys swapped (user first): they agree with
    // each other, but not with the pool's own 1-of-2 computation.
    let swapped = "5121026a40c403e74670c4de7656a09caa2353d4b383a9ce66eef51e1220eacf4be06e21039e741c51929d4deecd3390cabb42b83ace7811aceb5213705bf903a827715f9652ae";
    for s in [&a, &b] {
        let fallback = support::fixture_handler();
        s.set_handler(Arc::new(move |method: &str, params: &[Value]| {
            if method == "createmultisig" {
                Reply::Result(json!({"address": "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5", "redeemScript": swapped}))
            } else {
                fallback(method, params)
            }
        }));
    }
    let mut wallets: Vec<Arc<dyn WalletBackend>> = Vec::new();
    for s in [&a, &b] {
        wallets.push(Arc::new(JsonRpcWallet::connect(s.config()).await.unwrap()));
    }
    let m = WalletManager::new(wallets, ManagerConfig::default());
    let pool = decode_address("TkQ4ZzWaZijLGFfwM4THhTRYFKnjvJPSHweChUsQhkH8zRZAE1Dor").unwrap();
    let user = decode_address("TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt").unwrap();
    let err = m.create_multisig(&pool, &user).await.unwrap_err();
    assert!(
        matches!(err, Error::Mismatch { ref first, .. } if first == "hcpool"),
        "{err}"
    );
    assert!(m.is_stopped());
}

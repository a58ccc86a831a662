//! `stakepoold::run::connect` against the simulated hcwallet + hcd: the connect checks of
//! issue 11 (the network, and the wallet's `walletinfo.voting`).

use hcpool_core::backend::UserVotingConfig;
use hcpool_core::{Network, PoolFeeRate};
use hcpool_simnet::{Role, SimCluster, SimConfig};
use stakepoold::run::{connect, Links};
use stakepoold::Error;

fn links(c: &SimCluster, network: Network, allow_wallet_voting: bool) -> Links {
    let sim = c.config();
    Links {
        wallet: c.client_config(Role::Wallet(0)).unwrap(),
        node: c.client_config(Role::Node(0)).unwrap(),
        cold_wallet_ext_pub: sim.cold_xpub.clone(),
        // A few are enough here (deriving 10 000 takes a while).
        fee_addresses: 5,
        pool_fees: PoolFeeRate::from_percent(sim.pool_fees).unwrap(),
        network,
        store: None,
        allow_wallet_voting,
    }
}

/// Issue 11 item 6: a wallet started with `--enablevoting` votes with its default bits and
/// wins the race against stakepoold's vote. stakepoold refuses it unless told otherwise.
#[tokio::test]
async fn a_wallet_that_votes_by_itself_is_refused_unless_allowed() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    c.with_wallet(0, |w| w.voting = true);
    let e = connect(links(&c, Network::Simnet, false))
        .await
        .err()
        .unwrap();
    assert!(matches!(e, Error::WalletVotes { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("--enablevoting") && text.contains("allowwalletvoting=1"),
        "names the cause and the override: {text}"
    );
    // The operator's explicit override.
    assert!(connect(links(&c, Network::Simnet, true)).await.is_ok());
    // The recommended setup: the wallet restarted without --enablevoting.
    c.with_wallet(0, |w| w.voting = false);
    assert!(connect(links(&c, Network::Simnet, false)).await.is_ok());
}

#[tokio::test]
async fn a_node_on_another_network_is_refused_naming_both() {
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    c.with_wallet(0, |w| w.voting = false);
    let e = connect(links(&c, Network::Testnet, false))
        .await
        .err()
        .unwrap();
    let text = e.to_string();
    assert!(
        text.contains("is on simnet (net 2316526404), expected testnet2"),
        "{text}"
    );
}

/// Issue 15: the simulator answers `getcurrentnet` and `version` as the real programs; an
/// hcd or hcwallet on another network is refused naming it (the binary's distinct exit
/// status), an untested API version only warns, listing the tested programs.
#[tokio::test]
async fn the_simulated_servers_report_a_wrong_network_and_untested_versions() {
    use hcpool_simnet::Faults;
    use stakepoold::error::{EXIT_CONFIG, EXIT_WRONG_NETWORK};
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    c.with_wallet(0, |w| w.voting = false);
    for role in [Role::Node(0), Role::Wallet(0)] {
        c.set_faults(
            role,
            Faults {
                reported_network: Some(Network::Mainnet),
                ..Faults::default()
            },
        )
        .unwrap();
        let e = connect(links(&c, Network::Simnet, false))
            .await
            .err()
            .unwrap();
        let text = e.to_string();
        let kind = if role == Role::Node(0) {
            "hcd"
        } else {
            "hcwallet"
        };
        assert!(text.contains(kind), "{role:?}: {text}");
        assert!(
            text.contains("is on mainnet (net 287700251), expected simnet"),
            "{role:?}: {text}"
        );
        assert_eq!(e.exit_code(), EXIT_WRONG_NETWORK, "{role:?}");
        c.set_faults(role, Faults::default()).unwrap();
    }
    // An untested API: accepted, with a warning naming the tested programs.
    let wallet = hcpool_rpc::JsonRpcWallet::connect(c.client_config(Role::Wallet(0)).unwrap())
        .await
        .unwrap();
    let ok = hcpool_rpc::check::check_wallet(&wallet, Network::Simnet)
        .await
        .unwrap();
    assert!(
        ok.warnings.is_empty(),
        "the real versions: {:?}",
        ok.warnings
    );
    c.set_faults(
        Role::Wallet(0),
        Faults {
            version_reply: Some(serde_json::json!({
                "hcdjsonrpcapi": {"versionstring": "3.1.0", "major": 3, "minor": 1, "patch": 0,
                    "prerelease": "", "buildmetadata": ""},
                "hcwalletjsonrpcapi": {"versionstring": "5.0.0", "major": 5, "minor": 0,
                    "patch": 0, "prerelease": "", "buildmetadata": ""}})),
            ..Faults::default()
        },
    )
    .unwrap();
    let info = hcpool_rpc::check::check_wallet(&wallet, Network::Simnet)
        .await
        .unwrap();
    assert_eq!(info.warnings.len(), 1, "{:?}", info.warnings);
    let w = &info.warnings[0];
    assert!(w.contains("hcwalletjsonrpcapi 5.0.0 is untested"), "{w}");
    assert!(w.contains("hcwalletjsonrpcapi 4.1.x"), "{w}");
    assert!(
        w.contains("hcwallet 51a2c09") && w.contains("581eee8"),
        "{w}"
    );
    assert!(connect(links(&c, Network::Simnet, false)).await.is_ok());
    // A configuration error keeps its own status.
    let e = stakepoold::Error::Config("x".into());
    assert_eq!(e.exit_code(), EXIT_CONFIG);
}

/// Issue 15: `maxusers` above 10,000. A ticket of user 15,000 pays fee address 15,000:
/// with the original's 10,000 fee addresses (or any count that stops below it) stakepoold
/// takes it for a low-fee ticket and never votes it; with `maxusers=20000` it is live.
/// Deriving 20,000 fee addresses takes ~10 s in a debug build here (0.2 s in release): the
/// test derives them once, and the short set only to show the ignored case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_addresses_follow_maxusers_beyond_10000() {
    use hcpool_simnet::TicketPurchase;
    use stakepoold::daemon::{Daemon, DaemonOptions};
    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    c.with_wallet(0, |w| w.voting = false);
    let (script, msa, cfg) = user(15_000);
    let mut ticket = None;
    for (count, live) in [(100, false), (20_000, true)] {
        let mut l = links(&c, Network::Simnet, false);
        l.fee_addresses = count;
        let (deps, _notes) = connect(l).await.unwrap();
        assert_eq!(deps.fee_addresses.len(), count as usize);
        let t = match ticket {
            Some(t) => t,
            None => {
                deps.wallet.import_script(&script, 0).await.unwrap();
                // 10 % of the 2-coin price, to the fee address of user 15,000; mined until
                // live (not yet drawn).
                let t = c
                    .buy_ticket(&TicketPurchase::new(msa.to_string(), 20_000_000, 15_000))
                    .unwrap();
                while c.ticket_state(&t) != Some(hcpool_simnet::TicketState::Live) {
                    c.mine(1).unwrap();
                }
                ticket = Some(t);
                t
            }
        };
        let opts = DaemonOptions {
            revoke_at_start: false,
            ..DaemonOptions::default()
        };
        let daemon = Daemon::start(deps, opts).await.unwrap();
        daemon.set_user_voting_prefs(vec![cfg.clone()]);
        daemon.rescan().await;
        let has = |v: Vec<hcpool_core::backend::TicketEntry>| v.iter().any(|e| e.ticket_hash == t);
        assert_eq!(
            (has(daemon.live_tickets()), has(daemon.ignored_tickets())),
            (live, !live),
            "{count} fee addresses"
        );
    }
}

/// A registered user's script and ticket address (the web app's derivation).
fn user(
    id: u64,
) -> (
    hcpool_core::RedeemScript,
    hcpool_core::Address,
    UserVotingConfig,
) {
    use hcpool_core::{PoolKeys, RedeemScript, UserId, VoteBits};
    use hcpool_simnet::{DEFAULT_COLD_XPUB, DEFAULT_VOTING_XPUB};
    let net = Network::Simnet;
    let keys = PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, net)
        .unwrap()
        .with_max_users(20_000);
    let pool_pk = keys.ticket_pubkey_address(UserId(id)).unwrap();
    let user_pk = keys
        .fee_branch()
        .derive_child(100 + u32::try_from(id).unwrap())
        .unwrap()
        .to_pubkey_address(net);
    let script = RedeemScript::one_of_two(&pool_pk, &user_pk).unwrap();
    let msa = script.p2sh_address(net);
    let cfg = UserVotingConfig {
        user_id: UserId(id),
        multisig_address: msa.to_string(),
        vote_bits: VoteBits(1),
        vote_bits_version: 7,
    };
    (script, msa, cfg)
}

/// Issue 11 item 5: the wallet's `--poolfees` cannot be read, but its verdicts can. A
/// ticket the wallet judged with its own check must get the same verdict from stakepoold.
#[tokio::test]
async fn poolfees_are_cross_checked_against_the_wallets_verdicts() {
    use std::collections::HashSet;

    use hcpool_simnet::{FeeRule, TicketPurchase};
    use stakepoold::feecheck::cross_check;

    let c = SimCluster::start(SimConfig::default()).await.unwrap();
    c.with_wallet(0, |w| w.voting = false);
    let (deps, _notes) = connect(links(&c, Network::Simnet, false)).await.unwrap();
    assert_eq!(deps.pool_fees.percent(), 7.5, "the simulated wallets' rate");
    let (s1, msa1, u1) = user(1);
    let (s2, msa2, u2) = user(2);
    deps.wallet.import_script(&s1, 0).await.unwrap();
    deps.wallet.import_script(&s2, 0).await.unwrap();
    // 10 % of the 2-coin price: enough at 7.5 %.
    let buy = |msa: &hcpool_core::Address| {
        c.buy_ticket(&TicketPurchase::new(msa.to_string(), 20_000_000, 1))
            .unwrap()
    };

    // The wallet checks with its own rate, the same as stakepoold's: they agree.
    let paid = buy(&msa1);
    c.mine(1).unwrap();
    let info = deps.wallet.stake_pool_user_info(&msa1).await.unwrap();
    assert_eq!(info.tickets.first().map(|t| t.ticket), Some(paid));
    let r = cross_check(&deps, std::slice::from_ref(&u1), &HashSet::new(), 10)
        .await
        .unwrap();
    assert_eq!((r.compared, r.disagreements.len()), (1, 0), "{r:?}");
    assert!(!r.is_clear_mismatch());

    // A wallet that demands more than stakepoold's rate (as 7.5 % against stakepoold's
    // old default of 5 %) judges the next ticket invalid: a clear mismatch.
    c.with_wallet(0, |w| w.fee_rule = FeeRule::MinCommitment(30_000_000));
    let low = buy(&msa2);
    c.mine(1).unwrap();
    let info = deps.wallet.stake_pool_user_info(&msa2).await.unwrap();
    assert_eq!(info.invalid, vec![low], "the wallet's own verdict");
    let r = cross_check(&deps, std::slice::from_ref(&u2), &HashSet::new(), 10)
        .await
        .unwrap();
    assert_eq!((r.compared, r.disagreements.len()), (1, 1), "{r:?}");
    assert!(!r.disagreements[0].wallet_paid);
    assert!(r.is_clear_mismatch());
    let text = r.describe(&deps);
    assert!(
        text.contains("poolfees=7.5") && text.contains("below the wallets' --poolfees"),
        "{text}"
    );
    // Both users: one ticket of two disagrees, still clear. An admin-added ticket (moved to
    // `tickets` by `addticket`, whatever its fee) is no evidence: skipped.
    let both = [u1, u2.clone()];
    let r = cross_check(&deps, &both, &HashSet::new(), 10)
        .await
        .unwrap();
    assert_eq!((r.compared, r.disagreements.len()), (2, 1), "{r:?}");
    assert!(r.is_clear_mismatch(), "half of the sample disagrees");
    let skip: HashSet<_> = [low].into();
    let r = cross_check(&deps, std::slice::from_ref(&u2), &skip, 10)
        .await
        .unwrap();
    assert_eq!(r.compared, 0);
    assert!(!r.is_clear_mismatch());

    // At start-up (what `run` does): the store's users are checked and the daemon refuses.
    let mut deps = deps;
    let store = hcpool_core::backend::MemoryStore::new();
    register(&store, &u2).await;
    deps.store = Some(std::sync::Arc::new(store));
    let e = stakepoold::feecheck::check_at_start(&deps)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::PoolFeesDisagree(_)), "{e:?}");
    assert!(
        e.to_string()
            .ends_with("set poolfees to the voting wallets' --poolfees"),
        "{e}"
    );
}

/// Registers `u` in `store` as the web app does (only what the cross-check reads matters).
async fn register(store: &hcpool_core::backend::MemoryStore, u: &UserVotingConfig) {
    use hcpool_core::backend::{NewUser, Registration, UserStore};
    use hcpool_core::{PoolKeys, Secret, VoteBits};
    use hcpool_simnet::{DEFAULT_COLD_XPUB, DEFAULT_VOTING_XPUB};
    let net = Network::Simnet;
    let uid = store
        .create_user(&NewUser {
            email: "a@example.org".into(),
            password_hash: Secret::new("x".into()),
            email_token: Secret::new("t".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await
        .unwrap();
    let (script, msa, _) = user(u.user_id.0);
    let keys = PoolKeys::from_strings(DEFAULT_VOTING_XPUB, DEFAULT_COLD_XPUB, net).unwrap();
    store
        .register_address(
            uid,
            &Registration {
                multisig_address: msa,
                multisig_script: script,
                pool_pubkey_addr: keys.ticket_pubkey_address(u.user_id).unwrap(),
                user_pubkey_addr: keys
                    .fee_branch()
                    .derive_child(102)
                    .unwrap()
                    .to_pubkey_address(net),
                user_fee_addr: keys.fee_address(uid).unwrap(),
                height_registered: 0,
            },
        )
        .await
        .unwrap();
}

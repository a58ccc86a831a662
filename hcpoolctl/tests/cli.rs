//! hcpoolctl end to end: run the binary, check its output and exit code.

use std::process::Command;

use hcpool_core::amount::Amount;
use hcpool_core::derive::PoolKeys;
use hcpool_core::fee::{stake_pool_ticket_fee, PoolFeeRate};
use hcpool_core::multisig::RedeemScript;
use hcpool_core::stake::{build_pool_ticket, PoolTicketSpec, StakeAddress};
use hcpool_core::tx::OutPoint;
use hcpool_core::{Network, UserId};

const COLD: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";
const VOTING: &str = "tpubVqDAKmg9L5R4FXFzFv3wFTgZaVAevp8NwYf4XAASSHpT1HB3KythGrBaYCRWD6KkvMp9KAtd9mzpj2ByWdpwkD4ktQ19eugSBuzePu68uep";
const USER_PK: &str = "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hcpoolctl"))
        .args(args)
        .output()
        .expect("run hcpoolctl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn derive_prints_index_and_address() {
    let (code, out, _) = run(&["derive", "--xpub", COLD, "--from", "1", "--count", "2"]);
    assert_eq!(code, 0);
    let keys = PoolKeys::from_strings(VOTING, COLD, Network::Testnet).unwrap();
    let expected = format!(
        "1\t{}\n2\t{}",
        keys.fee_address(UserId(1)).unwrap(),
        keys.fee_address(UserId(2)).unwrap()
    );
    assert_eq!(out.trim_end(), expected);
    let (code, _, err) = run(&["derive", "--xpub", COLD, "--network", "mainnet"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected mainnet"), "{err}");
}

#[test]
fn validate_address_reports_type_or_error() {
    let (code, out, _) = run(&["--json", "validate-address", USER_PK]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["network"], "testnet2");
    assert_eq!(v["valid"], true);
    let (code, out, _) = run(&["validate-address", "TsmWaPM77WSyA3aiQ2Q1KnwGDVWvEkhip23"]);
    assert_eq!(code, 1);
    assert!(out.contains("checksum"), "{out}");
    let (code, _, _) = run(&["validate-address", USER_PK, "--network", "mainnet"]);
    assert_eq!(code, 1);
}

#[test]
fn multisig_matches_core() {
    let keys = PoolKeys::from_strings(VOTING, COLD, Network::Testnet).unwrap();
    let pool = keys.ticket_pubkey_address(UserId(1)).unwrap().to_string();
    let (code, out, _) = run(&[
        "--json",
        "multisig",
        "--pool-pubkey-addr",
        &pool,
        "--user-pubkey-addr",
        USER_PK,
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["p2sh"], "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5");
    let (code, _, err) = run(&[
        "multisig",
        "--pool-pubkey-addr",
        &pool,
        "--user-pubkey-addr",
        "TsRA4Qm6jYc1x9jWLnauPjPjaLemS4it7MM",
    ]);
    assert_eq!(code, 2, "a P2PKH is not a pubkey-address");
    assert!(err.contains("user pubkey-address"), "{err}");
}

#[test]
fn votebits_check_and_explain() {
    let (code, out, _) = run(&[
        "votebits",
        "explain",
        "5",
        "--vote-version",
        "7",
        "--network",
        "testnet",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("maxblocksize: yes"), "{out}");
    let (code, _, _) = run(&[
        "votebits",
        "check",
        "0x7",
        "--vote-version",
        "7",
        "--network",
        "testnet",
    ]);
    assert_eq!(code, 1);
    let (code, _, _) = run(&["votebits", "check", "1", "--vote-version", "0"]);
    assert_eq!(code, 0);
    let (code, _, _) = run(&["votebits", "check", "70000", "--vote-version", "0"]);
    assert_eq!(code, 2);
}

#[test]
fn ticket_fee_matches_vectors() {
    let (code, out, _) = run(&[
        "ticket-fee",
        "--stake-diff",
        "750000000",
        "--relay-fee",
        "100000",
        "--height",
        "300000",
        "--pool-fee",
        "1.15",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("400942 atoms"), "{out}");
}

fn ticket_hex(pool_amount_delta: i64) -> (String, i64) {
    let net = Network::Testnet;
    let keys = PoolKeys::from_strings(VOTING, COLD, net).unwrap();
    let user: hcpool_core::Address = USER_PK.parse().unwrap();
    let script =
        RedeemScript::one_of_two(&keys.ticket_pubkey_address(UserId(1)).unwrap(), &user).unwrap();
    let price = Amount(750_000_000);
    let tx_fee = Amount(100_000);
    let height = 300_000;
    let rate = PoolFeeRate::from_percent(7.5).unwrap();
    let required = stake_pool_ticket_fee(price, tx_fee, height, rate, net.params()).unwrap();
    let pool_amount = Amount(required.0 + pool_amount_delta);
    let fee_hash = keys.fee_address(UserId(1)).unwrap().hash160();
    let spec = PoolTicketSpec {
        voting_script_hash: script.hash160(),
        price,
        pool_input: OutPoint::default(),
        pool_fee_hash: fee_hash,
        pool_amount,
        user_input: OutPoint::default(),
        user_reward: StakeAddress::Secp256k1([7; 20]),
        user_amount: Amount(price.0 - pool_amount.0 + tx_fee.0),
        expiry: 0,
    };
    (build_pool_ticket(&spec).to_hex(), height)
}

#[test]
fn inspect_ticket_runs_the_fee_check() {
    for (delta, want_ok) in [(0, true), (-1, false)] {
        let (hex, height) = ticket_hex(delta);
        let h = height.to_string();
        let (code, out, err) = run(&[
            "--json",
            "inspect-ticket",
            &hex,
            "--network",
            "testnet",
            "--coldwalletextpub",
            COLD,
            "--pool-fee",
            "7.5",
            "--height",
            &h,
            "--max-users",
            "10",
        ]);
        assert_eq!(code, if want_ok { 0 } else { 1 }, "{out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["fee_check"]["valid"], want_ok);
        assert_eq!(v["commitments"].as_array().unwrap().len(), 2);
    }
    let (code, _, err) = run(&["inspect-ticket", "zz"]);
    assert_eq!(code, 2);
    assert!(err.contains("hex"), "{err}");
}

#[test]
fn check_config_reports_problems() {
    let dir = std::env::temp_dir().join(format!("hcpoolctl-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.cert"), "x").unwrap();
    std::fs::write(dir.join("b.cert"), "x").unwrap();
    let conf = |cold: &str| {
        format!(
            "testnet=1\napisecret=a\ncookiesecret=b\ndbpassword=c\ncoldwalletextpub={cold}\n\
             votingwalletextpub={VOTING}\nwallethosts=h1,h2\nwalletusers=u,u\n\
             walletpasswords=p,p\nwalletcerts=a.cert,b.cert\nadminips=127.0.0.1\n"
        )
    };
    let good = dir.join("good.conf");
    std::fs::write(&good, conf(COLD)).unwrap();
    let (code, out, err) = run(&["check-config", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let bad = dir.join("bad.conf");
    std::fs::write(&bad, conf("tpubnotakey").replace("b.cert", "missing.cert")).unwrap();
    let (code, out, _) = run(&["check-config", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains("coldwalletextpub") && out.contains("missing.cert"),
        "{out}"
    );
    // The web app's values are checked too: hcpool-web would refuse this file at start.
    let web_bad = dir.join("web-bad.conf");
    std::fs::write(&web_bad, conf(COLD) + "captcha=maybe\n").unwrap();
    let (code, out, err) = run(&["check-config", web_bad.to_str().unwrap()]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(err.contains("captcha"), "{out}{err}");
    // Mail: smtptls must be a known mode; an empty smtpfrom falls back to smtpusername
    // (reported), and one of them must be an email address.
    let mail = |extra: &str| {
        let f = dir.join("mail.conf");
        std::fs::write(&f, conf(COLD) + "smtphost=mail.example.org:587\n" + extra).unwrap();
        let (code, out, err) = run(&["check-config", f.to_str().unwrap(), "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| {
            panic!("not JSON: {out}{err}");
        });
        (code, v)
    };
    let (code, v) = mail("smtptls=ssl\nsmtpfrom=pool@example.org\n");
    assert_eq!(code, 1, "{v}");
    assert!(
        v["problems"][0]
            .as_str()
            .is_some_and(|p| p.starts_with("smtptls")),
        "{v}"
    );
    let (code, v) = mail("smtptls=STARTTLS\nsmtpusername=relay@example.org\n");
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["mail"]["from"], "relay@example.org", "{v}");
    assert_eq!(v["mail"]["from_fallback"], true, "{v}");
    assert!(
        v["mail"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("falls back to smtpusername") && s.contains("STARTTLS")),
        "{v}"
    );
    let (code, v) = mail("smtpfrom=pool@example.org\nsmtpusername=relayuser\n");
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (
            v["mail"]["from"].as_str(),
            v["mail"]["from_fallback"].as_bool()
        ),
        (Some("pool@example.org"), Some(false)),
        "{v}"
    );
    let (code, v) = mail("smtpusername=relayuser\n");
    assert_eq!(code, 1, "{v}");
    assert!(
        v["problems"][0]
            .as_str()
            .is_some_and(|p| p.contains("smtpfrom is not set")),
        "{v}"
    );
    // Without smtphost no mail goes out: nothing to check but smtptls.
    let f = dir.join("nomail.conf");
    std::fs::write(&f, conf(COLD) + "smtpusername=relayuser\n").unwrap();
    let (code, out, err) = run(&["check-config", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = run(&["check-config", dir.join("none.conf").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("reading"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn version_names_the_commit() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!("hcpoolctl {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
}

// ---- the database tools (issue 15) -------------------------------------------------------

mod dbtools {
    use super::*;
    use hcpool_core::backend::{NewLowFeeTicket, NewUser, Registration, Session, Store};
    use hcpool_core::{Secret, TicketHash, VoteBits};
    use hcpool_db::SqlStore;

    /// A throwaway store: a SQLite file, or a database on `HCPOOL_TEST_MYSQL_URL`'s server
    /// (created with the `mariadb` client, dropped at the end).
    pub(super) struct TestDb {
        pub url: String,
        pub _dir: tempfile::TempDir,
        mysql: Option<(Vec<String>, String)>,
    }

    /// `mariadb` client arguments for the server of a `mysql://user[:pass]@host:port/db` URL.
    pub(super) fn client_args(url: &str) -> Vec<String> {
        let rest = url.split("://").nth(1).unwrap_or("");
        let (auth, hostpart) = rest.split_once('@').unwrap_or(("root", rest));
        let hostport = hostpart.split('/').next().unwrap_or("");
        let (host, port) = hostport.split_once(':').unwrap_or((hostport, "3306"));
        let (user, pass) = auth.split_once(':').unwrap_or((auth, ""));
        let mut a = vec![
            format!("-h{host}"),
            format!("-P{port}"),
            format!("-u{user}"),
            "--protocol=tcp".into(),
        ];
        if !pass.is_empty() {
            a.push(format!("-p{pass}"));
        }
        a
    }

    pub(super) fn mariadb(args: &[String], sql: &str) {
        let out = Command::new("mariadb")
            .args(args)
            .arg("-e")
            .arg(sql)
            .output()
            .expect("run the mariadb client");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    impl TestDb {
        pub fn sqlite() -> TestDb {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("pool.db");
            TestDb {
                url: hcpool_db::sqlite_url_for_path(&path),
                _dir: dir,
                mysql: None,
            }
        }

        #[allow(clippy::print_stdout)] // The skip line.
        pub fn mysql(tag: &str) -> Option<TestDb> {
            let Ok(server) = std::env::var("HCPOOL_TEST_MYSQL_URL") else {
                println!("skipped: HCPOOL_TEST_MYSQL_URL unset (the MariaDB run of {tag})");
                return None;
            };
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            let name = format!("hcpoolctl_{tag}_{}_{nanos}", std::process::id());
            let args = client_args(&server);
            mariadb(
                &args,
                &format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
            );
            let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
            Some(TestDb {
                url: format!("{base}/{name}"),
                _dir: tempfile::tempdir().unwrap(),
                mysql: Some((args, name)),
            })
        }
    }

    impl Drop for TestDb {
        fn drop(&mut self) {
            if let Some((args, name)) = &self.mysql {
                mariadb(args, &format!("DROP DATABASE IF EXISTS `{name}`"));
            }
        }
    }

    pub(super) fn keys() -> PoolKeys {
        PoolKeys::from_strings(VOTING, COLD, Network::Testnet).unwrap()
    }

    pub(super) fn registration(id: UserId) -> Registration {
        let keys = keys();
        let user: hcpool_core::Address =
            hcpool_core::address::validate_user_pubkey_address(USER_PK, Network::Testnet).unwrap();
        let pool = keys.ticket_pubkey_address(id).unwrap();
        let script = RedeemScript::one_of_two(&pool, &user).unwrap();
        Registration {
            multisig_address: script.p2sh_address(Network::Testnet),
            multisig_script: script,
            pool_pubkey_addr: pool,
            user_pubkey_addr: user,
            user_fee_addr: keys.fee_address(id).unwrap(),
            height_registered: 10,
        }
    }

    pub(super) async fn new_user(store: &dyn Store, email: &str, verified: bool) -> UserId {
        let token = format!("tok-{email}");
        let id = store
            .create_user(&NewUser {
                email: email.into(),
                password_hash: Secret::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
                email_token: Secret::new(token.clone()),
                vote_bits: VoteBits(5),
                vote_bits_version: 7,
            })
            .await
            .unwrap();
        if verified {
            store.verify_email(&token).await.unwrap();
        }
        id
    }

    pub(super) const TICKET: &str =
        "1111111111111111111111111111111111111111111111111111111111111111";

    /// Two users (alice: verified, registered, API token, a session, a low-fee ticket;
    /// bob: unverified) in a fresh store.
    async fn seed(url: &str) -> (UserId, UserId, Registration) {
        let sql = SqlStore::connect(url).await.unwrap();
        let store: &dyn Store = &sql;
        let alice = new_user(store, "alice@example.com", true).await;
        let bob = new_user(store, "bob@example.com", false).await;
        let reg = registration(alice);
        assert!(store.register_address(alice, &reg).await.unwrap());
        store
            .set_api_token(alice, &Secret::new("alice-token".into()))
            .await
            .unwrap();
        store
            .create_session(&Session {
                id_hash: "ab".repeat(32),
                user_id: alice,
                csrf_token: Secret::new("csrf".into()),
                created: 1,
                expires: i64::MAX / 2,
                last_seen: 1,
            })
            .await
            .unwrap();
        store
            .add_low_fee_tickets(&[NewLowFeeTicket {
                added_by: alice,
                ticket_address: reg.multisig_address.clone(),
                ticket_hash: TICKET.parse::<TicketHash>().unwrap(),
                created: 1,
                expires: i64::MAX / 2,
            }])
            .await
            .unwrap();
        sql.close().await;
        (alice, bob, reg)
    }

    fn json_of(args: &[&str]) -> (i32, serde_json::Value) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let (code, out, err) = run(&all);
        let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
        (code, v)
    }

    async fn db_tools(url: &str) {
        let (alice, bob, reg) = seed(url).await;
        let db = ["--db", url];
        // find-user: by email, id, each address, the low-fee ticket; unknown ones exit 1.
        let (code, v) =
            json_of(&[&["find-user"][..], &db, &["--email", "ALICE@example.com"]].concat());
        assert_eq!(code, 0, "{v}");
        assert_eq!(v[0]["id"], alice.0);
        assert_eq!(v[0]["multisig_address"], reg.multisig_address.to_string());
        assert_eq!(
            v[0]["api_token"], true,
            "whether there is one, never the token"
        );
        assert!(!v.to_string().contains("alice-token") && !v.to_string().contains("argon2"));
        for (flag, value) in [
            ("--id", alice.0.to_string()),
            ("--address", reg.multisig_address.to_string()),
            ("--address", reg.user_fee_addr.to_string()),
            ("--address", USER_PK.to_owned()),
            ("--ticket", TICKET.to_owned()),
        ] {
            let (code, v) = json_of(&[&["find-user"][..], &db, &[flag, &value]].concat());
            assert_eq!(
                (code, &v[0]["id"]),
                (0, &serde_json::json!(alice.0)),
                "{flag} {value}"
            );
        }
        let (code, out, _) =
            run(&[&["find-user"][..], &db, &["--email", "nobody@example.com"]].concat());
        assert_eq!((code, out.trim()), (1, "no such user"));
        let (code, _, err) = run(&[&["find-user"][..], &db, &["--ticket", "xyz"]].concat());
        assert_eq!(code, 2);
        assert!(err.contains("not a ticket hash"), "{err}");

        // lowfee-tickets.
        let (code, v) = json_of(&[&["lowfee-tickets"][..], &db].concat());
        assert_eq!(code, 0);
        assert_eq!(v[0]["ticket_hash"], TICKET);
        assert_eq!(v[0]["state"], "votable");

        // reset-votebits: 5 -> 1, the version kept or set.
        let (code, v) = json_of(&[&["reset-votebits"][..], &db, &["alice@example.com"]].concat());
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["old"]["vote_bits"], 5);
        assert_eq!(v["new"], serde_json::json!({"vote_bits": 1, "version": 7}));
        let (_, v) = json_of(
            &[
                &["reset-votebits"][..],
                &db,
                &[&bob.0.to_string()[..], "--vote-version", "8"],
            ]
            .concat(),
        );
        assert_eq!(v["new"], serde_json::json!({"vote_bits": 1, "version": 8}));

        // resend-verification: queued for bob (unverified), in the language asked for;
        // refused for alice (verified) and for a language hcpool does not speak.
        let (code, out, err) = run(&[
            &["resend-verification"][..],
            &db,
            &["bob@example.com", "--lang", "de"],
        ]
        .concat());
        assert_ne!(code, 0, "{out}");
        assert!(err.contains("--lang \"de\""), "{err}");
        let (code, out, _) = run(&[
            &["resend-verification"][..],
            &db,
            &["bob@example.com", "--lang", "zh-CN"],
        ]
        .concat());
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("queued"), "{out}");
        let (code, out, _) =
            run(&[&["resend-verification"][..], &db, &["alice@example.com"]].concat());
        assert_eq!(code, 1);
        assert!(out.contains("verified already"), "{out}");

        // disable-user: no token, no session, password unusable; enable restores it.
        let (code, v) =
            json_of(&[&["disable-user"][..], &db, &[&alice.0.to_string()[..]]].concat());
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["was_enabled"], true);
        assert_eq!(v["sessions_ended"], 1);
        let sql = SqlStore::connect(url).await.unwrap();
        {
            let store: &dyn Store = &sql;
            let u = store.user(alice).await.unwrap().unwrap();
            assert!(u.is_disabled());
            assert!(u.password_hash.expose().starts_with("!disabled!$argon2id$"));
            assert!(u.api_token.expose().is_empty());
            assert!(store.session(&"ab".repeat(32), 2).await.unwrap().is_none());
            assert!(store
                .user_by_api_token("alice-token")
                .await
                .unwrap()
                .is_none());
            // The start-up token backfill skips a disabled user.
            assert!(!store
                .verified_users_without_api_token()
                .await
                .unwrap()
                .contains(&alice));
            let rows = store
                .claim_mail(i64::MAX / 4, i64::MAX / 2, 10)
                .await
                .unwrap();
            assert_eq!(rows.len(), 1, "the resend row");
            assert_eq!(rows[0].recipient, "bob@example.com");
            // The language the sender writes the mail in (`--lang zh-CN`).
            assert_eq!(rows[0].subject, "zh-CN");
        }
        sql.close().await;
        let (_, v) = json_of(&[&["find-user"][..], &db, &["--id", &alice.0.to_string()]].concat());
        assert_eq!(v[0]["disabled"], true);
        let (code, v) = json_of(&[&["disable-user"][..], &db, &["alice@example.com"]].concat());
        assert_eq!((code, &v["was_enabled"]), (0, &serde_json::json!(false)));
        let (code, v) = json_of(&[&["enable-user"][..], &db, &["alice@example.com"]].concat());
        assert_eq!((code, &v["changed"]), (0, &serde_json::json!(true)));
        let sql = SqlStore::connect(url).await.unwrap();
        let u = (&sql as &dyn Store).user(alice).await.unwrap().unwrap();
        assert!(!u.is_disabled());
        assert_eq!(
            u.password_hash.expose(),
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"
        );
        sql.close().await;
        // delete-user: the account's personal data is erased, its id kept; twice is refused.
        let (code, v) = json_of(&[&["delete-user"][..], &db, &["alice@example.com"]].concat());
        assert_eq!((code, &v["deleted"]), (0, &serde_json::json!(true)), "{v}");
        let sql = SqlStore::connect(url).await.unwrap();
        let u = (&sql as &dyn Store).user(alice).await.unwrap().unwrap();
        assert!(u.is_erased());
        assert_eq!(u.email, hcpool_core::backend::erased_email(alice));
        sql.close().await;
        let (code, _, err) =
            run(&[&["delete-user"][..], &db, &[&alice.0.to_string()[..]]].concat());
        assert_eq!(code, 2);
        assert!(err.contains("deleted already"), "{err}");
        let (code, _, err) = run(&[&["disable-user"][..], &db, &["999"]].concat());
        assert_eq!(code, 2);
        assert!(err.contains("no user"), "{err}");
        if url.starts_with("mysql") {
            // MySQL/MariaDB stores are dumped with their own tools.
            let (code, _, err) =
                run(&[&["backup"][..], &db, &["--out", "/nonexistent/x.db"]].concat());
            assert_eq!(code, 2);
            assert!(err.contains("mysqldump"), "{err}");
        }
    }

    #[tokio::test]
    async fn db_tools_on_sqlite() {
        let db = TestDb::sqlite();
        db_tools(&db.url).await;
    }

    #[tokio::test]
    async fn db_tools_on_mariadb() {
        let Some(db) = TestDb::mysql("tools") else {
            return;
        };
        db_tools(&db.url).await;
    }

    #[tokio::test]
    async fn sqlite_backup_and_restore() {
        let db = TestDb::sqlite();
        let (alice, _, _) = seed(&db.url).await;
        let out = db._dir.path().join("backup.db");
        let (code, v) = json_of(&["backup", "--db", &db.url, "--out", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["users"], 2);
        // A second backup into the same file is refused.
        let (code, _, err) = run(&["backup", "--db", &db.url, "--out", out.to_str().unwrap()]);
        assert_eq!(code, 2);
        assert!(err.contains("exists already"), "{err}");

        // Change the store, then restore: the change is gone.
        let sql = SqlStore::connect(&db.url).await.unwrap();
        new_user(&sql, "carol@example.com", true).await;
        // While the store is open (its -wal/-shm exist) a restore is refused…
        let (code, _, err) = run(&["restore", "--db", &db.url, out.to_str().unwrap()]);
        assert_eq!(code, 2);
        assert!(err.contains("looks in use"), "{err}");
        sql.close().await;
        // …and a file that is not a pool database is refused.
        let junk = db._dir.path().join("junk.db");
        std::fs::write(&junk, b"not a database at all, not even close").unwrap();
        let (code, _, err) = run(&[
            "restore",
            "--db",
            &db.url,
            "--force",
            junk.to_str().unwrap(),
        ]);
        assert_eq!(code, 2);
        assert!(
            err.contains("not a SQLite database") || err.contains("not an hcpool"),
            "{err}"
        );
        let (code, v) = json_of(&["restore", "--db", &db.url, "--force", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["users"], 2);
        assert_eq!(v["hcpool"], true);
        let sql = SqlStore::connect(&db.url).await.unwrap();
        let store: &dyn Store = &sql;
        assert!(store
            .user_by_email("carol@example.com")
            .await
            .unwrap()
            .is_none());
        assert!(store.user(alice).await.unwrap().is_some());
        sql.close().await;
    }
}

/// `check-wallets` against the simulated wallets: a wallet that lacks a registered user's
/// multisig script is named with the user, exit 1; once it holds it, exit 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_wallets_names_the_users_a_simulated_wallet_lacks() {
    use hcpool_core::backend::{PoolWallet, Store};
    use hcpool_simnet::{Role, SimCluster, SimConfig};

    let cluster = SimCluster::start(SimConfig::default()).await.unwrap();
    cluster.mine(2).unwrap();
    let db = dbtools::TestDb::sqlite();
    let sql = hcpool_db::SqlStore::connect(&db.url).await.unwrap();
    let store: &dyn Store = &sql;
    let id = dbtools::new_user(store, "alice@example.com", true).await;
    let network = cluster.config().network;
    let keys = PoolKeys::from_strings(
        &cluster.config().voting_xpub,
        &cluster.config().cold_xpub,
        network,
    )
    .unwrap();
    // Any pubkey address of the network stands for the user's.
    let user_key = keys.ticket_pubkey_address(UserId(500)).unwrap();
    let pool_key = keys.ticket_pubkey_address(id).unwrap();
    let script = RedeemScript::one_of_two(&pool_key, &user_key).unwrap();
    let reg = hcpool_core::backend::Registration {
        multisig_address: script.p2sh_address(network),
        multisig_script: script.clone(),
        pool_pubkey_addr: pool_key,
        user_pubkey_addr: user_key,
        user_fee_addr: keys.fee_address(id).unwrap(),
        height_registered: 1,
    };
    assert!(store.register_address(id, &reg).await.unwrap());
    sql.close().await;
    // Only the first wallet imports it.
    let w0 = hcpool_rpc::JsonRpcWallet::connect(cluster.client_config(Role::Wallet(0)).unwrap())
        .await
        .unwrap();
    w0.import_script(&script, 1).await.unwrap();

    let conf = db._dir.path().join("hcstakepool.conf");
    std::fs::write(
        &conf,
        format!(
            "{}dburl={}\napisecret=s\ncookiesecret=c\nnosmtp=1\n",
            cluster.conf_fragment(),
            db.url
        ),
    )
    .unwrap();
    let conf = conf.to_str().unwrap().to_owned();
    let run_check = |conf: String| {
        tokio::task::spawn_blocking(move || run(&["--json", "check-wallets", "--config", &conf]))
    };
    let (code, out, err) = run_check(conf.clone()).await.unwrap();
    assert_eq!(code, 1, "{out} {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["scripts"], 1);
    assert_eq!(v["wallets"][0]["missing_users"], serde_json::json!([]));
    assert_eq!(v["wallets"][1]["missing_users"], serde_json::json!([id.0]));

    let w1 = hcpool_rpc::JsonRpcWallet::connect(cluster.client_config(Role::Wallet(1)).unwrap())
        .await
        .unwrap();
    w1.import_script(&script, 1).await.unwrap();
    let (code, out, err) = run_check(conf.clone()).await.unwrap();
    assert_eq!(code, 0, "{out} {err}");

    // find-user --ticket: a ticket bought for the user's multisig is found through the
    // wallets (it is no low-fee ticket).
    let purchase = hcpool_simnet::TicketPurchase::new(
        reg.multisig_address.to_string(),
        100_000_000,
        u32::try_from(id.0).unwrap(),
    );
    let ticket = cluster
        .buy_ticket(&purchase)
        .unwrap_or_else(|e| panic!("buy: {e}"));
    let t = ticket.to_string();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        run(&["--json", "find-user", "--config", &conf, "--ticket", &t])
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out} {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["id"], id.0);
}

/// `verify-votes` against the simulated hcd: a voting wallet votes a pool ticket, the
/// records made from the wallet's answers (as hcpool-web makes them) verify; a tampered
/// record, a false record the pool signed, and another key each fail with exit 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_votes_checks_records_against_the_simulated_hcd() {
    use hcpool_core::backend::{PoolWallet, StakeReporting};
    use hcpool_core::voterecord::{user_vote_records, VoteRecordKey};
    use hcpool_core::VoteBits;
    use hcpool_simnet::{Role, SimCluster, SimConfig, TicketPurchase, TicketState};

    let dir = tempfile::tempdir().unwrap();
    let cluster = SimCluster::start(SimConfig {
        cert_dir: Some(dir.path().join("certs")),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    cluster.mine(2).unwrap();
    let network = cluster.config().network;
    let keys = PoolKeys::from_strings(
        &cluster.config().voting_xpub,
        &cluster.config().cold_xpub,
        network,
    )
    .unwrap();
    let id = UserId(1);
    let user_key = keys.ticket_pubkey_address(UserId(500)).unwrap();
    let script =
        RedeemScript::one_of_two(&keys.ticket_pubkey_address(id).unwrap(), &user_key).unwrap();
    let msa = script.p2sh_address(network);
    let w0 = hcpool_rpc::JsonRpcWallet::connect(cluster.client_config(Role::Wallet(0)).unwrap())
        .await
        .unwrap();
    w0.import_script(&script, 1).await.unwrap();
    // The wallet votes its winners itself (--enablevoting), with its default bits (1).
    cluster.with_wallet(0, |w| w.voting = true);
    let ticket = cluster
        .buy_ticket(&TicketPurchase::new(msa.to_string(), 100_000_000, 1))
        .unwrap();
    for _ in 0..300 {
        cluster.mine(1).unwrap();
        if cluster.ticket_state(&ticket) == Some(TicketState::Voted) {
            break;
        }
    }
    assert_eq!(cluster.ticket_state(&ticket), Some(TicketState::Voted));

    let info = w0.stake_pool_user_info(&msa).await.unwrap();
    let records = user_vote_records(&w0, &info, network, VoteBits(5), 4).await;
    assert_eq!(records.len(), 1, "{info:?}");
    assert_eq!(records[0].ticket, ticket);
    assert_eq!((records[0].votebits, records[0].vote_version), (1, 7));
    let key = VoteRecordKey::from_bytes(&[7; 32]).unwrap();
    let pubkey = key.public().to_string();
    let signed: Vec<_> = records.iter().cloned().map(|r| r.sign(&key)).collect();

    let node = cluster.endpoint(Role::Node(0)).unwrap();
    let (hcd, cert) = (
        node.addr.to_string(),
        node.cert_path.to_str().unwrap().to_owned(),
    );
    let (user, pass) = (
        cluster.config().user.clone(),
        cluster.config().password.clone(),
    );
    let verify = |doc: serde_json::Value, pubkey: String| {
        let file = dir.path().join("records.json");
        std::fs::write(&file, doc.to_string()).unwrap();
        let file = file.to_str().unwrap().to_owned();
        let (hcd, cert, user, pass) = (hcd.clone(), cert.clone(), user.clone(), pass.clone());
        tokio::task::spawn_blocking(move || {
            run(&[
                "verify-votes",
                "--file",
                &file,
                "--pubkey",
                &pubkey,
                "--hcd",
                &hcd,
                "--hcduser",
                &user,
                "--hcdpass",
                &pass,
                "--hcdcert",
                &cert,
            ])
        })
    };
    let doc = serde_json::json!({"pubkey": pubkey, "records": signed});
    let (code, out, err) = verify(doc.clone(), pubkey.clone()).await.unwrap();
    assert_eq!(code, 0, "{out} {err}");
    assert!(out.contains(&format!("ok    ticket {ticket}")), "{out}");
    assert!(
        out.contains("(note: cast votebits 1, requested 5)"),
        "{out}"
    );
    assert!(out.contains("1 records: 1 verified, 0 failed"), "{out}");

    // Tampered after signing: the signature fails.
    let mut tampered = doc.clone();
    tampered["records"][0]["votebits"] = 5.into();
    let (code, out, _) = verify(tampered, pubkey.clone()).await.unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL") && out.contains("signature"), "{out}");
    // Signed by the pool but false: the chain says otherwise.
    let mut lie = records[0].clone();
    lie.votebits = 5;
    let (code, out, _) = verify(
        serde_json::json!({"records": [lie.sign(&key)]}),
        pubkey.clone(),
    )
    .await
    .unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("carries votebits 1"), "{out}");
    let mut moved = records[0].clone();
    moved.block_height += 1;
    let (code, out, _) = verify(
        serde_json::json!({"records": [moved.sign(&key)]}),
        pubkey.clone(),
    )
    .await
    .unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not the main chain's block"), "{out}");
    // Another pinned key.
    let other = VoteRecordKey::from_bytes(&[8; 32])
        .unwrap()
        .public()
        .to_string();
    let (code, out, _) = verify(doc, other).await.unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("warning: the records name key"), "{out}");
}

/// `verify-votes --pool https://…`: a pool behind TLS with a self-signed certificate is
/// fetched with `--poolcert` and the token (its empty record list needs no hcd); another
/// certificate is refused with a clear error before the token is sent; `--poolcert` with an
/// `http://` pool is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_votes_fetches_over_tls_with_a_pinned_certificate() {
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use hcpool_rpc::pinned_tls::{generate_self_signed, parse_certs, parse_key, server_config};

    let dir = tempfile::tempdir().unwrap();
    let pool = generate_self_signed("hcpool test pool", &[]).unwrap();
    let good = dir.path().join("pool.pem");
    std::fs::write(&good, &pool.cert_pem).unwrap();
    let other = dir.path().join("other.pem");
    std::fs::write(
        &other,
        generate_self_signed("another", &[]).unwrap().cert_pem,
    )
    .unwrap();
    let cfg = server_config(
        parse_certs(pool.cert_pem.as_bytes()).unwrap(),
        parse_key(pool.key_pem.as_bytes()).unwrap(),
        &[b"http/1.1"],
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let tokens = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = tokens.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(mut s) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&req).to_ascii_lowercase();
                if let Some(t) = text.lines().find_map(|l| l.strip_prefix("authorization: ")) {
                    seen.lock().unwrap().push(t.to_owned());
                }
                let body = r#"{"status":"success","code":0,"message":"ok","data":{"scheme":"hcpool vote record v1","pubkey":"02aa","ticket_address":"TcS1","records":[]}}"#;
                let out = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(out.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    let pubkey = hcpool_core::voterecord::VoteRecordKey::from_bytes(&[7; 32])
        .unwrap()
        .public()
        .to_string();
    let verify = |url: String, cert: std::path::PathBuf| {
        let pubkey = pubkey.clone();
        let hcdcert = dir.path().join("no-hcd.cert");
        tokio::task::spawn_blocking(move || {
            run(&[
                "verify-votes",
                "--pool",
                &url,
                "--poolcert",
                cert.to_str().unwrap(),
                "--token",
                "tok-1",
                "--pubkey",
                &pubkey,
                "--hcd",
                "127.0.0.1:9",
                "--hcdcert",
                hcdcert.to_str().unwrap(),
            ])
        })
    };
    let url = format!("https://127.0.0.1:{port}");
    let (code, out, err) = verify(url.clone(), good.clone()).await.unwrap();
    assert_eq!(code, 0, "{out} {err}");
    assert!(out.contains("0 records: nothing to verify"), "{out}");
    assert!(out.contains("warning: the records name key 02aa"), "{out}");
    assert_eq!(
        tokens.lock().unwrap().clone(),
        vec!["bearer tok-1".to_owned()]
    );

    let (code, out, err) = verify(url.clone(), other).await.unwrap();
    assert_ne!(code, 0, "{out}");
    assert!(
        err.contains("not the one pinned with --poolcert"),
        "a clear error: {err}"
    );
    assert_eq!(tokens.lock().unwrap().len(), 1, "the token went nowhere");

    let (code, _, err) = verify(format!("http://127.0.0.1:{port}"), good)
        .await
        .unwrap();
    assert_ne!(code, 0);
    assert!(err.contains("--poolcert pins an https:// pool"), "{err}");
}

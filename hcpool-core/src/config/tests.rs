use super::*;

/// The pool's keys of an hcstakepool.conf (the web app's keys are hcpool-web's tests'), and
/// one web key, which the pool accepts and does not read.
const SAMPLE: &str = r#"
[Application Options]
; comment
dbpassword=pw
coldwalletextpub=tpubCold
votingwalletextpub=tpubVoting
testnet=1
wallethosts=127.0.0.1,10.0.0.2:12345
walletusers=u1,u2
walletpasswords=p1,p2
walletcerts=a.cert,b.cert
poolfees=2.5
apisecret=web-secret
"#;

#[test]
fn sample_parses_with_defaults() {
    let c = PoolConfig::from_ini(SAMPLE).unwrap();
    assert_eq!(c.network, Network::Testnet);
    assert_eq!(
        c.wallet_hosts().collect::<Vec<_>>(),
        vec!["127.0.0.1:12010", "10.0.0.2:12345"]
    );
    assert_eq!(c.min_servers, 2);
    assert_eq!(c.max_voted_age, 8640);
    assert_eq!(c.max_users, DEFAULT_MAX_USERS);
    assert_eq!(c.pool_fees.percent(), 2.5);
    assert_eq!(c.db.name, "stakepool");
    assert!(!c.close_pool);
}

#[test]
fn wallets_are_one_endpoint_each() {
    let c = PoolConfig::from_ini(SAMPLE).unwrap();
    let w = &c.wallets[1];
    assert_eq!(
        (
            w.host.as_str(),
            w.user.as_str(),
            w.password.expose().as_str(),
            w.cert.as_str()
        ),
        ("10.0.0.2:12345", "u2", "p2", "b.cert")
    );
    // A host listed twice is one wallet: the other lists must then have one entry less.
    let twice = SAMPLE.replace("10.0.0.2:12345", "127.0.0.1:12010");
    let e = PoolConfig::from_ini(&twice).unwrap_err().to_string();
    assert_eq!(
        e,
        "walletusers: wallet configuration mismatch (walletusers and wallethosts counts differ: 2 vs 1)"
    );
}

#[test]
fn debug_hides_secrets() {
    let text = format!("{SAMPLE}\ndburl=mysql://u:dbsecret@h/x\n");
    let c = PoolConfig::from_ini(&text).unwrap();
    let d = format!("{c:?}");
    for secret in ["p1", "p2", "pw", "dbsecret", "web-secret"] {
        assert!(
            !d.contains(&format!("\"{secret}")) && !d.contains(secret),
            "{secret}: {d}"
        );
    }
    assert!(d.contains("tpubCold"), "{d}");
}

#[test]
fn missing_and_bad_keys_are_named() {
    let no_cold = SAMPLE.replace("coldwalletextpub=tpubCold", "");
    assert_eq!(
        PoolConfig::from_ini(&no_cold).unwrap_err().to_string(),
        "coldwalletextpub is not set in config"
    );
    let unknown = format!("{SAMPLE}\nbogus=1\n");
    assert!(matches!(
        PoolConfig::from_ini(&unknown),
        Err(ConfigError::UnknownKey { .. })
    ));
    let mismatch = SAMPLE.replace("walletusers=u1,u2", "walletusers=u1");
    let e = PoolConfig::from_ini(&mismatch).unwrap_err().to_string();
    assert!(e.contains("walletusers"), "{e}");
    let both = format!("{SAMPLE}\nsimnet=1\n");
    assert!(PoolConfig::from_ini(&both)
        .unwrap_err()
        .to_string()
        .contains("can't be used together"));
    let fee = SAMPLE.replace("poolfees=2.5", "poolfees=0.001");
    assert_eq!(
        PoolConfig::from_ini(&fee).unwrap_err().to_string(),
        "poolfees: invalid pool fee 0.001 (must be 0.01 to 100 percent)"
    );
    let syntax = "just words\n";
    assert!(matches!(
        PoolConfig::from_ini(syntax),
        Err(ConfigError::Syntax { line: 1, .. })
    ));
    let no_db = SAMPLE.replace("dbpassword=pw", "");
    assert_eq!(
        PoolConfig::from_ini(&no_db).unwrap_err().to_string(),
        "dbpassword is not set in config"
    );
    let url_only = format!("{no_db}\ndburl=sqlite://x.db\n");
    let c = PoolConfig::from_ini(&url_only).unwrap();
    assert_eq!(c.db.password.expose(), "");
    assert_eq!(
        c.db.url.as_ref().map(|u| u.expose().as_str()),
        Some("sqlite://x.db")
    );
}

#[test]
fn later_layers_win_and_lists_take_first_occurrence() {
    let mut src = sources();
    src.layer(parse_ini(SAMPLE).unwrap()).unwrap();
    src.layer(parse_ini("wallethosts=h1\nwallethosts=h2\n").unwrap())
        .unwrap();
    assert_eq!(src.get("wallethosts"), Some("h1"));
    src.layer(vec![Setting {
        key: "poolfees".into(),
        value: "3".into(),
    }])
    .unwrap();
    assert_eq!(src.get("poolfees"), Some("3"));
}

#[test]
fn default_ports() {
    assert_eq!(with_default_port("host", 1), "host:1");
    assert_eq!(with_default_port("host:2", 1), "host:2");
    assert_eq!(with_default_port("::1", 1), "[::1]:1");
    assert_eq!(with_default_port("[::1]", 1), "[::1]:1");
    assert_eq!(with_default_port("[::1]:5", 1), "[::1]:5");
}

/// The operator's sample at the repository root.
const SHIPPED_SAMPLE: &str = include_str!("../../../sample-hcstakepool.conf");

#[test]
fn shipped_sample_loads_and_documents_every_key() {
    let c = PoolConfig::from_ini(SHIPPED_SAMPLE).unwrap();
    assert_eq!(c.network, Network::Mainnet);
    assert_eq!(c.wallets.len(), 2);
    assert_eq!(c.min_servers, 2);
    assert!((c.pool_fees.percent() - 7.5).abs() < 1e-9);
    for key in known_keys() {
        assert!(
            SHIPPED_SAMPLE.contains(&format!("{key}=")),
            "sample-hcstakepool.conf does not document {key}"
        );
    }
}

#[test]
fn stakepoold_client_cert_and_key_go_together() {
    let c = PoolConfig::from_ini(SAMPLE).unwrap();
    assert!(c.stakepoold_client_cert.is_empty() && c.stakepoold_client_key.is_empty());
    let both = format!("{SAMPLE}\nstakepooldclientcert=c.pem\nstakepooldclientkey=k.pem\n");
    let c = PoolConfig::from_ini(&both).unwrap();
    assert_eq!(
        (
            c.stakepoold_client_cert.as_str(),
            c.stakepoold_client_key.as_str()
        ),
        ("c.pem", "k.pem")
    );
    let one = format!("{SAMPLE}\nstakepooldclientcert=c.pem\n");
    let e = PoolConfig::from_ini(&one).unwrap_err().to_string();
    assert!(e.contains("stakepooldclientkey"), "{e}");
}

#[test]
fn pool_and_web_keys_do_not_overlap() {
    for key in WEB_KEYS {
        assert!(!POOL_KEYS.contains(key), "{key} has two owners");
    }
}

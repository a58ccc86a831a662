use super::*;

const SAMPLE: &str = r#"
[Application Options]
; comment
apisecret=secret-jwt
cookiesecret=cookie
dbpassword=pw
coldwalletextpub=tpubCold
votingwalletextpub=tpubVoting
testnet=1
wallethosts=127.0.0.1,10.0.0.2:12345
walletusers=u1,u2
walletpasswords=p1,p2
walletcerts=a.cert,b.cert
adminips=127.0.0.1
adminuserids=1,2
adminuserids=7
poolfees=2.5
"#;

#[test]
fn sample_parses_with_defaults() {
    let c = PoolConfig::from_ini(SAMPLE).unwrap();
    assert_eq!(c.network, Network::Testnet);
    assert_eq!(c.wallet_hosts, vec!["127.0.0.1:12010", "10.0.0.2:12345"]);
    assert_eq!(c.min_servers, 2);
    assert_eq!(c.max_voted_age, 8640);
    assert_eq!(c.max_users, DEFAULT_MAX_USERS);
    assert_eq!(c.listen, ":8000");
    assert_eq!(c.base_url, "http://127.0.0.1:8000");
    assert_eq!(c.pool_fees, 2.5);
    assert_eq!(c.admin_user_ids, vec![1, 2, 7]);
    assert!(!c.cookie_secure);
    assert_eq!(c.db_name, "stakepool");
}

#[test]
fn debug_hides_secrets() {
    let c = PoolConfig::from_ini(SAMPLE).unwrap();
    let d = format!("{c:?}");
    assert!(!d.contains("secret-jwt") && !d.contains("cookie\"") && !d.contains("p1"));
}

#[test]
fn missing_and_bad_keys_are_named() {
    let no_api = SAMPLE.replace("apisecret=secret-jwt", "");
    assert_eq!(
        PoolConfig::from_ini(&no_api).unwrap_err().to_string(),
        "APIsecret is not set in config"
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
    assert!(PoolConfig::from_ini(&fee)
        .unwrap_err()
        .to_string()
        .starts_with("poolfees"));
    let syntax = "just words\n";
    assert!(matches!(
        PoolConfig::from_ini(syntax),
        Err(ConfigError::Syntax { line: 1, .. })
    ));
}

#[test]
fn later_layers_win_and_lists_take_first_occurrence() {
    let mut src = ConfigSources::new();
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

#[test]
fn hcpool_operations_keys() {
    let c = PoolConfig::from_ini(SAMPLE).unwrap();
    assert_eq!(c.api_rate_limit, 600);
    assert!(!c.maintenance && !c.captcha);
    assert!(c.maintenance_msg.contains("maintenance"));
    let on =
        format!("{SAMPLE}\napiratelimit=0\nmaintenance=1\nmaintenancemsg=back at 5\ncaptcha=yes\n");
    let c = PoolConfig::from_ini(&on).unwrap();
    assert_eq!(c.api_rate_limit, 0);
    assert!(c.maintenance && c.captcha);
    assert_eq!(c.maintenance_msg, "back at 5");
    let bad = format!("{SAMPLE}\napiratelimit=lots\n");
    let e = PoolConfig::from_ini(&bad).unwrap_err().to_string();
    assert!(e.contains("apiratelimit"), "{e}");
    let bad = format!("{SAMPLE}\ncaptcha=maybe\n");
    let e = PoolConfig::from_ini(&bad).unwrap_err().to_string();
    assert!(e.contains("captcha"), "{e}");
}

/// The operator's sample at the repository root.
const SHIPPED_SAMPLE: &str = include_str!("../../../sample-hcstakepool.conf");

#[test]
fn shipped_sample_loads_and_documents_every_key() {
    let c = PoolConfig::from_ini(SHIPPED_SAMPLE).unwrap();
    assert_eq!(c.network, Network::Mainnet);
    assert_eq!(c.wallet_hosts.len(), 2);
    assert_eq!(c.min_servers, 2);
    assert!((c.pool_fees - 7.5).abs() < 1e-9);
    assert!(
        c.smtp_host.is_empty(),
        "mail goes to the log until smtphost is set"
    );
    for key in KNOWN_KEYS {
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
fn smtpcert_is_read() {
    let c = PoolConfig::from_ini(&format!("{SAMPLE}\nsmtpcert=relay-ca.pem\n")).unwrap();
    assert_eq!(c.smtp_cert, "relay-ca.pem");
    assert_eq!(PoolConfig::from_ini(SAMPLE).unwrap().smtp_cert, "");
}

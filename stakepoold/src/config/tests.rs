use super::*;

fn args(v: &[&str]) -> Args {
    let mut full = vec!["stakepoold"];
    full.extend_from_slice(v);
    Args::parse_from(full)
}

const FILE: &str = "[Application Options]\n\
coldwalletextpub=tpubX\n\
poolfees=5\n\
dbhost=db.local\n\
dbpassword=secret\n\
hcdhost=127.0.0.1\n\
hcduser=u\n\
hcdpassword=p\n\
hcdcert=hcd.cert\n\
wallethost=10.0.0.2:1234\n\
walletuser=u\n\
walletpassword=p\n\
walletcert=/abs/wallet.cert\n";

#[test]
fn file_values_defaults_and_hc_ports() {
    let c = Config::from_parts(&args(&[]), Some(FILE), "/home/x/.stakepoold".into()).unwrap();
    assert_eq!(c.network, Network::Mainnet);
    let hcd = c.upstream.hcd().unwrap();
    assert_eq!(
        hcd.host, "127.0.0.1:14009",
        "HC's real hcd port, not Decred's 9109"
    );
    assert_eq!(hcd.cert, PathBuf::from("/home/x/.stakepoold/hcd.cert"));
    let w = c.upstream.wallet().unwrap();
    assert_eq!(w.host, "10.0.0.2:1234");
    assert_eq!(w.cert, PathBuf::from("/abs/wallet.cert"));
    assert_eq!(c.pool_fees.hundredths(), 500);
    assert!(
        !c.allow_wallet_voting,
        "a voting wallet is refused by default"
    );
    assert_eq!(c.rpc_listen, vec!["localhost:9113".to_owned()]);
    assert_eq!(c.datadir, PathBuf::from("/home/x/.stakepoold/data/mainnet"));
    assert_eq!(c.rpc_cert, PathBuf::from("/home/x/.stakepoold/rpc.cert"));
    match c.db.as_ref().unwrap() {
        DbConfig::MySql {
            host,
            user,
            port,
            name,
            ..
        } => {
            assert_eq!(
                (host.as_str(), user.as_str(), *port, name.as_str()),
                ("db.local", "stakepool", 3306, "stakepool")
            );
        }
        other => panic!("expected MySQL keys, got {other:?}"),
    }
    assert!(!format!("{c:?}").contains("secret"), "no password in Debug");
}

#[test]
fn flags_override_file_and_testnet_ports() {
    let c = Config::from_parts(
        &args(&[
            "--testnet",
            "--hcdhost",
            "node",
            "--poolfees",
            "7.5",
            "--rpclisten",
            "0.0.0.0",
            "--rpclisten",
            "[::1]:5000",
            "--dburl",
            "sqlite://pool.db",
            "--noclientauth",
        ]),
        Some(FILE),
        "/a".into(),
    )
    .unwrap();
    assert_eq!(c.network, Network::Testnet);
    assert_eq!(c.upstream.hcd().unwrap().host, "node:12009");
    assert_eq!(c.upstream.wallet().unwrap().host, "10.0.0.2:1234");
    assert_eq!(c.pool_fees.hundredths(), 750);
    assert_eq!(c.rpc_listen, vec!["0.0.0.0:19113", "[::1]:5000"]);
    assert_eq!(c.db.unwrap().url().expose(), "sqlite://pool.db");
}

#[test]
fn required_and_invalid_values_are_errors() {
    let missing = Config::from_parts(&args(&["--poolfees", "7.5"]), None, "/a".into()).unwrap_err();
    assert!(
        missing.to_string().contains("coldwalletextpub is required"),
        "{missing}"
    );
    let fee = Config::from_parts(&args(&["--poolfees", "0"]), Some(FILE), "/a".into()).unwrap_err();
    assert!(fee.to_string().contains("invalid pool fee"), "{fee}");
    let both =
        Config::from_parts(&args(&["--testnet", "--simnet"]), Some(FILE), "/a".into()).unwrap_err();
    assert!(
        both.to_string().contains("can't be used together"),
        "{both}"
    );
    let unknown = Config::from_parts(&args(&[]), Some("bogus=1\n"), "/a".into()).unwrap_err();
    assert!(unknown.to_string().contains("bogus"), "{unknown}");
}

#[test]
fn demo_needs_nothing_and_keeps_cert_in_datadir() {
    let c = Config::from_parts(
        &args(&[
            "--demo",
            "--rpclisten",
            "127.0.0.1:0",
            "--datadir",
            "/tmp/d",
        ]),
        None,
        "/a".into(),
    )
    .unwrap();
    assert_eq!(c.upstream, Upstream::Simulated);
    assert_eq!(c.network, Network::Simnet);
    assert_eq!(c.rpc_cert, PathBuf::from("/tmp/d/rpc.cert"));
    assert_eq!(c.rpc_listen, vec!["127.0.0.1:0"]);
    assert!(c.db.is_none());
}

#[test]
fn norpclisten_and_simnet_ports() {
    let c = Config::from_parts(
        &args(&["--simnet", "--norpclisten"]),
        Some(FILE),
        "/a".into(),
    )
    .unwrap();
    assert!(c.rpc_listen.is_empty());
    assert_eq!(c.upstream.hcd().unwrap().host, "127.0.0.1:13009");
}

/// The operator's sample at the repository root.
const SHIPPED_SAMPLE: &str = include_str!("../../../sample-stakepoold.conf");

#[test]
fn shipped_sample_loads_and_documents_every_file_key() {
    let c = Config::from_parts(&args(&[]), Some(SHIPPED_SAMPLE), "/pool".into()).unwrap();
    assert_eq!(c.network, Network::Mainnet);
    assert_eq!(
        c.upstream.wallet().map(|w| w.host.as_str()),
        Some("127.0.0.1:14010")
    );
    assert_eq!(c.rpc_listen, ["localhost:9113"]);
    // Flag-only keys need no line in the file.
    for key in KNOWN_KEYS.iter().filter(|k| {
        ![
            "appdata",
            "configfile",
            "demo",
            "profile",
            "cpuprofile",
            "memprofile",
        ]
        .contains(k)
    }) {
        assert!(
            SHIPPED_SAMPLE.contains(&format!("{key}=")),
            "sample-stakepoold.conf does not document {key}"
        );
    }
}

#[test]
fn poolfees_has_no_default() {
    // The original's default (5) was not the wallets' --poolfees (7.5 on the real simnet),
    // and the fee check then disagreed with the wallet's own: no silent default.
    let without = FILE.replace("poolfees=5\n", "");
    let e = Config::from_parts(&args(&[]), Some(&without), "/a".into()).unwrap_err();
    assert!(e.to_string().contains("poolfees is required"), "{e}");
    let e =
        Config::from_parts(&args(&["--poolfees", " "]), Some(&without), "/a".into()).unwrap_err();
    assert!(e.to_string().contains("poolfees is required"), "{e}");
    let c = Config::from_parts(&args(&["--poolfees", "7.5"]), Some(&without), "/a".into()).unwrap();
    assert_eq!(c.pool_fees.hundredths(), 750);
}

#[test]
fn allowwalletvoting_from_file_or_flag() {
    let on = format!("{FILE}allowwalletvoting=1\n");
    let c = Config::from_parts(&args(&[]), Some(&on), "/a".into()).unwrap();
    assert!(c.allow_wallet_voting);
    let c = Config::from_parts(&args(&["--allowwalletvoting"]), Some(FILE), "/a".into()).unwrap();
    assert!(c.allow_wallet_voting);
    let off = format!("{FILE}allowwalletvoting=0\n");
    let c = Config::from_parts(&args(&[]), Some(&off), "/a".into()).unwrap();
    assert!(!c.allow_wallet_voting);
}

#[test]
fn listening_beyond_loopback_needs_client_auth_or_the_explicit_compat_mode() {
    // Loopback only: served without client certificates, as the original.
    let c = Config::from_parts(&args(&[]), Some(FILE), "/a".into()).unwrap();
    assert!(c.client_ca_file.is_none() && !c.no_client_auth);
    assert!(c.unauthenticated_listeners().is_empty());
    // Beyond loopback without either: refused, naming both ways out.
    for open in ["0.0.0.0", "10.0.0.5:9113", ":9113", "pool.example.com"] {
        let err = Config::from_parts(&args(&["--rpclisten", open]), Some(FILE), "/a".into())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("clientcafile") && err.contains("noclientauth"),
            "{open}: {err}"
        );
    }
    // The compat mode (the original web app) is allowed and reported for the warning.
    let compat = Config::from_parts(
        &args(&["--rpclisten", "0.0.0.0", "--noclientauth"]),
        Some(FILE),
        "/a".into(),
    )
    .unwrap();
    assert_eq!(compat.unauthenticated_listeners(), vec!["0.0.0.0:9113"]);
    // With a client CA file nothing is unauthenticated; relative paths are under appdata.
    let file = format!("{FILE}rpclisten=0.0.0.0\nclientcafile=clients.pem\n");
    let mtls = Config::from_parts(&args(&[]), Some(&file), "/a".into()).unwrap();
    assert_eq!(mtls.client_ca_file, Some(PathBuf::from("/a/clients.pem")));
    assert!(mtls.unauthenticated_listeners().is_empty());
    // Both at once is a contradiction.
    let both = Config::from_parts(&args(&["--noclientauth"]), Some(&file), "/a".into())
        .unwrap_err()
        .to_string();
    assert!(both.contains("contradict"), "{both}");
    for (addr, lo) in [
        ("localhost:9113", true),
        ("127.0.0.1:1", true),
        ("[::1]:5000", true),
        ("0.0.0.0:1", false),
        ("[::]:1", false),
        (":1", false),
        ("host:1", false),
    ] {
        assert_eq!(is_loopback_listen(addr), lo, "{addr}");
    }
}

#[test]
fn tlscurve_and_maxusers() {
    use hcpool_rpc::pinned_tls::CertCurve;
    let c = Config::from_parts(&args(&[]), Some(FILE), "/a".into()).unwrap();
    assert_eq!((c.tls_curve, c.max_users), (CertCurve::P256, 10_000));
    let file = format!("{FILE}tlscurve=P-521\nmaxusers=20000\n");
    let c = Config::from_parts(&args(&[]), Some(&file), "/a".into()).unwrap();
    assert_eq!((c.tls_curve, c.max_users), (CertCurve::P521, 20_000));
    let c = Config::from_parts(
        &args(&["--tlscurve", "p-256", "--maxusers", "30000"]),
        Some(&file),
        "/a".into(),
    )
    .unwrap();
    assert_eq!((c.tls_curve, c.max_users), (CertCurve::P256, 30_000));
    for (k, v, want) in [
        ("tlscurve", "P-384", "use P-256 or P-521"),
        ("maxusers", "0", "invalid maxusers"),
        ("maxusers", "many", "invalid maxusers"),
        ("maxusers", "2147483649", "invalid maxusers"),
    ] {
        let e = Config::from_parts(&args(&[]), Some(&format!("{FILE}{k}={v}\n")), "/a".into())
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{k}={v}: {e}");
    }
}

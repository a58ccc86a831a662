//! The `stakepoold` binary as an operator starts it: `--version` with the commit,
//! `--debuglevel show`, exit codes (1 configuration, 3 hcwallet/hcd, 5 a listener in use,
//! 7 a database down without a saved state), and the log file
//! `<logdir>/<network>/stakepoold.log` under the appdata dir. (6, a failure while running,
//! has no reproducible trigger: nothing is fatal once the daemon runs.)

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn stakepoold(appdata: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stakepoold"))
        .arg("--appdata")
        .arg(appdata)
        .args(args)
        .env_remove("STAKEPOOLD_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn version_and_show() {
    let dir = tempfile::tempdir().unwrap();
    let o = stakepoold(dir.path(), &["--version"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with(&format!(
            "stakepoold {} (commit ",
            env!("CARGO_PKG_VERSION")
        )),
        "{out}"
    );
    let o = stakepoold(dir.path(), &["--debuglevel", "show"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "Supported subsystems [DB GRPC RPCC STPK]"
    );
}

/// A stakepoold.conf with the simulator's cold xpub and hcd/hcwallet nobody serves.
fn conf(dir: &Path, extra: &str) -> String {
    let cert = dir.join("peer.cert");
    std::fs::write(&cert, "not a certificate").unwrap();
    let path = dir.join("stakepoold.conf");
    std::fs::write(
        &path,
        format!(
            "simnet=1\ncoldwalletextpub={}\npoolfees=5\nhcdhost=127.0.0.1:1\nhcduser=u\n\
             hcdpassword=p\nhcdcert={c}\nwallethost=127.0.0.1:2\nwalletuser=u\n\
             walletpassword=p\nwalletcert={c}\ndburl={}\nmaxlogsize=1\nlogstokeep=1\n{extra}",
            hcpool_simnet::DEFAULT_COLD_XPUB,
            hcpool_db::sqlite_url_for_path(&dir.join("pool.db")),
            c = cert.display(),
        ),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn config_errors_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let o = stakepoold(dir.path(), &["--no-such-flag"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let path = conf(dir.path(), "debuglevel=STPK=debug,HCS=info\n");
    let o = stakepoold(dir.path(), &["-C", &path]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(
            "The specified subsystem [HCS] is invalid -- supported subsystems [DB GRPC RPCC STPK]"
        ),
        "{}",
        text(&o)
    );
    let path = conf(dir.path(), "maxlogsize=0\n");
    let o = stakepoold(dir.path(), &["-C", &path]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("maxlogsize"), "{}", text(&o));
}

#[test]
fn unusable_wallet_or_node_exits_3_and_logs_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = conf(dir.path(), "debuglevel=DB=debug\n");
    let o = stakepoold(dir.path(), &["-C", &path]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let log = dir
        .path()
        .join("logs")
        .join("simnet")
        .join("stakepoold.log");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("stakepoold starting"), "{logged}");
    assert!(logged.contains("certificate"), "{logged}");
    // The same lines went to stderr.
    assert!(text(&o).contains("stakepoold starting"), "{}", text(&o));
}

/// A port in this suite's range (41000-41099) that nothing listens on.
fn closed_port() -> u16 {
    for port in 41_050..41_100 {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in 41050-41099");
}

#[test]
fn database_down_without_a_saved_state_exits_7() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "mysql://pool:secretpw@127.0.0.1:{}/stakepool",
        closed_port()
    );
    let path = conf(dir.path(), &format!("dburl={url}\n"));
    let o = stakepoold(dir.path(), &["-C", &path]);
    assert_eq!(o.status.code(), Some(7), "{}", text(&o));
    assert!(text(&o).contains("no saved state"), "{}", text(&o));
    assert!(!text(&o).contains("secretpw"), "{}", text(&o));

    // With a saved state (`<datadir>/state.json`, the datadir `<appdata>/data/simnet`) it
    // starts on it, and then fails at the wallet nobody serves: 3.
    let datadir = dir.path().join("data").join("simnet");
    std::fs::create_dir_all(&datadir).unwrap();
    let saved = stakepoold::state::SavedState {
        saved_at: 1,
        users: Vec::new(),
        added_low_fee_tickets: Vec::new(),
    };
    stakepoold::state::write_atomic(
        &datadir.join(stakepoold::state::STATE_FILE),
        &stakepoold::state::encode(&saved, hcpool_core::Network::Simnet).unwrap(),
    )
    .unwrap();
    let o = stakepoold(dir.path(), &["-C", &path]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
}

/// A stakepoold.conf for the simulated cluster's first wallet and hcd.
fn sim_conf(dir: &Path, cluster: &hcpool_simnet::SimCluster, extra: &str) -> String {
    let w = cluster.wallets()[0];
    let n = cluster.nodes()[0];
    let c = cluster.config();
    let path = dir.join("stakepoold.conf");
    std::fs::write(
        &path,
        format!(
            "simnet=1\ncoldwalletextpub={}\npoolfees={}\nhcdhost={}\nhcduser={u}\n\
             hcdpassword={p}\nhcdcert={}\nwallethost={}\nwalletuser={u}\n\
             walletpassword={p}\nwalletcert={}\n{extra}",
            c.cold_xpub,
            c.pool_fees,
            n.addr,
            n.cert_path.display(),
            w.addr,
            w.cert_path.display(),
            u = c.user,
            p = c.password,
        ),
    )
    .unwrap();
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_in_use_exits_5() {
    let cluster = hcpool_simnet::SimCluster::start(hcpool_simnet::SimConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let path = sim_conf(
        dir.path(),
        &cluster,
        &format!(
            "dburl={}\nrpclisten={}\n",
            hcpool_db::sqlite_url_for_path(&dir.path().join("pool.db")),
            taken.local_addr().unwrap()
        ),
    );
    let appdata = dir.path().to_path_buf();
    let o = tokio::task::spawn_blocking(move || stakepoold(&appdata, &["-C", &path]))
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(text(&o).contains("gRPC listen"), "{}", text(&o));
}

/// The binary: a SQLite database that cannot be opened at start (its directory is missing)
/// with a saved state: it starts on the state, retries the database, and switches to it
/// once the directory exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_comes_back_is_switched_to() {
    let cluster = hcpool_simnet::SimCluster::start(hcpool_simnet::SimConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db_dir = dir.path().join("db");
    let datadir = dir.path().join("data").join("simnet");
    std::fs::create_dir_all(&datadir).unwrap();
    let saved = stakepoold::state::SavedState {
        saved_at: 1,
        users: Vec::new(),
        added_low_fee_tickets: Vec::new(),
    };
    stakepoold::state::write_atomic(
        &datadir.join(stakepoold::state::STATE_FILE),
        &stakepoold::state::encode(&saved, hcpool_core::Network::Simnet).unwrap(),
    )
    .unwrap();
    let path = sim_conf(
        dir.path(),
        &cluster,
        &format!(
            "dburl={}\nnorpclisten=1\n",
            hcpool_db::sqlite_url_for_path(&db_dir.join("pool.db"))
        ),
    );
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_stakepoold"))
        .arg("--appdata")
        .arg(dir.path())
        .args(["-C", &path])
        .env_remove("STAKEPOOLD_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let log = dir
        .path()
        .join("logs")
        .join("simnet")
        .join("stakepoold.log");
    let wait_for = |what: &'static str| {
        let log = log.clone();
        async move {
            for _ in 0..300 {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                if text.contains(what) {
                    return text;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!(
                "no {what:?} in the log within 30 s: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
    };
    wait_for("voting with the state saved before").await;
    assert!(child.try_wait().unwrap().is_none(), "still running");
    std::fs::create_dir_all(&db_dir).unwrap();
    let text = wait_for("the database answers again: switched to it").await;
    assert!(
        text.contains("database opened") || text.contains("switched"),
        "{text}"
    );
    assert!(db_dir.join("pool.db").exists());
    let pid = child.id().unwrap();
    let killed = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait())
        .await
        .expect("stops after SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

//! The `stakepoold` binary as an operator starts it: `--version` with the commit,
//! `--debuglevel show`, exit codes (1 configuration, 3 hcwallet/hcd), and the log file
//! `<logdir>/<network>/stakepoold.log` under the appdata dir.

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

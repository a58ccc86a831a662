//! The `hcpool-web` binary as an operator starts it: `--version`, `debuglevel=show`, the
//! exit code of each start-up failure (hcstakepool's numbers, `hcpool_web::exit`), the log
//! file under `logdir`, and a pool served on a Unix socket with the operator's `publicpath`
//! files and a warning for unused `views/*.html`.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use hcpool_simnet::{SimCluster, SimConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hcpool-web"));
    c.env_remove("HCPOOL_LOG").kill_on_drop(true);
    c
}

async fn run(cmd: &mut Command) -> Output {
    tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("hcpool-web did not stop within 120 s")
        .expect("hcpool-web runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A config file in `dir` with `body` plus the secrets and `nosmtp` every run needs; logs
/// under `dir/logs`; HOME is `dir` too (nothing lands in the real home).
fn conf(dir: &Path, body: &str) -> (PathBuf, Command) {
    let path = dir.join("hcstakepool.conf");
    std::fs::write(
        &path,
        format!(
            "apisecret=a\ncookiesecret=c\nnosmtp=1\nlogdir={}\ntemplatepath={}\n{body}",
            dir.join("logs").display(),
            dir.join("views").display(),
        ),
    )
    .unwrap();
    let mut c = bin();
    c.env("HOME", dir).arg("-C").arg(&path);
    (path, c)
}

/// Wallet and key settings that parse (nothing answers at these hosts).
const WALLETS: &str = "wallethosts=127.0.0.1:2,127.0.0.1:3\nwalletusers=u,u\n\
    walletpasswords=p,p\nwalletcerts=a.cert,b.cert\nvotingwalletextpub=x\n\
    coldwalletextpub=y\ndbpassword=p\n";

fn sqlite(dir: &Path) -> String {
    format!(
        "dburl={}\n",
        hcpool_db::sqlite_url_for_path(&dir.join("pool.db"))
    )
}

#[tokio::test]
async fn version_names_the_commit() {
    let o = run(bin().arg("--version")).await;
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        out.starts_with(&format!(
            "hcpool-web {} (commit ",
            env!("CARGO_PKG_VERSION")
        )),
        "{out}"
    );
    let o = run(bin().arg("-V")).await;
    assert_eq!(o.status.code(), Some(0));
}

#[tokio::test]
async fn config_failures_exit_1_and_show_lists_subsystems() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(bin().env("HOME", dir.path()).arg("--no-such-flag")).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let o = run(bin().arg("-C").arg(dir.path().join("missing.conf"))).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("missing.conf"), "{}", text(&o));
    let (_, mut c) = conf(
        dir.path(),
        &format!("{WALLETS}debuglevel=HCS=debug,FOO=trace\n"),
    );
    let o = run(&mut c).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("The specified subsystem [FOO] is invalid"),
        "{}",
        text(&o)
    );
    let (_, mut c) = conf(dir.path(), "");
    let o = run(c.args(["--debuglevel", "show"])).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "Supported subsystems [CNTL GRPC HCS MODL SYTM]"
    );
}

#[tokio::test]
async fn unreachable_database_exits_7_and_the_log_file_says_why() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback refuses at once.
    let (_, mut c) = conf(
        dir.path(),
        &format!(
            "{WALLETS}testnet=1\ndburl=mysql://pool:pw@127.0.0.1:1/stakepool\n\
             maxlogsize=1\nlogstokeep=2\n"
        ),
    );
    let o = run(&mut c).await;
    assert_eq!(o.status.code(), Some(7), "{}", text(&o));
    let log = dir
        .path()
        .join("logs")
        .join("testnet2")
        .join("hcstakepool.log");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("hcpool-web starting"), "{logged}");
    assert!(logged.contains("database"), "{logged}");
    assert!(!logged.contains("pw@"), "no password in the log: {logged}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_stakepoold_listen_template_and_sync_failures_have_their_codes() {
    let cluster = SimCluster::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = format!("{}{}", cluster.conf_fragment(), sqlite(dir.path()));

    // Wallets that do not answer: 3.
    let (_, mut c) = conf(dir.path(), &base);
    let o = run(c.args(["--wallethosts", "127.0.0.1:1,127.0.0.1:2"])).await;
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));

    // A stakepoold whose certificate cannot be loaded: 8.
    let (_, mut c) = conf(
        dir.path(),
        &format!(
            "{base}enablestakepoold=1\nstakepooldhosts=127.0.0.1:1\nstakepooldcerts={}\n",
            dir.path().join("no-such.cert").display()
        ),
    );
    let o = run(&mut c).await;
    assert_eq!(o.status.code(), Some(8), "{}", text(&o));

    // A listen value that is neither host:port nor a socket path: 5, after the rest is up.
    let (_, mut c) = conf(dir.path(), &format!("{base}listen=web.sock\n"));
    let o = run(&mut c).await;
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));

    // A port another process holds: 5.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (_, mut c) = conf(
        dir.path(),
        &format!("{base}listen={}\n", taken.local_addr().unwrap()),
    );
    let o = run(&mut c).await;
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));

    // A template override (`templatepath`, here `views/`) that does not compile: 2.
    let views = dir.path().join("views");
    std::fs::create_dir_all(&views).unwrap();
    std::fs::write(views.join("home.hbs"), "{{#if}}unclosed").unwrap();
    let (_, mut c) = conf(dir.path(), &base);
    let o = run(&mut c).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("home"), "{}", text(&o));
    std::fs::remove_file(views.join("home.hbs")).unwrap();

    // The start-up wallet sync fails (a wallet refuses `accountsyncaddressindex`): 4.
    let mut faults = hcpool_simnet::Faults::default();
    faults.method_errors.insert(
        "accountsyncaddressindex".into(),
        hcpool_simnet::RpcError::new(-32603, "wallet database busy"),
    );
    cluster
        .set_faults(cluster.wallets()[1].role, faults)
        .unwrap();
    let (_, mut c) = conf(dir.path(), &base);
    let o = run(&mut c).await;
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(text(&o).contains("wallet sync"), "{}", text(&o));
}

/// One HTTP/1.1 request over the Unix socket; the whole answer.
async fn get_over_socket(sock: &Path, path: &str) -> String {
    let mut s = tokio::net::UnixStream::connect(sock).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: pool\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out))
        .await
        .expect("answer within 20 s")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_on_a_unix_socket_with_the_operators_public_files() {
    let cluster = SimCluster::start(SimConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let public = d.join("public");
    std::fs::create_dir_all(public.join("images")).unwrap();
    std::fs::create_dir_all(public.join("css")).unwrap();
    std::fs::write(public.join("images").join("favicon.ico"), b"ICO!").unwrap();
    std::fs::write(public.join("css").join("styles.css"), "body{color:red}").unwrap();
    std::fs::create_dir_all(d.join("views").join("auth")).unwrap();
    std::fs::write(
        d.join("views").join("home.html"),
        "{{define \"home\"}}mine{{end}}",
    )
    .unwrap();
    std::fs::write(d.join("views").join("auth").join("signin.html"), "mine").unwrap();
    let sock = d.join("web.sock");
    let (_, mut c) = conf(
        d,
        &format!(
            "{}{}listen={}\npublicpath={}\n",
            cluster.conf_fragment(),
            sqlite(d),
            sock.display(),
            public.display()
        ),
    );
    let mut child = c
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut ready = false;
    for _ in 0..600 {
        if tokio::net::UnixStream::connect(&sock).await.is_ok() {
            ready = true;
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("hcpool-web stopped: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "no socket at {} within 60 s", sock.display());
    let status = get_over_socket(&sock, "/status").await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert!(status.contains("\"status\":\"ok\""), "{status}");
    let icon = get_over_socket(&sock, "/favicon.ico").await;
    assert!(icon.starts_with("HTTP/1.1 200"), "{icon}");
    assert!(icon.ends_with("ICO!"), "{icon}");
    let css = get_over_socket(&sock, "/assets/css/styles.css").await;
    assert!(
        css.starts_with("HTTP/1.1 200") && css.contains("color:red"),
        "{css}"
    );
    let own = get_over_socket(&sock, "/assets/style.css").await;
    assert!(
        own.starts_with("HTTP/1.1 200"),
        "hcpool's own sheet still answers: {own}"
    );
    let missing = get_over_socket(&sock, "/assets/nosuch.js").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    let listing = get_over_socket(&sock, "/assets/css/").await;
    assert!(
        !listing.contains("styles.css"),
        "no directory listing: {listing}"
    );

    // SIGTERM: a clean stop removes the socket file.
    let pid = child.id().unwrap();
    let killed = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("stops within 30 s after SIGTERM")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(!sock.exists(), "socket file removed at shutdown");

    let log =
        std::fs::read_to_string(d.join("logs").join("simnet").join("hcstakepool.log")).unwrap();
    assert!(log.contains("listening on a Unix socket"), "{log}");
    let warning = log
        .lines()
        .find(|l| l.contains("customised templates hcpool does not use"))
        .unwrap_or_else(|| panic!("no unused-template warning: {log}"));
    assert!(
        warning.contains("auth/signin.html") && warning.contains("home.html"),
        "{warning}"
    );
}

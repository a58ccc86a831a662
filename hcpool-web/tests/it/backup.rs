//! Issue 15, backups on MySQL/MariaDB: the documented dump (README "Backups": `mariadb-dump
//! --single-transaction --hex-blob …`) restored into a new database serves: the store opens
//! on it, reads the user, and the web app answers `/` and signs the user in.

use std::process::Command;
use std::sync::Arc;

use hcpool_core::backend::{NewUser, Store, WalletBackend};
use hcpool_core::service::{PoolParts, PoolService, VotingNodes};
use hcpool_core::{Network, PoolKeys, Secret, SystemClock, VoteBits};
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;

use super::common::*;

/// `mariadb`/`mariadb-dump` arguments for the server of a `mysql://user[:pass]@host:port/db`.
fn client_args(url: &str) -> Vec<String> {
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

fn sql(args: &[String], statement: &str) {
    let out = Command::new("mariadb")
        .args(args)
        .arg("-e")
        .arg(statement)
        .output()
        .expect("the mariadb client");
    assert!(
        out.status.success(),
        "{statement}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[rocket::async_test]
#[allow(clippy::print_stdout)] // The skip lines.
async fn a_mariadb_dump_restored_into_a_new_database_serves() {
    let Ok(server) = std::env::var("HCPOOL_TEST_MYSQL_URL") else {
        println!("skipped: HCPOOL_TEST_MYSQL_URL unset (the MariaDB dump/restore test)");
        return;
    };
    if Command::new("mariadb-dump")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("skipped: mariadb-dump not installed");
        return;
    }
    let args = client_args(&server);
    let tag = format!("{}_{}", std::process::id(), rand_suffix());
    let (src, dst) = (
        format!("hcpool_dump_src_{tag}"),
        format!("hcpool_dump_dst_{tag}"),
    );
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    sql(
        &args,
        &format!("CREATE DATABASE `{src}`; CREATE DATABASE `{dst}`"),
    );
    // Dropped at the end, also when an assertion fails.
    let _guard = DropDbs(args.clone(), vec![src.clone(), dst.clone()]);

    // A pool database with a verified, registered user.
    let sql_store = hcpool_db::SqlStore::connect(&format!("{base}/{src}"))
        .await
        .unwrap();
    let store: &dyn Store = &sql_store;
    let hash = hcpool_web::auth::hash_password("password1".into())
        .await
        .unwrap();
    let id = store
        .create_user(&NewUser {
            email: "alice@example.com".into(),
            password_hash: hash,
            email_token: Secret::new("tok".into()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await
        .unwrap();
    store.verify_email("tok").await.unwrap();
    sql_store.close().await;

    // The documented dump, restored with the client into a new database.
    let dump = Command::new("mariadb-dump")
        .args(&args)
        .args([
            "--single-transaction",
            "--hex-blob",
            "--routines",
            "--triggers",
            "--events",
        ])
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let mut restore = Command::new("mariadb")
        .args(&args)
        .arg(&dst)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        restore
            .stdin
            .take()
            .unwrap()
            .write_all(&dump.stdout)
            .unwrap();
    }
    assert!(restore.wait().unwrap().success());

    // The store opens on the copy (its migrations are there: nothing to do) and reads the
    // user; the web app on it answers and signs the user in.
    let sql_store = hcpool_db::SqlStore::connect(&format!("{base}/{dst}"))
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(sql_store.clone());
    let user = store
        .user_by_email("alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.id, id);
    assert!(user.is_verified());
    let pool = PoolService::new(PoolParts {
        network: Network::Testnet,
        keys: Arc::new(PoolKeys::from_strings(VOTING, COLD, Network::Testnet).unwrap()),
        pool_fees: hcpool_core::PoolFeeRate::from_percent(7.5).unwrap(),
        store: store.clone(),
        wallets: Arc::new(FakeWallet::default()) as Arc<dyn WalletBackend>,
        nodes: Arc::new(VotingNodes::new(vec![])),
        clock: Arc::new(SystemClock),
    });
    let state = hcpool_web::AppState::build(pool, settings(), Arc::new(RecordingMailer::default()))
        .unwrap();
    let figment = hcpool_web::figment([127, 0, 0, 1].into(), 0);
    let client = Client::tracked(hcpool_web::rocket(state, figment))
        .await
        .unwrap();
    assert_eq!(client.get("/").dispatch().await.status(), Status::Ok);
    let page = client
        .get("/signin")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    let csrf = csrf_in(&page).unwrap();
    let r = client
        .post("/signin")
        .header(ContentType::Form)
        .body(format!(
            "email=alice%40example.com&password=password1&csrf_token={csrf}"
        ))
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(
        r.headers().get_one("Location"),
        Some("/address"),
        "signed in (no address yet); a refusal goes back to /signin"
    );
    drop(r);
    drop(client);
    sql_store.close().await;
}

/// Drops the test's databases when it ends.
struct DropDbs(Vec<String>, Vec<String>);

impl Drop for DropDbs {
    fn drop(&mut self) {
        for name in &self.1 {
            sql(&self.0, &format!("DROP DATABASE IF EXISTS `{name}`"));
        }
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

//! hcpool beside the original hcstakepool (`../shared/hcstakepool-orig`): the pieces the
//! `compat` suite is built from.
//!
//! - [`Orig`]: the original web app (`run-web.sh`) and stakepoold (`run-stakepoold.sh`),
//!   stopped when dropped.
//! - [`Db`]: MariaDB as root: the password user the original needs, throwaway databases
//!   (prefix `hcpcompat_`), copies of one database.
//! - [`Hcpool`]: hcpool-web in-process (`wiring::build`, as the binary), and hcpool's
//!   stakepoold in-process from a `stakepoold.conf` text (`stakepoold::run::run`).
//! - [`Client`] / [`Resp`]: a browser with its own cookies that never follows redirects.
//! - [`page`]: what a page shows (flashes, addresses, scripts, tickets, stats figures).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use sqlx::mysql::MySqlPoolOptions;
use sqlx::{MySqlPool, Row};

pub mod page;

/// The MariaDB user the original signs in as (it refuses an empty password).
pub const DB_USER: &str = "hcpcompat";
/// Its password.
pub const DB_PASSWORD: &str = "hcpcompat";
/// Every database the suite makes starts with this.
pub const DB_PREFIX: &str = "hcpcompat_";

/// The original's directory from `HCPOOL_ORIG`, or why the suite is skipped.
///
/// # Errors
/// The reason to skip, for the `skipped: …` line.
pub fn orig_dir() -> std::result::Result<PathBuf, String> {
    let dir = std::env::var_os("HCPOOL_ORIG")
        .map(PathBuf::from)
        .ok_or("HCPOOL_ORIG unset (.ci/run sets it when ../shared/hcstakepool-orig exists)")?;
    if !dir.join("run-web.sh").is_file() {
        return Err(format!(
            "HCPOOL_ORIG={}: no run-web.sh there",
            dir.display()
        ));
    }
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        return Err("the original's binaries are linux-amd64".into());
    }
    Ok(dir)
}

/// `HCPOOL_TEST_MYSQL_URL` (root), or why the suite is skipped.
///
/// # Errors
/// The reason to skip.
pub fn mysql_root_url() -> std::result::Result<String, String> {
    std::env::var("HCPOOL_TEST_MYSQL_URL").map_err(|_| "HCPOOL_TEST_MYSQL_URL unset".to_owned())
}

/// The suite's work directory: `<workspace>/target/compat/<name>`.
pub fn work_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("compat")
        .join(name)
}

/// The fixed ports a run uses, bound early and held until the program that needs one is
/// about to bind it: they lie in Linux's ephemeral range (32768-60999), and an outgoing
/// connection (to MariaDB, say) that happened to get one as its local port would make the
/// original's bind fail.
#[derive(Debug, Default)]
pub struct Ports(std::sync::Mutex<std::collections::HashMap<u16, std::net::TcpListener>>);

impl Ports {
    /// Holds every port of `ports` that is free now.
    pub fn hold(ports: impl IntoIterator<Item = u16>) -> Ports {
        let held = ports
            .into_iter()
            .filter_map(|p| {
                std::net::TcpListener::bind(("127.0.0.1", p))
                    .ok()
                    .map(|l| (p, l))
            })
            .collect();
        Ports(std::sync::Mutex::new(held))
    }

    /// Lets `port` go (for the program about to bind it).
    pub fn release(&self, port: u16) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&port);
    }
}

/// MariaDB as root.
pub struct Db {
    root: MySqlPool,
    host: String,
    port: u16,
    made: std::sync::Mutex<Vec<String>>,
}

impl Db {
    /// Connects as root and makes sure the password user exists with rights on
    /// [`DB_PREFIX`] databases.
    ///
    /// # Errors
    /// MariaDB refusing.
    pub async fn connect(root_url: &str) -> Result<Db> {
        let root = MySqlPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect(root_url)
            .await
            .context("MariaDB as root")?;
        let rest = root_url
            .split_once("://")
            .map_or(root_url, |(_, r)| r)
            .rsplit_once('@')
            .map_or(root_url, |(_, r)| r);
        let hostport = rest.split('/').next().unwrap_or("127.0.0.1:3306");
        let (host, port) = hostport
            .rsplit_once(':')
            .map_or((hostport, "3306"), |(h, p)| (h, p));
        for host_pattern in ["localhost", "%"] {
            for sql in [
                format!(
                    "CREATE USER IF NOT EXISTS '{DB_USER}'@'{host_pattern}' IDENTIFIED BY '{DB_PASSWORD}'"
                ),
                format!("GRANT ALL ON `hcpcompat\\_%`.* TO '{DB_USER}'@'{host_pattern}'"),
            ] {
                sqlx::raw_sql(&sql)
                    .execute(&root)
                    .await
                    .with_context(|| format!("MariaDB: {sql}"))?;
            }
        }
        Ok(Db {
            root,
            host: host.to_owned(),
            port: port.parse().unwrap_or(3306),
            made: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// MariaDB's host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// MariaDB's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A fresh empty database `hcpcompat_<pid>_<name>` (dropped by [`Db::drop_all`]).
    ///
    /// # Errors
    /// MariaDB refusing.
    pub async fn create(&self, name: &str) -> Result<String> {
        let db = format!("{DB_PREFIX}{}_{name}", std::process::id());
        sqlx::raw_sql(&format!(
            "DROP DATABASE IF EXISTS `{db}`; CREATE DATABASE `{db}` CHARACTER SET utf8mb4"
        ))
        .execute(&self.root)
        .await
        .with_context(|| format!("create {db}"))?;
        self.made
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(db.clone());
        Ok(db)
    }

    /// The URL hcpool uses for `db` (the password user).
    pub fn url(&self, db: &str) -> String {
        format!(
            "mysql://{DB_USER}:{DB_PASSWORD}@{}:{}/{db}",
            self.host, self.port
        )
    }

    /// A copy of every table of `from` (structure and rows) in a fresh database `name`.
    ///
    /// # Errors
    /// MariaDB refusing.
    pub async fn copy(&self, from: &str, name: &str) -> Result<String> {
        let to = self.create(name).await?;
        let tables: Vec<String> =
            sqlx::query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?")
                .bind(from)
                .fetch_all(&self.root)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<std::result::Result<_, _>>()?;
        for t in tables {
            sqlx::raw_sql(&format!(
                "CREATE TABLE `{to}`.`{t}` LIKE `{from}`.`{t}`; \
                 INSERT INTO `{to}`.`{t}` SELECT * FROM `{from}`.`{t}`"
            ))
            .execute(&self.root)
            .await
            .with_context(|| format!("copy {from}.{t}"))?;
        }
        Ok(to)
    }

    /// Runs `sql` in `db` (root), binding `args` as strings.
    ///
    /// # Errors
    /// MariaDB refusing.
    pub async fn exec(&self, db: &str, sql: &str, args: &[&str]) -> Result<u64> {
        let sql = sql.replace("{db}", db);
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.execute(&self.root)
            .await
            .with_context(|| sql.clone())?
            .rows_affected())
    }

    /// One string column of one row (`None` when no row).
    ///
    /// # Errors
    /// MariaDB refusing.
    pub async fn one(&self, db: &str, sql: &str, args: &[&str]) -> Result<Option<String>> {
        let sql = sql.replace("{db}", db);
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(*a);
        }
        let row = q
            .fetch_optional(&self.root)
            .await
            .with_context(|| sql.clone())?;
        let Some(row) = row else { return Ok(None) };
        if let Ok(s) = row.try_get::<String, _>(0) {
            return Ok(Some(s));
        }
        if let Ok(b) = row.try_get::<Vec<u8>, _>(0) {
            return Ok(Some(String::from_utf8_lossy(&b).into_owned()));
        }
        if let Ok(n) = row.try_get::<i64, _>(0) {
            return Ok(Some(n.to_string()));
        }
        Ok(None)
    }

    /// Inserts a user as hcstakepool's `SignUpPost` would (the captcha stops a scripted
    /// sign-up): bcrypt `$2a$` cost 10, `Username` = `Email`, not verified, `VoteBits` 1,
    /// `VoteBitsVersion` 7 (the simulated wallets' vote version). Returns the user id.
    ///
    /// # Errors
    /// Hashing or MariaDB failing.
    pub async fn insert_user(
        &self,
        db: &str,
        email: &str,
        password: &str,
        token: &str,
    ) -> Result<u64> {
        let hash = bcrypt_2a(password)?;
        let mut conn = self.root.acquire().await?;
        sqlx::query(&format!(
            "INSERT INTO `{db}`.Users (Email,Username,Password,MultiSigAddress,MultiSigScript,\
             PoolPubKeyAddr,UserPubKeyAddr,UserFeeAddr,HeightRegistered,EmailVerified,EmailToken,\
             APIToken,VoteBits,VoteBitsVersion) VALUES (?,?,?,'','','','','',0,0,?,'',1,7)"
        ))
        .bind(email)
        .bind(email)
        .bind(hash.as_bytes())
        .bind(token)
        .execute(&mut *conn)
        .await
        .context("insert user")?;
        let id: u64 = sqlx::query("SELECT LAST_INSERT_ID()")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        Ok(id)
    }

    /// Drops every database this [`Db`] made.
    pub async fn drop_all(&self) {
        let made = std::mem::take(
            &mut *self
                .made
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for db in made {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS `{db}`"))
                .execute(&self.root)
                .await;
        }
    }
}

/// hcstakepool's password hash: bcrypt, Go's `DefaultCost` (10), `$2a$`.
///
/// # Errors
/// bcrypt failing.
pub fn bcrypt_2a(password: &str) -> Result<String> {
    Ok(bcrypt::hash_with_result(password, 10)?.format_for_version(bcrypt::Version::TwoA))
}

/// One instance of the original web app (`run-web.sh`), stopped on drop.
pub struct Orig {
    script_dir: PathBuf,
    env: Vec<(String, String)>,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    /// Its directory (`out.log`, `hcstakepool.conf`).
    pub run_dir: PathBuf,
}

/// What an original web app instance runs against.
pub struct OrigWeb<'a> {
    /// `../shared/hcstakepool-orig`.
    pub script_dir: &'a Path,
    /// Where the binaries and templates are unpacked (shared by every instance).
    pub work: &'a Path,
    /// This instance's name (its dir `work/<name>`).
    pub name: &'a str,
    /// Listen port on 127.0.0.1.
    pub port: u16,
    /// The simulated wallets' `hcstakepool.conf` fragment (a file).
    pub wallets: &'a Path,
    /// The database (the password user's).
    pub db: &'a Db,
    /// Its name.
    pub db_name: &'a str,
    /// `enablestakepoold` with stakepoold N at `127.0.0.1:spd_port+N-1` and its certificate
    /// at `work/stakepooldN/rpc.cert`.
    pub stakepoold_port: Option<u16>,
}

impl Orig {
    /// Writes its configuration and starts it; returns once it listens.
    ///
    /// # Errors
    /// `run-web.sh start` failing (its output is in the error).
    pub fn start(o: &OrigWeb<'_>) -> Result<Orig> {
        let run_dir = o.work.join(o.name);
        let mut env = vec![
            ("HCSP_WORK".to_owned(), o.work.display().to_string()),
            ("HCSP_RUN".to_owned(), run_dir.display().to_string()),
            ("HCSP_LISTEN".to_owned(), format!("127.0.0.1:{}", o.port)),
            ("HCSP_DBHOST".to_owned(), o.db.host().to_owned()),
            ("HCSP_DBPORT".to_owned(), o.db.port().to_string()),
            ("HCSP_DBNAME".to_owned(), o.db_name.to_owned()),
            ("HCSP_DBUSER".to_owned(), DB_USER.to_owned()),
            ("HCSP_DBPASSWORD".to_owned(), DB_PASSWORD.to_owned()),
            ("HCSP_DEBUGLEVEL".to_owned(), "info".to_owned()),
            ("HCSP_NICE".to_owned(), String::new()),
        ];
        if let Some(p) = o.stakepoold_port {
            env.push(("HCSP_STAKEPOOLD".to_owned(), "1".to_owned()));
            env.push(("HCSP_SPD_PORT".to_owned(), p.to_string()));
        }
        let orig = Orig {
            script_dir: o.script_dir.to_owned(),
            env,
            origin: format!("http://127.0.0.1:{}", o.port),
            run_dir,
        };
        orig.script("run-web.sh", &["start", &o.wallets.display().to_string()])?;
        Ok(orig)
    }

    fn script(&self, name: &str, args: &[&str]) -> Result<String> {
        run_script(&self.script_dir.join(name), args, &self.env)
    }

    /// The app's output so far (its log), for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        tail(&self.run_dir.join("out.log"), lines)
    }

    /// Stops it (SIGINT, then SIGTERM: SIGINT alone does not stop the original).
    pub fn stop(&self) {
        let _ = self.script("run-web.sh", &["stop"]);
    }
}

impl Drop for Orig {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One original stakepoold (`run-stakepoold.sh`), stopped on drop.
pub struct OrigStakepoold {
    script_dir: PathBuf,
    env: Vec<(String, String)>,
    n: u8,
    /// Its directory (`rpc.cert`, `out.log`).
    pub dir: PathBuf,
}

impl OrigStakepoold {
    /// Starts stakepoold `n` (1 or 2) for voting wallet `n` of `env_sh` (a realhc-style
    /// env.sh naming the simulated wallets and hcd), gRPC on `127.0.0.1:spd_port+n-1`.
    ///
    /// # Errors
    /// `run-stakepoold.sh start` failing.
    pub fn start(
        script_dir: &Path,
        work: &Path,
        env_sh: &Path,
        n: u8,
        spd_port: u16,
        db: &Db,
        db_name: &str,
    ) -> Result<OrigStakepoold> {
        let env = vec![
            ("HCSP_WORK".to_owned(), work.display().to_string()),
            ("HCSP_DBHOST".to_owned(), db.host().to_owned()),
            ("HCSP_DBPORT".to_owned(), db.port().to_string()),
            ("HCSP_DBNAME".to_owned(), db_name.to_owned()),
            ("HCSP_DBUSER".to_owned(), DB_USER.to_owned()),
            ("HCSP_DBPASSWORD".to_owned(), DB_PASSWORD.to_owned()),
            ("HCSP_SPD_PORT".to_owned(), spd_port.to_string()),
            ("HCSP_DEBUGLEVEL".to_owned(), "debug".to_owned()),
            ("HCSP_NICE".to_owned(), String::new()),
        ];
        let s = OrigStakepoold {
            script_dir: script_dir.to_owned(),
            env,
            n,
            dir: work.join(format!("stakepoold{n}")),
        };
        run_script(
            &s.script_dir.join("run-stakepoold.sh"),
            &["start", &n.to_string(), &env_sh.display().to_string()],
            &s.env,
        )?;
        Ok(s)
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("out.log")).unwrap_or_default()
    }
}

impl Drop for OrigStakepoold {
    fn drop(&mut self) {
        let _ = run_script(
            &self.script_dir.join("run-stakepoold.sh"),
            &["stop", &self.n.to_string()],
            &self.env,
        );
    }
}

fn run_script(script: &Path, args: &[&str], env: &[(String, String)]) -> Result<String> {
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .with_context(|| format!("run {}", script.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!("{} {}: {}", script.display(), args.join(" "), text.trim());
    }
    Ok(text)
}

/// The last `lines` lines of a file.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// hcpool-web in-process, built like the binary from a configuration.
pub struct Hcpool {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    server: hcpool_web::spawned::Spawned,
}

impl Hcpool {
    /// `wiring::build` from `conf`, served on `127.0.0.1:port`.
    ///
    /// # Errors
    /// A bad configuration, a start-up step or the launch failing.
    pub async fn start(conf: &str, cert_base: &Path, port: u16) -> Result<Hcpool> {
        let cfg = hcpool_web::config::Config::from_ini(conf).map_err(|e| anyhow!("{e}"))?;
        let wired = hcpool_web::wiring::build(&cfg, cert_base)
            .await
            .context("wiring::build")?;
        let push = hcpool_web::nodes::push_on_liftoff(wired.state.pool.clone());
        let rocket = hcpool_web::rocket(
            wired.state,
            hcpool_web::figment([127, 0, 0, 1].into(), port),
        )
        .attach(push);
        let server = hcpool_web::spawned::spawn(rocket).await.context("launch")?;
        Ok(Hcpool {
            origin: server.url(),
            server,
        })
    }

    /// Stops serving (bounded).
    pub async fn stop(self) {
        let _ = self.server.stop(Duration::from_secs(10)).await;
    }
}

/// hcpool's stakepoold in-process, run from a `stakepoold.conf` text exactly as the binary
/// runs it (`Config::load`, `run::run`), on a thread of its own (its own runtime, as the
/// binary's `main`).
pub struct HcpoolStakepoold {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: std::sync::mpsc::Receiver<std::result::Result<(), String>>,
}

impl HcpoolStakepoold {
    /// Writes `conf` to `dir/stakepoold.conf` and runs the daemon with `-A dir`; returns once
    /// `listen` accepts connections (at most 30 s).
    ///
    /// # Errors
    /// The configuration is refused, or the daemon ends or does not listen in time.
    pub async fn start(dir: &Path, conf: &str, listen: &str) -> Result<HcpoolStakepoold> {
        use clap::Parser as _;
        std::fs::create_dir_all(dir)?;
        let file = dir.join("stakepoold.conf");
        std::fs::write(&file, conf)?;
        let args = stakepoold::config::Args::try_parse_from([
            "stakepoold".to_owned(),
            "-A".to_owned(),
            dir.display().to_string(),
            "-C".to_owned(),
            file.display().to_string(),
        ])
        .map_err(|e| anyhow!("{e}"))?;
        let config = stakepoold::config::Config::load(&args).map_err(|e| anyhow!("{e}"))?;
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let r = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
            {
                Ok(rt) => rt
                    .block_on(stakepoold::run::run(config, async move {
                        let _ = rx.await;
                    }))
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            let _ = done_tx.send(r);
        });
        let mut spd = HcpoolStakepoold {
            stop: Some(stop),
            done,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = spd.done.try_recv() {
                bail!("hcpool stakepoold ended at start: {r:?}");
            }
            if tokio::net::TcpStream::connect(listen).await.is_ok() {
                return Ok(spd);
            }
            if Instant::now() > deadline {
                spd.halt();
                bail!("hcpool stakepoold does not listen on {listen} after 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn halt(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }

    /// Stops it and waits for it to end (at most 15 s).
    pub async fn stop(mut self) {
        self.halt();
        let done = self.done;
        let _ =
            tokio::task::spawn_blocking(move || done.recv_timeout(Duration::from_secs(15))).await;
    }
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Resp {
    /// The first header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every `Set-Cookie` cookie name.
    pub fn cookie_names(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .filter_map(|(_, v)| v.split('=').next().map(str::to_owned))
            .collect()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A browser on one app: its own cookie jar; redirects are not followed.
pub struct Client {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
}

impl Client {
    /// A fresh browser (no cookies).
    ///
    /// # Errors
    /// The HTTP client cannot be built.
    pub fn new(origin: &str) -> Result<Client> {
        Ok(Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()?,
            origin: origin.to_owned(),
        })
    }

    /// Sends `method path` with optional bearer token and form body.
    ///
    /// # Errors
    /// The request failing.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        form: Option<&[(&str, &str)]>,
    ) -> Result<Resp> {
        self.send_with(method, path, token, form, &[]).await
    }

    /// [`Client::send`] with extra request `headers` (a `Referer`, say).
    ///
    /// # Errors
    /// The request failing.
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        form: Option<&[(&str, &str)]>,
        headers: &[(&str, &str)],
    ) -> Result<Resp> {
        let m = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self.http.request(m, format!("{}{path}", self.origin));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(f) = form {
            let body: String = f
                .iter()
                .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
                .collect::<Vec<_>>()
                .join("&");
            req = req
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body);
        }
        let r = req
            .send()
            .await
            .with_context(|| format!("{method} {}{path}", self.origin))?;
        let status = r.status().as_u16();
        let headers = r
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = r.bytes().await?.to_vec();
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    /// `GET path`.
    ///
    /// # Errors
    /// The request failing.
    pub async fn get(&self, path: &str) -> Result<Resp> {
        self.send("GET", path, None, None).await
    }

    /// The CSRF token of the form on `page` (both apps name the field `csrf_token`; the
    /// original leaves the value unquoted).
    ///
    /// # Errors
    /// The request failing or no token on the page.
    pub async fn csrf(&self, page: &str) -> Result<String> {
        let text = self.get(page).await?.text();
        page::csrf_token(&text).ok_or_else(|| anyhow!("no csrf_token on {}{page}", self.origin))
    }

    /// Posts `fields` plus the CSRF token of `form_page` to `path` (not following redirects).
    ///
    /// # Errors
    /// The request failing or no token.
    pub async fn post_form(
        &self,
        form_page: &str,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Result<Resp> {
        let csrf = self.csrf(form_page).await?;
        let mut f = fields.to_vec();
        f.push(("csrf_token", &csrf));
        self.send("POST", path, None, Some(&f)).await
    }
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Polls `f` every 100 ms until it returns `Some`, at most `limit`.
///
/// # Errors
/// `what` did not happen in time.
pub async fn until<T, F, Fut>(what: &str, limit: Duration, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

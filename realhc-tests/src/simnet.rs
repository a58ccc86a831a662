//! The private simnet of `../shared/realhc/simnet.sh`, resumed from the repository's snapshot:
//! unpacking, `resume`/`voters`/`stop`, the endpoints of `env.sh`, and restarting one program
//! (hcd or a wallet) by its recorded pid.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hcpool_core::Secret;
use hcpool_rpc::{ClientConfig, Mode, PinnedCert, RpcClient};

/// The snapshot committed in the repository: `$HC_WORK/sim` of a `simnet.sh start` (height
/// 176, voters auto), stopped, without logs and pid files.
pub fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixture/hc-simnet.tar.xz")
}

/// `env.sh`: `KEY=VALUE` pairs, several per line, values possibly `%q`-quoted.
#[derive(Debug, Clone, Default)]
pub struct SimEnv(HashMap<String, String>);

impl SimEnv {
    /// Parses the text of an `env.sh`.
    pub fn parse(text: &str) -> SimEnv {
        let mut map = HashMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            for pair in line.split_whitespace() {
                if let Some((k, v)) = pair.split_once('=') {
                    let v = v.trim_matches('\'').trim_matches('"').replace('\\', "");
                    map.insert(k.to_owned(), v);
                }
            }
        }
        SimEnv(map)
    }

    /// A value.
    ///
    /// # Errors
    /// The key is absent or empty.
    pub fn get(&self, key: &str) -> Result<&str> {
        match self.0.get(key) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => bail!("env.sh has no {key}"),
        }
    }
}

/// One resumed copy of the snapshot, with its own work dir and ports.
#[derive(Debug)]
pub struct Simnet {
    realhc: PathBuf,
    work: PathBuf,
    base_port: u16,
    env: SimEnv,
    /// Programs this harness restarted itself (reaped at the end).
    children: std::sync::Mutex<Vec<std::process::Child>>,
}

/// hcd and the wallets of `simnet.sh`, as `env.sh` names them.
pub const ROLES: [&str; 5] = ["hcd", "user", "vote1", "vote2", "solo"];

impl Simnet {
    /// Unpacks `fixture` into `work/sim` (replacing what was there; `work/bin` is kept so the
    /// binaries are extracted once) and runs `simnet.sh resume` on ports `base_port..+160`.
    ///
    /// # Errors
    /// Unpacking or `resume` failing (its output is in `work/simnet-sh.log`).
    pub async fn resume(
        realhc: &Path,
        work: &Path,
        base_port: u16,
        fixture: &Path,
    ) -> Result<Simnet> {
        std::fs::create_dir_all(work).with_context(|| format!("create {}", work.display()))?;
        // simnet.sh resolves its paths (`cd && pwd`); the pid checks compare with them.
        let work =
            &std::fs::canonicalize(work).with_context(|| format!("resolve {}", work.display()))?;
        let sim = work.join("sim");
        if sim.join("env.sh").exists() {
            // A run that was killed may have left its chain running: stop it by its pids.
            let _ = script(realhc, work, base_port, &["stop"], Duration::from_secs(120)).await;
        }
        if sim.exists() {
            std::fs::remove_dir_all(&sim).with_context(|| format!("remove {}", sim.display()))?;
        }
        let status = tokio::process::Command::new("tar")
            .arg("-C")
            .arg(work)
            .arg("-xJf")
            .arg(fixture)
            .status()
            .await
            .context("run tar")?;
        if !status.success() {
            bail!("tar -xJf {} failed: {status}", fixture.display());
        }
        let mut s = Simnet {
            realhc: realhc.to_path_buf(),
            work: work.to_path_buf(),
            base_port,
            env: SimEnv::default(),
            children: std::sync::Mutex::new(Vec::new()),
        };
        s.script(&["resume"], Duration::from_secs(240)).await?;
        s.reload_env()?;
        Ok(s)
    }

    /// The work dir (`HC_WORK`).
    pub fn work(&self) -> &Path {
        &self.work
    }

    /// `HC_WORK/sim`.
    pub fn sim(&self) -> PathBuf {
        self.work.join("sim")
    }

    /// The endpoints and keys of `env.sh`.
    pub fn env(&self) -> &SimEnv {
        &self.env
    }

    /// Re-reads `env.sh`.
    ///
    /// # Errors
    /// It cannot be read.
    pub fn reload_env(&mut self) -> Result<()> {
        let p = self.sim().join("env.sh");
        let text = std::fs::read_to_string(&p).with_context(|| format!("read {}", p.display()))?;
        self.env = SimEnv::parse(&text);
        Ok(())
    }

    /// Runs `simnet.sh <args>` for this work dir, output appended to `simnet-sh.log`, killed
    /// after `limit`.
    ///
    /// # Errors
    /// A non-zero exit or the time limit.
    pub async fn script(&self, args: &[&str], limit: Duration) -> Result<()> {
        script(&self.realhc, &self.work, self.base_port, args, limit).await
    }

    /// `simnet.sh voters manual`: the voting wallets restarted without `--enablevoting`.
    ///
    /// # Errors
    /// The script failing.
    pub async fn voters_manual(&self) -> Result<()> {
        self.script(&["voters", "manual"], Duration::from_secs(240))
            .await
    }

    /// A JSON-RPC client config for `role` (`hcd`, `user`, `vote1`, …), websocket mode.
    ///
    /// # Errors
    /// `env.sh` lacks the role.
    pub fn client_config(&self, role: &str) -> Result<ClientConfig> {
        let r = role.to_uppercase();
        let mut c = ClientConfig::new(
            self.env.get(&format!("{r}_RPC"))?,
            self.env.get(&format!("{r}_USER"))?,
            Secret::new(self.env.get(&format!("{r}_PASS"))?.to_owned()),
            PinnedCert::File(PathBuf::from(self.env.get(&format!("{r}_CERT"))?)),
        );
        c.timeout = Some(Duration::from_secs(60));
        Ok(c)
    }

    /// A client for `role` in HTTP POST mode (survives restarts of the program).
    ///
    /// # Errors
    /// `env.sh` lacks the role, or the certificate cannot be read.
    pub async fn post_client(&self, role: &str) -> Result<RpcClient> {
        let mut c = self.client_config(role)?;
        c.mode = Mode::HttpPost;
        RpcClient::connect(c)
            .await
            .with_context(|| format!("client for {role}"))
    }

    fn pid(&self, name: &str) -> Result<u32> {
        let p = self.sim().join(name).join("pid");
        let text = std::fs::read_to_string(&p).with_context(|| format!("read {}", p.display()))?;
        text.trim()
            .parse()
            .with_context(|| format!("{}: not a pid", p.display()))
    }

    /// Stops program `name` (`hcd`, `vote2`, …: the pid simnet.sh recorded) with SIGINT
    /// (SIGKILL after 30 s); returns its command line for [`Simnet::start_again`].
    ///
    /// # Errors
    /// No recorded pid, or the process is not this work dir's `name`.
    pub async fn stop_one(&self, name: &str) -> Result<Vec<String>> {
        let pid = self.pid(name)?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .with_context(|| format!("{name} (pid {pid}) is not running"))?;
        let argv: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let appdata = format!("--appdata={}", self.sim().join(name).display());
        if !argv.iter().any(|a| a == &appdata) {
            bail!("pid {pid} is not {name} of {}", self.sim().display());
        }
        signal(pid, "INT").await?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while alive(pid) {
            if Instant::now() > deadline {
                signal(pid, "KILL").await?;
                tokio::time::sleep(Duration::from_millis(500)).await;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            self.reap();
        }
        Ok(argv)
    }

    /// Starts a program stopped by [`Simnet::stop_one`] again with the same command line,
    /// output appended to its `stdout.log`, pid recorded where `simnet.sh stop` finds it.
    ///
    /// # Errors
    /// The program cannot be started.
    pub fn start_again(&self, name: &str, argv: &[String]) -> Result<()> {
        let (prog, args) = argv.split_first().context("empty command line")?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.sim().join(name).join("stdout.log"))
            .context("open stdout.log")?;
        let err = log.try_clone().context("dup stdout.log")?;
        let child = std::process::Command::new(prog)
            .args(args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .with_context(|| format!("start {prog}"))?;
        std::fs::write(
            self.sim().join(name).join("pid"),
            format!("{}\n", child.id()),
        )
        .context("write pid")?;
        self.children
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(child);
        Ok(())
    }

    fn reap(&self) {
        let mut c = self
            .children
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        c.retain_mut(|ch| !matches!(ch.try_wait(), Ok(Some(_))));
    }

    /// `simnet.sh stop` (bounded), then reaps what this harness restarted itself.
    pub async fn stop(&self) {
        if let Err(e) = self.script(&["stop"], Duration::from_secs(120)).await {
            tracing::warn!(error = %e, "simnet.sh stop");
        }
        self.reap();
    }
}

impl Drop for Simnet {
    /// Stops the chain even when a scenario panicked (a no-op after [`Simnet::stop`]).
    fn drop(&mut self) {
        let _ = std::process::Command::new(self.realhc.join("simnet.sh"))
            .arg("stop")
            .env("HC_WORK", &self.work)
            .env("HC_BASE_PORT", self.base_port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        self.reap();
    }
}

/// Runs `simnet.sh` with `HC_WORK=work HC_BASE_PORT=base_port`.
///
/// # Errors
/// A non-zero exit or the time limit (the script is killed then).
pub async fn script(
    realhc: &Path,
    work: &Path,
    base_port: u16,
    args: &[&str],
    limit: Duration,
) -> Result<()> {
    let log_path = work.join("simnet-sh.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("open {}", log_path.display()))?;
    let err = log.try_clone().context("dup log")?;
    let mut child = tokio::process::Command::new(realhc.join("simnet.sh"))
        .args(args)
        .env("HC_WORK", work)
        .env("HC_BASE_PORT", base_port.to_string())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .kill_on_drop(true)
        .spawn()
        .context("start simnet.sh")?;
    match tokio::time::timeout(limit, child.wait()).await {
        Ok(Ok(s)) if s.success() => Ok(()),
        Ok(Ok(s)) => bail!(
            "simnet.sh {} exited with {s} (see {})",
            args.join(" "),
            log_path.display()
        ),
        Ok(Err(e)) => bail!("simnet.sh {}: {e}", args.join(" ")),
        Err(_) => {
            let _ = child.kill().await;
            bail!(
                "simnet.sh {} did not finish within {} s (see {})",
                args.join(" "),
                limit.as_secs(),
                log_path.display()
            )
        }
    }
}

fn alive(pid: u32) -> bool {
    // A zombie still has /proc/<pid>; its state letter is Z.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

async fn signal(pid: u32, sig: &str) -> Result<()> {
    let s = tokio::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .await
        .context("run kill")?;
    if !s.success() && alive(pid) {
        bail!("kill -{sig} {pid} failed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::SimEnv;

    #[test]
    fn env_sh_pairs() {
        let e = SimEnv::parse(
            "# generated\nHC_WORK=/tmp/a SIM=/tmp/x HC_BASE_PORT=24000\nPOOLFEES=7.5\nFEE_ADDR=\n",
        );
        assert_eq!(e.get("HC_BASE_PORT").unwrap(), "24000");
        assert_eq!(e.get("POOLFEES").unwrap(), "7.5");
        assert!(e.get("FEE_ADDR").is_err());
        assert!(e.get("NOPE").is_err());
    }
}

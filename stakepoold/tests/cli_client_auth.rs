//! The binary's start-up rules for gRPC client authentication: beyond loopback it needs
//! `clientcafile` or the explicit compatibility mode `noclientauth`, which it warns about.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn stakepoold(dir: &std::path::Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stakepoold"));
    c.arg("--appdata")
        .arg(dir)
        .arg("--datadir")
        .arg(dir.join("data"))
        .arg("--demo")
        .args(extra)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

#[test]
fn beyond_loopback_without_client_auth_is_refused_with_both_ways_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = stakepoold(dir.path(), &["--rpclisten", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("clientcafile") && err.contains("noclientauth") && err.contains("0.0.0.0:0"),
        "{err}"
    );
}

#[test]
fn the_compat_mode_beyond_loopback_starts_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = stakepoold(dir.path(), &["--rpclisten", "0.0.0.0:0", "--noclientauth"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut warned = false;
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        if line.contains("WITHOUT client authentication") && line.contains("WARN") {
            warned = true;
        }
        let listening = line.contains("gRPC listening");
        seen.push(line);
        if listening {
            break;
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(warned, "no warning in:\n{}", seen.join("\n"));
}

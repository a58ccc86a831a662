//! The `hcpool-simnet` binary: starts, writes certificates, prints a usable
//! hcstakepool.conf fragment, and obeys `simnet_mine` from outside.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use hcpool_simnet::{EndpointInfo, Role};
use serde_json::json;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_a_config_fragment_and_mines_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_hcpool-simnet"))
            .args(["--wallets", "3", "--premine", "2", "--cert-dir"])
            .arg(dir.path().join("certs"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut conf = std::collections::HashMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line.starts_with("# hcd") {
            break;
        }
        if let Some((k, v)) = line.split_once('=') {
            conf.insert(k.to_owned(), v.to_owned());
        }
    }
    assert_eq!(conf.get("simnet").map(String::as_str), Some("1"));
    let hosts: Vec<&str> = conf["wallethosts"].split(',').collect();
    let certs: Vec<&str> = conf["walletcerts"].split(',').collect();
    assert_eq!((hosts.len(), certs.len()), (3, 3));
    assert_eq!(conf["walletusers"], "user,user,user");
    assert!(conf["votingwalletextpub"].starts_with("spub"));
    assert!(conf["coldwalletextpub"].starts_with("spub"));
    assert!(certs.iter().all(|c| std::path::Path::new(c).is_absolute()));

    let ep = EndpointInfo {
        role: Role::Wallet(2),
        addr: hosts[2].parse().unwrap(),
        cert_path: certs[2].into(),
        cert_pem: std::fs::read_to_string(certs[2]).unwrap(),
    };
    let best = support::post_call(&ep, "getbestblock", json!([])).await;
    assert_eq!(best["result"]["height"], json!(2));
    let mined = support::post_call(&ep, "simnet_mine", json!([2])).await;
    assert_eq!(mined["result"][1]["height"], json!(4));
    let best = support::post_call(&ep, "getbestblock", json!([])).await;
    assert_eq!(best["result"]["height"], json!(4));
}

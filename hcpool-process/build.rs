//! Records the git commit the binaries are built from (`HCPOOL_GIT_COMMIT`): the
//! `HCPOOL_BUILD_COMMIT` variable when set (a container build without `.git`), else
//! `git rev-parse`, else "unknown". Never fails the build: no git, or not a checkout, gives
//! "unknown". It reruns when HEAD moves (the HEAD file, the branch ref, packed refs).

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

fn rerun_if_exists(p: &Path) {
    // A path that does not exist would make cargo rerun this script on every build.
    if p.exists() {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=HCPOOL_BUILD_COMMIT");
    let here = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let abs = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            here.join(p)
        }
    };
    let from_env = std::env::var("HCPOOL_BUILD_COMMIT")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let commit = from_env
        .or_else(|| git(&here, &["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    if let Some(dir) = git(&here, &["rev-parse", "--git-dir"]).map(abs) {
        rerun_if_exists(&dir.join("HEAD"));
    }
    if let Some(common) = git(&here, &["rev-parse", "--git-common-dir"]).map(abs) {
        if let Some(head_ref) = git(&here, &["symbolic-ref", "-q", "HEAD"]) {
            rerun_if_exists(&common.join(head_ref));
        }
        rerun_if_exists(&common.join("packed-refs"));
    }
    println!("cargo:rustc-env=HCPOOL_GIT_COMMIT={commit}");
}

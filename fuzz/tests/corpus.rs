//! Replays every committed corpus file (`corpus/<target>/*`: the seeds and the inputs the
//! fuzzer kept, including every crash found so far) through its target: a regression test
//! per target that needs no fuzzer. A panic names the file.

#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};

fn files(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn replay(target: &str) {
    let check = hcpool_fuzz::target(target).expect("known target");
    let files = files(target);
    assert!(!files.is_empty(), "corpus/{target} is empty");
    for f in &files {
        let data = std::fs::read(f).expect("readable corpus file");
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("{target}: {} fails", f.display());
        }
    }
    println!("{target}: {} corpus files replayed", files.len());
}

macro_rules! corpus_tests {
    ($($name:ident),+ $(,)?) => {
        $(#[test]
        fn $name() {
            replay(stringify!($name));
        })+

        #[test]
        fn every_target_has_a_test() {
            let tested = [$(stringify!($name)),+];
            for (name, _) in hcpool_fuzz::TARGETS {
                assert!(tested.contains(name), "no corpus test for target {name}");
            }
        }
    };
}

corpus_tests!(
    address,
    xpub,
    tx,
    script,
    votebits,
    poolconf,
    stakepooldconf,
    jsonrpc,
    grpc,
    jwt,
    form,
);

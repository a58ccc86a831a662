//! `cargo xtask tidy`: the workspace's structural rules, checked from cargo's own view of it.
//!
//! 1. **Layering** (`cargo metadata`): no library ([`LIBRARIES`]) depends, as a normal or
//!    build dependency (optional ones included), on a package that exists for its binary
//!    ([`BINARY_PACKAGES`], and any workspace package without a library target).
//!    stakepoold and hcpool-web also expose libraries (for embedding and the tests), but
//!    what they carry is a daemon and a web server: a library that needs them has its
//!    boundary in the wrong place.
//! 2. **Production builds** (`cargo tree --no-default-features -e normal`): the packages in
//!    [`PRODUCTION_TREES`] built without default features pull in none of the demo's parts
//!    (the daemon, the simulator).
//! 3. **Short binaries**: every binary target of a library or binary package has at most
//!    [`MAX_MAIN_LINES`] lines; a longer one means a library is missing a function.
//!
//! Each rule is a pure function over cargo's output ([`layering`], [`tree_violations`],
//! [`main_len`]) so the tests show it failing on small fixtures.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The workspace's libraries: what an embedder builds on.
pub const LIBRARIES: &[&str] = &[
    "hcpool-core",
    "hcpool-i18n",
    "hcpool-rpc",
    "hcpool-db",
    "hcpool-simnet",
    "hcpool-process",
];

/// Packages that exist for their binary: the web app, the voting daemon, the operator tool.
pub const BINARY_PACKAGES: &[&str] = &["hcpool-web", "stakepoold", "hcpoolctl"];

/// Each package, built with `--no-default-features`, and what its tree must not contain.
pub const PRODUCTION_TREES: &[(&str, &[&str])] = &[
    ("hcpool-web", &["stakepoold", "hcpool-simnet"]),
    ("stakepoold", &["hcpool-simnet"]),
    ("hcpool-rpc", &["hcpool-simnet"]),
];

/// The most lines a binary's source file (`src/main.rs`, `src/bin/*.rs`) may have.
pub const MAX_MAIN_LINES: usize = 100;

/// One broken rule, said so that the reader knows what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A library depends on a binary's package.
    LibraryOnBinary {
        /// The library.
        library: String,
        /// The package it depends on.
        dependency: String,
    },
    /// A production build pulls a package it must not.
    ProductionPulls {
        /// The package built without default features.
        package: String,
        /// What its tree contains.
        unwanted: String,
    },
    /// A binary's source is too long.
    LongMain {
        /// The file.
        path: PathBuf,
        /// Its lines.
        lines: usize,
    },
    /// A package the rules name is not in the workspace (renamed?): its rules check nothing.
    UnknownPackage(String),
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::LibraryOnBinary {
                library,
                dependency,
            } => write!(
                f,
                "library {library} depends on {dependency}, a binary's package: move what it \
                 needs into a library"
            ),
            Violation::ProductionPulls { package, unwanted } => write!(
                f,
                "`cargo tree -p {package} --no-default-features -e normal` contains {unwanted}: \
                 the production build must not carry it (put its use behind a feature)"
            ),
            Violation::LongMain { path, lines } => write!(
                f,
                "{} has {lines} lines (at most {MAX_MAIN_LINES}): move the logic into the \
                 library and keep the binary to parse, build, run",
                path.display()
            ),
            Violation::UnknownPackage(name) => write!(
                f,
                "package {name} is named by xtask's tidy rules but is not in the workspace: \
                 update xtask/src/tidy.rs"
            ),
        }
    }
}

/// A workspace package as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Its name.
    pub name: String,
    /// Whether it has a library target.
    pub has_lib: bool,
    /// Its binary targets' source files.
    pub bins: Vec<PathBuf>,
    /// Its normal and build dependencies (package names).
    pub deps: Vec<String>,
}

/// Reads `cargo metadata --format-version 1 --no-deps` output.
///
/// # Errors
/// Output that is not cargo's metadata.
pub fn packages(metadata: &Value) -> Result<Vec<Package>> {
    let Some(list) = metadata.get("packages").and_then(Value::as_array) else {
        bail!("no `packages` in the metadata");
    };
    let mut out = Vec::new();
    for p in list {
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .context("package without a name")?;
        let targets = p
            .get("targets")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let kinds = |t: &Value, k: &str| {
            t.get("kind")
                .and_then(Value::as_array)
                .is_some_and(|ks| ks.iter().any(|x| x.as_str() == Some(k)))
        };
        let has_lib = targets
            .iter()
            .any(|t| kinds(t, "lib") || kinds(t, "rlib") || kinds(t, "proc-macro"));
        let bins = targets
            .iter()
            .filter(|t| kinds(t, "bin"))
            .filter_map(|t| t.get("src_path").and_then(Value::as_str))
            .map(PathBuf::from)
            .collect();
        let deps = p
            .get("dependencies")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|d| {
                // `null` is a normal dependency; dev-dependencies never reach a build.
                matches!(
                    d.get("kind").and_then(Value::as_str),
                    None | Some("normal" | "build")
                )
            })
            .filter_map(|d| d.get("name").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        out.push(Package {
            name: name.to_owned(),
            has_lib,
            bins,
            deps,
        });
    }
    Ok(out)
}

/// Rule 1 over the workspace's packages.
pub fn layering(packages: &[Package], libraries: &[&str], binaries: &[&str]) -> Vec<Violation> {
    let mut out: Vec<Violation> = libraries
        .iter()
        .chain(binaries)
        .filter(|n| !packages.iter().any(|p| p.name == **n))
        .map(|n| Violation::UnknownPackage((*n).to_owned()))
        .collect();
    let is_binary_package = |name: &str| {
        binaries.contains(&name)
            || packages
                .iter()
                .any(|p| p.name == name && !p.has_lib && !p.bins.is_empty())
    };
    for lib in packages
        .iter()
        .filter(|p| libraries.contains(&p.name.as_str()))
    {
        for dep in lib.deps.iter().filter(|d| is_binary_package(d)) {
            out.push(Violation::LibraryOnBinary {
                library: lib.name.clone(),
                dependency: dep.clone(),
            });
        }
    }
    out
}

/// The package names of `cargo tree --prefix none` output ("name vX.Y.Z (…)" per line).
pub fn tree_packages(tree: &str) -> Vec<&str> {
    tree.lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

/// Rule 2 for one package's tree.
pub fn tree_violations(package: &str, tree: &str, forbidden: &[&str]) -> Vec<Violation> {
    let names = tree_packages(tree);
    forbidden
        .iter()
        .filter(|f| names.contains(f))
        .map(|f| Violation::ProductionPulls {
            package: package.to_owned(),
            unwanted: (*f).to_owned(),
        })
        .collect()
}

/// Rule 3 for one binary source file.
pub fn main_len(path: &Path, text: &str) -> Option<Violation> {
    let lines = text.lines().count();
    (lines > MAX_MAIN_LINES).then(|| Violation::LongMain {
        path: path.to_owned(),
        lines,
    })
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // The workspace root: xtask lives one level below it.
    if let Some(root) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
        c.current_dir(root);
    }
    c
}

fn output(mut c: Command) -> Result<String> {
    let out = c.output().with_context(|| format!("running {c:?}"))?;
    if !out.status.success() {
        bail!(
            "{c:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout).context("cargo printed non-UTF-8")
}

/// Runs every rule on this workspace; the violations found (empty: tidy).
///
/// # Errors
/// cargo could not be run or printed something unexpected, or a binary could not be read.
pub fn run() -> Result<Vec<Violation>> {
    let mut c = cargo();
    c.args(["metadata", "--format-version", "1", "--no-deps"]);
    let metadata: Value = serde_json::from_str(&output(c)?).context("cargo metadata JSON")?;
    let packages = packages(&metadata)?;
    let mut out = layering(&packages, LIBRARIES, BINARY_PACKAGES);

    for (package, forbidden) in PRODUCTION_TREES {
        let mut c = cargo();
        c.args([
            "tree",
            "-p",
            package,
            "--no-default-features",
            "-e",
            "normal",
        ])
        .args(["--prefix", "none", "--format", "{p}"]);
        out.extend(tree_violations(package, &output(c)?, forbidden));
    }

    for p in packages.iter().filter(|p| {
        LIBRARIES.contains(&p.name.as_str()) || BINARY_PACKAGES.contains(&p.name.as_str())
    }) {
        for bin in &p.bins {
            let text = std::fs::read_to_string(bin)
                .with_context(|| format!("reading {}", bin.display()))?;
            out.extend(main_len(bin, &text));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(web_deps: &str) -> Value {
        let text = format!(
            r#"{{"packages": [
              {{"name": "core", "targets": [{{"kind": ["lib"], "src_path": "/w/core/src/lib.rs"}}],
                "dependencies": []}},
              {{"name": "rpc", "targets": [{{"kind": ["lib"], "src_path": "/w/rpc/src/lib.rs"}}],
                "dependencies": [{{"name": "core", "kind": null}}, {{"name": "tool", "kind": "dev"}}]}},
              {{"name": "web", "targets": [{{"kind": ["lib"], "src_path": "/w/web/src/lib.rs"}},
                                          {{"kind": ["bin"], "src_path": "/w/web/src/main.rs"}}],
                "dependencies": [{web_deps}]}},
              {{"name": "tool", "targets": [{{"kind": ["bin"], "src_path": "/w/tool/src/main.rs"}}],
                "dependencies": []}}
            ]}}"#
        );
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn metadata_is_read() {
        let p = packages(&metadata(r#"{"name": "rpc", "kind": null}"#)).unwrap();
        assert_eq!(p.len(), 4);
        assert!(p[0].has_lib && p[0].bins.is_empty());
        assert_eq!(p[1].deps, ["core"], "dev-dependencies do not count");
        assert_eq!(p[2].bins, [PathBuf::from("/w/web/src/main.rs")]);
        assert!(!p[3].has_lib);
        assert!(packages(&serde_json::json!({})).is_err());
    }

    #[test]
    fn a_library_on_a_binary_package_fails() {
        let clean = packages(&metadata("")).unwrap();
        assert_eq!(layering(&clean, &["core", "rpc"], &["web"]), []);
        // rpc's normal dependency on web (even optional) and on the bin-only tool.
        let mut bad = clean.clone();
        bad[1].deps.push("web".into());
        bad[1].deps.push("tool".into());
        assert_eq!(
            layering(&bad, &["core", "rpc"], &["web"]),
            [
                Violation::LibraryOnBinary {
                    library: "rpc".into(),
                    dependency: "web".into()
                },
                Violation::LibraryOnBinary {
                    library: "rpc".into(),
                    dependency: "tool".into()
                },
            ]
        );
        // A binary package may depend on libraries and binaries alike.
        let web_on_tool = packages(&metadata(r#"{"name": "tool", "kind": null}"#)).unwrap();
        assert_eq!(layering(&web_on_tool, &["core", "rpc"], &["web"]), []);
        // A renamed package is reported, not silently unchecked.
        assert_eq!(
            layering(&clean, &["core", "gone"], &["web"]),
            [Violation::UnknownPackage("gone".into())]
        );
    }

    const TREE: &str = "hcpool-web v0.1.0 (/w/hcpool-web)\n\
        hcpool-core v0.1.0 (/w/hcpool-core)\n\
        serde v1.0.228\n\
        hcpool-core v0.1.0 (/w/hcpool-core) (*)\n";

    #[test]
    fn a_production_tree_with_the_demo_fails() {
        assert_eq!(
            tree_packages(TREE),
            ["hcpool-web", "hcpool-core", "serde", "hcpool-core"]
        );
        assert_eq!(
            tree_violations("hcpool-web", TREE, &["stakepoold", "hcpool-simnet"]),
            []
        );
        let with_demo = format!(
            "{TREE}stakepoold v0.1.0 (/w/stakepoold)\nhcpool-simnet v0.1.0 (/w/hcpool-simnet)\n"
        );
        assert_eq!(
            tree_violations("hcpool-web", &with_demo, &["stakepoold", "hcpool-simnet"]),
            [
                Violation::ProductionPulls {
                    package: "hcpool-web".into(),
                    unwanted: "stakepoold".into()
                },
                Violation::ProductionPulls {
                    package: "hcpool-web".into(),
                    unwanted: "hcpool-simnet".into()
                },
            ]
        );
        // A name that merely contains a forbidden one is not it.
        let similar = format!("{TREE}stakepoold-proto v1.0.0\n");
        assert_eq!(tree_violations("hcpool-web", &similar, &["stakepoold"]), []);
    }

    #[test]
    fn a_long_main_fails() {
        let path = Path::new("web/src/main.rs");
        let short = "fn main() {}\n".repeat(MAX_MAIN_LINES);
        assert_eq!(main_len(path, &short), None);
        let long = format!("{short}// one more\n");
        let v = main_len(path, &long).unwrap();
        assert_eq!(
            v,
            Violation::LongMain {
                path: path.to_owned(),
                lines: MAX_MAIN_LINES + 1
            }
        );
        assert!(v.to_string().contains("101 lines (at most 100)"), "{v}");
    }

    /// The rules name packages that exist (a rename would disable them silently).
    #[test]
    fn the_rules_name_workspace_members() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for name in LIBRARIES
            .iter()
            .chain(BINARY_PACKAGES)
            .chain(PRODUCTION_TREES.iter().map(|(p, _)| p))
        {
            assert!(
                root.join(name).join("Cargo.toml").is_file(),
                "{name} is not a workspace directory"
            );
        }
    }
}

//! What a pool operator customised next to the binary: `publicpath` (static files) and
//! `templatepath` (templates).
//!
//! **Static files** ([`mount`]): as hcstakepool, `/assets/<file>` serves `publicpath/<file>`
//! (a pool's own logo, CSS and scripts keep their URLs), `/favicon.ico` serves
//! `publicpath/images/favicon.ico` and `/robots.txt` `publicpath/robots.txt`. Unlike the
//! original, directories are not listed and dot files are not served. hcpool's own style
//! sheet, `/assets/style.css`, is embedded and answers first.
//!
//! **Templates** ([`unused_templates`]): hcpool's pages are `<name>.hbs` overrides of its
//! embedded templates; hcstakepool's Go templates (`views/**/*.html`) are not read. A
//! switch-over leaves them in `templatepath`, so at start the binary warns about each one
//! that differs from hcstakepool's stock file (a customisation that no longer shows), and
//! about `.hbs` files that override nothing.

use std::path::{Path, PathBuf};

use rocket::fs::{FileServer, NamedFile, Options};
use rocket::http::Method;
use rocket::route::{Handler, Outcome, Route};
use rocket::{Build, Data, Request, Rocket};

use crate::config::WebConfig;

/// `publicpath`, when set (relative to the working directory, as hcstakepool's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicDir(pub Option<PathBuf>);

impl PublicDir {
    /// `publicpath` of `web` (empty: none).
    pub fn from_config(web: &WebConfig) -> Self {
        let p = web.public_path.trim();
        PublicDir((!p.is_empty()).then(|| PathBuf::from(p)))
    }
}

/// Serves one file, or forwards (to the 404 catcher) when it is missing.
#[derive(Clone)]
struct FileAt(PathBuf);

#[rocket::async_trait]
impl Handler for FileAt {
    async fn handle<'r>(&self, req: &'r Request<'_>, data: Data<'r>) -> Outcome<'r> {
        match NamedFile::open(&self.0).await {
            Ok(file) => Outcome::from(req, file),
            Err(_) => Outcome::forward(data, rocket::http::Status::NotFound),
        }
    }
}

/// Mounts the static files of `public` on `rocket` (nothing without a `publicpath`; a
/// missing directory serves nothing, with a warning).
pub fn mount(rocket: Rocket<Build>, public: &PublicDir) -> Rocket<Build> {
    let Some(dir) = &public.0 else {
        return rocket;
    };
    if !dir.is_dir() {
        tracing::warn!(
            publicpath = %dir.display(),
            "publicpath is not a directory: /assets/ and /favicon.ico serve only hcpool's own files"
        );
    }
    let file = |uri: &str, path: PathBuf| vec![Route::ranked(20, Method::Get, uri, FileAt(path))];
    rocket
        // Below the embedded /assets/style.css.
        .mount("/assets", FileServer::new(dir, Options::Missing).rank(20))
        .mount(
            "/",
            file("/favicon.ico", dir.join("images").join("favicon.ico")),
        )
        .mount("/", file("/robots.txt", dir.join("robots.txt")))
}

/// hcstakepool's stock templates (cc54612, `views/`): path and FNV-1a 64 of the bytes, so a
/// file left from the original is told apart from a customised one.
const STOCK_VIEWS: &[(&str, u64)] = &[
    ("address.html", 0xf340661b6c9a20c2),
    ("admin/status.html", 0xf082a92cb4aabefc),
    ("admin/tickets.html", 0x04d76701bccc3916),
    ("auth/signin.html", 0xc1a7959dba9d36e8),
    ("auth/signup.html", 0xf5fff3645d5836bb),
    ("email-template.html", 0x26c6f7fb1db72164),
    ("emailupdate.html", 0x8e40c6fa8731f63e),
    ("emailverify.html", 0x1cdd22f91a4814be),
    ("error.html", 0xecfcb8fd6d2b24f6),
    ("footer.html", 0xd84bffa89cff172a),
    ("header.html", 0x59440c4dec3b6030),
    ("home.html", 0xf98d74ee97773682),
    ("main-1st.html", 0x19639f92f9592c7b),
    ("main.html", 0xabbc791fb585c3e5),
    ("maintenance.html", 0x9cd46753ea7f5c51),
    ("passwordreset.html", 0x3de5f0f551f40e5c),
    ("passwordupdate.html", 0xa3b3dd0a1e84511e),
    ("settings.html", 0x1e327eeee56fa66b),
    ("stats.html", 0xd3d422d587d92d3d),
    ("tickets.html", 0x05eb0038071b34c5),
    ("voting.html", 0x571ff2cb2161deff),
];

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Files of `templatepath` hcpool does not use, relative to it, sorted: hcstakepool's
/// `*.html` templates (anywhere below it) that differ from the stock ones or are not
/// stock, and `.hbs` files in it that name no template of `embedded`.
pub fn unused_templates(dir: &Path, embedded: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
            let ext = path.extension().and_then(|e| e.to_str());
            let unused = match ext {
                Some("html") => {
                    let stock = STOCK_VIEWS
                        .iter()
                        .find(|(p, _)| Path::new(p) == rel)
                        .map(|&(_, h)| h);
                    let hash = std::fs::read(&path).map(|b| fnv1a64(&b)).ok();
                    stock.is_none() || hash != stock
                }
                Some("hbs") => {
                    let top = rel.parent() == Some(Path::new(""));
                    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                    top && !embedded.contains(&stem)
                }
                _ => false,
            };
            if unused {
                found.push(rel);
            }
        }
    }
    found.sort();
    found
}

/// Warns, once at start, about the files of `templatepath` hcpool does not use
/// ([`unused_templates`]) and returns them.
pub fn report_unused_templates(dir: &Path) -> Vec<PathBuf> {
    let names: Vec<&str> = crate::state::TEMPLATES.iter().map(|(n, _)| *n).collect();
    let unused = unused_templates(dir, &names);
    if !unused.is_empty() {
        let list: Vec<String> = unused.iter().map(|p| p.display().to_string()).collect();
        tracing::warn!(
            templatepath = %dir.display(),
            files = %list.join(", "),
            "templatepath holds customised templates hcpool does not use: hcstakepool's \
             *.html are not read; port the changes to <name>.hbs overrides of: {}",
            names.join(", ")
        );
    }
    unused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_customised_or_unknown_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("admin")).unwrap();
        // FNV-1a 64 vectors (stock files themselves: the next test).
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        std::fs::write(d.join("home.html"), "my pool's own home page").unwrap();
        std::fs::write(d.join("admin").join("status.html"), "custom").unwrap();
        std::fs::write(d.join("extra.html"), "x").unwrap();
        std::fs::write(d.join("home.hbs"), "{{title}}").unwrap();
        std::fs::write(d.join("nosuch.hbs"), "x").unwrap();
        std::fs::write(d.join("notes.txt"), "x").unwrap();
        let found = unused_templates(d, &["home", "stats"]);
        let names: Vec<String> = found.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            names,
            ["admin/status.html", "extra.html", "home.html", "nosuch.hbs"]
        );
        assert!(unused_templates(&d.join("missing"), &["home"]).is_empty());
    }

    #[test]
    fn stock_originals_are_not_reported() {
        // The original's views, when the shared copy is here (CI has it).
        let tar = std::env::var_os("HCPOOL_ORIG")
            .map_or_else(
                || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/hcstakepool-orig"),
                PathBuf::from,
            )
            .join("app.tar.xz");
        if !tar.exists() {
            #[allow(clippy::print_stdout)]
            {
                println!("skipped: {} absent", tar.display());
            }
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("tar")
            .arg("xJf")
            .arg(&tar)
            .arg("-C")
            .arg(dir.path())
            .arg("views")
            .status()
            .unwrap()
            .success();
        assert!(ok, "tar");
        let views = dir.path().join("views");
        assert!(unused_templates(&views, &[]).is_empty());
        std::fs::write(views.join("home.html"), "changed").unwrap();
        assert_eq!(unused_templates(&views, &[]), [PathBuf::from("home.html")]);
    }
}

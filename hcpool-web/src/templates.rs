//! The page templates: embedded in the binary, optionally overridden by `<name>.hbs` files in
//! `templatepath`, and reloaded on SIGUSR1 as hcstakepool did ([`reload_on_sigusr1`]).
//!
//! A reload compiles the whole set first and swaps it in only if every template compiles,
//! so a typo in an override leaves the running pages untouched (the error is logged).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use handlebars::Handlebars;
use serde::Serialize;

use crate::error::WebError;

/// Compiled templates, shared by the app and the reload signal handler.
#[derive(Clone)]
pub struct Templates {
    compiled: Arc<RwLock<Handlebars<'static>>>,
    embedded: &'static [(&'static str, &'static str)],
    dir: Option<PathBuf>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn compile(
    embedded: &'static [(&'static str, &'static str)],
    dir: Option<&Path>,
) -> Result<(Handlebars<'static>, usize), WebError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    let mut overridden = 0;
    for &(name, text) in embedded {
        let file = dir.map(|d| d.join(format!("{name}.hbs")));
        let text = match file.as_deref().filter(|f| f.is_file()) {
            Some(f) => {
                overridden += 1;
                std::fs::read_to_string(f).map_err(|e| WebError::Template {
                    name,
                    message: format!("{}: {e}", f.display()),
                })?
            }
            None => text.to_owned(),
        };
        hb.register_template_string(name, text)
            .map_err(|e| WebError::Template {
                name,
                message: e.to_string(),
            })?;
    }
    Ok((hb, overridden))
}

impl Templates {
    /// Compiles `embedded`, each replaced by `dir/<name>.hbs` when that file exists.
    ///
    /// # Errors
    /// [`WebError::Template`] naming the template (and file) that does not compile.
    pub fn load(
        embedded: &'static [(&'static str, &'static str)],
        dir: Option<PathBuf>,
    ) -> Result<Self, WebError> {
        let (hb, overridden) = compile(embedded, dir.as_deref())?;
        if overridden > 0 {
            tracing::info!(overridden, dir = ?dir, "templates loaded with overrides");
        }
        Ok(Templates {
            compiled: Arc::new(RwLock::new(hb)),
            embedded,
            dir,
        })
    }

    /// Recompiles from the embedded set and the override directory; swaps the new set in
    /// only when all compile. Returns how many templates came from files.
    ///
    /// # Errors
    /// [`WebError::Template`]; the previous templates stay in use.
    pub fn reload(&self) -> Result<usize, WebError> {
        let (hb, overridden) = compile(self.embedded, self.dir.as_deref())?;
        *self.compiled.write().unwrap_or_else(|e| e.into_inner()) = hb;
        Ok(overridden)
    }

    /// Renders template `name` with `ctx`.
    ///
    /// # Errors
    /// [`WebError::Template`] when the context misses a field the template uses.
    pub fn render<T: Serialize>(&self, name: &'static str, ctx: &T) -> Result<String, WebError> {
        self.compiled
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .render(name, ctx)
            .map_err(|e| WebError::Template {
                name,
                message: e.to_string(),
            })
    }
}

/// Reloads `templates` whenever the process receives SIGUSR1 (Unix), logging the outcome.
/// Must run inside a Tokio runtime.
///
/// # Errors
/// [`WebError::Config`] when the signal handler cannot be installed.
#[cfg(unix)]
pub fn reload_on_sigusr1(templates: Templates) -> Result<tokio::task::JoinHandle<()>, WebError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut sig = signal(SignalKind::user_defined1())
        .map_err(|e| WebError::Config(format!("SIGUSR1 handler: {e}")))?;
    Ok(tokio::spawn(async move {
        while sig.recv().await.is_some() {
            match templates.reload() {
                Ok(n) => tracing::info!(from_files = n, "SIGUSR1: templates reloaded"),
                Err(e) => {
                    tracing::error!(error = %e, "SIGUSR1: reload failed; keeping the old templates")
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &[(&str, &str)] = &[("a", "A {{x}}"), ("b", "B")];

    #[test]
    fn overrides_are_read_and_reloaded_and_bad_ones_keep_the_old_set() {
        let dir = std::env::temp_dir().join(format!("hcpool-tpl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let t = Templates::load(SET, Some(dir.clone())).unwrap();
        let ctx = serde_json::json!({ "x": 1 });
        assert_eq!(t.render("a", &ctx).unwrap(), "A 1");
        std::fs::write(dir.join("a.hbs"), "new {{x}}").unwrap();
        assert_eq!(t.render("a", &ctx).unwrap(), "A 1", "no reload yet");
        assert_eq!(t.reload().unwrap(), 1);
        assert_eq!(t.render("a", &ctx).unwrap(), "new 1");
        std::fs::write(dir.join("b.hbs"), "{{#if}}broken").unwrap();
        let e = t.reload().unwrap_err().to_string();
        assert!(e.contains("template b"), "{e}");
        assert_eq!(t.render("a", &ctx).unwrap(), "new 1", "old set kept");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn sigusr1_reloads() {
        let dir = std::env::temp_dir().join(format!("hcpool-tpl-sig-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let t = Templates::load(SET, Some(dir.clone())).unwrap();
        let task = reload_on_sigusr1(t.clone()).unwrap();
        std::fs::write(dir.join("b.hbs"), "signalled").unwrap();
        // tokio's handler is installed: signal this process (the shell's builtin kill).
        let status = std::process::Command::new("sh")
            .args(["-c", &format!("kill -USR1 {}", std::process::id())])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            if t.render("b", &()).unwrap() == "signalled" {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "not reloaded in 5 s");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        task.abort();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

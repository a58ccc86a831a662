//! The page templates: embedded in the binary, optionally overridden by `<name>.hbs` files in
//! `templatepath`, and reloaded on SIGUSR1 as hcstakepool did ([`reload_on_sigusr1`]).
//!
//! Two helpers translate ([`crate::lang`]): `{{t "key" name=value ...}}` writes the
//! catalogue's text of `key` (hcpool-i18n) in the page's language with the arguments
//! filled in (escaped; the catalogue's own text may hold simple HTML), and `{{tmsg text}}`
//! writes `text` — an English message the code produced (a flash, a chart title) —
//! translated when the catalogue has it, escaped. The page's language is the `_lang` field
//! of the context ([`with_lang`]); English without it.
//!
//! A reload compiles the whole set first and swaps it in only if every template compiles,
//! so a typo in an override leaves the running pages untouched (the error is logged).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use hcpool_i18n::{catalogue, Lang};
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
    hb.register_helper("t", Box::new(t_helper));
    hb.register_helper("tmsg", Box::new(tmsg_helper));
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

/// The context field that names the page's language (a tag, [`Lang::tag`]).
pub const LANG_FIELD: &str = "_lang";

/// `ctx` as JSON with [`LANG_FIELD`] set to `lang` (when it is an object).
///
/// # Errors
/// [`WebError::Template`] when `ctx` does not serialize.
pub fn with_lang<T: Serialize>(
    name: &'static str,
    ctx: &T,
    lang: Lang,
) -> Result<serde_json::Value, WebError> {
    let mut v = serde_json::to_value(ctx).map_err(|e| WebError::Template {
        name,
        message: e.to_string(),
    })?;
    if let serde_json::Value::Object(m) = &mut v {
        m.insert(LANG_FIELD.to_owned(), lang.tag().into());
    }
    Ok(v)
}

/// The language of the template's root context.
fn lang_of(ctx: &Context) -> Lang {
    let tag = ctx.data().get(LANG_FIELD).and_then(|v| v.as_str());
    // with_lang writes the exact tags: match them before the general (allocating) parse.
    Lang::ALL
        .iter()
        .copied()
        .find(|l| Some(l.tag()) == tag)
        .or_else(|| tag.and_then(Lang::from_tag))
        .unwrap_or_default()
}

/// A parameter's value as the page would write it (`{{x}}`), unescaped.
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `{{t "key" name=value ...}}`.
fn t_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    ctx: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let key = h.param(0).and_then(|p| p.value().as_str()).ok_or_else(|| {
        RenderErrorReason::ParamTypeMismatchForName("t", "0".into(), "string".into())
    })?;
    let args: Vec<(&str, String)> = h
        .hash()
        .iter()
        .map(|(k, v)| (*k, handlebars::html_escape(&plain(v.value()))))
        .collect();
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    out.write(&catalogue().text_cow(lang_of(ctx), key, &args))?;
    Ok(())
}

/// `{{tmsg text}}`.
fn tmsg_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    ctx: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let text = h.param(0).map(|p| plain(p.value())).unwrap_or_default();
    let text = catalogue().localize(lang_of(ctx), &text);
    out.write(&handlebars::html_escape(&text))?;
    Ok(())
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

    /// Renders template `name` with a context already in JSON form ([`with_lang`]'s), which
    /// handlebars then uses as it is instead of serializing it a second time.
    ///
    /// # Errors
    /// [`WebError::Template`] when the context misses a field the template uses.
    pub fn render_value(
        &self,
        name: &'static str,
        ctx: serde_json::Value,
    ) -> Result<String, WebError> {
        self.compiled
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .render_with_context(name, &Context::from(ctx))
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

    /// The keys `{{t "key" ...}}` names in `text`.
    fn template_keys(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("{{t \"") {
            rest = &rest[i + 5..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_owned());
            }
        }
        out
    }

    #[test]
    fn every_key_the_templates_use_is_in_the_catalogue() {
        let mut missing = Vec::new();
        let mut used = 0;
        for &(name, text) in crate::state::TEMPLATES {
            for key in template_keys(text) {
                used += 1;
                if !catalogue().has(&key) {
                    missing.push(format!("{name}.hbs: {key}"));
                }
            }
        }
        // The same from the files (a template added to templates/ but not yet embedded).
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "hbs") {
                for key in template_keys(&std::fs::read_to_string(&path).unwrap()) {
                    if !catalogue().has(&key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(used > 150, "{used} keys used");
        assert!(
            missing.is_empty(),
            "keys not in the catalogue: {missing:#?}"
        );
        assert!(catalogue().problems().is_empty());
    }

    /// Every string literal in `text` shaped like a catalogue key of the families code
    /// uses (`msg-`, `mail-`, `title-`, `stats-`, `site-`, `nav-`, `fallback-`, `status-`).
    fn code_keys(text: &str) -> Vec<String> {
        const FAMILIES: &[&str] = &[
            "msg-",
            "mail-",
            "title-",
            "stats-",
            "site-",
            "nav-",
            "fallback-",
            "status-",
        ];
        text.split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| {
                FAMILIES.iter().any(|f| s.starts_with(f))
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_key_the_code_uses_is_in_the_catalogue() {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|e| e == "rs") {
                    out.push(p);
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        walk(&root.join("src"), &mut files);
        walk(&root.join("../hcpool-core/src/service"), &mut files);
        // The admin page's summary and sync findings (catalogue messages made in the core).
        files.push(root.join("../hcpool-core/src/status.rs"));
        files.push(root.join("../hcpool-core/src/backend/health.rs"));
        let mut used = 0;
        let mut missing = Vec::new();
        for f in files {
            // This file's own test names families, not keys.
            if f.ends_with("templates.rs") {
                continue;
            }
            for key in code_keys(&std::fs::read_to_string(&f).unwrap()) {
                used += 1;
                if !catalogue().has(&key) {
                    missing.push(format!("{}: {key}", f.display()));
                }
            }
        }
        assert!(used >= 15, "{used} keys used from code");
        assert!(
            missing.is_empty(),
            "keys not in the catalogue: {missing:#?}"
        );
    }

    #[test]
    fn the_messages_pages_show_have_translations() {
        use hcpool_core::service::accounts::Refusal;
        let mut texts: Vec<String> = [
            Refusal::InvalidEmail,
            Refusal::WeakPassword("password must be at least 8 characters long"),
            Refusal::WeakPassword("password is too long"),
            Refusal::PasswordsDiffer,
            Refusal::BadCredentials,
            Refusal::NotVerified,
            Refusal::WrongPassword,
            Refusal::NoVerificationToken,
            Refusal::VerificationTokenInvalid,
            Refusal::NoResetToken,
            Refusal::ResetTokenInvalid,
            Refusal::ResetTokenExpired,
            Refusal::EmailChangeExpired,
            Refusal::EmailInUse,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        texts.extend(
            [
                crate::captcha::WRONG_ANSWER,
                crate::health::NOT_SYNCED_WEB,
                "Live tickets",
                "Your votes and misses per day",
            ]
            .map(str::to_owned),
        );
        for e in [
            hcpool_core::Error::AddressAlreadySubmitted,
            hcpool_core::Error::NoAddressSubmitted,
            hcpool_core::Error::wallet("w", hcpool_core::BackendKind::Unavailable, "down"),
            hcpool_core::Error::store(hcpool_core::BackendKind::Other, "x"),
        ] {
            texts.push(
                crate::error::classify(crate::error::Op::Address, &e)
                    .web
                    .into_owned(),
            );
        }
        for text in texts {
            let zh = catalogue().localize(Lang::ZhCn, &text);
            assert_ne!(zh, text, "no translation of {text:?}");
        }
        assert!(
            hcpool_core::service::accounts::check_password_policy("short")
                .is_err_and(|m| catalogue().localize(Lang::ZhCn, m) != m)
        );
    }

    #[test]
    fn the_helpers_translate_escape_and_fall_back() {
        const T: &[(&str, &str)] = &[(
            "hello",
            "{{t \"nav-hello\" email=who}}|{{tmsg msg}}|{{t \"home-fees\" fees=fee}}",
        )];
        let tpl = Templates::load(T, None).unwrap();
        let ctx = serde_json::json!({
            "who": "<b>&", "msg": "Passwords do not match", "fee": 7.5
        });
        assert_eq!(
            tpl.render("hello", &ctx).unwrap(),
            "Hello, &lt;b&gt;&amp;|Passwords do not match|Pool Fees: <strong>7.5%</strong>"
        );
        let zh = with_lang("hello", &ctx, Lang::ZhCn).unwrap();
        assert_eq!(
            tpl.render("hello", &zh).unwrap(),
            "你好，&lt;b&gt;&amp;|两次输入的密码不一致|权益池手续费：<strong>7.5%</strong>"
        );
    }

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

//! hcpool's translations: English and Simplified Chinese.
//!
//! The texts live in [Project Fluent](https://projectfluent.org) files a translator edits
//! directly, one directory per language:
//!
//! ```text
//! hcpool-i18n/i18n/en/web.ftl      pages, navigation, flash messages
//! hcpool-i18n/i18n/en/mail.ftl     mails
//! hcpool-i18n/i18n/zh-CN/web.ftl   the same keys in Simplified Chinese
//! hcpool-i18n/i18n/zh-CN/mail.ftl
//! ```
//!
//! They are embedded at compile time (`include_str!`), so a binary carries its catalogue and
//! reads no file. Every language has exactly the same keys, each with the same variables
//! (the crate's tests check it, [`Catalogue::problems`]).
//!
//! Lookups never fail: a key missing from a language falls back to English, and a key
//! missing from English is returned as is, so a typo shows on the page instead of breaking
//! it (the web crate's tests check that every key its templates and code use exists).
//!
//! Adding a text: add `my-key = English text with { $arg }` to `i18n/en/<file>.ftl`, the
//! same key to every other language's file, then use `{{t "my-key" arg=value}}` in a
//! template or [`Catalogue::text`] / [`t`] in Rust.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;

/// A language hcpool speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum Lang {
    /// English (the default and the fallback).
    #[default]
    En,
    /// Simplified Chinese.
    ZhCn,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: &'static [Lang] = &[Lang::En, Lang::ZhCn];

    /// The BCP 47 tag (`en`, `zh-CN`): the `lang` cookie's value, `<html lang>` and
    /// `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The language's own name (the language switch).
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhCn => "简体中文",
        }
    }

    /// The language a tag names, when hcpool speaks it: `en` and any `en-*`; `zh`, `zh-CN`,
    /// `zh-SG`, `zh-Hans` and `zh-Hans-*` (case-insensitive). `None` for anything else,
    /// Traditional Chinese (`zh-TW`, `zh-HK`, `zh-Hant`) included.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
        let mut parts = tag.split('-');
        match parts.next()? {
            "en" => Some(Lang::En),
            "zh" => match parts.next() {
                None | Some("cn") | Some("sg") | Some("hans") => Some(Lang::ZhCn),
                Some(_) => None,
            },
            _ => None,
        }
    }

    /// The language an `Accept-Language` header asks for: the spoken language with the
    /// highest q-value (the earlier on a tie); English when none is spoken (or the header is
    /// empty or malformed). `q=0` means "not this one".
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for item in accept_language.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let mut q = 1000u16;
            for p in parts {
                if let Some(v) = p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")) {
                    q = parse_q(v).unwrap_or(0);
                }
            }
            if q == 0 {
                continue;
            }
            if let Some(lang) = Lang::from_tag(tag) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    /// The catalogue files of this language, as embedded: (file name, text).
    pub fn sources(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::En => &[
                ("web.ftl", include_str!("../i18n/en/web.ftl")),
                ("mail.ftl", include_str!("../i18n/en/mail.ftl")),
            ],
            Lang::ZhCn => &[
                ("web.ftl", include_str!("../i18n/zh-CN/web.ftl")),
                ("mail.ftl", include_str!("../i18n/zh-CN/mail.ftl")),
            ],
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

/// A q-value (`0`..`1`, up to three decimals) in thousandths.
fn parse_q(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0u16,
        "1" => 1000,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    if whole == 1000 && thousandths > 0 {
        return None;
    }
    Some(whole + thousandths)
}

/// One language's parsed catalogue.
struct Bundle {
    bundle: FluentBundle<FluentResource>,
    /// Each message's variables (sorted), by key.
    keys: BTreeMap<String, BTreeSet<String>>,
    /// Parse errors and duplicate keys, said for a person.
    problems: Vec<String>,
    /// The text of every message without variables, formatted once when the catalogue is
    /// built: most of a page's texts, which then cost a map lookup instead of a Fluent
    /// formatting pass per use.
    plain: std::collections::HashMap<String, String>,
}

fn build(lang: Lang) -> Bundle {
    let id = lang
        .tag()
        .parse::<unic_langid::LanguageIdentifier>()
        .unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Plain text: no Unicode isolation marks around arguments (pages and mails are LTR).
    bundle.set_use_isolating(false);
    let mut keys = BTreeMap::new();
    let mut problems = Vec::new();
    for &(file, text) in lang.sources() {
        let res = match FluentResource::try_new(text.to_owned()) {
            Ok(r) => r,
            Err((r, errs)) => {
                for e in errs {
                    problems.push(format!("{}/{file}: {e:?}", lang.tag()));
                }
                r
            }
        };
        for entry in res.entries() {
            if let ast::Entry::Message(m) = entry {
                let mut vars = BTreeSet::new();
                if let Some(p) = &m.value {
                    pattern_vars(p, &mut vars);
                }
                if keys.insert(m.id.name.to_owned(), vars).is_some() {
                    problems.push(format!(
                        "{}/{file}: key {} defined twice",
                        lang.tag(),
                        m.id.name
                    ));
                }
            }
        }
        if let Err(errs) = bundle.add_resource(res) {
            for e in errs {
                problems.push(format!("{}/{file}: {e}", lang.tag()));
            }
        }
    }
    let mut b = Bundle {
        bundle,
        keys,
        problems,
        plain: std::collections::HashMap::new(),
    };
    let plain = b
        .keys
        .iter()
        .filter(|(_, vars)| vars.is_empty())
        .filter_map(|(key, _)| Some((key.clone(), format_key(&b, key, None)?)))
        .collect();
    b.plain = plain;
    b
}

fn pattern_vars(p: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
    for el in &p.elements {
        if let ast::PatternElement::Placeable { expression } = el {
            expression_vars(expression, out);
        }
    }
}

fn expression_vars(e: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
    match e {
        ast::Expression::Inline(i) => inline_vars(i, out),
        ast::Expression::Select { selector, variants } => {
            inline_vars(selector, out);
            for v in variants {
                pattern_vars(&v.value, out);
            }
        }
    }
}

fn inline_vars(i: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match i {
        ast::InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_owned());
        }
        ast::InlineExpression::Placeable { expression } => expression_vars(expression, out),
        _ => {}
    }
}

/// A text for a reader whose language is not known where the text is made: a catalogue key
/// and its arguments, written out later in the reader's language ([`Msg::text`]). Its
/// [`Display`](std::fmt::Display) is the English text (logs, JSON answers, tests).
///
/// An argument is plain text ([`Msg::arg`], written as it is: a label, a number, a backend's
/// error) or itself a message ([`Msg::arg_msg`], written in the same language).
///
/// ```
/// use hcpool_i18n::{Lang, Msg};
///
/// let why = Msg::new("status-reason-no-answer");
/// let m = Msg::new("status-reason-wallet-down").arg("label", "w1:12010").arg_msg("why", why);
/// assert_eq!(m.to_string(), "wallet w1:12010 not connected: no answer");
/// assert_eq!(m.text(Lang::ZhCn), "钱包 w1:12010 未连接：无应答");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Msg {
    key: Cow<'static, str>,
    args: Vec<(Cow<'static, str>, MsgArg)>,
}

/// One argument of a [`Msg`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MsgArg {
    /// Written as it is.
    Text(String),
    /// Written in the reader's language.
    Msg(Msg),
}

impl Msg {
    /// The message of catalogue key `key`, without arguments yet.
    pub fn new(key: impl Into<Cow<'static, str>>) -> Self {
        Msg {
            key: key.into(),
            args: Vec::new(),
        }
    }

    /// With argument `name` (`{ $name }` in the catalogue) set to `value`, as it is.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl std::fmt::Display) -> Self {
        self.args
            .push((Cow::Borrowed(name), MsgArg::Text(value.to_string())));
        self
    }

    /// With argument `name` set to the message `value`, written in the same language.
    #[must_use]
    pub fn arg_msg(mut self, name: &'static str, value: Msg) -> Self {
        self.args.push((Cow::Borrowed(name), MsgArg::Msg(value)));
        self
    }

    /// The catalogue key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The arguments, in the order they were given.
    pub fn args(&self) -> &[(Cow<'static, str>, MsgArg)] {
        &self.args
    }

    /// The text in `lang` (English where `lang` lacks the key; the key itself where English
    /// lacks it too, as [`Catalogue::text`]).
    pub fn text(&self, lang: Lang) -> String {
        let values: Vec<String> = self
            .args
            .iter()
            .map(|(_, a)| match a {
                MsgArg::Text(t) => t.clone(),
                MsgArg::Msg(m) => m.text(lang),
            })
            .collect();
        let args: Vec<(&str, &str)> = self
            .args
            .iter()
            .zip(&values)
            .map(|((name, _), v)| (name.as_ref(), v.as_str()))
            .collect();
        catalogue().text(lang, &self.key, &args)
    }

    /// Every key this message uses, its own and its message arguments' (tests check they
    /// are in the catalogue).
    pub fn keys(&self) -> Vec<&str> {
        let mut out = vec![self.key.as_ref()];
        for (_, a) in &self.args {
            if let MsgArg::Msg(m) = a {
                out.extend(m.keys());
            }
        }
        out
    }
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

/// Every language's catalogue, parsed once. Get it with [`catalogue`].
pub struct Catalogue {
    bundles: Vec<(Lang, Bundle)>,
    /// English text → key, for the messages without arguments ([`Catalogue::localize`]).
    by_english: BTreeMap<String, String>,
}

impl std::fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogue")
            .field("languages", &Lang::ALL)
            .finish_non_exhaustive()
    }
}

/// The catalogue (parsed on first use).
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let bundles: Vec<(Lang, Bundle)> = Lang::ALL.iter().map(|&l| (l, build(l))).collect();
        let mut by_english = BTreeMap::new();
        if let Some((_, en)) = bundles.first() {
            for (key, vars) in &en.keys {
                if vars.is_empty() {
                    let text = format_key(en, key, None);
                    if let Some(text) = text {
                        by_english.entry(text).or_insert_with(|| key.clone());
                    }
                }
            }
        }
        Catalogue {
            bundles,
            by_english,
        }
    })
}

fn format_key(b: &Bundle, key: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
    let msg = b.bundle.get_message(key)?;
    let pattern = msg.value()?;
    let mut errors = Vec::new();
    let text = b.bundle.format_pattern(pattern, args, &mut errors);
    Some(text.into_owned())
}

/// Shorthand for `catalogue().text(lang, key, args)`.
pub fn t(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    catalogue().text(lang, key, args)
}

impl Catalogue {
    fn bundle(&self, lang: Lang) -> Option<&Bundle> {
        self.bundles
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, b)| b)
    }

    /// The text of `key` in `lang` with `args` (`{ $name }` in the catalogue) filled in.
    /// Falls back to English, then to the key itself; never fails.
    pub fn text(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        self.text_cow(lang, key, args).into_owned()
    }

    /// [`Catalogue::text`], borrowed from the catalogue when `args` is empty and the
    /// message has no variables (formatted once, when the catalogue was built), so a page
    /// writes most of its texts without formatting or allocating.
    pub fn text_cow<'s>(&'s self, lang: Lang, key: &str, args: &[(&str, &str)]) -> Cow<'s, str> {
        if args.is_empty() {
            let plain = |l: Lang| self.bundle(l).and_then(|b| b.plain.get(key));
            if let Some(text) = plain(lang).or_else(|| {
                // A key this language lacks falls back to English, as below.
                self.bundle(lang)
                    .is_none_or(|b| !b.keys.contains_key(key))
                    .then(|| plain(Lang::En))
                    .flatten()
            }) {
                return Cow::Borrowed(text.as_str());
            }
        }
        let mut fargs = FluentArgs::with_capacity(args.len());
        for &(name, value) in args {
            fargs.set(name, FluentValue::from(value));
        }
        let fargs = (!args.is_empty()).then_some(&fargs);
        self.bundle(lang)
            .and_then(|b| format_key(b, key, fargs))
            .or_else(|| {
                self.bundle(Lang::En)
                    .and_then(|b| format_key(b, key, fargs))
            })
            .map_or_else(|| Cow::Owned(key.to_owned()), Cow::Owned)
    }

    /// Whether `key` exists (in English, hence in every language the tests pass for).
    pub fn has(&self, key: &str) -> bool {
        self.bundle(Lang::En)
            .is_some_and(|b| b.keys.contains_key(key))
    }

    /// The keys of `lang`, each with the variables its text uses.
    pub fn keys(&self, lang: Lang) -> BTreeMap<String, BTreeSet<String>> {
        self.bundle(lang)
            .map(|b| b.keys.clone())
            .unwrap_or_default()
    }

    /// `text` — an English message the code produced (a flash, a refusal, a chart title) —
    /// in `lang`, when the catalogue has a key (without arguments) whose English text it is;
    /// otherwise `text` unchanged.
    pub fn localize<'a>(&self, lang: Lang, text: &'a str) -> Cow<'a, str> {
        if lang == Lang::En {
            return Cow::Borrowed(text);
        }
        match self.by_english.get(text) {
            Some(key) => Cow::Owned(self.text(lang, key, &[])),
            None => Cow::Borrowed(text),
        }
    }

    /// What is wrong with the catalogue: parse errors, duplicate keys, keys missing from or
    /// extra in a language (compared with English), and keys whose variables differ between
    /// languages. Empty when it is sound (the tests require it).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(en) = self.bundle(Lang::En) else {
            return vec!["no English catalogue".to_owned()];
        };
        for (lang, b) in &self.bundles {
            out.extend(b.problems.iter().cloned());
            if *lang == Lang::En {
                continue;
            }
            for (key, vars) in &en.keys {
                match b.keys.get(key) {
                    None => out.push(format!("{lang}: key {key} is missing")),
                    Some(v) if v != vars => out.push(format!(
                        "{lang}: key {key} uses variables {v:?}, English uses {vars:?}"
                    )),
                    Some(_) => {}
                }
            }
            for key in b.keys.keys() {
                if !en.keys.contains_key(key) {
                    out.push(format!("{lang}: key {key} is not in English"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists_in_every_language_with_the_same_variables() {
        let problems = catalogue().problems();
        assert!(problems.is_empty(), "{problems:#?}");
        let en = catalogue().keys(Lang::En);
        assert!(en.len() > 50, "{} keys", en.len());
        for &lang in Lang::ALL {
            assert_eq!(
                catalogue().keys(lang).keys().collect::<Vec<_>>(),
                en.keys().collect::<Vec<_>>(),
                "{lang}"
            );
        }
    }

    #[test]
    fn plain_texts_are_formatted_once_and_agree_with_formatting() {
        let c = catalogue();
        for &lang in Lang::ALL {
            for (key, vars) in c.keys(lang) {
                let cow = c.text_cow(lang, &key, &[]);
                if vars.is_empty() {
                    assert!(
                        matches!(cow, Cow::Borrowed(_)),
                        "{lang} {key} is formatted per use"
                    );
                }
                let b = c.bundle(lang).unwrap();
                let fresh = format_key(b, &key, None).unwrap_or_else(|| key.clone());
                assert_eq!(cow, fresh, "{lang} {key}");
            }
        }
        // Unknown keys come back as themselves; a key with variables is formatted.
        assert_eq!(c.text_cow(Lang::ZhCn, "no-such-key", &[]), "no-such-key");
    }

    #[test]
    fn chinese_texts_are_chinese() {
        // A key copied over untranslated would pass the key check: the bulk must differ.
        let en = catalogue().keys(Lang::En);
        let same: Vec<&String> = en
            .keys()
            .filter(|k| t(Lang::En, k, &[]) == t(Lang::ZhCn, k, &[]))
            .collect();
        assert!(same.len() * 10 < en.len(), "untranslated: {same:?}");
    }

    #[test]
    fn texts_take_arguments_and_fall_back() {
        assert_eq!(
            t(Lang::En, "nav-hello", &[("email", "a@b.c")]),
            "Hello, a@b.c"
        );
        assert_eq!(
            t(Lang::ZhCn, "nav-hello", &[("email", "a@b.c")]),
            "你好，a@b.c"
        );
        assert_eq!(t(Lang::ZhCn, "no-such-key", &[]), "no-such-key");
        assert_eq!(
            catalogue().localize(Lang::ZhCn, "Passwords do not match"),
            "两次输入的密码不一致"
        );
        assert_eq!(
            catalogue().localize(Lang::ZhCn, "unknown text"),
            "unknown text"
        );
        assert_eq!(
            catalogue().localize(Lang::En, "Passwords do not match"),
            "Passwords do not match"
        );
    }

    #[test]
    fn messages_are_written_late_in_the_readers_language() {
        let m = Msg::new("status-reason-wallet-lagging")
            .arg("label", "w1:1")
            .arg_msg(
                "why",
                Msg::new("status-lag-blocks")
                    .arg("height", 90)
                    .arg("node", 100),
            );
        assert_eq!(
            m.to_string(),
            "wallet w1:1: lagging: at height 90 while its hcd is at 100"
        );
        assert_eq!(
            m.text(Lang::ZhCn),
            "钱包 w1:1：滞后：高度为 90，而其 hcd 已在 100"
        );
        assert_eq!(
            m.keys(),
            ["status-reason-wallet-lagging", "status-lag-blocks"]
        );
        // Text arguments are written as they are, in every language.
        let raw = Msg::new("msg-raw").arg("text", "connection refused");
        assert_eq!(raw.text(Lang::ZhCn), "connection refused");
        // An unknown key shows as itself, as `t` does.
        assert_eq!(Msg::new("no-such-key").text(Lang::ZhCn), "no-such-key");
    }

    #[test]
    fn accept_language_picks_the_best_spoken_language() {
        for (header, want) in [
            ("", Lang::En),
            ("zh-CN,zh;q=0.9,en;q=0.8", Lang::ZhCn),
            ("zh", Lang::ZhCn),
            ("zh-Hans-CN", Lang::ZhCn),
            ("zh_SG", Lang::ZhCn),
            ("ZH-cn", Lang::ZhCn),
            ("en-US,en;q=0.9,zh-CN;q=0.8", Lang::En),
            ("fr-FR, zh-CN;q=0.5", Lang::ZhCn),
            ("fr-FR, de;q=0.5", Lang::En),
            ("zh-TW", Lang::En),
            ("zh-Hant, zh;q=0.4", Lang::ZhCn),
            ("zh-CN;q=0, en", Lang::En),
            ("en;q=0.2, zh;q=0.7", Lang::ZhCn),
            ("zh;q=bogus, en;q=0.1", Lang::En),
            ("*", Lang::En),
            (";;;,,,q=", Lang::En),
        ] {
            assert_eq!(Lang::negotiate(header), want, "{header:?}");
        }
        assert_eq!(Lang::from_tag("zh-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("en"), Some(Lang::En));
        assert_eq!(Lang::from_tag("de"), None);
        for &l in Lang::ALL {
            assert_eq!(Lang::from_tag(l.tag()), Some(l));
        }
    }

    #[test]
    fn q_values() {
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.123"), Some(123));
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q("1.5"), None);
        assert_eq!(parse_q("2"), None);
    }
}

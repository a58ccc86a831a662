//! Mailers: SMTP through lettre, and the log mailer used when `smtphost` is empty.

use async_trait::async_trait;
use hcpool_core::backend::{Email, Mailer};

/// Writes every mail to the log at info level instead of sending it (`smtphost` empty).
///
/// Outside the demo this needs `nosmtp=1` and the links' tokens are redacted
/// ([`LogMailer::redacting`]): a log is no place for a live password-reset link. The demo
/// logs whole mails ([`LogMailer::full`]): that is how its visitor gets the links.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogMailer {
    full: bool,
}

impl LogMailer {
    /// Logs mails with every link's token replaced by `<redacted>`.
    pub fn redacting() -> Self {
        LogMailer { full: false }
    }

    /// Logs whole mails, links and all (the demo).
    pub fn full() -> Self {
        LogMailer { full: true }
    }
}

/// `body` with the value of every `t=` query parameter (the mailed tokens) replaced by
/// `<redacted>`.
pub fn redact_tokens(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = rest.find("?t=").or_else(|| rest.find("&t=")) {
        out.push_str(&rest[..i + 3]);
        out.push_str("<redacted>");
        rest = &rest[i + 3..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '&')
            .unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, email: &Email) -> hcpool_core::Result<()> {
        let body = if self.full {
            email.body.clone()
        } else {
            redact_tokens(&email.body)
        };
        tracing::info!(
            to = %email.to,
            subject = %email.subject,
            body = %body,
            "smtphost is not set: mail logged instead of sent"
        );
        Ok(())
    }
}

use hcpool_core::{BackendKind, Error};
use lettre::address::{Address, Envelope};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

use crate::error::WebError;

/// How the connection to `smtphost` is secured (`smtptls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmtpTls {
    /// `smtptls` unset: by the port. STARTTLS on 25 and 587 (the ports that speak plain
    /// SMTP first, through which hcstakepool could not send at all), implicit TLS on every
    /// other port, 465 included, as hcstakepool (it always dialled TLS).
    #[default]
    ByPort,
    /// `smtptls=implicit`: TLS from the first byte (SMTPS), whatever the port.
    Implicit,
    /// `smtptls=starttls`: plain SMTP, then STARTTLS, which the server must offer.
    StartTls,
}

impl std::str::FromStr for SmtpTls {
    type Err = WebError;

    fn from_str(s: &str) -> Result<Self, WebError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" => Ok(SmtpTls::ByPort),
            "implicit" => Ok(SmtpTls::Implicit),
            "starttls" => Ok(SmtpTls::StartTls),
            other => Err(WebError::Config(format!(
                "smtptls: {:?} is neither \"implicit\" nor \"starttls\" (leave it unset to \
                 choose by the port: STARTTLS on 25 and 587, implicit TLS on any other)",
                hcpool_core::util::truncate(other, hcpool_core::util::ECHO_MAX)
            ))),
        }
    }
}

impl SmtpTls {
    /// Whether a connection to `port` starts with TLS (`true`) or with STARTTLS.
    pub fn implicit_on(self, port: u16) -> bool {
        match self {
            SmtpTls::Implicit => true,
            SmtpTls::StartTls => false,
            SmtpTls::ByPort => !matches!(port, 25 | 587),
        }
    }
}

/// Sends mail through `smtphost` (TLS as [`SmtpTls`] says; AUTH with
/// `smtpusername`/`smtppassword` when a username is set). The server's certificate must
/// chain to the public web roots, or to the authority in `smtpcert` when one is given (a
/// private relay).
///
/// Each mail is `multipart/alternative`: the text, and the same text as HTML
/// ([`html_body`]; hcstakepool sent HTML). The `From` header is `smtpfrom` (when empty,
/// `smtpusername` if it is an email address); the envelope sender (`MAIL FROM`) is
/// `smtpusername` when it is an email address, as hcstakepool, so relays that require the
/// sender to be the authenticated user accept it, and otherwise the `From` address.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    envelope_from: Address,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .field("envelope_from", &self.envelope_from.to_string())
            .finish_non_exhaustive()
    }
}

/// What [`SmtpMailer::new`] is built from (the `smtp*` keys).
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// `smtphost`: `host[:port]`, port 465 when absent.
    pub host: String,
    /// `smtpusername` (empty: no AUTH).
    pub username: String,
    /// `smtppassword`.
    pub password: hcpool_core::Secret<String>,
    /// `smtpfrom`: the From header (empty: `smtpusername`, when it is an email address).
    pub from: String,
    /// `smtpcert`: a PEM file of the authority to trust instead of the public roots.
    pub ca_file: Option<PathBuf>,
    /// `smtptls`: implicit TLS or STARTTLS (default: by the port).
    pub tls: SmtpTls,
}

impl SmtpSettings {
    /// The `From` mailbox and the envelope sender these settings give.
    ///
    /// # Errors
    /// [`WebError::Config`] naming `smtpfrom` when it is not an address, or when it is
    /// empty and `smtpusername` is no email address either.
    pub fn senders(&self) -> Result<(Mailbox, Address), WebError> {
        let username: Option<Address> = self.username.trim().parse().ok();
        let from: Mailbox = if self.from.trim().is_empty() {
            // hcstakepool wrote an empty From header and sent as smtpusername.
            match &username {
                Some(a) => Mailbox::new(None, a.clone()),
                None => {
                    return Err(WebError::Config(
                        "smtpfrom is not set and smtpusername is not an email address: set \
                         smtpfrom to the address mail should come from"
                            .into(),
                    ))
                }
            }
        } else {
            self.from
                .trim()
                .parse()
                .map_err(|e| WebError::Config(format!("smtpfrom: {e}")))?
        };
        let envelope_from = username.unwrap_or_else(|| from.email.clone());
        Ok((from, envelope_from))
    }
}

impl SmtpMailer {
    /// A mailer from the `smtp*` settings.
    ///
    /// # Errors
    /// [`WebError::Config`] naming the bad key (`smtphost`, `smtpfrom`, `smtpcert`).
    pub fn new(settings: &SmtpSettings) -> Result<Self, WebError> {
        let host = settings.host.trim();
        let (name, port) = match host.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| WebError::Config(format!("smtphost: bad port in {host:?}")))?,
            ),
            None => (host, 465),
        };
        if name.is_empty() {
            return Err(WebError::Config("smtphost: no host name".into()));
        }
        let mut tls = TlsParameters::builder(name.to_owned());
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                WebError::Config(format!("smtpcert: cannot read {}: {e}", path.display()))
            })?;
            if !pem.windows(17).any(|w| w == b"BEGIN CERTIFICATE") {
                return Err(WebError::Config(format!(
                    "smtpcert: {} holds no PEM certificate",
                    path.display()
                )));
            }
            let ca = Certificate::from_pem(&pem)
                .map_err(|e| WebError::Config(format!("smtpcert: {}: {e}", path.display())))?;
            tls = tls
                .certificate_store(CertificateStore::None)
                .add_root_certificate(ca);
        }
        let tls = tls
            .build()
            .map_err(|e| WebError::Config(format!("smtphost: {e}")))?;
        let tls = if settings.tls.implicit_on(port) {
            Tls::Wrapper(tls)
        } else {
            Tls::Required(tls)
        };
        // TLS is always set above: "dangerous" only names lettre's builder without it.
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(name)
            .port(port)
            .tls(tls);
        let builder = if settings.username.is_empty() {
            builder
        } else {
            builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.expose().clone(),
            ))
        };
        let (from, envelope_from) = settings.senders()?;
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
            envelope_from,
        })
    }
}

/// `s` with the five HTML-special characters escaped (text and attribute values).
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A line that is a link of the mail's own text: one `http(s)://` URL alone on its line.
/// (The mails put their links on lines of their own; values a user chose, such as an email
/// address, only ever appear inside sentences, so they never become links.)
fn own_link(line: &str) -> Option<&str> {
    let l = line.trim();
    let is_url = (l.starts_with("https://") || l.starts_with("http://"))
        && !l.contains(|c: char| c.is_whitespace() || c.is_control());
    is_url.then_some(l)
}

/// The HTML part of a mail whose text is `text`, written in `lang` (`<html lang>`): every
/// character escaped, paragraphs at blank lines, line breaks kept (hcstakepool labelled its
/// plain text as HTML, so its mails lost their line breaks), links that stand on their own
/// line made clickable. No script, style sheet or remote image.
pub fn html_body(subject: &str, text: &str, lang: hcpool_i18n::Lang) -> String {
    let mut html = format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family: Arial, sans-serif;\">\n",
        lang.tag(),
        escape_html(subject)
    );
    let text = text.replace("\r\n", "\n");
    for para in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
        html.push_str("<p>");
        let lines: Vec<String> = para
            .lines()
            .map(|line| match own_link(line) {
                Some(url) => {
                    let u = escape_html(url);
                    format!("<a href=\"{u}\">{u}</a>")
                }
                None => escape_html(line),
            })
            .collect();
        html.push_str(&lines.join("<br>\n"));
        html.push_str("</p>\n");
    }
    html.push_str("</body></html>\n");
    html
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> hcpool_core::Result<()> {
        let rejected = |m: String| Error::Mailer {
            kind: BackendKind::Rejected,
            source: m.into(),
        };
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| rejected(format!("recipient: {e}")))?;
        let envelope = Envelope::new(Some(self.envelope_from.clone()), vec![to.email.clone()])
            .map_err(|e| rejected(format!("envelope: {e}")))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .envelope(envelope);
        // Extra fields (a notification's List-Unsubscribe): names checked as header tokens,
        // values passed as they are (the core keeps no line break in them).
        for (name, value) in &email.headers {
            let header = HeaderName::new_from_ascii(name.clone())
                .map_err(|e| rejected(format!("header {name:?}: {e}")))?;
            if value.contains(|c: char| c.is_control()) {
                return Err(rejected(format!("header {name}: a control character")));
            }
            builder = builder.raw_header(HeaderValue::new(header, value.clone()));
        }
        // Every mail names its language (`Content-Language`, `<html lang>`); one stored
        // without it (before languages existed) is English.
        let lang = email.lang();
        if !email.has_lang() {
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(hcpool_core::backend::mailer::CONTENT_LANGUAGE),
                lang.tag().to_owned(),
            ));
        }
        let msg = builder
            .multipart(MultiPart::alternative_plain_html(
                email.body.clone(),
                html_body(&email.subject, &email.body, lang),
            ))
            .map_err(|e| rejected(format!("message: {e}")))?;
        self.transport.send(msg).await.map(|_| ()).map_err(|e| {
            let kind = if e.is_permanent() {
                BackendKind::Rejected
            } else {
                BackendKind::Unavailable
            };
            Error::Mailer {
                kind,
                source: Box::new(e),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings trusting the public web roots.
    fn smtp(host: &str, username: &str, from: &str) -> SmtpSettings {
        SmtpSettings {
            host: host.into(),
            username: username.into(),
            password: hcpool_core::Secret::new("pw".to_owned()),
            from: from.into(),
            ca_file: None,
            tls: SmtpTls::ByPort,
        }
    }

    #[test]
    fn smtp_config_errors_name_the_key() {
        assert!(SmtpMailer::new(&smtp(
            "mail.example.com:465",
            "u",
            "Pool <pool@example.com>"
        ))
        .is_ok());
        assert!(SmtpMailer::new(&smtp("mail.example.com:587", "", "pool@example.com")).is_ok());
        let e = SmtpMailer::new(&smtp("mail.example.com:x", "u", "a@b")).unwrap_err();
        assert!(e.to_string().contains("smtphost"), "{e}");
        let e = SmtpMailer::new(&smtp("mail.example.com", "u", "not an address")).unwrap_err();
        assert!(e.to_string().contains("smtpfrom"), "{e}");
    }

    #[test]
    fn tls_mode_follows_smtptls_else_the_port() {
        let by_port: SmtpTls = "".parse().unwrap();
        assert_eq!(by_port, SmtpTls::ByPort);
        // hcstakepool always dialled TLS: every port but the plain-first ones.
        assert!(by_port.implicit_on(465));
        assert!(by_port.implicit_on(2465));
        assert!(by_port.implicit_on(994));
        assert!(!by_port.implicit_on(587));
        assert!(!by_port.implicit_on(25));
        let implicit: SmtpTls = " Implicit ".parse().unwrap();
        assert!(implicit.implicit_on(587));
        let starttls: SmtpTls = "starttls".parse().unwrap();
        assert!(!starttls.implicit_on(465));
        let e = "ssl".parse::<SmtpTls>().unwrap_err();
        assert!(e.to_string().contains("smtptls"), "{e}");
    }

    #[test]
    fn senders_follow_smtpusername_as_hcstakepool() {
        // The envelope sender is the username when it is an address (hcstakepool's MAIL
        // FROM), the From header smtpfrom.
        let (from, env) = smtp("h:465", "relay-user@example.net", "Pool <pool@example.com>")
            .senders()
            .unwrap();
        assert_eq!(from.email.to_string(), "pool@example.com");
        assert_eq!(env.to_string(), "relay-user@example.net");
        // A username that is no address (an API key's user name): the From address.
        let (_, env) = smtp("h:465", "apikey", "pool@example.com")
            .senders()
            .unwrap();
        assert_eq!(env.to_string(), "pool@example.com");
        let (_, env) = smtp("h:465", "", "pool@example.com").senders().unwrap();
        assert_eq!(env.to_string(), "pool@example.com");
        // smtpfrom empty: the username's address (hcstakepool sent an empty From header).
        let (from, env) = smtp("h:465", "pool@example.com", " ").senders().unwrap();
        assert_eq!(from.to_string(), "pool@example.com");
        assert_eq!(env.to_string(), "pool@example.com");
        let e = smtp("h:465", "apikey", "").senders().unwrap_err();
        assert!(e.to_string().contains("smtpfrom is not set"), "{e}");
        assert!(SmtpMailer::new(&smtp("h:465", "apikey", "")).is_err());
    }

    #[test]
    fn html_part_escapes_everything_and_links_only_lines_of_their_own() {
        let text = "A request was made from IP address 10.0.0.1 to change the email from \
                    a@b.c to <script>alert(1)</script>\"@x.y https://evil.example/.\n\n\
                    To confirm, open:\n\nhttp://pool.example/emailupdate?t=ab&x=\"1\"\n\nBye\r\nTeam\n";
        let html = html_body("Stake pool <email> change", text, hcpool_i18n::Lang::En);
        assert!(html.contains("<html lang=\"en\">"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;@x.y"),
            "{html}"
        );
        assert!(
            html.contains("<title>Stake pool &lt;email&gt; change</title>"),
            "{html}"
        );
        // The URL inside the sentence stays text; the one on its own line is a link.
        assert!(!html.contains("href=\"https://evil"), "{html}");
        assert!(
            html.contains("<a href=\"http://pool.example/emailupdate?t=ab&amp;x=&quot;1&quot;\">"),
            "{html}"
        );
        assert!(html.contains("<p>Bye<br>\nTeam</p>"), "{html}");
        assert_eq!(html.matches("<p>").count(), 4, "{html}");
    }

    #[test]
    fn html_part_names_the_mails_language() {
        let html = html_body(
            "权益池邮箱验证",
            "尊敬的 HCASH 用户：\n",
            hcpool_i18n::Lang::ZhCn,
        );
        assert!(
            html.starts_with("<!doctype html>\n<html lang=\"zh-CN\"><head>"),
            "{html}"
        );
        assert!(html.contains("<p>尊敬的 HCASH 用户：</p>"), "{html}");
    }

    #[test]
    fn log_mailer_redacts_link_tokens() {
        let body =
            "Open:\n\nhttp://pool/passwordupdate?t=0123abcd\n\nand http://p/x?a=1&t=ffee end";
        let r = redact_tokens(body);
        assert!(!r.contains("0123abcd") && !r.contains("ffee"), "{r}");
        assert_eq!(
            r,
            "Open:\n\nhttp://pool/passwordupdate?t=<redacted>\n\nand http://p/x?a=1&t=<redacted> end"
        );
        assert_eq!(redact_tokens("no links here"), "no links here");
    }

    #[test]
    fn smtpcert_must_be_a_readable_pem_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let settings = |f: &str| SmtpSettings {
            ca_file: Some(dir.path().join(f)),
            ..smtp("mail.example.com:587", "", "pool@example.com")
        };
        let e = SmtpMailer::new(&settings("absent.pem")).unwrap_err();
        assert!(e.to_string().contains("smtpcert: cannot read"), "{e}");
        std::fs::write(dir.path().join("junk.pem"), "not a certificate").unwrap();
        let e = SmtpMailer::new(&settings("junk.pem")).unwrap_err();
        assert!(e.to_string().contains("holds no PEM certificate"), "{e}");
    }
}

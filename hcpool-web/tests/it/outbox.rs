//! Mail through the outbox (issue 12 items 8 and 9): known and unknown addresses get the same
//! answer whatever SMTP does, requests never wait for SMTP, mail sent after the server
//! recovers, the resend form, mailed tokens stored hashed, the email-change limit, the
//! absolute session lifetime, and the refusal to start without SMTP.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use hcpool_core::backend::{
    Email, MailOutbox, Mailer, NewUser, PasswordReset, Session, SessionStore, TokenStore, UserStore,
};
use hcpool_core::{BackendKind, Error, Secret, VoteBits};
use hcpool_web::auth::{sha256_hex, stored_token};
use hcpool_web::mail::SmtpMailer;
use hcpool_web::outbox::RetryPolicy;
use hcpool_web::session::SESSION_COOKIE;
use rocket::http::{ContentType, Cookie, Status};
use tokio::io::BufReader;
use tokio::net::TcpListener;

use super::common::*;
use super::smtp::{dialog, pki, say};

/// A mail server that is down: every send fails.
struct Refusing;

#[async_trait]
impl Mailer for Refusing {
    async fn send(&self, _email: &Email) -> hcpool_core::Result<()> {
        Err(Error::Mailer {
            kind: BackendKind::Unavailable,
            source: "connection refused".into(),
        })
    }
}

/// A mail server that never answers.
struct Stalling;

#[async_trait]
impl Mailer for Stalling {
    async fn send(&self, _email: &Email) -> hcpool_core::Result<()> {
        std::future::pending().await
    }
}

/// A policy that retries at once (each delivery pass is one attempt) with a short send
/// timeout.
fn quick() -> RetryPolicy {
    RetryPolicy {
        backoff: Duration::ZERO,
        send_timeout: Duration::from_millis(500),
        poll: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}

async fn app_mailing(mailer: Arc<dyn Mailer>) -> TestApp {
    app_custom(settings(), None, move |mut s| {
        s.mailer = mailer;
        s.with_mail_policy(quick())
    })
    .await
}

/// The page with what differs by construction masked: the CSRF token and `email`.
fn masked(html: &str, email: &str) -> String {
    let mut out = html.replace(email, "EMAIL");
    if let Some(csrf) = csrf_in(html) {
        out = out.replace(&csrf, "CSRF");
    }
    out
}

/// Posts `body` (with the CSRF token appended) to `path`, at most 5 s, then reads the page
/// it redirects to: (status, Location, the next page masked).
async fn answer(app: &TestApp, path: &str, body: &str, email: &str) -> (Status, String, String) {
    let csrf = app.csrf(path).await;
    let (s, loc, _) = tokio::time::timeout(
        Duration::from_secs(5),
        app.post_form(path, &format!("{body}&csrf_token={csrf}")),
    )
    .await
    .unwrap_or_else(|_| panic!("POST {path} for {email} waited on the mail server"));
    let loc = loc.unwrap_or_default();
    let (_, page) = app.get(&loc).await;
    (s, loc, masked(&page, email))
}

fn mailers() -> Vec<(&'static str, Arc<dyn Mailer>)> {
    vec![
        ("refusing", Arc::new(Refusing)),
        ("stalling", Arc::new(Stalling)),
        ("working", Arc::new(RecordingMailer::default())),
    ]
}

#[rocket::async_test]
async fn sign_up_answers_alike_for_known_and_unknown_addresses_whatever_smtp_does() {
    for (what, mailer) in mailers() {
        let app = app_mailing(mailer).await;
        app.user("known@example.com", "password1").await;
        let mut answers = Vec::new();
        for email in ["known@example.com", "unknown@example.com"] {
            let body = format!(
                "email={}&password=longpassword&passwordrepeat=longpassword",
                enc(email)
            );
            answers.push(answer(&app, "/signup", &body, email).await);
        }
        assert_eq!(answers[0], answers[1], "{what} mail server");
        assert_eq!(answers[0].0, Status::SeeOther);
        // The same work: one outbox row each, no account written by the request.
        assert!(app
            .store
            .user_by_email("unknown@example.com")
            .await
            .unwrap()
            .is_none());
        assert!(
            answers[0]
                .2
                .contains("A verification email has been sent to EMAIL"),
            "{what}: {}",
            answers[0].2
        );
    }
}

#[rocket::async_test]
async fn password_reset_answers_alike_and_does_the_same_work_for_any_address() {
    for (what, mailer) in mailers() {
        let app = app_mailing(mailer).await;
        app.user("known@example.com", "password1").await;
        let mut answers = Vec::new();
        for email in ["known@example.com", "unknown@example.com"] {
            let body = format!("email={}", enc(email));
            answers.push(answer(&app, "/passwordreset", &body, email).await);
        }
        assert_eq!(answers[0], answers[1], "{what} mail server");
        assert!(answers[0].2.contains("password reset instructions"));
        // Each request stored one job, holding no token: the sender makes it.
        let rows = app
            .store
            .claim_mail(i64::MAX / 2, i64::MAX / 2, 100)
            .await
            .unwrap();
        let seen: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.kind.as_str(),
                    r.recipient.as_str(),
                    r.body.expose().as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("reset", "known@example.com", ""),
                ("reset", "unknown@example.com", "")
            ],
            "{what}"
        );
    }
}

#[rocket::async_test]
async fn mail_forms_answer_while_the_mail_server_stalls() {
    let app = app_mailing(Arc::new(Stalling)).await;
    app.user("a@example.com", "password1").await;
    answer(
        &app,
        "/resendverification",
        "email=a%40example.com",
        "a@example.com",
    )
    .await;
    app.sign_in("a@example.com", "password1").await;
    let csrf = app.csrf("/settings").await;
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        app.post_form(
            "/settings/email",
            &format!("email=b%40example.com&password=password1&csrf_token={csrf}"),
        ),
    )
    .await
    .expect("the email change answers without the mail server");
    assert_eq!(r.1.as_deref(), Some("/settings"));
    // The sender gives the stalled server `send_timeout` per mail, then keeps each for a
    // retry (the resend job for a verified address has nothing to send).
    let pass = app.deliver().await;
    assert_eq!((pass.sent, pass.retry, pass.nothing), (0, 2, 1), "{pass:?}");
}

/// A loopback SMTP server (STARTTLS, the test authority's certificate) whose behaviour can
/// change: 0 stalls (accepts, never greets), 1 refuses (`421` and hangs up), 2 serves.
struct FlakySmtp {
    port: u16,
    ca_pem: String,
    mode: Arc<AtomicU8>,
    connections: Arc<AtomicU32>,
    received: Arc<Mutex<Vec<String>>>,
}

async fn flaky_smtp() -> FlakySmtp {
    let pki = pki();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mode = Arc::new(AtomicU8::new(0));
    let connections = Arc::new(AtomicU32::new(0));
    let received = Arc::new(Mutex::new(Vec::new()));
    let (m, c, r, tls) = (
        mode.clone(),
        connections.clone(),
        received.clone(),
        pki.server.clone(),
    );
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let (mode, received, tls) = (m.load(Ordering::SeqCst), r.clone(), tls.clone());
            tokio::spawn(async move {
                let mut plain = BufReader::new(tcp);
                match mode {
                    0 => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    1 => say(plain.get_mut(), "421 4.3.2 service not available\r\n").await,
                    _ => {
                        say(plain.get_mut(), "220 localhost ESMTP hcpool-test\r\n").await;
                        let mut seen = super::smtp::Session::default();
                        if dialog(&mut plain, false, &mut seen).await {
                            let acceptor = tokio_rustls::TlsAcceptor::from(tls);
                            if let Ok(s) = acceptor.accept(plain.into_inner()).await {
                                let mut secure = BufReader::new(s);
                                dialog(&mut secure, true, &mut seen).await;
                            }
                        }
                        if !seen.data.is_empty() {
                            received.lock().unwrap().push(seen.data);
                        }
                    }
                }
            });
        }
    });
    FlakySmtp {
        port,
        ca_pem: pki.ca_pem,
        mode,
        connections,
        received,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_mail_is_delivered_once_a_stalled_then_refusing_server_recovers() {
    let smtp = flaky_smtp().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &smtp.ca_pem).unwrap();
    let mailer = Arc::new(SmtpMailer::new(&super::smtp::settings(smtp.port, Some(ca))).unwrap());
    let app = app_mailing(mailer).await;
    let (_, _, page) = answer(
        &app,
        "/signup",
        "email=new%40example.com&password=longpassword&passwordrepeat=longpassword",
        "new@example.com",
    )
    .await;
    assert!(page.contains("A verification email has been sent to EMAIL"));

    // Stalled: the attempt times out and the mail waits for a retry.
    let pass = app.deliver().await;
    assert_eq!((pass.claimed, pass.retry, pass.sent), (1, 1, 0), "{pass:?}");
    // Refusing: the same.
    smtp.mode.store(1, Ordering::SeqCst);
    let pass = app.deliver().await;
    assert_eq!((pass.claimed, pass.retry, pass.sent), (1, 1, 0), "{pass:?}");
    assert!(smtp.connections.load(Ordering::SeqCst) >= 2);
    assert!(smtp.received.lock().unwrap().is_empty());

    // Back up: the background sender (as `serve` runs it) delivers on its own.
    smtp.mode.store(2, Ordering::SeqCst);
    let state = app.state();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(hcpool_web::outbox::run(
        state.mail_sender(),
        state.mail_wake.clone(),
        async move {
            let _ = stop_rx.await;
        },
    ));
    let mut data = None;
    for _ in 0..200 {
        if let Some(d) = smtp.received.lock().unwrap().first() {
            data = Some(d.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let data = data.expect("the mail arrived within 10 s of the server's recovery");
    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the sender stops when asked")
        .unwrap();
    let data = decode_qp(&data);
    assert!(data.contains("To: new@example.com"), "{data}");
    assert!(data.contains("Stake pool email verification"), "{data}");

    // The database holds the token's hash, not the token; the link works.
    let link = data
        .split_whitespace()
        .find(|w| w.contains("/emailverify?t="))
        .expect("a verification link")
        .to_owned();
    let token = link.rsplit("t=").next().unwrap().to_owned();
    let stored = app
        .store
        .user_by_email("new@example.com")
        .await
        .unwrap()
        .unwrap()
        .email_token;
    assert_eq!(stored.expose(), &stored_token(&token));
    assert!(!stored.expose().contains(&token));
    let (_, page) = app.get(&link_in(&data)).await;
    assert!(page.contains("Email successfully verified"), "{page}");
    assert!(
        app.store
            .claim_mail(i64::MAX / 2, 0, 10)
            .await
            .unwrap()
            .is_empty(),
        "a sent mail's row is deleted"
    );
}

/// The message as received, with quoted-printable soft breaks and `=XX` escapes decoded
/// (lettre encodes bodies with long lines so).
fn decode_qp(data: &str) -> String {
    let joined = data.replace("=\n", "");
    let mut out = String::with_capacity(joined.len());
    let mut rest = joined.as_str();
    while let Some(i) = rest.find('=') {
        out.push_str(&rest[..i]);
        let hex = rest.get(i + 1..i + 3).unwrap_or("");
        match u8::from_str_radix(hex, 16) {
            Ok(b) if hex.len() == 2 => {
                out.push(b as char);
                rest = &rest[i + 3..];
            }
            _ => {
                out.push('=');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[rocket::async_test]
async fn a_mail_that_keeps_failing_is_given_up_after_its_last_attempt() {
    let app = app_custom(settings(), None, |mut s| {
        s.mailer = Arc::new(Refusing);
        s.with_mail_policy(RetryPolicy {
            max_attempts: 3,
            ..quick()
        })
    })
    .await;
    app.user("a@example.com", "password1").await;
    answer(
        &app,
        "/passwordreset",
        "email=a%40example.com",
        "a@example.com",
    )
    .await;
    let sender = app.state().mail_sender();
    let mut passes = Vec::new();
    for _ in 0..4 {
        let p = sender.deliver_due().await.unwrap();
        passes.push((p.claimed, p.retry, p.given_up));
    }
    assert_eq!(passes, [(1, 1, 0), (1, 1, 0), (1, 0, 1), (0, 0, 0)]);
}

#[test]
fn backoff_doubles_up_to_its_ceiling() {
    let p = RetryPolicy::default();
    let secs: Vec<u64> = (1..=9).map(|n| p.delay_after(n).as_secs()).collect();
    assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
}

#[rocket::async_test]
async fn resend_gives_unverified_accounts_a_new_link_and_everyone_the_same_answer() {
    let app = app().await;
    app.user("verified@example.com", "password1").await;
    let unverified = app
        .store
        .create_user(&NewUser {
            email: "waiting@example.com".into(),
            password_hash: Secret::new("x".into()),
            email_token: Secret::new(stored_token("firsttoken")),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await
        .unwrap();
    // The sign-in page links to the form.
    assert!(app
        .get("/signin")
        .await
        .1
        .contains("href=\"/resendverification\""));
    let mut answers = Vec::new();
    for email in [
        "verified@example.com",
        "waiting@example.com",
        "nobody@example.com",
    ] {
        answers.push(
            answer(
                &app,
                "/resendverification",
                &format!("email={}", enc(email)),
                email,
            )
            .await,
        );
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], answers[2]);
    assert!(answers[0]
        .2
        .contains("a new verification link has been sent"));
    let mails = app.sent().await.clone();
    assert_eq!(mails.len(), 1, "only the unverified account gets mail");
    assert_eq!(mails[0].to, "waiting@example.com");
    // The old link is dead, the new one verifies.
    let (_, page) = app.get("/emailverify?t=firsttoken").await;
    assert!(page.contains("Email verification token not valid"));
    let (_, page) = app.get(&link_in(&mails[0].body)).await;
    assert!(page.contains("Email successfully verified"), "{page}");
    assert!(app
        .store
        .user(unverified)
        .await
        .unwrap()
        .unwrap()
        .is_verified());
}

fn peer(ip: &str) -> SocketAddr {
    format!("{ip}:40000").parse().unwrap()
}

async fn post_from(app: &TestApp, ip: &str, path: &str, body: &str) -> Status {
    app.client
        .post(path.to_owned())
        .remote(peer(ip))
        .header(ContentType::Form)
        .body(body)
        .dispatch()
        .await
        .status()
}

#[rocket::async_test]
async fn resend_is_limited_per_address_and_per_ip() {
    let app = app().await;
    let csrf = app.csrf("/resendverification").await;
    // One address from many IPs.
    let mut statuses = Vec::new();
    for i in 0..7 {
        let body = format!("email=victim%40example.com&csrf_token={csrf}");
        statuses.push(post_from(&app, &format!("10.0.1.{i}"), "/resendverification", &body).await);
    }
    assert_eq!(statuses[..5], [Status::SeeOther; 5]);
    assert_eq!(statuses[5..], [Status::TooManyRequests; 2]);
    // Many addresses from one IP.
    let mut statuses = Vec::new();
    for i in 0..7 {
        let body = format!("email=u{i}%40example.com&csrf_token={csrf}");
        statuses.push(post_from(&app, "10.0.2.1", "/resendverification", &body).await);
    }
    assert_eq!(statuses[..5], [Status::SeeOther; 5]);
    assert_eq!(statuses[5..], [Status::TooManyRequests; 2]);
}

#[rocket::async_test]
async fn email_change_mail_is_limited_per_user_and_per_ip() {
    let app = app().await;
    app.user("a@example.com", "password1").await;
    app.sign_in("a@example.com", "password1").await;
    let csrf = app.csrf("/settings").await;
    let mut statuses = Vec::new();
    for i in 0..7 {
        let body = format!("email=n{i}%40example.com&password=password1&csrf_token={csrf}");
        statuses.push(post_from(&app, &format!("10.0.3.{i}"), "/settings/email", &body).await);
    }
    assert_eq!(statuses[..5], [Status::SeeOther; 5], "per user");
    assert_eq!(statuses[5..], [Status::TooManyRequests; 2], "per user");
    assert_eq!(
        app.sent().await.len(),
        10,
        "two mails for each allowed request"
    );

    // Per IP: other users, one IP.
    let app = super::common::app().await;
    let mut statuses = Vec::new();
    for i in 0..7 {
        let email = format!("u{i}@example.com");
        app.user(&email, "password1").await;
        app.sign_in(&email, "password1").await;
        let csrf = app.csrf("/settings").await;
        let body = format!("email=m{i}%40example.com&password=password1&csrf_token={csrf}");
        statuses.push(post_from(&app, "10.0.4.1", "/settings/email", &body).await);
    }
    assert_eq!(statuses[..5], [Status::SeeOther; 5], "per IP");
    assert_eq!(statuses[5..], [Status::TooManyRequests; 2], "per IP");
}

#[rocket::async_test]
async fn mailed_tokens_are_stored_hashed_and_legacy_clear_tokens_still_work() {
    let app = app().await;
    let (id, _) = app.user("a@example.com", "password1").await;
    // Reset: the mailed token is not in the row; its hash is.
    answer(
        &app,
        "/passwordreset",
        "email=a%40example.com",
        "a@example.com",
    )
    .await;
    let mail = app.sent().await.pop().unwrap();
    let path = link_in(&mail.body);
    let token = path.rsplit("t=").next().unwrap().to_owned();
    assert!(app.store.password_reset(&token).await.unwrap().is_none());
    assert!(app
        .store
        .password_reset(&stored_token(&token))
        .await
        .unwrap()
        .is_some());
    assert!(app.get(&path).await.1.contains("name=\"password\""));

    // Email change: the same.
    app.sign_in("a@example.com", "password1").await;
    let csrf = app.csrf("/settings").await;
    app.post_form(
        "/settings/email",
        &format!("email=new%40example.com&password=password1&csrf_token={csrf}"),
    )
    .await;
    assert!(app
        .get("/settings")
        .await
        .1
        .contains("Verification token sent"));
    let to_new = app
        .sent()
        .await
        .iter()
        .find(|m| m.to == "new@example.com")
        .cloned()
        .unwrap();
    let path = link_in(&to_new.body);
    let token = path.rsplit("t=").next().unwrap().to_owned();
    assert!(app.store.email_change(&token).await.unwrap().is_none());
    assert!(app
        .store
        .email_change(&stored_token(&token))
        .await
        .unwrap()
        .is_some());
    // A hash read from the database is no token.
    let (_, page) = app
        .get(&format!("/emailupdate?t={}", stored_token(&token)))
        .await;
    assert!(
        page.contains("Email verification token not valid"),
        "{page}"
    );
    assert!(app
        .get(&path)
        .await
        .1
        .contains("Email successfully updated"));

    // A reset row hcstakepool wrote (token in clear) still works through its link.
    let now = app.state().now();
    app.store
        .create_password_reset(&PasswordReset {
            user_id: id,
            token: Secret::new("0123456789abcdef0123456789abcdef".into()),
            created: now,
            expires: now + 3600,
        })
        .await
        .unwrap();
    let (_, page) = app
        .get("/passwordupdate?t=0123456789abcdef0123456789abcdef")
        .await;
    assert!(
        page.contains("name=\"password\"") && !page.contains("not valid"),
        "{page}"
    );
}

/// A session row for cookie value `cookie`, created `age` seconds ago, valid a while yet.
async fn session_aged(app: &TestApp, cookie: &str, user: hcpool_core::UserId, age: i64) {
    let now = app.state().now();
    app.store
        .create_session(&Session {
            id_hash: sha256_hex(cookie),
            user_id: user,
            csrf_token: Secret::new("c".repeat(64)),
            created: now - age,
            expires: now + 3600,
            // Used minutes ago: the idle rule alone would keep it (and this request touches
            // it).
            last_seen: now - 400,
        })
        .await
        .unwrap();
}

#[rocket::async_test]
async fn a_session_ends_at_its_absolute_lifetime_however_active() {
    let mut s = settings();
    s.session_max_secs = 24 * 3600;
    let app = app_with(s).await;
    let (id, _) = app.user("a@example.com", "password1").await;
    session_aged(&app, "young", id, 24 * 3600 - 600).await;
    session_aged(&app, "old", id, 24 * 3600).await;
    let get = |cookie: &'static str| {
        app.client
            .get("/settings")
            .cookie(Cookie::new(SESSION_COOKIE, cookie))
            .dispatch()
    };
    assert_eq!(get("young").await.status(), Status::Ok);
    assert_eq!(
        get("old").await.status(),
        Status::SeeOther,
        "past its lifetime"
    );
    let now = app.state().now();
    assert!(
        app.store
            .session(&sha256_hex("old"), now)
            .await
            .unwrap()
            .is_none(),
        "and deleted"
    );
    // Touching the young one never extends it past created + lifetime.
    let young = app
        .store
        .session(&sha256_hex("young"), now)
        .await
        .unwrap()
        .unwrap();
    assert!(young.expires <= young.created + 24 * 3600, "{young:?}");
}

#[test]
fn no_smtphost_is_refused_unless_nosmtp_allows_it() {
    let base = "testnet=1\napisecret=a\ncookiesecret=b\ndbpassword=c\n\
                coldwalletextpub=tpubCold\nvotingwalletextpub=tpubVoting\n\
                wallethosts=127.0.0.1:1\nwalletusers=u\nwalletpasswords=p\n\
                walletcerts=/nonexistent/a.cert\nminservers=1\n";
    let dir = std::path::Path::new("/nonexistent");
    let cfg = hcpool_web::config::Config::from_ini(base).unwrap();
    let e = hcpool_web::wiring::mailer(&cfg.web, dir)
        .err()
        .expect("refused");
    assert!(e.to_string().contains("nosmtp=1"), "{e}");
    // build() refuses before it connects anything (the wallet hosts here do not exist).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let e = rt
        .block_on(hcpool_web::wiring::build(&cfg, dir))
        .err()
        .expect("refused");
    assert!(e.to_string().contains("smtphost is not set"), "{e}");
    let cfg = hcpool_web::config::Config::from_ini(&format!("{base}nosmtp=1\n")).unwrap();
    assert!(hcpool_web::wiring::mailer(&cfg.web, dir).is_ok());
    let cfg = hcpool_web::config::Config::from_ini(&format!(
        "{base}smtphost=mail.example.com:587\nsmtpfrom=pool@example.com\n"
    ))
    .unwrap();
    assert!(hcpool_web::wiring::mailer(&cfg.web, dir).is_ok());
}

//! The account service over the in-memory store, a fake hasher (`argon:`/`$2a$` prefixes)
//! and counting tokens.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use super::*;
use crate::backend::accounts::MockPasswordHasher;
use crate::backend::{MailOutbox, MemoryStore, SessionStore, TokenStore, UserStore};

struct FakeHasher;

#[async_trait]
impl PasswordHasher for FakeHasher {
    async fn hash(&self, password: &str, scheme: HashScheme) -> Result<Secret<String>> {
        Ok(Secret::new(match scheme {
            HashScheme::Argon2id => format!("argon:{password}"),
            _ => format!("$2a$10${password}"),
        }))
    }
    async fn verify(&self, password: &str, stored: &Secret<String>) -> Result<PasswordCheck> {
        let s = stored.expose();
        Ok(if s == &format!("argon:{password}") {
            PasswordCheck::Ok
        } else if s == &format!("$2a$10${password}") {
            PasswordCheck::OkNeedsUpgrade
        } else {
            PasswordCheck::Mismatch
        })
    }
    async fn waste_a_check(&self, _password: &str) {}
}

#[derive(Default)]
struct Counter(AtomicU64);

impl TokenSource for Counter {
    fn random_hex(&self, bytes: usize) -> String {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        format!("{n:0width$x}", width = bytes * 2)
    }
}

struct Jwt;

impl ApiTokenIssuer for Jwt {
    fn issue(&self, user: UserId, issued_at: i64) -> Secret<String> {
        Secret::new(format!("api-{}-{issued_at}", user.0))
    }

    fn verify(&self, token: &str, _now: i64) -> Option<UserId> {
        let (uid, _) = token.strip_prefix("api-")?.split_once('-')?;
        uid.parse().ok().map(UserId)
    }
}

struct Now(AtomicI64);

impl Clock for Now {
    fn now_unix(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

struct Fixture {
    svc: AccountService,
    store: Arc<MemoryStore>,
    clock: Arc<Now>,
}

fn fixture_with(gate: RegistrationGate, legacy: bool) -> Fixture {
    fixture_hasher(gate, legacy, Arc::new(FakeHasher))
}

fn fixture_hasher(
    gate: RegistrationGate,
    legacy: bool,
    hasher: Arc<dyn PasswordHasher>,
) -> Fixture {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(Now(AtomicI64::new(1_000_000)));
    let svc = AccountService::new(AccountParts {
        store: store.clone(),
        clock: clock.clone(),
        hasher,
        tokens: Arc::new(Counter::default()),
        api_tokens: Arc::new(Jwt),
        gate,
        settings: AccountSettings {
            base_url: "https://pool.example".into(),
            legacy_passwords: legacy,
        },
        mail_wake: Arc::new(Notify::new()),
    });
    Fixture { svc, store, clock }
}

fn fixture() -> Fixture {
    fixture_with(RegistrationGate::open(), false)
}

fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

impl Fixture {
    /// Claims and renders every outbox row, as the web's sender does (without SMTP).
    async fn send_all(&self) -> Vec<Email> {
        let now = self.clock.now_unix();
        let rows = self.store.claim_mail(now, now + 300, 100).await.unwrap();
        let mut out = Vec::new();
        for row in rows {
            if let Some(m) = self.svc.render_job(&row).await.unwrap() {
                out.push(m);
            }
            self.store.delete_mail(row.id, row.attempts).await.unwrap();
        }
        out
    }

    fn link(mail: &Email, path: &str) -> String {
        let at = mail.body.find(path).unwrap() + path.len();
        mail.body[at..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }

    /// A verified user `a@b.c` with password `password1`.
    async fn verified(&self) -> User {
        self.svc
            .sign_up(&email("a@b.c"), "password1", "password1", Lang::En)
            .await
            .unwrap();
        let mails = self.send_all().await;
        let t = Self::link(&mails[0], "/emailverify?t=");
        self.svc.verify_email(&t).await.unwrap();
        self.store.user_by_email("a@b.c").await.unwrap().unwrap()
    }
}

fn refusal<T: std::fmt::Debug>(r: Result<T>) -> Refusal {
    match r {
        Err(Error::Account(r)) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn sign_up_answers_the_same_for_known_and_unknown_addresses() {
    let f = fixture();
    let u = f.verified().await;
    // The taken address and a new one: the same answer and one outbox row each.
    f.svc
        .sign_up(&email("a@b.c"), "password2", "password2", Lang::En)
        .await
        .unwrap();
    f.svc
        .sign_up(&email("new@b.c"), "password2", "password2", Lang::En)
        .await
        .unwrap();
    let mails = f.send_all().await;
    assert_eq!(mails.len(), 2);
    assert_eq!(
        mails[0].subject, "Stake pool sign up",
        "a notice for the owner"
    );
    assert!(!mails[0].body.contains("t="), "and no token");
    assert_eq!(mails[1].subject, "Stake pool email verification");
    // The owner's password is untouched.
    let again = f.store.user(u.id).await.unwrap().unwrap();
    assert_eq!(again.password_hash.expose(), "argon:password1");
}

#[tokio::test]
async fn sign_up_checks_the_gate_and_the_password() {
    let f = fixture_with(RegistrationGate::new(true, "closed".into(), None), false);
    assert!(matches!(
        f.svc.sign_up(&email("a@b.c"), "password1", "password1", Lang::En).await,
        Err(Error::PoolClosed(m)) if m == "closed"
    ));
    let f = fixture();
    assert_eq!(
        refusal(
            f.svc
                .sign_up(&email("a@b.c"), "short", "short", Lang::En)
                .await
        ),
        Refusal::WeakPassword("password must be at least 8 characters long")
    );
    assert_eq!(
        refusal(
            f.svc
                .sign_up(&email("a@b.c"), "password1", "password2", Lang::En)
                .await
        ),
        Refusal::PasswordsDiffer
    );
    assert!(f.send_all().await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn verification_is_single_use_hashed_and_issues_an_api_token() {
    let f = fixture();
    f.svc
        .sign_up(&email("a@b.c"), "password1", "password1", Lang::En)
        .await
        .unwrap();
    let mails = f.send_all().await;
    let t = Fixture::link(&mails[0], "/emailverify?t=");
    let stored = f.store.user_by_email("a@b.c").await.unwrap().unwrap();
    assert_eq!(stored.email_token.expose(), &stored_token(&t));
    assert_eq!(
        refusal(f.svc.sign_in("a@b.c", "password1").await),
        Refusal::NotVerified
    );
    let uid = f.svc.verify_email(&format!(" {t} ")).await.unwrap();
    let u = f.store.user(uid).await.unwrap().unwrap();
    assert!(u.is_verified());
    assert_eq!(u.api_token.expose(), "api-1-1000000");
    assert_eq!(
        refusal(f.svc.verify_email(&t).await),
        Refusal::VerificationTokenInvalid
    );
    assert_eq!(
        refusal(f.svc.verify_email("  ").await),
        Refusal::NoVerificationToken
    );
    // A resend for a verified address sends nothing; for an unknown one neither.
    f.svc
        .resend_verification(&email("a@b.c"), Lang::En)
        .await
        .unwrap();
    f.svc
        .resend_verification(&email("x@b.c"), Lang::En)
        .await
        .unwrap();
    assert!(f.send_all().await.is_empty());
}

#[tokio::test]
async fn sign_in_upgrades_a_legacy_hash_unless_legacy_passwords() {
    for legacy in [false, true] {
        let f = fixture_with(RegistrationGate::open(), legacy);
        let u = f.verified().await;
        f.store
            .change_password(u.id, &Secret::new("$2a$10$password1".into()))
            .await
            .unwrap();
        let signed = f.svc.sign_in(" a@b.c ", "password1").await.unwrap();
        assert_eq!(signed.id, u.id);
        let after = f.store.user(u.id).await.unwrap().unwrap();
        let want = if legacy {
            "$2a$10$password1"
        } else {
            "argon:password1"
        };
        assert_eq!(after.password_hash.expose(), want, "legacy={legacy}");
        assert_eq!(
            refusal(f.svc.sign_in("a@b.c", "wrong").await),
            Refusal::BadCredentials
        );
        assert_eq!(
            refusal(f.svc.sign_in("nobody@b.c", "password1").await),
            Refusal::BadCredentials
        );
    }
}

#[tokio::test]
async fn an_unknown_address_costs_a_check_too() {
    let mut h = MockPasswordHasher::new();
    h.expect_waste_a_check().times(2).return_const(());
    h.expect_verify().never();
    let f = fixture_hasher(RegistrationGate::open(), false, Arc::new(h));
    for addr in ["nobody@b.c", "not an address"] {
        assert_eq!(
            refusal(f.svc.sign_in(addr, "password1").await),
            Refusal::BadCredentials
        );
    }
    let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
    assert_eq!(
        refusal(f.svc.sign_in("a@b.c", &long).await),
        Refusal::BadCredentials
    );
}

#[tokio::test]
async fn reset_tokens_are_single_use_and_expire() {
    let f = fixture();
    let u = f.verified().await;
    f.svc
        .request_password_reset("a@b.c", "10.0.0.1", Lang::En)
        .await
        .unwrap();
    f.svc
        .request_password_reset("nobody@b.c", "10.0.0.1", Lang::En)
        .await
        .unwrap();
    f.svc
        .request_password_reset("garbage", "10.0.0.1", Lang::En)
        .await
        .unwrap();
    let mails = f.send_all().await;
    assert_eq!(mails.len(), 1, "only the account's address gets a link");
    assert!(mails[0].body.contains("IP address 10.0.0.1"));
    let t = Fixture::link(&mails[0], "/passwordupdate?t=");
    f.svc.check_reset_token(&t).await.unwrap();
    assert_eq!(
        refusal(f.svc.reset_password(&t, "newpassword", "other").await),
        Refusal::PasswordsDiffer
    );
    let before = f.store.user(u.id).await.unwrap().unwrap().api_token;
    assert_eq!(
        f.svc
            .reset_password(&t, "newpassword", "newpassword")
            .await
            .unwrap(),
        u.id
    );
    let after = f.store.user(u.id).await.unwrap().unwrap();
    assert_eq!(after.password_hash.expose(), "argon:newpassword");
    assert!(!after.api_token.expose().is_empty());
    assert_ne!(
        after.api_token, before,
        "a new API token, even in the same second"
    );
    assert_eq!(
        refusal(f.svc.reset_password(&t, "newpassword", "newpassword").await),
        Refusal::ResetTokenInvalid,
        "single use"
    );
    // A second token expires after an hour.
    f.svc
        .request_password_reset("a@b.c", "10.0.0.1", Lang::En)
        .await
        .unwrap();
    let t = Fixture::link(&f.send_all().await[0], "/passwordupdate?t=");
    f.clock.0.fetch_add(RESET_TOKEN_SECS, Ordering::SeqCst);
    assert_eq!(
        refusal(f.svc.check_reset_token(&t).await),
        Refusal::ResetTokenExpired
    );
    assert_eq!(
        refusal(f.svc.check_reset_token("").await),
        Refusal::NoResetToken
    );
}

#[tokio::test]
async fn email_change_needs_the_password_and_the_link() {
    let f = fixture();
    let u = f.verified().await;
    assert_eq!(
        refusal(f.svc.check_email_change(&u, "c@d.e", "wrong").await),
        Refusal::WrongPassword
    );
    assert_eq!(
        refusal(f.svc.check_email_change(&u, "nope", "password1").await),
        Refusal::InvalidEmail
    );
    let new = f
        .svc
        .check_email_change(&u, " c@d.e ", "password1")
        .await
        .unwrap();
    f.svc
        .request_email_change(&u, &new, "10.0.0.2", Lang::En)
        .await
        .unwrap();
    let mails = f.send_all().await;
    assert_eq!(
        mails.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(),
        ["c@d.e", "a@b.c"]
    );
    let t = Fixture::link(&mails[0], "/emailupdate?t=");
    assert!(!mails[1].body.contains(&t), "the old address gets no link");
    assert_eq!(f.svc.confirm_email_change(&t).await.unwrap(), u.id);
    let after = f.store.user(u.id).await.unwrap().unwrap();
    assert_eq!(after.email, "c@d.e");
    assert!(!after.api_token.expose().is_empty());
    assert_eq!(
        refusal(f.svc.confirm_email_change(&t).await),
        Refusal::VerificationTokenInvalid
    );
    // A taken address: the same answer, nothing sent.
    f.svc
        .sign_up(&email("x@y.z"), "password1", "password1", Lang::En)
        .await
        .unwrap();
    f.send_all().await;
    f.svc
        .request_email_change(&after, &email("x@y.z"), "10.0.0.2", Lang::En)
        .await
        .unwrap();
    assert!(f.send_all().await.is_empty());
    // An expired link.
    f.svc
        .request_email_change(&after, &email("q@y.z"), "10.0.0.2", Lang::En)
        .await
        .unwrap();
    let t = Fixture::link(&f.send_all().await[0], "/emailupdate?t=");
    f.clock.0.fetch_add(EMAIL_CHANGE_SECS, Ordering::SeqCst);
    assert_eq!(
        refusal(f.svc.confirm_email_change(&t).await),
        Refusal::EmailChangeExpired
    );
}

#[tokio::test]
async fn api_tokens_are_issued_once_and_rotated() {
    let f = fixture();
    let u = f.verified().await;
    let shown = f.svc.api_token(&u).await.unwrap();
    assert_eq!(shown, u.api_token);
    f.clock.0.fetch_add(5, Ordering::SeqCst);
    f.svc.rotate_api_token(u.id).await.unwrap();
    let after = f.store.user(u.id).await.unwrap().unwrap();
    assert_eq!(after.api_token.expose(), "api-1-1000005");
    // A user without one gets one stored when it is shown.
    f.store
        .set_api_token(u.id, &Secret::default())
        .await
        .unwrap();
    let none = f.store.user(u.id).await.unwrap().unwrap();
    let t = f.svc.api_token(&none).await.unwrap();
    assert_eq!(f.store.user(u.id).await.unwrap().unwrap().api_token, t);
}

/// hcstakepool's start-up step 6: verified and grandfathered users without a token get
/// one (and can use the API with it); unverified users and users with a token are left
/// alone; a second run finds nothing to do.
#[tokio::test]
async fn backfill_issues_tokens_to_verified_users_without_one() {
    let f = fixture();
    let verified = f.verified().await;
    let mut ids = Vec::new();
    for (n, verify) in [("g@b.c", true), ("p@b.c", false)] {
        let id = f
            .store
            .create_user(&NewUser {
                email: n.into(),
                password_hash: Secret::new("x".into()),
                email_token: Secret::new(format!("tok-{n}")),
                vote_bits: VoteBits(1),
                vote_bits_version: 7,
            })
            .await
            .unwrap();
        if verify {
            assert_eq!(
                f.store.verify_email(&format!("tok-{n}")).await.unwrap(),
                Some(id)
            );
        }
        ids.push(id);
    }
    let (without, pending) = (ids[0], ids[1]);
    f.clock.0.fetch_add(7, Ordering::SeqCst);
    // The verified user made through the service has one; the other verified one not yet.
    assert_eq!(f.svc.backfill_api_tokens().await.unwrap(), 1);
    let token = f.store.user(without).await.unwrap().unwrap().api_token;
    assert_eq!(token.expose(), &format!("api-{}-1000007", without.0));
    assert_eq!(
        f.svc.api_user(token.expose()).await.unwrap().map(|u| u.id),
        Some(without),
        "the backfilled token works"
    );
    let pending_row = f.store.user(pending).await.unwrap().unwrap();
    assert_eq!(pending_row.api_token.expose(), "", "unverified: none");
    assert_eq!(
        f.store.user(verified.id).await.unwrap().unwrap().api_token,
        verified.api_token,
        "an existing token is kept"
    );
    assert_eq!(f.svc.backfill_api_tokens().await.unwrap(), 0);
}

#[tokio::test]
async fn api_user_needs_a_valid_token_that_is_still_the_users() {
    let f = fixture();
    let u = f.verified().await;
    let token = f.svc.api_token(&u).await.unwrap();
    let found = f.svc.api_user(token.expose()).await.unwrap();
    assert_eq!(found.map(|x| x.id), Some(u.id));
    for bad in ["", "garbage", "api-99-1000000", "api-1-1"] {
        assert_eq!(f.svc.api_user(bad).await.unwrap(), None, "{bad:?}");
    }
    // A rotated token revokes the old one at once.
    f.clock.0.fetch_add(5, Ordering::SeqCst);
    f.svc.rotate_api_token(u.id).await.unwrap();
    assert_eq!(f.svc.api_user(token.expose()).await.unwrap(), None);
    let new = f.store.user(u.id).await.unwrap().unwrap().api_token;
    assert!(f.svc.api_user(new.expose()).await.unwrap().is_some());
    // A cleared token matches nothing, not even an empty bearer.
    f.store
        .set_api_token(u.id, &Secret::default())
        .await
        .unwrap();
    assert_eq!(f.svc.api_user(new.expose()).await.unwrap(), None);
}

#[tokio::test]
async fn password_change_revokes_and_mails_a_notice() {
    let f = fixture();
    let u = f.verified().await;
    let sid = f.svc.start_session(u.id, None, 3600).await.unwrap();
    assert_eq!(sid.len(), 64);
    assert!(f
        .store
        .session(&sha256_hex(&sid), 1_000_000)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        refusal(
            f.svc
                .change_password(&u, "wrong", "newpassword", "newpassword", Lang::En)
                .await
        ),
        Refusal::WrongPassword
    );
    f.svc
        .change_password(&u, "password1", "newpassword", "newpassword", Lang::En)
        .await
        .unwrap();
    assert!(f
        .store
        .session(&sha256_hex(&sid), 1_000_000)
        .await
        .unwrap()
        .is_none());
    let mails = f.send_all().await;
    assert_eq!(mails[0].subject, "Stake pool password change");
    assert!(mails[0].body.contains("https://pool.example"));
    f.svc.sign_in("a@b.c", "newpassword").await.unwrap();
}

#[test]
fn mailed_tokens_are_stored_hashed_and_legacy_ones_still_match() {
    let t = "00112233445566778899aabbccddeeff";
    let keys = token_keys(t);
    assert_eq!(keys, vec![stored_token(t), t.to_owned()]);
    assert!(keys[0].starts_with("sha256:") && !keys[0].contains(t));
    assert_eq!(keys[0].len(), 7 + 64);
    assert_eq!(token_keys(&keys[0]), vec![stored_token(&keys[0])]);
    assert!(token_keys("  ").is_empty());
    assert!(check_password_policy("").is_err());
    assert!(check_password_policy("longenough").is_ok());
}

/// Issue 15: a disabled account (`hcpoolctl disable-user`: the stored hash carries
/// `DISABLED_PASSWORD_PREFIX`) cannot sign in and is sent no reset or verification link
/// that could bring it back.
#[tokio::test]
async fn a_disabled_account_gets_no_links_and_cannot_sign_in() {
    use crate::backend::DISABLED_PASSWORD_PREFIX;
    let f = fixture();
    let u = f.verified().await;
    let disabled = format!("{DISABLED_PASSWORD_PREFIX}{}", u.password_hash.expose());
    f.store
        .change_password(u.id, &Secret::new(disabled))
        .await
        .unwrap();
    assert!(f.store.user(u.id).await.unwrap().unwrap().is_disabled());
    assert_eq!(
        refusal(f.svc.sign_in("a@b.c", "password1").await),
        Refusal::BadCredentials
    );
    f.svc
        .request_password_reset("a@b.c", "10.0.0.1", Lang::En)
        .await
        .unwrap();
    f.svc
        .resend_verification(&email("a@b.c"), Lang::En)
        .await
        .unwrap();
    assert!(
        f.send_all().await.is_empty(),
        "no link for a disabled account"
    );
    // The same requests for an enabled account do send (the check above is not vacuous).
    f.store
        .change_password(u.id, &u.password_hash)
        .await
        .unwrap();
    f.svc
        .request_password_reset("a@b.c", "10.0.0.1", Lang::En)
        .await
        .unwrap();
    assert_eq!(f.send_all().await.len(), 1);
}

#[tokio::test]
async fn mails_are_written_in_the_language_of_the_request() {
    let f = fixture();
    f.svc
        .sign_up(&email("zh@b.c"), "password1", "password1", Lang::ZhCn)
        .await
        .unwrap();
    f.svc
        .sign_up(&email("en@b.c"), "password1", "password1", Lang::En)
        .await
        .unwrap();
    f.svc
        .request_password_reset("zh@b.c", "10.0.0.9", Lang::ZhCn)
        .await
        .unwrap();
    let mails = f.send_all().await;
    assert_eq!(mails.len(), 3, "{mails:?}");
    let zh = &mails[0];
    assert_eq!(zh.subject, "权益池邮箱验证");
    assert!(
        zh.body
            .starts_with("尊敬的 HCASH 用户：\n\n为了您的账户安全"),
        "{}",
        zh.body
    );
    assert!(zh.body.contains("/emailverify?t="), "{}", zh.body);
    assert!(zh.body.ends_with("HCASH 团队\n"), "{}", zh.body);
    // English is the text it always was, byte for byte.
    let en = &mails[1];
    assert_eq!(en.subject, "Stake pool email verification");
    let link = Fixture::link(en, "/emailverify?t=");
    assert_eq!(
        en.body,
        format!(
            "Dear HCASH user,\n\nFor security purposes, please click the following link to \
             verify your email address.\n\n{}/emailverify?t={link}\n\nHCASH Team\n",
            f.svc.settings().base_url
        )
    );
    let reset = &mails[2];
    assert_eq!(reset.subject, "权益池密码重置");
    assert!(reset.body.contains("IP 地址 10.0.0.9"), "{}", reset.body);
    assert!(reset.body.contains("/passwordupdate?t="), "{}", reset.body);
    // Each names its language (Content-Language, and the mailer's `<html lang>`).
    let langs: Vec<Lang> = mails.iter().map(Email::lang).collect();
    assert_eq!(langs, [Lang::ZhCn, Lang::En, Lang::ZhCn]);
}

#[test]
fn a_rendered_mails_language_rides_in_its_ip_column() {
    let mail = Email::new("a@b.c".into(), "主题".into(), "正文\n".into(), Lang::ZhCn);
    let row = outbox_row(Job::Mail(mail), 5);
    assert_eq!((row.kind.as_str(), row.ip.as_str()), (KIND_MAIL, "zh-CN"));
    let en = Email::new("a@b.c".into(), "s".into(), "b\n".into(), Lang::En);
    assert_eq!(
        outbox_row(Job::Mail(en), 5).ip,
        "",
        "as before languages existed"
    );
}

#[tokio::test]
async fn a_rendered_mail_keeps_its_language_through_the_outbox() {
    let f = fixture();
    let old = outbox_row(
        Job::Mail(Email {
            headers: Vec::new(),
            to: "a@b.c".into(),
            subject: "s".into(),
            body: "b\n".into(),
        }),
        f.clock.now_unix(),
    );
    f.store.enqueue_mail(&old).await.unwrap();
    let zh = Email::new("z@b.c".into(), "主题".into(), "正文\n".into(), Lang::ZhCn);
    f.svc.enqueue(Job::Mail(zh.clone())).await.unwrap();
    let mut mails = f.send_all().await;
    mails.sort_by(|a, b| a.to.cmp(&b.to));
    assert_eq!(mails.len(), 2);
    assert_eq!(
        mails[0].lang(),
        Lang::En,
        "a row stored before languages existed"
    );
    assert_eq!(mails[1], zh);
}

#[test]
fn a_rows_language_rides_in_its_subject_column() {
    let row = outbox_row(
        Job::Resend {
            email: email("a@b.c"),
            lang: Lang::ZhCn,
        },
        5,
    );
    assert_eq!(row.subject, "zh-CN");
    assert_eq!(row_lang(&row), Lang::ZhCn);
    let row = outbox_row(
        Job::Resend {
            email: email("a@b.c"),
            lang: Lang::En,
        },
        5,
    );
    assert_eq!(row.subject, "", "as before languages existed");
    assert_eq!(row_lang(&row), Lang::En);
}

// ----- account deletion and export (service::erasure) -----

#[tokio::test]
async fn delete_account_needs_the_password_and_ends_sign_in() {
    let f = fixture();
    let id = f
        .store
        .create_user(&NewUser {
            email: "del@example.com".into(),
            password_hash: Secret::new("argon:password1".into()),
            email_token: Secret::new(String::new()),
            vote_bits: VoteBits(1),
            vote_bits_version: 7,
        })
        .await
        .unwrap();
    let user = f.store.user(id).await.unwrap().unwrap();
    let sid = f.svc.start_session(id, None, 600).await.unwrap();
    let err = f
        .svc
        .delete_account(&user, "wrong-password")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Account(Refusal::WrongPassword)),
        "{err}"
    );
    assert!(!f.store.user(id).await.unwrap().unwrap().is_erased());

    let export = f
        .svc
        .export(&user, None, Some(&sha256_hex(&sid)))
        .await
        .unwrap();
    assert_eq!(export.account.email, "del@example.com");
    assert_eq!(export.sessions.len(), 1);
    assert!(export.sessions[0].current);
    assert!(export.registration.is_none() && export.tickets.is_none());
    let text = format!("{export:?}");
    assert!(
        !text.contains("argon:password1"),
        "no password hash: {text}"
    );

    let started = f.svc.delete_account(&user, "password1").await.unwrap();
    assert!(started.complete && started.sessions == 1);
    let row = f.store.user(id).await.unwrap().unwrap();
    assert!(row.is_erased());
    // The erased row refuses its old password and the placeholder address alike.
    let err = f.svc.delete_account(&row, "password1").await.unwrap_err();
    assert!(matches!(err, Error::Account(Refusal::WrongPassword)));
    for (email, pw) in [
        ("del@example.com", "password1"),
        (row.email.as_str(), "password1"),
        (row.email.as_str(), crate::backend::ERASED_PASSWORD),
    ] {
        let err = f.svc.sign_in(email, pw).await.unwrap_err();
        assert!(
            matches!(err, Error::Account(Refusal::BadCredentials)),
            "{email}"
        );
    }
    // The address can sign up again.
    f.svc
        .sign_up(
            &email("del@example.com"),
            "password2",
            "password2",
            Lang::En,
        )
        .await
        .unwrap();
    f.send_all().await;
    let again = f
        .store
        .user_by_email("del@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(again.id, id);
}

//! Issue 16 row 5, vote notifications: the page (off by default, CSRF-protected, the
//! request's language kept), the unsubscribe link without a session, and on the simulated
//! chain a voted ticket mailed once through the outbox, with two instances scanning one
//! database; two instances' background passes make one scan's wallet calls per block.

use super::common::user_key;
use std::sync::Arc;
use std::time::Duration;

use hcpool_core::backend::{Email, NotificationStore};
use hcpool_core::notify::NotifyMode;
use hcpool_core::service::{NotifyChoice, NotifyService, NotifySettings};
use hcpool_core::Secret;
use hcpool_simnet::{TicketPurchase, TicketState};
use hcpool_web::notify::Notifier;
use rocket::http::{ContentType, Header, Status};

use super::common::{self, *};
use super::live::{self, exchange, request};

#[rocket::async_test]
async fn the_page_is_off_by_default_and_saves_with_csrf_and_the_language() {
    let app = app().await;
    let (id, _) = app.user("notify@example.com", "password1").await;
    app.sign_in("notify@example.com", "password1").await;
    let (s, settings) = app.get("/settings").await;
    assert_eq!(s, Status::Ok);
    assert!(settings.contains("href=\"/notifications\""), "{settings}");
    let (s, page) = app.get("/notifications").await;
    assert_eq!(s, Status::Ok, "{page}");
    assert!(page.contains("Notifications are off."), "{page}");
    assert!(
        !page.contains("value=\"true\" checked"),
        "nothing chosen: {page}"
    );
    assert!(page.contains("value=\"immediate\" checked"), "{page}");
    assert_eq!(app.store.notify_prefs(id).await.unwrap(), None);

    // A forged post changes nothing.
    let (s, _, body) = app
        .post_form(
            "/notifications",
            "on_vote=true&mode=daily&csrf_token=forged",
        )
        .await;
    assert_eq!(
        (s, body.as_str()),
        (Status::BadRequest, "Invalid Csrf Token\n")
    );
    assert_eq!(app.store.notify_prefs(id).await.unwrap(), None);

    let csrf = app.csrf("/notifications").await;
    let r = app
        .client
        .post("/notifications")
        .header(ContentType::Form)
        .header(Header::new("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8"))
        .body(format!(
            "on_vote=true&on_revoke=true&mode=daily&csrf_token={csrf}"
        ))
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    let p = app.store.notify_prefs(id).await.unwrap().unwrap();
    assert!(p.on_vote && !p.on_miss && p.on_revoke);
    assert_eq!(p.mode, NotifyMode::Daily);
    assert_eq!(p.lang, "zh-CN");
    assert_eq!(p.baseline_height, 1234, "the wallets' tip at the opt-in");
    let (_, page) = app.get("/notifications").await;
    assert!(page.contains("Notification settings saved"), "{page}");
    assert!(page.contains("Notifications are on."), "{page}");
    assert!(
        page.contains("name=\"on_vote\" value=\"true\" checked"),
        "{page}"
    );
    assert!(page.contains("value=\"daily\" checked"), "{page}");

    // An unknown mode is refused; the saved choice stays.
    let (s, _, _) = app
        .post_form(
            "/notifications",
            &format!("on_miss=true&mode=hourly&csrf_token={csrf}"),
        )
        .await;
    assert_eq!(s, Status::SeeOther);
    assert!(!app.store.notify_prefs(id).await.unwrap().unwrap().on_miss);

    // The unsubscribe page: a button for a valid token, nothing about the account.
    let token = app.state().notify.unsubscribe_token(id);
    let (s, page) = app.get(&format!("/unsubscribe?t={token}")).await;
    assert_eq!(s, Status::Ok, "{page}");
    assert!(
        page.contains(&format!("action=\"/unsubscribe?t={token}\"")),
        "{page}"
    );
    assert!(!page.contains("notify@example.com") || page.contains("class=\"who\""));
    let (s, page) = app
        .get("/unsubscribe?t=1.00112233445566778899aabbccddeeff")
        .await;
    assert_eq!(s, Status::BadRequest);
    assert!(page.contains("not valid"), "{page}");
    assert!(app.store.notify_prefs(id).await.unwrap().unwrap().any());
    let r = app
        .client
        .post(format!("/unsubscribe?t={token}"))
        .header(ContentType::Form)
        .body("List-Unsubscribe=One-Click")
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::Ok);
    assert!(r
        .into_string()
        .await
        .unwrap()
        .contains("id=\"unsubscribed\""));
    let p = app.store.notify_prefs(id).await.unwrap().unwrap();
    assert!(!p.any());
    assert_eq!((p.mode, p.lang.as_str()), (NotifyMode::Daily, "zh-CN"));
}

#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<Email>>);

#[async_trait::async_trait]
impl hcpool_core::Mailer for Recorder {
    async fn send(&self, email: &Email) -> hcpool_core::Result<()> {
        self.0.lock().unwrap().push(email.clone());
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voted_ticket_is_mailed_once_and_the_link_unsubscribes() {
    let mut parts = None;
    let p = live::start(|s| parts = Some((s.notify.clone(), s.accounts.clone()))).await;
    let (notify, accounts) = parts.unwrap();
    let addr = p.server.addr;
    let store = p.pool.store().clone();

    // A second instance on the same database: its own service, the same key.
    let second = NotifyService::new(
        store.clone(),
        p.pool.wallets().clone(),
        p.pool.clock().clone(),
        NotifySettings {
            base_url: "http://127.0.0.1:8000".into(),
            unsubscribe_key: Secret::new(hcpool_web::notify::unsubscribe_key(&p.api_secret)),
        },
    );

    let form = format!("UserPubKeyAddr={}", enc(&user_key()));
    let (s, r) = live::api(addr, "POST", "/api/v1/address", &p.token, &form).await;
    assert_eq!((s, &r["status"]), (200, &"success".into()), "{r}");
    let msa = store
        .user(p.user)
        .await
        .unwrap()
        .unwrap()
        .registration
        .unwrap()
        .multisig_address
        .to_string();

    // Opt in through the page, as a browser.
    let session = live::sign_in(addr).await;
    let post = exchange(
        addr,
        &request(
            "POST",
            b"/notifications",
            &[
                (
                    "Content-Type",
                    b"application/x-www-form-urlencoded".to_vec(),
                ),
                ("Cookie", session.cookie.clone().into_bytes()),
                ("Accept-Language", b"zh-CN".to_vec()),
            ],
            format!(
                "on_vote=true&on_miss=true&on_revoke=true&mode=immediate&csrf_token={}",
                session.csrf
            )
            .as_bytes(),
        ),
    )
    .await;
    assert_eq!(post.status, 303, "{}", post.head);
    let prefs = store.notify_prefs(p.user).await.unwrap().unwrap();
    assert!(prefs.on_vote && prefs.any());
    assert_eq!(prefs.lang, "zh-CN");

    // The user's ticket: bought, mined, drawn and voted (the wallets vote their winners).
    for i in 0..2 {
        p.cluster.with_wallet(i, |w| w.voting = true).unwrap();
    }
    let ticket = p
        .cluster
        .buy_ticket(&TicketPurchase::new(
            msa,
            20_000_000,
            u32::try_from(p.user.0).unwrap(),
        ))
        .unwrap();
    let mut voted = false;
    for _ in 0..120 {
        p.cluster.mine(1).unwrap();
        if p.cluster.ticket_state(&ticket) == Some(TicketState::Voted) {
            voted = true;
            break;
        }
    }
    assert!(voted, "the ticket voted within 120 blocks");

    // Both instances scan at once: one records the vote and stores one mail.
    let (a, b) = tokio::join!(notify.scan(), second.scan());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.mailed + b.mailed, 1, "{a:?} {b:?}");
    assert_eq!(a.failed + b.failed, 0, "{a:?} {b:?}");
    // Again, later: nothing new.
    let (a, b) = tokio::join!(notify.scan(), second.scan());
    assert_eq!(a.unwrap().mailed + b.unwrap().mailed, 0);

    let recorder = Arc::new(Recorder::default());
    let sender = hcpool_web::outbox::Sender::new(
        accounts,
        p.pool.clock().clone(),
        recorder.clone(),
        hcpool_web::outbox::RetryPolicy::default(),
    );
    let pass = sender.drain(10).await.unwrap();
    assert_eq!(pass.sent, 1, "{pass:?}");
    let mails = recorder.0.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, live::EMAIL);
    // Saved from a zh-CN request (above): the mail is written in Chinese.
    assert_eq!(mail.subject, "权益池：您的选票已投票");
    assert!(mail.body.contains(&ticket.to_string()), "{}", mail.body);
    let (name, value) = &mail.headers[0];
    assert_eq!(name, "List-Unsubscribe");
    let url = value.trim_start_matches('<').trim_end_matches('>');
    assert!(mail.body.contains(url), "{}", mail.body);
    assert_eq!(
        mail.headers[1],
        (
            "List-Unsubscribe-Post".to_owned(),
            "List-Unsubscribe=One-Click".to_owned()
        )
    );
    let target = &url[url.find("/unsubscribe?t=").unwrap()..];
    assert!(target.starts_with("/unsubscribe?t="), "{target}");

    // The link, without signing in: a button; the one-click post turns everything off.
    let page = exchange(addr, &request("GET", target.as_bytes(), &[], b"")).await;
    assert_eq!(page.status, 200, "{}", page.head);
    let html = page.body_text();
    assert!(html.contains("Unsubscribe</button>"), "{html}");
    assert!(!html.contains(live::EMAIL), "{html}");
    let done = exchange(
        addr,
        &request(
            "POST",
            target.as_bytes(),
            &[(
                "Content-Type",
                b"application/x-www-form-urlencoded".to_vec(),
            )],
            b"List-Unsubscribe=One-Click",
        ),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.head);
    assert!(done.body_text().contains("id=\"unsubscribed\""));
    assert!(!store.notify_prefs(p.user).await.unwrap().unwrap().any());
    // A forged one-click post is refused and changes nothing else.
    let forged = exchange(
        addr,
        &request(
            "POST",
            b"/unsubscribe?t=1.0123456789abcdef0123456789abcdef",
            &[(
                "Content-Type",
                b"application/x-www-form-urlencoded".to_vec(),
            )],
            b"List-Unsubscribe=One-Click",
        ),
    )
    .await;
    assert_eq!(forged.status, 400, "{}", forged.head);

    // Unsubscribed: later blocks mail nothing.
    p.cluster.mine(2).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(notify.scan().await.unwrap().users, 0);
}

/// Two instances behind a proxy, each with its own background pass ([`Notifier`]) and
/// service over the one store and the one wallet (which counts its `stakepooluserinfo`
/// calls): per block one instance scans (one call for the one subscriber, not two), the
/// events are mailed once, and the other instance does not come back to the block.
#[rocket::async_test]
async fn two_instances_make_one_scan_per_block() {
    use std::sync::atomic::Ordering;
    let app = common::app().await;
    let (id, token) = app.user("n@example.com", "password1").await;
    assert_eq!(app.api_register(&token).await.0, Status::Ok);
    let state = app.state();
    let first = state.notify.clone();
    let second = NotifyService::new(
        app.pool.store().clone(),
        app.pool.wallets().clone(),
        app.pool.clock().clone(),
        NotifySettings {
            base_url: common::BASE_URL.into(),
            unsubscribe_key: Secret::new(hcpool_web::notify::unsubscribe_key(common::SECRET)),
        },
    );
    // Every event from height 0: the fake's two votes, a miss and an expiry.
    first
        .save(
            id,
            NotifyChoice {
                on_vote: true,
                on_miss: true,
                on_revoke: true,
                mode: NotifyMode::Immediate,
                lang: "en".into(),
            },
            0,
        )
        .await
        .unwrap();
    let before = app.sent().await.len();
    let calls = || app.wallet.user_info_calls.load(Ordering::SeqCst);
    let calls_before = calls();
    let (na, nb) = (Notifier::default(), Notifier::default());

    // Block 1233.
    app.wallet.behind.store(1, Ordering::SeqCst);
    let (ra, rb) = tokio::join!(na.pass(&first, &app.pool), nb.pass(&second, &app.pool));
    let report = match (ra, rb) {
        (Some(r), None) | (None, Some(r)) => r,
        other => panic!("one instance scans the block: {other:?}"),
    };
    assert_eq!((report.users, report.mailed, report.failed), (1, 4, 0));
    assert_eq!(calls() - calls_before, 1, "one scan's wallet calls");
    assert_eq!(app.sent().await.len() - before, 4, "each event mailed once");
    // The same block again: neither instance asks the wallets.
    let (ra, rb) = tokio::join!(na.pass(&first, &app.pool), nb.pass(&second, &app.pool));
    assert!(ra.is_none() && rb.is_none());
    assert_eq!(calls() - calls_before, 1);

    // Block 1234: again one scan, nothing new to mail.
    app.wallet.behind.store(0, Ordering::SeqCst);
    let (ra, rb) = tokio::join!(na.pass(&first, &app.pool), nb.pass(&second, &app.pool));
    assert_eq!(usize::from(ra.is_some()) + usize::from(rb.is_some()), 1);
    assert_eq!(calls() - calls_before, 2);
    assert_eq!(app.sent().await.len() - before, 4);
}

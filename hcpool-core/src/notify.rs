//! Vote notifications (issue 16 row 5, dcrstakepool#201): what a user chose to be mailed
//! about, which of their tickets' events are new, the mails, and the one-click unsubscribe
//! token. Pure functions; [`crate::service::NotifyService`] runs them against the store and
//! the wallets.
//!
//! # Events
//! The wallets' `stakepooluserinfo` is all the pool sees of a user's tickets, and it reports
//! a ticket's end only once a transaction spent it: `voted` (the vote was mined), `missed`
//! (called to vote, did not, and the revocation was mined: a missed ticket stays `live`
//! until then) and `expired` (never called, revoked). Each ticket therefore ends in exactly
//! one [`TicketEvent`], seen at the height of the spending transaction:
//!
//! | preference | events mailed |
//! |---|---|
//! | `on_vote` | [`TicketEvent::Voted`] |
//! | `on_miss` | [`TicketEvent::Missed`] |
//! | `on_revoke` | [`TicketEvent::Missed`] and [`TicketEvent::Expired`] (every revocation) |
//!
//! # Once, across instances
//! Every event is a row keyed by (ticket, event) ([`NotificationStore::record_notify_event`]):
//! the instance whose insert wins writes the mail into the outbox in the same transaction,
//! every other instance's insert is a no-op. Nothing is mailed for a ticket that ended at or
//! below the user's [`NotifyPrefs::baseline_height`], the chain tip when the user last
//! turned an event on (so opting in mails nothing about the past).
//!
//! # One scan per block
//! Asking the wallets about every subscriber's tickets is the expensive part, so of the
//! instances that see a new block only the one that claims its height
//! ([`NotificationStore::claim_notify_scan`], a row keyed by the height) scans it. The claim
//! saves wallet calls only; it decides nothing about mail: an event a scan did not record
//! (the claimer died half-way, or the wallets did not answer for a user) is still ended in
//! the wallets' answer at the next block, above the baseline and not among the recorded
//! events, so whichever instance scans next records and mails it ([`new_events`]).
//!
//! # Daily digest
//! In [`NotifyMode::Daily`] an event's row waits (`pending`); after midnight UTC the first
//! instance to claim the user's day ([`NotificationStore::send_notify_digest`], a
//! conditional update of the user's `last digest day`) mails every event recorded before
//! that midnight in one mail, again in one transaction with the outbox row.
//!
//! [`NotificationStore::record_notify_event`]: crate::backend::NotificationStore::record_notify_event
//! [`NotificationStore::send_notify_digest`]: crate::backend::NotificationStore::send_notify_digest
//! [`NotificationStore::claim_notify_scan`]: crate::backend::NotificationStore::claim_notify_scan

use std::collections::HashSet;
use std::fmt;

use bitcoin::hashes::{hmac, sha256, Hash, HashEngine};

use crate::address::Address;
use crate::backend::mailer::Email;
use crate::backend::store::OutboxMail;
use crate::backend::wallet::{TicketStatus, UserTicket};
use crate::ids::{Secret, TicketHash, UserId};
use hcpool_i18n::{t, Lang};

/// Seconds per day (the digest's day is a UTC day: unix time / 86 400).
pub const DAY: i64 = 86_400;

/// Outbox row kind of a notification: a rendered mail whose body starts with its extra
/// headers ([`encode_with_headers`]), so the sender adds `List-Unsubscribe`.
pub const KIND_NOTIFY: &str = "notify";

/// The most events a digest lists one by one; the rest are counted (the outbox body is
/// bounded).
pub const DIGEST_MAX_LINES: usize = 40;

/// The longest language tag kept (RFC 5646 allows 35 characters).
pub const LANG_MAX: usize = 35;

/// The longest instance id a scan claim keeps
/// ([`crate::backend::NotificationStore::claim_notify_scan`]).
pub const SCAN_OWNER_MAX: usize = 64;

/// Scan claims further than this many blocks from the height being claimed are deleted by
/// the claim ([`crate::backend::NotificationStore::claim_notify_scan`]).
pub const SCAN_CLAIMS_KEPT: u32 = 100;

/// How a user wants to be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum NotifyMode {
    /// A mail per event, as soon as an instance sees it.
    #[default]
    Immediate,
    /// One mail a day (after midnight UTC) listing the previous day's events.
    Daily,
}

impl NotifyMode {
    /// `"immediate"` or `"daily"` (the stored and posted value).
    pub const fn as_str(self) -> &'static str {
        match self {
            NotifyMode::Immediate => "immediate",
            NotifyMode::Daily => "daily",
        }
    }

    /// The mode named `s`; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "immediate" => Some(NotifyMode::Immediate),
            "daily" => Some(NotifyMode::Daily),
            _ => None,
        }
    }
}

/// A user's notification preferences (`hcpool_notify_prefs`). The default is what every
/// user has until they choose: nothing mailed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyPrefs {
    /// Mail when a ticket voted.
    pub on_vote: bool,
    /// Mail when a ticket missed its vote (reported once revoked).
    pub on_miss: bool,
    /// Mail when a ticket was revoked (missed or expired).
    pub on_revoke: bool,
    /// Per event or a daily digest.
    pub mode: NotifyMode,
    /// The language tag of the request that saved them (mails' language), e.g. `en`,
    /// `zh-CN`.
    pub lang: String,
    /// Tickets that ended at or below this height are never mailed: the chain tip when an
    /// event was last turned on.
    pub baseline_height: u32,
    /// The UTC day (unix time / [`DAY`]) whose digest was last sent; 0 for none.
    pub last_digest_day: i64,
    /// Last saved, unix seconds.
    pub updated: i64,
}

impl Default for NotifyPrefs {
    fn default() -> Self {
        NotifyPrefs {
            on_vote: false,
            on_miss: false,
            on_revoke: false,
            mode: NotifyMode::Immediate,
            lang: "en".to_owned(),
            baseline_height: 0,
            last_digest_day: 0,
            updated: 0,
        }
    }
}

impl NotifyPrefs {
    /// Whether any event is mailed.
    pub const fn any(&self) -> bool {
        self.on_vote || self.on_miss || self.on_revoke
    }

    /// Whether `event` is mailed (see the module's table).
    pub const fn wants(&self, event: TicketEvent) -> bool {
        match event {
            TicketEvent::Voted => self.on_vote,
            TicketEvent::Missed => self.on_miss || self.on_revoke,
            TicketEvent::Expired => self.on_revoke,
        }
    }

    /// Whether `next` mails an event these preferences did not: the baseline moves to the
    /// tip then, so the newly chosen event is not mailed for tickets that ended before.
    pub fn widened_by(&self, next: &NotifyPrefs) -> bool {
        TicketEvent::ALL
            .iter()
            .any(|&e| next.wants(e) && !self.wants(e))
    }
}

/// How a ticket ended, as the wallets report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TicketEvent {
    /// Its vote was mined.
    Voted,
    /// It was called to vote, did not, and its revocation was mined.
    Missed,
    /// It expired without being called and its revocation was mined.
    Expired,
}

impl TicketEvent {
    /// Every event.
    pub const ALL: [TicketEvent; 3] = [
        TicketEvent::Voted,
        TicketEvent::Missed,
        TicketEvent::Expired,
    ];

    /// The stored name (`voted`, `missed`, `expired`).
    pub const fn as_str(self) -> &'static str {
        match self {
            TicketEvent::Voted => "voted",
            TicketEvent::Missed => "missed",
            TicketEvent::Expired => "expired",
        }
    }

    /// The event stored as `s`.
    pub fn parse(s: &str) -> Option<Self> {
        TicketEvent::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The event a ticket of this status ended in (`None` while it is live, or for a status
    /// this version does not know).
    pub fn of_status(status: &TicketStatus) -> Option<Self> {
        match status {
            TicketStatus::Voted => Some(TicketEvent::Voted),
            TicketStatus::Missed => Some(TicketEvent::Missed),
            TicketStatus::Expired => Some(TicketEvent::Expired),
            _ => None,
        }
    }

    /// The catalogue key of the mail's words for it ("voted", …).
    fn words_key(self) -> &'static str {
        match self {
            TicketEvent::Voted => "mail-notify-what-voted",
            TicketEvent::Missed => "mail-notify-what-missed",
            TicketEvent::Expired => "mail-notify-what-expired",
        }
    }

    /// The mail's words for it in `lang`.
    fn sentence(self, lang: Lang) -> String {
        t(lang, self.words_key(), &[])
    }
}

impl fmt::Display for TicketEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One ticket's end, for one user (`hcpool_notify_events`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyEvent {
    /// The ticket's owner.
    pub user_id: UserId,
    /// The ticket.
    pub ticket: TicketHash,
    /// How it ended.
    pub event: TicketEvent,
    /// Height of the vote or revocation.
    pub height: u32,
    /// When an instance first saw it, unix seconds.
    pub created: i64,
}

/// A user who chose at least one event and registered an address: whom a scan looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// The user.
    pub user_id: UserId,
    /// Where mail goes (`Users.Email`).
    pub email: String,
    /// The multisig address the wallets list the user's tickets under.
    pub multisig: Address,
    /// The preferences.
    pub prefs: NotifyPrefs,
}

/// The events of `tickets` that `prefs` asks for, that ended above the baseline and that
/// are not in `known` (already recorded by some instance): what to record now, in ticket
/// order, stamped `now`.
pub fn new_events(
    user: UserId,
    prefs: &NotifyPrefs,
    tickets: &[UserTicket],
    known: &HashSet<(TicketHash, TicketEvent)>,
    now: i64,
) -> Vec<NotifyEvent> {
    let mut seen = HashSet::new();
    tickets
        .iter()
        .filter_map(|t| {
            let event = TicketEvent::of_status(&t.status)?;
            let fresh = prefs.wants(event)
                && t.spent_by_height > prefs.baseline_height
                && !known.contains(&(t.ticket, event))
                && seen.insert((t.ticket, event));
            fresh.then_some(NotifyEvent {
                user_id: user,
                ticket: t.ticket,
                event,
                height: t.spent_by_height,
                created: now,
            })
        })
        .collect()
}

/// A language tag as the request gave it, kept if it is one (letters, digits and `-`, at
/// most [`LANG_MAX`] characters), else `en`.
pub fn clean_lang(tag: &str) -> String {
    let t = tag.trim();
    let ok = !t.is_empty()
        && t.len() <= LANG_MAX
        && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        t.to_owned()
    } else {
        "en".to_owned()
    }
}

fn mac(key: &[u8], user: UserId) -> [u8; 32] {
    let mut engine = hmac::HmacEngine::<sha256::Hash>::new(key);
    engine.input(b"hcpool unsubscribe v1\0");
    engine.input(&user.0.to_be_bytes());
    hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array()
}

/// The unsubscribe token of `user`: `<user id>.<HMAC-SHA256(key, user id), 128 bits hex>`.
/// It never expires and cannot be made without `key`; it says nothing but the id, which the
/// mail's reader owns.
pub fn unsubscribe_token(key: &[u8], user: UserId) -> String {
    format!("{}.{}", user.0, hex::encode(&mac(key, user)[..16]))
}

/// The user whose valid unsubscribe token `token` is (checked in constant time), or `None`.
pub fn check_unsubscribe_token(key: &[u8], token: &str) -> Option<UserId> {
    use subtle::ConstantTimeEq as _;
    let (id, sig) = token.trim().split_once('.')?;
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let user = UserId(id.parse().ok()?);
    let mut got = [0u8; 16];
    hex::decode_to_slice(sig, &mut got).ok()?;
    bool::from(got.ct_eq(&mac(key, user)[..16])).then_some(user)
}

/// The unsubscribe page of `token` under `base_url`.
pub fn unsubscribe_url(base_url: &str, token: &str) -> String {
    format!("{}/unsubscribe?t={token}", base_url.trim_end_matches('/'))
}

/// `body` preceded by `headers` (`Name: value` lines, then an empty line): how a
/// [`KIND_NOTIFY`] row keeps its headers in the outbox's body column.
pub fn encode_with_headers(headers: &[(String, String)], body: &str) -> String {
    let mut out = String::new();
    for (name, value) in headers {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(body);
    out
}

/// The mail a [`KIND_NOTIFY`] row holds: the headers before the first empty line (lines
/// that are no `Name: value` pair with a token name are dropped), the text after it.
pub fn email_of_row(row: &OutboxMail) -> Email {
    let stored = row.body.expose();
    let (head, body) = stored.split_once("\n\n").unwrap_or(("", stored.as_str()));
    let headers = head
        .lines()
        .filter_map(|l| {
            let (n, v) = l.split_once(": ")?;
            let name_ok =
                !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            let value_ok = !v.contains(|c: char| c.is_control());
            (name_ok && value_ok).then(|| (n.to_owned(), v.to_owned()))
        })
        .collect();
    Email {
        to: row.recipient.clone(),
        subject: row.subject.clone(),
        body: body.to_owned(),
        headers,
    }
}

/// What the mails link to.
#[derive(Debug, Clone)]
pub struct MailLinks {
    /// The pool's `baseurl` (no trailing `/`).
    pub base_url: String,
    /// The recipient's unsubscribe page.
    pub unsubscribe: String,
}

fn outbox_row(
    to: &str,
    subject: String,
    text: String,
    lang: Lang,
    links: &MailLinks,
    now: i64,
) -> OutboxMail {
    let headers = [
        (
            "List-Unsubscribe".to_owned(),
            format!("<{}>", links.unsubscribe),
        ),
        (
            "List-Unsubscribe-Post".to_owned(),
            "List-Unsubscribe=One-Click".to_owned(),
        ),
        // The mailer writes it as the HTML part's `<html lang>` too.
        (
            crate::backend::mailer::CONTENT_LANGUAGE.to_owned(),
            lang.tag().to_owned(),
        ),
    ];
    OutboxMail {
        id: 0,
        kind: KIND_NOTIFY.to_owned(),
        recipient: to.to_owned(),
        subject,
        body: Secret::new(encode_with_headers(&headers, &text)),
        ip: String::new(),
        attempts: 0,
        next_attempt: now,
        created: now,
    }
}

fn footer(lang: Lang, links: &MailLinks) -> String {
    let mut text = t(
        lang,
        "mail-notify-footer",
        &[("base", &links.base_url), ("link", &links.unsubscribe)],
    );
    text.push('\n');
    text
}

/// The language a subscriber's mails are written in: the stored tag's, English when it
/// names none of the catalogue's.
pub fn mail_lang(prefs: &NotifyPrefs) -> Lang {
    Lang::from_tag(&prefs.lang).unwrap_or(Lang::En)
}

/// The mail of one event (immediate mode), to `to`, in `lang`.
pub fn event_mail(
    to: &str,
    ev: &NotifyEvent,
    lang: Lang,
    links: &MailLinks,
    now: i64,
) -> OutboxMail {
    let subject_key = match ev.event {
        TicketEvent::Voted => "mail-notify-voted-subject",
        TicketEvent::Missed => "mail-notify-missed-subject",
        TicketEvent::Expired => "mail-notify-expired-subject",
    };
    let line = t(
        lang,
        "mail-notify-event",
        &[
            ("ticket", &ev.ticket.to_string()),
            ("what", &ev.event.sentence(lang)),
            ("height", &ev.height.to_string()),
        ],
    );
    let text = format!("{line}\n\n{}", footer(lang, links));
    outbox_row(to, t(lang, subject_key, &[]), text, lang, links, now)
}

/// The daily digest of `events` (one user's, any order), to `to`, in `lang`: counts per
/// event, then the events by height (at most [`DIGEST_MAX_LINES`]).
pub fn digest_mail(
    to: &str,
    events: &[NotifyEvent],
    lang: Lang,
    links: &MailLinks,
    now: i64,
) -> OutboxMail {
    let count = |e: TicketEvent| events.iter().filter(|x| x.event == e).count().to_string();
    let mut sorted: Vec<&NotifyEvent> = events.iter().collect();
    sorted.sort_by_key(|e| (e.height, e.ticket));
    let mut text = t(
        lang,
        "mail-notify-digest-head",
        &[
            ("voted", &count(TicketEvent::Voted)),
            ("missed", &count(TicketEvent::Missed)),
            ("expired", &count(TicketEvent::Expired)),
        ],
    );
    text.push_str("\n\n");
    for ev in sorted.iter().take(DIGEST_MAX_LINES) {
        text.push_str(&t(
            lang,
            "mail-notify-digest-line",
            &[
                ("height", &ev.height.to_string()),
                ("ticket", &ev.ticket.to_string()),
                ("what", &ev.event.sentence(lang)),
            ],
        ));
        text.push('\n');
    }
    if sorted.len() > DIGEST_MAX_LINES {
        let more = (sorted.len() - DIGEST_MAX_LINES).to_string();
        text.push_str(&t(lang, "mail-notify-digest-more", &[("count", &more)]));
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&footer(lang, links));
    let subject = t(
        lang,
        "mail-notify-digest-subject",
        &[("count", &events.len().to_string())],
    );
    outbox_row(to, subject, text, lang, links, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Hash32, TxHash};

    fn ticket(n: u8, status: TicketStatus, spent: u32) -> UserTicket {
        UserTicket {
            status,
            ticket: Hash32::from_bytes([n; 32]),
            ticket_height: 100,
            spent_by: TxHash::from_bytes([n.wrapping_add(100); 32]),
            spent_by_height: spent,
        }
    }

    fn prefs(vote: bool, miss: bool, revoke: bool, baseline: u32) -> NotifyPrefs {
        NotifyPrefs {
            on_vote: vote,
            on_miss: miss,
            on_revoke: revoke,
            baseline_height: baseline,
            ..NotifyPrefs::default()
        }
    }

    fn tickets() -> Vec<UserTicket> {
        vec![
            ticket(1, TicketStatus::Live, 0),
            ticket(2, TicketStatus::Voted, 210),
            ticket(3, TicketStatus::Missed, 220),
            ticket(4, TicketStatus::Expired, 230),
            ticket(5, TicketStatus::Voted, 150),
            ticket(6, TicketStatus::Other("unmined".into()), 240),
        ]
    }

    fn kinds(evs: &[NotifyEvent]) -> Vec<(u8, TicketEvent)> {
        evs.iter()
            .map(|e| (e.ticket.as_bytes()[0], e.event))
            .collect()
    }

    #[test]
    fn default_prefs_mail_nothing() {
        let p = NotifyPrefs::default();
        assert!(!p.any());
        assert!(new_events(UserId(1), &p, &tickets(), &HashSet::new(), 9).is_empty());
        assert_eq!((p.mode, p.lang.as_str()), (NotifyMode::Immediate, "en"));
    }

    #[test]
    fn events_follow_the_preferences_and_the_baseline() {
        let none = HashSet::new();
        let t = tickets();
        // Votes only; the vote at 150 is at or below the baseline 200: before the opt-in.
        let e = new_events(UserId(7), &prefs(true, false, false, 200), &t, &none, 9);
        assert_eq!(kinds(&e), vec![(2, TicketEvent::Voted)]);
        assert_eq!(
            (e[0].user_id, e[0].height, e[0].created),
            (UserId(7), 210, 9)
        );
        // Misses only: the missed ticket, not the expired one.
        let e = new_events(UserId(7), &prefs(false, true, false, 200), &t, &none, 9);
        assert_eq!(kinds(&e), vec![(3, TicketEvent::Missed)]);
        // Revocations: missed and expired.
        let e = new_events(UserId(7), &prefs(false, false, true, 200), &t, &none, 9);
        assert_eq!(
            kinds(&e),
            vec![(3, TicketEvent::Missed), (4, TicketEvent::Expired)]
        );
        // Everything, baseline 0: the old vote too; live and unknown statuses never.
        let e = new_events(UserId(7), &prefs(true, true, true, 0), &t, &none, 9);
        assert_eq!(
            kinds(&e),
            vec![
                (2, TicketEvent::Voted),
                (3, TicketEvent::Missed),
                (4, TicketEvent::Expired),
                (5, TicketEvent::Voted)
            ]
        );
    }

    #[test]
    fn known_events_and_duplicates_are_not_new() {
        let mut t = tickets();
        t.push(ticket(2, TicketStatus::Voted, 210));
        let known: HashSet<_> = [(Hash32::from_bytes([3; 32]), TicketEvent::Missed)].into();
        let e = new_events(UserId(7), &prefs(true, true, true, 200), &t, &known, 9);
        assert_eq!(
            kinds(&e),
            vec![(2, TicketEvent::Voted), (4, TicketEvent::Expired)]
        );
    }

    #[test]
    fn widening_moves_the_baseline_narrowing_does_not() {
        let off = NotifyPrefs::default();
        let votes = prefs(true, false, false, 0);
        let revokes = prefs(false, false, true, 0);
        let misses = prefs(false, true, false, 0);
        assert!(off.widened_by(&votes));
        assert!(!votes.widened_by(&votes));
        assert!(!votes.widened_by(&off));
        assert!(votes.widened_by(&revokes));
        // Revocations include misses: choosing misses adds nothing.
        assert!(!revokes.widened_by(&misses));
        assert!(misses.widened_by(&revokes), "expired tickets are new");
        let daily = NotifyPrefs {
            mode: NotifyMode::Daily,
            ..votes.clone()
        };
        assert!(!votes.widened_by(&daily), "a mode change widens nothing");
    }

    #[test]
    fn names_round_trip() {
        for e in TicketEvent::ALL {
            assert_eq!(TicketEvent::parse(e.as_str()), Some(e));
        }
        assert_eq!(TicketEvent::parse("revoked"), None);
        for m in [NotifyMode::Immediate, NotifyMode::Daily] {
            assert_eq!(NotifyMode::parse(m.as_str()), Some(m));
        }
        assert_eq!(NotifyMode::parse("weekly"), None);
    }

    #[test]
    fn unsubscribe_tokens_are_keyed_and_unforgeable() {
        let key = b"server key";
        let t = unsubscribe_token(key, UserId(42));
        assert!(t.starts_with("42."), "{t}");
        assert_eq!(t.len(), 3 + 32);
        assert_eq!(check_unsubscribe_token(key, &t), Some(UserId(42)));
        assert_eq!(
            check_unsubscribe_token(key, &format!(" {t}\n")),
            Some(UserId(42))
        );
        // Another key, another user's id with this MAC, a flipped digit: refused.
        assert_eq!(check_unsubscribe_token(b"other key", &t), None);
        let other = t.replacen("42.", "43.", 1);
        assert_eq!(check_unsubscribe_token(key, &other), None);
        let mut flipped = t.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            check_unsubscribe_token(key, &String::from_utf8(flipped).unwrap()),
            None
        );
        for junk in [
            "",
            ".",
            "42",
            "42.",
            "x.00",
            "-1.00",
            "42.zz",
            "99999999999999999999999.00",
            "42.0011",
            "4\u{e9}.00",
        ] {
            assert_eq!(check_unsubscribe_token(key, junk), None, "{junk:?}");
        }
        assert_ne!(
            unsubscribe_token(key, UserId(1)),
            unsubscribe_token(key, UserId(2))
        );
        assert_eq!(
            unsubscribe_url("https://pool.example/", &t),
            format!("https://pool.example/unsubscribe?t={t}")
        );
    }

    #[test]
    fn languages_are_kept_when_they_look_like_tags() {
        assert_eq!(clean_lang("zh-CN"), "zh-CN");
        assert_eq!(clean_lang(" en "), "en");
        for bad in ["", "en;q=0.9", "<script>", &"a".repeat(36), "zh_CN"] {
            assert_eq!(clean_lang(bad), "en", "{bad:?}");
        }
    }

    fn links() -> MailLinks {
        MailLinks {
            base_url: "https://pool.example".into(),
            unsubscribe: "https://pool.example/unsubscribe?t=7.abcd".into(),
        }
    }

    fn ev(n: u8, event: TicketEvent, height: u32) -> NotifyEvent {
        NotifyEvent {
            user_id: UserId(7),
            ticket: Hash32::from_bytes([n; 32]),
            event,
            height,
            created: 5,
        }
    }

    #[test]
    fn mails_follow_the_language_stored_with_the_choice() {
        let mut prefs = NotifyPrefs::default();
        assert_eq!(mail_lang(&prefs), Lang::En);
        prefs.lang = "zh-CN".into();
        assert_eq!(mail_lang(&prefs), Lang::ZhCn);
        prefs.lang = "fr".into();
        assert_eq!(
            mail_lang(&prefs),
            Lang::En,
            "a language the catalogue lacks"
        );

        let mail = email_of_row(&event_mail(
            "u@example.com",
            &ev(2, TicketEvent::Voted, 210),
            Lang::ZhCn,
            &links(),
            77,
        ));
        assert_eq!(mail.subject, "权益池：您的选票已投票");
        assert_eq!(mail.lang(), Lang::ZhCn, "Content-Language: zh-CN");
        let ticket = Hash32::from_bytes([2; 32]).to_string();
        assert!(
            mail.body
                .starts_with(&format!("您的选票 {ticket} 在区块 210 中已投票。\n\n")),
            "{}",
            mail.body
        );
        assert!(
            mail.body
                .ends_with("https://pool.example/unsubscribe?t=7.abcd\n"),
            "{}",
            mail.body
        );
        let digest = email_of_row(&digest_mail(
            "u@example.com",
            &[ev(3, TicketEvent::Expired, 220)],
            Lang::ZhCn,
            &links(),
            9,
        ));
        assert_eq!(digest.subject, "权益池：您今天的选票（1 个事件）");
        assert_eq!(digest.lang(), Lang::ZhCn);
        assert!(digest.body.contains("1 张已过期"), "{}", digest.body);
        assert!(
            digest.body.contains("未被抽中投票即过期"),
            "{}",
            digest.body
        );
    }

    #[test]
    fn event_mails_carry_the_unsubscribe_link_and_headers() {
        let row = event_mail(
            "u@example.com",
            &ev(2, TicketEvent::Voted, 210),
            Lang::En,
            &links(),
            77,
        );
        assert_eq!(row.kind, KIND_NOTIFY);
        assert_eq!((row.next_attempt, row.created), (77, 77));
        let mail = email_of_row(&row);
        assert_eq!(mail.to, "u@example.com");
        assert_eq!(mail.subject, "Stake pool: your ticket voted");
        assert!(mail.body.starts_with("Your ticket "), "{}", mail.body);
        assert!(mail.body.contains(&Hash32::from_bytes([2; 32]).to_string()));
        assert!(mail.body.contains("voted in block 210"), "{}", mail.body);
        assert!(
            mail.body
                .contains("\n\nhttps://pool.example/unsubscribe?t=7.abcd\n"),
            "the link stands on its own line: {}",
            mail.body
        );
        assert!(mail.body.contains("\n\nhttps://pool.example/tickets\n\n"));
        assert_eq!(
            mail.headers,
            vec![
                (
                    "List-Unsubscribe".to_owned(),
                    "<https://pool.example/unsubscribe?t=7.abcd>".to_owned()
                ),
                (
                    "List-Unsubscribe-Post".to_owned(),
                    "List-Unsubscribe=One-Click".to_owned()
                ),
                ("Content-Language".to_owned(), "en".to_owned())
            ]
        );
        let missed = email_of_row(&event_mail(
            "u@example.com",
            &ev(3, TicketEvent::Missed, 220),
            Lang::En,
            &links(),
            77,
        ));
        assert!(missed
            .body
            .contains("missed its vote and was revoked in block 220"));
    }

    #[test]
    fn rows_without_a_header_block_or_with_bad_headers_stay_safe() {
        let mut row = event_mail(
            "u@example.com",
            &ev(2, TicketEvent::Voted, 210),
            Lang::En,
            &links(),
            1,
        );
        row.body = Secret::new("Bad Name: x\nX-Ok: fine\nX-Bad: a\rb\n\nhello".into());
        let mail = email_of_row(&row);
        assert_eq!(mail.headers, vec![("X-Ok".to_owned(), "fine".to_owned())]);
        assert_eq!(mail.body, "hello");
        row.body = Secret::new("just text".into());
        let mail = email_of_row(&row);
        assert!(mail.headers.is_empty());
        assert_eq!(mail.body, "just text");
    }

    #[test]
    fn digests_count_and_list_by_height() {
        let events = vec![
            ev(4, TicketEvent::Expired, 230),
            ev(2, TicketEvent::Voted, 210),
            ev(3, TicketEvent::Missed, 220),
            ev(5, TicketEvent::Voted, 212),
        ];
        let mail = email_of_row(&digest_mail(
            "u@example.com",
            &events,
            Lang::En,
            &links(),
            9,
        ));
        assert_eq!(mail.subject, "Stake pool: your tickets today (4 events)");
        assert!(
            mail.body.starts_with(
                "Your tickets since the last digest: 2 voted, 1 missed, 1 expired.\n\n"
            ),
            "{}",
            mail.body
        );
        let at = |h: &str| mail.body.find(h).unwrap();
        assert!(at("Block 210:") < at("Block 212:"));
        assert!(at("Block 220:") < at("Block 230:"));
        assert!(mail.body.contains("unsubscribe?t=7.abcd"));
        assert_eq!(mail.headers.len(), 3);
        assert_eq!(mail.lang(), Lang::En);

        let many: Vec<NotifyEvent> = (0..200u32)
            .map(|i| ev((i % 250) as u8, TicketEvent::Expired, 1_000_000 + i))
            .collect();
        let row = digest_mail("u@example.com", &many, Lang::En, &links(), 9);
        let mail = email_of_row(&row);
        assert_eq!(mail.body.matches("Block ").count(), DIGEST_MAX_LINES);
        assert!(mail.body.contains("… and 160 more."), "{}", mail.body);
        assert!(
            row.body.expose().chars().count() < 8192,
            "fits the outbox column"
        );
    }
}

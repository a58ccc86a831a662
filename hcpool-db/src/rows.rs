//! Row → domain conversions, in one place: a value that cannot be a domain value is a
//! [`Error::CorruptRow`] (core kind `Inconsistent`), never a panic and never a silent default.
//!
//! Addresses are stored as their base58 strings, scripts as lowercase hex, ticket hashes as
//! display-order hex, exactly as hcstakepool stored them.
//!
//! NULLs: hcstakepool's columns are all nullable and its ORM could not read a NULL at all, so
//! a NULL in a text column reads as `''` and the legacy upgrade backfills the numeric
//! columns; a NULL left in a numeric column is corrupt.

use hcpool_core::backend::{
    EmailChange, EmailVerification, ErasureRecord, LowFeeTicket, OutboxMail, PasswordReset,
    RegisteredScript, Registration, Session, StoredVoteRecord, User,
};
use hcpool_core::backend::{TicketEntry, UserVotingConfig};
use hcpool_core::notify::{NotifyEvent, NotifyMode, NotifyPrefs, Subscriber, TicketEvent};
use hcpool_core::{Address, RedeemScript, Secret, TicketHash, UserId, VoteBits};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::{Error, Result};

/// The columns every user query selects, in [`user`]'s order.
pub(crate) const USER_COLUMNS: &str = "UserId, Email, Username, Password, MultiSigAddress, \
     MultiSigScript, PoolPubKeyAddr, UserPubKeyAddr, UserFeeAddr, HeightRegistered, \
     EmailVerified, EmailToken, APIToken, VoteBits, VoteBitsVersion";

/// The columns of low-fee ticket queries, in [`low_fee_ticket`]'s order.
pub(crate) const TICKET_COLUMNS: &str =
    "LowFeeTicketID, AddedByUid, TicketAddress, TicketHash, Voted, Created, Expires";

/// The columns of session queries, in [`session`]'s order.
pub(crate) const SESSION_COLUMNS: &str =
    "id_hash, user_id, csrf_token, created, expires, last_seen";

/// The columns of outbox queries, in [`outbox_mail`]'s order.
pub(crate) const OUTBOX_COLUMNS: &str =
    "id, kind, recipient, subject, body, ip, attempts, next_attempt, created";

/// Reads columns of one row of `table`, naming the row in errors.
struct Cols<'r> {
    row: &'r AnyRow,
    table: &'static str,
    id: i64,
}

impl<'r> Cols<'r> {
    fn new(row: &'r AnyRow, table: &'static str, pk: &'static str) -> Result<Self> {
        let mut c = Cols { row, table, id: 0 };
        c.id = c.int(pk)?;
        Ok(c)
    }

    fn corrupt(&self, column: &'static str, reason: impl Into<String>) -> Error {
        Error::CorruptRow {
            table: self.table,
            id: self.id,
            column,
            reason: reason.into(),
        }
    }

    fn int(&self, column: &'static str) -> Result<i64> {
        match self.row.try_get::<Option<i64>, _>(column) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(self.corrupt(column, "NULL")),
            Err(e) => Err(self.corrupt(column, e.to_string())),
        }
    }

    fn text(&self, column: &'static str) -> Result<String> {
        self.row
            .try_get::<Option<String>, _>(column)
            .map(Option::unwrap_or_default)
            .map_err(|e| self.corrupt(column, e.to_string()))
    }

    fn blob_text(&self, column: &'static str) -> Result<String> {
        let bytes = self
            .row
            .try_get::<Option<Vec<u8>>, _>(column)
            .map_err(|e| self.corrupt(column, e.to_string()))?
            .unwrap_or_default();
        String::from_utf8(bytes).map_err(|_| self.corrupt(column, "not UTF-8"))
    }

    fn ranged<T: TryFrom<i64>>(&self, column: &'static str) -> Result<T> {
        let v = self.int(column)?;
        T::try_from(v).map_err(|_| self.corrupt(column, format!("{v} out of range")))
    }

    fn user_id(&self, column: &'static str) -> Result<UserId> {
        self.ranged::<u64>(column).map(UserId)
    }

    /// hcstakepool's 0 / 1 / 2 (see [`EmailVerification`]). hcstakepool refuses sign-in only
    /// for 0, so any other value (a hand-edited row) reads as `Grandfathered`, with a warning:
    /// the user keeps the access the original gives them, and the row is not written back.
    fn email_verification(&self, column: &'static str) -> Result<EmailVerification> {
        let v = self.int(column)?;
        Ok(EmailVerification::try_from(v).unwrap_or_else(|_| {
            tracing::warn!(
                column,
                value = v,
                "EmailVerified is none of 0, 1, 2: read as 2 (grandfathered), as hcstakepool \
                 lets every non-zero value sign in"
            );
            EmailVerification::Grandfathered
        }))
    }

    fn address(&self, column: &'static str) -> Result<Address> {
        let s = self.text(column)?;
        parse_address(&s).ok_or_else(|| self.corrupt(column, format!("bad address {s:?}")))
    }
}

/// A `Users` row.
pub(crate) fn user(row: &AnyRow) -> Result<User> {
    let c = Cols::new(row, "Users", "UserId")?;
    let multisig = c.text("MultiSigAddress")?;
    let registration = if multisig.is_empty() {
        None
    } else {
        let script = RedeemScript::from_hex(&c.text("MultiSigScript")?)
            .map_err(|_| c.corrupt("MultiSigScript", "not hex"))?;
        Some(Registration {
            multisig_address: c.address("MultiSigAddress")?,
            multisig_script: script,
            pool_pubkey_addr: c.address("PoolPubKeyAddr")?,
            user_pubkey_addr: c.address("UserPubKeyAddr")?,
            user_fee_addr: c.address("UserFeeAddr")?,
            height_registered: c.ranged("HeightRegistered")?,
        })
    };
    Ok(User {
        id: c.user_id("UserId")?,
        email: c.text("Email")?,
        username: c.text("Username")?,
        password_hash: Secret::new(c.blob_text("Password")?),
        email_verified: c.email_verification("EmailVerified")?,
        email_token: Secret::new(c.text("EmailToken")?),
        api_token: Secret::new(c.text("APIToken")?),
        vote_bits: VoteBits(c.ranged("VoteBits")?),
        vote_bits_version: c.ranged("VoteBitsVersion")?,
        registration,
    })
}

/// `UserId, requested, erased, MultiSigAddress` (of `hcpool_erasures` joined with `Users`;
/// `erased` 0 is pending, a missing or empty address is none).
pub(crate) fn erasure(row: &AnyRow) -> Result<ErasureRecord> {
    let c = Cols::new(row, "hcpool_erasures", "UserId")?;
    let erased = c.int("erased")?;
    let multisig = c.text("MultiSigAddress")?;
    Ok(ErasureRecord {
        user_id: c.user_id("UserId")?,
        requested: c.int("requested")?,
        erased: (erased != 0).then_some(erased),
        multisig_address: if multisig.is_empty() {
            None
        } else {
            Some(c.address("MultiSigAddress")?)
        },
    })
}

/// `Password, Email, MultiSigAddress` of user `id`, for an erasure: the password as bytes
/// (a legacy column may be binary).
pub(crate) fn erase_target(row: &AnyRow, id: i64) -> Result<(Vec<u8>, String, String)> {
    let c = Cols {
        row,
        table: "Users",
        id,
    };
    let password = row
        .try_get::<Option<Vec<u8>>, _>("Password")
        .or_else(|_| {
            row.try_get::<Option<String>, _>("Password")
                .map(|s| s.map(String::into_bytes))
        })
        .map_err(|e| c.corrupt("Password", e.to_string()))?
        .unwrap_or_default();
    Ok((password, c.text("Email")?, c.text("MultiSigAddress")?))
}

/// `UserId, MultiSigAddress, VoteBits, VoteBitsVersion`.
pub(crate) fn voting_config(row: &AnyRow) -> Result<UserVotingConfig> {
    let c = Cols::new(row, "Users", "UserId")?;
    Ok(UserVotingConfig {
        user_id: c.user_id("UserId")?,
        multisig_address: c.text("MultiSigAddress")?,
        vote_bits: VoteBits(c.ranged("VoteBits")?),
        vote_bits_version: c.ranged("VoteBitsVersion")?,
    })
}

/// `UserId, MultiSigScript, HeightRegistered`.
pub(crate) fn registered_script(row: &AnyRow) -> Result<RegisteredScript> {
    let c = Cols::new(row, "Users", "UserId")?;
    let script = RedeemScript::from_hex(&c.text("MultiSigScript")?)
        .map_err(|_| c.corrupt("MultiSigScript", "not hex"))?;
    Ok(RegisteredScript {
        user_id: c.user_id("UserId")?,
        script,
        height_registered: c.ranged("HeightRegistered")?,
    })
}

fn ticket_hash(c: &Cols<'_>, column: &'static str) -> Result<TicketHash> {
    let s = c.text(column)?;
    s.trim()
        .parse()
        .map_err(|_| c.corrupt(column, format!("bad hash {s:?}")))
}

/// A `LowFeeTicket` row ([`TICKET_COLUMNS`]).
pub(crate) fn low_fee_ticket(row: &AnyRow) -> Result<LowFeeTicket> {
    let c = Cols::new(row, "LowFeeTicket", "LowFeeTicketID")?;
    Ok(LowFeeTicket {
        id: c.id,
        added_by: c.user_id("AddedByUid")?,
        ticket_address: c.address("TicketAddress")?,
        ticket_hash: ticket_hash(&c, "TicketHash")?,
        voted: c.int("Voted")? != 0,
        created: c.int("Created")?,
        expires: c.int("Expires")?,
    })
}

/// `LowFeeTicketID, TicketAddress, TicketHash`.
pub(crate) fn ticket_entry(row: &AnyRow) -> Result<TicketEntry> {
    let c = Cols::new(row, "LowFeeTicket", "LowFeeTicketID")?;
    Ok(TicketEntry {
        ticket_address: c.text("TicketAddress")?,
        ticket_hash: ticket_hash(&c, "TicketHash")?,
    })
}

/// An `hcpool_sessions` row ([`SESSION_COLUMNS`]).
pub(crate) fn session(row: &AnyRow) -> Result<Session> {
    let id_hash: String = row.try_get("id_hash").map_err(|e| Error::CorruptRow {
        table: "hcpool_sessions",
        id: 0,
        column: "id_hash",
        reason: e.to_string(),
    })?;
    let c = Cols {
        row,
        table: "hcpool_sessions",
        id: 0,
    };
    Ok(Session {
        id_hash,
        user_id: c.user_id("user_id")?,
        csrf_token: Secret::new(c.text("csrf_token")?),
        created: c.int("created")?,
        expires: c.int("expires")?,
        last_seen: c.int("last_seen")?,
    })
}

/// A user id as the database stores it; `None` for ids no database row can have.
pub(crate) fn db_id(id: UserId) -> Option<i64> {
    i64::try_from(id.0).ok()
}

/// An address as the `Users` columns hold it (its base58 string).
pub(crate) fn format_address(address: &Address) -> String {
    address.to_string()
}

fn parse_address(s: &str) -> Option<Address> {
    s.trim().parse().ok()
}

/// `EmailChangeID, UserId, NewEmail, Token, Created, Expires`.
pub(crate) fn email_change(row: &AnyRow) -> Result<EmailChange> {
    let c = Cols::new(row, "EmailChange", "EmailChangeID")?;
    Ok(EmailChange {
        user_id: c.user_id("UserId")?,
        new_email: c.text("NewEmail")?,
        token: Secret::new(c.text("Token")?),
        created: c.int("Created")?,
        expires: c.int("Expires")?,
    })
}

/// `PasswordResetID, UserId, Token, Created, Expires`.
pub(crate) fn password_reset(row: &AnyRow) -> Result<PasswordReset> {
    let c = Cols::new(row, "PasswordReset", "PasswordResetID")?;
    Ok(PasswordReset {
        user_id: c.user_id("UserId")?,
        token: Secret::new(c.text("Token")?),
        created: c.int("Created")?,
        expires: c.int("Expires")?,
    })
}

/// An `hcpool_mail_outbox` row.
pub(crate) fn outbox_mail(row: &AnyRow) -> Result<OutboxMail> {
    let c = Cols::new(row, "hcpool_mail_outbox", "id")?;
    Ok(OutboxMail {
        id: c.id,
        kind: c.text("kind")?,
        recipient: c.text("recipient")?,
        subject: c.text("subject")?,
        body: Secret::new(c.text("body")?),
        ip: c.text("ip")?,
        attempts: c.ranged("attempts")?,
        next_attempt: c.int("next_attempt")?,
        created: c.int("created")?,
    })
}

/// The columns of notification preference queries, in [`notify_prefs`]'s order.
pub(crate) const NOTIFY_PREFS_COLUMNS: &str = "user_id, on_vote, on_miss, on_revoke, mode, lang, \
     baseline_height, last_digest_day, updated";

/// The columns of notification event queries, in [`notify_event`]'s order.
pub(crate) const NOTIFY_EVENT_COLUMNS: &str = "ticket_hash, event, user_id, height, created";

/// An `hcpool_notify_prefs` row ([`NOTIFY_PREFS_COLUMNS`]).
pub(crate) fn notify_prefs(row: &AnyRow) -> Result<NotifyPrefs> {
    let c = Cols::new(row, "hcpool_notify_prefs", "user_id")?;
    let mode = c.text("mode")?;
    Ok(NotifyPrefs {
        on_vote: c.int("on_vote")? != 0,
        on_miss: c.int("on_miss")? != 0,
        on_revoke: c.int("on_revoke")? != 0,
        mode: NotifyMode::parse(&mode)
            .ok_or_else(|| c.corrupt("mode", format!("bad mode {mode:?}")))?,
        lang: c.text("lang")?,
        baseline_height: c.ranged("baseline_height")?,
        last_digest_day: c.int("last_digest_day")?,
        updated: c.int("updated")?,
    })
}

/// A subscriber: [`NOTIFY_PREFS_COLUMNS`] plus `Email` and `MultiSigAddress` of `Users`.
pub(crate) fn subscriber(row: &AnyRow) -> Result<Subscriber> {
    let prefs = notify_prefs(row)?;
    let c = Cols::new(row, "Users", "user_id")?;
    Ok(Subscriber {
        user_id: c.user_id("user_id")?,
        email: c.text("Email")?,
        multisig: c.address("MultiSigAddress")?,
        prefs,
    })
}

/// An `hcpool_notify_events` row ([`NOTIFY_EVENT_COLUMNS`]); `id` in errors is the user.
pub(crate) fn notify_event(row: &AnyRow) -> Result<NotifyEvent> {
    let c = Cols::new(row, "hcpool_notify_events", "user_id")?;
    let event = c.text("event")?;
    Ok(NotifyEvent {
        user_id: c.user_id("user_id")?,
        ticket: ticket_hash(&c, "ticket_hash")?,
        event: TicketEvent::parse(&event)
            .ok_or_else(|| c.corrupt("event", format!("bad event {event:?}")))?,
        height: c.ranged("height")?,
        created: c.int("created")?,
    })
}

/// The columns of vote record queries, in [`vote_record`]'s order.
pub(crate) const VOTE_RECORD_COLUMNS: &str = "ticket_hash, user_id, vote_tx, block_hash, \
     block_height, votebits, vote_version, requested_votebits, created";

/// An `hcpool_vote_records` row ([`VOTE_RECORD_COLUMNS`]); `id` in errors is the user.
pub(crate) fn vote_record(row: &AnyRow) -> Result<StoredVoteRecord> {
    let c = Cols::new(row, "hcpool_vote_records", "user_id")?;
    Ok(StoredVoteRecord {
        user_id: c.user_id("user_id")?,
        ticket: ticket_hash(&c, "ticket_hash")?,
        vote_tx: ticket_hash(&c, "vote_tx")?,
        block_hash: ticket_hash(&c, "block_hash")?,
        block_height: c.ranged("block_height")?,
        votebits: c.ranged("votebits")?,
        vote_version: c.ranged("vote_version")?,
        requested_votebits: c.ranged("requested_votebits")?,
        created: c.int("created")?,
    })
}

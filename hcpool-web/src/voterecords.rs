//! Signed vote records (docs/adr/0009-vote-records.md): the key file (`voterecordkey`), and a
//! user's records as `GET /api/v2/voterecords` and the tickets page's download serve them.
//!
//! Each voted ticket's record is made once from the wallets (its vote, read with
//! `gettransaction`) and stored in the shared database (`hcpool_vote_records`, first writer
//! wins), then signed with the shared key file when served: nothing is kept per process, so
//! any instance answers the same records with the same signatures (RFC 6979). A record's
//! `requested_votebits` is the user's choice when it was first stored
//! ([`hcpool_core::voterecord::stored_vote_records`]).

use std::io::Write as _;
use std::path::Path;

use hcpool_core::backend::User;
use hcpool_core::voterecord::{
    stored_vote_records, RecordsRequest, SignedVoteRecord, VoteRecordKey, VoteRecordPubKey, DOMAIN,
};
use serde::Serialize;

use crate::error::WebError;
use crate::state::AppState;

/// Wallet calls (`gettransaction` of votes) run at once for one user's records.
pub const CONCURRENCY: usize = 8;

/// The key in `path`, or a new one written there (mode 0600, never overwriting a file
/// that appears meanwhile) when the file is missing.
///
/// # Errors
/// [`WebError::Config`] naming `voterecordkey` when the file cannot be read, holds no key
/// or cannot be created.
pub fn load_or_generate(path: &Path) -> Result<VoteRecordKey, WebError> {
    let bad = |e: String| WebError::Config(format!("voterecordkey {}: {e}", path.display()));
    match std::fs::read_to_string(path) {
        Ok(text) => return VoteRecordKey::from_file_text(&text).map_err(|e| bad(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(bad(e.to_string())),
    }
    let key = loop {
        let bytes: [u8; 32] = rand::random();
        if let Ok(k) = VoteRecordKey::from_bytes(&bytes) {
            break k;
        }
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| bad(e.to_string()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = match opts.open(path) {
        Ok(f) => f,
        // Another instance made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
            return VoteRecordKey::from_file_text(&text).map_err(|e| bad(e.to_string()));
        }
        Err(e) => return Err(bad(e.to_string())),
    };
    f.write_all(key.to_file_text().as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| bad(e.to_string()))?;
    tracing::info!(
        file = %path.display(),
        pubkey = %key.public(),
        "generated the vote record signing key: every instance of this pool must use this same \
         file (copy it to the others before they start), and users pin its public key"
    );
    Ok(key)
}

/// The pool's public key as `GET /api/v2/voterecordkey` and the pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyView {
    /// The scheme (the signed message's first line).
    pub scheme: &'static str,
    /// Compressed secp256k1 public key, hex.
    pub pubkey: String,
}

impl KeyView {
    /// The view of `key`.
    pub fn of(key: &VoteRecordPubKey) -> Self {
        KeyView {
            scheme: DOMAIN,
            pubkey: key.to_string(),
        }
    }
}

/// A user's records, as served and downloaded (and read by `hcpoolctl verify-votes`).
#[derive(Debug, Clone, Serialize)]
pub struct VoteRecords {
    /// The scheme (the signed message's first line).
    pub scheme: &'static str,
    /// The key that signed them (users compare it with the key they pinned).
    pub pubkey: String,
    /// The user's ticket address (1-of-2 multisig).
    pub ticket_address: String,
    /// One record per voted ticket, by block height.
    pub records: Vec<SignedVoteRecord>,
}

/// `user`'s signed records (an empty list before the user registered an address): the
/// stored ones, and those of newly voted tickets, read from the wallets and stored.
///
/// # Errors
/// The wallets' error (or the request deadline) reading the user's tickets; the store's
/// error reading the stored records.
pub async fn of_user(
    state: &AppState,
    key: &VoteRecordKey,
    user: &User,
) -> hcpool_core::Result<VoteRecords> {
    let pubkey = key.public().to_string();
    let Some(reg) = &user.registration else {
        return Ok(VoteRecords {
            scheme: DOMAIN,
            pubkey,
            ticket_address: String::new(),
            records: Vec::new(),
        });
    };
    let (tip, info) = state.user_tickets(&reg.multisig_address).await?;
    let request = RecordsRequest {
        network: state.settings.network,
        user: user.id,
        requested: user.vote_bits,
        tip_height: tip.height,
        now: state.now(),
        concurrency: CONCURRENCY,
    };
    let pass = state
        .wallet_call(stored_vote_records(
            state.pool.store().as_ref(),
            state.pool.wallets().as_ref(),
            &info,
            &request,
        ))
        .await?;
    tracing::debug!(
        user = user.id.0,
        records = pass.records.len(),
        wallet_reads = pass.wallet_reads,
        stored = pass.stored,
        replaced = pass.replaced,
        "vote records"
    );
    Ok(VoteRecords {
        scheme: DOMAIN,
        pubkey,
        ticket_address: reg.multisig_address.to_string(),
        records: pass.records.into_iter().map(|r| r.sign(key)).collect(),
    })
}

//! Signed vote records over the in-memory app (issue 16 row 8): each vote is read from the
//! wallets once and stored, so a second request makes no wallet call; the stored record
//! keeps the votebits the user had chosen when it was stored; the export lists it and
//! deleting the account deletes it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use hcpool_core::backend::*;
use hcpool_core::ids::Hash32;
use hcpool_core::tx::Transaction;
use hcpool_core::voterecord::{VoteRecordKey, SETTLED_DEPTH};
use hcpool_core::{Address, BlockHash, RedeemScript, TicketHash, TxHash, UserId, VoteBits};
use rocket::http::Status;

use super::common::{app_custom, settings, FakeWallet, TestApp};

/// A real hcwallet vote (hcpool-core's test vector): its bytes and the ticket it spends.
fn vote_vector() -> (Vec<u8>, TicketHash) {
    let v: serde_json::Value = serde_json::from_str(include_str!(
        "../../../hcpool-core/tests/data/vote-record.json"
    ))
    .unwrap();
    let raw = hex::decode(v["vote_hex"].as_str().unwrap()).unwrap();
    let ticket = v["request_params"][2].as_str().unwrap().parse().unwrap();
    (raw, ticket)
}

/// The fake wallet, whose `stakepooluserinfo` lists one ticket voted by the vector's vote
/// (settled: [`SETTLED_DEPTH`] blocks below the fake's tip, 1234) and whose
/// `gettransaction` answers that vote, counting the calls.
struct VotingFake {
    inner: Arc<FakeWallet>,
    raw: Vec<u8>,
    ticket: TicketHash,
    vote: TxHash,
    block: BlockHash,
    height: u32,
    tx_calls: AtomicU32,
}

impl VotingFake {
    fn new() -> Arc<Self> {
        let (raw, ticket) = vote_vector();
        let vote = Transaction::decode(&raw).unwrap().hash();
        Arc::new(VotingFake {
            inner: Arc::new(FakeWallet::default()),
            raw,
            ticket,
            vote,
            block: Hash32::from_bytes([0x42; 32]),
            height: 1234 - SETTLED_DEPTH - 10,
            tx_calls: AtomicU32::new(0),
        })
    }
}

#[async_trait]
impl WalletState for VotingFake {
    fn label(&self) -> String {
        self.inner.label()
    }
    async fn wallet_info(&self) -> hcpool_core::Result<WalletInfo> {
        self.inner.wallet_info().await
    }
    async fn best_block(&self) -> hcpool_core::Result<BestBlock> {
        self.inner.best_block().await
    }
    async fn node_height(&self) -> hcpool_core::Result<Option<u32>> {
        self.inner.node_height().await
    }
    async fn block_time(&self, hash: &BlockHash) -> hcpool_core::Result<Option<u64>> {
        self.inner.block_time(hash).await
    }
    async fn vote_version(&self) -> hcpool_core::Result<u32> {
        self.inner.vote_version().await
    }
}

#[async_trait]
impl PoolWallet for VotingFake {
    async fn validate_address(&self, a: &Address) -> hcpool_core::Result<ValidatedAddress> {
        self.inner.validate_address(a).await
    }
    async fn create_multisig(&self, p: &Address, u: &Address) -> hcpool_core::Result<MultisigInfo> {
        self.inner.create_multisig(p, u).await
    }
    async fn import_script(&self, s: &RedeemScript, h: u32) -> hcpool_core::Result<()> {
        self.inner.import_script(s, h).await
    }
    async fn list_scripts(&self) -> hcpool_core::Result<Vec<RedeemScript>> {
        self.inner.list_scripts().await
    }
    async fn account_sync_address_index(&self, a: &str, b: u32, i: u32) -> hcpool_core::Result<()> {
        self.inner.account_sync_address_index(a, b, i).await
    }
}

#[async_trait]
impl StakeReporting for VotingFake {
    async fn stake_info(&self) -> hcpool_core::Result<StakeInfo> {
        self.inner.stake_info().await
    }
    async fn stake_pool_user_info(&self, _m: &Address) -> hcpool_core::Result<StakePoolUserInfo> {
        Ok(StakePoolUserInfo {
            tickets: vec![UserTicket {
                status: TicketStatus::Voted,
                ticket: self.ticket,
                ticket_height: 900,
                spent_by: self.vote,
                spent_by_height: self.height,
            }],
            invalid: vec![],
        })
    }
    async fn tickets(&self, i: bool) -> hcpool_core::Result<Vec<TicketHash>> {
        self.inner.tickets(i).await
    }
    async fn raw_transaction(&self, h: &TxHash) -> hcpool_core::Result<Vec<u8>> {
        self.inner.raw_transaction(h).await
    }
    async fn transaction(&self, h: &TxHash) -> hcpool_core::Result<WalletTransaction> {
        self.tx_calls.fetch_add(1, Ordering::SeqCst);
        assert_eq!(*h, self.vote, "only the vote is asked for");
        Ok(WalletTransaction {
            txid: *h,
            hex: self.raw.clone(),
            block_hash: Some(self.block),
            detail_addresses: vec![],
        })
    }
}

#[async_trait]
impl VotingWallet for VotingFake {
    async fn add_ticket(&self, t: &[u8]) -> hcpool_core::Result<()> {
        self.inner.add_ticket(t).await
    }
    async fn generate_vote(
        &self,
        b: &BlockHash,
        h: u32,
        t: &TicketHash,
        v: VoteBits,
        e: &[u8],
    ) -> hcpool_core::Result<Vec<u8>> {
        self.inner.generate_vote(b, h, t, v, e).await
    }
    async fn revoke_tickets(&self) -> hcpool_core::Result<()> {
        self.inner.revoke_tickets().await
    }
}

async fn records_app(wallet: &Arc<VotingFake>) -> TestApp {
    let key = VoteRecordKey::from_bytes(&[7; 32]).unwrap();
    app_custom(
        settings(),
        Some(wallet.clone() as Arc<dyn WalletBackend>),
        |s| s.with_vote_record_key(key),
    )
    .await
}

/// A registered user whose ticket voted: the first request reads the vote and stores the
/// record; the second (after the user changed their votebits) is served from the store with
/// no wallet call, byte for byte the same, still with the votebits of the first.
#[rocket::async_test]
async fn a_stored_record_is_served_without_a_wallet_call() {
    let wallet = VotingFake::new();
    let app = records_app(&wallet).await;
    let (id, token) = app.user("voter@example.com", "password1").await;
    assert_eq!(app.api_register(&token).await.0, Status::Ok);
    assert!(app.store.vote_records(id).await.unwrap().is_empty());

    let (st, first) = app.api_get("/api/v2/voterecords", Some(&token)).await;
    assert_eq!(st, Status::Ok, "{first}");
    assert_eq!(wallet.tx_calls.load(Ordering::SeqCst), 1);
    let doc = hcpool_rpc::voterecords::parse_document(&first).unwrap();
    assert_eq!(doc.records.len(), 1, "{first}");
    let rec = &doc.records[0].record;
    assert_eq!(
        (rec.ticket, rec.vote_tx, rec.block_hash, rec.block_height),
        (wallet.ticket, wallet.vote, wallet.block, wallet.height)
    );
    assert_eq!((rec.votebits, rec.requested_votebits), (1, 1));
    let key = VoteRecordKey::from_bytes(&[7; 32]).unwrap();
    assert!(doc.records[0].signature_valid(&key.public()));
    let stored = app.store.vote_records(id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].record(hcpool_core::Network::Testnet), *rec);

    // The user picks other votebits: the record keeps the choice it was stored with.
    app.store.set_vote_bits(id, VoteBits(5), 7).await.unwrap();
    let (st, second) = app.api_get("/api/v2/voterecords", Some(&token)).await;
    assert_eq!(st, Status::Ok);
    assert_eq!(second, first, "the same signed record from the store");
    assert_eq!(
        wallet.tx_calls.load(Ordering::SeqCst),
        1,
        "no wallet call for a stored record"
    );

    // The tickets page's download serves the same record, from the store too.
    app.sign_in("voter@example.com", "password1").await;
    let (st, file) = app.get("/tickets/voterecords.json").await;
    assert_eq!(st, Status::Ok);
    assert_eq!(hcpool_rpc::voterecords::parse_document(&file).unwrap(), doc);
    assert_eq!(wallet.tx_calls.load(Ordering::SeqCst), 1);
}

/// The export lists the stored records; deleting the account deletes them.
#[rocket::async_test]
async fn records_are_exported_and_deleted_with_the_account() {
    let wallet = VotingFake::new();
    let app = records_app(&wallet).await;
    let (id, token) = app.user("gone@example.com", "password1").await;
    assert_eq!(app.api_register(&token).await.0, Status::Ok);
    let (st, _) = app.api_get("/api/v2/voterecords", Some(&token)).await;
    assert_eq!(st, Status::Ok);
    // Another user's record, which must survive the deletion.
    let other = StoredVoteRecord {
        user_id: UserId(id.0 + 100),
        ticket: Hash32::from_bytes([3; 32]),
        ..app.store.vote_records(id).await.unwrap()[0].clone()
    };
    assert_eq!(
        app.store
            .put_vote_records(std::slice::from_ref(&other))
            .await
            .unwrap(),
        1
    );

    app.sign_in("gone@example.com", "password1").await;
    let (st, body) = app.get("/export").await;
    assert_eq!(st, Status::Ok);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let recs = v["vote_records"].as_array().unwrap();
    assert_eq!(recs.len(), 1, "{v}");
    assert_eq!(recs[0]["ticket"], wallet.ticket.to_string());
    assert_eq!(recs[0]["vote_tx"], wallet.vote.to_string());
    assert_eq!(recs[0]["block_height"], wallet.height);
    assert_eq!(recs[0]["requested_votebits"], 1);

    let csrf = app.csrf("/delete").await;
    let (st, _, page) = app
        .post_form("/delete", &format!("password=password1&csrf_token={csrf}"))
        .await;
    assert_eq!(st, Status::Ok, "{page}");
    assert!(app.store.user(id).await.unwrap().unwrap().is_erased());
    assert!(
        app.store.vote_records(id).await.unwrap().is_empty(),
        "the user's records went with the account"
    );
    assert_eq!(
        app.store.vote_records(other.user_id).await.unwrap(),
        vec![other]
    );
}

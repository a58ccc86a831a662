use super::*;
use crate::backend::{MockStakeReporting, StoredVoteRecord, UserTicket, WalletTransaction};

/// A real hcwallet's `generatevote` answer (simnet), copied from the realhc transcripts.
const VECTOR: &str = include_str!("../../tests/data/vote-record.json");

fn vector() -> (Vec<u8>, TicketHash, BlockHash, u32) {
    let v: serde_json::Value = serde_json::from_str(VECTOR).unwrap();
    let raw = hex::decode(v["vote_hex"].as_str().unwrap()).unwrap();
    let p = &v["request_params"];
    (
        raw,
        p[2].as_str().unwrap().parse().unwrap(),
        p[0].as_str().unwrap().parse().unwrap(),
        u32::try_from(p[1].as_u64().unwrap()).unwrap(),
    )
}

fn key() -> VoteRecordKey {
    let mut b = [0u8; 32];
    for (i, x) in b.iter_mut().enumerate() {
        *x = u8::try_from(i).unwrap() + 1;
    }
    VoteRecordKey::from_bytes(&b).unwrap()
}

fn record() -> VoteRecord {
    let (raw, ticket, _, _) = vector();
    VoteRecord {
        network: Network::Simnet,
        ticket,
        vote_tx: Transaction::decode(&raw).unwrap().hash(),
        block_hash: "0831143a49e8764c82d1efd37ef146e1e47c10701657507617c609b5d0fe6f20"
            .parse()
            .unwrap(),
        block_height: 179,
        votebits: 1,
        vote_version: 7,
        requested_votebits: 5,
    }
}

#[test]
fn votebits_are_read_from_a_real_vote() {
    let (raw, ticket, voted_on, height) = vector();
    let r = record();
    let vote = check_vote_tx(&r, &raw).unwrap();
    assert_eq!(vote.ticket, ticket);
    assert_eq!(vote.block_hash, voted_on);
    assert_eq!(vote.block_height, height);
    assert_eq!(vote.votebits, VoteBits(1));
    assert_eq!(vote.vote_version(), 7);
    let other = VoteRecord {
        votebits: 5,
        ..r.clone()
    };
    assert!(matches!(
        check_vote_tx(&other, &raw),
        Err(RecordFailure::VotebitsDiffer {
            record: 5,
            found: 1,
            ..
        })
    ));
    let wrong = VoteRecord {
        ticket: Hash32::from_bytes([7; 32]),
        ..r.clone()
    };
    assert!(matches!(
        check_vote_tx(&wrong, &raw),
        Err(RecordFailure::WrongTicket { .. })
    ));
    assert!(matches!(
        check_vote_tx(&r, &raw[..raw.len() - 3]),
        Err(RecordFailure::NotAVote(_))
    ));
}

/// The canonical message and signature are pinned: changing either breaks every record
/// users already hold.
#[test]
fn canonical_encoding_is_stable() {
    let r = record();
    let msg = String::from_utf8(r.canonical_message()).unwrap();
    assert_eq!(
        msg,
        format!(
            "hcpool vote record v1\nnetwork:simnet\n\
             ticket:2a98cc0838b0e43109ba803195eeea128b7fd5339feee30b1a6cb95e5954c267\n\
             vote_tx:{}\n\
             block_hash:0831143a49e8764c82d1efd37ef146e1e47c10701657507617c609b5d0fe6f20\n\
             block_height:179\nvotebits:1\nvote_version:7\nrequested_votebits:5\n",
            r.vote_tx
        )
    );
    assert_eq!(r.vote_tx.to_string(), PINNED_VOTE_TX);
    let v: serde_json::Value = serde_json::from_str(VECTOR).unwrap();
    assert_eq!(v["txid"], PINNED_VOTE_TX, "the real hcd names the vote so");
    let k = key();
    assert_eq!(k.public().to_string(), PINNED_PUBKEY);
    let signed = r.sign(&k);
    assert_eq!(signed.signature, PINNED_SIGNATURE);
    let json = serde_json::to_string(&signed).unwrap();
    assert_eq!(json, PINNED_JSON);
    let back: SignedVoteRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, signed);
    assert!(back.signature_valid(&k.public()));
}

/// hcd's txid of the vector's vote (BLAKE-256 of the prefix).
const PINNED_VOTE_TX: &str = "445d882f22fefce05f7ace8863daa9305df1e0ee556b265975322cc404a39149";
/// The public key of the secret 0x0102…1f20.
const PINNED_PUBKEY: &str = "0284bf7562262bbd6940085748f3be6afa52ae317155181ece31b66351ccffa4b0";
const PINNED_SIGNATURE: &str = "79e90df4c9fd868e219c2e89e6cd8e7fd49e50d4ce5a4b14e1cf60f4147f8f8770b191ff72aa57fc2ef2d6dc285b073234a7827a355714c07302b37ba26034f8";
const PINNED_JSON: &str = r#"{"network":"simnet","ticket":"2a98cc0838b0e43109ba803195eeea128b7fd5339feee30b1a6cb95e5954c267","vote_tx":"445d882f22fefce05f7ace8863daa9305df1e0ee556b265975322cc404a39149","block_hash":"0831143a49e8764c82d1efd37ef146e1e47c10701657507617c609b5d0fe6f20","block_height":179,"votebits":1,"vote_version":7,"requested_votebits":5,"signature":"79e90df4c9fd868e219c2e89e6cd8e7fd49e50d4ce5a4b14e1cf60f4147f8f8770b191ff72aa57fc2ef2d6dc285b073234a7827a355714c07302b37ba26034f8"}"#;

#[test]
fn tampering_with_any_field_breaks_the_signature() {
    let k = key();
    let pk = k.public();
    let signed = record().sign(&k);
    assert!(signed.signature_valid(&pk));
    let tweaks: [fn(&mut VoteRecord); 8] = [
        |r| r.network = Network::Testnet,
        |r| r.ticket = Hash32::from_bytes([1; 32]),
        |r| r.vote_tx = Hash32::from_bytes([2; 32]),
        |r| r.block_hash = Hash32::from_bytes([3; 32]),
        |r| r.block_height += 1,
        |r| r.votebits ^= 4,
        |r| r.vote_version += 1,
        |r| r.requested_votebits ^= 1,
    ];
    for (i, t) in tweaks.iter().enumerate() {
        let mut s = signed.clone();
        t(&mut s.record);
        assert!(!s.signature_valid(&pk), "field {i} tampered, still valid");
    }
    let mut s = signed.clone();
    s.signature.replace_range(0..2, "00");
    assert!(!s.signature_valid(&pk));
    let mut s = signed.clone();
    s.signature = "zz".into();
    assert!(!s.signature_valid(&pk));
    let other = VoteRecordKey::from_bytes(&[9; 32]).unwrap();
    assert!(!signed.signature_valid(&other.public()));
}

#[test]
fn key_files_round_trip_and_reject_junk() {
    let k = key();
    let text = k.to_file_text();
    assert_eq!(text.len(), 65);
    let back = VoteRecordKey::from_file_text(&text).unwrap();
    assert_eq!(back.public(), k.public());
    assert!(VoteRecordKey::from_file_text("abc").is_err());
    assert!(VoteRecordKey::from_bytes(&[0; 32]).is_err());
    assert!(VoteRecordKey::from_bytes(&[0xff; 32]).is_err());
    assert!(!format!("{k:?}").contains(text.trim()));
    let pk: VoteRecordPubKey = k.public().to_string().parse().unwrap();
    assert_eq!(pk, k.public());
    assert!("02ab".parse::<VoteRecordPubKey>().is_err());
}

struct FakeChain {
    blocks: Vec<(u32, BlockHash)>,
    txs: Vec<(TxHash, ChainTx)>,
}

#[async_trait]
impl VoteChain for FakeChain {
    async fn network(&self) -> crate::Result<Network> {
        Ok(Network::Simnet)
    }
    async fn block_hash_at(&self, height: u32) -> crate::Result<Option<BlockHash>> {
        Ok(self.blocks.iter().find(|b| b.0 == height).map(|b| b.1))
    }
    async fn transaction(&self, hash: &TxHash) -> crate::Result<Option<ChainTx>> {
        Ok(self.txs.iter().find(|t| &t.0 == hash).map(|t| t.1.clone()))
    }
}

#[tokio::test]
async fn records_verify_against_the_chain() {
    let (raw, _, _, _) = vector();
    let r = record();
    let k = key();
    let chain = FakeChain {
        blocks: vec![(179, r.block_hash)],
        txs: vec![(
            r.vote_tx,
            ChainTx {
                raw: raw.clone(),
                block_hash: Some(r.block_hash),
            },
        )],
    };
    let signed = r.clone().sign(&k);
    verify_record(&signed, &k.public(), &chain).await.unwrap();

    // Signed by the pool but false: each claim fails on its own.
    let bad = |f: &dyn Fn(&mut VoteRecord)| {
        let mut r = r.clone();
        f(&mut r);
        r.sign(&k)
    };
    let e = verify_record(&bad(&|r| r.block_height = 180), &k.public(), &chain).await;
    assert!(
        matches!(e, Err(RecordFailure::NotInMainChain { .. })),
        "{e:?}"
    );
    let e = verify_record(&bad(&|r| r.votebits = 5), &k.public(), &chain).await;
    assert!(
        matches!(e, Err(RecordFailure::VotebitsDiffer { .. })),
        "{e:?}"
    );
    let e = verify_record(
        &bad(&|r| r.vote_tx = Hash32::from_bytes([4; 32])),
        &k.public(),
        &chain,
    )
    .await;
    assert!(matches!(e, Err(RecordFailure::TxNotFound(_))), "{e:?}");
    let e = verify_record(&bad(&|r| r.network = Network::Mainnet), &k.public(), &chain).await;
    assert!(
        matches!(e, Err(RecordFailure::WrongNetwork { .. })),
        "{e:?}"
    );
    let mut tampered = signed.clone();
    tampered.record.votebits = 5;
    let e = verify_record(&tampered, &k.public(), &chain).await;
    assert_eq!(e, Err(RecordFailure::BadSignature));
    let unmined = FakeChain {
        blocks: vec![(179, r.block_hash)],
        txs: vec![(
            r.vote_tx,
            ChainTx {
                raw,
                block_hash: None,
            },
        )],
    };
    let e = verify_record(&signed, &k.public(), &unmined).await;
    assert!(matches!(e, Err(RecordFailure::WrongBlock { .. })), "{e:?}");
}

#[tokio::test]
async fn records_are_made_from_the_wallets_answers() {
    let (raw, ticket, _, _) = vector();
    let vote = Transaction::decode(&raw).unwrap().hash();
    let block: BlockHash = Hash32::from_bytes([5; 32]);
    let info = StakePoolUserInfo {
        tickets: vec![
            UserTicket {
                status: TicketStatus::Voted,
                ticket,
                ticket_height: 34,
                spent_by: vote,
                spent_by_height: 179,
            },
            UserTicket {
                status: TicketStatus::Live,
                ticket: Hash32::from_bytes([6; 32]),
                ticket_height: 40,
                spent_by: Hash32::default(),
                spent_by_height: 0,
            },
            // The wallet names a spender that is not this ticket's vote: left out.
            UserTicket {
                status: TicketStatus::Voted,
                ticket: Hash32::from_bytes([8; 32]),
                ticket_height: 41,
                spent_by: vote,
                spent_by_height: 179,
            },
        ],
        invalid: vec![],
    };
    let mut w = MockStakeReporting::new();
    w.expect_transaction().returning(move |h| {
        Ok(WalletTransaction {
            txid: *h,
            hex: raw.clone(),
            block_hash: Some(block),
            detail_addresses: vec![],
        })
    });
    let recs = user_vote_records(&w, &info, Network::Simnet, VoteBits(5), 4).await;
    assert_eq!(
        recs,
        vec![VoteRecord {
            network: Network::Simnet,
            ticket,
            vote_tx: vote,
            block_hash: block,
            block_height: 179,
            votebits: 1,
            vote_version: 7,
            requested_votebits: 5,
        }]
    );
}

/// A wallet whose `gettransaction` answers the vector's vote in `block` (or fails while
/// `down`), counting the calls.
struct VoteWallet {
    raw: Vec<u8>,
    block: std::sync::Mutex<BlockHash>,
    down: std::sync::atomic::AtomicBool,
    calls: std::sync::atomic::AtomicUsize,
}

impl VoteWallet {
    fn mock(self: &std::sync::Arc<Self>) -> MockStakeReporting {
        use std::sync::atomic::Ordering;
        let me = self.clone();
        let mut w = MockStakeReporting::new();
        w.expect_transaction().returning(move |h| {
            me.calls.fetch_add(1, Ordering::SeqCst);
            if me.down.load(Ordering::SeqCst) {
                return Err(crate::Error::wallet(
                    "w",
                    crate::BackendKind::Unavailable,
                    "down",
                ));
            }
            Ok(WalletTransaction {
                txid: *h,
                hex: me.raw.clone(),
                block_hash: Some(*me.block.lock().unwrap()),
                detail_addresses: vec![],
            })
        });
        w
    }

    fn calls(&self) -> usize {
        self.calls.swap(0, std::sync::atomic::Ordering::SeqCst)
    }
}

fn voted_info(ticket: TicketHash, vote: TxHash, height: u32) -> StakePoolUserInfo {
    StakePoolUserInfo {
        tickets: vec![
            UserTicket {
                status: TicketStatus::Voted,
                ticket,
                ticket_height: 34,
                spent_by: vote,
                spent_by_height: height,
            },
            UserTicket {
                status: TicketStatus::Live,
                ticket: Hash32::from_bytes([6; 32]),
                ticket_height: 40,
                spent_by: Hash32::default(),
                spent_by_height: 0,
            },
        ],
        invalid: vec![],
    }
}

#[tokio::test]
async fn records_are_stored_once_and_served_from_the_store() {
    use crate::backend::{MemoryStore, VoteRecordStore as _};
    let (raw, ticket, _, _) = vector();
    let vote = Transaction::decode(&raw).unwrap().hash();
    let first_block = Hash32::from_bytes([5; 32]);
    let wallet = std::sync::Arc::new(VoteWallet {
        raw,
        block: std::sync::Mutex::new(first_block),
        down: false.into(),
        calls: 0.into(),
    });
    let w = wallet.mock();
    let store = MemoryStore::new();
    let user = UserId(3);
    let info = voted_info(ticket, vote, 179);
    let req = |requested: u16, tip_height: u32, now: i64| RecordsRequest {
        network: Network::Simnet,
        user,
        requested: VoteBits(requested),
        tip_height,
        now,
        concurrency: 4,
    };
    let expected = VoteRecord {
        network: Network::Simnet,
        ticket,
        vote_tx: vote,
        block_hash: first_block,
        block_height: 179,
        votebits: 1,
        vote_version: 7,
        requested_votebits: 5,
    };

    // First request, one block after the vote: read and stored.
    let pass = stored_vote_records(&store, &w, &info, &req(5, 180, 1000))
        .await
        .unwrap();
    assert_eq!(pass.records, vec![expected.clone()]);
    assert_eq!((pass.wallet_reads, pass.stored), (1, 1));
    assert_eq!(wallet.calls(), 1);
    let rows = store.vote_records(user).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].created, 1000);

    // Still shallow: the vote is read again (a reorg could move it), nothing rewritten.
    // The user changed their votebits meanwhile: the record keeps the first choice.
    let pass = stored_vote_records(&store, &w, &info, &req(9, 184, 1100))
        .await
        .unwrap();
    assert_eq!(pass.records, vec![expected.clone()]);
    assert_eq!((pass.wallet_reads, pass.stored, pass.replaced), (1, 0, 0));
    assert_eq!(wallet.calls(), 1);

    // Settled: served from the store, no wallet call.
    let pass = stored_vote_records(&store, &w, &info, &req(9, 185, 1200))
        .await
        .unwrap();
    assert_eq!(pass.records, vec![expected.clone()]);
    assert_eq!(pass.wallet_reads, 0);
    assert_eq!(wallet.calls(), 0);
    // The signature is the same on every instance and request.
    let k = key();
    assert_eq!(pass.records[0].clone().sign(&k), expected.clone().sign(&k));

    // A wallet that cannot read the vote: the stored record still names the wallets'
    // spender at its height, so it is served.
    wallet.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let pass = stored_vote_records(&store, &w, &info, &req(9, 180, 1250))
        .await
        .unwrap();
    assert_eq!(pass.records, vec![expected.clone()]);
    assert_eq!(wallet.calls(), 1);
    wallet
        .down
        .store(false, std::sync::atomic::Ordering::SeqCst);

    // A reorg re-mined the vote one block higher: the wallets' height differs from the
    // stored one, so the vote is read again and the record replaced (same requested bits,
    // same creation time).
    let second_block = Hash32::from_bytes([8; 32]);
    *wallet.block.lock().unwrap() = second_block;
    let moved = voted_info(ticket, vote, 180);
    let pass = stored_vote_records(&store, &w, &moved, &req(9, 300, 1300))
        .await
        .unwrap();
    let replaced = VoteRecord {
        block_hash: second_block,
        block_height: 180,
        ..expected.clone()
    };
    assert_eq!(pass.records, vec![replaced.clone()]);
    assert_eq!((pass.wallet_reads, pass.replaced), (1, 1));
    let rows = store.vote_records(user).await.unwrap();
    assert_eq!(rows[0].block_hash, second_block);
    assert_eq!((rows[0].requested_votebits, rows[0].created), (5, 1000));
    // Settled again: no wallet call.
    let pass = stored_vote_records(&store, &w, &moved, &req(9, 300, 1400))
        .await
        .unwrap();
    assert_eq!(pass.records, vec![replaced.clone()]);
    assert_eq!(wallet.calls(), 1, "only the reorg's read");

    // A reorg to another block at the same height, seen while shallow: replaced too.
    let third_block = Hash32::from_bytes([9; 32]);
    *wallet.block.lock().unwrap() = third_block;
    let pass = stored_vote_records(&store, &w, &moved, &req(9, 182, 1500))
        .await
        .unwrap();
    assert_eq!(pass.records[0].block_hash, third_block);
    assert_eq!(pass.replaced, 1);

    // A ticket the wallets no longer list as voted is not served (its row stays).
    let unvoted = StakePoolUserInfo {
        tickets: vec![UserTicket {
            status: TicketStatus::Live,
            ticket,
            ticket_height: 34,
            spent_by: Hash32::default(),
            spent_by_height: 0,
        }],
        invalid: vec![],
    };
    let pass = stored_vote_records(&store, &w, &unvoted, &req(9, 300, 1600))
        .await
        .unwrap();
    assert!(pass.records.is_empty());
    assert_eq!(store.vote_records(user).await.unwrap().len(), 1);
}

/// Two instances make the same ticket's record at once: the one whose insert lost serves
/// the winner's row (its requested votebits), so both answer the same signed record.
#[tokio::test]
async fn a_lost_insert_serves_the_winners_row() {
    use crate::backend::MockVoteRecordStore;
    let (raw, ticket, _, _) = vector();
    let vote = Transaction::decode(&raw).unwrap().hash();
    let block = Hash32::from_bytes([5; 32]);
    let wallet = std::sync::Arc::new(VoteWallet {
        raw,
        block: std::sync::Mutex::new(block),
        down: false.into(),
        calls: 0.into(),
    });
    let w = wallet.mock();
    let user = UserId(3);
    let winner = StoredVoteRecord {
        user_id: user,
        ticket,
        vote_tx: vote,
        block_hash: block,
        block_height: 179,
        votebits: 1,
        vote_version: 7,
        requested_votebits: 3,
        created: 999,
    };
    let mut store = MockVoteRecordStore::new();
    let mut seq = mockall::Sequence::new();
    store
        .expect_vote_records()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(vec![]));
    store
        .expect_put_vote_records()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|rows| {
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].requested_votebits, 5);
            Ok(0)
        });
    let w2 = winner.clone();
    store
        .expect_vote_records()
        .times(1)
        .in_sequence(&mut seq)
        .returning(move |_| Ok(vec![w2.clone()]));
    let req = RecordsRequest {
        network: Network::Simnet,
        user,
        requested: VoteBits(5),
        tip_height: 200,
        now: 1000,
        concurrency: 2,
    };
    let pass = stored_vote_records(&store, &w, &voted_info(ticket, vote, 179), &req)
        .await
        .unwrap();
    assert_eq!(pass.records, vec![winner.record(Network::Simnet)]);
    assert_eq!(pass.stored, 0);
}

//! A gRPC client of stakepoold in Rust: hcpool-rpc's [`GrpcVotingNode`], the client the web
//! app uses, calling every RPC of `proto/stakepoold.proto` over TLS with the node's pinned
//! certificate.
//!
//! So that the example needs no running daemon, it starts a stakepoold gRPC server in
//! process on `127.0.0.1:0`: [`MiniStakepoold`] answers the generated service traits
//! ([`StakepooldService`], [`VersionService`]) from hcpool-core's [`VoterState`] — the state
//! the real daemon answers from — and hcpool-rpc's [`serve`] runs it over TLS with a
//! certificate generated on first start ([`ServerTls`]), as stakepoold does.
//!
//! The client side is what an embedder writes to talk to a real stakepoold: a
//! [`GrpcVotingNodeConfig`] (host and the node's `rpc.cert`), [`GrpcVotingNode::connect`]
//! (which checks the API version as hcstakepool does), then the
//! [`VotingNode`] methods. Wrap several in
//! [`VotingNodes`](hcpool_core::service::VotingNodes) to keep them all in sync.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{anyhow, bail, ensure, Context, Result};
use hcpool_core::backend::{TicketEntry, UserVotingConfig, VotingNode};
use hcpool_core::service::voter::{BitsSource, FeeCheck, VoterState, WalletVoteDefaults};
use hcpool_core::{BackendKind, Hash32, UserId, VoteBits};
use hcpool_rpc::stakepoold::{
    proto, serve, ticket_from_wire, ticket_to_wire, user_from_wire, GrpcVotingNode,
    GrpcVotingNodeConfig, ServerTls, StakepooldError, StakepooldService, VersionService,
    REQUIRED_API_VERSION,
};
use tonic::{Request, Response, Status};

use crate::testnet::USER1_P2SH;

/// The vote version of the in-process node's wallet.
const VOTE_VERSION: u32 = 7;

/// Runs the example.
pub fn run() -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run_async())
}

async fn run_async() -> Result<()> {
    println!("== stakepoold_client: the published gRPC client against a stakepoold over TLS");
    let dir = tempfile::tempdir()?;
    let (cert, key) = (dir.path().join("rpc.cert"), dir.path().join("rpc.key"));

    // --- The server side (a stakepoold in process) -------------------------------------
    let tls = ServerTls::load_or_generate(&cert, &key)?;
    ensure!(cert.exists(), "the certificate is generated on first start");
    let node_state = MiniStakepoold::new();
    let paid = Hash32::from_bytes([0x11; 32]);
    let low_fee = Hash32::from_bytes([0x22; 32]);
    {
        // Two of the pool's tickets, as the daemon's start-up scan would find them.
        let mut s = node_state.lock()?;
        s.add_ticket(paid, USER1_P2SH.into(), FeeCheck::Paid);
        s.add_ticket(low_fee, USER1_P2SH.into(), FeeCheck::NotPaid);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn({
        let svc = node_state.clone();
        async move {
            serve(svc, listener, &tls, async {
                let _ = stopped.await;
            })
            .await
        }
    });
    println!(
        "stakepoold gRPC on {addr} (TLS, certificate {})",
        cert.display()
    );

    // --- The client side: what an embedder writes ----------------------------------------
    let mut cfg = GrpcVotingNodeConfig::new(addr.to_string(), &cert);
    cfg.timeout = Duration::from_secs(5);
    let node = GrpcVotingNode::connect(&cfg).await?;
    let version = node.version().await?;
    println!(
        "Version: {} (compatible with the required {:?})",
        version.version, REQUIRED_API_VERSION
    );
    ensure!(
        (version.major, version.minor, version.patch) == (4, 0, 0),
        "version {version:?}"
    );
    node.ping().await?;
    println!("Ping: ok");

    let live = node.live_tickets().await?;
    let ignored = node.ignored_low_fee_tickets().await?;
    let added = node.added_low_fee_tickets().await?;
    print_tickets("GetLiveTickets", &live);
    print_tickets("GetIgnoredLowFeeTickets", &ignored);
    print_tickets("GetAddedLowFeeTickets", &added);
    ensure!(
        hashes(&live) == [paid],
        "live is the paid ticket, hash intact"
    );
    ensure!(hashes(&ignored) == [low_fee], "ignored is the low-fee one");
    ensure!(added.is_empty(), "nothing added yet");

    // The pool's users and their votebits, as the web app pushes them after a change.
    let prefs = vec![UserVotingConfig {
        user_id: UserId(1),
        multisig_address: USER1_P2SH.into(),
        vote_bits: VoteBits(5),
        vote_bits_version: VOTE_VERSION,
    }];
    node.set_user_voting_prefs(prefs).await?;
    let jobs = node_state.lock()?.votes_for(&[paid]);
    println!(
        "SetUserVotingPrefs: 1 user; if {} wins it is voted with votebits {:?} ({:?})",
        short(&paid),
        jobs.first().map(|j| j.vote_bits.0),
        jobs.first().map(|j| j.source)
    );
    ensure!(
        jobs.len() == 1 && jobs[0].vote_bits == VoteBits(5) && jobs[0].source == BitsSource::User,
        "the node votes the user's bits: {jobs:?}"
    );

    // The admin adds the low-fee ticket for voting: it moves from ignored to live.
    node.set_added_low_fee_tickets(ignored.clone()).await?;
    let added = node.added_low_fee_tickets().await?;
    let live = node.live_tickets().await?;
    let ignored_now = node.ignored_low_fee_tickets().await?;
    println!(
        "SetAddedLowFeeTickets: added {}, live {}, ignored {}",
        added.len(),
        live.len(),
        ignored_now.len()
    );
    ensure!(added == ignored, "the added set is what was sent");
    ensure!(
        live.len() == 2 && ignored_now.is_empty(),
        "low-fee ticket now live"
    );

    // Bad input is refused before anything is sent: a user id the wire cannot carry.
    let err = node
        .set_user_voting_prefs(vec![UserVotingConfig {
            user_id: UserId(u64::MAX),
            multisig_address: USER1_P2SH.into(),
            vote_bits: VoteBits(1),
            vote_bits_version: VOTE_VERSION,
        }])
        .await
        .err()
        .ok_or_else(|| anyhow!("a user id above i64::MAX must be refused"))?;
    println!("a user id above i64::MAX: {err}");
    ensure!(err.backend_kind() == Some(BackendKind::Rejected), "{err}");
    ensure!(
        node_state.lock()?.user_count() == 1,
        "the node kept its users"
    );

    // Pinning: a client holding another certificate refuses this server.
    let other = dir.path().join("other.cert");
    ServerTls::load_or_generate(&other, &dir.path().join("other.key"))?;
    let mut wrong = GrpcVotingNodeConfig::new(addr.to_string(), &other);
    wrong.timeout = Duration::from_secs(5);
    match GrpcVotingNode::connect(&wrong).await {
        Ok(_) => bail!("a client pinning another certificate must not connect"),
        Err(e) => {
            println!("pinned to another certificate: {e}");
            ensure!(
                matches!(e, StakepooldError::Connect(_)),
                "expected a connection error, got {e:?}"
            );
        }
    }

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .context("server shutdown")???;
    println!("stakepoold_client: all checks passed");
    Ok(())
}

fn hashes(v: &[TicketEntry]) -> Vec<Hash32> {
    v.iter().map(|t| t.ticket_hash).collect()
}

fn short(h: &Hash32) -> String {
    let s = h.to_string();
    format!("{}…", &s[..12.min(s.len())])
}

fn print_tickets(rpc: &str, v: &[TicketEntry]) {
    println!("{rpc}: {} ticket(s)", v.len());
    for t in v {
        println!("  {} {}", t.ticket_hash, t.ticket_address);
    }
}

/// A stakepoold gRPC server in a few lines: the generated traits answered from
/// hcpool-core's [`VoterState`]. (The real daemon, crate `stakepoold`, also keeps that state
/// current from its wallet and node and votes.)
#[derive(Clone)]
pub struct MiniStakepoold {
    state: Arc<Mutex<VoterState>>,
}

impl MiniStakepoold {
    /// An empty node whose wallet votes version `VOTE_VERSION` with default bits 1.
    pub fn new() -> Self {
        MiniStakepoold {
            state: Arc::new(Mutex::new(VoterState::new(WalletVoteDefaults {
                vote_bits: VoteBits(1),
                vote_bits_extended: VOTE_VERSION.to_le_bytes().to_vec(),
                vote_version: VOTE_VERSION,
            }))),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, VoterState>> {
        self.state
            .lock()
            .map_err(|_| anyhow!("state lock poisoned"))
    }

    fn state(&self) -> Result<MutexGuard<'_, VoterState>, Status> {
        self.state
            .lock()
            .map_err(|_| Status::internal("state lock poisoned"))
    }
}

impl Default for MiniStakepoold {
    fn default() -> Self {
        Self::new()
    }
}

fn wire(v: Vec<TicketEntry>) -> Vec<proto::TicketEntry> {
    v.iter().map(ticket_to_wire).collect()
}

#[tonic::async_trait]
impl StakepooldService for MiniStakepoold {
    async fn get_added_low_fee_tickets(
        &self,
        _: Request<proto::GetAddedLowFeeTicketsRequest>,
    ) -> Result<Response<proto::GetAddedLowFeeTicketsResponse>, Status> {
        let tickets = wire(self.state()?.added());
        Ok(Response::new(proto::GetAddedLowFeeTicketsResponse {
            tickets,
        }))
    }

    async fn get_ignored_low_fee_tickets(
        &self,
        _: Request<proto::GetIgnoredLowFeeTicketsRequest>,
    ) -> Result<Response<proto::GetIgnoredLowFeeTicketsResponse>, Status> {
        let tickets = wire(self.state()?.ignored());
        Ok(Response::new(proto::GetIgnoredLowFeeTicketsResponse {
            tickets,
        }))
    }

    async fn get_live_tickets(
        &self,
        _: Request<proto::GetLiveTicketsRequest>,
    ) -> Result<Response<proto::GetLiveTicketsResponse>, Status> {
        let tickets = wire(self.state()?.live());
        Ok(Response::new(proto::GetLiveTicketsResponse { tickets }))
    }

    async fn ping(
        &self,
        _: Request<proto::PingRequest>,
    ) -> Result<Response<proto::PingResponse>, Status> {
        Ok(Response::new(proto::PingResponse {}))
    }

    async fn set_added_low_fee_tickets(
        &self,
        r: Request<proto::SetAddedLowFeeTicketsRequest>,
    ) -> Result<Response<proto::SetAddedLowFeeTicketsResponse>, Status> {
        // All or nothing: one malformed entry refuses the whole set.
        let tickets = r
            .into_inner()
            .tickets
            .into_iter()
            .map(ticket_from_wire)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        self.state()?.set_added_low_fee_tickets(tickets);
        Ok(Response::new(proto::SetAddedLowFeeTicketsResponse {}))
    }

    async fn set_user_voting_prefs(
        &self,
        r: Request<proto::SetUserVotingPrefsRequest>,
    ) -> Result<Response<proto::SetUserVotingPrefsResponse>, Status> {
        let users = r
            .into_inner()
            .user_voting_config
            .into_iter()
            .map(user_from_wire)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        self.state()?.set_user_voting_prefs(users);
        Ok(Response::new(proto::SetUserVotingPrefsResponse {}))
    }
}

#[tonic::async_trait]
impl VersionService for MiniStakepoold {
    async fn version(
        &self,
        _: Request<proto::VersionRequest>,
    ) -> Result<Response<proto::VersionResponse>, Status> {
        Ok(Response::new(proto::VersionResponse {
            version_string: "4.0.0".into(),
            major: 4,
            minor: 0,
            patch: 0,
            prerelease: String::new(),
            build_metadata: String::new(),
        }))
    }
}

//! The cluster: one shared chain, K wallet endpoints and M hcd endpoints (§6.1), the
//! control API and the notification fan-out.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Mutex;

use hcpool_core::{Hash32, Network};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use super::chain::{BlockEvents, Chain, ChainParams};
use super::control;
use super::envelope::{self, Request, RpcError};
use super::keys::SimKeys;
use super::node_methods::{self, NOTIFY_METHODS};
use super::wallet::{FeeRule, WalletState};
use super::wallet_methods::{self, WalletCtx};
use super::SimError;

/// Default voting-account xpub of the simulated wallets (simnet; from the key vectors).
pub const DEFAULT_VOTING_XPUB: &str =
    "spubVUcr7qMm8aeYC7LVnYQr9t9GC1H6SfUHVfrsMCCp3oVUMLFnNs5FoyTwZBdo8p5jAbAGfz7hkuktGKJHP6LU7Lcx7Er1AWfPMYBJLLejPk5";
/// Default cold-wallet (fee) xpub (simnet; from the key vectors).
pub const DEFAULT_COLD_XPUB: &str =
    "spubVW778QDbg14k8dYe8kKZtAa2GPdRiZxQRH2cdin86y9zzDWsaz6dRcfksZqqXZwXaxGF3GJzY4Dd3RNqJSg9JyRwth3KikSBDswsDf9Qvbx";

/// How to build a cluster.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The network whose address ids, magic and vote version are used.
    pub network: Network,
    /// Number of wallet endpoints (hcstakepool needs at least 2).
    pub wallets: usize,
    /// Number of hcd endpoints.
    pub nodes: usize,
    /// RPC user of every endpoint.
    pub user: String,
    /// RPC password of every endpoint.
    pub password: String,
    /// Address to listen on (loopback by default).
    pub listen_ip: IpAddr,
    /// First port: wallets get `base_port..`, nodes follow. `None` = ephemeral ports.
    pub base_port: Option<u16>,
    /// Where certificates are written (`wallet<i>.cert`, `hcd<i>.cert`); `None` = a
    /// temporary directory owned by the cluster.
    pub cert_dir: Option<PathBuf>,
    /// Chain parameters.
    pub chain: ChainParams,
    /// The voting wallets' account xpub (`votingwalletextpub`).
    pub voting_xpub: String,
    /// The cold wallet's xpub (`coldwalletextpub`): the pool fee addresses.
    pub cold_xpub: String,
    /// Pool fee percent (for the printed config fragment).
    pub pool_fees: f64,
    /// The wallets' fee rule (default: the real check with `pool_fees`).
    pub fee_rule: Option<FeeRule>,
    /// How many fee addresses of the cold xpub count as the pool's.
    pub fee_addresses: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            network: Network::Simnet,
            wallets: 2,
            nodes: 1,
            user: "user".into(),
            password: "pass".into(),
            listen_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: None,
            cert_dir: None,
            chain: ChainParams::fast(),
            voting_xpub: DEFAULT_VOTING_XPUB.into(),
            cold_xpub: DEFAULT_COLD_XPUB.into(),
            pool_fees: 7.5,
            fee_rule: None,
            fee_addresses: 1000,
        }
    }
}

/// Which simulated program an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// Wallet `i`.
    Wallet(usize),
    /// hcd `i`.
    Node(usize),
}

impl Role {
    /// The basic-auth realm of the program.
    pub fn realm(self) -> &'static str {
        match self {
            Role::Wallet(_) => "btcwallet RPC",
            Role::Node(_) => "hcd RPC",
        }
    }

    /// `wallet<i>` or `hcd<i>`.
    pub fn name(self) -> String {
        match self {
            Role::Wallet(i) => format!("wallet{i}"),
            Role::Node(i) => format!("hcd{i}"),
        }
    }
}

/// Fault knobs of one endpoint (§6.6).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Stop answering: requests are read and never answered.
    pub silent: bool,
    /// Never answer these methods (the others are answered).
    pub silent_methods: HashSet<String>,
    /// Answer every method with this error.
    pub error: Option<RpcError>,
    /// Answer these methods with these errors.
    pub method_errors: HashMap<String, RpcError>,
    /// Answer these methods only after this long. On a websocket the delayed answer does
    /// not hold up the requests behind it (a slow call, not a stalled connection).
    pub method_delays: HashMap<String, std::time::Duration>,
    /// Answer differently from the peers (pubkey, redeem script, live count, vote version).
    pub inconsistent: bool,
    /// `winningtickets` keyed "1".."n" instead of "0".."n-1".
    pub bad_winner_keys: bool,
    /// Echo response ids as strings (the Go client drops such responses).
    pub string_ids: bool,
    /// Down, as a killed process: new connections are closed as soon as they are accepted
    /// (set it with [`super::SimCluster::set_down`], which also drops the open ones).
    pub down: bool,
    /// Answer `getcurrentnet` with this network's magic: an hcd (or a wallet's hcd) on
    /// another network than the cluster's.
    pub reported_network: Option<Network>,
    /// Answer `version` with this object instead of the real programs' answer (an
    /// untested API version, or a wallet without `hcwalletjsonrpcapi`).
    pub version_reply: Option<Value>,
}

/// One listener's runtime state.
#[derive(Debug)]
pub struct EndpointState {
    /// What it simulates.
    pub role: Role,
    /// Its fault knobs.
    pub faults: Mutex<Faults>,
    /// Bumped to drop every websocket of the endpoint.
    pub kill: watch::Sender<u64>,
}

/// Where a request came from.
pub enum Transport<'a> {
    /// HTTP POST (no notifications).
    Post,
    /// A websocket: its id and its outbound queue.
    Ws {
        /// Connection id.
        conn: u64,
        /// Outbound frames.
        tx: &'a mpsc::UnboundedSender<String>,
    },
}

struct Subscriber {
    node: usize,
    tx: mpsc::UnboundedSender<String>,
    methods: HashSet<&'static str>,
}

/// Chain and wallets behind one lock: a call sees a consistent world.
pub struct World {
    /// The chain.
    pub chain: Chain,
    /// One state per wallet endpoint.
    pub wallets: Vec<WalletState>,
}

/// State shared by every listener of the cluster.
pub struct Shared {
    /// The network.
    pub network: Network,
    /// The world.
    pub world: Mutex<World>,
    /// Address support.
    pub keys: SimKeys,
    /// Endpoints (wallets first, then nodes).
    pub endpoints: Vec<EndpointState>,
    /// `Basic base64(user:pass)`.
    pub expected_auth: String,
    subs: Mutex<HashMap<u64, Subscriber>>,
    nonce: Mutex<u64>,
}

impl Shared {
    pub(crate) fn new(cfg: &SimConfig, keys: SimKeys) -> Self {
        let chain = Chain::new(cfg.chain.clone());
        let vote_version = cfg.network.params().wallet_vote_version;
        let wallets = (0..cfg.wallets)
            .map(|_| {
                let mut w = WalletState::new(&chain, vote_version);
                w.fee_rule = cfg.fee_rule.unwrap_or(FeeRule::PoolPercent(cfg.pool_fees));
                w
            })
            .collect();
        let roles = (0..cfg.wallets)
            .map(Role::Wallet)
            .chain((0..cfg.nodes).map(Role::Node));
        Shared {
            network: cfg.network,
            world: Mutex::new(World { chain, wallets }),
            keys,
            endpoints: roles
                .map(|role| EndpointState {
                    role,
                    faults: Mutex::new(Faults::default()),
                    kill: watch::channel(0).0,
                })
                .collect(),
            expected_auth: super::server::basic_auth(&cfg.user, &cfg.password),
            subs: Mutex::new(HashMap::new()),
            nonce: Mutex::new(0),
        }
    }

    pub(crate) fn lock(&self) -> Result<std::sync::MutexGuard<'_, World>, RpcError> {
        self.world
            .lock()
            .map_err(|_| RpcError::new(-32603, "simulator state poisoned"))
    }

    pub(crate) fn next_nonce(&self) -> u64 {
        let mut n = self.nonce.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        *n
    }

    /// Answers one request on endpoint `endpoint`.
    pub fn dispatch(
        &self,
        endpoint: usize,
        transport: Transport<'_>,
        req: &Request,
    ) -> Result<Value, RpcError> {
        let Some(ep) = self.endpoints.get(endpoint) else {
            return Err(RpcError::method_not_found());
        };
        // Control methods bypass the fault knobs so a faulty endpoint can be repaired.
        if req.method.starts_with("simnet_") {
            return control::call(self, req);
        }
        let faults = ep.faults.lock().map(|f| f.clone()).unwrap_or_default();
        if let Some(e) = faults.method_errors.get(&req.method) {
            return Err(e.clone());
        }
        if let Some(e) = faults.error {
            return Err(e);
        }
        match (
            req.method.as_str(),
            faults.reported_network,
            faults.version_reply,
        ) {
            ("getcurrentnet", Some(n), _) => return Ok(Value::from(n.params().net_magic)),
            ("version", _, Some(v)) => return Ok(v),
            _ => {}
        }
        match ep.role {
            Role::Node(i) => self.node_call(i, transport, req),
            Role::Wallet(i) => {
                let mut world = self.lock()?;
                let World { chain, wallets } = &mut *world;
                let wallet = wallets.get_mut(i).ok_or_else(RpcError::method_not_found)?;
                let connected = wallet.daemon_connected;
                let mut cx = WalletCtx {
                    chain,
                    wallet,
                    keys: &self.keys,
                    inconsistent: faults.inconsistent,
                };
                if let Some(v) =
                    wallet_methods::call(&mut cx, req).map_err(RpcError::as_wallet_error)?
                {
                    return Ok(v);
                }
                // Pass-through to the wallet's hcd, as hcwallet does.
                if !connected {
                    return Err(RpcError::new(-1, "Chain RPC is inactive"));
                }
                if NOTIFY_METHODS.contains(&req.method.as_str()) {
                    return Err(RpcError::method_not_found());
                }
                node_methods::call(chain, self.network, req)?.ok_or_else(RpcError::method_not_found)
            }
        }
    }

    fn node_call(
        &self,
        node: usize,
        transport: Transport<'_>,
        req: &Request,
    ) -> Result<Value, RpcError> {
        if let Some(m) = NOTIFY_METHODS.iter().find(|m| **m == req.method) {
            let Transport::Ws { conn, tx } = transport else {
                return Err(RpcError::method_not_found());
            };
            let mut subs = self
                .subs
                .lock()
                .map_err(|_| RpcError::new(-32603, "poisoned"))?;
            subs.entry(conn)
                .or_insert_with(|| Subscriber {
                    node,
                    tx: tx.clone(),
                    methods: HashSet::new(),
                })
                .methods
                .insert(m);
            return Ok(Value::Null);
        }
        let mut world = self.lock()?;
        node_methods::call(&mut world.chain, self.network, req)?
            .ok_or_else(RpcError::method_not_found)
    }

    pub(crate) fn unsubscribe(&self, conn: u64) {
        if let Ok(mut subs) = self.subs.lock() {
            subs.remove(&conn);
        }
    }

    /// Mines `n` blocks, updates the wallets and notifies subscribers in hcd's order.
    pub fn mine(&self, n: u32) -> Result<Vec<(Hash32, u32)>, RpcError> {
        let mut out = Vec::new();
        for _ in 0..n {
            let ev = {
                let mut world = self.lock()?;
                let World { chain, wallets } = &mut *world;
                let ev = chain.mine();
                for w in wallets.iter_mut() {
                    w.apply_block(&self.keys, chain, &ev);
                }
                // Every wallet holding a key revokes what hcd reports missed, before anyone
                // else hears of the block: an explicit `revoketickets` then finds the
                // revocation in the mempool (DIFFERENCES.md §9).
                for w in wallets.iter() {
                    w.auto_revoke(chain, &ev);
                    w.auto_vote(chain, &ev);
                }
                ev
            };
            self.notify(&ev);
            out.push((ev.hash, ev.height));
        }
        Ok(out)
    }

    fn notify(&self, ev: &BlockEvents) {
        let Ok(subs) = self.subs.lock() else { return };
        let hash = json!(ev.hash.to_string());
        let sdiff = {
            let w = self.world.lock();
            w.map(|w| w.chain.params.stake_difficulty).unwrap_or(0)
        };
        let mut frames: Vec<(&str, String)> = Vec::new();
        if ev.stake_enabled {
            let sm: BTreeMap<String, &str> = ev
                .spent_missed
                .iter()
                .map(|(t, spent)| (t.to_string(), if *spent { "spent" } else { "missed" }))
                .collect();
            frames.push((
                "notifyspentandmissedtickets",
                envelope::notification(
                    "spentandmissedtickets",
                    &[hash.clone(), json!(ev.height), json!(sdiff), json!(sm)],
                ),
            ));
            let nt: Vec<String> = ev.new_tickets.iter().map(Hash32::to_string).collect();
            let nt = if nt.is_empty() {
                Value::Null
            } else {
                json!(nt)
            };
            frames.push((
                "notifynewtickets",
                envelope::notification(
                    "newtickets",
                    &[hash.clone(), json!(ev.height), json!(sdiff), nt],
                ),
            ));
        }
        frames.push((
            "notifyblocks",
            envelope::notification(
                "blockconnected",
                &[json!(hex::encode(&ev.header)), Value::Null],
            ),
        ));
        // Keys "1".."n" instead of "0".."n-1": the gap that panics the Go client.
        let winners_frame = |shift: usize| {
            ev.winners.as_ref().map(|w| {
                let m: serde_json::Map<String, Value> = w
                    .iter()
                    .enumerate()
                    .map(|(i, t)| ((i + shift).to_string(), json!(t.to_string())))
                    .collect();
                envelope::notification(
                    "winningtickets",
                    &[hash.clone(), json!(ev.height), Value::Object(m)],
                )
            })
        };
        let (good_winners, bad_winners) = (winners_frame(0), winners_frame(1));
        for sub in subs.values() {
            let faults = self
                .endpoints
                .iter()
                .find(|e| e.role == Role::Node(sub.node))
                .and_then(|e| e.faults.lock().ok().map(|f| f.clone()))
                .unwrap_or_default();
            if faults.silent {
                continue;
            }
            for (reg, frame) in &frames {
                if sub.methods.contains(reg) {
                    let _ = sub.tx.send(frame.clone());
                }
            }
            let winners = if faults.bad_winner_keys {
                &bad_winners
            } else {
                &good_winners
            };
            if let Some(frame) = winners
                .as_ref()
                .filter(|_| sub.methods.contains("notifywinningtickets"))
            {
                let _ = sub.tx.send(frame.clone());
            }
        }
    }

    /// The endpoint index of `role`.
    pub fn endpoint_of(&self, role: Role) -> Option<usize> {
        self.endpoints.iter().position(|e| e.role == role)
    }
}

/// A listener of the cluster, as clients need it.
#[derive(Debug, Clone)]
pub struct EndpointInfo {
    /// What it simulates.
    pub role: Role,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its certificate file.
    pub cert_path: PathBuf,
    /// Its certificate (PEM).
    pub cert_pem: String,
}

/// Used by [`SimCluster`] to hand its listening tasks back on shutdown.
pub(crate) type Tasks = Vec<tokio::task::JoinHandle<()>>;

/// Builds `Shared` and checks the config.
pub(crate) fn validate(cfg: &SimConfig) -> Result<(), SimError> {
    if cfg.wallets == 0 || cfg.nodes == 0 {
        return Err(SimError::Config(
            "need at least one wallet and one node".into(),
        ));
    }
    if cfg.chain.tickets_per_block == 0 {
        return Err(SimError::Config(
            "tickets_per_block must be at least 1".into(),
        ));
    }
    Ok(())
}

//! Control operations (mine, buy a ticket, fault knobs), shared by the in-process handle
//! and the `simnet_*` JSON-RPC methods that drive the binary from outside.

use hcpool_core::Hash32;
use serde_json::{json, Value};

use super::cluster::{Faults, Role, Shared};
use super::envelope::{Params, Request, RpcError};
use super::keys::Decoded;
use super::stake_txs::{self, PoolTicket};

/// A ticket purchase by a pool user's own wallet (§6.3 `submit_ticket`).
#[derive(Debug, Clone)]
pub struct TicketPurchase {
    /// The user's multisig P2SH address (ticket output 0).
    pub multisig_address: String,
    /// Atoms committed to the pool's fee address (what the fee check evaluates).
    pub pool_fee_atoms: i64,
    /// Index of the pool fee address on the cold xpub's branch 0 (the user id).
    pub fee_address_index: u32,
    /// Ticket price in atoms; `None` = the current stake difficulty.
    pub price_atoms: Option<i64>,
}

impl TicketPurchase {
    /// A purchase for `multisig_address` paying `pool_fee_atoms` to fee address `index`.
    pub fn new(multisig_address: impl Into<String>, pool_fee_atoms: i64, index: u32) -> Self {
        TicketPurchase {
            multisig_address: multisig_address.into(),
            pool_fee_atoms,
            fee_address_index: index,
            price_atoms: None,
        }
    }
}

/// What a control method can name: `wallet<i>` or `hcd<i>`.
pub fn parse_role(s: &str) -> Option<Role> {
    if let Some(i) = s.strip_prefix("wallet") {
        return i.parse().ok().map(Role::Wallet);
    }
    s.strip_prefix("hcd")
        .and_then(|i| i.parse().ok())
        .map(Role::Node)
}

impl Shared {
    /// Builds a pool ticket and puts it in the mempool.
    pub fn buy_ticket(&self, p: &TicketPurchase) -> Result<Hash32, RpcError> {
        let msa_hash = match self.keys.decode(&p.multisig_address) {
            Ok(Decoded::ScriptHash(h)) => h,
            Ok(_) => return Err(RpcError::wallet("ticket address must be P2SH")),
            Err(e) => return Err(RpcError::wallet(e)),
        };
        self.buy_ticket_for_script(msa_hash, p)
    }

    /// [`Shared::buy_ticket`] with the multisig script hash given directly.
    pub fn buy_ticket_for_script(
        &self,
        msa_hash: [u8; 20],
        p: &TicketPurchase,
    ) -> Result<Hash32, RpcError> {
        if p.pool_fee_atoms < 0 {
            return Err(RpcError::wallet("negative pool fee"));
        }
        let pool_fee_hash = self
            .keys
            .fee_hash(p.fee_address_index)
            .unwrap_or([0xfe; 20]);
        let nonce = self.next_nonce();
        let mut world = self.lock()?;
        let price = p.price_atoms.unwrap_or(world.chain.params.stake_difficulty);
        // The user's input covers the price and a 0.001 coin relay fee minus the pool's part.
        let relay_fee = 100_000;
        let tx = stake_txs::pool_ticket(&PoolTicket {
            msa_hash,
            price,
            pool_fee_hash,
            pool_amount: p.pool_fee_atoms,
            user_hash: super::keys::hash160(&nonce.to_le_bytes()),
            user_amount: price + relay_fee - p.pool_fee_atoms,
            nonce,
        });
        world.chain.submit_ticket(tx)
    }

    /// Replaces the fault knobs of `role`.
    pub fn set_faults(&self, role: Role, faults: Faults) -> Result<(), RpcError> {
        let ep = self
            .endpoint_of(role)
            .and_then(|i| self.endpoints.get(i))
            .ok_or_else(|| RpcError::wallet(format!("no endpoint {}", role.name())))?;
        if let Ok(mut f) = ep.faults.lock() {
            *f = faults;
        }
        Ok(())
    }

    /// Sets [`Faults::down`] of `role` (keeping its other knobs); going down drops every
    /// open connection too.
    pub fn set_down(&self, role: Role, down: bool) -> Result<(), RpcError> {
        let ep = self
            .endpoint_of(role)
            .and_then(|i| self.endpoints.get(i))
            .ok_or_else(|| RpcError::wallet(format!("no endpoint {}", role.name())))?;
        if let Ok(mut f) = ep.faults.lock() {
            f.down = down;
        }
        if down {
            self.drop_connections(role)?;
        }
        Ok(())
    }

    /// Drops every websocket of `role`.
    pub fn drop_connections(&self, role: Role) -> Result<(), RpcError> {
        let ep = self
            .endpoint_of(role)
            .and_then(|i| self.endpoints.get(i))
            .ok_or_else(|| RpcError::wallet(format!("no endpoint {}", role.name())))?;
        ep.kill.send_modify(|g| *g += 1);
        Ok(())
    }
}

/// The `simnet_*` methods.
pub fn call(shared: &Shared, req: &Request) -> Result<Value, RpcError> {
    let ps = &req.params;
    match req.method.as_str() {
        "simnet_mine" => {
            let p = Params::new(ps, 1)?;
            let n = u32::try_from(p.i64_or(0, 1)?.clamp(0, 10_000)).unwrap_or(1);
            let blocks = shared.mine(n)?;
            Ok(json!(blocks
                .iter()
                .map(|(h, n)| json!({"hash": h.to_string(), "height": n}))
                .collect::<Vec<_>>()))
        }
        "simnet_buyticket" => {
            let p = Params::new(ps, 4)?;
            // Default pool fee: 10 % of the price, above any fee rate ≤ 10 %.
            let default_fee = shared.lock()?.chain.params.stake_difficulty / 10;
            let mut t = TicketPurchase::new(p.str(0)?, p.i64_or(1, default_fee)?, 0);
            t.fee_address_index = u32::try_from(p.i64_or(2, 0)?)
                .map_err(|_| RpcError::invalid_parameter("bad fee address index"))?;
            if let Ok(price) = p.i64(3) {
                t.price_atoms = Some(price);
            }
            Ok(json!(shared.buy_ticket(&t)?.to_string()))
        }
        "simnet_setfault" => {
            let p = Params::new(ps, 5)?;
            let role = parse_role(p.str(0)?)
                .ok_or_else(|| RpcError::invalid_parameter("endpoint must be walletN or hcdN"))?;
            let mut f = Faults::default();
            match p.str(1)? {
                "none" => {}
                "silent" => f.silent = true,
                "hang" => {
                    f.silent_methods.insert(p.str(4)?.to_owned());
                }
                "inconsistent" => f.inconsistent = true,
                "badwinnerkeys" => f.bad_winner_keys = true,
                "stringids" => f.string_ids = true,
                // `getcurrentnet` answers another network's magic (params[3]: its name).
                "network" => {
                    let name = p.str(3)?;
                    f.reported_network = Some(name.parse().map_err(|_| {
                        RpcError::invalid_parameter("network must be mainnet, testnet2 or simnet")
                    })?);
                }
                // `version` answers an untested API major.minor.patch (params[3], e.g.
                // "3.2.0") for hcd's API and, on a wallet, the wallet's.
                "version" => f.version_reply = Some(untested_version(role, p.str(3)?)?),
                "error" => {
                    f.error = Some(RpcError::new(
                        p.i64_or(2, -1)?,
                        p.opt_str(3)?.unwrap_or("simulated failure"),
                    ))
                }
                "methoderror" => {
                    let method = p.str(4)?;
                    f.method_errors.insert(
                        method.to_owned(),
                        RpcError::new(
                            p.i64_or(2, -1)?,
                            p.opt_str(3)?.unwrap_or("simulated failure"),
                        ),
                    );
                }
                "delay" => {
                    let ms = u64::try_from(p.i64_or(2, 1000)?)
                        .map_err(|_| RpcError::invalid_parameter("delay must be >= 0 ms"))?;
                    f.method_delays
                        .insert(p.str(4)?.to_owned(), std::time::Duration::from_millis(ms));
                }
                "drop" => {
                    shared.drop_connections(role)?;
                    return Ok(Value::Null);
                }
                "down" | "up" => {
                    shared.set_down(role, p.str(1)? == "down")?;
                    return Ok(Value::Null);
                }
                other => {
                    return Err(RpcError::invalid_parameter(format!(
                        "unknown fault {other:?}"
                    )))
                }
            }
            shared.set_faults(role, f)?;
            Ok(Value::Null)
        }
        "simnet_setwallet" => {
            let p = Params::new(ps, 3)?;
            let Some(Role::Wallet(i)) = parse_role(p.str(0)?) else {
                return Err(RpcError::invalid_parameter("endpoint must be walletN"));
            };
            let flag = p.str(1)?;
            let on = p.bool_or(2, true)?;
            let mut world = shared.lock()?;
            let w = world
                .wallets
                .get_mut(i)
                .ok_or_else(|| RpcError::invalid_parameter("no such wallet"))?;
            match flag {
                "unlocked" => w.unlocked = on,
                "daemonconnected" => w.daemon_connected = on,
                "voting" => w.voting = on,
                "lag" => w.lag = on,
                "autorevoke" => w.auto_revoke = on,
                _ => {
                    return Err(RpcError::invalid_parameter(format!(
                        "unknown flag {flag:?}"
                    )))
                }
            }
            Ok(Value::Null)
        }
        "simnet_info" => {
            Params::new(ps, 0)?;
            let world = shared.lock()?;
            let (hash, height) = world.chain.tip();
            Ok(json!({"hash": hash.to_string(), "height": height,
                      "live": world.chain.live_count(),
                      "mempooltickets": world.chain.mempool_ticket_count()}))
        }
        _ => Err(RpcError::method_not_found()),
    }
}

/// A `version` answer as the real programs give it, with every API at `version`.
fn untested_version(role: Role, version: &str) -> Result<Value, RpcError> {
    let parts: Option<Vec<u32>> = version.split('.').map(|n| n.parse().ok()).collect();
    let Some([major, minor, patch]) = parts.and_then(|v| <[u32; 3]>::try_from(v).ok()) else {
        return Err(RpcError::invalid_parameter(
            "version must be MAJOR.MINOR.PATCH",
        ));
    };
    let entry = json!({"versionstring": version, "major": major, "minor": minor,
        "patch": patch, "prerelease": "", "buildmetadata": ""});
    Ok(match role {
        Role::Node(_) => json!({"hcdjsonrpcapi": entry}),
        Role::Wallet(_) => json!({"hcdjsonrpcapi": entry.clone(), "hcwalletjsonrpcapi": entry}),
    })
}

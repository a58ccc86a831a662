//! A scriptable in-memory wallet for the manager tests.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use hcpool_core::backend::{
    BestBlock, MultisigInfo, PoolWallet, StakeInfo, StakePoolUserInfo, StakeReporting,
    ValidatedAddress, VotingWallet, WalletInfo, WalletState, WalletTransaction,
};
use hcpool_core::{
    Address, BackendKind, BlockHash, Network, RedeemScript, TicketHash, TxHash, VoteBits,
};

#[derive(Clone)]
pub struct State {
    pub info: WalletInfo,
    pub down: bool,
    pub hang: bool,
    pub pubkey: Vec<u8>,
    pub script: Vec<u8>,
    pub import_error: Option<String>,
    pub live: u32,
    /// `getstakeinfo.missed`: not stable in the real hcwallet (DIFFERENCES.md §12).
    pub missed: u32,
    pub scripts: Vec<RedeemScript>,
    pub tickets: Vec<TicketHash>,
    pub best_error: Option<BackendKind>,
    pub calls: Vec<String>,
    pub imported: Vec<(Vec<u8>, u32)>,
    pub added: Vec<Vec<u8>>,
}

pub struct FakeWallet {
    label: String,
    state: Mutex<State>,
}

pub fn info(vote_version: u32) -> WalletInfo {
    WalletInfo {
        daemon_connected: true,
        unlocked: true,
        tx_fee: 0.001,
        ticket_fee: 0.001,
        ticket_purchasing: false,
        vote_bits: VoteBits(1),
        vote_bits_extended: vote_version.to_le_bytes().to_vec(),
        vote_version,
        voting: true,
    }
}

impl FakeWallet {
    pub fn new(label: &str) -> Arc<Self> {
        Arc::new(FakeWallet {
            label: label.to_owned(),
            state: Mutex::new(State {
                info: info(7),
                down: false,
                hang: false,
                pubkey: vec![3; 33],
                script: vec![0x51, 0x52, 0xae],
                import_error: None,
                live: 5,
                missed: 0,
                scripts: Vec::new(),
                tickets: Vec::new(),
                best_error: None,
                calls: Vec::new(),
                imported: Vec::new(),
                added: Vec::new(),
            }),
        })
    }

    pub fn set(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap())
    }

    pub fn get(&self) -> State {
        self.state.lock().unwrap().clone()
    }

    pub fn calls(&self, method: &str) -> usize {
        self.get().calls.iter().filter(|c| *c == method).count()
    }

    async fn enter(&self, method: &str) -> hcpool_core::Result<State> {
        let s = {
            let mut s = self.state.lock().unwrap();
            s.calls.push(method.to_owned());
            s.clone()
        };
        if s.hang {
            futures::future::pending::<()>().await;
        }
        if s.down {
            return Err(hcpool_core::Error::wallet(
                &self.label,
                BackendKind::Unavailable,
                "the client has been disconnected",
            ));
        }
        Ok(s)
    }
}

pub fn addr(b: u8) -> Address {
    Address::p2sh(Network::Testnet, [b; 20])
}

#[async_trait]
impl WalletState for FakeWallet {
    fn label(&self) -> String {
        self.label.clone()
    }
    async fn wallet_info(&self) -> hcpool_core::Result<WalletInfo> {
        Ok(self.enter("walletinfo").await?.info)
    }
    async fn best_block(&self) -> hcpool_core::Result<BestBlock> {
        let s = self.enter("getbestblock").await?;
        if let Some(kind) = s.best_error {
            return Err(hcpool_core::Error::wallet(&self.label, kind, "boom"));
        }
        Ok(BestBlock {
            hash: BlockHash::from_bytes([s.live as u8; 32]),
            height: 100 + s.live,
        })
    }
}

#[async_trait]
impl PoolWallet for FakeWallet {
    async fn validate_address(&self, _a: &Address) -> hcpool_core::Result<ValidatedAddress> {
        let s = self.enter("validateaddress").await?;
        Ok(ValidatedAddress {
            is_valid: true,
            is_mine: true,
            pubkey_addr: None,
            pubkey: Some(s.pubkey),
            account: Some("default".into()),
        })
    }
    async fn create_multisig(
        &self,
        _p: &Address,
        _u: &Address,
    ) -> hcpool_core::Result<MultisigInfo> {
        let s = self.enter("createmultisig").await?;
        Ok(MultisigInfo {
            address: addr(s.script[0]),
            redeem_script: RedeemScript::from_bytes(s.script),
        })
    }
    async fn import_script(&self, script: &RedeemScript, from: u32) -> hcpool_core::Result<()> {
        let s = self.enter("importscript").await?;
        if let Some(e) = s.import_error {
            return Err(hcpool_core::Error::wallet(
                &self.label,
                BackendKind::Rejected,
                e,
            ));
        }
        self.set(|st| {
            st.imported.push((script.as_bytes().to_vec(), from));
            if !st.scripts.contains(script) {
                st.scripts.push(script.clone());
            }
        });
        Ok(())
    }
    async fn list_scripts(&self) -> hcpool_core::Result<Vec<RedeemScript>> {
        Ok(self.enter("listscripts").await?.scripts)
    }
    async fn account_sync_address_index(&self, a: &str, b: u32, i: u32) -> hcpool_core::Result<()> {
        self.enter("accountsyncaddressindex").await?;
        assert_eq!((a, b, i), ("default", 0, 10000));
        Ok(())
    }
}

#[async_trait]
impl StakeReporting for FakeWallet {
    async fn stake_info(&self) -> hcpool_core::Result<StakeInfo> {
        let s = self.enter("getstakeinfo").await?;
        Ok(StakeInfo {
            live: s.live,
            missed: s.missed,
            ..Default::default()
        })
    }
    async fn stake_pool_user_info(&self, _m: &Address) -> hcpool_core::Result<StakePoolUserInfo> {
        let s = self.enter("stakepooluserinfo").await?;
        Ok(StakePoolUserInfo {
            tickets: vec![],
            invalid: s.tickets,
        })
    }
    async fn tickets(&self, include_immature: bool) -> hcpool_core::Result<Vec<TicketHash>> {
        assert!(include_immature);
        Ok(self.enter("gettickets").await?.tickets)
    }
    async fn raw_transaction(&self, hash: &TxHash) -> hcpool_core::Result<Vec<u8>> {
        self.enter("getrawtransaction").await?;
        Ok(hash.as_bytes().to_vec())
    }
    async fn transaction(&self, _h: &TxHash) -> hcpool_core::Result<WalletTransaction> {
        unimplemented!("not used by the manager")
    }
}

#[async_trait]
impl VotingWallet for FakeWallet {
    async fn add_ticket(&self, tx: &[u8]) -> hcpool_core::Result<()> {
        self.enter("addticket").await?;
        let t = TicketHash::from_slice(tx).unwrap();
        self.set(|st| {
            st.added.push(tx.to_vec());
            st.tickets.push(t);
        });
        Ok(())
    }
    async fn generate_vote(
        &self,
        _b: &BlockHash,
        _h: u32,
        _t: &TicketHash,
        _v: VoteBits,
        _x: &[u8],
    ) -> hcpool_core::Result<Vec<u8>> {
        unimplemented!("not used by the manager")
    }
    async fn revoke_tickets(&self) -> hcpool_core::Result<()> {
        self.enter("revoketickets").await?;
        Ok(())
    }
}

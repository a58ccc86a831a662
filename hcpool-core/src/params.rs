//! Per-network parameters of the HC chain (hc-chain-facts.md §1).
//!
//! HC has three networks: mainnet, testnet2 (selected by `--testnet`) and simnet. There is
//! no regnet: `wire.RegTest` exists in hcd but has no parameters.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// One of HC's networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Network {
    /// HC mainnet (`H…` addresses).
    Mainnet,
    /// HC testnet2, what hcd's `--testnet` selects (`T…` addresses).
    Testnet,
    /// HC simnet (`S…` addresses).
    Simnet,
}

impl Network {
    /// Every network, in a fixed order.
    pub const ALL: [Network; 3] = [Network::Mainnet, Network::Testnet, Network::Simnet];

    /// The parameters of this network.
    pub fn params(self) -> &'static NetParams {
        match self {
            Network::Mainnet => &MAINNET,
            Network::Testnet => &TESTNET2,
            Network::Simnet => &SIMNET,
        }
    }

    /// The network whose address strings start with `c` (`H`, `T` or `S`), as hcd's
    /// `DecodeAddress` picks it.
    pub fn from_address_prefix(c: char) -> Option<Network> {
        Network::ALL
            .into_iter()
            .find(|n| n.params().address_prefix == c)
    }

    /// The network's canonical name as hcd spells it (`mainnet`, `testnet2`, `simnet`).
    pub fn name(self) -> &'static str {
        self.params().name
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Network {
    type Err = Error;

    /// Accepts `mainnet`/`main`, `testnet`/`testnet2`/`test`, `simnet`/`sim` (any case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mainnet" | "main" => Ok(Network::Mainnet),
            "testnet" | "testnet2" | "test" => Ok(Network::Testnet),
            "simnet" | "sim" => Ok(Network::Simnet),
            _ => Err(Error::UnknownNetwork(crate::util::truncate(
                s,
                crate::util::ECHO_MAX,
            ))),
        }
    }
}

/// A choice of a consensus agenda (`chaincfg.Choice`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// Short id, e.g. `yes`.
    pub id: &'static str,
    /// Human description.
    pub description: &'static str,
    /// The bits this choice sets inside the agenda's mask.
    pub bits: u16,
    /// Whether this is the abstain choice.
    pub is_abstain: bool,
    /// Whether this is the "no" choice.
    pub is_no: bool,
}

/// A consensus agenda voted on with votebits (`chaincfg.Vote`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agenda {
    /// Agenda id, e.g. `maxblocksize`.
    pub id: &'static str,
    /// Human description.
    pub description: &'static str,
    /// The votebits this agenda owns.
    pub mask: u16,
    /// Start time (unix seconds).
    pub start_time: u64,
    /// Expiry time (unix seconds).
    pub expire_time: u64,
    /// Choices, in the order hcd lists them.
    pub choices: &'static [Choice],
}

/// The agendas of one vote version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    /// The vote version these agendas belong to.
    pub vote_version: u32,
    /// The agendas.
    pub agendas: &'static [Agenda],
}

/// All parameters of one network a pool needs (hc-chain-facts.md §1.1–1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetParams {
    /// The network.
    pub network: Network,
    /// hcd's name for it.
    pub name: &'static str,
    /// Wire magic.
    pub net_magic: u32,
    /// First character of every address string.
    pub address_prefix: char,
    /// P2P port.
    pub p2p_port: u16,
    /// hcd JSON-RPC port.
    pub hcd_rpc_port: u16,
    /// hcwallet JSON-RPC port (hcstakepool's default wallet port).
    pub wallet_rpc_port: u16,
    /// hcwallet gRPC port.
    pub wallet_grpc_port: u16,
    /// stakepoold gRPC port (hcstakepool's default).
    pub stakepoold_rpc_port: u16,
    /// `PubKeyAddrID` (secp256k1 / Edwards / Schnorr pubkey-address strings).
    pub pubkey_addr_id: [u8; 2],
    /// `PubKeyBlissAddrID`.
    pub pubkey_bliss_addr_id: [u8; 2],
    /// `PubKeyHashAddrID` (secp256k1 P2PKH).
    pub pkh_addr_id: [u8; 2],
    /// `PKHEdwardsAddrID`.
    pub pkh_edwards_addr_id: [u8; 2],
    /// `PKHSchnorrAddrID`.
    pub pkh_schnorr_addr_id: [u8; 2],
    /// `PKHBlissAddrID`.
    pub pkh_bliss_addr_id: [u8; 2],
    /// `ScriptHashAddrID` (P2SH).
    pub script_hash_addr_id: [u8; 2],
    /// `PrivateKeyID` (WIF).
    pub private_key_id: [u8; 2],
    /// `HDPrivateKeyID`.
    pub hd_private_key_id: [u8; 4],
    /// `HDPublicKeyID`.
    pub hd_public_key_id: [u8; 4],
    /// BIP44 coin type.
    pub hd_coin_type: u32,
    /// Target time between blocks, seconds.
    pub target_time_per_block_secs: u64,
    /// Number of live tickets the chain aims for.
    pub ticket_pool_size: u32,
    /// Votes per block.
    pub tickets_per_block: u16,
    /// Blocks before a mined ticket is live.
    pub ticket_maturity: u32,
    /// Blocks after which a live ticket expires.
    pub ticket_expiry: u32,
    /// Coinbase maturity.
    pub coinbase_maturity: u32,
    /// SStx change maturity.
    pub sstx_change_maturity: u32,
    /// Height at which tickets can be bought.
    pub stake_enabled_height: u32,
    /// Height from which votes are required.
    pub stake_validation_height: u32,
    /// Minimum ticket price, atoms.
    pub minimum_stake_diff: i64,
    /// Base block subsidy, atoms.
    pub base_subsidy: i64,
    /// Subsidy multiplier (999).
    pub mul_subsidy: i64,
    /// Subsidy divisor (1000).
    pub div_subsidy: i64,
    /// Blocks per subsidy reduction step.
    pub subsidy_reduction_interval: i64,
    /// Proof-of-work share of the subsidy (6).
    pub work_reward_proportion: u16,
    /// Proof-of-stake share of the subsidy (3).
    pub stake_reward_proportion: u16,
    /// Treasury share of the subsidy (1).
    pub block_tax_proportion: u16,
    /// Premine paid by block 1, atoms.
    pub block_one_subsidy: i64,
    /// The vote version hcwallet reports on this network.
    pub wallet_vote_version: u32,
    /// Consensus agendas per vote version.
    pub deployments: &'static [Deployment],
}

impl NetParams {
    /// The agendas of `vote_version` (empty when the version has none).
    pub fn agendas(&self, vote_version: u32) -> &'static [Agenda] {
        self.deployments
            .iter()
            .find(|d| d.vote_version == vote_version)
            .map(|d| d.agendas)
            .unwrap_or(&[])
    }

    /// Sum of the subsidy proportions (10).
    pub fn total_subsidy_proportions(&self) -> u16 {
        self.work_reward_proportion + self.stake_reward_proportion + self.block_tax_proportion
    }
}

const MAXBLOCKSIZE_CHOICES: &[Choice] = &[
    Choice {
        id: "abstain",
        description: "abstain voting for change",
        bits: 0x0000,
        is_abstain: true,
        is_no: false,
    },
    Choice {
        id: "no",
        description: "reject changing max allowed block size",
        bits: 0x0002,
        is_abstain: false,
        is_no: true,
    },
    Choice {
        id: "yes",
        description: "accept changing max allowed block size",
        bits: 0x0004,
        is_abstain: false,
        is_no: false,
    },
];

const V7_AGENDAS: &[Agenda] = &[Agenda {
    id: "maxblocksize",
    description: "Change maximum allowed block size from 1MiB to 1.25MB",
    mask: 0x0006,
    start_time: 0,
    expire_time: i64::MAX as u64,
    choices: MAXBLOCKSIZE_CHOICES,
}];

const TEST_DEPLOYMENTS: &[Deployment] = &[Deployment {
    vote_version: 7,
    agendas: V7_AGENDAS,
}];

/// HC mainnet.
pub static MAINNET: NetParams = NetParams {
    network: Network::Mainnet,
    name: "mainnet",
    net_magic: 0x1125f51b,
    address_prefix: 'H',
    p2p_port: 14008,
    hcd_rpc_port: 14009,
    wallet_rpc_port: 14010,
    wallet_grpc_port: 14011,
    stakepoold_rpc_port: 9113,
    pubkey_addr_id: [0x19, 0xa4],
    pubkey_bliss_addr_id: [0x07, 0xc3],
    pkh_addr_id: [0x09, 0x7f],
    pkh_edwards_addr_id: [0x09, 0x60],
    pkh_schnorr_addr_id: [0x09, 0x41],
    pkh_bliss_addr_id: [0x09, 0x58],
    script_hash_addr_id: [0x09, 0x5a],
    private_key_id: [0x19, 0xab],
    hd_private_key_id: [0x02, 0xfd, 0xa4, 0xe8],
    hd_public_key_id: [0x02, 0xfd, 0xa9, 0x26],
    hd_coin_type: 171,
    target_time_per_block_secs: 150,
    ticket_pool_size: 8192,
    tickets_per_block: 5,
    ticket_maturity: 512,
    ticket_expiry: 40960,
    coinbase_maturity: 512,
    sstx_change_maturity: 1,
    stake_enabled_height: 1024,
    stake_validation_height: 4096,
    minimum_stake_diff: 200_000_000,
    base_subsidy: 640_000_000,
    mul_subsidy: 999,
    div_subsidy: 1000,
    subsidy_reduction_interval: 12288,
    work_reward_proportion: 6,
    stake_reward_proportion: 3,
    block_tax_proportion: 1,
    block_one_subsidy: 4_332_601_000_000_000,
    wallet_vote_version: 0,
    deployments: &[],
};

/// HC testnet2.
pub static TESTNET2: NetParams = NetParams {
    network: Network::Testnet,
    name: "testnet2",
    net_magic: 0x9ab5693b,
    address_prefix: 'T',
    p2p_port: 12008,
    hcd_rpc_port: 12009,
    wallet_rpc_port: 12010,
    wallet_grpc_port: 12011,
    stakepoold_rpc_port: 19113,
    pubkey_addr_id: [0x28, 0xf7],
    pubkey_bliss_addr_id: [0x0c, 0x66],
    pkh_addr_id: [0x0f, 0x21],
    pkh_edwards_addr_id: [0x0f, 0x01],
    pkh_schnorr_addr_id: [0x0e, 0xe3],
    pkh_bliss_addr_id: [0x0e, 0xf9],
    script_hash_addr_id: [0x0e, 0xfc],
    private_key_id: [0x23, 0x0e],
    hd_private_key_id: [0x04, 0x35, 0x83, 0x97],
    hd_public_key_id: [0x04, 0x35, 0x87, 0xd1],
    hd_coin_type: 171,
    target_time_per_block_secs: 60,
    ticket_pool_size: 1024,
    tickets_per_block: 5,
    ticket_maturity: 16,
    ticket_expiry: 6144,
    coinbase_maturity: 16,
    sstx_change_maturity: 1,
    stake_enabled_height: 32,
    stake_validation_height: 775,
    minimum_stake_diff: 20_000_000,
    base_subsidy: 640_000_000,
    mul_subsidy: 999,
    div_subsidy: 1000,
    subsidy_reduction_interval: 2048,
    work_reward_proportion: 6,
    stake_reward_proportion: 3,
    block_tax_proportion: 1,
    block_one_subsidy: 4_000_000_000_000_000,
    wallet_vote_version: 7,
    deployments: TEST_DEPLOYMENTS,
};

/// HC simnet.
pub static SIMNET: NetParams = NetParams {
    network: Network::Simnet,
    name: "simnet",
    net_magic: 0x8a136344,
    address_prefix: 'S',
    p2p_port: 13008,
    hcd_rpc_port: 13009,
    wallet_rpc_port: 13010,
    wallet_grpc_port: 13011,
    stakepoold_rpc_port: 19560,
    pubkey_addr_id: [0x27, 0x6f],
    pubkey_bliss_addr_id: [0x0b, 0xef],
    pkh_addr_id: [0x0e, 0x91],
    pkh_edwards_addr_id: [0x0e, 0x71],
    pkh_schnorr_addr_id: [0x0e, 0x53],
    pkh_bliss_addr_id: [0x0e, 0x69],
    script_hash_addr_id: [0x0e, 0x6c],
    private_key_id: [0x23, 0x07],
    hd_private_key_id: [0x04, 0x20, 0xb9, 0x03],
    hd_public_key_id: [0x04, 0x20, 0xbd, 0x3d],
    hd_coin_type: 171,
    target_time_per_block_secs: 1,
    ticket_pool_size: 64,
    tickets_per_block: 5,
    ticket_maturity: 16,
    ticket_expiry: 384,
    coinbase_maturity: 16,
    sstx_change_maturity: 1,
    stake_enabled_height: 32,
    stake_validation_height: 144,
    minimum_stake_diff: 20_000,
    base_subsidy: 640_000_000,
    mul_subsidy: 999,
    div_subsidy: 1000,
    subsidy_reduction_interval: 128,
    work_reward_proportion: 6,
    stake_reward_proportion: 3,
    block_tax_proportion: 1,
    block_one_subsidy: 0,
    wallet_vote_version: 7,
    deployments: TEST_DEPLOYMENTS,
};

//! Response `data` shapes, fields in hcstakepool's order with its names and types.

use hcpool_core::backend::{StakeInfo, UserCounts};
use hcpool_core::service::PurchaseInfo;
use serde::Serialize;

use super::envelope::GoFloat;
use crate::config::WebSettings;

/// hcstakepool's `Version` string in `stats`.
pub const API_VERSION_STRING: &str = "0.1.0";

/// `getpurchaseinfo` data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PurchaseInfoData {
    /// The user's pool fee address.
    #[serde(rename = "PoolAddress")]
    pub pool_address: String,
    /// Pool fee, percent.
    #[serde(rename = "PoolFees")]
    pub pool_fees: GoFloat,
    /// Redeem script hex.
    #[serde(rename = "Script")]
    pub script: String,
    /// P2SH ticket address.
    #[serde(rename = "TicketAddress")]
    pub ticket_address: String,
    /// Votebits.
    #[serde(rename = "VoteBits")]
    pub vote_bits: u16,
    /// Always 0, as hcstakepool sent it (its API never filled the field, inventory §6.3):
    /// the wallets' `getpurchaseinfo` answer stays byte for byte the original's. The real
    /// version is the stored one (the voting page shows it).
    #[serde(rename = "VoteBitsVersion")]
    pub vote_bits_version: u32,
}

impl From<&PurchaseInfo> for PurchaseInfoData {
    fn from(p: &PurchaseInfo) -> Self {
        PurchaseInfoData {
            pool_address: p.pool_address.to_string(),
            pool_fees: GoFloat(p.pool_fees.percent()),
            script: p.script.to_hex(),
            ticket_address: p.ticket_address.to_string(),
            vote_bits: p.vote_bits.0,
            vote_bits_version: 0,
        }
    }
}

/// `stats` data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)] // The names are hcstakepool's; see inventory §6.3.
pub struct StatsData {
    pub all_mempool_tix: u32,
    #[serde(rename = "APIVersionsSupported")]
    pub api_versions_supported: [u32; 2],
    pub block_height: i64,
    pub difficulty: GoFloat,
    pub expired: u32,
    pub immature: u32,
    pub live: u32,
    pub missed: u32,
    pub own_mempool_tix: u32,
    pub pool_size: u32,
    pub proportion_live: GoFloat,
    pub proportion_missed: GoFloat,
    pub revoked: u32,
    pub total_subsidy: GoFloat,
    pub voted: u32,
    pub network: &'static str,
    pub pool_email: String,
    pub pool_fees: GoFloat,
    pub pool_status: &'static str,
    pub user_count: u64,
    pub user_count_active: u64,
    pub version: &'static str,
}

impl StatsData {
    /// Stats from the wallets' stake info, the settings and the store's counts.
    pub fn new(s: &StakeInfo, settings: &WebSettings, counts: UserCounts) -> Self {
        StatsData {
            all_mempool_tix: s.all_mempool_tix,
            api_versions_supported: [1, 2],
            block_height: s.block_height,
            difficulty: GoFloat(s.difficulty),
            expired: s.expired,
            immature: s.immature,
            live: s.live,
            missed: s.missed,
            own_mempool_tix: s.own_mempool_tix,
            pool_size: s.pool_size,
            proportion_live: GoFloat(s.proportion_live),
            proportion_missed: GoFloat(s.proportion_missed),
            revoked: s.revoked,
            total_subsidy: GoFloat(s.total_subsidy),
            voted: s.voted,
            network: settings.network.params().name,
            pool_email: settings.pool_email.clone(),
            pool_fees: GoFloat(settings.pool_fees),
            pool_status: if settings.close_pool {
                "Closed"
            } else {
                "Open"
            },
            user_count: counts.all,
            user_count_active: counts.active,
            version: API_VERSION_STRING,
        }
    }
}

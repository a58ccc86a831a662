//! Typed results exactly as hcwallet and hcd send them (hcwallet-rpc.md §2). These are the
//! raw wire shapes; [`crate::jsonrpc::convert`] turns them into hcpool-core types.
//!
//! Quirks kept on purpose: `redeemScript` (createmultisig) vs `redeemscript` (listscripts),
//! `null` accepted wherever a list is expected, every `validateaddress` field but `isvalid`
//! optional.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// `null` or absent → empty list.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// `walletinfo`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalletInfoReply {
    /// The wallet's hcd connection answers.
    pub daemonconnected: bool,
    /// The wallet is unlocked.
    pub unlocked: bool,
    /// Transaction fee, coins per kB.
    #[serde(default)]
    pub txfee: f64,
    /// Ticket fee, coins per kB.
    #[serde(default)]
    pub ticketfee: f64,
    /// The wallet buys tickets.
    #[serde(default)]
    pub ticketpurchasing: bool,
    /// Default votebits.
    pub votebits: u16,
    /// Hex of the LE32 vote version.
    #[serde(default)]
    pub votebitsextended: String,
    /// Vote version.
    pub voteversion: u32,
    /// The wallet votes.
    #[serde(default)]
    pub voting: bool,
}

/// `validateaddress` (all fields but `isvalid` are omitempty on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ValidateAddressReply {
    /// The address decoded.
    pub isvalid: bool,
    /// The address, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The wallet owns it; absent means false.
    #[serde(default)]
    pub ismine: bool,
    /// The pubkey-address of the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubkeyaddr: Option<String>,
    /// The compressed pubkey, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubkey: Option<String>,
    /// The key is compressed.
    #[serde(default)]
    pub iscompressed: bool,
    /// The account holding the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The address is a script the wallet knows.
    #[serde(default)]
    pub isscript: bool,
    /// Script hex (script addresses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
    /// Script class (script addresses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    /// Addresses in the script.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub addresses: Vec<String>,
    /// Signatures required by the script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigsrequired: Option<i32>,
}

/// `createmultisig` (camelCase `redeemScript`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateMultisigReply {
    /// P2SH address.
    pub address: String,
    /// Redeem script hex.
    #[serde(rename = "redeemScript")]
    pub redeem_script: String,
}

/// One entry of `listscripts` (lowercase `redeemscript`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptInfoReply {
    /// Hash160 of the script, hex.
    #[serde(default)]
    pub hash160: String,
    /// P2SH address.
    #[serde(default)]
    pub address: String,
    /// Redeem script hex.
    pub redeemscript: String,
}

/// `listscripts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListScriptsReply {
    /// The imported scripts.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub scripts: Vec<ScriptInfoReply>,
}

/// `getbestblock` (wallet and hcd).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BestBlockReply {
    /// Block hash, display hex.
    pub hash: String,
    /// Height.
    pub height: i64,
}

/// `getstakeinfo`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StakeInfoReply {
    /// Wallet tip.
    pub blockheight: i64,
    /// Network pool size.
    pub poolsize: u32,
    /// Next stake difficulty, coins.
    pub difficulty: f64,
    /// Tickets in the mempool.
    pub allmempooltix: u32,
    /// Own tickets in the mempool.
    pub ownmempooltix: u32,
    /// Immature.
    pub immature: u32,
    /// Live.
    pub live: u32,
    /// live / poolsize.
    pub proportionlive: f64,
    /// Voted.
    pub voted: u32,
    /// Total subsidy, coins.
    pub totalsubsidy: f64,
    /// Missed.
    pub missed: u32,
    /// missed / (voted + missed).
    pub proportionmissed: f64,
    /// Revoked.
    pub revoked: u32,
    /// Expired.
    pub expired: u32,
}

/// One ticket of `stakepooluserinfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolUserTicketReply {
    /// `live`, `voted`, `missed` or `expired`.
    pub status: String,
    /// Ticket hash.
    pub ticket: String,
    /// Mined height.
    #[serde(default)]
    pub ticketheight: u32,
    /// Spending tx (all zero when unspent).
    #[serde(default)]
    pub spentby: String,
    /// Spending height.
    #[serde(default)]
    pub spentbyheight: u32,
}

/// `stakepooluserinfo` (`null` lists for an unknown address).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StakePoolUserInfoReply {
    /// Fee-paying tickets.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tickets: Vec<PoolUserTicketReply>,
    /// Low-fee tickets.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub invalid: Vec<String>,
}

/// `gettickets`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GetTicketsReply {
    /// Ticket hashes.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub hashes: Vec<String>,
}

/// `ticketsforaddress`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TicketsForAddressReply {
    /// Ticket hashes.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tickets: Vec<String>,
}

/// One `details` entry of `gettransaction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionDetailReply {
    /// Account.
    #[serde(default)]
    pub account: String,
    /// Address (absent for non-standard outputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Amount, coins.
    #[serde(default)]
    pub amount: f64,
    /// `receive`, `send`, …
    #[serde(default)]
    pub category: String,
    /// Output index.
    #[serde(default)]
    pub vout: u32,
}

/// `gettransaction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GetTransactionReply {
    /// Net amount, coins.
    #[serde(default)]
    pub amount: f64,
    /// Fee, coins (omitted when zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<f64>,
    /// Confirmations (0 while unmined).
    #[serde(default)]
    pub confirmations: i64,
    /// Block hash (empty while unmined).
    #[serde(default)]
    pub blockhash: String,
    /// Index in the block.
    #[serde(default)]
    pub blockindex: i64,
    /// Block time.
    #[serde(default)]
    pub blocktime: i64,
    /// Transaction hash.
    pub txid: String,
    /// Conflicting txids.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub walletconflicts: Vec<String>,
    /// Time.
    #[serde(default)]
    pub time: i64,
    /// Time received.
    #[serde(default)]
    pub timereceived: i64,
    /// Credits/debits.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub details: Vec<TransactionDetailReply>,
    /// Full serialized transaction, hex.
    pub hex: String,
}

/// `generatevote`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateVoteReply {
    /// The signed vote, hex (empty if none was built).
    #[serde(default)]
    pub hex: String,
}

/// One API entry of `version`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VersionEntry {
    /// `3.1.0`.
    pub versionstring: String,
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
    /// Pre-release tag.
    pub prerelease: String,
    /// Build metadata.
    pub buildmetadata: String,
}

impl VersionEntry {
    /// hcrpcclient's rule: same major, minor ≥ required, patch ≥ required when minors are
    /// equal.
    pub fn is_compatible_with(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.major == major && (self.minor > minor || (self.minor == minor && self.patch >= patch))
    }
}

/// `version`: API name (`hcdjsonrpcapi`, `hcwalletjsonrpcapi`) → version.
pub type VersionReply = BTreeMap<String, VersionEntry>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_empty_lists() {
        let r: StakePoolUserInfoReply =
            serde_json::from_str(r#"{"tickets":null,"invalid":null}"#).unwrap();
        assert!(r.tickets.is_empty() && r.invalid.is_empty());
        let r: GetTicketsReply = serde_json::from_str(r#"{"hashes":null}"#).unwrap();
        assert!(r.hashes.is_empty());
    }

    #[test]
    fn validateaddress_omitted_fields_default() {
        let r: ValidateAddressReply = serde_json::from_str(r#"{"isvalid":false}"#).unwrap();
        assert!(!r.isvalid && !r.ismine && r.pubkey.is_none());
    }

    #[test]
    fn redeem_script_casing_differs_by_method() {
        let c: CreateMultisigReply =
            serde_json::from_str(r#"{"address":"Tc","redeemScript":"51ae"}"#).unwrap();
        assert_eq!(c.redeem_script, "51ae");
        assert!(serde_json::from_str::<CreateMultisigReply>(
            r#"{"address":"Tc","redeemscript":"51"}"#
        )
        .is_err());
        let l: ListScriptsReply = serde_json::from_str(
            r#"{"scripts":[{"hash160":"00","address":"Tc","redeemscript":"51ae"}]}"#,
        )
        .unwrap();
        assert_eq!(l.scripts[0].redeemscript, "51ae");
    }

    #[test]
    fn version_compatibility() {
        let v = VersionEntry {
            major: 3,
            minor: 1,
            patch: 0,
            ..Default::default()
        };
        assert!(v.is_compatible_with(3, 1, 0));
        assert!(v.is_compatible_with(3, 0, 5));
        assert!(!v.is_compatible_with(3, 1, 1));
        assert!(!v.is_compatible_with(4, 0, 0));
    }
}

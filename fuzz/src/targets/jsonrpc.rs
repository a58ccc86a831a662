//! One JSON-RPC frame from hcwallet or hcd: classification (reply or notification), the
//! chain notifications stakepoold acts on, and every reply type the clients read with its
//! conversion to core types. A reply's result is tried as each type, as a wrong-method or
//! hostile server could send any of them.

use hcpool_rpc::jsonrpc::envelope::{parse_incoming, Incoming};
use hcpool_rpc::jsonrpc::notify::chain_notification;
use hcpool_rpc::jsonrpc::{convert, replies};
use serde::de::DeserializeOwned;
use serde_json::Value;

fn reply<T: DeserializeOwned>(v: &Value) -> Option<T> {
    serde_json::from_value(v.clone()).ok()
}

fn check_result(v: &Value) {
    if let Some(r) = reply::<replies::WalletInfoReply>(v) {
        let _ = convert::wallet_info(r);
    }
    if let Some(r) = reply::<replies::ValidateAddressReply>(v) {
        let _ = convert::validated_address(r);
    }
    if let Some(r) = reply::<replies::CreateMultisigReply>(v) {
        let _ = convert::multisig_info(r);
    }
    if let Some(r) = reply::<replies::ListScriptsReply>(v) {
        let _ = convert::scripts(r);
    }
    if let Some(r) = reply::<replies::BestBlockReply>(v) {
        let _ = convert::best_block(r);
    }
    if let Some(r) = reply::<replies::StakeInfoReply>(v) {
        let _ = convert::stake_info(r);
    }
    if let Some(r) = reply::<replies::StakePoolUserInfoReply>(v) {
        let _ = convert::stake_pool_user_info(r);
    }
    if let Some(r) = reply::<replies::GetTicketsReply>(v) {
        let _ = convert::hashes("gettickets", &r.hashes);
    }
    if let Some(r) = reply::<replies::TicketsForAddressReply>(v) {
        let _ = convert::hashes("ticketsforaddress", &r.tickets);
    }
    if let Some(r) = reply::<replies::GetTransactionReply>(v) {
        let _ = convert::wallet_transaction(r);
    }
    if let Some(r) = reply::<replies::GenerateVoteReply>(v) {
        let _ = convert::blob("generatevote", &r.hex);
    }
    if let Some(r) = reply::<replies::VersionReply>(v) {
        for entry in r.values() {
            let _ = entry.is_compatible_with(6, 0, 0);
        }
    }
    if let Some(s) = v.as_str() {
        let _ = convert::one_hash("sendrawtransaction", s);
        let _ = convert::bitset("existslivetickets", s, 20);
        if let Ok(blob) = convert::blob("getblockheader", s) {
            let _ = convert::header_height(&blob);
            let _ = convert::header_hash(&blob);
        }
        let _ = convert::decode_address(s);
    }
}

/// The target.
pub fn check(data: &[u8]) {
    let Some(text) = crate::text(data) else {
        return;
    };
    match parse_incoming(text) {
        Ok(Incoming::Notification(n)) => {
            let _ = chain_notification(&n);
        }
        Ok(Incoming::Response {
            outcome: Ok(result),
            ..
        }) => check_result(&result),
        Ok(Incoming::Response {
            outcome: Err(e), ..
        }) => {
            let _ = e.to_string();
        }
        Err(_) => {}
    }
}

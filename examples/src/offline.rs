//! Offline: everything a pool computes without a wallet — the user's pubkey address, the
//! per-user ticket and fee addresses from the two xpubs, the 1-of-2 multisig and its P2SH,
//! and the pool-fee check of a ticket that pays into it.

use anyhow::{ensure, Context, Result};
use hcpool_core::address::{validate_user_pubkey_address, Address};
use hcpool_core::fee::{evaluate_pool_ticket, stake_pool_ticket_fee, TicketEvaluation};
use hcpool_core::ids::Hash32;
use hcpool_core::stake::{build_pool_ticket, PoolTicketSpec, StakeAddress, Ticket};
use hcpool_core::tx::OutPoint;
use hcpool_core::{
    Amount, ExtendedPubKey, FeeAddressSet, Network, PoolFeeRate, PoolKeys, RedeemScript, UserId,
};

use crate::testnet::{
    COLD_XPUB, USER1_P2SH, USER1_REDEEM_SCRIPT, USER_PUBKEY_ADDRESS, VOTING_XPUB,
};

const NET: Network = Network::Testnet;

/// Per user id: (ticket P2PKH, ticket pubkey-address, fee P2PKH), from the chain facts §7f.
const USERS: [(u64, &str, &str, &str); 3] = [
    (
        1,
        "TsnVobTxqkZb6pXx6eekkwBbCoUQ1oQgVhf",
        "TkQ4ZzWaZijLGFfwM4THhTRYFKnjvJPSHweChUsQhkH8zRZAE1Dor",
        "TsYV9gPAgn4R88QwCDLzrYCVqffynDp8SSe",
    ),
    (
        2,
        "TsmLjXy5fd8JvByJy6XY55PPzgY3Czq9CK8",
        "TkQ4589cYBWBxU8rhJr5xSTMSLgK4SLgTg8AkzgkTgM5MYj2w88AH",
        "TsUf6FNukyCdL7W4pyfupd7qRfQeczuNMLU",
    ),
    (
        3,
        "TsRwqMDiYdzsVKfoC1hxeq8DHkYG4deHQs2",
        "TkKkbnBhDLL2rfUAfUV7VBEs8ETj1SXkEuaWiHQzv47LJBgEoxWmW",
        "TsV1bLRPZp8wD1rseMdDB6bbeqDCdsAqq7K",
    ),
];

/// Runs the example.
pub fn run() -> Result<()> {
    println!("== offline: addresses, multisig and the pool fee on {NET}");
    let user = user_address()?;
    let keys = PoolKeys::from_strings(VOTING_XPUB, COLD_XPUB, NET)?;
    per_user_addresses(&keys)?;
    let script = multisig(&keys, &user)?;
    pool_fee(&keys, &script)?;
    println!("offline: all checks passed");
    Ok(())
}

fn user_address() -> Result<Address> {
    let user = validate_user_pubkey_address(USER_PUBKEY_ADDRESS, NET)?;
    println!("user pubkey address {user} accepted ({})", user.kind());
    // What the address form refuses, with the text to show the user.
    let corrupted = format!("{}u", &USER_PUBKEY_ADDRESS[..USER_PUBKEY_ADDRESS.len() - 1]);
    let refused = [
        // A P2PKH address is no pubkey address (and too short to be one).
        ("TsnVobTxqkZb6pXx6eekkwBbCoUQ1oQgVhf", "address too short"),
        // A mainnet key on a testnet pool (hcstakepool let it through to the wallet).
        (
            "Hk1473TdFdja2mcEaVLns7HRWTRnJtGG6foKzHn2rojCf7usBekfG",
            "address is for a different network than this pool",
        ),
        // One character changed: the checksum fails.
        (corrupted.as_str(), "couldn't decode address"),
    ];
    for (input, want) in refused {
        let err = match validate_user_pubkey_address(input, NET) {
            Ok(a) => anyhow::bail!("{input} should be refused, got {a}"),
            Err(e) => e,
        };
        println!("  refused {input}: {} ({err})", err.user_message());
        ensure!(err.user_message() == want, "{input}: expected {want:?}");
    }
    Ok(user)
}

fn per_user_addresses(keys: &PoolKeys) -> Result<()> {
    println!("per-user addresses (voting xpub/0/uid, cold xpub/0/uid):");
    for (uid, ticket, pubkey, fee) in USERS {
        let uid = UserId(uid);
        let got = (
            keys.ticket_address(uid)?.to_string(),
            keys.ticket_pubkey_address(uid)?.to_string(),
            keys.fee_address(uid)?.to_string(),
        );
        println!("  uid {uid}: ticket {} fee {}", got.0, got.2);
        println!("         pool key {}", got.1);
        ensure!(
            got == (ticket.to_string(), pubkey.to_string(), fee.to_string()),
            "uid {uid}: derived {got:?}"
        );
    }
    // hcstakepool's MaxUsers: uid + 1 must be at most 10,000.
    ensure!(
        keys.fee_address(UserId(10_000)).is_err(),
        "uid 10000 must be out of range"
    );
    Ok(())
}

fn multisig(keys: &PoolKeys, user: &Address) -> Result<RedeemScript> {
    let pool = keys.ticket_pubkey_address(UserId(1))?;
    let script = RedeemScript::one_of_two(&pool, user)?;
    let p2sh = script.p2sh_address(NET);
    println!("1-of-2 multisig of uid 1: {script}");
    println!("  P2SH {p2sh}");
    println!(
        "  ticket voting output {}",
        hex(&script.sstx_voting_pk_script())
    );
    ensure!(
        script.to_hex() == USER1_REDEEM_SCRIPT,
        "redeem script differs"
    );
    ensure!(p2sh.to_string() == USER1_P2SH, "P2SH differs");
    // OP_SSTX OP_HASH160 <hash> OP_EQUAL (chain facts §5.2).
    ensure!(
        hex(&script.sstx_voting_pk_script()) == "baa914ec88207ed39718748025a17fa9a39a7cd0d04b7387",
        "the ticket's voting output differs"
    );
    let (pool_key, user_key) = script.parse_one_of_two()?;
    ensure!(
        Some(pool_key) == pool.secp_pubkey_compressed()
            && Some(user_key) == user.secp_pubkey_compressed(),
        "the script must hold the pool key first, the user key second"
    );
    Ok(script)
}

fn pool_fee(keys: &PoolKeys, script: &RedeemScript) -> Result<()> {
    let params = NET.params();
    let rate = PoolFeeRate::from_percent(7.5)?;
    let (price, relay_fee, height) = (Amount(750_000_000), Amount(100_000), 300_000);
    let required = stake_pool_ticket_fee(price, relay_fee, height, rate, params)?;
    println!("pool fee at {rate}% for a {price} HC ticket at height {height}: {required} HC");
    // The chain facts' testnet2 row for these inputs (Go run).
    ensure!(required == Amount(2_181_458), "fee {required}");

    // stakepoold's view: the fee addresses derived from the cold xpub alone.
    let cold: ExtendedPubKey = COLD_XPUB.parse()?;
    let fee_set = FeeAddressSet::derive(&cold, NET, 10)?;
    let fee_address = keys.fee_address(UserId(1))?;
    ensure!(
        fee_set.contains(&fee_address),
        "fee set lacks uid 1's address"
    );
    println!("fee address set: {} addresses", fee_set.len());

    let stranger = Address::p2pkh(NET, [0x42; 20]);
    let cases = [
        ("pays the fee", fee_address.hash160(), required, true),
        (
            "one atom short",
            fee_address.hash160(),
            Amount(required.0 - 1),
            false,
        ),
        ("unknown fee address", stranger.hash160(), required, false),
    ];
    for (name, fee_hash, paid, want_valid) in cases {
        let spec = ticket_spec(script, price, fee_hash, paid, relay_fee);
        let ticket = Ticket::from_tx(&build_pool_ticket(&spec)).context(name)?;
        ensure!(
            ticket.voting_address(NET).map(|a| a.to_string()) == Some(USER1_P2SH.to_string()),
            "{name}: the ticket must vote through the user's P2SH"
        );
        let verdict = evaluate_pool_ticket(&ticket, height, |a| fee_set.contains(a), rate, params)?;
        println!(
            "  ticket {} ({name}): {}",
            ticket.hash(),
            describe(&verdict)
        );
        ensure!(verdict.is_valid() == want_valid, "{name}: {verdict:?}");
        if let TicketEvaluation::Valid { required: r, .. }
        | TicketEvaluation::FeeTooLow { required: r, .. } = verdict
        {
            ensure!(r == required, "{name}: required {r}");
        }
    }
    Ok(())
}

/// A ticket as a user's wallet pays it: the pool fee from one input, the rest from another,
/// the transaction fee `relay_fee` taken from the user's commitment.
fn ticket_spec(
    script: &RedeemScript,
    price: Amount,
    pool_fee_hash: [u8; 20],
    pool_amount: Amount,
    relay_fee: Amount,
) -> PoolTicketSpec {
    let outpoint = |byte, index| OutPoint {
        hash: Hash32::from_bytes([byte; 32]),
        index,
        tree: 0,
    };
    PoolTicketSpec {
        voting_script_hash: script.hash160(),
        price,
        pool_input: outpoint(1, 0),
        pool_fee_hash,
        pool_amount,
        user_input: outpoint(2, 1),
        user_reward: StakeAddress::ScriptHash(script.hash160()),
        user_amount: Amount(price.0 - pool_amount.0 + relay_fee.0),
        expiry: 0,
    }
}

fn describe(verdict: &TicketEvaluation) -> String {
    match verdict {
        TicketEvaluation::Valid { paid, required } => {
            format!("valid, pays {paid} HC of {required} HC")
        }
        TicketEvaluation::FeeTooLow { paid, required } => {
            format!("fee too low, pays {paid} HC of {required} HC")
        }
        TicketEvaluation::UnknownCommitmentAddress { address } => {
            format!("unknown pool commitment address {address}")
        }
        other => format!("{other:?}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

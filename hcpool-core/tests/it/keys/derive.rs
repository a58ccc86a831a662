//! The pool's per-user derivations against the sample-config xpubs and the
//! keys-addresses derivation lists (which run up to index 9,999).

use hcpool_core::derive::DEFAULT_MAX_USERS;
use hcpool_core::{Error, PoolKeys, UserId};

use super::vectors::{group, hc, keys, net, s, Failures};

#[test]
fn sample_config_ticket_and_fee_addresses() {
    let mut f = Failures::new("stakepool_sample_xpubs via PoolKeys");
    let samples = group(hc(), "stakepool_sample_xpubs");
    let find = |key: &str| {
        samples
            .iter()
            .find(|v| s(v, "config_key").starts_with(key))
            .unwrap_or_else(|| panic!("{key} sample missing"))
    };
    let (voting, cold) = (find("votingwalletextpub"), find("coldwalletextpub"));
    let network = net(voting);
    let pool =
        PoolKeys::from_strings(s(voting, "xpub"), s(cold, "xpub"), network).expect("sample xpubs");
    for c in voting["children_index_equals_user_id"]
        .as_array()
        .expect("children")
    {
        let uid = UserId(c["index"].as_u64().expect("index"));
        let name = format!("ticket uid {uid}");
        f.eq(
            &name,
            pool.ticket_address(uid)
                .map(|a| a.to_string())
                .map_err(|e| e.to_string()),
            Ok(s(c, "p2pkh").to_owned()),
        );
        f.eq(
            &name,
            pool.ticket_pubkey_address(uid)
                .map(|a| a.to_string())
                .map_err(|e| e.to_string()),
            Ok(s(c, "pubkey_addr").to_owned()),
        );
    }
    let fee_set = pool.fee_address_set(10);
    for c in cold["children_index_equals_user_id"]
        .as_array()
        .expect("children")
    {
        let uid = UserId(c["index"].as_u64().expect("index"));
        let want = s(c, "p2pkh");
        f.eq(
            &format!("fee uid {uid}"),
            pool.fee_address(uid)
                .map(|a| a.to_string())
                .map_err(|e| e.to_string()),
            Ok(want.to_owned()),
        );
        f.ok(
            &format!("fee set has uid {uid}"),
            fee_set.contains(&want.parse().expect("address")),
            want,
        );
    }
    f.finish(6 * 2 + 6 * 2);
}

#[test]
fn keys_addresses_derivations_via_pool_keys() {
    let mut f = Failures::new("keys-addresses derivations via PoolKeys");
    for v in group(keys(), "derivations") {
        let network = net(v);
        f.eq("branch", v["branch"].as_u64(), Some(0));
        // The same xpub as both wallets: ticket and fee addresses must agree with the list.
        let pool = PoolKeys::from_strings(s(v, "xpub"), s(v, "xpub"), network).expect("xpub");
        let set = pool.fee_address_set(u32::try_from(DEFAULT_MAX_USERS).expect("small"));
        f.eq("fee set size", set.len(), 10_000);
        for a in v["addresses"].as_array().expect("addresses") {
            let uid = UserId(a["index"].as_u64().expect("index"));
            let want = s(a, "address");
            let name = format!("{} uid {uid}", &s(v, "xpub")[..16]);
            f.eq(
                &name,
                pool.ticket_address(uid)
                    .map(|a| a.to_string())
                    .map_err(|e| e.to_string()),
                Ok(want.to_owned()),
            );
            f.eq(
                &name,
                pool.fee_address(uid)
                    .map(|a| a.to_string())
                    .map_err(|e| e.to_string()),
                Ok(want.to_owned()),
            );
            f.ok(&name, set.contains(&want.parse().expect("address")), want);
        }
        let over = pool.fee_address(UserId(DEFAULT_MAX_USERS));
        f.ok(
            "uid 10000 refused",
            matches!(over, Err(Error::UserIdOutOfRange { .. })),
            over,
        );
    }
    f.finish(8 * 4);
}

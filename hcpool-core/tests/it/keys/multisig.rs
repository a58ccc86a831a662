//! Multisig vectors: the pool-shaped 1-of-2 scripts, hcd's `TestMultiSigScript`, and a
//! P2SH from a script.

use hcpool_core::multisig::ScriptError;
use hcpool_core::{Address, Network, RedeemScript};
use serde_json::Value;

use super::vectors::{group, hc, hx, keys, net, s, Failures};

fn pool_shaped(f: &mut Failures, name: &str, v: &Value, pool_field: &str, user_field: &str) {
    let network = net(v);
    let (pool, user) = match (
        s(v, pool_field).parse::<Address>(),
        s(v, user_field).parse::<Address>(),
    ) {
        (Ok(p), Ok(u)) => (p, u),
        other => {
            f.fail(name, other);
            return;
        }
    };
    let rs = match RedeemScript::one_of_two(&pool, &user) {
        Ok(rs) => rs,
        Err(e) => {
            f.fail(name, e);
            return;
        }
    };
    f.eq(name, rs.to_hex(), s(v, "redeem_script_hex").to_owned());
    f.eq(
        name,
        rs.p2sh_address(network).to_string(),
        s(v, "p2sh_address").to_owned(),
    );
    f.eq(
        name,
        RedeemScript::from_hex(s(v, "redeem_script_hex"))
            .and_then(|r| r.one_of_two_pubkey_addresses(network)),
        Ok((pool, user)),
    );
    if v.get("p2sh_pkscript_hex").is_some() {
        f.eq(name, rs.hash160().to_vec(), hx(v, "script_hash160_hex"));
        f.eq(
            name,
            hex::encode(rs.p2sh_pk_script()),
            s(v, "p2sh_pkscript_hex").to_owned(),
        );
        f.eq(
            name,
            hex::encode(rs.sstx_voting_pk_script()),
            s(v, "sstx_vote_output_pkscript_hex").to_owned(),
        );
        let pool_key = rs.parse_one_of_two().map(|(p, u)| (p.to_vec(), u.to_vec()));
        f.eq(
            name,
            pool_key,
            Ok((hx(v, "pool_pubkey_hex"), hx(v, "user_pubkey_hex"))),
        );
    }
}

#[test]
fn multisig_vectors() {
    let mut f = Failures::new("multisig");
    for (i, v) in group(hc(), "multisig").iter().enumerate() {
        let name = format!("hc multisig[{i}]");
        if v.get("pool_pubkey_addr").is_some() {
            pool_shaped(&mut f, &name, v, "pool_pubkey_addr", "user_pubkey_addr");
        } else if let Some(nreq) = v["nrequired"].as_u64() {
            let nreq = u8::try_from(nreq).expect("small");
            if v.get("expect_error").is_some() {
                // Keys are abbreviated in this vector; any two valid keys show the rule.
                let k = group(hc(), "pubkey_addresses");
                let keys: Vec<Address> = k[..2]
                    .iter()
                    .map(|v| s(v, "pubkey_addr_String").parse().expect("valid"))
                    .collect();
                f.eq(
                    &name,
                    RedeemScript::multisig(nreq, &keys),
                    Err(ScriptError::BadNumRequired {
                        required: nreq,
                        keys: 2,
                    }),
                );
                continue;
            }
            let keys: Vec<Address> = v["pubkeys_hex"]
                .as_array()
                .expect("pubkeys_hex")
                .iter()
                .map(|k| {
                    let key: [u8; 33] = hex::decode(k.as_str().expect("hex"))
                        .expect("hex")
                        .try_into()
                        .expect("33 bytes");
                    Address::secp_pubkey(Network::Mainnet, key).expect("valid key")
                })
                .collect();
            f.eq(
                &name,
                RedeemScript::multisig(nreq, &keys).map(|r| r.to_hex()),
                Ok(s(v, "script_hex").to_owned()),
            );
        } else {
            // A P2SH from hcd's address test script; the test file's Decred string is
            // replaced by the HC encodings.
            let rs = RedeemScript::from_hex(s(v, "redeem_script_hex")).expect("hex");
            f.eq(&name, rs.hash160().to_vec(), hx(v, "script_hash160_hex"));
            for network in Network::ALL {
                let want = s(&v["hc_p2sh"], network.name());
                f.eq(&name, rs.p2sh_address(network).to_string(), want.to_owned());
                let from_script = Address::p2sh_from_script(network, rs.as_bytes());
                f.eq(&name, from_script.to_string(), want.to_owned());
            }
        }
    }
    for (i, v) in group(keys(), "multisig").iter().enumerate() {
        let name = format!("keys-addresses multisig[{i}]");
        f.eq(&name, v["required"].as_u64(), Some(1));
        pool_shaped(
            &mut f,
            &name,
            v,
            "pool_pubkey_address",
            "user_pubkey_address",
        );
    }
    f.finish(10 + 6);
}

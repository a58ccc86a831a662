//! BLAKE-256, Hash160, base58 and base58check vectors.

use hcpool_core::base58::{self, Base58Error};
use hcpool_core::hash::{blake256, hash160};

use super::vectors::{group, hc, hx, input, s, Failures};

#[test]
fn blake256_vectors() {
    let mut f = Failures::new("blake256");
    for (i, v) in group(hc(), "blake256").iter().enumerate() {
        f.eq(
            &format!("blake256[{i}]"),
            hex::encode(blake256(&input(v))),
            s(v, "blake256_hex").to_owned(),
        );
    }
    f.finish(31);
}

#[test]
fn hash160_vectors() {
    let mut f = Failures::new("hash160");
    for (i, v) in group(hc(), "hash160").iter().enumerate() {
        f.eq(
            &format!("hash160[{i}]"),
            hash160(&hx(v, "input_hex")).to_vec(),
            hx(v, "hash160_hex"),
        );
    }
    f.finish(3);
}

#[test]
fn base58_vectors() {
    let mut f = Failures::new("base58");
    for (i, v) in group(hc(), "base58").iter().enumerate() {
        let name = format!("base58[{i}]");
        let data = input(v);
        f.eq(&name, base58::encode(&data), s(v, "base58").to_owned());
        f.eq(&name, base58::decode(s(v, "base58")), Ok(data));
    }
    f.finish(22);
}

#[test]
fn base58check_vectors() {
    let mut f = Failures::new("base58check");
    for (i, v) in group(hc(), "base58check").iter().enumerate() {
        let name = format!("base58check[{i}]");
        let encoded = s(v, "encoded");
        if v.get("expect_error").is_some() {
            f.eq(
                &name,
                base58::check_decode(encoded),
                Err(Base58Error::ChecksumMismatch),
            );
            continue;
        }
        let version: [u8; 2] = hx(v, "version_hex").try_into().expect("2-byte version");
        let payload = s(v, "payload_utf8").as_bytes().to_vec();
        f.eq(
            &name,
            base58::check_encode(version, &payload),
            encoded.to_owned(),
        );
        f.eq(&name, base58::check_decode(encoded), Ok((version, payload)));
    }
    f.finish(12);
}

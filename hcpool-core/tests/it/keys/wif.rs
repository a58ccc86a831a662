//! WIF vectors (hcd's wif_test.go and Go-computed ones, three networks, three suites).

use hcpool_core::wif::{SigSuite, Wif};

use super::vectors::{group, hc, hx, net, s, Failures};

#[test]
fn wif_vectors() {
    let mut f = Failures::new("wif");
    for v in group(hc(), "wif") {
        let text = s(v, "wif");
        let name = format!("wif {text}");
        let suite = v["algtype"]
            .as_u64()
            .and_then(|a| u8::try_from(a).ok())
            .and_then(SigSuite::from_id)
            .expect("suite");
        let key_field = if v.get("privkey_hex").is_some() {
            "privkey_hex"
        } else {
            "scalar_hex"
        };
        let key: [u8; 32] = hx(v, key_field).try_into().expect("32 bytes");
        let w = match Wif::new(net(v), suite, key) {
            Ok(w) => w,
            Err(e) => {
                f.fail(&name, e);
                continue;
            }
        };
        f.eq(&name, w.to_string(), text.to_owned());
        f.eq(&name, text.parse::<Wif>(), Ok(w.clone()));
        if v.get("pubkey_compressed_hex").is_some() {
            f.eq(
                &name,
                w.public_key().map(|k| k.to_vec()),
                Some(hx(v, "pubkey_compressed_hex")),
            );
        }
    }
    f.finish(13 * 2);
}

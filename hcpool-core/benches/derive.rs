//! Speed of the pool's key work: per-user derivations, address decoding, the fee set.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use hcpool_core::{Address, Network, PoolKeys, UserId};

const VOTING: &str = "tpubVqDAKmg9L5R4FXFzFv3wFTgZaVAevp8NwYf4XAASSHpT1HB3KythGrBaYCRWD6KkvMp9KAtd9mzpj2ByWdpwkD4ktQ19eugSBuzePu68uep";
const COLD: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";

fn pool() -> PoolKeys {
    PoolKeys::from_strings(VOTING, COLD, Network::Testnet).expect("sample xpubs")
}

fn derive_users(c: &mut Criterion) {
    let keys = pool();
    let mut g = c.benchmark_group("derive");
    g.sample_size(10);
    g.bench_function("10k users ticket+fee addresses", |b| {
        b.iter(|| {
            for uid in 0..10_000u64 {
                black_box(keys.ticket_address(UserId(uid)).expect("in range"));
                black_box(keys.fee_address(UserId(uid)).expect("in range"));
            }
        })
    });
    g.bench_function("build 10k fee-address set", |b| {
        b.iter(|| black_box(keys.fee_address_set(10_000)))
    });
    g.finish();
}

fn decode_addresses(c: &mut Criterion) {
    let keys = pool();
    // Half P2PKH (35 chars), half pubkey addresses (53 chars, with a curve check).
    let mut strings = Vec::with_capacity(100_000);
    for uid in 0..500u64 {
        strings.push(keys.fee_address(UserId(uid)).expect("in range").to_string());
        strings.push(
            keys.ticket_pubkey_address(UserId(uid))
                .expect("in range")
                .to_string(),
        );
    }
    let strings: Vec<String> = strings.iter().cycle().take(100_000).cloned().collect();
    let mut g = c.benchmark_group("decode");
    g.sample_size(10);
    g.bench_function("100k addresses", |b| {
        b.iter(|| {
            for s in &strings {
                black_box(s.parse::<Address>().expect("valid"));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, derive_users, decode_addresses);
criterion_main!(benches);

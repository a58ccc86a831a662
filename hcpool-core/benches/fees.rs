//! Throughput of the per-ticket work stakepoold does: decode a ticket and run the fee check.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use hcpool_core::fee::{evaluate_pool_ticket, stake_pool_ticket_fee, PoolFeeRate};
use hcpool_core::params::Network;
use hcpool_core::stake::{build_pool_ticket, PoolTicketSpec, StakeAddress, Ticket};
use hcpool_core::tx::OutPoint;
use hcpool_core::{Address, Amount};

fn bench(c: &mut Criterion) {
    let params = Network::Testnet.params();
    let rate = PoolFeeRate::from_percent(7.5).expect("valid rate");
    let fee_hash = [0x27; 20];
    let spec = PoolTicketSpec {
        voting_script_hash: [0xec; 20],
        price: Amount(1_000_000_000),
        pool_input: OutPoint::default(),
        pool_fee_hash: fee_hash,
        pool_amount: Amount(2_381_290),
        user_input: OutPoint::default(),
        user_reward: StakeAddress::ScriptHash([0xec; 20]),
        user_amount: Amount(1_000_000_000 - 2_381_290 + 100_000),
        expiry: 0,
    };
    let bytes = build_pool_ticket(&spec).encode();
    let pool = Address::p2pkh(params.network, fee_hash);

    c.bench_function("ticket decode", |b| {
        b.iter(|| Ticket::decode(black_box(&bytes)))
    });
    let ticket = Ticket::decode(&bytes).expect("valid ticket");
    c.bench_function("evaluate_pool_ticket", |b| {
        b.iter(|| evaluate_pool_ticket(black_box(&ticket), 200_000, |a| *a == pool, rate, params))
    });
    c.bench_function("stake_pool_ticket_fee", |b| {
        b.iter(|| {
            stake_pool_ticket_fee(
                black_box(Amount(1_000_000_000)),
                Amount(100_000),
                black_box(200_000),
                rate,
                params,
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Round trips per second for `getbestblock` over one TLS websocket, with 1 and 64 calls in
//! flight, against the in-process test server (P-521 certificate, as hcwallet's).

#[allow(clippy::all, clippy::pedantic)]
#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hcpool_rpc::RpcClient;
use serde_json::Value;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (_server, client) = rt.block_on(async {
        let server = support::TestServer::start().await;
        let client = RpcClient::connect(server.config()).await.expect("connect");
        (server, client)
    });
    let mut group = c.benchmark_group("getbestblock_ws");
    for in_flight in [1usize, 64] {
        group.throughput(Throughput::Elements(in_flight as u64));
        group.bench_function(format!("in_flight_{in_flight}"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let calls = (0..in_flight).map(|_| client.call_value("getbestblock", vec![]));
                    for r in futures::future::join_all(calls).await {
                        let v: Value = r.expect("getbestblock");
                        assert_eq!(v["height"], 812);
                    }
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

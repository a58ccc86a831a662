//! Runs every example, so `cargo test --workspace` fails when one does.

#[test]
fn offline() {
    let result = hcpool_examples::offline::run();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn mocked_backends() {
    let result = hcpool_examples::mocked_backends::run();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn custom_pool() {
    let result = hcpool_examples::custom_pool::run();
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn stakepoold_client() {
    let result = hcpool_examples::stakepoold_client::run();
    assert!(result.is_ok(), "{result:?}");
}

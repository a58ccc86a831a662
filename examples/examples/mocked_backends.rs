//! The pool service with `mockall` mocks: a wallet failure leaves nothing half done.
//! `cargo run -p hcpool-examples --example mocked_backends`

fn main() -> anyhow::Result<()> {
    hcpool_examples::mocked_backends::run()
}

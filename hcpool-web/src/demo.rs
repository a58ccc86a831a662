//! The demo's moving parts: the simulated chain an admin can advance ([`DemoChain`], always
//! compiled: the status page asks whether there is one) and, with the `demo` cargo feature
//! (on by default), in-process stakepoold daemons on a simulated cluster (also used by the
//! end-to-end tests) and the demo pool itself ([`crate::wiring::demo`]).
//!
//! Each daemon is stakepoold's [`stakepoold::InProcess`] on one simulated voting wallet and
//! hcd, serving its gRPC API over TLS on loopback with a certificate generated in a data
//! directory. The web app reaches it exactly like a configured node: through
//! `stakepooldhosts` / `stakepooldcerts` and `hcpool_rpc::stakepoold::GrpcVotingNode`.

#[cfg(feature = "demo")]
mod local;

#[cfg(feature = "demo")]
pub use local::{conf_fragment, sim_parts, LocalStakepoold, SimDaemonParts};

/// What `--demo` says when the binary was built without the `demo` feature.
pub const DEMO_MISSING: &str = "this hcpool-web was built without the demo (cargo feature \
    `demo`, on by default; production builds use --no-default-features): rebuild with \
    default features to run `--demo`";

/// The demo's simulated chain, which an admin may advance from the status page.
pub trait DemoChain: Send + Sync {
    /// Mines one block; returns its height.
    ///
    /// # Errors
    /// The simulator's refusal, as text.
    fn mine_block(&self) -> Result<u32, String>;

    /// The user's own wallet buys a ticket for `multisig_address`, paying the pool fee to
    /// fee address `fee_index` (the user id); returns the ticket hash.
    ///
    /// # Errors
    /// The simulator's refusal, as text.
    fn buy_ticket(&self, multisig_address: &str, fee_index: u32) -> Result<String, String>;
}

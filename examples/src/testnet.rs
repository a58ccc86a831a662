//! The sample testnet values the examples share: hcstakepool's sample configuration xpubs
//! and the worked 1-of-2 multisig of the HC chain facts (§5.2, §7f).

/// `votingwalletextpub` of hcstakepool's sample configuration (the voting wallet's
/// account-0 xpub): ticket addresses and the pool key of each user's multisig.
pub const VOTING_XPUB: &str = "tpubVqDAKmg9L5R4FXFzFv3wFTgZaVAevp8NwYf4XAASSHpT1HB3KythGrBaYCRWD6KkvMp9KAtd9mzpj2ByWdpwkD4ktQ19eugSBuzePu68uep";

/// `coldwalletextpub` of the sample configuration: the pool-fee addresses.
pub const COLD_XPUB: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";

/// A user's secp256k1 pubkey address (hcd's test key), as submitted on the address form.
pub const USER_PUBKEY_ADDRESS: &str = "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt";

/// The P2SH address of user id 1's 1-of-2 multisig with [`USER_PUBKEY_ADDRESS`].
pub const USER1_P2SH: &str = "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5";

/// That multisig's redeem script (pool key first, user key second).
pub const USER1_REDEEM_SCRIPT: &str = "5121039e741c51929d4deecd3390cabb42b83ace7811aceb5213705bf903a827715f9621026a40c403e74670c4de7656a09caa2353d4b383a9ce66eef51e1220eacf4be06e52ae";

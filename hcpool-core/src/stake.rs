//! Stake scripts, tickets and votes (hc-chain-facts.md §5.1–5.5). In progress.

//! Workspace chores run as `cargo xtask <task>` (matklad's xtask pattern: plain Rust, no
//! tools to install). [`tidy`] is the one task: checks that keep ARCHITECTURE.md's shape
//! true as the code changes.

pub mod tidy;

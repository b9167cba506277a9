//! The subcommands, one module each (binary only: `anyhow` lives here).

pub mod args;
pub mod bench;
pub mod predict;
pub mod serve;
pub mod train;
pub mod walkthrough;

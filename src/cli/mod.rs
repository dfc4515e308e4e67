//! Command-line entry points; `main.rs` only dispatches to these.

pub mod bump;
mod local_checkout;
pub mod check_config;
pub mod demo;
pub mod plan;
pub mod simulate;

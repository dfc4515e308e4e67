//! Command-line entry points; `main.rs` only dispatches to these.

pub mod action;
pub mod bump;
pub mod check_config;
#[cfg(feature = "simulator")]
pub mod demo;
pub mod healthcheck;
mod local_checkout;
pub mod log_format;
pub mod manifest;
pub mod plan;
pub mod serve;
pub mod setup;
#[cfg(feature = "simulator")]
pub mod simulate;
#[cfg(not(feature = "simulator"))]
pub mod without_simulator;

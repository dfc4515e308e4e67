//! Command-line entry points; `main.rs` only dispatches to these.

pub mod action;
pub mod bump;
pub mod check_config;
pub mod demo;
pub mod healthcheck;
mod local_checkout;
pub mod log_format;
pub mod manifest;
pub mod plan;
pub mod serve;
pub mod setup;
pub mod simulate;

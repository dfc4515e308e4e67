//! One integration-test binary, a module per area.

mod action;
mod action_install;
mod app_auth;
mod cli;
mod full_release;
mod harness;
mod mathesar_history;
mod notes;
mod redelivery;
mod refusals;
mod release_command;
mod server;
mod server_process;
mod server_queue;
mod simulated_github;
mod templates;

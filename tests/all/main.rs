//! One integration-test binary, a module per area.

mod action;
mod action_install;
mod app_auth;
mod cli;
mod exactly_once;
mod follow_up_commands;
mod full_release;
mod harness;
mod latest_badge;
mod mathesar_history;
mod notes;
mod odd_answers;
mod redelivery;
mod refusals;
mod release_command;
mod server;
mod server_hostile;
mod server_process;
mod server_queue;
mod simulated_github;
mod templates;
mod trust;

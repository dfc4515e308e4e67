//! One integration-test binary, a module per area.

mod cli;
mod simulated_github;

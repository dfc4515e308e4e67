//! `demo` and `simulate` in a build without the simulated GitHub (the shipped binary, built
//! with `--no-default-features`): a clear answer instead of clap's "unrecognized subcommand",
//! since the README tells people to run them.

use std::process::ExitCode;

/// Whatever was given after `demo` or `simulate`; none of it is read.
#[derive(clap::Args)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    _rest: Vec<String>,
}

pub fn run() -> ExitCode {
    eprintln!(
        "releasebot: this build has no simulated GitHub, so no `demo` or `simulate` \
         (the shipped binary leaves it out to stay small). Build one with it: \
         `cargo run --locked -- demo` in a checkout, or `cargo install --locked --path .`"
    );
    ExitCode::from(2)
}

//! releasebot: runs a project's release from a `/release <version>` comment.
//!
//! Parsing and deciding are plain functions (`command`, `config`, `version`, `bump`,
//! `file_changes`, `names`, `status`, and the release's stage and `plan` in `engine::stage`);
//! effects go through `github`.

pub mod action;
pub mod announce;
pub mod bump;
pub mod cli;
pub mod command;
pub mod config;
pub mod domain;
pub mod engine;
pub mod event;
pub mod file_changes;
pub mod github;
pub mod latest;
pub mod messages;
pub mod names;
pub mod notes;
pub mod notes_file;
pub mod permission;
pub mod server;
pub mod setup;
pub mod status;
pub mod version;

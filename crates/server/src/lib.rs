//! The `kewhats` binary's library: configuration loading and the CLI, HTTP (the JSON API and
//! the pages), and running it all. The rules live in the `app` crate.

pub mod cli;
pub mod http;
pub mod launch;

pub use app::{AppState, Config, Deps};
pub use launch::{launch, Running};

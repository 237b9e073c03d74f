//! The `kewhats` server: configuration, CLI, account logic and HTTP.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod http;
pub mod media;
pub mod outbound;
pub mod outlet_status;
pub mod secrets;
pub mod sessions;
pub mod web_keys;
pub mod webhook_worker;

pub use app::{launch, AppState, Running};
pub use config::Config;

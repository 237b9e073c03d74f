//! kewhats' rules and background work, with no HTTP in them: this crate depends on neither
//! axum nor askama, so the compiler keeps the layers apart. The `kewhats` binary (HTTP, pages,
//! CLI) calls the services; the workers and the session manager run beside it.
//!
//! ```text
//! engine ─► sessions ─► services ─► store ◄─ workers
//! ```

pub mod clients;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod i18n;
pub mod metrics;
pub mod services;
pub mod sessions;
pub mod state;
pub mod workers;

pub use config::Config;
pub use error::{ServiceError, ServiceResult};
pub use state::{AppState, Deps};

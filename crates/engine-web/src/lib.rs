//! The `web` engine: real WhatsApp Web sessions on whatsapp-rust.
//!
//! whatsapp-rust keeps a device's identity, Signal sessions, pre-keys and app-state keys in a
//! storage backend. Ours ([`store::KvBackend`]) stores them as opaque values in a per-device
//! key-value store ([`kv`]) that the server provides over its database (encrypted at rest
//! there), so a device survives restarts and moves between nodes, and this crate never sees
//! SQL.
//!
//! [`WebEngine`] implements [`engine::Engine`]: one whatsapp-rust client per connection,
//! never reconnecting by itself (the session manager owns reconnects and their backoff).
//!
//! Feature `testing` exposes [`store::conformance`], the storage round-trip the host runs
//! against its own [`kv::KeyValueStore`] implementations.

mod connection;
mod driver;
mod engine;
pub mod kv;
mod mapping;
pub mod store;

pub use connection::WebConnection;
pub use engine::{WebConfig, WebEngine, DEFAULT_URL, DEFAULT_VERSION};

/// A `RUST_LOG`-style filter for hosts that route the `log` crate into their logger.
///
/// whatsapp-rust logs through `log`, often under targets that are not module paths
/// (`Client/PairCode`, `Client/AppState`, …), and logs every failed connect at ERROR
/// ("Failed to connect: … Will retry...", even though this engine never retries by itself)
/// and many routine steps at INFO. This engine reports failures itself, as
/// `EngineEvent::Disconnected` with a readable reason, so the library's own lines are noise
/// in normal operation: keep them at `error`, and silence the per-attempt connect error.
/// Set `RUST_LOG` to look closer when debugging.
pub fn quiet_log_filter() -> &'static str {
    QUIET_LOG_FILTER
}

/// See [`quiet_log_filter`].
pub const QUIET_LOG_FILTER: &str = "error,whatsapp_rust::client::lifecycle=off";

/// The `log` level the host should cap whatsapp-rust's records at when `RUST_LOG` is unset.
pub const QUIET_LOG_LEVEL: log::LevelFilter = log::LevelFilter::Error;

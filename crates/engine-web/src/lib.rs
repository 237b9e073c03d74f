//! The `web` engine: real WhatsApp Web sessions on whatsapp-rust.
//!
//! whatsapp-rust keeps a device's identity, Signal sessions, pre-keys and app-state keys in a
//! storage backend. Ours ([`kv`]) stores them as opaque values in a per-device key-value store
//! that the server provides over its database (encrypted at rest there), so a device survives
//! restarts and moves between nodes, and this crate never sees SQL.

pub mod kv;

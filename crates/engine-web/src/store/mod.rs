//! whatsapp-rust's storage backend on top of the host's [`KeyValueStore`].
//!
//! whatsapp-rust asks for five storage traits (together its `Backend`); [`KvBackend`]
//! implements all of them for one device. Every kind of record lives in its own namespace
//! (see [`ns`]), so a kind can be listed or cleared at once, and everything of a device goes
//! with `kv.wipe(device)`. Values the library hands over as bytes are stored as they are;
//! structured records are JSON (the host may encrypt either).
//!
//! Keys are strings: addresses and JIDs as given, numeric ids zero-padded so that the
//! store's key order is numeric order, binary ids as hex, and compound keys joined with
//! [`SEP`] (a control character no JID or message id contains).

mod app_sync;
#[cfg(feature = "testing")]
pub mod conformance;
mod device;
mod protocol;
mod signal;

use crate::kv::{KeyValueStore, KvError};
use domain::DeviceId;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;
use whatsapp_rust::store::error::{Result, StoreError};

/// The namespaces a device's records are kept under.
pub mod ns {
    pub const IDENTITY: &str = "identity";
    pub const SESSION: &str = "session";
    pub const PREKEY: &str = "prekey";
    pub const SIGNED_PREKEY: &str = "signed_prekey";
    pub const SENDER_KEY: &str = "sender_key";
    pub const APP_SYNC_KEY: &str = "app_sync_key";
    /// One value: the id of the most recently stored app-state sync key.
    pub const APP_SYNC_LATEST: &str = "app_sync_latest";
    pub const APP_SYNC_VERSION: &str = "app_sync_version";
    /// Prefix: one namespace per app-state collection (`mutation_mac/regular`), so that
    /// clearing a collection is one `delete_namespace`.
    pub const MUTATION_MAC_PREFIX: &str = "mutation_mac/";
    pub const SENDER_KEY_DEVICES: &str = "sender_key_devices";
    pub const LID_MAPPING: &str = "lid_mapping";
    /// Phone number → LID, the reverse index of [`LID_MAPPING`].
    pub const PN_MAPPING: &str = "pn_mapping";
    pub const BASE_KEY: &str = "base_key";
    pub const DEVICE_LIST: &str = "device_list";
    pub const GROUP_METADATA: &str = "group_metadata";
    pub const TC_TOKEN: &str = "tc_token";
    pub const SENT_MESSAGE: &str = "sent_message";
    pub const PENDING_INBOUND: &str = "pending_inbound";
    pub const MSG_SECRET: &str = "msg_secret";
    pub const DEVICE: &str = "device";
}

/// Joins the parts of a compound key.
pub const SEP: char = '\u{1f}';

/// whatsapp-rust's storage for one device, kept in the host's key-value store.
pub struct KvBackend {
    kv: Arc<dyn KeyValueStore>,
    device: DeviceId,
    /// Serialises read-modify-write sequences (merges, take-and-delete) of this backend;
    /// the key-value store itself only promises single operations.
    rmw: tokio::sync::Mutex<()>,
    /// `true` once the device was forgotten. Every operation holds the read side, so
    /// [`KvBackend::revoke`] waits for operations in flight: a client still shutting down
    /// can then not write keys back after the wipe.
    revoked: tokio::sync::RwLock<bool>,
}

impl KvBackend {
    pub fn new(kv: Arc<dyn KeyValueStore>, device: DeviceId) -> KvBackend {
        KvBackend { kv, device, rmw: tokio::sync::Mutex::new(()), revoked: tokio::sync::RwLock::new(false) }
    }

    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// From now on every operation fails. Returns once no operation is in flight.
    pub async fn revoke(&self) {
        *self.revoked.write().await = true;
    }

    /// Runs one store operation unless the backend was revoked; failures are logged here,
    /// with the device, because the library may only log them without context (or not at all).
    async fn op<T>(
        &self,
        what: &str,
        namespace: &str,
        run: impl std::future::Future<Output = std::result::Result<T, KvError>>,
    ) -> Result<T> {
        let revoked = self.revoked.read().await;
        if *revoked {
            return Err(StoreError::Validation(format!(
                "device {} was forgotten; its key store is closed",
                self.device
            )));
        }
        run.await.map_err(|e| {
            tracing::warn!(device = %self.device, namespace, error = %e, "key store {what} failed");
            StoreError::Database(Box::new(e))
        })
    }

    async fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>> {
        self.op("get", namespace, self.kv.get(self.device, namespace, key)).await
    }

    async fn put(&self, namespace: &str, key: &str, value: &[u8]) -> Result<()> {
        self.op("put", namespace, self.kv.put(self.device, namespace, key, value)).await
    }

    async fn put_many(&self, namespace: &str, entries: &[(String, Vec<u8>)]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        self.op("put_many", namespace, self.kv.put_many(self.device, namespace, entries)).await
    }

    async fn delete(&self, namespace: &str, key: &str) -> Result<()> {
        self.op("delete", namespace, self.kv.delete(self.device, namespace, key)).await
    }

    async fn list(&self, namespace: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.op("list", namespace, self.kv.list(self.device, namespace)).await
    }

    async fn delete_namespace(&self, namespace: &str) -> Result<()> {
        self.op("delete_namespace", namespace, self.kv.delete_namespace(self.device, namespace)).await
    }

    async fn get_json<T: DeserializeOwned>(&self, namespace: &str, key: &str) -> Result<Option<T>> {
        self.get(namespace, key).await?.map(|bytes| decode(&bytes)).transpose()
    }

    async fn put_json<T: Serialize>(&self, namespace: &str, key: &str, value: &T) -> Result<()> {
        self.put(namespace, key, &encode(value)?).await
    }
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StoreError::Serialization(Box::new(e)))
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Serialization(Box::new(e)))
}

/// A numeric id as a key that sorts numerically.
pub(crate) fn id_key(id: u32) -> String {
    format!("{id:010}")
}

pub(crate) fn parse_id_key(key: &str) -> Result<u32> {
    key.parse().map_err(|_| StoreError::Validation(format!("not a numeric key: {key:?}")))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn compound(parts: &[&str]) -> String {
    parts.join(&SEP.to_string())
}

/// A value stored with the time it was stored (seconds), for expiry sweeps:
/// 8 bytes big-endian timestamp, then the payload.
pub(crate) fn stamp(ts: i64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&ts.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

pub(crate) fn unstamp(bytes: &[u8]) -> Result<(i64, &[u8])> {
    let (head, payload) = bytes
        .split_first_chunk::<8>()
        .ok_or_else(|| StoreError::Validation("stamped value shorter than 8 bytes".into()))?;
    Ok((i64::from_be_bytes(*head), payload))
}

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Converts a count for the `u32` the traits return.
pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        assert_eq!(id_key(42), "0000000042");
        assert_eq!(parse_id_key(&id_key(u32::MAX)).ok(), Some(u32::MAX));
        assert_eq!(hex(&[0, 1, 0xab, 0xff]), "0001abff");
        let s = stamp(-5, b"xy");
        assert_eq!(unstamp(&s).ok(), Some((-5, &b"xy"[..])));
        assert!(unstamp(b"short").is_err());
    }
}

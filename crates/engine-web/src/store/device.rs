//! The device record (our own keys and pairing) and message secrets.

use super::{compound, count, decode, encode, ns, KvBackend};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use whatsapp_rust::store::error::Result;
use whatsapp_rust::store::traits::{
    merge_msg_secret_expiry, merge_msg_secret_message_ts, DeviceStore, MsgSecretEntry, MsgSecretStore,
};
use whatsapp_rust::wacore::store::Device;

/// The single key of [`ns::DEVICE`].
const DEVICE_KEY: &str = "device";

#[derive(Serialize, Deserialize)]
struct SecretRow {
    secret: Vec<u8>,
    /// Seconds; 0 = never expires.
    expires_at: i64,
    message_ts: i64,
}

#[async_trait]
impl MsgSecretStore for KvBackend {
    /// Merges with what is stored, as wacore's stores do: the secret is replaced, the
    /// expiry and message time are combined.
    async fn put_msg_secrets(&self, entries: Vec<MsgSecretEntry>) -> Result<usize> {
        let stored = entries.len();
        let _guard = self.rmw.lock().await;
        let mut rows: BTreeMap<String, SecretRow> = BTreeMap::new();
        for e in entries {
            let key = compound(&[&e.chat, &e.sender, &e.msg_id]);
            let existing = match rows.remove(&key) {
                Some(row) => Some(row),
                None => self.get_json::<SecretRow>(ns::MSG_SECRET, &key).await?,
            };
            let row = match existing {
                Some(old) => SecretRow {
                    secret: e.secret.to_vec(),
                    expires_at: merge_msg_secret_expiry(old.expires_at, e.expires_at),
                    message_ts: merge_msg_secret_message_ts(old.message_ts, e.message_ts),
                },
                None => SecretRow { secret: e.secret.to_vec(), expires_at: e.expires_at, message_ts: e.message_ts },
            };
            rows.insert(key, row);
        }
        let batch = rows.iter().map(|(k, row)| Ok((k.clone(), encode(row)?))).collect::<Result<Vec<_>>>()?;
        self.put_many(ns::MSG_SECRET, &batch).await?;
        Ok(stored)
    }

    async fn get_msg_secret(&self, chat: &str, sender: &str, msg_id: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get_msg_secret_with_ts(chat, sender, msg_id).await?.map(|(secret, _)| secret))
    }

    async fn get_msg_secret_with_ts(&self, chat: &str, sender: &str, msg_id: &str) -> Result<Option<(Vec<u8>, i64)>> {
        let row: Option<SecretRow> = self.get_json(ns::MSG_SECRET, &compound(&[chat, sender, msg_id])).await?;
        Ok(row.map(|r| (r.secret, r.message_ts)))
    }

    /// Keeps secrets that never expire (0) or expire after the cutoff.
    async fn delete_expired_msg_secrets(&self, cutoff_timestamp: i64) -> Result<u32> {
        let mut deleted = 0;
        for (key, value) in self.list(ns::MSG_SECRET).await? {
            let row: SecretRow = decode(&value)?;
            if row.expires_at != 0 && row.expires_at <= cutoff_timestamp {
                self.delete(ns::MSG_SECRET, &key).await?;
                deleted += 1;
            }
        }
        Ok(count(deleted))
    }
}

#[async_trait]
impl DeviceStore for KvBackend {
    async fn save(&self, device: &Device) -> Result<()> {
        self.put_json(ns::DEVICE, DEVICE_KEY, device).await
    }

    async fn load(&self) -> Result<Option<Device>> {
        self.get_json(ns::DEVICE, DEVICE_KEY).await
    }

    async fn exists(&self) -> Result<bool> {
        Ok(self.get(ns::DEVICE, DEVICE_KEY).await?.is_some())
    }

    /// Called once when no device record exists: generate the keys now and store them at
    /// once, so the identity survives even a crash before the client's first save.
    async fn create(&self) -> Result<i32> {
        if !self.exists().await? {
            self.save(&Device::new()).await?;
        }
        // The library only logs this id; ours is an i64.
        Ok(i32::try_from(self.device.0).unwrap_or(i32::MAX))
    }
}

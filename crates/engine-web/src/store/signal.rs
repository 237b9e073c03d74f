//! Signal protocol state: identities, sessions, pre-keys, signed pre-keys, sender keys.

use super::{id_key, ns, parse_id_key, KvBackend};
use async_trait::async_trait;
use std::sync::Arc;
use whatsapp_rust::bytes::Bytes;
use whatsapp_rust::store::error::{Result, StoreError};
use whatsapp_rust::store::traits::SignalStore;

/// A one-time pre-key is stored as one flag byte (1 = uploaded to the server) and the
/// record, so marking keys uploaded needs no second namespace.
fn prekey_value(record: &[u8], uploaded: bool) -> Vec<u8> {
    let mut v = Vec::with_capacity(record.len() + 1);
    v.push(u8::from(uploaded));
    v.extend_from_slice(record);
    v
}

fn prekey_record(value: &[u8]) -> Result<(bool, &[u8])> {
    let (flag, record) = value.split_first().ok_or_else(|| StoreError::Validation("empty pre-key value".into()))?;
    Ok((*flag == 1, record))
}

#[async_trait]
impl SignalStore for KvBackend {
    async fn put_identity(&self, address: &str, key: [u8; 32]) -> Result<()> {
        self.put(ns::IDENTITY, address, &key).await
    }

    async fn put_identities_batch(&self, identities: &[(Arc<str>, [u8; 32])]) -> Result<()> {
        let entries: Vec<_> = identities.iter().map(|(a, k)| (a.to_string(), k.to_vec())).collect();
        self.put_many(ns::IDENTITY, &entries).await
    }

    async fn load_identity(&self, address: &str) -> Result<Option<[u8; 32]>> {
        match self.get(ns::IDENTITY, address).await? {
            None => Ok(None),
            Some(v) => <[u8; 32]>::try_from(v.as_slice())
                .map(Some)
                .map_err(|_| StoreError::Validation(format!("identity key of {address} is {} bytes, not 32", v.len()))),
        }
    }

    async fn delete_identity(&self, address: &str) -> Result<()> {
        self.delete(ns::IDENTITY, address).await
    }

    async fn get_session(&self, address: &str) -> Result<Option<Bytes>> {
        Ok(self.get(ns::SESSION, address).await?.map(Bytes::from))
    }

    async fn put_session(&self, address: &str, session: &[u8]) -> Result<()> {
        self.put(ns::SESSION, address, session).await
    }

    async fn put_sessions_batch(&self, sessions: &[(Arc<str>, Bytes)]) -> Result<()> {
        let entries: Vec<_> = sessions.iter().map(|(a, s)| (a.to_string(), s.to_vec())).collect();
        self.put_many(ns::SESSION, &entries).await
    }

    async fn delete_session(&self, address: &str) -> Result<()> {
        self.delete(ns::SESSION, address).await
    }

    // `has_signal_state_for_user` keeps the library's conservative default (`true`): a real
    // answer would list every session and identity of the device (values included) on each
    // call, which costs more than the few per-device `get_session`s it would save.

    async fn store_prekey(&self, id: u32, record: &[u8], uploaded: bool) -> Result<()> {
        self.put(ns::PREKEY, &id_key(id), &prekey_value(record, uploaded)).await
    }

    async fn store_prekeys_batch(&self, keys: &[(u32, Bytes)], uploaded: bool) -> Result<()> {
        let entries: Vec<_> = keys.iter().map(|(id, r)| (id_key(*id), prekey_value(r, uploaded))).collect();
        self.put_many(ns::PREKEY, &entries).await
    }

    async fn load_prekey(&self, id: u32) -> Result<Option<Bytes>> {
        match self.get(ns::PREKEY, &id_key(id)).await? {
            None => Ok(None),
            Some(v) => Ok(Some(Bytes::copy_from_slice(prekey_record(&v)?.1))),
        }
    }

    /// Only keys that still exist are marked: a key consumed meanwhile stays gone.
    async fn mark_prekeys_uploaded(&self, ids: &[u32]) -> Result<()> {
        let _guard = self.rmw.lock().await;
        let mut entries = Vec::new();
        for id in ids {
            let key = id_key(*id);
            if let Some(v) = self.get(ns::PREKEY, &key).await? {
                let (uploaded, record) = prekey_record(&v)?;
                if !uploaded {
                    entries.push((key, prekey_value(record, true)));
                }
            }
        }
        self.put_many(ns::PREKEY, &entries).await
    }

    async fn remove_prekey(&self, id: u32) -> Result<()> {
        self.delete(ns::PREKEY, &id_key(id)).await
    }

    async fn get_max_prekey_id(&self) -> Result<u32> {
        // Keys are zero-padded and listed in key order, so the last one is the highest.
        match self.list(ns::PREKEY).await?.last() {
            None => Ok(0),
            Some((k, _)) => parse_id_key(k),
        }
    }

    async fn store_signed_prekey(&self, id: u32, record: &[u8]) -> Result<()> {
        self.put(ns::SIGNED_PREKEY, &id_key(id), record).await
    }

    async fn load_signed_prekey(&self, id: u32) -> Result<Option<Vec<u8>>> {
        self.get(ns::SIGNED_PREKEY, &id_key(id)).await
    }

    async fn load_all_signed_prekeys(&self) -> Result<Vec<(u32, Vec<u8>)>> {
        self.list(ns::SIGNED_PREKEY).await?.into_iter().map(|(k, v)| Ok((parse_id_key(&k)?, v))).collect()
    }

    async fn remove_signed_prekey(&self, id: u32) -> Result<()> {
        self.delete(ns::SIGNED_PREKEY, &id_key(id)).await
    }

    async fn put_sender_key(&self, address: &str, record: &[u8]) -> Result<()> {
        self.put(ns::SENDER_KEY, address, record).await
    }

    async fn put_sender_keys_batch(&self, sender_keys: &[(Arc<str>, Bytes)]) -> Result<()> {
        let entries: Vec<_> = sender_keys.iter().map(|(a, r)| (a.to_string(), r.to_vec())).collect();
        self.put_many(ns::SENDER_KEY, &entries).await
    }

    async fn get_sender_key(&self, address: &str) -> Result<Option<Vec<u8>>> {
        self.get(ns::SENDER_KEY, address).await
    }

    async fn delete_sender_key(&self, address: &str) -> Result<()> {
        self.delete(ns::SENDER_KEY, address).await
    }
}

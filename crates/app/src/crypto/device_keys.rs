//! The web engine's key store: its device state in our database (SQLite or PostgreSQL),
//! each value encrypted with the server's secret key and bound to its row.

use crate::crypto::SecretBox;
use async_trait::async_trait;
use domain::DeviceId;
use engine_web::kv::{KeyValueStore, KvError};
use store::Store;

pub struct EncryptedKeyStore {
    store: Store,
    secrets: SecretBox,
}

impl EncryptedKeyStore {
    pub fn new(store: Store, secrets: SecretBox) -> Self {
        EncryptedKeyStore { store, secrets }
    }

    fn seal(&self, device: DeviceId, namespace: &str, key: &str, value: &[u8]) -> Result<Vec<u8>, KvError> {
        self.secrets.seal(value, &place(device, namespace, key)).map_err(|e| KvError(e.to_string()))
    }

    fn open(&self, device: DeviceId, namespace: &str, key: &str, sealed: &[u8]) -> Result<Vec<u8>, KvError> {
        self.secrets.open(sealed, &place(device, namespace, key)).map_err(|e| KvError(e.to_string()))
    }
}

/// What a value is bound to: moving it to another row makes it undecryptable.
fn place(device: DeviceId, namespace: &str, key: &str) -> Vec<u8> {
    format!("wa/{device}/{namespace}/{key}").into_bytes()
}

fn db(e: store::StoreError) -> KvError {
    KvError(e.to_string())
}

#[async_trait]
impl KeyValueStore for EncryptedKeyStore {
    async fn get(&self, device: DeviceId, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        match self.store.wa_key(device, namespace, key).await.map_err(db)? {
            Some(sealed) => Ok(Some(self.open(device, namespace, key, &sealed)?)),
            None => Ok(None),
        }
    }

    async fn put(&self, device: DeviceId, namespace: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        let sealed = self.seal(device, namespace, key, value)?;
        self.store.put_wa_keys(device, namespace, &[(key.to_string(), sealed)]).await.map_err(db)
    }

    async fn put_many(&self, device: DeviceId, namespace: &str, entries: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        let sealed = entries
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.seal(device, namespace, k, v)?)))
            .collect::<Result<Vec<_>, KvError>>()?;
        self.store.put_wa_keys(device, namespace, &sealed).await.map_err(db)
    }

    async fn delete(&self, device: DeviceId, namespace: &str, key: &str) -> Result<(), KvError> {
        self.store.delete_wa_key(device, namespace, key).await.map_err(db)
    }

    async fn list(&self, device: DeviceId, namespace: &str) -> Result<Vec<(String, Vec<u8>)>, KvError> {
        let rows = self.store.wa_keys(device, namespace).await.map_err(db)?;
        rows.into_iter().map(|(k, sealed)| Ok((k.clone(), self.open(device, namespace, &k, &sealed)?))).collect()
    }

    async fn delete_namespace(&self, device: DeviceId, namespace: &str) -> Result<(), KvError> {
        self.store.delete_wa_namespace(device, namespace).await.map_err(db)
    }

    async fn wipe(&self, device: DeviceId) -> Result<(), KvError> {
        self.store.wipe_wa_keys(device).await.map_err(db)
    }
}

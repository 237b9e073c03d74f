//! The storage this engine needs from its host: opaque bytes under (device, namespace, key).

use async_trait::async_trait;
use domain::DeviceId;
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("key store: {0}")]
pub struct KvError(pub String);

/// Per-device key-value storage. Values are opaque to the host; the host may encrypt them.
#[async_trait]
pub trait KeyValueStore: Send + Sync + 'static {
    async fn get(&self, device: DeviceId, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    async fn put(&self, device: DeviceId, namespace: &str, key: &str, value: &[u8]) -> Result<(), KvError>;
    /// Many values of one namespace at once (pre-key batches), in one transaction.
    async fn put_many(&self, device: DeviceId, namespace: &str, entries: &[(String, Vec<u8>)]) -> Result<(), KvError>;
    async fn delete(&self, device: DeviceId, namespace: &str, key: &str) -> Result<(), KvError>;
    /// Every (key, value) of a namespace, ordered by key.
    async fn list(&self, device: DeviceId, namespace: &str) -> Result<Vec<(String, Vec<u8>)>, KvError>;
    async fn delete_namespace(&self, device: DeviceId, namespace: &str) -> Result<(), KvError>;
    /// Everything of a device: called when it is deleted or logged out.
    async fn wipe(&self, device: DeviceId) -> Result<(), KvError>;
}

/// An in-memory [`KeyValueStore`] for tests and benchmarks.
#[derive(Default)]
pub struct MemoryKv {
    data: Mutex<BTreeMap<(i64, String, String), Vec<u8>>>,
}

impl MemoryKv {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(i64, String, String), Vec<u8>>> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many values are stored for `device`.
    pub fn count(&self, device: DeviceId) -> usize {
        self.lock().keys().filter(|(d, _, _)| *d == device.0).count()
    }
}

#[async_trait]
impl KeyValueStore for MemoryKv {
    async fn get(&self, device: DeviceId, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.lock().get(&(device.0, namespace.to_string(), key.to_string())).cloned())
    }

    async fn put(&self, device: DeviceId, namespace: &str, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.lock().insert((device.0, namespace.to_string(), key.to_string()), value.to_vec());
        Ok(())
    }

    async fn put_many(&self, device: DeviceId, namespace: &str, entries: &[(String, Vec<u8>)]) -> Result<(), KvError> {
        let mut data = self.lock();
        for (k, v) in entries {
            data.insert((device.0, namespace.to_string(), k.clone()), v.clone());
        }
        Ok(())
    }

    async fn delete(&self, device: DeviceId, namespace: &str, key: &str) -> Result<(), KvError> {
        self.lock().remove(&(device.0, namespace.to_string(), key.to_string()));
        Ok(())
    }

    async fn list(&self, device: DeviceId, namespace: &str) -> Result<Vec<(String, Vec<u8>)>, KvError> {
        Ok(self
            .lock()
            .iter()
            .filter(|((d, ns, _), _)| *d == device.0 && ns == namespace)
            .map(|((_, _, k), v)| (k.clone(), v.clone()))
            .collect())
    }

    async fn delete_namespace(&self, device: DeviceId, namespace: &str) -> Result<(), KvError> {
        self.lock().retain(|(d, ns, _), _| !(*d == device.0 && ns == namespace));
        Ok(())
    }

    async fn wipe(&self, device: DeviceId) -> Result<(), KvError> {
        self.lock().retain(|(d, _, _), _| *d != device.0);
        Ok(())
    }
}

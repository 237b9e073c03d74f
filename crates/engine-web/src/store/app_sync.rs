//! App-state sync (contacts, chat settings): sync keys, collection versions, mutation MACs.

use super::{hex, ns, KvBackend};
use async_trait::async_trait;
use whatsapp_rust::store::error::Result;
use whatsapp_rust::store::traits::{AppStateSyncKey, AppSyncStore};
use whatsapp_rust::wacore::appstate::hash::HashState;
use whatsapp_rust::wacore::appstate::processor::AppStateMutationMAC;

/// The single key of [`ns::APP_SYNC_LATEST`].
const LATEST: &str = "latest";

fn mac_namespace(collection: &str) -> String {
    format!("{}{collection}", ns::MUTATION_MAC_PREFIX)
}

#[async_trait]
impl AppSyncStore for KvBackend {
    async fn get_sync_key(&self, key_id: &[u8]) -> Result<Option<AppStateSyncKey>> {
        self.get_json(ns::APP_SYNC_KEY, &hex(key_id)).await
    }

    /// The most recently stored key is the latest one (as in wacore's in-memory store).
    async fn set_sync_key(&self, key_id: &[u8], key: AppStateSyncKey) -> Result<()> {
        self.put_json(ns::APP_SYNC_KEY, &hex(key_id), &key).await?;
        self.put(ns::APP_SYNC_LATEST, LATEST, key_id).await
    }

    async fn get_version(&self, name: &str) -> Result<HashState> {
        Ok(self.get_json(ns::APP_SYNC_VERSION, name).await?.unwrap_or_default())
    }

    async fn set_version(&self, name: &str, state: HashState) -> Result<()> {
        self.put_json(ns::APP_SYNC_VERSION, name, &state).await
    }

    async fn put_mutation_macs(&self, name: &str, _version: u64, mutations: &[AppStateMutationMAC]) -> Result<()> {
        let entries: Vec<_> = mutations.iter().map(|m| (hex(&m.index_mac), m.value_mac.clone())).collect();
        self.put_many(&mac_namespace(name), &entries).await
    }

    async fn get_mutation_mac(&self, name: &str, index_mac: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get(&mac_namespace(name), &hex(index_mac)).await
    }

    async fn delete_mutation_macs(&self, name: &str, index_macs: &[Vec<u8>]) -> Result<()> {
        let namespace = mac_namespace(name);
        for index_mac in index_macs {
            self.delete(&namespace, &hex(index_mac)).await?;
        }
        Ok(())
    }

    async fn clear_mutation_macs(&self, name: &str) -> Result<()> {
        self.delete_namespace(&mac_namespace(name)).await
    }

    async fn get_latest_sync_key_id(&self) -> Result<Option<Vec<u8>>> {
        self.get(ns::APP_SYNC_LATEST, LATEST).await
    }
}

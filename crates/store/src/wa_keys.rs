//! Raw storage for the web engine's device state: bytes under (device, namespace, key).
//! The server encrypts values before they reach these functions.

use crate::{on_db, Result, Store};
use domain::DeviceId;

const UPSERT: &str = "INSERT INTO wa_keys (device_id, namespace, key, value) VALUES ($1, $2, $3, $4)
    ON CONFLICT (device_id, namespace, key) DO UPDATE SET value = excluded.value";

impl Store {
    pub async fn wa_key(&self, device: DeviceId, namespace: &str, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT value FROM wa_keys WHERE device_id = $1 AND namespace = $2 AND key = $3")
            .bind(device.0)
            .bind(namespace)
            .bind(key)
            .fetch_optional(pool)
            .await)?)
    }

    /// Writes all `entries` of one namespace in one transaction.
    pub async fn put_wa_keys(&self, device: DeviceId, namespace: &str, entries: &[(String, Vec<u8>)]) -> Result<()> {
        on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            for (key, value) in entries {
                sqlx::query(UPSERT).bind(device.0).bind(namespace).bind(key).bind(value).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn delete_wa_key(&self, device: DeviceId, namespace: &str, key: &str) -> Result<()> {
        on_db!(self, write, pool => sqlx::query("DELETE FROM wa_keys WHERE device_id = $1 AND namespace = $2 AND key = $3")
            .bind(device.0)
            .bind(namespace)
            .bind(key)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Every (key, value) of a namespace, ordered by key.
    pub async fn wa_keys(&self, device: DeviceId, namespace: &str) -> Result<Vec<(String, Vec<u8>)>> {
        Ok(on_db!(self, read, pool => sqlx::query_as(
            "SELECT key, value FROM wa_keys WHERE device_id = $1 AND namespace = $2 ORDER BY key")
            .bind(device.0)
            .bind(namespace)
            .fetch_all(pool)
            .await)?)
    }

    pub async fn delete_wa_namespace(&self, device: DeviceId, namespace: &str) -> Result<()> {
        on_db!(self, write, pool => sqlx::query("DELETE FROM wa_keys WHERE device_id = $1 AND namespace = $2")
            .bind(device.0)
            .bind(namespace)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Deletes every stored value of a device.
    pub async fn wipe_wa_keys(&self, device: DeviceId) -> Result<()> {
        on_db!(self, write, pool => sqlx::query("DELETE FROM wa_keys WHERE device_id = $1")
            .bind(device.0)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}

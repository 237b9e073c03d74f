//! The numbers `/metrics` reads at scrape time. Each is one indexed query whose cost follows
//! the number of devices or of rows still waiting, never the size of the message history:
//! `messages_pending_out` and `webhook_deliveries_due` index exactly the waiting rows.

use crate::{on_db, Result, Store};
use domain::DeviceStatus;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformGauges {
    /// Stored device statuses and how many devices have each; absent statuses have none.
    pub devices: Vec<(DeviceStatus, i64)>,
    /// Outgoing messages with status `pending`.
    pub pending_messages: i64,
    /// Webhook deliveries with status `pending` (due now or waiting for a retry).
    pub pending_deliveries: i64,
}

impl Store {
    pub async fn platform_gauges(&self) -> Result<PlatformGauges> {
        let rows: Vec<(String, i64)> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT status, COUNT(*) FROM devices GROUP BY status"
        )
        .fetch_all(pool)
        .await?);
        let devices = rows.into_iter().filter_map(|(s, n)| s.parse::<DeviceStatus>().ok().map(|s| (s, n))).collect();
        let pending_messages: i64 = on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'pending'"
        )
        .fetch_one(pool)
        .await?);
        let pending_deliveries: i64 = on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'"
        )
        .fetch_one(pool)
        .await?);
        Ok(PlatformGauges { devices, pending_messages, pending_deliveries })
    }
}

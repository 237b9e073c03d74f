//! Devices (one WhatsApp session per outlet) and their connection history.
//!
//! Only the session manager changes a device's status, through [`Store::record_device_change`],
//! which writes the new status and its history row in one transaction.

use crate::deliveries::{enqueue, WebhookEvent};
use crate::{on_db, Page, Paged, Refusal, Result, Store, StoreError, Taken};
use domain::{DeviceId, DeviceStatus, EngineKind, EventKind, OutletId, Scope, Timestamp, UserId};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Device {
    pub id: DeviceId,
    pub outlet_id: OutletId,
    pub owner_id: UserId,
    /// The outlet's number (E.164), which the paired account must match.
    pub wa_number: String,
    pub engine: EngineKind,
    pub status: DeviceStatus,
    pub status_reason: String,
    pub retries: i64,
    /// The paired WhatsApp account as digits; `None` until a phone links the device.
    pub paired_account: Option<String>,
    /// Why the device was unlinked by us (e.g. the wrong number paired), shown on the outlet.
    pub unlinked_reason: String,
    pub last_connected_at: Option<Timestamp>,
    pub status_changed_at: Timestamp,
    pub created_at: Timestamp,
}

pub struct NewDevice {
    pub outlet_id: OutletId,
    pub engine: EngineKind,
    pub paired_account: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ConnectionEvent {
    pub id: i64,
    pub device_id: DeviceId,
    pub from: DeviceStatus,
    pub to: DeviceStatus,
    pub reason: String,
    pub at: Timestamp,
}

/// A status change and what comes with it.
#[derive(Debug, Clone, Default)]
pub struct DeviceChange {
    pub reason: String,
    pub reset_retries: bool,
    /// `Some(None)` forgets the pairing, `Some(Some(n))` records it.
    pub paired_account: Option<Option<String>>,
    pub unlinked_reason: Option<String>,
    /// An expected change that warrants no alert to the owner's integrations (the restart's
    /// reconciliation: the device reconnects at once).
    pub quiet: bool,
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    id: i64,
    outlet_id: i64,
    owner_id: i64,
    wa_number: String,
    engine: String,
    status: String,
    status_reason: String,
    retries: i64,
    paired_account: Option<String>,
    unlinked_reason: String,
    last_connected_at: Option<i64>,
    status_changed_at: i64,
    created_at: i64,
}

fn corrupt(e: domain::UnknownValue) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl TryFrom<DeviceRow> for Device {
    type Error = StoreError;
    fn try_from(r: DeviceRow) -> Result<Device> {
        Ok(Device {
            id: DeviceId(r.id),
            outlet_id: OutletId(r.outlet_id),
            owner_id: UserId(r.owner_id),
            wa_number: r.wa_number,
            engine: r.engine.parse().map_err(corrupt)?,
            status: r.status.parse().map_err(corrupt)?,
            status_reason: r.status_reason,
            retries: r.retries,
            paired_account: r.paired_account,
            unlinked_reason: r.unlinked_reason,
            last_connected_at: r.last_connected_at.map(Timestamp),
            status_changed_at: Timestamp(r.status_changed_at),
            created_at: Timestamp(r.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    device_id: i64,
    from_status: String,
    to_status: String,
    reason: String,
    at: i64,
}

const SELECT: &str = "SELECT d.id, d.outlet_id, o.owner_id, o.wa_number, d.engine, d.status, d.status_reason,
        d.retries, d.paired_account, d.unlinked_reason, d.last_connected_at, d.status_changed_at, d.created_at
    FROM devices d JOIN outlets o ON o.id = d.outlet_id";

impl Store {
    /// Creates the device of an outlet; `Conflict` if the outlet already has one.
    pub async fn create_device(&self, new: NewDevice, now: Timestamp) -> Result<Device> {
        let id: i64 = on_db!(self, write, pool => sqlx::query_scalar(
            "INSERT INTO devices (outlet_id, engine, paired_account, status_changed_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4, $4) RETURNING id")
            .bind(new.outlet_id.0)
            .bind(new.engine.as_str())
            .bind(new.paired_account)
            .bind(now.millis())
            .fetch_one(pool)
            .await)
        .map_err(|e| StoreError::from(e).conflict_as(Taken::OutletDevice))?;
        self.device(domain::policy::system_scope(), DeviceId(id)).await?.ok_or(StoreError::NotFound)
    }

    pub async fn device(&self, scope: Scope, id: DeviceId) -> Result<Option<Device>> {
        let sql = format!("{SELECT} WHERE d.id = $1 AND ($2 IS NULL OR o.owner_id = $2)");
        let row: Option<DeviceRow> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(id.0)
            .bind(scope.owner().map(|u| u.0))
            .fetch_optional(pool)
            .await)?;
        row.map(Device::try_from).transpose()
    }

    pub async fn device_of_outlet(&self, scope: Scope, outlet: OutletId) -> Result<Option<Device>> {
        let sql = format!("{SELECT} WHERE d.outlet_id = $1 AND ($2 IS NULL OR o.owner_id = $2)");
        let row: Option<DeviceRow> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(outlet.0)
            .bind(scope.owner().map(|u| u.0))
            .fetch_optional(pool)
            .await)?;
        row.map(Device::try_from).transpose()
    }

    /// Every device, for the session manager at start and for reconciliation.
    pub async fn all_devices(&self) -> Result<Vec<Device>> {
        let sql = format!("{SELECT} ORDER BY d.id");
        let rows: Vec<DeviceRow> = on_db!(self, read, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
        rows.into_iter().map(Device::try_from).collect()
    }

    /// Moves a device from `from` to `to` and appends the history row, in one transaction.
    /// Refused when the stored status is no longer `from`: the caller's view is stale.
    pub async fn record_device_change(
        &self,
        id: DeviceId,
        from: DeviceStatus,
        to: DeviceStatus,
        change: &DeviceChange,
        now: Timestamp,
    ) -> Result<()> {
        let connected = to == DeviceStatus::Connected;
        let (set_pairing, pairing) = match &change.paired_account {
            Some(p) => (true, p.clone()),
            None => (false, None),
        };
        let written = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let owned: Option<(i64, i64)> = sqlx::query_as(
                "UPDATE devices SET status = $3, status_reason = $4, status_changed_at = $5, updated_at = $5,
                     retries = CASE WHEN $6 THEN 0 ELSE retries END,
                     last_connected_at = CASE WHEN $7 THEN $5 ELSE last_connected_at END,
                     paired_account = CASE WHEN $8 THEN $9 ELSE paired_account END,
                     unlinked_reason = COALESCE($10, unlinked_reason)
                 WHERE id = $1 AND status = $2
                 RETURNING outlet_id, (SELECT owner_id FROM outlets o WHERE o.id = outlet_id)")
                .bind(id.0)
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(&change.reason)
                .bind(now.millis())
                .bind(change.reset_retries)
                .bind(connected)
                .bind(set_pairing)
                .bind(pairing)
                .bind(change.unlinked_reason.as_deref())
                .fetch_optional(&mut *tx)
                .await?;
            let Some((outlet, owner)) = owned else {
                tracing::debug!(device = %id, %from, "status changed meanwhile");
                return Err(StoreError::Refused(Refusal::StatusChanged));
            };
            sqlx::query("INSERT INTO connection_events (device_id, from_status, to_status, reason, at) VALUES ($1, $2, $3, $4, $5)")
                .bind(id.0)
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(&change.reason)
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
            let data = serde_json::json!({
                "device_id": id, "outlet_id": outlet, "status": to, "from": from, "reason": change.reason, "at": now,
            });
            let event = WebhookEvent::new(UserId(owner), EventKind::DeviceStatus, &data, now)
                .forwarded(domain::ForwardEvent::of_device_status(from, to).filter(|_| !change.quiet), Some(OutletId(outlet)));
            let written = enqueue!(tx, event, now)?;
            tx.commit().await?;
            written
        });
        self.announce_deliveries(written);
        Ok(())
    }

    /// Counts one more reconnect attempt; returns the new count.
    pub async fn increment_device_retries(&self, id: DeviceId, now: Timestamp) -> Result<i64> {
        let n: Option<i64> = on_db!(self, write, pool => sqlx::query_scalar(
            "UPDATE devices SET retries = retries + 1, updated_at = $2 WHERE id = $1 RETURNING retries")
            .bind(id.0)
            .bind(now.millis())
            .fetch_optional(pool)
            .await)?;
        n.ok_or(StoreError::NotFound)
    }

    pub async fn device_history(&self, scope: Scope, id: DeviceId, page: Page) -> Result<Paged<ConnectionEvent>> {
        let owned = "EXISTS (SELECT 1 FROM devices d JOIN outlets o ON o.id = d.outlet_id
                     WHERE d.id = $1 AND ($2 IS NULL OR o.owner_id = $2))";
        let list = format!(
            "SELECT id, device_id, from_status, to_status, reason, at FROM connection_events
             WHERE device_id = $1 AND {owned} ORDER BY id DESC LIMIT $3 OFFSET $4"
        );
        let count = format!("SELECT COUNT(*) FROM connection_events WHERE device_id = $1 AND {owned}");
        let owner = scope.owner().map(|u| u.0);
        let (rows, total): (Vec<EventRow>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list).bind(id.0).bind(owner).bind(page.limit()).bind(page.offset()).fetch_all(pool).await?;
            let total = sqlx::query_scalar(&count).bind(id.0).bind(owner).fetch_one(pool).await?;
            (rows, total)
        });
        let items = rows
            .into_iter()
            .map(|r| {
                Ok(ConnectionEvent {
                    id: r.id,
                    device_id: DeviceId(r.device_id),
                    from: r.from_status.parse().map_err(corrupt)?,
                    to: r.to_status.parse().map_err(corrupt)?,
                    reason: r.reason,
                    at: Timestamp(r.at),
                })
            })
            .collect::<Result<_>>()?;
        Ok(Paged::new(items, total, page))
    }

    pub async fn delete_device(&self, scope: Scope, id: DeviceId) -> Result<()> {
        let done = on_db!(self, write, pool => sqlx::query(
            "DELETE FROM devices WHERE id = $1 AND ($2 IS NULL OR outlet_id IN (SELECT id FROM outlets WHERE owner_id = $2))")
            .bind(id.0)
            .bind(scope.owner().map(|u| u.0))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        crate::error::touched(done)
    }
}

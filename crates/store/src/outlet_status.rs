//! The rows behind the outlet connection status page: every outlet in scope with its device,
//! in one query whatever the number of outlets.

use crate::paging::contains_pattern;
use crate::{on_db, Result, Store, StoreError};
use domain::{DeviceId, DeviceStatus, EngineKind, OutletId, Scope, Timestamp, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutletStatusRow {
    pub outlet_id: OutletId,
    pub name: String,
    pub city: String,
    pub wa_number: String,
    pub owner_id: UserId,
    pub owner_email: String,
    pub device_id: Option<DeviceId>,
    pub engine: Option<EngineKind>,
    pub status: Option<DeviceStatus>,
    pub status_reason: String,
    pub unlinked_reason: String,
    pub retries: i64,
    pub last_connected_at: Option<Timestamp>,
    pub status_changed_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct Row {
    outlet_id: i64,
    name: String,
    city: String,
    wa_number: String,
    owner_id: i64,
    owner_email: String,
    device_id: Option<i64>,
    engine: Option<String>,
    status: Option<String>,
    status_reason: Option<String>,
    unlinked_reason: Option<String>,
    retries: Option<i64>,
    last_connected_at: Option<i64>,
    status_changed_at: Option<i64>,
}

impl Store {
    /// Every outlet in `scope` whose name, city or number contains `search`, with its device.
    pub async fn outlet_statuses(&self, scope: Scope, search: Option<&str>) -> Result<Vec<OutletStatusRow>> {
        let pattern = contains_pattern(search);
        let rows: Vec<Row> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT o.id AS outlet_id, o.name, o.city, o.wa_number, o.owner_id, u.email AS owner_email,
                    d.id AS device_id, d.engine, d.status, d.status_reason, d.unlinked_reason, d.retries,
                    d.last_connected_at, d.status_changed_at
             FROM outlets o
             JOIN users u ON u.id = o.owner_id
             LEFT JOIN devices d ON d.outlet_id = o.id
             WHERE ($1 IS NULL OR o.owner_id = $1)
               AND ($2 IS NULL OR lower(o.name) LIKE $2 ESCAPE '\\' OR lower(o.city) LIKE $2 ESCAPE '\\'
                    OR o.wa_number LIKE $2 ESCAPE '\\')")
            .bind(scope.owner().map(|u| u.0))
            .bind(pattern.as_deref())
            .fetch_all(pool)
            .await)?;
        let corrupt = |e: domain::UnknownValue| StoreError::Corrupt(e.to_string());
        rows.into_iter()
            .map(|r| {
                Ok(OutletStatusRow {
                    outlet_id: OutletId(r.outlet_id),
                    name: r.name,
                    city: r.city,
                    wa_number: r.wa_number,
                    owner_id: UserId(r.owner_id),
                    owner_email: r.owner_email,
                    device_id: r.device_id.map(DeviceId),
                    engine: r.engine.map(|e| e.parse()).transpose().map_err(corrupt)?,
                    status: r.status.map(|s| s.parse()).transpose().map_err(corrupt)?,
                    status_reason: r.status_reason.unwrap_or_default(),
                    unlinked_reason: r.unlinked_reason.unwrap_or_default(),
                    retries: r.retries.unwrap_or(0),
                    last_connected_at: r.last_connected_at.map(Timestamp),
                    status_changed_at: r.status_changed_at.map(Timestamp),
                })
            })
            .collect()
    }
}

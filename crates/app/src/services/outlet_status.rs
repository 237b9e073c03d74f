//! The outlet connection status report (spec 000): every outlet's stored device status next to
//! whether its socket is live, with the disagreements fixed on the spot (live wins).
//!
//! One database query reads all outlets in scope with their devices; the live check is a memory
//! look-up in the session manager; only a disagreement costs a write (the fix and its history
//! row). Health filtering, sorting and paging then happen in memory, because "live" exists
//! only there.

use crate::error::ServiceResult;
use crate::sessions::{Sessions, RECONCILE_CONCURRENCY};
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{Actor, DeviceId, DeviceStatus, EngineKind, OutletId, Timestamp, UserId};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use store::{OutletStatusRow, Page};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Healthy,
    Problem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    #[default]
    Name,
    City,
    Status,
    /// Problems first.
    Health,
    LastConnected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

#[derive(Debug, Clone, Default)]
pub struct StatusQuery {
    pub search: Option<String>,
    pub health: Option<Health>,
    pub sort: SortBy,
    pub order: Order,
    pub page: Page,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutletHealth {
    pub id: OutletId,
    pub name: String,
    pub city: String,
    pub wa_number: String,
    /// The owner's e-mail.
    pub owner: String,
    pub owner_id: UserId,
    pub device_id: Option<DeviceId>,
    pub engine: Option<EngineKind>,
    /// The stored status after this check; `null` when the outlet has no device yet.
    pub db_status: Option<DeviceStatus>,
    /// The socket is open and logged in right now.
    pub live: bool,
    /// Stored `connected` and live: ready for broadcast.
    pub healthy: bool,
    /// `false` when the stored status disagreed with the socket: corrected by this check, or,
    /// when the device's session was too busy to answer in time, left for the next round.
    pub synced: bool,
    pub retries: i64,
    pub last_connected_at: Option<Timestamp>,
    pub status_changed_at: Option<Timestamp>,
    pub status_reason: String,
    pub unlinked_reason: String,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub total: usize,
    pub healthy: usize,
    pub problem: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusReport {
    /// Counts over every outlet matching `q`, before the health filter and paging.
    pub summary: Summary,
    pub checked_at: Timestamp,
    /// Outlets after the health filter, before paging.
    pub total: usize,
    pub page: u32,
    pub per_page: u32,
    pub outlets: Vec<OutletHealth>,
}

/// Outlets whose stored status disagrees with the socket are fixed several at once, each
/// waiting at most the sessions' `reconcile_timeout`: one busy device cannot hold up the report.
pub async fn check(state: &AppState, actor: Actor, query: &StatusQuery) -> ServiceResult<StatusReport> {
    let scope = whatsapp_scope(actor)?;
    let now = state.clock.now();
    let rows = state.store.outlet_statuses(scope, query.search.as_deref()).await?;
    let sessions = &state.sessions;
    let mut outlets: Vec<OutletHealth> = futures_util::stream::iter(rows)
        .map(|row| assess(sessions, row))
        .buffered(RECONCILE_CONCURRENCY)
        .collect()
        .await;
    let healthy = outlets.iter().filter(|o| o.healthy).count();
    let summary = Summary { total: outlets.len(), healthy, problem: outlets.len() - healthy };
    if let Some(want) = query.health {
        outlets.retain(|o| o.healthy == (want == Health::Healthy));
    }
    sort(&mut outlets, query.sort, query.order);
    let total = outlets.len();
    let start = usize::try_from(query.page.offset()).unwrap_or(usize::MAX).min(total);
    let end = start.saturating_add(query.page.size as usize).min(total);
    let outlets = outlets.drain(start..end).collect();
    Ok(StatusReport { summary, checked_at: now, total, page: query.page.number, per_page: query.page.size, outlets })
}

/// One outlet: compare the stored status with the socket, and have the session manager write
/// the truth when they disagree.
async fn assess(sessions: &Sessions, row: OutletStatusRow) -> OutletHealth {
    let mut db_status = row.status;
    let mut synced = true;
    let live = row.device_id.is_some_and(|id| sessions.is_live(id));
    if let (Some(id), Some(stored)) = (row.device_id, row.status) {
        if live != (stored == DeviceStatus::Connected) {
            synced = false;
            if let Some(fix) = sessions.reconcile(id).await {
                db_status = Some(fix.to);
            }
        }
    }
    OutletHealth {
        id: row.outlet_id,
        name: row.name,
        city: row.city,
        wa_number: row.wa_number,
        owner: row.owner_email,
        owner_id: row.owner_id,
        device_id: row.device_id,
        engine: row.engine,
        healthy: live && db_status == Some(DeviceStatus::Connected),
        db_status,
        live,
        synced,
        retries: row.retries,
        last_connected_at: row.last_connected_at,
        status_changed_at: row.status_changed_at,
        status_reason: row.status_reason,
        unlinked_reason: row.unlinked_reason,
    }
}

fn sort(outlets: &mut [OutletHealth], by: SortBy, order: Order) {
    let status_text = |o: &OutletHealth| o.db_status.map_or("", DeviceStatus::as_str);
    outlets.sort_by(|a, b| {
        let primary = match by {
            SortBy::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            SortBy::City => a.city.to_lowercase().cmp(&b.city.to_lowercase()),
            SortBy::Status => status_text(a).cmp(status_text(b)),
            SortBy::Health => a.healthy.cmp(&b.healthy),
            SortBy::LastConnected => a.last_connected_at.cmp(&b.last_connected_at),
        };
        let primary = if order == Order::Desc { primary.reverse() } else { primary };
        primary.then_with(|| a.name.cmp(&b.name)).then_with(|| a.id.cmp(&b.id))
    });
}

//! Recurring blasts: a rule (daily, weekly on days, monthly on a day) at a local time, with an
//! optional end or number of runs. Each run is its own blast, written in the transaction that
//! moves the schedule to its next run (so a run is made once, even with several nodes).

use crate::{on_db, Result, Store, StoreError};
use domain::{Recurrence, Scope, Timestamp, UserId};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BlastSchedule {
    pub id: i64,
    pub owner_id: UserId,
    pub name: String,
    pub recurrence: Recurrence,
    /// Local minutes after midnight.
    pub time_min: i64,
    pub time_zone: String,
    pub ends_at: Option<Timestamp>,
    pub max_runs: Option<i64>,
    pub runs: i64,
    /// None once it has ended.
    pub next_run_at: Option<Timestamp>,
    pub active: bool,
    /// The blast each run creates, as asked for.
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub struct NewSchedule<'a> {
    pub owner: UserId,
    pub name: &'a str,
    pub recurrence: &'a Recurrence,
    pub time_min: i64,
    pub time_zone: &'a str,
    pub ends_at: Option<Timestamp>,
    pub max_runs: Option<i64>,
    pub next_run_at: Timestamp,
    pub settings: &'a serde_json::Value,
}

/// Moves a schedule from the run being made to the next (`None`: it ends).
#[derive(Debug, Clone, Copy)]
pub struct ScheduleAdvance {
    pub schedule_id: i64,
    pub expected_next: Timestamp,
    pub next: Option<Timestamp>,
}

const COLUMNS: &str = "id, owner_id, name, recurrence, time_min, time_zone, ends_at, max_runs, runs, next_run_at,
    active, settings, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    owner_id: i64,
    name: String,
    recurrence: String,
    time_min: i64,
    time_zone: String,
    ends_at: Option<i64>,
    max_runs: Option<i64>,
    runs: i64,
    next_run_at: Option<i64>,
    active: bool,
    settings: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for BlastSchedule {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<BlastSchedule> {
        let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("blast schedule: {e}"));
        Ok(BlastSchedule {
            id: r.id,
            owner_id: UserId(r.owner_id),
            name: r.name,
            recurrence: serde_json::from_str(&r.recurrence).map_err(corrupt)?,
            time_min: r.time_min,
            time_zone: r.time_zone,
            ends_at: r.ends_at.map(Timestamp),
            max_runs: r.max_runs,
            runs: r.runs,
            next_run_at: r.next_run_at.map(Timestamp),
            active: r.active,
            settings: serde_json::from_str(&r.settings).map_err(corrupt)?,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

/// Inside a transaction: moves the schedule on, only if it still expects this run; evaluates
/// to whether it did.
macro_rules! advance {
    ($tx:expr, $a:expr, $now:expr) => {
        sqlx::query(
            "UPDATE blast_schedules SET runs = runs + 1, next_run_at = $3, active = $4, updated_at = $5
             WHERE id = $1 AND next_run_at = $2 AND active",
        )
        .bind($a.schedule_id)
        .bind($a.expected_next.millis())
        .bind($a.next.map(Timestamp::millis))
        .bind($a.next.is_some())
        .bind($now.millis())
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            == 1
    };
}
pub(crate) use advance;

impl Store {
    pub async fn create_blast_schedule(&self, new: NewSchedule<'_>, now: Timestamp) -> Result<BlastSchedule> {
        let sql = format!(
            "INSERT INTO blast_schedules (owner_id, name, recurrence, time_min, time_zone, ends_at, max_runs, next_run_at,
                 settings, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {COLUMNS}"
        );
        let recurrence = serde_json::to_string(new.recurrence).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let row: Row = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(new.owner.0).bind(new.name).bind(&recurrence).bind(new.time_min).bind(new.time_zone)
            .bind(new.ends_at.map(Timestamp::millis)).bind(new.max_runs).bind(new.next_run_at.millis())
            .bind(new.settings.to_string()).bind(now.millis())
            .fetch_one(pool).await)?;
        BlastSchedule::try_from(row)
    }

    pub async fn blast_schedule(&self, scope: Scope, id: i64) -> Result<Option<BlastSchedule>> {
        let sql = format!("SELECT {COLUMNS} FROM blast_schedules WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)");
        let row: Option<Row> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(id).bind(scope.owner().map(|u| u.0)).fetch_optional(pool).await)?;
        row.map(BlastSchedule::try_from).transpose()
    }

    /// The owner's schedules (scope: all for staff), newest first.
    pub async fn list_blast_schedules(&self, scope: Scope, page: crate::Page) -> Result<crate::Paged<BlastSchedule>> {
        let list = format!(
            "SELECT {COLUMNS} FROM blast_schedules WHERE ($1 IS NULL OR owner_id = $1) ORDER BY id DESC LIMIT $2 OFFSET $3"
        );
        let owner = scope.owner().map(|u| u.0);
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list).bind(owner).bind(page.limit()).bind(page.offset()).fetch_all(pool).await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM blast_schedules WHERE ($1 IS NULL OR owner_id = $1)")
                .bind(owner).fetch_one(pool).await?;
            (rows, total)
        });
        let items = rows.into_iter().map(BlastSchedule::try_from).collect::<Result<_>>()?;
        Ok(crate::Paged::new(items, total, page))
    }

    /// Active schedules whose next run is due.
    pub async fn due_blast_schedules(&self, now: Timestamp) -> Result<Vec<BlastSchedule>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM blast_schedules WHERE active AND next_run_at <= $1 ORDER BY next_run_at LIMIT 100"
        );
        let rows: Vec<Row> = on_db!(self, read, pool => sqlx::query_as(&sql).bind(now.millis()).fetch_all(pool).await)?;
        rows.into_iter().map(BlastSchedule::try_from).collect()
    }

    /// The earliest next run of an active schedule.
    pub async fn next_blast_schedule_run(&self) -> Result<Option<Timestamp>> {
        let at: Option<i64> = on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT MIN(next_run_at) FROM blast_schedules WHERE active").fetch_one(pool).await)?;
        Ok(at.map(Timestamp))
    }

    /// Ends a schedule: no further runs (runs made stay). `false` when not found.
    pub async fn stop_blast_schedule(&self, scope: Scope, id: i64, now: Timestamp) -> Result<bool> {
        let done = on_db!(self, write, pool => sqlx::query(
            "UPDATE blast_schedules SET active = FALSE, next_run_at = NULL, updated_at = $3
             WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)")
            .bind(id).bind(scope.owner().map(|u| u.0)).bind(now.millis()).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Ends a schedule whose run could not be made (its settings no longer hold).
    pub async fn end_blast_schedule(&self, id: i64, now: Timestamp) -> Result<()> {
        on_db!(self, write, pool => sqlx::query(
            "UPDATE blast_schedules SET active = FALSE, next_run_at = NULL, updated_at = $2 WHERE id = $1")
            .bind(id).bind(now.millis()).execute(pool).await.map(|_| ()))?;
        Ok(())
    }
}

impl Store {
    /// Moves a schedule past a run that could not be made (nothing else is written).
    pub async fn skip_blast_schedule_run(&self, advance: ScheduleAdvance, now: Timestamp) -> Result<bool> {
        Ok(on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let moved = advance!(tx, advance, now);
            tx.commit().await?;
            moved
        }))
    }
}

use crate::paging::contains_pattern;
use crate::{on_db, Page, Paged, Result, Store, StoreError, Taken};
use domain::{Label, OutletId, PhoneNumber, Scope, Timestamp, UserId};
use serde::Serialize;

/// A branch with its own WhatsApp number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Outlet {
    pub id: OutletId,
    pub owner_id: UserId,
    pub owner_email: String,
    pub name: String,
    pub city: String,
    pub wa_number: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub struct NewOutlet<'a> {
    pub owner: UserId,
    pub name: &'a Label,
    pub city: &'a Label,
    pub wa_number: &'a PhoneNumber,
}

#[derive(Default)]
pub struct OutletPatch<'a> {
    pub name: Option<&'a Label>,
    pub city: Option<&'a Label>,
    pub wa_number: Option<&'a PhoneNumber>,
}

#[derive(sqlx::FromRow)]
struct OutletRow {
    id: i64,
    owner_id: i64,
    owner_email: String,
    name: String,
    city: String,
    wa_number: String,
    created_at: i64,
    updated_at: i64,
}

impl From<OutletRow> for Outlet {
    fn from(r: OutletRow) -> Self {
        Outlet {
            id: OutletId(r.id),
            owner_id: UserId(r.owner_id),
            owner_email: r.owner_email,
            name: r.name,
            city: r.city,
            wa_number: r.wa_number,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        }
    }
}

const SELECT: &str = "SELECT o.id, o.owner_id, u.email AS owner_email, o.name, o.city, o.wa_number,
        o.created_at, o.updated_at
    FROM outlets o JOIN users u ON u.id = o.owner_id";

impl Store {
    pub async fn create_outlet(&self, new: NewOutlet<'_>, now: Timestamp) -> Result<Outlet> {
        let id: i64 = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            crate::billing::within_limit!(self, tx, new.owner, domain::Limit::Outlets, 1, now);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO outlets (owner_id, name, city, wa_number, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id")
                .bind(new.owner.0)
                .bind(new.name.as_str())
                .bind(new.city.as_str())
                .bind(new.wa_number.as_str())
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from(e).conflict_as(Taken::WaNumber))?;
            tx.commit().await?;
            id
        });
        self.outlet(domain::policy::system_scope(), OutletId(id)).await?.ok_or(StoreError::NotFound)
    }

    /// The outlet if it exists within `scope`; another tenant's outlet is simply not found.
    pub async fn outlet(&self, scope: Scope, id: OutletId) -> Result<Option<Outlet>> {
        let sql = format!("{SELECT} WHERE o.id = $1 AND ($2 IS NULL OR o.owner_id = $2)");
        let row: Option<OutletRow> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(id.0)
            .bind(scope.owner().map(|u| u.0))
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(Into::into))
    }

    /// Outlets in `scope` whose name, city or number contains `search`, by name.
    pub async fn list_outlets(&self, scope: Scope, search: Option<&str>, page: Page) -> Result<Paged<Outlet>> {
        let pattern = contains_pattern(search);
        let filter = "($1 IS NULL OR o.owner_id = $1) AND ($2 IS NULL OR lower(o.name) LIKE $2 ESCAPE '\\'
            OR lower(o.city) LIKE $2 ESCAPE '\\' OR o.wa_number LIKE $2 ESCAPE '\\')";
        let list = format!("{SELECT} WHERE {filter} ORDER BY o.name, o.id LIMIT $3 OFFSET $4");
        let count = format!("SELECT COUNT(*) FROM outlets o WHERE {filter}");
        let owner = scope.owner().map(|u| u.0);
        let (rows, total): (Vec<OutletRow>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list)
                .bind(owner)
                .bind(pattern.as_deref())
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(&count).bind(owner).bind(pattern.as_deref()).fetch_one(pool).await?;
            (rows, total)
        });
        Ok(Paged::new(rows.into_iter().map(Into::into).collect(), total, page))
    }

    pub async fn update_outlet(
        &self,
        scope: Scope,
        id: OutletId,
        patch: OutletPatch<'_>,
        now: Timestamp,
    ) -> Result<Outlet> {
        let done = on_db!(self, write, pool => sqlx::query(
            "UPDATE outlets SET name = COALESCE($3, name), city = COALESCE($4, city),
                 wa_number = COALESCE($5, wa_number), updated_at = $6
             WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)")
            .bind(id.0)
            .bind(scope.owner().map(|u| u.0))
            .bind(patch.name.map(Label::as_str))
            .bind(patch.city.map(Label::as_str))
            .bind(patch.wa_number.map(PhoneNumber::as_str))
            .bind(now.millis())
            .execute(pool)
            .await.map(|r| r.rows_affected()))
        .map_err(|e| StoreError::from(e).conflict_as(Taken::WaNumber))?;
        crate::error::touched(done)?;
        self.outlet(scope, id).await?.ok_or(StoreError::NotFound)
    }

    /// Deletes an outlet with its device and messages; its blasts' unfinished recipients fail
    /// with `outlet_deleted` in the same transaction (`release_outlet!`). On PostgreSQL a
    /// hand-off or a receipt of this outlet's device may hold the rows the other way round
    /// (share, recipient, then message): when the database breaks such a deadlock by aborting
    /// this transaction, it is tried again.
    pub async fn delete_outlet(&self, scope: Scope, id: OutletId, now: Timestamp) -> Result<()> {
        let mut attempt = 0;
        let done = loop {
            attempt += 1;
            match self.delete_outlet_once(scope, id, now).await {
                Err(StoreError::Database(e))
                    if attempt < 4 && e.as_database_error().and_then(|d| d.code()).as_deref() == Some("40P01") =>
                {
                    tracing::info!(outlet = %id, attempt, "deleting an outlet met a deadlock; trying again");
                }
                other => break other?,
            }
        };
        crate::error::touched(done)
    }

    async fn delete_outlet_once(&self, scope: Scope, id: OutletId, now: Timestamp) -> Result<u64> {
        Ok(on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let owned: Option<i64> = sqlx::query_scalar(&format!(
                "SELECT id FROM outlets WHERE id = $1 AND ($2 IS NULL OR owner_id = $2){}", self.row_lock()))
                .bind(id.0).bind(scope.owner().map(|u| u.0)).fetch_optional(&mut *tx).await?;
            if owned.is_some() {
                crate::blasts::release_outlet!(tx, id.0, now);
                crate::billing::refund_outlet!(tx, id.0);
            }
            let done = sqlx::query("DELETE FROM outlets WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)")
                .bind(id.0).bind(scope.owner().map(|u| u.0)).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            done
        }))
    }
}

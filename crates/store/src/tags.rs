//! Tags an owner puts on contacts, and the bulk changes the contacts page makes with them.

use crate::contacts::{placeholders, COUNT};
use crate::error::Taken;
use crate::{on_db, Result, Store, StoreError};
use domain::{Scope, TagColor, Timestamp, UserId};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tag {
    pub id: i64,
    pub owner_id: UserId,
    pub name: String,
    pub color: TagColor,
    pub created_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    owner_id: i64,
    name: String,
    color: String,
    created_at: i64,
}

impl TryFrom<Row> for Tag {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Tag> {
        Ok(Tag {
            id: r.id,
            owner_id: UserId(r.owner_id),
            name: r.name,
            color: r.color.parse().map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?,
            created_at: Timestamp(r.created_at),
        })
    }
}

const COLUMNS: &str = "id, owner_id, name, color, created_at";

impl Store {
    /// The tags in `scope`, by name.
    pub async fn list_tags(&self, scope: Scope) -> Result<Vec<Tag>> {
        let sql = format!("SELECT {COLUMNS} FROM tags WHERE ($1 IS NULL OR owner_id = $1) ORDER BY lower(name), id");
        let rows: Vec<Row> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(scope.owner().map(|u| u.0)).fetch_all(pool).await)?;
        rows.into_iter().map(Tag::try_from).collect()
    }

    /// `Conflict(TagName)` when the owner already has a tag of this name.
    pub async fn create_tag(&self, owner: UserId, name: &str, color: TagColor, now: Timestamp) -> Result<Tag> {
        let sql =
            format!("INSERT INTO tags (owner_id, name, color, created_at) VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}");
        let row: Row = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(owner.0)
            .bind(name)
            .bind(color.as_str())
            .bind(now.millis())
            .fetch_one(pool)
            .await)
        .map_err(|e| StoreError::from(e).conflict_as(Taken::TagName))?;
        row.try_into()
    }

    /// Renames or recolours; `NotFound` outside `scope`.
    pub async fn update_tag(&self, scope: Scope, id: i64, name: Option<&str>, color: Option<TagColor>) -> Result<Tag> {
        let sql = format!(
            "UPDATE tags SET name = COALESCE($3, name), color = COALESCE($4, color)
             WHERE id = $1 AND ($2 IS NULL OR owner_id = $2) RETURNING {COLUMNS}"
        );
        let row: Option<Row> = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(scope.owner().map(|u| u.0))
            .bind(name)
            .bind(color.map(TagColor::as_str))
            .fetch_optional(pool)
            .await)
        .map_err(|e| StoreError::from(e).conflict_as(Taken::TagName))?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// Deletes the tag (the contacts stay); `NotFound` outside `scope`.
    pub async fn delete_tag(&self, scope: Scope, id: i64) -> Result<()> {
        let done = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            // Explicit, so SQLite without foreign-key cascades could not leave links behind.
            sqlx::query("DELETE FROM contact_tags WHERE tag_id IN (SELECT id FROM tags WHERE id = $1 AND ($2 IS NULL OR owner_id = $2))")
                .bind(id)
                .bind(scope.owner().map(|u| u.0))
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query("DELETE FROM tags WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)")
                .bind(id)
                .bind(scope.owner().map(|u| u.0))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            done
        });
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Puts the tag on those of `contacts` that belong to the tag's owner; how many got it
    /// (ones that had it already do not count). `NotFound` when the tag is outside `scope`.
    pub async fn tag_contacts(&self, scope: Scope, tag: i64, contacts: &[i64]) -> Result<u64> {
        let owner = self.tag_owner(scope, tag).await?;
        if contacts.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "INSERT INTO contact_tags (contact_id, tag_id)
             SELECT id, $1 FROM contacts WHERE owner_id = $2 AND id IN ({})
             ON CONFLICT DO NOTHING",
            placeholders(3, contacts.len())
        );
        Ok(on_db!(self, write, pool => {
            let mut q = sqlx::query(&sql).bind(tag).bind(owner.0);
            for id in contacts {
                q = q.bind(id);
            }
            q.execute(pool).await?.rows_affected()
        }))
    }

    /// Takes the tag off `contacts`; how many had it. `NotFound` when the tag is outside `scope`.
    pub async fn untag_contacts(&self, scope: Scope, tag: i64, contacts: &[i64]) -> Result<u64> {
        self.tag_owner(scope, tag).await?;
        if contacts.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "DELETE FROM contact_tags WHERE tag_id = $1 AND contact_id IN ({})",
            placeholders(2, contacts.len())
        );
        Ok(on_db!(self, write, pool => {
            let mut q = sqlx::query(&sql).bind(tag);
            for id in contacts {
                q = q.bind(id);
            }
            q.execute(pool).await?.rows_affected()
        }))
    }

    /// Deletes those of `contacts` inside `scope` (others are left alone) and keeps the counts;
    /// how many went.
    pub async fn delete_contacts(&self, scope: Scope, contacts: &[i64]) -> Result<u64> {
        if contacts.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "DELETE FROM contacts WHERE ($1 IS NULL OR owner_id = $1) AND id IN ({}) RETURNING owner_id, email",
            placeholders(2, contacts.len())
        );
        Ok(on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let mut q = sqlx::query_as(&sql).bind(scope.owner().map(|u| u.0));
            for id in contacts {
                q = q.bind(id);
            }
            let gone: Vec<(i64, Option<String>)> = q.fetch_all(&mut *tx).await?;
            let mut per_owner = std::collections::BTreeMap::<i64, (i64, i64)>::new();
            for (owner, email) in &gone {
                let counts = per_owner.entry(*owner).or_default();
                counts.0 -= 1;
                counts.1 -= i64::from(email.is_some());
            }
            for (owner, (total, with_email)) in per_owner {
                sqlx::query(COUNT).bind(owner).bind(total).bind(with_email).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            gone.len() as u64
        }))
    }

    async fn tag_owner(&self, scope: Scope, tag: i64) -> Result<UserId> {
        let owner: Option<i64> = on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT owner_id FROM tags WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)")
            .bind(tag)
            .bind(scope.owner().map(|u| u.0))
            .fetch_optional(pool)
            .await)?;
        owner.map(UserId).ok_or(StoreError::NotFound)
    }
}

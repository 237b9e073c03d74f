//! Contacts, per owner: one per WhatsApp number. `contact_counts` (total, with an e-mail) is
//! kept in the same transaction as every change, so the numbers the dashboards read never
//! count the table.

use crate::error::Taken;
use crate::paging::contains_pattern;
use crate::{on_db, Page, Paged, Result, Store, StoreError};
use domain::{Email, OutletId, PhoneNumber, Scope, Timestamp, UserId};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: i64,
    pub owner_id: UserId,
    pub name: String,
    /// E.164.
    pub wa_number: String,
    pub email: Option<String>,
    pub notes: String,
    /// The outlet that usually talks to this contact.
    pub home_outlet_id: Option<OutletId>,
    /// Custom fields, usable as template variables.
    pub fields: BTreeMap<String, String>,
    /// Set when the contact asked not to be messaged (e.g. replied STOP); blasts skip them.
    pub opted_out_at: Option<Timestamp>,
    pub opted_out_reason: String,
    pub blocked: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub struct NewContact<'a> {
    pub owner: UserId,
    pub name: &'a str,
    pub wa_number: &'a PhoneNumber,
    pub email: Option<&'a Email>,
    pub notes: &'a str,
    pub home_outlet: Option<OutletId>,
    pub fields: &'a BTreeMap<String, String>,
}

/// Which contacts a list shows.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter<'a> {
    /// In the name, the number or the e-mail.
    pub search: Option<&'a str>,
    pub home_outlet: Option<OutletId>,
    pub opted_out: Option<bool>,
}

/// How many contacts an owner (or the platform) has, and how many of them have an e-mail.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ContactCounts {
    pub total: i64,
    pub with_email: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    owner_id: i64,
    name: String,
    wa_number: String,
    email: Option<String>,
    notes: String,
    home_outlet_id: Option<i64>,
    fields: String,
    opted_out_at: Option<i64>,
    opted_out_reason: String,
    blocked: bool,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Contact {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Contact> {
        let fields =
            serde_json::from_str(&r.fields).map_err(|e| StoreError::Corrupt(format!("contact fields: {e}")))?;
        Ok(Contact {
            id: r.id,
            owner_id: UserId(r.owner_id),
            name: r.name,
            wa_number: r.wa_number,
            email: r.email,
            notes: r.notes,
            home_outlet_id: r.home_outlet_id.map(OutletId),
            fields,
            opted_out_at: r.opted_out_at.map(Timestamp),
            opted_out_reason: r.opted_out_reason,
            blocked: r.blocked,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

const COLUMNS: &str = "id, owner_id, name, wa_number, email, notes, home_outlet_id, fields, opted_out_at, \
                       opted_out_reason, blocked, created_at, updated_at";

/// Adds `total` and `with_email` (either may be negative) to the owner's counts.
const COUNT: &str = "INSERT INTO contact_counts (owner_id, total, with_email) VALUES ($1, $2, $3)
     ON CONFLICT (owner_id) DO UPDATE SET total = contact_counts.total + excluded.total,
         with_email = contact_counts.with_email + excluded.with_email";

impl Store {
    /// `Conflict(ContactNumber)` when the owner already has a contact with this number.
    pub async fn create_contact(&self, new: NewContact<'_>, now: Timestamp) -> Result<Contact> {
        let sql = format!(
            "INSERT INTO contacts (owner_id, name, wa_number, email, notes, home_outlet_id, fields, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
        );
        let fields = serde_json::to_string(new.fields).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let with_email = i64::from(new.email.is_some());
        let row: Row = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let row: Row = sqlx::query_as(&sql)
                .bind(new.owner.0)
                .bind(new.name)
                .bind(new.wa_number.as_str())
                .bind(new.email.map(Email::as_str))
                .bind(new.notes)
                .bind(new.home_outlet.map(|o| o.0))
                .bind(&fields)
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from(e).conflict_as(Taken::ContactNumber))?;
            sqlx::query(COUNT).bind(new.owner.0).bind(1_i64).bind(with_email).execute(&mut *tx).await?;
            tx.commit().await?;
            row
        });
        row.try_into()
    }

    pub async fn contact(&self, scope: Scope, id: i64) -> Result<Option<Contact>> {
        let sql = format!("SELECT {COLUMNS} FROM contacts WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)");
        let row: Option<Row> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(scope.owner().map(|u| u.0))
            .fetch_optional(pool)
            .await)?;
        row.map(Contact::try_from).transpose()
    }

    /// Contacts in `scope` matching `filter`, by name.
    pub async fn list_contacts(&self, scope: Scope, filter: ContactFilter<'_>, page: Page) -> Result<Paged<Contact>> {
        let pattern = contains_pattern(filter.search);
        let matching = "($1 IS NULL OR owner_id = $1) AND ($2 IS NULL OR lower(name) LIKE $2 ESCAPE '\\'
            OR wa_number LIKE $2 ESCAPE '\\' OR lower(email) LIKE $2 ESCAPE '\\')
            AND ($3 IS NULL OR home_outlet_id = $3)
            AND ($4 IS NULL OR (opted_out_at IS NOT NULL) = $4)";
        let list =
            format!("SELECT {COLUMNS} FROM contacts WHERE {matching} ORDER BY lower(name), id LIMIT $5 OFFSET $6");
        let count = format!("SELECT COUNT(*) FROM contacts WHERE {matching}");
        let owner = scope.owner().map(|u| u.0);
        let outlet = filter.home_outlet.map(|o| o.0);
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list)
                .bind(owner)
                .bind(pattern.as_deref())
                .bind(outlet)
                .bind(filter.opted_out)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(&count)
                .bind(owner)
                .bind(pattern.as_deref())
                .bind(outlet)
                .bind(filter.opted_out)
                .fetch_one(pool)
                .await?;
            (rows, total)
        });
        let items = rows.into_iter().map(Contact::try_from).collect::<Result<Vec<_>>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// The owner asks to message the contact again: the opt-out is cleared.
    pub async fn opt_in_contact(&self, scope: Scope, id: i64, now: Timestamp) -> Result<Contact> {
        let sql = format!(
            "UPDATE contacts SET opted_out_at = NULL, opted_out_reason = '', updated_at = $3
             WHERE id = $1 AND ($2 IS NULL OR owner_id = $2) RETURNING {COLUMNS}"
        );
        let row: Option<Row> = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(scope.owner().map(|u| u.0))
            .bind(now.millis())
            .fetch_optional(pool)
            .await)?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// The owner's contact with this number.
    pub async fn contact_by_number(&self, owner: UserId, number: &PhoneNumber) -> Result<Option<Contact>> {
        let sql = format!("SELECT {COLUMNS} FROM contacts WHERE owner_id = $1 AND wa_number = $2");
        let row: Option<Row> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(owner.0)
            .bind(number.as_str())
            .fetch_optional(pool)
            .await)?;
        row.map(Contact::try_from).transpose()
    }

    /// `NotFound` for a missing contact or one outside `scope`.
    pub async fn delete_contact(&self, scope: Scope, id: i64) -> Result<()> {
        on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let gone: Option<(i64, Option<String>)> = sqlx::query_as(
                "DELETE FROM contacts WHERE id = $1 AND ($2 IS NULL OR owner_id = $2) RETURNING owner_id, email")
                .bind(id)
                .bind(scope.owner().map(|u| u.0))
                .fetch_optional(&mut *tx)
                .await?;
            let (owner, email) = gone.ok_or(StoreError::NotFound)?;
            sqlx::query(COUNT).bind(owner).bind(-1_i64).bind(-i64::from(email.is_some())).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Marks the owner's contact with this number opted out (creating it if missing), unless it
    /// already is: the first reason and time are kept.
    pub async fn opt_out_contact(
        &self,
        owner: UserId,
        number: &PhoneNumber,
        reason: &str,
        now: Timestamp,
    ) -> Result<Contact> {
        let upsert = format!(
            "INSERT INTO contacts (owner_id, wa_number, opted_out_at, opted_out_reason, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $3, $3)
             ON CONFLICT (owner_id, wa_number) DO UPDATE
                 SET opted_out_at = COALESCE(contacts.opted_out_at, excluded.opted_out_at),
                     opted_out_reason = CASE WHEN contacts.opted_out_at IS NULL THEN excluded.opted_out_reason
                                             ELSE contacts.opted_out_reason END,
                     updated_at = excluded.updated_at
             RETURNING {COLUMNS}"
        );
        let row: Row = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let existed: Option<i64> = sqlx::query_scalar("SELECT id FROM contacts WHERE owner_id = $1 AND wa_number = $2")
                .bind(owner.0)
                .bind(number.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let row: Row = sqlx::query_as(&upsert)
                .bind(owner.0)
                .bind(number.as_str())
                .bind(now.millis())
                .bind(reason)
                .fetch_one(&mut *tx)
                .await?;
            if existed.is_none() {
                sqlx::query(COUNT).bind(owner.0).bind(1_i64).bind(0_i64).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            row
        });
        row.try_into()
    }

    /// The owner's counts (zero before their first contact).
    pub async fn contact_counts(&self, owner: UserId) -> Result<ContactCounts> {
        let row: Option<(i64, i64)> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT total, with_email FROM contact_counts WHERE owner_id = $1")
            .bind(owner.0)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(|(total, with_email)| ContactCounts { total, with_email }).unwrap_or_default())
    }

    /// The platform's counts: one row per owner summed, never the contacts themselves.
    pub async fn platform_contact_counts(&self) -> Result<ContactCounts> {
        let (total, with_email): (i64, i64) = on_db!(self, read, pool => sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(total), 0) AS BIGINT), CAST(COALESCE(SUM(with_email), 0) AS BIGINT) FROM contact_counts")
            .fetch_one(pool)
            .await)?;
        Ok(ContactCounts { total, with_email })
    }
}

//! Contacts, per owner: one per WhatsApp number. `contact_counts` (total, with an e-mail) is
//! kept in the same transaction as every change, so the numbers the dashboards read never
//! count the table.

use crate::error::Taken;
use crate::paging::contains_pattern;
use crate::{on_db, Page, Paged, Result, Store, StoreError};
use domain::{Email, OutletId, PhoneNumber, Scope, TagColor, Timestamp, UserId};
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
    /// By name.
    pub tags: Vec<ContactTag>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A tag as a contact carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ContactTag {
    pub id: i64,
    pub name: String,
    pub color: TagColor,
}

/// What an update changes; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct ContactPatch<'a> {
    pub name: Option<&'a str>,
    pub wa_number: Option<&'a PhoneNumber>,
    pub email: Option<Option<&'a Email>>,
    pub notes: Option<&'a str>,
    pub home_outlet: Option<Option<OutletId>>,
    /// Replaces every custom field.
    pub fields: Option<&'a BTreeMap<String, String>>,
    pub blocked: Option<bool>,
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
    /// Only contacts carrying this tag.
    pub tag: Option<i64>,
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
            tags: Vec::new(),
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

const COLUMNS: &str = "id, owner_id, name, wa_number, email, notes, home_outlet_id, fields, opted_out_at, \
                       opted_out_reason, blocked, created_at, updated_at";

/// Records a custom field name (`$1` owner, `$2` name).
const FIELD_NAME: &str = "INSERT INTO contact_field_names (owner_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING";

/// `$from, $from+1, …` for `n` values bound in a list.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Adds `total` and `with_email` (either may be negative) to the owner's counts.
pub(crate) const COUNT: &str = "INSERT INTO contact_counts (owner_id, total, with_email) VALUES ($1, $2, $3)
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
            crate::billing::within_limit!(self, tx, new.owner, domain::Limit::Contacts, 1, now);
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
            for key in new.fields.keys() {
                sqlx::query(FIELD_NAME).bind(new.owner.0).bind(key).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            row
        });
        row.try_into()
    }

    /// `NotFound` outside `scope`; `Conflict(ContactNumber)` when the new number is another
    /// contact's.
    pub async fn update_contact(
        &self,
        scope: Scope,
        id: i64,
        patch: ContactPatch<'_>,
        now: Timestamp,
    ) -> Result<Contact> {
        let lock = self.row_lock();
        let select = format!("SELECT {COLUMNS} FROM contacts WHERE id = $1 AND ($2 IS NULL OR owner_id = $2){lock}");
        let update = format!(
            "UPDATE contacts SET name = $2, wa_number = $3, email = $4, notes = $5, home_outlet_id = $6,
                 fields = $7, blocked = $8, updated_at = $9 WHERE id = $1 RETURNING {COLUMNS}"
        );
        let fields =
            patch.fields.map(serde_json::to_string).transpose().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let row: Row = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let old: Row = sqlx::query_as(&select)
                .bind(id)
                .bind(scope.owner().map(|u| u.0))
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let email = match patch.email {
                Some(e) => e.map(|e| e.as_str().to_string()),
                None => old.email.clone(),
            };
            let row: Row = sqlx::query_as(&update)
                .bind(id)
                .bind(patch.name.unwrap_or(&old.name))
                .bind(patch.wa_number.map_or(old.wa_number.as_str(), PhoneNumber::as_str))
                .bind(email.as_deref())
                .bind(patch.notes.unwrap_or(&old.notes))
                .bind(patch.home_outlet.map_or(old.home_outlet_id, |o| o.map(|o| o.0)))
                .bind(fields.as_deref().unwrap_or(&old.fields))
                .bind(patch.blocked.unwrap_or(old.blocked))
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from(e).conflict_as(Taken::ContactNumber))?;
            let email_change = i64::from(row.email.is_some()) - i64::from(old.email.is_some());
            if email_change != 0 {
                sqlx::query(COUNT).bind(old.owner_id).bind(0_i64).bind(email_change).execute(&mut *tx).await?;
            }
            for key in patch.fields.into_iter().flat_map(BTreeMap::keys) {
                sqlx::query(FIELD_NAME).bind(old.owner_id).bind(key).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            row
        });
        let mut contact = Contact::try_from(row)?;
        self.attach_tags(std::slice::from_mut(&mut contact)).await?;
        Ok(contact)
    }

    /// The custom field names the owner's contacts have used: the variables their templates
    /// may name. Names stay after the last contact using them goes, so a template that
    /// names one keeps working (it renders empty).
    pub async fn contact_field_names(&self, owner: UserId) -> Result<Vec<String>> {
        Ok(on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT name FROM contact_field_names WHERE owner_id = $1 ORDER BY name")
            .bind(owner.0)
            .fetch_all(pool)
            .await)?)
    }

    /// Fills each contact's `tags`, in one query.
    pub(crate) async fn attach_tags(&self, contacts: &mut [Contact]) -> Result<()> {
        if contacts.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT ct.contact_id, t.id, t.name, t.color FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
             WHERE ct.contact_id IN ({}) ORDER BY t.name, t.id",
            placeholders(1, contacts.len())
        );
        let rows: Vec<(i64, i64, String, String)> = on_db!(self, read, pool => {
            let mut q = sqlx::query_as(&sql);
            for c in contacts.iter() {
                q = q.bind(c.id);
            }
            q.fetch_all(pool).await?
        });
        let index: std::collections::HashMap<i64, usize> =
            contacts.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        for (contact_id, id, name, color) in rows {
            let color = color.parse().map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?;
            if let Some(&i) = index.get(&contact_id) {
                contacts[i].tags.push(ContactTag { id, name, color });
            }
        }
        Ok(())
    }

    pub async fn contact(&self, scope: Scope, id: i64) -> Result<Option<Contact>> {
        let sql = format!("SELECT {COLUMNS} FROM contacts WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)");
        let row: Option<Row> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(scope.owner().map(|u| u.0))
            .fetch_optional(pool)
            .await)?;
        let Some(mut contact) = row.map(Contact::try_from).transpose()? else { return Ok(None) };
        self.attach_tags(std::slice::from_mut(&mut contact)).await?;
        Ok(Some(contact))
    }

    /// Contacts in `scope` matching `filter`, by name.
    pub async fn list_contacts(&self, scope: Scope, filter: ContactFilter<'_>, page: Page) -> Result<Paged<Contact>> {
        let pattern = contains_pattern(filter.search);
        let matching = "($1 IS NULL OR owner_id = $1) AND ($2 IS NULL OR lower(name) LIKE $2 ESCAPE '\\'
            OR wa_number LIKE $2 ESCAPE '\\' OR lower(email) LIKE $2 ESCAPE '\\')
            AND ($3 IS NULL OR home_outlet_id = $3)
            AND ($4 IS NULL OR (opted_out_at IS NOT NULL) = $4)
            AND ($5 IS NULL OR id IN (SELECT contact_id FROM contact_tags WHERE tag_id = $5))";
        let list =
            format!("SELECT {COLUMNS} FROM contacts WHERE {matching} ORDER BY lower(name), id LIMIT $6 OFFSET $7");
        let count = format!("SELECT COUNT(*) FROM contacts WHERE {matching}");
        let owner = scope.owner().map(|u| u.0);
        let outlet = filter.home_outlet.map(|o| o.0);
        let unfiltered = pattern.is_none() && outlet.is_none() && filter.opted_out.is_none() && filter.tag.is_none();
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list)
                .bind(owner)
                .bind(pattern.as_deref())
                .bind(outlet)
                .bind(filter.opted_out)
                .bind(filter.tag)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(pool)
                .await?;
            // Unfiltered, the kept counts answer without counting the table.
            let total = if unfiltered {
                sqlx::query_scalar(
                    "SELECT CAST(COALESCE(SUM(total), 0) AS BIGINT) FROM contact_counts WHERE ($1 IS NULL OR owner_id = $1)")
                    .bind(owner)
                    .fetch_one(pool)
                    .await?
            } else {
                sqlx::query_scalar(&count)
                    .bind(owner)
                    .bind(pattern.as_deref())
                    .bind(outlet)
                    .bind(filter.opted_out)
                    .bind(filter.tag)
                    .fetch_one(pool)
                    .await?
            };
            (rows, total)
        });
        let mut items = rows.into_iter().map(Contact::try_from).collect::<Result<Vec<_>>>()?;
        self.attach_tags(&mut items).await?;
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
        let mut contact = Contact::try_from(row.ok_or(StoreError::NotFound)?)?;
        self.attach_tags(std::slice::from_mut(&mut contact)).await?;
        Ok(contact)
    }

    /// The owner's contact with this number.
    pub async fn contact_by_number(&self, owner: UserId, number: &PhoneNumber) -> Result<Option<Contact>> {
        let sql = format!("SELECT {COLUMNS} FROM contacts WHERE owner_id = $1 AND wa_number = $2");
        let row: Option<Row> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(owner.0)
            .bind(number.as_str())
            .fetch_optional(pool)
            .await)?;
        let Some(mut contact) = row.map(Contact::try_from).transpose()? else { return Ok(None) };
        self.attach_tags(std::slice::from_mut(&mut contact)).await?;
        Ok(Some(contact))
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
        // A new contact is counted only when this statement made it: two stop requests from a
        // new number at once cannot both count it (a look first, then an upsert, could).
        let insert = format!(
            "INSERT INTO contacts (owner_id, wa_number, opted_out_at, opted_out_reason, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $3, $3)
             ON CONFLICT (owner_id, wa_number) DO NOTHING RETURNING {COLUMNS}"
        );
        let mark = format!(
            "UPDATE contacts SET opted_out_at = COALESCE(opted_out_at, $3),
                 opted_out_reason = CASE WHEN opted_out_at IS NULL THEN $4 ELSE opted_out_reason END,
                 updated_at = $3
             WHERE owner_id = $1 AND wa_number = $2 RETURNING {COLUMNS}"
        );
        let row: Row = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let created: Option<Row> = sqlx::query_as(&insert)
                .bind(owner.0)
                .bind(number.as_str())
                .bind(now.millis())
                .bind(reason)
                .fetch_optional(&mut *tx)
                .await?;
            let row = match created {
                Some(row) => {
                    sqlx::query(COUNT).bind(owner.0).bind(1_i64).bind(0_i64).execute(&mut *tx).await?;
                    row
                }
                None => sqlx::query_as(&mark)
                    .bind(owner.0)
                    .bind(number.as_str())
                    .bind(now.millis())
                    .bind(reason)
                    .fetch_one(&mut *tx)
                    .await?,
            };
            tx.commit().await?;
            row
        });
        let mut contact = Contact::try_from(row)?;
        self.attach_tags(std::slice::from_mut(&mut contact)).await?;
        Ok(contact)
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

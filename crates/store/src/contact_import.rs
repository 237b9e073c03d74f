//! Many contacts at once: an import applied in one transaction with batched multi-row
//! statements, and the export read in keyset pages (by id) so that its memory stays flat.
//!
//! The merge rule lives here too ([`merge`]), because the check (which only reads) and the
//! apply (which reads again inside its transaction) must agree on it: an existing contact gets
//! its empty fields filled and tags added, nothing erased or overwritten.

use crate::paging::contains_pattern;
use crate::{on_db, Result, Store, StoreError};
use domain::{OutletId, Timestamp, UserId};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Rows per multi-row statement. SQLite allows 32,766 parameters per statement and PostgreSQL
/// 65,535; 500 contacts of 6 values stay far below both.
pub const IMPORT_BATCH: usize = 500;

/// New contacts after which an import refreshes PostgreSQL's statistics.
const ANALYZE_AFTER: u64 = 5_000;

/// One checked row of an import file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportContact {
    /// E.164.
    pub wa_number: String,
    pub name: String,
    pub email: Option<String>,
    pub notes: String,
    pub home_outlet: Option<OutletId>,
    /// Only non-empty values.
    pub fields: BTreeMap<String, String>,
    pub tags: Vec<String>,
}

/// What an import row meets in the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExistingContact {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub notes: String,
    pub home_outlet: Option<OutletId>,
    pub fields: BTreeMap<String, String>,
    /// Tag names, lower-cased (tags match case-insensitively).
    pub tags: BTreeSet<String>,
}

/// What importing a row does to the contact with its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merge {
    New,
    Unchanged,
    Updated(MergedContact),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedContact {
    pub id: i64,
    /// The contact's own columns changed (not only its tags).
    pub columns_changed: bool,
    pub name: String,
    pub email: Option<String>,
    pub email_added: bool,
    pub notes: String,
    pub home_outlet: Option<OutletId>,
    pub fields: BTreeMap<String, String>,
    /// Tags of the row that the contact does not have yet.
    pub new_tags: Vec<String>,
}

/// Fills what is empty, adds tags, never erases or overwrites.
pub fn merge(existing: Option<&ExistingContact>, row: &ImportContact) -> Merge {
    let Some(e) = existing else { return Merge::New };
    let mut m = MergedContact {
        id: e.id,
        columns_changed: false,
        name: e.name.clone(),
        email: e.email.clone(),
        email_added: false,
        notes: e.notes.clone(),
        home_outlet: e.home_outlet,
        fields: e.fields.clone(),
        new_tags: Vec::new(),
    };
    if m.name.is_empty() && !row.name.is_empty() {
        m.name = row.name.clone();
        m.columns_changed = true;
    }
    if m.email.is_none() && row.email.is_some() {
        m.email = row.email.clone();
        m.email_added = true;
        m.columns_changed = true;
    }
    if m.notes.is_empty() && !row.notes.is_empty() {
        m.notes = row.notes.clone();
        m.columns_changed = true;
    }
    if m.home_outlet.is_none() && row.home_outlet.is_some() {
        m.home_outlet = row.home_outlet;
        m.columns_changed = true;
    }
    for (key, value) in &row.fields {
        if value.is_empty() {
            continue;
        }
        let slot = m.fields.entry(key.clone()).or_default();
        if slot.is_empty() {
            *slot = value.clone();
            m.columns_changed = true;
        }
    }
    let mut seen = BTreeSet::new();
    for tag in &row.tags {
        let lower = tag.to_lowercase();
        if !e.tags.contains(&lower) && seen.insert(lower) {
            m.new_tags.push(tag.clone());
        }
    }
    if m.columns_changed || !m.new_tags.is_empty() {
        Merge::Updated(m)
    } else {
        Merge::Unchanged
    }
}

/// What an applied import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportApplied {
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// Which contacts an export holds: the list's filters.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter<'a> {
    /// In the name, the number or the e-mail.
    pub search: Option<&'a str>,
    pub tag: Option<i64>,
    pub home_outlet: Option<OutletId>,
    pub opted_out: Option<bool>,
}

/// One contact as the export writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportContact {
    pub id: i64,
    pub name: String,
    pub wa_number: String,
    pub email: Option<String>,
    pub notes: String,
    pub home_outlet: Option<OutletId>,
    pub fields: BTreeMap<String, String>,
    pub opted_out: bool,
    pub blocked: bool,
    /// Tag names, sorted.
    pub tags: Vec<String>,
}

/// `($s, $s+1, …), (…)`: `rows` groups of `cols` placeholders, numbered from `start`.
fn values(rows: usize, cols: usize, start: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 6);
    for r in 0..rows {
        if r > 0 {
            out.push(',');
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push(',');
            }
            out.push('$');
            out.push_str(&(start + r * cols + c).to_string());
        }
        out.push(')');
    }
    out
}

/// `$s, $s+1, …`: `n` placeholders for an `IN (…)` list.
fn list(n: usize, start: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
}

fn parse_fields(json: &str) -> Result<BTreeMap<String, String>> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("contact fields: {e}")))
}

fn fields_json(fields: &BTreeMap<String, String>) -> Result<String> {
    serde_json::to_string(fields).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Adds to the owner's counters (as `contacts.rs` does for one contact).
const COUNT: &str = "INSERT INTO contact_counts (owner_id, total, with_email) VALUES ($1, $2, $3)
     ON CONFLICT (owner_id) DO UPDATE SET total = contact_counts.total + excluded.total,
         with_email = contact_counts.with_email + excluded.with_email";

type ExistingRow = (i64, String, String, Option<String>, String, Option<i64>, String);
type ExportRow = (i64, String, String, Option<String>, String, Option<i64>, String, Option<i64>, bool);

/// Reads the owner's contacts with these numbers (and their tags) on `$conn`, in batches.
macro_rules! read_existing {
    ($conn:expr, $owner:expr, $numbers:expr, $lock:expr) => {{
        let mut found: HashMap<String, ExistingContact> = HashMap::new();
        let mut by_id: HashMap<i64, String> = HashMap::new();
        for chunk in $numbers.chunks(IMPORT_BATCH) {
            let sql = format!(
                "SELECT id, wa_number, name, email, notes, home_outlet_id, fields FROM contacts
                 WHERE owner_id = $1 AND wa_number IN ({}){}",
                list(chunk.len(), 2),
                $lock
            );
            let mut q = sqlx::query_as::<_, ExistingRow>(&sql).bind($owner.0);
            for n in chunk {
                q = q.bind(n.as_str());
            }
            for (id, number, name, email, notes, outlet, fields) in q.fetch_all(&mut *$conn).await? {
                by_id.insert(id, number.clone());
                let contact = ExistingContact {
                    id,
                    name,
                    email,
                    notes,
                    home_outlet: outlet.map(OutletId),
                    fields: parse_fields(&fields)?,
                    tags: BTreeSet::new(),
                };
                found.insert(number, contact);
            }
        }
        let ids: Vec<i64> = by_id.keys().copied().collect();
        for chunk in ids.chunks(IMPORT_BATCH) {
            let sql = format!(
                "SELECT ct.contact_id, t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
                 WHERE ct.contact_id IN ({})",
                list(chunk.len(), 1)
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for (id, tag) in q.fetch_all(&mut *$conn).await? {
                if let Some(c) = by_id.get(&id).and_then(|n| found.get_mut(n)) {
                    c.tags.insert(tag.to_lowercase());
                }
            }
        }
        found
    }};
}

impl Store {
    /// The owner's contacts with these numbers (E.164), by number.
    pub async fn import_existing(&self, owner: UserId, numbers: &[String]) -> Result<HashMap<String, ExistingContact>> {
        let found = on_db!(self, read, pool => {
            let mut conn = pool.acquire().await?;
            read_existing!(conn, owner, numbers, "")
        });
        Ok(found)
    }

    /// The owner's outlets: (id, name), by id.
    pub async fn import_outlet_names(&self, owner: UserId) -> Result<Vec<(OutletId, String)>> {
        let rows: Vec<(i64, String)> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT id, name FROM outlets WHERE owner_id = $1 ORDER BY id")
            .bind(owner.0)
            .fetch_all(pool)
            .await)?;
        Ok(rows.into_iter().map(|(id, name)| (OutletId(id), name)).collect())
    }

    /// Writes an import in one transaction: new contacts inserted, existing ones merged
    /// ([`merge`], against what the transaction reads), missing tags created, tags attached,
    /// custom field names recorded and the owner's counters moved by exactly the new contacts
    /// and the e-mails added. Any error rolls all of it back. `progress` hears how many rows
    /// are written so far.
    pub async fn apply_contact_import(
        &self,
        owner: UserId,
        rows: &[ImportContact],
        now: Timestamp,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<ImportApplied> {
        let numbers: Vec<String> = rows.iter().map(|r| r.wa_number.clone()).collect();
        let mut tag_names: BTreeMap<String, &str> = BTreeMap::new();
        let mut field_names: BTreeSet<&str> = BTreeSet::new();
        for r in rows {
            for t in &r.tags {
                tag_names.entry(t.to_lowercase()).or_insert(t.as_str());
            }
            field_names.extend(r.fields.keys().map(String::as_str));
        }
        let applied = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            // The owner first (as every creation locks it), then the contacts.
            let lock_owner = self.backend() == crate::Backend::Postgres;
            let terms = crate::billing::terms!(tx, owner, now, lock: lock_owner);
            // Locked: a change between this read and the writes would be overwritten or miscounted.
            let existing = read_existing!(tx, owner, numbers, self.row_lock());

            // Tags: create the missing ones, then know every id by lower-cased name.
            let known: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM tags WHERE owner_id = $1")
                .bind(owner.0)
                .fetch_all(&mut *tx)
                .await?;
            let mut tag_ids: HashMap<String, i64> = known.into_iter().map(|(id, n)| (n.to_lowercase(), id)).collect();
            let missing: Vec<&str> =
                tag_names.iter().filter(|(lower, _)| !tag_ids.contains_key(*lower)).map(|(_, name)| *name).collect();
            for chunk in missing.chunks(IMPORT_BATCH) {
                let sql = format!(
                    "INSERT INTO tags (owner_id, created_at, name, color) VALUES {}
                     ON CONFLICT (owner_id, name) DO NOTHING RETURNING id, name",
                    values(chunk.len(), 2, 3).replace("($", "($1,$2,$")
                );
                let mut q = sqlx::query_as::<_, (i64, String)>(&sql).bind(owner.0).bind(now.millis());
                for name in chunk {
                    // The palette's colour for the name (`TagColor::for_name`): the same on every import.
                    q = q.bind(*name).bind(domain::TagColor::for_name(name).as_str());
                }
                for (id, name) in q.fetch_all(&mut *tx).await? {
                    tag_ids.insert(name.to_lowercase(), id);
                }
            }

            let mut applied = ImportApplied::default();
            let mut with_email = 0_i64;
            let mut inserts: Vec<&ImportContact> = Vec::new();
            let mut updates: Vec<MergedContact> = Vec::new();
            // (contact id, tag id) pairs; new contacts' ids are known after their insert.
            let mut links: Vec<(i64, i64)> = Vec::new();
            for r in rows {
                match merge(existing.get(&r.wa_number), r) {
                    Merge::New => inserts.push(r),
                    Merge::Unchanged => applied.unchanged += 1,
                    Merge::Updated(m) => {
                        applied.updated += 1;
                        with_email += i64::from(m.email_added);
                        for t in &m.new_tags {
                            if let Some(tag) = tag_ids.get(&t.to_lowercase()) {
                                links.push((m.id, *tag));
                            }
                        }
                        if m.columns_changed {
                            updates.push(m);
                        }
                    }
                }
            }
            let mut done = applied.unchanged as usize + applied.updated as usize - updates.len();
            // All or nothing: an import that would pass the plan's contacts is refused whole.
            if let Some(max) = terms.limits.contacts {
                let have: i64 = sqlx::query_scalar(crate::billing::count_sql(domain::Limit::Contacts))
                    .bind(owner.0).fetch_one(&mut *tx).await?;
                if have + i64::try_from(inserts.len()).unwrap_or(i64::MAX) > max {
                    let limit = domain::Limit::Contacts;
                    return Err(StoreError::Refused(crate::Refusal::PlanLimit { limit, plan: terms.plan, max }));
                }
            }

            for chunk in inserts.chunks(IMPORT_BATCH) {
                let sql = format!(
                    "INSERT INTO contacts (owner_id, created_at, updated_at, name, wa_number, email, notes, home_outlet_id, fields)
                     VALUES {} RETURNING id, wa_number",
                    values(chunk.len(), 6, 3).replace("($", "($1,$2,$2,$")
                );
                let mut q = sqlx::query_as::<_, (i64, String)>(&sql).bind(owner.0).bind(now.millis());
                for r in chunk {
                    q = q
                        .bind(r.name.as_str())
                        .bind(r.wa_number.as_str())
                        .bind(r.email.as_deref())
                        .bind(r.notes.as_str())
                        .bind(r.home_outlet.map(|o| o.0))
                        .bind(fields_json(&r.fields)?);
                }
                let created = q.fetch_all(&mut *tx).await?;
                let ids: HashMap<&str, i64> = created.iter().map(|(id, n)| (n.as_str(), *id)).collect();
                for r in chunk {
                    let id = *ids.get(r.wa_number.as_str()).ok_or_else(|| StoreError::Corrupt("an imported contact has no id".into()))?;
                    with_email += i64::from(r.email.is_some());
                    let mut seen = BTreeSet::new();
                    for t in &r.tags {
                        if let Some(tag) = tag_ids.get(&t.to_lowercase()) {
                            if seen.insert(*tag) {
                                links.push((id, *tag));
                            }
                        }
                    }
                }
                applied.new += created.len() as u64;
                done += chunk.len();
                progress(done);
            }

            for chunk in updates.chunks(IMPORT_BATCH) {
                let sql = format!(
                    "UPDATE contacts SET name = v.column2, email = v.column3, notes = v.column4,
                         home_outlet_id = v.column5, fields = v.column6, updated_at = $2
                     FROM (VALUES {}) AS v
                     WHERE contacts.id = v.column1 AND contacts.owner_id = $1",
                    values(chunk.len(), 6, 3)
                );
                let mut q = sqlx::query(&sql).bind(owner.0).bind(now.millis());
                for m in chunk {
                    q = q
                        .bind(m.id)
                        .bind(m.name.as_str())
                        .bind(m.email.as_deref())
                        .bind(m.notes.as_str())
                        .bind(m.home_outlet.map(|o| o.0))
                        .bind(fields_json(&m.fields)?);
                }
                q.execute(&mut *tx).await?;
                done += chunk.len();
                progress(done);
            }

            for chunk in links.chunks(IMPORT_BATCH * 2) {
                let sql = format!(
                    "INSERT INTO contact_tags (contact_id, tag_id) VALUES {} ON CONFLICT DO NOTHING",
                    values(chunk.len(), 2, 1)
                );
                let mut q = sqlx::query(&sql);
                for (contact, tag) in chunk {
                    q = q.bind(*contact).bind(*tag);
                }
                q.execute(&mut *tx).await?;
            }

            let field_names: Vec<&str> = field_names.into_iter().collect();
            for chunk in field_names.chunks(IMPORT_BATCH) {
                let sql = format!(
                    "INSERT INTO contact_field_names (owner_id, name) VALUES {} ON CONFLICT DO NOTHING",
                    values(chunk.len(), 1, 2).replace("($", "($1,$")
                );
                let mut q = sqlx::query(&sql).bind(owner.0);
                for name in chunk {
                    q = q.bind(*name);
                }
                q.execute(&mut *tx).await?;
            }

            if applied.new > 0 || with_email > 0 {
                sqlx::query(COUNT)
                    .bind(owner.0)
                    .bind(applied.new as i64)
                    .bind(with_email)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            progress(rows.len());
            applied
        });
        // PostgreSQL plans from statistics that autovacuum refreshes only some time later: a
        // table that just grew by tens of thousands of rows is still planned as the small table
        // it was, and the next import's look-ups by number become sequential scans (seconds per
        // batch at a million contacts). SQLite plans from its indexes alone.
        if self.backend() == crate::Backend::Postgres && applied.new >= ANALYZE_AFTER {
            on_db!(self, write, pool => sqlx::query("ANALYZE contacts, contact_tags").execute(pool).await.map(|_| ()))?;
        }
        Ok(applied)
    }

    /// The custom field names the owner's contacts use, sorted: the export's last columns.
    pub async fn export_field_names(&self, owner: UserId) -> Result<Vec<String>> {
        let names = on_db!(self, read, pool => sqlx::query_scalar(
            "SELECT name FROM contact_field_names WHERE owner_id = $1 ORDER BY name")
            .bind(owner.0)
            .fetch_all(pool)
            .await)?;
        Ok(names)
    }

    /// One page of an export: the owner's contacts matching `filter` with an id above `after`,
    /// by id (the keyset, so each page is an index range however far the export got).
    pub async fn export_contacts_page(
        &self,
        owner: UserId,
        filter: &ExportFilter<'_>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<ExportContact>> {
        let pattern = contains_pattern(filter.search);
        let sql = "SELECT id, name, wa_number, email, notes, home_outlet_id, fields, opted_out_at, blocked
            FROM contacts WHERE owner_id = $1 AND id > $2
            AND ($3 IS NULL OR lower(name) LIKE $3 ESCAPE '\\' OR wa_number LIKE $3 ESCAPE '\\' OR lower(email) LIKE $3 ESCAPE '\\')
            AND ($4 IS NULL OR home_outlet_id = $4)
            AND ($5 IS NULL OR (opted_out_at IS NOT NULL) = $5)
            AND ($6 IS NULL OR id IN (SELECT contact_id FROM contact_tags WHERE tag_id = $6))
            ORDER BY id LIMIT $7";
        let (rows, tags): (Vec<ExportRow>, Vec<(i64, String)>) = on_db!(self, read, pool => {
            let rows: Vec<ExportRow> = sqlx::query_as(sql)
                .bind(owner.0)
                .bind(after)
                .bind(pattern.as_deref())
                .bind(filter.home_outlet.map(|o| o.0))
                .bind(filter.opted_out)
                .bind(filter.tag)
                .bind(limit as i64)
                .fetch_all(pool)
                .await?;
            let tags = if rows.is_empty() {
                Vec::new()
            } else {
                let sql = format!(
                    "SELECT ct.contact_id, t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
                     WHERE ct.contact_id IN ({})",
                    list(rows.len(), 1)
                );
                let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
                for r in &rows {
                    q = q.bind(r.0);
                }
                q.fetch_all(pool).await?
            };
            (rows, tags)
        });
        let mut by_id: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, name) in tags {
            by_id.entry(id).or_default().push(name);
        }
        rows.into_iter()
            .map(|(id, name, wa_number, email, notes, outlet, fields, opted_out_at, blocked)| {
                let mut tags = by_id.remove(&id).unwrap_or_default();
                tags.sort();
                Ok(ExportContact {
                    id,
                    name,
                    wa_number,
                    email,
                    notes,
                    home_outlet: outlet.map(OutletId),
                    fields: parse_fields(&fields)?,
                    opted_out: opted_out_at.is_some(),
                    blocked,
                    tags,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_row_by_row() {
        assert_eq!(values(2, 3, 2), "($2,$3,$4),($5,$6,$7)");
        assert_eq!(values(2, 1, 2).replace("($", "($1,$"), "($1,$2),($1,$3)");
        assert_eq!(list(3, 1), "$1,$2,$3");
    }

    #[test]
    fn merging_fills_what_is_empty_and_adds_tags_without_erasing() {
        let existing = ExistingContact {
            id: 7,
            name: "Sari".into(),
            email: None,
            notes: String::new(),
            home_outlet: Some(OutletId(1)),
            fields: BTreeMap::from([("kota".into(), "Bandung".into()), ("ukuran".into(), String::new())]),
            tags: BTreeSet::from(["vip".into()]),
        };
        let row = ImportContact {
            wa_number: "+6281311112222".into(),
            name: "Bu Sari".into(),
            email: Some("sari@contoh.id".into()),
            notes: String::new(),
            home_outlet: Some(OutletId(2)),
            fields: BTreeMap::from([("kota".into(), "Bogor".into()), ("ukuran".into(), "L".into())]),
            tags: vec!["VIP".into(), "baru".into()],
        };
        let Merge::Updated(m) = merge(Some(&existing), &row) else { panic!("expected an update") };
        assert_eq!(
            (m.name.as_str(), m.email.as_deref(), m.home_outlet),
            ("Sari", Some("sari@contoh.id"), Some(OutletId(1)))
        );
        assert_eq!(m.fields["kota"], "Bandung");
        assert_eq!(m.fields["ukuran"], "L");
        assert_eq!(m.new_tags, vec!["baru".to_string()]);
        assert!(m.email_added && m.columns_changed);
        let same = ImportContact { tags: vec!["vip".into()], ..ImportContact::default() };
        assert_eq!(merge(Some(&existing), &same), Merge::Unchanged);
        assert_eq!(merge(None, &same), Merge::New);
    }
}

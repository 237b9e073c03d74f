//! Contact import from CSV or `.xlsx` and the streamed CSV export.
//!
//! An import reads the whole file first (in the request, so that a file that cannot be read
//! is refused at once with what to fix), then checks every row as a job in the background:
//! invalid number, duplicate in the file, bad e-mail, unknown outlet, too long a value, empty
//! row. The report counts what the rows would do to the owner's contacts (new, updated,
//! unchanged, rejected). In `apply` mode all good rows are then written in one transaction
//! (see `Store::apply_contact_import`), or none. An existing contact with the same number is
//! merged: empty fields filled, tags added, nothing erased or overwritten.

mod export;
mod jobs;
mod read;

pub use export::{export, Export, ExportQuery};
pub use jobs::{ImportJobs, JobView, Phase, Status};

use crate::error::{ServiceError, ServiceResult};
use crate::i18n::errors::label;
use crate::i18n::Text;
use crate::services::contacts::check_fields;
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{Actor, Email, Label, OutletId, PhoneNumber, UserId};
use jobs::Job;
use read::{Sheet, SheetRow};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use store::{ImportContact, Merge};

/// The largest file an import takes (the HTTP route allows this much body).
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;
/// The most data rows one file may have.
pub const MAX_ROWS: usize = 200_000;
/// Rejected rows listed in a report (all are counted).
const REJECTED_LISTED: usize = 1000;
const PREVIEW_ROWS: usize = 5;
// As for a contact created one by one (`services/contacts.rs`).
const NAME_MAX: usize = 100;
const NOTES_MAX: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ContactImportMode)]
pub enum Mode {
    /// Check the file and report; write nothing.
    #[default]
    Check,
    /// Check, then write every good row in one transaction.
    Apply,
}

/// What a column of the file becomes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    Name,
    Number,
    Email,
    Tags,
    Outlet,
    Notes,
    /// A custom field, by its key.
    Field(String),
    /// Read by no one: an empty header, or a column the export writes that an import does
    /// not set (`opted_out`, `blocked`).
    Ignored,
}

impl Target {
    fn describe(&self) -> String {
        match self {
            Target::Name => "name".into(),
            Target::Number => "number".into(),
            Target::Email => "email".into(),
            Target::Tags => "tags".into(),
            Target::Outlet => "outlet".into(),
            Target::Notes => "notes".into(),
            Target::Field(key) => format!("fields.{key}"),
            Target::Ignored => "ignored".into(),
        }
    }
}

/// The column a header names: case-insensitive, trimmed; any other header is a custom field.
pub(crate) fn target_of(header: &str) -> Target {
    let h = header.trim().to_lowercase();
    match h.as_str() {
        "" | "opted_out" | "blocked" => Target::Ignored,
        "name" | "nama" => Target::Name,
        "phone" | "number" | "no_wa" | "nomor" | "wa" | "whatsapp" | "no_hp" => Target::Number,
        "email" | "e-mail" => Target::Email,
        "tags" | "tag" | "label" => Target::Tags,
        "outlet" | "cabang" => Target::Outlet,
        "notes" | "catatan" => Target::Notes,
        _ => Target::Field(field_key(&h)),
    }
}

/// A header as a custom field key: lowercase letters, digits and `_` (spaces, dashes and dots
/// become `_`, anything else is dropped).
fn field_key(header: &str) -> String {
    let mut key = String::new();
    for c in header.chars() {
        match c {
            'a'..='z' | '0'..='9' | '_' => key.push(c),
            ' ' | '-' | '.' | '/' if !key.ends_with('_') => key.push('_'),
            _ => {}
        }
    }
    key.trim_matches('_').to_string()
}

/// The report of a checked (or applied) file.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub counts: Counts,
    /// The first rejected rows, in file order.
    pub rejected: Vec<Rejected>,
    /// Every rejected row, listed or not.
    pub rejected_total: usize,
    pub columns: Vec<ColumnMapping>,
    pub preview: Vec<PreviewRow>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ContactImportCounts)]
pub struct Counts {
    /// Rows whose number is no contact yet.
    pub new: u64,
    /// Rows that fill or add something on an existing contact.
    pub updated: u64,
    /// Rows an existing contact already says everything of.
    pub unchanged: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone)]
pub struct Rejected {
    /// In the file, the header being line 1.
    pub line: usize,
    /// The header of the column at fault (none for an empty row).
    pub column: Option<String>,
    pub value: String,
    pub reason: Text,
}

/// Which field a column of the file fills.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ContactImportColumn)]
pub struct ColumnMapping {
    /// As written in the file.
    #[schema(example = "no_wa")]
    pub header: String,
    /// `name`, `number`, `email`, `tags`, `outlet`, `notes`, `fields.<key>` or `ignored`.
    #[schema(example = "number")]
    pub field: String,
}

/// A row of the file as the import reads it, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ContactImportPreviewRow)]
pub struct PreviewRow {
    pub line: usize,
    pub name: String,
    pub number: String,
    pub email: String,
    pub tags: Vec<String>,
    pub outlet: String,
    pub notes: String,
    pub fields: BTreeMap<String, String>,
}

/// May the actor import and export contacts? Asked before a large upload is read.
pub fn may_import(actor: Actor) -> ServiceResult<()> {
    whatsapp_scope(actor)?;
    Ok(())
}

/// Reads the file and starts checking it (and, in `apply` mode, writing it) as a job of the
/// caller's, whose progress [`job`] tells. One job per owner runs at a time.
pub async fn start(state: &AppState, actor: Actor, file: Vec<u8>, mode: Mode) -> ServiceResult<JobView> {
    may_import(actor)?;
    if file.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let owner = actor.user_id;
    // Read before the job is registered: a request dropped while reading (a closed tab) must
    // not leave a job that stays "running" and refuses the owner's next import.
    let (sheet, columns) = tokio::task::spawn_blocking(move || read::read(&file, MAX_ROWS).and_then(Columns::of))
        .await
        .map_err(ServiceError::internal)??;
    let job = state
        .imports
        .start(owner, mode, state.clock.now())
        .ok_or_else(|| ServiceError::conflict("error-import-running"))?;
    job.set_total(sheet.rows.len());
    job.set_phase(Phase::Checking);
    let view = job.view();
    let state = state.clone();
    tokio::spawn(async move {
        let outcome = run(&state, &job, owner, sheet, columns).await.map_err(|e| match e {
            ServiceError::Internal(detail) => {
                tracing::error!(error = %detail, job = %job.id, "contact import failed");
                Text::new("error-import-failed")
            }
            other => Text::new("error-import-failed-because").arg_text("reason", service_text(other)),
        });
        job.finish(outcome);
    });
    Ok(view)
}

/// Imports a whole file and waits for the job to end (the demo's sample customers): the same
/// checks and the same one transaction as an import from the page.
pub async fn apply_and_wait(state: &AppState, actor: Actor, file: Vec<u8>) -> ServiceResult<Arc<ImportReport>> {
    let started = start(state, actor, file, Mode::Apply).await?;
    loop {
        let view = job(state, actor, &started.id)?;
        match (view.status, view.report, view.error) {
            (Status::Running, ..) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            (_, Some(report), _) => return Ok(report),
            (_, _, error) => {
                return Err(ServiceError::Internal(format!("import failed: {error:?}")));
            }
        }
    }
}

fn service_text(e: ServiceError) -> Text {
    match e {
        ServiceError::Invalid { message, .. }
        | ServiceError::BadRequest(message)
        | ServiceError::Unauthenticated(message)
        | ServiceError::Forbidden { message, .. }
        | ServiceError::NotFound { message, .. }
        | ServiceError::Conflict { message, .. }
        | ServiceError::TooLarge { message, .. }
        | ServiceError::PlanLimit { message }
        | ServiceError::RateLimited { message, .. }
        | ServiceError::Unavailable { message, .. } => message,
        ServiceError::Internal(_) => Text::new("error-import-failed"),
    }
}

pub fn too_large() -> ServiceError {
    ServiceError::TooLarge {
        code: "payload_too_large",
        message: Text::new("error-import-too-large").arg("max", MAX_FILE_BYTES / (1024 * 1024)),
    }
}

/// The caller's job.
pub fn job(state: &AppState, actor: Actor, id: &str) -> ServiceResult<JobView> {
    may_import(actor)?;
    state
        .imports
        .get(actor.user_id, id, state.clock.now())
        .map(|j| j.view())
        .ok_or_else(|| ServiceError::not_found("error-import-not-found"))
}

/// The file's columns, checked once for the whole file.
struct Columns {
    targets: Vec<Target>,
    mapping: Vec<ColumnMapping>,
}

impl Columns {
    fn of(sheet: Sheet) -> ServiceResult<(Sheet, Columns)> {
        let targets: Vec<Target> = sheet.headers.iter().map(|h| target_of(h)).collect();
        if !targets.contains(&Target::Number) {
            let headers = sheet.headers.iter().filter(|h| !h.is_empty()).cloned().collect::<Vec<_>>().join(", ");
            return Err(ServiceError::invalid("file", Text::new("error-import-no-number").arg("headers", headers)));
        }
        let mut seen: HashMap<&Target, &str> = HashMap::new();
        let mut keys = BTreeMap::new();
        for (target, header) in targets.iter().zip(&sheet.headers) {
            if *target == Target::Ignored {
                continue;
            }
            if let Some(first) = seen.insert(target, header) {
                let twice = Text::new("error-import-column-twice").arg("first", first).arg("second", header);
                return Err(ServiceError::invalid("file", twice));
            }
            if let Target::Field(key) = target {
                if key.is_empty() {
                    return Err(ServiceError::invalid(
                        "file",
                        Text::new("error-import-bad-header").arg("header", header),
                    ));
                }
                keys.insert(key.clone(), String::new());
            }
        }
        // The same rules as a contact's custom fields (how many, which names).
        check_fields(&keys).map_err(|e| ServiceError::invalid("file", service_text(e)))?;
        let mapping = targets
            .iter()
            .zip(&sheet.headers)
            .map(|(t, h)| ColumnMapping { header: h.clone(), field: t.describe() })
            .collect();
        Ok((sheet, Columns { targets, mapping }))
    }
}

/// A cell as written, less the `'` that keeps Excel from reading a cell as a formula (the
/// export writes it; see `export.rs`). In the number column a leading `'` is always dropped:
/// Excel users type `'0812…` to keep the 0.
fn unguard(cell: &str, number: bool) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if number => rest.trim_start(),
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// The row as read, before it is checked.
fn preview(row: &SheetRow, columns: &Columns) -> PreviewRow {
    let mut p = PreviewRow { line: row.line, ..PreviewRow::default() };
    for (target, cell) in columns.targets.iter().zip(&row.cells) {
        let value = unguard(cell, *target == Target::Number).to_string();
        match target {
            Target::Name => p.name = value,
            Target::Number => p.number = value,
            Target::Email => p.email = value,
            Target::Tags => p.tags = split_tags(&value),
            Target::Outlet => p.outlet = value,
            Target::Notes => p.notes = value,
            Target::Field(key) => {
                p.fields.insert(key.clone(), value);
            }
            Target::Ignored => {}
        }
    }
    p
}

fn split_tags(cell: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for t in cell.split([';', ',']).map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|seen| seen.to_lowercase() == t.to_lowercase()) {
            tags.push(t.to_string());
        }
    }
    tags
}

/// Checks one row: a contact to import, or why not.
fn check(
    row: &SheetRow,
    columns: &Columns,
    headers: &[String],
    outlets: &HashMap<String, OutletId>,
    accepted: &HashMap<String, usize>,
) -> Result<ImportContact, Rejected> {
    if row.cells.iter().all(|c| c.is_empty()) {
        return Err(Rejected {
            line: row.line,
            column: None,
            value: String::new(),
            reason: Text::new("error-import-empty-row"),
        });
    }
    let reject = |column: usize, value: &str, reason: Text| Rejected {
        line: row.line,
        column: headers.get(column).cloned(),
        value: value.to_string(),
        reason,
    };
    let p = preview(row, columns);
    let col = |t: &Target| columns.targets.iter().position(|x| x == t).unwrap_or(0);
    let number = PhoneNumber::parse(&p.number).map_err(|e| reject(col(&Target::Number), &p.number, Text::from(&e)))?;
    if let Some(first) = accepted.get(number.as_str()) {
        return Err(reject(col(&Target::Number), &p.number, Text::new("error-import-duplicate").arg("line", first)));
    }
    let name = Label::parse_optional(&p.name, NAME_MAX)
        .map_err(|e| reject(col(&Target::Name), &p.name, label("field-name", e)))?;
    let email = if p.email.is_empty() {
        None
    } else {
        Some(Email::parse(&p.email).map_err(|e| reject(col(&Target::Email), &p.email, Text::from(e)))?)
    };
    if p.notes.chars().count() > NOTES_MAX {
        return Err(reject(col(&Target::Notes), &p.notes, Text::new("error-too-long").arg("max", NOTES_MAX)));
    }
    let home_outlet = if p.outlet.is_empty() {
        None
    } else {
        let found = outlets.get(&p.outlet.to_lowercase()).copied();
        Some(found.ok_or_else(|| {
            reject(col(&Target::Outlet), &p.outlet, Text::new("error-import-unknown-outlet").arg("outlet", &p.outlet))
        })?)
    };
    if let Some(t) = p.tags.iter().find(|t| t.chars().count() > domain::TAG_NAME_MAX) {
        return Err(reject(
            col(&Target::Tags),
            t,
            Text::new("error-import-tag-too-long").arg("max", domain::TAG_NAME_MAX),
        ));
    }
    let fields: BTreeMap<String, String> = p.fields.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    if let Err(e) = check_fields(&fields) {
        // Names were checked with the header; only a value can be wrong here.
        let (key, value) =
            fields.iter().find(|(_, v)| v.chars().count() > 500).map_or(("", ""), |(k, v)| (k.as_str(), v.as_str()));
        return Err(reject(col(&Target::Field(key.to_string())), value, service_text(e)));
    }
    Ok(ImportContact {
        wa_number: number.as_str().to_string(),
        name: name.as_str().to_string(),
        email: email.map(|e| e.as_str().to_string()),
        notes: p.notes,
        home_outlet,
        fields,
        tags: p.tags,
    })
}

/// The owner's outlets by lowercase name, as the `outlet` column names them (the first outlet
/// of a name wins when an owner has two of the same name).
pub async fn outlets_by_name(state: &AppState, owner: UserId) -> ServiceResult<HashMap<String, OutletId>> {
    let mut outlets = HashMap::new();
    for (id, name) in state.store.import_outlet_names(owner).await? {
        outlets.entry(name.trim().to_lowercase()).or_insert(id);
    }
    Ok(outlets)
}

/// One data row of a file, checked as an import checks it: the contact it would be, or why not.
#[derive(Debug)]
pub struct CheckedRow {
    /// In the file, the header being line 1.
    pub line: usize,
    pub outcome: Result<ImportContact, RowProblem>,
}

/// Why a row is refused.
#[derive(Debug)]
pub struct RowProblem {
    /// What the column at fault fills (`number`, `name`, `email`, `tags`, `outlet`, `notes`,
    /// `fields.<key>`); `row` for an empty row.
    pub field: String,
    /// The cell as written.
    pub value: String,
    /// The row's number cell as written (the `'` Excel users type dropped).
    pub number: String,
    pub reason: Text,
}

/// Reads a CSV or `.xlsx` file (told apart by its bytes; at most [`MAX_FILE_BYTES`] and
/// [`MAX_ROWS`] rows, checked columns) and checks every row as an import does, for features
/// that take contacts from such a file (a blast's recipients). Rows repeating a number are
/// not refused here: the caller counts them. CPU work: call it off the async threads.
pub fn read_checked(data: &[u8], outlets: &HashMap<String, OutletId>) -> ServiceResult<Vec<CheckedRow>> {
    if data.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let (sheet, columns) = read::read(data, MAX_ROWS).and_then(Columns::of)?;
    let none = HashMap::new();
    Ok(sheet
        .rows
        .iter()
        .map(|row| CheckedRow {
            line: row.line,
            outcome: check(row, &columns, &sheet.headers, outlets, &none).map_err(|r| RowProblem {
                field: r.column.as_deref().map_or_else(|| "row".to_string(), |h| target_of(h).describe()),
                value: r.value,
                number: preview(row, &columns).number,
                reason: r.reason,
            }),
        })
        .collect())
}

async fn run(
    state: &AppState,
    job: &Arc<Job>,
    owner: UserId,
    sheet: Sheet,
    columns: Columns,
) -> ServiceResult<ImportReport> {
    let outlets = outlets_by_name(state, owner).await?;
    let mut good: Vec<ImportContact> = Vec::with_capacity(sheet.rows.len());
    let mut accepted: HashMap<String, usize> = HashMap::with_capacity(sheet.rows.len());
    let mut rejected = Vec::new();
    let mut rejected_total = 0;
    for (i, row) in sheet.rows.iter().enumerate() {
        match check(row, &columns, &sheet.headers, &outlets, &accepted) {
            Ok(contact) => {
                accepted.insert(contact.wa_number.clone(), row.line);
                good.push(contact);
            }
            Err(r) => {
                rejected_total += 1;
                if rejected.len() < REJECTED_LISTED {
                    rejected.push(r);
                }
            }
        }
        if i % 2000 == 1999 {
            job.progress(i + 1);
            tokio::task::yield_now().await;
        }
    }
    job.progress(sheet.rows.len());
    let preview = sheet.rows.iter().take(PREVIEW_ROWS).map(|r| preview(r, &columns)).collect();
    drop(sheet);
    let mut counts = Counts { rejected: rejected_total as u64, ..Counts::default() };
    match job.mode {
        Mode::Check => {
            let numbers: Vec<String> = good.iter().map(|c| c.wa_number.clone()).collect();
            let existing = state.store.import_existing(owner, &numbers).await?;
            for c in &good {
                match store::merge(existing.get(&c.wa_number), c) {
                    Merge::New => counts.new += 1,
                    Merge::Updated(_) => counts.updated += 1,
                    Merge::Unchanged => counts.unchanged += 1,
                }
            }
        }
        Mode::Apply => {
            job.set_phase(Phase::Applying);
            let progress = |done: usize| job.progress(done);
            let applied = state.store.apply_contact_import(owner, &good, state.clock.now(), &progress).await?;
            counts.new = applied.new;
            counts.updated = applied.updated;
            counts.unchanged = applied.unchanged;
        }
    }
    Ok(ImportReport { counts, rejected, rejected_total, columns: columns.mapping, preview })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_map_case_insensitively_and_others_become_fields() {
        assert_eq!(target_of(" No_WA "), Target::Number);
        assert_eq!(target_of("Nama"), Target::Name);
        assert_eq!(target_of("E-mail"), Target::Email);
        assert_eq!(target_of("Cabang"), Target::Outlet);
        assert_eq!(target_of("Ukuran Kaos"), Target::Field("ukuran_kaos".into()));
        assert_eq!(target_of("opted_out"), Target::Ignored);
    }

    #[test]
    fn the_formula_guard_comes_off_and_tags_split() {
        assert_eq!(unguard("'=1+2", false), "=1+2");
        assert_eq!(unguard("'Budi", false), "'Budi");
        assert_eq!(unguard("'0812", true), "0812");
        assert_eq!(split_tags("vip; Baru,,VIP"), ["vip", "Baru"]);
    }
}

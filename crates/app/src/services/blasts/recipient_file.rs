//! Recipients from an uploaded CSV or `.xlsx` file, read and checked by the contact import
//! (`contact_import::read_checked`: file type by its bytes, the header names — `nama`/`name`,
//! `no_wa`/`phone`, `email`, custom columns —, at most 50 columns, 32 MB and 200,000 rows).
//!
//! Each good row is a recipient: a number that is a saved contact of the owner is that contact
//! (its values, its opt-out and block); any other number keeps the file's name and custom
//! columns as its values (`blast_recipients.vars`) for `{{name}}` and `{{field}}`. A refused
//! row is a `skipped` recipient whose reason names the fault and the line, e.g.
//! `invalid_number (line 4)`; an empty row is no recipient. The file itself is not kept: the
//! blast records its name and row count, and a duplicate or a resend takes the numbers and
//! values from the recipient rows (so a recurring blast, which would need the file again at
//! every run, cannot have one).

use crate::error::{ServiceError, ServiceResult};
use crate::services::contact_import;
use crate::state::AppState;
use domain::{PhoneNumber, Scope, UserId};
use store::{Blast, FileValues};

/// A recipients file as uploaded.
pub struct RecipientFile {
    /// The file's name, as the blast records it.
    pub name: String,
    pub data: Vec<u8>,
}

/// The recipients a file (or an earlier blast's rows) gives, in file order.
#[derive(Debug, Default)]
pub(super) struct FileRecipients {
    pub name: String,
    /// Data rows read.
    pub rows: usize,
    pub entries: Vec<Entry>,
}

#[derive(Debug)]
pub(super) enum Entry {
    /// A number (E.164) and, when it is no contact, the values its text is rendered from.
    Number { number: String, values: Option<FileValues> },
    /// A refused row: what to show as its number, and why (with the line).
    Refused { number: String, reason: String },
}

impl FileRecipients {
    /// The custom columns any row gave a value (variables the blast's text may use).
    pub fn columns(&self) -> std::collections::BTreeSet<&str> {
        let mut columns = std::collections::BTreeSet::new();
        for entry in &self.entries {
            if let Entry::Number { values: Some(v), .. } = entry {
                columns.extend(v.fields.keys().map(String::as_str));
            }
        }
        columns
    }

    /// What the blast records of its file (never the rows).
    pub fn choice(&self) -> serde_json::Value {
        serde_json::json!({ "name": self.name, "rows": self.rows })
    }
}

/// The blast's short reason for a row the import refuses.
fn code(field: &str) -> &'static str {
    match field {
        "number" => "invalid_number",
        "name" => "invalid_name",
        "email" => "invalid_email",
        "outlet" => "unknown_outlet",
        "notes" => "invalid_notes",
        "tags" => "invalid_tags",
        f if f.starts_with("fields.") => "invalid_field",
        _ => "invalid_row",
    }
}

/// Reads and checks the file (off the async threads) into recipients.
pub(super) async fn read(state: &AppState, owner: UserId, file: RecipientFile) -> ServiceResult<FileRecipients> {
    let outlets = contact_import::outlets_by_name(state, owner).await?;
    let data = file.data;
    let rows = tokio::task::spawn_blocking(move || contact_import::read_checked(&data, &outlets))
        .await
        .map_err(ServiceError::internal)?
        // The import names its upload `file`; here that is the recipients file, not the media.
        .map_err(|e| match e {
            ServiceError::Invalid { field: "file", message } => {
                ServiceError::Invalid { field: "recipients_file", message }
            }
            other => other,
        })?;
    let mut out =
        FileRecipients { name: clean_name(&file.name), rows: rows.len(), entries: Vec::with_capacity(rows.len()) };
    for row in rows {
        match row.outcome {
            Ok(c) => out.entries.push(Entry::Number {
                number: c.wa_number,
                values: Some(FileValues { name: c.name, fields: c.fields }),
            }),
            // An empty row (a blank line Excel left) is nobody.
            Err(p) if p.field == "row" => {}
            Err(p) => {
                // Shown as the number it is when it is one, else as typed (short, printable),
                // else by its line.
                let number = match PhoneNumber::parse(&p.number) {
                    Ok(n) => n.as_str().to_string(),
                    Err(_) => p.number.chars().filter(|c| !c.is_control()).take(40).collect::<String>(),
                };
                let number = if number.trim().is_empty() { format!("line {}", row.line) } else { number };
                out.entries.push(Entry::Refused { number, reason: format!("{} (line {})", code(&p.field), row.line) });
            }
        }
    }
    Ok(out)
}

fn clean_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// The recipients of an earlier file blast, with their values, for its duplicate (all) or its
/// resend (the failed ones). Rows whose number was refused stay out.
pub(super) async fn from_blast(
    state: &AppState,
    _scope: Scope,
    blast: &Blast,
    failed_only: bool,
) -> ServiceResult<FileRecipients> {
    let name = blast.recipients.get("file").and_then(|f| f.get("name")).and_then(|n| n.as_str()).unwrap_or("");
    let mut out = FileRecipients { name: name.to_string(), ..FileRecipients::default() };
    let mut after = 0;
    loop {
        let page = state.store.blast_recipient_rows_after(blast.id, failed_only, after, 1000).await?;
        let Some((last, _, _)) = page.last() else { break };
        after = *last;
        for (_, number, vars) in page {
            if let Ok(n) = PhoneNumber::parse(&number) {
                out.entries.push(Entry::Number {
                    number: n.as_str().to_string(),
                    values: vars.as_deref().map(FileValues::parse),
                });
            }
        }
    }
    out.rows = out.entries.len();
    Ok(out)
}

/// Was this blast's audience (partly) an uploaded file?
pub(super) fn had_file(blast: &Blast) -> bool {
    blast.recipients.get("file").is_some()
}

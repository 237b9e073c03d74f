//! The owner's contacts as CSV, streamed: one keyset page of [`PAGE`] contacts is read only
//! when the previous one has been sent, so an export of a million contacts holds one page in
//! memory, never the list.
//!
//! The columns are those an import reads back (`name,phone,email,tags,outlet,notes`, then
//! `opted_out,blocked`, which an import ignores, then the owner's custom fields, sorted):
//! exporting and importing the file again changes nothing.

use super::may_import;
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use domain::{Actor, OutletId, UserId};
use futures_util::stream::{self, Stream};
use std::borrow::Cow;
use std::collections::HashMap;
use store::{ExportContact, ExportFilter, Store};

/// Contacts per page read.
const PAGE: usize = 1000;

/// The list's filters, owned (the stream outlives the request's borrow).
#[derive(Debug, Clone, Default)]
pub struct ExportQuery {
    pub search: Option<String>,
    pub tag: Option<i64>,
    pub home_outlet: Option<OutletId>,
    pub opted_out: Option<bool>,
}

pub struct Export {
    /// `contacts-YYYY-MM-DD.csv`
    pub file_name: String,
    /// The file in pieces; an error ends it early (the response then breaks off).
    pub body: std::pin::Pin<Box<dyn Stream<Item = ServiceResult<Vec<u8>>> + Send>>,
}

struct Cursor {
    store: Store,
    owner: UserId,
    query: ExportQuery,
    outlets: HashMap<OutletId, String>,
    fields: Vec<String>,
    after: i64,
    header: bool,
    done: bool,
}

/// The caller's own contacts that match `query`.
pub async fn export(state: &AppState, actor: Actor, query: ExportQuery) -> ServiceResult<Export> {
    // A number is searched as typed (`0812…`), as the list does.
    let search = query.search.map(|s| domain::PhoneNumber::search_digits(&s).unwrap_or(s));
    let query = ExportQuery { search, ..query };
    may_import(actor)?;
    let owner = actor.user_id;
    let outlets = state.store.import_outlet_names(owner).await?.into_iter().collect();
    let fields = state.store.export_field_names(owner).await?;
    let now = state.clock.now().millis();
    let date = time::OffsetDateTime::from_unix_timestamp(now.div_euclid(1000))
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| "export".into());
    let cursor =
        Cursor { store: state.store.clone(), owner, query, outlets, fields, after: 0, header: true, done: false };
    let body = stream::unfold(cursor, |mut c| async move {
        if c.done {
            return None;
        }
        let chunk = next_chunk(&mut c).await;
        if chunk.is_err() {
            c.done = true;
        }
        match chunk {
            Ok(bytes) if bytes.is_empty() => None,
            other => Some((other, c)),
        }
    });
    Ok(Export { file_name: format!("contacts-{date}.csv"), body: Box::pin(body) })
}

/// The header (first time) and the next page, as CSV; empty at the end.
async fn next_chunk(c: &mut Cursor) -> ServiceResult<Vec<u8>> {
    let filter = ExportFilter {
        search: c.query.search.as_deref(),
        tag: c.query.tag,
        home_outlet: c.query.home_outlet,
        opted_out: c.query.opted_out,
    };
    let page = c.store.export_contacts_page(c.owner, &filter, c.after, PAGE).await?;
    if page.len() < PAGE {
        c.done = true;
    }
    let mut buf = Vec::with_capacity(page.len() * 128 + 256);
    let header = std::mem::take(&mut c.header);
    if header {
        // A byte order mark, so that Excel reads the file as UTF-8 (an import skips it).
        buf.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let mut out = csv::Writer::from_writer(buf);
    let csv_error = |e: csv::Error| ServiceError::internal(format!("writing the export: {e}"));
    if header {
        let mut header: Vec<&str> = vec!["name", "phone", "email", "tags", "outlet", "notes", "opted_out", "blocked"];
        header.extend(c.fields.iter().map(String::as_str));
        out.write_record(&header).map_err(csv_error)?;
    }
    for contact in &page {
        out.write_record(record(contact, &c.outlets, &c.fields).iter().map(|cell| cell.as_bytes()))
            .map_err(csv_error)?;
    }
    if let Some(last) = page.last() {
        c.after = last.id;
    }
    out.into_inner().map_err(|e| ServiceError::internal(format!("writing the export: {e}")))
}

fn record<'a>(c: &'a ExportContact, outlets: &'a HashMap<OutletId, String>, fields: &'a [String]) -> Vec<Cow<'a, str>> {
    let flag = |b: bool| Cow::Borrowed(if b { "true" } else { "false" });
    let mut row = vec![
        guard(&c.name),
        // Never guarded: `+62…` is how the number is written, and an import reads it back.
        Cow::Borrowed(c.wa_number.as_str()),
        guard(c.email.as_deref().unwrap_or("")),
        guard_owned(c.tags.join(";")),
        guard(c.home_outlet.and_then(|o| outlets.get(&o)).map_or("", String::as_str)),
        guard(&c.notes),
        flag(c.opted_out),
        flag(c.blocked),
    ];
    row.extend(fields.iter().map(|f| guard(c.fields.get(f).map_or("", String::as_str))));
    row
}

/// CSV injection: Excel runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or a
/// carriage return before one) as a formula, and a contact's name or note is written by
/// whoever messaged the shop. Such a cell gets a leading `'`, which Excel shows as text and an
/// import takes off again.
fn guard(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn guard_owned(cell: String) -> Cow<'static, str> {
    match guard(&cell) {
        Cow::Owned(s) => Cow::Owned(s),
        Cow::Borrowed(_) => Cow::Owned(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_guarded_but_not_numbers() {
        let c = ExportContact {
            id: 1,
            name: "=HYPERLINK(\"x\")".into(),
            wa_number: "+6281234567890".into(),
            email: None,
            notes: "-".into(),
            home_outlet: None,
            fields: [("kota".to_string(), "@home".to_string())].into(),
            opted_out: false,
            blocked: true,
            tags: vec!["a".into(), "b".into()],
        };
        let fields = vec!["kota".to_string(), "ukuran".to_string()];
        let outlets = HashMap::new();
        let row = record(&c, &outlets, &fields);
        assert_eq!(row, ["'=HYPERLINK(\"x\")", "+6281234567890", "", "a;b", "", "'-", "false", "true", "'@home", ""]);
    }
}

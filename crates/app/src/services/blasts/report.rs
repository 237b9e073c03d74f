//! A blast's per-recipient report: paged, or streamed as CSV.

use super::*;

/// A page of a blast's recipients, optionally of one status.
pub async fn recipients_page(
    state: &AppState,
    actor: Actor,
    id: i64,
    status: Option<RecipientStatus>,
    page: Page,
) -> ServiceResult<Paged<BlastRecipient>> {
    let scope = whatsapp_scope(actor)?;
    let blast = find(state, scope, id).await?;
    Ok(state.store.blast_recipients(&blast, status, page).await?)
}

/// The blast's recipients as CSV (`phone,status,reason,outlet_id,contact_id,message_id,updated_at`),
/// streamed a page at a time in constant memory.
pub async fn export(
    state: &AppState,
    actor: Actor,
    id: i64,
    status: Option<RecipientStatus>,
) -> ServiceResult<crate::services::contact_import::Export> {
    let scope = whatsapp_scope(actor)?;
    let blast = find(state, scope, id).await?;
    struct Cursor {
        store: store::Store,
        blast: i64,
        status: Option<RecipientStatus>,
        after: i64,
        header: bool,
        done: bool,
    }
    let cursor = Cursor { store: state.store.clone(), blast: blast.id, status, after: 0, header: true, done: false };
    let body = futures_util::stream::unfold(cursor, |mut c| async move {
        if c.done {
            return None;
        }
        let mut out = csv::Writer::from_writer(Vec::new());
        let mut write = |row: &[&str]| out.write_record(row).map_err(ServiceError::internal);
        if std::mem::take(&mut c.header) {
            if let Err(e) = write(&["phone", "status", "reason", "outlet_id", "contact_id", "message_id", "updated_at"])
            {
                c.done = true;
                return Some((Err(e), c));
            }
        }
        let rows = match c.store.blast_recipients_after(c.blast, c.status, c.after, 1000).await {
            Ok(rows) => rows,
            Err(e) => {
                c.done = true;
                return Some((Err(e.into()), c));
            }
        };
        c.done = rows.len() < 1000;
        for r in &rows {
            let id = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            // A pasted text that was no number is kept as typed: never let Excel run it.
            let phone = match r.wa_number.chars().next() {
                // (A valid number is E.164, `+` then digits; anything else was typed.)
                Some('=' | '+' | '-' | '@' | '\t' | '\r') if domain::PhoneNumber::parse(&r.wa_number).is_err() => {
                    format!("'{}", r.wa_number)
                }
                _ => r.wa_number.clone(),
            };
            let line = [
                phone.as_str(),
                r.status.as_str(),
                r.reason.as_str(),
                &id(r.outlet_id.map(|o| o.0)),
                &id(r.contact_id),
                &id(r.message_id),
                &r.updated_at.to_rfc3339(),
            ];
            if let Err(e) = write(&line) {
                c.done = true;
                return Some((Err(e), c));
            }
        }
        if let Some(last) = rows.last() {
            c.after = last.id;
        }
        let bytes = out.into_inner().map_err(ServiceError::internal);
        match bytes {
            Ok(b) if b.is_empty() => None,
            other => Some((other, c)),
        }
    });
    Ok(crate::services::contact_import::Export {
        file_name: format!("blast-{}-recipients.csv", blast.id),
        body: Box::pin(body),
    })
}

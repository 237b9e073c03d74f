//! Where a new blast's recipients come from: rows decided in the service (pasted numbers, a
//! file, chosen contacts, mixed choices), or — for the large, common case of every contact or
//! the contacts with some tags — decided inside the database by one `INSERT … SELECT`, so that
//! 100,000 contacts are never read into the process and written back.

use super::PlannedRecipient;
use domain::{OutletId, Timestamp, UserId};
use std::fmt::Write;

/// A new blast's recipients.
#[derive(Debug, Clone, Copy)]
pub enum Recipients<'a> {
    /// Decided by the caller, in this order.
    Planned(&'a [PlannedRecipient]),
    /// The owner's contacts, decided in the database by the same rules as the service's
    /// planning (`services::blasts::plan::recipients`): opted out → skipped `opted_out`,
    /// blocked → skipped `blocked`; each other contact through their home outlet when it is
    /// one of the blast's, the rest round-robin over the blast's outlets in contact order.
    Contacts(ContactAudience<'a>),
}

#[derive(Debug, Clone, Copy)]
pub struct ContactAudience<'a> {
    /// Only contacts with any of these tags (the caller checked they are the owner's); `None`:
    /// every contact.
    pub tags: Option<&'a [i64]>,
    /// The most recipients a blast may have: more refuses it.
    pub max: i64,
}

/// The `INSERT … SELECT` that writes a blast's recipients from the owner's contacts. Every value
/// in the text is a number (ids, a time).
pub(super) fn insert_contacts(
    blast: i64,
    owner: UserId,
    now: Timestamp,
    outlets: &[OutletId],
    audience: &ContactAudience<'_>,
) -> String {
    let ids: Vec<String> = outlets.iter().map(|o| o.0.to_string()).collect();
    let chosen = ids.join(", ");
    // Round-robin: the n-th contact without a chosen home outlet goes to outlets[n % len].
    let mut round_robin = String::from("CASE (ROW_NUMBER() OVER (PARTITION BY a.rr ORDER BY a.id) - 1) % ");
    let _ = write!(round_robin, "{}", outlets.len().max(1));
    for (i, id) in ids.iter().enumerate() {
        let _ = write!(round_robin, " WHEN {i} THEN {id}");
    }
    round_robin.push_str(" END");
    let tagged = match audience.tags {
        Some(tags) => {
            let tags: Vec<String> = tags.iter().map(i64::to_string).collect();
            format!(
                " AND EXISTS (SELECT 1 FROM contact_tags ct WHERE ct.contact_id = c.id AND ct.tag_id IN ({}))",
                tags.join(", ")
            )
        }
        None => String::new(),
    };
    format!(
        "INSERT INTO blast_recipients (blast_id, owner_id, updated_at, contact_id, wa_number, outlet_id, status, reason)
         SELECT {blast}, {owner}, {now}, a.id, a.wa_number,
                CASE WHEN a.skip <> '' THEN NULL WHEN a.rr = 0 THEN a.home ELSE {round_robin} END,
                CASE WHEN a.skip = '' THEN 'pending' ELSE 'skipped' END, a.skip
         FROM (SELECT b.id, b.wa_number, b.home, b.skip,
                      CASE WHEN b.skip = '' AND (b.home IS NULL OR b.home NOT IN ({chosen})) THEN 1 ELSE 0 END AS rr
               FROM (SELECT c.id, c.wa_number, c.home_outlet_id AS home,
                            CASE WHEN c.opted_out_at IS NOT NULL THEN 'opted_out' WHEN c.blocked THEN 'blocked'
                                 ELSE '' END AS skip
                     FROM contacts c WHERE c.owner_id = {owner}{tagged}) b) a
         ORDER BY a.id",
        owner = owner.0,
        now = now.millis(),
    )
}

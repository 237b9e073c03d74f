//! What every automatic answer (an auto-reply rule's, a chatbot's turn) writes inside its
//! transaction: the claim on the inbound message under the per-number cap, and the outbox rows
//! marked with their origin. One place, so that rules and chatbots share the cap and the
//! answered-once guarantee.

use crate::messages::COLUMNS as MESSAGE_COLUMNS;

/// What the claim on an inbound message found.
pub(crate) enum Claim {
    /// The number had the cap's worth of automatic replies in the window.
    OverCap,
    /// The inbound message was answered already (a replay).
    AlreadyAnswered,
    /// Claimed: the log row's id.
    Logged(i64),
}

/// The outbox insert for automatic replies of `origin` (a fixed name, not input).
pub(crate) fn insert_sql(origin: &str) -> String {
    format!(
        "INSERT INTO messages (owner_id, outlet_id, direction, peer, body, status, created_at, updated_at,
             expires_at, kind, media_mime, media_name, media_size, origin, quota_period)
         VALUES ($1, $2, 'out', $3, $4, 'pending', $5, $5, $6, $7, $8, $9, $10, '{origin}', $11)
         RETURNING {MESSAGE_COLUMNS}"
    )
}

/// Inside a transaction: counts the automatic replies to `$peer` since `$window_start` and,
/// under `$cap`, writes the log row unique per inbound message. Evaluates to a [`Claim`].
macro_rules! claim_answer {
    ($tx:expr, owner: $owner:expr, outlet: $outlet:expr, peer: $peer:expr, inbound: $inbound:expr, rule: $rule:expr,
     window_start: $window_start:expr, cap: $cap:expr, now: $now:expr) => {{
        let recent: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM auto_reply_log WHERE owner_id = $1 AND peer = $2 AND created_at > $3",
        )
        .bind($owner)
        .bind($peer)
        .bind($window_start)
        .fetch_one(&mut *$tx)
        .await?;
        if recent >= $cap {
            $crate::automatic::Claim::OverCap
        } else {
            let log: Option<i64> = sqlx::query_scalar(
                "INSERT INTO auto_reply_log (owner_id, outlet_id, peer, inbound_message_id, auto_reply_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (inbound_message_id) DO NOTHING RETURNING id",
            )
            .bind($owner)
            .bind($outlet)
            .bind($peer)
            .bind($inbound)
            .bind($rule)
            .bind($now)
            .fetch_optional(&mut *$tx)
            .await?;
            match log {
                Some(id) => $crate::automatic::Claim::Logged(id),
                None => $crate::automatic::Claim::AlreadyAnswered,
            }
        }
    }};
}
pub(crate) use claim_answer;

/// Inside a transaction: writes the outbox row (and its media) of `$m`, a [`crate::NewOutgoing`],
/// with `$sql` from [`insert_sql`], charged under `$terms` (the plan's footer on its text).
/// Evaluates to the [`crate::Message`].
macro_rules! insert_automatic {
    ($tx:expr, $sql:expr, $m:expr, $terms:expr, $now:expr) => {{
        let m = $m;
        let terms: &$crate::billing::Terms = $terms;
        let media = m.media.as_ref();
        let row: Option<$crate::messages::Row> = sqlx::query_as($sql)
            .bind(m.owner.0)
            .bind(m.outlet.0)
            .bind(m.to)
            .bind($crate::billing::with_footer(m.body, &terms.footer, $crate::billing::text_max(media.is_some())))
            .bind($now)
            .bind(m.expires_at.map(domain::Timestamp::millis))
            .bind(media.map_or("text", |x| x.kind))
            .bind(media.map(|x| x.mime))
            .bind(media.map(|x| x.file_name))
            .bind(media.map(|x| i64::try_from(x.data.len()).unwrap_or(i64::MAX)))
            .bind(terms.quota_start.millis())
            .fetch_optional(&mut *$tx)
            .await?;
        let message = $crate::messages::one(row)?
            .ok_or_else(|| $crate::StoreError::Corrupt("an automatic reply was not written".into()))?;
        if let Some(x) = media {
            sqlx::query("INSERT INTO message_media (message_id, data) VALUES ($1, $2)")
                .bind(message.id)
                .bind(x.data)
                .execute(&mut *$tx)
                .await?;
        }
        message
    }};
}
pub(crate) use insert_automatic;

//! Blasts as seen from one outlet: what its device has handed over today (for the daily cap and
//! the ETA), and what becomes of its shares when the outlet is deleted.

use crate::{on_db, Result, Store};
use domain::OutletId;
use std::collections::HashMap;

/// Inside a transaction, before an outlet is deleted (its shares and messages go with it): its
/// recipients not yet final fail with `outlet_deleted`, and its shares' counters move onto their
/// blasts' own rows, so every recipient ends final and the blasts' counters still add up. A
/// running blast left with nothing to do then finishes in the dispatcher's next round.
macro_rules! release_outlet {
    ($tx:expr, $outlet:expr, $now:expr) => {{
        sqlx::query(
            "UPDATE blast_recipients SET status = 'failed', reason = 'outlet_deleted', updated_at = $2
             WHERE blast_id IN (SELECT blast_id FROM blast_outlets WHERE outlet_id = $1)
               AND outlet_id = $1 AND status IN ('pending', 'queued')",
        )
        .bind($outlet)
        .bind($now.millis())
        .execute(&mut *$tx)
        .await?;
        sqlx::query(
            "UPDATE blasts SET
                 sent = sent + (SELECT bo.sent FROM blast_outlets bo WHERE bo.blast_id = blasts.id AND bo.outlet_id = $1),
                 delivered = delivered + (SELECT bo.delivered FROM blast_outlets bo WHERE bo.blast_id = blasts.id AND bo.outlet_id = $1),
                 read = read + (SELECT bo.read FROM blast_outlets bo WHERE bo.blast_id = blasts.id AND bo.outlet_id = $1),
                 skipped = skipped + (SELECT bo.skipped FROM blast_outlets bo WHERE bo.blast_id = blasts.id AND bo.outlet_id = $1),
                 failed = failed + (SELECT bo.failed + bo.pending + bo.queued FROM blast_outlets bo
                                    WHERE bo.blast_id = blasts.id AND bo.outlet_id = $1),
                 updated_at = $2
             WHERE id IN (SELECT blast_id FROM blast_outlets WHERE outlet_id = $1)",
        )
        .bind($outlet)
        .bind($now.millis())
        .execute(&mut *$tx)
        .await?;
        sqlx::query("DELETE FROM blast_outlets WHERE outlet_id = $1").bind($outlet).execute(&mut *$tx).await?;
    }};
}
pub(crate) use release_outlet;

impl Store {
    /// How many messages each of these outlets' devices handed over on a local day (`YYYY-MM-DD`).
    pub async fn outlet_sends_on(&self, outlets: &[OutletId], day: &str) -> Result<HashMap<OutletId, i64>> {
        if outlets.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT outlet_id, count FROM outlet_daily_sends WHERE day = $1 AND outlet_id IN ({})",
            super::placeholders(2, outlets.len())
        );
        let rows: Vec<(i64, i64)> = on_db!(self, read, pool => {
            let mut q = sqlx::query_as(&sql).bind(day);
            for o in outlets { q = q.bind(o.0); }
            q.fetch_all(pool).await
        })?;
        Ok(rows.into_iter().map(|(o, n)| (OutletId(o), n)).collect())
    }
}

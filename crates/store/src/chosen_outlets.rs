//! What applies to all of an owner's outlets or to chosen ones (an auto-reply rule, a chatbot):
//! the chosen ones live in a table of their own (`<key>`, `outlet_id`) and are read for a
//! whole page at once.

use crate::contacts::placeholders;
use crate::{on_db, Result, Store};
use domain::OutletId;
use std::collections::HashMap;

/// Inside a transaction: replaces the chosen outlets of `$item` in `$table` (keyed by `$key`;
/// fixed names, not input) with those of `$ids` that `$owner` has.
macro_rules! set_chosen_outlets {
    ($tx:expr, $table:literal, $key:literal, $item:expr, $owner:expr, $ids:expr) => {{
        sqlx::query(concat!("DELETE FROM ", $table, " WHERE ", $key, " = $1")).bind($item).execute(&mut *$tx).await?;
        if !$ids.is_empty() {
            let sql = format!(
                concat!(
                    "INSERT INTO ",
                    $table,
                    " (",
                    $key,
                    ", outlet_id) SELECT $1, id FROM outlets WHERE owner_id = $2 AND id IN ({})"
                ),
                $crate::contacts::placeholders(3, $ids.len())
            );
            let mut q = sqlx::query(&sql).bind($item).bind($owner);
            for id in $ids {
                q = q.bind(id.0);
            }
            q.execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use set_chosen_outlets;

pub(crate) trait ChosenOutlets {
    fn id(&self) -> i64;
    fn all_outlets(&self) -> bool;
    fn outlet_ids_mut(&mut self) -> &mut Vec<OutletId>;
}

impl Store {
    /// Fills in the chosen outlets of `items` from `table` (fixed names, not input).
    pub(crate) async fn with_chosen_outlets<T: ChosenOutlets>(
        &self,
        mut items: Vec<T>,
        table: &'static str,
        key: &'static str,
    ) -> Result<Vec<T>> {
        let chosen: Vec<i64> = items.iter().filter(|i| !i.all_outlets()).map(ChosenOutlets::id).collect();
        if chosen.is_empty() {
            return Ok(items);
        }
        let sql = format!(
            "SELECT {key}, outlet_id FROM {table} WHERE {key} IN ({}) ORDER BY outlet_id",
            placeholders(1, chosen.len())
        );
        let pairs: Vec<(i64, i64)> = on_db!(self, read, pool => {
            let mut q = sqlx::query_as(&sql);
            for id in &chosen {
                q = q.bind(id);
            }
            q.fetch_all(pool).await?
        });
        let index: HashMap<i64, usize> = items.iter().enumerate().map(|(i, item)| (item.id(), i)).collect();
        for (item, outlet) in pairs {
            if let Some(&i) = index.get(&item) {
                items[i].outlet_ids_mut().push(OutletId(outlet));
            }
        }
        Ok(items)
    }
}

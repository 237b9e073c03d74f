//! The numbers on the dashboard: a user's own outlets; roles that may see platform numbers
//! (admins, monitoring) get the platform's totals, never the rows behind them.

use crate::error::ServiceResult;
use crate::state::AppState;
use domain::policy::{self, system_scope, whatsapp_scope, Capability};
use domain::Actor;
use store::Page;

pub struct Stat {
    /// The catalogue key of the number's label (`crate::i18n`), e.g. `dashboard-users`.
    pub key: &'static str,
    pub value: i64,
}

pub async fn stats(state: &AppState, actor: Actor) -> ServiceResult<Vec<Stat>> {
    let one = Page::new(Some(1), Some(1));
    if policy::allows(actor.role, Capability::ViewPlatformAggregates) {
        let users = state.store.list_users(None, one).await?.total;
        let outlets = state.store.list_outlets(system_scope(), None, one).await?.total;
        return Ok(vec![
            Stat { key: "dashboard-users", value: users },
            Stat { key: "dashboard-outlets", value: outlets },
        ]);
    }
    let mine = state.store.list_outlets(whatsapp_scope(actor)?, None, one).await?.total;
    Ok(vec![Stat { key: "dashboard-my-outlets", value: mine }])
}

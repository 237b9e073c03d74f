//! Who may hear which device events (`/api/events`), checked when a stream opens and again
//! while it stays open: a logout, a revoked key, a disabled user or a changed role ends it.

use crate::sessions::DeviceEvent;
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{Actor, Scope};

/// The credential behind a stream.
#[derive(Debug, Clone)]
pub enum Credential {
    /// The SHA-256 of a browser session's token.
    Session(String),
    ApiKey(i64),
}

/// The scope a stream is opened with; monitoring gets none.
pub fn open(actor: Actor) -> crate::ServiceResult<Scope> {
    Ok(whatsapp_scope(actor)?)
}

/// Is the credential still valid, with a role that sees the same scope?
pub async fn still_allowed(state: &AppState, credential: &Credential, scope: Scope) -> bool {
    let store = &state.store;
    let actor = match credential {
        Credential::Session(hash) => match store.active_web_session(hash, state.clock.now()).await {
            Ok(Some(s)) => Actor { user_id: s.user_id, role: s.role },
            _ => return false,
        },
        Credential::ApiKey(id) => match store.api_key_holder(*id).await {
            Ok(Some(k)) => Actor { user_id: k.user_id, role: k.role },
            _ => return false,
        },
    };
    whatsapp_scope(actor).is_ok_and(|now| now == scope)
}

pub fn visible(scope: Scope, event: &DeviceEvent) -> bool {
    scope.covers(event.owner_id)
}

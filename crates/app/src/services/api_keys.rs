//! API keys: the secret is returned once, at creation; only its SHA-256 is stored. Creating
//! and revoking keys needs a browser session (the HTTP layer checks), so a leaked key cannot
//! mint more keys or hide its own revocation.

use crate::crypto::tokens::{random_token, sha256_hex};
use crate::error::{not_found_as, ServiceError, ServiceResult};
use crate::state::AppState;
use domain::{Actor, Label};
use store::{ApiKey, Page, Paged};

/// Key secrets start with this, so they are easy to spot (and to scan for in leaked code).
pub const KEY_PREFIX: &str = "kwk_";

/// The holder of a presented key, counting the request on the key in the same statement.
pub async fn authenticate(state: &AppState, secret: &str) -> ServiceResult<(Actor, i64)> {
    let holder = state.store.use_api_key(&sha256_hex(secret.trim()), state.clock.now()).await?.ok_or_else(|| {
        ServiceError::Unauthenticated(
            "the API key is not valid: it is unknown, revoked, or its user is disabled".into(),
        )
    })?;
    Ok((Actor { user_id: holder.user_id, role: holder.role }, holder.key_id))
}

pub async fn list(state: &AppState, actor: Actor, page: Page) -> ServiceResult<Paged<ApiKey>> {
    Ok(state.store.list_api_keys(actor.user_id, page).await?)
}

/// A new key and its secret, shown this once.
pub async fn create(state: &AppState, actor: Actor, name: &str) -> ServiceResult<(ApiKey, String)> {
    let name = Label::parse("key name", name, 64).map_err(|m| ServiceError::invalid("name", m))?;
    let secret = format!("{KEY_PREFIX}{}", random_token());
    let prefix = &secret[..KEY_PREFIX.len() + 8];
    let key = state
        .store
        .create_api_key(actor.user_id, name.as_str(), prefix, &sha256_hex(&secret), state.clock.now())
        .await?;
    Ok((key, secret))
}

pub async fn revoke(state: &AppState, actor: Actor, id: i64) -> ServiceResult<ApiKey> {
    state.store.revoke_api_key(actor.user_id, id, state.clock.now()).await.map_err(not_found_as("API key"))
}

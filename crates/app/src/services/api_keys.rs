//! API keys: the secret is returned once, at creation; only its SHA-256 is stored. Creating
//! and revoking keys needs a browser session (the HTTP layer checks), so a leaked key cannot
//! mint more keys or hide its own revocation. Keys reach the WhatsApp features, so the
//! monitoring role, which may use none of them, has none.

use crate::crypto::tokens::{random_token, sha256_hex};
use crate::error::{not_found_as, ServiceError, ServiceResult};
use crate::i18n::errors::label;
use crate::i18n::Text;
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{Actor, Label, LanguageChoice};
use store::{ApiKey, Page, Paged};

/// Key secrets start with this, so they are easy to spot (and to scan for in leaked code).
pub const KEY_PREFIX: &str = "kwk_";

/// The holder of a presented key (and their page language), counting the request on the key in
/// the same statement.
pub async fn authenticate(state: &AppState, secret: &str) -> ServiceResult<(Actor, i64, LanguageChoice)> {
    let holder = state
        .store
        .use_api_key(&sha256_hex(secret.trim()), state.clock.now())
        .await?
        .ok_or_else(|| ServiceError::Unauthenticated(Text::new("error-api-key-invalid")))?;
    Ok((Actor { user_id: holder.user_id, role: holder.role }, holder.key_id, holder.language))
}

/// May the actor hold API keys at all? Asked before anything else about a key request.
pub fn may_use(actor: Actor) -> ServiceResult<()> {
    whatsapp_scope(actor)?;
    Ok(())
}

pub async fn list(state: &AppState, actor: Actor, page: Page) -> ServiceResult<Paged<ApiKey>> {
    may_use(actor)?;
    Ok(state.store.list_api_keys(actor.user_id, page).await?)
}

/// A new key and its secret, shown this once.
pub async fn create(state: &AppState, actor: Actor, name: &str) -> ServiceResult<(ApiKey, String)> {
    may_use(actor)?;
    let name = Label::parse(name, 64).map_err(|e| ServiceError::invalid("name", label("field-key-name", e)))?;
    let secret = format!("{KEY_PREFIX}{}", random_token());
    let prefix = &secret[..KEY_PREFIX.len() + 8];
    let key = state
        .store
        .create_api_key(actor.user_id, name.as_str(), prefix, &sha256_hex(&secret), state.clock.now())
        .await?;
    Ok((key, secret))
}

/// One of the actor's keys; "not found" for anyone else's.
pub async fn show(state: &AppState, actor: Actor, id: i64) -> ServiceResult<ApiKey> {
    may_use(actor)?;
    state.store.api_key(actor.user_id, id).await?.ok_or_else(|| ServiceError::not_found("error-api-key-not-found"))
}

pub async fn revoke(state: &AppState, actor: Actor, id: i64) -> ServiceResult<ApiKey> {
    may_use(actor)?;
    state
        .store
        .revoke_api_key(actor.user_id, id, state.clock.now())
        .await
        .map_err(not_found_as("error-api-key-not-found"))
}

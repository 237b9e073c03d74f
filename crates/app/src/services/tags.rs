//! Tags: coloured labels an owner puts on contacts, and the bulk changes made with them.

use crate::error::{not_found_as, ServiceError, ServiceResult};
use crate::i18n::errors::label;
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{Actor, Label, TagColor, TAG_NAME_MAX};
use store::Tag;

pub async fn list(state: &AppState, actor: Actor) -> ServiceResult<Vec<Tag>> {
    Ok(state.store.list_tags(whatsapp_scope(actor)?).await?)
}

/// A new tag of the caller's own; without a colour, one picked from its name.
pub async fn create(state: &AppState, actor: Actor, name: &str, color: Option<TagColor>) -> ServiceResult<Tag> {
    whatsapp_scope(actor)?;
    let name = tag_name(name)?;
    let color = color.unwrap_or_else(|| TagColor::for_name(name.as_str()));
    Ok(state.store.create_tag(actor.user_id, name.as_str(), color, state.clock.now()).await?)
}

pub async fn update(
    state: &AppState,
    actor: Actor,
    id: i64,
    name: Option<&str>,
    color: Option<TagColor>,
) -> ServiceResult<Tag> {
    let scope = whatsapp_scope(actor)?;
    let name = name.map(tag_name).transpose()?;
    state
        .store
        .update_tag(scope, id, name.as_ref().map(Label::as_str), color)
        .await
        .map_err(not_found_as("error-tag-not-found"))
}

pub async fn delete(state: &AppState, actor: Actor, id: i64) -> ServiceResult<()> {
    let scope = whatsapp_scope(actor)?;
    state.store.delete_tag(scope, id).await.map_err(not_found_as("error-tag-not-found"))
}

/// Tag names are short labels, one per owner regardless of case (`VIP` is `vip`), without `,`
/// or `;`: those separate tags in an imported or exported file.
pub(crate) fn tag_name(input: &str) -> ServiceResult<Label> {
    let name = Label::parse(input, TAG_NAME_MAX).map_err(|e| ServiceError::invalid("name", label("field-name", e)))?;
    if name.as_str().contains([',', ';']) {
        return Err(ServiceError::invalid("name", "error-tag-separator"));
    }
    Ok(name)
}

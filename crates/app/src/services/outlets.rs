//! Outlets: a user manages their own, staff all of them, monitoring none. Another tenant's
//! outlet is "not found", exactly like one that does not exist.

use crate::error::{not_found_as, phone, ServiceError, ServiceResult};
use crate::i18n::errors::label;
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{Actor, Label, OutletId, PhoneNumber, UserId};
use store::{NewOutlet, Outlet, OutletPatch, Page, Paged};

const NAME_MAX: usize = 100;

fn name(input: &str) -> ServiceResult<Label> {
    Label::parse(input, NAME_MAX).map_err(|e| ServiceError::invalid("name", label("field-outlet-name", e)))
}

fn city(input: &str) -> ServiceResult<Label> {
    Label::parse_optional(input, NAME_MAX).map_err(|e| ServiceError::invalid("city", label("field-city", e)))
}

fn number(input: &str) -> ServiceResult<PhoneNumber> {
    phone("wa_number", input)
}

pub async fn list(state: &AppState, actor: Actor, search: Option<&str>, page: Page) -> ServiceResult<Paged<Outlet>> {
    let scope = whatsapp_scope(actor)?;
    Ok(state.store.list_outlets(scope, search, page).await?)
}

pub async fn show(state: &AppState, actor: Actor, id: OutletId) -> ServiceResult<Outlet> {
    let scope = whatsapp_scope(actor)?;
    state.store.outlet(scope, id).await?.ok_or_else(|| ServiceError::not_found("error-outlet-not-found"))
}

pub struct NewOutletInput<'a> {
    pub name: &'a str,
    pub city: &'a str,
    pub wa_number: &'a str,
    /// Staff may create an outlet for another user; users always own what they create.
    pub owner_id: Option<UserId>,
}

pub async fn create(state: &AppState, actor: Actor, input: NewOutletInput<'_>) -> ServiceResult<Outlet> {
    let scope = whatsapp_scope(actor)?;
    let (name, city, wa_number) = (name(input.name)?, city(input.city)?, number(input.wa_number)?);
    let owner = match input.owner_id {
        Some(id) if id != actor.user_id => {
            if scope.owner().is_some() {
                return Err(ServiceError::forbidden("error-outlet-for-another-user"));
            }
            let owner = state.store.user(id).await?;
            owner.ok_or_else(|| ServiceError::invalid("owner_id", "error-no-such-user"))?.id
        }
        _ => actor.user_id,
    };
    let new = NewOutlet { owner, name: &name, city: &city, wa_number: &wa_number };
    Ok(state.store.create_outlet(new, state.clock.now()).await?)
}

#[derive(Default)]
pub struct OutletChange<'a> {
    pub name: Option<&'a str>,
    pub city: Option<&'a str>,
    pub wa_number: Option<&'a str>,
}

pub async fn update(state: &AppState, actor: Actor, id: OutletId, change: OutletChange<'_>) -> ServiceResult<Outlet> {
    let scope = whatsapp_scope(actor)?;
    let name = change.name.map(name).transpose()?;
    let city = change.city.map(city).transpose()?;
    let wa_number = change.wa_number.map(number).transpose()?;
    if let Some(new) = &wa_number {
        // A paired device belongs to the old number; its session would keep checking pairings
        // against it. Unlink first, then renumber.
        if let Some(d) = state.store.device_of_outlet(scope, id).await? {
            if d.paired_account.is_some() && d.wa_number != new.as_str() {
                return Err(ServiceError::conflict("error-renumber-paired"));
            }
        }
    }
    let patch = OutletPatch { name: name.as_ref(), city: city.as_ref(), wa_number: wa_number.as_ref() };
    state.store.update_outlet(scope, id, patch, state.clock.now()).await.map_err(not_found_as("error-outlet-not-found"))
}

/// Deletes the outlet; its device's session is stopped and its keys wiped first.
pub async fn delete(state: &AppState, actor: Actor, id: OutletId) -> ServiceResult<()> {
    let scope = whatsapp_scope(actor)?;
    if let Some(device) = state.store.device_of_outlet(scope, id).await? {
        state.sessions.remove(device.id, device.engine).await?;
    }
    state.store.delete_outlet(scope, id, state.clock.now()).await.map_err(not_found_as("error-outlet-not-found"))
}

/// Most outlets an automation or integration may be limited to.
pub const MAX_CHOSEN: usize = 200;

/// The outlets something of `owner`'s is limited to (an auto-reply rule, a chatbot, an
/// integration), checked: each one `owner`'s, at most [`MAX_CHOSEN`]; sorted, once each.
pub async fn chosen(state: &AppState, owner: UserId, ids: &[i64]) -> ServiceResult<Vec<OutletId>> {
    if ids.len() > MAX_CHOSEN {
        let text = crate::i18n::Text::new("error-auto-reply-too-many-outlets").arg("max", MAX_CHOSEN);
        return Err(ServiceError::invalid("outlet_ids", text));
    }
    let mut outlets = Vec::with_capacity(ids.len());
    for &id in ids {
        match state.store.outlet(domain::policy::system_scope(), OutletId(id)).await? {
            Some(o) if o.owner_id == owner => outlets.push(o.id),
            _ => {
                let text = crate::i18n::Text::new("error-auto-reply-outlet-unknown").arg("id", id);
                return Err(ServiceError::invalid("outlet_ids", text));
            }
        }
    }
    outlets.sort();
    outlets.dedup();
    Ok(outlets)
}

//! Contacts: an owner's customers, one per WhatsApp number, with custom fields that templates
//! can use. Scoped like outlets: one's own, or every tenant's for staff.

use crate::error::{not_found_as, phone, ServiceError, ServiceResult};
use crate::i18n::errors::label;
use crate::i18n::Text;
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{Actor, Email, Label, OutletId};
use std::collections::BTreeMap;
use store::{Contact, ContactFilter, NewContact, Page, Paged};

const NAME_MAX: usize = 100;
const NOTES_MAX: usize = 1000;
const FIELDS_MAX: usize = 30;
const FIELD_KEY_MAX: usize = 32;
const FIELD_VALUE_MAX: usize = 500;

/// A contact as asked for, unchecked.
#[derive(Debug, Default)]
pub struct ContactInput<'a> {
    pub name: &'a str,
    pub wa_number: &'a str,
    pub email: Option<&'a str>,
    pub notes: &'a str,
    pub home_outlet_id: Option<i64>,
    pub fields: BTreeMap<String, String>,
}

pub async fn list(
    state: &AppState,
    actor: Actor,
    filter: ContactFilter<'_>,
    page: Page,
) -> ServiceResult<Paged<Contact>> {
    let scope = whatsapp_scope(actor)?;
    Ok(state.store.list_contacts(scope, filter, page).await?)
}

pub async fn show(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Contact> {
    let scope = whatsapp_scope(actor)?;
    state.store.contact(scope, id).await?.ok_or_else(|| ServiceError::not_found("error-contact-not-found"))
}

/// A new contact of the caller's own.
pub async fn create(state: &AppState, actor: Actor, input: ContactInput<'_>) -> ServiceResult<Contact> {
    let scope = whatsapp_scope(actor)?;
    let name = Label::parse_optional(input.name, NAME_MAX)
        .map_err(|e| ServiceError::invalid("name", label("field-name", e)))?;
    let number = phone("wa_number", input.wa_number)?;
    let email = match input.email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => Some(Email::parse(e).map_err(|e| ServiceError::invalid("email", e))?),
        None => None,
    };
    if input.notes.chars().count() > NOTES_MAX {
        return Err(ServiceError::invalid("notes", Text::new("error-too-long").arg("max", NOTES_MAX)));
    }
    check_fields(&input.fields)?;
    let home_outlet = match input.home_outlet_id.map(OutletId) {
        Some(id) => {
            let outlet = state.store.outlet(scope, id).await?;
            match outlet {
                Some(o) if o.owner_id == actor.user_id => Some(o.id),
                _ => return Err(ServiceError::invalid("home_outlet_id", "error-contact-outlet")),
            }
        }
        None => None,
    };
    let new = NewContact {
        owner: actor.user_id,
        name: name.as_str(),
        wa_number: &number,
        email: email.as_ref(),
        notes: input.notes.trim(),
        home_outlet,
        fields: &input.fields,
    };
    Ok(state.store.create_contact(new, state.clock.now()).await?)
}

/// Custom fields are template variables: short names of letters, digits and `_`.
fn check_fields(fields: &BTreeMap<String, String>) -> ServiceResult<()> {
    if fields.len() > FIELDS_MAX {
        return Err(ServiceError::invalid("fields", Text::new("error-fields-too-many").arg("max", FIELDS_MAX)));
    }
    for (key, value) in fields {
        let valid = !key.is_empty()
            && key.chars().count() <= FIELD_KEY_MAX
            && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid || domain::BUILTIN_VARIABLES.contains(&key.as_str()) {
            return Err(ServiceError::invalid("fields", Text::new("error-field-name").arg("key", key)));
        }
        if value.chars().count() > FIELD_VALUE_MAX {
            let too_long = Text::new("error-field-too-long").arg("key", key).arg("max", FIELD_VALUE_MAX);
            return Err(ServiceError::invalid("fields", too_long));
        }
    }
    Ok(())
}

pub async fn delete(state: &AppState, actor: Actor, id: i64) -> ServiceResult<()> {
    let scope = whatsapp_scope(actor)?;
    state.store.delete_contact(scope, id).await.map_err(not_found_as("error-contact-not-found"))
}

/// The owner may message the contact again after they opted out.
pub async fn opt_in(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Contact> {
    let scope = whatsapp_scope(actor)?;
    state.store.opt_in_contact(scope, id, state.clock.now()).await.map_err(not_found_as("error-contact-not-found"))
}

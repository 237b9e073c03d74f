//! Contacts: an owner's customers, one per WhatsApp number, with custom fields that templates
//! can use. Scoped like outlets: one's own, or every tenant's for staff.

use crate::error::{not_found_as, phone, ServiceError, ServiceResult};
use crate::i18n::errors::label;
use crate::i18n::Text;
use crate::services::contact_import::Target;
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{Actor, Email, Label, OutletId, PhoneNumber, Scope, UserId};
use std::collections::BTreeMap;
use store::{Contact, ContactFilter, ContactPatch, NewContact, Page, Paged};

const NAME_MAX: usize = 100;
const NOTES_MAX: usize = 1000;
const FIELDS_MAX: usize = 30;
const FIELD_KEY_MAX: usize = 32;
const FIELD_VALUE_MAX: usize = 500;
/// The most contacts one bulk action changes: a page of the list, with room to spare.
pub const BULK_MAX: usize = 1000;

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
    let digits = filter.search.and_then(PhoneNumber::search_digits);
    let filter = ContactFilter { search: digits.as_deref().or(filter.search), ..filter };
    Ok(state.store.list_contacts(scope, filter, page).await?)
}

pub async fn show(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Contact> {
    let scope = whatsapp_scope(actor)?;
    state.store.contact(scope, id).await?.ok_or_else(|| ServiceError::not_found("error-contact-not-found"))
}

/// A new contact of the caller's own.
pub async fn create(state: &AppState, actor: Actor, input: ContactInput<'_>) -> ServiceResult<Contact> {
    let scope = whatsapp_scope(actor)?;
    let name = contact_name(input.name)?;
    let number = phone("wa_number", input.wa_number)?;
    let email = email(input.email)?;
    check_notes(input.notes)?;
    check_fields(&input.fields)?;
    let home_outlet = home_outlet(state, scope, actor.user_id, input.home_outlet_id).await?;
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

/// What an update asks to change; `None` keeps the stored value.
#[derive(Debug, Default)]
pub struct ContactChanges<'a> {
    pub name: Option<&'a str>,
    pub wa_number: Option<&'a str>,
    /// `Some(None)` or an empty text removes the e-mail.
    pub email: Option<Option<&'a str>>,
    pub notes: Option<&'a str>,
    /// `Some(None)` removes the home outlet.
    pub home_outlet_id: Option<Option<i64>>,
    pub fields: Option<BTreeMap<String, String>>,
    pub blocked: Option<bool>,
}

/// Changes a contact; the home outlet must be one of the contact owner's outlets.
pub async fn update(state: &AppState, actor: Actor, id: i64, changes: ContactChanges<'_>) -> ServiceResult<Contact> {
    let scope = whatsapp_scope(actor)?;
    let current = show(state, actor, id).await?;
    let name = changes.name.map(contact_name).transpose()?;
    let number = changes.wa_number.map(|n| phone("wa_number", n)).transpose()?;
    let email = changes.email.map(email).transpose()?;
    if let Some(notes) = changes.notes {
        check_notes(notes)?;
    }
    if let Some(fields) = &changes.fields {
        check_fields(fields)?;
    }
    let home_outlet = match changes.home_outlet_id {
        Some(id) => Some(home_outlet(state, scope, current.owner_id, id).await?),
        None => None,
    };
    let patch = ContactPatch {
        name: name.as_ref().map(Label::as_str),
        wa_number: number.as_ref(),
        email: email.as_ref().map(Option::as_ref),
        notes: changes.notes.map(str::trim),
        home_outlet,
        fields: changes.fields.as_ref(),
        blocked: changes.blocked,
    };
    state
        .store
        .update_contact(scope, id, patch, state.clock.now())
        .await
        .map_err(not_found_as("error-contact-not-found"))
}

/// What a bulk action does to the chosen contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Tag(i64),
    Untag(i64),
    Delete,
}

/// Applies `action` to those of `ids` the caller may change (others are left alone); how
/// many contacts changed. The pages ask for confirmation before a bulk delete.
pub async fn bulk(state: &AppState, actor: Actor, action: BulkAction, ids: &[i64]) -> ServiceResult<u64> {
    let scope = whatsapp_scope(actor)?;
    if ids.is_empty() {
        return Err(ServiceError::invalid("ids", "error-contacts-none-chosen"));
    }
    if ids.len() > BULK_MAX {
        return Err(ServiceError::invalid("ids", Text::new("error-contacts-too-many").arg("max", BULK_MAX)));
    }
    let tag_missing = not_found_as("error-tag-not-found");
    Ok(match action {
        BulkAction::Tag(tag) => state.store.tag_contacts(scope, tag, ids).await.map_err(tag_missing)?,
        BulkAction::Untag(tag) => state.store.untag_contacts(scope, tag, ids).await.map_err(tag_missing)?,
        BulkAction::Delete => state.store.delete_contacts(scope, ids).await?,
    })
}

fn contact_name(input: &str) -> ServiceResult<Label> {
    Label::parse_optional(input, NAME_MAX).map_err(|e| ServiceError::invalid("name", label("field-name", e)))
}

/// An empty e-mail is no e-mail.
fn email(input: Option<&str>) -> ServiceResult<Option<Email>> {
    match input.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => Ok(Some(Email::parse(e).map_err(|e| ServiceError::invalid("email", e))?)),
        None => Ok(None),
    }
}

fn check_notes(notes: &str) -> ServiceResult<()> {
    if notes.chars().count() > NOTES_MAX {
        return Err(ServiceError::invalid("notes", Text::new("error-too-long").arg("max", NOTES_MAX)));
    }
    Ok(())
}

/// A home outlet must be one of the contact owner's own outlets.
async fn home_outlet(
    state: &AppState,
    scope: Scope,
    owner: UserId,
    id: Option<i64>,
) -> ServiceResult<Option<OutletId>> {
    let Some(id) = id else { return Ok(None) };
    match state.store.outlet(scope, OutletId(id)).await? {
        Some(o) if o.owner_id == owner => Ok(Some(o.id)),
        _ => Err(ServiceError::invalid("home_outlet_id", "error-contact-outlet")),
    }
}

/// Custom fields are template variables: short names of letters, digits and `_`.
pub(crate) fn check_fields(fields: &BTreeMap<String, String>) -> ServiceResult<()> {
    if fields.len() > FIELDS_MAX {
        return Err(ServiceError::invalid("fields", Text::new("error-fields-too-many").arg("max", FIELDS_MAX)));
    }
    for (key, value) in fields {
        let valid = !key.is_empty()
            && key.chars().count() <= FIELD_KEY_MAX
            && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        // A key an import reads as one of its own columns (`email`, `nomor`, …) would not come
        // back from an export as a field.
        let a_column = !matches!(crate::services::contact_import::target_of(key), Target::Field(k) if k == *key);
        if !valid || a_column || domain::BUILTIN_VARIABLES.contains(&key.as_str()) {
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

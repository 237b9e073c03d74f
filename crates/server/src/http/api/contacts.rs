//! `/api/contacts`: see `app::services::contacts`.

use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::contacts::{self, BulkAction, ContactChanges, ContactInput};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::OutletId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use store::{Contact, ContactFilter, Paged};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(opt_in))
        .routes(routes!(bulk))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Searches name, number and e-mail.
    q: Option<String>,
    /// Only the contacts of this home outlet.
    outlet_id: Option<i64>,
    /// Only those who opted out (`true`) or did not (`false`).
    opted_out: Option<bool>,
    /// Only the contacts carrying this tag.
    tag_id: Option<i64>,
    #[param(minimum = 1)]
    page: Option<u32>,
    /// 25 by default, at most 200.
    #[param(minimum = 1)]
    per_page: Option<u32>,
}

/// List contacts
///
/// The caller's contacts (staff: every tenant's), by name.
#[utoipa::path(get, path = "/api/contacts", tag = "contacts", operation_id = "listContacts", params(ListParams),
    responses((status = 200, body = Paged<Contact>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<Contact>>> {
    let filter = ContactFilter {
        search: p.q.as_deref(),
        home_outlet: p.outlet_id.map(OutletId),
        opted_out: p.opted_out,
        tag: p.tag_id,
    };
    Ok(Json(contacts::list(&state, caller.actor, filter, store::Page::new(p.page, p.per_page)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewContactBody {
    #[serde(default)]
    #[schema(example = "Bu Sari", max_length = 100)]
    name: String,
    /// `0812…`, `62812…` or `+…` with the country code.
    #[schema(example = "0813-1111-2222")]
    wa_number: String,
    email: Option<String>,
    #[serde(default)]
    #[schema(max_length = 1000)]
    notes: String,
    /// One of the caller's outlets, the one that usually talks to this contact.
    home_outlet_id: Option<i64>,
    /// Custom fields (lowercase letters, digits, `_`), usable in templates as `{{key}}`.
    #[serde(default)]
    #[schema(example = json!({"kota": "Bandung"}))]
    fields: BTreeMap<String, String>,
}

/// Create a contact
///
/// One contact per WhatsApp number (409 for a second one).
#[utoipa::path(post, path = "/api/contacts", tag = "contacts", operation_id = "createContact",
    request_body = NewContactBody, responses((status = 201, body = Contact)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewContactBody>,
) -> AppResult<(StatusCode, Json<Contact>)> {
    let input = ContactInput {
        name: &body.name,
        wa_number: &body.wa_number,
        email: body.email.as_deref(),
        notes: &body.notes,
        home_outlet_id: body.home_outlet_id,
        fields: body.fields,
    };
    Ok((StatusCode::CREATED, Json(contacts::create(&state, caller.actor, input).await?)))
}

/// Show a contact
#[utoipa::path(get, path = "/api/contacts/{id}", tag = "contacts", operation_id = "getContact",
    params(("id" = i64, Path, description = "The contact's id")), responses((status = 200, body = Contact)))]
async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Contact>> {
    Ok(Json(contacts::show(&state, caller.actor, id).await?))
}

/// The fields to change; a field left out keeps its value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ContactChangesBody {
    #[schema(max_length = 100)]
    name: Option<String>,
    wa_number: Option<String>,
    /// An empty text or `null` removes the e-mail.
    #[serde(default, deserialize_with = "app::services::present")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    #[schema(max_length = 1000)]
    notes: Option<String>,
    /// `null` removes the home outlet.
    #[serde(default, deserialize_with = "app::services::present")]
    #[schema(value_type = Option<i64>)]
    home_outlet_id: Option<Option<i64>>,
    /// Replaces every custom field.
    fields: Option<BTreeMap<String, String>>,
    /// A blocked contact is never messaged by a blast.
    blocked: Option<bool>,
}

/// Change a contact
#[utoipa::path(patch, path = "/api/contacts/{id}", tag = "contacts", operation_id = "updateContact",
    params(("id" = i64, Path, description = "The contact's id")), request_body = ContactChangesBody,
    responses((status = 200, body = Contact)))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ContactChangesBody>,
) -> AppResult<Json<Contact>> {
    let changes = ContactChanges {
        name: body.name.as_deref(),
        wa_number: body.wa_number.as_deref(),
        email: body.email.as_ref().map(Option::as_deref),
        notes: body.notes.as_deref(),
        home_outlet_id: body.home_outlet_id,
        fields: body.fields,
        blocked: body.blocked,
    };
    Ok(Json(contacts::update(&state, caller.actor, id, changes).await?))
}

/// Delete a contact
#[utoipa::path(delete, path = "/api/contacts/{id}", tag = "contacts", operation_id = "deleteContact",
    params(("id" = i64, Path, description = "The contact's id")), responses((status = 204, description = "Deleted")))]
async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    contacts::delete(&state, caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Opt a contact back in
///
/// Clears an opt-out (e.g. after the customer asked for messages again), so blasts reach them.
#[utoipa::path(post, path = "/api/contacts/{id}/opt-in", tag = "contacts", operation_id = "optInContact",
    params(("id" = i64, Path, description = "The contact's id")), responses((status = 200, body = Contact)))]
async fn opt_in(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Contact>> {
    Ok(Json(contacts::opt_in(&state, caller.actor, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum BulkActionName {
    Tag,
    Untag,
    Delete,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BulkBody {
    action: BulkActionName,
    /// The contacts to change, at most 1000; ones the caller may not change are left alone.
    #[schema(example = json!([1, 2, 3]))]
    ids: Vec<i64>,
    /// The tag to add or remove (`tag` and `untag`).
    tag_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct BulkDone {
    /// How many contacts changed (ones that already had a tag do not count).
    changed: u64,
}

/// Tag, untag or delete many contacts
///
/// One action on the chosen contacts; the page asks for confirmation before deleting.
#[utoipa::path(post, path = "/api/contacts/bulk", tag = "contacts", operation_id = "bulkContacts",
    request_body = BulkBody, responses((status = 200, body = BulkDone)))]
async fn bulk(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<BulkBody>,
) -> AppResult<Json<BulkDone>> {
    let tag = || body.tag_id.ok_or_else(|| app::ServiceError::invalid("tag_id", "error-bulk-tag-needed"));
    let action = match body.action {
        BulkActionName::Tag => BulkAction::Tag(tag()?),
        BulkActionName::Untag => BulkAction::Untag(tag()?),
        BulkActionName::Delete => BulkAction::Delete,
    };
    let changed = contacts::bulk(&state, caller.actor, action, &body.ids).await?;
    Ok(Json(BulkDone { changed }))
}

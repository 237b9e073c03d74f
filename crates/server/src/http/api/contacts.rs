//! `/api/contacts`: see `app::services::contacts`.

use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::contacts::{self, ContactInput};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::OutletId;
use serde::Deserialize;
use std::collections::BTreeMap;
use store::{Contact, ContactFilter, Paged};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show, remove)).routes(routes!(opt_in))
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
    let filter =
        ContactFilter { search: p.q.as_deref(), home_outlet: p.outlet_id.map(OutletId), opted_out: p.opted_out };
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

//! `/api/outlets`: see `app::services::outlets`.

use super::ListParams;
use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::outlets::{self, NewOutletInput, OutletChange};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::{OutletId, UserId};
use serde::Deserialize;
use store::{Outlet, Paged};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show, update, remove))
}

/// List outlets
///
/// The caller's outlets (staff: every tenant's); `q` searches name, city and number.
#[utoipa::path(get, path = "/api/outlets", tag = "outlets", operation_id = "listOutlets", params(ListParams),
    responses((status = 200, body = Paged<Outlet>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<Outlet>>> {
    Ok(Json(outlets::list(&state, caller.actor, params.q.as_deref(), params.page()).await?))
}

/// Show an outlet
#[utoipa::path(get, path = "/api/outlets/{id}", tag = "outlets", operation_id = "getOutlet",
    params(("id" = i64, Path, description = "The outlet's id")),
    responses((status = 200, body = Outlet)))]
async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Outlet>> {
    Ok(Json(outlets::show(&state, caller.actor, OutletId(id)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewOutlet {
    #[schema(example = "Toko Maju Bandung", min_length = 1, max_length = 100)]
    name: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    city: String,
    /// The outlet's WhatsApp number: `0812…`, `62812…` or `+62812…`; stored as E.164.
    #[schema(example = "0812-3456-7890")]
    wa_number: String,
    /// Staff may create an outlet for another user; users always own what they create.
    owner_id: Option<i64>,
}

/// Create an outlet
#[utoipa::path(post, path = "/api/outlets", tag = "outlets", operation_id = "createOutlet",
    request_body = NewOutlet,
    responses((status = 201, body = Outlet)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewOutlet>,
) -> AppResult<(StatusCode, Json<Outlet>)> {
    let input = NewOutletInput {
        name: &body.name,
        city: &body.city,
        wa_number: &body.wa_number,
        owner_id: body.owner_id.map(UserId),
    };
    Ok((StatusCode::CREATED, Json(outlets::create(&state, caller.actor, input).await?)))
}

/// The fields to change. A new number while a device is paired is refused (409): log out first.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OutletChanges {
    name: Option<String>,
    city: Option<String>,
    wa_number: Option<String>,
}

/// Change an outlet
#[utoipa::path(patch, path = "/api/outlets/{id}", tag = "outlets", operation_id = "updateOutlet",
    params(("id" = i64, Path, description = "The outlet's id")), request_body = OutletChanges,
    responses((status = 200, body = Outlet)))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<OutletChanges>,
) -> AppResult<Json<Outlet>> {
    let change =
        OutletChange { name: body.name.as_deref(), city: body.city.as_deref(), wa_number: body.wa_number.as_deref() };
    Ok(Json(outlets::update(&state, caller.actor, OutletId(id), change).await?))
}

/// Delete an outlet
///
/// Deletes the outlet with its device (logged out first) and its messages.
#[utoipa::path(delete, path = "/api/outlets/{id}", tag = "outlets", operation_id = "deleteOutlet",
    params(("id" = i64, Path, description = "The outlet's id")),
    responses((status = 204, description = "Deleted")))]
async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    outlets::delete(&state, caller.actor, OutletId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! `/api/tags`: see `app::services::tags`. Putting tags on contacts is `POST /api/contacts/bulk`.

use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, Caller};
use app::services::tags;
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::TagColor;
use serde::Deserialize;
use store::Tag;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(update, remove))
}

/// List tags
///
/// The caller's tags (staff: every tenant's), by name.
#[utoipa::path(get, path = "/api/tags", tag = "contacts", operation_id = "listTags",
    responses((status = 200, body = Vec<Tag>)))]
async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<Tag>>> {
    Ok(Json(tags::list(&state, caller.actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTag {
    #[schema(example = "pelanggan-setia", max_length = 40)]
    name: String,
    /// Picked from the name when left out.
    color: Option<TagColor>,
}

/// Create a tag
///
/// One tag per name (409 for a second one).
#[utoipa::path(post, path = "/api/tags", tag = "contacts", operation_id = "createTag",
    request_body = NewTag, responses((status = 201, body = Tag)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewTag>,
) -> AppResult<(StatusCode, Json<Tag>)> {
    Ok((StatusCode::CREATED, Json(tags::create(&state, caller.actor, &body.name, body.color).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TagChanges {
    #[schema(max_length = 40)]
    name: Option<String>,
    color: Option<TagColor>,
}

/// Rename or recolour a tag
#[utoipa::path(patch, path = "/api/tags/{id}", tag = "contacts", operation_id = "updateTag",
    params(("id" = i64, Path, description = "The tag's id")), request_body = TagChanges,
    responses((status = 200, body = Tag)))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TagChanges>,
) -> AppResult<Json<Tag>> {
    Ok(Json(tags::update(&state, caller.actor, id, body.name.as_deref(), body.color).await?))
}

/// Delete a tag
///
/// The contacts that carried it stay.
#[utoipa::path(delete, path = "/api/tags/{id}", tag = "contacts", operation_id = "deleteTag",
    params(("id" = i64, Path, description = "The tag's id")), responses((status = 204, description = "Deleted")))]
async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    tags::delete(&state, caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! `/api/keys`: see `app::services::api_keys`. Creating and revoking keys needs a browser
//! session, so a leaked key cannot mint more keys or hide its own revocation.

use super::PageParams;
use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::api_keys;
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{ApiKey, Paged};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(revoke))
}

/// List my API keys
///
/// The caller's keys, revoked ones included, with their traffic counters. Secrets are never shown
/// again.
#[utoipa::path(get, path = "/api/keys", tag = "keys", operation_id = "listApiKeys", params(PageParams),
    responses((status = 200, body = Paged<ApiKey>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<PageParams>,
) -> AppResult<Json<Paged<ApiKey>>> {
    Ok(Json(api_keys::list(&state, caller.actor, params.page()).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewApiKey {
    /// What the key is for, e.g. "POS Bandung".
    #[schema(min_length = 1, max_length = 64)]
    name: String,
}

#[derive(Serialize, ToSchema)]
struct ApiKeyCreated {
    key: ApiKey,
    /// Shown this once; store it now.
    secret: String,
}

/// Create an API key
///
/// Returns the secret once. Needs a browser session: a key cannot mint keys.
#[utoipa::path(post, path = "/api/keys", tag = "keys", operation_id = "createApiKey", request_body = NewApiKey,
    responses((status = 201, body = ApiKeyCreated)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewApiKey>,
) -> AppResult<(StatusCode, Json<ApiKeyCreated>)> {
    api_keys::may_use(caller.actor)?;
    caller.browser_session()?;
    let (key, secret) = api_keys::create(&state, caller.actor, &body.name).await?;
    Ok((StatusCode::CREATED, Json(ApiKeyCreated { key, secret })))
}

/// Revoke an API key
///
/// The key stops working at once; it stays listed as revoked. Needs a browser session.
#[utoipa::path(delete, path = "/api/keys/{id}", tag = "keys", operation_id = "revokeApiKey",
    params(("id" = i64, Path, description = "The key's id")),
    responses((status = 200, description = "Revoked", body = ApiKey)))]
async fn revoke(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<ApiKey>> {
    // Whose key it is is answered first (403, 404), then how they asked (400).
    api_keys::show(&state, caller.actor, id).await?;
    caller.browser_session()?;
    Ok(Json(api_keys::revoke(&state, caller.actor, id).await?))
}

//! `/api/keys`: see `app::services::api_keys`. Creating and revoking keys needs a browser
//! session, so a leaked key cannot mint more keys or hide its own revocation.

use super::ListParams;
use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::api_keys;
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use store::{ApiKey, Paged};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/keys", get(list).post(create)).route("/api/keys/{id}", delete(revoke))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<ApiKey>>> {
    Ok(Json(api_keys::list(&state, caller.actor, params.page()).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
}

#[derive(Serialize)]
struct Created {
    key: ApiKey,
    /// Shown this once; store it now.
    secret: String,
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> AppResult<(StatusCode, Json<Created>)> {
    caller.browser_session()?;
    let (key, secret) = api_keys::create(&state, caller.actor, &body.name).await?;
    Ok((StatusCode::CREATED, Json(Created { key, secret })))
}

async fn revoke(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<ApiKey>> {
    caller.browser_session()?;
    Ok(Json(api_keys::revoke(&state, caller.actor, id).await?))
}

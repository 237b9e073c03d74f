//! `/api/keys`: a user's API keys. The secret is returned once, at creation; only its SHA-256
//! is stored. Creating and revoking keys needs a browser session, so a leaked key cannot mint
//! more keys or hide its own revocation.

use super::ListParams;
use crate::app::AppState;
use crate::auth::token::{random_token, sha256_hex};
use crate::http::error::{not_found_as, AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use domain::Label;
use serde::{Deserialize, Serialize};
use store::{ApiKey, Paged};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/keys", get(list).post(create)).route("/api/keys/{id}", delete(revoke))
}

/// Key secrets start with this, so they are easy to spot (and to scan for in leaked code).
pub const KEY_PREFIX: &str = "kwk_";

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<ApiKey>>> {
    Ok(Json(state.store.list_api_keys(caller.actor.user_id, params.page()).await?))
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
    let name = Label::parse("key name", &body.name, 64).map_err(|m| AppError::invalid("name", m))?;
    let secret = format!("{KEY_PREFIX}{}", random_token());
    let prefix = &secret[..KEY_PREFIX.len() + 8];
    let key = state
        .store
        .create_api_key(caller.actor.user_id, name.as_str(), prefix, &sha256_hex(&secret), state.clock.now())
        .await?;
    Ok((StatusCode::CREATED, Json(Created { key, secret })))
}

async fn revoke(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<ApiKey>> {
    caller.browser_session()?;
    let key = state
        .store
        .revoke_api_key(caller.actor.user_id, id, state.clock.now())
        .await
        .map_err(not_found_as("API key"))?;
    Ok(Json(key))
}

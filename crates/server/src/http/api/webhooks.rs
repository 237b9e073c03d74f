//! `/api/webhooks`: see `app::services::webhooks`. The secret is shown again only to a
//! browser session, not to an API key.

use super::ListParams;
use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::webhooks::{self, WebhookChange};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use store::{Paged, Webhook};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/webhooks", get(list).post(create))
        .route("/api/webhooks/{id}", get(show).patch(update).delete(remove))
        .route("/api/webhooks/{id}/secret", get(reveal))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<Webhook>>> {
    Ok(Json(webhooks::list(&state, caller.actor, params.page()).await?))
}

async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Webhook>> {
    Ok(Json(webhooks::show(&state, caller.actor, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    url: String,
    events: Vec<String>,
}

#[derive(Serialize)]
struct Created {
    webhook: Webhook,
    secret: String,
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let (webhook, secret) = webhooks::create(&state, caller.actor, &body.url, &body.events).await?;
    Ok((StatusCode::CREATED, Json(Created { webhook, secret })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    url: Option<String>,
    events: Option<Vec<String>>,
    active: Option<bool>,
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> AppResult<Json<Webhook>> {
    let change = WebhookChange { url: body.url.as_deref(), events: body.events.as_deref(), active: body.active };
    Ok(Json(webhooks::update(&state, caller.actor, id, change).await?))
}

async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    webhooks::delete(&state, caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signing secret, for setting up a receiver. Needs a browser session, not an API key.
async fn reveal(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Value>> {
    caller.browser_session()?;
    Ok(Json(json!({ "secret": webhooks::secret(&state, caller.actor, id).await? })))
}

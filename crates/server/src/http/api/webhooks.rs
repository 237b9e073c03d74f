//! `/api/webhooks`: see `app::services::webhooks`. The secret is shown again only to a
//! browser session, not to an API key.

use super::PageParams;
use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::webhooks::{self, WebhookChange};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{Paged, Webhook};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show, update, remove)).routes(routes!(reveal))
}

/// List webhooks
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks", operation_id = "listWebhooks", params(PageParams),
    responses((status = 200, body = Paged<Webhook>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<PageParams>,
) -> AppResult<Json<Paged<Webhook>>> {
    Ok(Json(webhooks::list(&state, caller.actor, params.page()).await?))
}

/// Show a webhook
#[utoipa::path(get, path = "/api/webhooks/{id}", tag = "webhooks", operation_id = "getWebhook",
    params(("id" = i64, Path, description = "The webhook's id")),
    responses((status = 200, body = Webhook)))]
async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Webhook>> {
    Ok(Json(webhooks::show(&state, caller.actor, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewWebhook {
    /// An http:// or https:// URL on the public internet (private addresses are refused).
    #[schema(example = "https://example.com/kewhats-hook")]
    url: String,
    /// Any of `message.received`, `message.status`, `device.status`, `blast.status`.
    #[schema(example = json!(["message.received"]))]
    events: Vec<String>,
}

#[derive(Serialize, ToSchema)]
struct WebhookCreated {
    webhook: Webhook,
    /// The signing secret (Standard Webhooks, `whsec_…`); shown again only to a browser session.
    secret: String,
}

/// Create a webhook
///
/// Deliveries are signed (Standard Webhooks headers) and retried with backoff.
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", operation_id = "createWebhook",
    request_body = NewWebhook,
    responses((status = 201, body = WebhookCreated)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewWebhook>,
) -> AppResult<(StatusCode, Json<WebhookCreated>)> {
    let (webhook, secret) = webhooks::create(&state, caller.actor, &body.url, &body.events).await?;
    Ok((StatusCode::CREATED, Json(WebhookCreated { webhook, secret })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct WebhookChanges {
    url: Option<String>,
    events: Option<Vec<String>>,
    active: Option<bool>,
}

/// Change a webhook
#[utoipa::path(patch, path = "/api/webhooks/{id}", tag = "webhooks", operation_id = "updateWebhook",
    params(("id" = i64, Path, description = "The webhook's id")), request_body = WebhookChanges,
    responses((status = 200, body = Webhook)))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<WebhookChanges>,
) -> AppResult<Json<Webhook>> {
    let change = WebhookChange { url: body.url.as_deref(), events: body.events.as_deref(), active: body.active };
    Ok(Json(webhooks::update(&state, caller.actor, id, change).await?))
}

/// Delete a webhook
///
/// With its delivery log; queued deliveries are dropped.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks", operation_id = "deleteWebhook",
    params(("id" = i64, Path, description = "The webhook's id")),
    responses((status = 204, description = "Deleted")))]
async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    webhooks::delete(&state, caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
struct SecretBody {
    secret: String,
}

/// Show the signing secret
///
/// For setting up a receiver. Needs a browser session, not an API key.
#[utoipa::path(get, path = "/api/webhooks/{id}/secret", tag = "webhooks", operation_id = "getWebhookSecret",
    params(("id" = i64, Path, description = "The webhook's id")),
    responses((status = 200, body = SecretBody)))]
async fn reveal(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<SecretBody>> {
    // Who may see the webhook is answered first (403, 404), then how they asked (400).
    let secret = webhooks::secret(&state, caller.actor, id).await?;
    caller.browser_session()?;
    Ok(Json(SecretBody { secret }))
}

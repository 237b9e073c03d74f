//! `/api/webhooks`: where a user's events are posted. The signing secret (`whsec_…`, Standard
//! Webhooks) is generated here, stored encrypted, and shown at creation or on request with a
//! browser session.

use super::ListParams;
use crate::app::AppState;
use crate::http::error::{not_found_as, AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::webhook_worker::secret_binding;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use domain::policy::whatsapp_scope;
use domain::{EventKind, UserId, WebhookUrl};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use store::{Paged, Webhook, WebhookPatch};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/webhooks", get(list).post(create))
        .route("/api/webhooks/{id}", get(show).patch(update).delete(remove))
        .route("/api/webhooks/{id}/secret", get(reveal))
}

/// Webhooks belong to the caller, whatever their role; monitoring has none.
pub(super) fn owner(caller: &Caller) -> AppResult<UserId> {
    whatsapp_scope(caller.actor)?;
    Ok(caller.actor.user_id)
}

fn url(state: &AppState, input: &str) -> AppResult<WebhookUrl> {
    WebhookUrl::parse(input, state.config.webhooks_allow_private).map_err(|m| AppError::invalid("url", m))
}

fn events(input: &[String]) -> AppResult<Vec<String>> {
    let names = || EventKind::SUBSCRIBABLE.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ");
    let mut out: Vec<String> = Vec::new();
    for e in input {
        let e = e.trim();
        if !EventKind::SUBSCRIBABLE.iter().any(|k| k.as_str() == e) {
            return Err(AppError::invalid("events", format!("'{e}' is not one of {}", names())));
        }
        if !out.iter().any(|x| x == e) {
            out.push(e.to_string());
        }
    }
    if out.is_empty() {
        return Err(AppError::invalid("events", format!("choose at least one of {}", names())));
    }
    Ok(out)
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<Webhook>>> {
    Ok(Json(state.store.list_webhooks(owner(&caller)?, params.page()).await?))
}

async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Webhook>> {
    let hook = state.store.webhook(owner(&caller)?, id).await?.ok_or_else(|| AppError::not_found("webhook"))?;
    Ok(Json(hook))
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
    let owner = owner(&caller)?;
    let (url, events) = (url(&state, &body.url)?, events(&body.events)?);
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
    let sealed = state.secrets.seal(secret.as_bytes(), &secret_binding(owner)).map_err(AppError::internal)?;
    let webhook = state.store.create_webhook(owner, url.as_str(), &events, &sealed, state.clock.now()).await?;
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
    let owner = owner(&caller)?;
    let url = body.url.as_deref().map(|u| url(&state, u)).transpose()?;
    let events = body.events.as_deref().map(events).transpose()?;
    let patch =
        WebhookPatch { url: url.as_ref().map(WebhookUrl::as_str), events: events.as_deref(), active: body.active };
    let hook =
        state.store.update_webhook(owner, id, patch, state.clock.now()).await.map_err(not_found_as("webhook"))?;
    Ok(Json(hook))
}

async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    state.store.delete_webhook(owner(&caller)?, id).await.map_err(not_found_as("webhook"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signing secret, for setting up a receiver. Needs a browser session, not an API key.
async fn reveal(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Value>> {
    caller.browser_session()?;
    let owner = owner(&caller)?;
    let hook = state.store.webhook(owner, id).await?.ok_or_else(|| AppError::not_found("webhook"))?;
    let secret = state.secrets.open(&hook.sealed_secret, &secret_binding(owner)).map_err(AppError::internal)?;
    Ok(Json(json!({ "secret": String::from_utf8_lossy(&secret) })))
}

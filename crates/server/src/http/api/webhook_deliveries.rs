//! A webhook's delivery log, manual redelivery and test events:
//! `GET /api/webhooks/{id}/deliveries[?status=]`, `GET …/deliveries/{delivery}`,
//! `POST …/deliveries/{delivery}/redeliver`, `POST /api/webhooks/{id}/redeliver-failed`,
//! `POST /api/webhooks/{id}/test`.

use super::webhooks::owner;
use crate::app::AppState;
use crate::http::error::{not_found_as, AppError, AppResult};
use crate::http::extract::{ApiPath, ApiQuery, Caller};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::DeliveryStatus;
use serde::Deserialize;
use store::{Delivery, Paged};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/webhooks/{id}/deliveries", get(list))
        .route("/api/webhooks/{id}/deliveries/{delivery}", get(show))
        .route("/api/webhooks/{id}/deliveries/{delivery}/redeliver", post(redeliver))
        .route("/api/webhooks/{id}/redeliver-failed", post(redeliver_failed))
        .route("/api/webhooks/{id}/test", post(test))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    status: Option<DeliveryStatus>,
    page: Option<u32>,
    per_page: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<Delivery>>> {
    let owner = owner(&caller)?;
    state.store.webhook(owner, id).await?.ok_or_else(|| AppError::not_found("webhook"))?;
    let page = store::Page::new(p.page, p.per_page);
    Ok(Json(state.store.list_deliveries(owner, id, p.status, page).await?))
}

async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
) -> AppResult<Json<Delivery>> {
    let found = state.store.delivery(owner(&caller)?, id, delivery).await?;
    Ok(Json(found.ok_or_else(|| AppError::not_found("delivery"))?))
}

/// Queues a delivered or failed delivery again, at once, with the same `webhook-id`.
async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
) -> AppResult<(StatusCode, Json<Delivery>)> {
    let owner = owner(&caller)?;
    let queued =
        state.store.redeliver(owner, id, delivery, state.clock.now()).await.map_err(not_found_as("delivery"))?;
    Ok((StatusCode::ACCEPTED, Json(queued)))
}

/// Queues every failed delivery of the webhook again, e.g. after the receiver's outage.
async fn redeliver_failed(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<serde_json::Value>)> {
    let owner = owner(&caller)?;
    state.store.webhook(owner, id).await?.ok_or_else(|| AppError::not_found("webhook"))?;
    let queued = state.store.redeliver_failed(owner, id, state.clock.now()).await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "queued": queued }))))
}

/// Queues a `webhook.test` event for this webhook only.
async fn test(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<Delivery>)> {
    let owner = owner(&caller)?;
    let queued =
        state.store.enqueue_test_delivery(owner, id, state.clock.now()).await.map_err(not_found_as("webhook"))?;
    Ok((StatusCode::ACCEPTED, Json(queued)))
}

//! A webhook's delivery log, manual redelivery and test events: see
//! `app::services::webhook_deliveries`.

use crate::http::error::AppResult;
use crate::http::extract::{ApiPath, ApiQuery, Caller};
use app::services::webhook_deliveries as deliveries;
use app::AppState;
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
    let page = store::Page::new(p.page, p.per_page);
    Ok(Json(deliveries::list(&state, caller.actor, id, p.status, page).await?))
}

async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
) -> AppResult<Json<Delivery>> {
    Ok(Json(deliveries::show(&state, caller.actor, id, delivery).await?))
}

async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
) -> AppResult<(StatusCode, Json<Delivery>)> {
    Ok((StatusCode::ACCEPTED, Json(deliveries::redeliver(&state, caller.actor, id, delivery).await?)))
}

async fn redeliver_failed(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<serde_json::Value>)> {
    let queued = deliveries::redeliver_failed(&state, caller.actor, id).await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "queued": queued }))))
}

async fn test(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<Delivery>)> {
    Ok((StatusCode::ACCEPTED, Json(deliveries::test(&state, caller.actor, id).await?)))
}

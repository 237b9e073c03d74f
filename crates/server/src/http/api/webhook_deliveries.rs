//! A webhook's delivery log, manual redelivery and test events: see
//! `app::services::webhook_deliveries`.

use crate::http::error::AppResult;
use crate::http::extract::{ApiPath, ApiQuery, Caller};
use app::services::webhook_deliveries as deliveries;
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::DeliveryStatus;
use serde::{Deserialize, Serialize};
use store::{Delivery, Paged};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(redeliver))
        .routes(routes!(redeliver_failed))
        .routes(routes!(test))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListParams {
    status: Option<DeliveryStatus>,
    #[param(minimum = 1)]
    page: Option<u32>,
    /// 25 by default, at most 200.
    #[param(minimum = 1)]
    per_page: Option<u32>,
}

/// A webhook's delivery log
///
/// Newest first, with attempts, the receiver's last answer and the body posted.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "listDeliveries",
    params(("id" = i64, Path, description = "The webhook's id"), ListParams),
    responses((status = 200, body = Paged<Delivery>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<Delivery>>> {
    let page = store::Page::new(p.page, p.per_page);
    Ok(Json(deliveries::list(&state, caller.actor, id, p.status, page).await?))
}

/// Show a delivery
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries/{delivery}", tag = "webhooks",
    operation_id = "getDelivery",
    params(("id" = i64, Path, description = "The webhook's id"), ("delivery" = i64, Path, description = "The delivery's id")),
    responses((status = 200, body = Delivery)))]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
) -> AppResult<Json<Delivery>> {
    Ok(Json(deliveries::show(&state, caller.actor, id, delivery).await?))
}

/// Deliver again
///
/// Queues the same event (same id, so receivers can deduplicate) for another attempt.
#[utoipa::path(post, path = "/api/webhooks/{id}/deliveries/{delivery}/redeliver", tag = "webhooks",
    operation_id = "redeliver",
    params(("id" = i64, Path, description = "The webhook's id"), ("delivery" = i64, Path, description = "The delivery's id")),
    responses((status = 202, description = "Queued", body = Delivery)))]
async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, delivery)): ApiPath<(i64, i64)>,
) -> AppResult<(StatusCode, Json<Delivery>)> {
    Ok((StatusCode::ACCEPTED, Json(deliveries::redeliver(&state, caller.actor, id, delivery).await?)))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Queued {
    /// How many deliveries were queued again.
    queued: u64,
}

/// Deliver every failed delivery again
#[utoipa::path(post, path = "/api/webhooks/{id}/redeliver-failed", tag = "webhooks",
    operation_id = "redeliverFailed",
    params(("id" = i64, Path, description = "The webhook's id")),
    responses((status = 202, description = "Queued", body = Queued)))]
async fn redeliver_failed(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<Queued>)> {
    let queued = deliveries::redeliver_failed(&state, caller.actor, id).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { queued })))
}

/// Send a test event
///
/// Queues a `webhook.test` event to this webhook, to check the receiver and its signature check.
#[utoipa::path(post, path = "/api/webhooks/{id}/test", tag = "webhooks", operation_id = "testWebhook",
    params(("id" = i64, Path, description = "The webhook's id")),
    responses((status = 202, description = "Queued", body = Delivery)))]
async fn test(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<Delivery>)> {
    Ok((StatusCode::ACCEPTED, Json(deliveries::test(&state, caller.actor, id).await?)))
}

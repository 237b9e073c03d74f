//! Sandbox controls for simulated devices: see `app::services::sandbox`.

use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, Caller};
use app::services::sandbox;
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use domain::OutletId;
use engine::sim::Fault;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sandbox/outlets/{id}/scan", post(scan))
        .route("/api/sandbox/outlets/{id}/inbound", post(inbound))
        .route("/api/sandbox/outlets/{id}/fault", post(fault))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanBody {
    /// The phone that scans; the outlet's own number when omitted.
    phone: Option<String>,
}

async fn scan(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ScanBody>,
) -> AppResult<StatusCode> {
    sandbox::scan(&state, caller.actor, OutletId(id), body.phone.as_deref()).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InboundBody {
    from: String,
    text: String,
    /// Re-delivers an earlier message id (WhatsApp does so after reconnects).
    message_id: Option<String>,
}

async fn inbound(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<InboundBody>,
) -> AppResult<(StatusCode, Json<serde_json::Value>)> {
    let again = body.message_id.as_deref();
    let message_id = sandbox::inbound(&state, caller.actor, OutletId(id), &body.from, &body.text, again).await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "message_id": message_id }))))
}

async fn fault(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(fault): ApiJson<Fault>,
) -> AppResult<StatusCode> {
    sandbox::fault(&state, caller.actor, OutletId(id), fault).await?;
    Ok(StatusCode::ACCEPTED)
}

//! Sandbox controls for simulated devices: scan the QR, write as a customer, break things.
//! Allowed to the outlet's owner and to admins, and only for `sim` devices.

use super::devices::device_of;
use crate::app::AppState;
use crate::http::error::{phone, AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, Caller};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use domain::EngineKind;
use engine::sim::Fault;
use serde::Deserialize;
use store::Device;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/sandbox/outlets/{id}/scan", post(scan))
        .route("/api/sandbox/outlets/{id}/inbound", post(inbound))
        .route("/api/sandbox/outlets/{id}/fault", post(fault))
}

async fn sim_device(state: &AppState, caller: &Caller, outlet: i64) -> AppResult<Device> {
    let (_, device) = device_of(state, caller, outlet).await?;
    if device.engine != EngineKind::Sim {
        return Err(AppError::conflict("sandbox actions work only on devices that run on the sim engine"));
    }
    Ok(device)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanBody {
    /// The phone that scans; the outlet's own number when omitted. Another number trips the
    /// wrong-number guard.
    phone: Option<String>,
}

async fn scan(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ScanBody>,
) -> AppResult<StatusCode> {
    let device = sim_device(&state, &caller, id).await?;
    let phone = phone("phone", body.phone.as_deref().unwrap_or(&device.wa_number))?;
    state.sessions.engines().sim.scan(device.id, phone.digits()).await?;
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
    let device = sim_device(&state, &caller, id).await?;
    let from = phone("from", &body.from)?;
    if body.text.trim().is_empty() {
        return Err(AppError::invalid("text", "is required"));
    }
    let again = body.message_id.as_deref().map(str::trim).filter(|m| !m.is_empty());
    if again.is_some_and(|m| m.len() > 128) {
        return Err(AppError::invalid("message_id", "must be at most 128 characters"));
    }
    let message_id = state.sessions.engines().sim.inbound(device.id, from.digits(), &body.text, again).await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "message_id": message_id }))))
}

async fn fault(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(fault): ApiJson<Fault>,
) -> AppResult<StatusCode> {
    let device = sim_device(&state, &caller, id).await?;
    state.sessions.engines().sim.inject(device.id, fault).await?;
    Ok(StatusCode::ACCEPTED)
}

//! Sandbox controls for simulated devices: scan the QR, write as a customer, break things.
//! Allowed to the outlet's owner and to admins, and only for `sim` devices.

use super::devices::device_of;
use crate::app::AppState;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, Caller};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use domain::{EngineKind, PhoneNumber};
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

fn number(field: &'static str, input: &str) -> AppResult<PhoneNumber> {
    PhoneNumber::parse(input).map_err(|e| AppError::invalid(field, e))
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
    let phone = number("phone", body.phone.as_deref().unwrap_or(&device.wa_number))?;
    state.sessions.engines().sim.scan(device.id, phone.digits()).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InboundBody {
    from: String,
    text: String,
}

async fn inbound(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<InboundBody>,
) -> AppResult<(StatusCode, Json<serde_json::Value>)> {
    let device = sim_device(&state, &caller, id).await?;
    let from = number("from", &body.from)?;
    if body.text.trim().is_empty() {
        return Err(AppError::invalid("text", "is required"));
    }
    let message_id = state.sessions.engines().sim.inbound(device.id, from.digits(), &body.text).await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "message_id": message_id }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
enum FaultBody {
    Drop,
    SilentDrop,
    LogoutFromPhone,
    Flap { times: u32 },
    FailSends { count: u32 },
    FailConnects { count: u32 },
    TemporaryBan { secs: u64 },
}

async fn fault(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<FaultBody>,
) -> AppResult<StatusCode> {
    let device = sim_device(&state, &caller, id).await?;
    let fault = match body {
        FaultBody::Drop => Fault::Drop,
        FaultBody::SilentDrop => Fault::SilentDrop,
        FaultBody::LogoutFromPhone => Fault::LogoutFromPhone,
        FaultBody::Flap { times } => Fault::Flap { times: times.min(100) },
        FaultBody::FailSends { count } => Fault::FailSends { count },
        FaultBody::FailConnects { count } => Fault::FailConnects { count },
        FaultBody::TemporaryBan { secs } => Fault::TemporaryBan { secs: secs.min(7 * 24 * 3600) },
    };
    state.sessions.engines().sim.inject(device.id, fault).await?;
    Ok(StatusCode::ACCEPTED)
}

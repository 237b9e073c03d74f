//! An outlet's WhatsApp device: connect, QR code, pairing code, logout, delete, status and
//! connection history. Everything goes through the session manager; nothing here writes a
//! device's status.

use super::ListParams;
use crate::app::AppState;
use crate::http::error::{phone, AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::policy::whatsapp_scope;
use domain::{EngineKind, OutletId, Scope, Timestamp};
use serde::{Deserialize, Serialize};
use store::{ConnectionEvent, Device, NewDevice, Paged};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/outlets/{id}/device", get(show).delete(remove))
        .route("/api/outlets/{id}/device/connect", post(connect))
        .route("/api/outlets/{id}/device/qr", get(qr))
        .route("/api/outlets/{id}/device/pairing-code", post(pairing_code))
        .route("/api/outlets/{id}/device/logout", post(logout))
        .route("/api/outlets/{id}/device/history", get(history))
}

/// A device as stored, plus what only memory knows.
#[derive(Serialize)]
pub struct DeviceView {
    #[serde(flatten)]
    pub device: Device,
    /// The socket is open and logged in right now.
    pub live: bool,
    pub pairing_code: Option<String>,
    pub qr_expires_at: Option<Timestamp>,
}

pub fn view(state: &AppState, device: Device) -> DeviceView {
    let s = &state.sessions;
    DeviceView {
        live: s.is_live(device.id),
        pairing_code: s.pairing_code(device.id),
        qr_expires_at: s.qr(device.id).map(|q| q.expires_at),
        device,
    }
}

/// The device of an outlet the caller may see; 404 for the outlet or the device otherwise.
pub async fn device_of(state: &AppState, caller: &Caller, outlet: i64) -> AppResult<(Scope, Device)> {
    let scope = whatsapp_scope(caller.actor)?;
    let outlet = state.store.outlet(scope, OutletId(outlet)).await?.ok_or_else(|| AppError::not_found("outlet"))?;
    let device = state.store.device_of_outlet(scope, outlet.id).await?.ok_or_else(|| {
        AppError::new(
            StatusCode::NOT_FOUND,
            "no_device",
            "this outlet has no device yet; create one with POST /api/outlets/{id}/device/connect",
        )
    })?;
    Ok((scope, device))
}

async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<DeviceView>> {
    let (_, device) = device_of(&state, &caller, id).await?;
    Ok(Json(view(&state, device)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectBody {
    engine: Option<EngineKind>,
}

/// Creates the outlet's device if needed and starts connecting: a paired device comes back
/// online; an unpaired one starts showing QR codes.
async fn connect(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ConnectBody>,
) -> AppResult<(StatusCode, Json<DeviceView>)> {
    let scope = whatsapp_scope(caller.actor)?;
    let outlet = state.store.outlet(scope, OutletId(id)).await?.ok_or_else(|| AppError::not_found("outlet"))?;
    let device = match state.store.device_of_outlet(scope, outlet.id).await? {
        Some(d) => {
            if body.engine.is_some_and(|e| e != d.engine) {
                return Err(AppError::conflict(format!(
                    "this outlet's device runs on the {} engine; delete the device to switch engines",
                    d.engine
                )));
            }
            d
        }
        None => {
            let engine = body.engine.unwrap_or(state.config.default_engine);
            state.sessions.engines().get(engine).map_err(|e| AppError::invalid("engine", e))?;
            let new = NewDevice { outlet_id: outlet.id, engine, paired_account: None };
            state.store.create_device(new, state.clock.now()).await?
        }
    };
    state.sessions.connect(device.clone()).await;
    let device = state.store.device(scope, device.id).await?.unwrap_or(device);
    Ok((StatusCode::ACCEPTED, Json(view(&state, device))))
}

#[derive(Serialize)]
struct QrBody {
    /// The raw QR payload, for clients that draw it themselves.
    code: String,
    svg: String,
    expires_at: Timestamp,
}

async fn qr(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<QrBody>> {
    let (_, device) = device_of(&state, &caller, id).await?;
    let snapshot = state.sessions.qr(device.id).ok_or_else(|| {
        AppError::new(
            StatusCode::CONFLICT,
            "no_qr",
            format!("no QR code to show: the device is {}; connect it to get one", device.status),
        )
    })?;
    let svg = qrcode::QrCode::new(snapshot.code.as_bytes())
        .map_err(|e| AppError::internal(format!("rendering QR: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(264, 264)
        .quiet_zone(true)
        .build();
    Ok(Json(QrBody { code: snapshot.code, svg, expires_at: snapshot.expires_at }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PairingBody {
    /// Defaults to the outlet's own number.
    phone: Option<String>,
}

async fn pairing_code(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PairingBody>,
) -> AppResult<Json<serde_json::Value>> {
    let (_, device) = device_of(&state, &caller, id).await?;
    let phone = phone("phone", body.phone.as_deref().unwrap_or(&device.wa_number))?;
    let code = state.sessions.request_pairing_code(device.id, phone.digits()).await?;
    Ok(Json(serde_json::json!({"code": code, "phone": phone})))
}

async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<DeviceView>> {
    let (scope, device) = device_of(&state, &caller, id).await?;
    state.sessions.logout(device.id).await?;
    let device = state.store.device(scope, device.id).await?.ok_or_else(|| AppError::not_found("device"))?;
    Ok(Json(view(&state, device)))
}

/// Stops the session, wipes the device's keys and deletes it with its history.
async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    let (scope, device) = device_of(&state, &caller, id).await?;
    state.sessions.remove(device.id, device.engine).await;
    state.store.delete_device(scope, device.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn history(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<ConnectionEvent>>> {
    let (scope, device) = device_of(&state, &caller, id).await?;
    Ok(Json(state.store.device_history(scope, device.id, params.page()).await?))
}

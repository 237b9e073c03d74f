//! An outlet's WhatsApp device: see `app::services::devices`.

use super::ListParams;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::devices::{self, DeviceView};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::{EngineKind, OutletId, Timestamp};
use serde::{Deserialize, Serialize};
use store::{ConnectionEvent, Paged};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/outlets/{id}/device", get(show).delete(remove))
        .route("/api/outlets/{id}/device/connect", post(connect))
        .route("/api/outlets/{id}/device/qr", get(qr))
        .route("/api/outlets/{id}/device/pairing-code", post(pairing_code))
        .route("/api/outlets/{id}/device/logout", post(logout))
        .route("/api/outlets/{id}/device/history", get(history))
}

async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<DeviceView>> {
    Ok(Json(devices::show(&state, caller.actor, OutletId(id)).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectBody {
    engine: Option<EngineKind>,
}

async fn connect(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ConnectBody>,
) -> AppResult<(StatusCode, Json<DeviceView>)> {
    Ok((StatusCode::ACCEPTED, Json(devices::connect(&state, caller.actor, OutletId(id), body.engine).await?)))
}

#[derive(Serialize)]
struct QrBody {
    /// The raw QR payload, for clients that draw it themselves.
    code: String,
    svg: String,
    expires_at: Timestamp,
}

async fn qr(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<QrBody>> {
    let snapshot = devices::qr(&state, caller.actor, OutletId(id)).await?;
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
    let (code, phone) = devices::pairing_code(&state, caller.actor, OutletId(id), body.phone.as_deref()).await?;
    Ok(Json(serde_json::json!({"code": code, "phone": phone})))
}

async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<DeviceView>> {
    Ok(Json(devices::logout(&state, caller.actor, OutletId(id)).await?))
}

async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    devices::delete(&state, caller.actor, OutletId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn history(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<ConnectionEvent>>> {
    Ok(Json(devices::history(&state, caller.actor, OutletId(id), params.page()).await?))
}

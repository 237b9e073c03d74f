//! An outlet's WhatsApp device: see `app::services::devices`.

use super::PageParams;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::devices::{self, DeviceView};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::{EngineKind, OutletId, Timestamp};
use serde::{Deserialize, Serialize};
use store::{ConnectionEvent, Paged};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show, remove))
        .routes(routes!(connect))
        .routes(routes!(qr))
        .routes(routes!(pairing_code))
        .routes(routes!(logout))
        .routes(routes!(history))
}

/// Show an outlet's device
///
/// The stored status plus what only the live session knows (live, pairing code, QR expiry).
#[utoipa::path(get, path = "/api/outlets/{id}/device", tag = "devices", operation_id = "getDevice",
    params(("id" = i64, Path, description = "The outlet's id")),
    responses((status = 200, body = DeviceView)))]
async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<DeviceView>> {
    Ok(Json(devices::show(&state, caller.actor, OutletId(id)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConnectBody {
    /// `web` (real WhatsApp) by default; `sim` only when the sandbox is on.
    engine: Option<EngineKind>,
}

/// Connect (or pair) the device
///
/// Creates the device if needed and starts its session: it asks for a QR scan or a pairing code
/// when not paired yet. Answers at once; follow the status on `/api/events`.
#[utoipa::path(post, path = "/api/outlets/{id}/device/connect", tag = "devices", operation_id = "connectDevice",
    params(("id" = i64, Path, description = "The outlet's id")), request_body = ConnectBody,
    responses((status = 202, description = "Connecting", body = DeviceView)))]
async fn connect(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ConnectBody>,
) -> AppResult<(StatusCode, Json<DeviceView>)> {
    Ok((StatusCode::ACCEPTED, Json(devices::connect(&state, caller.actor, OutletId(id), body.engine).await?)))
}

#[derive(Serialize, ToSchema)]
struct QrBody {
    /// The raw QR payload, for clients that draw it themselves.
    code: String,
    /// The QR code as an SVG image.
    svg: String,
    expires_at: Timestamp,
}

/// The current pairing QR code
///
/// Valid for 60 s, then each new one for 20 s; 404 when the device is not waiting for a scan.
#[utoipa::path(get, path = "/api/outlets/{id}/device/qr", tag = "devices", operation_id = "getDeviceQr",
    params(("id" = i64, Path, description = "The outlet's id")),
    responses((status = 200, body = QrBody)))]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PairingBody {
    /// Defaults to the outlet's own number.
    phone: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct PairingCode {
    /// Type it on the phone: WhatsApp → Linked devices → Link with phone number.
    #[schema(example = "ABCD-EFGH")]
    code: String,
    /// The number it pairs, E.164.
    phone: String,
}

/// Ask for a pairing code
///
/// The alternative to the QR scan: an 8-character code to type on the phone.
#[utoipa::path(post, path = "/api/outlets/{id}/device/pairing-code", tag = "devices",
    operation_id = "requestPairingCode",
    params(("id" = i64, Path, description = "The outlet's id")), request_body = PairingBody,
    responses((status = 200, body = PairingCode)))]
async fn pairing_code(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PairingBody>,
) -> AppResult<Json<PairingCode>> {
    let (code, phone) = devices::pairing_code(&state, caller.actor, OutletId(id), body.phone.as_deref()).await?;
    Ok(Json(PairingCode { code, phone: phone.as_str().to_string() }))
}

/// Log the device out
///
/// Unlinks it from the phone; it needs a new pairing to connect again.
#[utoipa::path(post, path = "/api/outlets/{id}/device/logout", tag = "devices", operation_id = "logoutDevice",
    params(("id" = i64, Path, description = "The outlet's id")),
    responses((status = 200, body = DeviceView)))]
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<DeviceView>> {
    Ok(Json(devices::logout(&state, caller.actor, OutletId(id)).await?))
}

/// Delete the device
///
/// Logs it out and forgets it; the outlet stays.
#[utoipa::path(delete, path = "/api/outlets/{id}/device", tag = "devices", operation_id = "deleteDevice",
    params(("id" = i64, Path, description = "The outlet's id")),
    responses((status = 204, description = "Deleted")))]
async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    devices::delete(&state, caller.actor, OutletId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Connection history
///
/// Every status change of the device, newest first, with its reason.
#[utoipa::path(get, path = "/api/outlets/{id}/device/history", tag = "devices", operation_id = "getDeviceHistory",
    params(("id" = i64, Path, description = "The outlet's id"), PageParams),
    responses((status = 200, body = Paged<ConnectionEvent>)))]
async fn history(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> AppResult<Json<Paged<ConnectionEvent>>> {
    Ok(Json(devices::history(&state, caller.actor, OutletId(id), params.page()).await?))
}

//! An outlet's WhatsApp device: connect, QR code, pairing code, logout, delete, status and
//! connection history. Everything goes through the session manager; nothing here writes a
//! device's status.

use crate::error::{phone, ServiceError, ServiceResult};
use crate::i18n::Text;
use crate::sessions::QrSnapshot;
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{Actor, DeviceStatus, EngineKind, OutletId, PhoneNumber, Scope, Timestamp};
use serde::Serialize;
use store::{ConnectionEvent, Device, NewDevice, Page, Paged};

/// A device as stored, plus what only memory knows.
#[derive(Debug, Serialize, utoipa::ToSchema)]
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

/// The device of an outlet the actor may see; "not found" for the outlet or the device otherwise.
pub async fn device_of(state: &AppState, actor: Actor, outlet: OutletId) -> ServiceResult<(Scope, Device)> {
    let scope = whatsapp_scope(actor)?;
    let outlet =
        state.store.outlet(scope, outlet).await?.ok_or_else(|| ServiceError::not_found("error-outlet-not-found"))?;
    let device = state
        .store
        .device_of_outlet(scope, outlet.id)
        .await?
        .ok_or_else(|| ServiceError::NotFound { code: "no_device", message: Text::new("error-no-device") })?;
    Ok((scope, device))
}

pub async fn show(state: &AppState, actor: Actor, outlet: OutletId) -> ServiceResult<DeviceView> {
    let (_, device) = device_of(state, actor, outlet).await?;
    Ok(view(state, device))
}

/// Creates the outlet's device if needed and starts connecting: a paired device comes back
/// online; an unpaired one starts showing QR codes.
pub async fn connect(
    state: &AppState,
    actor: Actor,
    outlet: OutletId,
    engine: Option<EngineKind>,
) -> ServiceResult<DeviceView> {
    let scope = whatsapp_scope(actor)?;
    let outlet =
        state.store.outlet(scope, outlet).await?.ok_or_else(|| ServiceError::not_found("error-outlet-not-found"))?;
    let device =
        match state.store.device_of_outlet(scope, outlet.id).await? {
            Some(d) => {
                if engine.is_some_and(|e| e != d.engine) {
                    return Err(ServiceError::conflict(Text::new("error-device-other-engine").arg("engine", d.engine)));
                }
                state.sessions.engines().get(d.engine).map_err(|_| ServiceError::Conflict {
                    code: "engine_unavailable",
                    message: Text::new("error-device-engine-off").arg("engine", d.engine),
                })?;
                d
            }
            None => {
                let engine = engine.unwrap_or(state.config.default_engine);
                state.sessions.engines().get(engine).map_err(|_| {
                    ServiceError::invalid("engine", Text::new("error-engine-off").arg("engine", engine))
                })?;
                if state.sessions.on_standby() {
                    return Err(crate::error::standby());
                }
                let new = NewDevice { outlet_id: outlet.id, engine, paired_account: None };
                state.store.create_device(new, state.clock.now()).await?
            }
        };
    state.sessions.connect(device.clone()).await?;
    let device = state.store.device(scope, device.id).await?.unwrap_or(device);
    Ok(view(state, device))
}

/// The QR code the device shows now; "conflict" when it shows none.
pub async fn qr(state: &AppState, actor: Actor, outlet: OutletId) -> ServiceResult<QrSnapshot> {
    let (_, device) = device_of(state, actor, outlet).await?;
    state.sessions.qr(device.id).ok_or_else(|| ServiceError::Conflict {
        code: "no_qr",
        message: Text::new("error-no-qr").arg_text("status", status_text(device.status)),
    })
}

/// An 8-character code to type on the phone instead of scanning; `phone` defaults to the
/// outlet's own number.
pub async fn pairing_code(
    state: &AppState,
    actor: Actor,
    outlet: OutletId,
    phone_input: Option<&str>,
) -> ServiceResult<(String, PhoneNumber)> {
    let (_, device) = device_of(state, actor, outlet).await?;
    let phone = phone("phone", phone_input.unwrap_or(&device.wa_number))?;
    let code = state.sessions.request_pairing_code(device.id, phone.digits()).await?;
    Ok((code, phone))
}

pub async fn logout(state: &AppState, actor: Actor, outlet: OutletId) -> ServiceResult<DeviceView> {
    let (scope, device) = device_of(state, actor, outlet).await?;
    state.sessions.logout(device.id).await?;
    let device =
        state.store.device(scope, device.id).await?.ok_or_else(|| ServiceError::not_found("error-device-not-found"))?;
    Ok(view(state, device))
}

/// Stops the session, wipes the device's keys and deletes it with its history.
pub async fn delete(state: &AppState, actor: Actor, outlet: OutletId) -> ServiceResult<()> {
    let (scope, device) = device_of(state, actor, outlet).await?;
    state.sessions.remove(device.id, device.engine).await?;
    Ok(state.store.delete_device(scope, device.id).await?)
}

pub async fn history(
    state: &AppState,
    actor: Actor,
    outlet: OutletId,
    page: Page,
) -> ServiceResult<Paged<ConnectionEvent>> {
    let (scope, device) = device_of(state, actor, outlet).await?;
    Ok(state.store.device_history(scope, device.id, page).await?)
}

/// A device status as a person reads it.
fn status_text(status: DeviceStatus) -> Text {
    Text::new(match status {
        DeviceStatus::Disconnected => "device-status-disconnected",
        DeviceStatus::Connecting => "device-status-connecting",
        DeviceStatus::Qr => "device-status-qr",
        DeviceStatus::Connected => "device-status-connected",
        DeviceStatus::LoggedOut => "device-status-logged_out",
        DeviceStatus::Banned => "device-status-banned",
    })
}

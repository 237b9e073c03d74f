//! Sandbox controls for simulated devices: scan the QR, write as a customer, break things.
//! Only with the `sandbox` setting on (the demo), for the outlet's owner and for admins, and
//! only on `sim` devices: otherwise anyone could fabricate traffic that counts as real.

use crate::error::{phone, ServiceError, ServiceResult};
use crate::i18n::Text;
use crate::services::devices::device_of;
use crate::state::AppState;
use domain::{Actor, EngineKind, OutletId};
use engine::sim::{Fault, SimEngine};
use engine::ChatKind;
use store::Device;

/// The simulated network and the outlet's sim device.
async fn sim_device(state: &AppState, actor: Actor, outlet: OutletId) -> ServiceResult<(SimEngine, Device)> {
    let Some(sim) = state.sessions.engines().sim.clone() else {
        return Err(ServiceError::Forbidden { code: "sandbox_disabled", message: Text::new("error-sandbox-off") });
    };
    let (_, device) = device_of(state, actor, outlet).await?;
    if device.engine != EngineKind::Sim {
        return Err(ServiceError::conflict("error-sandbox-sim-only"));
    }
    Ok((sim, device))
}

/// A phone scans the QR (or enters the pairing code); the outlet's own number when `phone` is
/// `None`. Another number trips the wrong-number guard.
pub async fn scan(state: &AppState, actor: Actor, outlet: OutletId, phone_input: Option<&str>) -> ServiceResult<()> {
    let (sim, device) = sim_device(state, actor, outlet).await?;
    let phone = phone("phone", phone_input.unwrap_or(&device.wa_number))?;
    Ok(sim.scan(device.id, phone.digits()).await?)
}

/// What a simulated contact writes: `again` re-delivers an earlier message id; `chat` and
/// `from_me` fake what the gateway must not answer (a group, the outlet's own phone).
pub struct Written<'a> {
    pub from: &'a str,
    pub text: &'a str,
    pub again: Option<&'a str>,
    pub chat: ChatKind,
    pub from_me: bool,
}

/// A customer writes to the outlet; `again` re-delivers an earlier message id (WhatsApp does so
/// after reconnects). Returns the WhatsApp message id.
pub async fn inbound(state: &AppState, actor: Actor, outlet: OutletId, written: Written<'_>) -> ServiceResult<String> {
    let Written { from, text, again, chat, from_me } = written;
    let (sim, device) = sim_device(state, actor, outlet).await?;
    let from = phone("from", from)?;
    if text.trim().is_empty() {
        return Err(ServiceError::invalid("text", "error-required"));
    }
    let again = again.map(str::trim).filter(|m| !m.is_empty());
    if again.is_some_and(|m| m.len() > 128) {
        return Err(ServiceError::invalid("message_id", Text::new("error-too-long").arg("max", 128)));
    }
    Ok(sim.inbound_in(device.id, from.digits(), text, again, chat, from_me).await?)
}

pub async fn fault(state: &AppState, actor: Actor, outlet: OutletId, fault: Fault) -> ServiceResult<()> {
    let (sim, device) = sim_device(state, actor, outlet).await?;
    Ok(sim.inject(device.id, fault).await?)
}

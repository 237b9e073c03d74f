//! Sandbox controls for simulated devices: scan the QR, write as a customer, break things.
//! Only with the `sandbox` setting on (the demo), for the outlet's owner and for admins, and
//! only on `sim` devices: otherwise anyone could fabricate traffic that counts as real.

use crate::error::{phone, ServiceError, ServiceResult};
use crate::i18n::Text;
use crate::services::devices::device_of;
use crate::services::media::{self, MediaKind};
use crate::state::AppState;
use base64::Engine as _;
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
    pub file: Option<WrittenFile<'a>>,
}

/// An image or document the contact sends with the text (its caption), base64-encoded.
pub struct WrittenFile<'a> {
    pub kind: MediaKind,
    pub file_name: &'a str,
    pub mime: &'a str,
    pub base64: &'a str,
}

/// A customer writes to the outlet; `again` re-delivers an earlier message id (WhatsApp does so
/// after reconnects). Returns the WhatsApp message id.
pub async fn inbound(state: &AppState, actor: Actor, outlet: OutletId, written: Written<'_>) -> ServiceResult<String> {
    let Written { from, text, again, chat, from_me, file } = written;
    let (sim, device) = sim_device(state, actor, outlet).await?;
    let from = phone("from", from)?;
    if text.trim().is_empty() && file.is_none() {
        return Err(ServiceError::invalid("text", "error-required"));
    }
    let again = again.map(str::trim).filter(|m| !m.is_empty());
    if again.is_some_and(|m| m.len() > 128) {
        return Err(ServiceError::invalid("message_id", Text::new("error-too-long").arg("max", 128)));
    }
    let media = match file {
        None => None,
        Some(f) => {
            let limit = state.config.media_max_bytes();
            // Base64 is a third longer than the bytes: refuse a huge text before decoding it.
            if f.base64.len() / 4 * 3 > limit + 3 {
                return Err(media::too_large(limit));
            }
            let data = base64::engine::general_purpose::STANDARD
                .decode(f.base64.trim())
                .map_err(|_| ServiceError::invalid("media.data", "error-base64"))?;
            if data.len() > limit {
                return Err(media::too_large(limit));
            }
            let accepted = media::accept(f.kind, data, f.mime, f.file_name)?;
            Some(match f.kind {
                MediaKind::Image => engine::IncomingMedia::image(&accepted.mime, accepted.data),
                MediaKind::Document => engine::IncomingMedia {
                    kind: f.kind,
                    mime: accepted.mime,
                    file_name: accepted.file_name,
                    data: accepted.data,
                },
            })
        }
    };
    // An image with no caption reads as WhatsApp Web shows it.
    let text = match (&media, text.trim().is_empty()) {
        (Some(m), true) => format!("[{}]", m.kind.as_str()),
        _ => text.to_string(),
    };
    let written = engine::sim::Written {
        from: from.digits().to_string(),
        text,
        id: again.map(str::to_string),
        chat,
        from_me,
        media,
    };
    Ok(sim.write(device.id, written).await?)
}

pub async fn fault(state: &AppState, actor: Actor, outlet: OutletId, fault: Fault) -> ServiceResult<()> {
    let (sim, device) = sim_device(state, actor, outlet).await?;
    Ok(sim.inject(device.id, fault).await?)
}

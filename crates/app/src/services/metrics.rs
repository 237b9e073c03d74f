//! `/metrics`: who may scrape, and the scrape itself. The numbers are platform-wide, so the
//! endpoint is off until `metrics_token` is set, and then needs that token.

use crate::crypto::tokens::constant_time_eq;
use crate::error::{ServiceError, ServiceResult};
use crate::i18n::Text;
use crate::metrics::{QueueLabels, StatusLabels};
use crate::state::AppState;
use domain::DeviceStatus;

/// Checks the presented bearer token against `metrics_token`.
pub fn authorize(state: &AppState, presented: Option<&str>) -> ServiceResult<()> {
    let Some(token) = &state.config.metrics_token else {
        return Err(ServiceError::NotFound { code: "metrics_off", message: Text::new("error-metrics-off") });
    };
    match presented {
        Some(p) if constant_time_eq(p, token.expose()) => Ok(()),
        _ => Err(ServiceError::Unauthenticated(Text::new("error-metrics-token"))),
    }
}

/// Reads the gauges, then renders every metric.
pub async fn scrape(state: &AppState) -> ServiceResult<String> {
    let gauges = state.store.platform_gauges().await?;
    let m = &state.metrics;
    for status in DeviceStatus::ALL {
        let n = gauges.devices.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
        m.devices.get_or_create(&StatusLabels { status: status.as_str() }).set(n);
    }
    let live = state.sessions.counts();
    m.devices_live.set(i64::try_from(live.live).unwrap_or(i64::MAX));
    m.outbox_depth.set(gauges.pending_messages);
    m.queue_depth.get_or_create(&QueueLabels { queue: "webhook_deliveries" }).set(gauges.pending_deliveries);
    let commands = i64::try_from(live.queued_commands).unwrap_or(i64::MAX);
    m.queue_depth.get_or_create(&QueueLabels { queue: "session_commands" }).set(commands);
    m.encode().map_err(|e| ServiceError::Internal(format!("encoding metrics: {e}")))
}

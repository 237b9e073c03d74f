use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

/// Liveness plus a database round trip: 503 when the database does not answer. `sessions`
/// says whether this process runs the WhatsApp devices (`active`) or another process on the
/// same database does (`standby`).
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let sessions = if state.sessions.on_standby() { "standby" } else { "active" };
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ok", "database": "ok", "sessions": sessions}))),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            let body = json!({"status": "degraded", "database": "unreachable", "sessions": sessions});
            (StatusCode::SERVICE_UNAVAILABLE, Json(body))
        }
    }
}

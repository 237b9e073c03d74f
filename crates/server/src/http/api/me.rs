use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, Caller};
use app::services::accounts;
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/me", get(me)).route("/api/me/password", post(change_password))
}

async fn me(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    let user = accounts::me(&state, caller.actor).await?;
    let csrf = caller.browser_session().ok().map(|(_, csrf)| csrf);
    Ok(Json(json!({"user": user, "csrf_token": csrf})))
}

#[derive(Deserialize)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// Changes the caller's password; their other sessions end, this one stays.
async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordBody>,
) -> AppResult<StatusCode> {
    let (session, _) = caller.browser_session()?;
    accounts::change_password(&state, caller.actor, session, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

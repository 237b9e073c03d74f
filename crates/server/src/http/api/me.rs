use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, Caller};
use app::services::accounts;
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::LanguageChoice;
use serde::{Deserialize, Serialize};
use store::User;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me, update_preferences)).routes(routes!(change_password))
}

#[derive(Serialize, ToSchema)]
struct MeBody {
    user: User,
    /// The session's CSRF token; `null` when the caller used an API key.
    csrf_token: Option<String>,
}

/// Who am I
///
/// The caller's account, and with a browser session its CSRF token.
#[utoipa::path(get, path = "/api/me", tag = "me", operation_id = "getMe",
    responses((status = 200, body = MeBody)))]
async fn me(State(state): State<AppState>, caller: Caller) -> AppResult<Json<MeBody>> {
    let user = accounts::me(&state, caller.actor).await?;
    let csrf_token = caller.browser_session().ok().map(|(_, csrf)| csrf.to_string());
    Ok(Json(MeBody { user, csrf_token }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Preferences {
    /// `auto` (the browser's language), `en` or `id`.
    language: Option<LanguageChoice>,
    /// One of `Asia/Jakarta` (WIB), `Asia/Pontianak`, `Asia/Makassar` (WITA), `Asia/Jayapura` (WIT), `UTC`.
    #[schema(example = "Asia/Jakarta")]
    time_zone: Option<String>,
}

/// Change my page settings
///
/// The language of the pages and the time zone they show times in.
#[utoipa::path(patch, path = "/api/me", tag = "me", operation_id = "updatePreferences", request_body = Preferences,
    responses((status = 200, body = User)))]
async fn update_preferences(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Preferences>,
) -> AppResult<Json<User>> {
    let time_zone = body.time_zone.as_deref();
    Ok(Json(accounts::update_preferences(&state, caller.actor, body.language, time_zone).await?))
}

#[derive(Deserialize, ToSchema)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// Change my password
///
/// Changes the caller's password; their other sessions end, this one stays. Needs the browser
/// session, not an API key.
#[utoipa::path(post, path = "/api/me/password", tag = "me", operation_id = "changePassword",
    request_body = PasswordBody,
    responses((status = 204, description = "Changed")))]
async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordBody>,
) -> AppResult<StatusCode> {
    let (session, _) = caller.browser_session()?;
    accounts::change_password(&state, caller.actor, session, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

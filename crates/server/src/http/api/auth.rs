//! Login, logout and self-registration. Login and register need no CSRF token: they only
//! accept `application/json`, which a cross-site form cannot send.

use crate::http::error::AppResult;
use crate::http::extract::{client_ip, ApiJson, Caller, SESSION_COOKIE};
use app::services::accounts::{self, ClientInfo, SessionStart};
use app::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use store::User;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(register))
}

#[derive(Deserialize, ToSchema)]
struct LoginBody {
    #[schema(example = "owner1@kewhats.app")]
    email: String,
    password: String,
}

#[derive(Deserialize, ToSchema)]
struct RegisterBody {
    email: String,
    /// At least 10 characters (at most 256), not a common password.
    #[schema(min_length = 10, max_length = 256)]
    password: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    name: String,
}

/// A new browser session: the `kw_session` cookie is set on the answer.
#[derive(Serialize, ToSchema)]
struct SessionBody {
    user: User,
    /// Repeat it in `X-CSRF-Token` on every POST, PATCH and DELETE made with the cookie.
    csrf_token: String,
}

pub fn client_info(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> ClientInfo {
    ClientInfo {
        ip: client_ip(headers, Some(peer), state.config.trust_proxy),
        user_agent: headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("").to_string(),
    }
}

pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies)
        .path("/")
        .max_age(time::Duration::seconds(state.config.session_ttl_secs()))
        .build()
}

pub fn removal_cookie() -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, "")).path("/").build()
}

fn logged_in(state: &AppState, jar: CookieJar, status: StatusCode, s: SessionStart) -> impl IntoResponse {
    let jar = jar.add(session_cookie(state, s.token));
    (status, jar, Json(SessionBody { user: s.user, csrf_token: s.csrf_token }))
}

/// Log in
///
/// Starts a browser session: sets the HttpOnly `kw_session` cookie and returns the CSRF token.
/// Repeated failures from one address or for one e-mail are slowed down (429).
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", operation_id = "login", security(()),
    request_body = LoginBody,
    responses((status = 200, description = "Logged in; the cookie is set", body = SessionBody)))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginBody>,
) -> AppResult<impl IntoResponse> {
    let client = client_info(&state, &headers, peer);
    let started = accounts::login(&state, &body.email, &body.password, &client).await?;
    Ok(logged_in(&state, jar, StatusCode::OK, started))
}

/// Register
///
/// Creates a `user` account on the free plan and logs it in; only when registration is open.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", operation_id = "register", security(()),
    request_body = RegisterBody,
    responses((status = 201, description = "Registered and logged in; the cookie is set", body = SessionBody)))]
async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    ApiJson(body): ApiJson<RegisterBody>,
) -> AppResult<impl IntoResponse> {
    let client = client_info(&state, &headers, peer);
    let started = accounts::register(&state, &body.email, &body.name, &body.password, &client).await?;
    Ok(logged_in(&state, jar, StatusCode::CREATED, started))
}

/// Log out
///
/// Ends this browser session and clears the cookie. Needs the session, not an API key.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", operation_id = "logout",
    responses((status = 204, description = "Logged out")))]
async fn logout(State(state): State<AppState>, caller: Caller, jar: CookieJar) -> AppResult<impl IntoResponse> {
    let (hash, _) = caller.browser_session()?;
    accounts::logout(&state, hash).await?;
    Ok((StatusCode::NO_CONTENT, jar.remove(removal_cookie())))
}

/// Log out everywhere
///
/// Ends every session of the caller, this one included. Needs the session, not an API key.
#[utoipa::path(post, path = "/api/auth/logout-all", tag = "auth", operation_id = "logoutAll",
    responses((status = 204, description = "Every session ended")))]
async fn logout_all(State(state): State<AppState>, caller: Caller, jar: CookieJar) -> AppResult<impl IntoResponse> {
    caller.browser_session()?;
    accounts::logout_all(&state, caller.actor).await?;
    Ok((StatusCode::NO_CONTENT, jar.remove(removal_cookie())))
}

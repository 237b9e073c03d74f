//! Login, logout and self-registration. Login and register need no CSRF token: they only
//! accept `application/json`, which a cross-site form cannot send.

use crate::http::error::AppResult;
use crate::http::extract::{client_ip, ApiJson, Caller, SESSION_COOKIE};
use app::services::accounts::{self, ClientInfo, SessionStart};
use app::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/logout-all", post(logout_all))
        .route("/api/auth/register", post(register))
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

#[derive(Deserialize)]
struct RegisterBody {
    email: String,
    password: String,
    #[serde(default)]
    name: String,
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
    (status, jar, Json(json!({"user": s.user, "csrf_token": s.csrf_token})))
}

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

async fn logout(State(state): State<AppState>, caller: Caller, jar: CookieJar) -> AppResult<impl IntoResponse> {
    let (hash, _) = caller.browser_session()?;
    accounts::logout(&state, hash).await?;
    Ok((StatusCode::NO_CONTENT, jar.remove(removal_cookie())))
}

async fn logout_all(State(state): State<AppState>, caller: Caller, jar: CookieJar) -> AppResult<impl IntoResponse> {
    caller.browser_session()?;
    accounts::logout_all(&state, caller.actor).await?;
    Ok((StatusCode::NO_CONTENT, jar.remove(removal_cookie())))
}

//! Request extractors: who is calling ([`Caller`]), and JSON/query/path parsers whose
//! rejections are our JSON errors instead of axum's plain text.

use crate::app::AppState;
use crate::auth::token::{constant_time_eq, sha256_hex};
use crate::http::error::AppError;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::Method;
use axum_extra::extract::CookieJar;
use domain::Actor;

pub const SESSION_COOKIE: &str = "kw_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

/// The authenticated caller of an API request: an API key (`Authorization: Bearer …` or
/// `X-Api-Key: …`) or the session cookie.
///
/// A cookie-authenticated request that changes state (POST, PUT, PATCH, DELETE) must repeat the
/// session's CSRF token in `X-CSRF-Token`: another site can make the browser send the cookie,
/// but cannot read the token. A key needs no such token: browsers never send it by themselves.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub via: Via,
}

#[derive(Debug, Clone)]
pub enum Via {
    /// `hash` is the SHA-256 of the session token, to revoke or keep this session.
    Session {
        hash: String,
        csrf: String,
    },
    ApiKey {
        id: i64,
    },
}

impl Caller {
    /// Looks up the session without the CSRF check (pages and form posts check it themselves).
    pub async fn from_cookie(parts: &Parts, state: &AppState) -> Result<Option<Caller>, AppError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else { return Ok(None) };
        let hash = sha256_hex(cookie.value());
        let session = state
            .store
            .active_web_session(&hash, state.clock.now())
            .await?
            .ok_or_else(|| AppError::unauthorized("your session has expired or was ended; log in again"))?;
        Ok(Some(Caller {
            actor: Actor { user_id: session.user_id, role: session.role },
            via: Via::Session { hash, csrf: session.csrf_token },
        }))
    }

    /// Authenticates by API key when one is presented; counts the request on the key.
    async fn from_api_key(parts: &Parts, state: &AppState) -> Result<Option<Caller>, AppError> {
        let headers = &parts.headers;
        let bearer = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let Some(secret) = bearer.or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok())) else {
            return Ok(None);
        };
        let holder =
            state.store.use_api_key(&sha256_hex(secret.trim()), state.clock.now()).await?.ok_or_else(|| {
                AppError::unauthorized("the API key is not valid: it is unknown, revoked, or its user is disabled")
            })?;
        Ok(Some(Caller {
            actor: Actor { user_id: holder.user_id, role: holder.role },
            via: Via::ApiKey { id: holder.key_id },
        }))
    }

    pub fn csrf_matches(&self, presented: &str) -> bool {
        match &self.via {
            Via::Session { csrf, .. } => constant_time_eq(presented, csrf),
            Via::ApiKey { .. } => false,
        }
    }

    /// The browser session behind this call: (token hash, CSRF token). Some endpoints (logout,
    /// password change) make no sense for an API key.
    pub fn browser_session(&self) -> Result<(&str, &str), AppError> {
        match &self.via {
            Via::Session { hash, csrf } => Ok((hash, csrf)),
            Via::ApiKey { .. } => {
                Err(AppError::bad_request("this endpoint needs a logged-in browser session, not an API key"))
            }
        }
    }

    pub fn api_key(&self) -> Option<i64> {
        match self.via {
            Via::ApiKey { id } => Some(id),
            Via::Session { .. } => None,
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(caller) = Caller::from_api_key(parts, state).await? {
            return Ok(caller);
        }
        let caller = Caller::from_cookie(parts, state)
            .await?
            .ok_or_else(|| AppError::unauthorized("log in first, or send an API key (Authorization: Bearer …)"))?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let presented = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !caller.csrf_matches(presented) {
                return Err(AppError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "csrf_failed",
                    "missing or wrong X-CSRF-Token header: send the csrf_token from GET /api/me or the login response",
                ));
            }
        }
        Ok(caller)
    }
}

/// The client's IP, from the socket or, when `trust_proxy` is set, `X-Forwarded-For`.
pub fn client_ip(
    parts_headers: &axum::http::HeaderMap,
    peer: Option<std::net::SocketAddr>,
    trust_proxy: bool,
) -> String {
    if trust_proxy {
        if let Some(first) =
            parts_headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next())
        {
            return first.trim().to_string();
        }
    }
    peer.map(|a| a.ip().to_string()).unwrap_or_default()
}

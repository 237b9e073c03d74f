//! Request extractors: who is calling ([`Caller`]), and JSON/query/path parsers whose
//! rejections are our JSON errors instead of axum's plain text.

use crate::http::error::{AppError, CallerLanguage};
use app::crypto::tokens::constant_time_eq;
use app::services::{accounts, api_keys};
use app::AppState;
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
        let session = accounts::session(state, cookie.value()).await?;
        answer_in(parts, session.language);
        Ok(Some(Caller { actor: session.actor, via: Via::Session { hash: session.hash, csrf: session.csrf } }))
    }

    /// Authenticates by API key when one is presented; counts the request on the key.
    async fn from_api_key(parts: &Parts, state: &AppState) -> Result<Option<Caller>, AppError> {
        let headers = &parts.headers;
        let bearer = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let Some(secret) = bearer.or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok())) else {
            return Ok(None);
        };
        let (actor, id, language) = api_keys::authenticate(state, secret).await?;
        answer_in(parts, language);
        Ok(Some(Caller { actor, via: Via::ApiKey { id } }))
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
            Via::ApiKey { .. } => Err(AppError::bad_request("error-browser-session-needed")),
        }
    }

    pub fn api_key(&self) -> Option<i64> {
        match self.via {
            Via::ApiKey { id } => Some(id),
            Via::Session { .. } => None,
        }
    }

    /// What an event stream re-checks while it stays open.
    pub fn credential(&self) -> app::services::events::Credential {
        match &self.via {
            Via::Session { hash, .. } => app::services::events::Credential::Session(hash.clone()),
            Via::ApiKey { id } => app::services::events::Credential::ApiKey(*id),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(caller) = Caller::from_api_key(parts, state).await? {
            return Ok(caller);
        }
        let caller =
            Caller::from_cookie(parts, state).await?.ok_or_else(|| AppError::unauthorized("error-log-in-first"))?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let presented = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !caller.csrf_matches(presented) {
                return Err(AppError::new(axum::http::StatusCode::FORBIDDEN, "csrf_failed", "error-csrf"));
            }
        }
        Ok(caller)
    }
}

/// Tells [`localize`](crate::http::error::localize) the caller's language.
fn answer_in(parts: &Parts, language: domain::LanguageChoice) {
    if let Some(slot) = parts.extensions.get::<CallerLanguage>() {
        slot.set(language);
    }
}

/// The client's IP, from the socket or, when `trust_proxy` is set, from `X-Forwarded-For`:
/// its *last* entry, the one our own proxy appended. Entries before it come from the client
/// (or from proxies we do not know), so anyone could write a fresh IP there to dodge the
/// per-IP login limit.
pub fn client_ip(headers: &axum::http::HeaderMap, peer: Option<std::net::SocketAddr>, trust_proxy: bool) -> String {
    if trust_proxy {
        // Several headers are one list, in order.
        let last = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty());
        if let Some(ip) = last {
            return ip.to_string();
        }
    }
    peer.map(|a| a.ip().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::client_ip;
    use axum::http::{HeaderMap, HeaderValue};

    #[test]
    fn behind_a_proxy_the_client_ip_is_the_entry_the_proxy_appended() {
        let peer = Some("10.0.0.2:443".parse().expect("addr"));
        let mut headers = HeaderMap::new();
        // The client wrote "1.2.3.4" itself; our proxy appended the address it saw.
        headers.insert("x-forwarded-for", HeaderValue::from_static("1.2.3.4, 203.0.113.9"));
        assert_eq!(client_ip(&headers, peer, true), "203.0.113.9");
        assert_eq!(client_ip(&headers, peer, false), "10.0.0.2", "without trust_proxy the header is ignored");
        headers.append("x-forwarded-for", HeaderValue::from_static("198.51.100.7"));
        assert_eq!(client_ip(&headers, peer, true), "198.51.100.7", "a second header continues the list");
        assert_eq!(client_ip(&HeaderMap::new(), peer, true), "10.0.0.2");
    }
}

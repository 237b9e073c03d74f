//! `GET /metrics` (Prometheus text format; see `app::services::metrics` for who may scrape) and
//! the layer that counts and times every request by its route template.

use crate::http::error::AppResult;
use app::metrics::{HttpLabels, RouteLabels, CONTENT_TYPE};
use app::services::metrics;
use app::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE as CONTENT_TYPE_HEADER};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> AppResult<impl IntoResponse> {
    let bearer = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    metrics::authorize(&state, bearer)?;
    let body = metrics::scrape(&state).await?;
    Ok(([(CONTENT_TYPE_HEADER, CONTENT_TYPE)], body))
}

/// Counts the request and times it to the response head.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Any token is a valid method; a client must not mint a series per made-up one.
    let method = match *request.method() {
        Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::OPTIONS => {
            request.method().as_str()
        }
        _ => "other",
    }
    .to_string();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = match response.status().as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    let m = &state.metrics;
    let labels = RouteLabels { method, route };
    m.http_duration.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    m.http_requests.get_or_create(&HttpLabels { method: labels.method, route: labels.route, status }).inc();
    response
}

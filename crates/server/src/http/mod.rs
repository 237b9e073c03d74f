//! HTTP: the JSON API, the pages, and the layers around both.

pub mod api;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod ui;

use app::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Request};
use axum::routing::get;
use axum::Router;
use error::AppError;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Pages load only our own scripts and styles; nothing may frame them.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

#[allow(clippy::disallowed_methods)] // /healthz and /metrics are not part of the JSON API
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes();
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<_>| {
            let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), id = %id)
        })
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO));
    let (api, _) = api::router(&state.config);
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics::scrape))
        .merge(api)
        .merge(ui::router())
        .layer(DefaultBodyLimit::max(limit))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(AppError::internal("a request handler panicked"))
        }))
        // Outside the panic catcher, so a panic's 500 is counted and written in the caller's language.
        .layer(axum::middleware::from_fn_with_state(state.clone(), error::localize))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

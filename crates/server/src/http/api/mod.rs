//! The JSON API under `/api`. One router per module, merged here.

pub mod auth;
mod devices;
mod events;
mod health;
mod keys;
mod me;
mod messages;
mod outlet_status;
mod outlets;
mod sandbox;
mod send_form;
mod users;
mod webhook_deliveries;
mod webhooks;

use crate::http::error::AppError;
use app::AppState;
use axum::Router;

pub use health::healthz;

pub fn router(config: &app::Config) -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(me::router())
        .merge(keys::router())
        .merge(messages::router(config))
        .merge(users::router())
        .merge(outlet_status::router())
        .merge(outlets::router())
        .merge(devices::router())
        .merge(sandbox::router())
        .merge(events::router())
        .merge(webhooks::router())
        .merge(webhook_deliveries::router())
        .fallback(|| async { AppError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "no such API endpoint") })
}

/// `?page=&per_page=&q=`, shared by the list endpoints.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl ListParams {
    pub fn page(&self) -> store::Page {
        store::Page::new(self.page, self.per_page)
    }
}

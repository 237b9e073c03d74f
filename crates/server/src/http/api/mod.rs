//! The JSON API under `/api`. One router per module, merged here. Every route is added with
//! `utoipa_axum::routes!`, which puts it in the router and in the OpenAPI document together
//! (plain `.route` is refused by clippy here: see `clippy.toml`), so the two cannot drift.

pub mod auth;
mod auto_replies;
mod billing;
mod blast_uploads;
mod blasts;
mod chatbots;
mod contact_import;
mod contacts;
mod csv_download;
mod devices;
mod docs;
mod events;
mod health;
mod integrations;
mod keys;
mod me;
mod media_form;
mod messages;
mod openapi;
mod outlet_status;
mod outlets;
mod sandbox;
mod send_form;
mod tags;
mod templates;
mod users;
mod webhook_deliveries;
mod webhooks;

use crate::http::error::AppError;
use app::AppState;
use axum::Router;
use utoipa_axum::router::OpenApiRouter;

pub use health::healthz;
pub use openapi::OpenApiJson;

/// The API's routes and the OpenAPI document describing exactly those routes.
pub fn router(config: &app::Config) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, doc) = OpenApiRouter::with_openapi(openapi::base())
        .merge(auth::router())
        .merge(me::router())
        .merge(keys::router())
        .merge(messages::router(config))
        .merge(users::router())
        .merge(outlet_status::router())
        .merge(outlets::router())
        .merge(contacts::router())
        .merge(tags::router())
        .merge(templates::router(config))
        .merge(auto_replies::router())
        .merge(chatbots::router())
        .merge(integrations::router())
        .merge(billing::router())
        .merge(blasts::router())
        .merge(blast_uploads::router(config))
        .merge(contact_import::router())
        .merge(devices::router())
        .merge(sandbox::router())
        .merge(events::router())
        .merge(webhooks::router())
        .merge(webhook_deliveries::router())
        .merge(docs::router())
        .split_for_parts();
    let doc = openapi::finish(doc);
    let router = router
        .layer(axum::Extension(OpenApiJson::new(&doc)))
        .fallback(|| async { AppError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "error-no-endpoint") });
    (router, doc)
}

/// `?page=&per_page=&q=`, shared by the list endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Search text.
    pub q: Option<String>,
    /// 1-based page number; 1 by default.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Items per page: 25 by default, at most 200 (larger values are clamped).
    #[param(minimum = 1)]
    pub per_page: Option<u32>,
}

impl ListParams {
    pub fn page(&self) -> store::Page {
        store::Page::new(self.page, self.per_page)
    }
}

/// `?page=&per_page=` for lists without a search.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number; 1 by default.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Items per page: 25 by default, at most 200 (larger values are clamped).
    #[param(minimum = 1)]
    pub per_page: Option<u32>,
}

impl PageParams {
    pub fn page(&self) -> store::Page {
        store::Page::new(self.page, self.per_page)
    }
}

//! Server-rendered pages. Tables and forms talk to the JSON API through the page modules in
//! `assets/js/` (one per page, sharing `core.js`), so the pages and the API cannot disagree
//! about the rules.

mod assets;
#[cfg(test)]
mod catalogue_check;
mod pages;

use app::AppState;
use axum::routing::{get, post};
use axum::Router;

#[allow(clippy::disallowed_methods)] // pages and /healthz are not part of the JSON API
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::root))
        .route("/login", get(pages::login))
        .route("/register", get(pages::register))
        .route("/logout", post(pages::logout))
        .route("/dashboard", get(pages::dashboard))
        .route("/outlets", get(pages::outlets))
        .route("/outlet-status", get(pages::outlet_status))
        .route("/admin/users", get(pages::users))
        .route("/profile", get(pages::profile))
        .route("/api-keys", get(pages::api_keys))
        .route("/messages", get(pages::messages))
        .route("/contacts", get(pages::contacts))
        .route("/templates", get(pages::templates))
        .route("/blast", get(pages::blasts))
        .route("/auto-replies", get(pages::auto_replies))
        .route("/chatbots", get(pages::chatbots))
        .route("/integrations", get(pages::integrations))
        .route("/webhooks", get(pages::webhooks))
        .route("/billing", get(pages::billing))
        .route("/billing/sandbox/{number}", get(pages::billing_sandbox))
        .route("/admin/billing", get(pages::admin_billing))
        .route("/assets/{*path}", get(assets::serve))
        // Browsers ask for it by themselves, whatever the page links.
        .route("/favicon.ico", get(|| async { axum::response::Redirect::permanent("/assets/favicon.svg") }))
}

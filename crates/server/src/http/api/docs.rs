//! `GET /api/openapi.json` (the document) and `GET /api/docs` (the vendored Swagger UI over it,
//! started by `assets/js/api_docs.js`: no inline script, so the CSP stays strict). Both are
//! public: the document describes the API, not anyone's data.

use super::OpenApiJson;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::Extension;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<app::AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json)).routes(routes!(docs_page))
}

/// The OpenAPI document
///
/// This document, OpenAPI 3.1, generated from the server's own request and response types.
#[utoipa::path(get, path = "/api/openapi.json", tag = "docs", operation_id = "getOpenApi", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json",
        body = Object)))]
async fn openapi_json(Extension(doc): Extension<OpenApiJson>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], doc.0.to_string())
}

/// The API reference page
///
/// An interactive reference over `/api/openapi.json`, served from this binary (works offline).
#[utoipa::path(get, path = "/api/docs", tag = "docs", operation_id = "getApiDocs", security(()),
    responses((status = 200, description = "An HTML page", content_type = "text/html", body = String)))]
async fn docs_page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = include_str!("../../../templates/api_docs.html");

//! The OpenAPI 3.1 document: its frame (title, auth schemes, the error answer) here; each
//! operation comes from its handler's `#[utoipa::path]` and the types it reads and returns.

use crate::http::error::ErrorBody;
use app::services::outlet_status::{Health, Order, SortBy};
use axum::http::StatusCode;
use std::sync::Arc;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "kewhats API",
        description = "Outlets, their WhatsApp devices, messages and webhooks. Authenticate with an API key \
                       (`Authorization: Bearer kwk_…` or `X-Api-Key: kwk_…`, created on the API keys page), or \
                       with the browser session cookie, in which case every POST, PATCH and DELETE repeats the \
                       session's `csrf_token` (from `GET /api/me` or the login answer) in `X-CSRF-Token`. \
                       Errors are `{\"error\":{\"code\",\"message\",\"field\"?}}`; `message` says what to fix, \
                       in the caller's language (their profile's, else `Accept-Language`: `en` or `id`); \
                       `code` stays the same in every language.",
        license(name = "AGPL-3.0-only", identifier = "AGPL-3.0-only"),
    ),
    // Types that only query parameters name are not collected from the handlers.
    components(schemas(ErrorBody, Health, SortBy, Order, domain::Direction, domain::MessageStatus, domain::DeliveryStatus)),
    security(("bearer" = []), ("api_key" = []), ("session" = [], "csrf" = [])),
    tags(
        (name = "auth", description = "Log in and out; self-registration when it is open."),
        (name = "me", description = "The caller's own account."),
        (name = "keys", description = "API keys: created and revoked from a browser session only."),
        (name = "outlets", description = "Outlets (branches), each with its own WhatsApp number."),
        (name = "devices", description = "An outlet's WhatsApp device: pairing, status, history."),
        (name = "contacts", description = "Customers, one per WhatsApp number, with custom fields for templates."),
        (name = "templates", description = "Message templates with variables and spintax, checked when saved, previewed per contact."),
        (name = "auto-replies", description = "Keyword rules that answer inbound messages by themselves, once per message, never in groups, capped per number."),
        (name = "chatbots", description = "Chatbot flows (ask, branch, hand over…), their conversations with contacts, and a simulator."),
        (name = "messages", description = "Send and read messages; sends go through a durable outbox."),
        (name = "blasts", description = "One message to many recipients across outlets, paced per device, with schedules and a report."),
        (name = "webhooks", description = "Signed webhooks and their delivery log."),
        (name = "integrations", description = "Forward conversations and alerts to Telegram, Discord, Slack, e-mail or a custom webhook, retried, with a log."),
        (name = "admin", description = "User administration (admins and superadmins)."),
        (name = "sandbox", description = "Controls for simulated devices; only when the sandbox is on."),
        (name = "docs", description = "This document and its viewer."),
    ),
)]
struct ApiDoc;

/// The frame every operation is added to.
pub fn base() -> OpenApi {
    let mut doc = ApiDoc::openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    let schemes = [
        (
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key: `Authorization: Bearer kwk_…`."))
                    .build(),
            ),
        ),
        (
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "The same API key in its own header.",
            ))),
        ),
        (
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "kw_session",
                "The browser session, set by POST /api/auth/login (HttpOnly).",
            ))),
        ),
        (
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "With the session cookie, on every POST, PATCH and DELETE: the csrf_token of the session.",
            ))),
        ),
    ];
    for (name, scheme) in schemes {
        components.add_security_scheme(name, scheme);
    }
    let error = ResponseBuilder::new()
        .description(
            "An error. The status says which kind (400 malformed, 401 not logged in, 403 not allowed, 404 not \
             found or not yours, 409 conflict, 413 too large, 422 invalid field, 429 slow down, 503 not \
             available now); `error.code` names it and `error.message` says what to fix.",
        )
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody")))).build(),
        )
        .build();
    components.responses.insert("Error".into(), RefOr::T(error));
    doc
}

/// Every operation may also answer with the one error shape; an answer described only by its
/// body gets its status's name as the description OpenAPI requires.
pub fn finish(mut doc: OpenApi) -> OpenApi {
    for item in doc.paths.paths.values_mut() {
        let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for op in ops.into_iter().flatten() {
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(r) = response {
                    if r.description.is_empty() {
                        let reason = status.parse::<u16>().ok().and_then(|s| StatusCode::from_u16(s).ok());
                        r.description = reason.and_then(|s| s.canonical_reason()).unwrap_or("Success").to_string();
                    }
                }
            }
            op.responses
                .responses
                .entry("default".into())
                .or_insert_with(|| RefOr::Ref(Ref::from_response_name("Error")));
        }
    }
    doc
}

/// The document as served, rendered once.
#[derive(Clone)]
pub struct OpenApiJson(pub Arc<str>);

impl OpenApiJson {
    pub fn new(doc: &OpenApi) -> OpenApiJson {
        // Serialising plain data cannot fail; an empty object would still be valid JSON.
        OpenApiJson(doc.to_pretty_json().unwrap_or_else(|_| "{}".into()).into())
    }
}

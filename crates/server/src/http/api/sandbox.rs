//! Sandbox controls for simulated devices: see `app::services::sandbox`.

use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, Caller};
use app::services::sandbox;
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::{MediaKind, OutletId};
use engine::sim::Fault;
use engine::ChatKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(scan)).routes(routes!(inbound)).routes(routes!(fault))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ScanBody {
    /// The phone that scans; the outlet's own number when omitted.
    phone: Option<String>,
}

/// Scan the QR code (simulated)
///
/// A simulated phone scans the device's QR code. 403 `sandbox_disabled` when the sandbox is off.
#[utoipa::path(post, path = "/api/sandbox/outlets/{id}/scan", tag = "sandbox", operation_id = "sandboxScan",
    params(("id" = i64, Path, description = "The outlet's id")), request_body = ScanBody,
    responses((status = 202, description = "Scanned; the device pairs")))]
async fn scan(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ScanBody>,
) -> AppResult<StatusCode> {
    sandbox::scan(&state, caller.actor, OutletId(id), body.phone.as_deref()).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InboundBody {
    from: String,
    text: String,
    /// Re-delivers an earlier message id (WhatsApp does so after reconnects).
    message_id: Option<String>,
    /// The kind of chat it is written in; `direct` when omitted. Only direct chats are stored
    /// and answered.
    #[serde(default)]
    chat: ChatKind,
    /// Written by the outlet's own phone instead of the contact: never stored nor answered.
    #[serde(default)]
    from_me: bool,
    /// An image or document sent with the text (then its caption; `text` may be empty).
    media: Option<InboundFile>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InboundFile {
    kind: MediaKind,
    /// Shown for a document; an image is named after its type.
    #[serde(default)]
    file_name: String,
    /// A document's type (`application/pdf`); an image's is read from its bytes.
    #[serde(default)]
    mime: String,
    /// The file's bytes, standard base64.
    data: String,
}

#[derive(Serialize, ToSchema)]
struct InboundSent {
    /// The WhatsApp message id; send it again as `message_id` to replay the message.
    message_id: String,
}

/// Receive a message (simulated)
///
/// A simulated contact sends the outlet a message: text, or an image or document with a caption.
#[utoipa::path(post, path = "/api/sandbox/outlets/{id}/inbound", tag = "sandbox", operation_id = "sandboxInbound",
    params(("id" = i64, Path, description = "The outlet's id")), request_body = InboundBody,
    responses((status = 202, description = "Sent to the outlet", body = InboundSent)))]
async fn inbound(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<InboundBody>,
) -> AppResult<(StatusCode, Json<InboundSent>)> {
    let again = body.message_id.as_deref();
    let file = body.media.as_ref().map(|f| sandbox::WrittenFile {
        kind: f.kind,
        file_name: &f.file_name,
        mime: &f.mime,
        base64: &f.data,
    });
    let written =
        sandbox::Written { from: &body.from, text: &body.text, again, chat: body.chat, from_me: body.from_me, file };
    let message_id = sandbox::inbound(&state, caller.actor, OutletId(id), written).await?;
    Ok((StatusCode::ACCEPTED, Json(InboundSent { message_id })))
}

/// Break something (simulated)
///
/// Injects a fault into the simulated device: a drop, a ban, failing sends…
#[utoipa::path(post, path = "/api/sandbox/outlets/{id}/fault", tag = "sandbox", operation_id = "sandboxFault",
    params(("id" = i64, Path, description = "The outlet's id")), request_body = Fault,
    responses((status = 202, description = "Injected")))]
async fn fault(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(fault): ApiJson<Fault>,
) -> AppResult<StatusCode> {
    sandbox::fault(&state, caller.actor, OutletId(id), fault).await?;
    Ok(StatusCode::ACCEPTED)
}

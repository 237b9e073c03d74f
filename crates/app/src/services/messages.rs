//! Sending and reading messages. A send is written to the outbox first (a `pending` row); the
//! outlet's device session sends it when connected, paced per device, and records `sent`, then
//! `delivered` and `read` from receipts, or `failed` with the reason. An idempotency key makes
//! a retried request return the first message instead of writing, and sending, another.

use crate::error::{phone, ServiceError, ServiceResult};
use crate::i18n::Text;
use crate::services::media::{self, Media, MediaKind};
use crate::services::templates::{self, FromTemplate};
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{Actor, CaptionMode, Direction, MessageStatus, OutletId, Scope, Timestamp};
use store::{Message, MessageFilter, NewMedia, NewOutgoing, Page, Paged};

/// WhatsApp itself accepts longer texts; the original product capped blasts at 4,000.
pub const MAX_TEXT_CHARS: usize = 4096;
/// WhatsApp's limit for an image or document caption.
pub const MAX_CAPTION_CHARS: usize = 1024;
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// What a caller asks to send, as it came in (JSON or a form), not yet checked.
#[derive(Debug, Default)]
pub struct SendRequest {
    pub outlet_id: i64,
    pub to: String,
    /// `text`, `image` or `document`.
    pub kind: String,
    pub text: Option<String>,
    pub media_url: Option<String>,
    pub caption: Option<String>,
    /// The name a document is shown with; taken from the URL or upload when omitted.
    pub file_name: Option<String>,
    pub file: Option<Upload>,
    /// A saved template whose body becomes the text, rendered here (instead of `text`).
    pub template_id: Option<i64>,
    /// The contact whose values fill the template's variables; by default the owner's contact
    /// with the recipient's number.
    pub contact_id: Option<i64>,
}

/// A file uploaded with the request.
#[derive(Debug)]
pub struct Upload {
    pub data: Vec<u8>,
    pub mime: String,
    pub file_name: String,
}

/// Who sends: the actor, and the API key the request came with (for its `out` counter).
#[derive(Debug, Clone, Copy)]
pub struct Sender {
    pub actor: Actor,
    pub api_key: Option<i64>,
}

/// The outcome of a send: the stored message, and whether this request created it (`false`
/// for a repeated idempotency key).
pub struct Sent {
    pub message: Message,
    pub created: bool,
    /// A template's media sent apart from its text (caption mode `separate`): written with
    /// `message`, just before it. `None` on a repeated idempotency key.
    pub media_message: Option<Message>,
}

/// Refuses early, before a large upload is read, a caller who may not send at all.
pub fn may_send(actor: Actor) -> ServiceResult<()> {
    whatsapp_scope(actor)?;
    Ok(())
}

/// Checks an `Idempotency-Key`.
pub fn idempotency_key(raw: Option<&str>) -> ServiceResult<Option<String>> {
    let Some(key) = raw.map(str::trim) else { return Ok(None) };
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(ServiceError::BadRequest(
            Text::new("error-idempotency-key-length").arg("max", MAX_IDEMPOTENCY_KEY),
        ));
    }
    Ok(Some(key.to_string()))
}

pub async fn send(
    state: &AppState,
    sender: Sender,
    idempotency_key: Option<String>,
    request: SendRequest,
) -> ServiceResult<Sent> {
    let scope = whatsapp_scope(sender.actor)?;
    let outlet = state
        .store
        .outlet(scope, OutletId(request.outlet_id))
        .await?
        .ok_or_else(|| ServiceError::not_found("error-outlet-not-found"))?;
    let to = phone("to", &request.to)?;
    if let Some(key) = &idempotency_key {
        // A retry gets the first message as it is now, without fetching its media again.
        if let Some(first) = state.store.message_by_idempotency_key(outlet.owner_id, key).await? {
            return replay(first, outlet.id);
        }
    }
    let template_id = request.template_id;
    let content = match template_id {
        Some(id) => {
            let ask = FromTemplate {
                template_id: id,
                contact_id: request.contact_id,
                owner: outlet.owner_id,
                outlet_name: &outlet.name,
                to: &to,
            };
            template_content(state, scope, request, ask).await?
        }
        None if request.contact_id.is_some() => {
            return Err(ServiceError::invalid("contact_id", "error-contact-without-template"))
        }
        None => content(state, request).await?,
    };
    let now = state.clock.now();
    let expiry = state.config.message_expiry_secs;
    let expires_at = (expiry > 0).then(|| now.plus_secs(i64::try_from(expiry).unwrap_or(i64::MAX)));
    let lead = content.lead.as_ref().map(|(kind, m)| NewOutgoing {
        owner: outlet.owner_id,
        outlet: outlet.id,
        to: to.as_str(),
        body: "",
        media: Some(NewMedia { kind: kind.as_str(), mime: &m.mime, file_name: &m.file_name, data: &m.data }),
        api_key_id: sender.api_key,
        idempotency_key: None,
        expires_at,
    });
    let new = NewOutgoing {
        owner: outlet.owner_id,
        outlet: outlet.id,
        to: to.as_str(),
        body: &content.text,
        media: content.media.as_ref().map(|(kind, m)| NewMedia {
            kind: kind.as_str(),
            mime: &m.mime,
            file_name: &m.file_name,
            data: &m.data,
        }),
        api_key_id: sender.api_key,
        idempotency_key: idempotency_key.as_deref(),
        expires_at,
    };
    let written = state.store.create_outgoing_after(lead, new, now).await;
    let (media_message, message, created) = match (written, &idempotency_key) {
        // The same key sent twice at once at the last of the quota: the second is the replay.
        (Err(store::StoreError::Refused(store::Refusal::PlanLimit { .. })), Some(key))
            if let Some(first) = state.store.message_by_idempotency_key(outlet.owner_id, key).await? =>
        {
            return replay(first, outlet.id);
        }
        (written, _) => written?,
    };
    if !created {
        return replay(message, outlet.id);
    }
    if let Some(id) = template_id {
        // The message is accepted whatever happens to the counter: a retry must not send twice.
        if let Err(e) = templates::count_use(state, id).await {
            tracing::warn!(template = id, "template use not counted: {e}");
        }
    }
    if let Some(device) = state.store.device_of_outlet(scope, outlet.id).await? {
        state.sessions.wake_sender(device.id);
    }
    Ok(Sent { message, created: true, media_message })
}

/// The answer to a repeated idempotency key: the first message, unless it was another outlet's.
fn replay(first: Message, outlet: OutletId) -> ServiceResult<Sent> {
    if first.outlet_id != outlet {
        return Err(ServiceError::conflict("error-idempotency-key-other-outlet"));
    }
    Ok(Sent { message: first, created: false, media_message: None })
}

/// What a send carries: the text (or caption), and the image or document if any.
struct Content {
    text: String,
    media: Option<(MediaKind, Media)>,
    /// Media sent as a message of its own just before this one (a template's, `separate`).
    lead: Option<(MediaKind, Media)>,
}

/// Checks the fields that go together and fetches a `media_url`.
async fn content(state: &AppState, r: SendRequest) -> ServiceResult<Content> {
    let kind = match r.kind.as_str() {
        "text" => return text_content(r),
        "image" => MediaKind::Image,
        "document" => MediaKind::Document,
        other => return Err(ServiceError::invalid("type", Text::new("error-message-type").arg("type", other))),
    };
    if r.text.is_some() {
        return Err(ServiceError::invalid("text", "error-media-with-text"));
    }
    let caption = r.caption.unwrap_or_default();
    check_text("caption", &caption, MAX_CAPTION_CHARS)?;
    let limit = state.config.media_max_bytes();
    let (data, mime, name) = match (r.file, r.media_url) {
        (Some(u), None) => (u.data, u.mime, u.file_name),
        (None, Some(url)) => media::fetch(&state.outbound, &url, limit).await?,
        (Some(_), Some(_)) => return Err(ServiceError::invalid("media_url", "error-media-both")),
        (None, None) => return Err(ServiceError::invalid("media_url", "error-media-missing")),
    };
    let media = media::accept(kind, data, &mime, r.file_name.as_deref().unwrap_or(&name))?;
    Ok(Content { text: caption, media: Some((kind, media)), lead: None })
}

/// A message from a saved template: no `text` or media of its own. With the template's media,
/// the rendered text is its caption (`caption` mode) or follows it (`separate` mode).
async fn template_content(
    state: &AppState,
    scope: Scope,
    r: SendRequest,
    ask: FromTemplate<'_>,
) -> ServiceResult<Content> {
    if r.text.is_some() {
        return Err(ServiceError::invalid("text", "error-template-with-text"));
    }
    if r.kind != "text" || r.media_url.is_some() || r.caption.is_some() || r.file.is_some() || r.file_name.is_some() {
        return Err(ServiceError::invalid("template_id", "error-template-text-only"));
    }
    let (template, text) = templates::render_for_send(state, scope, ask).await?;
    let attached = templates::media_for_send(state, scope, &template).await?.map(|a| (a.kind, a.media));
    match (attached, template.caption_mode) {
        (Some(media), CaptionMode::Caption) => {
            // An image or document alone is a message too; its caption may come out empty.
            check_text("text", &text, MAX_CAPTION_CHARS)?;
            Ok(Content { text, media: Some(media), lead: None })
        }
        (lead, _) => {
            if text.trim().is_empty() {
                return Err(ServiceError::invalid("template_id", "error-template-rendered-empty"));
            }
            check_text("text", &text, MAX_TEXT_CHARS)?;
            Ok(Content { text, media: None, lead })
        }
    }
}

fn text_content(r: SendRequest) -> ServiceResult<Content> {
    if r.media_url.is_some() || r.caption.is_some() || r.file.is_some() || r.file_name.is_some() {
        return Err(ServiceError::invalid("type", "error-text-with-media"));
    }
    let Some(text) = r.text else { return Err(ServiceError::invalid("text", "error-text-or-template")) };
    if text.trim().is_empty() {
        return Err(ServiceError::invalid("text", "error-text-required"));
    }
    check_text("text", &text, MAX_TEXT_CHARS)?;
    Ok(Content { text, media: None, lead: None })
}

fn check_text(field: &'static str, text: &str, max: usize) -> ServiceResult<()> {
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ServiceError::invalid(field, "error-text-control"));
    }
    if text.chars().count() > max {
        return Err(ServiceError::invalid(field, Text::new("error-too-long").arg("max", max)));
    }
    Ok(())
}

/// Filters of the message list; times are RFC 3339 as given.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub outlet_id: Option<i64>,
    pub direction: Option<Direction>,
    pub status: Option<MessageStatus>,
    /// Inclusive.
    pub since: Option<String>,
    /// Exclusive.
    pub until: Option<String>,
    pub page: Page,
}

fn time(field: &'static str, value: Option<&str>) -> ServiceResult<Option<Timestamp>> {
    let Some(v) = value else { return Ok(None) };
    let t = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ServiceError::BadRequest(Text::new("error-time-format").arg("field", field)))?;
    Ok(Some(Timestamp(i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))))
}

/// Newest first.
pub async fn list(state: &AppState, actor: Actor, q: ListQuery) -> ServiceResult<Paged<Message>> {
    let scope = whatsapp_scope(actor)?;
    let filter = MessageFilter {
        outlet: q.outlet_id.map(OutletId),
        direction: q.direction,
        status: q.status,
        since: time("since", q.since.as_deref())?,
        until: time("until", q.until.as_deref())?,
    };
    Ok(state.store.list_messages(scope, &filter, q.page).await?)
}

pub async fn show(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Message> {
    let scope = whatsapp_scope(actor)?;
    state.store.message(scope, id).await?.ok_or_else(|| ServiceError::not_found("error-message-not-found"))
}

//! Message templates: a body with `{{variables}}` and `{a|b}` spintax, checked when saved (an
//! unknown or malformed variable is refused with its line and column), previewed against one of
//! the caller's contacts, and rendered server side when a message is sent from it. Scoped like
//! contacts: one's own, or every tenant's for staff.
//!
//! The variables are `domain::BUILTIN_VARIABLES` (name, phone, date, outlet) and the custom
//! field names the owner's contacts use.
//!
//! A template may carry one image or document, checked like a single send's media
//! (`services::media`: size limit `media_max_kib`, images by their bytes). Sent with the
//! template's `caption_mode`: `caption` makes one media message whose caption is the rendered
//! text; `separate` makes the media message (no caption), then the text message. The bytes are
//! copied into each message ([`media_for_send`]), which blasts use as single sends do.

use crate::error::{not_found_as, ServiceError, ServiceResult};
use crate::i18n::errors::label;
use crate::i18n::{Text, Tr};
use crate::services::media::{self, Media, MediaKind};
use crate::services::messages::Upload;
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{
    long_date, Actor, CaptionMode, Label, PhoneNumber, Scope, Template, TemplateCategory, UserId, BUILTIN_VARIABLES,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use store::{
    Contact, MessageTemplate, NewMedia, NewTemplate, NewTemplateMedia, Page, Paged, TemplateFilter, TemplateMedia,
    TemplatePatch,
};

const NAME_MAX: usize = 100;
/// The seed of every preview: the same draft always shows the same choices while it is edited.
pub const PREVIEW_SEED: u64 = 0x006b_6577_6861_7473;

/// A template as asked for, unchecked.
#[derive(Debug)]
pub struct TemplateInput<'a> {
    pub name: &'a str,
    pub category: TemplateCategory,
    pub body: &'a str,
    pub caption_mode: CaptionMode,
}

/// What an update asks to change; `None` keeps it.
#[derive(Debug, Default)]
pub struct TemplateChanges<'a> {
    pub name: Option<&'a str>,
    pub category: Option<TemplateCategory>,
    pub body: Option<&'a str>,
    pub caption_mode: Option<CaptionMode>,
}

/// A body rendered for one contact (or with sample values).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = TemplatePreview)]
pub struct Preview {
    /// The text as the contact would get it.
    pub text: String,
    /// The variables the body uses, each once, in order.
    pub variables: Vec<String>,
    /// The value each variable had.
    pub values: BTreeMap<String, String>,
    /// The contact it was rendered for; none means sample values.
    pub contact_id: Option<i64>,
}

pub async fn list(
    state: &AppState,
    actor: Actor,
    filter: TemplateFilter<'_>,
    page: Page,
) -> ServiceResult<Paged<MessageTemplate>> {
    let scope = whatsapp_scope(actor)?;
    Ok(state.store.list_templates(scope, filter, page).await?)
}

pub async fn show(state: &AppState, actor: Actor, id: i64) -> ServiceResult<MessageTemplate> {
    let scope = whatsapp_scope(actor)?;
    find(state, scope, id).await
}

async fn find(state: &AppState, scope: Scope, id: i64) -> ServiceResult<MessageTemplate> {
    state.store.template(scope, id).await?.ok_or_else(|| ServiceError::not_found("error-template-not-found"))
}

/// The variables `owner`'s templates may use: the built-in ones, then their contacts' custom
/// fields.
pub async fn variables(state: &AppState, owner: UserId) -> ServiceResult<Vec<String>> {
    let mut names: Vec<String> = BUILTIN_VARIABLES.iter().map(|v| (*v).to_string()).collect();
    for custom in state.store.contact_field_names(owner).await? {
        if !names.contains(&custom) {
            names.push(custom);
        }
    }
    Ok(names)
}

/// Checks a body against the owner's variables; a mistake is an invalid `body` naming its line
/// and column.
pub(crate) async fn check_body(state: &AppState, owner: UserId, body: &str) -> ServiceResult<Template> {
    let known = state.store.contact_field_names(owner).await?;
    Template::parse(body, &|name| known.iter().any(|k| k == name)).map_err(|e| ServiceError::invalid("body", &e))
}

fn check_name(name: &str) -> ServiceResult<Label> {
    Label::parse(name, NAME_MAX).map_err(|e| ServiceError::invalid("name", label("field-template-name", e)))
}

/// A new template of the caller's own.
pub async fn create(state: &AppState, actor: Actor, input: TemplateInput<'_>) -> ServiceResult<MessageTemplate> {
    whatsapp_scope(actor)?;
    let name = check_name(input.name)?;
    check_body(state, actor.user_id, input.body).await?;
    let new = NewTemplate {
        owner: actor.user_id,
        name: name.as_str(),
        category: input.category,
        body: input.body,
        caption_mode: input.caption_mode,
    };
    Ok(state.store.create_template(new, state.clock.now()).await?)
}

/// Changes a template; its body is checked against its owner's variables.
pub async fn update(
    state: &AppState,
    actor: Actor,
    id: i64,
    changes: TemplateChanges<'_>,
) -> ServiceResult<MessageTemplate> {
    let scope = whatsapp_scope(actor)?;
    let current = find(state, scope, id).await?;
    let name = changes.name.map(check_name).transpose()?;
    if let Some(body) = changes.body {
        check_body(state, current.owner_id, body).await?;
    }
    let patch = TemplatePatch {
        name: name.as_ref().map(Label::as_str),
        category: changes.category,
        body: changes.body,
        caption_mode: changes.caption_mode,
    };
    state
        .store
        .update_template(scope, id, patch, state.clock.now())
        .await
        .map_err(not_found_as("error-template-not-found"))
}

pub async fn delete(state: &AppState, actor: Actor, id: i64) -> ServiceResult<()> {
    let scope = whatsapp_scope(actor)?;
    state.store.delete_template(scope, id).await.map_err(not_found_as("error-template-not-found"))
}

/// Refuses early, before a large upload is read, a caller who may not have templates at all.
pub fn may_attach(actor: Actor) -> ServiceResult<()> {
    whatsapp_scope(actor)?;
    Ok(())
}

/// The kind a file is sent as: `image` or `document` as asked, else an image when it says it
/// is one (its bytes are checked), else a document.
pub(crate) fn media_kind(asked: Option<&str>, upload: &Upload) -> ServiceResult<MediaKind> {
    match asked.map(str::trim) {
        Some("image") => Ok(MediaKind::Image),
        Some("document") => Ok(MediaKind::Document),
        Some("") | None => {
            let mime = upload.mime.trim().to_ascii_lowercase();
            let name = upload.file_name.trim().to_ascii_lowercase();
            let looks_like_image = mime.starts_with("image/")
                || [".jpg", ".jpeg", ".png", ".webp", ".gif"].iter().any(|ext| name.ends_with(ext));
            Ok(if looks_like_image { MediaKind::Image } else { MediaKind::Document })
        }
        Some(other) => Err(ServiceError::invalid("kind", Text::new("error-template-media-kind").arg("kind", other))),
    }
}

/// Attaches an image or document to a template (replacing the one it had), checked like a
/// single send's media: at most `media_max_kib`, an image a real JPEG, PNG or WebP.
/// `kind` is `image` or `document`; without it, taken from the file.
pub async fn attach_media(
    state: &AppState,
    actor: Actor,
    id: i64,
    upload: Upload,
    kind: Option<&str>,
) -> ServiceResult<MessageTemplate> {
    let scope = whatsapp_scope(actor)?;
    find(state, scope, id).await?;
    let limit = state.config.media_max_bytes();
    if upload.data.len() > limit {
        return Err(media::too_large(limit));
    }
    let kind = media_kind(kind, &upload)?;
    let checked = media::accept(kind, upload.data, &upload.mime, &upload.file_name)?;
    let new = NewTemplateMedia {
        kind: kind.as_str(),
        mime: &checked.mime,
        file_name: &checked.file_name,
        data: &checked.data,
    };
    state
        .store
        .put_template_media(scope, id, new, state.clock.now())
        .await
        .map_err(not_found_as("error-template-not-found"))
}

/// Takes a template's image or document away; a template without one stays as it is.
pub async fn remove_media(state: &AppState, actor: Actor, id: i64) -> ServiceResult<MessageTemplate> {
    let scope = whatsapp_scope(actor)?;
    state
        .store
        .remove_template_media(scope, id, state.clock.now())
        .await
        .map_err(not_found_as("error-template-not-found"))
}

/// A template's image or document with its bytes, for the page to show or download.
pub async fn media_file(state: &AppState, actor: Actor, id: i64) -> ServiceResult<(TemplateMedia, Vec<u8>)> {
    let scope = whatsapp_scope(actor)?;
    find(state, scope, id).await?;
    state.store.template_media(scope, id).await?.ok_or_else(|| ServiceError::not_found("error-template-no-media"))
}

/// A template's image or document, ready to go into a message (its own copy of the bytes).
#[derive(Debug)]
pub struct TemplateAttachment {
    pub kind: MediaKind,
    pub media: Media,
}

impl TemplateAttachment {
    /// What `store::NewOutgoing::media` takes.
    pub fn as_new_media(&self) -> NewMedia<'_> {
        NewMedia {
            kind: self.kind.as_str(),
            mime: &self.media.mime,
            file_name: &self.media.file_name,
            data: &self.media.data,
        }
    }
}

/// The image or document to send with `template` (found in `scope`), or `None` when it has
/// none. Reads the bytes only when the template says it has media. For blasts as for single
/// sends: with [`CaptionMode::Caption`] the rendered text is the media's caption (at most
/// `messages::MAX_CAPTION_CHARS`); with [`CaptionMode::Separate`] the media goes first as a
/// message without caption, then the text.
pub async fn media_for_send(
    state: &AppState,
    scope: Scope,
    template: &MessageTemplate,
) -> ServiceResult<Option<TemplateAttachment>> {
    if template.media.is_none() {
        return Ok(None);
    }
    let Some((about, data)) = state.store.template_media(scope, template.id).await? else { return Ok(None) };
    let kind = match about.kind.as_str() {
        "image" => MediaKind::Image,
        "document" => MediaKind::Document,
        other => return Err(ServiceError::internal(format!("template media of kind {other}"))),
    };
    Ok(Some(TemplateAttachment { kind, media: Media { mime: about.mime, file_name: about.file_name, data } }))
}

/// Renders a draft or saved body for one of the caller's contacts (sample values without one),
/// always with [`PREVIEW_SEED`], so the preview does not jump while the body is edited.
pub async fn preview(state: &AppState, actor: Actor, body: &str, contact_id: Option<i64>) -> ServiceResult<Preview> {
    let scope = whatsapp_scope(actor)?;
    let contact = match contact_id {
        Some(id) => Some(
            state.store.contact(scope, id).await?.ok_or_else(|| ServiceError::not_found("error-contact-not-found"))?,
        ),
        None => None,
    };
    // A staff member previewing a tenant's contact sees it with that tenant's variables.
    let owner = contact.as_ref().map_or(actor.user_id, |c| c.owner_id);
    let template = check_body(state, owner, body).await?;
    let values = match &contact {
        Some(c) => contact_values(state, scope, c, None).await?,
        None => sample_values(state, owner).await?,
    };
    let text = render(&template, &values, PREVIEW_SEED);
    let variables: Vec<String> = template.variables().into_iter().map(str::to_string).collect();
    let values = variables.iter().map(|v| (v.clone(), values.get(v).cloned().unwrap_or_default())).collect();
    Ok(Preview { text, variables, values, contact_id: contact.map(|c| c.id) })
}

pub(crate) fn render(template: &Template, values: &BTreeMap<String, String>, seed: u64) -> String {
    let values: HashMap<&str, &str> = values.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    template.render(&values, seed)
}

/// Today's date as the owner writes it: their time zone, their language (else the platform's).
pub(crate) async fn today(state: &AppState, owner: UserId) -> ServiceResult<String> {
    let user = state.store.user(owner).await?.ok_or_else(|| ServiceError::internal("template owner missing"))?;
    let language = user.language.language().unwrap_or(state.config.default_language);
    Ok(long_date(state.clock.now(), &user.time_zone, language))
}

/// A contact's values: name, phone, date, outlet (their home outlet, else `fallback_outlet`)
/// and their custom fields.
pub(crate) async fn contact_values(
    state: &AppState,
    scope: Scope,
    contact: &Contact,
    fallback_outlet: Option<&str>,
) -> ServiceResult<BTreeMap<String, String>> {
    let mut values = contact.fields.clone();
    let outlet = match contact.home_outlet_id {
        Some(id) => state.store.outlet(scope, id).await?.map(|o| o.name),
        None => None,
    };
    values.insert("name".into(), contact.name.clone());
    values.insert("phone".into(), contact.wa_number.clone());
    values.insert("date".into(), today(state, contact.owner_id).await?);
    values.insert("outlet".into(), outlet.or_else(|| fallback_outlet.map(str::to_string)).unwrap_or_default());
    Ok(values)
}

/// Values to show where no contact was chosen: a sample customer, and each custom field as
/// `[field]`, so the owner sees where it goes.
pub(crate) async fn sample_values(state: &AppState, owner: UserId) -> ServiceResult<BTreeMap<String, String>> {
    let user = state.store.user(owner).await?.ok_or_else(|| ServiceError::internal("template owner missing"))?;
    let tr = Tr(user.language.language().unwrap_or(state.config.default_language));
    let mut values: BTreeMap<String, String> =
        variables(state, owner).await?.into_iter().map(|v| (v.clone(), format!("[{v}]"))).collect();
    values.insert("name".into(), tr.t("template-sample-name"));
    values.insert("phone".into(), "+6281234567890".into());
    values.insert("date".into(), today(state, owner).await?);
    values.insert("outlet".into(), tr.t("template-sample-outlet"));
    Ok(values)
}

/// What a send from a template asks for.
pub(crate) struct FromTemplate<'a> {
    pub template_id: i64,
    pub contact_id: Option<i64>,
    /// The outlet that sends, and owns the message.
    pub owner: UserId,
    pub outlet_name: &'a str,
    pub to: &'a PhoneNumber,
}

/// The template, and the text of a message sent from it, for the chosen contact (else the
/// owner's contact with the recipient's number, else no contact values), seeded by the
/// recipient's number so a retry renders the same words.
pub(crate) async fn render_for_send(
    state: &AppState,
    scope: Scope,
    ask: FromTemplate<'_>,
) -> ServiceResult<(MessageTemplate, String)> {
    let saved = find(state, scope, ask.template_id).await?;
    if saved.owner_id != ask.owner {
        return Err(ServiceError::not_found("error-template-not-found"));
    }
    let contact = match ask.contact_id {
        Some(id) => match state.store.contact(scope, id).await? {
            Some(c) if c.owner_id == ask.owner => Some(c),
            _ => return Err(ServiceError::not_found("error-contact-not-found")),
        },
        None => state.store.contact_by_number(ask.owner, ask.to).await?,
    };
    let values = match &contact {
        Some(c) => contact_values(state, scope, c, Some(ask.outlet_name)).await?,
        None => BTreeMap::from([
            ("phone".to_string(), ask.to.as_str().to_string()),
            ("date".to_string(), today(state, ask.owner).await?),
            ("outlet".to_string(), ask.outlet_name.to_string()),
        ]),
    };
    // Checked when saved; a custom field dropped since then renders empty rather than failing.
    let template = Template::parse(&saved.body, &|_| true).map_err(|e| ServiceError::invalid("template_id", &e))?;
    let text = render(&template, &values, recipient_seed(ask.to));
    Ok((saved, text))
}

/// The same recipient always gets the same wording; different ones get different wordings.
fn recipient_seed(to: &PhoneNumber) -> u64 {
    number_seed(to.as_str())
}

/// [`recipient_seed`] of a number already in E.164 form (a blast's recipient rows).
pub(crate) fn number_seed(e164: &str) -> u64 {
    let digest = Sha256::digest(e164.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// A template a message was accepted from was used once more.
pub(crate) async fn count_use(state: &AppState, template_id: i64) -> ServiceResult<()> {
    Ok(state.store.count_template_use(template_id, 1).await?)
}

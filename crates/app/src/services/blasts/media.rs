//! A blast's image or document: copied from its template when it is made from one that has
//! media (with the template's `caption_mode`), or put on a draft (`PUT /api/blasts/{id}/media`,
//! checked like a template's media: `services::media`, `media_max_kib`). Kept in `blast_media`;
//! each hand-off copies the bytes into the message it writes (see `Store::hand_off`).
//!
//! As a caption the recipient's rendered text may be at most `messages::MAX_CAPTION_CHARS`: a
//! longer body is refused when the blast is made, the media put on, or the blast started; a
//! text that only grows too long with a recipient's values is skipped (`caption_too_long`).
//! A device's gap after a media send is twice the drawn gap (see [`gap_ms`]).

use super::{find, view, BlastView};
use crate::error::{ServiceError, ServiceResult};
use crate::i18n::Text;
use crate::services::media as checks;
use crate::services::messages::{Upload, MAX_CAPTION_CHARS};
use crate::services::templates;
use crate::state::AppState;
use domain::policy::whatsapp_scope;
use domain::{Actor, BlastStatus, CaptionMode, Scope};
use store::{Blast, BlastMedia, MessageTemplate, NewBlastMedia};

/// A blast's media before it is written: the file and how it goes with the text.
#[derive(Debug, Clone)]
pub(super) struct PlannedMedia {
    pub kind: &'static str,
    pub mime: String,
    pub file_name: String,
    pub data: Vec<u8>,
    pub caption_mode: CaptionMode,
}

impl PlannedMedia {
    pub fn as_new(&self) -> NewBlastMedia<'_> {
        NewBlastMedia {
            kind: self.kind,
            mime: &self.mime,
            file_name: &self.file_name,
            data: &self.data,
            caption_mode: self.caption_mode,
        }
    }
}

/// The gap a device keeps after a send of this blast: media take longer to upload and look
/// less like a burst when spaced out, so a blast with media waits twice the drawn gap (the
/// defaults become 6–16 s instead of text's 3–8 s).
pub fn gap_ms(blast: &Blast, drawn_ms: i64) -> i64 {
    if blast.media.is_some() {
        drawn_ms.saturating_mul(2)
    } else {
        drawn_ms
    }
}

/// Refuses a body too long to be a caption when the media goes as one.
pub(super) fn check_caption(body: &str, mode: Option<CaptionMode>) -> ServiceResult<()> {
    if mode == Some(CaptionMode::Caption) && body.chars().count() > MAX_CAPTION_CHARS {
        return Err(ServiceError::invalid(
            "body",
            Text::new("error-blast-caption-too-long").arg("max", MAX_CAPTION_CHARS),
        ));
    }
    Ok(())
}

/// A blast's media checked again when it starts (its body cannot change, but say so plainly
/// rather than skip every recipient).
pub(super) fn check_start(blast: &Blast) -> ServiceResult<()> {
    check_caption(&blast.body, blast.media.as_ref().map(|m| m.caption_mode))
}

/// The media a blast made from `template` takes over, if the template has any.
pub(super) async fn from_template(
    state: &AppState,
    scope: Scope,
    template: &MessageTemplate,
) -> ServiceResult<Option<PlannedMedia>> {
    let Some(attachment) = templates::media_for_send(state, scope, template).await? else { return Ok(None) };
    Ok(Some(PlannedMedia {
        kind: attachment.kind.as_str(),
        mime: attachment.media.mime,
        file_name: attachment.media.file_name,
        data: attachment.media.data,
        caption_mode: template.caption_mode,
    }))
}

/// The media of an existing blast, for its duplicate or resend.
pub(super) async fn of_blast(state: &AppState, scope: Scope, blast: &Blast) -> ServiceResult<Option<PlannedMedia>> {
    if blast.media.is_none() {
        return Ok(None);
    }
    let Some((about, data)) = state.store.blast_media(scope, blast.id).await? else { return Ok(None) };
    Ok(Some(PlannedMedia {
        kind: kind_str(&about.kind)?,
        mime: about.mime,
        file_name: about.file_name,
        data,
        caption_mode: about.caption_mode,
    }))
}

fn kind_str(kind: &str) -> ServiceResult<&'static str> {
    match kind {
        "image" => Ok("image"),
        "document" => Ok("document"),
        other => Err(ServiceError::internal(format!("blast media of kind {other}"))),
    }
}

fn not_draft(status: BlastStatus) -> ServiceError {
    ServiceError::Conflict {
        code: "blast_state",
        message: Text::new("error-blast-media-draft").arg("status", status.as_str()),
    }
}

/// Refuses early, before a large upload is read, a caller who may not have blasts at all.
pub fn may_attach(actor: Actor) -> ServiceResult<()> {
    whatsapp_scope(actor)?;
    Ok(())
}

/// Puts an image or document on a draft blast (replacing the one it had), checked as a
/// template's media is. `caption_mode` is `caption` or `separate`; without it the mode the
/// blast's media had, else `caption`. 409 once the blast is no longer a draft.
pub async fn attach(
    state: &AppState,
    actor: Actor,
    id: i64,
    upload: Upload,
    kind: Option<&str>,
    caption_mode: Option<&str>,
) -> ServiceResult<BlastView> {
    let scope = whatsapp_scope(actor)?;
    let blast = find(state, scope, id).await?;
    if blast.status != BlastStatus::Draft {
        return Err(not_draft(blast.status));
    }
    let mode = match caption_mode.map(str::trim) {
        None | Some("") => blast.media.as_ref().map_or(CaptionMode::Caption, |m| m.caption_mode),
        Some(text) => text.parse().map_err(|_| {
            ServiceError::invalid("caption_mode", Text::new("error-blast-caption-mode").arg("mode", text))
        })?,
    };
    check_caption(&blast.body, Some(mode))?;
    let limit = state.config.media_max_bytes();
    if upload.data.len() > limit {
        return Err(checks::too_large(limit));
    }
    let kind = templates::media_kind(kind, &upload)?;
    let checked = checks::accept(kind, upload.data, &upload.mime, &upload.file_name)?;
    let new = NewBlastMedia {
        kind: kind.as_str(),
        mime: &checked.mime,
        file_name: &checked.file_name,
        data: &checked.data,
        caption_mode: mode,
    };
    let changed = state.store.put_blast_media(scope, id, new, state.clock.now()).await.map_err(not_found)?;
    view(state, changed.map_err(not_draft)?).await
}

/// Takes a draft blast's media away (nothing to take is fine); 409 once it is not a draft.
pub async fn remove(state: &AppState, actor: Actor, id: i64) -> ServiceResult<BlastView> {
    let scope = whatsapp_scope(actor)?;
    let changed = state.store.remove_blast_media(scope, id, state.clock.now()).await.map_err(not_found)?;
    view(state, changed.map_err(not_draft)?).await
}

/// A blast's image or document with its bytes, for the page to show or download.
pub async fn file(state: &AppState, actor: Actor, id: i64) -> ServiceResult<(BlastMedia, Vec<u8>)> {
    let scope = whatsapp_scope(actor)?;
    find(state, scope, id).await?;
    state.store.blast_media(scope, id).await?.ok_or_else(|| ServiceError::not_found("error-blast-no-media"))
}

fn not_found(e: store::StoreError) -> ServiceError {
    crate::error::not_found_as("error-blast-not-found")(e)
}

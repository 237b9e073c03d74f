//! Translating whatsapp-rust's events into kewhats' [`EngineEvent`]s.

use domain::Timestamp;
use engine::{EngineEvent, IncomingMedia, IncomingMessage, Receipt, ReceiptKind};
use whatsapp_rust::proto_helpers::MessageExt;
use whatsapp_rust::types::events::{ConnectFailure, InboundMessage, LoggedOut, Receipt as WaReceipt, TemporaryBan};
use whatsapp_rust::types::presence::ReceiptType;
use whatsapp_rust::wacore::download::Downloadable;
use whatsapp_rust::wacore::types::events::ConnectFailureReason;
use whatsapp_rust::wacore::types::message::MessageSource;
use whatsapp_rust::{Client, Jid, Server};

/// Keeps the digits of a phone number (`+62 812-…` → `62812…`).
pub(crate) fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// A one-to-one chat with a person: the only chats the gateway deals with. Groups, status
/// updates, broadcast lists and newsletters have no single number to answer.
fn is_direct_chat(source: &MessageSource) -> bool {
    !source.is_group && matches!(source.chat.server, Server::Pn | Server::Lid | Server::Hosted | Server::HostedLid)
}

/// The phone number (digits) behind a sender. Modern accounts address chats by LID
/// (`…@lid`), which is not a phone number: use the phone-number form WhatsApp sent along
/// (`alt`), else the client's LID→phone map, and only as a last resort the LID itself.
async fn phone_of(client: &Client, jid: &Jid, alt: Option<&Jid>) -> String {
    if !matches!(jid.server, Server::Lid | Server::HostedLid) {
        return jid.user.to_string();
    }
    if let Some(alt) = alt.filter(|a| matches!(a.server, Server::Pn | Server::Hosted)) {
        return alt.user.to_string();
    }
    match client.get_lid_pn_entry(jid).await {
        Ok(Some(entry)) => entry.phone_number.to_string(),
        _ => {
            tracing::warn!(lid = %jid, "no phone number known for a LID sender; reporting the LID digits");
            jid.user.to_string()
        }
    }
}

/// An incoming message from a person or in a group, or `None` for what the gateway does not
/// handle: status and broadcast traffic, and protocol-only messages (reactions, edits, key distribution)
/// that carry no text or media. A message the linked phone sent in a direct chat comes
/// through marked `from_me`, with `from` the chat's other party: it is not stored or
/// answered, but tells a chatbot that a person took the conversation over.
pub(crate) async fn incoming(client: &Client, m: &InboundMessage) -> Option<IncomingMessage> {
    let info = &m.info;
    // A group's message comes through marked as such, with the group to answer in: the
    // gateway stores and answers it only where a rule or flow of the owner asks for groups.
    let group = (info.source.is_group && info.source.chat.server == Server::Group)
        .then(|| format!("{}{}", info.source.chat.user, engine::GROUP_SUFFIX));
    if group.is_none() && !is_direct_chat(&info.source) {
        return None;
    }
    let from_me = info.source.is_from_me;
    let text = match m.message.text_content().or_else(|| m.message.get_caption()) {
        Some(t) => t.to_string(),
        None if !info.media_type.is_empty() => format!("[{}]", info.media_type),
        None => return None,
    };
    let media = if from_me { None } else { media(client, &m.message).await };
    Some(IncomingMessage {
        id: info.id.to_string(),
        from: if from_me && group.is_none() {
            phone_of(client, &info.source.chat, info.source.recipient_alt.as_ref()).await
        } else {
            phone_of(client, &info.source.sender, info.source.sender_alt.as_ref()).await
        },
        text,
        at: Timestamp(info.timestamp.timestamp_millis()),
        chat: if group.is_some() { engine::ChatKind::Group } else { engine::ChatKind::Direct },
        group,
        from_me,
        media,
    })
}

/// Larger images and documents are not downloaded (the message still arrives, as its caption
/// or "[document]"): WhatsApp's own limit for images is 16 MB.
const MEDIA_MAX_BYTES: u64 = 16 * 1024 * 1024;
const MEDIA_DOWNLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The image or document a message came with, downloaded and decrypted; `None` for other
/// messages, and (logged) when it is too large or the download fails.
async fn media(client: &Client, message: &whatsapp_rust::waproto::whatsapp::Message) -> Option<IncomingMedia> {
    let base = message.get_base_message();
    let (downloadable, kind, mime, file_name, length): (&dyn Downloadable, _, _, _, _) =
        if let Some(image) = base.image_message.as_option() {
            (image, domain::MediaKind::Image, image.mimetype.clone(), None, image.file_length)
        } else if let Some(document) = base.document_message.as_option() {
            let name = document.file_name.clone().or_else(|| document.title.clone());
            (document, domain::MediaKind::Document, document.mimetype.clone(), name, document.file_length)
        } else {
            return None;
        };
    if length.is_some_and(|l| l > MEDIA_MAX_BYTES) {
        tracing::info!(bytes = length, "an incoming file is too large to download; only its caption is kept");
        return None;
    }
    // The download holds up this connection's events (receipts, a disconnect): not for long.
    let data = match tokio::time::timeout(MEDIA_DOWNLOAD_TIMEOUT, client.download(downloadable)).await {
        Ok(Ok(data)) => data,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "an incoming image or document could not be downloaded");
            return None;
        }
        Err(_) => {
            tracing::warn!("an incoming image or document took too long to download; only its caption is kept");
            return None;
        }
    };
    let mime = mime.unwrap_or_else(|| "application/octet-stream".to_string());
    Some(match kind {
        domain::MediaKind::Image => IncomingMedia::image(&mime, data),
        domain::MediaKind::Document => IncomingMedia {
            kind,
            mime,
            file_name: file_name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "document".to_string()),
            data,
        },
    })
}

/// Delivered and read receipts for messages we sent to a person.
pub(crate) async fn receipt(client: &Client, r: &WaReceipt) -> Option<Receipt> {
    let kind = match r.r#type {
        ReceiptType::Delivered => ReceiptKind::Delivered,
        ReceiptType::Read => ReceiptKind::Read,
        _ => return None,
    };
    if r.source.is_from_me || !is_direct_chat(&r.source) || r.message_ids.is_empty() {
        return None;
    }
    Some(Receipt {
        message_ids: r.message_ids.iter().map(|id| id.to_string()).collect(),
        kind,
        from: phone_of(client, &r.source.sender, r.source.sender_alt.as_ref()).await,
    })
}

fn failure_text(reason: ConnectFailureReason) -> String {
    let what = match reason {
        ConnectFailureReason::LoggedOut | ConnectFailureReason::UnknownLogout => "the device was logged out",
        ConnectFailureReason::AccountLocked => "the account is locked",
        ConnectFailureReason::TempBanned => "the account is temporarily banned",
        ConnectFailureReason::ClientOutdated => "this client version is outdated",
        ConnectFailureReason::BadUserAgent => "WhatsApp rejected the client's user agent",
        ConnectFailureReason::InternalServerError => "WhatsApp had an internal error",
        ConnectFailureReason::ServiceUnavailable => "WhatsApp is unavailable",
        _ => "WhatsApp refused the connection",
    };
    format!("{what} (code {})", reason.code())
}

pub(crate) fn logged_out(l: &LoggedOut) -> EngineEvent {
    let mut reason = failure_text(l.reason);
    if let Some(text) = l.logout_message.as_ref().and_then(|m| m.subtext.as_ref().or(m.header.as_ref())) {
        reason = format!("{reason}: {text}");
    }
    EngineEvent::LoggedOut { reason }
}

pub(crate) fn temporary_ban(b: &TemporaryBan) -> EngineEvent {
    let mut reason = format!("temporarily banned: {}", b.code);
    if let Some(message) = &b.message {
        reason = format!("{reason} ({message})");
    }
    let retry_after = b.expire.to_std().ok().filter(|d| !d.is_zero());
    EngineEvent::TemporaryBan { reason, retry_after }
}

pub(crate) fn connect_failure(c: &ConnectFailure) -> EngineEvent {
    let mut reason = failure_text(c.reason);
    if let Some(message) = &c.message {
        reason = format!("{reason}: {message}");
    }
    EngineEvent::Disconnected { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_keep_only_digits() {
        assert_eq!(digits("+62 812-3456"), "628123456");
        assert_eq!(digits("6281"), "6281");
    }

    #[test]
    fn failure_texts_are_readable() {
        assert_eq!(failure_text(ConnectFailureReason::ServiceUnavailable), "WhatsApp is unavailable (code 503)");
        assert!(failure_text(ConnectFailureReason::Unknown(499)).contains("499"));
    }
}

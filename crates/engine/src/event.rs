use domain::Timestamp;
use std::time::Duration;

/// What a connection reports.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineEvent {
    /// A QR code to show; it is replaced by the next one after `valid_for`.
    Qr {
        code: String,
        valid_for: Duration,
    },
    /// No more QR codes: pairing timed out and the connection is closed.
    QrExhausted,
    /// The code to type on the phone (from `request_pairing_code`).
    PairingCode {
        code: String,
    },
    /// A phone linked this device; `account` is its number as digits.
    Paired {
        account: String,
    },
    Connected,
    Disconnected {
        reason: String,
    },
    /// Unlinked from the phone or by WhatsApp; credentials are void.
    LoggedOut {
        reason: String,
    },
    TemporaryBan {
        reason: String,
        retry_after: Option<Duration>,
    },
    Message(IncomingMessage),
    Receipt(Receipt),
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncomingMessage {
    /// WhatsApp's id, unique per chat; used to drop duplicates.
    pub id: String,
    /// The sender's number as digits.
    pub from: String,
    pub text: String,
    pub at: Timestamp,
    /// The kind of chat it was written in.
    pub chat: ChatKind,
    /// A group message's group: its address (`<id>@g.us`, see [`GROUP_SUFFIX`]), which is
    /// where a reply goes.
    pub group: Option<String>,
    /// Written by the linked phone itself (or another of its devices), not by the other party.
    pub from_me: bool,
    /// The image or document it came with (`text` is then its caption, or "[image]").
    pub media: Option<IncomingMedia>,
}

/// An image or document a message came with, downloaded.
#[derive(Clone, PartialEq)]
pub struct IncomingMedia {
    pub kind: domain::MediaKind,
    pub mime: String,
    /// As the sender named it; an image, which has no name, is named after its type.
    pub file_name: String,
    pub data: Vec<u8>,
}

impl IncomingMedia {
    /// An image, named after its type (WhatsApp sends images without a name).
    pub fn image(mime: &str, data: Vec<u8>) -> IncomingMedia {
        let extension = match mime {
            "image/png" => "png",
            "image/webp" => "webp",
            "image/gif" => "gif",
            _ => "jpg",
        };
        IncomingMedia {
            kind: domain::MediaKind::Image,
            mime: mime.to_string(),
            file_name: format!("image.{extension}"),
            data,
        }
    }
}

impl std::fmt::Debug for IncomingMedia {
    // Not the bytes: a photo would fill the log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingMedia")
            .field("kind", &self.kind)
            .field("mime", &self.mime)
            .field("file_name", &self.file_name)
            .field("size", &self.data.len())
            .finish()
    }
}

/// The kind of chat a message was written in. Only direct chats have one person to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    /// A one-to-one chat with a person.
    #[default]
    Direct,
    Group,
    /// A broadcast list.
    Broadcast,
    /// A status update.
    Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReceiptKind {
    Delivered,
    Read,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub message_ids: Vec<String>,
    pub kind: ReceiptKind,
    /// The number that received (or read) the messages, as digits.
    pub from: String,
}

/// How a group's address ends; any other address is a phone number.
pub const GROUP_SUFFIX: &str = "@g.us";

/// Where a message to `peer` goes: a group's address as it is, else the number's digits.
pub fn address(peer: &str) -> String {
    if peer.ends_with(GROUP_SUFFIX) {
        peer.to_string()
    } else {
        peer.chars().filter(char::is_ascii_digit).collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMessage {
    /// The recipient's number as digits, or a group's address ([`address`]).
    pub to: String,
    pub body: MessageBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MessageBody {
    Text(String),
    Image { data: Vec<u8>, mime: String, caption: String },
    Document { data: Vec<u8>, mime: String, file_name: String, caption: String },
}

impl MessageBody {
    /// The image or document as its recipient gets it.
    pub fn media(&self) -> Option<IncomingMedia> {
        match self {
            MessageBody::Text(_) => None,
            MessageBody::Image { data, mime, .. } => Some(IncomingMedia::image(mime, data.clone())),
            MessageBody::Document { data, mime, file_name, .. } => Some(IncomingMedia {
                kind: domain::MediaKind::Document,
                mime: mime.clone(),
                file_name: file_name.clone(),
                data: data.clone(),
            }),
        }
    }

    /// The text a reader sees first: the message or the caption.
    pub fn preview(&self) -> &str {
        match self {
            MessageBody::Text(t) => t,
            MessageBody::Image { caption, .. } | MessageBody::Document { caption, .. } => caption,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_group_is_addressed_as_it_is_and_a_number_by_its_digits() {
        assert_eq!(super::address("+62 812-3456-7890"), "6281234567890");
        assert_eq!(super::address("120363000000000001@g.us"), "120363000000000001@g.us");
    }
}

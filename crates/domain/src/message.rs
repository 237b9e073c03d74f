//! Message direction and status, and the rule that receipts only move a status forward.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    In,
    Out,
}

/// Outgoing: `pending → sending → sent → delivered → read`, or `failed`. Incoming: `received`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Pending,
    Sending,
    Sent,
    Delivered,
    Read,
    Failed,
    Received,
}

/// What a message carries besides text: an image (shown inline) or any other file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Document,
}

crate::role::string_enum!(MediaKind, "media kind", Image => "image", Document => "document");
crate::role::string_enum!(Direction, "direction", In => "in", Out => "out");
crate::role::string_enum!(MessageStatus, "message status",
    Pending => "pending", Sending => "sending", Sent => "sent", Delivered => "delivered",
    Read => "read", Failed => "failed", Received => "received");

impl MessageStatus {
    /// The statuses a receipt of `self` may replace: a receipt never moves a message back
    /// (a late "delivered" after "read" changes nothing) and never revives a failed one.
    pub fn replaces(self) -> &'static [MessageStatus] {
        use MessageStatus::*;
        match self {
            Delivered => &[Sending, Sent],
            Read => &[Sending, Sent, Delivered],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MessageStatus::*;

    #[test]
    fn receipts_only_move_forward() {
        assert!(Read.replaces().contains(&Delivered));
        assert!(!Delivered.replaces().contains(&Read));
        assert!(!Read.replaces().contains(&Failed));
        assert!(Sent.replaces().is_empty());
        for s in super::MessageStatus::ALL {
            assert_eq!(s.as_str().parse::<super::MessageStatus>().unwrap(), *s);
        }
    }
}

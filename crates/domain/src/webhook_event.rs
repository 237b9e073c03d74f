//! What webhooks report, how far a delivery got, and which failures are worth retrying.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum EventKind {
    #[serde(rename = "message.received")]
    MessageReceived,
    #[serde(rename = "message.status")]
    MessageStatus,
    #[serde(rename = "device.status")]
    DeviceStatus,
    /// A blast changed its lifecycle status.
    #[serde(rename = "blast.status")]
    BlastStatus,
    /// A chatbot handed a conversation over to a person (a hand-over step, or a reply from
    /// the phone).
    #[serde(rename = "chatbot.handed_over")]
    ChatbotHandedOver,
    /// Sent on request from the webhooks page or API; never subscribed to.
    #[serde(rename = "webhook.test")]
    WebhookTest,
}

crate::role::string_enum!(EventKind, "event",
    MessageReceived => "message.received", MessageStatus => "message.status",
    DeviceStatus => "device.status", BlastStatus => "blast.status", ChatbotHandedOver => "chatbot.handed_over",
    WebhookTest => "webhook.test");

impl EventKind {
    /// The events a webhook can subscribe to.
    pub const SUBSCRIBABLE: &'static [EventKind] = &[
        EventKind::MessageReceived,
        EventKind::MessageStatus,
        EventKind::DeviceStatus,
        EventKind::BlastStatus,
        EventKind::ChatbotHandedOver,
    ];
}

/// `pending → delivering → delivered`, or back to `pending` for a retry, or `failed` for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Delivering,
    Delivered,
    Failed,
}

crate::role::string_enum!(DeliveryStatus, "delivery status",
    Pending => "pending", Delivering => "delivering", Delivered => "delivered", Failed => "failed");

/// How one attempt to post a webhook ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver answered 2xx.
    Delivered { status: u16 },
    /// The receiver answered something else.
    Rejected { status: u16, error: String },
    /// No answer: time-out, refused connection, DNS, TLS, a refused address.
    Unreachable { error: String },
}

impl AttemptOutcome {
    /// A 4xx says the request itself is wrong and sending it again will not help, except
    /// 408 (the receiver timed out) and 429 (it asks us to slow down). Everything else that is
    /// not a success is worth another try.
    pub fn retryable(&self) -> bool {
        match self {
            AttemptOutcome::Delivered { .. } => false,
            AttemptOutcome::Rejected { status, .. } => !(400..500).contains(status) || matches!(status, 408 | 429),
            AttemptOutcome::Unreachable { .. } => true,
        }
    }

    pub fn status_code(&self) -> Option<u16> {
        match self {
            AttemptOutcome::Delivered { status } | AttemptOutcome::Rejected { status, .. } => Some(*status),
            AttemptOutcome::Unreachable { .. } => None,
        }
    }

    pub fn error(&self) -> &str {
        match self {
            AttemptOutcome::Delivered { .. } => "",
            AttemptOutcome::Rejected { error, .. } | AttemptOutcome::Unreachable { error } => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AttemptOutcome::*;

    fn rejected(status: u16) -> super::AttemptOutcome {
        Rejected { status, error: String::new() }
    }

    #[test]
    fn client_errors_are_final_except_timeouts_and_rate_limits() {
        for s in [400, 401, 403, 404, 410, 422] {
            assert!(!rejected(s).retryable(), "{s}");
        }
        for s in [408, 429, 500, 502, 503, 301] {
            assert!(rejected(s).retryable(), "{s}");
        }
        assert!(Unreachable { error: "timed out".into() }.retryable());
        assert!(!Delivered { status: 204 }.retryable());
    }

    #[test]
    fn event_names_round_trip() {
        for e in super::EventKind::ALL {
            assert_eq!(e.as_str().parse::<super::EventKind>().unwrap(), *e);
        }
        assert!(!super::EventKind::SUBSCRIBABLE.contains(&super::EventKind::WebhookTest));
    }
}

//! Integrations: the channels an owner's conversations and alerts are forwarded to (Telegram,
//! Discord, Slack, e-mail, a custom webhook), the events they forward, and how a provider's
//! answer decides a forward's fate. No IO.

use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IntegrationKind {
    Telegram,
    Discord,
    Slack,
    Email,
    Webhook,
}

crate::role::string_enum!(IntegrationKind, "integration type",
    Telegram => "telegram", Discord => "discord", Slack => "slack", Email => "email", Webhook => "webhook");

/// What an integration forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum ForwardEvent {
    /// A customer wrote to an outlet.
    #[serde(rename = "message.received")]
    MessageReceived,
    /// A message could not be sent.
    #[serde(rename = "message.failed")]
    MessageFailed,
    #[serde(rename = "device.disconnected")]
    DeviceDisconnected,
    #[serde(rename = "device.logged_out")]
    DeviceLoggedOut,
    #[serde(rename = "device.banned")]
    DeviceBanned,
    /// A blast sent its last message.
    #[serde(rename = "blast.finished")]
    BlastFinished,
    /// A chatbot handed a conversation over to a person.
    #[serde(rename = "chatbot.handed_over")]
    ChatbotHandedOver,
    /// The "send test" action; never subscribed to.
    #[serde(rename = "integration.test")]
    Test,
}

crate::role::string_enum!(ForwardEvent, "event",
    MessageReceived => "message.received", MessageFailed => "message.failed",
    DeviceDisconnected => "device.disconnected", DeviceLoggedOut => "device.logged_out",
    DeviceBanned => "device.banned", BlastFinished => "blast.finished",
    ChatbotHandedOver => "chatbot.handed_over", Test => "integration.test");

impl ForwardEvent {
    /// The events an integration can forward.
    pub const SUBSCRIBABLE: &'static [ForwardEvent] = &[
        ForwardEvent::MessageReceived,
        ForwardEvent::MessageFailed,
        ForwardEvent::DeviceDisconnected,
        ForwardEvent::DeviceLoggedOut,
        ForwardEvent::DeviceBanned,
        ForwardEvent::BlastFinished,
        ForwardEvent::ChatbotHandedOver,
    ];

    /// The event a device's change of status is forwarded as, if it is one worth an alert: a
    /// connected device losing its connection (not each failed attempt to get it back), a
    /// log-out, a ban.
    pub fn of_device_status(from: crate::DeviceStatus, to: crate::DeviceStatus) -> Option<ForwardEvent> {
        use crate::DeviceStatus::*;
        match to {
            Disconnected if from == Connected => Some(ForwardEvent::DeviceDisconnected),
            LoggedOut => Some(ForwardEvent::DeviceLoggedOut),
            Banned => Some(ForwardEvent::DeviceBanned),
            _ => None,
        }
    }
}

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// TLS from the first byte (usually port 465).
    Tls,
    /// Plain, then upgraded with STARTTLS (usually port 587); refused if the server cannot.
    #[default]
    Starttls,
    /// No encryption: only for a mail server on the same machine or network.
    None,
}

/// How one attempt to forward ended, as the provider answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardOutcome {
    /// Taken; `reference` is the provider's id for what it made (Telegram's `message_id`),
    /// which a reply in the channel points at.
    Delivered { reference: Option<String> },
    /// Worth trying again: a 5xx, a network error, or 429 (with the provider's wait, if it
    /// said one).
    Retry { error: String, after: Option<Duration> },
    /// Never going to work as it is (another 4xx: a wrong token, a deleted channel): the
    /// provider's own words.
    Failed { error: String },
}

impl ForwardOutcome {
    /// The outcome of an HTTP answer that was not a success. `retry_after` is the provider's
    /// wait (a body's `retry_after` or the `Retry-After` header), `said` its message.
    pub fn of_refusal(status: u16, said: &str, retry_after: Option<Duration>) -> ForwardOutcome {
        let error = if said.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {said}") };
        match status {
            429 => ForwardOutcome::Retry { error, after: retry_after },
            500..=599 | 408 => ForwardOutcome::Retry { error, after: None },
            _ => ForwardOutcome::Failed { error },
        }
    }
}

/// A `Retry-After` header's seconds (the HTTP-date form is not used by these providers).
pub fn retry_after_secs(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_retried_only_when_waiting_can_help() {
        let wait = Some(Duration::from_secs(3));
        assert_eq!(
            ForwardOutcome::of_refusal(429, "Too Many Requests: retry after 3", wait),
            ForwardOutcome::Retry { error: "HTTP 429: Too Many Requests: retry after 3".into(), after: wait }
        );
        assert!(matches!(ForwardOutcome::of_refusal(502, "", None), ForwardOutcome::Retry { after: None, .. }));
        assert_eq!(
            ForwardOutcome::of_refusal(401, "Unauthorized", None),
            ForwardOutcome::Failed { error: "HTTP 401: Unauthorized".into() }
        );
        assert_eq!(retry_after_secs(" 2.5 "), Some(Duration::from_millis(2500)));
        assert_eq!(retry_after_secs("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!("device.logged_out".parse::<ForwardEvent>().ok(), Some(ForwardEvent::DeviceLoggedOut));
    }
}

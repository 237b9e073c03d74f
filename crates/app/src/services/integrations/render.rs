//! What a forward says: the event's values (the outlet's name, the number, the text, the
//! error…), put into the integration's own format or, without one, the built-in text of the
//! event in the owner's language.

use crate::i18n::{Text, Tr};
use crate::services::templates;
use domain::{ForwardEvent, Template};
use serde_json::Value;
use std::collections::BTreeMap;

/// The variables a format may use.
pub const VARIABLES: &[&str] =
    &["event", "outlet", "number", "text", "error", "status", "blast", "sent", "failed", "time"];

/// The values of an event from its payload (`{"id", "event", "timestamp", "data"}`), and the
/// outlet's name (looked up by the caller).
pub fn values(event: ForwardEvent, payload: &str, outlet: Option<&str>) -> BTreeMap<String, String> {
    let body: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let data = &body["data"];
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_default();
    let mut out = BTreeMap::new();
    out.insert("event".into(), event.as_str().to_string());
    out.insert("outlet".into(), outlet.unwrap_or_default().to_string());
    out.insert("number".into(), text(&data["peer"]));
    let said = match &data["body"] {
        Value::String(s) if !s.is_empty() => s.clone(),
        _ => text(&data["media_name"]),
    };
    out.insert("text".into(), said);
    let error = [&data["error"], &data["reason"]].into_iter().map(text).find(|e| !e.is_empty()).unwrap_or_default();
    out.insert("error".into(), error);
    out.insert("status".into(), text(&data["status"]));
    out.insert("blast".into(), text(&data["name"]));
    // A blast's counters hold each recipient once, at the furthest status it reached.
    let counted = |k: &str| data["counters"][k].as_i64().unwrap_or(0);
    out.insert("sent".into(), (counted("sent") + counted("delivered") + counted("read")).to_string());
    out.insert("failed".into(), data["counters"]["failed"].as_i64().unwrap_or(0).to_string());
    out.insert("time".into(), text(&body["timestamp"]));
    out
}

/// The title and text of a forward: the built-in title of the event, and the format filled in
/// (or the built-in text).
pub fn render(event: ForwardEvent, format: &str, values: &BTreeMap<String, String>, tr: Tr) -> (String, String) {
    let v = |k: &str| values.get(k).cloned().unwrap_or_default();
    let (title, text) = match event {
        ForwardEvent::MessageReceived => (Text::new("forward-title-received"), Text::new("forward-received")),
        ForwardEvent::MessageFailed => (Text::new("forward-title-failed"), Text::new("forward-failed")),
        ForwardEvent::DeviceDisconnected => (Text::new("forward-title-disconnected"), Text::new("forward-device")),
        ForwardEvent::DeviceLoggedOut => (Text::new("forward-title-logged-out"), Text::new("forward-device")),
        ForwardEvent::DeviceBanned => (Text::new("forward-title-banned"), Text::new("forward-device")),
        ForwardEvent::BlastFinished => (Text::new("forward-title-blast"), Text::new("forward-blast")),
        ForwardEvent::ChatbotHandedOver => (Text::new("forward-title-hand-over"), Text::new("forward-hand-over")),
        ForwardEvent::Test => (Text::new("forward-title-test"), Text::new("forward-test")),
    };
    let title = title.arg("outlet", v("outlet")).render(tr);
    let custom = (!format.trim().is_empty()).then(|| Template::parse(format, &|_| true).ok()).flatten();
    let text = match custom {
        Some(parsed) => templates::render(&parsed, values, 0),
        None => text
            .arg("number", v("number"))
            .arg("text", v("text"))
            .arg("error", v("error"))
            .arg("blast", v("blast"))
            .arg("sent", v("sent"))
            .arg("failed", v("failed"))
            .render(tr),
    };
    (title, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Language;

    #[test]
    fn an_inbound_message_reads_with_its_outlet_number_and_text() {
        let payload = r#"{"id":"msg_1","event":"message.received","timestamp":"2026-11-30T02:00:00Z",
            "data":{"peer":"+6281311110001","body":"Kak, masih buka?","outlet_id":1}}"#;
        let values = values(ForwardEvent::MessageReceived, payload, Some("Kopi Jakarta"));
        let (title, text) = render(ForwardEvent::MessageReceived, "", &values, Tr(Language::En));
        assert_eq!(title, "New message · Kopi Jakarta");
        assert_eq!(text, "+6281311110001: Kak, masih buka?");
        let (_, custom) =
            render(ForwardEvent::MessageReceived, "{{outlet}} ← {{number}}: {{text}}", &values, Tr(Language::Id));
        assert_eq!(custom, "Kopi Jakarta ← +6281311110001: Kak, masih buka?");
    }
}

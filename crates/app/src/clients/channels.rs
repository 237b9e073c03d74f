//! The HTTP channels integrations forward to, each in its provider's own format, and how each
//! provider's answer decides a forward's fate ([`ForwardOutcome`]): Telegram's Bot API
//! (`sendMessage`, `sendPhoto`, `sendDocument`; `setWebhook` for replies), Discord's and
//! Slack's incoming webhooks, and a custom webhook signed like the webhooks feature's.
//!
//! Secrets travel in URLs here (Telegram's token is in the path, Discord's and Slack's webhook
//! URLs are the key), so no error text ever carries a URL.

use crate::clients::{excerpt, signed, Outbound};
use domain::{retry_after_secs, ForwardOutcome, MediaKind};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// How much of a provider's answer is read to find its message.
const ANSWER_CHARS: usize = 1000;
/// How much of the provider's message is kept.
const SAID_CHARS: usize = 300;

/// The longest texts each provider takes (a longer one is refused, for good).
const TELEGRAM_TEXT_CHARS: usize = 4096;
const TELEGRAM_CAPTION_CHARS: usize = 1024;
/// Larger photos are sent as documents (Telegram's limits: 10 MB a photo, 50 MB a file).
const TELEGRAM_PHOTO_BYTES: usize = 10 * 1024 * 1024;
/// How much of Telegram's answer to a sent message is read for its `message_id` (the answer
/// repeats the text, up to 4096 characters, with its entities).
const TELEGRAM_SENT_CHARS: usize = 512 * 1024;
const DISCORD_TITLE_CHARS: usize = 256;
const DISCORD_TEXT_CHARS: usize = 4096;
const SLACK_SECTION_CHARS: usize = 3000;

/// `text`, cut to `max` characters with "…" when longer.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max - 1).collect();
    format!("{kept}…")
}

/// `text` cut to `max` UTF-16 code units, as Telegram counts them (an emoji is two).
fn cut_utf16(text: &str, max: usize) -> String {
    if text.encode_utf16().count() <= max {
        return text.to_string();
    }
    let mut kept = String::new();
    let mut units = 0;
    for c in text.chars() {
        if units + c.len_utf16() > max - 1 {
            break;
        }
        units += c.len_utf16();
        kept.push(c);
    }
    kept.push('…');
    kept
}

/// Discord's embed colour: WhatsApp green.
const DISCORD_GREEN: u32 = 0x25D366;

/// What is forwarded: a title (the event, the outlet), the text, and the event's file if it
/// came with one.
pub struct Post<'a> {
    pub title: &'a str,
    pub text: &'a str,
    pub attachment: Option<&'a Attachment>,
}

/// An image or document that goes with a forward.
pub struct Attachment {
    pub kind: MediaKind,
    pub mime: String,
    pub file_name: String,
    pub data: Vec<u8>,
}

/// The outcome of a sent request: 2xx is delivered, else `said` reads the provider's message
/// (and wait, if it gave one) from the body; a `Retry-After` header counts too.
async fn answer(
    sent: Result<reqwest::Response, reqwest::Error>,
    said: impl FnOnce(&str) -> (String, Option<Duration>),
) -> ForwardOutcome {
    answer_with(sent, None, said).await
}

/// [`answer`], reading what the provider made (its `reference`) from a 2xx answer's body.
async fn answer_with(
    sent: Result<reqwest::Response, reqwest::Error>,
    made: Option<fn(&str) -> Option<String>>,
    said: impl FnOnce(&str) -> (String, Option<Duration>),
) -> ForwardOutcome {
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            let e = e.without_url();
            return ForwardOutcome::Retry { error: crate::clients::describe(&e), after: None };
        }
    };
    let status = response.status();
    if status.is_success() {
        let reference = match made {
            Some(made) => made(&excerpt(response, TELEGRAM_SENT_CHARS).await),
            None => None,
        };
        return ForwardOutcome::Delivered { reference };
    }
    let header_wait =
        response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(retry_after_secs);
    let body = excerpt(response, ANSWER_CHARS).await;
    let (message, body_wait) = said(&body);
    let message: String = message.chars().take(SAID_CHARS).collect();
    ForwardOutcome::of_refusal(status.as_u16(), &message, body_wait.or(header_wait))
}

fn refused(e: domain::UrlError) -> ForwardOutcome {
    ForwardOutcome::Failed { error: format!("refused to send: {e}") }
}

/// Telegram's refusals: `{"ok": false, "error_code", "description", "parameters": {"retry_after"}}`.
fn telegram_said(said: &str) -> (String, Option<Duration>) {
    #[derive(Deserialize)]
    struct Refusal {
        description: Option<String>,
        parameters: Option<Parameters>,
    }
    #[derive(Deserialize)]
    struct Parameters {
        retry_after: Option<u64>,
    }
    match serde_json::from_str::<Refusal>(said) {
        Ok(r) => (r.description.unwrap_or_default(), r.parameters.and_then(|p| p.retry_after).map(Duration::from_secs)),
        Err(_) => (said.to_string(), None),
    }
}

/// Where the message Telegram made is, as `{chat id}:{message id}` (a message id is unique
/// only in its chat): `{"ok": true, "result": {"message_id", "chat": {"id"}}}`.
fn telegram_message_id(body: &str) -> Option<String> {
    let sent: serde_json::Value = serde_json::from_str(body).ok()?;
    let message = &sent["result"];
    Some(format!("{}:{}", message["chat"]["id"].as_i64()?, message["message_id"].as_i64()?))
}

/// How a reply in a Telegram chat names the message it answers (see [`telegram_message_id`]).
pub fn telegram_reference(chat_id: i64, message_id: i64) -> String {
    format!("{chat_id}:{message_id}")
}

fn telegram_url(base: &str, token: &str, method: &str) -> String {
    format!("{}/bot{token}/{method}", base.trim_end_matches('/'))
}

/// Telegram's Bot API: `POST {base}/bot{token}/sendMessage`, or with a file `sendPhoto` (an
/// image up to 10 MB) or `sendDocument`, as a form with the text as its caption. A photo
/// Telegram will not take as one (too long a side, say: a 400) goes as a document, and a file
/// it will not take at all as the text alone, so the message itself is never lost.
pub async fn telegram(outbound: &Outbound, base: &str, token: &str, chat_id: &str, post: &Post<'_>) -> ForwardOutcome {
    let text = format!("{}\n{}", post.title, post.text);
    let Some(file) = post.attachment else {
        return telegram_text(outbound, base, token, chat_id, &text).await;
    };
    let photo = file.kind == MediaKind::Image && file.data.len() <= TELEGRAM_PHOTO_BYTES;
    let tries: &[(&str, &str)] =
        if photo { &[("sendPhoto", "photo"), ("sendDocument", "document")] } else { &[("sendDocument", "document")] };
    for (method, field) in tries {
        let request = match outbound.request(reqwest::Method::POST, &telegram_url(base, token, method)) {
            Ok(r) => r,
            Err(e) => return refused(e),
        };
        let part = reqwest::multipart::Part::bytes(file.data.clone()).file_name(file.file_name.clone());
        let part = match part.mime_str(&file.mime) {
            Ok(p) => p,
            Err(_) => reqwest::multipart::Part::bytes(file.data.clone()).file_name(file.file_name.clone()),
        };
        let form = reqwest::multipart::Form::new()
            .text("chat_id", chat_id.to_string())
            .text("caption", cut_utf16(&text, TELEGRAM_CAPTION_CHARS))
            .part(*field, part);
        let sent = request.multipart(form).send().await;
        let file_refused = matches!(&sent, Ok(r) if r.status() == reqwest::StatusCode::BAD_REQUEST);
        let outcome = answer_with(sent, Some(telegram_message_id), telegram_said).await;
        if !file_refused {
            return outcome;
        }
        tracing::info!(method, outcome = ?outcome, "Telegram refused the file; trying another way");
    }
    telegram_text(outbound, base, token, chat_id, &text).await
}

async fn telegram_text(outbound: &Outbound, base: &str, token: &str, chat_id: &str, text: &str) -> ForwardOutcome {
    let request = match outbound.request(reqwest::Method::POST, &telegram_url(base, token, "sendMessage")) {
        Ok(r) => r,
        Err(e) => return refused(e),
    };
    let body =
        json!({ "chat_id": chat_id, "text": cut_utf16(text, TELEGRAM_TEXT_CHARS), "disable_web_page_preview": true });
    answer_with(request.json(&body).send().await, Some(telegram_message_id), telegram_said).await
}

/// Points the bot's updates at `url` (`setWebhook`): only messages, each carrying `secret` in
/// `X-Telegram-Bot-Api-Secret-Token`. `Err` carries Telegram's words.
pub async fn telegram_set_webhook(
    outbound: &Outbound,
    base: &str,
    token: &str,
    url: &str,
    secret: &str,
) -> Result<(), String> {
    let body =
        json!({ "url": url, "secret_token": secret, "allowed_updates": ["message"], "drop_pending_updates": true });
    telegram_call(outbound, base, token, "setWebhook", &body).await
}

/// A message in the chat answering message `reply_to` (`sendMessage` with `reply_parameters`).
pub async fn telegram_reply(
    outbound: &Outbound,
    base: &str,
    token: &str,
    chat_id: &str,
    reply_to: i64,
    text: &str,
) -> Result<(), String> {
    let body = json!({ "chat_id": chat_id, "text": cut_utf16(text, TELEGRAM_TEXT_CHARS),
        "reply_parameters": { "message_id": reply_to, "allow_sending_without_reply": true } });
    telegram_call(outbound, base, token, "sendMessage", &body).await
}

/// Stops the bot's updates (`deleteWebhook`).
pub async fn telegram_delete_webhook(outbound: &Outbound, base: &str, token: &str) -> Result<(), String> {
    telegram_call(outbound, base, token, "deleteWebhook", &json!({ "drop_pending_updates": true })).await
}

/// A Bot API call answered at once: `Ok` when Telegram took it, else what it said.
async fn telegram_call(
    outbound: &Outbound,
    base: &str,
    token: &str,
    method: &str,
    body: &serde_json::Value,
) -> Result<(), String> {
    let request = outbound
        .request(reqwest::Method::POST, &telegram_url(base, token, method))
        .map_err(|e| format!("refused to send: {e}"))?;
    match answer(request.json(body).send().await, telegram_said).await {
        ForwardOutcome::Delivered { .. } => Ok(()),
        ForwardOutcome::Retry { error, .. } | ForwardOutcome::Failed { error } => Err(error),
    }
}

/// A Discord webhook (`?wait=true`, so a refusal comes back): the post as an embed. Refusals
/// are `{"message", "code"}`; a 429 also says `retry_after` (seconds, fractional).
pub async fn discord(outbound: &Outbound, webhook_url: &str, post: &Post<'_>) -> ForwardOutcome {
    #[derive(Deserialize)]
    struct Refusal {
        message: Option<String>,
        retry_after: Option<f64>,
    }
    let url =
        if webhook_url.contains('?') { format!("{webhook_url}&wait=true") } else { format!("{webhook_url}?wait=true") };
    let request = match outbound.request(reqwest::Method::POST, &url) {
        Ok(r) => r,
        Err(e) => return refused(e),
    };
    let body = json!({
        "username": "kewhats",
        "embeds": [{ "title": cut(post.title, DISCORD_TITLE_CHARS), "description": cut(post.text, DISCORD_TEXT_CHARS),
            "color": DISCORD_GREEN }],
        // A customer's "@everyone" must not ping the whole server.
        "allowed_mentions": { "parse": [] },
    });
    answer(request.json(&body).send().await, |said| match serde_json::from_str::<Refusal>(said) {
        Ok(r) => (
            r.message.unwrap_or_default(),
            r.retry_after.filter(|s| s.is_finite() && *s >= 0.0).map(|s| Duration::from_secs_f64(s.min(3600.0))),
        ),
        Err(_) => (said.to_string(), None),
    })
    .await
}

/// A Slack incoming webhook: the post as `text` (the notification) and a section block. Its
/// refusals are plain words (`invalid_token`, `no_service`, `channel_is_archived`); a 429 has
/// `Retry-After`.
pub async fn slack(outbound: &Outbound, webhook_url: &str, post: &Post<'_>) -> ForwardOutcome {
    let request = match outbound.request(reqwest::Method::POST, webhook_url) {
        Ok(r) => r,
        Err(e) => return refused(e),
    };
    let text = cut(&format!("*{}*\n{}", slack_escape(post.title), slack_escape(post.text)), SLACK_SECTION_CHARS);
    let body = json!({
        "text": cut(&slack_escape(&format!("{}: {}", post.title, post.text)), SLACK_SECTION_CHARS),
        "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": text } }],
    });
    answer(request.json(&body).send().await, |said| (said.to_string(), None)).await
}

/// Slack's three control characters, so a customer's text cannot mention a channel.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A custom webhook: the event as webhooks get it, signed with the integration's secret.
pub async fn webhook(
    outbound: &Outbound,
    url: &str,
    secret: &str,
    event_id: &str,
    payload: &str,
    timestamp: i64,
) -> ForwardOutcome {
    match signed::post(outbound, url, secret, event_id, payload, timestamp).await {
        Err(signed::Unsent::Refused(error)) => ForwardOutcome::Failed { error },
        Err(signed::Unsent::Unreachable(error)) => ForwardOutcome::Retry { error, after: None },
        Ok(r) => answer(Ok(r), |said| (said.to_string(), None)).await,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slack_control_characters_are_escaped() {
        assert_eq!(super::slack_escape("<!channel> & <@U1>"), "&lt;!channel&gt; &amp; &lt;@U1&gt;");
    }

    #[test]
    fn telegram_counts_utf16_units() {
        let emoji = "😀".repeat(600); // 1,200 units
        let cut = super::cut_utf16(&emoji, 1024);
        assert!(cut.encode_utf16().count() <= 1024 && cut.ends_with('…'), "{}", cut.encode_utf16().count());
        assert_eq!(super::cut_utf16("pendek", 1024), "pendek");
    }

    #[test]
    fn a_long_text_is_cut_to_the_providers_limit() {
        let long = "é".repeat(5000);
        let cut = super::cut(&long, super::TELEGRAM_TEXT_CHARS);
        assert_eq!(cut.chars().count(), 4096);
        assert!(cut.ends_with('…'));
        assert_eq!(super::cut("pendek", 10), "pendek");
    }
}

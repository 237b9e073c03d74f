//! The HTTP channels integrations forward to, each in its provider's own format, and how each
//! provider's answer decides a forward's fate ([`ForwardOutcome`]): Telegram's Bot API
//! (`sendMessage`), Discord's and Slack's incoming webhooks, and a custom webhook signed like
//! the webhooks feature's.
//!
//! Secrets travel in URLs here (Telegram's token is in the path, Discord's and Slack's webhook
//! URLs are the key), so no error text ever carries a URL.

use crate::clients::{excerpt, signed, Outbound};
use domain::{retry_after_secs, ForwardOutcome};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// How much of a provider's answer is read to find its message.
const ANSWER_CHARS: usize = 1000;
/// How much of the provider's message is kept.
const SAID_CHARS: usize = 300;

/// The longest texts each provider takes (a longer one is refused, for good).
const TELEGRAM_TEXT_CHARS: usize = 4096;
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

/// Discord's embed colour: WhatsApp green.
const DISCORD_GREEN: u32 = 0x25D366;

/// What is forwarded: a title (the event, the outlet) and the text.
pub struct Post<'a> {
    pub title: &'a str,
    pub text: &'a str,
}

/// The outcome of a sent request: 2xx is delivered, else `said` reads the provider's message
/// (and wait, if it gave one) from the body; a `Retry-After` header counts too.
async fn answer(
    sent: Result<reqwest::Response, reqwest::Error>,
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
        return ForwardOutcome::Delivered;
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

/// Telegram's Bot API: `POST {base}/bot{token}/sendMessage`. Its refusals are
/// `{"ok": false, "error_code", "description", "parameters": {"retry_after"}}`.
pub async fn telegram(outbound: &Outbound, base: &str, token: &str, chat_id: &str, post: &Post<'_>) -> ForwardOutcome {
    #[derive(Deserialize)]
    struct Refusal {
        description: Option<String>,
        parameters: Option<Parameters>,
    }
    #[derive(Deserialize)]
    struct Parameters {
        retry_after: Option<u64>,
    }
    let url = format!("{}/bot{token}/sendMessage", base.trim_end_matches('/'));
    let request = match outbound.request(reqwest::Method::POST, &url) {
        Ok(r) => r,
        Err(e) => return refused(e),
    };
    let text = cut(&format!("{}\n{}", post.title, post.text), TELEGRAM_TEXT_CHARS);
    let body = json!({ "chat_id": chat_id, "text": text, "disable_web_page_preview": true });
    answer(request.json(&body).send().await, |said| match serde_json::from_str::<Refusal>(said) {
        Ok(r) => (r.description.unwrap_or_default(), r.parameters.and_then(|p| p.retry_after).map(Duration::from_secs)),
        Err(_) => (said.to_string(), None),
    })
    .await
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
    fn a_long_text_is_cut_to_the_providers_limit() {
        let long = "é".repeat(5000);
        let cut = super::cut(&long, super::TELEGRAM_TEXT_CHARS);
        assert_eq!(cut.chars().count(), 4096);
        assert!(cut.ends_with('…'));
        assert_eq!(super::cut("pendek", 10), "pendek");
    }
}

//! Replies from the channel: a Telegram reply to a forwarded customer message goes back to that
//! customer through the outlet the message came in on.
//!
//! Turning replies on asks Telegram (`setWebhook`) to post the bot's messages to
//! `{public_url}/api/integrations/{id}/telegram` with a random secret token, of which only the
//! hash is kept. Each update must carry that token; a reply is matched to its forward by
//! Telegram's `message_id` of the forwarded message, and sent once per update (Telegram posts an
//! update again until it is answered with 2xx).

use crate::clients::channels;
use crate::crypto::tokens::{constant_time_eq, random_token, sha256_hex};
use crate::error::{not_found_as, ServiceError, ServiceResult};
use crate::i18n::{negotiate, Text, Tr};
use crate::services::integrations::{owner, secret_binding, Settings};
use crate::services::messages::{self, SendRequest, Sender};
use crate::state::AppState;
use domain::{Actor, ForwardEvent, IntegrationKind, UserId};
use serde::Deserialize;
use store::Integration;

/// The path Telegram posts to, after `public_url`.
pub fn webhook_path(id: i64) -> String {
    format!("/api/integrations/{id}/telegram")
}

/// One change of replies at a time: two at once (a double click) could leave Telegram with one
/// token and the database with the other's hash.
static CHANGING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Turns replies on for the owner's Telegram integration: Telegram is told where to send the
/// bot's messages. Refused (409) without `public_url`, for another type, for a bot whose
/// replies another integration of the owner takes (a bot has one webhook), or when Telegram
/// says no (its words are shown).
pub async fn enable(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Integration> {
    let owner = owner(actor)?;
    let _one = CHANGING.lock().await;
    let found = super::show(state, actor, id).await?;
    if found.kind != IntegrationKind::Telegram {
        return Err(ServiceError::conflict("error-integration-replies-telegram-only"));
    }
    let Some(public_url) = &state.config.public_url else {
        return Err(ServiceError::conflict("error-integration-replies-public-url"));
    };
    let bot_token = bot_token(state, &found)?;
    if let Some(other) = bot_replying_elsewhere(state, actor, &found, &bot_token).await? {
        return Err(ServiceError::conflict(Text::new("error-integration-replies-bot-taken").arg("name", other)));
    }
    let token = random_token();
    let url = format!("{public_url}{}", webhook_path(id));
    channels::telegram_set_webhook(&state.outbound, &state.config.telegram_api_url, &bot_token, &url, &token)
        .await
        .map_err(|said| ServiceError::Conflict {
            code: "telegram_refused",
            message: Text::new("error-integration-telegram-refused").arg("said", said),
        })?;
    let now = state.clock.now();
    let saved = state.store.set_integration_replies(owner, id, Some(&sha256_hex(&token)), now).await;
    saved.map_err(not_found_as("error-integration-not-found"))
}

/// The name of another of the owner's integrations whose replies come through the same bot.
async fn bot_replying_elsewhere(
    state: &AppState,
    actor: Actor,
    this: &Integration,
    bot_token: &str,
) -> ServiceResult<Option<String>> {
    let mine = super::list(state, actor, store::Page::new(Some(1), Some(200))).await?;
    Ok(mine
        .items
        .into_iter()
        .filter(|i| i.id != this.id && i.kind == IntegrationKind::Telegram && i.replies)
        .find(|i| bot_token_of(state, i.owner_id, &i.sealed_secret).is_ok_and(|t| t == bot_token))
        .map(|i| i.name))
}

/// Turns replies off. Telegram is asked to stop sending (best effort: a revoked token must not
/// keep replies on); updates that still arrive are refused.
pub async fn disable(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Integration> {
    let owner = owner(actor)?;
    let _one = CHANGING.lock().await;
    let found = super::show(state, actor, id).await?;
    let saved = state.store.set_integration_replies(owner, id, None, state.clock.now()).await;
    let saved = saved.map_err(not_found_as("error-integration-not-found"))?;
    if found.replies {
        forget_webhook(state, owner, &found.sealed_secret, id).await;
    }
    Ok(saved)
}

/// Asks Telegram to stop posting the bot's updates here (`deleteWebhook`), best effort.
pub(crate) async fn forget_webhook(state: &AppState, owner: UserId, sealed: &[u8], id: i64) {
    let Ok(bot_token) = bot_token_of(state, owner, sealed) else { return };
    let base = &state.config.telegram_api_url;
    if let Err(said) = channels::telegram_delete_webhook(&state.outbound, base, &bot_token).await {
        tracing::warn!(integration = id, said, "Telegram did not take deleteWebhook; its updates are refused here");
    }
}

fn bot_token(state: &AppState, integration: &Integration) -> ServiceResult<String> {
    bot_token_of(state, integration.owner_id, &integration.sealed_secret)
}

fn bot_token_of(state: &AppState, owner: UserId, sealed: &[u8]) -> ServiceResult<String> {
    let opened = state.secrets.open(sealed, &secret_binding(owner));
    Ok(String::from_utf8_lossy(&opened.map_err(ServiceError::internal)?).into_owned())
}

/// What this server reads of a Telegram update.
#[derive(Debug, Deserialize)]
pub struct Update {
    pub update_id: i64,
    pub message: Option<TelegramMessage>,
}

#[derive(Debug, Deserialize)]
pub struct TelegramMessage {
    pub message_id: i64,
    pub chat: Chat,
    pub from: Option<TelegramUser>,
    pub text: Option<String>,
    pub reply_to_message: Option<Box<TelegramMessage>>,
}

#[derive(Debug, Deserialize)]
pub struct Chat {
    pub id: i64,
    pub username: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TelegramUser {
    pub is_bot: bool,
}

/// What became of an update (Telegram is answered 200 in every case, so it does not repeat it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(tag = "result", rename_all = "lowercase")]
pub enum Received {
    /// Sent on to the customer.
    Sent { message_id: i64 },
    /// Not a reply to a forwarded customer message, not from the integration's chat, or not text.
    Ignored,
    /// The send was refused (the outlet is gone, the number cannot be written to…); the chat
    /// is told why.
    Refused { reason: String },
}

/// One update from Telegram for integration `id` (its JSON body), with the token it carried.
/// `Unauthenticated` (401) unless replies are on and the token is theirs; anything else is
/// answered, so Telegram does not post it again.
pub async fn receive(state: &AppState, id: i64, token: Option<&str>, body: &[u8]) -> ServiceResult<Received> {
    let refused = || ServiceError::Unauthenticated(Text::new("error-integration-reply-token"));
    let integration = state.store.integration_for_reply(id).await?.ok_or_else(refused)?;
    let expected = integration.reply_token_hash.as_deref().unwrap_or_default();
    if !token.is_some_and(|t| constant_time_eq(&sha256_hex(t), expected)) {
        return Err(refused());
    }
    let Ok(update) = serde_json::from_slice::<Update>(body) else {
        tracing::info!(integration = id, "a Telegram update that is not one was ignored");
        return Ok(Received::Ignored);
    };
    let Some(message) = update.message else { return Ok(Received::Ignored) };
    let (Some(text), Some(replied)) = (message.text.as_deref(), message.reply_to_message.as_deref()) else {
        return Ok(Received::Ignored);
    };
    let Ok(Settings::Telegram { chat_id }) = serde_json::from_value::<Settings>(integration.settings.clone()) else {
        return Ok(Received::Ignored);
    };
    // Only the chat the integration posts to speaks for the owner.
    let same_chat = chat_id == message.chat.id.to_string()
        || message.chat.username.as_deref().is_some_and(|u| chat_id.eq_ignore_ascii_case(&format!("@{u}")));
    if !same_chat || message.from.as_ref().is_some_and(|f| f.is_bot) || text.trim().is_empty() {
        return Ok(Received::Ignored);
    }
    let reference = channels::telegram_reference(message.chat.id, replied.message_id);
    let Some((ForwardEvent::MessageReceived, payload)) = state.store.forward_by_reference(id, &reference).await? else {
        return Ok(Received::Ignored);
    };
    let payload: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
    let (Some(outlet_id), Some(peer)) = (payload["data"]["outlet_id"].as_i64(), payload["data"]["peer"].as_str())
    else {
        return Ok(Received::Ignored);
    };
    let Some(owner) = state.store.user(integration.owner_id).await?.filter(|u| !u.disabled) else {
        return Ok(Received::Refused { reason: "the integration's owner is disabled".into() });
    };
    let sender = Sender { actor: Actor { user_id: owner.id, role: owner.role }, api_key: None };
    let request = SendRequest {
        outlet_id,
        to: peer.to_string(),
        kind: "text".into(),
        text: Some(text.to_string()),
        ..SendRequest::default()
    };
    // Telegram repeats an update it got no answer to: one message per update.
    let key = format!("telegram-{id}-{}", update.update_id);
    match messages::send(state, sender, Some(key), request).await {
        Ok(sent) => Ok(Received::Sent { message_id: sent.message.id }),
        Err(e) => {
            // Said in the chat, in the owner's language, so staff know the customer got nothing.
            let tr = Tr(negotiate(owner.language, None, state.config.default_language));
            let said = e.render(tr);
            tracing::info!(integration = id, error = %e, "a Telegram reply was not sent");
            let notice = tr.t1("forward-reply-refused", "reason", said.clone());
            if let Ok(bot_token) = bot_token(state, &integration) {
                let base = &state.config.telegram_api_url;
                let (chat, to) = (message.chat.id.to_string(), message.message_id);
                if let Err(e) = channels::telegram_reply(&state.outbound, base, &bot_token, &chat, to, &notice).await {
                    tracing::warn!(integration = id, error = %e, "telling the Telegram chat a reply was not sent");
                }
            }
            Ok(Received::Refused { reason: said })
        }
    }
}

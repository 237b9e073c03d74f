//! Integrations: the channels an owner's events are forwarded to. The secret of each (a bot
//! token, a webhook URL with its key, an SMTP password, a signing secret) is sealed here and
//! never shown again in full; what is not secret is kept as [`Settings`]. Forwards are written
//! with the events by the store and sent by `workers::integrations`.

pub mod render;
pub mod replies;

use crate::error::{not_found_as, ServiceError, ServiceResult};
use crate::i18n::errors::label;
use crate::i18n::Text;
use crate::state::AppState;
use base64::Engine as _;
use domain::policy::whatsapp_scope;
use domain::{Actor, Email, ForwardEvent, IntegrationKind, Label, SmtpTls, Template, UserId, WebhookUrl};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use store::{Forward, Integration, IntegrationFields, Page, Paged};

const NAME_MAX: usize = 100;
const FORMAT_MAX: usize = 2000;
const MAX_RECIPIENTS: usize = 10;

/// The authenticated-data binding of an integration's sealed secret.
pub fn secret_binding(owner: UserId) -> Vec<u8> {
    format!("integration-secret/{owner}").into_bytes()
}

/// A channel as given: its type and settings. A secret left out of a change keeps the one
/// saved; a new integration needs it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
#[schema(as = IntegrationChannel)]
pub enum ChannelInput {
    /// A bot from @BotFather, and the chat (a person, group or channel) it writes to.
    Telegram { bot_token: Option<String>, chat_id: String },
    /// A channel's webhook URL (Server settings → Integrations → Webhooks).
    Discord { webhook_url: Option<String> },
    /// An incoming webhook URL (`https://hooks.slack.com/services/…`).
    Slack { webhook_url: Option<String> },
    Email {
        host: String,
        #[serde(default = "default_smtp_port")]
        port: u16,
        #[serde(default)]
        tls: SmtpTls,
        username: Option<String>,
        password: Option<String>,
        from: String,
        to: Vec<String>,
    },
    /// Posts the events signed as webhooks are; the signing secret is made here.
    Webhook { url: String },
}

fn default_smtp_port() -> u16 {
    587
}

/// What is kept of a channel besides its secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Settings {
    Telegram { chat_id: String },
    Discord {},
    Slack {},
    Email { host: String, port: u16, tls: SmtpTls, username: Option<String>, from: String, to: Vec<String> },
    Webhook { url: String },
}

fn yes() -> bool {
    true
}

fn default_events() -> Vec<ForwardEvent> {
    vec![ForwardEvent::MessageReceived]
}

/// A new integration.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewIntegration)]
pub struct IntegrationInput {
    #[schema(example = "Grup admin Telegram", max_length = 100)]
    pub name: String,
    pub channel: ChannelInput,
    /// `message.received` when left out.
    #[serde(default = "default_events")]
    pub events: Vec<ForwardEvent>,
    /// The outlets whose events it forwards; every outlet when empty or left out.
    #[serde(default)]
    pub outlet_ids: Vec<i64>,
    /// The message with `{{variables}}` (`event`, `outlet`, `number`, `text`, `error`,
    /// `status`, `blast`, `time`); empty: the built-in text of each event.
    #[serde(default)]
    #[schema(example = "{{outlet}} ← {{number}}: {{text}}", max_length = 2000)]
    pub format: String,
    #[serde(default = "yes")]
    pub active: bool,
}

/// What a change changes; a field left out stays.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = IntegrationChanges)]
pub struct IntegrationChanges {
    pub name: Option<String>,
    /// Of the same type; a secret left out stays.
    pub channel: Option<ChannelInput>,
    pub events: Option<Vec<ForwardEvent>>,
    pub outlet_ids: Option<Vec<i64>>,
    pub format: Option<String>,
    /// Off pauses it: events meanwhile are not forwarded.
    pub active: Option<bool>,
}

/// A new integration, and (for a custom webhook) its signing secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub integration: Integration,
    pub secret: Option<String>,
}

/// Integrations belong to the caller, whatever their role; monitoring has none.
pub(crate) fn owner(actor: Actor) -> ServiceResult<UserId> {
    whatsapp_scope(actor)?;
    Ok(actor.user_id)
}

fn missing() -> ServiceError {
    ServiceError::not_found("error-integration-not-found")
}

pub async fn list(state: &AppState, actor: Actor, page: Page) -> ServiceResult<Paged<Integration>> {
    Ok(state.store.list_integrations(owner(actor)?, page).await?)
}

pub async fn show(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Integration> {
    state.store.integration(owner(actor)?, id).await?.ok_or_else(missing)
}

pub async fn create(state: &AppState, actor: Actor, input: IntegrationInput) -> ServiceResult<Created> {
    let owner = owner(actor)?;
    let checked = check(&input.name, &input.events, &input.format)?;
    let outlets = crate::services::outlets::chosen(state, owner, &input.outlet_ids).await?;
    let (settings, secret, shown) = channel(state, &input.channel, None)?;
    let secret = secret.ok_or_else(|| ServiceError::invalid("channel", "error-integration-secret-required"))?;
    let sealed = state.secrets.seal(secret.as_bytes(), &secret_binding(owner)).map_err(ServiceError::internal)?;
    let settings_json = serde_json::to_string(&settings).map_err(ServiceError::internal)?;
    let fields = IntegrationFields {
        name: &checked,
        kind: kind_of(&input.channel),
        settings: &settings_json,
        sealed_secret: &sealed,
        secret_hint: &hint(kind_of(&input.channel), &secret),
        events: &input.events,
        outlet_ids: &outlets,
        format: input.format.trim(),
        active: input.active,
    };
    let integration = state.store.create_integration(owner, &fields, state.clock.now()).await?;
    Ok(Created { integration, secret: shown })
}

pub async fn update(state: &AppState, actor: Actor, id: i64, c: IntegrationChanges) -> ServiceResult<Integration> {
    let owner = owner(actor)?;
    let old = state.store.integration(owner, id).await?.ok_or_else(missing)?;
    let name = c.name.unwrap_or(old.name);
    let events = c.events.unwrap_or(old.events);
    let format = c.format.unwrap_or(old.format);
    let checked = check(&name, &events, &format)?;
    let outlet_ids = c.outlet_ids.unwrap_or_else(|| old.outlet_ids.iter().map(|o| o.0).collect());
    let outlets = crate::services::outlets::chosen(state, owner, &outlet_ids).await?;
    let (settings_json, sealed, secret_hint) = match &c.channel {
        None => (old.settings.to_string(), old.sealed_secret.clone(), old.secret_hint.clone()),
        Some(input) => {
            if kind_of(input) != old.kind {
                return Err(ServiceError::invalid("channel", "error-integration-type-change"));
            }
            let old_settings: Option<Settings> = serde_json::from_value(old.settings.clone()).ok();
            let (settings, secret, _) = channel(state, input, old_settings.as_ref())?;
            let settings_json = serde_json::to_string(&settings).map_err(ServiceError::internal)?;
            // The same secret again keeps the sealed one (it is sealed anew each time, and a
            // changed seal reads as another bot).
            let same = secret.as_ref().is_some_and(|new| {
                state.secrets.open(&old.sealed_secret, &secret_binding(owner)).is_ok_and(|o| o == new.as_bytes())
            });
            match secret.filter(|_| !same) {
                Some(secret) => {
                    let sealed = state
                        .secrets
                        .seal(secret.as_bytes(), &secret_binding(owner))
                        .map_err(ServiceError::internal)?;
                    (settings_json, sealed, hint(old.kind, &secret))
                }
                None => (settings_json, old.sealed_secret.clone(), old.secret_hint.clone()),
            }
        }
    };
    let fields = IntegrationFields {
        name: &checked,
        kind: old.kind,
        settings: &settings_json,
        sealed_secret: &sealed,
        secret_hint: &secret_hint,
        events: &events,
        outlet_ids: &outlets,
        format: format.trim(),
        active: c.active.unwrap_or(old.active),
    };
    let updated = state
        .store
        .update_integration(owner, id, &fields, state.clock.now())
        .await
        .map_err(not_found_as("error-integration-not-found"))?;
    if old.replies && !updated.replies {
        // Another bot or chat: the old bot must stop posting here.
        replies::forget_webhook(state, old.owner_id, &old.sealed_secret, id).await;
    }
    Ok(updated)
}

pub async fn delete(state: &AppState, actor: Actor, id: i64) -> ServiceResult<()> {
    let owner = owner(actor)?;
    let old = state.store.integration(owner, id).await?.ok_or_else(missing)?;
    state.store.delete_integration(owner, id).await.map_err(not_found_as("error-integration-not-found"))?;
    if old.replies {
        replies::forget_webhook(state, owner, &old.sealed_secret, id).await;
    }
    Ok(())
}

/// Queues a test message to the integration, whatever its events; its log shows the outcome.
pub async fn test(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Forward> {
    let owner = owner(actor)?;
    let now = state.clock.now();
    let event = store::WebhookEvent::new(owner, domain::EventKind::WebhookTest, &serde_json::json!({}), now);
    let forward = state.store.enqueue_test_forward(owner, id, &event.payload, &event.id, now).await;
    forward.map_err(not_found_as("error-integration-not-found"))
}

/// The integration's forwards, newest first.
pub async fn log(state: &AppState, actor: Actor, id: i64, page: Page) -> ServiceResult<Paged<Forward>> {
    let owner = owner(actor)?;
    state.store.integration(owner, id).await?.ok_or_else(missing)?;
    Ok(state.store.list_forwards(owner, id, page).await?)
}

fn kind_of(channel: &ChannelInput) -> IntegrationKind {
    match channel {
        ChannelInput::Telegram { .. } => IntegrationKind::Telegram,
        ChannelInput::Discord { .. } => IntegrationKind::Discord,
        ChannelInput::Slack { .. } => IntegrationKind::Slack,
        ChannelInput::Email { .. } => IntegrationKind::Email,
        ChannelInput::Webhook { .. } => IntegrationKind::Webhook,
    }
}

/// The end of a secret, to recognise it by.
fn hint(kind: IntegrationKind, secret: &str) -> String {
    let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    match kind {
        IntegrationKind::Email if secret.is_empty() => String::new(),
        IntegrationKind::Email => "••••••".into(),
        IntegrationKind::Webhook => format!("whsec_…{tail}"),
        IntegrationKind::Discord | IntegrationKind::Slack => {
            let host = url_host(secret);
            format!("{host}/…{tail}")
        }
        IntegrationKind::Telegram => format!("…{tail}"),
    }
}

fn url_host(url: &str) -> String {
    url.split("://").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or_default().to_string()
}

/// The name (checked), and the events and format.
fn check(name: &str, events: &[ForwardEvent], format: &str) -> ServiceResult<String> {
    let name =
        Label::parse(name, NAME_MAX).map_err(|e| ServiceError::invalid("name", label("field-integration-name", e)))?;
    if events.is_empty() {
        return Err(ServiceError::invalid("events", "error-integration-events-none"));
    }
    if events.contains(&ForwardEvent::Test) {
        return Err(ServiceError::invalid("events", "error-integration-event-test"));
    }
    let known = |v: &str| render::VARIABLES.contains(&v);
    let parses = format.trim().is_empty() || Template::parse(format, &known).is_ok();
    if format.chars().count() > FORMAT_MAX || !parses {
        let text =
            Text::new("error-integration-format").arg("max", FORMAT_MAX).arg("variables", render::VARIABLES.join(", "));
        return Err(ServiceError::invalid("format", text));
    }
    Ok(name.as_str().to_string())
}

/// Checks a channel; answers what is kept, the new secret (none: keep the old one), and the
/// secret to show once (a custom webhook's signing secret).
fn channel(
    state: &AppState,
    input: &ChannelInput,
    old: Option<&Settings>,
) -> ServiceResult<(Settings, Option<String>, Option<String>)> {
    let invalid = |text: Text| ServiceError::invalid("channel", text);
    let url = |u: &str| {
        WebhookUrl::parse(u.trim(), state.config.webhooks_allow_private)
            .map_err(|e| ServiceError::invalid("channel", &e))
    };
    Ok(match input {
        ChannelInput::Telegram { bot_token, chat_id } => {
            let chat_id = chat_id.trim();
            let numeric = chat_id.strip_prefix('-').unwrap_or(chat_id);
            let named = chat_id
                .strip_prefix('@')
                .is_some_and(|n| n.len() >= 5 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if !(named || (!numeric.is_empty() && numeric.chars().all(|c| c.is_ascii_digit()))) {
                return Err(invalid(Text::new("error-integration-chat-id")));
            }
            let token = match bot_token.as_deref().map(str::trim) {
                Some(t) => {
                    let (bot, key) = t.split_once(':').unwrap_or(("", ""));
                    let key_ok =
                        key.len() >= 20 && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if bot.is_empty() || !bot.chars().all(|c| c.is_ascii_digit()) || !key_ok {
                        return Err(invalid(Text::new("error-integration-token")));
                    }
                    Some(t.to_string())
                }
                None => None,
            };
            (Settings::Telegram { chat_id: chat_id.to_string() }, token, None)
        }
        ChannelInput::Discord { webhook_url } => {
            let secret = webhook_url.as_deref().map(url).transpose()?.map(|u| u.as_str().to_string());
            (Settings::Discord {}, secret, None)
        }
        ChannelInput::Slack { webhook_url } => {
            let secret = webhook_url.as_deref().map(url).transpose()?.map(|u| u.as_str().to_string());
            (Settings::Slack {}, secret, None)
        }
        ChannelInput::Email { host, port, tls, username, password, from, to } => {
            let host = host.trim();
            if host.is_empty() || host.len() > 253 || host.contains(['/', ' ', '@']) {
                return Err(invalid(Text::new("error-integration-smtp-host")));
            }
            let address = |a: &str| {
                Email::parse(a)
                    .map(|e| e.as_str().to_string())
                    .map_err(|_| invalid(Text::new("error-integration-email").arg("value", a.trim())))
            };
            let from = address(from)?;
            if to.is_empty() || to.len() > MAX_RECIPIENTS {
                return Err(invalid(Text::new("error-integration-recipients").arg("max", MAX_RECIPIENTS)));
            }
            let to = to.iter().map(|a| address(a)).collect::<ServiceResult<Vec<_>>>()?;
            let username = username.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(str::to_string);
            let settings = Settings::Email { host: host.to_string(), port: *port, tls: *tls, username, from, to };
            // The password is the secret. None given keeps the saved one, but only for the same
            // server, port, security and user: else the saved password would go wherever the
            // change points. A new e-mail integration without one (a relay on the same network)
            // has an empty one.
            let same_server = |old: &Settings| match (old, &settings) {
                (
                    Settings::Email { host: a, port: b, tls: c, username: d, .. },
                    Settings::Email { host: e, port: f, tls: g, username: h, .. },
                ) => (a, b, c, d) == (e, f, g, h),
                _ => false,
            };
            let secret = match (password, old) {
                (Some(p), _) => Some(p.clone()),
                (None, Some(old)) if same_server(old) => None,
                (None, Some(_)) => return Err(invalid(Text::new("error-integration-password-again"))),
                (None, None) => Some(String::new()),
            };
            (settings, secret, None)
        }
        ChannelInput::Webhook { url: u } => {
            let url = url(u)?;
            let (secret, shown) = match old {
                Some(_) => (None, None),
                None => {
                    let mut key = [0u8; 32];
                    rand::rngs::OsRng.fill_bytes(&mut key);
                    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
                    (Some(secret.clone()), Some(secret))
                }
            };
            (Settings::Webhook { url: url.as_str().to_string() }, secret, shown)
        }
    })
}

//! Webhooks: where a user's events are posted. The signing secret (`whsec_…`, Standard
//! Webhooks) is generated here, stored encrypted, and shown at creation or on request.

use crate::error::{not_found_as, ServiceError, ServiceResult};
use crate::i18n::Text;
use crate::state::AppState;
use base64::Engine as _;
use domain::policy::whatsapp_scope;
use domain::{Actor, EventKind, UserId, WebhookUrl};
use rand::RngCore;
use store::{Page, Paged, Webhook, WebhookPatch};

/// The authenticated-data binding of a webhook's sealed secret.
pub fn secret_binding(owner: UserId) -> Vec<u8> {
    format!("webhook-secret/{owner}").into_bytes()
}

/// Webhooks belong to the caller, whatever their role; monitoring has none.
pub fn owner(actor: Actor) -> ServiceResult<UserId> {
    whatsapp_scope(actor)?;
    Ok(actor.user_id)
}

fn url(state: &AppState, input: &str) -> ServiceResult<WebhookUrl> {
    WebhookUrl::parse(input, state.config.webhooks_allow_private).map_err(|e| ServiceError::invalid("url", &e))
}

fn events(input: &[String]) -> ServiceResult<Vec<String>> {
    let names = || EventKind::SUBSCRIBABLE.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ");
    let mut out: Vec<String> = Vec::new();
    for e in input {
        let e = e.trim();
        if !EventKind::SUBSCRIBABLE.iter().any(|k| k.as_str() == e) {
            return Err(ServiceError::invalid(
                "events",
                Text::new("error-event-unknown").arg("event", e).arg("events", names()),
            ));
        }
        if !out.iter().any(|x| x == e) {
            out.push(e.to_string());
        }
    }
    if out.is_empty() {
        return Err(ServiceError::invalid("events", Text::new("error-events-none").arg("events", names())));
    }
    Ok(out)
}

pub async fn list(state: &AppState, actor: Actor, page: Page) -> ServiceResult<Paged<Webhook>> {
    Ok(state.store.list_webhooks(owner(actor)?, page).await?)
}

pub async fn show(state: &AppState, actor: Actor, id: i64) -> ServiceResult<Webhook> {
    state.store.webhook(owner(actor)?, id).await?.ok_or_else(|| ServiceError::not_found("error-webhook-not-found"))
}

/// Creates the webhook; returns it with its signing secret, shown this once.
pub async fn create(
    state: &AppState,
    actor: Actor,
    url_input: &str,
    event_names: &[String],
) -> ServiceResult<(Webhook, String)> {
    let owner = owner(actor)?;
    let (url, events) = (url(state, url_input)?, events(event_names)?);
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
    let sealed = state.secrets.seal(secret.as_bytes(), &secret_binding(owner)).map_err(ServiceError::internal)?;
    let webhook = state.store.create_webhook(owner, url.as_str(), &events, &sealed, state.clock.now()).await?;
    Ok((webhook, secret))
}

#[derive(Default)]
pub struct WebhookChange<'a> {
    pub url: Option<&'a str>,
    pub events: Option<&'a [String]>,
    pub active: Option<bool>,
}

pub async fn update(state: &AppState, actor: Actor, id: i64, change: WebhookChange<'_>) -> ServiceResult<Webhook> {
    let owner = owner(actor)?;
    let url = change.url.map(|u| url(state, u)).transpose()?;
    let events = change.events.map(events).transpose()?;
    let patch =
        WebhookPatch { url: url.as_ref().map(WebhookUrl::as_str), events: events.as_deref(), active: change.active };
    state
        .store
        .update_webhook(owner, id, patch, state.clock.now())
        .await
        .map_err(not_found_as("error-webhook-not-found"))
}

pub async fn delete(state: &AppState, actor: Actor, id: i64) -> ServiceResult<()> {
    state.store.delete_webhook(owner(actor)?, id).await.map_err(not_found_as("error-webhook-not-found"))
}

/// The signing secret again, for setting up a receiver.
pub async fn secret(state: &AppState, actor: Actor, id: i64) -> ServiceResult<String> {
    let owner = owner(actor)?;
    let hook =
        state.store.webhook(owner, id).await?.ok_or_else(|| ServiceError::not_found("error-webhook-not-found"))?;
    let secret = state.secrets.open(&hook.sealed_secret, &secret_binding(owner)).map_err(ServiceError::internal)?;
    Ok(String::from_utf8_lossy(&secret).into_owned())
}

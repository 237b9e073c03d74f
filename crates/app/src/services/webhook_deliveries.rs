//! A webhook's delivery log, manual redelivery and test events.

use crate::error::{not_found_as, ServiceError, ServiceResult};
use crate::services::webhooks::owner;
use crate::state::AppState;
use domain::{Actor, DeliveryStatus};
use store::{Delivery, Page, Paged};

pub async fn list(
    state: &AppState,
    actor: Actor,
    webhook: i64,
    status: Option<DeliveryStatus>,
    page: Page,
) -> ServiceResult<Paged<Delivery>> {
    let owner = owner(actor)?;
    state.store.webhook(owner, webhook).await?.ok_or_else(|| ServiceError::not_found("error-webhook-not-found"))?;
    Ok(state.store.list_deliveries(owner, webhook, status, page).await?)
}

pub async fn show(state: &AppState, actor: Actor, webhook: i64, delivery: i64) -> ServiceResult<Delivery> {
    let found = state.store.delivery(owner(actor)?, webhook, delivery).await?;
    found.ok_or_else(|| ServiceError::not_found("error-delivery-not-found"))
}

/// Queues a delivered or failed delivery again, at once, with the same `webhook-id`.
pub async fn redeliver(state: &AppState, actor: Actor, webhook: i64, delivery: i64) -> ServiceResult<Delivery> {
    let owner = owner(actor)?;
    state
        .store
        .redeliver(owner, webhook, delivery, state.clock.now())
        .await
        .map_err(not_found_as("error-delivery-not-found"))
}

/// Queues every failed delivery of the webhook again, e.g. after the receiver's outage.
pub async fn redeliver_failed(state: &AppState, actor: Actor, webhook: i64) -> ServiceResult<u64> {
    let owner = owner(actor)?;
    state.store.webhook(owner, webhook).await?.ok_or_else(|| ServiceError::not_found("error-webhook-not-found"))?;
    Ok(state.store.redeliver_failed(owner, webhook, state.clock.now()).await?)
}

/// Queues a `webhook.test` event for this webhook only.
pub async fn test(state: &AppState, actor: Actor, webhook: i64) -> ServiceResult<Delivery> {
    let owner = owner(actor)?;
    state
        .store
        .enqueue_test_delivery(owner, webhook, state.clock.now())
        .await
        .map_err(not_found_as("error-webhook-not-found"))
}

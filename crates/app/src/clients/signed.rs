//! Signed posts (Standard Webhooks): the webhooks' deliveries and the integrations' custom
//! webhook send the same way.

use crate::clients::{describe, Outbound};

/// Posts `payload` to `url`, signed with `secret` (`whsec_…`) for `event_id` at `timestamp`
/// (seconds). `Err` says why nothing was answered: a bad secret, a refused address, no
/// connection.
pub async fn post(
    outbound: &Outbound,
    url: &str,
    secret: &str,
    event_id: &str,
    payload: &str,
    timestamp: i64,
) -> Result<reqwest::Response, String> {
    let signer = standardwebhooks::Webhook::new(secret).map_err(|e| format!("the signing secret is invalid: {e}"))?;
    let signature = signer.sign(event_id, timestamp, payload.as_bytes()).map_err(|e| format!("signing failed: {e}"))?;
    let request = outbound.request(reqwest::Method::POST, url).map_err(|e| format!("refused to send: {e}"))?;
    request
        .header("content-type", "application/json")
        .header("webhook-id", event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(payload.to_string())
        .send()
        .await
        .map_err(|e| describe(&e))
}

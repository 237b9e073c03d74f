//! Signed posts (Standard Webhooks): the webhooks' deliveries and the integrations' custom
//! webhook send the same way.

use crate::clients::{describe, Outbound};

/// Why a signed post got no answer.
pub enum Unsent {
    /// It was not sent and never will be as it is: a bad secret, a refused address.
    Refused(String),
    /// No answer: time-out, refused connection, DNS, TLS.
    Unreachable(String),
}

impl Unsent {
    pub fn into_message(self) -> String {
        match self {
            Unsent::Refused(m) | Unsent::Unreachable(m) => m,
        }
    }
}

/// Posts `payload` to `url`, signed with `secret` (`whsec_…`) for `event_id` at `timestamp`
/// (seconds).
pub async fn post(
    outbound: &Outbound,
    url: &str,
    secret: &str,
    event_id: &str,
    payload: &str,
    timestamp: i64,
) -> Result<reqwest::Response, Unsent> {
    let refused = Unsent::Refused;
    let signer =
        standardwebhooks::Webhook::new(secret).map_err(|e| refused(format!("the signing secret is invalid: {e}")))?;
    let signature =
        signer.sign(event_id, timestamp, payload.as_bytes()).map_err(|e| refused(format!("signing failed: {e}")))?;
    let request = outbound.request(reqwest::Method::POST, url).map_err(|e| refused(format!("refused to send: {e}")))?;
    request
        .header("content-type", "application/json")
        .header("webhook-id", event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(payload.to_string())
        .send()
        .await
        .map_err(|e| Unsent::Unreachable(describe(&e)))
}

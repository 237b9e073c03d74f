//! Midtrans Snap: creating a transaction (the payment page to send the owner to) and checking
//! a notification's signature. The server key is the Basic auth user (no password).

use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha512};
use std::time::Duration;

pub const SANDBOX_URL: &str = "https://app.sandbox.midtrans.com";
pub const PRODUCTION_URL: &str = "https://app.midtrans.com";

/// One transaction to create.
pub struct Transaction<'a> {
    /// Our invoice number: Midtrans refuses an order id it has seen, so a retry never charges
    /// twice.
    pub order_id: &'a str,
    pub amount: i64,
    pub item_id: &'a str,
    pub item_name: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    /// Where Midtrans sends the owner back after paying.
    pub finish_url: Option<&'a str>,
    /// Where Midtrans posts this transaction's notifications (`X-Override-Notification`), so
    /// that installations sharing an account each hear their own.
    pub notification_url: Option<&'a str>,
}

/// The payment page and its token, or Midtrans' words when it refused.
pub async fn create(
    base: &str,
    server_key: &str,
    t: &Transaction<'_>,
    timeout: Duration,
) -> Result<(String, String), String> {
    #[derive(Deserialize)]
    struct Created {
        token: String,
        redirect_url: String,
    }
    #[derive(Deserialize)]
    struct Refused {
        error_messages: Option<Vec<String>>,
    }
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{server_key}:"));
    let mut body = json!({
        "transaction_details": { "order_id": t.order_id, "gross_amount": t.amount },
        "item_details": [{ "id": t.item_id, "price": t.amount, "quantity": 1, "name": t.item_name }],
        "customer_details": { "email": t.email, "first_name": t.name },
    });
    if let Some(finish) = t.finish_url {
        body["callbacks"] = json!({ "finish": finish });
    }
    let client = reqwest::Client::builder().timeout(timeout).build().map_err(|e| e.to_string())?;
    let url = format!("{}/snap/v1/transactions", base.trim_end_matches('/'));
    let mut request = client
        .post(url)
        .header(reqwest::header::AUTHORIZATION, format!("Basic {auth}"))
        .header(reqwest::header::ACCEPT, "application/json");
    if let Some(notify) = t.notification_url {
        request = request.header("X-Override-Notification", notify);
    }
    let response = request
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("Midtrans could not be reached: {}", crate::clients::describe(&e.without_url())))?;
    let status = response.status();
    let text = crate::clients::excerpt(response, 4000).await;
    if status.is_success() {
        let created: Created =
            serde_json::from_str(&text).map_err(|_| format!("Midtrans answered {status} without a payment page"))?;
        // The owner's browser goes there: only to Midtrans' own pages.
        let origin = base.trim_end_matches('/');
        if !created.redirect_url.starts_with(&format!("{origin}/")) {
            return Err("Midtrans answered with a payment page elsewhere than Midtrans".to_string());
        }
        return Ok((created.token, created.redirect_url));
    }
    let said = serde_json::from_str::<Refused>(&text)
        .ok()
        .and_then(|r| r.error_messages)
        .map(|m| m.join("; "))
        .unwrap_or_else(|| text.chars().take(300).collect());
    Err(format!("Midtrans refused (HTTP {}): {said}", status.as_u16()))
}

/// `SHA512(order_id + status_code + gross_amount + server_key)` in hex, over the raw strings
/// of the notification.
pub fn signature(order_id: &str, status_code: &str, gross_amount: &str, server_key: &str) -> String {
    let mut hash = Sha512::new();
    for part in [order_id, status_code, gross_amount, server_key] {
        hash.update(part.as_bytes());
    }
    hex::encode(hash.finalize())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signature_is_sha512_of_the_four_strings() {
        // Midtrans' documented example shape: order, "200", "10000.00", key.
        let s = super::signature("KW-1-abc", "200", "20000.00", "SB-Mid-server-xyz");
        assert_eq!(s.len(), 128);
        assert_eq!(s, super::signature("KW-1-abc", "200", "20000.00", "SB-Mid-server-xyz"));
        assert_ne!(s, super::signature("KW-1-abc", "200", "20000.01", "SB-Mid-server-xyz"));
    }
}

//! Paying for a plan through Midtrans Snap: an admin sets the gateway's key (sealed, shown only
//! by its end); an owner's checkout writes the invoice first, then asks Midtrans for the
//! payment page with the invoice's number as the order id; Midtrans' notification, checked by
//! its SHA-512 signature, pays the invoice and the store puts the owner on the plan, once.

use crate::clients::midtrans;
use crate::crypto::tokens::constant_time_eq;
use crate::error::{ServiceError, ServiceResult};
use crate::i18n::Text;
use crate::state::AppState;
use domain::policy::{self, whatsapp_scope, Capability};
use domain::{Actor, BillingCycle, Gateway, InvoiceStatus, Plan};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use store::{GatewaySettings, Invoice, Page, Paged, Payment, StoreError};

const GATEWAY_TIMEOUT: Duration = Duration::from_secs(20);
const KEY_MAX: usize = 200;

fn binding(gateway: Gateway) -> Vec<u8> {
    format!("payment-gateway/{gateway}").into_bytes()
}

/// The gateways an admin sets keys for.
fn supported(gateway: Gateway) -> ServiceResult<()> {
    match gateway {
        Gateway::Midtrans => Ok(()),
        _ => Err(ServiceError::invalid("gateway", "error-gateway-unsupported")),
    }
}

/// The sandbox's own "server key", made at start: its notifications are signed like Midtrans'
/// with it, and pay only sandbox invoices.
fn sandbox_key() -> &'static str {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(|| format!("SB-kewhats-{}", crate::crypto::tokens::random_token()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GatewayInput {
    /// Midtrans' server key (Settings → Access keys).
    pub server_key: String,
    /// Live payments; `false` (the default) uses the gateway's sandbox.
    #[serde(default)]
    pub production: bool,
}

impl std::fmt::Debug for GatewayInput {
    // Never the key, whatever logs this.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayInput").field("server_key", &"…").field("production", &self.production).finish()
    }
}

pub async fn set_gateway(
    state: &AppState,
    actor: Actor,
    gateway: Gateway,
    input: GatewayInput,
) -> ServiceResult<GatewaySettings> {
    policy::require(actor, Capability::ManageBilling)?;
    supported(gateway)?;
    let key = input.server_key.trim();
    if key.is_empty() {
        return Err(ServiceError::invalid("server_key", "error-required"));
    }
    if key.chars().count() > KEY_MAX || key.chars().any(char::is_whitespace) {
        return Err(ServiceError::invalid("server_key", "error-gateway-key"));
    }
    let sealed = state.secrets.seal(key.as_bytes(), &binding(gateway)).map_err(ServiceError::internal)?;
    let hint: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let now = state.clock.now();
    Ok(state.store.set_payment_gateway(gateway, input.production, &sealed, &format!("…{hint}"), now).await?)
}

pub async fn gateways(state: &AppState, actor: Actor) -> ServiceResult<Vec<GatewaySettings>> {
    policy::require(actor, Capability::ManageBilling)?;
    let mut all = Vec::new();
    for gateway in [Gateway::Midtrans, Gateway::Xendit] {
        all.extend(state.store.payment_gateway(gateway).await?);
    }
    Ok(all)
}

/// The gateway's key and Snap's address for it.
async fn midtrans_key(state: &AppState) -> ServiceResult<Option<(String, String)>> {
    let Some(settings) = state.store.payment_gateway(Gateway::Midtrans).await? else { return Ok(None) };
    let key = state.secrets.open(&settings.sealed_key, &binding(Gateway::Midtrans)).map_err(ServiceError::internal)?;
    let base = state.config.midtrans_url.clone().unwrap_or_else(|| {
        (if settings.production { midtrans::PRODUCTION_URL } else { midtrans::SANDBOX_URL }).to_string()
    });
    Ok(Some((String::from_utf8_lossy(&key).into_owned(), base)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutInput {
    pub plan: Plan,
    pub cycle: BillingCycle,
    /// `midtrans`, or `sandbox` (a simulated payment page, only with the `sandbox` setting, as
    /// in the demo). By default Midtrans once an admin set its key, else the sandbox if it is on.
    pub gateway: Option<Gateway>,
}

/// An invoice for the plan and cycle, with the page to pay it on. Written before Midtrans is
/// called; when Midtrans refuses, the invoice is `failed` with its words and the owner is told.
pub async fn checkout(state: &AppState, actor: Actor, input: CheckoutInput) -> ServiceResult<Invoice> {
    whatsapp_scope(actor)?;
    let configured = midtrans_key(state).await?;
    let gateway = match input.gateway {
        Some(g) => g,
        None if configured.is_none() && state.config.sandbox => Gateway::Sandbox,
        None => Gateway::Midtrans,
    };
    match gateway {
        Gateway::Sandbox if !state.config.sandbox => {
            return Err(ServiceError::Forbidden { code: "sandbox_disabled", message: Text::new("error-sandbox-off") })
        }
        Gateway::Sandbox => {}
        other => supported(other)?,
    }
    let plan = state.store.plan_details(input.plan).await?;
    let amount = match input.cycle {
        BillingCycle::Monthly => plan.price_monthly,
        BillingCycle::Yearly => plan.price_yearly,
    };
    if amount.0 <= 0 {
        return Err(ServiceError::invalid("plan", "error-checkout-free"));
    }
    let user = state.store.user(actor.user_id).await?.ok_or_else(|| ServiceError::not_found("error-not-found"))?;
    let now = state.clock.now();
    if gateway == Gateway::Sandbox {
        let invoice = state.store.create_invoice(user.id, input.plan, input.cycle, amount, gateway, now).await?;
        let page = format!("/billing/sandbox/{}", invoice.number);
        return Ok(state.store.set_invoice_checkout(invoice.id, Ok((None, &page)), now).await?);
    }
    let Some((key, base)) = configured else {
        return Err(ServiceError::Conflict { code: "gateway_not_set", message: Text::new("error-gateway-not-set") });
    };
    let invoice = state.store.create_invoice(user.id, input.plan, input.cycle, amount, gateway, now).await?;
    let item_id = format!("{}-{}", input.plan, input.cycle);
    let item_name = format!("kewhats {} ({})", plan.name, input.cycle);
    let finish = state.config.public_url.as_ref().map(|u| format!("{u}/billing"));
    let notify = state.config.public_url.as_ref().map(|u| format!("{u}/api/payments/midtrans"));
    let transaction = midtrans::Transaction {
        order_id: &invoice.number,
        amount: amount.0,
        item_id: &item_id,
        item_name: &item_name,
        email: &user.email,
        name: if user.name.is_empty() { &user.email } else { &user.name },
        finish_url: finish.as_deref(),
        notification_url: notify.as_deref(),
    };
    let created = midtrans::create(&base, &key, &transaction, GATEWAY_TIMEOUT).await;
    let now = state.clock.now();
    match created {
        Ok((token, url)) => Ok(state.store.set_invoice_checkout(invoice.id, Ok((Some(&token), &url)), now).await?),
        Err(said) => {
            tracing::warn!(invoice = %invoice.number, error = %said, "Midtrans refused a checkout");
            state.store.set_invoice_checkout(invoice.id, Err(&said), now).await?;
            Err(ServiceError::Conflict {
                code: "gateway_refused",
                message: Text::new("error-gateway-refused").arg("said", said),
            })
        }
    }
}

/// The caller's invoices, newest first.
pub async fn invoices(state: &AppState, actor: Actor, page: Page) -> ServiceResult<Paged<Invoice>> {
    whatsapp_scope(actor)?;
    Ok(state.store.list_invoices(Some(actor.user_id), page).await?)
}

/// What a notification changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Notified {
    /// The invoice is paid now and the plan active.
    Paid,
    /// It was paid before: nothing changed.
    AlreadyPaid,
    /// A pending invoice will not be paid (`expired`, `failed`); a paid one stays paid.
    Closed,
    /// Nothing decided yet (`pending`, a card under review).
    Waiting,
}

/// Midtrans' HTTP notification (its raw body). `Unauthenticated` (401) unless its
/// `signature_key` is `SHA512(order_id + status_code + gross_amount + server_key)`; `NotFound`
/// (404, logged) for an order this server never made; the amount must be the invoice's.
pub async fn midtrans_notification(state: &AppState, body: &[u8]) -> ServiceResult<Notified> {
    #[derive(Deserialize)]
    struct Notification {
        order_id: String,
        status_code: String,
        gross_amount: String,
        signature_key: String,
        transaction_status: String,
        fraud_status: Option<String>,
    }
    let unverified = || ServiceError::Unauthenticated(Text::new("error-notification-unverified"));
    let Ok(n) = serde_json::from_slice::<Notification>(body) else { return Err(unverified()) };
    let signed_by = |key: &str| {
        let expected = midtrans::signature(&n.order_id, &n.status_code, &n.gross_amount, key);
        constant_time_eq(&expected, &n.signature_key.to_ascii_lowercase())
    };
    // Which key signed it says which invoices it may settle: the sandbox's, only its own.
    let by = match midtrans_key(state).await? {
        Some((key, _)) if signed_by(&key) => Gateway::Midtrans,
        _ if state.config.sandbox && signed_by(sandbox_key()) => Gateway::Sandbox,
        _ => {
            tracing::warn!(order = %n.order_id, "a Midtrans notification with a wrong signature was refused");
            return Err(unverified());
        }
    };
    let Some(invoice) = state.store.invoice_by_number(&n.order_id).await? else {
        tracing::warn!(order = %n.order_id, "a Midtrans notification for an unknown order was refused");
        return Err(ServiceError::not_found("error-invoice-not-found"));
    };
    if n.gross_amount != format!("{}.00", invoice.amount.0) || invoice.gateway != by {
        tracing::warn!(order = %n.order_id, amount = %n.gross_amount, "a Midtrans notification that does not match its invoice");
        return Err(ServiceError::conflict("error-notification-mismatch"));
    }
    let now = state.clock.now();
    // A payment is a signed 200; a card capture only once the fraud check accepted it.
    let succeeded = n.status_code == "200";
    let fraud_ok = n.fraud_status.as_deref().is_none_or(|f| f == "accept");
    match n.transaction_status.as_str() {
        "settlement" if succeeded && fraud_ok => pay(state, &invoice, now).await,
        "capture" if succeeded && n.fraud_status.as_deref() == Some("accept") => pay(state, &invoice, now).await,
        "deny" | "cancel" | "failure" if invoice.status == InvoiceStatus::Paid => refunded(state, &invoice, now).await,
        "deny" | "cancel" | "failure" => close(state, &invoice, InvoiceStatus::Failed, now).await,
        "expire" => close(state, &invoice, InvoiceStatus::Expired, now).await,
        "refund" | "partial_refund" | "chargeback" | "partial_chargeback" => refunded(state, &invoice, now).await,
        _ => Ok(Notified::Waiting),
    }
}

async fn pay(state: &AppState, invoice: &Invoice, now: domain::Timestamp) -> ServiceResult<Notified> {
    match state.store.pay_invoice(&invoice.number, now, now).await {
        Ok(Payment::Paid(paid)) => {
            tracing::info!(invoice = %paid.number, plan = %paid.plan, "invoice paid: plan active");
            Ok(Notified::Paid)
        }
        Ok(Payment::AlreadyPaid(_)) => Ok(Notified::AlreadyPaid),
        Err(StoreError::NotFound) => Err(ServiceError::not_found("error-invoice-not-found")),
        Err(e) => Err(e.into()),
    }
}

/// Money that went back after a payment: the invoice says so, and an admin is told (the plan
/// it bought is theirs to decide on).
async fn refunded(state: &AppState, invoice: &Invoice, now: domain::Timestamp) -> ServiceResult<Notified> {
    let refunded = state.store.refund_invoice(&invoice.number, now).await?;
    if refunded.status == InvoiceStatus::Refunded {
        tracing::error!(invoice = %refunded.number, owner = %refunded.user_id, plan = %refunded.plan,
            "a paid invoice was refunded or charged back at Midtrans; the plan it bought is still active");
    }
    Ok(Notified::Closed)
}

async fn close(
    state: &AppState,
    invoice: &Invoice,
    to: InvoiceStatus,
    now: domain::Timestamp,
) -> ServiceResult<Notified> {
    let closed = state.store.close_invoice(&invoice.number, to, now).await?;
    Ok(if closed.status == InvoiceStatus::Paid { Notified::AlreadyPaid } else { Notified::Closed })
}

/// The sandbox's payment page: the owner pays (`settlement`) or refuses (`deny`) the invoice,
/// and the application is sent the Midtrans-format notification the real gateway would send,
/// signed with the sandbox's key, through the same handler. Only with the `sandbox` setting,
/// only for the owner's own sandbox invoice.
pub async fn sandbox_pay(state: &AppState, actor: Actor, number: &str, pay: bool) -> ServiceResult<Notified> {
    whatsapp_scope(actor)?;
    if !state.config.sandbox {
        return Err(ServiceError::Forbidden { code: "sandbox_disabled", message: Text::new("error-sandbox-off") });
    }
    let invoice = state
        .store
        .invoice_by_number(number)
        .await?
        .filter(|i| i.user_id == actor.user_id && i.gateway == Gateway::Sandbox)
        .ok_or_else(|| ServiceError::not_found("error-invoice-not-found"))?;
    // The page answers a waiting invoice; a decided one stays as it is (a refusal after paying
    // is no refund).
    match invoice.status {
        InvoiceStatus::Pending => {}
        InvoiceStatus::Paid => return Ok(Notified::AlreadyPaid),
        _ => return Ok(Notified::Closed),
    }
    let (status, code) = if pay { ("settlement", "200") } else { ("deny", "202") };
    let gross = format!("{}.00", invoice.amount.0);
    let signature = midtrans::signature(&invoice.number, code, &gross, sandbox_key());
    let notification = serde_json::json!({
        "transaction_status": status, "status_code": code, "gross_amount": gross, "order_id": invoice.number,
        "signature_key": signature, "fraud_status": "accept", "payment_type": "bank_transfer", "currency": "IDR",
    });
    midtrans_notification(state, notification.to_string().as_bytes()).await
}

/// The owner's own invoice, for the sandbox's page.
pub async fn own_invoice(state: &AppState, actor: Actor, number: &str) -> ServiceResult<Invoice> {
    whatsapp_scope(actor)?;
    state
        .store
        .invoice_by_number(number)
        .await?
        .filter(|i| i.user_id == actor.user_id)
        .ok_or_else(|| ServiceError::not_found("error-invoice-not-found"))
}

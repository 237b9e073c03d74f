//! Plans, the caller's allowance and paying for a plan: see `app::services::billing` and
//! `app::services::payments`.

use super::PageParams;
use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::billing::{self, PlanInput};
use app::services::payments::{self, CheckoutInput, GatewayInput, Notified};
use app::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::{Gateway, Plan};
use serde::Serialize;
use store::{Allowance, GatewaySettings, Invoice, Paged, PlanDetails};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(plans))
        .routes(routes!(allowance))
        .routes(routes!(update_plan))
        .routes(routes!(checkout))
        .routes(routes!(invoices))
        .routes(routes!(gateways))
        .routes(routes!(set_gateway))
        .routes(routes!(midtrans_notification))
        .routes(routes!(sandbox_pay))
}

/// The plans
///
/// Every plan with its prices in rupiah (monthly and yearly), its limits (`null`: unlimited)
/// and the footer its messages carry, cheapest first.
#[utoipa::path(get, path = "/api/plans", tag = "billing", operation_id = "listPlans",
    responses((status = 200, body = Vec<PlanDetails>)))]
async fn plans(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<PlanDetails>>> {
    domain::policy::whatsapp_scope(caller.actor)?;
    Ok(Json(billing::plans(&state).await?))
}

/// My plan and usage
///
/// The plan in force now (a paid period that ended unpaid is free), its limits, the current
/// quota month and how much of each limit is used. Past a limit, creating answers 402
/// `plan_limit`.
#[utoipa::path(get, path = "/api/billing", tag = "billing", operation_id = "getAllowance",
    responses((status = 200, body = Allowance)))]
async fn allowance(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Allowance>> {
    Ok(Json(billing::allowance(&state, caller.actor).await?))
}

/// Change a plan (admins)
///
/// Prices, limits and footer. A lowered limit deletes nothing: owners over it keep what they
/// have and cannot add more.
#[utoipa::path(put, path = "/api/admin/plans/{code}", tag = "admin", operation_id = "updatePlan",
    params(("code" = Plan, Path, description = "free, pro, enterprise or unlimited")), request_body = PlanInput,
    responses((status = 200, body = PlanDetails)))]
async fn update_plan(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(code): ApiPath<Plan>,
    ApiJson(input): ApiJson<PlanInput>,
) -> AppResult<Json<PlanDetails>> {
    Ok(Json(billing::update_plan(&state, caller.actor, code, input).await?))
}

/// Pay for a plan
///
/// Writes the invoice (its number is the gateway's order id, so a retry never charges twice),
/// then asks Midtrans Snap for the payment page: `payment_url` is where to send the owner. 409
/// `gateway_not_set` before an admin set the key; 409 `gateway_refused` with Midtrans' words
/// (the invoice is then `failed`).
#[utoipa::path(post, path = "/api/billing/checkout", tag = "billing", operation_id = "checkout",
    request_body = CheckoutInput, responses((status = 201, body = Invoice)))]
async fn checkout(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<CheckoutInput>,
) -> AppResult<(StatusCode, Json<Invoice>)> {
    Ok((StatusCode::CREATED, Json(payments::checkout(&state, caller.actor, input).await?)))
}

/// My invoices
#[utoipa::path(get, path = "/api/billing/invoices", tag = "billing", operation_id = "listInvoices",
    params(PageParams), responses((status = 200, body = Paged<Invoice>)))]
async fn invoices(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<PageParams>,
) -> AppResult<Json<Paged<Invoice>>> {
    Ok(Json(payments::invoices(&state, caller.actor, p.page()).await?))
}

/// Payment gateways (admins)
///
/// Each configured gateway: sandbox or production and the end of its key.
#[utoipa::path(get, path = "/api/admin/payment-gateways", tag = "admin", operation_id = "listPaymentGateways",
    responses((status = 200, body = Vec<GatewaySettings>)))]
async fn gateways(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Vec<GatewaySettings>>> {
    Ok(Json(payments::gateways(&state, caller.actor).await?))
}

/// Set a gateway's key (admins)
///
/// The key is kept encrypted and never shown again beyond its end.
#[utoipa::path(put, path = "/api/admin/payment-gateways/{gateway}", tag = "admin", operation_id = "setPaymentGateway",
    params(("gateway" = Gateway, Path, description = "midtrans")), request_body = GatewayInput,
    responses((status = 200, body = GatewaySettings)))]
async fn set_gateway(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(gateway): ApiPath<Gateway>,
    ApiJson(input): ApiJson<GatewayInput>,
) -> AppResult<Json<GatewaySettings>> {
    Ok(Json(payments::set_gateway(&state, caller.actor, gateway, input).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
struct NotificationAnswer {
    result: Notified,
}

/// Midtrans' payment notification
///
/// Where Midtrans posts (its HTTP notification URL), not for people. 401 unless the signature
/// is right; 404 for an order this server never made. A repeated or late notification changes
/// nothing twice: a paid invoice stays paid and activates its plan once.
#[utoipa::path(post, path = "/api/payments/midtrans", tag = "billing", operation_id = "midtransNotification",
    request_body(content = Object, description = "Midtrans' notification"),
    responses((status = 200, body = NotificationAnswer), (status = 401, description = "Not signed with the server key")))]
async fn midtrans_notification(State(state): State<AppState>, body: Bytes) -> AppResult<Json<NotificationAnswer>> {
    Ok(Json(NotificationAnswer { result: payments::midtrans_notification(&state, &body).await? }))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SandboxPayment {
    /// `true` pays, `false` refuses.
    pay: bool,
}

/// Pay a sandbox invoice (simulated)
///
/// The sandbox's payment page: sends the application the Midtrans-format notification a real
/// payment (or refusal) would, signed, through the same handler. Only with the `sandbox`
/// setting (the demo), for the caller's own sandbox invoice.
#[utoipa::path(post, path = "/api/billing/sandbox/{number}", tag = "sandbox", operation_id = "sandboxPay",
    params(("number" = String, Path, description = "The invoice's number")), request_body = SandboxPayment,
    responses((status = 200, body = NotificationAnswer)))]
async fn sandbox_pay(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(number): ApiPath<String>,
    ApiJson(body): ApiJson<SandboxPayment>,
) -> AppResult<Json<NotificationAnswer>> {
    Ok(Json(NotificationAnswer { result: payments::sandbox_pay(&state, caller.actor, &number, body.pay).await? }))
}

//! Plans and the caller's allowance: see `app::services::billing`.

use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, Caller};
use app::services::billing::{self, PlanInput};
use app::AppState;
use axum::extract::State;
use axum::Json;
use domain::Plan;
use store::{Allowance, PlanDetails};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(plans)).routes(routes!(allowance)).routes(routes!(update_plan))
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

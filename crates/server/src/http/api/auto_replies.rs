//! `/api/auto-replies`: see `app::services::auto_replies` (the rules) and
//! `app::services::automations` (when and how they answer).

use crate::http::api::PageParams;
use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::auto_replies::{self, RuleChanges, RuleInput, TestInput, TestResult};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use store::{AutoReply, Paged};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show, update, remove)).routes(routes!(test))
}

/// List auto-reply rules
///
/// The caller's rules (staff: every tenant's), in the order they are tried: by priority, then
/// the older first.
#[utoipa::path(get, path = "/api/auto-replies", tag = "auto-replies", operation_id = "listAutoReplies",
    params(PageParams), responses((status = 200, body = Paged<AutoReply>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<PageParams>,
) -> AppResult<Json<Paged<AutoReply>>> {
    Ok(Json(auto_replies::list(&state, caller.actor, store::Page::new(p.page, p.per_page)).await?))
}

/// Create an auto-reply rule
///
/// Names are unique per owner (409 for a second one).
#[utoipa::path(post, path = "/api/auto-replies", tag = "auto-replies", operation_id = "createAutoReply",
    request_body = RuleInput, responses((status = 201, body = AutoReply)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<RuleInput>,
) -> AppResult<(StatusCode, Json<AutoReply>)> {
    Ok((StatusCode::CREATED, Json(auto_replies::create(&state, caller.actor, input).await?)))
}

/// Show an auto-reply rule
#[utoipa::path(get, path = "/api/auto-replies/{id}", tag = "auto-replies", operation_id = "getAutoReply",
    params(("id" = i64, Path, description = "The rule's id")), responses((status = 200, body = AutoReply)))]
async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<AutoReply>> {
    Ok(Json(auto_replies::show(&state, caller.actor, id).await?))
}

/// Change an auto-reply rule
///
/// The rule as changed is checked like a new one.
#[utoipa::path(patch, path = "/api/auto-replies/{id}", tag = "auto-replies", operation_id = "updateAutoReply",
    params(("id" = i64, Path, description = "The rule's id")), request_body = RuleChanges,
    responses((status = 200, body = AutoReply)))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(changes): ApiJson<RuleChanges>,
) -> AppResult<Json<AutoReply>> {
    Ok(Json(auto_replies::update(&state, caller.actor, id, changes).await?))
}

/// Delete an auto-reply rule
///
/// Replies it already wrote stay as they are.
#[utoipa::path(delete, path = "/api/auto-replies/{id}", tag = "auto-replies", operation_id = "deleteAutoReply",
    params(("id" = i64, Path, description = "The rule's id")), responses((status = 204, description = "Deleted")))]
async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    auto_replies::delete(&state, caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Test the auto-reply rules
///
/// Which rule would answer this message now, and the reply it would send (rendered, with its
/// business hours applied). Sends and writes nothing.
#[utoipa::path(post, path = "/api/auto-replies/test", tag = "auto-replies", operation_id = "testAutoReplies",
    request_body = TestInput, responses((status = 200, body = TestResult)))]
async fn test(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<TestInput>,
) -> AppResult<Json<TestResult>> {
    Ok(Json(auto_replies::test(&state, caller.actor, input).await?))
}
